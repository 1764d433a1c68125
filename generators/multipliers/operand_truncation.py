"""Operand truncation: the least significant bits of each operand are zeroed, then the
operands are multiplied exactly.

This is the truncation baseline of EvoApproxLib (V. Mrazek, R. Hrbacek, Z. Vasicek, L.
Sekanina, "EvoApprox8b: Library of approximate adders and multipliers for circuit design and
benchmarking of approximation methods", DATE 2017; V. Mrazek, L. Sekanina, Z. Vasicek,
"Libraries of approximate circuits: automated design and application in CNN accelerators",
IEEE JETCAS 10(4), 2020). With ``a = a' + a_L`` (``a_L = a mod 2^za``) and likewise for
``b``, the error is ``a'·b' − a·b = −a·b_L − a_L·b + a_L·b_L``; for independent uniform
operands its mean is ``−E[a]E[b_L] − E[a_L]E[b] + E[a_L]E[b_L]``
(:func:`mean_error_closed_form`).
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit, from_code, to_code

from ._pp import kept_pair_terms, pair_polynomial, wrap

__all__ = ["OperandTruncation", "mean_error_closed_form"]


def mean_error_closed_form(na: int, nb: int, za: int, zb: int, signed: bool = False) -> float:
    """E[a'·b' − a·b] for uniform independent operands (a' = a with its ``za`` LSBs zeroed;
    two's-complement truncation, i.e. rounding towards −∞, when signed; signed operands need
    ``za < na`` and ``zb < nb``, since zeroing every bit, sign included, is not a rounding)."""
    ea = -0.5 if signed else ((1 << na) - 1) / 2
    eb = -0.5 if signed else ((1 << nb) - 1) / 2
    eal = ((1 << za) - 1) / 2  # a mod 2^za is uniform on 0 .. 2^za − 1
    ebl = ((1 << zb) - 1) / 2
    return -ea * ebl - eal * eb + eal * ebl


@register
class OperandTruncation(AmaranthUnit):
    """``za`` / ``zb`` least significant operand bits zeroed before an exact product."""

    family = "operand_truncation"
    description = "operand truncation: the za / zb LSBs of a / b are zeroed, then exact product"
    citation = (
        "V. Mrazek, L. Sekanina, Z. Vasicek, 'Libraries of approximate circuits: automated "
        "design and application in CNN accelerators', IEEE J. Emerging and Selected Topics "
        "in Circuits and Systems 10(4), 2020 (EvoApproxLib truncation baselines)"
    )
    notes = (
        "Signed operands are truncated in two's complement (the zeroed LSBs round towards "
        "minus infinity) and multiplied exactly; the hardware is the Baugh-Wooley / unsigned "
        "ripple-carry array of the remaining (a_width-za) x (b_width-zb) bits, shifted."
    )
    params = (
        Param("za", int, 2, "least significant bits of a zeroed", min=0, max="a_width"),
        Param("zb", int, 2, "least significant bits of b zeroed", min=0, max="b_width"),
    )

    @property
    def za(self) -> int:
        return self._params["za"]

    @property
    def zb(self) -> int:
        return self._params["zb"]

    def model_polynomial(self) -> dict[tuple, int]:
        return pair_polynomial(self.a_width, self.b_width, self.signed,
                               lambda i, j: i >= self.za and j >= self.zb)

    def model(self, a, b, **controls):
        na, nb, signed = self.a_width, self.b_width, self.signed
        ta = from_code(to_code(a, na) & ~((1 << self.za) - 1), na, signed)
        tb = from_code(to_code(b, nb) & ~((1 << self.zb) - 1), nb, signed)
        return wrap(np.asarray(ta * tb, dtype=np.int64), self.p_width, signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, ripple_rows, term_rows

        m = Module()
        terms = kept_pair_terms(self.a_width, self.b_width, self.signed,
                                lambda i, j: i >= self.za and j >= self.zb)
        bits = ripple_rows(m, term_rows(terms, io.a, io.b, self.p_width), self.p_width,
                           prefix="row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
