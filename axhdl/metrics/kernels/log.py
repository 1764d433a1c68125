"""Fast path of the logarithmic multipliers (``mitchell``, ``mbm``): the datapath of
:func:`generators.multipliers.mitchell.log_product` per pair, compiled, with each operand's
characteristic and kept fraction tabulated once per operand value by the golden model's own
helpers (``log_split`` of the family's package)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._core import wrap

__all__ = ["LogPlan"]


@njit(cache=True)
def _fill_log(ka, xa, kb, xb, alo, blo, big_f, drop, correction, bypass, r0, r1, a, b,
              p_width, signed, out):
    one = np.int64(1) << big_f
    corr0 = np.int64(correction) << drop
    corr1 = np.int64(correction >> 1) << drop
    for r in range(r0, r1):
        ia = a[r] - alo
        k_a = ka[ia]
        x_a = xa[ia]
        zero_a = a[r] == 0
        neg_a = a[r] < 0
        for c in range(b.size):
            y = b[c]
            if zero_a or y == 0:
                out[r - r0, c] = 0
                continue
            ib = y - blo
            total = x_a + xb[ib]
            carry = 1 if total >= one else 0
            frac = total - carry * one
            mantissa = one + frac + (corr1 if carry else corr0)
            if bypass and carry and mantissa >= 2 * one:
                mantissa = one + frac
            e = k_a + kb[ib] + carry - big_f
            q = mantissa << e if e >= 0 else mantissa >> (-e)
            out[r - r0, c] = wrap(-q if neg_a != (y < 0) else q, p_width, signed)


def _sibling(unit, name: str):
    """Module ``name`` of the package that defines ``unit``'s family."""
    import importlib

    package = type(unit).__module__.rpartition(".")[0]
    return importlib.import_module(f"{package}.{name}")


def _operand_tables(log_split, lo: int, hi: int, width: int, signed: bool, big_f: int,
                    drop: int, force_lsb: bool) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(lo, hi + 1, dtype=np.int64)
    m = np.abs(x) if signed else x
    k, f = log_split(m, width)
    frac = ((f << (big_f - k)) >> drop) << drop
    if force_lsb and big_f - drop:
        frac = frac | (np.int64(1) << drop)
    return np.ascontiguousarray(k), np.ascontiguousarray(frac)


class LogPlan:
    """Mitchell's multiplier and MBM (see the module docstring)."""

    op = 0

    def __init__(self, unit, controls: dict) -> None:
        fraction_bits = _sibling(unit, "mitchell").fraction_bits
        log_split = _sibling(unit, "_log").log_split
        self.unit = unit
        if unit.family == "mbm":
            opts = dict(unit._log_options)
        else:
            opts = {"keep": unit.w}
        na, nb = unit.a_width, unit.b_width
        big_f = fraction_bits(na, nb)
        keep = opts.get("keep")
        kept = big_f if keep is None else min(keep, big_f)
        self.big_f, self.drop = big_f, big_f - kept
        self.correction = int(opts.get("correction", 0))
        self.bypass = bool(opts.get("bypass_overflow", False))
        force = bool(opts.get("force_lsb", False))
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        self.alo, self.blo = alo, blo
        drop = self.drop
        self.ka, self.xa = _operand_tables(log_split, alo, ahi, na, unit.signed, big_f, drop,
                                           force)
        self.kb, self.xb = _operand_tables(log_split, blo, bhi, nb, unit.signed, big_f, drop,
                                           force)

    def prepare(self, a: np.ndarray) -> None:
        return None

    def fill(self, prep, r0: int, r1: int, a, b, out) -> None:
        _fill_log(self.ka, self.xa, self.kb, self.xb, self.alo, self.blo, self.big_f,
                  self.drop, self.correction, self.bypass, r0, r1, a, b,
                  self.unit.p_width, self.unit.signed, out)
