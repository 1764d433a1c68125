"""Tests of GeAr, the generic accuracy-configurable adder (Shafique et al., DAC 2015).

References: the sub-adders bit by bit (each a ripple-carry adder of r + p bits with carry-in
0, keeping its r upper result bits); the paper's error probability (inclusion-exclusion over
the events "a carry generated at one of the r bits below a sub-adder's p prediction bits and
propagated through them", each of probability ``(1/4)(1/2)^(p+j)`` for uniform operands);
the special cases ACA-I (``aca``), ETA-II (blocks of r bits, each carry predicted from the
block below alone) and the exact adder (``r + p = width``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from _adder_checks import (
    adder_rtl_test_class,
    assert_model_matches,
    from_bits,
    operand_bits,
    ripple_bits,
)

from axhdl import make_unit
from axhdl.generators.adders.gear import GeAr, SubAdder, sub_adders
from axhdl.metrics import exhaustive_metrics, operand_grid


def gear_reference(width: int, r: int, p: int, signed: bool):
    """Sub-adders at bits 0, r, 2r, ...: the first gives its r + p result bits, every other
    its upper r (fewer at the top when width - (r+p) is no multiple of r); the last one runs
    up to the extension position and gives the carry out / sign."""
    length = r + p

    def ref(a: int, b: int) -> int:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        out: list[int] = []
        start = 0
        while len(out) < width + 1:
            keep_from = 0 if start == 0 else p
            top = start + length
            if top >= width:  # the last sub-adder reaches the result's top bit
                top = width + 1
            sums, _ = ripple_bits(xa[start:top], xb[start:top])
            out += sums[keep_from:]
            start += r
        assert len(out) == width + 1
        return from_bits(out, signed)

    return ref


def published_error_probability(width: int, r: int, p: int) -> Fraction:
    """Shafique et al.'s error probability of GeAr(width, r, p) for uniform operands.

    Sub-adder i >= 1 (prediction bits from i·r) errs when a carry generated at bit
    i·r - 1 - j (j < r) propagates through the j bits above it and its p prediction bits:
    probability (1/4)(1/2)^(p+j); generates further below are another sub-adder's events.
    Events of one sub-adder exclude each other; two events can co-occur only when the later
    one's generate lies above the earlier one's propagate bits, and then they are
    independent. Inclusion-exclusion over such chains of events gives the probability.
    """
    count = len(sub_adders(width, r, p)) - 1  # sub-adders that can err
    events = []  # (generate bit, last propagate bit, probability)
    for i in range(1, count + 1):
        for j in range(r):
            events.append((i * r - 1 - j, i * r + p - 1, Fraction(1, 4) / 2 ** (p + j)))
    events.sort()
    chain: dict[int, Fraction] = {}  # signed sum over the chains starting at an event
    for t in reversed(range(len(events))):
        _, end, prob = events[t]
        later = sum((chain[u] for u in range(t + 1, len(events)) if events[u][0] > end),
                    Fraction(0))
        chain[t] = prob * (1 - later)
    return sum(chain.values(), Fraction(0))


def eta2_reference(width: int, r: int):
    """ETA-II (Zhu et al. 2009) on unsigned operands, blocks of r bits: block t adds its
    bits with the carry the block t-1 generates on its own (carry in 0)."""

    def ref(a: int, b: int) -> int:
        mask = (1 << r) - 1
        total, carry = 0, 0
        for t in range(width // r):
            x, y = (a >> (t * r)) & mask, (b >> (t * r)) & mask
            s = x + y + carry
            total |= (s & mask) << (t * r)
            if t == width // r - 1:
                total |= (s >> r) << width
            carry = (x + y) >> r  # the next block's speculative carry
        return total

    return ref


class TestGeAr:
    @pytest.mark.parametrize("width,r,p", [
        (1, 1, 0), (3, 1, 1), (4, 2, 1), (4, 1, 2), (5, 2, 2), (5, 3, 1), (5, 1, 0), (5, 2, 0),
        (6, 2, 2), (6, 1, 3), (5, 5, 0),
    ])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, r, p, signed):
        unit = make_unit(f"gear:width={width},r={r},p={p},signed={signed}")
        assert_model_matches(unit, gear_reference(width, r, p, signed))

    def test_sub_adder_layout(self):
        # 8 = 4 + 2 + 2: three sub-adders of 4 bits, each giving 2 result bits above the first
        assert sub_adders(8, 2, 2) == [SubAdder(0, 0, 4), SubAdder(2, 4, 6), SubAdder(4, 6, 8)]
        # 7 - 4 = 3 is no multiple of 2: the last sub-adder gives the 1 result bit left
        assert sub_adders(7, 2, 2) == [SubAdder(0, 0, 4), SubAdder(2, 4, 6), SubAdder(4, 6, 7)]
        assert sub_adders(9, 3, 4) == [SubAdder(0, 0, 7), SubAdder(3, 7, 9)]
        assert sub_adders(6, 6, 0) == [SubAdder(0, 0, 6)]
        assert sub_adders(5, 1, 0) == [SubAdder(0, 0, 1), *(SubAdder(i, i, i + 1)
                                                           for i in range(1, 5))]

    @pytest.mark.parametrize("width,r,p", [
        (8, 2, 2), (8, 1, 3), (8, 2, 4), (8, 3, 2), (8, 1, 1), (8, 4, 0), (10, 2, 2),
        (12, 4, 4), (12, 2, 4), (9, 1, 4), (10, 3, 1), (12, 1, 2),
        pytest.param(16, 4, 4, marks=pytest.mark.slow),  # 2^32 operand pairs: a minute
        pytest.param(16, 2, 6, marks=pytest.mark.slow),
    ])
    def test_error_probability_published_formula(self, width, r, p):
        m = exhaustive_metrics(make_unit(f"gear:width={width},r={r},p={p}"))
        assert (width - r - p) % r == 0  # the paper's configurations
        assert m["er"] == pytest.approx(float(published_error_probability(width, r, p)),
                                        rel=1e-12, abs=1e-15)

    @pytest.mark.parametrize("width,r,p", [(7, 2, 2), (9, 2, 4), (10, 3, 2), (11, 4, 1)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_error_probability_when_width_is_no_multiple(self, width, r, p, signed):
        # the formula depends only on where the sub-adders start: it holds with the cut top
        unit = make_unit(f"gear:width={width},r={r},p={p},signed={signed}")
        m = exhaustive_metrics(unit)
        assert m["er"] == pytest.approx(float(published_error_probability(width, r, p)),
                                        rel=1e-12)

    def test_formula_values(self):
        # GeAr(8, 2, 2): two sub-adders can err, events of 1/4·1/4 and 1/4·1/8 each; with
        # p >= r a generate of the upper one lies in the lower one's propagate bits: disjoint
        assert published_error_probability(8, 2, 2) == 2 * (Fraction(1, 16) + Fraction(1, 32))
        # GeAr(10, 3, 1): events 1/8, 1/16, 1/32 per sub-adder (generates 2, 1, 0 below
        # prediction bit 3 and 5, 4, 3 below bit 6); the pairs with a generate above bit 3
        # co-occur: 2 * 7/32 - (7/32)(1/8 + 1/16)
        assert published_error_probability(10, 3, 1) == Fraction(203, 512)
        assert published_error_probability(8, 4, 4) == 0
        assert published_error_probability(12, 6, 6) == 0

    @pytest.mark.parametrize("width,k", [(2, 1), (4, 1), (5, 2), (6, 3), (8, 4)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_r1_is_aca(self, width, k, signed):
        # the same sum bits; the carry out (bit width) differs: GeAr's last sub-adder sees
        # k + 1 bits below it, ACA's window k
        gear = make_unit(f"gear:width={width},r=1,p={k},signed={signed}")
        aca = make_unit(f"aca:width={width},k={k},signed={signed}")
        a, b = operand_grid(gear)
        g, c = gear.model(a, b), aca.model(a, b)
        mask = (1 << width) - 1
        assert ((g & mask) == (c & mask)).all()
        wider = make_unit(f"aca:width={width},k={min(k + 1, width)},signed={signed}")
        assert ((g >> width) == (wider.model(a, b) >> width)).all()
        if k < width - 1:  # a carry chain of exactly k+1 bits into the top: 1 + 0b01..1
            x, y = 1 << (width - k - 1), (1 << width) - (1 << (width - k - 1))
            if signed:
                x, y = x - (x >> (width - 1) << width), y - (y >> (width - 1) << width)
            assert int(gear.model(x, y)) != int(aca.model(x, y))

    @pytest.mark.parametrize("width,r", [(4, 1), (6, 2), (8, 2), (8, 4), (9, 3)])
    def test_r_equal_p_is_eta2(self, width, r):
        assert_model_matches(make_unit(f"gear:width={width},r={r},p={r}"),
                             eta2_reference(width, r))

    @pytest.mark.parametrize("width,r,p", [(6, 4, 2), (6, 1, 5), (6, 6, 0), (3, 2, 1)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_one_sub_adder_is_exact(self, width, r, p, signed):
        u = make_unit(f"gear:width={width},r={r},p={p},signed={signed}")
        a, b = operand_grid(u)
        assert (u.model(a, b) == a + b).all()

    def test_errors_are_missed_carries(self):
        # every error is a lost carry into some sub-adder's result bits: ED < 0 unsigned
        u = make_unit("gear:width=8,r=2,p=1")
        a, b = operand_grid(u)
        ed = u.model(a, b) - (a + b)
        assert (ed <= 0).all() and np.count_nonzero(ed) > 0

    def test_spec_and_name(self):
        u = GeAr(width=16, r=4, p=4)
        assert u.spec == "gear:width=16,signed=false,r=4,p=4" and u.name == "gear_16u_r4_p4"
        assert make_unit("gear").spec == "gear:width=8,signed=false,r=2,p=2"

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "r": 0}, ValueError,
         "Parameter 'r' must be an integer in 1..width (here 1..8), not 0"),
        ({"width": 8, "r": 9}, ValueError,
         "Parameter 'r' must be an integer in 1..width (here 1..8), not 9"),
        ({"width": 8, "r": 3, "p": 6}, ValueError,
         "Parameter 'p' must be an integer in 0..width - r (here 0..5), not 6"),
        ({"width": 8, "p": -1}, ValueError,
         "Parameter 'p' must be an integer in 0..width - r (here 0..6), not -1"),
        ({"width": 8, "r": "2"}, TypeError, "Parameter 'r' must be an integer, not '2'"),
        ({"width": 8, "l": 2}, TypeError,
         "Family 'gear' has no parameter 'l'; its parameters are: width, signed, r, p"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            GeAr(**kwargs)
        assert str(e.value) == message


TestRTLEquivalence = adder_rtl_test_class(
    "gear",
    lambda w: sorted({f"r={r},p={p}" for r, p in [(1, 0), (1, 1), (1, 2), (2, 1), (2, 2),
                                                   (2, 0), (3, 1), (w, 0)] if r + p <= w}),
    eight=("r=2,p=2", "r=3,p=2"),
    slow_eight=[("r=1,p=3", True), ("r=2,p=4", False), ("r=4,p=0", True), ("r=3,p=1", False)],
)
