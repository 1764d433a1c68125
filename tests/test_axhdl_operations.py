"""Operations (axhdl.operations): what a unit computes is asked of the unit.

The toy operation at the bottom is defined here and nowhere else: a two-operand addition with
its own exact baseline family and an approximate family. Metrics, LUTs, co-simulation, formal
proofs and the PPA flow take it with no change outside this file.
"""

import numpy as np
import pytest
from amaranth.hdl import Module

from axhdl import registry
from axhdl.errors import CheckFailedError, ToolMissingError
from axhdl.lut import lut
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.operations import Addition, Multiplication, Operation
from axhdl.params import Param
from axhdl.synth.prove import prove_unit
from axhdl.testbenches.amaranth_sim import check_exhaustive
from axhdl.unit import AmaranthUnit


class TestMultiplication:
    def test_widths_and_exact(self):
        op = Multiplication(8, 4, True)
        assert (op.result_width, op.operand_bits, op.tag) == (12, 12, "8x4s")
        assert op.exact(-128, -8).tolist() == 1024
        assert [o.range for o in op.operands] == [(-128, 127), (-8, 7)]

    def test_normalisation_and_baseline(self):
        op = Multiplication(8, 8, False)
        assert op.error_scale == 65536.0
        assert op.baseline_spec() == "exact:width=8,signed=false"
        assert (Multiplication(8, 4, True).baseline_spec()
                == "exact:a_width=8,b_width=4,signed=true")

    def test_reference_module(self):
        text, top = Multiplication(3, 5, True).gold_verilog()
        assert top == "axhdl_gold_multiplication_3x5s"
        assert text == (
            "module axhdl_gold_multiplication_3x5s(input signed [2:0] a, "
            "input signed [4:0] b,\n    output signed [7:0] p);\n  assign p = a*b;\nendmodule\n"
        )

    def test_result_must_fit_int64(self):
        with pytest.raises(ValueError) as e:
            Multiplication(32, 31, False).check()
        assert str(e.value) == (
            "a_width + b_width must be at most 62 (the golden model is int64), not 32 + 31 = 63")


class TestAddition:
    def test_widths_and_exact(self):
        op = Addition(8, 8, True)
        assert (op.result_width, op.tag, op.reference) == (9, "8s", "a+b")
        assert op.exact(-128, -128).tolist() == -256
        assert op.spec_widths() == ["width=8", "signed=true"]

    def test_normalised_by_the_result_range(self):
        # EvoApproxLib's adders: MAE% relative to 2^(n+1)
        assert Addition(8, 8, False).error_scale == 512.0
        assert Addition(8, 8, False).baseline_spec() == "exact_add:width=8,signed=false"


class TestUnitsAskTheirOperation:
    def test_multiplier_unit(self):
        u = registry.make_unit("truncated:a_width=6,b_width=3,k=2,signed=true")
        assert u.operation == Multiplication(6, 3, True)
        assert u.kind == "multiplier" and u.p_width == 9
        assert u.name.startswith("truncated_6x3s_")
        assert u.info["operation"] == {
            "name": "multiplication", "kind": "multiplier", "reference": "a*b",
            "result_width": 9, "error_scale": 512.0,
            "baseline": "exact:a_width=6,b_width=3,signed=true"}


# -- a toy second operation, defined in this file only --------------------------------------


class ToyAddition(Operation):
    """p = a + b on two `width`-bit operands (its own class: nothing else knows it)."""

    name = "toy_addition"
    kind = "toy_adder"
    reference = "a+b"
    baseline_family = "toy_exact_add"
    width_params = (
        Param("width", int, 4, "operand width", min=1, max=16),
        Param("signed", bool, False, "two's complement"),
    )

    @classmethod
    def from_params(cls, values):
        return cls(values["width"], values["width"], values["signed"])

    def spec_widths(self):
        return [f"width={self.a_width}", f"signed={'true' if self.signed else 'false'}"]

    @property
    def tag(self):
        return f"{self.a_width}{'s' if self.signed else 'u'}"

    @property
    def result_width(self):
        return self.a_width + 1

    @property
    def error_scale(self):
        return float(2 ** (self.a_width + 1))

    def exact(self, a, b):
        return np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)


def _wrap(x, width, is_signed):
    x = np.asarray(x, dtype=np.int64) & ((1 << width) - 1)
    return x - ((x >> (width - 1)) & 1) * (1 << width) if is_signed else x


class ToyExactAdd(AmaranthUnit):
    family = "toy_exact_add"
    operation_class = ToyAddition
    description = "exact adder (test)"

    def model(self, a, b, **controls):
        return self.exact(a, b)

    def rtl(self, io):
        m = Module()
        m.d.comb += io.p.eq(io.a + io.b)
        return m


class ToyLowerOr(AmaranthUnit):
    """Lower-part OR adder: the l low result bits are a|b, the upper part adds exactly
    without a carry from the low part (Mahdiani et al. 2010, without the carry AND)."""

    family = "toy_loa"
    operation_class = ToyAddition
    description = "lower-part OR adder (test)"
    params = (Param("l", int, 2, "bits ORed", min=0, max="width"),)

    def model(self, a, b, **controls):
        n, low = self.a_width, self._params["l"]
        ca, cb = np.asarray(a, dtype=np.int64) & ((1 << n) - 1), np.asarray(b) & ((1 << n) - 1)
        mask = (1 << low) - 1
        upper = ((_wrap(ca >> low, n - low, self.signed) if low < n else 0)
                 + (_wrap(cb >> low, n - low, self.signed) if low < n else 0)) << low
        return upper + ((ca | cb) & mask)

    def rtl(self, io):
        m = Module()
        n, low = self.a_width, self._params["l"]
        if low == n:
            m.d.comb += io.p.eq((io.a | io.b).as_unsigned())
            return m
        upper = io.a[low:].as_signed() if self.signed else io.a[low:]
        upper_b = io.b[low:].as_signed() if self.signed else io.b[low:]
        total = upper + upper_b
        m.d.comb += io.p.eq((total << low) | (io.a[:low] | io.b[:low]))
        return m


@pytest.fixture
def toy(monkeypatch):
    """Register the toy families for one test (the catalogue itself stays untouched)."""
    for cls in (ToyExactAdd, ToyLowerOr):
        monkeypatch.setitem(registry._FAMILIES, cls.family, cls)
    return registry.make_unit


def brute_force_loa(width, low, is_signed, a, b):
    """The toy LOA, bit by bit, from its definition."""
    mask = (1 << width) - 1
    ca, cb = a & mask, b & mask
    lowbits = (ca | cb) & ((1 << low) - 1)
    def upper(c):
        v = c >> low
        if is_signed and low < width and (v >> (width - low - 1)) & 1:
            v -= 1 << (width - low)
        return v
    return ((upper(ca) + upper(cb)) << low) + lowbits


class TestToyOperation:
    def test_model_matches_definition(self, toy):
        for signed in (False, True):
            u = toy(f"toy_loa:width=4,l=2,signed={signed}")
            a, b = operand_grid(u)
            want = [brute_force_loa(4, 2, signed, x, y) for x, y in zip(a.tolist(), b.tolist())]
            assert u.model(a, b).tolist() == want
            assert u.p_width == 5 and u.kind == "toy_adder"

    def test_spec_and_name(self, toy):
        u = toy("toy_loa:width=6,l=3,signed=true")
        assert u.spec == "toy_loa:width=6,signed=true,l=3"
        assert u.name == "toy_loa_6s_l3"
        assert toy(u.spec).spec == u.spec

    def test_metrics_use_the_operation(self, toy):
        u = toy("toy_loa:width=4,l=2")
        a, b = operand_grid(u)
        ed = u.model(a, b) - (a + b)
        m = exhaustive_metrics(u)
        assert m["mean_ed"] == pytest.approx(ed.mean())
        assert m["mae"] == pytest.approx(np.abs(ed).mean())
        assert m["wce"] == np.abs(ed).max() == 3  # a = b = 3: the low part 3|3 = 3, not 6
        assert m["mae_pct"] == pytest.approx(100 * np.abs(ed).mean() / 32)
        assert m["wce_pct"] == pytest.approx(100 * 3 / 32)
        assert exhaustive_metrics(toy("toy_exact_add:width=4"))["er"] == 0.0

    def test_lut(self, toy):
        u = toy("toy_loa:width=3,l=1,signed=true")
        table = lut(u)
        assert table.shape == (8, 8)
        # row = code of a, column = code of b: code 7 is -1, code 4 is -4; the low bits
        # 1|0 = 1 are exact here, the upper parts -1 + -2 = -3: (-3 << 1) + 1 = -5
        assert table[7, 4] == brute_force_loa(3, 1, True, -1, -4) == -5
        assert table[1, 1] == 1  # 1|1 in the low bit, no carry

    def test_amaranth_simulation(self, toy):
        for spec in ("toy_loa:width=4,l=2", "toy_loa:width=4,l=1,signed=true",
                     "toy_exact_add:width=3,signed=true"):
            checked, bad = check_exhaustive(toy(spec))
            assert checked == 256 if "width=4" in spec else checked == 64
            assert bad == []

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", ["icarus", "verilator"])
    def test_cosimulation(self, toy, sim):
        from axhdl.testbenches.runner import verify

        try:
            res = verify(toy("toy_loa:width=4,l=2,signed=true"), sim)
        except ToolMissingError as e:
            pytest.skip(str(e))
        assert res.ok and res.checked == 256 and res.exhaustive

    def test_proofs_use_the_reference(self, toy):
        proven = prove_unit(toy("toy_exact_add:width=6,signed=true"))
        assert proven["equivalent"] is True
        assert prove_unit(toy("toy_exact_add:width=4"), method="sat")["equivalent"] is True
        with pytest.raises(CheckFailedError) as e:
            prove_unit(toy("toy_loa:width=6,l=2"))
        a, b = e.value.counterexample["a"], e.value.counterexample["b"]
        u = toy("toy_loa:width=6,l=2")
        assert int(u.model(a, b)) != a + b

    def test_ppa_against_its_own_baseline(self, toy):
        from axhdl.synth.flow import baseline_unit, ppa

        u = toy("toy_loa:width=8,l=4")
        assert baseline_unit(u).spec == "toy_exact_add:width=8,signed=false"
        r = ppa(u, vectors=500)
        assert r.baseline.spec == "toy_exact_add:width=8,signed=false"
        assert 0 < r.area < r.baseline.area
        assert r.savings_pct["area"] == pytest.approx(100 * (1 - r.area / r.baseline.area))
