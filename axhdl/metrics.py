"""Error metrics of approximate units (DESIGN.md §3, EvoApproxLib conventions).

With ED = approx − exact over all operand pairs (or a sample), optionally weighted by an
operand distribution, :func:`error_metrics` returns every key of the pinned table. The keys,
units and conventions are public interface.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = [
    "METRIC_KEYS",
    "MAX_EXHAUSTIVE",
    "error_metrics",
    "operand_grid",
    "exhaustive_metrics",
]

#: every metric key, in report order
METRIC_KEYS = (
    "er", "ep_pct", "mean_ed", "var_ed", "mse", "rms_ed", "mae", "mae_pct", "var_aed", "wce",
    "wce_pct", "mred", "mre_pct", "mean_red", "var_red", "rms_red", "wcre", "nmed",
)

#: largest operand-pair count evaluated in one in-memory pass by :func:`exhaustive_metrics`
MAX_EXHAUSTIVE = 1 << 24


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


def error_metrics(approx, exact, *, na: int, nb: int, weights=None) -> dict[str, float]:
    """Every metric of DESIGN.md §3 from paired results; ``weights`` (same shape, ≥ 0)
    turns each average into its distribution-weighted form."""
    approx = np.asarray(approx, dtype=np.int64).ravel()
    exact = np.asarray(exact, dtype=np.int64).ravel()
    if weights is None:
        w = np.full(approx.shape, 1.0 / approx.size)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        w = w / w.sum()
    ed = (approx - exact).astype(np.float64)
    aed = np.abs(ed)
    mean_ed = float(np.dot(w, ed))
    mse = float(np.dot(w, ed * ed))
    mae = float(np.dot(w, aed))
    nz = exact != 0
    out = {
        "er": float(w[ed != 0].sum()),
        "mean_ed": mean_ed,
        "var_ed": float(np.dot(w, (ed - mean_ed) ** 2)),
        "mse": mse,
        "rms_ed": float(np.sqrt(mse)),
        "mae": mae,
        "var_aed": float(np.dot(w, (aed - mae) ** 2)),
        "wce": float(aed[w > 0].max()) if np.any(w > 0) else 0.0,
    }
    if np.any(nz & (w > 0)):
        wn = w[nz] / w[nz].sum()
        red = ed[nz] / exact[nz]
        mean_red = float(np.dot(wn, red))
        out.update(
            mred=float(np.dot(wn, np.abs(red))),
            mean_red=mean_red,
            var_red=float(np.dot(wn, (red - mean_red) ** 2)),
            rms_red=float(np.sqrt(np.dot(wn, red * red))),
            wcre=float(np.abs(red)[wn > 0].max()),
        )
    else:
        out.update(mred=0.0, mean_red=0.0, var_red=0.0, rms_red=0.0, wcre=0.0)
    max_exact = float(np.abs(exact).max()) if exact.size else 0.0
    out["nmed"] = mae / max_exact if max_exact else 0.0
    scale = float(2 ** (na + nb))
    out["mae_pct"] = 100.0 * mae / scale
    out["wce_pct"] = 100.0 * out["wce"] / scale
    out["ep_pct"] = 100.0 * out["er"]
    out["mre_pct"] = 100.0 * out["mred"]
    return {k: out[k] for k in METRIC_KEYS}


def exhaustive_metrics(unit, **controls) -> dict[str, float]:
    """Every metric over every operand pair of ``unit`` (at most 2^24 pairs)."""
    a, b = operand_grid(unit)
    approx = unit.model(a, b, **controls)
    return error_metrics(approx, unit.exact(a, b), na=unit.a_width, nb=unit.b_width)
