"""Compensation of a multiplier's error in a quantized network, calibrated on activations.

Three methods (docs/dnn.md), each switchable and combinable; calibration runs the calibration
inputs through the approximate network layer by layer, so every layer is calibrated on the
activations its (approximate, already compensated) predecessors produce. Within a layer they
are applied in the order ALWANN → control variate → bias correction, each calibrated with the
previous ones in place.

``bias`` — bias correction (Tasoulas et al., "Weight-oriented approximation for energy-
    efficient neural network inference accelerators", IEEE TCAS-I 67(12), 2020): for each
    output channel c, the expected accumulated error Σ_i E_x[ε(x_i, w_ic)] under the
    calibration activations (ε = P − x·w, per product position i, padding included) is
    subtracted through the bias (rounded to an integer in accumulator units).
``alwann`` — weight tuning (Mrazek et al., "ALWANN: automatic layer-wise approximation of
    deep neural network accelerators without retraining", ICCAD 2019): each weight code w of
    a layer is fed to the multiplier as the code w' minimising Σ_x h(x) |P(x, w') − x·w|, h
    the layer's calibration histogram of activation codes (a remap of the table's weight
    columns; ties keep w, then the nearest code). Table units only.
``cv`` — control variate (Zervakis et al., "Control variate approximation for DNN
    accelerators", DAC 2021): the accumulator gets ``α_c · V + β_c`` added, V = Σ_i x_i the
    sum of the activation codes of the output (one adder per output, shared by all channels),
    α_c = −Cov(err_c, V) / Var(V) the variance-optimal coefficient on the calibration
    activations (fixed point, :data:`~axhdl.nn.engine.CV_SHIFT` fractional bits) and β_c the
    mean error left (an integer, folded into the bias in hardware). For a perforated unit,
    err = −Σ x_i·w_i,P and −α_c estimates the mean perforated part of the channel's weights,
    the paper's correction term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import InputError
from .engine import CV_SHIFT, LayerCompensation, mac_accumulate, mac_columns, round_shift, run
from .products import MAX_TABLE_BITS, ExactProducts
from .quantize import QMac, QNetwork

__all__ = [
    "METHODS",
    "parse_methods",
    "calibrate",
    "layer_error",
    "alwann_remap",
    "control_variate",
    "bias_correction",
]

#: compensation methods in the order they are applied
METHODS = ("alwann", "cv", "bias")


def parse_methods(methods: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"bias,alwann"``, ``["bias"]``, ``"none"`` or None → methods in application order."""
    if methods is None:
        return ()
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    methods = list(methods)
    if methods == ["none"]:
        return ()
    for m in methods:
        if m not in METHODS:
            raise InputError(
                f"Compensation must be 'none' or a comma-separated list of "
                f"{', '.join(sorted(METHODS))}, not {m!r}"
            )
    return tuple(m for m in METHODS if m in methods)


def layer_error(op: QMac, x: np.ndarray, products,
                comp: LayerCompensation | None = None) -> np.ndarray:
    """Accumulator error of a layer on input codes ``x``: approximate (with all of ``comp``)
    minus exact (the exact multiplier, no compensation), same shape as the accumulators."""
    approx = mac_accumulate(op, x, products, comp, bias=True)
    exact = mac_accumulate(op, x, ExactProducts(products.scheme), None, bias=True)
    return approx - exact


def _per_channel(err: np.ndarray) -> np.ndarray:
    """(N, C, ...) → (N·…, C)."""
    if err.ndim == 2:
        return err
    return np.moveaxis(err, 1, -1).reshape(-1, err.shape[1])


def alwann_remap(op: QMac, x: np.ndarray, products) -> np.ndarray:
    """The ALWANN weight-code remap of one layer (index ``w − wlo`` → code fed to the unit)."""
    if products.table is None:
        u = products.unit
        raise InputError(
            f"{u.spec}: ALWANN weight tuning needs the unit's product table, built for at most "
            f"{MAX_TABLE_BITS} operand bits, not {u.a_width}+{u.b_width}"
        )
    eps = products.error_table()
    xlo, wlo = products.xlo, products.wlo
    cols, _ = mac_columns(op, x)
    hist = np.zeros(eps.shape[0], dtype=np.float64)
    for c in cols:
        hist += np.bincount((c - xlo).ravel(), minlength=eps.shape[0])
    xs = np.arange(products.xlo, products.xhi + 1, dtype=np.int64)
    ws = np.arange(products.wlo, products.whi + 1, dtype=np.int64)
    table = eps + xs[:, None] * ws[None, :]  # P(x, w')
    active = hist > 0
    h, xa, ta = hist[active], xs[active], table[active]
    remap = ws.copy()
    for w in np.unique(op.weight):
        cost = h @ np.abs(ta - xa[:, None] * w)
        best = cost.min()
        own = cost[w - wlo]
        if own <= best:
            continue
        cand = np.flatnonzero(cost == best)
        remap[w - wlo] = ws[cand[np.argmin(np.abs(ws[cand] - w))]]
    return remap


def control_variate(op: QMac, x: np.ndarray, products,
                    comp: LayerCompensation) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel fixed-point coefficients G (``round(V·G / 2^CV_SHIFT)`` is added) and
    integer offsets (the regression's intercept: the mean error left after α·V)."""
    err = _per_channel(layer_error(op, x, products, comp)).astype(np.float64)
    cols, _ = mac_columns(op, x)
    cg = op.out_channels // op.groups
    g = np.zeros(op.out_channels, dtype=np.int64)
    offset = np.zeros(op.out_channels, dtype=np.int64)
    for i, c in enumerate(cols):
        v = c.sum(axis=1)
        sl = slice(i * cg, (i + 1) * cg)
        e = err[:, sl]
        vf = v.astype(np.float64)
        var = vf.var()
        if var > 0:
            cov = ((vf - vf.mean())[:, None] * (e - e.mean(axis=0))).mean(axis=0)
            g[sl] = np.rint(-cov / var * (1 << CV_SHIFT)).astype(np.int64)
        corr = round_shift(v[:, None] * g[None, sl], CV_SHIFT)
        offset[sl] = -np.rint((e + corr).mean(axis=0)).astype(np.int64)
    return g, offset


def bias_correction(op: QMac, x: np.ndarray, products,
                    comp: LayerCompensation) -> np.ndarray:
    """Per-channel integer added to the bias: −round(mean accumulated error)."""
    err = _per_channel(layer_error(op, x, products, comp))
    return -np.rint(err.mean(axis=0)).astype(np.int64)


def calibrate(qnet: QNetwork, products, calibration, methods,
              *, codes: bool = False) -> dict[str, LayerCompensation]:
    """Compensation of every conv/linear layer for ``methods`` on the ``calibration``
    inputs (float, or codes with ``codes=True``): node name → :class:`LayerCompensation`.

    ``products``: one multiplier for every layer or a mapping node name → multiplier; layers
    with the exact multiplier get none."""
    methods = parse_methods(methods)
    comp: dict[str, LayerCompensation] = {}
    if not methods:
        return comp

    def hook(node, x):
        prod = products[node.name] if isinstance(products, Mapping) else products
        if prod.exact:
            return
        lc = LayerCompensation()
        comp[node.name] = lc
        if "alwann" in methods:
            lc.remap = alwann_remap(node.op, x, prod)
        if "cv" in methods:
            lc.cv, lc.cv_offset = control_variate(node.op, x, prod, lc)
        if "bias" in methods:
            lc.bias = bias_correction(node.op, x, prod, lc)

    run(qnet, calibration, products, compensation=comp, hook=hook, codes=codes)
    return comp
