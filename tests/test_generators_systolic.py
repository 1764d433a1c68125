"""Tests of the systolic arrays (``systolic``, weight- and output-stationary).

References written here, independently of ``axhdl.generators.arrays``: with exact units the
array computes ``A@W`` modulo ``2^acc_width``; with approximate units each element of ``C`` is
the per-element loop of the hardware's order (ws: K in tiles of ``rows``, zero-padded, each
product ``mul(A[m,k], W[k,n])`` added to the running sum by the adder model; os: the same over
the K beats of a tile). The RTL streams random matrices (M > rows, K > rows, N > cols) on the
Amaranth simulator with random gaps on the input and random back-pressure on the output,
following the host procedure of ``docs/arrays.md`` (ws: the previous K-tile's output beats fed
back as partial sums); every output beat is compared with the golden model.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from amaranth.sim import Simulator

from axhdl import SpecError, make_unit
from axhdl.cli import main
from axhdl.generate import lint_verilog
from axhdl.generators.arrays.systolic import Systolic
from axhdl.operations import MatrixMultiplication

ISSUE_SPEC = "systolic:rows=4,cols=4,mul=(perforated:width=8,m=2),acc_width=24,dataflow=ws"


def to_value(x: int, width: int, signed: bool) -> int:
    """``x`` modulo ``2^width`` as a ``width``-bit value (two's complement when signed)."""
    x &= (1 << width) - 1
    return x - (1 << width) if signed and x >> (width - 1) else x


def spec(rows, cols, dataflow, *, width=4, signed=False, units="") -> str:
    s = "true" if signed else "false"
    return f"systolic:rows={rows},cols={cols},dataflow={dataflow},width={width},signed={s}" + (
        f",{units}" if units else "")


def approx(width: int, signed: bool, kind: str) -> str:
    """Approximate sub-units at ``width``-bit operands with a ``3*width``-bit accumulator."""
    s = "true" if signed else "false"
    acc = 3 * width
    return {
        "perforated": f"acc_width={acc},mul=(perforated:width={width},m=1,signed={s})",
        "drum_loa": (f"acc_width={acc},mul=(drum:width={width},k={width // 2},signed={s}),"
                     f"add=(loa:width={acc},l={width},signed={s})"),
        "trunc_add": f"acc_width={acc},add=(trunc_add:width={acc},k=2,signed={s})",
    }[kind]


def matrices(unit, m, k, n, seed):
    rng = np.random.default_rng(seed)
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a, w = rng.integers(alo, ahi + 1, (m, k)), rng.integers(blo, bhi + 1, (k, n))
    a[0, :], w[:, 0] = alo, blo  # the most negative (or zero) corner
    return a, w


def reference(unit, a, w) -> np.ndarray:
    """Each element of C by the hardware's order of products and additions, one at a time."""
    mul, add = unit.parameters["mul"], unit.parameters["add"]
    width, signed = unit.parameters["acc_width"], unit.signed
    (m, k), n = a.shape, w.shape[1]
    steps = k if unit.dataflow == "os" else math.ceil(k / unit.rows) * unit.rows
    out = np.zeros((m, n), dtype=np.int64)
    for i in range(m):
        for j in range(n):
            acc = 0
            for kk in range(steps):  # ws: K zero-padded to whole tiles of rows
                x, y = (int(a[i, kk]), int(w[kk, j])) if kk < k else (0, 0)
                acc = to_value(int(add.model(acc, int(mul.model(x, y)))), width, signed)
            out[i, j] = acc
    return out


class TestParameters:
    def test_the_issue_spec(self):
        u = make_unit(ISSUE_SPEC)
        assert isinstance(u, Systolic) and u.kind == "gemm"
        assert u.spec == (
            "systolic:width=8,signed=false,acc_width=24,rows=4,cols=4,dataflow=ws,"
            "mul=(perforated:width=8,signed=false,m=2,start=0),add=(exact_add:width=24,"
            "signed=false,arch=operator)")
        assert make_unit(u.spec) == u
        assert u.operation == MatrixMultiplication(8, 8, False, 24)
        assert u.operation.baseline_spec() is None
        assert u.name.startswith("systolic_ws4x4_8x8u_acc24_")

    def test_defaults(self):
        u = make_unit("systolic")
        assert (u.rows, u.cols, u.dataflow, u.acc_width) == (4, 4, "ws", 24)
        assert u.mul.spec == "exact:width=8,signed=false,arch=operator"
        assert u.add.spec == "exact_add:width=24,signed=false,arch=operator"
        assert u.weight_operand == "b"

    @pytest.mark.parametrize("rows,cols,latency", [(1, 1, 1), (2, 2, 3), (3, 2, 4), (4, 4, 7),
                                                   (8, 16, 23)])
    def test_latency_and_throughput(self, rows, cols, latency):
        u = make_unit(f"systolic:rows={rows},cols={cols}")
        assert u.latency == latency == u.info["latency"]
        assert u.throughput == 1 == u.info["throughput"]

    def test_exact_baseline(self):
        u = make_unit(spec(3, 2, "os", signed=True, units=approx(4, True, "drum_loa")))
        assert u.exact_baseline().spec == (
            "systolic:width=4,signed=true,acc_width=12,rows=3,cols=2,dataflow=os,"
            "mul=(exact:width=4,signed=true,arch=operator),add=(exact_add:width=12,signed=true,"
            "arch=operator)")

    @pytest.mark.parametrize("text,message", [
        ("systolic:rows=0",
         "systolic: Parameter 'rows' must be an integer in 1..64, not 0"),
        ("systolic:cols=65",
         "systolic: Parameter 'cols' must be an integer in 1..64, not 65"),
        ("systolic:rows=two",
         "systolic: Parameter 'rows' must be an integer, not 'two'"),
        ("systolic:dataflow=is",
         "systolic: Parameter 'dataflow' must be one of ws, os, not 'is'"),
        ("systolic:mul=(loa:width=8)",
         ("systolic: Parameter 'mul' must be a multiplier, not an adder "
          "(loa:width=8,signed=false,l=4,carry=true)")),
        ("systolic:add=(exact:width=24)",
         ("systolic: Parameter 'add' must be an adder, not a multiplier "
          "(exact:width=24,signed=false,arch=operator)")),
        ("systolic:mul=(perforated:width=4,m=2)",
         ("systolic: Parameter 'mul' must be a multiplier with a_width = a_width (here 8); "
          "perforated:width=4,signed=false,m=2,start=0 has a_width = 4")),
        ("systolic:signed=true,mul=(perforated:width=8,m=2)",
         ("systolic: Parameter 'mul' must be a multiplier with signed = signed (here true); "
          "perforated:width=8,signed=false,m=2,start=0 has signed = false")),
        ("systolic:acc_width=20,add=(loa:width=24,l=6)",
         ("systolic: Parameter 'add' must be an adder with width = acc_width (here 20); "
          "loa:width=24,signed=false,l=6,carry=true has width = 24")),
        ("systolic:width=8,acc_width=15",
         ("systolic: Parameter 'acc_width' must be an integer in a_width + b_width..61 (here "
          "16..61), not 15")),
        ("systolic:mul=(reconfigurable:width=8)",
         ("systolic: Parameter 'mul' must be a multiplier without control inputs; "
          "reconfigurable:width=8,signed=false,modes=0;1;2 has control inputs: mode")),
        ("systolic:mesh=4",
         ("systolic: Family 'systolic' has no parameter 'mesh'; its parameters are: a_width, "
          "b_width, signed, acc_width, rows, cols, dataflow, mul, add, row_muls, col_muls, cv, "
          "cure")),
    ])
    def test_errors(self, text, message):
        with pytest.raises(SpecError) as e:
            make_unit(text)
        assert str(e.value) == message

    def test_model_needs_matrices(self):
        u = make_unit("systolic")
        with pytest.raises(ValueError) as e:
            u.model(np.ones((2, 3)), np.ones((4, 2)))
        assert str(e.value) == (
            "systolic.model needs matrices A (..., M, K) and W (..., K, N) with K >= 1, not "
            "shapes (2, 3) and (4, 2)")


class TestStreams:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_fields_match_the_amaranth_layouts(self, dataflow, signed):
        from amaranth.hdl import Shape

        from axhdl.generators.arrays._mesh import stream_layouts

        u = make_unit(f"systolic:rows=3,cols=2,a_width=4,b_width=5,acc_width=13,"
                      f"dataflow={dataflow},signed={str(signed).lower()}")
        fields = u.stream_fields()
        i_layout, o_layout = stream_layouts(u)
        assert fields["i"]["width"] == Shape.cast(i_layout).width
        assert fields["o"]["width"] == Shape.cast(o_layout).width == 2 * 13
        for f in fields["i"]["fields"]:
            member = i_layout[f["name"]]
            assert member.offset == f["offset"]
            shape = member.shape
            if f["name"] in ("load", "last"):
                assert Shape.cast(shape).width == 1 and f["count"] == 1
            else:
                assert shape.length == f["count"] and shape.elem_shape.width == f["width"]
                assert shape.elem_shape.signed == f["signed"] == signed
        names = [f["name"] for f in fields["i"]["fields"]]
        assert names == (["a", "psum", "w", "load"] if dataflow == "ws" else ["a", "w", "last"])

    def test_ws_payload_bits(self):
        u = make_unit("systolic:rows=2,cols=2,width=4,acc_width=10,signed=true")
        # a: bits 0..7, psum: 8..27, w: 28..35, load: 36
        word = u.pack_beat({"a": [-1, 2], "psum": [-3, 4], "w": [5, -6], "load": 1})
        assert word == (0xF | 2 << 4 | 0x3FD << 8 | 4 << 18 | 5 << 28 | 0xA << 32 | 1 << 36)
        assert u.unpack_output(0x3FD | 4 << 10).tolist() == [-3, 4]
        assert u.info["ports"]["i__payload"] == {"dir": "in", "width": 37, "signed": False}

    def test_os_payload_bits(self):
        u = make_unit("systolic:rows=3,cols=1,width=2,dataflow=os")
        assert u.pack_beat({"a": [1, 2, 3], "w": [2], "last": 1}) == (
            1 | 2 << 2 | 3 << 4 | 2 << 6 | 1 << 8)
        assert u.stream_fields()["i"]["width"] == 9

    def test_info_ports(self):
        info = make_unit("systolic:rows=2,cols=3,dataflow=os").info
        assert info["ports"] == {
            "clk": {"dir": "in", "width": 1, "signed": False},
            "rst": {"dir": "in", "width": 1, "signed": False},
            "i__payload": {"dir": "in", "width": 2 * 8 + 3 * 8 + 1, "signed": False},
            "i__valid": {"dir": "in", "width": 1, "signed": False},
            "i__ready": {"dir": "out", "width": 1, "signed": False},
            "o__payload": {"dir": "out", "width": 3 * 24, "signed": False},
            "o__valid": {"dir": "out", "width": 1, "signed": False},
            "o__ready": {"dir": "in", "width": 1, "signed": False},
        }
        assert (info["rows"], info["cols"], info["dataflow"]) == (2, 3, "os")


class TestModel:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("rows,cols,m,k,n", [
        (2, 2, 5, 7, 3), (3, 2, 1, 1, 1), (4, 4, 9, 12, 10), (1, 3, 4, 5, 7), (4, 4, 3, 3, 3),
    ])
    def test_exact_units_give_a_at_w(self, dataflow, signed, rows, cols, m, k, n):
        u = make_unit(spec(rows, cols, dataflow, width=8, signed=signed))
        a, w = matrices(u, m, k, n, seed=rows * 100 + k)
        c = u.model(a, w)
        assert c.dtype == np.int64 and c.shape == (m, n)
        want = [[to_value(int(v), 24, signed) for v in row] for row in (a @ w).tolist()]
        assert c.tolist() == want

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_exact_units_wrap_the_accumulator(self, dataflow):
        u = make_unit(spec(2, 2, dataflow, width=4, units="acc_width=9"))
        a, w = np.full((3, 5), 15), np.full((5, 3), 15)
        assert (u.model(a, w) == (5 * 225) % 512).all()

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("kind", ["perforated", "drum_loa", "trunc_add"])
    def test_approximate_units_against_the_loop(self, dataflow, signed, kind):
        u = make_unit(spec(3, 2, dataflow, width=6, signed=signed,
                           units=approx(6, signed, kind)))
        a, w = matrices(u, 7, 8, 5, seed=9)
        c = u.model(a, w)
        assert c.tolist() == reference(u, a, w).tolist()
        exact = make_unit(spec(3, 2, dataflow, width=6, signed=signed, units="acc_width=18"))
        assert (c != exact.model(a, w)).any()

    def test_the_issue_spec_against_the_loop(self):
        u = make_unit(ISSUE_SPEC)
        a, w = matrices(u, 6, 9, 5, seed=2)
        assert u.model(a, w).tolist() == reference(u, a, w).tolist()

    def test_ws_zero_padding_of_k_counts(self):
        # a truncated multiplier with a correction constant gives mul(0, 0) = 8: the padded
        # zero products of the last K-tile change the result; the model follows the hardware
        units = "acc_width=12,mul=(truncated:width=4,k=3,correction=constant)"
        ws = make_unit(spec(4, 1, "ws", units=units))
        os = make_unit(spec(4, 1, "os", units=units))
        assert int(ws.mul.model(0, 0)) == int(ws.mul.model(3, 3)) == 8
        a, w = np.full((1, 5), 3), np.full((5, 1), 3)
        assert int(ws.model(a, w)[0, 0]) == reference(ws, a, w)[0, 0] == 8 * 8
        assert int(os.model(a, w)[0, 0]) == reference(os, a, w)[0, 0] == 5 * 8
        assert_streams_gemm(ws, 3, 5, 2, seed=4)

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_batched(self, dataflow):
        u = make_unit(spec(2, 3, dataflow, width=6, units=approx(6, False, "drum_loa")))
        rng = np.random.default_rng(4)
        a, w = rng.integers(0, 64, (3, 5, 7)), rng.integers(0, 64, (7, 4))
        c = u.model(a, w)
        assert c.shape == (3, 5, 4)
        for i in range(3):
            assert (c[i] == u.model(a[i], w)).all()

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("kind", ["perforated", "drum_loa"])
    def test_stream_model_agrees(self, dataflow, kind):
        u = make_unit(spec(3, 2, dataflow, width=6, signed=True, units=approx(6, True, kind)))
        a, w = matrices(u, 7, 8, 5, seed=12)
        beats = u.host_beats(a, w)
        outputs = u.model_stream(beats)
        if dataflow == "ws":  # per N-tile, per K-tile: 3 load beats, then 7 compute beats
            assert len(beats) == 3 * 3 * (3 + 7) and len(outputs) == 3 * 3 * 7
            assert [b["w"] for b in beats[:3]] == w[2::-1, :2].tolist()
            assert beats[3]["psum_from"] is None and beats[13]["psum_from"] == 0
            assert beats[13]["psum"] == outputs[0].tolist()
            assert beats[9]["a"] == a[6, :3].tolist() and beats[19]["a"] == a[6, 3:6].tolist()
        else:  # per M-tile, per N-tile: K beats; rows leave last first
            assert len(beats) == 3 * 3 * 8 and len(outputs) == 3 * 3 * 3
            assert [b["last"] for b in beats[:8]] == [0] * 7 + [1]
            assert beats[0] == {"a": a[:3, 0].tolist(), "w": w[0, :2].tolist(), "last": 0}
        assert (u.assemble(a.shape, w.shape, outputs) == u.model(a, w)).all()


# -- Amaranth co-simulation -------------------------------------------------------------------


class Run:
    """What a stream simulation saw: output beats and the cycles of every transfer."""

    def __init__(self):
        self.outputs: list[np.ndarray] = []
        self.accepted: list[int] = []  # cycle of each input transfer
        self.emitted: list[int] = []  # cycle of each output transfer


def stream(unit, beats, *, seed=0, gap=0.3, ready=0.6) -> Run:
    """Drive ``beats`` into ``i`` (a beat with ``psum_from`` waits for that output beat and
    carries it as its partial sums, as the host does) with random valid gaps (probability
    ``gap`` per cycle), take ``o`` with ``ready`` asserted with probability ``ready``; check
    that a stalled output holds its payload and that nothing more comes out."""
    expected = len(unit.model_stream(beats))
    rng = np.random.default_rng(seed)
    dut = unit.component()
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    run = Run()

    async def producer(ctx):
        cycle = 0
        for beat in beats:
            while rng.random() < gap or (beat.get("psum_from") is not None
                                         and len(run.outputs) <= beat["psum_from"]):
                ctx.set(dut.i.valid, 0)
                await ctx.tick()
                cycle += 1
            if beat.get("psum_from") is not None:
                beat = {**beat, "psum": run.outputs[beat["psum_from"]].tolist()}
            ctx.set(dut.i.payload.as_value(), unit.pack_beat(beat))
            ctx.set(dut.i.valid, 1)
            while True:
                *_, taken = await ctx.tick().sample(dut.i.ready)
                cycle += 1
                if taken:
                    run.accepted.append(cycle - 1)
                    break
        ctx.set(dut.i.valid, 0)

    async def consumer(ctx):
        cycle, held = 0, None
        while len(run.outputs) < expected:
            take = bool(rng.random() < ready)
            ctx.set(dut.o.ready, take)
            *_, valid, word = await ctx.tick().sample(dut.o.valid, dut.o.payload.as_value())
            cycle += 1
            if held is not None:  # stalled last cycle: the same beat again
                assert valid and word == held, f"cycle {cycle - 1}: stalled beat changed"
            held = word if valid and not take else None
            if valid and take:
                run.outputs.append(unit.unpack_output(word))
                run.emitted.append(cycle - 1)
            assert cycle < 50 * (len(beats) + unit.latency) + 1000, "the array stopped"
        ctx.set(dut.o.ready, 1)
        for _ in range(unit.latency + unit.rows + 2):
            *_, valid = await ctx.tick().sample(dut.o.valid)
            assert not valid, "an output beat more than the model's"

    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return run


def assert_streams_gemm(unit, m, k, n, *, seed) -> Run:
    """The host procedure for random A (m×k), W (k×n) on the simulator: every output beat
    equals the beat-level model, and the assembled C equals ``unit.model``."""
    a, w = matrices(unit, m, k, n, seed=seed)
    beats = unit.host_beats(a, w)
    run = stream(unit, beats, seed=seed)
    expected = unit.model_stream(beats)
    assert len(run.outputs) == len(expected)
    for index, (got, want) in enumerate(zip(run.outputs, expected)):
        assert got.tolist() == want.tolist(), f"output beat {index}"
    assert (unit.assemble(a.shape, w.shape, run.outputs) == unit.model(a, w)).all()
    return run


GEOMETRIES = [(2, 2), (3, 2), (4, 4)]


class TestSimulation:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("rows,cols", GEOMETRIES)
    @pytest.mark.parametrize("signed", [False, True])
    def test_exact(self, rows, cols, dataflow, signed):
        u = make_unit(spec(rows, cols, dataflow, signed=signed))
        run = assert_streams_gemm(u, 2 * rows + 1, 2 * rows + 1, 2 * cols + 1, seed=rows + cols)
        if not signed:
            a, w = matrices(u, 2 * rows + 1, 2 * rows + 1, 2 * cols + 1, seed=rows + cols)
            assert (u.assemble(a.shape, w.shape, run.outputs) == (a @ w) % (1 << 12)).all()

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("rows,cols,signed,kind", [
        (2, 2, True, "drum_loa"), (3, 2, False, "perforated"), (4, 4, True, "perforated"),
        (4, 4, False, "drum_loa"), (3, 2, True, "trunc_add"),
    ])
    def test_approximate(self, rows, cols, dataflow, signed, kind):
        u = make_unit(spec(rows, cols, dataflow, signed=signed, units=approx(4, signed, kind)))
        assert_streams_gemm(u, rows + 3, 2 * rows + 1, cols + 2, seed=7)

    def test_the_issue_spec(self):
        assert_streams_gemm(make_unit(ISSUE_SPEC), 6, 9, 5, seed=3)

    @pytest.mark.parametrize("rows,cols", [(1, 1), (1, 3), (3, 1)])
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_degenerate_shapes(self, rows, cols, dataflow):
        u = make_unit(spec(rows, cols, dataflow, width=3, signed=True))
        assert_streams_gemm(u, 4, 5, 4, seed=1)

    @pytest.mark.parametrize("rows,cols", GEOMETRIES)
    def test_ws_latency_and_throughput(self, rows, cols):
        u = make_unit(spec(rows, cols, "ws"))
        a, w = matrices(u, 10, rows, cols, seed=1)  # one K-tile: no partial sums fed back
        beats = u.host_beats(a, w)
        run = stream(u, beats, gap=0, ready=1.0)
        assert run.accepted == list(range(len(beats)))  # one beat per cycle, no stall
        compute = [c for b, c in zip(beats, run.accepted) if not b["load"]]
        assert run.emitted == [c + u.latency for c in compute]

    @pytest.mark.parametrize("rows,cols", GEOMETRIES)
    @pytest.mark.parametrize("k", [1, 2, 5])
    def test_os_latency_and_throughput(self, rows, cols, k):
        u = make_unit(spec(rows, cols, "os"))
        a, w = matrices(u, 3 * rows, k, cols, seed=1)  # three tiles
        beats = u.host_beats(a, w)
        run = stream(u, beats, gap=0, ready=1.0)
        lasts = [c for b, c in zip(beats, run.accepted) if b["last"]]
        # a tile's last beat is accepted rows cycles after the previous one at the earliest
        assert lasts == [k - 1 + t * max(k, rows) for t in range(3)]
        assert run.emitted == [s + u.latency + r for s in lasts for r in range(rows)]

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_heavy_back_pressure(self, dataflow):
        u = make_unit(spec(3, 2, dataflow, signed=True, units=approx(4, True, "drum_loa")))
        a, w = matrices(u, 7, 7, 5, seed=5)
        beats = u.host_beats(a, w)
        run = stream(u, beats, seed=5, gap=0.0, ready=0.15)
        assert [x.tolist() for x in run.outputs] == [x.tolist() for x in u.model_stream(beats)]

    @pytest.mark.slow
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("units", [
        "", "mul=(perforated:width=8,m=2,signed={s})",
        "mul=(drum:width=8,k=4,signed={s}),add=(loa:width=24,l=6,signed={s})",
    ])
    def test_large_8_bit(self, dataflow, signed, units):
        s = "true" if signed else "false"
        u = make_unit(spec(4, 4, dataflow, width=8, signed=signed, units=units.format(s=s)))
        assert_streams_gemm(u, 13, 17, 11, seed=21)


# -- Verilog -----------------------------------------------------------------------------------


class TestVerilog:
    @pytest.mark.parametrize("text", [ISSUE_SPEC, "systolic:dataflow=os,signed=true"])
    def test_4x4_lint_clean_with_pe_instances(self, text, tmp_path):
        u = make_unit(text)
        verilog = u.verilog()
        path = tmp_path / f"{u.name}.v"
        path.write_text(verilog)
        lint_verilog(path, u.name)
        for r in range(4):
            for c in range(4):
                assert f"\\{u.name}.pe_{r}_{c}  pe_{r}_{c} (" in verilog
        assert "pe_4_0" not in verilog and "pe_0_4" not in verilog
        assert f"\\{u.name}.pe_3_3.mul  mul (" in verilog
        header = re.search(rf"module {u.name}\((.*?)\);", verilog).group(1)
        assert sorted(header.split(", ")) == sorted(u.info["ports"])
        width = u.stream_fields()["i"]["width"]
        assert f"input [{width - 1}:0] i__payload;" in verilog
        assert f"output [{4 * 24 - 1}:0] o__payload;" in verilog

    def test_asymmetric_approximate_lint_clean(self, tmp_path):
        u = make_unit("systolic:rows=3,cols=2,a_width=4,b_width=6,acc_width=14,signed=true,"
                      "dataflow=os,add=(carry_cut:width=14,c=5,signed=true)")
        path = tmp_path / f"{u.name}.v"
        path.write_text(u.verilog())
        lint_verilog(path, u.name)


class TestCli:
    def test_generate(self, tmp_path, capsys):
        text = "systolic:rows=2,cols=2,width=4,dataflow=os,mul=(perforated:width=4,m=1)"
        assert main(["generate", text, "-o", str(tmp_path)]) == 0
        u = make_unit(text)
        sidecar = json.loads((tmp_path / f"{u.name}.json").read_text())
        assert sidecar["lint"] == "verilator -Wall clean"
        assert sidecar["latency"] == 3 and sidecar["spec"] == u.spec
        assert sidecar["streams"]["i"]["width"] == 2 * 4 + 2 * 4 + 1
        assert (tmp_path / f"{u.name}.v").read_text() == u.verilog()

    def test_generate_with_the_array_options(self, tmp_path):
        p, q = "(perforated:width=4,m=1)", "(perforated:width=4,m=2,start=1)"
        text = (f"systolic:rows=2,cols=2,width=4,acc_width=12,dataflow=os,row_muls={p};{q},"
                "add=(carry_cut:width=12,c=4),cure=true,cv=true")
        assert main(["generate", text, "-o", str(tmp_path)]) == 0
        u = make_unit(text)
        sidecar = json.loads((tmp_path / f"{u.name}.json").read_text())
        assert sidecar["lint"] == "verilator -Wall clean" and sidecar["latency"] == 4
        assert sidecar["parameters"]["row_muls"] == [m.spec for m in u.row_muls]
        assert sidecar["parameters"]["cv"] is True and sidecar["spec"] == u.spec


# -- array-level approximation techniques (docs/arrays.md section 4) -------------------------
#
# References written here from the definitions: each PE's own multiplier (row_muls: the row's,
# col_muls: the column's); cure: the carry a carry_cut adder cuts enters the next addition of
# the same sum at bit c (ws: the next row of the K-tile pass, none into row 0; os: the PE's
# next beat, none into a tile's first beat); cv: round_half_even(Σ a·T / 2) added to each
# output, the sum over the activations of one ws pass (a K-tile) or one os tile, T the signed
# sum of 2^j over the perforated rows j of the PE's multiplier (the sign row of a signed b
# weighs -2^(b_width-1)), i.e. E[perforated part of b] = T/2 for uniform b.


def perforation_t(mul) -> int:
    p = mul.parameters
    nb = p["b_width"]
    return sum(-(1 << j) if p["signed"] and j == nb - 1 else 1 << j
               for j in range(p["start"], p["start"] + p["m"]))


def half_even(x: int) -> int:
    """``x / 2`` rounded half to even."""
    q, odd = divmod(x, 2)
    return q + (odd and q % 2)


def pe_mul(unit, r, c):
    p = unit.parameters
    if p["row_muls"] is not None:
        return p["row_muls"][r]
    if p["col_muls"] is not None:
        return p["col_muls"][c]
    return p["mul"]


def reference_full(unit, a, w):
    """(C, lost, cut): C element by element, the cut carries that no later addition took
    (``lost``) and every cut carry (``cut``), per element of C."""
    p = unit.parameters
    add, width, signed = p["add"], p["acc_width"], unit.signed
    rows, cols, cure, cv = p["rows"], p["cols"], p["cure"], p["cv"]
    c_bit = add.parameters.get("c", 0)
    (m, k), n = a.shape, w.shape[1]
    out, lost, cuts = (np.zeros((m, n), dtype=np.int64) for _ in range(3))

    def step(acc, carry, product):
        op = to_value(acc + (carry << c_bit), width, signed) if cure else acc
        kappa = int(add.model_outputs(op, product)["cut"]) if "cut" in add.extra_outputs else 0
        return to_value(int(add.model(op, product)), width, signed), kappa

    for i in range(m):
        for j in range(n):
            acc = 0
            if unit.dataflow == "ws":
                for t in range(math.ceil(k / rows)):
                    carry, u = 0, 0
                    for r in range(rows):
                        kk = t * rows + r
                        x, y = (int(a[i, kk]), int(w[kk, j])) if kk < k else (0, 0)
                        mul = pe_mul(unit, r, j % cols)
                        acc, carry = step(acc, carry, int(mul.model(x, y)))
                        cuts[i, j] += carry
                        u += x * perforation_t(mul) if cv else 0
                    lost[i, j] += carry
                    acc = to_value(acc + half_even(u), width, signed)
            else:
                mul = pe_mul(unit, i % rows, j % cols)
                carry = 0
                for kk in range(k):
                    x, y = int(a[i, kk]), int(w[kk, j])
                    acc, carry = step(0 if kk == 0 else acc, 0 if kk == 0 else carry,
                                      int(mul.model(x, y)))
                    cuts[i, j] += carry
                lost[i, j] = carry
                u = sum(int(x) for x in a[i]) * perforation_t(mul) if cv else 0
                acc = to_value(acc + half_even(u), width, signed)
            out[i, j] = acc
    return out, lost, cuts


def perf(width, signed, m, start=0) -> str:
    return f"(perforated:width={width},m={m},start={start},signed={'true' if signed else 'false'})"


def hetero(rows, cols, dataflow, by, signed=False, width=4, extra="") -> Systolic:
    """A heterogeneous array: perforated multipliers of different m, and one exact."""
    count = rows if by == "row" else cols
    s = "true" if signed else "false"
    kinds = [perf(width, signed, 1), f"(exact:width={width},signed={s})",
             perf(width, signed, 2, 1), f"(drum:width={width},k=2,signed={s})"]
    muls = ";".join(kinds[i % len(kinds)] for i in range(count))
    return make_unit(spec(rows, cols, dataflow, width=width, signed=signed,
                          units=f"acc_width={3 * width},{by}_muls={muls}{extra}"))


def cut_adder(width, signed, c=5) -> str:
    return f"add=(carry_cut:width={3 * width},c={c},signed={'true' if signed else 'false'})"


class TestOptionParameters:
    def test_heterogeneous_spec_round_trips(self):
        u = make_unit("systolic:rows=2,cols=3,width=8,row_muls=(drum:width=8,k=4);(exact:width=8)")
        assert u.spec == (
            "systolic:width=8,signed=false,acc_width=24,rows=2,cols=3,dataflow=ws,"
            "add=(exact_add:width=24,signed=false,arch=operator),"
            "row_muls=(drum:width=8,signed=false,k=4);(exact:width=8,signed=false,"
            "arch=operator)")
        assert make_unit(u.spec) == u and u.mul is None
        assert [[m.family for m in row] for row in u.pe_muls] == [["drum"] * 3, ["exact"] * 3]
        v = make_unit("systolic:rows=2,cols=2,width=8,col_muls=(drum:width=8,k=4),(exact:width=8)")
        assert [[m.family for m in row] for row in v.pe_muls] == [["drum", "exact"]] * 2
        assert v.info["parameters"]["col_muls"] == [m.spec for m in v.col_muls]
        assert v.info["parameters"]["mul"] is None
        assert v.subunits() == (v.add, *v.col_muls)

    def test_flags_appear_in_the_spec_only_when_true(self):
        plain = make_unit(ISSUE_SPEC)
        assert make_unit(ISSUE_SPEC + ",cv=false,cure=false") == plain
        u = make_unit(ISSUE_SPEC + ",cv=true")
        assert u.spec == plain.spec + ",cv=true" and make_unit(u.spec) == u
        assert (u.cv, u.cure, plain.cv) == (True, False, False)

    def test_exact_baseline_drops_every_option(self):
        u = hetero(3, 2, "os", "col", signed=True,
                   extra=f",{cut_adder(4, True)},cure=true")
        assert u.exact_baseline().spec == (
            "systolic:width=4,signed=true,acc_width=12,rows=3,cols=2,dataflow=os,"
            "mul=(exact:width=4,signed=true,arch=operator),add=(exact_add:width=12,signed=true,"
            "arch=operator)")

    def test_cv_scales_and_latency(self):
        u = make_unit(ISSUE_SPEC + ",cv=true")
        assert u.cv_scales == ((1,) * 4, (3,) * 4) and u.latency == 8 == u.info["latency"]
        r = make_unit("systolic:rows=2,cols=2,width=8,signed=true,cv=true,row_muls="
                      + perf(8, True, 2, 6) + ";" + perf(8, True, 3, 1))
        assert r.cv_scales == ((64 - 128, 2 + 4 + 8), (1, 1))
        c = make_unit("systolic:rows=2,cols=2,width=8,cv=true,col_muls="
                      + perf(8, False, 0) + ";" + perf(8, False, 1, 7))
        assert c.cv_scales == ((1, 1), (0, 128))

    @pytest.mark.parametrize("text,message", [
        ("systolic:rows=2,row_muls=(exact:width=8)",
         "systolic: Parameter 'row_muls' must list one multiplier per row (rows = 2), not 1"),
        ("systolic:cols=2,col_muls=(exact:width=8);(exact:width=8);(exact:width=8)",
         "systolic: Parameter 'col_muls' must list one multiplier per column (cols = 2), not 3"),
        ("systolic:rows=1,mul=(exact:width=8),row_muls=(exact:width=8)",
         ("systolic: Parameters 'mul' and 'row_muls' exclude each other: give one multiplier "
          "(mul), one per row (row_muls) or one per column (col_muls)")),
        ("systolic:rows=1,cols=1,row_muls=(exact:width=8),col_muls=(exact:width=8)",
         ("systolic: Parameters 'row_muls' and 'col_muls' exclude each other: give one "
          "multiplier (mul), one per row (row_muls) or one per column (col_muls)")),
        ("systolic:cols=2,col_muls=(exact:width=8);(exact:width=4)",
         ("systolic: Parameter 'col_muls' item 2 must be a multiplier with a_width = a_width "
          "(here 8); exact:width=4,signed=false,arch=operator has a_width = 4")),
        ("systolic:rows=1,row_muls=(loa:width=8)",
         ("systolic: Parameter 'row_muls' item 1 must be a multiplier, not an adder "
          "(loa:width=8,signed=false,l=4,carry=true)")),
        ("systolic:rows=2,row_muls=(reconfigurable:width=8);(exact:width=8)",
         ("systolic: Parameter 'row_muls' item 1 must be a multiplier without control inputs; "
          "reconfigurable:width=8,signed=false,modes=0;1;2 has control inputs: mode")),
        ("systolic:rows=2,row_muls=(exact:width=8);x",
         ("systolic: Parameter 'row_muls' must be a list of multiplier specs in parentheses "
          "separated by ';', e.g. (exact);(exact), not '(exact:width=8);x'")),
        ("systolic:cv=true",
         ("systolic: Parameter 'cv' needs perforated multipliers (the control variate "
          "compensates the perforation error); mul is exact:width=8,signed=false,arch=operator")),
        ("systolic:rows=2,cv=true,row_muls=(perforated:width=8);(drum:width=8)",
         ("systolic: Parameter 'cv' needs perforated multipliers (the control variate "
          "compensates the perforation error); row_muls item 2 is drum:width=8,signed=false,k=4")),
        ("systolic:cure=true",
         ("systolic: Parameter 'cure' needs an adder with a 1-bit cut-carry output 'cut' and "
          "its bit 'c' (carry_cut); add is exact_add:width=24,signed=false,arch=operator")),
        ("systolic:cure=true,add=(loa:width=24)",
         ("systolic: Parameter 'cure' needs an adder with a 1-bit cut-carry output 'cut' and "
          "its bit 'c' (carry_cut); add is loa:width=24,signed=false,l=4,carry=true")),
    ])
    def test_errors(self, text, message):
        with pytest.raises(SpecError) as e:
            make_unit(text)
        assert str(e.value) == message


class TestHeterogeneous:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("by", ["row", "col"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_against_the_loop(self, dataflow, by, signed):
        u = hetero(4, 3, dataflow, by, signed=signed, width=5)
        a, w = matrices(u, 9, 10, 7, seed=3)
        c = u.model(a, w)
        assert c.tolist() == reference_full(u, a, w)[0].tolist()
        assert (u.assemble(a.shape, w.shape, u.model_stream(u.host_beats(a, w))) == c).all()

    def test_each_pe_uses_its_own_multiplier(self):
        # row r of a ws array multiplies the K-indices r, r + rows, …: with an exact row 0
        # and a row 1 that drops bit 0 of the weight, C = A[:, 0]·W[0] + A[:, 1]·(W[1] & ~1)
        u = make_unit("systolic:rows=2,cols=2,width=4,row_muls=(exact:width=4);" + perf(4, 0, 1))
        a, w = np.array([[3, 5]]), np.array([[7, 1], [3, 2]])
        assert u.model(a, w).tolist() == [[3 * 7 + 5 * 2, 3 * 1 + 5 * 2]]
        o = make_unit("systolic:rows=2,cols=2,width=4,dataflow=os,col_muls="
                      "(exact:width=4);" + perf(4, 0, 1))
        assert o.model(a.T, w[:1]).tolist() == [[21, 0], [35, 0]]

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_batched_with_every_option(self, dataflow):
        p, q = perf(5, True, 1), perf(5, True, 2, 3)
        u = make_unit(spec(3, 2, dataflow, width=5, signed=True, units=(
            f"acc_width=15,row_muls={p};{q};{p},add=(carry_cut:width=15,c=6,signed=true),"
            "cure=true,cv=true")))
        rng = np.random.default_rng(6)
        a, w = rng.integers(-16, 16, (3, 5, 7)), rng.integers(-16, 16, (7, 4))
        c = u.model(a, w)
        for i in range(3):
            assert c[i].tolist() == reference_full(u, a[i], w)[0].tolist()

    def test_uniform_lists_equal_the_homogeneous_array(self):
        p = perf(6, True, 2)
        one = make_unit(spec(3, 2, "ws", width=6, signed=True, units=f"mul={p}"))
        rows = make_unit(spec(3, 2, "ws", width=6, signed=True, units=f"row_muls={p};{p};{p}"))
        a, w = matrices(one, 5, 7, 4, seed=2)
        assert (rows.model(a, w) == one.model(a, w)).all()

    @pytest.mark.parametrize("dataflow,by,signed", [
        ("ws", "row", False), ("os", "col", True), ("ws", "col", True), ("os", "row", False),
    ])
    def test_simulation(self, dataflow, by, signed):
        u = hetero(3, 2, dataflow, by, signed=signed)
        assert_streams_gemm(u, 5, 7, 4, seed=11)


class TestControlVariate:
    def test_rounding_half_to_even(self):
        # 1×1 array, perforated bit 0 (T = 1): C = Σ a·(b & ~1) + the rounded a-sums / 2;
        # ws corrects every K-tile pass (one row: every k), os the whole tile once
        ws = make_unit("systolic:rows=1,cols=1,width=4,cv=true,mul=" + perf(4, False, 1))
        os = make_unit("systolic:rows=1,cols=1,width=4,cv=true,dataflow=os,mul="
                       + perf(4, False, 1))
        cases = [([3], [1], 2, 2), ([5], [1], 2, 2), ([1], [1], 0, 0), ([1, 1], [1, 1], 0, 1),
                 ([7, 2], [3, 4], 14 + 8 + 4 + 1, 22 + 4), ([9], [1], 4, 4), ([11], [1], 6, 6)]
        for a, b, want_ws, want_os in cases:
            a_m, w_m = np.array([a]), np.array(b)[:, None]
            assert int(ws.model(a_m, w_m)[0, 0]) == want_ws, (a, b)
            assert int(os.model(a_m, w_m)[0, 0]) == want_os, (a, b)

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("units", [
        "mul={p}", "row_muls={p};{q};{p}", "col_muls={q};{p}",
    ])
    def test_model_against_the_loop(self, dataflow, signed, units):
        p, q = perf(6, signed, 2), perf(6, signed, 3, 3)
        u = make_unit(spec(3, 2, dataflow, width=6, signed=signed,
                           units=units.format(p=p, q=q) + ",cv=true"))
        a, w = matrices(u, 7, 8, 5, seed=5)
        c = u.model(a, w)
        assert c.tolist() == reference_full(u, a, w)[0].tolist()
        assert (u.assemble(a.shape, w.shape, u.model_stream(u.host_beats(a, w))) == c).all()

    def test_wide_accumulator_does_not_overflow(self):
        # 32-bit operands, acc_width 61: U·T needs more than 64 bits before the modulo
        u = make_unit("systolic:rows=2,cols=1,width=30,acc_width=61,signed=true,cv=true,"
                      "mul=" + perf(30, True, 30))
        a = np.array([[-(1 << 29), (1 << 29) - 1]])
        w = np.array([[-(1 << 29)], [(1 << 29) - 1]])
        t = perforation_t(u.mul)
        want = to_value(half_even((-(1 << 29) + (1 << 29) - 1) * t), 61, True)
        assert int(u.model(a, w)[0, 0]) == want == reference_full(u, a, w)[0][0, 0]

    @pytest.mark.parametrize("dataflow,signed,m,start", [
        ("ws", False, 2, 0), ("os", False, 2, 0), ("ws", True, 2, 0), ("os", False, 3, 1),
    ])
    def test_cancels_the_mean_perforation_error(self, dataflow, signed, m, start):
        """Over S random 4×16 by 16×4 products of uniform 8-bit operands, the mean error
        E[C − A·W] of a perforated array is the analytic bias K·E[ε], ε = −a·B_P (B_P the
        perforated part of the weight, independent of a): E[ε] = −E[a]·E[B_P], E[B_P] = T/2;
        with cv it is 0. Tolerance: 5 standard deviations of the sample mean over the S·M·N
        outputs, derived exactly: an output's error e = Σ_k a_k·d_k is a sum of K independent
        terms (d = −B_P, or T/2 − B_P with cv); two outputs of one row share the a_k, of one
        column the weights, others are independent, so Var(mean) = (Var(e) + (N−1)·Cov_row
        + (M−1)·Cov_col) / (S·M·N) with Var(e) = K·(E[a²]·E[d²] − E[a]²·E[d]²),
        Cov_row = K·Var(a)·E[d]², Cov_col = K·E[a]²·Var(d). With cv the rounding of each
        correction adds at most 1/2 per K-tile pass to the mean (a deterministic bound). The
        bias must lie well outside the cv band (signed: E[a] = −1/2 makes the bias small,
        so a larger sample resolves it)."""
        from axhdl.generators.multipliers.perforated import uniform_moments

        s = "true" if signed else "false"
        text = spec(4, 4, dataflow, width=8, signed=signed,
                    units=f"mul=(perforated:width=8,m={m},start={start},signed={s})")
        plain, cv = make_unit(text), make_unit(text + ",cv=true")
        samples, mm, k, n = 20000 if signed else 2000, 4, 16, 4
        rng = np.random.default_rng(2021)
        (lo, hi), (blo, bhi) = plain.operand_ranges()
        a = rng.integers(lo, hi + 1, (samples, mm, k))
        w = rng.integers(blo, bhi + 1, (samples, k, n))
        exact = np.einsum("smk,skn->smn", a, w)
        err_plain = (plain.model(a, w) - exact).mean()
        err_cv = (cv.model(a, w) - exact).mean()

        ea, ea2 = uniform_moments(8, signed)
        t = perforation_t(plain.mul)
        weights = [-(1 << j) if signed and j == 7 else 1 << j for j in range(start, start + m)]
        e_bp, var_bp = t / 2, sum(x * x for x in weights) / 4
        bias = -k * ea * e_bp

        def tolerance(e_d, var_d):
            var_e = k * (ea2 * (var_d + e_d ** 2) - (ea * e_d) ** 2)
            cov_row, cov_col = k * (ea2 - ea ** 2) * e_d ** 2, k * ea ** 2 * var_d
            return 5 * math.sqrt((var_e + (n - 1) * cov_row + (mm - 1) * cov_col)
                                 / (samples * mm * n))

        passes = k // 4 if dataflow == "ws" else 1
        tol_plain = tolerance(-e_bp, var_bp)
        tol_cv = tolerance(0.0, var_bp) + passes / 2
        assert abs(err_plain - bias) < tol_plain, (err_plain, bias, tol_plain)
        assert abs(err_cv) < tol_cv, (err_cv, tol_cv)
        assert abs(bias) > (2 if signed else 10) * tol_cv

    def test_heterogeneous_columns_each_lose_their_bias(self):
        text = ("systolic:rows=4,cols=4,width=8,cv={cv},col_muls=" + ";".join(
            perf(8, False, m, st) for m, st in [(0, 0), (1, 0), (2, 0), (3, 2)]))
        plain, cv = make_unit(text.format(cv="false")), make_unit(text.format(cv="true"))
        rng = np.random.default_rng(7)
        a, w = rng.integers(0, 256, (1000, 4, 16)), rng.integers(0, 256, (1000, 16, 4))
        exact = np.einsum("smk,skn->smn", a, w)
        mean_plain = (plain.model(a, w) - exact).mean(axis=(0, 1))
        mean_cv = (cv.model(a, w) - exact).mean(axis=(0, 1))
        bias = [-16 * 127.5 * t / 2 for t in (0, 1, 3, 4 + 8 + 16)]
        # per column at most 5·sqrt(K·Var(ε))/sqrt(1000) ≤ 5·sqrt(16·5.2e6/1000) ≈ 1.5e3
        assert np.abs(mean_plain - bias).max() < 0.1 * abs(bias[-1])
        assert np.abs(mean_cv).max() < 0.02 * abs(bias[-1])
        assert mean_plain[0] == mean_cv[0] == 0

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_simulation(self, dataflow, signed):
        u = make_unit(spec(3, 2, dataflow, signed=signed,
                           units=f"acc_width=12,mul={perf(4, signed, 2)},cv=true"))
        assert_streams_gemm(u, 5, 7, 4, seed=13)

    @pytest.mark.parametrize("dataflow,by", [("ws", "row"), ("os", "col"), ("os", "row")])
    def test_simulation_heterogeneous(self, dataflow, by):
        p, q = perf(4, True, 1), perf(4, True, 2, 2)
        muls = ";".join([p, q, p] if by == "row" else [q, p])
        u = make_unit(spec(3, 2, dataflow, signed=True,
                           units=f"acc_width=12,{by}_muls={muls},cv=true"))
        assert_streams_gemm(u, 5, 7, 4, seed=17)

    def test_ws_latency(self):
        u = make_unit(spec(3, 2, "ws", units=f"mul={perf(4, False, 2)},cv=true"))
        a, w = matrices(u, 6, 3, 2, seed=1)
        beats = u.host_beats(a, w)
        run = stream(u, beats, gap=0, ready=1.0)
        compute = [c for b, c in zip(beats, run.accepted) if not b["load"]]
        assert u.latency == 5 and run.emitted == [c + 5 for c in compute]

    def test_os_latency(self):
        u = make_unit(spec(3, 2, "os", units=f"mul={perf(4, False, 2)},cv=true"))
        a, w = matrices(u, 6, 4, 2, seed=1)
        beats = u.host_beats(a, w)
        run = stream(u, beats, gap=0, ready=1.0)
        lasts = [c for b, c in zip(beats, run.accepted) if b["last"]]
        assert run.emitted == [s + 5 + r for s in lasts for r in range(3)]


class TestCure:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("c", [3, 7, 12])
    def test_the_residual_is_the_border_carries(self, dataflow, signed, c):
        """Exact multipliers: with cure C = A·W − 2^c·(the carries of the last addition of
        each ws K-tile pass / of each os tile); without, C = A·W − 2^c·(every cut carry)."""
        units = f"acc_width=12,{cut_adder(4, signed, c)}"
        plain = make_unit(spec(3, 2, dataflow, signed=signed, units=units))
        cured = make_unit(spec(3, 2, dataflow, signed=signed, units=units + ",cure=true"))
        a, w = matrices(plain, 7, 8, 5, seed=c)
        exact = a @ w
        got_plain, _, cuts = reference_full(plain, a, w)
        got_cured, lost, _ = reference_full(cured, a, w)
        assert plain.model(a, w).tolist() == got_plain.tolist()
        assert cured.model(a, w).tolist() == got_cured.tolist()
        wrap = np.vectorize(lambda x: to_value(int(x), 12, signed))
        assert (got_plain == wrap(exact - (cuts << c))).all()
        assert (got_cured == wrap(exact - (lost << c))).all()
        if c < 12:
            passes = 3 if dataflow == "ws" else 1  # ceil(8 / 3) K-tile passes, or one tile
            assert lost.max() <= passes and cuts.sum() > 2 * lost.sum() > 0

    def test_cured_products_pass_their_carry_down(self):
        # one column of 3 rows, c = 2, products 3, 3, 3 (a = 1, w = 3): without cure each
        # addition 3 + 3 cuts a carry, 0 + 3 + 3 + 3 = 9 reads 9 - 4 - 4 = 1; with cure the
        # next row takes it: only the last one is lost, 9 - 4 = 5
        units = "acc_width=12,add=(carry_cut:width=12,c=2)"
        a, w = np.ones((1, 3), dtype=np.int64), np.full((3, 1), 3)
        for dataflow in ("ws", "os"):
            plain = make_unit(spec(3, 1, dataflow, units=units))
            cured = make_unit(spec(3, 1, dataflow, units=units + ",cure=true"))
            assert int(plain.model(a, w)[0, 0]) == 1
            assert int(cured.model(a, w)[0, 0]) == 5

    def test_with_perforated_multipliers_and_cv(self):
        for dataflow in ("ws", "os"):
            u = hetero(3, 2, dataflow, "row", signed=True,
                       extra=f",{cut_adder(4, True, 4)},cure=true")
            a, w = matrices(u, 5, 7, 4, seed=8)
            assert u.model(a, w).tolist() == reference_full(u, a, w)[0].tolist()
            v = make_unit(spec(3, 2, dataflow, signed=True, units=(
                f"acc_width=12,mul={perf(4, True, 2)},{cut_adder(4, True, 4)},cure=true,"
                f"cv=true")))
            assert v.model(a, w).tolist() == reference_full(v, a, w)[0].tolist()

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_simulation(self, dataflow, signed):
        u = make_unit(spec(3, 2, dataflow, signed=signed,
                           units=f"acc_width=12,{cut_adder(4, signed, 5)},cure=true"))
        assert_streams_gemm(u, 5, 7, 4, seed=19)

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_simulation_with_every_option(self, dataflow):
        p, q = perf(4, True, 1), perf(4, True, 2, 1)
        u = make_unit(spec(3, 2, dataflow, signed=True, units=(
            f"acc_width=12,col_muls={p};{q},{cut_adder(4, True, 4)},cure=true,cv=true")))
        run = assert_streams_gemm(u, 5, 7, 4, seed=23)
        assert len(run.outputs) > 0


class TestOptionVerilog:
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_every_option_lint_clean(self, dataflow, tmp_path):
        muls = ";".join(perf(8, True, m, s) for m, s in [(2, 0), (0, 0), (3, 5), (1, 7)])
        u = make_unit(f"systolic:width=8,signed=true,dataflow={dataflow},col_muls={muls},"
                      "add=(carry_cut:width=24,c=9,signed=true),cure=true,cv=true")
        verilog = u.verilog()
        path = tmp_path / f"{u.name}.v"
        path.write_text(verilog)
        lint_verilog(path, u.name)
        for r in range(4):
            assert f"\\{u.name}.cv_{r}  cv_{r} (" in verilog
        assert f"\\{u.name}.pe_3_3.mul  mul (" in verilog

    @pytest.mark.parametrize("text", [
        "systolic:rows=2,cols=3,width=5,dataflow=os,row_muls=(exact:width=5);(drum:width=5,k=2)",
        "systolic:rows=3,cols=2,width=4,acc_width=12,add=(carry_cut:width=12,c=12),cure=true",
        ("systolic:rows=2,cols=2,a_width=3,b_width=6,acc_width=13,cv=true,"
         "mul=(perforated:a_width=3,b_width=6,m=2,start=1)"),
    ])
    def test_lint_clean(self, text, tmp_path):
        u = make_unit(text)
        path = tmp_path / f"{u.name}.v"
        path.write_text(u.verilog())
        lint_verilog(path, u.name)
