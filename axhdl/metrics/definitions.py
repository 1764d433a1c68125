"""What the error metrics mean: their keys and the statistics derived from them.

The keys, units and conventions are public interface (DESIGN.md §3, README); the package
docstring of :mod:`axhdl.metrics` defines each. Computing them is
:mod:`axhdl.metrics.accumulate`'s and :mod:`axhdl.metrics.engine`'s business.
"""

from __future__ import annotations

import math

from axhdl.errors import InputError

__all__ = ["METRIC_KEYS", "CI_KEYS", "Z95", "wilson_interval", "dot_product_error"]

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

#: two-sided 95 % normal quantile
Z95 = 1.959963984540054


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
