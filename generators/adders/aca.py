"""ACA, the almost-correct adder (Verma, Brisk and Ienne, DATE 2008).

Every sum bit ``i`` is computed from a window of ``k`` lower bits: the carry into bit ``i`` is
the carry out of bits ``i-k .. i-1`` alone (carry-in 0 below them), so no carry travels more
than ``k`` positions::

    s_i = a_i ^ b_i ^ carry(a[i-k .. i-1] + b[i-k .. i-1])

Bits ``i <= k`` see every bit below them and are exact. The result is wrong exactly when some
carry chain (a generate followed by propagates) is longer than ``k``.
"""

from __future__ import annotations

from axhdl.operations import Addition
from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._model import as_int64, field, low_bits, wrap

__all__ = ["ACA"]


@register
class ACA(AmaranthUnit):
    """Each sum bit from a k-bit carry window."""

    family = "aca"
    operation_class = Addition
    description = (
        "almost-correct adder: the carry into each bit i computed from bits i-k..i-1 only"
    )
    citation = (
        "A. K. Verma, P. Brisk and P. Ienne, 'Variable latency speculative addition: a new "
        "paradigm for arithmetic circuit design', Proc. Design, Automation and Test in "
        "Europe (DATE), pp. 1250-1255, 2008"
    )
    notes = (
        "k counts the bits of the carry window below each sum bit (the sub-adder of each bit "
        "is k+1 bits long); its sum bits are those of GeAr with r=1, p=k, whose carry out "
        "comes from the k+1 bits below it instead. The window carries come from the first "
        "floor(log2 k) levels of a Kogge-Stone network, composed along the binary digits of "
        "k (log-depth, as in the paper). k=width is exact. The result's top bit (carry out) "
        "uses the window below it like any other bit. signed=true: the same circuit on the "
        "sign-extended operands: the top bit is a[w-1] ^ b[w-1] ^ the window carry into it."
    )
    params = (
        Param("k", int, 4, "bits of the carry window below each sum bit", min=1, max="width"),
    )

    @property
    def k(self) -> int:
        return self._params["k"]

    def model(self, a, b, **controls):
        a, b, n, k = as_int64(a), as_int64(b), self.a_width, self.k
        total = 0
        for i in range(n + 1):
            s = max(0, i - k)
            if i < n:  # the window and bit i, added as a number: bit i - s is s_i
                span = i - s + 1
                window = low_bits(a >> s, span) + low_bits(b >> s, span)
            else:  # the top bit: the window plus the operands' extension (sign) bits
                window = field(a, s) + field(b, s)
            total = total + (((window >> (i - s)) & 1) << i)
        return wrap(total, self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Module

        from ._rtl import (
            bits_to_value,
            extended_bits,
            gate,
            generate_propagate,
            sum_bits,
            window_carries,
        )

        m = Module()
        n = self.a_width
        xs = extended_bits(io.a, n, self.signed)
        ys = extended_bits(io.b, n, self.signed)
        g, p = generate_propagate(m, xs[:n], ys[:n], "pre")
        carries = window_carries(m, g, p, self.k, "win")
        p.append(gate(m, "^", xs[n], ys[n], f"pre_p{n}"))
        m.d.comb += io.p.eq(bits_to_value(sum_bits(m, p, carries, "s")))
        return m
