"""The static segment method (SSM) multiplier of Narayanamoorthy et al. (IEEE TVLSI 2015).

An ``n``-bit operand offers two fixed ``m``-bit segments: its upper ``m`` bits
``x[n-1 : n-m]`` and its lower ``m`` bits ``x[m-1 : 0]``. If any bit above the lower
segment (``x[n-1 : m]``) is set, the upper segment is used (shift ``n - m``), otherwise the
lower one, which then holds the whole operand exactly. The two segments are multiplied by an
exact ``m``×``m`` multiplier and the product shifted back::

    x' = x[n-1 : n-m]·2^(n-m)   if x >= 2^m
    x' = x                      otherwise
    a·b ≈ a'·b'

Only two shift amounts per operand exist, so the shifters are 2:1 multiplexers instead of
DSM's / DRUM's leading-one detectors and barrel shifters.
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register

from ._signmag import SignMagnitudeUnit

__all__ = ["SSM", "ssm_operand"]


def ssm_operand(x, width: int, m: int) -> np.ndarray:
    """SSM's choice of segment for non-negative operands ``x`` (``width`` bits)."""
    x = np.asarray(x, dtype=np.int64)
    if width <= m:
        return x
    upper = (x >> (width - m)) << (width - m)
    return np.where(x >= (1 << m), upper, x)


@register
class SSM(SignMagnitudeUnit):
    """Upper or lower static m-bit segment of each operand, multiplied and shifted back."""

    family = "ssm"
    description = (
        "static segment method: the upper m bits of an operand if any bit above its lower "
        "m-bit segment is set, else the lower m bits; m x m product shifted back"
    )
    citation = (
        "S. Narayanamoorthy, H. A. Moghaddam, Z. Liu, T. Park and N. S. Kim, "
        "'Energy-efficient approximate multiplication for digital signal processing and "
        "classification applications', IEEE Trans. VLSI Systems 23(6), pp. 1180-1184, 2015"
    )
    notes = (
        "The two segments of an n-bit operand must cover it (2m >= n, as in the paper's "
        "m >= n/2 designs); an operand of at most m bits is used exactly. signed=true: "
        "sign-magnitude around the unsigned core (|-2^(n-1)| = 2^(n-1) included), the "
        "segments taken from the n-bit magnitude."
    )
    params = (
        Param("m", int, 4, "segment width in bits", min=1, max=32),
    )

    @classmethod
    def check(cls, values: dict) -> None:
        m = values["m"]
        for key in ("a_width", "b_width"):
            if 2 * m < values[key]:
                raise ValueError(
                    f"Parameter 'm' ({m}) must be at least half of '{key}' ({values[key]}): "
                    f"the upper and lower {m}-bit segments must cover the operand"
                )

    @property
    def m(self) -> int:
        return self._params["m"]

    def core_model(self, ma, mb):
        return ssm_operand(ma, self.a_width, self.m) * ssm_operand(mb, self.b_width, self.m)

    def _segment(self, mod, x, width: int, name: str):
        from amaranth.hdl import Const, Mux, Signal, unsigned

        m = self.m
        if width <= m:
            return x, Const(0, 1)
        upper = Signal(name=f"{name}_upper")
        seg = Signal(unsigned(m), name=f"{name}_seg")
        shift = Signal(unsigned((width - m).bit_length()), name=f"{name}_shift")
        mod.d.comb += [
            upper.eq(x[m:width].any()),
            seg.eq(Mux(upper, x[width - m:width], x[:m])),
            shift.eq(Mux(upper, width - m, 0)),
        ]
        return seg, shift

    def core_rtl(self, m, ma, mb):
        from ._rtl import segment_product_rtl

        seg_a, sh_a = self._segment(m, ma, self.a_width, "ssm_a")
        seg_b, sh_b = self._segment(m, mb, self.b_width, "ssm_b")
        return segment_product_rtl(m, seg_a, sh_a, seg_b, sh_b, self.p_width, "ssm")
