"""GeAr, the generic accuracy-configurable adder (Shafique, Ahmad, Hafiz and Henkel, DAC 2015).

The ``width``-bit addition is split into overlapping sub-adders of ``L = r + p`` bits. The
first adds bits ``0 .. L-1`` and gives all ``L`` result bits; sub-adder ``j >= 1`` adds bits
``j·r .. j·r + L - 1`` with carry-in 0 and gives its ``r`` upper result bits: its ``p`` lower
("previous") bits only predict the carry into them. The carry out (result bit ``width``) is the
last sub-adder's.

Special cases (Shafique et al.): ``r = 1, p = k`` is ACA-I, the almost-correct adder of Verma
et al. (``aca:k=...``; the same sum bits, but GeAr's carry out is its last sub-adder's, from
the ``k + 1`` bits below it, where ``aca`` computes it from a ``k``-bit window like every
other bit); ``r = p`` (sub-adders of ``2r`` bits, each block's carry
predicted from the block below alone) is ETA-II (Zhu et al., 2009) and ACA-II (Kahng and Kang,
DAC 2012, sub-adder length ``L = 2r``), which differ only in error detection and correction
circuitry this unit does not build; ``r + p = width`` is the exact adder.

Sub-adder ``j`` is wrong exactly when the true carry into its bit ``j·r`` is 1 and all its
``p`` prediction bits propagate; for uniform operands the error probability is given by
inclusion-exclusion over the events "carry generated at one of the ``r`` bits below the
prediction bits of sub-adder ``j`` and propagated through them" (Shafique et al.).
"""

from __future__ import annotations

from dataclasses import dataclass

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, low_bits, wrap

__all__ = ["GeAr", "SubAdder", "sub_adders"]


@dataclass(frozen=True)
class SubAdder:
    """One sub-adder: it adds operand bits ``start .. end-1`` (carry-in 0) and gives the
    result bits ``first .. end-1``."""

    start: int
    first: int
    end: int


def sub_adders(width: int, r: int, p: int) -> list[SubAdder]:
    """The sub-adders of GeAr(width, r, p), least significant first. When ``width - (r+p)``
    is not a multiple of ``r``, the last sub-adder gives fewer than ``r`` result bits."""
    subs = [SubAdder(0, 0, min(r + p, width))]
    start = r
    while start + p < width:
        subs.append(SubAdder(start, start + p, min(start + p + r, width)))
        start += r
    return subs


@register
class GeAr(AmaranthUnit):
    """Sub-adders of r + p bits, each giving r result bits, with p bits of carry prediction."""

    family = "gear"
    operation_class = Addition
    description = (
        "generic accuracy-configurable adder: overlapping (r+p)-bit sub-adders, each giving r "
        "result bits from a carry predicted over its p lower bits"
    )
    citation = (
        "M. Shafique, W. Ahmad, R. Hafiz and J. Henkel, 'A low latency generic accuracy "
        "configurable adder', Proc. 52nd ACM/EDAC/IEEE Design Automation Conference (DAC), "
        "2015"
    )
    notes = (
        "Special cases: r=1, p=k is ACA-I (Verma et al.; the sum bits of aca:k=..., but "
        "the carry out here is the last sub-adder's, from the k+1 bits below it); "
        "r=p is ETA-II (Zhu et al. 2009) and ACA-II (Kahng and Kang 2012, sub-adder length "
        "2r), which differ only in error-correction circuitry not built here; r+p=width is "
        "exact. When width - (r+p) is not a multiple of r the sub-adders are still placed "
        "from the least significant bit, every r bits, and the last one is cut at the top: "
        "it keeps its p prediction bits and gives the fewer than r result bits left. Each "
        "sub-adder is a ripple-carry adder; the carry out is the last sub-adder's. "
        "signed=true: the same circuit, the last sub-adder adding the sign-extended top "
        "fields (its carry into the sign position predicted like its other bits)."
    )
    params = (
        Param("r", int, 2, "result bits per sub-adder", min=1, max="width"),
        Param("p", int, 2, "previous bits predicting each sub-adder's carry",
              min=0, max="width - r"),
    )

    @property
    def r(self) -> int:
        return self._params["r"]

    @property
    def p(self) -> int:
        return self._params["p"]

    @property
    def sub_adders(self) -> list[SubAdder]:
        return sub_adders(self.a_width, self.r, self.p)

    def model(self, a, b, **controls):
        a, b = as_int64(a), as_int64(b)
        *lower, last = self.sub_adders
        total = 0
        for sub in lower:
            length = sub.end - sub.start
            window = low_bits(a >> sub.start, length) + low_bits(b >> sub.start, length)
            total = total + (low_bits(window >> (sub.first - sub.start),
                                      sub.end - sub.first) << sub.first)
        top = (field(a, last.start) + field(b, last.start)) >> (last.first - last.start)
        return wrap(total + (top << last.first), self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import bits_to_value, extended_bits, ripple

        m = Module()
        n = self.a_width
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        subs = self.sub_adders
        bits = []
        for j, sub in enumerate(subs):
            end = n + 1 if j == len(subs) - 1 else sub.end  # the last reaches the carry out
            sums, _ = ripple(m, xs[sub.start:end], ys[sub.start:end], f"sub{j}_")
            bits += sums[sub.first - sub.start:]
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
