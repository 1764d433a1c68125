"""``axhdl synth SPEC``: area, delay, power and energy per operation, against the exact unit."""

from __future__ import annotations

from ..synth.flow import ACTIVITY_MODES, SIMULATORS, ppa
from ._common import add_json, add_spec, print_json, table, unit_from

ROWS = (
    ("area", "area", "liberty units"),
    ("cells", "cells", ""),
    ("transistors", "transistors", "generic CMOS estimate"),
    ("depth", "depth", "cells on the longest path"),
    ("delay_ns", "delay", "ns"),
    ("fmax_mhz", "fmax", "MHz"),
    ("power.internal", "internal power", "mW"),
    ("power.switching", "switching power", "mW"),
    ("power.leakage", "leakage power", "mW"),
    ("power.total", "total power", "mW"),
    ("energy_pj", "energy/op", "pJ"),
    ("pdp_pj", "power x delay", "pJ"),
)

SAVINGS = {"area": "area", "power.total": "power", "energy_pj": "energy", "delay_ns": "delay",
           "pdp_pj": "pdp"}


def register(sub, name):
    p = sub.add_parser(
        name,
        help="PPA: Yosys synthesis, OpenSTA timing, power from simulated switching activity, "
        "savings against the exact unit",
    )
    add_spec(p)
    p.add_argument("--liberty", metavar="PATH", help="liberty file (default: OSU 0.18 um)")
    p.add_argument("--corner", metavar="NAME", help="corner label recorded with the result")
    p.add_argument("--period", metavar="NS", type=float, default=None,
                   help="clock period in ns (default: the exact unit's delay, rounded up)")
    p.add_argument("--activity", choices=ACTIVITY_MODES, default="simulated",
                   help="switching activity: gate-level simulation of a workload (default) or "
                   "OpenSTA's vectorless propagation")
    p.add_argument("--vectors", metavar="N", type=int, default=10000,
                   help="operations simulated, one per clock period (default 10000)")
    p.add_argument("--seed", metavar="S", type=int, default=0,
                   help="seed of the uniform random workload (default 0)")
    p.add_argument("--workload", metavar="FILE",
                   help="operand samples: .npz with arrays a and b, or .npy of shape (n, 2)")
    p.add_argument("--cells-v", metavar="PATH",
                   help="Verilog models of the liberty's cells (default: the .v beside the .lib)")
    p.add_argument("--simulator", choices=SIMULATORS, default="auto",
                   help="activity engine: in-process evaluator or Icarus (default auto)")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the exact unit of the same widths")
    p.add_argument("--prove", action="store_true",
                   help="also prove the mapped netlist equivalent to the RTL (Yosys SAT)")
    add_json(p)
    return p


def _get(result: dict, key: str):
    if key.startswith("power."):
        return result["power_w"][key.split(".", 1)[1]] * 1e3
    return result.get(key)


def run(args) -> int:
    unit = unit_from(args)
    result = ppa(
        unit,
        liberty=args.liberty,
        period_ns=args.period,
        activity=args.activity,
        vectors=args.vectors,
        seed=args.seed,
        workload=args.workload,
        baseline=not args.no_baseline,
        corner=args.corner,
        cells_v=args.cells_v,
        simulator=args.simulator,
        prove=args.prove,
    )
    if args.json:
        print_json(result)
        return 0
    base = result["baseline"]
    act = result["activity"]
    if act["mode"] == "simulated":
        w = act["workload"]
        source = "uniform random, seed " + str(w["seed"]) if w["kind"] == "uniform" else w["path"]
        how = f"simulated activity ({source}, {act['transitions']} operations, {act['engine']})"
    else:
        how = "vectorless activity (OpenSTA, input activity 0.5)"
    corner = f", corner {result['corner']}" if result["corner"] else ""
    print(f"{unit.spec}")
    print(f"  liberty {result['liberty']}{corner}; period {result['period_ns']:g} ns; {how}")
    rows = []
    for key, label, unit_text in ROWS:
        row = {"figure": label, "unit": _get(result, key)}
        if base is not None:
            row["exact"] = _get(base, key)
            if key in SAVINGS and result["savings_pct"] is not None:
                row["savings %"] = result["savings_pct"][SAVINGS[key]]
        row["in"] = unit_text
        rows.append(row)
    table(rows)
    if "equivalence" in result:
        eq = result["equivalence"]
        print(f"netlist equivalent to RTL: {eq['equivalent']} ({eq['method']})")
    print(f"netlist: {result['netlist']}")
    return 0
