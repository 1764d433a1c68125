"""Post-training quantization of a float :class:`~axhdl.nn.graph.Network` to integers.

The quantized network (:class:`QNetwork`) is what the integer engine (:mod:`axhdl.nn.engine`)
runs and what every multiplier is compared on; it depends on the *scheme* (how operands are
coded for the multiplier) and the operand widths, never on the approximate unit itself, so
the exact and the approximate runs use the same network.

Schemes (:class:`Scheme`; docs/dnn.md has the full description):

``signed``
    for signed units: symmetric two's-complement codes, real = scale · q; weights in
    ±(2^(n-1) − 1) per output channel, activations in [−2^(n-1), 2^(n-1) − 1] (in
    [0, 2^(n-1) − 1] where the tensor is non-negative, e.g. after a ReLU).
``signmag``
    for unsigned units: activations are unsigned codes 0 … 2^n − 1 where the tensor is
    non-negative, sign-magnitude otherwise; weights sign-magnitude ±(2^n − 1). The unit
    multiplies the magnitudes; the sign is applied after.
``zeropoint``
    TFApprox's convention: codes over the unit's operand range with a zero point,
    real = scale · (q − z); the unit multiplies the codes, the cross terms
    −z_w·Σq_x − z_x·Σq_w + K·z_x·z_w are exact. Per-tensor activations, per-channel weights.

Every tensor has a scale and a zero point (0 except in ``zeropoint``), calibrated from the
float network's range on calibration inputs; convolution/linear layers have per-output-channel
weight scales, an integer bias in accumulator units and a fixed-point requantization
multiplier ``M0 · 2^-shift`` ≈ s_x·s_w/s_y (rounding half to even). Batch normalisation is
folded into the layer before it; a ReLU whose input has no other reader is fused into that
layer (its output clipped at the zero point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..unit import operand_range
from .graph import (
    Add,
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
    fold_batchnorm,
)

__all__ = [
    "SCHEMES",
    "Scheme",
    "QTensor",
    "QMac",
    "QAdd",
    "QPool",
    "QFlatten",
    "QRelu",
    "QNode",
    "QNetwork",
    "quantize",
    "fixed_point",
    "ADD_BITS",
]

SCHEMES = ("signed", "signmag", "zeropoint")

#: bits of the fixed-point rescaling multipliers of a residual add
ADD_BITS = 20


@dataclass(frozen=True)
class Scheme:
    """How tensors are coded for a multiplier with ``act_bits``-bit activation and
    ``weight_bits``-bit weight operands; ``unit_signed`` is the unit's signedness."""

    name: str
    act_bits: int
    weight_bits: int
    unit_signed: bool

    def __post_init__(self):
        if self.name not in SCHEMES:
            raise InputError(f"Scheme must be one of {', '.join(SCHEMES)}, not {self.name!r}")
        if self.name == "signed" and not self.unit_signed:
            raise InputError("scheme 'signed' needs a signed unit (use signmag or zeropoint "
                             "for an unsigned one)")
        if self.name == "signmag" and self.unit_signed:
            raise InputError("scheme 'signmag' needs an unsigned unit (use signed or "
                             "zeropoint for a signed one)")
        for name in ("act_bits", "weight_bits"):
            bits = getattr(self, name)
            if bits < 2:
                raise InputError(f"{name} must be at least 2, not {bits}")

    @classmethod
    def for_unit(cls, unit, name: str = "auto") -> Scheme:
        """The scheme ``name`` (``auto``: signed for signed units, signmag otherwise) at the
        widths of ``unit``'s activation and weight operands (``unit.weight_operand``; b when
        the design is symmetric)."""
        if unit.kind != "multiplier":
            raise InputError(
                f"{unit.spec}: a DNN needs a multiplier unit, not one of kind '{unit.kind}'")
        if name == "auto":
            name = "signed" if unit.signed else "signmag"
        act, weight = roles(unit)
        widths = {"a": unit.a_width, "b": unit.b_width}
        return cls(name, widths[act], widths[weight], unit.signed)

    @property
    def zero_point(self) -> bool:
        return self.name == "zeropoint"

    def activation_range(self, nonneg: bool) -> tuple[int, int]:
        """Codes of an activation tensor (non-negative ones where that saves a bit)."""
        n = self.act_bits
        if self.name == "signed":
            return (0 if nonneg else -(1 << (n - 1))), (1 << (n - 1)) - 1
        if self.name == "signmag":
            return (0 if nonneg else -((1 << n) - 1)), (1 << n) - 1
        return operand_range(n, self.unit_signed)

    def weight_range(self) -> tuple[int, int]:
        """Codes of the weights (symmetric except in zeropoint)."""
        n = self.weight_bits
        if self.name == "signed":
            return -((1 << (n - 1)) - 1), (1 << (n - 1)) - 1
        if self.name == "signmag":
            return -((1 << n) - 1), (1 << n) - 1
        return operand_range(n, self.unit_signed)

    def product_domain(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Every (activation, weight) code a product can see: the index ranges of the
        product table."""
        n, m = self.act_bits, self.weight_bits
        if self.name == "signed":
            return operand_range(n, True), operand_range(m, True)
        if self.name == "signmag":
            return (-((1 << n) - 1), (1 << n) - 1), (-((1 << m) - 1), (1 << m) - 1)
        return operand_range(n, self.unit_signed), operand_range(m, self.unit_signed)


def roles(unit) -> tuple[str, str]:
    """(activation operand, weight operand) of a unit: the weight is ``unit.weight_operand``,
    operand b when the design is symmetric."""
    weight = unit.weight_operand or "b"
    return ("b" if weight == "a" else "a"), weight


@dataclass(frozen=True)
class QTensor:
    """Quantization of a tensor: real = scale · (code − zero); codes in [lo, hi]."""

    scale: float
    zero: int
    lo: int
    hi: int

    def quantize(self, x: np.ndarray) -> np.ndarray:
        q = np.rint(np.asarray(x, dtype=np.float64) / self.scale) + self.zero
        return np.clip(q, self.lo, self.hi).astype(np.int64)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return self.scale * (np.asarray(q, dtype=np.float64) - self.zero)


def fixed_point(m: float, bits: int) -> tuple[int, int]:
    """``(M0, shift)`` with ``M0 · 2^-shift`` ≈ ``m`` > 0 and 2^(bits-1) ≤ M0 < 2^bits."""
    if not m > 0 or not math.isfinite(m):
        raise InputError(f"a rescaling factor must be positive and finite, not {m}")
    f, e = math.frexp(m)
    m0 = int(round(f * (1 << bits)))
    shift = bits - e
    if m0 == 1 << bits:
        m0 >>= 1
        shift -= 1
    return m0, shift


@dataclass
class QMac:
    """A quantized convolution (``kind='conv'``) or linear layer.

    ``weight``: int64 codes (Cout, Cin/groups, kh, kw) or (Cout, K); ``w_zero``, ``w_scale``
    per output channel; ``bias``: int64 in accumulator units (s_x · s_w[c]); ``m0``, ``shift``:
    requantization multipliers per channel; ``out`` the output tensor's quantization, whose
    codes are clipped to [``lo``, ``hi``] (``lo`` is the zero point when a ReLU is fused)."""

    kind: str
    weight: np.ndarray
    w_scale: np.ndarray
    w_zero: np.ndarray
    bias: np.ndarray
    m0: np.ndarray
    shift: np.ndarray
    inp: QTensor
    out: QTensor
    lo: int
    hi: int
    relu: bool = False
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    groups: int = 1
    #: the largest |accumulator| the requantization is exact for (checked at run time)
    acc_bound: int = 0

    @property
    def out_channels(self) -> int:
        return self.weight.shape[0]

    @property
    def fan_in(self) -> int:
        """Products summed per output value (K)."""
        return int(np.prod(self.weight.shape[1:]))

    def weight_matrix(self, group: int) -> np.ndarray:
        """Weight codes of one group as (K, Cout/groups)."""
        cg = self.out_channels // self.groups
        w = self.weight[group * cg:(group + 1) * cg]
        return w.reshape(cg, -1).T


@dataclass
class QPool:
    """Max or average pooling on codes (``kind`` 'max' or 'avg'; ``kernel=None``: global)."""

    kind: str
    kernel: tuple[int, int] | None
    stride: tuple[int, int] | None
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class QFlatten:
    pass


@dataclass
class QRelu:
    """ReLU on codes: max(q, zero)."""

    zero: int


@dataclass
class QAdd:
    """Residual add: ``round(((q1 − z1)·m1 + (q2 − z2)·m2) / 2^shift) + z``, clipped to
    [lo, hi]."""

    z1: int
    z2: int
    m1: int
    m2: int
    shift: int
    out: QTensor
    lo: int
    hi: int
    relu: bool = False


@dataclass
class QNode:
    name: str
    op: object
    inputs: tuple[str, ...]


@dataclass
class QNetwork:
    """A quantized network: the input quantization, nodes in topological order, the scheme,
    the tensors' quantization and the float network it came from."""

    scheme: Scheme
    input: QTensor
    nodes: list[QNode]
    tensors: dict[str, QTensor] = field(default_factory=dict)
    input_shape: tuple[int, ...] = ()

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    def mac_nodes(self) -> list[QNode]:
        return [n for n in self.nodes if isinstance(n.op, QMac)]

    def node(self, name: str) -> QNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


def _fuse_relu(net: Network) -> tuple[list, dict[str, str]]:
    """``[[name, layer, inputs, relu_fused]]``: the nodes with each ReLU that alone reads a
    conv/linear/add output fused into that node; and the fused ReLUs' names → their node."""
    rename: dict[str, str] = {}
    out: list[list] = []
    for node in net.nodes:
        inputs = tuple(rename.get(i, i) for i in node.inputs)
        if isinstance(node.layer, ReLU):
            prev = next((e for e in out if e[0] == inputs[0]), None)
            if (prev is not None and isinstance(prev[1], (Conv2d, Linear, Add))
                    and not prev[3] and len(net.consumers(node.inputs[0])) == 1):
                prev[3] = True
                rename[node.name] = prev[0]
                continue
        out.append([node.name, node.layer, inputs, False])
    return out, rename


def _tensor_q(scheme: Scheme, lo_val: float, hi_val: float, nonneg: bool) -> QTensor:
    lo, hi = scheme.activation_range(nonneg)
    if scheme.zero_point:
        rmin, rmax = min(lo_val, 0.0), max(hi_val, 0.0)
        scale = (rmax - rmin) / (hi - lo) if rmax > rmin else 1.0
        zero = int(np.clip(np.rint(lo - rmin / scale), lo, hi))
        return QTensor(float(scale), zero, lo, hi)
    peak = hi_val if nonneg else max(abs(lo_val), abs(hi_val))
    scale = peak / hi if peak > 0 else 1.0
    return QTensor(float(scale), 0, lo, hi)


def _weight_q(scheme: Scheme, w: np.ndarray):
    """Per-output-channel codes, scales and zero points of a weight array (Cout, ...)."""
    flat = w.reshape(w.shape[0], -1)
    lo, hi = scheme.weight_range()
    if scheme.zero_point:
        wmin = np.minimum(flat.min(axis=1), 0.0)
        wmax = np.maximum(flat.max(axis=1), 0.0)
        scale = np.where(wmax > wmin, (wmax - wmin) / (hi - lo), 1.0)
        zero = np.clip(np.rint(lo - wmin / scale), lo, hi).astype(np.int64)
    else:
        peak = np.abs(flat).max(axis=1)
        scale = np.where(peak > 0, peak / hi, 1.0)
        zero = np.zeros(w.shape[0], dtype=np.int64)
    shape = (-1,) + (1,) * (w.ndim - 1)
    codes = np.clip(np.rint(w / scale.reshape(shape)) + zero.reshape(shape), lo, hi)
    return codes.astype(np.int64), scale, zero


def quantize(net: Network, calibration: np.ndarray, scheme: Scheme) -> QNetwork:
    """Quantize ``net`` for ``scheme``, with activation ranges from float inference on the
    ``calibration`` inputs (float, shape (N, *input_shape))."""
    calibration = np.asarray(calibration, dtype=np.float64)
    if calibration.ndim < 2 or calibration.shape[0] == 0:
        raise InputError("calibration data must be a non-empty batch of inputs")
    net = fold_batchnorm(net)
    nodes, rename = _fuse_relu(net)
    values = net.forward(calibration, keep=True)
    for old, new in rename.items():
        values[new] = values[old]  # a fused ReLU's output is its producer's
    nonneg = {"input": bool(calibration.min() >= 0)}
    tensors: dict[str, QTensor] = {}
    x = values["input"]
    tensors["input"] = _tensor_q(scheme, float(x.min()), float(x.max()), nonneg["input"])
    qnodes: list[QNode] = []
    for name, layer, inputs, relu in nodes:
        ins = [tensors[i] for i in inputs]
        v = values[name]
        if isinstance(layer, (Conv2d, Linear)):
            nonneg[name] = relu
            out = _tensor_q(scheme, float(v.min()), float(v.max()), relu)
            op = _quantize_mac(scheme, layer, ins[0], out, relu)
        elif isinstance(layer, Add):
            nonneg[name] = relu or (nonneg[inputs[0]] and nonneg[inputs[1]])
            out = _tensor_q(scheme, float(v.min()), float(v.max()), nonneg[name])
            op = _quantize_add(ins[0], ins[1], out, relu)
        elif isinstance(layer, ReLU):
            nonneg[name] = True
            out = ins[0]
            op = QRelu(out.zero)
        elif isinstance(layer, (MaxPool2d, AvgPool2d)):
            nonneg[name] = nonneg[inputs[0]]
            out = ins[0]
            if isinstance(layer, MaxPool2d):
                op = QPool("max", layer.kernel, layer.stride, layer.padding)
            else:
                op = QPool("avg", layer.kernel, layer.stride)
        elif isinstance(layer, Flatten):
            nonneg[name] = nonneg[inputs[0]]
            out = ins[0]
            op = QFlatten()
        else:
            raise InputError(f"node {name!r}: layer {type(layer).__name__} is not supported")
        tensors[name] = out
        qnodes.append(QNode(name, op, inputs))
    return QNetwork(scheme, tensors["input"], qnodes, tensors, tuple(net.input_shape))


def _quantize_mac(scheme: Scheme, layer, inp: QTensor, out: QTensor, relu: bool) -> QMac:
    codes, w_scale, w_zero = _weight_q(scheme, layer.weight)
    acc_scale = inp.scale * w_scale
    bias = np.rint(layer.bias / acc_scale).astype(np.int64)
    k = int(np.prod(codes.shape[1:]))
    acc_bound = k << (scheme.act_bits + scheme.weight_bits + 2)
    acc_bound += int(np.abs(bias).max(initial=0))
    bits = min(31, 53 - acc_bound.bit_length())
    if bits < 8:
        raise InputError(
            f"a layer of {k} products of {scheme.act_bits}x{scheme.weight_bits} bits leaves "
            f"{bits} bits for its requantization multiplier (at least 8 needed)"
        )
    pairs = [fixed_point(float(m), bits) for m in acc_scale / out.scale]
    m0 = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    lo = max(out.lo, out.zero) if relu else out.lo
    common = dict(weight=codes, w_scale=w_scale, w_zero=w_zero, bias=bias, m0=m0,
                  shift=shift, inp=inp, out=out, lo=lo, hi=out.hi, relu=relu,
                  acc_bound=acc_bound)
    if isinstance(layer, Conv2d):
        return QMac("conv", stride=layer.stride, padding=layer.padding, groups=layer.groups,
                    **common)
    return QMac("linear", **common)


def _quantize_add(a: QTensor, b: QTensor, out: QTensor, relu: bool) -> QAdd:
    ra, rb = a.scale / out.scale, b.scale / out.scale
    _, shift = fixed_point(max(ra, rb), ADD_BITS)
    m1, m2 = int(round(ra * 2.0 ** shift)), int(round(rb * 2.0 ** shift))
    lo = max(out.lo, out.zero) if relu else out.lo
    return QAdd(a.zero, b.zero, m1, m2, shift, out, lo, out.hi, relu)
