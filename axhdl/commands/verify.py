"""``axhdl verify SPEC``: co-simulate a unit's Verilog against its golden model (DESIGN.md §5).

Runs the cocotb scoreboard on Icarus, Verilator or both; exhaustive when
``a_width + b_width <= 16``, otherwise seeded random vectors plus every operand corner.
Exit status 1 when any vector differs from the model.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import InputError
from ._common import add_json, add_spec, print_json, table, unit_from

if TYPE_CHECKING:  # the runner itself is imported when the command runs
    from ..testbenches.runner import VerificationResult

#: what ``--sim`` accepts
SIM_CHOICES = ("icarus", "verilator", "both")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, not {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value}")
    return value


def _sim(text: str) -> str:
    if text not in SIM_CHOICES:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(SIM_CHOICES)}, not {text!r}"
        )
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None


def register(sub, name):
    p = sub.add_parser(
        name,
        help="co-simulate the Verilog against the golden model (cocotb on Icarus/Verilator)",
        description=(
            "Co-simulate the unit's Verilog against its golden model with cocotb on Icarus "
            "and/or Verilator: every operand pair when a_width + b_width <= 16, otherwise "
            "seeded random vectors plus every operand corner. Exit status 1 on any mismatch."
        ),
    )
    add_spec(p)
    p.add_argument(
        "--sim", type=_sim, default="both", metavar="{icarus,verilator,both}",
        help="simulator (default: both, Icarus then Verilator)",
    )
    p.add_argument(
        "--vectors", type=_positive_int, default=10000, metavar="N",
        help="random vectors when a_width + b_width > 16 (default 10000; corners are added)",
    )
    p.add_argument("--seed", type=_int, default=0, metavar="S", help="random seed (default 0)")
    add_json(p)
    return p


def _print_human(spec: str, runs: list[VerificationResult]) -> None:
    for r in runs:
        kind = "exhaustive" if r.exhaustive else f"sampled (seed {r.seed}, with corners)"
        status = "PASS" if r.ok else f"FAIL ({r.mismatch_count} mismatching vectors)"
        build = f"build {r.build_s:.2f} s" + (" (reused)" if r.build_reused else "")
        print(
            f"{spec}  {r.simulator}: {status}; {r.checked} vectors checked, {kind}; "
            f"{build}, run {r.run_s:.2f} s"
        )
        if r.mismatches:
            print(f"first mismatches ({len(r.mismatches)} shown):")
            table(r.mismatches)


def run(args) -> int:
    from ..testbenches.runner import verify

    if args.vectors < 1:  # reached only when called with a hand-made namespace
        raise InputError(f"--vectors must be a positive integer, not {args.vectors}")
    unit = unit_from(args)
    sims = ["icarus", "verilator"] if args.sim == "both" else [args.sim]
    runs = [verify(unit, sim, vectors=args.vectors, seed=args.seed) for sim in sims]
    ok = all(r.ok for r in runs)
    if args.json:
        print_json({"spec": unit.spec, "ok": ok, "runs": [r.to_dict() for r in runs]})
    else:
        _print_human(unit.spec, runs)
    return 0 if ok else 1
