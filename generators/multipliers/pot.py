"""Power-of-two weights (Lin, Courbariaux, Memisevic and Bengio, ICLR 2016).

The weight operand ``b`` is rounded to the nearest power of two, keeping its sign, so the
product is a shift of ``a``::

    b' = sign(b)·2^e,  2^e the power of two nearest to |b| (ties: the larger one)
    a·b ≈ a·b'         (0 when b = 0)

With ``t`` the position of the leading one of ``|b|``, the nearest power is ``2^t`` or
``2^(t+1)``; ``|b| - 2^t >= 2^(t+1) - |b|`` exactly when ``|b| >= 1.5·2^t``, i.e. when the
bit below the leading one is set, so ``e = t + b[t-1]``.

The rounding is in the linear domain: ``|b|`` goes to whichever power is nearer on the number
line, so the boundary between ``2^t`` and ``2^(t+1)`` is their midpoint ``1.5·2^t``. Rounding
in the log domain, ``2^round(log2 |b|)``, would put the boundary at the geometric mean
``√2·2^t ≈ 1.414·2^t`` instead; the two rules differ for ``√2·2^t <= |b| < 1.5·2^t`` (at 8
bits: 23, 46, 47, 91..95, 182..191), e.g. 23 -> 16 here (23 - 16 = 7 < 32 - 23 = 9) but 32
in the log domain (log2 23 = 4.52).

Lin et al. quantize the layer representations of back-propagation (their weights are
binary or ternary) to powers of two, and their published training code does it
stochastically: ``|x|`` becomes ``2^t`` or ``2^(t+1)``, the upper one with probability
``|x|/2^t - 1``, its linear position between the two powers (unbiased: the expected value is
``|x|``). The more likely of the two is the linearly nearer power, which is the deterministic
rule here; this family applies it to the weight operand ``b``. The log-domain rule is not
theirs and is not offered.
"""

from __future__ import annotations

import numpy as np

from axhdl.registry import register

from ._log import bit_length
from ._signmag import SignMagnitudeUnit

__all__ = ["PowerOfTwo", "nearest_power_of_two"]


def nearest_power_of_two(x, width: int) -> np.ndarray:
    """The power of two nearest to each non-negative ``x`` (ties to the larger; 0 stays 0)."""
    x = np.asarray(x, dtype=np.int64)
    t = np.maximum(bit_length(x, width) - 1, 0)
    low = np.int64(1) << t
    high = low << 1
    nearest = np.where(x - low >= high - x, high, low)
    return np.where(x == 0, 0, nearest)


@register
class PowerOfTwo(SignMagnitudeUnit):
    """b rounded to the nearest power of two (sign kept); the product is a shift of a."""

    family = "pot"
    description = (
        "power-of-two weights: b rounded to the nearest power of two (sign kept), "
        "the product is a shift of a"
    )
    citation = (
        "Z. Lin, M. Courbariaux, R. Memisevic and Y. Bengio, 'Neural networks with few "
        "multiplications', International Conference on Learning Representations (ICLR), 2016"
    )
    notes = (
        "Nearest in the linear domain (the midpoint 1.5·2^t between 2^t and 2^(t+1) is the "
        "boundary, not the geometric mean sqrt(2)·2^t of log-domain rounding: 23 -> 16, "
        "where 2^round(log2 23) = 32). Lin et al. round representations in back-propagation "
        "stochastically, to the upper power with probability |x|/2^t - 1 (their published "
        "code); the linearly nearest power is the more likely outcome of that rule, and it is "
        "the one used here, on the weight b. A tie (|b| = 3·2^(t-1), e.g. 3, 6, 12) rounds "
        "up to the larger power, which is what testing the bit below the leading one gives "
        "(and where Lin et al.'s rule is a fair coin). b = 0 "
        "gives 0 (zero is not rounded to 1). Rounding up cannot overflow the result: "
        "(2^na - 1)·2^nb < 2^(na+nb) unsigned, and signed magnitudes round to at most "
        "2^(nb-1), so p_width stays a_width + b_width. signed=true: sign-magnitude (the "
        "most negative operand's magnitude 2^(n-1) included)."
    )
    weight_operand = "b"

    def core_model(self, ma, mb):
        return np.asarray(ma, dtype=np.int64) * nearest_power_of_two(mb, self.b_width)

    def core_rtl(self, m, ma, mb):
        from amaranth.hdl import Mux, Signal, unsigned

        from ._rtl import add_rtl, leading_one_rtl, shift_left_rtl

        nb = self.b_width
        pos, nz = leading_one_rtl(m, mb, nb, "pot_b")
        # the bit below the leading one: (b << 1) >> t, bit 0 (0 when t = 0)
        below = Signal(name="pot_round")
        twice = Signal(unsigned(nb + 1), name="pot_b2")
        m.d.comb += [twice.eq(mb << 1), below.eq((twice >> pos)[0])]
        exponent = add_rtl(m, pos, below, len(pos) + 1, "pot_exp")
        shifted = shift_left_rtl(m, ma, exponent, self.p_width, "pot_out")
        return Mux(nz, shifted, 0)
