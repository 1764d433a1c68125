"""Tests of power-of-two weights (Lin, Courbariaux, Memisevic, Bengio, ICLR 2016).

References: nearest power of two found by brute force over all powers, the tie rule
(3 -> 4, 6 -> 8), exactness for powers of two, sign handling, no overflow at any width,
RTL vs model.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.pot import PowerOfTwo, nearest_power_of_two
from axhdl.metrics import operand_grid


def brute_nearest(x: int) -> int:
    """The power of two nearest to x by trying all of them (ties: the larger)."""
    if x == 0:
        return 0
    return min((1 << j for j in range(40)), key=lambda p: (abs(p - x), -p))


class TestPowerOfTwo:
    def test_rounding_matches_brute_force(self):
        x = np.arange(1 << 12)
        assert nearest_power_of_two(x, 12).tolist() == [brute_nearest(v) for v in range(4096)]

    def test_ties_round_up_and_zero_stays_zero(self):
        assert nearest_power_of_two([0, 1, 2, 3, 5, 6, 11, 12, 13, 24, 255], 8).tolist() == [
            0, 1, 2, 4, 4, 8, 8, 16, 16, 32, 256]

    @pytest.mark.parametrize("signed", [False, True])
    def test_model_is_a_times_rounded_b(self, signed):
        u = PowerOfTwo(width=8, signed=signed)
        a, b = operand_grid(u)
        expected = [x * (brute_nearest(abs(y)) * (-1 if y < 0 else 1))
                    for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_exact_for_powers_of_two(self):
        u = PowerOfTwo(width=8, signed=True)
        a, b = operand_grid(u)
        pow2 = (np.abs(b) & (np.abs(b) - 1)) == 0
        assert (u.model(a, b)[pow2] == (a * b)[pow2]).all()
        assert int(u.model(-128, -128)) == 16384

    def test_relative_error_of_b_is_at_most_one_third(self):
        # the worst rounding is 3·2^(t-1) -> 2^(t+1) (+1/3) and just below it -> 2^t
        b = np.arange(1, 1 << 10)
        rel = (nearest_power_of_two(b, 10) - b) / b
        assert rel.max() == pytest.approx(1 / 3) and rel.min() > -1 / 3

    @pytest.mark.parametrize("spec", ["pot:width=8", "pot:width=8,signed=true",
                                      "pot:a_width=3,b_width=9", "pot:width=1",
                                      "pot:width=1,signed=true"])
    def test_no_extra_result_bit_needed(self, spec):
        # rounding b = 2^n - 1 up to 2^n still fits: (2^na - 1)·2^nb < 2^(na+nb)
        u = make_unit(spec)
        assert u.p_width == u.a_width + u.b_width
        assert_fits_p_width(u)
        assert int(PowerOfTwo(width=16).model(65535, 65535)) == 65535 << 16

    def test_parameter_errors(self):
        with pytest.raises(TypeError) as e:
            PowerOfTwo(width=8, k=3)
        assert str(e.value) == ("Family 'pot' has no parameter 'k'; its parameters are: "
                                "a_width, b_width, signed")
        with pytest.raises(SpecError) as e:
            make_unit("pot:width=0")
        assert str(e.value) == "pot: Parameter 'a_width' must be an integer in 1..32, not 0"

    def test_metadata(self):
        u = make_unit("pot:width=8")
        assert u.weight_operand == "b" and u.info["weight_operand"] == "b"
        assert "Lin" in u.citation and "ICLR" in u.citation


TestRTLEquivalence = rtl_test_class("pot", [""], verilator_signed=True)
