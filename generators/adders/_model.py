"""The arithmetic shared by the adders' golden models (numpy only, no Amaranth).

Every adder reads its operands the same way. An operand value ``x`` (signed or not) of
``width`` bits has the bit pattern ``x mod 2^width``; its *field* from bit ``s`` up is
``x >> s`` with Python's floor shift, i.e. the upper bits read as a number of their own,
sign-extended when the operand is signed. An approximate adder whose upper part adds exactly
computes ``((a >> s) + (b >> s)) << s`` there, which is the same bit-level circuit for both
signednesses: the upper part of a signed adder is its unsigned circuit on the sign-extended
operands. Results are reduced to the ``width + 1``-bit result (:func:`wrap`).
"""

from __future__ import annotations

import numpy as np

from axhdl.hdl import wrap

__all__ = ["as_int64", "wrap", "low_bits", "field", "leading_one_mask"]


def as_int64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def low_bits(x, count: int) -> np.ndarray:
    """The ``count`` least significant bits of ``x`` as an unsigned number."""
    return as_int64(x) & ((1 << count) - 1)


def field(x, start: int) -> np.ndarray:
    """The bits of ``x`` from ``start`` up, as a number (sign-extended for negative ``x``)."""
    return as_int64(x) >> start


def leading_one_mask(x, width: int) -> np.ndarray:
    """``2^(i+1) - 1`` where ``i`` is the most significant set bit of ``x`` (``width`` bits);
    0 where ``x`` is 0: the mask of the leading one and every bit below it."""
    x = as_int64(x)
    mask = np.zeros(x.shape, dtype=np.int64)
    for i in range(width):
        mask = np.where(((x >> i) & 1) == 1, (2 << i) - 1, mask)
    return mask
