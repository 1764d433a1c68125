"""The exact adder: the baseline every approximate adder is measured against.

Architectures: ``operator`` (Amaranth's ``+``, the architecture left to synthesis),
``ripple`` (a chain of full adders), ``kogge_stone`` and ``brent_kung`` (parallel-prefix
carry networks of generate/propagate cells).
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64

__all__ = ["ExactAdd", "ARCHITECTURES", "sum_polynomial"]

#: the architectures of the exact adder
ARCHITECTURES = ("operator", "ripple", "kogge_stone", "brent_kung")


def sum_polynomial(width: int, is_signed: bool, low: int = 0) -> dict[tuple, int]:
    """``a + b`` restricted to the operand bits from ``low`` up, as a polynomial over the
    operand bits (the top bit weighs ``-2^(width-1)`` when signed)."""
    poly: dict[tuple, int] = {}
    for name in ("a", "b"):
        for i in range(low, width):
            weight = 1 << i
            if is_signed and i == width - 1:
                weight = -weight
            poly[((name, i),)] = weight
    return poly


@register
class ExactAdd(AmaranthUnit):
    """Exact sum ``a + b``."""

    family = "exact_add"
    operation_class = Addition
    description = (
        "exact adder (baseline): Amaranth '+', ripple-carry, Kogge-Stone or Brent-Kung "
        "parallel-prefix"
    )
    citation = (
        "Ripple-carry: full adders in a chain; P. M. Kogge and H. S. Stone, 'A parallel "
        "algorithm for the efficient solution of a general class of recurrence equations', "
        "IEEE Trans. Computers C-22(8), 1973; R. P. Brent and H. T. Kung, 'A regular layout "
        "for parallel adders', IEEE Trans. Computers C-31(3), 1982"
    )
    notes = (
        "arch=operator leaves the architecture to synthesis; the others are written out gate "
        "by gate. The prefix networks compute the carries of the width operand bits from "
        "per-bit generate (a_i & b_i) and propagate (a_i ^ b_i); Kogge-Stone combines every "
        "position at each of ceil(log2 width) levels, Brent-Kung builds the prefixes at "
        "positions 2^t - 1 in an up-sweep and fills the others in a down-sweep. Result bit "
        "width is the carry out (unsigned) or the sign of the sign-extended sum (signed: "
        "a[width-1] ^ b[width-1] ^ carry)."
    )
    params = (
        Param("arch", str, "operator", "architecture of the RTL", choices=ARCHITECTURES),
    )

    @property
    def arch(self) -> str:
        return self._params["arch"]

    def model(self, a, b, **controls):
        return as_int64(a) + as_int64(b)

    def model_polynomial(self) -> dict[tuple, int]:
        return sum_polynomial(self.a_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import (
            bits_to_value,
            brent_kung,
            extended_bits,
            gate,
            generate_propagate,
            kogge_stone,
            ripple,
            sum_bits,
        )

        m = Module()
        n = self.a_width
        if self.arch == "operator":
            m.d.comb += io.p.eq(io.a + io.b)
            return m
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        if self.arch == "ripple":
            bits, _ = ripple(m, xs, ys, "fa")
        else:
            g, p = generate_propagate(m, xs[:n], ys[:n], "pre")
            network = kogge_stone if self.arch == "kogge_stone" else brent_kung
            carries = network(m, g, p, "ks" if self.arch == "kogge_stone" else "bk")
            p.append(gate(m, "^", xs[n], ys[n], f"pre_p{n}"))
            bits = sum_bits(m, p, carries, "s")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
