"""Error metrics of approximate units (DESIGN.md §3, EvoApproxLib conventions).

With ED = approx − exact over all operand pairs (or a sample), optionally weighted by an
operand distribution, every key of the pinned table is computed. The keys, units and
conventions are public interface:

``er`` P(ED ≠ 0); ``mean_ed`` E[ED]; ``var_ed`` Var(ED) (population); ``mse`` E[ED²];
``rms_ed`` √mse; ``mae`` E|ED| (MED); ``var_aed`` Var|ED|; ``wce`` max|ED|; over pairs with
exact ≠ 0 only, RED = ED / exact: ``mred`` E|RED|, ``mean_red`` E[RED], ``var_red`` Var(RED),
``rms_red`` √E[RED²], ``wcre`` max|RED|; ``nmed`` mae / max|exact| (max over the operand
range); ``mae_pct`` / ``wce_pct`` 100·mae / S and 100·wce / S with S the unit's
``operation.error_scale`` (EvoApproxLib's normalisation: 2^(na+nb) for a product, the size of
the result range 2^(n+1) for an n-bit adder); ``ep_pct`` 100·er; ``mre_pct`` 100·mred. The
exact result is the unit's operation (``unit.exact``), never an assumed product.

Weighted by a distribution D (:mod:`axhdl.distributions`), every expectation, probability and
variance is taken under D (WMED and the rest, Vasicek et al., DATE 2019); maxima are taken over
the pairs D gives a positive weight.

The package: :mod:`~axhdl.metrics.definitions` (the keys, intervals, derived statistics),
:mod:`~axhdl.metrics.accumulate` (exact, mergeable sufficient statistics; the precision
argument), :mod:`~axhdl.metrics.engine` (exhaustive streaming on several processes, or
Monte-Carlo sampling) and :mod:`~axhdl.metrics.arrays` (the output error of whole GEMMs and
dot products of ``systolic`` arrays and ``mac`` units, plus ``snr_db``). Everything public is
importable from ``axhdl.metrics``; none of it imports Amaranth.
"""

from __future__ import annotations

from .accumulate import error_metrics
from .arrays import ARRAY_METRIC_KEYS, GemmMetricsResult, gemm_metrics, snr_db
from .definitions import CI_KEYS, METRIC_KEYS, dot_product_error, wilson_interval
from .engine import (
    MAX_EXHAUSTIVE,
    MAX_STREAMED_WIDTH,
    MetricsResult,
    characterize,
    default_workers,
    exhaustive_metrics,
    operand_grid,
)

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
    "ARRAY_METRIC_KEYS",
    "GemmMetricsResult",
    "gemm_metrics",
    "snr_db",
]
