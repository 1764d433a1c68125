"""Tests of the truncated adder: the k low result bits 0, the operands' k low bits ignored.

References: the adder bit by bit (zeros below bit k, a ripple-carry upper part without carry
in) and the closed forms of its error, from ``ED = -(a mod 2^k) - (b mod 2^k)`` (two
independent uniform k-bit numbers for uniform operands): ``E[ED] = -(2^k - 1)``,
``Var(ED) = 2 (4^k - 1)/12``, ``ER = 1 - 4^-k``, ``WCE = 2 (2^k - 1)``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from _adder_checks import (
    adder_rtl_test_class,
    assert_model_matches,
    from_bits,
    operand_bits,
    ripple_bits,
)

from axhdl import make_unit
from axhdl.generators.adders.trunc_add import TruncAdd, trunc_add_mean_error
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.synth.prove import prove_unit
from axhdl.testbenches.amaranth_sim import simulate


def trunc_reference(width: int, k: int, signed: bool):
    def ref(a: int, b: int) -> int:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        upper, _ = ripple_bits(xa[k:], xb[k:])
        return from_bits([0] * k + upper, signed)

    return ref


class TestTruncAdd:
    @pytest.mark.parametrize("width,k", [(1, 0), (1, 1), (3, 1), (4, 2), (5, 4), (5, 5)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, k, signed):
        unit = make_unit(f"trunc_add:width={width},k={k},signed={signed}")
        assert_model_matches(unit, trunc_reference(width, k, signed))

    def test_low_result_bits_are_zero(self):
        for signed in (False, True):
            u = make_unit(f"trunc_add:width=6,k=3,signed={signed}")
            a, b = operand_grid(u)
            assert (u.model(a, b) % 8 == 0).all()

    @pytest.mark.parametrize("width,k", [(4, 1), (6, 3), (8, 4), (8, 7), (10, 5)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_error_closed_forms(self, width, k, signed):
        m = exhaustive_metrics(make_unit(f"trunc_add:width={width},k={k},signed={signed}"))
        assert m["mean_ed"] == trunc_add_mean_error(k) == -(2 ** k - 1)
        assert m["var_ed"] == pytest.approx((4 ** k - 1) / 6, rel=1e-12)
        assert m["mae"] == pytest.approx(2 ** k - 1, rel=1e-12)
        assert m["er"] == float(1 - Fraction(1, 4 ** k))
        assert m["wce"] == 2 * (2 ** k - 1)

    def test_rtl_mean_error_equals_closed_form(self):
        u = make_unit("trunc_add:width=5,k=2")
        a, b = operand_grid(u)
        assert float((simulate(u, a, b) - (a + b)).mean()) == trunc_add_mean_error(2) == -3.0

    def test_signed_full_width(self):
        # k = width keeps the result's top bit alone: a[w-1] ^ b[w-1], weight -2^w
        u = make_unit("trunc_add:width=4,k=4,signed=true")
        assert [int(u.model(x, y)) for x, y in [(-1, -1), (-1, 3), (5, 6)]] == [0, -16, 0]

    @pytest.mark.parametrize("signed", [False, True])
    def test_rtl_proven_equal_to_model_at_16_bits(self, signed):
        unit = make_unit(f"trunc_add:width=16,k=5,signed={signed}")
        assert prove_unit(unit, against="model")["equivalent"] is True

    def test_spec_and_name(self):
        u = TruncAdd(width=10, k=3)
        assert u.spec == "trunc_add:width=10,signed=false,k=3"
        assert u.name == "trunc_add_10u_k3"

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "k": 9}, ValueError,
         "Parameter 'k' must be an integer in 0..width (here 0..8), not 9"),
        ({"width": 8, "k": -2}, ValueError,
         "Parameter 'k' must be an integer in 0..width (here 0..8), not -2"),
        ({"width": 8, "k": True}, TypeError, "Parameter 'k' must be an integer, not True"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            TruncAdd(**kwargs)
        assert str(e.value) == message


TestRTLEquivalence = adder_rtl_test_class(
    "trunc_add",
    lambda w: sorted({f"k={k}" for k in {0, 1, w // 2, w}}),
    eight=("k=4", "k=3"),
    slow_eight=[("k=8", True), ("k=1", False)],
)
