"""``axhdl synth SPEC``: area, delay, power and energy per operation, against the exact unit.

The table has one row per figure of the flow (:data:`axhdl.synth.flow.FIGURES`, in its order,
with its labels and units) and a savings column for the figures the flow compares; the MAC
figures (latency, PEs, area/PE, MACs/cycle, energy/MAC) appear for ``mac:`` and
``systolic:`` specs only.
"""

from __future__ import annotations

from ..errors import InputError
from ..results import load_numpy
from ..synth import flow
from ..synth.flow import ACTIVITY_MODES, SIMULATORS, PPAResult, ppa
from ._common import (
    add_json,
    add_spec,
    check_memory,
    count,
    period_ns,
    print_json,
    seed,
    table,
    unit_from,
)

#: memory one simulated operation takes: stimulus, per-net samples of the gate-level
#: simulation and their toggle counts
VECTOR_BYTES = 400


def register(sub, name):
    p = sub.add_parser(
        name,
        help="PPA: Yosys synthesis, OpenSTA timing, power from simulated switching activity, "
        "savings against the exact unit",
    )
    add_spec(p)
    p.add_argument("--liberty", metavar="PATH", help="liberty file (default: OSU 0.18 um)")
    p.add_argument("--corner", metavar="NAME", help="corner label recorded with the result")
    p.add_argument("--period", metavar="NS", type=period_ns, default=None,
                   help="clock period in ns (default: the exact unit's delay, rounded up)")
    p.add_argument("--activity", choices=ACTIVITY_MODES, default="simulated",
                   help="switching activity: gate-level simulation of a workload (default) or "
                   "OpenSTA's vectorless propagation")
    p.add_argument("--vectors", metavar="N", type=count(1), default=10000,
                   help="operations simulated, one per clock period (default 10000)")
    p.add_argument("--seed", metavar="S", type=seed, default=0,
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
    g.add_argument("--m", type=count(1), metavar="M",
                   help="rows of A of each random GEMM (default 4 x max(rows, cols))")
    g.add_argument("--k", type=count(1), metavar="K",
                   help="reduction length (default 2 x rows; mac: clear every K cycles, 64)")
    g.add_argument("--n", type=count(1), metavar="N",
                   help="columns of W of each random GEMM (default 2 x cols)")
    _add_fpga_arguments(p)
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
    if args.target is not None or _fpga_options_given(args):
        return _run_fpga(args)
    unit = unit_from(args)
    if args.workload is not None and args.activity == "vectorless":
        raise InputError("--workload applies to --activity simulated; vectorless activity "
                         "uses no workload")
    if args.workload is None:
        check_memory("--vectors", args.vectors, VECTOR_BYTES)
    else:  # a directory, text or a pickle: one line, the format expected
        load_numpy(args.workload, "workload file")
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


# -- the FPGA flow (--target ice40|ecp5; axhdl.synth.fpga, docs/fpga.md) --------------------

#: options of the ASIC flow only, with their defaults (given with --target: an error)
_ASIC_ONLY = {"liberty": None, "corner": None, "activity": "simulated", "workload": None,
              "cells_v": None, "simulator": "auto", "prove": False, "m": None, "k": None,
              "n": None}
#: memory one operation of the LUT-netlist activity takes: a byte per cell output of a mapped
#: netlist of a few thousand cells, and the evaluation's temporaries
FPGA_VECTOR_BYTES = 8192
#: options of the FPGA flow only, with their defaults (given without --target: an error)
_FPGA_ONLY = {"device": None, "package": None, "dsp": False, "freq": None}


def _freq_mhz(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        import argparse

        raise argparse.ArgumentTypeError(f"must be a positive frequency in MHz, not {text!r}")
    return value


def _add_fpga_arguments(p) -> None:
    g = p.add_argument_group(
        "FPGA flow (--target; --period/--freq: the timing target, --seed: nextpnr's seed and "
        "the activity workload's, --vectors: operations of the LUT activity)")
    g.add_argument("--target", metavar="FAMILY",
                   help="FPGA family: ice40 or ecp5 (default: the ASIC flow)")
    g.add_argument("--device", metavar="NAME",
                   help="device (default: up5k for ice40, 25k for ecp5)")
    g.add_argument("--package", metavar="NAME",
                   help="package (default: sg48 for up5k, CABGA256 for 25k)")
    g.add_argument("--dsp", action="store_true",
                   help="allow DSP blocks for the unit (default: LUTs only)")
    g.add_argument("--freq", metavar="MHZ", type=_freq_mhz, default=None,
                   help="timing target in MHz (default 100; or --period)")


def _fpga_options_given(args) -> bool:
    return any(getattr(args, k) != v for k, v in _FPGA_ONLY.items())


def _run_fpga(args) -> int:
    from ..synth import fpga

    if args.target is None:
        given = next(k for k, v in _FPGA_ONLY.items() if getattr(args, k) != v)
        raise InputError(f"--{given} applies to the FPGA flow; give --target "
                         f"({', '.join(fpga.TARGETS)})")
    family, device, package = fpga.resolve_target(args.target, args.device, args.package)
    for key, default in _ASIC_ONLY.items():
        if getattr(args, key) != default:
            raise InputError(f"--{key.replace('_', '-')} applies to the ASIC flow, not to "
                             f"--target {family.name}")
    if args.freq is not None and args.period is not None:
        raise InputError("Give the timing target once: --freq (MHz) or --period (ns)")
    freq = args.freq if args.period is None else 1e3 / args.period
    check_memory("--vectors", args.vectors, FPGA_VECTOR_BYTES)
    unit = unit_from(args)
    result = fpga.fpga(unit, target=family.name, device=device, package=package,
                       dsp=args.dsp, seed=args.seed, freq_mhz=freq,
                       baseline=not args.no_baseline, vectors=max(2, args.vectors),
                       workload_seed=args.seed)
    if args.json:
        print_json(result.to_dict())
        return 0
    speed = f", speed grade {result.provenance['speed_grade']}" \
        if result.provenance.get("speed_grade") else ""
    print(unit.spec)
    print(f"  {family.title} {device} {package}{speed}; nextpnr seed {args.seed}; "
          f"timing target {result.target_mhz:g} MHz; DSP blocks "
          f"{'allowed' if args.dsp else 'off'}")
    table(_fpga_rows(result))
    act = result.activity
    if act is not None:
        print(f"activity: {act['name']}: {act['toggles_per_op']:.2f} over "
              f"{act['operations']} operations (uniform random, seed {act['workload']['seed']})")
    for label, r in (("unit", result), ("exact", result.baseline),
                     ("exact+DSP", result.baseline_dsp)):
        if r is not None and not r.placed:
            print(f"{label}: does not fit the {device} {package}: {r.error}")
    print(f"netlist: {result.netlist}")
    return 0


#: (label, attribute, unit of the figure, savings key)
_FPGA_FIGURES = (
    ("LUTs", "luts", "", "luts"),
    ("carry cells", "carry_cells", "", "carry_cells"),
    ("flip-flops", "flip_flops", "", "flip_flops"),
    ("DSP blocks", "dsp_blocks", "", "dsp_blocks"),
    ("logic cells", "logic_cells", "placed", "logic_cells"),
    ("utilisation", "utilisation_pct", "% of logic cells", None),
    ("logic levels", "logic_levels", "cells on the longest path", None),
    ("fmax", "fmax_mhz", "MHz", "fmax"),
    ("timing met", "timing_met", "at the target", None),
    ("toggles/op", None, "LUT-netlist activity proxy", None),
)


def _fpga_value(r, attr):
    if r is None:
        return None
    if attr is None:
        return r.activity["toggles_per_op"] if r.activity else None
    v = getattr(r, attr)
    return ("yes" if v else "no") if isinstance(v, bool) else v


def _fpga_rows(result) -> list[dict]:
    sv = result.savings_pct or {}
    rows = []
    for label, attr, unit_text, key in _FPGA_FIGURES:
        row = {"figure": label, "unit": _fpga_value(result, attr)}
        if result.baseline is not None:
            row["exact"] = _fpga_value(result.baseline, attr)
            row["savings %"] = sv.get("exact", {}).get(key) if key else None
        if result.baseline_dsp is not None:
            row["exact+DSP"] = _fpga_value(result.baseline_dsp, attr)
            row["vs DSP %"] = sv.get("exact_dsp", {}).get(key) if key else None
        row["in"] = unit_text
        rows.append(row)
    return rows
