"""The systolic array as an Amaranth component (imported only when a circuit is built).

Layered as Gemmini's ``Mesh.scala``/``MeshWithDelays``: ``rows × cols`` processing elements
(:mod:`._pe`) named ``pe_<r>_<c>``, the input skew (row ``r`` and column ``c`` delayed by ``r``
and ``c`` steps), the output deskew (column ``c`` delayed by ``cols - 1 - c`` steps), a valid
pipeline of :attr:`latency` stages and the stream handshake. The whole array advances one step
in a cycle where its output register is free (``advance = ~o.valid | o.ready``); otherwise every
register holds, and ``i.ready`` is low. The beat protocol is in ``docs/arrays.md``.

With ``cv``, a control-variate column ``cv_<r>`` runs beside column 0 (it takes each row's
activation and, os, flags in step with ``pe_<r>_0``), its bottom value ``U`` is delayed to the
deskewed outputs, and an output register stage adds ``round_half_even(U·C_c / 2)`` to column
``c`` (one more step of latency).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ._pe import (
    OutputStationaryCV,
    OutputStationaryPE,
    WeightStationaryCV,
    WeightStationaryPE,
    full_width,
    operand_shape,
)

__all__ = ["stream_layouts", "SystolicArray", "build"]


def stream_layouts(unit) -> tuple[data.StructLayout, data.ArrayLayout]:
    """The payload layouts of the input and output streams of ``unit`` (a systolic unit)."""
    a_shape = operand_shape(unit.a_width, unit.signed)
    b_shape = operand_shape(unit.b_width, unit.signed)
    acc_shape = operand_shape(unit.acc_width, unit.signed)
    rows, cols = unit.rows, unit.cols
    if unit.dataflow == "ws":
        i_layout = data.StructLayout({
            "a": data.ArrayLayout(a_shape, rows),
            "psum": data.ArrayLayout(acc_shape, cols),
            "w": data.ArrayLayout(b_shape, cols),
            "load": 1,
        })
    else:
        i_layout = data.StructLayout({
            "a": data.ArrayLayout(a_shape, rows),
            "w": data.ArrayLayout(b_shape, cols),
            "last": 1,
        })
    return i_layout, data.ArrayLayout(acc_shape, cols)


def _taps(m: Module, value, steps: int, name: str, en) -> list:
    """``value`` delayed by 0, 1, …, ``steps`` advancing steps (registers ``<name>_1`` …)."""
    taps = [value]
    for k in range(1, steps + 1):
        reg = Signal(value.shape(), name=f"{name}_{k}")
        with m.If(en):
            m.d.sync += reg.eq(taps[-1])
        taps.append(reg)
    return taps


def _delay(m: Module, value, steps: int, name: str, en):
    """``value`` delayed by ``steps`` advancing steps."""
    return _taps(m, value, steps, name, en)[-1]


class SystolicArray(wiring.Component):
    """``rows × cols`` PEs between an input stream ``i`` and an output stream ``o``; its
    ``elaborate`` is the unit's ``rtl`` (:func:`build`)."""

    def __init__(self, unit):
        self._unit = unit
        i_layout, o_layout = stream_layouts(unit)
        super().__init__({
            "i": In(stream.Signature(i_layout)),
            "o": Out(stream.Signature(o_layout)),
        })

    @property
    def unit(self):
        """The systolic unit this component implements."""
        return self._unit

    def elaborate(self, platform):
        return self._unit.rtl(self)


def build(unit, io) -> Module:
    """The array of ``unit`` driving the streams of the component ``io``."""
    m = Module()
    advance = Signal(name="advance")
    take = Signal(name="take")
    m.d.comb += [advance.eq(~io.o.valid | io.o.ready), take.eq(io.i.valid & io.i.ready)]
    pe_class = WeightStationaryPE if unit.dataflow == "ws" else OutputStationaryPE
    pes = [[None] * unit.cols for _ in range(unit.rows)]
    for r in range(unit.rows):
        for c in range(unit.cols):
            pe = pe_class(mul=unit.pe_muls[r][c], add=unit.add, acc_width=unit.acc_width,
                          cure=unit.cure)
            m.submodules[f"pe_{r}_{c}"] = pes[r][c] = pe
            m.d.comb += pe.en.eq(advance)
    if unit.dataflow == "ws":
        tag, bottom = _weight_stationary(m, unit, io.i, pes, advance, take)
    else:
        tag, bottom = _output_stationary(m, unit, io.i, pes, advance, take)
    # rows of activations from the left, skewed: row r is r steps late
    for r in range(unit.rows):
        m.d.comb += pes[r][0].a_in.eq(_delay(m, io.i.p.a[r], r, f"skew_a{r}", advance))
        for c in range(1, unit.cols):
            m.d.comb += pes[r][c].a_in.eq(pes[r][c - 1].a_out)
    # deskew: column c leaves the last row cols - 1 - c steps before the last column
    outputs = [_delay(m, bottom[c], unit.cols - 1 - c, f"deskew{c}", advance)
               for c in range(unit.cols)]
    if unit.cv:
        outputs = _control_variate(m, unit, pes, outputs, advance)
    for c in range(unit.cols):
        m.d.comb += io.o.p[c].eq(outputs[c])
    m.d.comb += io.o.valid.eq(_delay(m, tag, unit.latency, "valid", advance))
    return m


def _control_variate(m: Module, unit, pes, outputs, advance) -> list:
    """The control-variate column ``cv_<r>`` beside column 0 and the output stage: registers
    ``cv_y<c> ← outputs[c] + round_half_even(U·C[c] / 2)`` (see ``docs/arrays.md``)."""
    row_scales, col_scales = unit.cv_scales
    a_shape = operand_shape(unit.a_width, unit.signed)
    v_shape = operand_shape(unit.acc_width + 1, unit.signed)
    acc_shape = operand_shape(unit.acc_width, unit.signed)
    cvs = []
    for r in range(unit.rows):
        if unit.dataflow == "ws":
            cv = WeightStationaryCV(a_shape=a_shape, v_shape=v_shape, scale=row_scales[r])
            above = cvs[-1].v_out if cvs else 0
            m.d.comb += cv.v_in.eq(above)
        else:
            cv = OutputStationaryCV(a_shape=a_shape, v_shape=v_shape, scale=row_scales[r])
            for flag in ("valid", "first", "last", "drain"):
                m.d.comb += getattr(cv, f"{flag}_in").eq(getattr(pes[r][0], f"{flag}_in"))
            if cvs:
                m.d.comb += cv.r_in.eq(cvs[-1].r_out)
        m.submodules[f"cv_{r}"] = cv
        m.d.comb += [cv.en.eq(advance), cv.a_in.eq(pes[r][0].a_in)]
        cvs.append(cv)
    bottom = cvs[-1].v_out if unit.dataflow == "ws" else cvs[-1].r_out
    # the column's bottom is in step with column 0's, which the deskew delays by cols - 1
    u = _delay(m, bottom, unit.cols - 1, "cv_u", advance)
    out = []
    for c, scale in enumerate(col_scales):
        x = Signal(v_shape, name=f"cv_x{c}")
        corr = Signal(acc_shape, name=f"cv_corr{c}")
        y = Signal(acc_shape, name=f"cv_y{c}")
        m.d.comb += [
            x.eq(u if scale == 1 else u * scale),
            corr.eq(x[1:] + (x[0] & x[1])),  # x / 2 rounded half to even
        ]
        with m.If(advance):
            m.d.sync += y.eq(outputs[c] + corr)
        out.append(y)
    return out


def _top(m: Module, pes, lanes: dict, advance) -> None:
    """Drive the top inputs of every column, skewed: ``lanes[name]`` (one value for every
    column, or a list of one per column) delayed by ``c`` steps into ``pe_0_c.<name>_in``;
    below, ``pe_r_c.<name>_in`` from ``pe_(r-1)_c.<name>_out``."""
    rows, cols = len(pes), len(pes[0])
    for name, values in lanes.items():
        if isinstance(values, list):
            tops = [_delay(m, values[c], c, f"skew_{name}{c}", advance) for c in range(cols)]
        else:
            tops = _taps(m, values, cols - 1, f"skew_{name}", advance)
        for c in range(cols):
            m.d.comb += getattr(pes[0][c], f"{name}_in").eq(tops[c])
            for r in range(1, rows):
                m.d.comb += getattr(pes[r][c], f"{name}_in").eq(
                    getattr(pes[r - 1][c], f"{name}_out"))


def _weight_stationary(m: Module, unit, i, pes, advance, take):
    """Input control of ``dataflow=ws``: load beats shift weights down the partial-sum lane;
    every compute beat yields an output beat. Returns (output tag, bottom of each column)."""
    m.d.comb += i.ready.eq(advance)
    load = Signal(name="load")
    compute = Signal(name="compute")
    m.d.comb += [load.eq(take & i.p.load), compute.eq(take & ~i.p.load)]
    acc_shape = operand_shape(unit.acc_width, unit.signed)
    lanes = {"d": [], "load": load}
    for c in range(unit.cols):
        w = full_width(m, i.p.w[c], acc_shape, f"w{c}")
        lane = Signal(acc_shape, name=f"top_d{c}")
        m.d.comb += lane.eq(i.p.psum[c])
        with m.If(i.p.load):
            m.d.comb += lane.eq(w)
        lanes["d"].append(lane)
    _top(m, pes, lanes, advance)
    if unit.cure:  # the cut carries flow down with the partial sums; none enters row 0
        for c in range(unit.cols):
            m.d.comb += pes[0][c].cut_in.eq(0)
            for r in range(1, unit.rows):
                m.d.comb += pes[r][c].cut_in.eq(pes[r - 1][c].cut_out)
    return compute, [pes[-1][c].d_out for c in range(unit.cols)]


def _output_stationary(m: Module, unit, i, pes, advance, take):
    """Input control of ``dataflow=os``: the first beat after a ``last`` starts a tile; the
    step of a ``last`` beat and the ``rows - 1`` steps after it drain the tile's results, and
    the next ``last`` beat waits for the end of that drain. Returns (output tag, bottom of each
    column)."""
    rows = unit.rows
    next_first = Signal(init=1, name="next_first")
    drain_left = Signal(range(max(rows, 2)), name="drain_left")
    drain = Signal(name="drain")
    last = Signal(name="last")
    first = Signal(name="first")
    m.d.comb += [
        i.ready.eq(advance & (~i.p.last | ~drain_left.any())),
        last.eq(take & i.p.last),
        first.eq(take & next_first),
        drain.eq(last | drain_left.any()),
    ]
    with m.If(advance):
        with m.If(take):
            m.d.sync += next_first.eq(i.p.last)
        with m.If(last):
            m.d.sync += drain_left.eq(rows - 1)
        with m.Elif(drain_left.any()):
            m.d.sync += drain_left.eq(drain_left - 1)
    lanes = {"w": [i.p.w[c] for c in range(unit.cols)], "valid": take, "first": first,
             "last": last, "drain": drain}
    _top(m, pes, lanes, advance)
    # the result lane: nothing enters at the top (row 0 takes zeros, never emitted)
    for c in range(unit.cols):
        for r in range(1, rows):
            m.d.comb += pes[r][c].r_in.eq(pes[r - 1][c].r_out)
    return drain, [pes[-1][c].r_out for c in range(unit.cols)]
