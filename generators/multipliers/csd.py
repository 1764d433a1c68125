"""Truncated canonical-signed-digit multiplication (Riaz et al., CAxCNN, IEEE Access 2020).

The weight operand ``b`` is recoded in canonical signed digits (CSD, the non-adjacent form:
digits in {-1, 0, 1}, no two adjacent digits non-zero, the fewest non-zero digits of any
signed-digit form); only its ``d`` most significant non-zero digits are kept and the product
is formed by shift-and-add::

    b = Σ_i c_i·2^i  (CSD),   b' = Σ of the d most significant terms c_i·2^i
    a·b ≈ a·b' = Σ_kept ±(a << i)

An ``n``-bit operand has ``n + 1`` CSD digits of which at most ``ceil((n + 1) / 2)`` are
non-zero, so ``d`` of that many (or more; 17 covers 32-bit operands) keeps every operand
exact.
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit

__all__ = ["CSD", "csd_digits", "truncate_digits"]


def csd_digits(x, width: int) -> np.ndarray:
    """The CSD (non-adjacent form) digits of non-negative ``x``: shape ``x.shape + (width+1,)``,
    least significant first, each -1, 0 or 1.

    The classic right-to-left recoding: an odd remainder ``r`` gets the digit
    ``2 - (r mod 4)`` (so that the next remainder is even), an even one the digit 0.
    """
    r = np.asarray(x, dtype=np.int64).copy()
    digits = []
    for _ in range(width + 1):
        d = np.where((r & 1) == 1, 2 - (r & 3), 0)
        digits.append(d)
        r = (r - d) >> 1
    return np.stack(digits, axis=-1)


def truncate_digits(digits: np.ndarray, d: int) -> np.ndarray:
    """The value of the ``d`` most significant non-zero digits (last axis, LSB first)."""
    digits = np.asarray(digits, dtype=np.int64)
    kept = np.zeros(digits.shape[:-1], dtype=np.int64)
    seen = np.zeros(digits.shape[:-1], dtype=np.int64)
    for i in range(digits.shape[-1] - 1, -1, -1):
        c = digits[..., i]
        take = (c != 0) & (seen < d)
        kept += np.where(take, c << i, 0)
        seen += (c != 0).astype(np.int64)
    return kept


@register
class CSD(SignMagnitudeUnit):
    """b in canonical signed digits, its d leading non-zero digits kept; shift-and-add."""

    family = "csd"
    description = (
        "truncated canonical-signed-digit multiplier: b recoded in CSD, only its d most "
        "significant non-zero digits kept, product by shift-and-add"
    )
    citation = (
        "M. Riaz, R. Hafiz, S. A. Khaliq, M. Faisal, H. T. Iqbal, M. Ali and M. Shafique, "
        "'CAxCNN: Towards the use of canonic sign digit based approximation for "
        "hardware-friendly convolutional neural networks', IEEE Access 8, pp. 127014-127021, "
        "2020"
    )
    notes = (
        "The d most significant non-zero digits are kept and the rest dropped (truncation, "
        "not rounding), so b' may exceed b (e.g. 7 = 8 - 1 -> 8 with d = 1) and may reach "
        "2^b_width (b = 2^b_width - 1 -> 2^b_width with d = 1, for b_width >= 2), but never "
        "passes the power of two just above b: 0 <= b' <= 2^L for an L-bit b, so a*b' fits "
        "a_width + b_width bits. The recoding runs on the hardware input: the CSD digits come from "
        "x + (x >> 1) compared with x >> 1, then d leading-one detectors pick the kept "
        "digits and a barrel shifter places each ±a. signed=true: sign-magnitude, which "
        "equals recoding the two's-complement b directly because CSD(-x) = -CSD(x)."
    )
    params = (
        Param("d", int, 2, "non-zero CSD digits of b kept", min=1, max=17),
    )
    weight_operand = "b"

    @property
    def d(self) -> int:
        return self._params["d"]

    def approximate_b(self, mb) -> np.ndarray:
        """``b'``: the ``d`` leading non-zero CSD digits of the magnitudes ``mb``."""
        return truncate_digits(csd_digits(mb, self.b_width), self.d)

    def core_model(self, ma, mb):
        return np.asarray(ma, dtype=np.int64) * self.approximate_b(mb)

    def core_rtl(self, m, ma, mb):
        from amaranth.hdl import Cat, Const, Mux, Signal, unsigned

        from ._rtl import add_rtl, leading_one_rtl, shift_left_rtl

        nb, width = self.b_width, self.p_width
        # CSD digits: with h = x >> 1 and t = x + h, the non-zero digits are where h and t
        # differ; positive where t has the 1, negative where h has it
        half = Signal(unsigned(nb + 1), name="csd_half")
        m.d.comb += half.eq(mb >> 1)
        three_half = add_rtl(m, mb, half, nb + 1, "csd_3half")
        pos = Signal(unsigned(nb + 1), name="csd_pos")
        neg = Signal(unsigned(nb + 1), name="csd_neg")
        m.d.comb += [
            pos.eq(three_half & (three_half ^ half)),
            neg.eq(half & (three_half ^ half)),
        ]
        mask = Signal(unsigned(nb + 1), name="csd_nonzero")
        m.d.comb += mask.eq(pos | neg)
        total = None
        for k in range(self.d):
            where, valid = leading_one_rtl(m, mask, nb + 1, f"csd_d{k}")
            lead = Signal(unsigned(nb + 1), name=f"csd_d{k}_onehot")
            m.d.comb += lead.eq(Cat(*[mask[i] & ~mask[i + 1:].any() if i < nb else mask[i]
                                      for i in range(nb + 1)]))
            negative = Signal(name=f"csd_d{k}_neg")
            m.d.comb += negative.eq((neg & lead).any())
            shifted = shift_left_rtl(m, ma, where, width, f"csd_d{k}")
            # -x = ~x + 1 (mod 2^width); the result is non-negative, so wrapping is exact
            negated = add_rtl(m, ~shifted, Const(1, 1), width, f"csd_d{k}_negated")
            term = Signal(unsigned(width), name=f"csd_term{k}")
            m.d.comb += term.eq(Mux(valid, Mux(negative, negated, shifted), 0))
            total = term if total is None else add_rtl(m, total, term, width, f"csd_sum{k}")
            nxt = Signal(unsigned(nb + 1), name=f"csd_rest{k}")
            m.d.comb += nxt.eq(mask & ~lead)
            mask = nxt
        return total
