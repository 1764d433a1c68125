"""Tests of the partial-product perforation family (Zervakis et al., IEEE TVLSI 2016).

References: the product a·b' with the perforated bits of b cleared (a second formulation of
the definition), the paper's error moments E[ε] = −E[a]E[B_P] and
Var[ε] = E[a²]E[B_P²] − E[a]²E[B_P]² against exhaustive metrics, RTL vs model on the Amaranth
simulator and on cocotb (Icarus, Verilator).
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.perforated import (
    Perforated,
    error_moments,
    uniform_moments,
)
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.unit import from_code, to_code


def unit(na, nb, signed, m, start):
    return make_unit(
        f"perforated:a_width={na},b_width={nb},signed={signed},m={m},start={start}")


def cleared_product(a, b, na, nb, signed, m, start):
    """a · b', b' = b with bits start..start+m-1 cleared (two's complement bit pattern)."""
    mask = ((1 << m) - 1) << start
    b2 = from_code(to_code(b, nb) & ~mask, nb, signed)
    return np.asarray(a, dtype=np.int64) * b2


class TestPerforated:
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,m,start", [(6, 6, 2, 0), (6, 6, 3, 3), (5, 4, 4, 0),
                                               (4, 5, 1, 4), (3, 3, 0, 1), (1, 1, 1, 0)])
    def test_model_clears_bits_of_b(self, na, nb, m, start, signed):
        u = unit(na, nb, signed, m, start)
        a, b = operand_grid(u)
        assert (u.model(a, b) == cleared_product(a, b, na, nb, signed, m, start)).all()

    @pytest.mark.parametrize("signed", [False, True])
    def test_m0_is_exact(self, signed):
        u = unit(6, 6, signed, 0, 3)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()

    def test_sign_row_perforated(self):
        # perforating the sign row of a signed b leaves b' = b + 2^(nb-1) for negative b
        u = unit(4, 4, True, 1, 3)
        assert int(u.model(-8, -8)) == 0
        assert int(u.model(-8, -1)) == -8 * 7
        assert int(u.model(7, -3)) == 7 * 5

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("m,start", [(1, 0), (2, 0), (3, 2), (2, 6), (4, 4), (8, 0)])
    def test_error_moments_closed_form(self, m, start, signed):
        u = unit(8, 8, signed, m, start)
        metrics = exhaustive_metrics(u)
        mean, var = error_moments(8, 8, m, start, signed)
        assert metrics["mean_ed"] == pytest.approx(mean, rel=1e-12, abs=1e-9)
        assert metrics["var_ed"] == pytest.approx(var, rel=1e-12)

    def test_closed_form_values(self):
        # unsigned 8x8, rows 0 and 1: E[a] = 255/2, E[B_P] = (1 + 2)/2 -> E[eps] = -191.25;
        # E[a^2] = 255*511/6, E[B_P^2] = Var + mean^2 = (1 + 4)/4 + 2.25 = 3.5
        mean, var = error_moments(8, 8, 2, 0)
        assert mean == -191.25
        assert var == pytest.approx(255 * 511 / 6 * 3.5 - 191.25 ** 2)
        assert uniform_moments(4, True) == (-0.5, (2 * sum(x * x for x in range(1, 8)) + 64) / 16)

    def test_error_is_never_positive_unsigned(self):
        u = unit(8, 8, False, 3, 1)
        a, b = operand_grid(u)
        err = u.model(a, b) - a * b
        assert err.max() == 0
        # the worst case: a = 255 and every perforated bit set
        assert err.min() == -255 * (2 + 4 + 8)

    def test_fewer_adders_than_exact_array(self):
        exact = make_unit("exact:width=8,arch=array").verilog()
        perf = unit(8, 8, False, 2, 0).verilog()
        # one ripple-carry row of full/half adders per generated row: two rows fewer
        assert perf.count("assign row") < exact.count("assign row")

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Perforated(width=8, m=3, start=6)
        assert str(e.value) == (
            "Parameters 'start' + 'm' must be at most b_width (8), not 6 + 3 = 9")
        with pytest.raises(ValueError) as e:
            Perforated(a_width=8, b_width=4, m=5)
        assert str(e.value) == (
            "Parameter 'm' must be an integer in 0..b_width (here 0..4), not 5")
        with pytest.raises(ValueError) as e:
            Perforated(width=8, start=8, m=0)
        assert str(e.value) == (
            "Parameter 'start' must be an integer in 0..b_width - 1 (here 0..7), not 8")
        with pytest.raises(TypeError) as e:
            Perforated(width=8, m=1.5)
        assert str(e.value) == "Parameter 'm' must be an integer, not 1.5"
        with pytest.raises(SpecError) as e:
            make_unit("perforated:width=4,m=2,start=3")
        assert str(e.value) == (
            "perforated: Parameters 'start' + 'm' must be at most b_width (4), "
            "not 3 + 2 = 5")

    def test_metadata(self):
        u = unit(8, 8, True, 2, 1)
        assert u.spec == "perforated:width=8,signed=true,m=2,start=1"
        assert u.name == "perforated_8x8s_m2_start1"
        assert u.weight_operand == "b"
        assert "Zervakis" in u.citation


_BOTH = (False, True)
# three parameter points at 8x8 plus chosen small and asymmetric shapes; Verilator checks the
# default point in both signednesses, its area is below the exact array's in both
TestRTLEquivalence = rtl_test_class(
    "perforated", ["m=2,start=0", "m=3,start=2", "m=2,start=6"], verilator_signed=True,
    small=tuple((na, nb, s, f"m={m},start={st}") for s in _BOTH for na, nb, m, st in [
        (4, 4, 2, 0), (4, 4, 1, 3), (3, 5, 2, 1), (5, 3, 3, 0), (5, 3, 1, 2), (1, 1, 1, 0),
        (1, 1, 0, 0)]),
    cosim=((8, 8, False, "m=2,start=0"),),
    slow_cosim=tuple((na, nb, s, f"m={m},start={st}") for na, nb, s, m, st in [
        (8, 4, False, 2, 1), (8, 4, True, 1, 3), (4, 8, False, 3, 5), (4, 8, True, 2, 0),
        (16, 16, False, 4, 0), (16, 16, True, 3, 13)]),
    lint=tuple((4, 8, s, "m=2,start=6") for s in _BOTH),
    area_signed=_BOTH, area_slow=False,
)
