"""``axhdl demo``: the main job on built-in defaults.

Generates, verifies (Icarus and Verilator), characterizes and synthesizes the exact 8×8
multiplier and two truncated ones, and prints one table.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..generate import generate
from ..metrics import exhaustive_metrics
from ..registry import make_unit
from ._common import add_json, print_json, table

DEFAULT_SPECS = ("exact:width=8", "truncated:width=8,k=4", "truncated:width=8,k=8")


def register(sub, name):
    p = sub.add_parser(name, help="generate, verify, characterize and synthesize example units")
    p.add_argument("specs", nargs="*", default=list(DEFAULT_SPECS),
                   help=f"unit specs (default: {' '.join(DEFAULT_SPECS)})")
    p.add_argument("-o", "--out", default="out/demo", help="output directory (default: out/demo)")
    p.add_argument("--sims", default="icarus,verilator", help="simulators to verify with")
    add_json(p)
    return p


def run(args) -> int:
    from ..synth.flow import ppa
    from ..testbenches.runner import verify

    out = Path(args.out)
    rows, results = [], []
    sims = [s for s in args.sims.split(",") if s]
    units = [make_unit(s) for s in args.specs]  # every spec checked before any work
    for unit in units:
        t0 = time.perf_counter()
        gen = generate(unit, out)
        checks = {sim: verify(unit, sim) for sim in sims}
        metrics = exhaustive_metrics(unit) if unit.a_width + unit.b_width <= 24 else None
        report = ppa(unit)
        results.append({"spec": unit.spec, "verilog": gen["verilog"], "verify": checks,
                        "metrics": metrics, "ppa": report})
        row = {"unit": unit.spec.replace(",signed=false", "")}
        for sim, c in checks.items():
            row[sim] = f"{'PASS' if c.ok else 'FAIL'} {c.checked}"
        if metrics:
            row.update(er=metrics["er"], mae=metrics["mae"], wce=metrics["wce"],
                       mred=metrics["mred"])
        row.update(
            area=round(report.area),
            delay_ns=round(report.delay_ns, 3),
            power_uw=round(report.power_w["total"] * 1e6, 1),
            energy_pj=round(report.energy_pj, 3),
        )
        savings = report.savings_pct or {}
        # the demo's compact table shows two of the savings (axhdl synth shows them all)
        for key in ("area", "energy"):
            value = savings.get(key)
            row[f"{key}_sav%"] = None if value is None else round(value, 1)
        row["s"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
    if args.json:
        print_json([
            {**r, "verify": {sim: c.to_dict() for sim, c in r["verify"].items()},
             "ppa": r["ppa"].to_dict()}
            for r in results
        ])
    else:
        first = results[0]["ppa"]
        print(f"axhdl demo: 8x8 multipliers, liberty {first.provenance.get('liberty')}, "
              f"period {first.period_ns} ns, {first.provenance.get('vectors')} "
              f"random vectors for power; Verilog in {out}/")
        table(rows)
    failed = any(not c.ok for r in results for c in r["verify"].values())
    return 1 if failed else 0
