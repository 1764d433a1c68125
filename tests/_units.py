"""Small units made for the tests of the verification machinery."""

import numpy as np
from amaranth.hdl import Module

from axhdl.unit import AmaranthUnit


class ModeUnit(AmaranthUnit):
    """A unit with a control input: mode 0 = a*b, 1 = a+b, 2 = a-b; mode 3 is unused."""

    family = "test_mode"
    description = "test unit with a 2-bit mode input"

    @property
    def extra_inputs(self) -> dict[str, int]:
        return {"mode": 2}

    def valid_controls(self, mode: int) -> bool:
        return mode != 3

    def model(self, a, b, mode: int = 0, **controls):
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        return {0: a * b, 1: a + b, 2: a - b}[int(mode)]

    def rtl(self, io):
        m = Module()
        with m.Switch(io.mode):
            with m.Case(0):
                m.d.comb += io.p.eq(io.a * io.b)
            with m.Case(1):
                m.d.comb += io.p.eq(io.a + io.b)
            with m.Case(2):
                m.d.comb += io.p.eq(io.a - io.b)
        return m
