"""Tests of the static segment method multiplier (Narayanamoorthy et al., IEEE TVLSI 2015).

References: the segment choice written out on bit strings, the absolute per-operand error
bound 2^(n-m) - 1, exactness below 2^m, the 2m >= n rule, RTL vs model.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.ssm import SSM, ssm_operand
from axhdl.metrics import operand_grid


def ssm_string(x: int, n: int, m: int) -> int:
    """Upper m bits of the n-bit string if any of its top n - m bits is set, else x."""
    s = format(x, f"0{n}b")
    if "1" not in s[: n - m]:
        return x
    return int(s[:m] + "0" * (n - m), 2)


class TestSSM:
    @pytest.mark.parametrize("n,m", [(8, 4), (8, 5), (8, 7), (10, 6), (6, 6)])
    def test_operand_rule_matches_bit_strings(self, n, m):
        x = np.arange(1 << n)
        assert ssm_operand(x, n, m).tolist() == [ssm_string(v, n, m) for v in range(1 << n)]

    @pytest.mark.parametrize("m", [4, 5, 6])
    def test_model_is_product_of_segments(self, m):
        u = SSM(width=8, m=m)
        a, b = operand_grid(u)
        expected = [ssm_string(x, 8, m) * ssm_string(y, 8, m) for x, y in zip(a.tolist(),
                                                                              b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("m", [4, 6])
    def test_error_bounds(self, m):
        u = SSM(width=8, m=m)
        a, b = operand_grid(u)
        p = u.model(a, b)
        assert (p <= a * b).all()
        small = (a < (1 << m)) & (b < (1 << m))
        assert (p[small] == (a * b)[small]).all()
        # each operand loses less than 2^(n-m): a·b - a'·b' < (2^(n-m))(a + b)
        assert ((a * b - p) < (1 << (8 - m)) * (a + b) + 1).all()
        # the largest loss: 255 -> 255 - (2^(8-m) - 1)
        assert int(u.model(255, 255)) == (256 - (1 << (8 - m))) ** 2

    def test_asymmetric_widths(self):
        u = SSM(a_width=8, b_width=4, m=4)
        a, b = operand_grid(u)
        assert (u.model(a, b) == np.array([ssm_string(x, 8, 4) for x in a.tolist()]) * b).all()

    def test_signed_is_sign_magnitude(self):
        s, u = SSM(width=8, m=5, signed=True), SSM(width=8, m=5)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == 16384  # 128 = 10000 000: upper segment exact

    @pytest.mark.parametrize("spec", ["ssm:width=8", "ssm:width=8,signed=true,m=4",
                                      "ssm:a_width=4,b_width=8", "ssm:width=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            SSM(width=8, m=3)
        assert str(e.value) == ("Parameter 'm' (3) must be at least half of 'a_width' (8): "
                                "the upper and lower 3-bit segments must cover the operand")
        with pytest.raises(ValueError) as e:
            SSM(a_width=4, b_width=10, m=4)
        assert str(e.value) == ("Parameter 'm' (4) must be at least half of 'b_width' (10): "
                                "the upper and lower 4-bit segments must cover the operand")
        with pytest.raises(ValueError) as e:
            SSM(width=8, m=0)
        assert str(e.value) == "Parameter 'm' must be an integer in 1..32, not 0"
        with pytest.raises(SpecError) as e:
            make_unit("ssm:width=16")
        assert str(e.value) == ("ssm: Parameter 'm' (4) must be at least half of 'a_width' "
                                "(16): the upper and lower 4-bit segments must cover the "
                                "operand")

    def test_metadata(self):
        u = make_unit("ssm:width=16,m=8")
        assert u.spec == "ssm:width=16,signed=false,m=8"
        assert "Narayanamoorthy" in u.citation


TestRTLEquivalence = rtl_test_class("ssm", ["m=4", "m=5", "m=6"], verilator_signed=True,
                                    wide_point="m=8")
