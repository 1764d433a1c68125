"""The in-process netlist evaluator (axhdl.synth.evaluator): liberty functions, and toggle
counts identical to the Icarus simulation of the cell models on several designs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.activity import simulate_activity, workload_vectors
from axhdl.synth.evaluator import Unsupported, compile_function, evaluate_activity, supports
from axhdl.synth.liberty import load_liberty
from axhdl.toolchain import OSU018_LIBERTY, OSU035_LIBERTY

#: what the OSU cell names promise (AOI21 = !(A·B + C), ...), written independently of the
#: liberty's function strings
OSU_FUNCTIONS = {
    "AND2": lambda A, B: A & B,
    "AOI21": lambda A, B, C: 1 - ((A & B) | C),
    "AOI22": lambda A, B, C, D: 1 - ((A & B) | (C & D)),
    "BUF": lambda A: A,
    "CLKBUF": lambda A: A,
    "INV": lambda A: 1 - A,
    "MUX2": lambda A, B, S: 1 - (A if S else B),
    "NAND2": lambda A, B: 1 - (A & B),
    "NAND3": lambda A, B, C: 1 - (A & B & C),
    "NOR2": lambda A, B: 1 - (A | B),
    "NOR3": lambda A, B, C: 1 - (A | B | C),
    "OAI21": lambda A, B, C: 1 - ((A | B) & C),
    "OAI22": lambda A, B, C, D: 1 - ((A | B) & (C | D)),
    "OR2": lambda A, B: A | B,
    "XNOR2": lambda A, B: 1 - (A ^ B),
    "XOR2": lambda A, B: A ^ B,
    "FAX1.YS": lambda A, B, C: A ^ B ^ C,
    "FAX1.YC": lambda A, B, C: int(A + B + C >= 2),
    "HAX1.YS": lambda A, B: A ^ B,
    "HAX1.YC": lambda A, B: A & B,
}


def expected_function(cell: str, out: str):
    if cell in ("FAX1", "HAX1"):
        return OSU_FUNCTIONS[f"{cell}.{out}"]
    base = cell.rstrip("0123456789").removesuffix("X")
    return OSU_FUNCTIONS[base]


class TestCompileFunction:
    @pytest.mark.parametrize("liberty", [OSU018_LIBERTY, OSU035_LIBERTY])
    def test_osu_truth_tables(self, liberty):
        lib = load_liberty(liberty)
        checked = 0
        for cell in lib.cells.values():
            if not cell.combinational or cell.pad:
                continue
            for out in cell.outputs:
                func, pins = compile_function(cell.pins[out].function)
                ref = expected_function(cell.name, out)
                names = sorted(pins)
                for values in itertools.product((0, 1), repeat=len(names)):
                    env = {"__n__": 1, **{n: np.array([bool(v)]) for n, v in zip(names, values)}}
                    assert int(func(env)[0]) == ref(**dict(zip(names, values))), (cell.name, out)
                checked += 1
        assert checked >= 26

    @pytest.mark.parametrize("text, table", [
        ("A B + C", [0, 1, 0, 1, 0, 1, 1, 1]),  # AND before OR
        ("A^B C", [0, 0, 0, 1, 0, 1, 0, 0]),  # XOR before AND: (A^B)·C
        ("A' + B", [1, 1, 1, 1, 0, 0, 1, 1]),  # postfix inversion binds to A
        ("!(A|B)&C", [0, 1, 0, 0, 0, 0, 0, 0]),
        ("A*1+0", [0, 0, 0, 0, 1, 1, 1, 1]),
    ])
    def test_precedence(self, text, table):
        func, _ = compile_function(text)
        got = []
        for a, b, c in itertools.product((0, 1), repeat=3):
            env = {"__n__": 1, "A": np.array([bool(a)]), "B": np.array([bool(b)]),
                   "C": np.array([bool(c)])}
            got.append(int(func(env)[0]))
        assert got == table

    @pytest.mark.parametrize("text, message", [
        ("(A B", "liberty function '(A B' ends early"),
        ("A +", "liberty function 'A +' ends early"),
        ("A $ B", "cannot parse liberty function 'A $ B' at 2"),
        ("A )", "trailing ')' in liberty function 'A )'"),
    ])
    def test_bad_function(self, text, message):
        with pytest.raises(ValueError) as e:
            compile_function(text)
        assert str(e.value) == message


DESIGNS = [
    ("exact:width=8", OSU018_LIBERTY, 3.8),
    ("truncated:width=8,k=4,signed=true", OSU018_LIBERTY, 3.6),
    ("exact:a_width=4,b_width=7,signed=true", OSU035_LIBERTY, 5.0),
    ("truncated:width=6,k=6,correction=constant", OSU035_LIBERTY, 5.0),
]


class TestEvaluateActivity:
    @pytest.mark.parametrize("spec, liberty, period", DESIGNS)
    def test_identical_toggle_counts_to_icarus(self, spec, liberty, period):
        unit = make_unit(spec)
        lib = load_liberty(liberty)
        impl = flow.implement(unit, lib, period)
        assert supports(lib, impl["instances"].values())
        codes, _ = workload_vectors(unit, workload=None, vectors=1500, seed=21)
        ours = evaluate_activity(impl["netlist_json"], unit.name, lib, codes)
        icarus = simulate_activity(impl["netlist"], unit.name, lib, flow.cells_model_for(lib),
                                   impl["instances"], impl["ports"], codes)
        assert ours["transitions"] == icarus["transitions"] == 1500
        assert ours["instances"] == icarus["instances"]  # every pin: rate and probability
        assert ours["outputs"] == icarus["outputs"]
        assert ours["inputs"] == icarus["inputs"]

    def test_sequential_cells_are_not_evaluated(self, tmp_path):
        lib = load_liberty(OSU018_LIBERTY)
        assert not supports(lib, ["NAND2X1", "DFFPOSX1"])
        netlist = tmp_path / "n.json"
        netlist.write_text(
            '{"modules": {"t": {"ports": {"d": {"direction": "input", "bits": [2]}}, '
            '"cells": {"r": {"type": "DFFPOSX1", "connections": {"D": [2]}}}}}}'
        )
        with pytest.raises(Unsupported) as e:
            evaluate_activity(netlist, "t", lib, {"d": np.zeros(3, dtype=np.int64)})
        assert str(e.value) == "cell r of type DFFPOSX1 is not combinational logic"
