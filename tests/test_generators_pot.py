"""Tests of power-of-two weights (Lin, Courbariaux, Memisevic, Bengio, ICLR 2016).

References: nearest power of two found by brute force over all powers, the tie rule
(3 -> 4, 6 -> 8), exactness for powers of two, sign handling, no overflow at any width,
RTL vs model.
"""

from __future__ import annotations

import math

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

    @pytest.mark.parametrize("signed", [False, True])
    def test_rounding_is_in_the_linear_domain(self, signed):
        # every weight code of an 8-bit unit: the model's b' against the power of two nearer
        # on the number line (float distances, ties up), and against the log-domain rule
        # 2^round(log2 |b|), which differs exactly on sqrt(2)·2^t <= |b| < 1.5·2^t
        u = PowerOfTwo(width=8, signed=signed)
        codes = list(range(-128, 128) if signed else range(256))
        got = [int(u.model(1, b)) for b in codes]

        def linear(m: int) -> int:
            lo = 2.0 ** math.floor(math.log2(m))
            return int(2 * lo if (m - lo) >= (2 * lo - m) else lo)

        def log_domain(m: int) -> int:
            return 2 ** math.floor(math.log2(m) + 0.5)

        sign = [(-1 if b < 0 else 1) for b in codes]
        assert got == [s * linear(abs(b)) if b else 0 for s, b in zip(sign, codes)]
        differ = sorted({abs(b) for b in codes if b and linear(abs(b)) != log_domain(abs(b))})
        top = [] if signed else list(range(182, 192))  # signed magnitudes stop at 128
        assert differ == [23, 46, 47, *range(91, 96), *top]
        assert int(u.model(1, 23)) == 16 and log_domain(23) == 32

    def test_rounding_is_the_likelier_outcome_of_lin_et_al(self):
        # Lin et al.'s stochastic rule picks 2^(t+1) with probability p = |x|/2^t - 1: the
        # model rounds up exactly where p > 1/2, or p = 1/2 (the tie, rounded up)
        x = np.arange(1, 1 << 10)
        low = 2.0 ** np.floor(np.log2(x))
        p_up = x / low - 1
        expected = np.where(p_up >= 0.5, 2 * low, low).astype(np.int64)
        assert (nearest_power_of_two(x, 10) == expected).all()
        # and the stochastic rule is unbiased, which the deterministic one is not
        assert np.allclose(low * (1 - p_up) + 2 * low * p_up, x)

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
        assert str(e.value) == "pot: Parameter 'width' must be an integer in 1..32, not 0"

    def test_metadata(self):
        u = make_unit("pot:width=8")
        assert u.weight_operand == "b" and u.info["weight_operand"] == "b"
        assert "Lin" in u.citation and "ICLR" in u.citation


TestRTLEquivalence = rtl_test_class("pot", [""], verilator_signed=True)
