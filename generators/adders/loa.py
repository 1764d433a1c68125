"""LOA, the lower-part OR adder (Mahdiani, Ahmadi, Fakhraie and Lucas, TCAS-I 2010).

The ``l`` least significant result bits are ``a_i | b_i``; the upper part adds the operand
bits from ``l`` up exactly. In the paper's design the carry into the upper part is
``a[l-1] & b[l-1]`` (``carry=true``); several libraries drop it (``carry=false``)::

    p = ((a >> l) + (b >> l) + c) · 2^l + ((a | b) mod 2^l),   c = a[l-1] & b[l-1] or 0

With ``x = (a mod 2^l) & (b mod 2^l)`` the error is ``ED = c·2^l - x`` (because
``a + b = (a | b) + (a & b)``): an error occurs exactly when ``x != 0``, with probability
``1 - (3/4)^l`` for uniform operands in both variants. Without the carry
``E[ED] = -(2^l - 1)/4`` and the mean absolute error is ``(2^l - 1)/4``; with it the bias is
``E[ED] = 1/4`` and the mean absolute error ``(3·2^(l-1) - 1)/8``.
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, low_bits, wrap

__all__ = ["LOA"]


@register
class LOA(AmaranthUnit):
    """Lower ``l`` bits ORed, the upper part exact (carry in ``a[l-1] & b[l-1]``)."""

    family = "loa"
    operation_class = Addition
    description = (
        "lower-part OR adder: the l low result bits are a|b, the upper part adds exactly "
        "with carry-in a[l-1]&b[l-1] (carry=true) or none"
    )
    citation = (
        "H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie and C. Lucas, 'Bio-inspired imprecise "
        "computational blocks for efficient VLSI implementation of soft-computing "
        "applications', IEEE Trans. Circuits and Systems I 57(4), pp. 850-862, 2010"
    )
    notes = (
        "carry=true is the paper's design: an AND gate on a[l-1], b[l-1] feeds the carry-in "
        "of the exact upper part; carry=false drops it (as several libraries do). l=0 is the "
        "exact adder; l=width ORs every operand bit, the upper part is the result's top bit "
        "alone. The upper part is a ripple-carry adder. signed=true: the same circuit, the "
        "upper part adding the sign-extended upper fields (a >> l) + (b >> l), so the low "
        "part's error is the same for both signednesses; for l=width the result "
        "wraps to width+1 bits as the circuit does (e.g. carry=false: -1 + -1 gives 2^width - 1)."
    )
    params = (
        Param("l", int, 4, "low result bits computed as a|b", min=0, max="width"),
        Param("carry", bool, True, "carry a[l-1]&b[l-1] into the upper part (the paper's)"),
    )

    @property
    def l(self) -> int:  # noqa: E743 - the paper's name
        return self._params["l"]

    @property
    def carry(self) -> bool:
        return self._params["carry"]

    def carry_in(self, a, b):
        """The carry into the upper part: ``a[l-1] & b[l-1]`` (or 0)."""
        if not self.carry or self.l == 0:
            return 0
        return (as_int64(a) >> (self.l - 1)) & (as_int64(b) >> (self.l - 1)) & 1

    def model(self, a, b, **controls):
        a, b, low = as_int64(a), as_int64(b), self.l
        upper = field(a, low) + field(b, low) + self.carry_in(a, b)
        return wrap((upper << low) + low_bits(a | b, low), self.p_width, self.signed)

    def model_polynomial(self) -> dict[tuple, int]:
        from .exact_add import sum_polynomial

        n, low = self.a_width, self.l
        poly = sum_polynomial(n, self.signed, low=low)
        for i in range(low):  # a_i | b_i = a_i + b_i - a_i b_i
            w = -(1 << i) if self.signed and i == n - 1 else 1 << i
            poly[(("a", i),)] = w
            poly[(("b", i),)] = w
            poly[(("a", i), ("b", i))] = -w
        if self.carry and low > 0:
            key = (("a", low - 1), ("b", low - 1))
            poly[key] = poly.get(key, 0) + (1 << low)
        return poly

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, extended_bits, gate, ripple

        m = Module()
        n, low = self.a_width, self.l
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        ors = [gate(m, "|", xs[i], ys[i], f"lo{i}") for i in range(low)]
        cin = None
        if self.carry and low > 0:
            cin = gate(m, "&", xs[low - 1], ys[low - 1], "lo_carry")
        upper, _ = ripple(m, xs[low:], ys[low:], "up", cin=cin)
        m.d.comb += io.p.eq(bits_to_value(ors + upper))
        return m
