"""The minimally biased multiplier (MBM) of Saadat, Bokhari and Parameswaran (IEEE TCAD 2018).

MBM is Mitchell's logarithmic multiplier (:mod:`.mitchell`) with one constant added in the
log domain. Mitchell's error is ``-2^(ka+kb)·fa·fb`` when ``fa + fb < 1`` and
``-2^(ka+kb)·(1-fa)(1-fb)`` otherwise; for uniformly distributed fractions both average
``1/12`` of ``2^(ka+kb)`` over their regions (∫∫ x·y over the triangle x + y < 1 is 1/24,
the triangle's area 1/2). MBM therefore adds ``C = 1/12 = 0.000101010…₂`` to the fraction
sum when it is below 1 and ``C/2`` when it is not (the sum is then scaled by one more power
of two), which removes almost all of Mitchell's bias:

    a·b ≈ 2^(ka+kb)   (1 + fa + fb + C)     if fa + fb < 1
    a·b ≈ 2^(ka+kb+1) (fa + fb + C/2)       otherwise

MBM-t truncates the ``t`` least significant bits of each fraction (the fraction datapath has
``max(a_width, b_width) - 1`` bits).
"""

from __future__ import annotations

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit
from .mitchell import fraction_bits, log_product, log_product_rtl

__all__ = ["MBM", "correction_term"]


def correction_term(kept_bits: int) -> int:
    """MBM's correction ``C = 1/12`` as a fixed-point fraction of ``kept_bits`` bits (the
    binary expansion 0.000101010… truncated), in units of ``2^-kept_bits``."""
    return (1 << kept_bits) // 12


@register
class MBM(SignMagnitudeUnit):
    """Mitchell's multiplier plus the constant error-correction term; ``t`` truncates."""

    family = "mbm"
    description = (
        "minimally biased multiplier: Mitchell's log multiplier plus the constant correction "
        "C = 1/12 (C/2 when the fraction sum carries); t truncated fraction bits (MBM-t)"
    )
    citation = (
        "H. Saadat, H. Bokhari and S. Parameswaran, 'Minimally biased multipliers for "
        "approximate integer and floating-point multiplication', IEEE Trans. Computer-Aided "
        "Design of Integrated Circuits and Systems 37(11), pp. 2623-2635, 2018"
    )
    notes = (
        "The fraction datapath has F = max(a_width, b_width) - 1 bits; t drops the t least "
        "significant bits of each fraction, leaving W = F - t. C is 1/12 truncated to W bits "
        "(floor(2^W / 12) / 2^W, zero when W < 4); the carry case adds C shifted right by one "
        "bit, as the hardware does. The antilogarithm is truncated to an integer; a zero "
        "operand gives 0. The correction can lift the product of the largest unsigned "
        "operands past 2^(a_width+b_width) - 1, so the unsigned result has one more bit "
        "(p_width = a_width + b_width + 1). signed=true: sign-magnitude around the unsigned "
        "core (|-2^(n-1)| = 2^(n-1) included); signed results fit a_width + b_width bits."
    )
    params = (
        Param("t", int, 0, "least significant fraction bits truncated",
              min=0, max="max(a_width, b_width) - 1"),
    )

    @property
    def t(self) -> int:
        return self._params["t"]

    @property
    def p_width(self) -> int:
        return self.a_width + self.b_width + (0 if self.signed else 1)

    @property
    def kept_bits(self) -> int:
        """Fraction bits after truncation, ``W = max(a_width, b_width) - 1 - t``."""
        return fraction_bits(self.a_width, self.b_width) - self.t

    @property
    def correction(self) -> int:
        """``C`` in units of ``2^-kept_bits``."""
        return correction_term(self.kept_bits)

    def core_model(self, ma, mb):
        return log_product(ma, mb, self.a_width, self.b_width, keep=self.kept_bits,
                           correction=self.correction)

    def core_rtl(self, m, ma, mb):
        return log_product_rtl(m, ma, mb, self.a_width, self.b_width, keep=self.kept_bits,
                               correction=self.correction, prefix="mbm")
