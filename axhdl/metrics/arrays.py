"""Output error of whole GEMMs (``systolic`` arrays) and dot products (``mac`` units).

An array is characterized by what it computes, not by one product: ED = approx − exact per
*output element*, where ``approx`` is the array's golden model (``unit.model(A, W)``: every
product from the multiplier's model, every sum from the adder's, in the hardware's order,
wrapped to ``acc_width`` bits, K zero-padded as the host procedure pads it) and ``exact`` the
true, unwrapped result (``unit.exact``: ``A @ W`` for a GEMM, ``Σ_k a_k·b_k`` for a MAC).

The operands are seeded uniform random matrices over the operand ranges, or matrices from a
``.npz`` file (arrays ``A`` and ``W``). The keys are those of unit metrics
(:data:`~axhdl.metrics.definitions.METRIC_KEYS`, same definitions, computed by
:func:`~axhdl.metrics.accumulate.error_metrics` over all output elements with the operation's
``error_scale`` = 2^acc_width) plus ``snr_db`` = 10·log10(Σ exact² / Σ ED²) (``+inf`` when
every output is exact). ``nmed`` keeps its range-based normaliser: max|exact| over the operand
range, here K · max|a·b|.

Random operands (reproducible): ``rng = numpy.random.default_rng(seed)``, then
``A = rng.integers(a_lo, a_hi, size=(S, M, K), endpoint=True)`` and
``W = rng.integers(b_lo, b_hi, size=(S, K, N), endpoint=True)`` (``(S, K)`` each for a MAC):
``S`` GEMMs (dot products), drawn at once.

Confidence intervals: the S GEMMs (dot products) are independent, the outputs of one GEMM are
not (they share rows of A and columns of W), so the 95 % intervals of ``er``, ``mean_ed``,
``mae`` and ``mse`` are batch-means intervals over the S per-GEMM means (normal approximation,
mean ± 1.96·s/√S). A sampled ``wce`` is a lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from axhdl.errors import InputError

from .accumulate import error_metrics
from .definitions import METRIC_KEYS, Z95

__all__ = [
    "ARRAY_KINDS",
    "ARRAY_METRIC_KEYS",
    "ARRAY_CI_KEYS",
    "GemmMetricsResult",
    "is_array_unit",
    "default_shape",
    "default_samples",
    "resolve_shape",
    "random_operands",
    "load_operands",
    "check_operands",
    "gemm_metrics",
    "snr_db",
]

#: operation kinds characterized here: multiply-accumulate (``mac``) and matrix product
ARRAY_KINDS = ("mac", "gemm")

#: the keys of an array's metrics, in report order
ARRAY_METRIC_KEYS = (*METRIC_KEYS, "snr_db")

#: keys with a batch-means 95 % interval (random operands, at least 2 GEMMs / dot products)
ARRAY_CI_KEYS = ("er", "mean_ed", "mae", "mse")

#: default number of random GEMMs (``gemm``) or dot products (``mac``)
DEFAULT_SAMPLES = {"gemm": 100, "mac": 10000}

#: default dot-product length of a MAC
DEFAULT_MAC_K = 64

#: output elements evaluated per call of the golden model (bounds its temporary arrays)
CHUNK_MACS = 1 << 22


def is_array_unit(unit) -> bool:
    """Whether ``unit`` computes dot products or GEMMs (a ``mac`` or an array)."""
    return unit.operation.kind in ARRAY_KINDS


def _require_array(unit) -> None:
    if not is_array_unit(unit):
        raise InputError(
            f"{unit.spec} is a {unit.kind}, not a MAC or an array; GEMM metrics are for "
            f"mac and systolic specs (use characterize() for single units)"
        )


def default_shape(unit) -> dict[str, int]:
    """The operand shape used when none is given.

    ``mac``: ``{"k": 64}`` (dot products of 64 terms). Arrays: ``K = 2·rows`` and
    ``N = 2·cols`` (two tiles of each, so the partial-sum chaining and the N tiling are
    exercised), ``M = 4·max(rows, cols)`` (a long activation stream per weight tile)."""
    if unit.operation.kind == "mac":
        return {"k": DEFAULT_MAC_K}
    rows, cols = getattr(unit, "rows", 4), getattr(unit, "cols", 4)
    return {"m": 4 * max(rows, cols), "k": 2 * rows, "n": 2 * cols}


def default_samples(unit) -> int:
    """Random GEMMs (arrays) or dot products (``mac``) drawn when none are asked for."""
    return DEFAULT_SAMPLES[unit.operation.kind]


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer, not {value!r}")
    return int(value)


def resolve_shape(unit, m=None, k=None, n=None) -> dict[str, int]:
    """:func:`default_shape` with the given ``m``, ``k``, ``n`` in place of the defaults
    (``InputError`` for a value that is not a positive integer, or ``m``/``n`` of a MAC)."""
    shape = default_shape(unit)
    given = {"m": m, "k": k, "n": n}
    for key, value in given.items():
        if value is None:
            continue
        if key not in shape:
            raise InputError(
                f"--{key} does not apply to {unit.family} (a MAC computes dot products of "
                f"length --k)"
            )
        shape[key] = _positive(f"--{key}", value)
    return shape


def random_operands(unit, shape: dict[str, int], samples: int, seed: int):
    """Seeded uniform operands: ``(A, W)`` of shapes (S, M, K), (S, K, N) (arrays) or (S, K),
    (S, K) (``mac``), drawn as the module docstring says."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    rng = np.random.default_rng(seed)
    if unit.operation.kind == "mac":
        a_shape = w_shape = (samples, shape["k"])
    else:
        a_shape = (samples, shape["m"], shape["k"])
        w_shape = (samples, shape["k"], shape["n"])
    a = rng.integers(alo, ahi, size=a_shape, endpoint=True, dtype=np.int64)
    w = rng.integers(blo, bhi, size=w_shape, endpoint=True, dtype=np.int64)
    return a, w


def _as_integers(name: str, arr, source: str) -> np.ndarray:
    arr = np.asarray(arr)
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(
        arr == np.round(arr)
    ):
        return arr.astype(np.int64)
    raise InputError(f"{source}: array {name} must hold integers, not {arr.dtype}")


def check_operands(unit, a, w, source: str = "operands") -> tuple[np.ndarray, np.ndarray]:
    """``(A, W)`` as int64 arrays with a leading sample axis, checked against ``unit``:
    integers inside the operand ranges; arrays: ``A`` (M, K) or (S, M, K), ``W`` (K, N) or
    (S, K, N) with equal K (and S, where both have it); ``mac``: ``A`` and ``W`` (K,) or
    (S, K). ``InputError`` naming ``source`` and the rule otherwise."""
    _require_array(unit)
    a = _as_integers("A", a, source)
    w = _as_integers("W", w, source)
    mac = unit.operation.kind == "mac"
    if mac:
        if a.ndim not in (1, 2) or w.ndim not in (1, 2) or a.shape[-1] != w.shape[-1] \
                or a.shape[-1] == 0:
            raise InputError(
                f"{source}: a MAC needs A and W of shape (K,) or (S, K) with the same K >= 1 "
                f"(one dot product per row), not {a.shape} and {w.shape}"
            )
        a, w = np.atleast_2d(a), np.atleast_2d(w)
        lead_a, lead_w = a.shape[:-1], w.shape[:-1]
    else:
        if a.ndim not in (2, 3) or w.ndim not in (2, 3) or a.shape[-1] != w.shape[-2] \
                or 0 in a.shape or 0 in w.shape:
            raise InputError(
                f"{source}: a GEMM needs A of shape (M, K) or (S, M, K) and W of shape "
                f"(K, N) or (S, K, N) with the same K and no empty axis, not {a.shape} and "
                f"{w.shape}"
            )
        a = a if a.ndim == 3 else a[None]
        w = w if w.ndim == 3 else w[None]
        lead_a, lead_w = a.shape[:1], w.shape[:1]
    if lead_a != lead_w and 1 not in (lead_a[0], lead_w[0]):
        raise InputError(
            f"{source}: A holds {lead_a[0]} and W {lead_w[0]} "
            f"{'dot products' if mac else 'matrices'}; give the same number, or one of W "
            f"(or A) for all"
        )
    s = max(lead_a[0], lead_w[0])
    a = np.broadcast_to(a, (s, *a.shape[1:]))
    w = np.broadcast_to(w, (s, *w.shape[1:]))
    for name, arr, (lo, hi), width in (
        ("A", a, unit.operand_ranges()[0], unit.a_width),
        ("W", w, unit.operand_ranges()[1], unit.b_width),
    ):
        if arr.size and (arr.min() < lo or arr.max() > hi):
            bad = arr[(arr < lo) | (arr > hi)][0]
            kind = "signed" if unit.signed else "unsigned"
            raise InputError(
                f"{source}: array {name} holds {int(bad)}, outside {lo}..{hi} ({width}-bit "
                f"{kind} operand)"
            )
    return np.ascontiguousarray(a), np.ascontiguousarray(w)


def load_operands(path: str | Path, unit, what: str = "Operand file"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(A, W)`` from a ``.npz`` file with arrays ``A`` and ``W`` (see :func:`check_operands`
    for the shapes); ``InputError`` naming the file (as ``what``) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"{what} {path} is not a .npz file: {e}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise InputError(
            f"{what} {path} must be a .npz file with arrays 'A' and 'W', not a single "
            f".npy array"
        )
    with data:
        missing = [k for k in ("A", "W") if k not in data.files]
        if missing:
            raise InputError(
                f"{what} {path} must hold arrays 'A' and 'W'; missing "
                f"{', '.join(repr(m) for m in missing)} (it holds "
                f"{', '.join(repr(f) for f in data.files) or 'nothing'})"
            )
        a, w = data["A"], data["W"]
    return check_operands(unit, a, w, f"{what} {path}")


def snr_db(exact: np.ndarray, ed: np.ndarray) -> float:
    """10·log10(Σ exact² / Σ ED²) in dB; ``+inf`` when every ED is 0 (``-inf`` when the
    exact results are all 0 but some ED is not)."""
    ed_f = np.asarray(ed, dtype=np.float64).ravel()
    noise = float(np.dot(ed_f, ed_f))
    if noise == 0.0:
        return math.inf
    ex = np.asarray(exact, dtype=np.float64).ravel()
    signal = float(np.dot(ex, ex))
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


@dataclass
class GemmMetricsResult:
    """What :func:`gemm_metrics` found: the metrics (:data:`ARRAY_METRIC_KEYS`) over every
    output element, and how they were obtained."""

    metrics: dict[str, float]
    #: "monte-carlo" (seeded random operands) or "operands" (given matrices or a file)
    method: str
    #: "gemm" or "mac"
    operation: str
    #: GEMMs (arrays) or dot products (``mac``) evaluated
    samples: int
    #: output elements compared
    outputs: int
    #: multiply-accumulate operations performed by the exact computation (S·M·K·N or S·K)
    macs: int
    shape: dict[str, int]
    seed: int | None = None
    source: dict | None = None
    ci95: dict[str, list[float]] | None = None

    #: the maximum is taken over a finite sample of matrices
    wce_lower_bound: bool = True

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "metrics": dict(self.metrics),
            "method": self.method,
            "operation": self.operation,
            "samples": self.samples,
            "outputs": self.outputs,
            "macs": self.macs,
            "shape": dict(self.shape),
            "wce_lower_bound": self.wce_lower_bound,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        if self.source is not None:
            out["source"] = dict(self.source)
        out["ci95"] = self.ci95
        return out


def _evaluate(unit, a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Golden model and exact result, in chunks of at most :data:`CHUNK_MACS` MACs."""
    s = a.shape[0]
    per_sample = a[0].size * (w.shape[-1] if unit.operation.kind == "gemm" else 1)
    step = max(1, CHUNK_MACS // max(per_sample, 1))
    approx, exact = [], []
    for i in range(0, s, step):
        x, y = a[i:i + step], w[i:i + step]
        approx.append(np.asarray(unit.model(x, y), dtype=np.int64))
        exact.append(np.asarray(unit.exact(x, y), dtype=np.int64))
    return np.concatenate(approx), np.concatenate(exact)


def _range_max_exact(unit, k: int) -> float:
    """max|exact| over the operand range: K times the largest |a·b| (a corner product)."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    return float(k * max(abs(x * y) for x in (alo, ahi) for y in (blo, bhi)))


def _batch_intervals(ed: np.ndarray) -> dict[str, list[float]]:
    """95 % batch-means intervals: ``ed`` has one row per independent GEMM / dot product."""
    s = ed.shape[0]
    rows = ed.reshape(s, -1).astype(np.float64)
    per = {
        "er": (rows != 0).mean(axis=1),
        "mean_ed": rows.mean(axis=1),
        "mae": np.abs(rows).mean(axis=1),
        "mse": (rows * rows).mean(axis=1),
    }
    out = {}
    for key in ARRAY_CI_KEYS:
        x = per[key]
        mean = float(x.mean())
        half = Z95 * float(x.std(ddof=1)) / math.sqrt(s)
        lo, hi = mean - half, mean + half
        if key in ("er",):
            lo, hi = max(0.0, lo), min(1.0, hi)
        elif key in ("mae", "mse"):
            lo = max(0.0, lo)
        out[key] = [lo, hi]
    return out


def gemm_metrics(
    unit,
    *,
    samples: int | None = None,
    m: int | None = None,
    k: int | None = None,
    n: int | None = None,
    seed: int = 0,
    a=None,
    w=None,
    workload: str | Path | None = None,
) -> GemmMetricsResult:
    """Error metrics of the outputs of ``unit`` (a ``mac`` or an array) over GEMMs.

    Operands, one of: ``samples`` seeded random GEMMs (dot products for a MAC) of shape
    ``m``×``k`` by ``k``×``n`` (defaults: :func:`default_shape`, :func:`default_samples`);
    ``a`` and ``w`` given as arrays (:func:`check_operands`); or ``workload``, a ``.npz`` file
    with arrays ``A`` and ``W``. See the module docstring for the definitions.
    """
    _require_array(unit)
    kind = unit.operation.kind
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"Seed must be a non-negative integer, not {seed!r}")
    given = workload is not None or a is not None or w is not None
    if given:
        if samples is not None or any(v is not None for v in (m, k, n)):
            raise InputError(
                "Give either operand matrices (a file) or random ones (samples, --m/--k/--n), "
                "not both"
            )
        if workload is not None:
            if a is not None or w is not None:
                raise InputError("Give the operands either as arrays or as a file, not both")
            a, w = load_operands(workload, unit)
            source = {"kind": "file", "path": str(workload)}
            from axhdl.results import file_hash

            source["sha256"] = file_hash(workload)
        else:
            if a is None or w is None:
                raise InputError("Give both operand arrays, a and w")
            a, w = check_operands(unit, a, w)
            source = {"kind": "arrays"}
        method = "operands"
        seed_used = None
    else:
        shape = resolve_shape(unit, m, k, n)
        samples = default_samples(unit) if samples is None else _positive("samples", samples)
        a, w = random_operands(unit, shape, samples, int(seed))
        source = None
        method = "monte-carlo"
        seed_used = int(seed)
    s = a.shape[0]
    if kind == "mac":
        shape = {"k": a.shape[-1]}
        macs = s * a.shape[-1]
    else:
        shape = {"m": a.shape[-2], "k": a.shape[-1], "n": w.shape[-1]}
        macs = s * shape["m"] * shape["k"] * shape["n"]
    approx, exact = _evaluate(unit, a, w)
    metrics = error_metrics(approx, exact, scale=unit.operation.error_scale)
    max_exact = _range_max_exact(unit, shape["k"])
    metrics["nmed"] = metrics["mae"] / max_exact if max_exact else 0.0
    ed = approx - exact
    metrics["snr_db"] = snr_db(exact, ed)
    ci = _batch_intervals(ed) if method == "monte-carlo" and s >= 2 else None
    return GemmMetricsResult(
        metrics={key: metrics[key] for key in ARRAY_METRIC_KEYS},
        method=method,
        operation=kind,
        samples=s,
        outputs=int(exact.size),
        macs=int(macs),
        shape=shape,
        seed=seed_used,
        source=source,
        ci95=ci,
    )
