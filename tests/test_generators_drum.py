"""Tests of DRUM (Hashemi, Bahar, Reda, ICCAD 2015).

References: the segment rule written out on bit strings (a second computation of the
model), the worst-case relative error (1 + 2^-(k-1))^2 - 1 reached at powers of two, the
paper's mean relative error of about 1.47 % for k = 6 at 16 bits and its near-zero bias,
exactness below 2^k, RTL vs model on the Amaranth simulator and cocotb.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, relative_errors, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.drum import DRUM, drum_operand
from axhdl.metrics import exhaustive_metrics, operand_grid


def drum_string(x: int, k: int) -> int:
    """DRUM's operand rule on the binary string: keep k bits from the leading one, set the
    last kept bit, zero the rest (operands below 2^k unchanged)."""
    s = bin(x)[2:]
    if len(s) <= k:
        return x
    return int(s[: k - 1] + "1" + "0" * (len(s) - k), 2)


class TestDRUM:
    @pytest.mark.parametrize("k", [2, 3, 4, 6])
    def test_operand_rule_matches_bit_strings(self, k):
        x = np.arange(1 << 10)
        assert drum_operand(x, 10, k).tolist() == [drum_string(v, k) for v in range(1 << 10)]

    @pytest.mark.parametrize("k", [3, 4, 6])
    def test_model_is_product_of_approximated_operands(self, k):
        u = DRUM(width=8, k=k)
        a, b = operand_grid(u)
        expected = [drum_string(x, k) * drum_string(y, k) for x, y in zip(a.tolist(),
                                                                          b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("k", [3, 4, 5, 6])
    def test_worst_case_relative_error(self, k):
        re = relative_errors(DRUM(width=8, k=k))
        bound = (1 + 2.0 ** (1 - k)) ** 2 - 1
        assert np.abs(re).max() == pytest.approx(bound, abs=1e-12)
        # reached when both operands are the power of two 2^k: 2^k -> 2^k + 2
        assert int(DRUM(width=8, k=k).model(1 << k, 1 << k)) == ((1 << k) + 2) ** 2

    @pytest.mark.parametrize("k", [3, 4, 6])
    def test_operands_below_2k_are_exact(self, k):
        u = DRUM(width=8, k=k)
        a, b = operand_grid(u)
        small = (a < (1 << k)) & (b < (1 << k))
        assert (u.model(a, b)[small] == (a * b)[small]).all()
        assert (u.model(a, b)[~small] != (a * b)[~small]).any()

    def test_published_accuracy_at_16_bits(self):
        # DRUM6 (k = 6) at 16 bits: mean relative error about 1.47 % and an almost zero
        # bias, the property the design is named for (Hashemi et al., ICCAD 2015)
        rng = np.random.default_rng(11)
        a = rng.integers(1, 1 << 16, size=400_000)
        b = rng.integers(1, 1 << 16, size=400_000)
        re = (DRUM(width=16, k=6).model(a, b) - a * b) / (a * b)
        assert np.abs(re).mean() == pytest.approx(0.0147, abs=3e-4)
        assert abs(re.mean()) < 1e-3
        assert np.abs(re).max() <= (1 + 2.0**-5) ** 2 - 1

    def test_unbiased_unlike_truncation(self):
        # forcing the LSB to 1 centres the per-operand error: the bias is a small fraction of
        # the truncating segment design's (DSM, same segment width)
        drum, dsm = DRUM(width=8, k=4), make_unit("dsm:width=8,m=4")
        assert abs(exhaustive_metrics(drum)["mean_ed"]) < abs(
            exhaustive_metrics(dsm)["mean_ed"]) / 8
        assert abs(relative_errors(drum).mean()) < abs(relative_errors(dsm).mean()) / 4

    def test_signed_is_sign_magnitude(self):
        s, u = DRUM(width=8, k=4, signed=True), DRUM(width=8, k=4)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        # |-128| = 128 -> 10000000 -> 1001 0000 = 144
        assert int(s.model(-128, -128)) == 144 * 144
        assert int(s.model(-128, 1)) == -144

    def test_k2_signed_grows_the_result(self):
        # k = 2: |-2^(n-1)| rounds up to 1.5·2^(n-1); two of them need n + n + 1 bits
        u = DRUM(width=8, k=2, signed=True)
        assert u.p_width == 17
        assert int(u.model(-128, -128)) == 192 * 192 > (1 << 15) - 1
        assert DRUM(width=8, k=3, signed=True).p_width == 16
        assert DRUM(width=8, k=2).p_width == 16

    @pytest.mark.parametrize("spec", ["drum:width=8", "drum:width=8,signed=true,k=2",
                                      "drum:width=8,signed=true,k=3",
                                      "drum:a_width=8,b_width=4,k=3", "drum:width=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            DRUM(width=8, k=1)
        assert str(e.value) == "Parameter 'k' must be an integer in 2..32, not 1"
        with pytest.raises(ValueError) as e:
            DRUM(width=8, k=33)
        assert str(e.value) == "Parameter 'k' must be an integer in 2..32, not 33"
        with pytest.raises(TypeError) as e:
            DRUM(width=8, k=True)
        assert str(e.value) == "Parameter 'k' must be an integer, not True"
        with pytest.raises(SpecError) as e:
            make_unit("drum:width=8,k=four")
        assert str(e.value) == "drum: Parameter 'k' must be an integer, not 'four'"

    def test_metadata(self):
        u = make_unit("drum:width=8,k=6,signed=true")
        assert u.spec == "drum:width=8,signed=true,k=6"
        assert "Hashemi" in u.citation and "ICCAD" in u.citation


TestRTLEquivalence = rtl_test_class("drum", ["k=4", "k=3", "k=6"], verilator_signed=True)
