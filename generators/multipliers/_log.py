"""Golden-model helpers shared by the logarithmic, segment-based and recoding families.

On non-negative int64 arrays: :func:`bit_length`, the characteristic/fraction split of
Mitchell's logarithm (:func:`log_split`) and the segment operations of DRUM / DSM
(:func:`leading_segment`). Their hardware counterparts (leading-one detector, barrel
shifter, ripple-carry adder, leading segments and their shifted product) are in
:mod:`._rtl`; this module needs numpy only.
"""

from __future__ import annotations

import numpy as np

from axhdl.hdl import leading_one

__all__ = ["bit_length", "log_split", "leading_segment"]


def bit_length(x, width: int) -> np.ndarray:
    """Number of significant bits of each non-negative ``x`` (0 for 0), ``x < 2**width``."""
    return leading_one(np.asarray(x, dtype=np.int64), width) + 1


def log_split(x, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mitchell's decomposition ``x = 2^k (1 + f / 2^k)`` of non-negative integers.

    Returns ``(k, f)``: the characteristic ``k`` (position of the leading one; 0 for ``x = 0``)
    and the integer ``f = x - 2^k`` whose value divided by ``2^k`` is the fraction
    (mantissa minus one) of Mitchell's binary logarithm ``log2 x ≈ k + f / 2^k``.
    ``x = 0`` gives ``(0, 0)``; callers detect zero separately.
    """
    x = np.asarray(x, dtype=np.int64)
    k = np.maximum(leading_one(x, width), 0)
    f = np.where(x > 0, x - (np.int64(1) << k), 0)
    return k, f


def leading_segment(x, width: int, seg: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``seg``-bit segment of ``x`` that starts at its leading one, and its shift.

    Returns ``(s, shift)`` with ``x = s·2^shift + (the bits below the segment)``; operands
    below ``2^seg`` are their own segment (``shift = 0``).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.maximum(bit_length(x, width) - seg, 0)
    return x >> shift, shift
