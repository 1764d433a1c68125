"""Float networks: the layers the engine supports, a small graph of them, float inference.

A :class:`Network` is a list of named nodes in topological order, each a layer applied to
earlier tensors (``"input"`` is the network input); the last node is the output. Tensors are
NCHW (images) or NF (vectors) float64 arrays; :class:`Flatten` goes from the first to the
second in C, H, W order (as PyTorch and ONNX do).

Supported layers: :class:`Conv2d` (stride, asymmetric padding, groups: depthwise included),
:class:`Linear`, :class:`ReLU`, :class:`MaxPool2d`, :class:`AvgPool2d` (global too),
:class:`Flatten`, :class:`Add` (residual) and :class:`BatchNorm2d`, which quantization folds
into the convolution or linear layer before it (:func:`fold_batchnorm`).

This module is the float side (calibration, training, the float accuracy); the integer
engine is :mod:`axhdl.nn.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError

__all__ = [
    "Conv2d",
    "Linear",
    "ReLU",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "Add",
    "BatchNorm2d",
    "Node",
    "Network",
    "fold_batchnorm",
    "pad4",
    "windows",
]


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"{name} must be a positive integer or a pair of them, not {value}")
    return value


def pad4(padding) -> tuple[int, int, int, int]:
    """Padding as (top, left, bottom, right) from an int, (rows, columns) or 4 values."""
    if isinstance(padding, (int, np.integer)):
        padding = (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    if len(padding) != 4 or min(padding) < 0:
        raise ValueError(
            f"padding must be an int, (rows, columns) or (top, left, bottom, right) of "
            f"non-negative integers, not {padding}"
        )
    return padding


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            padding: tuple[int, int, int, int], pad_value) -> np.ndarray:
    """Sliding windows of an NCHW array: a view (N, C, Ho, Wo, kh, kw) of ``x`` padded with
    ``pad_value``."""
    pt, pl, pb, pr = padding
    if any(padding):
        x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=pad_value)
    kh, kw = kernel
    if x.shape[2] < kh or x.shape[3] < kw:
        raise InputError(
            f"a {kh}x{kw} window does not fit a {x.shape[2]}x{x.shape[3]} (padded) input"
        )
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]


@dataclass
class Conv2d:
    """2-D convolution (cross-correlation, as in PyTorch and ONNX). ``weight`` has shape
    (out_channels, in_channels / groups, kh, kw); ``padding`` is (top, left, bottom, right)."""

    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    groups: int = 1

    def __post_init__(self):
        self.weight = np.asarray(self.weight, dtype=np.float64)
        if self.weight.ndim != 4:
            raise ValueError(f"Conv2d weight must have 4 dimensions, not shape "
                             f"{self.weight.shape}")
        cout = self.weight.shape[0]
        self.bias = (np.zeros(cout) if self.bias is None
                     else np.asarray(self.bias, dtype=np.float64).reshape(cout))
        self.stride = _pair(self.stride, "stride")
        self.padding = pad4(self.padding)
        if not isinstance(self.groups, (int, np.integer)) or self.groups < 1:
            raise ValueError(f"groups must be a positive integer, not {self.groups!r}")
        self.groups = int(self.groups)
        if cout % self.groups:
            raise ValueError(f"out_channels ({cout}) must be a multiple of groups "
                             f"({self.groups})")

    @property
    def kernel(self) -> tuple[int, int]:
        return self.weight.shape[2], self.weight.shape[3]

    @property
    def in_channels(self) -> int:
        return self.weight.shape[1] * self.groups

    @property
    def out_channels(self) -> int:
        return self.weight.shape[0]

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_channels(self, x)
        win = windows(x, self.kernel, self.stride, self.padding, 0.0)
        n, _, ho, wo = win.shape[:4]
        g = self.groups
        cin_g, cout_g = self.weight.shape[1], self.out_channels // g
        out = np.empty((n, self.out_channels, ho, wo))
        for i in range(g):
            cols = win[:, i * cin_g:(i + 1) * cin_g].transpose(0, 2, 3, 1, 4, 5)
            cols = cols.reshape(n * ho * wo, -1)
            w = self.weight[i * cout_g:(i + 1) * cout_g].reshape(cout_g, -1)
            y = cols @ w.T + self.bias[i * cout_g:(i + 1) * cout_g]
            out[:, i * cout_g:(i + 1) * cout_g] = y.reshape(n, ho, wo, cout_g).transpose(
                0, 3, 1, 2)
        return out


def _check_channels(layer: Conv2d, x: np.ndarray) -> None:
    if x.ndim != 4 or x.shape[1] != layer.in_channels:
        raise InputError(
            f"Conv2d expects input (N, {layer.in_channels}, H, W), not {tuple(x.shape)}"
        )


@dataclass
class Linear:
    """Fully connected layer: ``y = x @ weight.T + bias``; weight (out, in)."""

    weight: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self):
        self.weight = np.asarray(self.weight, dtype=np.float64)
        if self.weight.ndim != 2:
            raise ValueError(f"Linear weight must have 2 dimensions, not shape "
                             f"{self.weight.shape}")
        out = self.weight.shape[0]
        self.bias = (np.zeros(out) if self.bias is None
                     else np.asarray(self.bias, dtype=np.float64).reshape(out))

    @property
    def in_features(self) -> int:
        return self.weight.shape[1]

    @property
    def out_features(self) -> int:
        return self.weight.shape[0]

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise InputError(
                f"Linear expects input (N, {self.in_features}), not {tuple(x.shape)}"
            )
        return x @ self.weight.T + self.bias


@dataclass
class ReLU:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)


@dataclass
class MaxPool2d:
    """Max pooling; padded positions never win (they hold -inf)."""

    kernel: tuple[int, int]
    stride: tuple[int, int] | None = None
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)

    def __post_init__(self):
        self.kernel = _pair(self.kernel, "kernel")
        self.stride = _pair(self.kernel if self.stride is None else self.stride, "stride")
        self.padding = pad4(self.padding)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return windows(x, self.kernel, self.stride, self.padding, -np.inf).max(axis=(4, 5))


@dataclass
class AvgPool2d:
    """Average pooling without padding; ``kernel=None`` is global average pooling."""

    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None

    def __post_init__(self):
        if self.kernel is not None:
            self.kernel = _pair(self.kernel, "kernel")
            self.stride = _pair(self.kernel if self.stride is None else self.stride, "stride")

    def geometry(self, shape) -> tuple[tuple[int, int], tuple[int, int]]:
        if self.kernel is None:
            return (shape[2], shape[3]), (1, 1)
        return self.kernel, self.stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        kernel, stride = self.geometry(x.shape)
        return windows(x, kernel, stride, (0, 0, 0, 0), 0.0).mean(axis=(4, 5))


@dataclass
class Flatten:
    """(N, C, H, W) → (N, C·H·W), C slowest."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(x.shape[0], -1)


@dataclass
class Add:
    """Element-wise sum of two tensors of one shape (residual connection)."""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.shape != y.shape:
            raise InputError(f"Add needs two tensors of one shape, not {x.shape} and {y.shape}")
        return x + y


@dataclass
class BatchNorm2d:
    """Inference batch normalisation, per channel: ``(x - mean) / sqrt(var + eps) * gamma +
    beta``; folded into the preceding layer before quantization."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float = 1e-5

    def __post_init__(self):
        for name in ("gamma", "beta", "mean", "var"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))

    @property
    def scale(self) -> np.ndarray:
        return self.gamma / np.sqrt(self.var + self.eps)

    def forward(self, x: np.ndarray) -> np.ndarray:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - self.mean.reshape(shape)) * self.scale.reshape(shape) + \
            self.beta.reshape(shape)


#: layers with weights, whose products go through the multiplier
MAC_LAYERS = (Conv2d, Linear)


@dataclass
class Node:
    """One layer applied to named tensors; its output is the tensor ``name``."""

    name: str
    layer: object
    inputs: tuple[str, ...]


@dataclass
class Network:
    """A float network: ``input_shape`` (without the batch dimension) and nodes in
    topological order; the last node's tensor is the output (class scores)."""

    input_shape: tuple[int, ...]
    nodes: list[Node] = field(default_factory=list)

    def add(self, layer, inputs: str | tuple[str, ...] | list[str] | None = None,
            name: str | None = None) -> str:
        """Append ``layer`` reading ``inputs`` (default: the previous node, or the input);
        return its tensor's name."""
        if inputs is None:
            inputs = (self.nodes[-1].name if self.nodes else "input",)
        elif isinstance(inputs, str):
            inputs = (inputs,)
        inputs = tuple(inputs)
        known = {"input", *(n.name for n in self.nodes)}
        for i in inputs:
            if i not in known:
                raise ValueError(f"input {i!r} of a new node is not an earlier tensor")
        want = 2 if isinstance(layer, Add) else 1
        if len(inputs) != want:
            raise ValueError(f"{type(layer).__name__} takes {want} input(s), not {len(inputs)}")
        name = name or f"{type(layer).__name__.lower()}{len(self.nodes)}"
        if name in known:
            raise ValueError(f"node name {name!r} is used twice")
        self.nodes.append(Node(name, layer, inputs))
        return name

    @classmethod
    def sequential(cls, input_shape, layers) -> Network:
        net = cls(tuple(input_shape))
        for layer in layers:
            net.add(layer)
        return net

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def forward(self, x: np.ndarray, *, keep: bool = False):
        """Float inference on a batch; the output, or every tensor (``keep=True``)."""
        x = np.asarray(x, dtype=np.float64)
        if tuple(x.shape[1:]) != tuple(self.input_shape):
            raise InputError(
                f"the network expects inputs of shape (N, {', '.join(map(str, self.input_shape))})"
                f", not {tuple(x.shape)}"
            )
        values = {"input": x}
        for node in self.nodes:
            values[node.name] = node.layer.forward(*(values[i] for i in node.inputs))
        return values if keep else values[self.output]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(x), axis=1)


def fold_batchnorm(net: Network) -> Network:
    """The same network with every :class:`BatchNorm2d` folded into the convolution or linear
    layer before it (which must have no other reader)."""
    nodes = [Node(n.name, n.layer, n.inputs) for n in net.nodes]
    rename: dict[str, str] = {}
    out: list[Node] = []
    by_name = {}
    for node in nodes:
        node.inputs = tuple(rename.get(i, i) for i in node.inputs)
        if isinstance(node.layer, BatchNorm2d):
            (src,) = node.inputs
            prev = by_name.get(src)
            readers = [n for n in nodes if src in n.inputs]
            if prev is None or not isinstance(prev.layer, MAC_LAYERS) or len(readers) != 1:
                raise InputError(
                    f"BatchNorm node {node.name!r} can only be folded into a Conv2d or Linear "
                    f"layer that feeds it alone"
                )
            bn = node.layer
            n_out = prev.layer.weight.shape[0]
            if bn.gamma.size != n_out:
                raise InputError(
                    f"BatchNorm node {node.name!r} has {bn.gamma.size} channels, its input "
                    f"{n_out}"
                )
            s = bn.scale
            w = prev.layer.weight * s.reshape((-1,) + (1,) * (prev.layer.weight.ndim - 1))
            b = (prev.layer.bias - bn.mean) * s + bn.beta
            prev.layer = replace(prev.layer, weight=w, bias=b)
            rename[node.name] = prev.name
            continue
        by_name[node.name] = node
        out.append(node)
    return Network(net.input_shape, out)
