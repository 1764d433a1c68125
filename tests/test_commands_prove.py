"""``axhdl prove`` (axhdl.commands.prove): verdicts, exit statuses, JSON, both methods."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from axhdl import make_unit
from axhdl.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_exact_16x16_booth_proven_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "axhdl.cli", "prove", "exact:width=16,signed=true,arch=booth",
         "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["exact"] is True and r["equivalent"] is True
    assert r["spec"] == "exact:width=16,signed=true,arch=booth"
    assert r["signed"] is True and r["method"].startswith("yosys techmap + algebraic")
    assert r["full_adders"] > 100 and r["gates"] > 1000


def test_human_output(capsys):
    status, out, _ = run(capsys, "prove", "exact:width=8,arch=array")
    assert status == 0
    assert out.startswith("exact:width=8,signed=false,arch=array: PROVEN p = a*b for every "
                          "unsigned input (yosys techmap + algebraic backward rewriting")


def test_sat_method(capsys):
    status, out, _ = run(capsys, "prove", "exact:width=5,signed=true,arch=dadda",
                         "--method", "sat")
    assert status == 0
    assert "PROVEN" in out and "sat -prove" in out


@pytest.mark.parametrize("method", ["algebraic", "sat"])
def test_approximate_unit_exit_1_with_counterexample(capsys, method):
    spec = "drum:width=6,k=3"
    status, out, _ = run(capsys, "prove", spec, "--method", method, "--json")
    assert status == 1
    r = json.loads(out)
    assert r["exact"] is False and "counterexample" in r["reason"]
    if method == "algebraic":
        cex = r["counterexample"]
        assert int(make_unit(spec).model(cex["a"], cex["b"])) == cex["p"] != cex["a"] * cex["b"]


@pytest.mark.parametrize("argv,message", [
    (["prove", "reconfigurable:width=8"],
     ("axhdl prove: reconfigurable:width=8,signed=false,modes=0;1;2: has control inputs "
      "(mode); the proof covers two-operand units\n")),
    (["prove", "exact:width=8", "--method", "bdd"],
     "axhdl: error: argument --method: invalid choice: 'bdd' (choose from 'algebraic', 'sat')\n"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own errors
        status = e.code
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err == message


def test_imported_verilog(capsys, tmp_path):
    exact = tmp_path / "mul6.v"
    exact.write_text(
        "module mul6(input [5:0] A, input [5:0] B, output [11:0] O);\n"
        "  assign O = A * B;\n"
        "endmodule\n"
    )
    status, out, _ = run(capsys, "prove", f"verilog:path={exact},top=mul6,a=A,b=B,p=O")
    assert status == 0 and ": PROVEN p = a*b for every unsigned input" in out
    approx = tmp_path / "mul6x.v"
    approx.write_text(
        "module mul6x(input [5:0] A, input [5:0] B, output [11:0] O);\n"
        "  wire [11:0] full = A * B;\n"
        "  assign O = {full[11:1], 1'b0};  // the LSB dropped\n"
        "endmodule\n"
    )
    status, out, _ = run(capsys, "prove", f"verilog:path={approx},top=mul6x,a=A,b=B,p=O",
                         "--json")
    assert status == 1
    cex = json.loads(out)["counterexample"]
    assert cex["a"] % 2 == 1 and cex["b"] % 2 == 1 and cex["p"] == cex["a"] * cex["b"] - 1


def test_against_model(capsys):
    status, out, _ = run(capsys, "prove", "broken_array:width=12,hbl=2,vbl=9,signed=true",
                         "--against", "model")
    assert status == 0
    assert ": PROVEN p = the golden model for every signed input" in out
    status, out, _ = run(capsys, "prove", "broken_array:width=12,hbl=2,vbl=9,signed=true")
    assert status == 1 and ": NOT EXACT - " in out


@pytest.mark.parametrize("argv,message", [
    (["prove", "mitchell:width=8", "--against", "model"],
     ("axhdl prove: mitchell:width=8,signed=false: the mitchell model is not a polynomial of "
      "the operand bits, so it cannot be proven formally; 'axhdl verify' checks it by "
      "simulation\n")),
    (["prove", "truncated:width=6,k=3", "--against", "model", "--method", "sat"],
     "axhdl prove: --against model needs --method algebraic\n"),
])
def test_against_model_errors(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and err == message
