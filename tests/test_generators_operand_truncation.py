"""Tests of operand truncation (EvoApproxLib's truncation baselines).

References: Python integers with the low bits masked off, the cross-family identity with
perforation (zeroing b's LSBs = perforating b's low rows), the closed-form mean error, and RTL
vs model on the Amaranth simulator and on cocotb.
"""

from __future__ import annotations

import pytest
from _family_checks import rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.operand_truncation import (
    OperandTruncation,
    mean_error_closed_form,
)
from axhdl.metrics import exhaustive_metrics, operand_grid


def unit(na, nb, signed, za, zb):
    return make_unit(
        f"operand_truncation:a_width={na},b_width={nb},signed={signed},za={za},zb={zb}")


def floor_to(x: int, z: int) -> int:
    """x rounded down to a multiple of 2^z (Python's floor division, also for x < 0)."""
    return (x // (1 << z)) * (1 << z)


class TestOperandTruncation:
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,za,zb", [(5, 5, 2, 1), (4, 6, 0, 3), (6, 3, 5, 2),
                                             (3, 3, 0, 0), (1, 1, 0, 0)])
    def test_model_is_product_of_truncated_operands(self, na, nb, za, zb, signed):
        u = unit(na, nb, signed, za, zb)
        a, b = operand_grid(u)
        expected = [floor_to(x, za) * floor_to(y, zb) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("signed", [False, True])
    def test_zeroing_every_bit_gives_zero(self, signed):
        u = unit(4, 4, signed, 4, 1)
        a, b = operand_grid(u)
        assert (u.model(a, b) == 0).all()

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("zb", [1, 3, 6])
    def test_zb_alone_is_perforation_of_low_rows(self, zb, signed):
        t = unit(6, 6, signed, 0, zb)
        p = make_unit(f"perforated:width=6,signed={signed},m={zb},start=0")
        a, b = operand_grid(t)
        assert (t.model(a, b) == p.model(a, b)).all()

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("za,zb", [(1, 0), (2, 2), (4, 0), (3, 5), (7, 7)])
    def test_mean_error_closed_form(self, za, zb, signed):
        m = exhaustive_metrics(unit(8, 8, signed, za, zb))
        assert m["mean_ed"] == pytest.approx(
            mean_error_closed_form(8, 8, za, zb, signed), abs=1e-9)

    def test_closed_form_value(self):
        # unsigned 8x8, za = zb = 2: -(255/2)(3/2) - (3/2)(255/2) + (3/2)^2 = -380.25
        assert mean_error_closed_form(8, 8, 2, 2) == -380.25
        # signed: E[a] = E[b] = -1/2 -> 3/4 + 3/4 + 9/4
        assert mean_error_closed_form(8, 8, 2, 2, signed=True) == 3.75

    def test_signed_truncation_rounds_down(self):
        u = unit(8, 8, True, 2, 0)
        assert int(u.model(-1, 1)) == -4
        assert int(u.model(-128, -128)) == 16384
        assert int(u.model(127, 1)) == 124

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            OperandTruncation(a_width=4, b_width=8, za=5)
        assert str(e.value) == (
            "Parameter 'za' must be an integer in 0..a_width (here 0..4), not 5")
        with pytest.raises(ValueError) as e:
            OperandTruncation(a_width=8, b_width=3, zb=4)
        assert str(e.value) == (
            "Parameter 'zb' must be an integer in 0..b_width (here 0..3), not 4")
        with pytest.raises(TypeError) as e:
            OperandTruncation(width=8, za=True)
        assert str(e.value) == "Parameter 'za' must be an integer, not True"
        with pytest.raises(SpecError) as e:
            make_unit("operand_truncation:width=8,zc=1")
        assert str(e.value) == (
            "operand_truncation: Family 'operand_truncation' has no parameter 'zc'; its "
            "parameters are: a_width, b_width, signed, za, zb")

    def test_metadata(self):
        u = unit(8, 4, True, 2, 1)
        assert u.spec == "operand_truncation:a_width=8,b_width=4,signed=true,za=2,zb=1"
        assert u.name == "operand_truncation_8x4s_za2_zb1"

_BOTH = (False, True)
# three parameter points at 8x8 plus chosen small and asymmetric shapes; Verilator checks the
# default point in both signednesses, its area is below the exact array's in both
TestRTLEquivalence = rtl_test_class(
    "operand_truncation", ["za=2,zb=2", "za=4,zb=0", "za=1,zb=3"], verilator_signed=True,
    small=tuple((na, nb, s, f"za={za},zb={zb}") for s in _BOTH for na, nb, za, zb in [
        (4, 4, 1, 2), (4, 4, 3, 3), (3, 5, 1, 2), (5, 3, 2, 1), (5, 3, 5, 0), (1, 1, 0, 0),
        (1, 1, 1, 0)]),
    cosim=((8, 8, False, "za=2,zb=2"),),
    slow_cosim=tuple((na, nb, s, f"za={za},zb={zb}") for na, nb, s, za, zb in [
        (8, 4, False, 3, 1), (8, 4, True, 2, 2), (4, 8, False, 0, 4), (4, 8, True, 1, 5),
        (16, 16, False, 4, 4), (16, 16, True, 6, 2)]),
    lint=tuple((4, 8, s, "za=4,zb=3") for s in _BOTH),
    area_signed=_BOTH, area_slow=False,
)
