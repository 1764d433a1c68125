"""DRUM, the dynamic range unbiased multiplier (Hashemi, Bahar and Reda, ICCAD 2015).

Each operand keeps a ``k``-bit segment that starts at its leading one; the bits below the
segment are dropped and the segment's least significant bit is forced to 1, which puts the
approximation in the middle of the dropped range and makes the error unbiased. The two
``k``-bit segments are multiplied exactly and the product shifted back. Operands below
``2^k`` are used exactly.

For an operand ``x = s·2^j + r`` (``s`` its ``k``-bit leading segment, ``0 <= r < 2^j``)::

    x' = (s | 1)·2^j       (x >= 2^k)
    x' = x                 (x < 2^k)
    a·b ≈ a'·b'

so the relative error of one operand is at most ``2^-(k-1)`` and that of the product at most
``(1 + 2^-(k-1))^2 - 1`` (reached when both operands are powers of two ``>= 2^k``).
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._log import leading_segment
from ._signmag import SignMagnitudeUnit, fitting_p_width

__all__ = ["DRUM", "drum_operand"]


def drum_operand(x, width: int, k: int) -> np.ndarray:
    """DRUM's approximation of non-negative operands ``x`` (``width`` bits)."""
    x = np.asarray(x, dtype=np.int64)
    seg, shift = leading_segment(x, width, k)
    return np.where(shift > 0, (seg | 1) << shift, x)


@register
class DRUM(SignMagnitudeUnit):
    """k-bit leading segments with their LSB forced to 1, multiplied and shifted back."""

    family = "drum"
    description = (
        "DRUM: k-bit segment at each operand's leading one, its LSB forced to 1 (unbiased), "
        "k x k product shifted back; operands below 2^k exact"
    )
    citation = (
        "S. Hashemi, R. I. Bahar and S. Reda, 'DRUM: A dynamic range unbiased multiplier for "
        "approximate applications', Proc. IEEE/ACM International Conference on "
        "Computer-Aided Design (ICCAD), pp. 418-425, 2015"
    )
    notes = (
        "The LSB of the segment is forced to 1 only when bits below it were dropped (operand "
        ">= 2^k); smaller operands are exact, as in the paper. k larger than an operand's "
        "width leaves that operand exact. signed=true: sign-magnitude around the unsigned "
        "core (|-2^(n-1)| = 2^(n-1) included); for k = 2 the rounded-up magnitudes of two "
        "most-negative operands need one more result bit, so p_width grows to fit."
    )
    params = (
        Param("k", int, 4, "segment width in bits", min=2, max=32),
    )

    @property
    def k(self) -> int:
        return self._params["k"]

    @property
    def p_width(self) -> int:
        # a -> a' is non-decreasing, so the largest magnitudes give the largest core value
        ma = (1 << (self.a_width - 1)) if self.signed else (1 << self.a_width) - 1
        mb = (1 << (self.b_width - 1)) if self.signed else (1 << self.b_width) - 1
        top = int(self.core_model(np.int64(ma), np.int64(mb)))
        return fitting_p_width(self.a_width, self.b_width, self.signed, top)

    def core_model(self, ma, mb):
        return drum_operand(ma, self.a_width, self.k) * drum_operand(mb, self.b_width, self.k)

    def core_rtl(self, m, ma, mb):
        from ._rtl import segment_product_rtl, segment_rtl

        seg_a, sh_a = segment_rtl(m, ma, self.a_width, self.k, "drum_a", force_lsb=True)
        seg_b, sh_b = segment_rtl(m, mb, self.b_width, self.k, "drum_b", force_lsb=True)
        return segment_product_rtl(m, seg_a, sh_a, seg_b, sh_b, self.p_width, "drum")
