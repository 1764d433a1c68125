"""The processing elements of the arrays (Amaranth; imported only when a circuit is built).

As in Gemmini's ``PE.scala``, the multiplier and the adder are constructor arguments: any
multiplier unit and any adder unit (``unit.component()`` is instantiated as ``mul`` and
``add``). Each processing element holds its pipeline registers (the outputs towards its right
and lower neighbours) and its state; ``en`` advances all of them at once (the array's stall).

``cure=True`` (the adder is a ``carry_cut`` adder, extra output ``cut``): the carry cut in an
accumulation step is added at bit ``c`` of the next step of the same sum, by the PE below
(ws: ports ``cut_in``/``cut_out``) or by the PE itself at its next beat (os: register
``carry``). Having no carry-in port, the adder gets it on its running-sum operand,
``running + (carry << c)``, which modulo ``2^acc_width`` is a carry into its upper part.

The control-variate column (``cv``) is built of :class:`WeightStationaryCV` /
:class:`OutputStationaryCV` elements: the PE's lanes without a multiplier and with an exact
adder, accumulating ``a · scale`` on ``acc_width + 1`` bits.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["full_width", "operand_shape", "WeightStationaryPE", "OutputStationaryPE",
           "WeightStationaryCV", "OutputStationaryCV"]


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


def with_carry(m: Module, running, carry, add, shape, name: str):
    """``running + (carry << add.c)`` modulo ``2^width`` of ``shape`` on a signal of its own
    (``running`` itself when ``c`` is the width: the carry then vanishes modulo
    ``2^width``)."""
    if add.c >= shape.width:
        return running
    addend = full_width(m, Cat(Const(0, add.c), carry), shape, f"{name}_carry")
    sig = Signal(shape, name=name)
    m.d.comb += sig.eq(running + addend)
    return sig


class WeightStationaryPE(wiring.Component):
    """One PE of a weight-stationary array: a stationary weight, ``d_out = d_in ⊕ mul(a, w)``.

    Ports: ``a_in`` (activation from the left), ``d_in`` (partial sum, or on a load beat the
    weight, from above), ``load_in``, ``en`` in; ``a_out``, ``d_out``, ``load_out`` out
    (registers, towards the right and lower neighbours). On a load beat the weight register
    takes the low ``b_width`` bits of ``d_in`` and passes its old weight down (a shift chain).
    With ``cure``, also ``cut_in`` (the carry the PE above cut) and ``cut_out`` (this PE's, 0
    after a load beat).
    """

    def __init__(self, *, mul, add, acc_width: int, cure: bool = False):
        self._mul, self._add, self._cure = mul, add, cure
        is_signed = mul.signed
        self._a_shape = operand_shape(mul.a_width, is_signed)
        self._b_shape = operand_shape(mul.b_width, is_signed)
        self._acc_shape = operand_shape(acc_width, is_signed)
        members = {
            "a_in": In(self._a_shape),
            "d_in": In(self._acc_shape),
            "load_in": In(1),
            "en": In(1),
            "a_out": Out(self._a_shape),
            "d_out": Out(self._acc_shape),
            "load_out": Out(1),
        }
        if cure:
            members.update(cut_in=In(1), cut_out=Out(1))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mul = mul = self._mul.component()
        m.submodules.add = add = self._add.component()
        weight = Signal(self._b_shape, name="weight")
        product = full_width(m, mul.p, self._acc_shape, "product")
        running = self.d_in
        if self._cure:
            running = with_carry(m, self.d_in, self.cut_in, self._add, self._acc_shape,
                                 "running")
        m.d.comb += [
            mul.a.eq(self.a_in),
            mul.b.eq(weight),
            add.a.eq(running),
            add.b.eq(product),
        ]
        with m.If(self.en):
            m.d.sync += [self.a_out.eq(self.a_in), self.load_out.eq(self.load_in)]
            with m.If(self.load_in):
                m.d.sync += [
                    weight.eq(self.d_in[:self._b_shape.width]),
                    self.d_out.eq(weight),
                ]
                if self._cure:
                    m.d.sync += self.cut_out.eq(0)
            with m.Else():
                m.d.sync += self.d_out.eq(add.p)  # the carry-out bit is dropped
                if self._cure:
                    m.d.sync += self.cut_out.eq(add.cut)
        return m


class OutputStationaryPE(wiring.Component):
    """One PE of an output-stationary array: ``acc ← (first ? 0 : acc) ⊕ mul(a, w)``.

    Ports: ``a_in`` (from the left), ``w_in``, ``r_in`` (result lane), ``valid_in``,
    ``first_in``, ``last_in``, ``drain_in`` (from above), ``en`` in; the same ``*_out``
    (registers) out. The result lane is a shift register down the column, one row per drain
    step: on the beat flagged ``last`` (the first drain step) the PE puts its finished sum on
    the lane, on the following ``rows - 1`` drain steps the result it took from above
    (``held``): ``r_out ← last ? sum : held``, ``held ← r_in``. With ``cure``, the register
    ``carry`` keeps the carry cut at the previous beat, added in at this one (none at a
    tile's first beat).
    """

    #: the lanes passed through to the neighbours besides the flags
    _lanes = ("a", "w")

    def __init__(self, *, mul, add, acc_width: int, cure: bool = False):
        self._mul, self._add, self._cure = mul, add, cure
        is_signed = mul.signed
        self._a_shape = operand_shape(mul.a_width, is_signed)
        self._b_shape = operand_shape(mul.b_width, is_signed)
        self._acc_shape = operand_shape(acc_width, is_signed)
        super().__init__(self._members())

    def _members(self) -> dict:
        flags = ("valid", "first", "last", "drain")
        return {
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

    def _step(self, m: Module, acc):
        """This beat's sum ``(first ? 0 : acc) ⊕ mul(a, w)`` and the register updates that go
        with it (with ``cure``: the cut carry)."""
        m.submodules.mul = mul = self._mul.component()
        m.submodules.add = add = self._add.component()
        product = full_width(m, mul.p, self._acc_shape, "product")
        running = acc
        if self._cure:
            carry = Signal(name="carry")
            running = with_carry(m, acc, carry, self._add, self._acc_shape, "running")
            with m.If(self.en & self.valid_in):
                m.d.sync += carry.eq(add.cut)
        m.d.comb += [
            mul.a.eq(self.a_in),
            mul.b.eq(self.w_in),
            add.a.eq(Mux(self.first_in, 0, running)),
            add.b.eq(product),
        ]
        return add.p  # the carry-out bit is dropped

    def elaborate(self, platform):
        m = Module()
        acc = Signal(self._acc_shape, name="acc")
        held = Signal(self._acc_shape, name="held")
        total = self._step(m, acc)
        with m.If(self.en):
            m.d.sync += [getattr(self, f"{lane}_out").eq(getattr(self, f"{lane}_in"))
                         for lane in self._lanes]
            m.d.sync += [
                self.r_out.eq(held),
                self.valid_out.eq(self.valid_in),
                self.first_out.eq(self.first_in),
                self.last_out.eq(self.last_in),
                self.drain_out.eq(self.drain_in),
            ]
            with m.If(self.valid_in):
                m.d.sync += acc.eq(total)
            with m.If(self.valid_in & self.last_in):
                m.d.sync += self.r_out.eq(total)
            with m.If(self.drain_in):
                m.d.sync += held.eq(self.r_in)
        return m


def _scaled(m: Module, a, scale: int, shape, name: str) -> Signal:
    """``a · scale`` modulo ``2^width`` of ``shape`` (a constant factor: shifts and adds)."""
    wide = full_width(m, a, shape, f"{name}_a")
    if scale == 1:
        return wide
    sig = Signal(shape, name=name)
    m.d.comb += sig.eq(wide * scale)
    return sig


class WeightStationaryCV(wiring.Component):
    """One element of the control-variate column of a weight-stationary array: ``v_out ←
    v_in + a_in · scale`` (``a_in`` the activation of its row, in step with the row's first
    PE; ``v`` modulo ``2^(acc_width + 1)``), so the bottom element yields ``U = Σ_r a_r·R_r``
    of a beat ``rows`` steps after the beat entered."""

    def __init__(self, *, a_shape, v_shape, scale: int):
        self._scale, self._v_shape = scale, v_shape
        super().__init__({"a_in": In(a_shape), "v_in": In(v_shape), "en": In(1),
                          "v_out": Out(v_shape)})

    def elaborate(self, platform):
        m = Module()
        term = _scaled(m, self.a_in, self._scale, self._v_shape, "term")
        with m.If(self.en):
            m.d.sync += self.v_out.eq(self.v_in + term)
        return m


class OutputStationaryCV(OutputStationaryPE):
    """One element of the control-variate column of an output-stationary array: an
    :class:`OutputStationaryPE` without weight lane and multiplier whose exact adder
    accumulates ``a · scale`` on ``acc_width + 1`` bits over a tile (``U_r = Σ_k a_rk·R_r``)
    and drains it down its result lane with the rows' results. It takes its row's activation
    and flags in step with the row's first PE (ports ``a_in``, ``*_in``; no ``a_out``)."""

    _lanes = ()

    def __init__(self, *, a_shape, v_shape, scale: int):
        self._scale, self._cure = scale, False
        self._a_shape, self._b_shape, self._acc_shape = a_shape, unsigned(1), v_shape
        wiring.Component.__init__(self, self._members())

    def _members(self) -> dict:
        members = super()._members()
        for name in ("w_in", "w_out", "a_out"):
            del members[name]
        return members

    def _step(self, m: Module, acc):
        term = _scaled(m, self.a_in, self._scale, self._acc_shape, "term")
        total = Signal(self._acc_shape, name="total")
        m.d.comb += total.eq(Mux(self.first_in, 0, acc) + term)
        return total
