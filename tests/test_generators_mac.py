"""Tests of the multiply-accumulate processing element (``mac``).

References written here from the definition, independently of ``axhdl.generators.arrays``:
one accumulation step per enabled cycle, ``acc ← (clear ? 0 : acc) ⊕ mul(a, b)``, the product
from the multiplier unit's model, ``⊕`` the adder unit's model on ``acc_width``-bit operands
(running sum first), the ``acc_width + 1``-bit sum wrapped to ``acc_width`` bits; with exact
units, plain integer dot products modulo ``2^acc_width``. The RTL is checked cycle by cycle on
the Amaranth simulator against ``model_trace`` for random en/clear sequences.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from axhdl import SpecError, make_unit, registry
from axhdl.generate import lint_verilog
from axhdl.generators.arrays.mac import Mac
from axhdl.operations import MultiplyAccumulate
from axhdl.params import Param
from axhdl.unit import AmaranthUnit

EXACT8 = "mac:width=8"
DRUM = "mac:width=8,mul=(drum:width=8,k=4)"
LOA_ACC = "mac:width=8,acc_width=24,mul=(drum:width=8,k=4),add=(loa:width=24,l=6)"


def to_value(x: int, width: int, signed: bool) -> int:
    """``x`` modulo ``2^width`` as a ``width``-bit value (two's complement when signed)."""
    x &= (1 << width) - 1
    return x - (1 << width) if signed and x >> (width - 1) else x


def operands(unit, shape, rng) -> tuple[np.ndarray, np.ndarray]:
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    return rng.integers(alo, ahi + 1, shape), rng.integers(blo, bhi + 1, shape)


def reference_trace(unit, a, b, en, clear) -> list[int]:
    """The accumulator after each cycle, one scalar step at a time from the definition."""
    mul, add = unit.parameters["mul"], unit.parameters["add"]
    width, signed = unit.parameters["acc_width"], unit.signed
    acc, out = 0, []
    for x, y, e, c in zip(a, b, en, clear):
        if e:
            product = int(mul.model(int(x), int(y)))
            acc = to_value(int(add.model(0 if c else acc, product)), width, signed)
        out.append(acc)
    return out


def reference_dot(unit, a, b) -> int:
    """K enabled cycles from a clear."""
    k = len(a)
    return reference_trace(unit, a, b, [1] * k, [1] + [0] * (k - 1))[-1] if k else 0


class TestParameters:
    def test_defaults(self):
        u = make_unit("mac")
        assert u.spec == (
            "mac:width=8,signed=false,acc_width=24,mul=(exact:width=8,signed=false,"
            "arch=operator),add=(exact_add:width=24,signed=false,arch=operator),in_reg=false,"
            "out_reg=false")
        assert isinstance(u, Mac) and u.kind == "mac" and u.latency == 1
        assert u.operation == MultiplyAccumulate(8, 8, False, 24)
        assert u.operation.baseline_spec() == "mac:width=8,signed=false,acc_width=24"

    @pytest.mark.parametrize("spec,acc_width", [
        ("mac:width=4", 16), ("mac:a_width=3,b_width=5", 16), ("mac:width=30", 61),
        ("mac:width=4,acc_width=9", 9),
    ])
    def test_acc_width_default_is_product_plus_8(self, spec, acc_width):
        u = make_unit(spec)
        assert u.acc_width == u.p_width == acc_width
        assert u.parameters["add"].a_width == acc_width

    def test_the_issue_spec_round_trips(self):
        u = make_unit(LOA_ACC + ",in_reg=false,out_reg=false")
        assert u.spec == (
            "mac:width=8,signed=false,acc_width=24,mul=(drum:width=8,signed=false,k=4),"
            "add=(loa:width=24,signed=false,l=6,carry=true),in_reg=false,out_reg=false")
        assert make_unit(u.spec) == u
        assert u.subunits() == (u.mul, u.add)

    @pytest.mark.parametrize("in_reg,out_reg,latency", [
        (False, False, 1), (True, False, 2), (False, True, 2), (True, True, 3),
    ])
    def test_latency(self, in_reg, out_reg, latency):
        u = Mac(width=4, in_reg=in_reg, out_reg=out_reg)
        assert u.latency == latency and u.info["latency"] == latency
        assert u.info["throughput"] == 1

    def test_info_ports(self):
        ports = make_unit("mac:width=4,signed=true,acc_width=12").info["ports"]
        assert ports == {
            "clk": {"dir": "in", "width": 1, "signed": False},
            "rst": {"dir": "in", "width": 1, "signed": False},
            "a": {"dir": "in", "width": 4, "signed": True},
            "b": {"dir": "in", "width": 4, "signed": True},
            "en": {"dir": "in", "width": 1, "signed": False},
            "clear": {"dir": "in", "width": 1, "signed": False},
            "p": {"dir": "out", "width": 12, "signed": True},
        }

    def test_exact_baseline(self):
        u = make_unit(LOA_ACC + ",out_reg=true")
        assert u.exact_baseline().spec == (
            "mac:width=8,signed=false,acc_width=24,mul=(exact:width=8,signed=false,"
            "arch=operator),add=(exact_add:width=24,signed=false,arch=operator),in_reg=false,"
            "out_reg=true")

    @pytest.mark.parametrize("spec,message", [
        ("mac:width=8,acc_width=12",
         ("mac: Parameter 'acc_width' must be an integer in a_width + b_width..61 (here "
         "16..61), not 12")),
        ("mac:width=4,acc_width=62",
         ("mac: Parameter 'acc_width' must be an integer in a_width + b_width..61 (here 8..61), "
         "not 62")),
        ("mac:mul=(exact_add:width=8)",
         ("mac: Parameter 'mul' must be a multiplier, not an adder "
         "(exact_add:width=8,signed=false,arch=operator)")),
        ("mac:width=8,add=(drum:width=8)",
         ("mac: Parameter 'add' must be an adder, not a multiplier "
         "(drum:width=8,signed=false,k=4)")),
        ("mac:width=8,mul=(drum:width=6)",
         ("mac: Parameter 'mul' must be a multiplier with a_width = a_width (here 8); "
         "drum:width=6,signed=false,k=4 has a_width = 6")),
        ("mac:width=4,signed=true,mul=(drum:width=4,k=2)",
         ("mac: Parameter 'mul' must be a multiplier with signed = signed (here true); "
         "drum:width=4,signed=false,k=2 has signed = false")),
        ("mac:width=8,add=(loa:width=16)",
         ("mac: Parameter 'add' must be an adder with width = acc_width (here 24); "
         "loa:width=16,signed=false,l=4,carry=true has width = 16")),
        ("mac:width=8,acc_width=20,add=(loa:width=24)",
         ("mac: Parameter 'add' must be an adder with width = acc_width (here 20); "
         "loa:width=24,signed=false,l=4,carry=true has width = 24")),
        ("mac:mul=(reconfigurable:width=8)",
         ("mac: Parameter 'mul' must be a multiplier without control inputs; "
         "reconfigurable:width=8,signed=false,modes=0;1;2 has control inputs: mode")),
        ("mac:width=32",
         ("mac: Parameter 'width' must be an integer in 1..min(32, 61 - a_width) (here 1..29), "
         "not 32")),
        ("mac:in_reg=maybe", "mac: Parameter 'in_reg' must be true or false, not 'maybe'"),
        ("mac:width=4,adder=(exact_add)",
         ("mac: Family 'mac' has no parameter 'adder'; its parameters are: a_width, b_width, "
         "signed, acc_width, mul, add, in_reg, out_reg")),
    ])
    def test_errors(self, spec, message):
        with pytest.raises(SpecError) as e:
            make_unit(spec)
        assert str(e.value) == message

    def test_sub_units_must_be_combinational_and_fit(self, monkeypatch):
        class Slow(AmaranthUnit):
            family = "test_slow_mul"
            description = "a registered multiplier"
            citation = "axhdl tests"

            @property
            def latency(self):
                return 1

        class Wide(AmaranthUnit):
            family = "test_wide_mul"
            description = "a multiplier with a wider result"
            citation = "axhdl tests"
            params = (Param("extra", int, 2, "extra result bits", min=0),)

            @property
            def p_width(self):
                return self.a_width + self.b_width + self._params["extra"]

        registry.families()
        monkeypatch.setattr(registry, "_FAMILIES", dict(registry._FAMILIES))
        registry.register(Slow)
        registry.register(Wide)
        with pytest.raises(SpecError) as e:
            make_unit("mac:width=4,mul=(test_slow_mul:width=4)")
        assert str(e.value) == (
            "mac: Parameter 'mul' must be a combinational multiplier (latency 0); "
            "test_slow_mul:width=4,signed=false has a latency of 1 cycles")
        with pytest.raises(SpecError) as e:
            make_unit("mac:width=4,acc_width=9,mul=(test_wide_mul:width=4)")
        assert str(e.value) == (
            "mac: Parameter 'mul' must have a product of at most acc_width (9) bits; "
            "test_wide_mul:width=4,signed=false,extra=2 has a 10-bit product")
        assert make_unit("mac:width=4,acc_width=10,mul=(test_wide_mul:width=4)").acc_width == 10

    def test_model_takes_no_controls(self):
        with pytest.raises(TypeError) as e:
            make_unit("mac:width=4").model([1], [2], en=1)
        assert str(e.value) == (
            "mac.model takes the operands only, not en; model_trace takes en/clear sequences")


class TestModel:
    @pytest.mark.parametrize("spec", [
        "mac:width=8", "mac:width=8,signed=true", "mac:a_width=3,b_width=7,signed=true",
        "mac:width=4,acc_width=9", "mac:width=4,acc_width=8,signed=true", "mac:width=1,acc_width=2",
    ])
    def test_exact_units_are_dot_products_modulo_acc(self, spec):
        u = make_unit(spec)
        a, b = operands(u, (50, 37), np.random.default_rng(3))
        got = u.model(a, b)
        want = [to_value(int(np.dot(x, y)), u.acc_width, u.signed) for x, y in zip(a, b)]
        assert got.tolist() == want
        assert got.dtype == np.int64 and got.shape == (50,)

    def test_wrap_around_happens(self):
        u = make_unit("mac:width=4,acc_width=8")
        assert int(u.model([15] * 3, [15] * 3)) == (3 * 225) % 256 == 163
        s = make_unit("mac:width=4,acc_width=8,signed=true")
        assert int(s.model([-8] * 3, [-8] * 3)) == to_value(192, 8, True) == -64

    def test_most_negative_squared(self):
        u = make_unit("mac:width=8,signed=true")
        assert int(u.model([-128] * 4, [-128] * 4)) == 4 * 16384

    @pytest.mark.parametrize("spec", [
        "mac:width=8", "mac:width=8,signed=true", DRUM, LOA_ACC,
        ("mac:width=6,signed=true,mul=(drum:width=6,k=3,signed=true),"
        "add=(loa:width=20,l=5,signed=true)"),
        "mac:width=8,acc_width=18,mul=(perforated:width=8,m=2),add=(loa:width=18,l=8,carry=false)",
        "mac:width=6,add=(trunc_add:width=20,k=3)",
    ])
    def test_against_the_definition(self, spec):
        u = make_unit(spec)
        a, b = operands(u, (40, 23), np.random.default_rng(5))
        assert u.model(a, b).tolist() == [reference_dot(u, x, y) for x, y in zip(a, b)]

    def test_approximate_units_differ_from_exact(self):
        a, b = operands(make_unit(LOA_ACC), (40, 23), np.random.default_rng(5))
        exact = make_unit(EXACT8).model(a, b)
        assert (make_unit(DRUM).model(a, b) != exact).any()
        assert (make_unit(LOA_ACC).model(a, b) != make_unit(DRUM).model(a, b)).any()

    def test_clear_goes_through_the_adder(self):
        # trunc_add drops the low k bits of both operands: even 0 + product loses them
        u = make_unit("mac:width=4,add=(trunc_add:width=16,k=3)")
        assert int(u.model([3], [5])) == int(u.add.model(0, 15)) == 8

    def test_vectorized_over_leading_axes(self):
        u = make_unit(LOA_ACC)
        a, b = operands(u, (3, 4, 9), np.random.default_rng(7))
        got = u.model(a, b)
        assert got.shape == (3, 4)
        assert got[2, 1] == reference_dot(u, a[2, 1], b[2, 1])
        assert u.model(a[0, 0], b[0, 0]).shape == ()
        assert u.model(a[..., :0], b[..., :0]).tolist() == np.zeros((3, 4), int).tolist()
        # operands broadcast: one weight vector against many activation vectors
        assert (u.model(a[:, 0], b[0, 0]) == u.model(a[:, 0], np.broadcast_to(b[0, 0], (3, 9)))
                ).all()

    def test_operation_exact_is_the_true_dot_product(self):
        u = make_unit("mac:width=4,acc_width=8")
        assert int(u.exact([15] * 3, [15] * 3)) == 675
        assert u.operation.result_width == 8 and u.operation.error_scale == 256.0

    @pytest.mark.parametrize("spec", [EXACT8, LOA_ACC, "mac:width=5,signed=true,in_reg=true",
                                      "mac:width=5,out_reg=true", LOA_ACC + ",in_reg=true,"
                                      "out_reg=true"])
    def test_trace_against_the_definition(self, spec):
        u = make_unit(spec)
        rng = np.random.default_rng(11)
        a, b = operands(u, (6, 60), rng)
        en, clear = rng.random((6, 60)) < 0.7, rng.random((6, 60)) < 0.2
        got = u.model_trace(a, b, en, clear)
        delay = u.latency - 1
        for row in range(6):
            want = [0] * delay + reference_trace(u, a[row], b[row], en[row], clear[row])
            assert got[row].tolist() == want[:60]

    def test_trace_agrees_with_model(self):
        u = make_unit(LOA_ACC)
        a, b = operands(u, (5, 12), np.random.default_rng(13))
        clear = np.zeros(12, int)
        clear[0] = 1
        assert (u.model_trace(a, b, 1, clear)[:, -1] == u.model(a, b)).all()
        # disabled cycles hold, clear without en does nothing
        trace = u.model_trace(a[0, :4], b[0, :4], [1, 0, 0, 1], [1, 1, 0, 0])
        assert trace[0] == trace[1] == trace[2] == reference_dot(u, a[0, :1], b[0, :1])


def simulate_trace(unit, a, b, en, clear) -> list[int]:
    """``p`` after each clock edge, the inputs of cycle t set before edge t."""
    dut = unit.component()
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    out = []

    async def bench(ctx):
        for x, y, e, c in zip(a, b, en, clear):
            ctx.set(dut.a, int(x))
            ctx.set(dut.b, int(y))
            ctx.set(dut.en, int(e))
            ctx.set(dut.clear, int(c))
            await ctx.tick()
            out.append(ctx.get(dut.p))

    sim.add_testbench(bench)
    sim.run()
    return out


class TestRtl:
    @pytest.mark.parametrize("spec", [
        "mac:width=4", "mac:width=4,signed=true", "mac:a_width=3,b_width=5,signed=true",
        "mac:width=4,acc_width=9", "mac:width=4,acc_width=8,signed=true",
        "mac:width=1,acc_width=2", "mac:width=1,acc_width=2,signed=true",
        "mac:width=4,in_reg=true", "mac:width=4,signed=true,out_reg=true",
        "mac:width=4,signed=true,in_reg=true,out_reg=true",
        "mac:width=8,mul=(drum:width=8,k=4)",
        LOA_ACC,
        ("mac:width=6,signed=true,mul=(drum:width=6,k=3,signed=true),"
        "add=(loa:width=20,l=5,signed=true),in_reg=true"),
        ("mac:width=6,mul=(perforated:width=6,m=2),add=(loa:width=14,l=6,carry=false),"
        "acc_width=14,out_reg=true"),
        "mac:width=4,add=(carry_cut:width=16,c=4)",
    ])
    def test_random_en_clear_sequences(self, spec):
        u = make_unit(spec)
        rng = np.random.default_rng(17)
        n = 300
        a, b = operands(u, (n,), rng)
        # runs of enabled cycles long enough to wrap the accumulator, clears now and then
        en, clear = rng.random(n) < 0.8, rng.random(n) < 0.05
        (alo, _), (blo, _) = u.operand_ranges()
        a[:8], b[:8], en[:8], clear[:8] = alo, blo, 1, [1] + [0] * 7  # most-negative squared
        got = simulate_trace(u, a, b, en, clear)
        want = u.model_trace(a, b, en, clear)
        assert got == want.tolist()
        assert len(set(got)) >= min(20, 1 << u.acc_width)

    def test_reset_value_and_hold(self):
        u = make_unit("mac:width=4")
        got = simulate_trace(u, [3, 3, 3, 3, 2], [5, 5, 5, 5, 2], [0, 1, 0, 1, 1], [1, 0, 0, 0, 1])
        assert got == [0, 15, 15, 30, 4]


class TestVerilog:
    @pytest.mark.parametrize("spec", [
        "mac:width=8", "mac:width=8,signed=true,in_reg=true,out_reg=true", LOA_ACC,
        "mac:width=4,add=(carry_cut:width=16,c=4)",
    ])
    def test_lint_clean(self, spec, tmp_path):
        u = make_unit(spec)
        path = tmp_path / f"{u.name}.v"
        path.write_text(u.verilog())
        lint_verilog(path, u.name)
        assert f"module {u.name}(" in u.verilog()
        assert f"\\{u.name}.mul  mul (" in u.verilog()
        assert f"\\{u.name}.add  add (" in u.verilog()
