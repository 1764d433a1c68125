"""Tests of the near-zero approximation (Huan et al., IEEE SOCC 2016).

References: leading zeros counted on bit strings (a second computation of the rule), the
closed-form error rate and mean error for uniform unsigned operands, the sign-magnitude
reading for signed operands, RTL vs model.
"""

from __future__ import annotations

import pytest
from _family_checks import assert_amaranth_exhaustive, assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.nza import NearZero, near_zero
from axhdl.metrics import exhaustive_metrics, operand_grid


def leading_zeros(x: int, bits: int) -> int:
    s = format(x, f"0{bits}b")
    return len(s) - len(s.lstrip("0"))


class TestNearZero:
    @pytest.mark.parametrize("threshold", [1, 3, 5, 8])
    def test_unsigned_rule_counts_leading_zeros(self, threshold):
        u = NearZero(width=8, threshold=threshold)
        a, b = operand_grid(u)
        expected = [0 if leading_zeros(x, 8) >= threshold or leading_zeros(y, 8) >= threshold
                    else x * y for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("threshold", [1, 3, 6, 7, 8])
    def test_signed_rule_counts_magnitude_leading_zeros(self, threshold):
        u = NearZero(width=8, threshold=threshold, signed=True)
        a, b = operand_grid(u)
        # the 7 magnitude bits of sign-magnitude; |-128| has no leading zero
        def near(x):
            return abs(x) < 128 and leading_zeros(abs(x), 7) >= threshold
        expected = [0 if near(x) or near(y) else x * y for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("n", [3, 5, 8])
    def test_signed_reading_is_sign_magnitude_not_twos_complement(self, n):
        # the documented reading: symmetric in x and -x; the two's-complement reading
        # (copies of the sign bit below it, on the bit string) accepts exactly one more value,
        # -2^(n-1-T), which is not near zero here
        def twos_complement_near(x: int, t: int) -> bool:
            s = format(x & ((1 << n) - 1), f"0{n}b")
            return len(s) - len(s.lstrip(s[0])) - 1 >= t

        xs = list(range(-(1 << (n - 1)), 1 << (n - 1)))
        for t in range(1, n):
            ours = near_zero(xs, n, True, t).tolist()
            flagged = {x for x, f in zip(xs, ours) if f}
            assert all(f == (-x in flagged) for x, f in zip(xs, ours) if x != xs[0])
            theirs = {x for x in xs if twos_complement_near(x, t)}
            assert theirs - flagged == {-(1 << (n - 1 - t))} and flagged <= theirs
        assert near_zero([-16, -15, 15, 16], 8, True, 3).tolist() == [False, True, True, False]

    def test_signed_reading_in_hardware(self):
        # -4 at n = 5, threshold = 2 would be near zero in the two's-complement reading
        u = make_unit("nza:width=5,signed=true,threshold=2")
        assert int(u.model(-4, 7)) == -28 and int(u.model(-3, 7)) == 0
        assert_amaranth_exhaustive(u)

    @pytest.mark.parametrize("threshold", [1, 2, 4, 6])
    def test_error_rate_and_mean_closed_form(self, threshold):
        # uniform unsigned n-bit operands, N = 2^n, z = 2^(n-T) - 1 non-zero near-zero values:
        # ER = ((N-1)^2 - (N-1-z)^2) / N^2; the error is -a·b on those pairs, so
        # E[ED] = -(S^2 - (S - S_z)^2) / N^2 with S = Σ a, S_z = Σ_{a < 2^(n-T)} a
        n = 8
        big_n, z = 1 << n, (1 << (n - threshold)) - 1
        s, s_z = big_n * (big_n - 1) // 2, z * (z + 1) // 2
        m = exhaustive_metrics(NearZero(width=n, threshold=threshold))
        assert m["er"] == pytest.approx(((big_n - 1) ** 2 - (big_n - 1 - z) ** 2) / big_n**2)
        assert m["mean_ed"] == pytest.approx(-(s**2 - (s - s_z) ** 2) / big_n**2)

    def test_threshold_beyond_operand_is_exact(self):
        for spec in ["nza:width=8,threshold=8", "nza:width=8,threshold=7,signed=true",
                     "nza:a_width=4,b_width=8,threshold=8,signed=true"]:
            u = make_unit(spec)
            a, b = operand_grid(u)
            assert (u.model(a, b) == a * b).all()

    def test_near_zero_flags(self):
        assert near_zero([0, 1, 15, 16, 255], 8, False, 4).tolist() == [True, True, True,
                                                                        False, False]
        assert near_zero([-128, -8, -7, 7, 8, 0], 8, True, 4).tolist() == [
            False, False, True, True, False, True]

    @pytest.mark.parametrize("spec", ["nza:width=8", "nza:width=8,signed=true,threshold=1",
                                      "nza:a_width=8,b_width=4,threshold=2"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            NearZero(width=8, threshold=0)
        assert str(e.value) == ("Parameter 'threshold' must be an integer in "
                                "1..max(a_width, b_width) (here 1..8), not 0")
        with pytest.raises(ValueError) as e:
            NearZero(a_width=4, b_width=6, threshold=7)
        assert str(e.value) == ("Parameter 'threshold' must be an integer in "
                                "1..max(a_width, b_width) (here 1..6), not 7")
        with pytest.raises(SpecError) as e:
            make_unit("nza:threshold=x")
        assert str(e.value) == "nza: Parameter 'threshold' must be an integer, not 'x'"

    def test_metadata(self):
        u = make_unit("nza")
        assert u.spec == "nza:width=8,signed=false,threshold=4"
        assert "Huan" in u.citation


TestRTLEquivalence = rtl_test_class("nza", ["threshold=4", "threshold=2", "threshold=6"],
                                    area_claim=False,
                                    verilator_signed=False)
