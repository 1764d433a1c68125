"""Any unit as the multiplier: the table routes (compiled gather kernel, numpy gather, low-rank
BLAS) and the model path equal a naive loop that calls the unit's golden model once per
product, for signed, sign-magnitude and zero-point coding, asymmetric widths, either weight
port, and imported Verilog."""

import os
import shutil
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from axhdl.errors import InputError
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
    @pytest.mark.parametrize("jit", [True, False], ids=["kernel", "numpy"])
    @pytest.mark.parametrize(("spec", "scheme"), UNITS)
    def test_equals_naive_loop(self, spec, scheme, jit, monkeypatch):
        """The compiled kernel (where the unit has no small rank) and the numpy gather."""
        monkeypatch.setattr(products_mod, "JIT", jit)
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
        got = prod.accumulate(x, w, route="low-rank")
        monkeypatch.setattr(products_mod, "CHUNK", 1000)
        np.testing.assert_array_equal(prod.accumulate(x, w, route="low-rank"), got)
        np.testing.assert_array_equal(prod.accumulate(x, w, route="gather"), got)
        np.testing.assert_array_equal(prod.accumulate(x, w, route="kernel"), got)
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


class TestKernel:
    """The compiled gather kernel (axhdl.nn.kernels): bit-exact, blocked, bounded memory,
    chosen by Products.route, imported lazily and cached on disk."""

    @staticmethod
    def operands(prod, m, k, c, seed=2):
        rng = np.random.default_rng(seed)
        x = rng.integers(prod.xlo, prod.xhi, size=(m, k), endpoint=True)
        w = rng.integers(prod.wlo, prod.whi, size=(k, c), endpoint=True)
        x[0], w[:, 0] = prod.xlo, prod.wlo  # the corners: most negative x most negative
        x[1], w[:, 1] = prod.xhi, prod.whi
        return x, w

    @pytest.mark.parametrize(("spec", "scheme"), [
        ("mitchell:width=8,signed=true", "auto"),
        ("drum:width=8,k=3", "zeropoint"),
        ("kulkarni:width=8", "auto"),  # sign-magnitude coding
    ])
    def test_equals_gather_and_per_product_sum(self, spec, scheme, monkeypatch):
        unit = make_unit(spec)
        prod = Products(unit, Scheme.for_unit(unit, scheme))
        x, w = self.operands(prod, 97, 300, 7)
        got = prod.accumulate(x, w, route="kernel")
        np.testing.assert_array_equal(got, prod.accumulate(x, w, route="gather"))
        # an independent sum: one table product at a time, in Python integers
        for m in (0, 1, 50):
            for c in (0, 1, 6):
                want = sum(int(prod.products(x[m, i], w[i, c])) for i in range(300))
                assert got[m, c] == want
        # blocks of one position and one channel give the same sums
        monkeypatch.setattr(products_mod, "SLAB", 1)
        np.testing.assert_array_equal(prod.accumulate(x, w, route="kernel"), got)

    def test_wide_table_entries(self):
        """Entries beyond int32 keep an int64 table (no wrap-around)."""
        prod = Products(make_unit("mitchell:width=8,signed=true"))
        prod.table = prod.table * (1 << 20) + 3  # |entries| up to 2^34
        x, w = self.operands(prod, 20, 50, 3)
        got = prod.accumulate(x, w, route="kernel")
        assert prod._table_small.dtype == np.int64 and np.abs(got).max() > 1 << 31
        np.testing.assert_array_equal(got, prod.accumulate(x, w, route="gather"))

    def test_code_outside_the_table(self):
        prod = Products(make_unit("mitchell:width=8,signed=true"))
        x, w = self.operands(prod, 4, 9, 2)
        x[2, 3] = 128  # int8 codes end at 127
        with pytest.raises(InputError, match="1 activation codes lie outside the product "
                                              "table's 256 codes from -128"):
            prod.accumulate(x, w, route="kernel")
        x[2, 3] = 0
        w[1, 1] = -129
        with pytest.raises(InputError, match="weight codes outside the product table's 256 "
                                              "codes from -128"):
            prod.accumulate(x, w, route="kernel")

    def test_memory_is_bounded(self):
        """Beyond its (M, C) result the kernel route allocates one slab of at most
        SLAB entries; the numpy gather needs about CHUNK int64 temporaries."""
        prod = Products(make_unit("mitchell:width=8,signed=true"))
        x, w = self.operands(prod, 4000, 144, 16)
        out_bytes = 4000 * 16 * 8
        prod.accumulate(x[:2], w, route="kernel")  # compiled (or loaded) before measuring
        tracemalloc.start()
        try:
            prod.accumulate(x, w, route="kernel")
            kernel_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            prod.accumulate(x, w, route="gather")
            gather_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert kernel_peak < out_bytes + 2 * 4 * products_mod.SLAB + 65536
        assert gather_peak > out_bytes + 8 * products_mod.CHUNK // 2

    @pytest.mark.parametrize(("spec", "k", "c", "route"), [
        ("mitchell:width=8,signed=true", 144, 512, "kernel"),  # full rank
        ("truncated:width=8,k=8,signed=true", 144, 16, "kernel"),  # rank 9: 16 < 16 x 10
        ("truncated:width=8,k=8,signed=true", 144, 160, "low-rank"),
        ("perforated:width=8,m=3,start=1", 144, 32, "low-rank"),  # rank 1: 32 = 16 x 2
        ("perforated:width=8,m=3,start=1", 144, 31, "kernel"),
        ("exact:width=8,signed=true", 144, 1, "low-rank"),  # rank 0: BLAS only
        ("drum:a_width=12,b_width=10,k=4", 144, 16, "model"),
    ])
    def test_route(self, spec, k, c, route, monkeypatch):
        prod = Products(make_unit(spec))
        assert prod.route(k, c) == route
        monkeypatch.setattr(products_mod, "JIT", False)  # without the kernel
        want = {"kernel": "low-rank" if prod.rank is not None and prod.rank < c else "gather"}
        assert prod.route(k, c) == want.get(route, route)

    def test_unavailable_route(self):
        prod = Products(make_unit("mitchell:width=8,signed=true"))
        x, w = self.operands(prod, 2, 3, 2)
        with pytest.raises(ValueError, match="route 'low-rank' is not available for "
                                             "mitchell"):
            prod.accumulate(x, w, route="low-rank")
        np.testing.assert_array_equal(prod.accumulate(x, w, route="model"),
                                      prod.accumulate(x, w, route="kernel"))

    def test_lazy_import_and_disk_cache(self, tmp_path):
        """Importing axhdl (and axhdl.nn) does not import numba; the first kernel use writes
        the compiled code under $AXHDL_CACHE/numba, and a second process loads it."""
        code = (
            "import sys, time\n"
            "import axhdl.cli, axhdl.nn\n"
            "assert 'numba' not in sys.modules\n"
            "from axhdl.nn.kernels import gather_kernel\n"
            "assert gather_kernel() is not None and 'numba' in sys.modules\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env["AXHDL_CACHE"] = str(tmp_path)
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        index = sorted(p.name for p in (tmp_path / "numba").rglob("*.nbi"))
        assert any("_gather_py" in name for name in index)
        data = sorted((tmp_path / "numba").rglob("*.nbc"))
        mtimes = [p.stat().st_mtime_ns for p in data]
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        assert [p.stat().st_mtime_ns for p in data] == mtimes  # loaded, not rewritten

    def test_network_outputs_equal(self, monkeypatch):
        """The digits CNN's output codes through the kernel (a sign-magnitude unit of rank 2:
        the kernel on these narrow layers) equal the numpy gather's."""
        from axhdl.nn import digits_network, load_digits_split, quantize, run

        unit = make_unit("drum:width=8,k=4")
        sch = Scheme.for_unit(unit)
        d = load_digits_split()
        qnet = quantize(digits_network(), d.x_calibration, sch)
        prod = Products(unit, sch)
        assert {prod.route(n.op.fan_in, n.op.out_channels) for n in qnet.mac_nodes()} == {
            "kernel"}
        got = run(qnet, d.x_test, prod, batch=100)
        monkeypatch.setattr(products_mod, "JIT", False)
        np.testing.assert_array_equal(run(qnet, d.x_test, prod), got)
        assert np.any(got != run(qnet, d.x_test, ExactProducts(sch)))
