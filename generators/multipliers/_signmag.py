"""Sign-magnitude wrapping: a signed multiplier built around an unsigned core.

Many approximate multipliers (logarithmic, segment-based, recoding designs) are defined by
their papers for unsigned operands only. Their signed versions in axhdl are sign-magnitude
wrappers, the usual construction in those papers (e.g. Hashemi et al., DRUM, ICCAD 2015,
Sec. 3; Kim et al., IEEE TC 2019, Sec. 4):

1. ``|a|`` and ``|b|`` are taken from the two's-complement operands. The most negative
   operand ``-2^(n-1)`` has magnitude ``2^(n-1)``, which needs all ``n`` bits *unsigned*, so
   the unsigned core always has the full operand widths ``na`` × ``nb`` (its inputs are simply
   never larger than ``2^(na-1)``, ``2^(nb-1)``).
2. The core computes its approximate product ``q = core(|a|, |b|) >= 0``.
3. The result is ``-q`` when the operand signs differ, else ``q``, as a ``p_width``-bit
   two's-complement value (the negation is modulo ``2^p_width``, as in the hardware; families
   choose ``p_width`` so that nothing wraps).

Unsigned units use the core directly: ``p = core(a, b)`` truncated to ``p_width`` bits.

Two helpers share this one definition:

* :func:`signmag_model` — the numpy golden model around a vectorized core model;
* :func:`._rtl.signmag_rtl` — the Amaranth hardware around a core-building callback.

:class:`SignMagnitudeUnit` ties both to an :class:`~axhdl.unit.AmaranthUnit`: a family
implements only ``core_model`` and ``core_rtl`` on unsigned magnitudes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from axhdl.unit import AmaranthUnit

from ._pp import wrap

if TYPE_CHECKING:
    from amaranth.hdl import Module, Value

__all__ = [
    "magnitude",
    "signmag_model",
    "fitting_p_width",
    "SignMagnitudeUnit",
]

#: ``core(ma, mb) -> q``: unsigned magnitudes (int64 arrays) to the unsigned core product
CoreModel = Callable[[np.ndarray, np.ndarray], np.ndarray]


def magnitude(values, is_signed: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(|x|, x < 0)`` of operand values as int64 / bool arrays (``x`` itself if unsigned)."""
    x = np.asarray(values, dtype=np.int64)
    if not is_signed:
        return x, np.zeros(x.shape, dtype=bool)
    return np.abs(x), x < 0


def signmag_model(core: CoreModel, a, b, *, signed: bool, p_width: int) -> np.ndarray:
    """The golden model of a sign-magnitude multiplier around the unsigned ``core``.

    ``core`` receives the magnitudes (``|a| <= 2^(na-1)`` for signed operands, which it must
    accept as ``na``-bit unsigned values) and returns the non-negative core product. The
    result is ``±core(|a|, |b|)`` with the sign ``sign(a) xor sign(b)``, reduced to a
    ``p_width``-bit value (two's complement if ``signed``).
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    a, b = np.broadcast_arrays(a, b)
    ma, na_neg = magnitude(a, signed)
    mb, nb_neg = magnitude(b, signed)
    q = np.asarray(core(ma, mb), dtype=np.int64)
    if np.any(q < 0):
        raise ValueError(
            "the unsigned core of a sign-magnitude multiplier returned a negative value"
        )
    return wrap(np.where(na_neg ^ nb_neg, -q, q), p_width, signed)


def fitting_p_width(a_width: int, b_width: int, signed: bool, max_core: int) -> int:
    """The result width of a sign-magnitude unit whose core never exceeds ``max_core``:
    ``a_width + b_width``, or more if ``±max_core`` needs it (signed results need one bit
    beyond the magnitude's)."""
    need = int(max_core).bit_length() + (1 if signed else 0)
    return max(a_width + b_width, need)


class SignMagnitudeUnit(AmaranthUnit):
    """An :class:`AmaranthUnit` whose paper defines an unsigned core.

    Subclasses implement :meth:`core_model` (numpy, unsigned magnitudes of ``a_width`` and
    ``b_width`` bits) and :meth:`core_rtl` (Amaranth, same meaning); ``signed=true`` is the
    sign-magnitude wrapper of :func:`signmag_model` / :func:`._rtl.signmag_rtl` around them.
    """

    def core_model(self, ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
        """The unsigned core product of magnitudes ``ma`` (``a_width`` bits), ``mb``."""
        raise NotImplementedError

    def core_rtl(self, m: Module, ma: Value, mb: Value) -> Value:
        """Build the unsigned core in ``m``; return its (unsigned) product value."""
        raise NotImplementedError

    def model(self, a, b, **controls) -> np.ndarray:
        return signmag_model(self.core_model, a, b, signed=self.signed, p_width=self.p_width)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import signmag_rtl

        m = Module()
        result = signmag_rtl(
            m, io.a, io.b, self.core_rtl,
            a_width=self.a_width, b_width=self.b_width, signed=self.signed,
            p_width=self.p_width,
        )
        m.d.comb += io.p.eq(result)
        return m
