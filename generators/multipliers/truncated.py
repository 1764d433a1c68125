"""Column-truncated (fixed-width) multiplier: partial-product bits of weight below 2^k are
never generated; an optional constant restores a zero mean error."""

from __future__ import annotations

import math

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import expected_value, pp_terms, pp_value, terms_polynomial, wrap

__all__ = ["Truncated", "truncation_constant"]


def truncation_constant(na: int, nb: int, signed: bool, k: int) -> int:
    """The correction constant: E[dropped partial-product bits] for uniform operands,
    rounded to the nearest multiple of 2^k (ties away from zero)."""
    dropped = [t for t in pp_terms(na, nb, signed) if t.weight < k]
    mean = expected_value(dropped, signed)
    grid = 1 << k
    return int(math.floor(mean / grid + 0.5)) * grid


@register
class Truncated(AmaranthUnit):
    """Partial products of weight below 2^k removed from the array."""

    family = "truncated"
    description = "column truncation: partial-product bits of weight < 2^k are not generated"
    citation = (
        "M. J. Schulte and E. E. Swartzlander, 'Truncated multiplication with correction "
        "constant', VLSI Signal Processing VI, IEEE, 1993"
    )
    notes = (
        "Signed operands use the modified Baugh-Wooley array; its complemented and constant "
        "bits below 2^k are dropped as well. correction=constant adds E[dropped bits] for "
        "uniform operands, rounded to a multiple of 2^k (ties away from zero). The result "
        "wraps modulo 2^(a_width+b_width) as the hardware does."
    )
    params = (
        Param("k", int, 4, "partial-product columns removed (weights 2^0 .. 2^(k-1))",
              min=0, max="a_width + b_width"),
        Param("correction", str, "none", "error compensation", choices=("none", "constant")),
    )

    @property
    def k(self) -> int:
        return self._params["k"]

    @property
    def correction_constant(self) -> int:
        """The constant added to the kept partial products (0 without correction)."""
        if self._params["correction"] == "none":
            return 0
        return truncation_constant(self.a_width, self.b_width, self.signed, self.k)

    def kept_terms(self):
        return [t for t in pp_terms(self.a_width, self.b_width, self.signed) if t.weight >= self.k]

    def model_polynomial(self) -> dict[tuple, int]:
        return terms_polynomial(self.kept_terms(), self.correction_constant)

    def model(self, a, b, **controls):
        total = pp_value(self.kept_terms(), a, b, self.a_width, self.b_width)
        return wrap(total + self.correction_constant, self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, ripple_rows, term_rows

        m = Module()
        rows = term_rows(self.kept_terms(), io.a, io.b, self.p_width,
                         extra_constant=self.correction_constant)
        bits = ripple_rows(m, rows, self.p_width, prefix="row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m


def mean_error_closed_form(na: int, nb: int, k: int) -> float:
    """E[approx − exact] of the uncorrected unsigned truncated multiplier for uniform operands:
    −¼ Σ_{c<k} n_c 2^c, with n_c the number of partial-product bits in column c."""
    total = 0.0
    for c in range(min(k, na + nb)):
        n_c = sum(1 for i in range(na) if 0 <= c - i < nb)
        total += n_c * (1 << c)
    return -total / 4


