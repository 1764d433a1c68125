"""Tests of Mitchell's logarithmic multiplier (IRE Trans. Electronic Computers, 1962) and
its truncated form Mitch-w (Kim et al., IEEE TC 2019).

References: the paper's formula evaluated in floating point (a second computation of the
model), Mitchell's worst-case relative error -1/9 at fractions 0.5 + 0.5, his average error
(about -3.85 % for uniform fractions, computed here by numerical integration), exactness
for powers of two, Kim et al.'s Mitch-w6 bias (about -5.9 %, reached by w=5 here: their w
counts the leading one), RTL vs model on the Amaranth simulator and cocotb (Icarus, Verilator).
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
from axhdl.generators.multipliers.mitchell import Mitchell, fraction_bits, log_product
from axhdl.metrics import operand_grid


def mitchell_float(a: int, b: int, w: int | None = None) -> int:
    """Mitchell's approximation straight from the paper, in floating point (exact here)."""
    if a == 0 or b == 0:
        return 0
    k1, k2 = a.bit_length() - 1, b.bit_length() - 1
    x1, x2 = a / 2**k1 - 1, b / 2**k2 - 1
    if w is not None:
        x1, x2 = math.floor(x1 * 2**w) / 2**w, math.floor(x2 * 2**w) / 2**w
    if x1 + x2 < 1:
        value = 2.0 ** (k1 + k2) * (1 + x1 + x2)
    else:
        value = 2.0 ** (k1 + k2 + 1) * (x1 + x2)
    assert value == int(value)  # no rounding ever happens
    return int(value)


def continuous_mean_relative_error(n: int = 2000) -> float:
    """E[(approx - exact) / exact] for fractions uniform on [0, 1)^2 (midpoint rule)."""
    x = (np.arange(n) + 0.5) / n
    x1, x2 = np.meshgrid(x, x)
    s = x1 + x2
    approx = np.where(s < 1, 1 + s, 2 * s)
    exact = (1 + x1) * (1 + x2)
    return float(((approx - exact) / exact).mean())


class TestMitchell:
    @pytest.mark.parametrize("w", [None, 0, 1, 3, 5, 7])
    def test_model_matches_paper_formula(self, w):
        u = Mitchell(width=8, w=w)
        a, b = operand_grid(u)
        expected = [mitchell_float(x, y, w) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_asymmetric_widths_match_formula(self):
        for na, nb in [(8, 4), (4, 8), (3, 7)]:
            u = Mitchell(a_width=na, b_width=nb)
            a, b = operand_grid(u)
            expected = [mitchell_float(x, y) for x, y in zip(a.tolist(), b.tolist())]
            assert u.model(a, b).tolist() == expected

    def test_worst_case_is_minus_one_ninth(self):
        re = relative_errors(Mitchell(width=8))
        assert re.min() == pytest.approx(-1 / 9, abs=1e-15)
        assert re.max() == 0.0  # Mitchell never overestimates
        # the worst case is reached exactly at fractions 0.5 + 0.5, e.g. 3 x 3 -> 8, 96 x 48
        assert int(Mitchell(width=8).model(3, 3)) == 8
        assert int(Mitchell(width=8).model(96, 48)) == 4096

    def test_exact_for_powers_of_two(self):
        u = Mitchell(width=8)
        a, b = operand_grid(u)
        pow2 = (a & (a - 1)) == 0
        assert (u.model(a, b)[pow2] == (a * b)[pow2]).all()

    def test_average_error_matches_mitchell(self):
        # Mitchell's average error for uniform mantissas, about -3.85 %; the 16-bit integer
        # multiplier approaches the continuous value closely
        ref = continuous_mean_relative_error()
        assert ref == pytest.approx(-0.0385, abs=5e-4)
        u = Mitchell(width=16)
        rng = np.random.default_rng(3)
        a = rng.integers(1, 1 << 16, size=400_000)
        b = rng.integers(1, 1 << 16, size=400_000)
        mean_re = float(((u.model(a, b) - a * b) / (a * b)).mean())
        assert mean_re == pytest.approx(ref, abs=1e-3)
        # the exhaustive 8x8 mean is a little smaller in magnitude (small operands are
        # more often exact), about 3.2 %
        m8 = float(relative_errors(Mitchell(width=8)).mean())
        assert -0.0385 < m8 < -0.03

    def test_kim_mitch_w6_is_w5(self):
        # Kim et al.'s Mitch-w counts the leading one: Mitch-w6 keeps 5 fraction bits, and its
        # reported bias, about -5.9 %, is that of w=5 here (w=6 gives -4.9 %). Two
        # computations: the paper's formula with 5-bit fractions integrated numerically over
        # uniform fractions, and the model over random 16-bit operands
        def continuous_bias(bits: int, n: int = 2048) -> float:
            x = (np.arange(n) + 0.5) / n
            x1, x2 = np.meshgrid(x, x)
            t1, t2 = np.floor(x1 * 2**bits) / 2**bits, np.floor(x2 * 2**bits) / 2**bits
            s = t1 + t2
            approx = np.where(s < 1, 1 + s, 2 * s)
            return 100 * float(((approx - (1 + x1) * (1 + x2)) / ((1 + x1) * (1 + x2))).mean())

        assert round(continuous_bias(5), 1) == -5.9 and round(continuous_bias(6), 1) == -4.9
        rng = np.random.default_rng(6)
        a = rng.integers(1, 1 << 16, size=1_000_000)
        b = rng.integers(1, 1 << 16, size=1_000_000)
        bias = {w: 100 * float(((Mitchell(width=16, w=w).model(a, b) - a * b) / (a * b)).mean())
                for w in (5, 6)}
        assert round(bias[5], 1) == -5.9 and round(bias[6], 1) == -4.9
        assert bias[5] == pytest.approx(continuous_bias(5), abs=0.05)

    def test_truncation_never_increases_the_product(self):
        a, b = operand_grid(Mitchell(width=8))
        prev = Mitchell(width=8, w=0).model(a, b)
        for w in range(1, 8):
            cur = Mitchell(width=8, w=w).model(a, b)
            assert (cur >= prev).all()
            prev = cur
        assert (prev == Mitchell(width=8).model(a, b)).all()

    def test_w0_is_power_of_two_product(self):
        u = Mitchell(width=8, w=0)
        a, b = operand_grid(u)
        ka = np.floor(np.log2(np.maximum(a, 1))).astype(np.int64)
        kb = np.floor(np.log2(np.maximum(b, 1))).astype(np.int64)
        expected = np.where((a == 0) | (b == 0), 0, 2 ** (ka + kb))
        assert (u.model(a, b) == expected).all()

    @pytest.mark.parametrize("w", [None, 2])
    def test_signed_is_sign_magnitude(self, w):
        s = Mitchell(width=8, signed=True, w=w)
        unsigned = Mitchell(width=8, w=w)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * unsigned.model(np.abs(a), np.abs(b))).all()
        # most negative x most negative: 2^7 * 2^7, exact (powers of two)
        assert int(s.model(-128, -128)) == 16384
        assert int(s.model(-128, 127)) == -int(unsigned.model(128, 127))

    @pytest.mark.parametrize("spec", ["mitchell:width=8", "mitchell:width=8,signed=true,w=3",
                                      "mitchell:a_width=8,b_width=4", "mitchell:width=1"])
    def test_result_fits_p_width(self, spec):
        assert make_unit(spec).p_width == make_unit(spec).a_width + make_unit(spec).b_width
        assert_fits_p_width(make_unit(spec))

    @pytest.mark.parametrize("spec", ["mitchell:width=5,w=0", "mitchell:width=5,w=0,signed=true",
                                      "mitchell:a_width=2,b_width=6,w=1,signed=true"])
    def test_rtl_with_fewest_fraction_bits(self, spec):
        # w = 0 keeps no fraction bit at all: the datapath's degenerate corner
        assert_amaranth_exhaustive(make_unit(spec))

    def test_fraction_bits(self):
        assert fraction_bits(8, 8) == 7 and fraction_bits(4, 8) == 7 and fraction_bits(1, 1) == 0
        assert log_product(np.array([0, 5]), np.array([7, 0]), 4, 4).tolist() == [0, 0]

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Mitchell(width=8, w=8)
        assert str(e.value) == ("Parameter 'w' must be an integer in 0..max(a_width, b_width) "
                                "- 1 (here 0..7), not 8")
        with pytest.raises(ValueError) as e:
            Mitchell(width=8, w=-1)
        assert str(e.value) == ("Parameter 'w' must be an integer in 0..max(a_width, b_width) "
                                "- 1 (here 0..7), not -1")
        with pytest.raises(TypeError) as e:
            Mitchell(width=8, w="3")
        assert str(e.value) == "Parameter 'w' must be an integer, not '3'"
        with pytest.raises(SpecError) as e:
            make_unit("mitchell:width=8,w=x")
        assert str(e.value) == "mitchell: Parameter 'w' must be an integer, not 'x'"

    def test_metadata(self):
        u = make_unit("mitchell:width=8,w=4")
        assert u.spec == "mitchell:width=8,signed=false,w=4"
        assert make_unit("mitchell:width=8").spec == "mitchell:width=8,signed=false"
        assert u.weight_operand is None
        assert "Mitchell" in u.citation and "1962" in u.citation and "2019" in u.citation


TestRTLEquivalence = rtl_test_class("mitchell", ["", "w=2", "w=4"], verilator_signed=True)
