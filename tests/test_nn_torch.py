"""PyTorch import (axhdl.nn.torch_import).

Without torch: stand-ins with torch.nn's class names and attributes check the layer walk
against the same network written directly with the engine, and the errors. With torch (the
optional extra; these tests skip where it is not installed): real ``nn.Sequential`` models
give the float outputs of torch's own forward pass, saved files run through ``axhdl dnn``, and
files that are not a plain Sequential of torch.nn layers are refused."""

import importlib.util
import json

import numpy as np
import pytest

from axhdl.cli import main
from axhdl.errors import InputError
from axhdl.nn.engine import run
from axhdl.nn.evaluate import evaluate, load_model_and_data
from axhdl.nn.graph import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
)
from axhdl.nn.products import Products
from axhdl.nn.quantize import Scheme, quantize
from axhdl.nn.torch_import import from_torch, load_torch
from axhdl.registry import make_unit

# -- stand-ins: the public attributes of torch.nn's layers, without torch ---------------------


class _Module:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def named_children(self):
        return iter(())


def _standin(name, module="torch.nn.modules.layers"):
    return type(name, (_Module,), {"__module__": module})


class Sequential(_Module):
    __module__ = "torch.nn.modules.container"

    def __init__(self, *layers, names=None):
        self.layers = list(zip(names or [str(i) for i in range(len(layers))], layers))

    def named_children(self):
        return iter(self.layers)


FakeConv = _standin("Conv2d")
FakeBN = _standin("BatchNorm2d")
FakeReLU = _standin("ReLU")
FakeMax = _standin("MaxPool2d")
FakeAvg = _standin("AvgPool2d")
FakeAdaptive = _standin("AdaptiveAvgPool2d")
FakeFlatten = _standin("Flatten")
FakeDropout = _standin("Dropout")
FakeLinear = _standin("Linear")


def weights(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(size=(6, 2, 3, 3)), "b1": rng.normal(size=6) * 0.1,
        "g": rng.uniform(0.5, 1.5, 6), "beta": rng.normal(size=6) * 0.1,
        "mean": rng.normal(size=6) * 0.1, "var": rng.uniform(0.5, 2, 6),
        "w2": rng.normal(size=(8, 3, 2, 2)), "b2": rng.normal(size=8) * 0.1,
        "wf": rng.normal(size=(4, 8)), "bf": rng.normal(size=4),
    }


def standin_model(p):
    """Conv (stride 2, padding 1) → BatchNorm → ReLU → MaxPool (padding 1, stride 1) →
    [grouped 2×2 conv, 'same' padding → ReLU] → AvgPool 2 → AdaptiveAvgPool 1 → Flatten →
    Dropout → Linear; input (2, 11, 11)."""
    inner = Sequential(
        FakeConv(weight=p["w2"], bias=p["b2"], stride=(1, 1), padding="same",
                 dilation=(1, 1), groups=2, padding_mode="zeros"),
        FakeReLU(inplace=True))
    return Sequential(
        FakeConv(weight=p["w1"], bias=p["b1"], stride=(2, 2), padding=(1, 1),
                 dilation=(1, 1), groups=1, padding_mode="zeros"),
        FakeBN(num_features=6, weight=p["g"], bias=p["beta"], running_mean=p["mean"],
               running_var=p["var"], eps=1e-5),
        FakeReLU(inplace=False),
        FakeMax(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False,
                return_indices=False),
        inner,
        FakeAvg(kernel_size=2, stride=None, padding=0, ceil_mode=False,
                divisor_override=None),
        FakeAdaptive(output_size=(1, 1)),
        FakeFlatten(start_dim=1, end_dim=-1),
        FakeDropout(p=0.5),
        FakeLinear(weight=p["wf"], bias=p["bf"]))


def direct_network(p):
    """The same network written with the engine (node names as the importer gives them)."""
    net = Network((2, 11, 11))
    net.add(Conv2d(p["w1"], p["b1"], stride=2, padding=1), name="0")
    net.add(BatchNorm2d(p["g"], p["beta"], p["mean"], p["var"], 1e-5), name="1")
    net.add(ReLU(), name="2")
    net.add(MaxPool2d(3, 1, padding=1), name="3")
    net.add(Conv2d(p["w2"], p["b2"], padding=(0, 0, 1, 1), groups=2), name="4.0")
    net.add(ReLU(), name="4.1")
    net.add(AvgPool2d(2), name="5")
    net.add(AvgPool2d(), name="6")
    net.add(Flatten(), name="7")
    net.add(Linear(p["wf"], p["bf"]), name="9")
    return net


class TestLayerWalk:
    def test_same_network_as_written_directly(self):
        p = weights()
        got = from_torch(standin_model(p), (2, 11, 11))
        want = direct_network(p)
        assert [n.name for n in got.nodes] == [n.name for n in want.nodes]
        for a, b in zip(got.nodes, want.nodes):
            assert type(a.layer) is type(b.layer) and a.inputs == b.inputs
        conv2 = got.nodes[4].layer
        assert conv2.padding == (0, 0, 1, 1) and conv2.groups == 2  # 'same', 2x2 kernel
        x = np.random.default_rng(1).normal(size=(20, 2, 11, 11))
        np.testing.assert_array_equal(got.forward(x), want.forward(x))
        # and the same quantized network: equal output codes with an approximate unit
        unit = make_unit("mitchell:width=8,signed=true")
        sch = Scheme.for_unit(unit)
        q1, q2 = (quantize(n, x, sch) for n in (got, want))
        np.testing.assert_array_equal(run(q1, x, Products(unit, sch)),
                                      run(q2, x, Products(unit, sch)))

    @pytest.mark.parametrize(("model", "message"), [
        (lambda: Sequential(FakeReLU(), _standin("Sigmoid")()),
         ("layer 1 (Sigmoid) is not supported; supported layers: Conv2d, Linear, ReLU, "
          "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, BatchNorm2d, BatchNorm1d, "
          "Identity, Dropout (in Sequential containers)")),
        (lambda: Sequential(FakeReLU(), Sequential(FakeReLU(), _standin("GELU")())),
         "layer 1.1 (GELU) is not supported"),
        (lambda: Sequential(FakeReLU(), _standin("ReLU", "mypkg.layers")()),
         "layer 1 (mypkg.layers.ReLU) is not supported"),
        (lambda: Sequential(FakeConv(weight=np.ones((1, 1, 3, 3)), bias=None, stride=1,
                                     padding=0, dilation=(2, 2), groups=1,
                                     padding_mode="zeros"), names=["conv"]),
         "layer conv (Conv2d): dilation (2, 2) is not supported (only 1)"),
        (lambda: Sequential(FakeAdaptive(output_size=2)),
         ("layer 0 (AdaptiveAvgPool2d): only output size 1 (global average pooling) is "
          "supported, not 2")),
        (lambda: FakeReLU(), ("a PyTorch model must be a torch.nn.Sequential, not "
                              "torch.nn.modules.layers.ReLU")),
        (lambda: Sequential(), "the PyTorch model has no layers"),
    ])
    def test_errors(self, model, message):
        with pytest.raises(InputError) as exc:
            from_torch(model(), (1, 5, 5))
        assert str(exc.value).startswith(message)

    def test_input_shape_checked(self):
        with pytest.raises(InputError, match=r"must be \(C, H, W\) or \(F,\) of positive "
                                             r"sizes, not \(3, 4\)"):
            from_torch(Sequential(FakeReLU()), (3, 4))


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None,
                    reason="torch is installed")
def test_file_needs_torch(tmp_path, capsys):
    """Without the torch extra a .pt model is one usage error saying how to install it."""
    (tmp_path / "net.pt").write_bytes(b"any")
    data = data_file(tmp_path / "d.npz")
    assert main(["dnn", "exact:width=8,signed=true", "--model", str(tmp_path / "net.pt"),
                 "--data", str(data), "--no-energy"]) == 2
    assert capsys.readouterr().err == (f"axhdl dnn: {tmp_path / 'net.pt'}: reading a PyTorch "
                                       f"model needs the torch extra: pip install "
                                       f"'axhdl[torch]'\n")


# -- real torch -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def torch_model(torch, p):
    """The stand-in model's architecture and weights in real torch.nn layers (eval mode)."""
    nn = torch.nn
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    conv1 = nn.Conv2d(2, 6, 3, stride=2, padding=1)
    bn = nn.BatchNorm2d(6)
    conv2 = nn.Conv2d(6, 8, 2, padding="same", groups=2)
    fc = nn.Linear(8, 4)
    with torch.no_grad():
        conv1.weight.copy_(t(p["w1"]))
        conv1.bias.copy_(t(p["b1"]))
        bn.weight.copy_(t(p["g"]))
        bn.bias.copy_(t(p["beta"]))
        bn.running_mean.copy_(t(p["mean"]))
        bn.running_var.copy_(t(p["var"]))
        conv2.weight.copy_(t(p["w2"]))
        conv2.bias.copy_(t(p["b2"]))
        fc.weight.copy_(t(p["wf"]))
        fc.bias.copy_(t(p["bf"]))
    model = nn.Sequential(conv1, bn, nn.ReLU(inplace=True), nn.MaxPool2d(3, 1, padding=1),
                          nn.Sequential(conv2, nn.ReLU()), nn.AvgPool2d(2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), fc)
    return model.eval()


def data_file(path, seed=3, n=40):
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(n, 2, 11, 11)), y=rng.integers(0, 4, size=n),
             calibration=rng.normal(size=(32, 2, 11, 11)))
    return path


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
class TestTorch:
    def test_float_outputs_equal_torch(self, torch):
        """axhdl's float network equals torch's own forward pass (in float64)."""
        p = weights()
        model = torch_model(torch, p).double()
        net = from_torch(model, (2, 11, 11))
        x = np.random.default_rng(1).normal(size=(20, 2, 11, 11))
        with torch.no_grad():
            want = model(torch.tensor(x)).numpy()
        np.testing.assert_allclose(net.forward(x), want, rtol=1e-10, atol=1e-12)
        assert [n.name for n in net.nodes] == [n.name for n in direct_network(p).nodes]

    def test_saved_file_through_axhdl_dnn(self, torch, tmp_path, capsys):
        """``torch.save(model)`` → ``axhdl dnn --model net.pt``: the predictions of the
        network written directly with the engine (float32 weights, as torch stores them)."""
        p = {k: v.astype(np.float32).astype(np.float64) for k, v in weights().items()}
        torch.save(torch_model(torch, p), tmp_path / "net.pt")
        data = data_file(tmp_path / "d.npz")
        assert main(["dnn", "mitchell:width=8,signed=true", "--model",
                     str(tmp_path / "net.pt"), "--data", str(data), "--no-energy",
                     "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        assert r["model"] == "net.pt" and [la["name"] for la in r["layers"]] == ["0", "4.0",
                                                                                 "9"]
        want = evaluate("mitchell:width=8,signed=true", model=direct_network(p), data=data)
        for key in ("float_accuracy_pct", "exact_accuracy_pct", "approx_accuracy_pct",
                    "macs"):
            assert r[key] == want[key]
        assert [la["mae_lsb"] for la in r["layers"]] == [la["mae_lsb"]
                                                        for la in want["layers"]]

    def test_module_in_python(self, torch, tmp_path):
        p = weights()
        data = data_file(tmp_path / "d.npz")
        net, info, ds = load_model_and_data(torch_model(torch, p), data)
        assert info["name"] == "torch.nn.Sequential (in memory)" and net.input_shape == (
            2, 11, 11)
        with pytest.raises(InputError, match="a PyTorch model needs --data FILE.npz"):
            load_model_and_data(tmp_path / "net.pt", None)

    def test_unsupported_layer(self, torch):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 3),
                                                                        nn.Sigmoid()))
        with pytest.raises(InputError, match=r"^layer 2\.1 \(Sigmoid\) is not supported"):
            from_torch(model, (4,))

    def test_files_refused(self, torch, tmp_path, capsys):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 3))
        torch.save(model.state_dict(), tmp_path / "sd.pt")
        with pytest.raises(InputError, match="holds a state dict, which has no architecture"):
            load_torch(tmp_path / "sd.pt", (4,))
        # a model class of its own (module level, so that torch can pickle it)
        custom = type("CustomNet", (nn.Module,), {"__module__": __name__,
                                                  "forward": lambda self, x: x})
        globals()["CustomNet"] = custom
        torch.save(custom(), tmp_path / "custom.pt")
        with pytest.raises(InputError, match=r"refers to test_nn_torch\.CustomNet, which "
                                             r"are not torch.nn layers"):
            load_torch(tmp_path / "custom.pt", (4,))
        torch.save(nn.Sequential(nn.Linear(4, 3), nn.Sigmoid()), tmp_path / "sig.pt")
        with pytest.raises(InputError, match=r"sig\.pt: layer 1 \(Sigmoid\) is not supported"):
            load_torch(tmp_path / "sig.pt", (4,))
        (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
        with pytest.raises(InputError, match="junk.pt: not a readable PyTorch model"):
            load_torch(tmp_path / "junk.pt", (4,))
        data = data_file(tmp_path / "d.npz")
        assert main(["dnn", "exact:width=8,signed=true", "--model", str(tmp_path / "sd.pt"),
                     "--data", str(data), "--no-energy"]) == 2
        assert capsys.readouterr().err.count("\n") == 1
