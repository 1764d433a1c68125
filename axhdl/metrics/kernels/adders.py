"""Fast paths of the adders whose carries cross operand b's fields (``eta1``, ``carry_cut``,
``aca``, ``gear``): each family's golden model (``generators/adders``), written per pair
with the same field arithmetic (``x >> s`` is the floor shift of :mod:`generators.adders._model`,
numba's ``>>`` on int64 as numpy's) and compiled. The adders whose polynomial is field-additive
(``exact_add``, ``loa``, ``trunc_add``) take :class:`.tables.FieldsPlan` instead."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._core import wrap

__all__ = ["AdderPlan"]


@njit(cache=True, inline="always")
def _low(x, count):
    return x & ((np.int64(1) << count) - 1)


@njit(cache=True, inline="always")
def _eta1(x, y, k):
    xl = _low(x, k)
    yl = _low(y, k)
    ones = xl & yl  # smeared below its leading one: the mask of leading_one_mask
    ones |= ones >> 1
    ones |= ones >> 2
    ones |= ones >> 4
    ones |= ones >> 8
    ones |= ones >> 16
    ones |= ones >> 32
    low = ((xl ^ yl) & ~ones) | ones
    return (((x >> k) + (y >> k)) << k) + low


@njit(cache=True, inline="always")
def _carry_cut(x, y, c):
    return (((x >> c) + (y >> c)) << c) + _low(x + y, c)


@njit(cache=True, inline="always")
def _aca(x, y, n, k):
    """ACA without a loop over the result bits: the carry into bit i is the group generate
    of bits i-k..i-1 (fewer at the bottom), built for all bits at once from spans of 1, 2,
    4, ... bits composed along the binary digits of k (the Kogge-Stone levels of the RTL);
    bit n adds the operands' extension bits (their sign bits when signed, else 0)."""
    mask = (np.int64(1) << n) - 1
    xa = x & mask
    ya = y & mask
    g = xa & ya
    p = xa ^ ya
    acc_g = np.int64(0)
    acc_p = np.int64(-1)
    length = 0
    span = 1
    rest = k
    while rest:
        if rest & 1:
            acc_g = acc_g | (acc_p & (g << length))
            acc_p = acc_p & (p << length)
            length += span
        rest >>= 1
        if rest:
            g = g | (p & (g << span))
            p = p & (p << span)
            span <<= 1
    low = (xa ^ ya ^ (acc_g << 1)) & mask
    top = (acc_g >> (n - 1)) & 1
    top ^= ((x >> n) ^ (y >> n)) & 1  # extension bits: the sign bits, or 0 (unsigned)
    return low | (top << n)


@njit(cache=True, inline="always")
def _gear(x, y, start, end, first):
    total = np.int64(0)
    last = start.size - 1
    for j in range(last):
        length = end[j] - start[j]
        window = _low(x >> start[j], length) + _low(y >> start[j], length)
        total += _low(window >> (first[j] - start[j]), end[j] - first[j]) << first[j]
    top = ((x >> start[last]) + (y >> start[last])) >> (first[last] - start[last])
    return total + (top << first[last])


@njit(cache=True)
def _fill(kind, p0, p1, start, end, first, r0, r1, a, b, p_width, signed, out):
    for r in range(r0, r1):
        x = a[r]
        for c in range(b.size):
            y = b[c]
            if kind == 0:
                v = _eta1(x, y, p0)
            elif kind == 1:
                v = _carry_cut(x, y, p0)
            elif kind == 2:
                v = _aca(x, y, p0, p1)
            else:
                v = _gear(x, y, start, end, first)
            out[r - r0, c] = wrap(v, p_width, signed)


_KINDS = {"eta1": 0, "carry_cut": 1, "aca": 2, "gear": 3}


class AdderPlan:
    """One of the adders above (see the module docstring)."""

    op = 1

    def __init__(self, unit, controls: dict) -> None:
        self.unit = unit
        fam = unit.family
        self.kind = _KINDS[fam]
        self.p0 = self.p1 = 0
        none = np.zeros(1, dtype=np.int64)
        self.start = self.end = self.first = none
        if fam == "eta1":
            self.p0 = unit.k
        elif fam == "carry_cut":
            self.p0 = unit.c
        elif fam == "aca":
            self.p0, self.p1 = unit.a_width, unit.k
        else:
            subs = unit.sub_adders
            self.start = np.array([s.start for s in subs], dtype=np.int64)
            self.end = np.array([s.end for s in subs], dtype=np.int64)
            self.first = np.array([s.first for s in subs], dtype=np.int64)

    def prepare(self, a: np.ndarray) -> None:
        return None

    def fill(self, prep, r0: int, r1: int, a, b, out) -> None:
        _fill(self.kind, self.p0, self.p1, self.start, self.end, self.first, r0, r1, a, b,
              self.unit.p_width, self.unit.signed, out)
