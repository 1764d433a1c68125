"""The minimally biased multiplier (MBM) of Saadat, Bokhari and Parameswaran (IEEE TCAD 2018).

MBM is Mitchell's logarithmic multiplier (:mod:`.mitchell`) with one constant added in the
log domain. Mitchell's error is ``-2^(ka+kb)·fa·fb`` when ``fa + fb < 1`` and
``-2^(ka+kb)·(1-fa)(1-fb)`` otherwise; for uniformly distributed fractions both average
``1/12`` of ``2^(ka+kb)`` over their regions (∫∫ x·y over the triangle x + y < 1 is 1/24,
the triangle's area 1/2). The paper's hardware does not add 1/12 = 0.000101010…₂ itself but
the 7-bit constant ``C = 0.0001010₂ = 0.078125`` (a 7-bit adder and a 2:1 multiplexer
choosing ``C`` or ``C/2``). It is added to the fraction sum when the sum is below 1, and
``C/2`` when it is not (the sum is then scaled by one more power of two), which removes
almost all of Mitchell's bias:

    a·b ≈ 2^(ka+kb)   (1 + fa + fb + C)     if fa + fb < 1
    a·b ≈ 2^(ka+kb+1) (fa + fb + C/2)       otherwise

In the second case a corrected mantissa ``1 + (fa + fb - 1) + C/2`` that would reach 2
overflows; the correction is then bypassed (paper, Sec. III-C) and the product is
Mitchell's ``2^(ka+kb+1) (fa + fb)``. The bypass follows the MBM models of the ApproxTrain
project (Gong et al., IEEE TCAD 2023), which skip the correction exactly there.

MBM-t truncates the ``t`` least significant bits of each fraction (the fraction datapath has
``F = max(a_width, b_width) - 1`` bits) and sets the lowest remaining bit to 1, which
centres the truncation error as DRUM's forced bit does.
"""

from __future__ import annotations

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit
from .mitchell import fraction_bits, log_product

__all__ = ["MBM", "correction_term"]

#: the hardware's correction constant 0.0001010b = 10 / 2^7
_C_NUMERATOR, _C_BITS = 10, 7


def correction_term(kept_bits: int) -> int:
    """MBM's correction ``C = 0.0001010₂ = 10/128`` in units of ``2^-kept_bits`` (truncated
    when ``kept_bits < 7``: ``floor(10·2^kept_bits / 128)``, zero below 4 bits)."""
    return (_C_NUMERATOR << kept_bits) >> _C_BITS


@register
class MBM(SignMagnitudeUnit):
    """Mitchell's multiplier plus the constant error-correction term; ``t`` truncates."""

    family = "mbm"
    description = (
        "minimally biased multiplier: Mitchell's log multiplier plus the 7-bit correction "
        "C = 0.0001010b (C/2 when the fraction sum carries, bypassed where it would overflow); "
        "MBM-t truncates t fraction bits and sets the next one"
    )
    citation = (
        "H. Saadat, H. Bokhari and S. Parameswaran, 'Minimally biased multipliers for "
        "approximate integer and floating-point multiplication', IEEE Trans. Computer-Aided "
        "Design of Integrated Circuits and Systems 37(11), pp. 2623-2635, 2018"
    )
    notes = (
        "The fraction datapath has F = max(a_width, b_width) - 1 bits; t >= 1 keeps the "
        "W = F - t most significant bits of each fraction and sets the lowest kept bit to 1 "
        "(t = 0: all bits, none forced; t = F: no fraction bit, nothing to force). C is the "
        "paper's hardware constant 0.0001010b = 10/128 (not 1/12); with W bits it is "
        "floor(10 * 2^W / 128) units of 2^-W, so it is truncated when W < 7 and zero when "
        "W < 4; the carry case adds C shifted right by one bit. When the fraction sum carries "
        "and the corrected mantissa would reach 2, the correction is bypassed (the paper's "
        "overflow rule, as in ApproxTrain's MBM models), so every unsigned result fits "
        "a_width + b_width bits. The antilogarithm is truncated to an integer; a zero operand "
        "gives 0. signed=true: sign-magnitude around the unsigned core (|-2^(n-1)| = 2^(n-1) "
        "included). Paper check (Table I, relative errors over pairs of non-zero operands): "
        "the 16-bit Monte Carlo rows (MBM -0.09 / 2.58 / 7.81 %, MBM-8 -0.08 / 2.60 / "
        "9.36 % bias / mean / peak) are reproduced within sampling error. The 8-bit "
        "exhaustive row (0.05 / 2.69 / 7.81 %) is not claimed to its printed digits: the "
        "paper's formula gives 0.056 / 2.717 / 7.8125 % over the 65,025 non-zero pairs "
        "(this integer-output unit 0.047 / 2.711 / 11.1 %, the peak at 3 x 3 where C is "
        "truncated away); only the peak matches."
    )
    params = (
        Param(
            "t",
            int,
            0,
            "least significant fraction bits truncated (the next one is set)",
            min=0,
            max="max(a_width, b_width) - 1",
        ),
    )

    @property
    def t(self) -> int:
        return self._params["t"]

    @property
    def kept_bits(self) -> int:
        """Fraction bits after truncation, ``W = max(a_width, b_width) - 1 - t``."""
        return fraction_bits(self.a_width, self.b_width) - self.t

    @property
    def correction(self) -> int:
        """``C`` in units of ``2^-kept_bits``."""
        return correction_term(self.kept_bits)

    @property
    def _log_options(self) -> dict:
        """The options of the shared logarithmic datapath that make it MBM."""
        return {"keep": self.kept_bits, "correction": self.correction,
                "force_lsb": self.t > 0, "bypass_overflow": True}

    def core_model(self, ma, mb):
        return log_product(ma, mb, self.a_width, self.b_width, **self._log_options)

    def core_rtl(self, m, ma, mb):
        from ._rtl import log_product_rtl

        return log_product_rtl(m, ma, mb, self.a_width, self.b_width, prefix="mbm",
                               **self._log_options)
