"""Tests of the carry-cut adder: the carry into bit c forced to 0 and exposed as output ``cut``.

References: two ripple-carry adders bit by bit (bits below c, bits from c up with carry-in 0);
the error identity ``ED = -cut · 2^c`` (exact but for signed c = width, where it holds modulo
2^(width+1)); the ``cut`` output of the RTL against ``model_outputs``; curing the result by
adding the cut carry back.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from _adder_checks import (
    adder_rtl_test_class,
    assert_model_matches,
    from_bits,
    operand_bits,
    ripple_bits,
    simulate_outputs,
)

from axhdl import make_unit
from axhdl.generators.adders.carry_cut import CarryCut
from axhdl.metrics import exhaustive_metrics, operand_grid


def cut_reference(width: int, c: int, signed: bool):
    """(p, cut) bit by bit."""

    def ref(a: int, b: int) -> tuple[int, int]:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        low, cut = ripple_bits(xa[:c], xb[:c])
        upper, _ = ripple_bits(xa[c:], xb[c:])
        return from_bits(low + upper, signed), cut

    return ref


def wrap(x: np.ndarray, width: int, signed: bool) -> np.ndarray:
    x = x & ((1 << width) - 1)
    return x - ((x >> (width - 1)) & 1) * (1 << width) if signed else x


class TestCarryCut:
    @pytest.mark.parametrize("width,c", [(1, 1), (3, 1), (4, 2), (5, 3), (5, 5)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, c, signed):
        unit = make_unit(f"carry_cut:width={width},c={c},signed={signed}")
        ref = cut_reference(width, c, signed)
        assert_model_matches(unit, lambda a, b: ref(a, b)[0])
        a, b = operand_grid(unit)
        cut = unit.model_outputs(a, b)["cut"]
        assert cut.tolist() == [ref(x, y)[1] for x, y in zip(a.tolist(), b.tolist())]

    @pytest.mark.parametrize("width,c", [(4, 1), (6, 3), (8, 4), (8, 7), (8, 8)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_error_is_minus_the_cut_carry(self, width, c, signed):
        u = make_unit(f"carry_cut:width={width},c={c},signed={signed}")
        a, b = operand_grid(u)
        ed = u.model(a, b) - (a + b)
        cut = u.model_outputs(a, b)["cut"]
        if signed and c == width:  # the cut carry into the sign position: modulo 2^(w+1)
            assert ((ed + (cut << c)) % (1 << (width + 1)) == 0).all()
            assert (wrap(u.model(a, b) + (cut << c), width + 1, True) == a + b).all()
        else:
            assert (ed == -(cut << c)).all()

    @pytest.mark.parametrize("width,c", [(6, 3), (8, 4), (10, 9)])
    def test_error_closed_forms(self, width, c):
        # the carry out of two uniform c-bit numbers: P = (2^c - 1) 2^c / 2 / 4^c
        m = exhaustive_metrics(make_unit(f"carry_cut:width={width},c={c}"))
        p_cut = Fraction((2 ** c - 1) * 2 ** c // 2, 4 ** c)
        assert m["er"] == float(p_cut)
        assert m["mean_ed"] == pytest.approx(-float(p_cut) * 2 ** c, rel=1e-12)
        assert m["wce"] == 2 ** c

    def test_signed_cut_at_the_sign_position(self):
        # -8 + -8 at width 4: the carry into bit 4 is cut, the top bit is 1 ^ 1 = 0
        u = make_unit("carry_cut:width=4,c=4,signed=true")
        assert int(u.model(-8, -8)) == 0 and int(u.model_outputs(-8, -8)["cut"]) == 1

    @pytest.mark.parametrize("width,c", [(3, 1), (4, 2), (4, 4), (5, 3)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_rtl_cut_output(self, width, c, signed):
        u = make_unit(f"carry_cut:width={width},c={c},signed={signed}")
        a, b = operand_grid(u)
        got = simulate_outputs(u, a, b)
        assert np.array_equal(got["p"], u.model(a, b))
        assert np.array_equal(got["cut"], u.model_outputs(a, b)["cut"])

    def test_ports(self):
        u = CarryCut(width=8, c=5)
        assert u.extra_outputs == {"cut": 1}
        assert u.info["ports"]["cut"] == {"dir": "out", "width": 1, "signed": False}
        sig = u.signature()
        assert set(sig.members) == {"a", "b", "p", "cut"}
        assert u.spec == "carry_cut:width=8,signed=false,c=5" and u.name == "carry_cut_8u_c5"
        assert "output cut" in u.verilog()

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "c": 0}, ValueError,
         "Parameter 'c' must be an integer in 1..width (here 1..8), not 0"),
        ({"width": 8, "c": 9}, ValueError,
         "Parameter 'c' must be an integer in 1..width (here 1..8), not 9"),
        ({"width": 8, "c": "x"}, TypeError, "Parameter 'c' must be an integer, not 'x'"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            CarryCut(**kwargs)
        assert str(e.value) == message


TestRTLEquivalence = adder_rtl_test_class(
    "carry_cut",
    lambda w: sorted({f"c={c}" for c in {1, w // 2, w} if c >= 1}),
    eight=("c=4", "c=5"),
    slow_eight=[("c=8", True), ("c=8", False), ("c=1", True)],
)


class _WrongCut(CarryCut):
    """The right sum, a wrong cut carry (always 0): the extra output must be checked."""

    def model_outputs(self, a, b, **controls):
        return {"cut": np.zeros(np.broadcast(a, b).shape, dtype=np.int64)}


class TestExtraOutputIsVerified:
    def test_amaranth_simulation_names_the_output(self):
        from axhdl.testbenches.amaranth_sim import check_exhaustive

        checked, bad = check_exhaustive(_WrongCut(width=3, c=2))
        assert checked == 64 and bad
        # a = 3, b = 1: the low parts 3 + 1 carry into bit 2, so the cut carry is 1
        assert {"a": 3, "b": 1, "output": "cut", "expected": 0, "got": 1} in bad
        assert all(row["output"] == "cut" for row in bad)

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", ["icarus", "verilator"])
    def test_cosimulation_names_the_output(self, sim, tmp_path):
        from axhdl.errors import ToolMissingError
        from axhdl.testbenches.runner import verify

        unit = _WrongCut(width=3, c=2)
        try:
            res = verify(unit, sim, build_root=tmp_path)
        except ToolMissingError as e:
            pytest.skip(str(e))
        a, b = operand_grid(unit)
        cut = ((a & 3) + (b & 3)) >> 2
        assert not res.ok and res.mismatch_count == int(cut.sum())
        assert {"a": 3, "b": 1, "output": "cut", "expected": 0, "got": 1} in res.mismatches
        assert make_unit("carry_cut:width=3,c=2").model_outputs(3, 1)["cut"] == 1
