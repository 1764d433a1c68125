"""Yosys formal equivalence (axhdl.synth.equiv): proofs that hold and counterexamples that
are exact."""

from __future__ import annotations

import re

import pytest

from axhdl.errors import CheckFailedError, InputError, ToolFailedError
from axhdl.registry import make_unit
from axhdl.synth.equiv import _counterexample, equiv_script, prove_equivalent
from axhdl.toolchain import default_liberty

AND_RTL = "module g(input a, input b, output p); assign p = a & b; endmodule\n"
# a & b as OSU cells: NOR of the inverted inputs (De Morgan)
AND_CELLS = (
    "module n(a, b, p); input a, b; output p; wire x, y;\n"
    "  INVX1 u0(.A(a), .Y(x)); INVX1 u1(.A(b), .Y(y)); NOR2X1 u2(.A(x), .B(y), .Y(p));\n"
    "endmodule\n"
)
AND_ONE_CELL = (
    "module n(a, b, p); input a, b; output p; AND2X1 u0(.A(a), .B(b), .Y(p)); endmodule\n"
)
# NOR(~a, a) is constant 0: it differs from a & b at a = b = 1 only
ZERO_CELLS = (
    "module n(a, b, p); input a, b; output p; wire x;\n"
    "  INVX1 u0(.A(a), .Y(x)); NOR2X1 u2(.A(x), .B(a), .Y(p));\n"
    "endmodule\n"
)
REG_RTL = (
    "module g(input clk, input a, input b, output reg p);\n"
    "  always @(posedge clk) p <= a & b;\nendmodule\n"
)
REG_CELLS = (
    "module n(clk, a, b, p); input clk, a, b; output p; wire x;\n"
    "  {gate} u0(.A(a), .B(b), .Y(x)); DFFPOSX1 r(.CLK(clk), .D(x), .Q(p));\nendmodule\n"
)
# the exact product except at a = 201, b = 77, where bit 0 is flipped
BROKEN_8X8 = (
    "module broken(input [7:0] a, input [7:0] b, output [15:0] p);\n"
    "  assign p = (a * b) ^ {15'b0, (a == 8'd201) & (b == 8'd77)};\nendmodule\n"
)


class TestProveEquivalent:
    def test_exact_operator_equals_array_8x8(self):
        gold = make_unit("exact:width=8,arch=operator")
        gate = make_unit("exact:width=8,arch=array")
        result = prove_equivalent(gold.verilog(), gold.name, gate.verilog(), gate.name)
        assert result["equivalent"] is True
        assert result["method"] == "yosys miter -equiv + sat -prove"

    def test_single_point_difference_is_found(self):
        gold = make_unit("exact:width=8")
        with pytest.raises(CheckFailedError) as e:
            prove_equivalent(gold.verilog(), gold.name, BROKEN_8X8, "broken")
        assert str(e.value) == (
            "gate 'broken' is not equivalent to gold 'exact_8x8u_archoperator': "
            "counterexample a=201, b=77 gives p=15477 (gold) vs 15476 (gate)"
        )

    def test_liberty_cells_become_logic(self):
        result = prove_equivalent(AND_RTL, "g", AND_CELLS, "n", liberty=default_liberty())
        assert result["equivalent"] is True

    def test_liberty_cell_function_is_checked(self):
        with pytest.raises(CheckFailedError) as e:
            prove_equivalent(AND_RTL, "g", ZERO_CELLS, "n", liberty=default_liberty())
        assert str(e.value) == (
            "gate 'n' is not equivalent to gold 'g': counterexample a=1, b=1 gives "
            "p=1 (gold) vs 0 (gate)"
        )

    def test_netlist_without_liberty_is_an_error(self):
        with pytest.raises(ToolFailedError) as e:
            prove_equivalent(AND_RTL, "g", AND_ONE_CELL, "n")
        assert str(e.value) == (
            "yosys equivalence failed (exit 1):\nERROR: Module `\\AND2X1' referenced in module "
            "`\\n' in cell `\\u0' is not part of the design."
        )

    def test_port_names_must_match(self):
        other = "module n(input a, input c, output p); assign p = a & c; endmodule\n"
        with pytest.raises(ToolFailedError) as e:
            prove_equivalent(AND_RTL, "g", other, "n")
        assert str(e.value) == (
            "yosys equivalence failed (exit 1):\n"
            "ERROR: No matching port in gate module was found for \\b!"
        )

    @pytest.mark.parametrize("gate, equivalent", [("AND2X1", True), ("OR2X1", False)])
    def test_registered_bounded_proof(self, gate, equivalent):
        cells = REG_CELLS.format(gate=gate)
        if equivalent:
            result = prove_equivalent(REG_RTL, "g", cells, "n", liberty=default_liberty(),
                                      depth=3)
            assert result["method"] == "yosys miter -equiv + sat -prove (bounded, 3 cycles)"
        else:
            with pytest.raises(CheckFailedError) as e:
                prove_equivalent(REG_RTL, "g", cells, "n", liberty=default_liberty(), depth=3)
            # the message matched whole; the SAT solver picks the cycle and the inputs
            m = re.fullmatch(r"gate 'n' is not equivalent to gold 'g': counterexample "
                             r"((?:\w+@\d+=[01], )*\w+@\d+=[01]) gives p@(\d+)=0 \(gold\) "
                             r"vs 1 \(gate\)", str(e.value))
            assert m, str(e.value)
            inputs = dict(item.split("=") for item in m.group(1).split(", "))
            # p is registered: AND and OR differ on the cycle before, where a != b
            step = int(m.group(2)) - 1
            assert inputs[f"a@{step}"] != inputs[f"b@{step}"]

    def test_missing_liberty(self, tmp_path):
        missing = tmp_path / "none.lib"
        with pytest.raises(InputError) as e:
            prove_equivalent(AND_RTL, "g", AND_CELLS, "n", liberty=str(missing))
        assert str(e.value) == f"Liberty file not found: {missing}"

    @pytest.mark.parametrize("top", ["", "1abc", "a b", None])
    def test_bad_top_name(self, top):
        with pytest.raises(InputError) as e:
            prove_equivalent(AND_RTL, top, AND_CELLS, "n")
        assert str(e.value) == f"gold_top must be a Verilog module name, not {top!r}"

    def test_bad_depth(self):
        with pytest.raises(InputError) as e:
            prove_equivalent(AND_RTL, "g", AND_RTL, "g", depth=-1)
        assert str(e.value) == "depth must be a non-negative integer, not -1"


class TestScript:
    def test_liberty_is_read_as_logic_for_the_gate_only(self):
        script = equiv_script("g", "n", liberty="/x/cells.lib")
        lines = script.splitlines()
        assert "read_liberty /x/cells.lib" in lines
        assert lines.index("read_liberty /x/cells.lib") > lines.index("design -stash gold")
        assert "-lib" not in script

    def test_counterexample_parsing(self):
        log = (
            "  Signal Name             Dec       Hex                 Bin\n"
            "  --------------- ----------- --------- -------------------\n"
            "  \\gate_p               15476      3c74    0011110001110100\n"
            "  \\in_a                   201        c9            11001001\n"
        )
        assert _counterexample(log) == {"gate_p": 15476, "in_a": 201}
