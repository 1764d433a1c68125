"""The processing elements of the arrays (Amaranth; imported only when a circuit is built).

As in Gemmini's ``PE.scala``, the multiplier and the adder are constructor arguments: any
multiplier unit and any adder unit (``unit.component()`` is instantiated as ``mul`` and
``add``). Each processing element holds its pipeline registers (the outputs towards its right
and lower neighbours) and its state; ``en`` advances all of them at once (the array's stall).
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["full_width", "operand_shape", "WeightStationaryPE", "OutputStationaryPE"]


def operand_shape(width: int, is_signed: bool) -> Shape:
    return signed(width) if is_signed else unsigned(width)


def full_width(m: Module, value, shape, name: str) -> Signal:
    """``value`` extended to ``shape`` on a signal of its own.

    The ``^ 0`` gives the extension bits nets of their own, so a sub-unit's input port driven
    by this signal is ``shape`` bits wide; without it Amaranth passes the narrower value (and
    the extension) into the sub-unit, whose arithmetic then widens it implicitly, which
    Verilator's -Wall flags (WIDTHEXPAND). Synthesis removes it.
    """
    sig = Signal(shape, name=name)
    m.d.comb += sig.eq(value ^ Const(0, shape))
    return sig


class WeightStationaryPE(wiring.Component):
    """One PE of a weight-stationary array: a stationary weight, ``d_out = d_in ⊕ mul(a, w)``.

    Ports: ``a_in`` (activation from the left), ``d_in`` (partial sum, or on a load beat the
    weight, from above), ``load_in``, ``en`` in; ``a_out``, ``d_out``, ``load_out`` out
    (registers, towards the right and lower neighbours). On a load beat the weight register
    takes the low ``b_width`` bits of ``d_in`` and passes its old weight down (a shift chain).
    """

    def __init__(self, *, mul, add, acc_width: int):
        self._mul, self._add = mul, add
        is_signed = mul.signed
        self._a_shape = operand_shape(mul.a_width, is_signed)
        self._b_shape = operand_shape(mul.b_width, is_signed)
        self._acc_shape = operand_shape(acc_width, is_signed)
        super().__init__({
            "a_in": In(self._a_shape),
            "d_in": In(self._acc_shape),
            "load_in": In(1),
            "en": In(1),
            "a_out": Out(self._a_shape),
            "d_out": Out(self._acc_shape),
            "load_out": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.mul = mul = self._mul.component()
        m.submodules.add = add = self._add.component()
        weight = Signal(self._b_shape, name="weight")
        product = full_width(m, mul.p, self._acc_shape, "product")
        m.d.comb += [
            mul.a.eq(self.a_in),
            mul.b.eq(weight),
            add.a.eq(self.d_in),
            add.b.eq(product),
        ]
        with m.If(self.en):
            m.d.sync += [self.a_out.eq(self.a_in), self.load_out.eq(self.load_in)]
            with m.If(self.load_in):
                m.d.sync += [
                    weight.eq(self.d_in[:self._b_shape.width]),
                    self.d_out.eq(weight),
                ]
            with m.Else():
                m.d.sync += self.d_out.eq(add.p)  # the carry-out bit is dropped
        return m


class OutputStationaryPE(wiring.Component):
    """One PE of an output-stationary array: ``acc ← (first ? 0 : acc) ⊕ mul(a, w)``.

    Ports: ``a_in`` (from the left), ``w_in``, ``r_in`` (result lane), ``valid_in``,
    ``first_in``, ``last_in``, ``drain_in`` (from above), ``en`` in; the same ``*_out``
    (registers) out. The result lane is a shift register down the column, one row per drain
    step: on the beat flagged ``last`` (the first drain step) the PE puts its finished sum on
    the lane, on the following ``rows - 1`` drain steps the result it took from above
    (``held``): ``r_out ← last ? sum : held``, ``held ← r_in``.
    """

    def __init__(self, *, mul, add, acc_width: int):
        self._mul, self._add = mul, add
        is_signed = mul.signed
        self._a_shape = operand_shape(mul.a_width, is_signed)
        self._b_shape = operand_shape(mul.b_width, is_signed)
        self._acc_shape = operand_shape(acc_width, is_signed)
        flags = ("valid", "first", "last", "drain")
        members = {
            "a_in": In(self._a_shape),
            "w_in": In(self._b_shape),
            "r_in": In(self._acc_shape),
            **{f"{f}_in": In(1) for f in flags},
            "en": In(1),
            "a_out": Out(self._a_shape),
            "w_out": Out(self._b_shape),
            "r_out": Out(self._acc_shape),
            **{f"{f}_out": Out(1) for f in flags},
        }
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mul = mul = self._mul.component()
        m.submodules.add = add = self._add.component()
        acc = Signal(self._acc_shape, name="acc")
        held = Signal(self._acc_shape, name="held")
        product = full_width(m, mul.p, self._acc_shape, "product")
        m.d.comb += [
            mul.a.eq(self.a_in),
            mul.b.eq(self.w_in),
            add.a.eq(Mux(self.first_in, 0, acc)),
            add.b.eq(product),
        ]
        with m.If(self.en):
            m.d.sync += [
                self.a_out.eq(self.a_in),
                self.w_out.eq(self.w_in),
                self.r_out.eq(held),
                self.valid_out.eq(self.valid_in),
                self.first_out.eq(self.first_in),
                self.last_out.eq(self.last_in),
                self.drain_out.eq(self.drain_in),
            ]
            with m.If(self.valid_in):
                m.d.sync += acc.eq(add.p)  # the carry-out bit is dropped
            with m.If(self.valid_in & self.last_in):
                m.d.sync += self.r_out.eq(add.p)
            with m.If(self.drain_in):
                m.d.sync += held.eq(self.r_in)
        return m
