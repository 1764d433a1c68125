"""The integer inference engine: a :class:`~axhdl.nn.quantize.QNetwork` on integer codes.

Everything after the input quantization is integer arithmetic on int64 arrays:

- convolution and linear layers: im2col (padding with the input's zero-point code, i.e. real
  zero), per group the sum of products ``Σ_k P(x_k, w_k)`` through the layer's multiplier
  (:mod:`axhdl.nn.products`), the exact zero-point cross terms (``zeropoint`` scheme), the
  integer bias, the layer's compensation (:class:`LayerCompensation`), then requantization
  ``round_half_even(acc · M0 / 2^shift) + z_out`` clipped to the output range (a fused ReLU
  clips at the zero point);
- max pooling on codes; average pooling as the sum of codes divided by the window size,
  rounded half to even; flatten; ReLU as max(q, z); residual add by two fixed-point
  rescalings to a common 2^-shift grid, rounded half to even.

Accumulators are int64 (exact for any layer the quantizer accepts; every layer's bound is
checked at run time). The multiplier can differ per layer (``products`` a mapping from node
name to :class:`~axhdl.nn.products.Products`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .graph import windows
from .quantize import QAdd, QFlatten, QMac, QNetwork, QNode, QPool, QRelu

__all__ = [
    "LayerCompensation",
    "CV_SHIFT",
    "round_shift",
    "round_div",
    "mac_columns",
    "mac_accumulate",
    "requantize",
    "run",
    "predict",
    "quantize_input",
]

#: fractional bits of a control-variate coefficient
CV_SHIFT = 16


@dataclass
class LayerCompensation:
    """What compensation changes in one convolution/linear layer.

    ``remap``: the weight code fed to the multiplier for each weight code (index ``w − wlo``
    of the scheme's weight domain; ALWANN); the exact cross terms keep the stored code.
    ``cv``: per output channel G, adding ``round(V · G / 2^CV_SHIFT)`` with V the sum of the
    activation codes of the output's products, and ``cv_offset`` (int64 per channel) with it
    (control variate).
    ``bias``: int64 per output channel, added to the accumulator (bias correction)."""

    remap: np.ndarray | None = None
    cv: np.ndarray | None = None
    cv_offset: np.ndarray | None = None
    bias: np.ndarray | None = None

    @property
    def methods(self) -> list[str]:
        return [m for m, v in (("alwann", self.remap), ("cv", self.cv), ("bias", self.bias))
                if v is not None]


def round_shift(v: np.ndarray, shift) -> np.ndarray:
    """``v / 2^shift`` rounded half to even (integers; ``shift`` broadcasts, may be ≤ 0)."""
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    pos = np.maximum(s, 0)
    q = v >> pos
    r = v - (q << pos)
    half = np.where(pos > 0, np.int64(1) << np.maximum(pos - 1, 0), 0)
    up = (pos > 0) & ((r > half) | ((r == half) & ((q & 1) == 1)))
    q = q + up
    return np.where(s < 0, v << np.maximum(-s, 0), q)


def round_div(v: np.ndarray, n: int) -> np.ndarray:
    """``v / n`` rounded half to even (integers, n > 0)."""
    q, r = np.divmod(np.asarray(v, dtype=np.int64), n)
    up = (2 * r > n) | ((2 * r == n) & ((q & 1) == 1))
    return q + up


def quantize_input(qnet: QNetwork, x) -> np.ndarray:
    """Float inputs to the network's input codes."""
    x = np.asarray(x, dtype=np.float64)
    if qnet.input_shape and tuple(x.shape[1:]) != tuple(qnet.input_shape):
        raise InputError(
            f"the network expects inputs of shape (N, {', '.join(map(str, qnet.input_shape))})"
            f", not {tuple(x.shape)}"
        )
    return qnet.input.quantize(x)


def mac_columns(op: QMac, x: np.ndarray) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """The activation codes of each group's products as (M, K) matrices (im2col, padded with
    the input zero point), and the spatial output shape (Ho, Wo) (``()`` for linear)."""
    if op.kind == "linear":
        if x.ndim != 2 or x.shape[1] != op.fan_in:
            raise InputError(f"a linear layer of {op.fan_in} inputs got a tensor of shape "
                             f"{tuple(x.shape)}")
        return [x], ()
    cin_g = op.weight.shape[1]
    if x.ndim != 4 or x.shape[1] != cin_g * op.groups:
        raise InputError(f"a convolution of {cin_g * op.groups} input channels got a tensor "
                         f"of shape {tuple(x.shape)}")
    win = windows(x, op.weight.shape[2:], op.stride, op.padding, op.inp.zero)
    n, _, ho, wo = win.shape[:4]
    cols = []
    for g in range(op.groups):
        part = win[:, g * cin_g:(g + 1) * cin_g].transpose(0, 2, 3, 1, 4, 5)
        cols.append(part.reshape(n * ho * wo, -1))
    return cols, (ho, wo)


def mac_accumulate(op: QMac, x: np.ndarray, products, comp: LayerCompensation | None = None,
                   *, bias: bool = True) -> np.ndarray:
    """The accumulators of a conv/linear layer: (N, Cout, Ho, Wo) or (N, Cout) int64, the
    integer bias (``bias=True``) and ``comp`` included."""
    cols, spatial = mac_columns(op, x)
    n = x.shape[0]
    cout = op.out_channels
    cg = cout // op.groups
    acc = np.empty((cols[0].shape[0], cout), dtype=np.int64)
    zx = op.inp.zero
    wlo = products.wlo
    for g, xg in enumerate(cols):
        wg = op.weight_matrix(g)
        wmul = wg if comp is None or comp.remap is None else comp.remap[wg - wlo]
        a = products.accumulate(xg, wmul)
        sl = slice(g * cg, (g + 1) * cg)
        zw = op.w_zero[sl]
        if zx or zw.any():  # zero-point cross terms, exact
            k = xg.shape[1]
            a -= zw[None, :] * xg.sum(axis=1, keepdims=True)
            a -= zx * wg.sum(axis=0)[None, :]
            a += k * zx * zw[None, :]
        if comp is not None and comp.cv is not None:
            v = xg.sum(axis=1, keepdims=True)
            a += round_shift(v * comp.cv[None, sl], CV_SHIFT) + comp.cv_offset[None, sl]
        acc[:, sl] = a
    if bias:
        acc += op.bias[None, :]
        if comp is not None and comp.bias is not None:
            acc += comp.bias[None, :]
    if spatial:
        return acc.reshape(n, spatial[0], spatial[1], cout).transpose(0, 3, 1, 2)
    return acc


def requantize(op: QMac, acc: np.ndarray) -> np.ndarray:
    """Accumulators to output codes: ``round_half_even(acc · M0 / 2^shift) + z``, clipped."""
    peak = int(np.abs(acc).max(initial=0))
    if peak > op.acc_bound:
        raise InputError(
            f"an accumulator reached {peak}, beyond the {op.acc_bound} its requantization is "
            f"exact for"
        )
    shape = (1, -1) + (1,) * (acc.ndim - 2)
    y = round_shift(acc * op.m0.reshape(shape), op.shift.reshape(shape)) + op.out.zero
    return np.clip(y, op.lo, op.hi)


def _pool(op: QPool, x: np.ndarray) -> np.ndarray:
    if x.ndim != 4:
        raise InputError(f"pooling needs an (N, C, H, W) tensor, not shape {tuple(x.shape)}")
    if op.kind == "max":
        return windows(x, op.kernel, op.stride, op.padding, np.iinfo(np.int64).min).max(
            axis=(4, 5))
    kernel, stride = (op.kernel, op.stride) if op.kernel is not None else (x.shape[2:], (1, 1))
    s = windows(x, kernel, stride, (0, 0, 0, 0), 0).sum(axis=(4, 5))
    return round_div(s, kernel[0] * kernel[1])


def _add(op: QAdd, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape != b.shape:
        raise InputError(f"Add needs two tensors of one shape, not {a.shape} and {b.shape}")
    v = (a - op.z1) * op.m1 + (b - op.z2) * op.m2
    return np.clip(round_shift(v, op.shift) + op.out.zero, op.lo, op.hi)


Hook = Callable[[QNode, np.ndarray], None]


def run(qnet: QNetwork, x, products, *, compensation: Mapping | None = None,
        hook: Hook | None = None, codes: bool = False, keep: bool = False,
        batch: int | None = None):
    """Integer inference: the output codes (N, classes), or every tensor's codes
    (``keep=True``).

    ``x``: float inputs (quantized here) or input codes (``codes=True``). ``products``: the
    multiplier of every layer, or a mapping node name → multiplier. ``compensation``: node
    name → :class:`LayerCompensation`. ``hook(node, input_codes)`` is called before each
    conv/linear node runs (calibration); it may fill ``compensation`` for that node.
    ``batch``: inputs per step (bounded memory; default all at once)."""
    q = np.asarray(x, dtype=np.int64) if codes else quantize_input(qnet, x)
    if batch is not None and q.shape[0] > batch and not keep:
        parts = [run(qnet, q[i:i + batch], products, compensation=compensation, hook=hook,
                     codes=True) for i in range(0, q.shape[0], batch)]
        return np.concatenate(parts)
    compensation = compensation if compensation is not None else {}
    values = {"input": q}
    for node in qnet.nodes:
        ins = [values[i] for i in node.inputs]
        op = node.op
        if isinstance(op, QMac):
            if hook is not None:
                hook(node, ins[0])
            prod = products[node.name] if isinstance(products, Mapping) else products
            acc = mac_accumulate(op, ins[0], prod, compensation.get(node.name))
            out = requantize(op, acc)
        elif isinstance(op, QPool):
            out = _pool(op, ins[0])
        elif isinstance(op, QFlatten):
            out = ins[0].reshape(ins[0].shape[0], -1)
        elif isinstance(op, QRelu):
            out = np.maximum(ins[0], op.zero)
        elif isinstance(op, QAdd):
            out = _add(op, ins[0], ins[1])
        else:  # pragma: no cover - quantize() builds only the ops above
            raise InputError(f"node {node.name!r}: unsupported operation {type(op).__name__}")
        values[node.name] = out
    return values if keep else values[qnet.output]


def predict(qnet: QNetwork, x, products, **kwargs) -> np.ndarray:
    """Class predictions: the argmax of the output codes (one scale for all classes)."""
    out = run(qnet, x, products, **kwargs)
    return np.argmax(out.reshape(out.shape[0], -1), axis=1)
