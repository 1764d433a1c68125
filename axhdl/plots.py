"""Plots of a unit's error (matplotlib, Agg backend): what ``axhdl metrics --plot DIR`` draws.

* ``<name>_ed_hist.<fmt>``: histogram of the error distance ED = approx − exact, weighted by
  the operand distribution;
* ``<name>_red_vs_exact.<fmt>``: relative error RED = ED / exact against the exact product;
* ``<name>_ed_heatmap.<fmt>``: ED over the operand plane (rows: operand a, columns: operand b).

Units with at most 2^20 operand pairs are drawn from every pair; larger ones from a seeded
random sample of 2^20 pairs (histogram, RED) and a regular 256 × 256 grid of operand values
(heat map), which the titles say.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .errors import InputError, ToolMissingError
from .results import atomic_write

__all__ = ["PLOT_FORMATS", "MAX_PLOT_PAIRS", "plot_data", "plot_errors"]

PLOT_FORMATS = ("png", "svg")

#: operand pairs drawn in the histogram and the RED plot
MAX_PLOT_PAIRS = 1 << 20

#: operand values per axis of the heat map
HEATMAP_SIDE = 256


def _pyplot():
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise ToolMissingError(
            "matplotlib (needed for plots)", f"{sys.executable} -m pip install 'matplotlib>=3.8'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axis_values(lo: int, hi: int, n: int) -> np.ndarray:
    count = hi - lo + 1
    if count <= n:
        return np.arange(lo, hi + 1, dtype=np.int64)
    return np.unique(np.linspace(lo, hi, n).round().astype(np.int64))


def plot_data(unit, *, dist=None, seed: int = 0, controls: dict | None = None) -> dict:
    """The numbers the plots show: pairs (a, b, exact, ed, weight) and the heat-map grid."""
    controls = dict(controls or {})
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    total = (ahi - alo + 1) * (bhi - blo + 1)
    if total <= MAX_PLOT_PAIRS:
        av = np.arange(alo, ahi + 1, dtype=np.int64)
        bv = np.arange(blo, bhi + 1, dtype=np.int64)
        a, b = np.repeat(av, bv.size), np.tile(bv, av.size)
        w = None if dist is None else dist.tile(av, bv).ravel()
        sampled = False
    else:
        rng = np.random.default_rng(seed)
        if dist is None:
            a = rng.integers(alo, ahi, size=MAX_PLOT_PAIRS, endpoint=True, dtype=np.int64)
            b = rng.integers(blo, bhi, size=MAX_PLOT_PAIRS, endpoint=True, dtype=np.int64)
        else:
            a, b = dist.sample(rng, MAX_PLOT_PAIRS)
        w = None
        sampled = True
    exact = np.asarray(unit.exact(a, b), dtype=np.int64)
    approx = np.broadcast_to(np.asarray(unit.model(a, b, **controls), dtype=np.int64), a.shape)
    ga = _axis_values(alo, ahi, HEATMAP_SIDE)
    gb = _axis_values(blo, bhi, HEATMAP_SIDE)
    grid = (np.broadcast_to(np.asarray(unit.model(ga[:, None], gb[None, :], **controls),
                                       dtype=np.int64), (ga.size, gb.size))
            - np.asarray(unit.exact(ga[:, None], gb[None, :]), dtype=np.int64))
    return {"a": a, "b": b, "exact": exact, "ed": approx - exact, "weight": w,
            "sampled": sampled, "grid_a": ga, "grid_b": gb, "grid_ed": grid,
            "grid_full": ga.size == ahi - alo + 1 and gb.size == bhi - blo + 1}


def plot_errors(unit, out_dir, *, fmt: str = "png", dist=None, seed: int = 0,
                controls: dict | None = None) -> list[Path]:
    """Draw the three plots into ``out_dir``; return their paths."""
    if fmt not in PLOT_FORMATS:
        raise InputError(f"plot format must be one of {', '.join(PLOT_FORMATS)}, not {fmt!r}")
    plt = _pyplot()
    data = plot_data(unit, dist=dist, seed=seed, controls=controls)
    out_dir = Path(out_dir)
    tag = " (sample of 2^20 pairs)" if data["sampled"] else ""
    weighted = " (weighted)" if data["weight"] is not None else ""
    paths = []

    def save(fig, suffix: str) -> None:
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
        plt.close(fig)
        path = out_dir / f"{unit.name}_{suffix}.{fmt}"
        atomic_write(path, buf.getvalue())
        paths.append(path)

    ed = data["ed"]
    fig, ax = plt.subplots(figsize=(6, 4))
    lo, hi = int(ed.min()), int(ed.max())
    if hi - lo < 200:
        bins = np.arange(lo, hi + 2) - 0.5
    else:
        bins = 200
    ax.hist(ed, bins=bins, weights=data["weight"], density=True, color="C0")
    ax.set_xlabel("error distance ED = approx - exact")
    ax.set_ylabel("probability" if hi - lo < 200 else "probability density")
    ax.set_title(f"{unit.spec}\nED distribution{weighted}{tag}", fontsize=8)
    save(fig, "ed_hist")

    fig, ax = plt.subplots(figsize=(6, 4))
    nz = data["exact"] != 0
    red = ed[nz] / data["exact"][nz].astype(np.float64)
    ax.scatter(data["exact"][nz], red, s=1, alpha=0.3, color="C1", rasterized=True)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("exact product")
    ax.set_ylabel("relative error RED = ED / exact")
    ax.set_title(f"{unit.spec}\nrelative error vs exact product{tag}", fontsize=8)
    save(fig, "red_vs_exact")

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    grid = data["grid_ed"]
    ga, gb = data["grid_a"], data["grid_b"]
    lim = float(np.abs(grid).max()) or 1.0
    img = ax.imshow(grid, origin="lower", aspect="auto", cmap="coolwarm", vmin=-lim, vmax=lim,
                    extent=(gb[0] - 0.5, gb[-1] + 0.5, ga[0] - 0.5, ga[-1] + 0.5),
                    interpolation="nearest")
    fig.colorbar(img, ax=ax, label="ED")
    ax.set_xlabel("operand b")
    ax.set_ylabel("operand a")
    grid_tag = "" if data["grid_full"] else f" ({ga.size} x {gb.size} grid of operand values)"
    ax.set_title(f"{unit.spec}\nED over the operand plane{grid_tag}", fontsize=8)
    save(fig, "ed_heatmap")
    return paths
