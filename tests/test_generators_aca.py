"""Tests of ACA, the almost-correct adder (Verma, Brisk and Ienne, DATE 2008).

References: every sum bit bit by bit from the paper's definition (the carry into bit i is the
carry out of a ripple-carry addition of bits i-k .. i-1 alone); the error probability, which
is GeAr's published formula for r = 1 (an error is a carry generated at some bit and propagated
through the k bits above it) applied to the width + 1 result bits, since ACA computes its carry
out from a k-bit window too; and the longest-carry-chain characterisation of its errors.
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
from test_generators_gear import published_error_probability

from axhdl import make_unit
from axhdl.generators.adders.aca import ACA
from axhdl.metrics import exhaustive_metrics, operand_grid


def aca_reference(width: int, k: int, signed: bool):
    def ref(a: int, b: int) -> int:
        xa, xb = operand_bits(a, width, signed), operand_bits(b, width, signed)
        out = []
        for i in range(width + 1):
            lo = max(0, i - k)
            _, carry = ripple_bits(xa[lo:i], xb[lo:i])  # the window alone, carry-in 0
            out.append(xa[i] ^ xb[i] ^ (carry or 0))
        return from_bits(out, signed)

    return ref


def longest_carry_chain(a: int, b: int, width: int) -> int:
    """Bits a carry travels at most: from a generate through the propagates above it."""
    longest = 0
    for g in range(width):
        if (a >> g) & (b >> g) & 1:
            length = 1
            while g + length < width and ((a ^ b) >> (g + length)) & 1:
                length += 1
            longest = max(longest, length)
    return longest


class TestACA:
    @pytest.mark.parametrize("width,k", [(1, 1), (3, 1), (4, 2), (5, 1), (5, 3), (5, 4),
                                         (6, 3)])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_matches_bitwise_definition(self, width, k, signed):
        unit = make_unit(f"aca:width={width},k={k},signed={signed}")
        assert_model_matches(unit, aca_reference(width, k, signed))

    @pytest.mark.parametrize("width,k", [(4, 1), (6, 2), (8, 3), (8, 5), (10, 4), (12, 3)])
    def test_error_probability(self, width, k):
        m = exhaustive_metrics(make_unit(f"aca:width={width},k={k}"))
        assert m["er"] == pytest.approx(
            float(published_error_probability(width + 1, 1, k)), rel=1e-12)

    @pytest.mark.parametrize("k", [1, 3, 5])
    def test_signed_error_probability(self, k):
        m = exhaustive_metrics(make_unit(f"aca:width=7,k={k},signed=true"))
        assert m["er"] == pytest.approx(float(published_error_probability(8, 1, k)), rel=1e-12)

    @pytest.mark.parametrize("k", [1, 2, 4])
    def test_errors_are_carry_chains_longer_than_k(self, k):
        # a chain of at most k bits (generate plus propagates into the sum bit) is seen
        u = make_unit(f"aca:width=7,k={k}")
        a, b = operand_grid(u)
        wrong = u.model(a, b) != a + b
        chain = np.array([longest_carry_chain(x, y, 7) for x, y in zip(a.tolist(), b.tolist())])
        assert (wrong == (chain > k)).all()

    @pytest.mark.parametrize("signed", [False, True])
    def test_k_width_is_exact(self, signed):
        u = make_unit(f"aca:width=6,k=6,signed={signed}")
        a, b = operand_grid(u)
        assert (u.model(a, b) == a + b).all()

    def test_worked_example(self):
        # k = 2: 0b0111 + 0b0001: the carry from bit 0 needs 3 bits to reach bit 3
        u = make_unit("aca:width=4,k=2")
        assert int(u.model(0b0111, 0b0001)) == 0b00000  # bits 1, 2 see it, bit 3 does not
        assert int(make_unit("aca:width=4,k=3").model(0b0111, 0b0001)) == 0b01000
        assert int(u.model(0b0011, 0b0001)) == 0b00100

    def test_spec_and_name(self):
        u = ACA(width=16, k=6)
        assert u.spec == "aca:width=16,signed=false,k=6" and u.name == "aca_16u_k6"

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "k": 0}, ValueError,
         "Parameter 'k' must be an integer in 1..width (here 1..8), not 0"),
        ({"width": 3}, ValueError,
         "Parameter 'k' must be an integer in 1..width (here 1..3), not 4"),
        ({"width": 8, "k": None, "r": 1}, TypeError,
         "Family 'aca' has no parameter 'r'; its parameters are: width, signed, k"),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            ACA(**kwargs)
        assert str(e.value) == message


TestRTLEquivalence = adder_rtl_test_class(
    "aca",
    lambda w: sorted({f"k={k}" for k in {1, 2, 3, w // 2, w - 1, w} if 1 <= k <= w}),
    eight=("k=3", "k=5"),
    slow_eight=[("k=1", True), ("k=4", False), ("k=7", True), ("k=6", False)],
)
