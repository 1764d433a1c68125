"""Compiled fast paths of exhaustive characterization (numba).

The golden model of each family (its ``model()``) stays the definition of what a unit
computes. For the families listed here, :func:`plan_for` returns a *plan* that fills blocks
of results equal to the golden model's, bit for bit, several times to several hundred times
faster, and :func:`run_rows` feeds them to the compiled accumulator
(:func:`._core.accumulate`), which updates the same exact integer sums as the numpy path.
Each plan states why it equals the model (module docstrings of :mod:`.tables` and
:mod:`.log`); ``tests/test_metrics_kernels.py`` checks every one against the golden model
exhaustively at small widths and on samples at 16 bits.

numba is imported only when a plan is made (``axhdl metrics`` on a few thousand pairs never
loads it). Compiled code is cached under ``<axhdl cache>/numba/<digest of this package's
sources and numba's version>`` (``$NUMBA_CACHE_DIR`` overrides), so a changed kernel never
reuses stale machine code and a read-only installation still caches.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["plan_for", "run_rows", "has_kernel", "min_pairs", "new_state", "KERNEL_FAMILIES"]

#: families with a plan besides those detected from their polynomial (field-additive ones)
KERNEL_FAMILIES = {
    "kulkarni": "fields-signmag",
    "reconfigurable": "fields",
    "drum": "separable", "dsm": "separable", "ssm": "separable", "pot": "separable",
    "csd": "separable", "asm": "separable", "nza": "separable",
    "mitchell": "log", "mbm": "log",
    "compressor": "lowpart",
    "eta1": "adder", "carry_cut": "adder", "aca": "adder", "gear": "adder",
}

#: families whose numpy model is cheap enough (about 20 ns per pair or less, statistics
#: included) that up to 2^24 pairs (12x12) finish sooner on the numpy path than numba loads
NUMPY_CHEAP = frozenset({"exact", "exact_add", "carry_cut", "trunc_add", "nza", "eta1", "loa",
                         "gear", "operand_truncation", "truncated", "perforated",
                         "reconfigurable", "aca", "drum"})

#: fewest operand pairs for the fast path: of the families in NUMPY_CHEAP, and of the others
MIN_PAIRS_CHEAP = 1 << 25
MIN_PAIRS = 1 << 20

#: largest total operand width a plan handles (|ED| and every table entry fit int64 easily)
MAX_BITS = 32

_HERE = Path(__file__).parent
_ready = False


def _cache_path() -> str:
    import numba

    from axhdl.results import cache_dir

    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    tag = digest.hexdigest()[:16]
    fallback = Path(tempfile.gettempdir()) / f"axhdl-numba-{os.getuid()}"
    for root in (cache_dir() / "numba", fallback):
        target = root / tag
        try:
            target.mkdir(parents=True, exist_ok=True)
            probe = target / ".write-test"
            probe.write_text("")
            probe.unlink()
            return str(target)
        except OSError:
            continue
    return ""


def _setup() -> None:
    """Point numba's cache at a writable directory before any kernel module is imported."""
    global _ready
    if _ready:
        return
    if not os.environ.get("NUMBA_CACHE_DIR"):
        path = _cache_path()
        if path:
            import numba

            os.environ["NUMBA_CACHE_DIR"] = path
            numba.config.CACHE_DIR = path
    _ready = True


def min_pairs(unit) -> int:
    """Fewest operand pairs from which exhaustive evaluation of ``unit`` takes its fast path
    (a fixed rule per family, so a unit's numbers never depend on the machine's speed)."""
    return MIN_PAIRS_CHEAP if unit.family in NUMPY_CHEAP else MIN_PAIRS


def has_kernel(unit) -> bool:
    """Whether ``unit`` has a compiled fast path (without importing numba): a family listed in
    :data:`KERNEL_FAMILIES`, or one whose ``model_polynomial()`` has at most one bit of b per
    monomial (field-additive, :class:`.tables.FieldsPlan`)."""
    if unit.kind not in ("multiplier", "adder") or unit.a_width + unit.b_width > MAX_BITS:
        return False
    if unit.family in KERNEL_FAMILIES:
        return True
    poly = unit.model_polynomial()
    return poly is not None and all(sum(1 for v in key if v[0] == "b") <= 1 for key in poly)


def plan_for(unit, controls: dict | None = None):
    """The fast-path plan of ``unit`` (None when it has none); imports numba."""
    if not has_kernel(unit):
        return None
    _setup()
    controls = dict(controls or {})
    kind = KERNEL_FAMILIES.get(unit.family, "fields")
    if kind in ("fields", "fields-signmag"):
        from .tables import FieldsPlan

        if controls and unit.family != "reconfigurable":
            return None
        return FieldsPlan(unit, controls, signmag=kind == "fields-signmag")
    if controls:
        return None
    if kind == "separable":
        from .tables import SeparablePlan

        return SeparablePlan(unit, controls)
    if kind == "lowpart":
        from .tables import LowPartPlan

        return LowPartPlan(unit, controls) if LowPartPlan.fits(unit) else None
    if kind == "adder":
        from .adders import AdderPlan

        return AdderPlan(unit, controls)
    from .log import LogPlan

    return LogPlan(unit, controls)


def new_state() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed accumulator state (see :mod:`._core`)."""
    return (np.zeros(5, dtype=np.int64), np.zeros(2, dtype=np.uint64),
            np.zeros(7, dtype=np.float64))


def run_rows(plan, a: np.ndarray, b: np.ndarray, tile: int, state=None):
    """Every pair of ``a`` × ``b`` through ``plan`` into the accumulator state (returned),
    in tiles of the numpy path's geometry: ``cols = min(b.size, tile)`` values of b times
    ``max(1, tile // cols)`` rows of a. At most 2^28 pairs per call (Σ ED and Σ |ED| are
    int64 within it; the engine's tasks have 2^22)."""
    from ._core import accumulate

    ist, ust, fst = new_state() if state is None else state
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if not a.size or not b.size:
        return ist, ust, fst
    if a.size * b.size > 1 << 28:
        raise ValueError(f"run_rows takes at most 2^28 pairs, not {a.size * b.size}")
    cols = min(b.size, tile)
    rows = max(1, tile // cols)
    out = np.empty((rows, b.size), dtype=np.int64)
    buf = np.empty(rows * cols, dtype=np.float64)  # RED values
    wbuf = np.empty(rows * cols, dtype=np.float64)  # their weights
    prep = plan.prepare(a)
    for r in range(0, a.size, rows):
        r1 = min(r + rows, a.size)
        block = out[:r1 - r]
        plan.fill(prep, r, r1, a, b, block)
        accumulate(a[r:r1], b, block, cols, plan.op, ist, ust, fst, buf, wbuf)
    return ist, ust, fst
