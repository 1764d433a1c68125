"""The vectors every simulator drives, and the results the golden model expects for them.

One module for the cocotb co-simulation (:mod:`axhdl.testbenches.runner`, Icarus and
Verilator) and the Amaranth simulator (:mod:`axhdl.testbenches.amaranth_sim`), so that they
check the same operand pairs and the same control values:

* :func:`control_combinations`: every control-input value combination a unit accepts
  (``unit.extra_inputs`` enumerated, filtered by ``unit.valid_controls``);
* :func:`corner_values`: the corner values of one operand;
* :func:`vector_set`: every operand pair for every control combination when
  ``a_width + b_width <= EXHAUSTIVE_MAX_BITS``, otherwise every corner pair plus seeded random
  pairs;
* :func:`expected_results`: the golden model's result for each vector.
"""

from __future__ import annotations

import itertools

import numpy as np

from axhdl.errors import InputError
from axhdl.metrics import operand_grid

__all__ = [
    "EXHAUSTIVE_MAX_BITS",
    "MAX_CONTROL_COMBINATIONS",
    "corner_values",
    "control_combinations",
    "vector_set",
    "expected_results",
    "expected_outputs",
    "check_vector_count",
]

#: every operand pair is checked when ``a_width + b_width`` is at most this
EXHAUSTIVE_MAX_BITS = 16
#: at most this many control-value combinations are enumerated
MAX_CONTROL_COMBINATIONS = 1 << 16


def corner_values(width: int, is_signed: bool) -> list[int]:
    """The corner values of one operand: 0, 1 and the largest value; signed operands add the
    most negative value and -1 (duplicates removed, e.g. for 1-bit operands)."""
    if is_signed:
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        candidates = [0, 1, hi, lo, -1]
    else:
        lo, hi = 0, (1 << width) - 1
        candidates = [0, 1, hi]
    out: list[int] = []
    for v in candidates:
        if lo <= v <= hi and v not in out:
            out.append(v)
    return out


def control_combinations(unit) -> list[dict[str, int]]:
    """Every control-input value combination the unit uses (``valid_controls`` filters), in
    ``itertools.product`` order of ``unit.extra_inputs``; ``[{}]`` for a unit without
    control inputs."""
    controls = dict(unit.extra_inputs)
    if not controls:
        return [{}]
    names = list(controls)
    total = 1 << sum(controls.values())
    if total > MAX_CONTROL_COMBINATIONS:
        raise InputError(
            f"{unit.spec}: control inputs {names} have {total} value combinations, more than "
            f"the {MAX_CONTROL_COMBINATIONS} co-simulation enumerates"
        )
    combos = []
    for values in itertools.product(*(range(1 << controls[k]) for k in names)):
        kw = dict(zip(names, values))
        if unit.valid_controls(**kw):
            combos.append(kw)
    if not combos:
        raise InputError(f"{unit.spec}: valid_controls() rejects every control value")
    return combos


def check_vector_count(vectors) -> None:
    """InputError unless ``vectors`` (random vectors asked for) is a positive integer."""
    if isinstance(vectors, bool) or not isinstance(vectors, (int, np.integer)) or vectors < 1:
        raise InputError(f"Parameter 'vectors' must be a positive integer, not {vectors!r}")


def vector_set(unit, *, vectors: int = 10000, seed: int = 0) -> dict:
    """The vectors a co-simulation drives: ``{"a", "b", "controls": {name: array},
    "exhaustive"}``, operand values as int64 arrays.

    Exhaustive (every operand pair for every valid control combination, a-major order) when
    ``a_width + b_width <= EXHAUSTIVE_MAX_BITS``; otherwise every corner combination (see
    :func:`corner_values`) for every control combination, then ``vectors`` pairs drawn
    uniformly with ``numpy.random.default_rng(seed)`` (control values drawn uniformly from
    the valid combinations).
    """
    check_vector_count(vectors)
    combos = control_combinations(unit)
    names = list(unit.extra_inputs)
    if unit.a_width + unit.b_width <= EXHAUSTIVE_MAX_BITS:
        ga, gb = operand_grid(unit)
        a = np.tile(ga, len(combos))
        b = np.tile(gb, len(combos))
        ctrl = {k: np.repeat([c[k] for c in combos], ga.size).astype(np.int64) for k in names}
        return {"a": a, "b": b, "controls": ctrl, "exhaustive": True}

    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    pairs = list(
        itertools.product(
            corner_values(unit.a_width, unit.signed), corner_values(unit.b_width, unit.signed)
        )
    )
    ca = np.array([p[0] for p in pairs] * len(combos), dtype=np.int64)
    cb = np.array([p[1] for p in pairs] * len(combos), dtype=np.int64)
    cidx = np.repeat(np.arange(len(combos)), len(pairs))
    rng = np.random.default_rng(seed)
    ra = rng.integers(alo, ahi, size=vectors, endpoint=True, dtype=np.int64)
    rb = rng.integers(blo, bhi, size=vectors, endpoint=True, dtype=np.int64)
    ridx = rng.integers(0, len(combos), size=vectors) if len(combos) > 1 else np.zeros(
        vectors, dtype=np.int64
    )
    idx = np.concatenate([cidx, ridx])
    ctrl = {
        k: np.array([c[k] for c in combos], dtype=np.int64)[idx] for k in names
    }
    return {
        "a": np.concatenate([ca, ra]),
        "b": np.concatenate([cb, rb]),
        "controls": ctrl,
        "exhaustive": False,
    }


def expected_results(unit, a, b, controls: dict[str, np.ndarray]) -> np.ndarray:
    """The golden model's ``p`` for each vector (the model is called once per control
    combination, with scalar control values)."""
    return expected_outputs(unit, a, b, controls, extra=False)["p"]


def expected_outputs(unit, a, b, controls: dict[str, np.ndarray], *, extra: bool = True
                     ) -> dict[str, np.ndarray]:
    """The golden model's ``p`` and, with ``extra``, every extra output
    (``unit.model_outputs``) for each vector: ``{name: int64 array}``, ``p`` first."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    names = list(unit.extra_outputs) if extra else []

    def evaluate(x, y, **kw) -> dict[str, np.ndarray]:
        got = {"p": unit.model(x, y, **kw)}
        if names:
            more = unit.model_outputs(x, y, **kw)
            got.update({k: more[k] for k in names})
        return {k: np.broadcast_to(np.asarray(v, dtype=np.int64), x.shape) for k, v in got.items()}

    if not controls:
        return {k: v.copy() for k, v in evaluate(a, b).items()}
    keys = list(controls)
    stacked = np.stack([np.asarray(controls[k], dtype=np.int64) for k in keys], axis=1)
    combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    out = {k: np.empty(a.shape, dtype=np.int64) for k in ["p", *names]}
    for j, combo in enumerate(combos):
        mask = inverse == j
        got = evaluate(a[mask], b[mask], **{k: int(v) for k, v in zip(keys, combo)})
        for k, v in got.items():
            out[k][mask] = v
    return out
