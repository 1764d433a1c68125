"""The under-designed multiplier of Kulkarni, Gupta and Ercegovac (VLSID 2011).

Its building block is a 2×2 multiplier that is exact except for ``3 × 3``, which it returns
as ``7`` (``111₂``) instead of ``9`` (``1001₂``), so the block needs three output bits and
three gates (``p0 = a0 b0``, ``p1 = a1 b0 | a0 b1``, ``p2 = a1 b1``). Larger multipliers
are composed recursively from four half-size multipliers and exact adders
(``A·B = AH·BH·2^2h + (AH·BL + AL·BH)·2^h + AL·BL``); unrolled, an ``n``×``m`` multiplier
is the exact sum of the 2×2 blocks ``a_i × b_j`` of the operands' 2-bit digits, of weight
``4^(i+j)``.

Blocks: the operands are split in 2-bit digits from the least significant bit (an odd width
gets a 1-bit top digit, whose blocks can never see ``3 × 3``). The ``ceil(na/2)·ceil(nb/2)``
blocks are ordered by weight ``i + j``, then by the digit index ``i`` of ``a``; the first
``blocks`` of them are the approximate block, the rest exact. The default (absent) makes
every block approximate, which is the paper's design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit

if TYPE_CHECKING:
    from amaranth.hdl import Module

__all__ = ["Kulkarni", "block_order", "block_product"]


def block_order(na: int, nb: int) -> list[tuple[int, int]]:
    """The 2×2 blocks ``(i, j)`` (digit of a, digit of b) in approximation order."""
    da, db = (na + 1) // 2, (nb + 1) // 2
    return sorted(((i, j) for i in range(da) for j in range(db)), key=lambda t: (t[0] + t[1],
                                                                                t[0]))


def block_product(x, y, approximate) -> np.ndarray:
    """The 2×2 block on digits ``x``, ``y`` (0..3): exact, or 7 for 3×3 where approximate."""
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    return np.where(approximate & (x == 3) & (y == 3), 7, x * y)


@register
class Kulkarni(SignMagnitudeUnit):
    """Recursive composition of 2x2 blocks; the `blocks` lowest-order blocks are 3x3 -> 7."""

    family = "kulkarni"
    description = (
        "under-designed multiplier: 2x2 blocks (approximate block: 3 x 3 = 7) composed "
        "recursively with exact adders; the `blocks` lowest-order blocks are approximate"
    )
    citation = (
        "P. Kulkarni, P. Gupta and M. D. Ercegovac, 'Trading accuracy for power with an "
        "underdesigned multiplier architecture', Proc. 24th International Conference on VLSI "
        "Design (VLSID), pp. 346-351, 2011"
    )
    notes = (
        "Operands are split in 2-bit digits from the LSB (an odd width gets a 1-bit top "
        "digit). Blocks a_i x b_j have weight 4^(i+j) and are ordered by (i + j, i); the "
        "first `blocks` are approximate (absent: all, the paper's design; 0: exact). The "
        "recursive composition with exact adders equals the exact sum of all blocks. "
        "signed=true: sign-magnitude around the unsigned core (|-2^(n-1)| = 2^(n-1) "
        "included)."
    )
    params = (
        Param("blocks", int, None, "lowest-order 2x2 blocks that are approximate (absent: all)",
              min=0, max="((a_width + 1) // 2) * ((b_width + 1) // 2)"),
    )

    @property
    def blocks(self) -> int:
        """How many blocks are approximate."""
        given = self._params["blocks"]
        return len(block_order(self.a_width, self.b_width)) if given is None else given

    def approximate_blocks(self) -> list[tuple[int, int]]:
        return block_order(self.a_width, self.b_width)[: self.blocks]

    def core_model(self, ma, mb):
        ma = np.asarray(ma, dtype=np.int64)
        mb = np.asarray(mb, dtype=np.int64)
        approx = set(self.approximate_blocks())
        total = np.zeros(np.broadcast(ma, mb).shape, dtype=np.int64)
        for i, j in block_order(self.a_width, self.b_width):
            x, y = (ma >> (2 * i)) & 3, (mb >> (2 * j)) & 3
            total += block_product(x, y, (i, j) in approx) << (2 * (i + j))
        return total

    def core_rtl(self, m: Module, ma, mb):
        from ._rtl import bits_to_value, tree_rows

        na, nb, width = self.a_width, self.b_width, self.p_width
        approx = set(self.approximate_blocks())
        rows = []

        def digit(x, n, k):
            return [x[2 * k + t] if 2 * k + t < n else None for t in range(2)]

        for i, j in block_order(na, nb):
            a0, a1 = digit(ma, na, i)
            b0, b1 = digit(mb, nb, j)
            w = 2 * (i + j)
            rows.append(self._block(m, a0, a1, b0, b1, w, (i, j) in approx, f"blk{i}_{j}"))
        bits = tree_rows(m, rows, width, prefix="kul_")
        return bits_to_value(bits)

    @staticmethod
    def _block(m, a0, a1, b0, b1, w: int, approximate: bool, name: str) -> dict:
        """The bits (weight → bit) of one 2×2 block; missing digit bits are constant 0."""
        from amaranth.hdl import Signal

        def a(x, y):
            return None if x is None or y is None else x & y

        p00, p10, p01, p11 = a(a0, b0), a(a1, b0), a(a0, b1), a(a1, b1)
        row = {}

        def put(k, v):
            if v is not None:
                s = Signal(name=f"{name}_p{k}")
                m.d.comb += s.eq(v)
                row[w + k] = s

        if approximate:
            put(0, p00)
            put(1, p10 if p01 is None else (p01 if p10 is None else p10 | p01))
            put(2, p11)
            return row
        # exact 2x2: p1 = p10 ^ p01, carry c = p10 & p01; p2 = p11 ^ c; p3 = p11 & c
        put(0, p00)
        if p10 is not None and p01 is not None:
            c = p10 & p01
            put(1, p10 ^ p01)
            put(2, p11 ^ c if p11 is not None else c)
            put(3, p11 & c if p11 is not None else None)
        else:
            put(1, p10 if p01 is None else p01)
            put(2, p11)
        return row
