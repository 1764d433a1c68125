"""Tests of ETA-I, the error-tolerant adder type I (Zhu et al., TVLSI 2010).

References: the paper's procedure bit by bit (the inaccurate part scanned from its most
significant bit down: XOR until the first position where both bits are 1, then all ones; the
accurate part a ripple-carry adder without carry in), and its defining property: for unsigned
operands it never over-estimates (the low part never exceeds the low operand bits' sum).
"""

from __future__ import annotations

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
from axhdl.generators.adders.eta1 import ETA1, eta1_low_part
from axhdl.metrics import exhaustive_metrics, operand_grid


def eta1_reference(width: int, k: int, signed: bool):
    def ref(a: int, b: int) -> int:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        low = [0] * k
        saturated = False
        for i in reversed(range(k)):  # from the top of the inaccurate part down
            if xa[i] and xb[i]:
                saturated = True
            low[i] = 1 if saturated else xa[i] ^ xb[i]
        upper, _ = ripple_bits(xa[k:], xb[k:])
        return from_bits(low + upper, signed)

    return ref


class TestETA1:
    @pytest.mark.parametrize("width,k", [(1, 0), (1, 1), (3, 2), (4, 2), (5, 3), (5, 5)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, k, signed):
        unit = make_unit(f"eta1:width={width},k={k},signed={signed}")
        assert_model_matches(unit, eta1_reference(width, k, signed))

    def test_worked_examples(self):
        # 1010 + 0110: XOR at bits 3 and 2, both 1 at bit 1 -> 1111 (exact 10000)
        assert int(eta1_low_part(0b1010, 0b0110, 4)) == 0b1111
        # 1001 + 0100: no position with both bits 1 -> plain XOR, exact
        assert int(eta1_low_part(0b1001, 0b0100, 4)) == 0b1101
        # 1000 + 1000: both 1 at the top -> all ones (exact 10000)
        assert int(eta1_low_part(0b1000, 0b1000, 4)) == 0b1111
        u = make_unit("eta1:width=8,k=4")
        assert int(u.model(0b0011_1010, 0b0101_0110)) == 0b1000_1111

    @pytest.mark.parametrize("width,k", [(4, 2), (6, 6), (8, 4), (8, 8)])
    def test_never_over_estimates_unsigned(self, width, k):
        u = make_unit(f"eta1:width={width},k={k}")
        a, b = operand_grid(u)
        ed = u.model(a, b) - (a + b)
        assert (ed <= 0).all() and (ed < 0).any()
        assert exhaustive_metrics(u)["mean_ed"] == ed.mean() < 0

    @pytest.mark.parametrize("width,k", [(4, 2), (6, 5)])
    def test_never_over_estimates_signed_below_full_width(self, width, k):
        u = make_unit(f"eta1:width={width},k={k},signed=true")
        a, b = operand_grid(u)
        assert (u.model(a, b) <= a + b).all()

    def test_error_bounded_by_the_low_part(self):
        # the low part is within 2^k of the exact low sum, from below
        u = make_unit("eta1:width=8,k=5")
        a, b = operand_grid(u)
        ed = u.model(a, b) - (a + b)
        assert ed.min() > -(1 << 5) and np.count_nonzero(ed) > 0

    def test_k_one_and_zero(self):
        # k = 0 is exact; k = 1: 1 + 1 in bit 0 gives 1 (the carry is lost)
        a, b = operand_grid(make_unit("eta1:width=5,k=0"))
        assert (make_unit("eta1:width=5,k=0").model(a, b) == a + b).all()
        assert int(make_unit("eta1:width=5,k=1").model(1, 1)) == 1

    def test_spec_and_name(self):
        u = ETA1(width=12, k=6, signed=True)
        assert u.spec == "eta1:width=12,signed=true,k=6" and u.name == "eta1_12s_k6"

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 6, "k": 7}, ValueError,
         "Parameter 'k' must be an integer in 0..width (here 0..6), not 7"),
        ({"width": 6, "k": "2"}, TypeError, "Parameter 'k' must be an integer, not '2'"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            ETA1(**kwargs)
        assert str(e.value) == message


TestRTLEquivalence = adder_rtl_test_class(
    "eta1",
    lambda w: sorted({f"k={k}" for k in {0, 1, w // 2, w - 1, w} if k >= 0}),
    eight=("k=4", "k=5"),
    slow_eight=[("k=8", False), ("k=2", True)],
)
