"""Tests of the dynamic segment method multiplier (as in Narayanamoorthy et al., IEEE TVLSI
2015).

References: the segment rule written out on bit strings, the closed-form worst case
1 - (1 - e)^2 with e = (2^(n-m) - 1) / (2^(n-1) + 2^(n-m) - 1) (both operands 10…011…1), the
one-sided (never overestimating) error, exactness below 2^m, RTL vs model.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, relative_errors, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.dsm import DSM, dsm_operand
from axhdl.metrics import operand_grid


def dsm_string(x: int, m: int) -> int:
    """Keep the m bits from the leading one, zero the rest."""
    s = bin(x)[2:]
    return x if len(s) <= m else int(s[:m] + "0" * (len(s) - m), 2)


class TestDSM:
    @pytest.mark.parametrize("m", [1, 3, 4, 6])
    def test_operand_rule_matches_bit_strings(self, m):
        assert dsm_operand(np.arange(1024), 10, m).tolist() == [dsm_string(v, m)
                                                               for v in range(1024)]

    @pytest.mark.parametrize("m", [3, 4, 6])
    def test_model_is_product_of_truncated_operands(self, m):
        u = DSM(width=8, m=m)
        a, b = operand_grid(u)
        expected = [dsm_string(x, m) * dsm_string(y, m) for x, y in zip(a.tolist(),
                                                                        b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("m", [2, 3, 4, 6])
    def test_never_overestimates_and_worst_case(self, m):
        u = DSM(width=8, m=m)
        re = relative_errors(u)
        assert re.max() == 0.0
        # one operand loses most with a segment 10..0 followed by ones: x = 2^7 + 2^s - 1,
        # s = 8 - m dropped bits, truncated to 2^7
        x = 128 + (1 << (8 - m)) - 1
        e = ((1 << (8 - m)) - 1) / x
        assert re.min() == pytest.approx(-(1 - (1 - e) ** 2), abs=1e-12)
        assert int(u.model(x, x)) == 128 * 128

    @pytest.mark.parametrize("m", [3, 4])
    def test_operands_below_2m_are_exact(self, m):
        u = DSM(width=8, m=m)
        a, b = operand_grid(u)
        small = (a < (1 << m)) & (b < (1 << m))
        assert (u.model(a, b)[small] == (a * b)[small]).all()

    def test_m1_keeps_the_leading_one(self):
        u = DSM(width=8, m=1)
        a, b = operand_grid(u)
        pa = np.where(a > 0, 2 ** np.floor(np.log2(np.maximum(a, 1))), 0).astype(np.int64)
        pb = np.where(b > 0, 2 ** np.floor(np.log2(np.maximum(b, 1))), 0).astype(np.int64)
        assert (u.model(a, b) == pa * pb).all()

    def test_signed_is_sign_magnitude(self):
        s, u = DSM(width=8, m=3, signed=True), DSM(width=8, m=3)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == 16384
        assert int(s.model(-127, 127)) == -(112 * 112)

    @pytest.mark.parametrize("spec", ["dsm:width=8", "dsm:width=8,signed=true,m=2",
                                      "dsm:a_width=4,b_width=8", "dsm:width=1,m=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            DSM(width=8, m=0)
        assert str(e.value) == "Parameter 'm' must be an integer in 1..32, not 0"
        with pytest.raises(TypeError) as e:
            DSM(width=8, m="4")
        assert str(e.value) == "Parameter 'm' must be an integer, not '4'"
        with pytest.raises(SpecError) as e:
            make_unit("dsm:width=8,k=4")
        assert str(e.value) == ("dsm: Family 'dsm' has no parameter 'k'; its parameters are: "
                                "a_width, b_width, signed, m")

    def test_metadata(self):
        u = make_unit("dsm:width=8,m=5")
        assert u.spec == "dsm:width=8,signed=false,m=5"
        assert "Narayanamoorthy" in u.citation


TestRTLEquivalence = rtl_test_class("dsm", ["m=4", "m=3", "m=6"], verilator_signed=False)
