"""Tests of the algebraic (backward-rewriting) proof of arithmetic netlists.

Independent checks: the gate polynomials and the truth-table polynomials are evaluated on
every Boolean input and compared with the Boolean functions; the proof's verdict on mutated
netlists is compared with an exhaustive bit-parallel simulation written here (not the
module's own evaluator); counterexamples are checked against that simulation and against the
units' golden models; the SAT miter of :mod:`axhdl.synth.equiv` gives the same verdicts.
"""

from __future__ import annotations

import copy
import random
from itertools import product

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.errors import CheckFailedError, InputError, ToolFailedError
from axhdl.synth import algebraic
from axhdl.synth.algebraic import gate_netlist, prove_arithmetic, prove_netlist


def refutation(cex: dict, *, top: str = "design", spec: str = "a*b",
               how: str = "found by the proof") -> str:
    """The message of a refuted proof, written out from its counterexample."""
    return (f"design '{top}' does not compute {spec}: counterexample a={cex['a']}, "
            f"b={cex['b']} gives p={cex['p']}, expected {cex['expected']} ({how})")


def poly_value(poly: dict, assignment: list[int]) -> int:
    """A polynomial's value with variable v set to assignment[v]."""
    total = 0
    for mono, coef in poly.items():
        if all(assignment[v] for v in range(len(assignment)) if mono >> v & 1):
            total += coef
    return total


def exhaustive_outputs(netlist: dict, na: int, nb: int) -> dict[tuple[int, int], int]:
    """(a, b) → unsigned p for every operand pair, by bit-parallel evaluation of every gate
    (all cells, in passes until every net is known — no topological sort borrowed)."""
    ports = netlist["ports"]
    pairs = list(product(range(1 << na), range(1 << nb)))
    mask = (1 << len(pairs)) - 1
    value = {"0": 0, "1": mask}
    for i, bit in enumerate(ports["a"][1]):
        value[bit] = sum(((x >> i) & 1) << k for k, (x, _) in enumerate(pairs))
    for i, bit in enumerate(ports["b"][1]):
        value[bit] = sum(((y >> i) & 1) << k for k, (_, y) in enumerate(pairs))
    ops = {
        "$_NOT_": lambda A: ~A & mask, "$_BUF_": lambda A: A,
        "$_AND_": lambda A, B: A & B, "$_OR_": lambda A, B: A | B,
        "$_XOR_": lambda A, B: A ^ B, "$_XNOR_": lambda A, B: ~(A ^ B) & mask,
        "$_NAND_": lambda A, B: ~(A & B) & mask, "$_NOR_": lambda A, B: ~(A | B) & mask,
        "$_ANDNOT_": lambda A, B: A & ~B & mask, "$_ORNOT_": lambda A, B: (A | ~B) & mask,
        "$_MUX_": lambda A, B, S: (A & ~S & mask) | (B & S),
    }
    pins = {"$_MUX_": ("A", "B", "S"), "$_NOT_": ("A",), "$_BUF_": ("A",)}
    pending = list(netlist["cells"])
    while pending:
        left = []
        for kind, conn in pending:
            ins = pins.get(kind, ("A", "B"))
            if all(conn[p] in value for p in ins):
                value[conn["Y"]] = ops[kind](*(value[conn[p]] for p in ins))
            else:
                left.append((kind, conn))
        assert len(left) < len(pending), "combinational loop"
        pending = left
    words = [value[bit] for bit in ports["p"][1]]
    return {pair: sum(((w >> k) & 1) << i for i, w in enumerate(words))
            for k, pair in enumerate(pairs)}


def signed_of(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) & 1 else value


def product_holds(outputs: dict, na: int, nb: int, signed: bool) -> bool:
    np_ = na + nb
    for (x, y), p in outputs.items():
        if signed:
            if signed_of(p, np_) != signed_of(x, na) * signed_of(y, nb):
                return False
        elif p != x * y:
            return False
    return True


class TestPolynomials:
    @pytest.mark.parametrize("kind", sorted(algebraic._GATES))
    def test_gate_polynomial_equals_gate(self, kind):
        pins, poly_of, func = algebraic._GATES[kind]
        variables = [{1 << i: 1} for i in range(len(pins))]
        poly = poly_of(*variables)
        for bits in product((0, 1), repeat=len(pins)):
            assert poly_value(poly, list(bits)) == func(1, *bits), (kind, bits)

    @pytest.mark.parametrize("arity", [1, 2, 3])
    def test_truth_table_polynomial_is_exact(self, arity):
        rows = 1 << arity
        variables = [{1 << i: 1} for i in range(arity)]
        for tt in range(1 << rows):
            poly = algebraic._table_poly(tt, variables)
            for row in range(rows):
                bits = [(row >> i) & 1 for i in range(arity)]
                assert poly_value(poly, bits) == (tt >> row) & 1

    def test_full_adder_polynomials_are_linear_together(self):
        # s + 2c = x + y + z: the reason adder cells are replaced as one unit
        x, y, z = ({1 << i: 1} for i in range(3))
        s = algebraic._table_poly(0x96, [x, y, z])
        c = algebraic._table_poly(0xE8, [x, y, z])
        assert algebraic._add(s, c, 2) == {1: 1, 2: 1, 4: 1}


class TestAdderCells:
    def test_ripple_adder_cells_are_found(self):
        verilog = (
            "module add4(input [3:0] a, input [3:0] b, output [4:0] p);\n"
            "  assign p = a + b;\n"
            "endmodule\n"
        )
        netlist = gate_netlist(verilog, "add4")
        order = algebraic._topological(netlist, netlist["ports"]["p"][1])
        cells = algebraic._adder_cells(netlist, order)
        sizes = sorted(len(leaves) for leaves, _ in cells)
        # bit 0 is a half adder, bits 1-3 full adders (with carry in)
        assert sizes.count(3) == 3
        assert sizes.count(2) >= 1

    def test_cone_table_recomputes_cut_functions(self):
        u = make_unit("exact:width=3,arch=dadda")
        netlist = gate_netlist(u.verilog(), u.name)
        order = algebraic._topological(netlist, netlist["ports"]["p"][1])
        driver = {conn["Y"]: i for i, (_, conn) in enumerate(netlist["cells"])}
        cuts = algebraic._cuts(netlist, order)
        checked = 0
        for net, net_cuts in cuts.items():
            for leaves, tt in net_cuts.items():
                if leaves and net not in leaves:
                    assert algebraic._cone_table(netlist, driver, net, leaves) == tt
                    checked += 1
        assert checked > 50


class TestProofs:
    @pytest.mark.parametrize("arch", ["operator", "array", "wallace", "dadda", "booth"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_exact_5x5_proven(self, arch, signed):
        u = make_unit(f"exact:width=5,signed={signed},arch={arch}")
        netlist = gate_netlist(u.verilog(), u.name)
        # the second computation: exhaustive simulation agrees
        assert product_holds(exhaustive_outputs(netlist, 5, 5), 5, 5, signed)
        r = prove_netlist(netlist, signed=signed, simulate=False)
        assert r["equivalent"] is True
        assert r["gates"] > 0 and r["peak_terms"] > 0

    @pytest.mark.parametrize("arch,signed", [("dadda", False), ("booth", True),
                                             ("array", True), ("wallace", False)])
    def test_mutations_judged_like_exhaustive_simulation(self, arch, signed):
        u = make_unit(f"exact:width=4,signed={signed},arch={arch}")
        base = gate_netlist(u.verilog(), u.name)
        rng = random.Random(f"{arch}{signed}")
        two_input = ["$_AND_", "$_OR_", "$_XOR_", "$_XNOR_", "$_NAND_", "$_NOR_"]
        refuted = proven = 0
        for _ in range(12):
            netlist = copy.deepcopy(base)
            candidates = [i for i, (k, _) in enumerate(netlist["cells"]) if k in two_input]
            index = rng.choice(candidates)
            kind, conn = netlist["cells"][index]
            netlist["cells"][index] = (rng.choice([k for k in two_input if k != kind]), conn)
            outputs = exhaustive_outputs(netlist, 4, 4)
            if product_holds(outputs, 4, 4, signed):
                assert prove_netlist(netlist, signed=signed, simulate=False)["equivalent"]
                proven += 1
                continue
            with pytest.raises(CheckFailedError) as e:
                prove_netlist(netlist, signed=signed, simulate=False)
            cex = e.value.counterexample
            # the counterexample is a real mismatch of the mutated netlist
            x, y = cex["a"] % 16, cex["b"] % 16
            got = outputs[(x, y)]
            assert (signed_of(got, 8) if signed else got) == cex["p"]
            assert cex["p"] != cex["expected"] == cex["a"] * cex["b"]
            assert str(e.value) == refutation(cex)
            refuted += 1
        assert refuted > 0

    @pytest.mark.parametrize("signed", [False, True])
    def test_adder_spec(self, signed):
        sgn = "signed " if signed else ""
        verilog = (
            f"module add16(input {sgn}[15:0] a, input {sgn}[15:0] b, output {sgn}[16:0] p);\n"
            "  assign p = a + b;\n"
            "endmodule\n"
        )
        assert prove_arithmetic(verilog, "add16", spec="a+b", signed=signed)["equivalent"]
        with pytest.raises(InputError) as e:
            prove_arithmetic(verilog, "add16", spec="a*b", signed=signed)
        assert str(e.value) == "design 'add16': output 'p' has 17 bits, a*b needs 32"

    def test_subtractor_is_not_an_adder(self):
        verilog = (
            "module sub8(input [7:0] a, input [7:0] b, output [8:0] p);\n"
            "  assign p = a - b;\n"
            "endmodule\n"
        )
        netlist = gate_netlist(verilog, "sub8")
        with pytest.raises(CheckFailedError) as e:
            prove_netlist(netlist, spec="a+b", simulate=False, top="sub8")
        cex = e.value.counterexample
        assert cex["p"] == (cex["a"] - cex["b"]) % 512
        assert str(e.value) == refutation(cex, top="sub8", spec="a+b")

    def test_unsigned_unit_is_not_a_signed_multiplier(self):
        u = make_unit("exact:width=8,arch=dadda")
        netlist = gate_netlist(u.verilog(), u.name)
        with pytest.raises(CheckFailedError) as e:
            prove_netlist(netlist, signed=True, simulate=False)
        cex = e.value.counterexample
        assert cex["a"] < 0 or cex["b"] < 0  # they differ only for negative operands
        assert str(e.value) == refutation(cex)

    @pytest.mark.parametrize("spec", [
        "perforated:width=16,m=1,start=3",
        "truncated:width=16,k=10",
        "broken_array:width=16,hbl=2,vbl=8",
        "drum:width=16,k=6,signed=true",
        "kulkarni:width=16,blocks=2",
        "compressor:width=16,k=7",
    ])
    def test_approximate_units_refuted_with_model_counterexample(self, spec):
        u = make_unit(spec)
        with pytest.raises(CheckFailedError) as e:
            prove_arithmetic(u.verilog(), u.name, signed=u.signed)
        cex = e.value.counterexample
        # the netlist's value is the golden model's, and it is not the product
        assert int(u.model(cex["a"], cex["b"])) == cex["p"] != cex["a"] * cex["b"]
        # the operand corners and seeded random vectors refute it before any rewriting
        assert str(e.value) == refutation(cex, top=u.name, how="found by simulation")

    def test_refutation_without_simulation_for_approximate_unit(self):
        u = make_unit("perforated:width=8,m=2,start=2")
        netlist = gate_netlist(u.verilog(), u.name)
        with pytest.raises(CheckFailedError) as e:
            prove_netlist(netlist, simulate=False)
        cex = e.value.counterexample
        assert int(u.model(cex["a"], cex["b"])) == cex["p"] != cex["a"] * cex["b"]
        assert str(e.value) == refutation(cex)

    def test_gives_up_past_term_budget(self):
        u = make_unit("mitchell:width=8")
        netlist = gate_netlist(u.verilog(), u.name)
        with pytest.raises(ToolFailedError) as e:
            prove_netlist(netlist, simulate=False, max_terms=50, top=u.name)
        assert str(e.value) == (
            f"algebraic proof of '{u.name}' gave up: the polynomial grew past 50 terms (the "
            "netlist is not built of adder cells the rewriting recognises)")


class TestInputErrors:
    def test_unknown_spec(self):
        with pytest.raises(InputError) as e:
            prove_arithmetic("module m(); endmodule", "m", spec="a/b")
        assert str(e.value) == "spec must be one of a*b, a+b, not 'a/b'"

    def test_missing_port(self):
        verilog = ("module m(input [3:0] x, input [3:0] b, output [7:0] p);\n"
                   "  assign p = x * b;\nendmodule\n")
        with pytest.raises(InputError) as e:
            prove_arithmetic(verilog, "m")
        assert str(e.value) == "design 'm' has no input port 'a'"

    def test_narrow_result(self):
        verilog = ("module m(input [3:0] a, input [3:0] b, output [6:0] p);\n"
                   "  assign p = a * b;\nendmodule\n")
        with pytest.raises(InputError) as e:
            prove_arithmetic(verilog, "m")
        assert str(e.value) == "design 'm': output 'p' has 7 bits, a*b needs 8"

    def test_control_input(self):
        u = make_unit("reconfigurable:width=4")
        with pytest.raises(InputError) as e:
            prove_arithmetic(u.verilog(), u.name)
        assert str(e.value) == (f"design '{u.name}' has inputs besides 'a' and 'b' (mode): the "
                                "proof covers two-operand units only")

    def test_sequential_design(self):
        verilog = (
            "module m(input clk, input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
            "  always @(posedge clk) p <= a * b;\n"
            "endmodule\n"
        )
        # the flip-flop's cell name is Yosys' own ($auto$ff.cc:...$N)
        with pytest.raises(InputError, match=(
                r"^design 'm': cell \S+ of type \$_DFF_P_ is not a combinational gate \(the "
                r"algebraic proof covers combinational designs only\)$")):
            prove_arithmetic(verilog, "m")

    def test_undriven_bit(self):
        verilog = (
            "module m(input [1:0] a, input [1:0] b, output [3:0] p);\n"
            "  wire w;\n"
            "  assign p = {w, a & b, 1'b0};\n"
            "endmodule\n"
        )
        with pytest.raises(InputError) as e:
            prove_arithmetic(verilog, "m")
        assert str(e.value) == (
            "design 'm' fails Yosys' check: Warning: Wire m.\\p [3] is used but has no driver.")


POLY_SPECS = [
    "exact:width={w},signed={s},arch=wallace",
    "truncated:width={w},signed={s},k={k},correction=constant",
    "truncated:width={w},signed={s},k={k}",
    "perforated:width={w},signed={s},m=2,start=1",
    "broken_array:width={w},signed={s},hbl=2,vbl={k}",
    "operand_truncation:width={w},signed={s},za=2,zb=3",
]


def polynomial_value(poly: dict, a: np.ndarray, b: np.ndarray, na: int, nb: int) -> np.ndarray:
    """The polynomial on operand values (its bits taken from two's-complement codes)."""
    codes = {"a": np.asarray(a) & ((1 << na) - 1), "b": np.asarray(b) & ((1 << nb) - 1)}
    total = np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b)), dtype=object)
    for key, coef in poly.items():
        term = np.full(total.shape, coef, dtype=object)
        for port, bit in key:
            term = term * ((codes[port] >> bit) & 1)
        total = total + term
    return total


class TestModelProofs:
    @pytest.mark.parametrize("template", POLY_SPECS)
    @pytest.mark.parametrize("signed", [False, True])
    def test_polynomial_is_the_model(self, template, signed):
        # the numeric link: the polynomial, wrapped to p_width bits, is the golden model —
        # exhaustively at 6x6, and on seeded random 16x16 pairs
        for width, k, pairs in ((6, 5, None), (16, 12, 3000)):
            u = make_unit(template.format(w=width, s=signed, k=k))
            lo, hi = (-(1 << (width - 1)), 1 << (width - 1)) if signed else (0, 1 << width)
            if pairs is None:
                a, b = (x.ravel() for x in np.meshgrid(np.arange(lo, hi), np.arange(lo, hi)))
            else:
                rng = np.random.default_rng(7)
                a, b = rng.integers(lo, hi, pairs), rng.integers(lo, hi, pairs)
            value = polynomial_value(u.model_polynomial(), a, b, width, width)
            wrapped = np.array([int(v) % (1 << u.p_width) for v in value], dtype=np.int64)
            if signed:
                wrapped = np.where(wrapped >= 1 << (u.p_width - 1), wrapped - (1 << u.p_width),
                                   wrapped)
            assert (wrapped == u.model(a, b)).all(), u.spec

    @pytest.mark.parametrize("template", POLY_SPECS)
    @pytest.mark.parametrize("signed", [False, True])
    def test_rtl_proven_equal_to_model_16x16(self, template, signed):
        u = make_unit(template.format(w=16, s=signed, k=12))
        r = prove_arithmetic(u.verilog(), u.name, signed=signed, target=u.model_polynomial())
        assert r["equivalent"] is True and r["function"] == "the model"

    def test_wrong_model_refuted(self):
        truncated = make_unit("truncated:width=8,k=6")
        perforated = make_unit("perforated:width=8,m=1,start=0")
        netlist = gate_netlist(truncated.verilog(), truncated.name)
        with pytest.raises(CheckFailedError) as e:
            prove_netlist(netlist, simulate=False, target=perforated.model_polynomial())
        cex = e.value.counterexample
        assert cex["p"] == int(truncated.model(cex["a"], cex["b"]))
        assert cex["expected"] == int(perforated.model(cex["a"], cex["b"])) != cex["p"]
        assert str(e.value) == refutation(cex, spec="the model")

    def test_polynomial_beyond_the_operands(self):
        u = make_unit("exact:width=4")
        with pytest.raises(InputError) as e:
            prove_arithmetic(u.verilog(), u.name, target={(("a", 4), ("b", 0)): 1})
        assert str(e.value) == (
            f"target polynomial names operand bit a[4], which design '{u.name}' does not have")

    def test_families_without_a_polynomial(self):
        assert make_unit("mitchell:width=8").model_polynomial() is None
        assert make_unit("drum:width=8,k=4").model_polynomial() is None
