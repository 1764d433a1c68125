"""Any unit as the multiplier: the table (gather) and model paths equal a naive loop that
calls the unit's golden model once per product, for signed, sign-magnitude and zero-point
coding, asymmetric widths, either weight port, and imported Verilog."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from axhdl.nn import products as products_mod
from axhdl.nn.engine import mac_accumulate
from axhdl.nn.graph import Conv2d, Linear, Network, ReLU
from axhdl.nn.products import ExactProducts, Products
from axhdl.nn.quantize import Scheme, quantize
from axhdl.registry import make_unit


def naive_accumulators(op, x, unit, scheme):
    """The layer's accumulators by the scheme's definition, one model call per product."""
    weight_port = unit.weight_operand or "b"

    def mul(xv, wv):
        a, b = (xv, wv) if weight_port == "b" else (wv, xv)
        return int(unit.model(np.int64(a), np.int64(b)))

    def product(xv, wv, zx, zw):
        if scheme.name == "signmag":
            return int(np.sign(xv) * np.sign(wv)) * mul(abs(xv), abs(wv))
        if scheme.name == "zeropoint":  # the unit on codes, the cross terms exact
            return mul(xv, wv) - zw * xv - zx * wv + zx * zw
        return mul(xv, wv)

    zx = op.inp.zero
    if op.kind == "linear":
        out = np.zeros((x.shape[0], op.out_channels), dtype=np.int64)
        for n in range(x.shape[0]):
            for c in range(op.out_channels):
                out[n, c] = op.bias[c] + sum(
                    product(int(x[n, k]), int(op.weight[c, k]), zx, int(op.w_zero[c]))
                    for k in range(op.fan_in))
        return out
    pt, pl, pb, pr = op.padding
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=zx)
    cout, cin_g, kh, kw = op.weight.shape
    sh, sw = op.stride
    ho = (xp.shape[2] - kh) // sh + 1
    wo = (xp.shape[3] - kw) // sw + 1
    cg = cout // op.groups
    out = np.zeros((x.shape[0], cout, ho, wo), dtype=np.int64)
    for n in range(x.shape[0]):
        for c in range(cout):
            g = c // cg
            zw = int(op.w_zero[c])
            for i in range(ho):
                for j in range(wo):
                    s = int(op.bias[c])
                    for ci in range(cin_g):
                        for di in range(kh):
                            for dj in range(kw):
                                xv = int(xp[n, g * cin_g + ci, i * sh + di, j * sw + dj])
                                s += product(xv, int(op.weight[c, ci, di, dj]), zx, zw)
                    out[n, c, i, j] = s
    return out


def small_layers(scheme, seed=0):
    """A grouped, strided, padded convolution (input with negative values) and a linear
    layer reading a ReLU output, quantized for ``scheme``; with input codes for each."""
    rng = np.random.default_rng(seed)
    net = Network((4, 5, 5))
    net.add(Conv2d(rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4), stride=(1, 2),
                   padding=(1, 0, 1, 1), groups=2), name="conv")
    net.add(ReLU())
    cal = rng.normal(size=(16, 4, 5, 5))
    qnet = quantize(net, cal, scheme)
    conv = qnet.node("conv").op
    x = qnet.input.quantize(rng.normal(size=(2, 4, 5, 5)) * 1.3)
    lin_net = Network.sequential((12,), [Linear(rng.normal(size=(5, 12)), rng.normal(size=5))])
    cal2 = np.abs(rng.normal(size=(16, 12)))
    qlin = quantize(lin_net, cal2, scheme)
    lin = qlin.mac_nodes()[0].op
    xl = qlin.input.quantize(np.abs(rng.normal(size=(3, 12))))
    return [(conv, x), (lin, xl)]


UNITS = [
    ("truncated:width=8,k=8,signed=true", "auto"),
    ("mitchell:width=8,signed=true", "auto"),
    ("drum:width=8,k=3,signed=true", "zeropoint"),
    ("drum:width=8,k=4", "auto"),
    ("perforated:width=8,m=3,start=1", "auto"),
    ("asm:width=8", "auto"),
    ("kulkarni:width=8", "zeropoint"),
    ("truncated:a_width=8,b_width=4,k=5", "auto"),
    ("broken_array:a_width=5,b_width=7,hbl=2,vbl=5,signed=true", "auto"),
]


class TestTablePath:
    @pytest.mark.parametrize(("spec", "scheme"), UNITS)
    def test_equals_naive_loop(self, spec, scheme):
        unit = make_unit(spec)
        sch = Scheme.for_unit(unit, scheme)
        prod = Products(unit, sch)
        assert prod.path == "table"
        for op, x in small_layers(sch):
            got = mac_accumulate(op, x, prod)
            want = naive_accumulators(op, x, unit, sch)
            np.testing.assert_array_equal(got, want)
            exact = mac_accumulate(op, x, ExactProducts(sch))
            if "exact" not in spec:
                assert np.any(got != exact)  # the unit is used, not the exact product

    def test_weight_on_port_a(self):
        """A design whose weight port is a: the weight code goes to a, the activation to b
        (perforating the activation here), with asymmetric widths 4 (weight) x 8."""
        base = make_unit("perforated:a_width=8,b_width=8,m=2")

        class WeightA(type(base)):
            weight_operand = "a"

        unit = WeightA(a_width=4, b_width=8, m=2)
        sch = Scheme.for_unit(unit)
        assert (sch.act_bits, sch.weight_bits) == (8, 4)
        prod = Products(unit, sch)
        for op, x in small_layers(sch):
            assert op.weight.max() <= 15
            np.testing.assert_array_equal(mac_accumulate(op, x, prod),
                                          naive_accumulators(op, x, unit, sch))
        # the activation is perforated: 3 (0b11) times any weight is 0
        assert prod.products(3, 7) == 0 and prod.products(4, 7) == 28

    def test_signmag_products(self):
        prod = Products(make_unit("perforated:width=8,m=2"))
        assert prod.scheme.name == "signmag"
        assert prod.products(-10, 7) == -(10 * 4)  # 7 → 4 (rows 0, 1 dropped), sign after
        assert prod.products(-10, -7) == 40
        assert prod.products(255, -255) == -255 * 252

    def test_chunked_accumulation(self, monkeypatch):
        unit = make_unit("mitchell:width=8,signed=true")
        sch = Scheme.for_unit(unit)
        (op, x), _ = small_layers(sch)
        want = mac_accumulate(op, x, Products(unit, sch))
        monkeypatch.setattr(products_mod, "CHUNK", 7)
        np.testing.assert_array_equal(mac_accumulate(op, x, Products(unit, sch)), want)


class TestLowRankPath:
    @pytest.mark.parametrize(("spec", "scheme", "rank"), [
        ("truncated:width=8,k=8,signed=true", "auto", 9),
        ("perforated:width=8,m=3,start=1", "auto", 1),
        ("kulkarni:width=8", "zeropoint", 1),
        ("truncated:a_width=8,b_width=4,k=5", "auto", 4),
        ("mitchell:width=8,signed=true", "auto", None),
    ])
    def test_rank(self, spec, scheme, rank):
        unit = make_unit(spec)
        assert Products(unit, Scheme.for_unit(unit, scheme)).rank == rank

    @pytest.mark.parametrize(("spec", "scheme"), [
        ("truncated:width=8,k=8,signed=true", "auto"),
        ("drum:width=8,k=4", "auto"),
        ("perforated:width=8,m=3,start=1", "auto"),
        ("drum:width=8,k=3,signed=true", "zeropoint"),
    ])
    def test_equals_gather(self, spec, scheme, monkeypatch):
        """Seeded random codes with the domain's corners (most negative × most negative
        included) and a long dot product: the BLAS sum equals the gathered one."""
        unit = make_unit(spec)
        prod = Products(unit, Scheme.for_unit(unit, scheme))
        assert prod.rank is not None
        rng = np.random.default_rng(1)
        x = rng.integers(prod.xlo, prod.xhi, size=(300, 577), endpoint=True)
        w = rng.integers(prod.wlo, prod.whi, size=(577, 12), endpoint=True)  # 12 > rank
        x[0], w[:, 0] = prod.xlo, prod.wlo
        x[1], w[:, 1] = prod.xhi, prod.whi
        assert prod._low_rank_ok(577) and prod.rank < 12
        got = prod.accumulate(x, w)
        monkeypatch.setattr(products_mod, "CHUNK", 1000)
        np.testing.assert_array_equal(prod.accumulate(x, w), got)
        monkeypatch.setattr(prod, "_factors", None)  # the gather path
        np.testing.assert_array_equal(prod.accumulate(x, w), got)
        np.testing.assert_array_equal(got[:4], prod.products(x[:4, :, None],
                                                             w[None]).sum(axis=1))


class TestModelPath:
    def test_wide_unit_uses_the_model(self):
        unit = make_unit("drum:a_width=12,b_width=10,k=4")
        sch = Scheme.for_unit(unit)
        prod = Products(unit, sch)
        assert prod.path == "model" and (sch.act_bits, sch.weight_bits) == (12, 10)
        for op, x in small_layers(sch):
            np.testing.assert_array_equal(mac_accumulate(op, x, prod),
                                          naive_accumulators(op, x, unit, sch))

    @pytest.mark.parametrize(("spec", "scheme"), [UNITS[0], UNITS[2], UNITS[4]])
    def test_model_path_equals_table_path(self, spec, scheme, monkeypatch):
        unit = make_unit(spec)
        sch = Scheme.for_unit(unit, scheme)
        table = Products(unit, sch)
        monkeypatch.setattr(products_mod, "MAX_TABLE_BITS", 8)
        model = Products(unit, sch)
        assert model.path == "model"
        for op, x in small_layers(sch):
            np.testing.assert_array_equal(mac_accumulate(op, x, model),
                                          mac_accumulate(op, x, table))


def test_engine_never_imports_amaranth():
    code = (
        "import sys\n"
        "from axhdl.nn.evaluate import evaluate\n"
        "r = evaluate('mitchell:width=8,signed=true', compensate='bias')\n"
        "assert r['exact_accuracy_pct'] > 95\n"
        "print(sorted(m for m in sys.modules if m.startswith('amaranth')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler")
def test_imported_verilog_unit(tmp_path):
    """An EvoApproxLib-like gate-level mul8u (truncated array) imported from Verilog."""
    from test_axhdl_imported import array_function, array_netlist

    path = tmp_path / "mul8u_trunc.v"
    path.write_text(array_netlist("mul8u_trunc", 8, 8, k=6))
    unit = make_unit(f"verilog:path={path},top=mul8u_trunc,a=A,b=B,p=O")
    sch = Scheme.for_unit(unit)
    assert sch.name == "signmag"
    prod = Products(unit, sch)
    assert prod.path == "table"
    x = np.arange(256)
    np.testing.assert_array_equal(prod.products(x[:, None], x[None, :]),
                                  array_function(x[:, None], x[None, :], 8, 8, k=6))
    for op, xc in small_layers(sch):
        np.testing.assert_array_equal(mac_accumulate(op, xc, prod),
                                      naive_accumulators(op, xc, unit, sch))
