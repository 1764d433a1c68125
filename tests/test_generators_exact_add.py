"""Tests of the exact adder (the baseline of every adder): ``operator``, ``ripple``,
``kogge_stone`` and ``brent_kung``.

References: a bit-by-bit ripple-carry sum and ``a + b``; RTL against the model on the Amaranth
simulator and cocotb; formal proofs of every architecture against ``a+b`` at 8 and 16 bits.
"""

from __future__ import annotations

import pytest
from _adder_checks import (
    adder_rtl_test_class,
    assert_amaranth_exhaustive,
    assert_model_matches,
    from_bits,
    operand_bits,
    ripple_bits,
)

from axhdl import SpecError, make_unit
from axhdl.errors import CheckFailedError
from axhdl.generators.adders.exact_add import ARCHITECTURES, ExactAdd
from axhdl.synth.prove import prove_unit


def ripple_reference(width: int, signed: bool):
    """The sum of the sign- (or zero-) extended operands, one full adder per bit."""

    def ref(a: int, b: int) -> int:
        bits, _ = ripple_bits(operand_bits(a, width, signed), operand_bits(b, width, signed))
        return from_bits(bits, signed)

    return ref


class TestExactAdd:
    @pytest.mark.parametrize("width", [1, 2, 3, 5])
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_is_the_bitwise_sum(self, width, signed):
        unit = make_unit(f"exact_add:width={width},signed={signed}")
        assert_model_matches(unit, ripple_reference(width, signed))
        assert_model_matches(unit, lambda a, b: a + b)

    def test_widths_and_names(self):
        u = ExactAdd(width=8, signed=True, arch="kogge_stone")
        assert (u.a_width, u.b_width, u.p_width, u.kind) == (8, 8, 9, "adder")
        assert u.spec == "exact_add:width=8,signed=true,arch=kogge_stone"
        assert u.name == "exact_add_8s_archkogge_stone"
        assert u.operation.baseline_spec() == "exact_add:width=8,signed=true"
        assert make_unit(u.spec) == u

    def test_most_negative_operands(self):
        u = make_unit("exact_add:width=8,signed=true,arch=brent_kung")
        assert int(u.model(-128, -128)) == -256
        assert int(u.model(127, 127)) == 254

    @pytest.mark.parametrize("kwargs,error,message", [
        ({"width": 8, "arch": "carry_select"}, ValueError,
         ("Parameter 'arch' must be one of operator, ripple, kogge_stone, brent_kung, "
         "not 'carry_select'")),
        ({"width": 0}, ValueError, "Parameter 'width' must be an integer in 1..61, not 0"),
        ({"width": 62}, ValueError, "Parameter 'width' must be an integer in 1..61, not 62"),
        ({"width": 8, "signed": 1}, TypeError, "Parameter 'signed' must be true or false, not 1"),
        ({"width": "8"}, TypeError, "Parameter 'width' must be an integer, not '8'"),
        ({"a_width": 8}, TypeError,
         ("Family 'exact_add' has no parameter 'a_width'; its parameters are: width, signed, "
         "arch")),
    ])
    def test_parameter_errors(self, kwargs, error, message):
        with pytest.raises(error) as e:
            ExactAdd(**kwargs)
        assert str(e.value) == message

    def test_positional_parameters_rejected(self):
        with pytest.raises(TypeError) as e:
            ExactAdd(8)
        assert str(e.value) == (
            "ExactAdd takes keyword parameters only (e.g. width=8), not 1 positional")

    def test_spec_error(self):
        with pytest.raises(SpecError) as e:
            make_unit("exact_add:width=8,arch=tree")
        assert str(e.value).startswith("exact_add: Parameter 'arch' must be one of operator")

    @pytest.mark.parametrize("arch", ARCHITECTURES)
    @pytest.mark.parametrize("width", [6, 7])
    def test_prefix_networks_at_odd_widths(self, arch, width):
        # widths that are not powers of two leave partial levels in the prefix trees
        assert_amaranth_exhaustive(make_unit(f"exact_add:width={width},arch={arch}"))


TestRTLEquivalence = adder_rtl_test_class(
    "exact_add",
    lambda w: [f"arch={a}" for a in ARCHITECTURES],
    eight=("arch=ripple", "arch=kogge_stone"),
    slow_eight=[("arch=brent_kung", False), ("arch=brent_kung", True),
                ("arch=operator", True), ("arch=kogge_stone", False)],
)


class TestFormalProofs:
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("arch", ARCHITECTURES)
    def test_every_architecture_proven_at_8_bits(self, arch, signed):
        res = prove_unit(make_unit(f"exact_add:width=8,signed={signed},arch={arch}"))
        assert res["equivalent"] is True and res["function"] == "a+b"
        assert res["signed"] is signed

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("arch", ["operator", "ripple"])
    def test_ripple_proven_at_16_bits(self, arch, signed):
        res = prove_unit(make_unit(f"exact_add:width=16,signed={signed},arch={arch}"))
        assert res["equivalent"] is True

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("arch", ["kogge_stone", "brent_kung"])
    def test_prefix_proven_at_16_bits_by_sat(self, arch, signed):
        res = prove_unit(make_unit(f"exact_add:width=16,signed={signed},arch={arch}"),
                         method="sat")
        assert res["equivalent"] is True

    @pytest.mark.slow
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("arch", ["kogge_stone", "brent_kung"])
    def test_prefix_proven_at_16_bits_algebraically(self, arch, signed):
        # the prefix cells are no full adders: backward rewriting takes seconds here
        res = prove_unit(make_unit(f"exact_add:width=16,signed={signed},arch={arch}"))
        assert res["equivalent"] is True

    @pytest.mark.parametrize("arch", ARCHITECTURES)
    def test_proven_against_its_model_polynomial(self, arch):
        res = prove_unit(make_unit(f"exact_add:width=12,signed=true,arch={arch}"),
                         against="model")
        assert res["equivalent"] is True

    @pytest.mark.parametrize("signed", [False, True])
    def test_approximate_adder_refuted(self, signed):
        unit = make_unit(f"loa:width=8,l=3,signed={signed}")
        with pytest.raises(CheckFailedError) as e:
            prove_unit(unit)
        cex = e.value.counterexample
        a, b = cex["a"], cex["b"]
        assert int(unit.model(a, b)) != a + b and cex["expected"] == a + b
