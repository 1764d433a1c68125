"""Mergeable sufficient statistics of the error metrics: exact integer sums and float moments.

:class:`Partial` holds the statistics of the pairs seen so far; partials of disjoint pair sets
merge in any grouping, which is what lets the engine (:mod:`axhdl.metrics.engine`) split the
work into tiles and tasks and still return numbers that do not depend on the split.

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
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from axhdl.distributions import normalised

from .definitions import CI_KEYS, METRIC_KEYS, Z95, wilson_interval

__all__ = ["Moments", "VecMoments", "Partial", "error_metrics"]


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
class Moments:
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

    def merge_from(self, other: Moments) -> None:
        self.merge(other.w, other.mean, other.m2)

    @property
    def var(self) -> float:
        return self.m2 / self.w if self.w > 0 else 0.0


@dataclass
class VecMoments:
    """:class:`Moments` for each value of the weight operand (per-weight error statistics)."""

    w: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> VecMoments:
        return cls(np.zeros(n), np.zeros(n), np.zeros(n))

    def merge(self, idx, w, mean, m2) -> None:
        w0, mean0 = self.w[idx], self.mean[idx]
        total = w0 + w
        safe = np.where(total > 0, total, 1.0)
        delta = mean - mean0
        self.mean[idx] = np.where(w0 > 0, mean0 + delta * (w / safe), mean)
        self.m2[idx] = self.m2[idx] + m2 + np.where(w0 > 0, delta * delta * (w0 * w / safe), 0)
        self.w[idx] = total

    def merge_from(self, other: VecMoments) -> None:
        self.merge(slice(None), other.w, other.mean, other.m2)


# -- the accumulator ---------------------------------------------------------------------------


@dataclass
class Partial:
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
    ed: Moments = field(default_factory=Moments)
    aed: Moments = field(default_factory=Moments)
    # both
    red: Moments = field(default_factory=Moments)
    ared: Moments = field(default_factory=Moments)
    ed2: Moments = field(default_factory=Moments)
    red2: Moments = field(default_factory=Moments)
    wce: int = 0
    wcre: float = 0.0
    per_weight: VecMoments | None = None

    def merge_from(self, o: Partial) -> None:
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

    def add(self, ed: np.ndarray, exact: np.ndarray, w: np.ndarray | None = None,
            support: np.ndarray | None = None) -> None:
        """Add paired errors ``ed`` and exact results (same shape); ``w`` weights or None.

        ``support`` (with ``w``): which pairs are possible, i.e. count for the maxima (default
        ``w > 0``; a probability that underflowed to 0.0 is still possible)."""
        ed = ed.ravel()
        exact = exact.ravel()
        self.pairs += ed.size
        if w is not None:
            w = w.ravel()
            keep = w > 0 if support is None else support.ravel()
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

    def metrics(self, *, scale: float, max_exact: float) -> dict[str, float]:
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
        out["mae_pct"] = 100.0 * mae / scale
        out["wce_pct"] = 100.0 * out["wce"] / scale
        out["ep_pct"] = 100.0 * er
        out["mre_pct"] = 100.0 * out["mred"]
        return {k: out[k] for k in METRIC_KEYS}

    def intervals(self, m: dict, *, scale: float, max_exact: float) -> dict:
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
        ci["ep_pct"] = [100.0 * v for v in ci["er"]]
        ci["mae_pct"] = [100.0 * v / scale for v in ci["mae"]]
        ci["nmed"] = [v / max_exact if max_exact else 0.0 for v in ci["mae"]]
        ci["mre_pct"] = [100.0 * v for v in ci["mred"]]
        return {k: ci[k] for k in CI_KEYS}


def error_metrics(approx, exact, *, scale: float, weights=None) -> dict[str, float]:
    """Every metric of DESIGN.md §3 from paired results; ``weights`` (same shape, ≥ 0)
    turns each average into its distribution-weighted form (they are normalised first, so any
    positive scaling of them gives the same numbers). ``mae_pct`` and ``wce_pct`` are
    normalised by ``scale`` (a unit's ``operation.error_scale``: 2^(na+nb) for a product),
    ``nmed`` by the largest |exact| among the given pairs."""
    approx = np.asarray(approx, dtype=np.int64).ravel()
    exact = np.asarray(exact, dtype=np.int64).ravel()
    acc = Partial(weighted=weights is not None)
    w = support = None
    if weights is not None:
        raw = np.asarray(weights, dtype=np.float64).ravel()
        if raw.shape != approx.shape:
            raise ValueError(f"weights must have one entry per pair ({approx.size}), "
                             f"not {raw.size}")
        # probabilities (scaling the weights changes nothing); the support from the weights
        # as given
        w, support = normalised(raw, "the operand pairs"), raw > 0
    if approx.size:
        acc.add(approx - exact, exact, w, support)
    max_exact = float(np.abs(exact).max()) if exact.size else 0.0
    return acc.metrics(scale=scale, max_exact=max_exact)
