"""Import a float ONNX model as a :class:`~axhdl.nn.graph.Network` (axhdl quantizes it).

``onnx`` is used to read the file only, never to run it. Supported nodes (the engine's layer
set): ``Conv`` (2-D; strides, pads, group; dilations 1), ``Gemm`` (alpha = beta = 1, constant
B, transB either way, transA 0), ``MatMul`` with a constant right operand (optionally
followed by an ``Add`` of a constant: the bias), ``Relu``, ``MaxPool`` (2-D, dilations 1,
ceil_mode 0), ``AveragePool`` (2-D, no padding), ``GlobalAveragePool``, ``Flatten``
(axis 1), ``Reshape`` to (N, −1), ``Add`` of two tensors (residual) or of a constant bias
after Conv/Gemm/MatMul, ``BatchNormalization`` (folded at quantization), and ``Identity``
and ``Dropout`` as pass-throughs. Anything else is one error naming the node and its
operator. The model has one input (N, C, H, W) or (N, F) and one output, the class scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .graph import (
    Add,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
)

__all__ = ["load_onnx", "SUPPORTED_OPS"]

SUPPORTED_OPS = ("Conv", "Gemm", "MatMul", "Relu", "MaxPool", "AveragePool",
                 "GlobalAveragePool", "Flatten", "Reshape", "Add", "BatchNormalization",
                 "Identity", "Dropout")


def _attrs(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _node_label(node, index: int) -> str:
    return f"node {node.name or f'#{index}'!r} ({node.op_type})"


def load_onnx(path: str | Path) -> Network:
    """The float network of an ONNX file (see the module docstring for what is supported)."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("ONNX import needs the onnx package: pip install onnx") from None
    path = Path(path)
    if not path.is_file():
        raise InputError(f"ONNX model not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as e:  # onnx raises DecodeError and friends
        raise InputError(f"{path}: not a readable ONNX model: {e}") from None
    graph = model.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in consts]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise InputError(f"{path}: the model must have one input and one output, not "
                         f"{len(inputs)} and {len(graph.output)}")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = []
    for d in list(dims)[1:]:
        if not d.HasField("dim_value"):
            raise InputError(f"{path}: input {inputs[0].name!r} needs fixed sizes after the "
                             f"batch dimension")
        shape.append(int(d.dim_value))
    if len(shape) not in (1, 3):
        raise InputError(f"{path}: the input must be (N, C, H, W) or (N, F), not "
                         f"{len(shape) + 1}-dimensional")
    net = Network(tuple(shape))
    names = {inputs[0].name: "input"}  # ONNX tensor → network tensor
    producer: dict[str, object] = {}  # network tensor → its layer
    for index, node in enumerate(graph.node):
        label = _node_label(node, index)
        op = node.op_type
        a = _attrs(node)
        if op == "Constant":
            value = a.get("value")
            if value is None:
                raise InputError(f"{path}: {label}: only tensor constants are supported")
            consts[node.output[0]] = numpy_helper.to_array(value).astype(np.float64)
            continue
        if op not in SUPPORTED_OPS:
            raise InputError(f"{path}: {label} is not supported; supported operators: "
                             f"{', '.join(SUPPORTED_OPS)}")

        def src(i: int, _node=node, _label=label) -> str:
            name = _node.input[i]
            if name not in names:
                raise InputError(f"{path}: {_label}: input {name!r} is not a computed tensor")
            return names[name]

        def const(i: int, _node=node, _label=label) -> np.ndarray:
            if i >= len(_node.input) or _node.input[i] not in consts:
                raise InputError(f"{path}: {_label}: input {i} must be a constant")
            return consts[_node.input[i]]

        layer = None
        inputs_ = None
        name = node.name or f"{op.lower()}{index}"
        try:
            if op == "Conv":
                if any(d != 1 for d in a.get("dilations", [1, 1])):
                    raise ValueError("dilations other than 1 are not supported")
                if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                    raise ValueError("auto_pad is not supported; give pads")
                w = const(1)
                if w.ndim != 4:
                    raise ValueError("only 2-D convolutions are supported")
                bias = const(2) if len(node.input) > 2 and node.input[2] else None
                pads = a.get("pads", [0, 0, 0, 0])
                layer = Conv2d(w, bias, stride=tuple(a.get("strides", [1, 1])),
                               padding=(pads[0], pads[1], pads[2], pads[3]),
                               groups=int(a.get("group", 1)))
            elif op == "Gemm":
                if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                    raise ValueError("only alpha = beta = 1 and transA = 0 are supported")
                w = const(1)
                w = w if a.get("transB", 0) else w.T
                bias = const(2).reshape(-1) if len(node.input) > 2 and node.input[2] else None
                layer = Linear(w, bias)
            elif op == "MatMul":
                layer = Linear(const(1).T)
            elif op == "Relu":
                layer = ReLU()
            elif op == "MaxPool":
                if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
                    raise ValueError("ceil_mode and dilations are not supported")
                kernel = tuple(a["kernel_shape"])
                pads = a.get("pads", [0, 0, 0, 0])
                layer = MaxPool2d(kernel, tuple(a.get("strides", kernel)),
                                  (pads[0], pads[1], pads[2], pads[3]))
            elif op == "AveragePool":
                if any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0):
                    raise ValueError("padding and ceil_mode are not supported")
                kernel = tuple(a["kernel_shape"])
                layer = AvgPool2d(kernel, tuple(a.get("strides", kernel)))
            elif op == "GlobalAveragePool":
                layer = AvgPool2d(None)
            elif op == "Flatten":
                if a.get("axis", 1) != 1:
                    raise ValueError("only axis = 1 is supported")
                layer = Flatten()
            elif op == "Reshape":
                target = const(1).astype(np.int64).reshape(-1).tolist()
                if len(target) != 2 or (target[1] != -1 and target[0] not in (0, -1)):
                    raise ValueError(f"only a reshape to (N, -1) is supported, not {target}")
                layer = Flatten()
            elif op == "BatchNormalization":
                layer = BatchNorm2d(const(1), const(2), const(3), const(4),
                                    float(a.get("epsilon", 1e-5)))
            elif op in ("Identity", "Dropout"):
                names[node.output[0]] = src(0)
                continue
            elif op == "Add":
                computed = [i for i in node.input if i in names]
                if len(computed) == 2:
                    layer, inputs_ = Add(), (src(0), src(1))
                elif len(computed) == 1:
                    other = [i for i in node.input if i not in names]
                    prev_name = names[computed[0]]
                    prev = producer.get(prev_name)
                    bias = consts.get(other[0]) if other else None
                    if bias is None or not isinstance(prev, (Conv2d, Linear)):
                        raise ValueError("a constant can only be added as the bias of a Conv, "
                                         "Gemm or MatMul")
                    n_out = prev.weight.shape[0]
                    if bias.size != n_out:
                        raise ValueError(f"the bias has {bias.size} values for {n_out} outputs")
                    prev.bias = prev.bias + bias.reshape(-1)
                    names[node.output[0]] = prev_name
                    continue
                else:
                    raise ValueError("an Add of two constants is not supported")
        except (ValueError, KeyError) as e:
            raise InputError(f"{path}: {label}: {e}") from None
        if inputs_ is None:
            inputs_ = (src(0),)
        try:
            out_name = net.add(layer, inputs_, name=_unique(net, name))
        except ValueError as e:
            raise InputError(f"{path}: {label}: {e}") from None
        names[node.output[0]] = out_name
        producer[out_name] = layer
    out = graph.output[0].name
    if out not in names or not net.nodes or names[out] != net.output:
        raise InputError(f"{path}: the output {out!r} must be the last node's")
    return net


def _unique(net: Network, name: str) -> str:
    taken = {"input", *(n.name for n in net.nodes)}
    base, i = name, 1
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    return name
