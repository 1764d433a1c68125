"""The carry-cut adder: the carry chain cut at bit ``c``, the cut carry exposed.

Bits ``0 .. c-1`` and bits ``c`` up are two exact adders; the carry into bit ``c`` is forced
to 0 and brought out as the extra output ``cut``, so a design that accumulates results (a PE
array, an adder tree) can add it back later::

    p   = ((a >> c) + (b >> c)) · 2^c + ((a + b) mod 2^c)
    cut = ((a mod 2^c) + (b mod 2^c)) >> c
    p + cut · 2^c = a + b     (modulo 2^(width+1))
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, low_bits, wrap

__all__ = ["CarryCut"]


@register
class CarryCut(AmaranthUnit):
    """The carry into bit c forced to 0 and exposed as output ``cut``."""

    family = "carry_cut"
    operation_class = Addition
    description = (
        "carry-cut adder: the carry into bit c forced to 0 and exposed as an extra output "
        "'cut' for a later stage to add back"
    )
    citation = (
        "Segmented carry chain with the cut carry deferred to a later stage, as in "
        "carry-save accumulation; e.g. A. B. Kahng and S. Kang, 'Accuracy-configurable adder "
        "for approximate arithmetic designs', Proc. 49th Design Automation Conference (DAC), "
        "pp. 820-825, 2012 (segmented adders with deferred error correction)"
    )
    notes = (
        "Both parts are ripple-carry adders. cut (1 bit) is the carry out of bits 0..c-1; "
        "ED = -cut * 2^c exactly, except for signed=true with c=width, where the cut carry is "
        "the one into the sign position and the relation holds modulo 2^(width+1) (the result "
        "wraps as the circuit does; add cut * 2^c within width+1 bits to cure it). "
        "c=width, unsigned: the carry out is moved from p to cut. signed=true: the same "
        "circuit, the upper part adding the sign-extended upper fields (a >> c) + (b >> c)."
    )
    params = (
        Param("c", int, 4, "bit whose incoming carry is cut (and exposed as 'cut')",
              min=1, max="width"),
    )

    @property
    def c(self) -> int:
        return self._params["c"]

    @property
    def extra_outputs(self) -> dict[str, int]:
        return {"cut": 1}

    def model_outputs(self, a, b, **controls):
        return {"cut": (low_bits(a, self.c) + low_bits(b, self.c)) >> self.c}

    def model(self, a, b, **controls):
        a, b, c = as_int64(a), as_int64(b), self.c
        upper = (field(a, c) + field(b, c)) << c
        return wrap(upper + low_bits(a + b, c), self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Const, Module

        from ._rtl import bits_to_value, extended_bits, ripple

        m = Module()
        n, c = self.a_width, self.c
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        low, cut = ripple(m, xs[:c], ys[:c], "lo")
        upper, _ = ripple(m, xs[c:], ys[c:], "up")
        m.d.comb += [
            io.p.eq(bits_to_value(low + upper)),
            io.cut.eq(Const(0, 1) if cut is None else cut),
        ]
        return m
