"""The truncated adder: the ``k`` low result bits are 0, the operands' ``k`` low bits ignored.

The upper part adds the operand bits from ``k`` up exactly, with no carry from below::

    p = ((a >> k) + (b >> k)) · 2^k

so ``ED = -((a mod 2^k) + (b mod 2^k))``: for uniform operands ``E[ED] = -(2^k - 1)``,
``Var(ED) = (4^k - 1)/6`` and the error rate is ``1 - 4^-k``.
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, wrap

__all__ = ["TruncAdd", "trunc_add_mean_error"]


def trunc_add_mean_error(k: int) -> float:
    """E[approx - exact] for uniform operands: minus the mean of two uniform k-bit numbers."""
    return -float((1 << k) - 1)


@register
class TruncAdd(AmaranthUnit):
    """The k low result bits forced to 0; the upper part exact, no carry from below."""

    family = "trunc_add"
    operation_class = Addition
    description = (
        "truncated adder: the k low result bits are 0 and the operands' k low bits ignored; "
        "the upper part adds exactly"
    )
    citation = (
        "Operand truncation of the least significant bits, the reference design of "
        "approximate-adder surveys, e.g. H. Jiang, J. Han and F. Lombardi, 'A comparative "
        "review and evaluation of approximate adders', Proc. ACM Great Lakes Symposium on "
        "VLSI (GLSVLSI), pp. 343-348, 2015"
    )
    notes = (
        "No carry and no compensation constant enter the upper part (the error is biased by "
        "-(2^k - 1) on average). The upper part is a ripple-carry adder. k=0 is exact; "
        "k=width keeps only the result's top bit. signed=true: the same circuit, the upper "
        "part adding the sign-extended upper fields (a >> k) + (b >> k); for k=width the "
        "result wraps to width+1 bits as the circuit does (the top bit is a[w-1] ^ b[w-1])."
    )
    params = (
        Param("k", int, 4, "low result bits forced to 0 (operand bits ignored)",
              min=0, max="width"),
    )

    @property
    def k(self) -> int:
        return self._params["k"]

    def model(self, a, b, **controls):
        a, b, k = as_int64(a), as_int64(b), self.k
        return wrap((field(a, k) + field(b, k)) << k, self.p_width, self.signed)

    def model_polynomial(self) -> dict[tuple, int]:
        from .exact_add import sum_polynomial

        return sum_polynomial(self.a_width, self.signed, low=self.k)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, extended_bits, ripple

        m = Module()
        n, k = self.a_width, self.k
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        upper, _ = ripple(m, xs[k:], ys[k:], "up")
        m.d.comb += io.p.eq(bits_to_value([None] * k + upper))
        return m
