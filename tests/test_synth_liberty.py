"""The Liberty reader (axhdl.synth.liberty), checked against the library text itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from axhdl.errors import InputError
from axhdl.synth.liberty import load_liberty, parse_groups
from axhdl.toolchain import OSU018_LIBERTY, OSU035_LIBERTY

SNIPPET = r"""
/* a comment { with braces } */
library(tiny) {
  time_unit : "1ps";
  capacitive_load_unit (10, ff);
  nom_voltage : 1.2;
  cell (INV) {
    area : 1.5;
    cell_leakage_power : 0.25;
    pin(A) { direction : input; capacitance : 0.002; }
    pin(Y) { direction : output; function : "A'"; }
  }
  cell (DFF) {
    area : 6;
    ff (IQ, IQN) { next_state : "D"; clocked_on : "CK"; }
    pin(D) { direction : input; }
    pin(CK) { direction : input; clock : true; }
    pin(Q) { direction : output; function : "IQ"; }
  }
  cell (TBUF) {
    area : 3;
    pin(A) { direction : input; }
    pin(EN) { direction : input; }
    pin(Y) { direction : output; function : "A"; three_state : "!EN"; }
  }
  cell (BIG) {
    area : 2;
    pin(A) { direction : input; }
    pin(Y) { direction : output; function : "!A"; }
  }
  lu_table_template(t) { variable_1 : input_net_transition;
    index_1 ("0.1, \
              0.2"); }
}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.lib"
    path.write_text(SNIPPET)
    return load_liberty(path)


class TestParseGroups:
    def test_structure(self):
        lib = parse_groups(SNIPPET)
        assert lib.args == ["tiny"]
        assert lib.attrs["time_unit"] == "1ps"
        assert lib.complex_attrs["capacitive_load_unit"] == ["10", "ff"]
        assert [c.args[0] for c in lib.children("cell")] == ["INV", "DFF", "TBUF", "BIG"]
        template = lib.children("lu_table_template")[0]
        # the backslash-newline continuation joins the quoted string's two lines
        (index,) = template.complex_attrs["index_1"]
        assert index.split() == ["0.1,", "0.2"]

    @pytest.mark.parametrize("text, message", [
        ("library(x) { cell (A) { area : 1; }", "expected '}', found 'end of file' (token 15)"),
        ("cell (A) { }", "expected one 'library' group, found 0"),
        ("library(x) { a b }", "unexpected 'b' after 'a' (token 6)"),
    ])
    def test_errors(self, text, message):
        with pytest.raises(ValueError) as e:
            parse_groups(text)
        assert str(e.value) == message


class TestLibrary:
    def test_snippet(self, tiny):
        assert tiny.name == "tiny"
        assert tiny.cells["INV"].area == 1.5
        assert tiny.cells["INV"].leakage == 0.25
        assert tiny.cells["INV"].combinational
        assert tiny.cells["DFF"].sequential and not tiny.cells["DFF"].combinational
        assert not tiny.cells["TBUF"].combinational
        assert [c.name for c in tiny.flip_flops()] == ["DFF"]
        cell, a, y = tiny.smallest_inverter()
        assert (cell.name, a, y) == ("INV", "A", "Y")  # A' (area 1.5) beats !A (area 2)

    def test_units(self, tiny):
        assert tiny.capacitive_load_unit == (10.0, "ff")
        assert tiny.cap_in_pf(0.002) == pytest.approx(0.002 * 10 * 1e-3)
        assert tiny.voltage == 1.2
        assert tiny.time_in_ns(250) == pytest.approx(0.25)
        # undeclared: OpenSTA's defaults (leakage 1 nW, 1 V)
        assert tiny.leakage_in_w(0.25) == pytest.approx(0.25e-9)

    def test_every_declared_unit_is_read(self, tmp_path):
        """NanGate 15 nm's unit block (ps, pW, fF) with a voltage in mV: values convert."""
        path = tmp_path / "ng.lib"
        path.write_text(SNIPPET.replace('time_unit : "1ps";', (
            'time_unit : "1ps"; leakage_power_unit : "1pW"; voltage_unit : "1mV"; '
            'current_unit : "1uA"; pulling_resistance_unit : "1kohm";')).replace(
            "capacitive_load_unit (10, ff)", "capacitive_load_unit (1,ff)").replace(
            "nom_voltage : 1.2", "nom_voltage : 800"))
        lib = load_liberty(path)
        u = lib.units
        assert (u.time_s, u.capacitance_f, u.voltage_v, u.current_a, u.leakage_power_w,
                u.pulling_resistance_ohm) == pytest.approx((1e-12, 1e-15, 1e-3, 1e-6, 1e-12,
                                                            1e3))
        assert lib.voltage == pytest.approx(0.8)
        assert lib.time_in_ns(87.3) == pytest.approx(0.0873)
        assert lib.cap_in_pf(2.5) == pytest.approx(2.5e-3)
        assert lib.leakage_in_w(775.6) == pytest.approx(775.6e-12)
        assert lib.energy_in_pj(1.0) == pytest.approx(1e-15 * 1e-6 / 1e-12)
        assert u.key() is not None

    def test_osu_units_are_the_native_ones(self):
        lib = load_liberty(OSU018_LIBERTY)
        assert lib.units.key() is None  # their cache keys did not change
        assert lib.time_in_ns(1.5) == 1.5 and lib.cap_in_pf(0.01) == 0.01

    @pytest.mark.parametrize("decl,message", [
        ('time_unit : "1parsec";', "time_unit '1parsec' is not a unit of time (e.g. 1ns)"),
        ('time_unit : "fast";', "time_unit 'fast' is not a unit of time (e.g. 1ns)"),
        ('time_unit : "0ns";', "time_unit '0ns' is not a unit of time (e.g. 1ns)"),
        ('voltage_unit : "1mA";', "voltage_unit '1mA' is not a unit of voltage (e.g. 1V)"),
        ('leakage_power_unit : "1nJ";',
         "leakage_power_unit '1nJ' is not a unit of power (e.g. 1W)"),
        ('pulling_resistance_unit : "1xohm";',
         "pulling_resistance_unit '1xohm' is not a unit of resistance (e.g. 1ohm)"),
        ("capacitive_load_unit (1, pH);",
         "capacitive_load_unit (1, pH) is not a unit of capacitance (e.g. (1, pf))"),
        ("capacitive_load_unit (-1, ff);",
         "capacitive_load_unit (-1, ff) is not a unit of capacitance (e.g. (1, pf))"),
    ])
    def test_bad_unit_is_one_line_naming_it(self, tmp_path, decl, message):
        path = tmp_path / "bad.lib"
        text = SNIPPET.replace('time_unit : "1ps";', "").replace(
            "capacitive_load_unit (10, ff);", "")
        path.write_text(text.replace("library(tiny) {", "library(tiny) {\n  " + decl))
        with pytest.raises(InputError) as e:
            load_liberty(path)
        assert str(e.value) == f"Liberty file {path.resolve()}: {message}"

    @pytest.mark.parametrize("text,value", [
        ("1ps", 1e-12), ("10ps", 1e-11), ("100ps", 1e-10), ("1ns", 1e-9), ("1PS", 1e-12),
        ("1 ns", 1e-9), ("ns", 1e-9),
    ])
    def test_time_unit_spellings(self, tmp_path, text, value):
        path = tmp_path / "t.lib"
        path.write_text(SNIPPET.replace('"1ps"', f'"{text}"'))
        assert load_liberty(path).units.time_s == pytest.approx(value, rel=1e-12)

    @pytest.mark.parametrize("path", [OSU018_LIBERTY, OSU035_LIBERTY])
    def test_osu_areas_match_the_text(self, path):
        lib = load_liberty(path)
        text = Path(path).read_text()
        names = re.findall(r"^cell\s*\(\s*(\w+)\s*\)", text, re.M)
        assert sorted(lib.cells) == sorted(names)
        for name, area in re.findall(r"cell\s*\((\w+)\)\s*\{\s*(?:pad_cell : true;\s*)?"
                                     r"area\s*:\s*([\d.]+)", text):
            assert lib.cells[name].area == float(area)

    def test_osu018_facts(self):
        lib = load_liberty(OSU018_LIBERTY)
        assert lib.voltage == 1.8
        assert lib.cells["NAND2X1"].pins["Y"].function == "(!(A B))"
        assert lib.cells["FAX1"].outputs == ["YC", "YS"]
        assert {c.name for c in lib.flip_flops()} == {"DFFNEGX1", "DFFPOSX1", "DFFSR", "LATCH"}
        cell, a, y = lib.smallest_inverter()
        assert (cell.name, a, y) == ("INVX1", "A", "Y")
        assert cell.pins["A"].capacitance == 0.00932456

    def test_missing(self, tmp_path):
        with pytest.raises(InputError) as e:
            load_liberty(tmp_path / "x.lib")
        assert str(e.value) == f"Liberty file not found: {tmp_path / 'x.lib'}"

    def test_invalid(self, tmp_path):
        path = tmp_path / "x.lib"
        path.write_text("library(x) { cell (A) { area : 1; }")
        with pytest.raises(InputError) as e:
            load_liberty(path)
        assert str(e.value) == (
            f"Liberty file {path.resolve()} is not valid Liberty: expected '}}', found "
            f"'end of file' (token 15)"
        )

    def test_no_cells(self, tmp_path):
        path = tmp_path / "x.lib"
        path.write_text("library(x) { time_unit : 1ns; }")
        with pytest.raises(InputError) as e:
            load_liberty(path)
        assert str(e.value) == f"Liberty file {path.resolve()} defines no cells"
