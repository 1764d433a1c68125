"""The exact multiplier: the baseline every approximate design is measured against.

Architectures: ``operator`` (Amaranth's ``*``, left to synthesis), ``array`` (one ripple-carry
adder per partial-product row), ``wallace`` and ``dadda`` (column-compression trees of the same
partial-product matrix, then a ripple-carry adder) and ``booth`` (radix-4 Booth recoding of
``b``, rows reduced by a Dadda tree). Signed partial products use the modified Baugh–Wooley
form; see :mod:`._pp` and :mod:`._trees`.
"""

from __future__ import annotations

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import pair_polynomial, pp_terms
from ._trees import constant_columns, dadda_plan, term_columns, wallace_plan

__all__ = ["Exact"]

@register
class Exact(AmaranthUnit):
    """Exact product ``a * b``."""

    family = "exact"
    description = (
        "exact multiplier (baseline): Amaranth '*', partial-product array, Wallace or Dadda "
        "tree, or radix-4 Booth"
    )
    citation = (
        "Array: ripple-carry partial-product array; signed: C. R. Baugh and B. A. Wooley, "
        "'A two's complement parallel array multiplication algorithm', IEEE Trans. "
        "Computers C-22(12), 1973; C. S. Wallace, 'A suggestion for a fast multiplier', IEEE "
        "Trans. Electronic Computers EC-13(1), 1964; L. Dadda, 'Some schemes for parallel "
        "multipliers', Alta Frequenza 34, 1965; O. L. MacSorley, 'High-speed arithmetic in "
        "binary computers', Proc. IRE 49(1), 1961 (radix-4 Booth)"
    )
    notes = (
        "arch=operator leaves the architecture to synthesis; arch=array builds the "
        "partial-product array explicitly, one ripple-carry adder per row; signed operands in "
        "modified Baugh-Wooley form (array, wallace, dadda). arch=wallace reduces the matrix "
        "greedily (a full adder per three bits of a column; a half adder for a leftover pair "
        "only where the column would stay above Dadda's height for the stage) "
        "and arch=dadda to Dadda's heights 2, 3, 4, 6, 9, ...; both end in a "
        "ripple-carry adder. arch=booth recodes b in radix 4 (digits -2..2) and reduces the "
        "rows with a Dadda tree; unsigned operands are recoded as (b_width+1)-bit numbers with "
        "a zero sign bit, so booth serves both signednesses. Sign extension of the Booth rows "
        "uses the complemented-sign-bit constant."
    )
    params = (
        Param("arch", str, "operator", "architecture of the RTL",
              choices=("operator", "array", "wallace", "dadda", "booth")),
    )

    @property
    def arch(self) -> str:
        return self._params["arch"]

    def model_polynomial(self) -> dict[tuple, int]:
        return pair_polynomial(self.a_width, self.b_width, self.signed, lambda i, j: True)

    def model(self, a, b, **controls):
        return self.exact(a, b)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import (
            bits_to_value,
            booth_columns_rtl,
            plan_rtl,
            ripple_rows,
            term_columns_rtl,
            term_rows,
        )

        m = Module()
        if self.arch == "operator":
            m.d.comb += io.p.eq(io.a * io.b)
            return m
        width = self.p_width
        if self.arch == "booth":
            leaves = booth_columns_rtl(m, io.a, io.b, self.a_width, self.b_width,
                                       self.signed, width)
            bits = plan_rtl(m, dadda_plan([len(c) for c in leaves], width), leaves)
            m.d.comb += io.p.eq(bits_to_value(bits))
            return m
        terms = pp_terms(self.a_width, self.b_width, self.signed)
        if self.arch == "array":
            rows = term_rows(terms, io.a, io.b, width)
            bits = ripple_rows(m, rows, width, prefix="row")
        else:
            cols = term_columns(terms, width)
            heights = [len(c) for c in cols]
            plan = (wallace_plan(heights, width, ones=constant_columns(cols))
                    if self.arch == "wallace" else dadda_plan(heights, width))
            bits = plan_rtl(m, plan, term_columns_rtl(m, cols, io.a, io.b))
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
