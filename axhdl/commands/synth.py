"""``axhdl synth SPEC``: area, delay, power and energy per operation, against the exact unit.

The table has one row per figure of the flow (:data:`axhdl.synth.flow.FIGURES`, in its order,
with its labels and units) and a savings column for the figures the flow compares; the MAC
figures (latency, PEs, area/PE, MACs/cycle, energy/MAC) appear for ``mac:`` and
``systolic:`` specs only.
"""

from __future__ import annotations

from ..synth import flow
from ..synth.flow import ACTIVITY_MODES, SIMULATORS, PPAResult, ppa
from ._common import add_json, add_spec, print_json, table, unit_from


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
                   help="operand samples: .npz with arrays a and b, or .npy of shape (n, 2); "
                   "systolic: .npz with matrices A and W; mac: a, b (en, clear) per cycle "
                   "or A, W dot products")
    p.add_argument("--cells-v", metavar="PATH",
                   help="Verilog models of the liberty's cells (default: the .v beside the .lib)")
    p.add_argument("--simulator", choices=SIMULATORS, default="auto",
                   help="activity engine: in-process evaluator or Icarus (default auto)")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the exact unit of the same widths")
    p.add_argument("--prove", action="store_true",
                   help="also prove the mapped netlist equivalent to the RTL (Yosys SAT)")
    g = p.add_argument_group("mac and systolic specs (streamed workload)")
    g.add_argument("--m", type=int, metavar="M",
                   help="rows of A of each random GEMM (default 4 x max(rows, cols))")
    g.add_argument("--k", type=int, metavar="K",
                   help="reduction length (default 2 x rows; mac: clear every K cycles, 64)")
    g.add_argument("--n", type=int, metavar="N",
                   help="columns of W of each random GEMM (default 2 x cols)")
    add_json(p)
    return p


def _rows(result: PPAResult) -> list[dict]:
    base = result.baseline
    rows = []
    for fig in flow.FIGURES:  # read when called: a figure the flow adds gets a row
        if fig.value(result) is None and (base is None or fig.value(base) is None):
            continue  # a figure of MACs and arrays only
        label = fig.label
        if fig.attr == "energy_pj" and result.pes is not None:
            label = "energy/cycle"  # a sequential design: one clock period, not one operation
        row = {"figure": label, "unit": fig.shown(result)}
        if base is not None:
            row["exact"] = fig.shown(base)
            if fig.savings is not None and result.savings_pct is not None:
                row["savings %"] = result.savings_pct.get(fig.savings)
        row["in"] = fig.unit
        rows.append(row)
    return rows


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
        m=args.m,
        k=args.k,
        n=args.n,
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    act = result.activity
    if act["mode"] == "simulated":
        w = act["workload"]
        source = "uniform random, seed " + str(w["seed"]) if w["kind"] == "uniform" else w["path"]
        if "cycles" in act:
            what = f"{act['cycles']} clock cycles"
            if act.get("macs"):
                what += f", {act['macs']} MACs"
            if act.get("golden_model_check"):
                what += f"; {act['golden_model_check']} checked against the golden model"
        else:
            what = f"{act['transitions']} operations"
        how = f"simulated activity ({source}, {what}, {act['engine']})"
    else:
        how = "vectorless activity (OpenSTA, input activity 0.5)"
    corner = f", corner {result.corner}" if result.corner else ""
    print(f"{unit.spec}")
    print(f"  liberty {result.liberty}{corner}; period {result.period_ns:g} ns; {how}")
    table(_rows(result))
    if result.equivalence is not None:
        eq = result.equivalence
        print(f"netlist equivalent to RTL: {eq['equivalent']} ({eq['method']})")
    print(f"netlist: {result.netlist}")
    return 0
