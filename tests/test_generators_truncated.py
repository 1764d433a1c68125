"""Tests of the column-truncated multiplier (Schulte and Swartzlander, 1993).

References: the kept partial-product bits summed one at a time from the definition (unsigned,
and the Baugh–Wooley bits when signed), the closed-form mean error −¼·Σ_{c<k} n_c 2^c (each
dropped bit is 1 with probability 1/4 for uniform operands) on the model and on the RTL, the
correction constant's residual bias, and RTL vs model on the Amaranth simulator and cocotb.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _family_checks import rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.truncated import (
    Truncated,
    mean_error_closed_form,
    truncation_constant,
)
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.testbenches.amaranth_sim import simulate


def naive_unsigned(a: int, b: int, na: int, nb: int, k: int) -> int:
    """Σ a_i b_j 2^(i+j) over i + j >= k, straight from the definition."""
    return sum(((a >> i) & 1) * ((b >> j) & 1) << (i + j)
               for i in range(na) for j in range(nb) if i + j >= k)


def baugh_wooley_sum(a: int, b: int, na: int, nb: int, k: int, const: int) -> int:
    """``const`` plus the Baugh–Wooley bits of weight >= k, written out independently of the
    term list: the plain integer sum, not reduced modulo anything."""
    abit = [(a >> i) & 1 for i in range(na)]
    bbit = [(b >> j) & 1 for j in range(nb)]
    total = const
    for i, j in itertools.product(range(na), range(nb)):
        v = abit[i] & bbit[j]
        if (i == na - 1) != (j == nb - 1):
            v ^= 1
        if i + j >= k:
            total += v << (i + j)
    for w in (na - 1, nb - 1, na + nb - 1):
        if w >= k:
            total += 1 << w
    return total


def to_signed(total: int, width: int) -> int:
    """``total`` modulo 2^width, read as a width-bit two's-complement value."""
    total &= (1 << width) - 1
    return total - (1 << width) if total >> (width - 1) else total


def naive_signed(a: int, b: int, na: int, nb: int, k: int, const: int) -> int:
    """The signed result: the Baugh–Wooley sum wrapped to na + nb bits as the hardware does."""
    return to_signed(baugh_wooley_sum(a, b, na, nb, k, const), na + nb)


class TestTruncated:
    @pytest.mark.parametrize("na,nb,k", [(4, 4, 3), (3, 5, 4), (5, 3, 0), (4, 4, 8), (1, 1, 1)])
    def test_unsigned_model_matches_definition(self, na, nb, k):
        u = make_unit(f"truncated:a_width={na},b_width={nb},k={k}")
        a, b = operand_grid(u)
        expected = [naive_unsigned(x, y, na, nb, k) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("na,nb,k", [(4, 4, 3), (3, 5, 2), (5, 3, 6), (2, 2, 1), (1, 1, 0)])
    def test_signed_model_matches_definition(self, na, nb, k):
        u = make_unit(f"truncated:a_width={na},b_width={nb},k={k},signed=true")
        a, b = operand_grid(u)
        expected = [naive_signed(x & ((1 << na) - 1), y & ((1 << nb) - 1), na, nb, k, 0)
                    for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_k0_is_exact(self):
        for s in (False, True):
            u = make_unit(f"truncated:width=6,k=0,signed={s}")
            a, b = operand_grid(u)
            assert (u.model(a, b) == a * b).all()

    @pytest.mark.parametrize(
        "na,nb,k",
        [(8, 8, 4), (8, 8, 8), (6, 4, 5), (4, 6, 10), (4, 4, 3), (8, 8, 6), (8, 8, 1), (3, 5, 4),
         (5, 3, 4), (6, 4, 10), (10, 6, 7), (10, 10, 12)],
    )
    def test_mean_error_closed_form(self, na, nb, k):
        m = exhaustive_metrics(make_unit(f"truncated:a_width={na},b_width={nb},k={k}"))
        assert m["mean_ed"] == pytest.approx(mean_error_closed_form(na, nb, k), rel=1e-12,
                                             abs=1e-12)

    @pytest.mark.parametrize(("na", "nb", "k"), [(4, 4, 3), (3, 5, 4), (5, 3, 2)])
    def test_rtl_matches_closed_form(self, na, nb, k):
        a, b = np.meshgrid(np.arange(1 << na), np.arange(1 << nb), indexing="ij")
        a, b = a.ravel(), b.ravel()
        p = simulate(Truncated(a_width=na, b_width=nb, k=k), a, b)
        assert float(np.mean(p - a * b)) == mean_error_closed_form(na, nb, k)

    def test_closed_form_values(self):
        # 8x8, k=4: columns 0..3 hold 1, 2, 3, 4 bits -> -(1 + 4 + 12 + 32) / 4
        assert mean_error_closed_form(8, 8, 4) == -12.25

    @pytest.mark.parametrize(
        ("signed", "k", "dropped", "constant"),
        [
            # unsigned 8x8: E[dropped] = ¼ Σ_{c<k} n_c 2^c, rounded to the nearest 2^k multiple
            (False, 4, 12.25, 16),  # (1 + 4 + 12 + 32) / 4
            (False, 6, 80.25, 64),  # + (80 + 192) / 4
            (False, 8, 448.25, 512),  # + (448 + 1024) / 4
            # signed: below weight 7 the Baugh–Wooley array holds the same plain bits ...
            (True, 4, 12.25, 16),
            (True, 6, 80.25, 64),
            # ... column 7 two complemented bits (1 with probability 3/4) instead of plain
            # ones and two constant ones: 448.25 + 2·(3/4 − 1/4)·128 + 2·128 = 832.25
            (True, 8, 832.25, 768),
        ],
    )
    def test_constant_correction_centres_the_error(self, signed, k, dropped, constant):
        u = make_unit(f"truncated:width=8,k={k},correction=constant,signed={signed}")
        plain = exhaustive_metrics(make_unit(f"truncated:width=8,k={k},signed={signed}"))
        # without correction the bias is minus the dropped bits' expected value
        assert plain["mean_ed"] == pytest.approx(-dropped, rel=1e-12)
        # the constant is E[dropped] rounded to the nearest point of the 2^k grid
        assert u.correction_constant == constant
        assert constant % (1 << k) == 0 and abs(constant - dropped) <= (1 << k) / 2
        # it moves every result by itself (none wraps), leaving at most half a grid step of
        # bias, strictly less than the uncorrected one at every point
        m = exhaustive_metrics(u)
        assert m["mean_ed"] == pytest.approx(constant - dropped, rel=1e-12)
        assert abs(m["mean_ed"]) <= (1 << k) / 2
        assert abs(m["mean_ed"]) < abs(plain["mean_ed"])

    @pytest.mark.parametrize(("na", "nb", "k"), [(4, 4, 3), (8, 8, 6), (6, 5, 5), (8, 8, 9)])
    def test_constant_correction_cancels_the_bias(self, na, nb, k):
        # the constant is E[dropped bits] rounded to a multiple of 2^k, so the remaining bias
        # is at most half a step
        unit = Truncated(a_width=na, b_width=nb, k=k, correction="constant")
        mean = exhaustive_metrics(unit)["mean_ed"]
        const = truncation_constant(na, nb, False, k)
        assert mean == pytest.approx(mean_error_closed_form(na, nb, k) + const, abs=1e-9)
        assert abs(mean) <= 2 ** (k - 1)

    def test_correction_constant_value(self):
        # 8x8 unsigned, k=6: E[dropped] = (1+4+12+32+80+192)/4 = 80.25 -> nearest 64-multiple 64
        assert truncation_constant(8, 8, False, 6) == 64
        assert make_unit("truncated:width=8,k=6,correction=constant").correction_constant == 64
        assert make_unit("truncated:width=8,k=6").correction_constant == 0

    @pytest.mark.parametrize(
        ("na", "nb", "k", "correction"),
        [(4, 4, 3, "constant"), (3, 5, 4, "constant"), (1, 1, 1, "constant"), (4, 4, 0, "none")],
    )
    def test_wraps_like_hardware(self, na, nb, k, correction):
        # signed: the Baugh–Wooley constant bits (2^(na+nb-1) among them) and the correction
        # constant carry the plain sum of the kept bits past 2^(na+nb); the hardware keeps
        # the low na + nb bits
        u = Truncated(a_width=na, b_width=nb, k=k, signed=True, correction=correction)
        width = na + nb
        assert u.p_width == width
        a, b = operand_grid(u)
        codes = [(x & ((1 << na) - 1), y & ((1 << nb) - 1)) for x, y in zip(a.tolist(),
                                                                          b.tolist())]
        const = u.correction_constant
        unwrapped = [baugh_wooley_sum(x, y, na, nb, k, const) for x, y in codes]
        # sums beyond the result's range exist, some past 2^width (reducing them is more
        # than reading the low bits as signed)
        assert any(v >= 1 << width for v in unwrapped)
        if correction == "constant":
            # and some that only the correction constant carries past 2^width
            assert const > 0
            assert any(baugh_wooley_sum(x, y, na, nb, k, 0) < 1 << width <= v
                       for (x, y), v in zip(codes, unwrapped))
        got = u.model(a, b).tolist()
        assert got == [to_signed(v, width) for v in unwrapped]
        assert all(-(1 << (width - 1)) <= p < 1 << (width - 1) for p in got)

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Truncated(width=4, k=9)
        assert str(e.value) == (
            "Parameter 'k' must be an integer in 0..a_width + b_width (here 0..8), not 9")
        with pytest.raises(ValueError) as e:
            Truncated(width=4, correction="bias")
        assert str(e.value) == "Parameter 'correction' must be one of none, constant, not 'bias'"
        with pytest.raises(SpecError) as e:
            make_unit("truncated:k=-1")
        assert str(e.value) == (
            "truncated: Parameter 'k' must be an integer in 0..a_width + b_width (here 0..16), "
            "not -1")

    def test_dropped_output_bits_are_zero(self):
        u = make_unit("truncated:width=8,k=6")
        a, b = operand_grid(u)
        # column 6 still holds bits, so only p[5:0] are certainly zero
        assert (u.model(a, b) & 0x3F == 0).all()
        assert np.any(u.model(a, b) & 0x40)


# the long tier's 8x8 points; the default tier adds one signed corrected design at 8x8, the
# uncorrected k = 2 and corrected k = 3 points at small shapes, and k = 0 / k = the whole width
_BOTH = (False, True)
TestRTLEquivalence = rtl_test_class(
    "truncated", ["k=4,correction=constant", "k=6"], verilator_signed=True,
    small=(
        (8, 8, True, "k=4,correction=constant"),
        *[(na, nb, s, "k=2") for na, nb in [(4, 4), (3, 5), (5, 3), (1, 1)] for s in _BOTH],
        *[(na, nb, s, "k=3,correction=constant") for na, nb in [(4, 4), (3, 5), (5, 3)]
          for s in _BOTH],
        *[(1, 1, s, "k=2,correction=constant") for s in _BOTH],
        (4, 4, True, "k=8"), (4, 4, True, "k=0"), (5, 3, True, "k=6,correction=constant"),
    ),
    slow_cosim=(
        *[(8, 8, s, p) for p in ["k=4", "k=8,correction=constant", "k=8"] for s in _BOTH],
        (3, 5, True, "k=2"),
        (16, 16, True, "k=10,correction=constant"),
        (12, 5, False, "k=6"),
    ),
)
