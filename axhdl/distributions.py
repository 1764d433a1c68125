"""Operand distributions: which operand pairs a unit sees, and how often.

Error metrics averaged over uniformly distributed operands say little about a unit inside a
DNN, whose activations and weights are far from uniform. Vasicek, Mrazek and Sekanina
("Automated circuit approximation method driven by data distribution", DATE 2019) weight every
operand pair by its probability, e.g. the weighted mean error distance (WMED). A
:class:`Distribution` holds those probabilities; :mod:`axhdl.metrics` turns every metric into
its weighted form with it.

File formats (numpy ``.npy`` / ``.npz``; "code" = the operand's bit pattern, two's complement
for signed operands, so code ``2^n - 1`` of a signed operand is the value -1):

* one operand (``--dist-a`` / ``--dist-b``):

  - ``.npy``: a 1-D integer array of *samples*: operand values (signed values for signed
    units), each in the operand's range;
  - ``.npz`` holding exactly one array, named ``samples`` (as above) or ``histogram``: a 1-D
    array of ``2^n`` finite, non-negative weights indexed by code, not all zero.

* both operands jointly (``--dist-joint``):

  - ``.npy``: a 2-D *histogram* of shape ``(2^na, 2^nb)`` indexed ``[code_a, code_b]``;
  - ``.npz`` holding exactly one array, ``histogram`` (as above) or ``samples``: an integer
    array of shape ``(N, 2)``, one ``(a, b)`` value pair per row.

Samples become histograms (counts per code). Weights need not be normalised: a
:class:`Distribution` normalises them to probabilities first (an exact power-of-two rescaling,
then a division by their sum), so any positive scaling of the weights, 1e-300 or 1e300, gives
the same metrics and draws the same samples: bit for bit when the scale is a power of two, to
the rounding of the scaled weights otherwise. Which pairs have a positive weight (what maxima
such as ``wce`` range over) is read from the weights as given, so a probability too small for
a float (a product of two tiny marginals) still counts as possible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError
from .results import file_hash, load_numpy
from .unit import operand_range, to_code

__all__ = [
    "MAX_DIST_ENTRIES",
    "Distribution",
    "normalised",
    "load_marginal",
    "load_joint",
    "histogram_from_samples",
    "distribution_from_files",
]

#: the largest histogram held in memory (entries of one marginal or of the joint table)
MAX_DIST_ENTRIES = 1 << 24


def histogram_from_samples(values, width: int, is_signed: bool) -> np.ndarray:
    """Counts of each code of a ``width``-bit operand in ``values`` (float64, length 2^width)."""
    codes = to_code(np.asarray(values, dtype=np.int64).ravel(), width)
    return np.bincount(codes, minlength=1 << width).astype(np.float64)


def _read(path: Path, what: str):
    data = load_numpy(path, f"{what} file")
    if not isinstance(data, dict):
        return None, data
    keys = sorted(data)
    if len(keys) != 1 or keys[0] not in ("samples", "histogram"):
        raise InputError(
            f"{path}: a .npz {what} must hold exactly one array, named 'samples' or "
            f"'histogram', not {keys}"
        )
    return keys[0], data[keys[0]]


def _check_integer_samples(path: Path, arr: np.ndarray, shape_rule: str, ok_shape: bool):
    if not ok_shape or arr.dtype.kind not in "iub":
        raise InputError(
            f"{path}: samples must be {shape_rule}, not shape {arr.shape} of {arr.dtype}"
        )
    if arr.size == 0:
        raise InputError(f"{path}: samples must not be empty")
    return arr.astype(np.int64)


def _check_range(path: Path, values: np.ndarray, width: int, is_signed: bool, operand: str):
    lo, hi = operand_range(width, is_signed)
    bad = (values < lo) | (values > hi)
    if bad.any():
        v = int(values[np.argmax(bad)])
        kind = "signed" if is_signed else "unsigned"
        raise InputError(
            f"{path}: sample value {v} is outside the range {lo}..{hi} of the {width}-bit "
            f"{kind} operand {operand}"
        )


def _check_histogram(path: Path, arr: np.ndarray, shape: tuple[int, ...], rule: str):
    if arr.shape != shape or arr.dtype.kind not in "iufb":
        raise InputError(
            f"{path}: a histogram {rule} must be numeric of shape {shape}, "
            f"not shape {arr.shape} of {arr.dtype}"
        )
    h = arr.astype(np.float64)
    if not np.isfinite(h).all():
        idx = np.unravel_index(int(np.argmax(~np.isfinite(h))), h.shape)
        raise InputError(f"{path}: histogram weights must be finite, but entry {_idx(idx)} "
                         f"is {h[idx]}")
    if (h < 0).any():
        idx = np.unravel_index(int(np.argmax(h < 0)), h.shape)
        raise InputError(f"{path}: histogram weights must be non-negative, but entry "
                         f"{_idx(idx)} is {arr[idx]}")
    if not (h > 0).any():
        raise InputError(f"{path}: histogram weights are all zero")
    return h


def _idx(idx: tuple) -> str:
    return str(int(idx[0])) if len(idx) == 1 else str(tuple(int(i) for i in idx))


def _limit(entries: int, what: str) -> None:
    if entries > MAX_DIST_ENTRIES:
        raise InputError(
            f"{what}: a distribution over {entries} codes is larger than the 2^24 supported"
        )


def load_marginal(path, width: int, is_signed: bool, operand: str) -> np.ndarray:
    """Weights of each code of one operand from a samples or histogram file (length 2^width).

    ``operand`` (``"a"`` or ``"b"``) only names the operand in error messages."""
    path = Path(path)
    _limit(1 << width, f"operand {operand} ({width} bits)")
    key, arr = _read(path, f"distribution of operand {operand}")
    if key in (None, "samples"):
        values = _check_integer_samples(path, arr, "a 1-D array of integer operand values",
                                        arr.ndim == 1)
        _check_range(path, values, width, is_signed, operand)
        return histogram_from_samples(values, width, is_signed)
    n = 1 << width
    return _check_histogram(path, arr, (n,),
                            f"of operand {operand} ({width} bits: one entry per code)")


def load_joint(path, na: int, nb: int, is_signed: bool) -> np.ndarray:
    """Weights of each ``[code_a, code_b]`` pair from a joint histogram or pair-samples file."""
    path = Path(path)
    _limit(1 << (na + nb), f"joint distribution ({na}+{nb} bits)")
    key, arr = _read(path, "joint distribution")
    if key == "samples":
        pairs = _check_integer_samples(path, arr, "an integer array of shape (N, 2)",
                                       arr.ndim == 2 and arr.shape[1:] == (2,))
        _check_range(path, pairs[:, 0], na, is_signed, "a")
        _check_range(path, pairs[:, 1], nb, is_signed, "b")
        codes = to_code(pairs[:, 0], na) << nb | to_code(pairs[:, 1], nb)
        counts = np.bincount(codes, minlength=1 << (na + nb)).astype(np.float64)
        return counts.reshape(1 << na, 1 << nb)
    return _check_histogram(path, arr, (1 << na, 1 << nb),
                            "of both operands (indexed [code_a, code_b])")


def normalised(weights, what: str) -> np.ndarray:
    """``weights`` (finite, non-negative, not all zero) as probabilities summing to 1.

    The weights are first rescaled by the power of two that brings the largest into [0.5, 1)
    (exact, so neither tiny nor huge weights lose digits or overflow the sum), then divided by
    their sum. ``what`` names the weights in the ``ValueError`` raised for bad ones."""
    w = np.array(weights, dtype=np.float64)
    if not np.isfinite(w).all():
        idx = np.unravel_index(int(np.argmax(~np.isfinite(w))), w.shape)
        raise ValueError(f"Weights of {what} must be finite: entry {_idx(idx)} is {w[idx]}")
    if (w < 0).any():
        idx = np.unravel_index(int(np.argmax(w < 0)), w.shape)
        raise ValueError(f"Weights of {what} must be non-negative: entry {_idx(idx)} is "
                         f"{w[idx]}")
    if not w.size or not (w > 0).any():
        raise ValueError(f"Weights of {what} are all zero")
    _, exp = np.frexp(w.max())
    w = np.ldexp(w, -int(exp))
    return w / w.sum()


class Distribution:
    """Probability weights of operand pairs: two independent marginals or one joint table.

    ``pa`` / ``pb``: weights over the codes of a / b (None = uniform); ``joint``: weights over
    ``[code_a, code_b]`` (excludes ``pa``/``pb``). Weights need not sum to 1: they are held as
    probabilities (:func:`normalised`), so scaling them changes nothing.
    """

    def __init__(self, a_width: int, b_width: int, is_signed: bool, *, pa=None, pb=None,
                 joint=None, sources: dict | None = None):
        if joint is not None and (pa is not None or pb is not None):
            raise ValueError("A joint distribution excludes per-operand ones")
        self.a_width, self.b_width, self.signed = a_width, b_width, is_signed
        self.pa = None if pa is None else normalised(pa, "operand a")
        self.pb = None if pb is None else normalised(pb, "operand b")
        self.joint = None if joint is None else normalised(joint, "the operand pairs")
        # which codes have a positive weight, from the weights as given (a probability can
        # underflow, its pair is still possible)
        self._pos_a = None if pa is None else np.asarray(pa, dtype=np.float64) > 0
        self._pos_b = None if pb is None else np.asarray(pb, dtype=np.float64) > 0
        self._pos_joint = None if joint is None else np.asarray(joint, dtype=np.float64) > 0
        self.sources = dict(sources or {})
        self._cdf_cache: dict[str, np.ndarray] = {}

    @property
    def uniform(self) -> bool:
        return self.pa is None and self.pb is None and self.joint is None

    def describe(self) -> dict:
        """What the distribution is, for provenance: kind and the files with their hashes."""
        if self.uniform:
            return {"kind": "uniform"}
        kind = "joint" if self.joint is not None else "independent"
        return {"kind": kind, **self.sources}

    # -- weights over operand values ------------------------------------------------------

    def row_weights(self, a_vals: np.ndarray) -> np.ndarray:
        """Probability of each operand-a value (its marginal; 1 each when uniform)."""
        ca = to_code(a_vals, self.a_width)
        if self.joint is not None:
            return self.joint.sum(axis=1)[ca]
        if self.pa is not None:
            return self.pa[ca]
        return np.ones(ca.shape)

    def col_weights(self, b_vals: np.ndarray) -> np.ndarray:
        """Probability of each operand-b value (its marginal; 1 each when uniform)."""
        cb = to_code(b_vals, self.b_width)
        if self.joint is not None:
            return self.joint.sum(axis=0)[cb]
        if self.pb is not None:
            return self.pb[cb]
        return np.ones(cb.shape)

    def row_support(self, a_vals: np.ndarray) -> np.ndarray:
        """Whether each operand-a value has a positive weight (in some pair)."""
        ca = to_code(a_vals, self.a_width)
        if self._pos_joint is not None:
            return self._pos_joint.any(axis=1)[ca]
        if self._pos_a is not None:
            return self._pos_a[ca]
        return np.ones(ca.shape, dtype=bool)

    def col_support(self, b_vals: np.ndarray) -> np.ndarray:
        """Whether each operand-b value has a positive weight (in some pair)."""
        cb = to_code(b_vals, self.b_width)
        if self._pos_joint is not None:
            return self._pos_joint.any(axis=0)[cb]
        if self._pos_b is not None:
            return self._pos_b[cb]
        return np.ones(cb.shape, dtype=bool)

    def support(self, a_vals: np.ndarray, b_vals: np.ndarray) -> np.ndarray:
        """Whether each pair ``a_vals × b_vals`` has a positive weight (its probability may
        still round to 0.0)."""
        if self._pos_joint is not None:
            ca = to_code(a_vals, self.a_width)
            cb = to_code(b_vals, self.b_width)
            return self._pos_joint[np.ix_(ca, cb)]
        return np.outer(self.row_support(a_vals), self.col_support(b_vals))

    def tile(self, a_vals: np.ndarray, b_vals: np.ndarray) -> np.ndarray:
        """Weights of the pairs ``a_vals × b_vals`` (shape ``(len(a_vals), len(b_vals))``)."""
        if self.joint is not None:
            ca = to_code(a_vals, self.a_width)
            cb = to_code(b_vals, self.b_width)
            return self.joint[np.ix_(ca, cb)]
        return np.outer(self.row_weights(a_vals), self.col_weights(b_vals))

    # -- sampling -------------------------------------------------------------------------

    def _codes(self, rng: np.random.Generator, weights: np.ndarray, key: str, n: int):
        cdf = self._cdf_cache.get(key)
        if cdf is None:
            cdf = np.cumsum(weights)
            cdf /= cdf[-1]
            self._cdf_cache[key] = cdf
        idx = np.searchsorted(cdf, rng.random(n), side="right")
        return np.minimum(idx, cdf.size - 1)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` operand-value pairs drawn from the distribution."""
        from .unit import from_code

        na, nb, s = self.a_width, self.b_width, self.signed
        if self.joint is not None:
            flat = self._codes(rng, self.joint.ravel(), "joint", n)
            ca, cb = flat >> nb, flat & ((1 << nb) - 1)
            return from_code(ca, na, s), from_code(cb, nb, s)
        if self.pa is not None:
            a = from_code(self._codes(rng, self.pa, "a", n), na, s)
        else:
            lo, hi = operand_range(na, s)
            a = rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64)
        if self.pb is not None:
            b = from_code(self._codes(rng, self.pb, "b", n), nb, s)
        else:
            lo, hi = operand_range(nb, s)
            b = rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64)
        return a, b


def distribution_from_files(unit, dist_a=None, dist_b=None, joint=None) -> Distribution | None:
    """The distribution the ``--dist-a`` / ``--dist-b`` / ``--dist-joint`` files describe
    (None when no file is given: uniform)."""
    if joint is not None and (dist_a is not None or dist_b is not None):
        raise InputError("Give either a joint distribution or per-operand ones, not both")
    if joint is None and dist_a is None and dist_b is None:
        return None
    sources = {}
    if joint is not None:
        w = load_joint(joint, unit.a_width, unit.b_width, unit.signed)
        sources["joint"] = {"path": str(joint), "sha256": file_hash(joint)}
        return Distribution(unit.a_width, unit.b_width, unit.signed, joint=w, sources=sources)
    pa = pb = None
    if dist_a is not None:
        pa = load_marginal(dist_a, unit.a_width, unit.signed, "a")
        sources["a"] = {"path": str(dist_a), "sha256": file_hash(dist_a)}
    if dist_b is not None:
        pb = load_marginal(dist_b, unit.b_width, unit.signed, "b")
        sources["b"] = {"path": str(dist_b), "sha256": file_hash(dist_b)}
    return Distribution(unit.a_width, unit.b_width, unit.signed, pa=pa, pb=pb, sources=sources)
