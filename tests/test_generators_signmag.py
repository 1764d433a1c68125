import numpy as np
import pytest
from _family_checks import assert_amaranth_exhaustive, assert_lint_clean
from amaranth.hdl import Module

from axhdl.generators.multipliers._signmag import (
    SignMagnitudeUnit,
    magnitude,
    signmag_model,
)
from axhdl.metrics import operand_grid


class _ExactCore(SignMagnitudeUnit):
    """An exact unsigned core: the signed wrapper must then be the exact signed product."""

    family = "test_signmag_exact"

    def core_model(self, ma, mb):
        return ma * mb

    def core_rtl(self, m: Module, ma, mb):
        return ma * mb


class _SumCore(SignMagnitudeUnit):
    """|a| + |b|: not a product, so it shows which magnitudes reach the core."""

    family = "test_signmag_sum"

    def core_model(self, ma, mb):
        return ma + mb

    def core_rtl(self, m: Module, ma, mb):
        return ma + mb


class TestMagnitude:
    def test_signed_magnitudes_include_most_negative(self):
        mag, neg = magnitude([-8, -1, 0, 1, 7], True)
        assert mag.tolist() == [8, 1, 0, 1, 7]
        assert neg.tolist() == [True, True, False, False, False]

    def test_unsigned_values_pass_through(self):
        mag, neg = magnitude([0, 15, 9], False)
        assert mag.tolist() == [0, 15, 9]
        assert not neg.any()


class TestSignmagModel:
    @pytest.mark.parametrize("na,nb", [(4, 4), (3, 5), (5, 3), (1, 1), (8, 8)])
    def test_exact_core_gives_signed_product(self, na, nb):
        lo_a, lo_b = -(1 << (na - 1)), -(1 << (nb - 1))
        a = np.repeat(np.arange(lo_a, -lo_a), 1 << nb)
        b = np.tile(np.arange(lo_b, -lo_b), 1 << na)
        p = signmag_model(lambda x, y: x * y, a, b, signed=True, p_width=na + nb)
        assert (p == a * b).all()

    def test_core_sees_full_width_magnitudes(self):
        seen = {}

        def core(ma, mb):
            seen["a"], seen["b"] = ma.copy(), mb.copy()
            return ma + mb

        a = np.arange(-8, 8)
        p = signmag_model(core, a, a[::-1], signed=True, p_width=8)
        assert seen["a"].max() == 8 and seen["a"].min() == 0  # |-8| needs the 4th bit
        # the sign of the result is sign(a) xor sign(b), the magnitude the core's value
        expected = [(-1 if (x < 0) != (y < 0) else 1) * (abs(x) + abs(y))
                    for x, y in zip(a.tolist(), a[::-1].tolist())]
        assert p.tolist() == expected

    def test_unsigned_uses_core_directly(self):
        a = np.arange(16)
        p = signmag_model(lambda x, y: 3 * x + y, a, 5, signed=False, p_width=8)
        assert p.tolist() == [3 * x + 5 for x in range(16)]

    def test_result_reduced_to_p_width(self):
        # -(7*7) = -49 does not fit a 6-bit signed result: it wraps like the hardware
        p = signmag_model(lambda x, y: x * y, np.array([-7]), np.array([7]), signed=True,
                          p_width=6)
        assert p.tolist() == [-49 + 64]

    def test_negative_core_value_rejected(self):
        with pytest.raises(ValueError) as e:
            signmag_model(lambda x, y: x - y - 1, np.array([0]), np.array([0]), signed=True,
                          p_width=8)
        assert str(e.value) == (
            "the unsigned core of a sign-magnitude multiplier returned a negative value")


class TestSignMagnitudeUnit:
    @pytest.mark.parametrize("na,nb", [(4, 4), (3, 5), (5, 3), (1, 1), (1, 3)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_exact_core_rtl_is_exact(self, na, nb, signed):
        u = _ExactCore(a_width=na, b_width=nb, signed=signed)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()
        assert_amaranth_exhaustive(u)

    # |a| + |b| fits the result for these shapes (not for signed 1x1: |-1| + |-1| = 2)
    @pytest.mark.parametrize("na,nb", [(4, 4), (3, 5), (5, 3), (1, 2)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_sum_core_rtl_matches_model(self, na, nb, signed):
        u = _SumCore(a_width=na, b_width=nb, signed=signed)
        a, b = operand_grid(u)
        s = np.where((a < 0) != (b < 0), -1, 1)
        assert (u.model(a, b) == s * (np.abs(a) + np.abs(b))).all()
        assert_amaranth_exhaustive(u)

    @pytest.mark.parametrize("signed", [False, True])
    def test_lint_clean(self, signed, tmp_path):
        assert_lint_clean(_ExactCore(width=8, signed=signed), tmp_path)
