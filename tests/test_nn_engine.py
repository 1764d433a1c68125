"""The integer engine with the exact multiplier equals an independent float-then-round
reference of the same quantized network, bit for bit, for every layer type and scheme."""

import numpy as np
import pytest

from axhdl.errors import InputError
from axhdl.nn.engine import round_div, round_shift, run
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
    fold_batchnorm,
)
from axhdl.nn.products import ExactProducts, Products
from axhdl.nn.quantize import QAdd, QFlatten, QMac, QPool, QRelu, Scheme, fixed_point, quantize
from axhdl.registry import make_unit

# -- the independent reference: float arithmetic on the codes, direct loops, then round -----


def ref_mac(op, q):
    """Σ (x − z_x)(w − z_w) over the window by kernel offset (no im2col), + bias, then
    rint(acc · M0 / 2^shift) in float64 (exact: every value is an integer below 2^53)."""
    x = q.astype(np.float64) - op.inp.zero
    w = op.weight.astype(np.float64) - op.w_zero.reshape((-1,) + (1,) * (op.weight.ndim - 1))
    if op.kind == "linear":
        acc = x @ w.T + op.bias
        m0, shift = op.m0, op.shift
    else:
        pt, pl, pb, pr = op.padding
        x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))  # real zero
        cout, cin_g, kh, kw = w.shape
        sh, sw = op.stride
        ho = (x.shape[2] - kh) // sh + 1
        wo = (x.shape[3] - kw) // sw + 1
        acc = np.zeros((x.shape[0], cout, ho, wo))
        cg = cout // op.groups
        for co in range(cout):
            g = co // cg
            for i in range(kh):
                for j in range(kw):
                    patch = x[:, g * cin_g:(g + 1) * cin_g,
                              i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
                    acc[:, co] += np.einsum("nchw,c->nhw", patch, w[co, :, i, j])
        acc += op.bias[None, :, None, None]
        m0, shift = op.m0[None, :, None, None], op.shift[None, :, None, None]
    assert np.abs(acc).max() * op.m0.max() < 2.0 ** 53
    y = np.rint(acc * m0 / 2.0 ** shift)
    return np.clip(y + op.out.zero, op.lo, op.hi)


def ref_pool(op, q):
    x = q.astype(np.float64)
    if op.kind == "max":
        pt, pl, pb, pr = op.padding
        x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    kh, kw = op.kernel if op.kernel is not None else x.shape[2:]
    sh, sw = op.stride if op.kernel is not None else (1, 1)
    ho = (x.shape[2] - kh) // sh + 1
    wo = (x.shape[3] - kw) // sw + 1
    out = np.empty(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = win.max(axis=(2, 3)) if op.kind == "max" else np.rint(
                win.sum(axis=(2, 3)) / (kh * kw))
    return out


def ref_add(op, a, b):
    v = (a.astype(np.float64) - op.z1) * op.m1 + (b.astype(np.float64) - op.z2) * op.m2
    return np.clip(np.rint(v / 2.0 ** op.shift) + op.out.zero, op.lo, op.hi)


def reference(qnet, x):
    """The quantized network evaluated by the reference functions."""
    t = qnet.input
    values = {"input": np.clip(np.rint(x / t.scale) + t.zero, t.lo, t.hi)}
    for node in qnet.nodes:
        ins = [values[i] for i in node.inputs]
        op = node.op
        if isinstance(op, QMac):
            out = ref_mac(op, ins[0])
        elif isinstance(op, QPool):
            out = ref_pool(op, ins[0])
        elif isinstance(op, QAdd):
            out = ref_add(op, *ins)
        elif isinstance(op, QRelu):
            out = np.maximum(ins[0], op.zero)
        else:
            assert isinstance(op, QFlatten)
            out = ins[0].reshape(ins[0].shape[0], -1)
        values[node.name] = out
    return values


# -- test networks ---------------------------------------------------------------------------


def residual_net(seed=0):
    """Strided conv with asymmetric padding + BN + ReLU, depthwise conv, residual add + ReLU,
    grouped conv, padded max pool, an unfused ReLU, average pool, flatten, linear."""
    rng = np.random.default_rng(seed)
    net = Network((3, 9, 9))
    net.add(Conv2d(rng.normal(size=(6, 3, 3, 3)), rng.normal(size=6) * 0.1, stride=2,
                   padding=(1, 0, 2, 1)), name="c1")
    net.add(BatchNorm2d(rng.uniform(0.5, 1.5, 6), rng.normal(size=6) * 0.1,
                        rng.normal(size=6) * 0.1, rng.uniform(0.5, 2, 6)), name="bn1")
    r1 = net.add(ReLU(), name="r1")
    d1 = net.add(Conv2d(rng.normal(size=(6, 1, 3, 3)), rng.normal(size=6) * 0.1, padding=1,
                        groups=6), name="dw")
    net.add(Add(), (r1, d1), name="add")
    net.add(ReLU(), name="r2")
    net.add(Conv2d(rng.normal(size=(4, 3, 2, 2)), rng.normal(size=4) * 0.1, padding=1,
                   groups=2), name="g1")
    net.add(ReLU(), name="r3")
    net.add(MaxPool2d(2, 2, padding=(0, 0, 0, 1)), name="mp")
    net.add(ReLU(), name="r4")  # after a pool: not fused, a ReLU on codes
    net.add(AvgPool2d(2, 1), name="ap")
    net.add(Flatten(), name="fl")
    net.add(Linear(rng.normal(size=(5, 16)), rng.normal(size=5) * 0.1), name="fc")
    return net


def gap_net(seed=1):
    """Conv without ReLU (signed outputs), global average pool, two linear layers."""
    rng = np.random.default_rng(seed)
    return Network.sequential((2, 6, 6), [
        Conv2d(rng.normal(size=(5, 2, 3, 3)), rng.normal(size=5) * 0.1),
        AvgPool2d(None), Flatten(),
        Linear(rng.normal(size=(7, 5)), rng.normal(size=7)), ReLU(),
        Linear(rng.normal(size=(3, 7)), rng.normal(size=3)),
    ])


SCHEMES = [
    Scheme("signed", 8, 8, True),
    Scheme("signmag", 8, 8, False),
    Scheme("zeropoint", 8, 8, False),
    Scheme("zeropoint", 8, 8, True),
    Scheme("signed", 6, 4, True),
    Scheme("signmag", 3, 5, False),
]


def _ids(s):
    return f"{s.name}-{s.act_bits}x{s.weight_bits}-{'s' if s.unit_signed else 'u'}"


class TestReference:
    @pytest.mark.parametrize("scheme", SCHEMES, ids=_ids)
    @pytest.mark.parametrize("make_net", [residual_net, gap_net])
    def test_exact_engine_equals_float_then_round(self, scheme, make_net):
        net = make_net()
        rng = np.random.default_rng(5)
        cal = rng.normal(size=(64, *net.input_shape))
        x = rng.normal(size=(40, *net.input_shape)) * 1.2  # some inputs beyond calibration
        qnet = quantize(net, cal, scheme)
        got = run(qnet, x, ExactProducts(scheme), keep=True)
        want = reference(qnet, x)
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name].astype(np.int64), err_msg=name)
        # the output is not trivial: several classes win, codes vary
        assert len(np.unique(np.argmax(got[qnet.output], axis=1))) > 1

    @pytest.mark.parametrize("scheme", SCHEMES[:4], ids=_ids)
    def test_quantized_close_to_float(self, scheme):
        net = residual_net()
        rng = np.random.default_rng(7)
        cal = rng.normal(size=(256, *net.input_shape))
        qnet = quantize(net, cal, scheme)
        out = run(qnet, cal, ExactProducts(scheme))
        deq = qnet.tensors[qnet.output].dequantize(out)
        ref = net.forward(cal)
        # five random layers, max-calibrated ranges: a few % of relative error
        assert np.abs(deq - ref).mean() < 0.1 * np.abs(ref).mean()
        assert (deq.argmax(axis=1) == ref.argmax(axis=1)).mean() >= 0.9

    def test_exact_unit_table_equals_exact_products(self):
        unit = make_unit("exact:width=8,signed=true")
        scheme = Scheme.for_unit(unit)
        net = residual_net()
        rng = np.random.default_rng(3)
        qnet = quantize(net, rng.normal(size=(32, 3, 9, 9)), scheme)
        x = rng.normal(size=(16, 3, 9, 9))
        np.testing.assert_array_equal(run(qnet, x, Products(unit, scheme)),
                                      run(qnet, x, ExactProducts(scheme)))

    def test_batches_give_the_same_result(self):
        scheme = SCHEMES[2]
        net = gap_net()
        rng = np.random.default_rng(4)
        qnet = quantize(net, rng.normal(size=(32, 2, 6, 6)), scheme)
        x = rng.normal(size=(50, 2, 6, 6))
        np.testing.assert_array_equal(run(qnet, x, ExactProducts(scheme), batch=7),
                                      run(qnet, x, ExactProducts(scheme)))


class TestQuantization:
    def test_relu_fused_and_unfused(self):
        qnet = quantize(residual_net(), np.random.default_rng(0).normal(size=(8, 3, 9, 9)),
                        SCHEMES[0])
        ops = {n.name: n.op for n in qnet.nodes}
        assert "r1" not in ops and ops["c1"].relu and ops["c1"].lo == 0
        assert ops["add"].relu and ops["add"].lo == 0
        assert isinstance(ops["r4"], QRelu)
        assert not ops["dw"].relu and ops["dw"].lo == -128
        assert [n.name for n in qnet.mac_nodes()] == ["c1", "dw", "g1", "fc"]
        # the add of a ReLU output and a signed conv reads both tensors
        assert qnet.node("add").inputs == ("c1", "dw")

    def test_weight_codes_per_scheme(self):
        net = residual_net()
        cal = np.random.default_rng(0).normal(size=(8, 3, 9, 9))
        signed = quantize(net, cal, Scheme("signed", 8, 8, True)).node("c1").op
        assert signed.weight.min() >= -127 and signed.weight.max() <= 127
        assert np.all(np.abs(signed.weight).reshape(6, -1).max(axis=1) == 127)
        sm = quantize(net, cal, Scheme("signmag", 8, 8, False)).node("c1").op
        assert np.all(np.abs(sm.weight).reshape(6, -1).max(axis=1) == 255)
        zp = quantize(net, cal, Scheme("zeropoint", 8, 8, False)).node("c1").op
        assert zp.weight.min() == 0 and zp.weight.max() == 255
        assert np.all((zp.w_zero > 0) & (zp.w_zero < 255))

    def test_signmag_input_is_sign_magnitude_when_negative(self):
        net = gap_net()
        rng = np.random.default_rng(0)
        q = quantize(net, rng.normal(size=(8, 2, 6, 6)), Scheme("signmag", 8, 8, False))
        assert (q.input.lo, q.input.hi) == (-255, 255)
        q = quantize(net, np.abs(rng.normal(size=(8, 2, 6, 6))),
                     Scheme("signmag", 8, 8, False))
        assert (q.input.lo, q.input.hi) == (0, 255)

    def test_batchnorm_folding_is_exact_in_float(self):
        net = residual_net()
        x = np.random.default_rng(2).normal(size=(4, 3, 9, 9))
        folded = fold_batchnorm(net)
        assert not any(isinstance(n.layer, BatchNorm2d) for n in folded.nodes)
        np.testing.assert_allclose(folded.forward(x), net.forward(x), rtol=1e-12, atol=1e-12)

    def test_batchnorm_without_conv_is_refused(self):
        net = Network.sequential((2, 3, 3), [ReLU(), BatchNorm2d([1, 1], [0, 0], [0, 0],
                                                                   [1, 1])])
        with pytest.raises(InputError, match="BatchNorm node 'batchnorm2d1' can only be "
                                             "folded into a Conv2d or Linear layer"):
            fold_batchnorm(net)

    def test_scheme_needs_matching_signedness(self):
        with pytest.raises(InputError, match="scheme 'signed' needs a signed unit"):
            Scheme.for_unit(make_unit("exact:width=8"), "signed")
        with pytest.raises(InputError, match="scheme 'signmag' needs an unsigned unit"):
            Scheme.for_unit(make_unit("exact:width=8,signed=true"), "signmag")
        with pytest.raises(InputError, match="a DNN needs a multiplier unit, not one of "
                                             "kind 'adder'"):
            Scheme.for_unit(make_unit("loa:width=8"))

    def test_input_shape_checked(self):
        qnet = quantize(gap_net(), np.zeros((2, 2, 6, 6)) + 0.5, SCHEMES[0])
        with pytest.raises(InputError, match=r"inputs of shape \(N, 2, 6, 6\), not "
                                             r"\(3, 2, 5, 5\)"):
            run(qnet, np.zeros((3, 2, 5, 5)), ExactProducts(SCHEMES[0]))


class TestRounding:
    def test_round_shift_half_to_even(self):
        v = np.arange(-40, 41)
        for s in (1, 2, 3):
            np.testing.assert_array_equal(round_shift(v, s), np.rint(v / 2.0 ** s))
        np.testing.assert_array_equal(round_shift(v, 0), v)
        np.testing.assert_array_equal(round_shift(v, -2), v * 4)

    def test_round_div_half_to_even(self):
        v = np.arange(-100, 101)
        for n in (1, 2, 4, 6, 9):
            np.testing.assert_array_equal(round_div(v, n), np.rint(v / n))

    @pytest.mark.parametrize("m", [1e-6, 0.0123, 0.5, 0.999999999, 1.0, 3.7])
    def test_fixed_point(self, m):
        m0, shift = fixed_point(m, 31)
        assert 1 << 30 <= m0 < 1 << 31
        assert abs(m0 / 2.0 ** shift - m) <= m * 2.0 ** -30
