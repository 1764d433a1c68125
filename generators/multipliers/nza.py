"""Near-zero approximation (Huan et al., IEEE SOCC 2016): multiplications with an operand
close to zero are skipped.

An operand "is near zero" when it has at least ``threshold`` leading zeros; the product is
then 0, otherwise exact. For unsigned ``n``-bit operands that is ``x < 2^(n - threshold)``.
For signed operands the leading zeros are counted in the ``n - 1`` magnitude bits of the
sign-magnitude form, i.e. ``|x| < 2^(n - 1 - threshold)`` (the most negative value,
magnitude ``2^(n-1)``, has none). This reading is symmetric: ``x`` is near zero exactly when
``-x`` is. A two's-complement reading would count the copies of the sign bit below the sign
instead (leading zeros of a non-negative ``x``, leading ones of a negative one); it accepts
``-2^(n-1-threshold) <= x < 2^(n-1-threshold)``, one more value than the sign-magnitude
reading: ``x = -2^(n-1-threshold)`` (``-16`` at ``n = 8``, ``threshold = 3``). Counting the
raw leading zeros of the two's-complement bit pattern would never make a negative operand
near zero. The public abstract of Huan et al. speaks of leading-zero counting with an
adjustable threshold and does not settle the signed case; axhdl uses the sign-magnitude
reading in both its model and its hardware.

In hardware the near-zero flags gate both operands of an exact array multiplier to zero
(operand isolation), which is what saves the switching energy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import pp_terms

if TYPE_CHECKING:
    from amaranth.hdl import Module, Signal

__all__ = ["NearZero", "near_zero"]


def near_zero(x, width: int, is_signed: bool, threshold: int) -> np.ndarray:
    """Whether operands ``x`` have at least ``threshold`` leading zeros (see module doc)."""
    x = np.asarray(x, dtype=np.int64)
    bits = width - 1 if is_signed else width  # magnitude bits whose leading zeros count
    mag = np.abs(x) if is_signed else x
    if threshold >= bits:
        return mag == 0
    return mag < (np.int64(1) << (bits - threshold))


@register
class NearZero(AmaranthUnit):
    """Exact product, forced to 0 when either operand has >= threshold leading zeros."""

    family = "nza"
    description = (
        "near-zero approximation: the product is 0 when either operand has at least "
        "`threshold` leading zeros, exact otherwise"
    )
    citation = (
        "Y. Huan, Y. Qin, Y. You, L. Zheng and Z. Zou, 'A multiplication reduction technique "
        "with near-zero approximation for embedded learning in IoT devices', Proc. IEEE "
        "International System-on-Chip Conference (SOCC), pp. 102-107, 2016"
    )
    notes = (
        "Unsigned: near zero means x < 2^(n - threshold). Signed: leading zeros of the n-1 "
        "magnitude bits, i.e. |x| < 2^(n - 1 - threshold) (sign-magnitude reading, symmetric "
        "in x and -x; the most negative value is never near zero). The two's-complement "
        "reading (copies of the sign bit below it) would accept one more value, "
        "x = -2^(n - 1 - threshold) (-16 at n = 8, threshold = 3), which is not near zero "
        "here. A threshold beyond an operand's bits leaves "
        "only 0 near zero. The non-zero path is the exact array multiplier (Baugh-Wooley "
        "when signed) with both operands gated to 0, so the saving is energy, not area."
    )
    params = (
        Param("threshold", int, 4, "leading zeros that make an operand 'near zero'",
              min=1, max="max(a_width, b_width)"),
    )

    @property
    def threshold(self) -> int:
        return self._params["threshold"]

    def model(self, a, b, **controls):
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        zero = near_zero(a, self.a_width, self.signed, self.threshold) | near_zero(
            b, self.b_width, self.signed, self.threshold
        )
        return np.where(zero, 0, a * b)

    def _near_zero_rtl(self, m: Module, x, width: int, name: str) -> Signal:
        from amaranth.hdl import Mux, Signal

        flag = Signal(name=f"{name}_near_zero")
        t = self.threshold
        if self.signed:
            mag = Signal(width, name=f"{name}_mag")
            m.d.comb += mag.eq(Mux(x[width - 1], -x, x))
            low = width - 1 - t  # |x| < 2^low  <=>  mag[low:] == 0
            m.d.comb += flag.eq(~mag[max(low, 0):].any())
        else:
            m.d.comb += flag.eq(~x[max(width - t, 0):].any())
        return flag

    def rtl(self, io):
        from amaranth.hdl import Module, Mux, Signal

        from ._rtl import bits_to_value, ripple_rows, term_rows

        m = Module()
        na, nb = self.a_width, self.b_width
        skip = Signal(name="nza_skip")
        m.d.comb += skip.eq(self._near_zero_rtl(m, io.a, na, "nza_a")
                            | self._near_zero_rtl(m, io.b, nb, "nza_b"))
        a_g = Signal(io.a.shape(), name="nza_a_gated")
        b_g = Signal(io.b.shape(), name="nza_b_gated")
        m.d.comb += [a_g.eq(Mux(skip, 0, io.a)), b_g.eq(Mux(skip, 0, io.b))]
        terms = pp_terms(na, nb, self.signed)
        rows = term_rows(terms, a_g, b_g, self.p_width)
        bits = ripple_rows(m, rows, self.p_width, prefix="nza_row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
