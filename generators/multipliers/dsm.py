"""The dynamic segment method (DSM) multiplier, as compared by Narayanamoorthy et al.
(IEEE TVLSI 2015).

Each operand keeps the ``m``-bit segment that starts at its leading one; the bits below it
are simply dropped (no unbiasing, unlike DRUM), the two segments are multiplied exactly and
the product is shifted back. Operands below ``2^m`` are used exactly.

For an operand ``x = s·2^j + r`` (``s`` its ``m``-bit leading segment, ``0 <= r < 2^j``)::

    x' = s·2^j        (so x' <= x, and x - x' < 2^j <= x·2^-(m-1))
    a·b ≈ a'·b'

The product is never larger than ``a·b``.
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._log import leading_segment
from ._signmag import SignMagnitudeUnit

__all__ = ["DSM", "dsm_operand"]


def dsm_operand(x, width: int, m: int) -> np.ndarray:
    """DSM's truncation of non-negative operands ``x`` (``width`` bits) to ``m`` leading bits."""
    seg, shift = leading_segment(x, width, m)
    return seg << shift


@register
class DSM(SignMagnitudeUnit):
    """m-bit leading segments (truncated, no unbiasing), multiplied and shifted back."""

    family = "dsm"
    description = (
        "dynamic segment method: m-bit segment at each operand's leading one (lower bits "
        "truncated, no unbiasing), m x m product shifted back"
    )
    citation = (
        "S. Narayanamoorthy, H. A. Moghaddam, Z. Liu, T. Park and N. S. Kim, "
        "'Energy-efficient approximate multiplication for digital signal processing and "
        "classification applications', IEEE Trans. VLSI Systems 23(6), pp. 1180-1184, 2015"
    )
    notes = (
        "Bits below the segment are truncated, so the product never exceeds a*b. Operands "
        "below 2^m are exact; m larger than an operand's width leaves it exact. "
        "signed=true: sign-magnitude around the unsigned core (|-2^(n-1)| = 2^(n-1) "
        "included)."
    )
    params = (
        Param("m", int, 4, "segment width in bits", min=1, max=32),
    )

    @property
    def m(self) -> int:
        return self._params["m"]

    def core_model(self, ma, mb):
        return dsm_operand(ma, self.a_width, self.m) * dsm_operand(mb, self.b_width, self.m)

    def core_rtl(self, m, ma, mb):
        from ._rtl import segment_product_rtl, segment_rtl

        seg_a, sh_a = segment_rtl(m, ma, self.a_width, self.m, "dsm_a")
        seg_b, sh_b = segment_rtl(m, mb, self.b_width, self.m, "dsm_b")
        return segment_product_rtl(m, seg_a, sh_a, seg_b, sh_b, self.p_width, "dsm")
