"""Tests of LOA, the lower-part OR adder (Mahdiani et al., TCAS-I 2010).

References: the adder bit by bit from the paper (OR gates below bit l, a ripple-carry upper
part with carry-in a[l-1] & b[l-1]); the closed forms of its error for uniform operands,
derived from ``ED = c·2^l - x`` with ``x = (a mod 2^l) & (b mod 2^l)`` and ``c = x_(l-1)``
(carry=true) or 0 (carry=false), each bit of ``x`` being 1 with probability 1/4:

* error rate ``P(x != 0) = 1 - (3/4)^l`` in both variants (with the carry, ``ED = 0`` needs
  ``x = c·2^l``, and ``x < 2^l``);
* carry=false: ``E[ED] = -(2^l - 1)/4``, ``E|ED| = (2^l - 1)/4``, ``E[ED²] = (4^l - 2^l)/8``,
  ``WCE = 2^l - 1``;
* carry=true: ``E[ED] = 2^l/4 - (2^l - 1)/4 = 1/4``; with ``X`` the ``l-1`` low bits of ``x``,
  ``|ED| = 2^(l-1) - X`` when ``c = 1`` (probability 1/4) and ``X`` otherwise, so
  ``E|ED| = 2^(l-3) + (2^(l-1) - 1)/8 = (3·2^(l-1) - 1)/8``, ``E[ED²] = 4^(l-2)`` and
  ``WCE = 2^(l-1)``.
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

from axhdl import SpecError, make_unit
from axhdl.generators.adders.loa import LOA
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.synth.prove import prove_unit


def loa_reference(width: int, low: int, carry: bool, signed: bool):
    """The LOA bit by bit: a_i | b_i below ``low``, a ripple-carry adder above it whose carry
    in is a[low-1] & b[low-1] (carry=true)."""

    def ref(a: int, b: int) -> int:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        lower = [xa[i] | xb[i] for i in range(low)]
        cin = xa[low - 1] & xb[low - 1] if carry and low > 0 else 0
        upper, _ = ripple_bits(xa[low:], xb[low:], cin)
        return from_bits(lower + upper, signed)

    return ref


def error_rate(low: int) -> Fraction:
    return 1 - Fraction(3, 4) ** low


def closed_forms(low: int, carry: bool) -> dict[str, Fraction]:
    """mean_ed, mae, mse and wce of LOA for uniform operands (the module docstring)."""
    if carry:
        return {"mean_ed": Fraction(1, 4), "mae": Fraction(3 * 2 ** (low - 1) - 1, 8),
                "mse": Fraction(4) ** (low - 2), "wce": Fraction(2 ** (low - 1))}
    return {"mean_ed": -Fraction(2 ** low - 1, 4), "mae": Fraction(2 ** low - 1, 4),
            "mse": Fraction(4 ** low - 2 ** low, 8), "wce": Fraction(2 ** low - 1)}


class TestLOA:
    @pytest.mark.parametrize("width,low", [(1, 0), (1, 1), (3, 1), (4, 2), (5, 3), (5, 5)])
    @pytest.mark.parametrize("carry", [True, False])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, low, carry, signed):
        unit = make_unit(f"loa:width={width},l={low},carry={carry},signed={signed}")
        assert_model_matches(unit, loa_reference(width, low, carry, signed))

    def test_l0_is_exact(self):
        for carry in (True, False):
            u = make_unit(f"loa:width=6,l=0,carry={carry},signed=true")
            a, b = operand_grid(u)
            assert (u.model(a, b) == a + b).all()

    def test_worked_examples(self):
        u = make_unit("loa:width=8,l=4")
        # 0b1011 | 0b0110 = 0b1111; carry-in a[3] & b[3] = 0; upper 0 + 0
        assert int(u.model(0b1011, 0b0110)) == 0b1111
        # low 0b1000 | 0b1000 = 0b1000 with carry-in 1 into the upper part: 16 + 8 = 24
        assert int(u.model(8, 8)) == 24
        assert int(make_unit("loa:width=8,l=4,carry=false").model(8, 8)) == 8
        # the paper's unit is exact here: 255 + 255 = 510
        assert int(u.model(255, 255)) == 0b11111 << 4 | 0b1111

    def test_signed_full_width(self):
        # l = width: every operand bit ORed; the result's top bit alone adds the sign bits
        with_carry = make_unit("loa:width=4,l=4,signed=true")
        without = make_unit("loa:width=4,l=4,carry=false,signed=true")
        assert int(with_carry.model(-1, -1)) == -1  # the sign-extended OR
        assert int(without.model(-1, -1)) == 15  # 1 ^ 1 = 0 on top of 0b1111
        assert int(with_carry.model(-8, 7)) == -1

    @pytest.mark.parametrize("width,low", [(4, 2), (6, 3), (6, 5)])
    @pytest.mark.parametrize("carry", [True, False])
    def test_signed_error_equals_unsigned_error(self, width, low, carry):
        # the same circuit: the error depends on the low bits only
        u = make_unit(f"loa:width={width},l={low},carry={carry}")
        s = make_unit(f"loa:width={width},l={low},carry={carry},signed=true")
        a, b = operand_grid(s)
        mask = (1 << width) - 1
        assert ((s.model(a, b) - (a + b))
                == (u.model(a & mask, b & mask) - ((a & mask) + (b & mask)))).all()

    @pytest.mark.parametrize("width,low", [(4, 1), (6, 3), (8, 4), (8, 7), (10, 6), (9, 9)])
    @pytest.mark.parametrize("carry", [True, False])
    def test_error_rate_closed_form(self, width, low, carry):
        m = exhaustive_metrics(make_unit(f"loa:width={width},l={low},carry={carry}"))
        assert m["er"] == float(error_rate(low))

    @pytest.mark.parametrize("low", [1, 3, 6])
    @pytest.mark.parametrize("carry", [True, False])
    def test_signed_error_rate_closed_form(self, low, carry):
        m = exhaustive_metrics(make_unit(f"loa:width=7,l={low},carry={carry},signed=true"))
        assert m["er"] == float(error_rate(low))

    @pytest.mark.parametrize("width,low", [(4, 1), (6, 3), (8, 4), (8, 8), (10, 6)])
    @pytest.mark.parametrize("carry", [True, False])
    def test_mean_absolute_error_closed_forms(self, width, low, carry):
        m = exhaustive_metrics(make_unit(f"loa:width={width},l={low},carry={carry}"))
        want = closed_forms(low, carry)
        for key in ("mean_ed", "mae", "mse", "wce"):
            assert m[key] == pytest.approx(float(want[key]), rel=1e-12, abs=1e-12), key
        assert m["mae_pct"] == pytest.approx(100 * float(want["mae"]) / 2 ** (width + 1))

    def test_closed_form_values(self):
        # l = 8 (e.g. loa:width=16,l=8): MED 47.875 with the carry, 63.75 without
        assert closed_forms(8, True)["mae"] == Fraction(383, 8)
        assert closed_forms(8, False)["mae"] == Fraction(255, 4)
        assert float(error_rate(8)) == 0.8998870849609375

    def test_the_carry_halves_the_bias(self):
        for low in range(2, 8):
            with_carry, without = closed_forms(low, True), closed_forms(low, False)
            assert abs(with_carry["mean_ed"]) < abs(without["mean_ed"])
            assert with_carry["mae"] < without["mae"]

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("carry", [True, False])
    def test_rtl_proven_equal_to_model_at_16_bits(self, carry, signed):
        unit = make_unit(f"loa:width=16,l=7,carry={carry},signed={signed}")
        assert prove_unit(unit, against="model")["equivalent"] is True

    def test_spec_and_name(self):
        u = LOA(width=8, l=3, carry=False, signed=True)
        assert u.spec == "loa:width=8,signed=true,l=3,carry=false"
        assert u.name == "loa_8s_l3_carry0"
        assert (u.l, u.carry, u.p_width, u.kind) == (3, False, 9, "adder")
        assert make_unit("loa").spec == "loa:width=8,signed=false,l=4,carry=true"

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "l": 9}, ValueError,
         "Parameter 'l' must be an integer in 0..width (here 0..8), not 9"),
        ({"width": 8, "l": -1}, ValueError,
         "Parameter 'l' must be an integer in 0..width (here 0..8), not -1"),
        ({"width": 3}, ValueError,
         "Parameter 'l' must be an integer in 0..width (here 0..3), not 4"),
        ({"width": 8, "l": 2.5}, TypeError, "Parameter 'l' must be an integer, not 2.5"),
        ({"width": 8, "carry": "yes"}, TypeError,
         "Parameter 'carry' must be true or false, not 'yes'"),
        ({"width": 8, "k": 2}, TypeError,
         "Family 'loa' has no parameter 'k'; its parameters are: width, signed, l, carry"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            LOA(**kwargs)
        assert str(e.value) == message

    def test_spec_errors(self):
        with pytest.raises(SpecError) as e:
            make_unit("loa:width=8,carry=maybe")
        assert str(e.value) == "loa: Parameter 'carry' must be true or false, not 'maybe'"


TestRTLEquivalence = adder_rtl_test_class(
    "loa",
    lambda w: sorted({f"l={low},carry={c}" for low in {0, 1, w // 2, w}
                      for c in ("true", "false")}),
    eight=("l=4,carry=true", "l=5,carry=false"),
    slow_eight=[("l=8,carry=true", True), ("l=1,carry=false", False), ("l=6,carry=true", True)],
)
