"""The exact multiplier: the baseline every approximate design is measured against."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import pp_terms, ripple_rows, term_rows

__all__ = ["Exact", "bits_to_value"]


def bits_to_value(bits: list):
    """Concatenate a list of bits (None = constant 0), LSB first."""
    return Cat(*[Const(0, 1) if b is None else b for b in bits])


@register
class Exact(AmaranthUnit):
    """Exact product ``a * b``."""

    family = "exact"
    description = "exact multiplier (baseline): Amaranth '*' or an explicit partial-product array"
    citation = (
        "Array: ripple-carry partial-product array; signed: C. R. Baugh and B. A. Wooley, "
        "'A two's complement parallel array multiplication algorithm', IEEE Trans. "
        "Computers C-22(12), 1973"
    )
    notes = (
        "arch=operator leaves the architecture to synthesis; arch=array builds the "
        "partial-product array explicitly, one ripple-carry adder per row, signed operands in "
        "modified Baugh-Wooley form."
    )
    params = (
        Param("arch", str, "operator", "architecture of the RTL", choices=("operator", "array")),
    )

    @property
    def arch(self) -> str:
        return self._params["arch"]

    def model(self, a, b, **controls):
        return self.exact(a, b)

    def elaborate(self, platform):
        m = Module()
        if self.arch == "operator":
            m.d.comb += self.p.eq(self.a * self.b)
            return m
        terms = pp_terms(self.a_width, self.b_width, self.signed)
        rows = term_rows(terms, self.a, self.b, self.p_width)
        bits = ripple_rows(m, rows, self.p_width, prefix="row")
        m.d.comb += self.p.eq(bits_to_value(bits))
        return m
