"""OpenSTA timing and power calibration (axhdl.synth.sta), checked against first principles."""

from __future__ import annotations

import json

import pytest

from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.liberty import load_liberty
from axhdl.synth.sta import CALIBRATION_ACTIVITY, parse_sta, run_sta, sta_script
from axhdl.toolchain import OSU018_LIBERTY

PERIOD = 3.8


@pytest.fixture(scope="module")
def lib():
    return load_liberty(OSU018_LIBERTY)


@pytest.fixture(scope="module")
def impl(lib):
    unit = make_unit("exact:width=8")
    return unit, flow.implement(unit, lib, PERIOD)


class TestScript:
    def test_combinational_constraints(self, lib):
        script = sta_script("top", lib, 2.5)
        assert "create_clock -name axhdl_vclk -period 2.5\n" in script
        assert "set_driving_cell -lib_cell INVX1 -pin Y $axhdl_inputs" in script
        # four INVX1 input pins of load on every output
        assert f"set_load {4 * 0.00932456:.6g} [all_outputs]" in script
        assert "set_input_delay 0 -clock axhdl_vclk $axhdl_inputs" in script

    def test_registered_constraints(self, lib):
        script = sta_script("top", lib, 2.5, clock="clk")
        assert "create_clock -name clk -period 2.5 [get_ports clk]" in script
        assert "ne {clk}" in script


class TestTiming:
    def test_critical_path_adds_up(self, impl):
        unit, r = impl
        path = r["critical_path"]
        assert path[0]["cell"] == "in" and path[-1]["cell"] == "out"
        assert path[0]["pin"][0] in "ab" and path[-1]["pin"].startswith("p[")
        total = 0.0
        for i, step in enumerate(path):  # figures are printed to 1e-6 ns
            total += step["delay_ns"]
            assert step["arrival_ns"] == pytest.approx(total, abs=1e-6 * (i + 1))
        assert r["delay_ns"] == pytest.approx(total, abs=1e-6 * len(path))
        assert r["slack_ns"] == pytest.approx(PERIOD - r["delay_ns"], abs=1e-5)

    def test_path_cells_are_netlist_cells(self, impl):
        _, r = impl
        for step in r["critical_path"][1:-1]:
            inst = step["pin"].split("/")[0]
            assert r["instances"][inst] == step["cell"]

    def test_parse_without_paths(self):
        log = ("AXHDL_PATH_BEGIN\nNo paths found.\nAXHDL_PATH_END\nAXHDL slack INF\n"
               "AXHDL vectorless 0 0 1e-9 1e-9\nAXHDL design 0.0 0 0 1e-9 1e-9\n")
        r = parse_sta(log, 2.0)
        assert r["delay_ns"] == 0.0 and r["slack_ns"] == 2.0
        assert r["fmax_mhz"] is None  # no timing path: no frequency limit


class TestPowerCalibration:
    def test_switching_power_is_half_cv2_per_transition(self, impl, lib):
        """OpenSTA's switching power of every cell equals ½·C·V²·α/T, with C the input pins
        its output drives (liberty capacitances) plus the output load: activity is in
        transitions per clock period."""
        unit, r = impl
        module = json.loads(open(r["netlist_json"]).read())["modules"][unit.name]
        out_bits = module["ports"]["p"]["bits"]
        load = 4 * 0.00932456
        net_cap: dict = {}
        driver: dict = {}
        for inst, cell in module["cells"].items():
            lc = lib.cells[cell["type"]]
            for pin, bits in cell["connections"].items():
                if pin in lc.outputs:
                    driver[bits[0]] = inst
                else:
                    net_cap[bits[0]] = net_cap.get(bits[0], 0.0) + lc.pins[pin].capacitance
        active = r["calibration"]["active"]
        for bit, inst in driver.items():
            cap_pf = net_cap.get(bit, 0.0) + load * out_bits.count(bit)
            expected = 0.5 * cap_pf * 1e-12 * 1.8**2 * CALIBRATION_ACTIVITY / (PERIOD * 1e-9)
            assert active[inst]["switching"] == pytest.approx(expected, rel=0.02)

    def test_idle_is_leakage_only(self, impl, lib):
        _, r = impl
        for inst, p in r["calibration"]["idle"].items():
            assert p["internal"] == 0 and p["switching"] == 0
            cell = lib.cells[r["instances"][inst]]
            assert p["leakage"] == pytest.approx(lib.leakage_in_w(cell.leakage), rel=1e-6)
            assert lib.leakage_in_w(cell.leakage) == cell.leakage * 1e-9  # nW in OSU 0.18

    def test_dynamic_power_scales_with_frequency(self, impl, lib):
        _, r = impl
        slow = run_sta(r["netlist"], impl[0].name, lib, 2 * PERIOD)
        for part in ("internal", "switching"):
            assert slow["calibration"]["design_active"][part] == pytest.approx(
                r["calibration"]["design_active"][part] / 2, rel=1e-6
            )
        assert slow["calibration"]["design_active"]["leakage"] == pytest.approx(
            r["calibration"]["design_active"]["leakage"], rel=1e-9
        )
