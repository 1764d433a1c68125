"""Co-simulation of the sequential units (``mac``, ``systolic``) against their golden models
with cocotb on Icarus or Verilator.

:func:`verify_stream` builds the unit's Verilog with the machinery of
:mod:`axhdl.testbenches.runner` (one build per Verilog text and simulator, shared with
:func:`~axhdl.testbenches.runner.verify`) and runs the driver, monitor and scoreboard of
:mod:`axhdl.testbenches.tb_stream` on a *plan* computed here from the golden model:

``systolic`` (any unit with ``host_beats``/``model_stream``): random matrices ``A`` (M×K) and
``W`` (K×N) of several shapes (:func:`gemm_shapes`: with ``tiles ≥ 2`` every dimension is larger
than the array, the last tile ragged; whole tiles; a one-column ``K = N = 1`` problem), streamed
back to back from one reset by the host procedure of ``docs/arrays.md`` (``unit.host_beats``;
a ws beat whose partial sums are an earlier output beat waits until that beat has arrived, and
carries the model's value of it, so that one wrong beat is reported once, not again in every
beat chained to it). Random gaps on the input, random back-pressure on the output. Every output
beat is compared with ``unit.model_stream(beats)`` (a beat missing, a beat too many, an offered
beat that changes before it is taken are mismatches too); when every beat agrees, each product
assembled from the RTL's beats (``unit.assemble``) is compared with ``unit.model(A, W)``.

``mac`` (any unit with ``model_trace``): ``tiles`` segments of :data:`MAC_SEGMENT_CYCLES`
random cycles (random operands, ``en`` and ``clear``), each after a reset cycle; ``p`` of every
cycle is compared with ``unit.model_trace`` (latency included) and with 0 after each reset.

Operands are uniform over their range, one in eight replaced by a corner value (0, 1, the
largest, and signed the most negative and -1).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from axhdl import results
from axhdl.errors import InputError

from . import runner
from .vectors import corner_values

__all__ = [
    "StreamVerificationResult",
    "verify_stream",
    "stream_kind",
    "gemm_shapes",
    "random_operands",
    "systolic_plan",
    "mac_plan",
    "MAC_SEGMENT_CYCLES",
]

#: the cocotb test module
TEST_MODULE = "axhdl.testbenches.tb_stream"
#: a simulation is killed after this many seconds plus RUN_TIMEOUT_PER_CYCLE_S per planned
#: cycle (a healthy 8x8 array runs thousands of cycles per second; a hung one never ends)
RUN_TIMEOUT_S = 300.0
RUN_TIMEOUT_PER_CYCLE_S = 0.02
#: clock cycles of one random ``mac`` segment (each follows a reset cycle)
MAC_SEGMENT_CYCLES = 128
#: probability that an operand is replaced by a corner value
CORNER_RATE = 0.125
#: how many mismatches a result records in full (as the scoreboard does)
MAX_REPORTED = 20


@dataclass(frozen=True)
class StreamVerificationResult(results.Record):
    """One co-simulation of a ``mac`` or ``systolic`` unit on one simulator
    (:func:`verify_stream`); ``to_dict()`` is the run's JSON document (``axhdl verify --json``).
    """

    #: every output beat (every cycle's ``p``) equals the model, none lost, none extra
    ok: bool
    simulator: str
    #: ``systolic`` (beats through the streams) or ``mac`` (``p`` cycle by cycle)
    kind: str
    #: the GEMMs streamed, ``[M, K, N]`` each (``[]`` for a MAC)
    shapes: list[list[int]]
    #: multiply-accumulate steps whose results were checked (systolic: PE operations, the
    #: zero padding of partial tiles included; mac: enabled cycles)
    macs: int
    #: input beats taken (mac: cycles driven)
    beats_in: int
    #: output beats checked (mac: cycles whose ``p`` was checked)
    beats_out: int
    #: clock cycles simulated after the reset
    cycles: int
    #: the first 20 mismatches, ``kind`` first: ``value``, ``unstable`` (an offered beat
    #: changed before it was taken), ``extra``, ``lost``, ``matrix`` (an element of an
    #: assembled product). Systolic rows name the output ``beat``, the ``cycle``, the GEMM
    #: (``problem``), ``where`` in the host procedure and the differing ``columns``; MAC rows
    #: the ``cycle``, its ``segment``, ``t`` (its index in the segment's ``model_trace``, -1
    #: for the reset cycle) and that cycle's inputs; both ``expected`` and ``got`` values
    mismatches: list[dict]
    mismatch_count: int
    #: output beats the model has and the RTL never gave
    lost: int
    #: output beats the RTL gave beyond the model's
    extra: int
    #: cycles in which an offered, not yet taken output beat had changed (or vanished)
    unstable: int
    #: systolic: probability per cycle of an idle input cycle before a beat / of
    #: ``o__ready`` high (None for a MAC, left out of ``to_dict()``)
    gap: float | None
    ready: float | None
    build_s: float
    run_s: float
    #: an earlier build of the same Verilog was used
    build_reused: bool
    seed: int
    tiles: int
    provenance: dict

    OMIT_WHEN_NONE = ("gap", "ready")


# -- plans ----------------------------------------------------------------------------------


def stream_kind(unit) -> str | None:
    """``"systolic"`` for an array with the stream interface of ``docs/arrays.md`` (it has
    ``host_beats``, ``model_stream``, ``pack_beat``, ``unpack_output``), ``"mac"`` for a unit
    with ``model_trace``, otherwise None (a combinational unit)."""
    if all(hasattr(unit, k) for k in ("host_beats", "model_stream", "pack_beat",
                                       "unpack_output", "assemble")):
        return "systolic"
    if hasattr(unit, "model_trace"):
        return "mac"
    return None


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"Parameter '{name}' must be a positive integer, not {value!r}")


def _check_probability(name: str, value, *, low_open: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
        (0 < value <= 1) if low_open else (0 <= value < 1))
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1)"
        raise InputError(f"Parameter '{name}' must be a number in {interval}, not {value!r}")


def random_operands(width: int, is_signed: bool, shape, rng: np.random.Generator) -> np.ndarray:
    """Uniform ``width``-bit values of ``shape``, each replaced by a corner value
    (:func:`~axhdl.testbenches.vectors.corner_values`) with probability :data:`CORNER_RATE`."""
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if is_signed else (0, (1 << width) - 1)
    values = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    corners = np.array(corner_values(width, is_signed), dtype=np.int64)
    pick = rng.random(shape) < CORNER_RATE
    values[pick] = rng.choice(corners, size=int(pick.sum()))
    return values


def gemm_shapes(unit, tiles: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """The GEMMs ``(M, K, N)`` a run streams: every dimension spanning ``tiles`` tiles of the
    array (rows for ``M`` and ``K``, cols for ``N``) with a ragged last tile (a random size
    ``(tiles − 1)·R + 1 … tiles·R − 1``; ``tiles·R`` where ``R = 1``), then whole tiles
    (``tiles·R, tiles·R, tiles·C``), then ``(tiles·R, 1, 1)`` (one column: a K-tile of zero
    padding for ws, a ``last`` beat every beat, stalling the input, for os)."""
    rows, cols = unit.rows, unit.cols

    def ragged(span: int) -> int:
        return (tiles - 1) * span + int(rng.integers(1, max(1, span - 1), endpoint=True))

    return [(ragged(rows), ragged(rows), ragged(cols)),
            (tiles * rows, tiles * rows, tiles * cols),
            (tiles * rows, 1, 1)]


def _output_count(unit, shape) -> int:
    """Output beats of the host procedure for one GEMM (docs/arrays.md)."""
    m, k, n = shape
    nt = math.ceil(n / unit.cols)
    if unit.dataflow == "ws":
        return nt * math.ceil(k / unit.rows) * m
    return math.ceil(m / unit.rows) * nt * unit.rows


def _pack_output(unit, values) -> int:
    """An output beat of the model (its values) as the integer on ``o__payload``."""
    (field,) = unit.stream_fields()["o"]["fields"]
    width, offset = field["width"], field["offset"]
    mask = (1 << width) - 1
    return sum((int(v) & mask) << (offset + c * width) for c, v in enumerate(values))


def systolic_plan(unit, shapes, *, seed: int) -> dict:
    """The driver's beats and the scoreboard's expected output beats for random ``A``, ``W``
    of ``shapes`` streamed back to back: ``{"problems": [(A, W)], "beats", "deps",
    "expected", "macs_per_beat", "counts"}`` (beats and expected beats as payload integers,
    ``deps`` the output beat each input beat waits for, -1 for none)."""
    rng = np.random.default_rng(seed)
    problems, beats, deps, counts, macs = [], [], [], [], []
    done = 0  # output beats of the problems before this one
    for m, k, n in shapes:
        a = random_operands(unit.a_width, unit.signed, (m, k), rng)
        w = random_operands(unit.b_width, unit.signed, (k, n), rng)
        problems.append((a, w))
        for beat in unit.host_beats(a, w):
            source = beat.get("psum_from")
            deps.append(-1 if source is None else done + int(source))
            beats.append(beat)
        count = _output_count(unit, (m, k, n))
        counts.append(count)
        per_beat = unit.rows * unit.cols if unit.dataflow == "ws" else k * unit.cols
        macs.extend([per_beat] * count)
        done += count
    expected = [_pack_output(unit, y) for y in unit.model_stream(beats)]
    return {"problems": problems, "beats": [unit.pack_beat(b) for b in beats], "deps": deps,
            "expected": expected, "macs_per_beat": macs, "counts": counts}


def mac_plan(unit, tiles: int, *, seed: int) -> dict:
    """Cycle-by-cycle inputs and expected ``p`` for ``tiles`` random segments, each a reset
    cycle (``p`` 0 after it) and :data:`MAC_SEGMENT_CYCLES` cycles of random operands, ``en``
    (probability 3/4) and ``clear`` (1/4, also without ``en``): ``{name: int64 array}`` for
    ``a``, ``b`` (values), ``en``, ``clear``, ``rst``, ``p`` (values) and ``observed`` (1 for
    an enabled cycle whose sum is read within its segment)."""
    rng = np.random.default_rng(seed)
    length = MAC_SEGMENT_CYCLES
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("a", "b", "en", "clear", "rst", "p", "observed")}
    for _ in range(tiles):
        a = random_operands(unit.a_width, unit.signed, (length + 1,), rng)
        b = random_operands(unit.b_width, unit.signed, (length + 1,), rng)
        en = (rng.random(length + 1) < 0.75).astype(np.int64)
        clear = (rng.random(length + 1) < 0.25).astype(np.int64)
        trace = np.asarray(unit.model_trace(a[1:], b[1:], en[1:], clear[1:]), dtype=np.int64)
        observed = en[1:].copy()
        observed[length - (unit.latency - 1):] = 0  # their sums appear after the segment
        parts["a"].append(a)
        parts["b"].append(b)
        parts["en"].append(en)
        parts["clear"].append(clear)
        parts["rst"].append(np.array([1] + [0] * length, dtype=np.int64))
        parts["p"].append(np.concatenate([[0], trace]))
        parts["observed"].append(np.concatenate([[0], observed]))
    return {k: np.concatenate(v) for k, v in parts.items()}


# -- running ----------------------------------------------------------------------------------


def _values(unit, word_hex: str | None):
    """An output word (hex, from the scoreboard) as its values; raw text when it holds X/Z."""
    if word_hex is None:
        return None
    try:
        word = int(word_hex, 16)
    except ValueError:
        return word_hex
    if stream_kind(unit) == "systolic":
        return unit.unpack_output(word).tolist()
    width = unit.acc_width
    return int(word - (1 << width) if unit.signed and word >> (width - 1) else word)


def _where(unit, shapes, counts, beat: int) -> tuple[int | None, str]:
    """(problem index, position in the host procedure) of output beat ``beat``."""
    for index, ((m, k, n), count) in enumerate(zip(shapes, counts)):
        if beat < count:
            if unit.dataflow == "ws":
                kt = math.ceil(k / unit.rows)
                j, rest = divmod(beat, kt * m)
                t, row = divmod(rest, m)
                return index, f"N-tile {j}, K-tile {t}, A row {row}"
            nt = math.ceil(n / unit.cols)
            tile, q = divmod(beat, unit.rows)
            i, j = divmod(tile, nt)
            return index, f"M-tile {i}, N-tile {j}, C row {i * unit.rows + unit.rows - 1 - q}"
        beat -= count
    return None, "beyond the model's beats"


def _systolic_rows(unit, plan, shapes, outcome) -> list[dict]:
    rows = []
    for row in outcome["mismatches"]:
        problem, where = _where(unit, shapes, plan["counts"], row["beat"])
        expected, got = _values(unit, row["expected"]), _values(unit, row["got"])
        out = {"kind": row["kind"], "beat": row["beat"], "cycle": row["cycle"],
               "problem": problem, "where": where, "expected": expected, "got": got}
        if isinstance(expected, list) and isinstance(got, list):
            out["columns"] = [c for c, (x, y) in enumerate(zip(expected, got)) if x != y]
        if row["kind"] == "lost":
            out["count"] = row["count"]
        rows.append(out)
    return rows


def _matrix_rows(unit, plan, received: list[str]) -> tuple[list[dict], int]:
    """Each product assembled from the RTL's output beats against ``unit.model(A, W)``."""
    rows, count, start = [], 0, 0
    if len(received) != sum(plan["counts"]):  # the stream model's count is not the host's
        return [{"kind": "count", "expected": sum(plan["counts"]), "got": len(received)}], 1
    beats = [unit.unpack_output(int(h, 16)) for h in received]
    for index, ((a, w), n_out) in enumerate(zip(plan["problems"], plan["counts"])):
        got = unit.assemble(a.shape, w.shape, beats[start:start + n_out])
        want = np.asarray(unit.model(a, w), dtype=np.int64)
        start += n_out
        for i, j in zip(*np.nonzero(got != want)):
            count += 1
            if len(rows) < MAX_REPORTED:
                rows.append({"kind": "matrix", "problem": index, "row": int(i), "col": int(j),
                             "expected": int(want[i, j]), "got": int(got[i, j])})
    return rows, count


def _hex_words(words) -> list[str]:
    return [format(int(w), "x") for w in words]


def verify_stream(
    unit,
    sim: str,
    *,
    tiles: int = 2,
    seed: int = 0,
    shapes=None,
    gap: float = 0.25,
    ready: float = 0.7,
    build_root: Path | None = None,
) -> StreamVerificationResult:
    """Co-simulate a ``systolic`` or ``mac`` unit's Verilog on ``sim`` against its golden
    model (see the module's documentation).

    ``tiles``: systolic, the tiles each matrix dimension spans (:func:`gemm_shapes`); mac, the
    random segments. ``shapes`` (systolic): the GEMMs ``(M, K, N)`` instead. ``gap``: the
    probability that the driver leaves a cycle idle before offering a beat; ``ready``: the
    probability that ``o__ready`` is high in a cycle. A missing simulator is a
    :class:`~axhdl.errors.ToolMissingError`, a failed build or run a
    :class:`~axhdl.errors.ToolFailedError`.
    """
    runner.check_sim(sim)
    kind = stream_kind(unit)
    if kind is None:
        raise InputError(
            f"{unit.spec}: stream co-simulation drives mac and systolic units; use "
            f"axhdl.testbenches.runner.verify for combinational units"
        )
    _check_count("tiles", tiles)
    _check_probability("gap", gap, low_open=False)
    _check_probability("ready", ready, low_open=True)
    runner.require_tools(sim)
    rng = np.random.default_rng(seed)
    if kind == "systolic":
        if shapes is None:
            shapes = gemm_shapes(unit, tiles, rng)
        shapes = [tuple(int(x) for x in s) for s in shapes]
        for s in shapes:
            if len(s) != 3 or min(s) < 1:
                raise InputError(f"A GEMM shape is (M, K, N) with each at least 1, not {s}")
        plan = systolic_plan(unit, shapes, seed=seed)
        doc = {
            "kind": "systolic", "seed": seed, "gap": gap, "ready": ready,
            "i_width": unit.stream_fields()["i"]["width"],
            "o_width": unit.stream_fields()["o"]["width"],
            "beats": _hex_words(plan["beats"]), "deps": plan["deps"],
            "expected": _hex_words(plan["expected"]),
            # no transfer at all in this many cycles: the array lost a beat (or hung)
            "watchdog": 256 + 8 * (unit.latency + unit.rows),
            "drain": unit.latency + unit.rows + 2,
        }
        # every cycle idle with probability gap, stalled with 1 - ready: a generous bound
        planned = (len(plan["beats"]) / (1 - gap) + len(plan["expected"]) / ready
                   + len(shapes) * (unit.latency + unit.rows))
    else:
        if shapes is not None:
            raise InputError("shapes apply to systolic units, not to a mac")
        shapes = []
        plan = mac_plan(unit, tiles, seed=seed)

        def codes(values, width):
            return (np.asarray(values, dtype=np.int64) & ((1 << width) - 1)).tolist()

        doc = {
            "kind": "mac", "p_width": unit.acc_width,
            "a": codes(plan["a"], unit.a_width), "b": codes(plan["b"], unit.b_width),
            "en": plan["en"].tolist(), "clear": plan["clear"].tolist(),
            "rst": plan["rst"].tolist(),
            "p": _hex_words(codes(plan["p"], unit.acc_width)),
        }
        planned = len(plan["p"])
    source = unit.verilog()
    build_dir = runner.build_dir_for(unit, sim, build_root)

    def write_inputs(run_dir: Path) -> dict[str, str]:
        path = run_dir / "plan.json"
        path.write_text(json.dumps(doc))
        return {"AXHDL_TB_PLAN": str(path)}

    t0 = time.perf_counter()
    with runner.built(unit, sim, source, build_dir) as reused:
        t1 = time.perf_counter()
        outcome = runner.simulate(
            unit, sim, build_dir, test_module=TEST_MODULE, write_inputs=write_inputs,
            timeout=RUN_TIMEOUT_S + RUN_TIMEOUT_PER_CYCLE_S * planned,
        )
        t2 = time.perf_counter()

    count = int(outcome["mismatch_count"])
    if kind == "systolic":
        mismatches = _systolic_rows(unit, plan, shapes, outcome)
        if count == 0:  # every beat as the stream model says: the products against model()
            mismatches, count = _matrix_rows(unit, plan, outcome["received"])
        checked = int(outcome["beats_out"])
        macs = int(sum(plan["macs_per_beat"][:checked]))
    else:
        mismatches = []
        for row in outcome["mismatches"]:
            t = row["cycle"]
            segment, step = divmod(t, MAC_SEGMENT_CYCLES + 1)
            mismatches.append({"kind": row["kind"], "cycle": t, "segment": segment,
                               "t": step - 1,
                               "rst": int(plan["rst"][t]), "a": int(plan["a"][t]),
                               "b": int(plan["b"][t]), "en": int(plan["en"][t]),
                               "clear": int(plan["clear"][t]),
                               "expected": _values(unit, row["expected"]),
                               "got": _values(unit, row["got"])})
        macs = int(plan["observed"].sum())
    return StreamVerificationResult(
        ok=count == 0,
        simulator=sim,
        kind=kind,
        shapes=[list(s) for s in shapes],
        macs=macs,
        beats_in=int(outcome["beats_in"]),
        beats_out=int(outcome["beats_out"]),
        cycles=int(outcome["cycles"]),
        mismatches=mismatches,
        mismatch_count=count,
        lost=int(outcome["lost"]),
        extra=int(outcome["extra"]),
        unstable=int(outcome["unstable"]),
        gap=float(gap) if kind == "systolic" else None,
        ready=float(ready) if kind == "systolic" else None,
        build_s=round(t1 - t0, 3),
        run_s=round(t2 - t1, 3),
        build_reused=reused,
        seed=seed,
        tiles=tiles,
        provenance=results.provenance(
            unit, simulator=sim, seed=seed, tiles=tiles,
            **({"shapes": [list(s) for s in shapes], "gap": gap, "ready": ready}
               if kind == "systolic" else {"segment_cycles": MAC_SEGMENT_CYCLES}),
        ),
    )
