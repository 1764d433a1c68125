"""Error metrics of approximate units (DESIGN.md §3, EvoApproxLib conventions).

With ED = approx − exact over all operand pairs (or a sample), optionally weighted by an
operand distribution, every key of the pinned table is computed. The keys, units and
conventions are public interface:

``er`` P(ED ≠ 0); ``mean_ed`` E[ED]; ``var_ed`` Var(ED) (population); ``mse`` E[ED²];
``rms_ed`` √mse; ``mae`` E|ED| (MED); ``var_aed`` Var|ED|; ``wce`` max|ED|; over pairs with
exact ≠ 0 only, RED = ED / exact: ``mred`` E|RED|, ``mean_red`` E[RED], ``var_red`` Var(RED),
``rms_red`` √E[RED²], ``wcre`` max|RED|; ``nmed`` mae / max|exact| (max over the operand
range); ``mae_pct`` / ``wce_pct`` 100·mae / 2^(na+nb) and 100·wce / 2^(na+nb) (EvoApproxLib's
normalisation); ``ep_pct`` 100·er; ``mre_pct`` 100·mred.

Weighted by a distribution D (:mod:`axhdl.distributions`), every expectation, probability and
variance is taken under D (WMED and the rest, Vasicek et al., DATE 2019); maxima are taken over
the pairs D gives a positive weight.

How it is computed (:func:`characterize`):

* exhaustively, in tiles of at most 2^13 operand pairs (a block of operand-a rows times a block
  of operand-b values), so memory stays bounded for any total width up to 32 bits, on several
  processes (tasks of rows of a, merged in a fixed order: the numbers do not depend on the
  number of workers);
* or by Monte-Carlo sampling (``samples``, ``seed``) for any width, with 95 % confidence
  intervals and the sampled WCE flagged as a lower bound.

Precision. Without weights, Σ ED, Σ |ED| and Σ ED² are accumulated as exact integers (numpy
int64 within a tile, with the squares split into limbs so that no partial sum overflows; Python
integers across tiles), so ``er``, ``mean_ed``, ``var_ed``, ``mse``, ``mae``, ``var_aed`` and
``wce`` are the exact rational values rounded once to float64. RED statistics, and every
statistic under a distribution, are float64: each tile contributes its weight, its mean and its
sum of squared deviations from that mean, and tiles are merged with the pairwise update of Chan,
Golub and LeVeque (1979), so variances never come from the cancellation-prone E[X²] − E[X]²;
the relative error is a few ulp times log2(pairs).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError

__all__ = [
    "METRIC_KEYS",
    "CI_KEYS",
    "MAX_EXHAUSTIVE",
    "MAX_STREAMED_WIDTH",
    "MetricsResult",
    "error_metrics",
    "operand_grid",
    "exhaustive_metrics",
    "characterize",
    "dot_product_error",
    "wilson_interval",
    "default_workers",
]

#: every metric key, in report order
METRIC_KEYS = (
    "er", "ep_pct", "mean_ed", "var_ed", "mse", "rms_ed", "mae", "mae_pct", "var_aed", "wce",
    "wce_pct", "mred", "mre_pct", "mean_red", "var_red", "rms_red", "wcre", "nmed",
)

#: metrics that are means (or monotone functions of one) and get a Monte-Carlo 95 % interval
CI_KEYS = (
    "er", "ep_pct", "mean_ed", "mse", "rms_ed", "mae", "mae_pct", "nmed", "mred", "mre_pct",
    "mean_red", "rms_red",
)

#: largest operand-pair count :func:`operand_grid` materialises in memory
MAX_EXHAUSTIVE = 1 << 24

#: largest total operand width (a_width + b_width) evaluated exhaustively (streamed)
MAX_STREAMED_WIDTH = 32

#: operand pairs per tile: a few int64/float64 arrays of this size stay in the CPU caches
#: (and below the allocator's mmap threshold), which is several times faster than large tiles
TILE = 1 << 13

#: operand pairs per task handed to a worker process (fixed, so results do not depend on
#: the number of workers)
TASK = 1 << 22

#: Monte-Carlo samples drawn per task (each task has its own seed sequence)
SAMPLE_TASK = 1 << 16

#: two-sided 95 % normal quantile
Z95 = 1.959963984540054


def operand_grid(unit) -> tuple[np.ndarray, np.ndarray]:
    """Every operand pair of ``unit`` as flat value arrays (a-major order)."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    total = (ahi - alo + 1) * (bhi - blo + 1)
    if total > MAX_EXHAUSTIVE:
        raise InputError(
            f"{unit.spec}: exhaustive evaluation needs {total} operand pairs, more than the "
            f"{MAX_EXHAUSTIVE} (2^24) allowed in one pass"
        )
    a = np.arange(alo, ahi + 1, dtype=np.int64)
    b = np.arange(blo, bhi + 1, dtype=np.int64)
    return np.repeat(a, b.size), np.tile(b, a.size)


# -- exact integer sums within a tile ---------------------------------------------------------


def _dot(x: np.ndarray, y: np.ndarray):
    """Σ x·y of 1-D arrays in one pass (einsum: no BLAS threads, which stall on busy hosts)."""
    return np.einsum("i,i->", x, y)

_SAFE = 1 << 62


def _isum(x: np.ndarray, maxabs: int) -> int:
    """Σx exactly (int64 partial sums never overflow: large values are split in two limbs)."""
    if maxabs * x.size < _SAFE:
        return int(x.sum())
    lo = x & ((1 << 31) - 1)
    hi = x >> 31
    return (_isum(hi, maxabs >> 31) << 31) + int(lo.sum())


def _isumsq(ax: np.ndarray, maxabs: int) -> int:
    """Σx² exactly for non-negative int64 ``ax`` (limbs of S bits with 2^(2S)·n < 2^62)."""
    n = max(ax.size, 1)
    if maxabs * maxabs * n < _SAFE:
        return int(_dot(ax, ax))
    s = max(1, (62 - n.bit_length()) // 2)
    limbs = []
    rest, m = ax, maxabs
    while m:
        limbs.append(rest & ((1 << s) - 1))
        rest = rest >> s
        m >>= s
    total = 0
    for i, x in enumerate(limbs):
        total += int(_dot(x, x)) << (2 * s * i)
        for j in range(i + 1, len(limbs)):
            total += 2 * int(_dot(x, limbs[j])) << (s * (i + j))
    return total


# -- float moments merged pairwise -------------------------------------------------------------


@dataclass
class _Moments:
    """Total weight, mean and sum of weighted squared deviations, merged with the update of
    Chan, Golub and LeVeque (1979)."""

    w: float = 0.0
    mean: float = 0.0
    m2: float = 0.0

    def merge(self, w: float, mean: float, m2: float) -> None:
        if w <= 0:
            return
        if self.w <= 0:
            self.w, self.mean, self.m2 = w, mean, m2
            return
        total = self.w + w
        delta = mean - self.mean
        self.mean += delta * (w / total)
        self.m2 += m2 + delta * delta * (self.w * w / total)
        self.w = total

    def add(self, x: np.ndarray, wts: np.ndarray | None, zero_weight: float) -> None:
        """Add values ``x`` (weights ``wts``, None = 1 each) plus ``zero_weight`` of zeros."""
        if wts is None:
            total = x.size + zero_weight
            s = float(x.sum())
        else:
            total = float(wts.sum()) + zero_weight
            s = float(_dot(wts, x))
        if total <= 0:
            return
        mean = s / total
        d = x - mean
        m2 = float(_dot(d, d)) if wts is None else float(_dot(wts, d * d))
        self.merge(total, mean, m2 + zero_weight * mean * mean)

    def merge_from(self, other: _Moments) -> None:
        self.merge(other.w, other.mean, other.m2)

    @property
    def var(self) -> float:
        return self.m2 / self.w if self.w > 0 else 0.0


@dataclass
class _VecMoments:
    """:class:`_Moments` for each value of the weight operand (per-weight error statistics)."""

    w: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> _VecMoments:
        return cls(np.zeros(n), np.zeros(n), np.zeros(n))

    def merge(self, idx, w, mean, m2) -> None:
        w0, mean0 = self.w[idx], self.mean[idx]
        total = w0 + w
        safe = np.where(total > 0, total, 1.0)
        delta = mean - mean0
        self.mean[idx] = np.where(w0 > 0, mean0 + delta * (w / safe), mean)
        self.m2[idx] = self.m2[idx] + m2 + np.where(w0 > 0, delta * delta * (w0 * w / safe), 0)
        self.w[idx] = total

    def merge_from(self, other: _VecMoments) -> None:
        self.merge(slice(None), other.w, other.mean, other.m2)


# -- the accumulator ---------------------------------------------------------------------------


@dataclass
class _Partial:
    """Sufficient statistics of the metrics over the pairs seen so far (mergeable)."""

    weighted: bool
    track_ci: bool = False
    pairs: int = 0
    # unweighted: exact integers
    n_err: int = 0
    s1: int = 0
    s2: int = 0
    a1: int = 0
    # weighted: float moments
    w_err: list = field(default_factory=list)
    ed: _Moments = field(default_factory=_Moments)
    aed: _Moments = field(default_factory=_Moments)
    # both
    red: _Moments = field(default_factory=_Moments)
    ared: _Moments = field(default_factory=_Moments)
    ed2: _Moments = field(default_factory=_Moments)
    red2: _Moments = field(default_factory=_Moments)
    wce: int = 0
    wcre: float = 0.0
    per_weight: _VecMoments | None = None

    def merge_from(self, o: _Partial) -> None:
        self.pairs += o.pairs
        self.n_err += o.n_err
        self.s1 += o.s1
        self.s2 += o.s2
        self.a1 += o.a1
        self.w_err.extend(o.w_err)
        for name in ("ed", "aed", "red", "ared", "ed2", "red2"):
            getattr(self, name).merge_from(getattr(o, name))
        self.wce = max(self.wce, o.wce)
        self.wcre = max(self.wcre, o.wcre)
        if o.per_weight is not None:
            if self.per_weight is None:
                self.per_weight = o.per_weight
            else:
                self.per_weight.merge_from(o.per_weight)

    def add(self, ed: np.ndarray, exact: np.ndarray, w: np.ndarray | None = None) -> None:
        """Add paired errors ``ed`` and exact results (same shape); ``w`` weights or None."""
        ed = ed.ravel()
        exact = exact.ravel()
        self.pairs += ed.size
        if w is not None:
            w = w.ravel()
            keep = w > 0
            w_total = float(w.sum())
            w_red_total = float(w[exact != 0].sum())
            sel = keep & (ed != 0)
            e, x, we = ed[sel], exact[sel], w[sel]
        else:
            w_total = float(ed.size)
            w_red_total = float(np.count_nonzero(exact))
            sel = ed != 0
            n_err = int(np.count_nonzero(sel))
            if n_err * 2 < ed.size:
                e, x = ed[sel], exact[sel]
            else:
                e, x = ed, exact
            we = None
        ae = np.abs(e)
        maxabs = int(ae.max()) if ae.size else 0
        self.wce = max(self.wce, maxabs)
        if we is None:
            self.n_err += n_err
            self.s1 += _isum(e, maxabs)
            self.a1 += _isum(ae, maxabs)
            self.s2 += _isumsq(ae, maxabs)
        else:
            self.w_err.append(float(we.sum()))
            ef = e.astype(np.float64)
            zero = max(0.0, w_total - float(we.sum()))
            self.ed.add(ef, we, zero)
            self.aed.add(np.abs(ef), we, zero)
        if self.track_ci:
            ef = e.astype(np.float64)
            zero = max(0.0, w_total - (e.size if we is None else float(we.sum())))
            self.ed2.add(ef * ef, we, zero)
        # relative error over exact != 0 (pairs without error contribute RED = 0)
        nz = x != 0
        if not nz.all():
            e, x = e[nz], x[nz]
            we = None if we is None else we[nz]
        red = e / x.astype(np.float64)
        seen = float(red.size) if we is None else float(we.sum())
        zero = max(0.0, w_red_total - seen)
        if red.size:
            ared = np.abs(red)
            self.wcre = max(self.wcre, float(ared.max()))
        else:
            ared = red
        self.red.add(red, we, zero)
        self.ared.add(ared, we, zero)
        if self.track_ci:
            self.red2.add(red * red, we, zero)

    # -- results --------------------------------------------------------------------------

    def metrics(self, *, na: int, nb: int, max_exact: float) -> dict[str, float]:
        if self.weighted:
            total = self.ed.w
            er = math.fsum(self.w_err) / total if total > 0 else 0.0
            mean_ed, var_ed = self.ed.mean, self.ed.var
            mae, var_aed = self.aed.mean, self.aed.var
            mse = var_ed + mean_ed * mean_ed
        else:
            n = self.pairs
            er = self.n_err / n if n else 0.0
            mean_ed = float(Fraction(self.s1, n)) if n else 0.0
            var_ed = float(Fraction(n * self.s2 - self.s1 * self.s1, n * n)) if n else 0.0
            mse = float(Fraction(self.s2, n)) if n else 0.0
            mae = float(Fraction(self.a1, n)) if n else 0.0
            var_aed = float(Fraction(n * self.s2 - self.a1 * self.a1, n * n)) if n else 0.0
        out = {
            "er": er, "mean_ed": mean_ed, "var_ed": var_ed, "mse": mse,
            "rms_ed": math.sqrt(mse), "mae": mae, "var_aed": var_aed, "wce": float(self.wce),
        }
        if self.red.w > 0:
            mean_red, var_red = self.red.mean, self.red.var
            out.update(
                mred=self.ared.mean, mean_red=mean_red, var_red=var_red,
                rms_red=math.sqrt(var_red + mean_red * mean_red), wcre=self.wcre,
            )
        else:
            out.update(mred=0.0, mean_red=0.0, var_red=0.0, rms_red=0.0, wcre=0.0)
        out["nmed"] = mae / max_exact if max_exact else 0.0
        scale = float(2 ** (na + nb))
        out["mae_pct"] = 100.0 * mae / scale
        out["wce_pct"] = 100.0 * out["wce"] / scale
        out["ep_pct"] = 100.0 * er
        out["mre_pct"] = 100.0 * out["mred"]
        return {k: out[k] for k in METRIC_KEYS}

    def intervals(self, m: dict, *, na: int, nb: int, max_exact: float) -> dict:
        """95 % intervals of the mean-type metrics from an (unweighted) random sample."""
        n = self.pairs
        ci: dict[str, list[float]] = {}

        def normal(mean: float, var: float, count: float) -> list[float]:
            if count <= 1:
                return [float("-inf"), float("inf")]
            half = Z95 * math.sqrt(var * count / (count - 1) / count)
            return [mean - half, mean + half]

        ci["er"] = list(wilson_interval(self.n_err, n))
        ci["mean_ed"] = normal(m["mean_ed"], m["var_ed"], n)
        ci["mae"] = normal(m["mae"], m["var_aed"], n)
        ci["mse"] = normal(m["mse"], self.ed2.var, n)
        ci["rms_ed"] = [math.sqrt(max(v, 0.0)) for v in ci["mse"]]
        nr = self.red.w
        ci["mred"] = normal(m["mred"], self.ared.var, nr)
        ci["mean_red"] = normal(m["mean_red"], m["var_red"], nr)
        ms_red = m["rms_red"] ** 2
        ci["rms_red"] = [math.sqrt(max(v, 0.0)) for v in normal(ms_red, self.red2.var, nr)]
        scale = float(2 ** (na + nb))
        ci["ep_pct"] = [100.0 * v for v in ci["er"]]
        ci["mae_pct"] = [100.0 * v / scale for v in ci["mae"]]
        ci["nmed"] = [v / max_exact if max_exact else 0.0 for v in ci["mae"]]
        ci["mre_pct"] = [100.0 * v for v in ci["mred"]]
        return {k: ci[k] for k in CI_KEYS}


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (E. B. Wilson, JASA 1927)."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def error_metrics(approx, exact, *, na: int, nb: int, weights=None) -> dict[str, float]:
    """Every metric of DESIGN.md §3 from paired results; ``weights`` (same shape, ≥ 0)
    turns each average into its distribution-weighted form. ``nmed`` is normalised by the
    largest |exact| among the given pairs."""
    approx = np.asarray(approx, dtype=np.int64).ravel()
    exact = np.asarray(exact, dtype=np.int64).ravel()
    acc = _Partial(weighted=weights is not None)
    w = None if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if approx.size:
        acc.add(approx - exact, exact, w)
    max_exact = float(np.abs(exact).max()) if exact.size else 0.0
    return acc.metrics(na=na, nb=nb, max_exact=max_exact)


# -- the engine --------------------------------------------------------------------------------


@dataclass
class MetricsResult:
    """What :func:`characterize` found: the metrics and how they were obtained."""

    metrics: dict[str, float]
    method: str  # "exhaustive" or "monte-carlo"
    pairs: int  # operand pairs evaluated
    distribution: dict
    samples: int | None = None
    seed: int | None = None
    ci95: dict[str, list[float]] | None = None
    per_weight: dict[str, Any] | None = None

    @property
    def wce_lower_bound(self) -> bool:
        """True when WCE (and WCRE) come from a sample: the true maxima may be larger."""
        return self.method == "monte-carlo"

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "metrics": dict(self.metrics),
            "method": self.method,
            "pairs": self.pairs,
            "wce_lower_bound": self.wce_lower_bound,
            "distribution": self.distribution,
        }
        if self.method == "monte-carlo":
            out["samples"] = self.samples
            out["seed"] = self.seed
            out["ci95"] = self.ci95
        return out


@dataclass
class _Job:
    unit: Any
    controls: dict
    dist: Any  # Distribution or None
    weighted: bool
    track_ci: bool
    per_weight: str | None  # "a", "b" or None
    a_vals: np.ndarray | None = None
    b_vals: np.ndarray | None = None
    samples: int = 0
    seed: int = 0

    def model(self, a, b) -> np.ndarray:
        return np.asarray(self.unit.model(a, b, **self.controls), dtype=np.int64)

    def new_partial(self) -> _Partial:
        return _Partial(weighted=self.weighted, track_ci=self.track_ci)


_JOB: _Job | None = None  # the job a forked worker inherits


def _tile(job: _Job, acc: _Partial, a: np.ndarray, b: np.ndarray, w) -> None:
    A, B = a[:, None], b[None, :]
    shape = (a.size, b.size)
    approx = np.broadcast_to(job.model(A, B), shape)
    exact = np.broadcast_to(np.asarray(job.unit.exact(A, B), dtype=np.int64), shape)
    ed = approx - exact
    acc.add(ed, exact, w)
    if job.per_weight is not None:
        wt = np.ones(shape) if w is None else w
        edf = ed.astype(np.float64)
        axis = 0 if job.per_weight == "b" else 1
        wsum = wt.sum(axis=axis)
        safe = np.where(wsum > 0, wsum, 1.0)
        mean = (wt * edf).sum(axis=axis) / safe
        dev = edf - (mean[None, :] if axis == 0 else mean[:, None])
        m2 = (wt * dev * dev).sum(axis=axis)
        idx = _value_index(job, b if axis == 0 else a)
        acc.per_weight.merge(idx, wsum, mean, m2)


def _value_index(job: _Job, vals: np.ndarray) -> np.ndarray:
    """Position of weight-operand values in ``job.a_vals`` / ``job.b_vals`` (value order)."""
    lo = (job.b_vals if job.per_weight == "b" else job.a_vals)[0]
    return vals - lo


def _run_rows(bounds: tuple[int, int]) -> _Partial:
    job = _JOB
    i0, i1 = bounds
    acc = job.new_partial()
    if job.per_weight is not None:
        n = (job.b_vals if job.per_weight == "b" else job.a_vals).size
        acc.per_weight = _VecMoments.zeros(n)
    a_all, b_all = job.a_vals[i0:i1], job.b_vals
    if job.dist is not None:
        a_all = a_all[job.dist.row_weights(a_all) > 0]
        b_all = b_all[job.dist.col_weights(b_all) > 0]
    if not a_all.size or not b_all.size:
        return acc
    cols = min(b_all.size, TILE)
    rows = max(1, TILE // cols)
    for r in range(0, a_all.size, rows):
        a = a_all[r:r + rows]
        for c in range(0, b_all.size, cols):
            b = b_all[c:c + cols]
            w = None if job.dist is None else job.dist.tile(a, b)
            _tile(job, acc, a, b, w)
    return acc


def _run_samples(bounds: tuple[int, int]) -> _Partial:
    job = _JOB
    index, count = bounds
    acc = job.new_partial()
    rng = np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(index,)))
    if job.dist is not None:
        a, b = job.dist.sample(rng, count)
    else:
        (alo, ahi), (blo, bhi) = job.unit.operand_ranges()
        a = rng.integers(alo, ahi, size=count, endpoint=True, dtype=np.int64)
        b = rng.integers(blo, bhi, size=count, endpoint=True, dtype=np.int64)
    for s in range(0, count, TILE):
        x, y = a[s:s + TILE], b[s:s + TILE]
        approx = np.broadcast_to(job.model(x, y), x.shape)
        exact = np.asarray(job.unit.exact(x, y), dtype=np.int64)
        acc.add(approx - exact, exact, None)
    return acc


def _execute(job: _Job, fn, tasks: list, workers: int) -> _Partial:
    """Run ``fn`` over ``tasks`` (on forked workers when several) and merge in task order."""
    global _JOB
    total = job.new_partial()
    prev, _JOB = _JOB, job
    try:
        if workers <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for t in tasks:
                total.merge_from(fn(t))
        else:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as ex:
                for part in ex.map(fn, tasks):
                    total.merge_from(part)
    finally:
        _JOB = prev
    return total


def default_workers() -> int:
    """Worker processes used by default: the CPUs this process may run on, at most 2
    (``$AXHDL_WORKERS`` overrides)."""
    env = os.environ.get("AXHDL_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise InputError(f"AXHDL_WORKERS must be an integer, not {env!r}") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def _max_exact(unit) -> float:
    """max |exact| over the operand range: exact is a·b (or a+b), extreme at a corner."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    corners = np.array([[alo, blo], [alo, bhi], [ahi, blo], [ahi, bhi]], dtype=np.int64)
    return float(np.abs(np.asarray(unit.exact(corners[:, 0], corners[:, 1]))).max())


def characterize(
    unit,
    *,
    samples: int | None = None,
    seed: int = 0,
    dist=None,
    per_weight: bool = False,
    workers: int | None = None,
    controls: dict | None = None,
) -> MetricsResult:
    """Every metric of ``unit`` over all operand pairs, or over ``samples`` random pairs.

    ``dist``: a :class:`~axhdl.distributions.Distribution` (None = uniform). Exhaustive
    evaluation streams tiles and accepts a total operand width up to 32 bits; Monte-Carlo
    evaluation (``samples``) any width, with 95 % confidence intervals. ``per_weight`` adds
    E[ED] and Var(ED) for every value of the weight operand (exhaustive only).
    """
    controls = dict(controls or {})
    workers = default_workers() if workers is None else max(1, int(workers))
    na, nb = unit.a_width, unit.b_width
    if dist is not None and dist.uniform:
        dist = None
    dist_info = {"kind": "uniform"} if dist is None else dist.describe()
    max_exact = _max_exact(unit)
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
            raise InputError(f"samples must be an integer of at least 2, not {samples!r}")
        if per_weight:
            raise InputError(
                "per-weight statistics need exhaustive evaluation; drop --samples"
            )
        job = _Job(unit, controls, dist, weighted=False, track_ci=True, per_weight=None,
                   samples=samples, seed=int(seed))
        tasks = [(i, min(SAMPLE_TASK, samples - s))
                 for i, s in enumerate(range(0, samples, SAMPLE_TASK))]
        acc = _execute(job, _run_samples, tasks, workers if samples >= 1 << 20 else 1)
        m = acc.metrics(na=na, nb=nb, max_exact=max_exact)
        ci = acc.intervals(m, na=na, nb=nb, max_exact=max_exact)
        return MetricsResult(m, "monte-carlo", acc.pairs, dist_info, samples=samples,
                             seed=int(seed), ci95=ci)
    if na + nb > MAX_STREAMED_WIDTH:
        raise InputError(
            f"{unit.spec}: exhaustive evaluation of {na}+{nb} operand bits "
            f"(2^{na + nb} pairs) is beyond the {MAX_STREAMED_WIDTH}-bit limit; "
            f"sample instead (--samples N)"
        )
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a_vals = np.arange(alo, ahi + 1, dtype=np.int64)
    b_vals = np.arange(blo, bhi + 1, dtype=np.int64)
    weight_op = None
    if per_weight:
        weight_op = unit.weight_operand or "b"
    job = _Job(unit, controls, dist, weighted=dist is not None, track_ci=False,
               per_weight=weight_op, a_vals=a_vals, b_vals=b_vals)
    rows_per_task = max(1, TASK // b_vals.size)
    tasks = [(i, min(i + rows_per_task, a_vals.size))
             for i in range(0, a_vals.size, rows_per_task)]
    acc = _execute(job, _run_rows, tasks, workers)
    m = acc.metrics(na=na, nb=nb, max_exact=max_exact)
    pw = None
    if weight_op is not None:
        pw = _per_weight_arrays(unit, weight_op, acc.per_weight, a_vals, b_vals)
    return MetricsResult(m, "exhaustive", acc.pairs, dist_info, per_weight=pw)


def _per_weight_arrays(unit, weight_op, vm: _VecMoments | None, a_vals, b_vals) -> dict:
    from .unit import to_code

    vals = b_vals if weight_op == "b" else a_vals
    width = unit.b_width if weight_op == "b" else unit.a_width
    if vm is None:
        vm = _VecMoments.zeros(vals.size)
    seen = vm.w > 0
    safe = np.where(seen, vm.w, 1.0)
    mean = np.where(seen, vm.mean, np.nan)
    var = np.where(seen, vm.m2 / safe, np.nan)
    total = vm.w.sum()
    return {
        "weight_operand": weight_op,
        "values": vals.copy(),
        "codes": to_code(vals, width),
        "mean_ed": mean,
        "var_ed": var,
        "probability": vm.w / total if total > 0 else vm.w,
    }


def exhaustive_metrics(unit, **controls) -> dict[str, float]:
    """Every metric over every operand pair of ``unit`` (uniform operands, total operand width
    up to 32 bits, streamed)."""
    return characterize(unit, controls=controls).metrics


def dot_product_error(metrics: dict, n: int) -> dict[str, float]:
    """Error of an ``n``-term dot product Σ approx(a_i, b_i) − Σ a_i·b_i.

    Assumes the ``n`` operand pairs are drawn independently from the distribution the
    metrics were computed under, so the per-product errors are i.i.d.: the accumulated error
    has mean n·E[ED] and variance n·Var(ED) (sum of independent variables), and
    E[(Σ ED)²] = n·Var(ED) + (n·E[ED])².
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"the dot-product length must be a positive integer, not {n!r}")
    mean = n * metrics["mean_ed"]
    var = n * metrics["var_ed"]
    return {
        "n": n,
        "mean": mean,
        "var": var,
        "std": math.sqrt(var),
        "rms": math.sqrt(var + mean * mean),
    }
