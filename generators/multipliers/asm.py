"""The alphabet-set multiplier (ASM) of Sarwar, Venkataramani, Ankit, Raghunathan and Roy
(ACM JETC 2018).

The weight operand ``b`` is cut into ``quartet``-bit segments (quartets, 4 bits in the
paper). A pre-computer bank computes ``α·a`` for every *alphabet* ``α`` of a small set of odd
numbers (e.g. {1, 3}); each quartet value ``v`` is then realised as one alphabet multiple
shifted left, ``α·2^s``, selected and shifted per quartet, and the shifted multiples are
added. Quartet values that are not of that form are rounded to the nearest one that is::

    R  = {0} ∪ {α·2^s : α ∈ alphabets, s >= 0, α·2^s < 2^w}   (w = the quartet's width)
    v' = the element of R nearest to v (ties: the larger one)
    b' = Σ_i v_i'·2^(quartet·i),   a·b ≈ a·b'

With the full set of odd alphabets {1, 3, …, 2^quartet - 1} every quartet is exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit

if TYPE_CHECKING:
    from amaranth.hdl import Module, Signal, Value

__all__ = ["AlphabetSet", "representable", "round_quartet"]


def representable(alphabets, width: int) -> list[int]:
    """Sorted values ``α·2^s < 2^width`` (and 0) a ``width``-bit quartet can take."""
    values = {0}
    for alpha in alphabets:
        v = alpha
        while v < (1 << width):
            values.add(v)
            v <<= 1
    return sorted(values)


def round_quartet(alphabets, width: int) -> list[int]:
    """``table[v]``: the representable value nearest to ``v`` (ties to the larger)."""
    reps = representable(alphabets, width)
    # the last candidate at the smallest distance is the larger one of a tie
    return [min(reversed(reps), key=lambda r: abs(r - v)) for v in range(1 << width)]


def _odd_split(value: int) -> tuple[int, int]:
    """``value = alpha·2^shift`` with ``alpha`` odd (value > 0)."""
    shift = (value & -value).bit_length() - 1
    return value >> shift, shift


@register
class AlphabetSet(SignMagnitudeUnit):
    """b in quartets, each realised as alphabet × 2^s from a pre-computed bank of α·a."""

    family = "asm"
    description = (
        "alphabet-set multiplier: b split in quartets, each quartet realised as "
        "alphabet x 2^s from the pre-computer bank (alphabet x a), rounded to the nearest "
        "representable value"
    )
    citation = (
        "S. S. Sarwar, S. Venkataramani, A. Ankit, A. Raghunathan and K. Roy, "
        "'Energy-efficient neural computing with approximate multipliers', ACM Journal on "
        "Emerging Technologies in Computing Systems 14(2), article 16, 2018"
    )
    notes = (
        "Quartets are taken from the least significant bit of b (of |b|, n bits, when "
        "signed); when b_width is not a multiple of quartet the top segment is narrower and "
        "only values below 2^(its width) are representable in it. Each quartet is rounded on "
        "its own to the nearest value alphabet x 2^s (or 0) of its width, ties to the larger "
        "value, with no carry into the next quartet. alphabets must be odd and strictly "
        "increasing. signed=true: sign-magnitude (|-2^(n-1)| = 2^(n-1) included)."
    )
    params = (
        Param("quartet", int, 4, "bits of b per segment", min=1, max=8),
        Param("alphabets", tuple, (1, 3), "odd alphabets in the pre-computer bank",
              item_min=1, item_max="2 ** quartet - 1"),
    )
    weight_operand = "b"

    @classmethod
    def check(cls, values: dict) -> None:
        alphabets = list(values["alphabets"])
        even = [x for x in alphabets if x % 2 == 0]
        if even:
            raise ValueError(
                f"Parameter 'alphabets' must hold odd integers (an even alphabet is an odd one "
                f"shifted), not {alphabets}"
            )
        if any(x >= y for x, y in zip(alphabets, alphabets[1:])):
            raise ValueError(
                f"Parameter 'alphabets' must be strictly increasing, not {alphabets}"
            )

    @property
    def quartet(self) -> int:
        return self._params["quartet"]

    @property
    def alphabets(self) -> tuple[int, ...]:
        return self._params["alphabets"]

    def segments(self) -> list[tuple[int, int]]:
        """``(lowest bit, width)`` of each segment of b, least significant first."""
        q, nb = self.quartet, self.b_width
        return [(lo, min(q, nb - lo)) for lo in range(0, nb, q)]

    def approximate_b(self, mb) -> np.ndarray:
        """``b'``: every segment of the magnitudes ``mb`` rounded to a representable value."""
        mb = np.asarray(mb, dtype=np.int64)
        out = np.zeros(mb.shape, dtype=np.int64)
        for lo, w in self.segments():
            table = np.array(round_quartet(self.alphabets, w), dtype=np.int64)
            out += table[(mb >> lo) & ((1 << w) - 1)] << lo
        return out

    def core_model(self, ma, mb):
        return np.asarray(ma, dtype=np.int64) * self.approximate_b(mb)

    def _bank(self, m: Module, ma: Value) -> dict[int, Signal]:
        """The pre-computer bank: ``α·a`` for every alphabet, by shift-and-add."""
        from amaranth.hdl import Cat, Const, Signal, unsigned

        from ._rtl import add_rtl

        bank: dict[int, Signal] = {}
        na = self.a_width
        for alpha in self.alphabets:
            width = na + alpha.bit_length()
            acc: Value | None = None
            for j in range(alpha.bit_length()):
                if (alpha >> j) & 1:
                    term = Cat(Const(0, j), ma) if j else ma
                    acc = term if acc is None else add_rtl(m, acc, term, width,
                                                           f"asm_pre{alpha}_{j}")
            sig = Signal(unsigned(width), name=f"asm_pre{alpha}")
            m.d.comb += sig.eq(acc)
            bank[alpha] = sig
        return bank

    def core_rtl(self, m, ma, mb):
        from amaranth.hdl import Cat, Const, Mux, Signal, unsigned

        from ._rtl import add_rtl, matches_rtl

        width = self.p_width
        bank = self._bank(m, ma)
        total: Value | None = None
        for idx, (lo, w) in enumerate(self.segments()):
            digit = mb[lo:lo + w]
            table = round_quartet(self.alphabets, w)
            # one select line per distinct (alpha, shift) the table uses
            choices: dict[int, list[int]] = {}
            for v, r in enumerate(table):
                if r:
                    choices.setdefault(r, []).append(v)
            term = Signal(unsigned(width), name=f"asm_q{idx}")
            value: Value = Const(0, width)
            for r, vs in sorted(choices.items()):
                alpha, shift = _odd_split(r)
                hit = Signal(name=f"asm_q{idx}_is{r}")
                m.d.comb += hit.eq(Cat(*[matches_rtl(digit, v, w) for v in vs]).any())
                shifted = Cat(Const(0, lo + shift), bank[alpha])[:width]
                value = Mux(hit, shifted, value)
            m.d.comb += term.eq(value)
            total = term if total is None else add_rtl(m, total, term, width, f"asm_sum{idx}")
        return total
