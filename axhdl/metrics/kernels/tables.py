"""Fast paths built from per-operand or per-row tables of the golden model itself (the
compressor's correction table: :class:`LowPartPlan`).

* **Field-additive** units: for a fixed operand a, the result is a sum over fixed bit fields
  of operand b (modulo the result width). Then ``p(a, b) = p(a, 0) + Σ_k (p(a, b_k) − p(a, 0))``
  with ``b_k`` the operand whose only non-zero field is field k of b, so 2^f model
  evaluations per field and row replace one per pair. This holds for every unit whose
  :meth:`model_polynomial` has no monomial with two bits of b (the partial-product families,
  operand truncation, the exact units, the adders without carry chains across b's fields),
  for perforation controlled at run time (``reconfigurable``) and for Kulkarni's multiplier,
  whose unsigned core is a sum of 2×2-block products (fields of even width). For the
  sign-magnitude units (``kulkarni``) the fields are those of |b| and the tables come from the
  unsigned core; the sign is applied as in
  :func:`generators.multipliers._signmag.signmag_model`.
* **Separable** sign-magnitude units, whose unsigned core is ``A(|a|)·B(|b|)`` for per-operand
  approximations A and B (DRUM, DSM, SSM, power-of-two, CSD and alphabet-set recoding) and the
  near-zero approximation (``a·b`` with either operand replaced by 0 when near zero): A and B
  come from the family's own numpy helpers, tabulated over every operand value.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._core import wrap

__all__ = ["FieldsPlan", "SeparablePlan", "LowPartPlan"]

#: bits per field of operand b (tables of 2^FIELD entries per field and row of operand a)
FIELD = 4


def _fields(nb: int, width: int) -> list[tuple[int, int]]:
    """(shift, bits) of each field of an ``nb``-bit operand."""
    return [(s, min(width, nb - s)) for s in range(0, nb, width)]


@njit(cache=True)
def _fill_fields(base, table, r0, r1, a, b, nb, fw, signmag, p_width, signed, out):
    nf = (nb + fw - 1) // fw
    vmask = (np.int64(1) << fw) - 1
    cmask = (np.int64(1) << nb) - 1
    size = np.int64(1) << fw
    for r in range(r0, r1):
        q0 = base[r]
        neg_a = signmag and a[r] < 0
        for c in range(b.size):
            x = b[c]
            if signmag:
                neg = neg_a != (x < 0)
                v = -x if x < 0 else x
            else:
                neg = False
                v = x & cmask
            q = q0
            for k in range(nf):
                q += table[r, k * size + ((v >> (k * fw)) & vmask)]
            out[r - r0, c] = wrap(-q if neg else q, p_width, signed)


class FieldsPlan:
    """A field-additive unit: see the module docstring."""

    def __init__(self, unit, controls: dict, *, signmag: bool, field: int = FIELD) -> None:
        from axhdl.unit import from_code

        self.unit, self.controls, self.signmag = unit, controls, signmag
        nb = unit.b_width
        self.fw = max(1, min(field, nb))
        self.nb = nb
        self.op = 1 if unit.kind == "adder" else 0
        size = 1 << self.fw
        probes = np.zeros(len(_fields(nb, self.fw)) * size, dtype=np.int64)
        for k, (shift, bits) in enumerate(_fields(nb, self.fw)):
            probes[k * size:k * size + (1 << bits)] = np.arange(1 << bits) << shift
        self.valid = np.zeros(probes.size, dtype=bool)
        for k, (_, bits) in enumerate(_fields(nb, self.fw)):
            self.valid[k * size:k * size + (1 << bits)] = True
        # probe values of b: magnitudes for the core, operand values (from codes) otherwise
        self.probes = probes if signmag else from_code(probes, nb, unit.signed)

    def prepare(self, a: np.ndarray) -> tuple:
        unit = self.unit
        if self.signmag:
            ma = np.abs(a) if unit.signed else a
            vals = np.asarray(unit.core_model(ma[:, None], self.probes[None, :]), dtype=np.int64)
            base = np.asarray(unit.core_model(ma, np.zeros_like(ma)), dtype=np.int64)
        else:
            vals = np.asarray(unit.model(a[:, None], self.probes[None, :], **self.controls),
                              dtype=np.int64)
            base = np.asarray(unit.model(a, np.zeros_like(a), **self.controls), dtype=np.int64)
        vals = np.broadcast_to(vals, (a.size, self.probes.size))
        table = np.where(self.valid[None, :], vals - base[:, None], 0)
        return np.ascontiguousarray(base), self._bytes(table)

    def _bytes(self, table: np.ndarray) -> np.ndarray:
        """Tables of two adjacent fields merged into one of 2^(2f) entries (their sums): half
        the look-ups per pair."""
        size, nf = 1 << self.fw, len(_fields(self.nb, self.fw))
        v = np.arange(size * size)
        merged = []
        for k in range(0, nf, 2):
            part = table[:, k * size + (v % size)]
            if k + 1 < nf:
                part = part + table[:, (k + 1) * size + (v // size)]
            merged.append(part)
        return np.ascontiguousarray(np.concatenate(merged, axis=1))

    def fill(self, prep, r0: int, r1: int, a, b, out) -> None:
        base, table = prep
        _fill_fields(base, table, r0, r1, a, b, self.nb, 2 * self.fw, self.signmag,
                     self.unit.p_width, self.unit.signed, out)


@njit(cache=True)
def _fill_separable(sa, sb, alo, blo, r0, r1, a, b, p_width, signed, out):
    for r in range(r0, r1):
        x = sa[a[r] - alo]
        for c in range(b.size):
            out[r - r0, c] = wrap(x * sb[b[c] - blo], p_width, signed)


def _signed_map(fn, lo: int, hi: int, signed: bool) -> np.ndarray:
    """``sign(x)·fn(|x|)`` for every operand value x in lo..hi (index x - lo)."""
    x = np.arange(lo, hi + 1, dtype=np.int64)
    m = np.abs(x) if signed else x
    v = np.asarray(fn(m), dtype=np.int64)
    v = np.broadcast_to(v, x.shape)
    return np.ascontiguousarray(np.where(x < 0, -v, v))


def _identity(m):
    return m


def _helper(unit, name: str):
    """A numpy helper of the module that defines ``unit``'s family (its golden model's)."""
    import sys

    return getattr(sys.modules[type(unit).__module__], name)


def _separable_maps(unit):
    """(A, B, sign-magnitude) per-operand maps of a separable family."""
    fam = unit.family
    if fam == "drum":
        drum_operand = _helper(unit, "drum_operand")
        return (lambda m: drum_operand(m, unit.a_width, unit.k),
                lambda m: drum_operand(m, unit.b_width, unit.k), True)
    if fam == "dsm":
        dsm_operand = _helper(unit, "dsm_operand")
        return (lambda m: dsm_operand(m, unit.a_width, unit.m),
                lambda m: dsm_operand(m, unit.b_width, unit.m), True)
    if fam == "ssm":
        ssm_operand = _helper(unit, "ssm_operand")
        return (lambda m: ssm_operand(m, unit.a_width, unit.m),
                lambda m: ssm_operand(m, unit.b_width, unit.m), True)
    if fam == "pot":
        nearest_power_of_two = _helper(unit, "nearest_power_of_two")
        return _identity, lambda m: nearest_power_of_two(m, unit.b_width), True
    if fam in ("csd", "asm"):
        return _identity, unit.approximate_b, True
    if fam == "nza":
        near_zero = _helper(unit, "near_zero")
        def keep(width):
            return lambda x: np.where(near_zero(x, width, unit.signed, unit.threshold), 0, x)

        return keep(unit.a_width), keep(unit.b_width), False
    raise KeyError(fam)


class SeparablePlan:
    """A unit whose result is ``wrap(A'(a)·B'(b))``: see the module docstring."""

    op = 0

    def __init__(self, unit, controls: dict) -> None:
        self.unit = unit
        fa, fb, signmag = _separable_maps(unit)
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        if signmag:
            self.sa = _signed_map(fa, alo, ahi, unit.signed)
            self.sb = _signed_map(fb, blo, bhi, unit.signed)
        else:
            self.sa = np.ascontiguousarray(fa(np.arange(alo, ahi + 1, dtype=np.int64)))
            self.sb = np.ascontiguousarray(fb(np.arange(blo, bhi + 1, dtype=np.int64)))
        self.alo, self.blo = alo, blo

    def prepare(self, a: np.ndarray) -> None:
        return None

    def fill(self, prep, r0: int, r1: int, a, b, out) -> None:
        _fill_separable(self.sa, self.sb, self.alo, self.blo, r0, r1, a, b,
                        self.unit.p_width, self.unit.signed, out)


#: largest correction table of :class:`LowPartPlan` (entries)
MAX_LOW_TABLE = 1 << 20


@njit(cache=True)
def _fill_lowpart(corr, mx, my, r0, r1, a, b, p_width, signed, out):
    pmask = (np.int64(1) << p_width) - 1
    for r in range(r0, r1):
        x = a[r]
        ma = -x if x < 0 else x
        row = corr[ma & mx]
        for c in range(b.size):
            y = b[c]
            mb = -y if y < 0 else y
            q = (ma * mb + row[mb & my]) & pmask
            out[r - r0, c] = wrap(-q if (x < 0) != (y < 0) else q, p_width, signed)


class LowPartPlan:
    """The compressor multiplier (``compressor``): an unsigned core that is the exact product
    plus an error that depends only on the partial-product bits of the ``k`` approximate
    columns, i.e. on ``|a| mod 2^k`` and ``|b| mod 2^k``.

    Why: every cell outside the approximate columns (full and half adders, exact 4:2
    compressors, the final ripple-carry adder) preserves the weighted sum of its inputs; an
    approximate compressor of column c < k reads only bits of columns <= c (partial products
    a_i·b_j with i + j <= c, and outputs of cells of those columns). So
    ``core(ma, mb) = ma·mb + D(ma mod 2^k, mb mod 2^k)`` modulo 2^p_width with
    ``D(x, y) = core(x, y) − x·y``, tabulated by the golden core over ``x, y < 2^k`` (at most
    :data:`MAX_LOW_TABLE` entries; a larger k has no fast path)."""

    op = 0

    def __init__(self, unit, controls: dict) -> None:
        self.unit = unit
        kx, ky = min(unit.k, unit.a_width), min(unit.k, unit.b_width)
        x = np.arange(1 << kx, dtype=np.int64)[:, None]
        y = np.arange(1 << ky, dtype=np.int64)[None, :]
        core = np.asarray(unit.core_model(x, y), dtype=np.int64)
        self.corr = np.ascontiguousarray(np.broadcast_to(core - x * y, (x.size, y.size)))
        self.mx, self.my = (1 << kx) - 1, (1 << ky) - 1

    @staticmethod
    def fits(unit) -> bool:
        bits = min(unit.k, unit.a_width) + min(unit.k, unit.b_width)
        return 1 << bits <= MAX_LOW_TABLE

    def prepare(self, a: np.ndarray) -> None:
        return None

    def fill(self, prep, r0: int, r1: int, a, b, out) -> None:
        _fill_lowpart(self.corr, self.mx, self.my, r0, r1, a, b, self.unit.p_width,
                      self.unit.signed, out)
