"""Partial-product perforation: whole partial-product rows are never generated.

G. Zervakis, K. Tsoumanis, S. Xydis, D. Soudris, K. Pekmestzi, "Design-efficient approximate
multiplication circuits through partial product perforation", IEEE Trans. VLSI Systems
24(10), 2016. The partial product of row ``j`` is ``a·b_j·2^j`` (rows are the bits of operand
``b``); perforation omits the ``m`` rows ``start … start+m−1``, so the unit computes
``a·b − a·Σ_{j perforated} b_j·2^j``. For uniformly distributed unsigned operands the paper's
error moments follow from the independence of ``a`` and the perforated bits of ``b``:
``E[ε] = −E[a]·E[B_P]`` and ``Var[ε] = E[a²]·E[B_P²] − E[a]²·E[B_P]²`` with
``B_P = Σ_{j perforated} b_j·2^j`` (:func:`error_moments`).
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import kept_pair_terms, pair_polynomial, wrap

__all__ = ["Perforated", "perforated_product", "error_moments", "uniform_moments"]


def perforated_product(a, b, na: int, nb: int, signed: bool, kept_row) -> np.ndarray:
    """Σ over kept rows ``j`` of a·b_j·2^j·s_j (s_j = −1 for the sign row of a signed ``b``).

    ``kept_row(j)`` returns a bool or a boolean array (per operand pair). The sum is the
    product's value; it always fits the ``na + nb``-bit result.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    total = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.int64)
    for j in range(nb):
        weight = -(1 << j) if signed and j == nb - 1 else 1 << j
        bj = (b >> j) & 1
        total += np.where(kept_row(j), a * bj * weight, 0)
    return total


def uniform_moments(width: int, signed: bool) -> tuple[float, float]:
    """E[x] and E[x²] of a uniformly distributed ``width``-bit operand."""
    lo = -(1 << (width - 1)) if signed else 0
    hi = lo + (1 << width) - 1
    n = hi - lo + 1
    mean = (lo + hi) / 2
    # Σ x² over lo..hi via the square-sum formula
    sq = (hi * (hi + 1) * (2 * hi + 1) - (lo - 1) * lo * (2 * lo - 1)) / 6
    return mean, sq / n


def error_moments(na: int, nb: int, m: int, start: int, signed: bool = False):
    """Mean and variance of the perforation error a·b' − a·b for uniform, independent
    operands (Zervakis et al. 2016): ε = −a·B_P, B_P the perforated part of b."""
    ea, ea2 = uniform_moments(na, signed)
    # the perforated bits are independent fair coins; the sign row (if perforated) weighs −2^j
    weights = [(-(1 << j) if signed and j == nb - 1 else 1 << j)
               for j in range(start, start + m)]
    ebp = sum(w / 2 for w in weights)
    var_bp = sum(w * w / 4 for w in weights)
    ebp2 = var_bp + ebp * ebp
    mean = -ea * ebp
    var = ea2 * ebp2 - (ea * ebp) ** 2
    return mean, var


@register
class Perforated(AmaranthUnit):
    """``m`` partial-product rows starting at row ``start`` are not generated."""

    family = "perforated"
    description = "partial-product perforation: rows start..start+m-1 (bits of b) omitted"
    citation = (
        "G. Zervakis, K. Tsoumanis, S. Xydis, D. Soudris, K. Pekmestzi, 'Design-efficient "
        "approximate multiplication circuits through partial product perforation', IEEE "
        "Trans. VLSI Systems 24(10), 2016"
    )
    notes = (
        "Rows are the bits of b: the unit computes a*b' where b' is b with bits "
        "start..start+m-1 cleared. Signed operands: a perforated row removes its two's-"
        "complement value a*b_j*2^j (the sign row weighs -2^(b_width-1)); in the Baugh-Wooley "
        "array this removes the row's bits and its share of the Baugh-Wooley constant, so "
        "the error stays -a*B_P as in the unsigned case. The remaining rows are summed by a "
        "ripple-carry array, as in exact arch=array."
    )
    weight_operand = "b"
    params = (
        Param("m", int, 2, "number of perforated partial-product rows", min=0, max="b_width"),
        Param("start", int, 0, "first perforated row (bit of b)", min=0, max="b_width - 1"),
    )

    @classmethod
    def check(cls, values: dict) -> None:
        m, start, nb = values["m"], values["start"], values["b_width"]
        if start + m > nb:
            raise ValueError(
                f"Parameters 'start' + 'm' must be at most b_width ({nb}), "
                f"not {start} + {m} = {start + m}"
            )

    @property
    def m(self) -> int:
        return self._params["m"]

    @property
    def start(self) -> int:
        return self._params["start"]

    @property
    def perforated_rows(self) -> range:
        return range(self.start, self.start + self.m)

    def model_polynomial(self) -> dict[tuple, int]:
        rows = self.perforated_rows
        return pair_polynomial(self.a_width, self.b_width, self.signed,
                               lambda i, j: j not in rows)

    def model(self, a, b, **controls):
        rows = self.perforated_rows
        total = perforated_product(a, b, self.a_width, self.b_width, self.signed,
                                   lambda j: j not in rows)
        return wrap(total, self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, ripple_rows, term_rows

        m = Module()
        rows = self.perforated_rows
        terms = kept_pair_terms(self.a_width, self.b_width, self.signed,
                                lambda i, j: j not in rows)
        bits = ripple_rows(m, term_rows(terms, io.a, io.b, self.p_width), self.p_width,
                           prefix="row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
