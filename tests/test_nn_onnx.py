"""ONNX import: models built here with onnx.helper give the same float outputs and the same
quantized predictions as the networks written directly with the engine; unsupported nodes
are one error naming the node."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from axhdl.errors import InputError
from axhdl.nn.engine import predict, run
from axhdl.nn.graph import (
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
from axhdl.nn.onnx_import import load_onnx
from axhdl.nn.products import Products
from axhdl.nn.quantize import Scheme, quantize
from axhdl.registry import make_unit


def _init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def params(seed=0):
    rng = np.random.default_rng(seed)
    f32 = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    return {
        "w1": f32(6, 2, 3, 3), "b1": f32(6) * 0.1,
        "g": rng.uniform(0.5, 1.5, 6).astype(np.float32), "beta": f32(6) * 0.1,
        "mean": f32(6) * 0.1, "var": rng.uniform(0.5, 2, 6).astype(np.float32),
        "wd": f32(6, 1, 3, 3), "bd": f32(6) * 0.1,
        "wf": f32(4, 6), "bf": f32(4),
    }


def residual_onnx(path, p):
    """Conv (stride 2, asymmetric pads) → BatchNormalization → Relu → depthwise Conv → Add
    (residual) → Relu → MaxPool → GlobalAveragePool → Flatten → Gemm (transB)."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", strides=[2, 2],
                         pads=[1, 0, 2, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["bn"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "wd", "bd"], ["d1"], name="dw", group=6,
                         pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "d1"], ["s"], name="res"),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["m"], name="pool", kernel_shape=[2, 2],
                         strides=[1, 1]),
        helper.make_node("GlobalAveragePool", ["m"], ["gp"], name="gap"),
        helper.make_node("Flatten", ["gp"], ["fl"], name="flat", axis=1),
        helper.make_node("Gemm", ["fl", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 9, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [_init(k, v) for k, v in p.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def residual_direct(p):
    net = Network((2, 9, 9))
    net.add(Conv2d(p["w1"], p["b1"], stride=2, padding=(1, 0, 2, 1)))
    net.add(BatchNorm2d(p["g"], p["beta"], p["mean"], p["var"], 1e-5))
    r1 = net.add(ReLU())
    d1 = net.add(Conv2d(p["wd"], p["bd"], padding=1, groups=6))
    net.add(Add(), (r1, d1))
    net.add(ReLU())
    net.add(MaxPool2d(2, 1))
    net.add(AvgPool2d(None))
    net.add(Flatten())
    net.add(Linear(p["wf"], p["bf"]))
    return net


def mlp_onnx(path, w1, b1, w2, b2):
    """Reshape → MatMul + Add (bias) → Dropout → Relu → Gemm → Identity."""
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "w1"], ["h"], name="mm1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
        helper.make_node("Dropout", ["hb"], ["hd"], name="drop"),
        helper.make_node("Relu", ["hd"], ["hr"], name="relu"),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["o"], name="fc2"),
        helper.make_node("Identity", ["o"], ["y"], name="id"),
    ]
    inits = [_init("w1", w1), _init("b1", b1), _init("w2", w2), _init("b2", b2),
             numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "shape")]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


class TestImport:
    def test_residual_network_same_float_outputs(self, tmp_path):
        p = params()
        residual_onnx(tmp_path / "r.onnx", p)
        net = load_onnx(tmp_path / "r.onnx")
        assert [type(n.layer).__name__ for n in net.nodes] == [
            "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "Add", "ReLU", "MaxPool2d",
            "AvgPool2d", "Flatten", "Linear"]
        x = np.random.default_rng(1).normal(size=(8, 2, 9, 9))
        np.testing.assert_allclose(net.forward(x), residual_direct(p).forward(x), rtol=1e-12)

    @pytest.mark.parametrize("spec", ["mitchell:width=8,signed=true", "drum:width=8,k=4"])
    def test_same_quantized_predictions(self, tmp_path, spec):
        p = params(2)
        residual_onnx(tmp_path / "r.onnx", p)
        rng = np.random.default_rng(3)
        cal, x = rng.normal(size=(64, 2, 9, 9)), rng.normal(size=(100, 2, 9, 9))
        unit = make_unit(spec)
        sch = Scheme.for_unit(unit)
        prod = Products(unit, sch)
        q_onnx = quantize(load_onnx(tmp_path / "r.onnx"), cal, sch)
        q_direct = quantize(residual_direct(p), cal, sch)
        out = run(q_onnx, x, prod)
        np.testing.assert_array_equal(out, run(q_direct, x, prod))
        np.testing.assert_array_equal(predict(q_onnx, x, prod), predict(q_direct, x, prod))
        assert len(np.unique(out.argmax(axis=1))) > 1

    def test_matmul_bias_reshape_dropout_identity(self, tmp_path):
        rng = np.random.default_rng(4)
        w1, b1 = rng.normal(size=(16, 5)), rng.normal(size=5)
        w2, b2 = rng.normal(size=(5, 3)), rng.normal(size=3)
        mlp_onnx(tmp_path / "m.onnx", w1, b1, w2, b2)
        net = load_onnx(tmp_path / "m.onnx")
        assert [type(n.layer).__name__ for n in net.nodes] == ["Flatten", "Linear", "ReLU",
                                                                "Linear"]
        x = rng.normal(size=(6, 1, 4, 4))
        h = np.maximum(x.reshape(6, -1) @ w1.astype(np.float32) + b1.astype(np.float32), 0)
        want = h @ w2.astype(np.float32) + b2.astype(np.float32)
        np.testing.assert_allclose(net.forward(x), want, rtol=1e-6)


class TestRefusals:
    def _model(self, path, node, extra_inits=()):
        graph = helper.make_graph(
            [node], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
            list(extra_inits))
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                  str(path))

    def test_unsupported_operator_names_the_node(self, tmp_path):
        self._model(tmp_path / "s.onnx", helper.make_node("Sigmoid", ["x"], ["y"],
                                                          name="act1"))
        with pytest.raises(InputError, match=r"s\.onnx: node 'act1' \(Sigmoid\) is not "
                                             r"supported; supported operators: Conv, Gemm"):
            load_onnx(tmp_path / "s.onnx")

    def test_unsupported_attribute_names_the_node(self, tmp_path):
        node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", alpha=2.0)
        self._model(tmp_path / "g.onnx", node, [_init("w", np.eye(3))])
        with pytest.raises(InputError, match=r"node 'fc' \(Gemm\): only alpha = beta = 1 "
                                             r"and transA = 0 are supported"):
            load_onnx(tmp_path / "g.onnx")

    def test_not_onnx(self, tmp_path):
        (tmp_path / "x.onnx").write_bytes(b"\x00garbage")
        with pytest.raises(InputError, match="not a readable ONNX model"):
            load_onnx(tmp_path / "x.onnx")
        with pytest.raises(InputError, match="ONNX model not found"):
            load_onnx(tmp_path / "missing.onnx")
