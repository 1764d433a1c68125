"""The broken-array multiplier (BAM): carry-save cells below two break levels are omitted.

H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie, C. Lucas, "Bio-inspired imprecise computational
blocks for efficient VLSI implementation of soft-computing applications", IEEE Trans.
Circuits and Systems I 57(4), 2010. The horizontal break level ``hbl`` removes the rows
``j < hbl`` (bits of ``b``); the vertical break level ``vbl`` removes every partial product
``a_i·b_j`` with ``i + j < vbl``. For uniform unsigned operands each removed bit has mean ¼,
so the mean error is ``−¼·Σ_{removed} 2^(i+j)`` (:func:`mean_error_closed_form`).
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import kept_pair_terms, pair_polynomial, wrap

__all__ = ["BrokenArray", "mean_error_closed_form"]


def mean_error_closed_form(na: int, nb: int, hbl: int, vbl: int) -> float:
    """E[approx − exact] of the unsigned BAM for uniform operands: −¼·Σ 2^(i+j) over the
    removed partial products (each a_i·b_j is 1 with probability ¼)."""
    removed = sum(1 << (i + j) for i in range(na) for j in range(nb) if j < hbl or i + j < vbl)
    return -removed / 4


@register
class BrokenArray(AmaranthUnit):
    """Partial products in rows ``j < hbl`` or with ``i + j < vbl`` are not generated."""

    family = "broken_array"
    description = "broken-array multiplier: rows j < hbl and bits a_i*b_j with i+j < vbl omitted"
    citation = (
        "H. R. Mahdiani, A. Ahmadi, S. M. Fakhraie, C. Lucas, 'Bio-inspired imprecise "
        "computational blocks for efficient VLSI implementation of soft-computing "
        "applications', IEEE Trans. Circuits and Systems I 57(4), 2010"
    )
    notes = (
        "Rows are the bits of b. Signed operands: every omitted partial product a_i*b_j takes "
        "its two's-complement weight (+-2^(i+j)) with it, i.e. the Baugh-Wooley constant "
        "loses the share of each omitted complemented bit, so the unit computes the sum of "
        "the kept pairs' signed products. The kept bits are summed by a ripple-carry array, "
        "as in exact arch=array."
    )
    params = (
        Param("hbl", int, 1, "horizontal break level: rows j < hbl omitted",
              min=0, max="b_width"),
        Param("vbl", int, 7, "vertical break level: bits with i + j < vbl omitted",
              min=0, max="a_width + b_width - 1"),
    )

    @property
    def hbl(self) -> int:
        return self._params["hbl"]

    @property
    def vbl(self) -> int:
        return self._params["vbl"]

    def kept(self, i: int, j: int) -> bool:
        """Whether the partial product a_i·b_j is generated."""
        return j >= self.hbl and i + j >= self.vbl

    def model_polynomial(self) -> dict[tuple, int]:
        return pair_polynomial(self.a_width, self.b_width, self.signed, self.kept)

    def model(self, a, b, **controls):
        na, nb = self.a_width, self.b_width
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        total = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.int64)
        for i in range(na):
            for j in range(nb):
                if not self.kept(i, j):
                    continue
                sign = -1 if self.signed and ((i == na - 1) != (j == nb - 1)) else 1
                total += sign * (((a >> i) & (b >> j) & 1) << (i + j))
        return wrap(total, self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, ripple_rows, term_rows

        m = Module()
        terms = kept_pair_terms(self.a_width, self.b_width, self.signed, self.kept)
        bits = ripple_rows(m, term_rows(terms, io.a, io.b, self.p_width), self.p_width,
                           prefix="row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
