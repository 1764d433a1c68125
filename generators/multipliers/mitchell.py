"""Mitchell's logarithmic multiplier, optionally with truncated fractions (Mitch-w).

Mitchell (1962) writes a non-zero operand as ``x = 2^k (1 + f)`` with ``k`` the position of
its leading one and ``0 <= f < 1`` the bits below it, and approximates ``log2 x ≈ k + f``.
The product is the approximate antilogarithm of the sum of the two logarithms:

    a·b ≈ 2^(ka+kb)   (1 + fa + fb)   if fa + fb < 1
    a·b ≈ 2^(ka+kb+1) (fa + fb)       otherwise

and 0 when either operand is 0 (zero detection). The parameter ``w`` keeps only the ``w``
most significant fraction bits of each operand (the bits after its leading one) before the
addition. Kim et al. (IEEE TC 2019) count the leading one as well: their Mitch-w keeps
``w`` bits of each operand starting at its leading one, i.e. ``w - 1`` fraction bits, so
their Mitch-w with ``w = m`` is ``w = m - 1`` here (Mitch-w6 is ``mitchell:w=5``). The
mapping is pinned by the bias they report for Mitch-w6, about -5.9 % (the mean relative
error of 5 truncated fraction bits over uniform operands; 6 bits give -4.9 %), and it
agrees with the authors' VHDL (``logMultK``), whose operand field after the leading one is
``K - 1`` bits wide for their ``w = K``.

The functions :func:`log_product` (numpy) and :func:`._rtl.log_product_rtl` (Amaranth)
implement this datapath once, for this family and for the minimally biased multiplier
(:mod:`.mbm`), whose options they also carry: a constant added to the fraction sum, a forced
lowest kept fraction bit and the bypass of that constant where it would overflow the
mantissa. Their defaults are Mitchell's datapath.
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._log import log_split
from ._signmag import SignMagnitudeUnit

__all__ = ["Mitchell", "log_product", "fraction_bits"]


def fraction_bits(na: int, nb: int) -> int:
    """Bits of the fixed-point fraction datapath: every fraction bit of the wider operand."""
    return max(na, nb) - 1


def log_product(
    a,
    b,
    na: int,
    nb: int,
    *,
    keep: int | None = None,
    correction: int = 0,
    force_lsb: bool = False,
    bypass_overflow: bool = False,
):
    """Mitchell's approximate product of non-negative integers ``a`` (``na`` bits), ``b``.

    The fractions ``fa = (a - 2^ka) / 2^ka`` are fixed-point numbers with
    ``F = fraction_bits(na, nb)`` bits (exact: an ``n``-bit operand has at most ``n - 1``
    fraction bits); ``keep`` truncates each to its ``keep`` most significant bits, and
    ``force_lsb`` then sets the lowest kept bit of each to 1 (no effect when none is kept).
    The optional ``correction`` (an integer in units of ``2^-keep``) is added to the fraction
    sum when it is below 1, and ``correction >> 1`` when it is not (the sum is then scaled by
    ``2^(ka+kb+1)``, so both add about ``correction·2^(ka+kb-keep)`` to the product). With
    ``bypass_overflow``, a carry-case mantissa ``1 + f + (correction >> 1)`` that would reach
    2 is replaced by the uncorrected ``1 + f``. The antilogarithm ``2^k (1 + f)`` is
    truncated to an integer.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    a, b = np.broadcast_arrays(a, b)
    big_f = fraction_bits(na, nb)
    kept = big_f if keep is None else min(keep, big_f)
    drop = big_f - kept
    ka, fa = log_split(a, na)
    kb, fb = log_split(b, nb)
    # fraction values as F-bit fixed point, truncated to the kept bits
    xa = ((fa << (big_f - ka)) >> drop) << drop
    xb = ((fb << (big_f - kb)) >> drop) << drop
    if force_lsb and kept:
        xa = xa | (np.int64(1) << drop)
        xb = xb | (np.int64(1) << drop)
    one = np.int64(1) << big_f
    total = xa + xb
    carry = (total >= one).astype(np.int64)
    frac = total - carry * one
    corr = np.where(carry == 1, correction >> 1, correction).astype(np.int64) << drop
    mantissa = one + frac + corr  # (1 + f) in units of 2^-F
    if bypass_overflow:  # the carry case keeps 1 + f where the correction would reach 2
        mantissa = np.where((carry == 1) & (mantissa >= 2 * one), one + frac, mantissa)
    k = ka + kb + carry
    e = k - big_f
    value = np.where(e >= 0, mantissa << np.maximum(e, 0), mantissa >> np.maximum(-e, 0))
    return np.where((a == 0) | (b == 0), 0, value)


@register
class Mitchell(SignMagnitudeUnit):
    """Mitchell's logarithmic multiplier with zero detection; ``w`` truncates the fractions."""

    family = "mitchell"
    description = (
        "Mitchell's logarithmic multiplier: log2 via leading one + fraction, add, approximate "
        "antilog; zero detection; optional fraction truncation to w bits (Mitch-w)"
    )
    citation = (
        "J. N. Mitchell, 'Computer multiplication and division using binary logarithms', IRE "
        "Trans. Electronic Computers EC-11(4), pp. 512-517, 1962; truncation: M. S. Kim, A. A. "
        "Del Barrio, L. T. Oliveira, R. Hermida and N. Bagherzadeh, 'Efficient Mitchell's "
        "approximate log multipliers for convolutional neural networks', IEEE Trans. "
        "Computers 68(5), pp. 660-675, 2019"
    )
    notes = (
        "The fraction datapath has max(a_width, b_width) - 1 bits, so without w the log and "
        "antilog steps lose nothing beyond Mitchell's piecewise-linear approximation (the "
        "result is always an integer <= a*b; worst case -1/9 at fractions 0.5 + 0.5). w keeps "
        "the w most significant fraction bits of each operand, after its leading one (plain "
        "truncation). Kim et al. count the leading one in their w: their Mitch-w with w = m "
        "keeps m - 1 fraction bits and is w = m - 1 here (Mitch-w6 = mitchell:w=5; its bias "
        "over uniform 16-bit operands, -5.90 %, is the -5.9 % reported for Mitch-w6, while "
        "w=6 gives -4.87 %). The authors' unbiased VHDL variant replaces the last of those "
        "m - 1 bits with a constant 1, which this generator does not. A zero operand gives 0. "
        "signed=true: sign-magnitude around "
        "the unsigned core (|-2^(n-1)| = 2^(n-1) included)."
    )
    params = (
        Param(
            "w",
            int,
            None,
            "fraction bits kept after the leading one (absent: all); Kim et al.'s Mitch-w6 is "
            "w = 5 (their w counts the leading one)",
            min=0,
            max="max(a_width, b_width) - 1",
        ),
    )

    @property
    def w(self) -> int | None:
        return self._params["w"]

    def core_model(self, ma, mb):
        return log_product(ma, mb, self.a_width, self.b_width, keep=self.w)

    def core_rtl(self, m, ma, mb):
        from ._rtl import log_product_rtl

        return log_product_rtl(m, ma, mb, self.a_width, self.b_width, keep=self.w)
