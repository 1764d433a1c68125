"""Tests of truncated canonical-signed-digit multiplication (Riaz et al., CAxCNN, IEEE
Access 2020).

References: the CSD invariants (digits in {-1, 0, 1}, no two adjacent non-zero digits,
value preserved, minimal weight against a brute-force minimum over signed-digit forms),
exactness when d covers every non-zero digit, the kept digits against a naive scan, RTL vs
model.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.csd import CSD, csd_digits, truncate_digits
from axhdl.metrics import operand_grid


@functools.cache
def min_weight(x: int) -> int:
    """The fewest non-zero digits of any binary signed-digit form of x (digits -1, 0, 1)."""
    if x <= 1:
        return x
    if x % 2 == 0:
        return min_weight(x // 2)
    return 1 + min(min_weight((x - 1) // 2), min_weight((x + 1) // 2))


def naive_truncated(digits: list[int], d: int) -> int:
    kept, value = 0, 0
    for i in reversed(range(len(digits))):
        if digits[i] and kept < d:
            value += digits[i] << i
            kept += 1
    return value


class TestCSD:
    def test_recoding_invariants(self):
        x = np.arange(1 << 12)
        digits = csd_digits(x, 12)
        assert digits.shape == (4096, 13)
        assert set(np.unique(digits).tolist()) <= {-1, 0, 1}
        # value preserved
        assert ((digits * (1 << np.arange(13))).sum(axis=1) == x).all()
        # non-adjacent: no two neighbouring non-zero digits
        nz = digits != 0
        assert not (nz[:, 1:] & nz[:, :-1]).any()
        # canonical: the fewest non-zero digits of any signed-digit form
        assert nz.sum(axis=1).tolist() == [min_weight(v) for v in range(4096)]

    def test_known_recodings(self):
        # 7 = 8 - 1, 13 = 16 - 4 + 1, 255 = 256 - 1
        assert csd_digits(7, 4).tolist() == [-1, 0, 0, 1, 0]
        assert csd_digits(13, 4).tolist() == [1, 0, -1, 0, 1]
        assert csd_digits(255, 8).tolist() == [-1, 0, 0, 0, 0, 0, 0, 0, 1]

    @pytest.mark.parametrize("d", [1, 2, 3])
    def test_truncation_keeps_leading_digits(self, d):
        x = np.arange(1 << 10)
        digits = csd_digits(x, 10)
        assert truncate_digits(digits, d).tolist() == [naive_truncated(list(r), d)
                                                       for r in digits.tolist()]

    @pytest.mark.parametrize("signed", [False, True])
    def test_exact_when_d_covers_every_digit(self, signed):
        # at most ceil((n + 1) / 2) = 5 non-zero digits for 8-bit magnitudes
        u = CSD(width=8, d=5, signed=signed)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()
        inexact = CSD(width=8, d=4)
        a, b = operand_grid(inexact)
        assert (inexact.model(a, b) != a * b).any()  # 0b10101011 needs 5 digits

    @pytest.mark.parametrize("d", [1, 2, 3])
    def test_model_is_a_times_truncated_csd(self, d):
        u = CSD(width=8, d=d)
        a, b = operand_grid(u)
        approx_b = np.array([naive_truncated(list(csd_digits(v, 8)), d) for v in range(256)])
        assert (u.model(a, b) == a * approx_b[b]).all()
        # d = 1 keeps the leading digit: 7 -> 8, 5 -> 4, 255 -> 256
        assert CSD(width=8, d=1).approximate_b(np.array([7, 5, 255])).tolist() == [8, 4, 256]

    @pytest.mark.parametrize("nb", range(1, 9))
    def test_truncated_b_bounded_by_next_power_of_two(self, nb):
        # the documented bound: 0 <= b' <= 2^L for an L-bit b, hence b' <= 2^b_width; the
        # bound is reached (b = 2^nb - 1 -> 2^nb with d = 1) from nb = 2 on, every b checked
        b = np.arange(1 << nb)
        cap = np.array([1 << int(v).bit_length() for v in b.tolist()])
        for d in range(1, 6):
            approx = CSD(a_width=4, b_width=nb, d=d).approximate_b(b)
            assert (approx >= 0).all() and (approx <= cap).all()
            assert approx.max() <= 1 << nb
        top = int(CSD(a_width=4, b_width=nb, d=1).approximate_b((1 << nb) - 1))
        assert top == (1 << nb if nb >= 2 else 1)

    def test_signed_equals_recoding_twos_complement(self):
        # CSD(-x) = -CSD(x): sign-magnitude equals recoding the signed b directly
        u = CSD(width=8, d=2, signed=True)
        a, b = operand_grid(u)
        neg = csd_digits(np.abs(b), 8) * np.sign(b)[:, None]
        direct = truncate_digits(neg, 2)
        assert (u.model(a, b) == a * direct).all()
        assert int(u.model(-128, -128)) == 16384

    @pytest.mark.parametrize("spec", ["csd:width=8,d=1", "csd:width=8,signed=true,d=1",
                                      "csd:a_width=4,b_width=8,d=2", "csd:width=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            CSD(width=8, d=0)
        assert str(e.value) == "Parameter 'd' must be an integer in 1..17, not 0"
        with pytest.raises(TypeError) as e:
            CSD(width=8, d="2")
        assert str(e.value) == "Parameter 'd' must be an integer, not '2'"
        with pytest.raises(SpecError) as e:
            make_unit("csd:d=18")
        assert str(e.value) == "csd: Parameter 'd' must be an integer in 1..17, not 18"

    def test_metadata(self):
        u = make_unit("csd")
        assert u.spec == "csd:width=8,signed=false,d=2"
        assert u.weight_operand == "b"
        assert "Riaz" in u.citation and "CAxCNN" in u.citation


TestRTLEquivalence = rtl_test_class("csd", ["d=2", "d=1", "d=3"], verilator_signed=True)
