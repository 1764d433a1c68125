"""``axhdl verify SPEC``: co-simulate a unit's Verilog against its golden model (DESIGN.md §5).

Runs the cocotb scoreboard on Icarus, Verilator or both. Combinational units: exhaustive when
``a_width + b_width <= 16``, otherwise seeded random vectors plus every operand corner.
``systolic`` arrays: random GEMMs streamed through the array (``--tiles`` tiles per matrix
dimension, random input gaps and output back-pressure), every output beat against the model;
``mac``: ``--tiles`` random segments of operands, ``en`` and ``clear``, ``p`` of every cycle
against the model (:mod:`axhdl.testbenches.stream_runner`). Exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import InputError
from ._common import add_json, add_spec, check_memory, print_json, seed, table, unit_from

if TYPE_CHECKING:  # the runners themselves are imported when the command runs
    from ..testbenches.runner import VerificationResult
    from ..testbenches.stream_runner import StreamVerificationResult

#: ``--vectors`` and ``--tiles`` when not given
DEFAULT_VECTORS = 10000
DEFAULT_TILES = 2

#: memory one random vector takes: operands, expected outputs and controls (int64) here, in
#: the vector file and again in the simulator's scoreboard
VECTOR_BYTES = 200

#: memory one streamed operand or result takes (a Python integer, its hex word and its place
#: in the scoreboard's lists)
STREAM_ELEMENT_BYTES = 200

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
            "seeded random vectors plus every operand corner. systolic arrays: random "
            "matrices streamed through the array by the host procedure (--tiles tiles per "
            "dimension, random input gaps and output back-pressure), every output beat "
            "checked; mac: random operand/en/clear sequences (--tiles segments from reset), "
            "p checked every cycle. Exit status 1 on any mismatch."
        ),
    )
    add_spec(p)
    p.add_argument(
        "--sim", type=_sim, default="both", metavar="{icarus,verilator,both}",
        help="simulator (default: both, Icarus then Verilator)",
    )
    p.add_argument(
        "--vectors", type=_positive_int, default=None, metavar="N",
        help=f"combinational units: random vectors when a_width + b_width > 16 (default "
             f"{DEFAULT_VECTORS}; corners are added)",
    )
    p.add_argument(
        "--tiles", type=_positive_int, default=None, metavar="N",
        help=f"systolic: tiles each matrix dimension spans; mac: random segments (default "
             f"{DEFAULT_TILES})",
    )
    p.add_argument("--seed", type=seed, default=0, metavar="S", help="random seed (default 0)")
    add_json(p)
    return p


def _check_stream_memory(unit, tiles: int) -> None:
    """Refuse up front a streamed run whose operands and expected outputs (held as Python
    objects and hex words while they are streamed) would not fit in memory."""
    from ..testbenches.stream_runner import MAC_SEGMENT_CYCLES, stream_kind

    if stream_kind(unit) == "mac":  # a, b, en, clear, rst, p, observed per cycle
        check_memory("--tiles", tiles, STREAM_ELEMENT_BYTES * (MAC_SEGMENT_CYCLES + 1) * 7)
    else:  # two GEMMs of (tiles·R) x (tiles·R) by (tiles·R) x (tiles·C), and outputs
        r, c = unit.rows, unit.cols
        check_memory("--tiles", tiles, STREAM_ELEMENT_BYTES * 4 * (r * r + r * c), growth=2)


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


def _shapes(shapes: list[list[int]]) -> str:
    return ", ".join("x".join(str(d) for d in s) for s in shapes)


def _print_stream(spec: str, runs: list[StreamVerificationResult]) -> None:
    for r in runs:
        if r.ok:
            status = "PASS"
        else:
            status = f"FAIL ({r.mismatch_count} mismatches, {r.lost} beats lost, {r.extra} extra)"
        if r.kind == "systolic":
            what = (f"{r.beats_in} beats in, {r.beats_out} beats out, {r.cycles} cycles; "
                    f"GEMMs (MxKxN) {_shapes(r.shapes)}; seed {r.seed}")
        else:
            what = f"{r.cycles} cycles, {r.tiles} segments from reset; seed {r.seed}"
        build = f"build {r.build_s:.2f} s" + (" (reused)" if r.build_reused else "")
        rate = f" ({r.macs / r.run_s:.0f} MAC/s)" if r.run_s > 0 else ""
        print(f"{spec}  {r.simulator}: {status}; {r.macs} MACs checked ({what}); {build}, "
              f"run {r.run_s:.2f} s{rate}")
        if r.mismatches:
            print(f"first mismatches ({len(r.mismatches)} shown):")
            columns = list(dict.fromkeys(k for row in r.mismatches for k in row))
            table([{k: _cell(row.get(k)) for k in columns} for row in r.mismatches], columns)


def _cell(value):
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return value


def run(args) -> int:
    from ..testbenches.runner import verify
    from ..testbenches.stream_runner import stream_kind, verify_stream

    for name in ("vectors", "tiles"):
        value = getattr(args, name, None)
        if value is not None and value < 1:  # reached only with a hand-made namespace
            raise InputError(f"--{name} must be a positive integer, not {value}")
    unit = unit_from(args)
    sims = ["icarus", "verilator"] if args.sim == "both" else [args.sim]
    tiles = getattr(args, "tiles", None)
    if stream_kind(unit) is not None:
        if args.vectors is not None:
            raise InputError(f"--vectors applies to combinational units; {unit.family} takes "
                             f"--tiles")
        tiles = DEFAULT_TILES if tiles is None else tiles
        _check_stream_memory(unit, tiles)
        runs = [verify_stream(unit, sim, tiles=tiles, seed=args.seed) for sim in sims]
    else:
        if tiles is not None:
            raise InputError(f"--tiles applies to mac and systolic units, not to "
                             f"{unit.family}")
        vectors = DEFAULT_VECTORS if args.vectors is None else args.vectors
        check_memory("--vectors", vectors, VECTOR_BYTES)
        runs = [verify(unit, sim, vectors=vectors, seed=args.seed) for sim in sims]
    ok = all(r.ok for r in runs)
    if args.json:
        print_json({"spec": unit.spec, "ok": ok, "runs": [r.to_dict() for r in runs]})
    elif stream_kind(unit) is not None:
        _print_stream(unit.spec, runs)
    else:
        _print_human(unit.spec, runs)
    return 0 if ok else 1
