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
          "b_width, signed, acc_width, rows, cols, dataflow, mul, add")),
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
