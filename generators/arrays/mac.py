"""The multiply-accumulate processing element: any multiplier unit, any adder unit, one
``acc_width``-bit accumulator register.

Every enabled clock cycle the accumulator takes ``(clear ? 0 : acc) ⊕ mul(a, b)``, where ``⊕``
is the adder unit on ``acc_width``-bit operands (running sum on the adder's ``a``, the product,
sign-extended when signed, on its ``b``) and the adder's ``acc_width + 1``-bit result is wrapped
back to ``acc_width`` bits. ``in_reg`` registers the operands and controls before the
multiplier, ``out_reg`` the accumulator before port ``p``; each adds one cycle of latency.
"""

from __future__ import annotations

import numpy as np

from axhdl.operations import MultiplyAccumulate
from axhdl.params import Param
from axhdl.registry import make_unit, register
from axhdl.unit import AmaranthUnit, VerilogSource

from ._model import accumulate, as_int64, mac_fold
from ._params import ADD_PARAM, MUL_PARAM, check_subunits

__all__ = ["Mac"]


@register
class Mac(AmaranthUnit):
    """A multiply-accumulate unit: ``acc ← (clear ? 0 : acc) ⊕ mul(a, b)`` when ``en``."""

    family = "mac"
    operation_class = MultiplyAccumulate
    description = (
        "multiply-accumulate processing element (sequential): any multiplier, any adder as "
        "the accumulator's, acc <- (clear ? 0 : acc) + mul(a, b) on each enabled cycle"
    )
    citation = (
        "H. T. Kung, 'Why systolic architectures?', IEEE Computer 15(1), 1982; PE layering "
        "as in H. Genc et al., 'Gemmini: enabling systematic deep-learning architecture "
        "evaluation via full-stack integration', DAC 2021 (PE.scala)"
    )
    notes = (
        "Ports a, b, en, clear in, p (the accumulator, acc_width bits) out; clk/rst "
        "(synchronous, active high, clears every register). clear acts only with en: the "
        "enabled cycle adds the product to 0 instead of the accumulator (through the adder, so "
        "an approximate adder's 0 + product is what is stored). The adder adds the running sum "
        "(its a) and the product sign-extended to acc_width (its b); its carry-out bit is "
        "dropped, the accumulator wraps modulo 2^acc_width. in_reg registers a, b, en, clear; "
        "out_reg registers p; latency = 1 + in_reg + out_reg. model(a, b) takes operand arrays "
        "(..., K): the accumulator after K enabled cycles from a clear; model_trace gives p "
        "cycle by cycle for en/clear sequences. See docs/arrays.md."
    )
    params = (
        MUL_PARAM,
        ADD_PARAM,
        Param("in_reg", bool, False, "register a, b, en and clear before the multiplier"),
        Param("out_reg", bool, False, "register the accumulator before port p"),
    )

    @classmethod
    def check(cls, values: dict) -> None:
        check_subunits(values)

    # -- parameters and derived facts -----------------------------------------------------

    @property
    def mul(self):
        """The multiplier unit."""
        return self._params["mul"]

    @property
    def add(self):
        """The adder unit of the accumulator."""
        return self._params["add"]

    @property
    def acc_width(self) -> int:
        return self._params["acc_width"]

    @property
    def in_reg(self) -> bool:
        return self._params["in_reg"]

    @property
    def out_reg(self) -> bool:
        return self._params["out_reg"]

    @property
    def latency(self) -> int:
        """Clock edges from an enabled operand pair to its effect on ``p``: 1 (the
        accumulator) + ``in_reg`` + ``out_reg``."""
        return 1 + int(self.in_reg) + int(self.out_reg)

    @property
    def throughput(self) -> int:
        """Operand pairs accepted per clock cycle."""
        return 1

    @property
    def extra_inputs(self) -> dict[str, int]:
        return {"en": 1, "clear": 1}

    @property
    def info(self) -> dict:
        info = super().info
        info["ports"] = {"clk": {"dir": "in", "width": 1, "signed": False},
                         "rst": {"dir": "in", "width": 1, "signed": False}, **info["ports"]}
        info.update(throughput=self.throughput, clock="clk",
                    reset="rst (synchronous, active high)")
        return info

    def exact_baseline(self) -> Mac:
        """The same MAC with the exact multiplier and adder (the PPA baseline)."""
        return make_unit(self.spec, mul=make_unit(f"exact:{_widths(self.mul)}"),
                         add=make_unit(f"exact_add:{_widths(self.add)}"))

    # -- golden model ---------------------------------------------------------------------

    def model(self, a, b, **controls) -> np.ndarray:
        """The accumulator after one enabled cycle per element of the last axis of ``a``,
        ``b`` (broadcast, shape (..., K)), the first with ``clear``: shape (...)."""
        if controls:
            raise TypeError(
                f"mac.model takes the operands only, not {', '.join(controls)}; "
                f"model_trace takes en/clear sequences"
            )
        return mac_fold(self.mul, self.add, self.acc_width, self.signed, a, b)

    def model_trace(self, a, b, en, clear) -> np.ndarray:
        """Port ``p`` cycle by cycle from reset: ``a``, ``b``, ``en``, ``clear`` (broadcast,
        shape (..., T)) are the inputs of cycles 0..T-1; element ``t`` of the result is ``p``
        after the clock edge that ends cycle ``t`` (what a testbench reads after setting the
        inputs of cycle ``t`` and one tick), shape (..., T)."""
        a, b, en, clear = np.broadcast_arrays(as_int64(a), as_int64(b), as_int64(en),
                                              as_int64(clear))
        products = as_int64(self.mul.model(a, b))
        acc = np.zeros(a.shape[:-1], dtype=np.int64)
        state = np.zeros(a.shape, dtype=np.int64)
        for t in range(a.shape[-1]):
            start = np.where(clear[..., t] != 0, 0, acc)
            summed = accumulate(self.add, self.acc_width, self.signed, start, products[..., t])
            acc = np.where(en[..., t] != 0, summed, acc)
            state[..., t] = acc
        delay = self.latency - 1
        trace = np.zeros(a.shape, dtype=np.int64)
        trace[..., delay:] = state[..., :a.shape[-1] - delay]
        return trace

    # -- circuit --------------------------------------------------------------------------

    def _own_source(self) -> VerilogSource:
        from ._verilog import emit_sequential

        return VerilogSource(f"{self.name}.v", emit_sequential(self.component(), self.name))

    def rtl(self, io):
        from amaranth.hdl import Module, Mux, Signal

        from ._pe import full_width

        m = Module()
        m.submodules.mul = mul = self.mul.component()
        m.submodules.add = add = self.add.component()
        a, b, en, clear = io.a, io.b, io.en, io.clear
        if self.in_reg:
            a = Signal.like(io.a, name="a_q")
            b = Signal.like(io.b, name="b_q")
            en = Signal(name="en_q")
            clear = Signal(name="clear_q")
            m.d.sync += [a.eq(io.a), b.eq(io.b), en.eq(io.en), clear.eq(io.clear)]
        acc = Signal.like(io.p, name="acc")
        product = full_width(m, mul.p, io.p.shape(), "product")
        m.d.comb += [
            mul.a.eq(a),
            mul.b.eq(b),
            add.a.eq(Mux(clear, 0, acc)),
            add.b.eq(product),
        ]
        with m.If(en):
            m.d.sync += acc.eq(add.p)  # the carry-out bit is dropped: wraps to acc_width
        if self.out_reg:
            p_q = Signal.like(io.p, name="p_q")
            m.d.sync += p_q.eq(acc)
            m.d.comb += io.p.eq(p_q)
        else:
            m.d.comb += io.p.eq(acc)
        return m


def _widths(unit) -> str:
    """The width part of ``unit``'s spec (``width=8,signed=false``)."""
    return ",".join(unit.operation.spec_widths())
