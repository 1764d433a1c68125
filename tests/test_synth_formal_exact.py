"""Formal proofs that every exact architecture computes a*b, signed and unsigned.

Two independent methods, both proofs rather than simulations:

* a Yosys miter against a hand-written ``assign p = a * b`` module (``$signed`` operands when
  signed), independent of Amaranth, proven by ``sat -prove`` (:mod:`axhdl.synth.equiv`). A SAT
  proof of a multiplier miter grows exponentially with the width (the classic hardness of
  multiplier equivalence checking). Measured on the 2-core development machine: 6x6 in 1-2 s
  (default tier), 8x8 in 16-100 s (slow tier); 10x10 did not finish in 300 s;
* algebraic backward rewriting of the Yosys gate netlist (:mod:`axhdl.synth.algebraic`),
  which proves 8x8 and 16x16 in about a second each (default tier) and 31x31 in a few
  seconds (slow tier).
"""

from __future__ import annotations

import re

import pytest

from axhdl import make_unit
from axhdl.errors import CheckFailedError
from axhdl.synth.algebraic import prove_arithmetic
from axhdl.synth.equiv import prove_equivalent

ARCHES = ["operator", "array", "wallace", "dadda", "booth"]


def gold_verilog(na: int, nb: int, signed: bool) -> tuple[str, str]:
    top = f"gold_mul_{na}x{nb}{'s' if signed else 'u'}"
    sgn = "signed " if signed else ""
    text = (
        f"module {top}(input {sgn}[{na - 1}:0] a, input {sgn}[{nb - 1}:0] b,\n"
        f"             output {sgn}[{na + nb - 1}:0] p);\n"
        "  assign p = a * b;\n"
        "endmodule\n"
    )
    return text, top


def prove(na: int, nb: int, signed: bool, arch: str) -> dict:
    gate = make_unit(f"exact:a_width={na},b_width={nb},signed={signed},arch={arch}")
    gold, top = gold_verilog(na, nb, signed)
    return prove_equivalent(gold, top, gate.verilog(), gate.name)


def miter_counterexample(message: str, gate: str, gold: str) -> tuple[int, int, int, int]:
    """(a, b, gold p, gate p) of a refuted miter proof, the message matched whole (the SAT
    solver picks the operands); values as unsigned codes."""
    m = re.fullmatch(
        rf"gate '{re.escape(gate)}' is not equivalent to gold '{re.escape(gold)}': "
        r"counterexample a=(-?\d+), b=(-?\d+) gives p=(-?\d+) \(gold\) vs (-?\d+) \(gate\)",
        message)
    assert m, message
    return tuple(int(x) for x in m.groups())


class TestExactFormal:
    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    def test_6x6_equals_product(self, arch, signed):
        assert prove(6, 6, signed, arch)["equivalent"] is True

    @pytest.mark.parametrize("na,nb,signed,arch", [(5, 3, False, "booth"), (3, 6, True, "wallace"),
                                                   (7, 4, True, "dadda"), (4, 7, True, "booth")])
    def test_asymmetric_equals_product(self, na, nb, signed, arch):
        assert prove(na, nb, signed, arch)["equivalent"] is True

    @pytest.mark.slow
    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    def test_8x8_equals_product(self, arch, signed):
        assert prove(8, 8, signed, arch)["equivalent"] is True

    def test_gold_distinguishes_signedness(self):
        # the proof is not vacuous: the unsigned product is not the signed one
        gate = make_unit("exact:width=4,signed=false,arch=dadda")
        gold, top = gold_verilog(4, 4, True)
        with pytest.raises(CheckFailedError) as e:
            prove_equivalent(gold, top, gate.verilog(), gate.name)
        a, b, gold_p, gate_p = miter_counterexample(str(e.value), gate.name, top)
        a, b = a % 16, b % 16
        signed_a, signed_b = a - 16 * (a >> 3), b - 16 * (b >> 3)
        assert gate_p % 256 == a * b
        assert gold_p % 256 == signed_a * signed_b % 256 != gate_p % 256

    def test_approximate_unit_is_refuted(self):
        gate = make_unit("perforated:width=4,m=1,start=0")
        gold, top = gold_verilog(4, 4, False)
        with pytest.raises(CheckFailedError) as e:
            prove_equivalent(gold, top, gate.verilog(), gate.name)
        a, b, gold_p, gate_p = miter_counterexample(str(e.value), gate.name, top)
        # a counterexample needs b_0 = 1 and a != 0
        assert b & 1 and a != 0
        assert gold_p == a * b and gate_p == int(gate.model(a, b)) != gold_p


def prove_algebraic(na: int, nb: int, signed: bool, arch: str) -> dict:
    gate = make_unit(f"exact:a_width={na},b_width={nb},signed={signed},arch={arch}")
    return prove_arithmetic(gate.verilog(), gate.name, spec="a*b", signed=signed)


class TestExactAlgebraic:
    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("width", [8, 16])
    def test_equals_product(self, width, arch, signed):
        r = prove_algebraic(width, width, signed, arch)
        assert r["equivalent"] is True and r["signed"] is signed

    @pytest.mark.parametrize("na,nb,signed,arch", [
        (16, 8, True, "booth"), (8, 16, False, "booth"), (16, 5, True, "wallace"),
        (3, 16, False, "dadda"), (12, 16, True, "array"),
    ])
    def test_asymmetric_equals_product(self, na, nb, signed, arch):
        assert prove_algebraic(na, nb, signed, arch)["equivalent"] is True

    @pytest.mark.slow
    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    def test_31x31_equals_product(self, arch, signed):
        assert prove_algebraic(31, 31, signed, arch)["equivalent"] is True

    def test_methods_agree_on_a_wrong_gold(self):
        # the algebraic proof, like the miter, tells the unsigned product from the signed one
        gate = make_unit("exact:width=16,signed=false,arch=wallace")
        with pytest.raises(CheckFailedError) as e:
            prove_arithmetic(gate.verilog(), gate.name, signed=True)
        cex = e.value.counterexample
        assert str(e.value) == (
            f"design '{gate.name}' does not compute a*b: counterexample a={cex['a']}, "
            f"b={cex['b']} gives p={cex['p']}, expected {cex['expected']} (found by simulation)")
        assert cex["expected"] == cex["a"] * cex["b"] != cex["p"]
