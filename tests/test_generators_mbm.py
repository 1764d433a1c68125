"""Tests of the minimally biased multiplier (Saadat, Bokhari, Parameswaran, IEEE TCAD 2018).

References: the paper's formula 2^(k1+k2)(1 + x1 + x2 + C) / 2^(k1+k2+1)(x1 + x2 + C/2) in
floating point, C = 1/12 from its derivation (the mean of Mitchell's error x1·x2 over the
triangle x1 + x2 < 1), the bias against Mitchell's (computed here by numerical integration
for uniform fractions), RTL vs model on the Amaranth simulator and cocotb.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _family_checks import (
    assert_amaranth_exhaustive,
    assert_fits_p_width,
    relative_errors,
    rtl_test_class,
)

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.mbm import MBM, correction_term
from axhdl.generators.multipliers.mitchell import Mitchell
from axhdl.metrics import operand_grid


def mbm_float(a: int, b: int, big_f: int, t: int) -> int:
    """MBM-t from the paper's formula, in floating point (exact at these widths)."""
    if a == 0 or b == 0:
        return 0
    kept = big_f - t
    c = math.floor(2**kept / 12) / 2**kept  # C = 1/12 = 0.000101010...b, truncated
    c_half = math.floor(2**kept / 12 / 2) / 2**kept  # the hardware's C >> 1
    k1, k2 = a.bit_length() - 1, b.bit_length() - 1
    x1 = math.floor((a / 2**k1 - 1) * 2**kept) / 2**kept
    x2 = math.floor((b / 2**k2 - 1) * 2**kept) / 2**kept
    if x1 + x2 < 1:
        value = 2.0 ** (k1 + k2) * (1 + x1 + x2 + c)
    else:
        value = 2.0 ** (k1 + k2 + 1) * (x1 + x2 + c_half)
    return math.floor(value)


def continuous_mean_relative_error(correction: float, n: int = 2000) -> float:
    x = (np.arange(n) + 0.5) / n
    x1, x2 = np.meshgrid(x, x)
    s = x1 + x2
    approx = np.where(s < 1, 1 + s + correction, 2 * (s + correction / 2))
    exact = (1 + x1) * (1 + x2)
    return float(((approx - exact) / exact).mean())


class TestMBM:
    @pytest.mark.parametrize("t", [0, 1, 3, 5, 7])
    def test_model_matches_paper_formula(self, t):
        u = MBM(width=8, t=t)
        a, b = operand_grid(u)
        expected = [mbm_float(x, y, 7, t) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_asymmetric_widths_match_formula(self):
        for na, nb in [(8, 4), (4, 8)]:
            u = MBM(a_width=na, b_width=nb, t=1)
            a, b = operand_grid(u)
            expected = [mbm_float(x, y, 7, 1) for x, y in zip(a.tolist(), b.tolist())]
            assert u.model(a, b).tolist() == expected

    def test_correction_is_one_twelfth(self):
        # 1/12 = 0.000101010101...b: the integral of x*y over x + y < 1 (1/24) over the
        # triangle's area (1/2)
        expansion = "000101010101010101010101"
        for kept in range(1, 20):
            assert correction_term(kept) == int(expansion[:kept], 2)
        assert MBM(width=8).correction == 10  # 0.0001010b = 10/128
        assert MBM(width=8, t=4).correction == 0  # W = 3 bits cannot hold 1/12

    @pytest.mark.parametrize("spec", ["mbm:width=5,t=4", "mbm:width=5,t=4,signed=true",
                                      "mbm:a_width=2,b_width=6,t=1,signed=true"])
    def test_rtl_with_fewest_fraction_bits(self, spec):
        # t = F keeps no fraction bit (and no correction): the datapath's degenerate corner
        assert_amaranth_exhaustive(make_unit(spec))

    def test_without_correction_bits_it_is_mitchell(self):
        # W = 3 fraction bits: C truncates to 0, MBM-4 is Mitch-3 at 8x8
        a, b = operand_grid(MBM(width=8))
        assert (MBM(width=8, t=4).model(a, b) == Mitchell(width=8, w=3).model(a, b)).all()

    def test_bias_much_smaller_than_mitchell(self):
        # uniform fractions: Mitchell's mean relative error is about -3.85 %, MBM's about
        # +0.15 % (numerical integration of the paper's formula with C = 1/12)
        ref_mitchell = continuous_mean_relative_error(0.0)
        ref_mbm = continuous_mean_relative_error(1 / 12)
        assert abs(ref_mbm) < abs(ref_mitchell) / 20
        rng = np.random.default_rng(5)
        a = rng.integers(1, 1 << 16, size=400_000)
        b = rng.integers(1, 1 << 16, size=400_000)
        mbm = float(((MBM(width=16).model(a, b) - a * b) / (a * b)).mean())
        mitchell = float(((Mitchell(width=16).model(a, b) - a * b) / (a * b)).mean())
        assert mbm == pytest.approx(ref_mbm, abs=1e-3)
        assert abs(mbm) < abs(mitchell) / 10
        # exhaustively at 8x8 the bias is also far below Mitchell's
        assert abs(relative_errors(MBM(width=8)).mean()) < abs(
            relative_errors(Mitchell(width=8)).mean()) / 3

    def test_error_range(self):
        # the correction moves Mitchell's error range [-1/9, 0] to about [-1/12 - ..., 1/12]
        re = relative_errors(MBM(width=8))
        assert re.max() <= 10 / 128 + 1e-12  # C at 7 fraction bits, for powers of two
        assert re.max() == pytest.approx(10 / 128, abs=1e-12)  # e.g. 64 x 64
        # where C·2^(k1+k2) survives the final truncation, Mitchell's -1/9 at fractions
        # 0.5 + 0.5 becomes (2 + C)/2.25 - 1 = -0.0741 (C = 10/128 here)
        u = MBM(width=8)
        a, b = operand_grid(u)
        big = (a >= 16) & (b >= 16)
        re_big = (u.model(a, b)[big] - (a * b)[big]) / (a * b)[big]
        assert re_big.min() == pytest.approx((2 + 10 / 128) / 2.25 - 1, abs=1e-12)
        # for tiny operands the correction is truncated away: 3 x 3 -> 8 as in Mitchell
        assert int(u.model(3, 3)) == 8 and re.min() == pytest.approx(-1 / 9)

    def test_unsigned_result_needs_one_more_bit(self):
        u = MBM(width=8)
        assert u.p_width == 17
        a, b = operand_grid(u)
        assert u.model(a, b).max() > (1 << 16) - 1  # the extra bit is really used
        assert int(u.model(255, 255)) == mbm_float(255, 255, 7, 0)
        assert MBM(width=8, signed=True).p_width == 16

    @pytest.mark.parametrize("spec", ["mbm:width=8", "mbm:width=8,signed=true,t=2",
                                      "mbm:a_width=8,b_width=4", "mbm:width=1,signed=true"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_signed_is_sign_magnitude(self):
        s, u = MBM(width=8, signed=True), MBM(width=8)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == mbm_float(128, 128, 7, 0)

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            MBM(width=8, t=8)
        assert str(e.value) == ("Parameter 't' must be an integer in 0..max(a_width, b_width) "
                                "- 1 (here 0..7), not 8")
        with pytest.raises(TypeError) as e:
            MBM(width=8, t=1.5)
        assert str(e.value) == "Parameter 't' must be an integer, not 1.5"
        with pytest.raises(SpecError) as e:
            make_unit("mbm:width=4,t=-1")
        assert str(e.value) == ("mbm: Parameter 't' must be an integer in 0..max(a_width, "
                                "b_width) - 1 (here 0..3), not -1")

    def test_metadata(self):
        u = make_unit("mbm")
        assert u.spec == "mbm:width=8,signed=false,t=0"
        assert "Saadat" in u.citation and "2018" in u.citation


TestRTLEquivalence = rtl_test_class("mbm", ["", "t=2", "t=4"], verilator_signed=False)
