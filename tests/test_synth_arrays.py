"""PPA of sequential designs (``mac:``, ``systolic:``) through axhdl.synth.flow: flip-flops
mapped, timing with a clock, power from the cycle-by-cycle activity of a streamed workload
checked against the golden model, the MAC figures and the savings against the exact array;
the cycle evaluator against Icarus; workloads and their errors."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from axhdl.cli import main
from axhdl.errors import InputError
from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.activity import (
    check_trace,
    sequential_workload,
    simulate_activity,
    stream_schedule,
)
from axhdl.synth.evaluator import SequentialNetlist, Unsupported, evaluate_sequential
from axhdl.synth.liberty import load_liberty
from axhdl.toolchain import OSU018_LIBERTY

EXACT22 = "systolic:width=4,rows=2,cols=2"
PERF22 = "systolic:width=4,rows=2,cols=2,mul=(perforated:width=4,m=2)"
VECTORS = 2000


@pytest.fixture(scope="module")
def exact22():
    return flow.ppa(make_unit(EXACT22), vectors=VECTORS)


@pytest.fixture(scope="module")
def perf22():
    return flow.ppa(make_unit(PERF22), vectors=VECTORS)


class TestArrayPpa:
    def test_exact_array_figures(self, exact22):
        r = exact22
        assert r.area > 0 and r.energy_pj > 0 and r.power_w["total"] > 0
        assert r.pes == 4 and r.area_per_pe == pytest.approx(r.area / 4)
        assert r.latency_cycles == 3 and r.peak_macs_per_cycle == 4
        act = r.activity
        assert act["engine"] == "evaluator" and act["cycles"] >= VECTORS
        assert r.macs_per_cycle == pytest.approx(act["macs"] / act["cycles"])
        assert 0 < r.macs_per_cycle <= 4
        assert r.energy_per_mac_pj == pytest.approx(r.energy_pj * act["cycles"] / act["macs"])
        assert act["golden_model_check"].endswith("output beats")
        # flip-flops mapped to the liberty, timed against the clock
        assert r.cell_histogram["DFFPOSX1"] > 0
        assert r.critical_path[-1]["pin"].endswith("/D")
        assert r.critical_path[0]["pin"] not in ("rst", "o__ready")  # ideal control nets

    def test_exact_array_against_itself(self, exact22):
        assert exact22.baseline.spec == make_unit(EXACT22).spec
        assert set(exact22.savings_pct) == {"area", "power", "energy", "delay", "pdp",
                                            "energy_per_mac"}
        assert all(v == 0 for v in exact22.savings_pct.values())

    def test_json_document(self, exact22):
        doc = exact22.to_dict()
        for key in ("area_per_pe", "energy_per_mac_pj", "macs_per_cycle", "latency_cycles"):
            assert doc[key] == getattr(exact22, key)
            assert doc["baseline"][key] == getattr(exact22.baseline, key)
        json.dumps(doc)

    def test_perforated_array_is_cheaper(self, perf22, exact22):
        unit = make_unit(PERF22)
        assert perf22.baseline.spec == unit.exact_baseline().spec == exact22.spec
        assert perf22.baseline.energy_per_mac_pj == exact22.energy_per_mac_pj
        assert perf22.period_ns == exact22.period_ns
        for key in ("area", "energy", "energy_per_mac", "power"):
            assert perf22.savings_pct[key] > 0, key
        assert perf22.area < exact22.area
        assert perf22.energy_per_mac_pj < exact22.energy_per_mac_pj
        # the same GEMMs: the same number of cycles and MACs
        assert perf22.activity["macs"] == exact22.activity["macs"]
        assert perf22.activity["cycles"] == exact22.activity["cycles"]

    def test_output_stationary_and_shape(self):
        unit = make_unit("systolic:width=4,rows=2,cols=3,dataflow=os,signed=true")
        r = flow.ppa(unit, vectors=300, m=5, k=3, n=4, baseline=False)
        w = r.activity["workload"]
        assert w["shape"] == {"m": 5, "k": 3, "n": 4}
        assert r.activity["macs"] == w["gemms"] * 5 * 3 * 4
        assert r.pes == 6 and r.area_per_pe == pytest.approx(r.area / 6)

    def test_mac(self):
        unit = make_unit("mac:width=4,mul=(perforated:width=4,m=2),in_reg=true")
        r = flow.ppa(unit, vectors=VECTORS, k=16)
        assert r.baseline.spec == unit.exact_baseline().spec
        assert r.latency_cycles == 2 and r.pes == 1 and r.area_per_pe == r.area
        assert r.macs_per_cycle == 1.0
        assert r.energy_per_mac_pj == pytest.approx(r.energy_pj)
        assert r.activity["golden_model_check"] == f"p in {r.activity['cycles']} cycles"
        assert r.savings_pct["energy_per_mac"] > 0 and r.savings_pct["area"] > 0

    def test_vectorless(self):
        r = flow.ppa(make_unit(EXACT22), activity="vectorless", baseline=False)
        assert r.activity["mode"] == "vectorless" and r.activity["macs"] > 0
        assert r.energy_per_mac_pj == pytest.approx(
            r.energy_pj * r.activity["cycles"] / r.activity["macs"])

    def test_combinational_units_have_no_mac_figures(self):
        r = flow.ppa(make_unit("exact:width=4"), vectors=200, baseline=False)
        doc = r.to_dict()
        for key in ("area_per_pe", "energy_per_mac_pj", "macs_per_cycle", "latency_cycles",
                    "pes", "peak_macs_per_cycle"):
            assert key not in doc
        assert "cycles" not in r.activity


class TestEvaluatorAgainstIcarus:
    @pytest.mark.parametrize("spec", [
        "mac:width=4,signed=true,in_reg=true,out_reg=true",
        "systolic:width=3,rows=2,cols=2,mul=(drum:width=3,k=2)",
        "systolic:width=3,rows=2,cols=3,dataflow=os,signed=true",
    ])
    def test_identical_toggle_counts(self, spec):
        unit = make_unit(spec)
        lib = load_liberty(OSU018_LIBERTY)
        impl = flow.implement(unit, lib, 5.0)
        plan = sequential_workload(unit, workload=None, vectors=150, seed=2)
        assert plan.segments > 1
        net = SequentialNetlist(impl["netlist_json"], unit.name, lib, "clk")
        ours = evaluate_sequential(net, plan.codes, segments=plan.segments,
                                   warmup=plan.warmup)
        icarus = simulate_activity(impl["netlist"], unit.name, lib, flow.cells_model_for(lib),
                                   impl["instances"], impl["ports"], plan.codes,
                                   clock="clk", warmup=plan.warmup, segments=plan.segments)
        assert ours["transitions"] == icarus["transitions"] > 0
        assert ours["instances"] == icarus["instances"]  # every pin: rate and probability
        assert ours["outputs"] == icarus["outputs"]
        assert ours["inputs"] == icarus["inputs"]
        for name, bits in ours["trace"].items():  # every cycle but the reset
            assert np.array_equal(bits[:, 1:], icarus["trace"][name][:, 1:])
        assert check_trace(unit, plan, ours["trace"]) == check_trace(unit, plan,
                                                                    icarus["trace"])

    def test_ppa_with_icarus(self):
        unit = make_unit(EXACT22)
        ours = flow.ppa(unit, vectors=200, baseline=False)
        icarus = flow.ppa(unit, vectors=200, baseline=False, simulator="icarus")
        assert icarus.activity["engine"] == "icarus"
        assert icarus.power_w == ours.power_w
        assert icarus.energy_per_mac_pj == ours.energy_per_mac_pj

    def test_a_wrong_netlist_is_caught(self):
        unit = make_unit("mac:width=3")
        lib = load_liberty(OSU018_LIBERTY)
        impl = flow.implement(unit, lib, 5.0)
        plan = sequential_workload(unit, workload=None, vectors=100, seed=0)
        net = SequentialNetlist(impl["netlist_json"], unit.name, lib, "clk")
        sim = evaluate_sequential(net, plan.codes, segments=plan.segments, warmup=1)
        sim["trace"]["p"][0, 5, 0] ^= True  # one bit of p in one cycle
        with pytest.raises(Exception) as e:
            check_trace(unit, plan, sim["trace"])
        assert "disagrees with the golden model" in str(e.value)
        assert "in cycle 5 of segment 0" in str(e.value)

    def test_unsupported_cells(self, tmp_path):
        lib = load_liberty(OSU018_LIBERTY)
        netlist = tmp_path / "n.json"
        netlist.write_text(json.dumps({"modules": {"t": {
            "ports": {"clk": {"direction": "input", "bits": [2]},
                      "d": {"direction": "input", "bits": [3]},
                      "q": {"direction": "output", "bits": [4]}},
            "cells": {"r": {"type": "DFFNEGX1",
                            "connections": {"CLK": [2], "D": [3], "Q": [4]}}}}}}))
        with pytest.raises(Unsupported) as e:
            SequentialNetlist(netlist, "t", lib, "clk")
        assert str(e.value) == "flip-flop DFFNEGX1 is clocked on '(!CLK)'"


class TestWorkloads:
    def test_ws_schedule_waits_for_partial_sums(self):
        unit = make_unit("systolic:width=4,rows=2,cols=3")
        a = np.ones((2, 4), dtype=int)  # M = 2 < cols: the second K-tile must wait
        w = np.ones((4, 3), dtype=int)
        beats = unit.host_beats(a, w)
        cycles, outputs = stream_schedule(unit, beats)
        compute = [i for i, b in enumerate(beats) if not b["load"]]
        for i, b in enumerate(beats):
            if b.get("psum_from") is not None:
                assert cycles[i] == outputs[b["psum_from"]] + 1
        assert outputs == [cycles[i] + unit.latency for i in compute]
        assert cycles == sorted(cycles) and len(set(cycles)) == len(cycles)

    def test_os_last_beats_are_spaced(self):
        unit = make_unit("systolic:width=4,rows=3,cols=2,dataflow=os")
        a = np.ones((6, 2), dtype=int)  # K = 2 < rows
        w = np.ones((2, 2), dtype=int)
        beats = unit.host_beats(a, w)
        cycles, outputs = stream_schedule(unit, beats)
        lasts = [c for c, b in zip(cycles, beats) if b["last"]]
        assert all(y - x >= 3 for x, y in zip(lasts, lasts[1:]))
        assert len(outputs) == 6

    def test_workload_is_seeded_and_fills_the_cycles(self):
        unit = make_unit(EXACT22)
        plan = sequential_workload(unit, workload=None, vectors=1000, seed=1)
        again = sequential_workload(unit, workload=None, vectors=1000, seed=1)
        other = sequential_workload(unit, workload=None, vectors=1000, seed=2)
        assert plan.cycles >= 1000 and plan.segments <= 16
        assert plan.codes["i__payload"].tolist() == again.codes["i__payload"].tolist()
        assert plan.codes["i__payload"].tolist() != other.codes["i__payload"].tolist()
        rst = plan.codes["rst"].reshape(plan.segments, plan.rows)
        assert rst[:, 0].all() and not rst[:, 1:].any()
        assert plan.macs == plan.desc["gemms"] * 8 * 4 * 4

    def test_file_workload(self, tmp_path):
        unit = make_unit(EXACT22)
        rng = np.random.default_rng(0)
        path = tmp_path / "gemm.npz"
        np.savez(path, A=rng.integers(0, 16, size=(3, 5, 3)), W=rng.integers(0, 16, (3, 3, 2)))
        r = flow.ppa(unit, workload=path, vectors=300, baseline=False)
        w = r.activity["workload"]
        assert w["kind"] == "file" and w["samples"] == 3 and w["shape"] == {"m": 5, "k": 3,
                                                                          "n": 2}
        assert r.activity["macs"] == w["gemms"] * 5 * 3 * 2

    def test_mac_file_workloads(self, tmp_path):
        unit = make_unit("mac:width=4")
        seq = tmp_path / "seq.npz"
        np.savez(seq, a=np.arange(16), b=np.arange(16)[::-1], clear=(np.arange(16) % 4 == 0) * 1)
        plan = sequential_workload(unit, workload=seq, vectors=100, seed=0)
        assert plan.codes["clear"].reshape(plan.segments, plan.rows)[0, 1:6].tolist() == [
            1, 0, 0, 0, 1]
        dots = tmp_path / "dots.npz"
        np.savez(dots, A=np.ones((3, 5), dtype=int), W=np.full((3, 5), 2))
        plan = sequential_workload(unit, workload=dots, vectors=100, seed=0)
        assert plan.codes["clear"].reshape(plan.segments, plan.rows)[0, 1:7].tolist() == [
            1, 0, 0, 0, 0, 1]

    @pytest.mark.parametrize("spec, arrays, message", [
        (EXACT22, {"A": np.zeros((4, 3)), "W": np.zeros((2, 2))},
         ("Workload file {path}: a GEMM needs A of shape (M, K) or (S, M, K) and W of shape "
         "(K, N) or (S, K, N) with the same K and no empty axis, not (4, 3) and (2, 2)")),
        (EXACT22, {"a": np.zeros(4), "b": np.zeros(4)},
         ("Workload file {path} must hold arrays 'A' and 'W'; missing 'A', 'W' (it holds "
         "'a', 'b')")),
        (EXACT22, {"A": np.full((2, 2), 16), "W": np.zeros((2, 2))},
         "Workload file {path}: array A holds 16, outside 0..15 (4-bit unsigned operand)"),
        ("mac:width=4", {"A": np.zeros((2, 3)), "W": np.zeros((2, 4))},
         ("Workload file {path}: a MAC needs A and W of shape (K,) or (S, K) with the same "
         "K >= 1 (one dot product per row), not (2, 3) and (2, 4)")),
        ("mac:width=4", {"a": np.array([1, 2]), "b": np.array([1, 17])},
         "Workload file {path}: operand b holds 17, outside 0..15 (4-bit unsigned)"),
    ])
    def test_bad_workload_files(self, tmp_path, spec, arrays, message):
        path = tmp_path / "w.npz"
        np.savez(path, **arrays)
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit(spec), workload=path, vectors=100)
        assert str(e.value) == message.format(path=path)

    def test_shape_arguments(self, tmp_path):
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit("exact:width=4"), m=4)
        assert str(e.value) == ("--m/--k/--n apply to mac and systolic specs; "
                                "exact:width=4,signed=false,arch=operator is a multiplier")
        path = tmp_path / "w.npz"
        np.savez(path, A=np.zeros((2, 2)), W=np.zeros((2, 2)))
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit(EXACT22), workload=path, k=3)
        assert str(e.value) == ("Give either a workload file or a GEMM shape (--m/--k/--n), "
                                "not both")
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit(EXACT22), n=0)
        assert str(e.value) == "--n must be a positive integer, not 0"


class TestSynthCommand:
    def test_table_and_json(self, capsys, exact22):
        assert main(["synth", EXACT22, "--vectors", str(VECTORS)]) == 0
        text = capsys.readouterr().out
        for label in ("energy/cycle", "area/PE", "energy/MAC", "MACs/cycle", "latency"):
            assert label in text
        assert "checked against the golden model" in text
        assert main(["synth", EXACT22, "--vectors", str(VECTORS), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["area_per_pe"] == exact22.area_per_pe
        assert doc["energy_per_mac_pj"] == exact22.energy_per_mac_pj
        assert doc["savings_pct"]["energy_per_mac"] == 0

    def test_bad_workload_is_one_line(self, capsys, tmp_path):
        path = tmp_path / "w.npz"
        np.savez(path, A=np.zeros((4, 3)), W=np.zeros((2, 2)))
        assert main(["synth", EXACT22, "--workload", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"axhdl synth: Workload file {path}: a GEMM needs A of shape")


@pytest.mark.slow
class TestLargeArray:
    def test_16x16_array_of_8x8_multipliers(self):
        """Generates, synthesizes (one Yosys run: a given period) and simulates 1,000 cycles;
        the time is printed (pytest -s): 3.3 minutes on the 2-core development machine
        (the default period would synthesize twice; docs/ppa.md has the figures)."""
        unit = make_unit("systolic:width=8,rows=16,cols=16")
        t0 = time.monotonic()
        verilog = unit.verilog()
        assert verilog.count("module ") >= 1
        r = flow.ppa(unit, baseline=False, vectors=1000, period_ns=10.0)
        seconds = time.monotonic() - t0
        print(f"\n16x16 systolic array of 8x8 multipliers: {r.cells} cells, area {r.area:g}, "
              f"delay {r.delay_ns:.3f} ns, {r.energy_per_mac_pj:.3f} pJ/MAC, {seconds:.0f} s")
        assert r.pes == 256 and r.area_per_pe == pytest.approx(r.area / 256)
        assert r.cell_histogram["DFFPOSX1"] > 256 * 24
        assert r.activity["golden_model_check"].endswith("output beats")
        assert math.isfinite(r.energy_per_mac_pj) and r.energy_per_mac_pj > 0
