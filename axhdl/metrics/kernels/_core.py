"""Compiled (numba) accumulation of the exhaustive error statistics over one block of pairs.

:func:`accumulate` is the compiled counterpart of :meth:`axhdl.metrics.accumulate.Partial.add`
for uniform operands: it reads a block of approximate results (rows of operand a times the
operand-b values), forms the exact results itself, and updates the same sufficient statistics
in place, with the same tile geometry as the numpy path (:data:`axhdl.metrics.engine.TILE`):

* ``ist`` (int64): pairs, erroneous pairs, Σ ED, Σ |ED|, max |ED|;
* ``ust`` (uint64): Σ ED² as a 128-bit integer (low word, high word);
* ``fst`` (float64): the RED and |RED| moments (weight, mean, squared deviations) of every
  tile merged pairwise, and max |RED|.

The integer sums are exact; the float moments follow the numpy path tile by tile and differ
from it only in the order of the additions inside a tile.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _setup

_setup()  # numba's cache directory, before the first decorator below

__all__ = ["accumulate", "wrap", "MUL", "ADD"]

MUL = 0  # exact result a * b
ADD = 1  # exact result a + b

_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def wrap(x, width, signed):
    """``x`` modulo ``2^width`` read as a ``width``-bit value (as :func:`axhdl.hdl.wrap`)."""
    m = x & ((np.int64(1) << width) - 1)
    if signed and (m >> (width - 1)) & 1:
        m -= np.int64(1) << width
    return m


@njit(cache=True, inline="always")
def _merge(fst, base, w, mean, m2):
    """Pairwise (Chan, Golub and LeVeque) merge of moments into ``fst[base:base + 3]``."""
    if w <= 0.0:
        return
    w0 = fst[base]
    if w0 <= 0.0:
        fst[base] = w
        fst[base + 1] = mean
        fst[base + 2] = m2
        return
    total = w0 + w
    delta = mean - fst[base + 1]
    fst[base + 1] += delta * (w / total)
    fst[base + 2] += m2 + delta * delta * (w0 * w / total)
    fst[base] = total


@njit(cache=True, inline="always")
def _add128(ust, v, shift):
    """(ust[1], ust[0]) += v·2^shift for 0 <= v < 2^63, 0 <= shift < 64 (exact)."""
    u = np.uint64(v)
    lo_part = u << np.uint64(shift)
    hi_part = (u >> np.uint64(64 - shift)) if shift else np.uint64(0)
    lo = ust[0] + lo_part
    if lo < lo_part:
        ust[1] += np.uint64(1)
    ust[0] = lo
    ust[1] += hi_part


@njit(cache=True, fastmath={"reassoc", "nsz", "nnan"})
def _pair_sums(buf, wbuf, n, squares, mean, mean_a, blocks):
    """(Σ w·t(v), Σ w·t'(v), max |v|) over ``v = buf[:n]``, weights ``w = wbuf[:n]`` (1 or
    0; finite values only): t, t' = v, |v| or, with ``squares``, (v − mean)², (|v| − mean_a)².
    Blocks of 128 values (summed in any order, i.e. vectorised), block sums added pairwise:
    the error grows with log2(n), as numpy's sum."""
    nblk = (n + 127) // 128
    top = 0.0
    for k in range(nblk):
        lo = k * 128
        hi = min(lo + 128, n)
        s = 0.0
        sa = 0.0
        if squares:
            for i in range(lo, hi):
                v = buf[i]
                d = v - mean
                da = abs(v) - mean_a
                w = wbuf[i]
                s += w * (d * d)
                sa += w * (da * da)
        else:
            for i in range(lo, hi):
                v = buf[i]
                s += v
                av = abs(v)
                sa += av
                top = max(top, av)
        blocks[k] = s
        blocks[nblk + k] = sa
    out = np.zeros(2)
    for half in range(2):
        off = half * nblk
        m = nblk
        while m > 1:
            h = m // 2
            for j in range(h):
                blocks[off + j] = blocks[off + 2 * j] + blocks[off + 2 * j + 1]
            if m % 2:
                blocks[off + h] = blocks[off + m - 1]
                m = h + 1
            else:
                m = h
        out[half] = blocks[off] if nblk else 0.0
    return out[0], out[1], top


@njit(cache=True)
def accumulate(a, b, approx, cols, op, ist, ust, fst, buf, wbuf):
    """Add the pairs ``a[r] x b[c]`` (results ``approx[r, c]``) to the statistics, one tile
    (all rows of the block times ``cols`` values of b) at a time.

    Σ ED² is exact for |ED| < 2^40: |ED| = h·2^16 + l splits it into Σh², Σhl and Σl², each
    within int64 over a tile. The RED of each pair goes to ``buf`` (0 where the exact result
    is 0) and its weight (1, or 0 there) to ``wbuf``; its moments are two-pass (mean, then
    squared deviations), summed pairwise."""
    rows = a.size
    nb = b.size
    size = rows * min(cols, nb)
    blocks = np.empty(2 * ((size + 127) // 128) + 2)
    for c0 in range(0, nb, cols):
        c1 = min(c0 + cols, nb)
        width = c1 - c0
        nz = 0
        n_err = 0
        s1 = np.int64(0)
        a1 = np.int64(0)
        shh = np.int64(0)
        shl = np.int64(0)
        sll = np.int64(0)
        wce = np.int64(0)
        for r in range(rows):
            x_a = a[r]
            row = approx[r]
            base = r * width
            for j in range(width):  # indices provably >= 0: no wrap-around checks
                x = x_a * b[c0 + j] if op == 0 else x_a + b[c0 + j]
                e = row[c0 + j] - x
                ae = -e if e < 0 else e
                n_err += 1 if e != 0 else 0
                s1 += e
                a1 += ae
                wce = ae if ae > wce else wce
                h = ae >> 16
                lo = ae & 0xFFFF
                shh += h * h
                shl += h * lo
                sll += lo * lo
                ok = x != 0
                nz += 1 if ok else 0
                buf[base + j] = e / np.float64(x) if ok else 0.0
                wbuf[base + j] = 1.0 if ok else 0.0
        ist[0] += rows * width
        ist[1] += n_err
        ist[2] += s1
        ist[3] += a1
        if wce > ist[4]:
            ist[4] = wce
        _add128(ust, shh, 32)
        _add128(ust, 2 * shl, 16)
        _add128(ust, sll, 0)
        if nz > 0:
            n = rows * width
            total = np.float64(nz)
            s, sa, top = _pair_sums(buf, wbuf, n, False, 0.0, 0.0, blocks)
            if top > fst[6]:
                fst[6] = top
            mean = s / total
            mean_a = sa / total
            m2, m2a, _ = _pair_sums(buf, wbuf, n, True, mean, mean_a, blocks)
            _merge(fst, 0, total, mean, m2)
            _merge(fst, 3, total, mean_a, m2a)
