"""Tests of the minimally biased multiplier (Saadat, Bokhari, Parameswaran, IEEE TCAD 2018).

References: the paper's formula 2^(k1+k2)(1 + x1 + x2 + C) / 2^(k1+k2+1)(x1 + x2 + C/2) in
floating point, with the hardware constant C = 0.0001010b = 0.078125 (the paper's 7-bit
approximation of its analytic 1/12), MBM-t's truncation to W bits with the next bit set, and
the correction bypassed where the carry-case mantissa would overflow (the paper's Sec. III-C,
as in ApproxTrain's MBM models); the paper's Table I error figures (16-bit Monte Carlo within
sampling error; the 8-bit exhaustive row only approximately, as documented); the bias
against Mitchell's (numerical integration for uniform fractions); RTL vs model on the
Amaranth simulator and cocotb.
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
from axhdl.generators.multipliers.mitchell import Mitchell, log_product
from axhdl.metrics import operand_grid

#: the paper's hardware correction constant, 0.0001010b
C_HW = 2**-4 + 2**-6


def mbm_float(a: int, b: int, big_f: int, t: int, *, integer: bool = True) -> float:
    """MBM-t from the paper's definition, in floating point (exact at these widths).

    ``integer=False`` gives the real-valued product, before the truncation to an integer.
    """
    if a == 0 or b == 0:
        return 0
    kept = big_f - t

    def truncate(x: float) -> float:
        if t == 0 or kept == 0:  # nothing truncated, or no bit left to set
            return math.floor(x * 2**kept) / 2**kept
        # drop t bits and set the next one: W - 1 bits kept, then 2^-W added
        return math.floor(x * 2 ** (kept - 1)) / 2 ** (kept - 1) + 2**-kept

    c = math.floor(C_HW * 2**kept) / 2**kept  # C as a W-bit fraction
    c_half = math.floor(C_HW * 2**kept / 2) / 2**kept  # that constant shifted right once
    k1, k2 = a.bit_length() - 1, b.bit_length() - 1
    x1 = truncate(a / 2**k1 - 1)
    x2 = truncate(b / 2**k2 - 1)
    if x1 + x2 < 1:
        value = 2.0 ** (k1 + k2) * (1 + x1 + x2 + c)
    elif (x1 + x2 - 1) + c_half < 1:
        value = 2.0 ** (k1 + k2 + 1) * (x1 + x2 + c_half)
    else:  # the corrected mantissa would reach 2: the correction is bypassed
        value = 2.0 ** (k1 + k2 + 1) * (x1 + x2)
    return math.floor(value) if integer else value


def continuous_mean_relative_error(correction: float, n: int = 2000) -> float:
    """E[(approx - exact) / exact] of MBM for fractions uniform on [0, 1)^2 (midpoint rule)."""
    x = (np.arange(n) + 0.5) / n
    x1, x2 = np.meshgrid(x, x)
    s = x1 + x2
    carried = np.where(s - 1 + correction / 2 < 1, 2 * (s + correction / 2), 2 * s)
    approx = np.where(s < 1, 1 + s + correction, carried)
    exact = (1 + x1) * (1 + x2)
    return float(((approx - exact) / exact).mean())


def error_figures(approx, exact) -> tuple[float, float, float]:
    """(bias, mean absolute, peak absolute) relative error in percent over the given pairs
    (every exact product non-zero)."""
    re = (np.asarray(approx, dtype=float) - exact) / exact
    return 100 * re.mean(), 100 * np.abs(re).mean(), 100 * np.abs(re).max()


class TestMBM:
    @pytest.mark.parametrize("t", range(8))
    def test_model_matches_paper_formula(self, t):
        u = MBM(width=8, t=t)
        a, b = operand_grid(u)
        expected = [mbm_float(x, y, 7, t) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("t", [0, 1, 3])
    @pytest.mark.parametrize("na,nb", [(8, 4), (4, 8), (3, 7)])
    def test_asymmetric_widths_match_formula(self, na, nb, t):
        u = MBM(a_width=na, b_width=nb, t=t)
        a, b = operand_grid(u)
        expected = [mbm_float(x, y, max(na, nb) - 1, t) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_random_16bit_matches_formula(self):
        rng = np.random.default_rng(11)
        a = rng.integers(0, 1 << 16, size=3000)
        b = rng.integers(0, 1 << 16, size=3000)
        for t in (0, 1, 8, 12, 15):
            expected = [mbm_float(x, y, 15, t) for x, y in zip(a.tolist(), b.tolist())]
            assert MBM(width=16, t=t).model(a, b).tolist() == expected

    def test_correction_is_the_7bit_constant(self):
        # the hardware adds 0.0001010b = 10/128 = 0.078125, not 1/12 = 0.000101010...b
        assert C_HW == 10 / 128
        for kept in range(0, 31):
            assert correction_term(kept) == math.floor(C_HW * 2**kept)
        # up to 7 bits the two constants agree; from 8 bits on 1/12 has more ones
        one_twelfth = "000101010101010101"
        for kept in range(1, 8):
            assert correction_term(kept) == int(one_twelfth[:kept], 2)
        assert correction_term(8) == 0b00010100 != int(one_twelfth[:8], 2)
        assert correction_term(15) == 2560 and (1 << 15) // 12 == 2730
        assert MBM(width=8).correction == 10
        assert MBM(width=16).correction == 2560
        assert MBM(width=16, t=8).correction == 10  # W = 7: the paper's 7-bit adder
        assert MBM(width=8, t=4).correction == 0  # W = 3 bits cannot hold 0.0001010b

    def test_truncation_sets_the_next_bit(self):
        # t >= 1 keeps W = F - t bits and sets the lowest kept one: 64 x 64 (fractions 0)
        # at t = 4 computes with fractions 0.001b, no correction (W = 3): 2^12 (1 + 1/4)
        assert int(MBM(width=8, t=4).model(64, 64)) == 5120
        # W = 1: every fraction is 0.1b, so even 1 x 1 becomes 2^1 (1 + 0)
        assert int(MBM(width=8, t=6).model(1, 1)) == 2
        # t = 0 truncates nothing and forces nothing: powers of two get C only
        assert int(MBM(width=8).model(64, 64)) == 4096 + 320
        # with no correction bit (W = 3) MBM-4 is Mitch-3 on raised fractions: never lower
        a, b = operand_grid(MBM(width=8))
        mbm4 = MBM(width=8, t=4).model(a, b)
        mitch3 = Mitchell(width=8, w=3).model(a, b)
        assert (mbm4 >= mitch3).all() and (mbm4 > mitch3).any()
        # t = F keeps no fraction bit, so none is set: MBM-7 is Mitch-0 (2^(k1+k2))
        assert (MBM(width=8, t=7).model(a, b) == Mitchell(width=8, w=0).model(a, b)).all()

    def test_set_bit_removes_truncation_bias(self):
        # plain truncation to 7 of 15 fraction bits lowers both fractions by 2^-8 on average
        # (about -0.6 % of bias); the set bit recentres them
        rng = np.random.default_rng(2)
        a = rng.integers(1, 1 << 16, size=200_000)
        b = rng.integers(1, 1 << 16, size=200_000)
        c = correction_term(7)
        plain = log_product(a, b, 16, 16, keep=7, correction=c, bypass_overflow=True)
        bias_plain = float(((plain - a * b) / (a * b)).mean())
        bias_set = float(((MBM(width=16, t=8).model(a, b) - a * b) / (a * b)).mean())
        assert bias_plain < -0.005 and abs(bias_set) < abs(bias_plain) / 5

    @pytest.mark.parametrize(
        "spec",
        [
            "mbm:width=5,t=4",
            "mbm:width=5,t=4,signed=true",
            "mbm:a_width=2,b_width=6,t=1,signed=true",
        ],
    )
    def test_rtl_with_fewest_fraction_bits(self, spec):
        # t = F keeps no fraction bit (and no correction): the datapath's degenerate corner
        assert_amaranth_exhaustive(make_unit(spec))

    def test_rtl_bypass_exhaustive(self):
        # 7 bits is the narrowest width whose carry case can overflow (C/2 = 2/64, fraction
        # sums up to 1 + 62/64): the bypass multiplexer is exercised, e.g. by 127 x 127
        u = MBM(width=7)
        a, b = operand_grid(u)
        without = log_product(a, b, 7, 7, correction=u.correction)
        assert (u.model(a, b) != without).any()
        assert int(u.model(127, 127)) == 2**13 * (1 + 62 / 64) == mbm_float(127, 127, 6, 0)
        assert_amaranth_exhaustive(u)

    def test_bias_much_smaller_than_mitchell(self):
        # uniform fractions: Mitchell's mean relative error is about -3.85 %, MBM's with the
        # 7-bit constant about -0.10 % (numerical integration of the paper's formula; the
        # analytic C = 1/12 would give +0.15 %)
        ref_mitchell = continuous_mean_relative_error(0.0)
        ref_mbm = continuous_mean_relative_error(C_HW)
        assert ref_mbm == pytest.approx(-0.00097, abs=1e-5)
        assert continuous_mean_relative_error(1 / 12) == pytest.approx(0.00153, abs=1e-5)
        assert abs(ref_mbm) < abs(ref_mitchell) / 30
        rng = np.random.default_rng(5)
        a = rng.integers(1, 1 << 16, size=400_000)
        b = rng.integers(1, 1 << 16, size=400_000)
        mbm = float(((MBM(width=16).model(a, b) - a * b) / (a * b)).mean())
        mitchell = float(((Mitchell(width=16).model(a, b) - a * b) / (a * b)).mean())
        assert mbm == pytest.approx(ref_mbm, abs=2e-4)
        assert abs(mbm) < abs(mitchell) / 20
        # exhaustively at 8x8 the bias is also far below Mitchell's
        mbm8 = abs(relative_errors(MBM(width=8)).mean())
        assert mbm8 < abs(relative_errors(Mitchell(width=8)).mean()) / 3

    def test_error_range(self):
        # the correction moves Mitchell's error range [-1/9, 0] to about [-0.076, C]
        re = relative_errors(MBM(width=8))
        assert re.max() <= 10 / 128 + 1e-12  # C at 7 fraction bits, for powers of two
        assert re.max() == pytest.approx(10 / 128, abs=1e-12)  # e.g. 64 x 64
        # where C·2^(k1+k2) survives the final truncation, Mitchell's -1/9 at fractions
        # 0.5 + 0.5 becomes (2 + C)/2.25 - 1 = -0.0764 (C = 10/128 here)
        u = MBM(width=8)
        a, b = operand_grid(u)
        big = (a >= 16) & (b >= 16)
        re_big = (u.model(a, b)[big] - (a * b)[big]) / (a * b)[big]
        assert re_big.min() == pytest.approx((2 + 10 / 128) / 2.25 - 1, abs=1e-12)
        # for tiny operands the correction is truncated away: 3 x 3 -> 8 as in Mitchell
        assert int(u.model(3, 3)) == 8 and re.min() == pytest.approx(-1 / 9)

    def test_overflow_bypass_keeps_product_width(self):
        u = MBM(width=8)
        assert u.p_width == 16 and MBM(width=8, signed=True).p_width == 16
        assert MBM(a_width=8, b_width=4, t=2).p_width == 12
        # 255 x 255: fraction sum 1 + 126/128; adding C/2 = 5/128 would give the mantissa
        # 2 + 3/128 and 66304 > 2^16 - 1, so the correction is skipped: 2^15 (1 + 126/128)
        assert int(u.model(255, 255)) == 65024 == mbm_float(255, 255, 7, 0)
        assert 2**15 * (1 + (126 + 5) / 128) == 66304
        assert int(log_product(255, 255, 8, 8, correction=10)) == 66304  # without the bypass
        # below a carry the mantissa 1 + s + C may pass 2; nothing overflows there, so no
        # bypass: 192 x 188 (fractions 64/128 + 60/128) -> 2^14 (1 + 124/128 + 10/128)
        assert int(u.model(192, 188)) == 2**14 * (1 + 134 / 128) == mbm_float(192, 188, 7, 0)
        a, b = operand_grid(u)
        assert u.model(a, b).max() <= (1 << 16) - 1

    @pytest.mark.parametrize(
        "spec",
        [
            "mbm:width=8",
            "mbm:width=8,t=1",
            "mbm:width=8,t=2",
            "mbm:width=8,t=7",
            "mbm:width=8,signed=true",
            "mbm:width=8,signed=true,t=2",
            "mbm:a_width=8,b_width=4",
            "mbm:a_width=4,b_width=8,signed=true,t=1",
            "mbm:width=7",
            "mbm:width=1",
            "mbm:width=1,signed=true",
            "mbm:width=2,t=1",
        ],
    )
    def test_result_fits_p_width(self, spec):
        u = make_unit(spec)
        assert u.p_width == u.a_width + u.b_width
        assert_fits_p_width(u)

    @pytest.mark.parametrize("t", [0, 1, 8])
    @pytest.mark.parametrize("signed", [False, True])
    def test_wide_results_fit_p_width(self, t, signed):
        # the largest magnitudes exhaustively (256 x 256 at the top of the range), where an
        # overflow would show, plus every most-negative pair when signed
        u = MBM(width=16, t=t, signed=signed)
        if signed:  # 2^15 - 256 .. 2^15 - 1 and -2^15 .. -(2^15 - 255)
            mags = np.arange((1 << 15) - 256, 1 << 15, dtype=np.int64)
            ops = np.concatenate([mags, -(mags + 1)])
        else:
            ops = np.arange((1 << 16) - 256, 1 << 16, dtype=np.int64)
        a, b = np.repeat(ops, ops.size), np.tile(ops, ops.size)
        p = u.model(a, b)
        lo, hi = (-(1 << 31), (1 << 31) - 1) if signed else (0, (1 << 32) - 1)
        assert u.p_width == 32 and p.min() >= lo and p.max() <= hi
        assert np.all(np.sign(p) == np.sign(a * b))

    def test_signed_is_sign_magnitude(self):
        s, u = MBM(width=8, signed=True), MBM(width=8)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == mbm_float(128, 128, 7, 0)

    @pytest.mark.parametrize(
        "t,paper,tol,peak_low",
        [
            (0, (-0.09, 2.58, 7.81), (0.02, 0.02), 7.7),
            (8, (-0.08, 2.60, 9.36), (0.02, 0.02), 9.0),
        ],
    )
    def test_published_16bit_figures(self, t, paper, tol, peak_low):
        # paper, Table I, 16-bit Monte Carlo: MBM bias -0.09 %, mean 2.58 %, peak 7.81 %;
        # MBM-8 -0.08 %, 2.60 %, 9.36 %. Over 20 seeds of 10^6 nonzero pairs the sampled bias
        # and mean spread by 0.003 percentage points (one standard deviation) around
        # -0.095 / 2.583 (t = 0) and -0.084 / 2.604 (t = 8), so 0.02 allows the paper's
        # two-decimal figures plus sampling. The truncation to an integer moves them by less
        # than 0.001.
        u = MBM(width=16, t=t)
        rng = np.random.default_rng(2018)
        a = rng.integers(1, 1 << 16, size=1_000_000)
        b = rng.integers(1, 1 << 16, size=1_000_000)
        bias, mean, peak = error_figures(u.model(a, b), (a * b).astype(float))
        assert bias == pytest.approx(paper[0], abs=tol[0])
        assert mean == pytest.approx(paper[1], abs=tol[1])
        # a sample's peak is a lower bound; the supremum is reached at powers of two, whose
        # fractions are 0 (t = 0: +C = 7.8125 %) or 2^-7 after the set bit (t = 8:
        # +C + 2·2^-7 = 9.375 %, the paper's sampled 9.36 % lies just below it)
        sup = 100 * float(u.model(1 << 15, 1 << 15) - (1 << 30)) / (1 << 30)
        assert sup == (7.8125 if t == 0 else 9.375)
        assert peak_low <= peak <= sup
        assert sup - paper[2] < 0.02

    def test_exhaustive_8bit_figures(self):
        # paper, Table I, 8-bit exhaustive: bias 0.05 %, mean 2.69 %, peak 7.81 %. The
        # relative error is defined on the 65 025 pairs of non-zero operands (a zero product
        # has none); there the paper's formula, before any truncation to an integer, gives
        # 0.0556 / 2.7167 / 7.8125 %. The peak is the paper's; bias and mean lie within 0.01
        # and 0.03 percentage points of it but do not round to its printed digits, and no
        # normalisation is fitted to make them: the family documents the row as approximate.
        ops = np.arange(1, 256, dtype=np.int64)
        a, b = np.repeat(ops, ops.size), np.tile(ops, ops.size)
        exact = (a * b).astype(float)
        pairs = zip(a.tolist(), b.tolist())
        real = np.array([mbm_float(x, y, 7, 0, integer=False) for x, y in pairs])
        bias, mean, peak = error_figures(real, exact)
        assert (bias, mean, peak) == pytest.approx((0.0556, 2.7167, 7.8125), abs=5e-5)
        assert round(peak, 2) == 7.81
        assert abs(bias - 0.05) < 0.01 and abs(mean - 2.69) < 0.03
        assert (round(bias, 2), round(mean, 2)) == (0.06, 2.72)  # not the printed digits
        # our result is an integer: the formula truncated gives bias 0.0473 %, mean 2.7107 %,
        # and a peak of 11.11 % at 3 x 3, where C/2·2^(k1+k2+1) = 0.31 is truncated away and
        # Mitchell's 8 = 9 - 1/9 remains; small operands dominate those differences
        integer = np.array([mbm_float(x, y, 7, 0) for x, y in zip(a.tolist(), b.tolist())])
        fig_int = error_figures(integer, exact)
        assert fig_int == pytest.approx((0.0473, 2.7107, 100 / 9), abs=5e-5)
        assert error_figures(MBM(width=8).model(a, b), exact) == pytest.approx(fig_int, rel=1e-12)

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            MBM(width=8, t=8)
        assert str(e.value) == (
            "Parameter 't' must be an integer in 0..max(a_width, b_width) - 1 (here 0..7), not 8"
        )
        with pytest.raises(ValueError) as e:
            MBM(a_width=3, b_width=6, t=6)
        assert str(e.value) == (
            "Parameter 't' must be an integer in 0..max(a_width, b_width) - 1 (here 0..5), not 6"
        )
        with pytest.raises(TypeError) as e:
            MBM(width=8, t=1.5)
        assert str(e.value) == "Parameter 't' must be an integer, not 1.5"
        with pytest.raises(SpecError) as e:
            make_unit("mbm:width=4,t=-1")
        assert str(e.value) == (
            "mbm: Parameter 't' must be an integer in 0..max(a_width, b_width) - 1 "
            "(here 0..3), not -1"
        )

    def test_metadata(self):
        u = make_unit("mbm")
        assert u.spec == "mbm:width=8,signed=false,t=0"
        assert "Saadat" in u.citation and "2018" in u.citation
        assert u.info["p_width"] == 16
        assert "0.0001010b" in u.description and "10/128" in u.notes


TestRTLEquivalence = rtl_test_class("mbm", ["", "t=1", "t=2", "t=4"], verilator_signed=False)
