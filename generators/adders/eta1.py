"""ETA-I, the error-tolerant adder type I (Zhu, Goh, Wang, Yeo, TVLSI 2010).

The operands are split at bit ``k``. The upper (accurate) part adds bits ``k`` and up
exactly, with no carry from below. The lower (inaccurate) part is scanned from its most
significant bit down: each bit is ``a_i XOR b_i`` until the first position where both operand
bits are 1; that position and every bit below it are set to 1. So the low part never exceeds
``(a mod 2^k) + (b mod 2^k)``: for unsigned operands the unit never over-estimates.
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, leading_one_mask, low_bits, wrap

__all__ = ["ETA1", "eta1_low_part"]


def eta1_low_part(a, b, k: int):
    """The inaccurate part of ETA-I on the ``k`` low operand bits: XOR above the highest
    position where both bits are 1, all ones from there down."""
    a, b = low_bits(a, k), low_bits(b, k)
    ones = leading_one_mask(a & b, k)
    return ((a ^ b) & ~ones) | ones


@register
class ETA1(AmaranthUnit):
    """Upper part exact; the k low bits XORed down to the top carry-generating position,
    all ones below it."""

    family = "eta1"
    operation_class = Addition
    description = (
        "error-tolerant adder I: upper part exact without carry; in the k low bits, XOR from "
        "the top down to the first position where both bits are 1, then all ones"
    )
    citation = (
        "N. Zhu, W. L. Goh, W. Zhang, K. S. Yeo and Z. H. Kong, 'Design of low-power "
        "high-speed truncation-error-tolerant adder and its application in digital signal "
        "processing', IEEE Trans. VLSI Systems 18(8), pp. 1225-1229, 2010"
    )
    notes = (
        "The control signals of the paper's inaccurate part are an OR chain from bit k-1 "
        "down (bit i is set when some position i..k-1 has both bits 1), each result bit "
        "(a_i ^ b_i) | control_i. The upper part is a ripple-carry adder. k=0 is exact; "
        "k=width makes the upper part the result's top bit alone. signed=true: the same "
        "circuit, the upper part adding the sign-extended upper fields (a >> k) + (b >> k); "
        "the low part's error is the same as unsigned, so the unit never over-estimates for "
        "k < width either (for k=width the result wraps to width+1 bits as the circuit does)."
    )
    params = (
        Param("k", int, 4, "bits of the inaccurate lower part", min=0, max="width"),
    )

    @property
    def k(self) -> int:
        return self._params["k"]

    def model(self, a, b, **controls):
        a, b, k = as_int64(a), as_int64(b), self.k
        upper = (field(a, k) + field(b, k)) << k
        return wrap(upper + eta1_low_part(a, b, k), self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, extended_bits, gate, ripple

        m = Module()
        n, k = self.a_width, self.k
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        low = [None] * k
        control = None
        for i in reversed(range(k)):
            both = gate(m, "&", xs[i], ys[i], f"lo{i}_g")
            control = gate(m, "|", control, both, f"lo{i}_ctl")
            low[i] = gate(m, "|", gate(m, "^", xs[i], ys[i], f"lo{i}_x"), control, f"lo{i}")
        upper, _ = ripple(m, xs[k:], ys[k:], "up")
        m.d.comb += io.p.eq(bits_to_value(low + upper))
        return m
