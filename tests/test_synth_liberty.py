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
