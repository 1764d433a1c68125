"""Nested specs: parameters that hold units, ``test_pair:mul=(truncated:width=4,k=2)``.

No family of the catalogue holds a unit yet, so the tests declare toy composites: ``test_pair``
(a multiplier that is its sub-multiplier ``mul``), ``test_add`` (an adder) and ``test_muladd``
(a multiplier ``mul`` whose product feeds an adder ``add`` as wide as that product). They are
registered for each test only (:func:`register_toys`), so the catalogue stays the real one.
"""

import numpy as np
import pytest

from axhdl import SpecError, registry
from axhdl.operations import Addition
from axhdl.params import UNIT, Param, format_value, name_value, parse_value, validate_params
from axhdl.registry import make_unit, parse_spec
from axhdl.unit import ArithmeticUnit

_SAME_OPERANDS = {"a_width": "a_width", "b_width": "b_width", "signed": "signed"}


class Pair(ArithmeticUnit):
    """A multiplier computed by the multiplier it holds."""

    family = "test_pair"
    description = "test composite: the multiplier it holds"
    citation = "axhdl tests"
    params = (
        Param("mul", UNIT, "exact", "the multiplier", unit_kind="multiplier",
              unit_params=_SAME_OPERANDS),
    )

    def model(self, a, b, **controls):
        return self.parameters["mul"].model(a, b)


class ToyAdd(ArithmeticUnit):
    """An exact adder."""

    family = "test_add"
    operation_class = Addition
    description = "test adder"
    citation = "axhdl tests"

    def model(self, a, b, **controls):
        return np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)


class MulAdd(ArithmeticUnit):
    """The product of ``mul`` passed through the adder ``add`` (plus zero)."""

    family = "test_muladd"
    description = "test composite: a multiplier and an adder"
    citation = "axhdl tests"
    params = (
        Param("mul", UNIT, "exact", "the multiplier", unit_kind="multiplier",
              unit_params=_SAME_OPERANDS),
        Param("add", UNIT, "test_add", "the adder", unit_kind="adder",
              unit_params={"width": "mul.p_width", "signed": "signed"}),
        Param("post", UNIT, None, "an optional second adder", unit_kind="adder"),
    )

    def model(self, a, b, **controls):
        return self.parameters["add"].model(self.parameters["mul"].model(a, b), 0)


TOYS = (Pair, ToyAdd, MulAdd)


def register_toys(monkeypatch) -> None:
    """Register the toy families in a copy of the registry that the test's end discards."""
    registry.families()  # the real families first
    monkeypatch.setattr(registry, "_FAMILIES", dict(registry._FAMILIES))
    for cls in TOYS:
        registry.register(cls)


@pytest.fixture(autouse=True)
def _toys(monkeypatch):
    register_toys(monkeypatch)


TRUNC4 = "truncated:width=4,signed=false,k=2,correction=none"


class TestParseSpec:
    def test_nested_value_kept_whole(self):
        assert parse_spec("test_pair:width=4,mul=(truncated:width=4,k=2),signed=true") == (
            "test_pair", {"width": "4", "mul": "(truncated:width=4,k=2)", "signed": "true"})

    def test_nested_to_depth_two(self):
        text = "test_pair:mul=(test_pair:mul=(truncated:k=2,width=4),width=4),width=4"
        assert parse_spec(text) == (
            "test_pair", {"mul": "(test_pair:mul=(truncated:k=2,width=4),width=4)", "width": "4"})

    @pytest.mark.parametrize("text,raw", [
        ("asm:alphabets=1;3,quartet=4", {"alphabets": "1;3", "quartet": "4"}),
        ("asm:alphabets=1,3,quartet=4", {"alphabets": "1,3", "quartet": "4"}),
        ("asm:quartet=4,alphabets=1,3", {"quartet": "4", "alphabets": "1,3"}),
        ("drum:width=8,k=4,signed=true", {"width": "8", "k": "4", "signed": "true"}),
        ("x:path=/tmp/a(1).v,top=t", {"path": "/tmp/a(1).v", "top": "t"}),
    ])
    def test_flat_specs_unchanged(self, text, raw):
        assert parse_spec(text) == (text.partition(":")[0], raw)

    @pytest.mark.parametrize("text,message", [
        ("test_pair:width=4,mul=(truncated:width=4",
         "Spec 'test_pair:width=4,mul=(truncated:width=4': '(' at character 23 is never closed"),
        ("test_pair:mul=(test_pair:mul=(exact:width=4)",
         ("Spec 'test_pair:mul=(test_pair:mul=(exact:width=4)': '(' at character 15 is never "
         "closed")),
        ("test_pair:width=4,mul=(exact:width=4))",
         ("Spec 'test_pair:width=4,mul=(exact:width=4))': ')' at character 38 has no matching "
         "'('")),
        ("test_pair:width=4),mul=(exact",
         "Spec 'test_pair:width=4),mul=(exact': ')' at character 18 has no matching '('"),
        ("test_pair:(mul)=(exact)",
         "Spec 'test_pair:(mul)=(exact)': '(mul)' is not a parameter name"),
        ("test_pair:mul=(exact),mul=(exact)",
         "Spec 'test_pair:mul=(exact),mul=(exact)': parameter 'mul' is given twice"),
        ("(exact:width=4)", ("Spec '(exact:width=4)': family name '(exact:width=4)' is not a "
         "valid name")),
    ])
    def test_malformed(self, text, message):
        with pytest.raises(SpecError) as e:
            parse_spec(text)
        assert str(e.value) == message


class TestMakeUnit:
    def test_builds_the_sub_unit(self):
        u = make_unit(f"test_pair:width=4,mul=({TRUNC4})")
        assert isinstance(u, Pair)
        sub = u.parameters["mul"]
        assert sub.family == "truncated" and sub.spec == TRUNC4
        assert u.subunits() == (sub,)
        a, b = np.meshgrid(np.arange(16), np.arange(16))
        assert np.array_equal(u.model(a, b), sub.model(a, b))

    @pytest.mark.parametrize("spec,canonical", [
        (f"test_pair:width=4,mul=({TRUNC4})",
         f"test_pair:width=4,signed=false,mul=({TRUNC4})"),
        (f"test_pair:width=4,mul=(test_pair:width=4,mul=({TRUNC4}))",
         f"test_pair:width=4,signed=false,mul=(test_pair:width=4,signed=false,mul=({TRUNC4}))"),
        (("test_pair:a_width=3,b_width=5,signed=true,mul=(test_pair:a_width=3,b_width=5,"
         "signed=true,mul=(test_pair:a_width=3,b_width=5,signed=true))"),
         ("test_pair:a_width=3,b_width=5,signed=true,mul=(test_pair:a_width=3,b_width=5,"
         "signed=true,mul=(test_pair:a_width=3,b_width=5,signed=true,mul=(exact:a_width=3,"
         "b_width=5,signed=true,arch=operator)))")),
        ("test_muladd:width=3",
         ("test_muladd:width=3,signed=false,mul=(exact:width=3,signed=false,arch=operator),"
         "add=(test_add:width=6,signed=false)")),
    ])
    def test_round_trip(self, spec, canonical):
        u = make_unit(spec)
        assert u.spec == canonical
        again = make_unit(u.spec)
        assert again.spec == u.spec
        for sub, sub_again in zip(u.subunits(), again.subunits()):
            assert make_unit(sub.spec).spec == sub.spec == sub_again.spec

    def test_whitespace_tolerated(self):
        u = make_unit(" test_pair : width = 4 , mul = ( test_pair : width = 4 , "
                      "mul = ( truncated : width = 4 , k = 2 ) ) ")
        assert u.spec == (
            f"test_pair:width=4,signed=false,mul=(test_pair:width=4,signed=false,mul=({TRUNC4}))")

    def test_default_takes_the_parents_widths(self):
        u = make_unit("test_muladd:a_width=3,b_width=5,signed=true")
        assert u.parameters["mul"].spec == "exact:a_width=3,b_width=5,signed=true,arch=operator"
        assert u.parameters["add"].spec == "test_add:width=8,signed=true"
        assert u.parameters["post"] is None

    def test_later_unit_tied_to_an_earlier_one(self):
        u = make_unit(f"test_muladd:width=4,mul=({TRUNC4}),add=(test_add:width=8)")
        assert u.parameters["add"].spec == "test_add:width=8,signed=false"

    def test_unit_object_accepted(self):
        sub = make_unit(TRUNC4)
        u = Pair(width=4, mul=sub)
        assert u.parameters["mul"] is sub
        assert Pair(width=4, mul=TRUNC4).spec == Pair(width=4, mul=f"({TRUNC4})").spec == u.spec

    @pytest.mark.parametrize("spec,message", [
        # missing parentheses
        ("test_pair:width=4,mul=truncated:width=4",
         ("test_pair: Parameter 'mul' must be a multiplier spec in parentheses, e.g. (exact), "
         "not 'truncated:width=4'")),
        ("test_pair:width=4,mul=(exact:width=4),3",
         ("test_pair: Parameter 'mul' must be a multiplier spec in parentheses, e.g. (exact), "
         "not '(exact:width=4),3'")),
        # wrong kind
        ("test_pair:width=4,mul=(test_add:width=4)",
         ("test_pair: Parameter 'mul' must be a multiplier, not an adder "
         "(test_add:width=4,signed=false)")),
        ("test_muladd:width=4,add=(exact:width=4)",
         ("test_muladd: Parameter 'add' must be an adder, not a multiplier "
         "(exact:width=4,signed=false,arch=operator)")),
        # widths that do not match the parent's
        ("test_pair:width=4,mul=(truncated:width=8)",
         ("test_pair: Parameter 'mul' must be a multiplier with a_width = a_width (here 4); "
         "truncated:width=8,signed=false,k=4,correction=none has a_width = 8")),
        ("test_pair:width=4,mul=(truncated:width=4,signed=true)",
         ("test_pair: Parameter 'mul' must be a multiplier with signed = signed (here false); "
         "truncated:width=4,signed=true,k=4,correction=none has signed = true")),
        ("test_muladd:width=3,add=(test_add:width=7)",
         ("test_muladd: Parameter 'add' must be an adder with width = mul.p_width (here 6); "
         "test_add:width=7,signed=false has width = 7")),
        # unknown key, bad value, duplicate key, bad syntax inside the nested spec
        ("test_pair:width=4,mul=(truncated:width=4,kk=2)",
         ("test_pair: Parameter 'mul': truncated: Family 'truncated' has no parameter 'kk'; "
         "its parameters are: a_width, b_width, signed, k, correction")),
        ("test_pair:width=4,mul=(truncated:width=4,k=9)",
         ("test_pair: Parameter 'mul': truncated: Parameter 'k' must be an integer in "
         "0..a_width + b_width (here 0..8), not 9")),
        ("test_pair:width=4,mul=(truncated:width=4,k=x)",
         "test_pair: Parameter 'mul': truncated: Parameter 'k' must be an integer, not 'x'"),
        ("test_pair:width=4,mul=(truncated:width=4,k=2,k=3)",
         ("test_pair: Parameter 'mul': Spec 'truncated:width=4,k=2,k=3': parameter 'k' is "
         "given twice")),
        ("test_pair:width=4,mul=(truncated:4)",
         "test_pair: Parameter 'mul': Spec 'truncated:4': '4' is not of the form key=value"),
        ("test_pair:width=4,mul=()",
         ("test_pair: Parameter 'mul': Spec must be a non-empty string like "
         "'drum:width=8,k=4', not ''")),
        # two levels down: every level names its family and key
        ("test_pair:width=4,mul=(test_pair:width=4,mul=(truncated:width=4,k=9))",
         ("test_pair: Parameter 'mul': test_pair: Parameter 'mul': truncated: Parameter 'k' "
         "must be an integer in 0..a_width + b_width (here 0..8), not 9")),
        ("test_pair:width=4,mul=(test_pair:width=4,mul=(test_add:width=4))",
         ("test_pair: Parameter 'mul': test_pair: Parameter 'mul' must be a multiplier, not an "
         "adder (test_add:width=4,signed=false)")),
        ("test_pair:width=4,mul=(test_pair:width=4,mul=(exact:width=4,width=4))",
         ("test_pair: Parameter 'mul': test_pair: Parameter 'mul': Spec "
         "'exact:width=4,width=4': parameter 'width' is given twice")),
        # the parent's own errors are unchanged
        ("test_pair:width=4,mul=(exact:width=4),zz=1",
         ("test_pair: Family 'test_pair' has no parameter 'zz'; its parameters are: a_width, "
         "b_width, signed, mul")),
    ])
    def test_errors(self, spec, message):
        with pytest.raises(SpecError) as e:
            make_unit(spec)
        assert str(e.value) == message

    def test_unknown_nested_family(self):
        with pytest.raises(SpecError) as e:
            make_unit("test_pair:mul=(nosuch:width=8)")
        assert str(e.value) == (
            "test_pair: Parameter 'mul': Unknown family 'nosuch'; known families: "
            f"{', '.join(registry.families())} (see 'axhdl list')")


class TestPythonApi:
    def test_wrong_type(self):
        with pytest.raises(TypeError) as e:
            Pair(width=4, mul=3)
        assert str(e.value) == "Parameter 'mul' must be a multiplier (a unit or its spec), not 3"

    def test_wrong_kind(self):
        with pytest.raises(TypeError) as e:
            Pair(width=4, mul=ToyAdd(width=4))
        assert str(e.value) == (
            "Parameter 'mul' must be a multiplier, not an adder (test_add:width=4,signed=false)")

    def test_bad_spec_string(self):
        with pytest.raises(SpecError) as e:
            Pair(width=4, mul="truncated:width=4,k=9")
        assert str(e.value) == (
            "Parameter 'mul': truncated: Parameter 'k' must be an integer in 0..a_width + "
            "b_width (here 0..8), not 9")

    def test_width_mismatch(self):
        with pytest.raises(ValueError) as e:
            Pair(width=4, mul=make_unit("exact:a_width=4,b_width=5"))
        assert str(e.value) == (
            "Parameter 'mul' must be a multiplier with b_width = b_width (here 4); "
            "exact:a_width=4,b_width=5,signed=false,arch=operator has b_width = 5")


MUL = Param("mul", UNIT, "exact", "the multiplier", unit_kind="multiplier",
            unit_params={"a_width": "n", "b_width": 4})


class TestUnitParam:
    def test_declaration_checked(self):
        with pytest.raises(TypeError) as e:
            Param("mul", UNIT)
        assert str(e.value) == "Parameter 'mul' holds a unit but names no unit_kind"
        with pytest.raises(TypeError) as e:
            Param("k", int, 0, unit_kind="multiplier")
        assert str(e.value) == "Parameter 'k' has unit_kind/unit_params but is no UNIT"
        with pytest.raises(TypeError) as e:
            Param("mul", UNIT, 8, unit_kind="multiplier")
        assert str(e.value) == (
            "Parameter 'mul' must default to a spec string, REQUIRED or None, not 8")

    def test_unit_params_stored_as_pairs(self):
        assert MUL.unit_params == (("a_width", "n"), ("b_width", 4))
        assert hash(MUL) == hash(Param("mul", UNIT, "exact", "the multiplier",
                                       unit_kind="multiplier",
                                       unit_params=(("a_width", "n"), ("b_width", 4))))

    def test_validate_fills_and_checks(self):
        params = (Param("n", int, 8, "n", min=1, max=16), MUL)
        v = validate_params("fam", params, {"n": 3})
        assert v["mul"].spec == "exact:a_width=3,b_width=4,signed=false,arch=operator"
        with pytest.raises(ValueError) as e:
            validate_params("fam", params, {"n": 3, "mul": "exact:width=3"})
        assert str(e.value) == (
            "Parameter 'mul' must be a multiplier with b_width = 4; "
            "exact:width=3,signed=false,arch=operator has b_width = 3")

    def test_parse_value(self):
        u = parse_value(MUL, " (exact:a_width=3,b_width=4) ")
        assert u.spec == "exact:a_width=3,b_width=4,signed=false,arch=operator"
        with pytest.raises(TypeError) as e:
            parse_value(MUL, "exact:width=4")
        assert str(e.value) == (
            "Parameter 'mul' must be a multiplier spec in parentheses, e.g. (exact), "
            "not 'exact:width=4'")
        with pytest.raises(TypeError) as e:
            parse_value(MUL, "(exact)(exact)")
        assert str(e.value) == (
            "Parameter 'mul' must be a multiplier spec in parentheses, e.g. (exact), "
            "not '(exact)(exact)'")

    def test_format_and_name(self):
        u = make_unit(f"test_pair:width=4,mul=({TRUNC4})")
        sub = u.parameters["mul"]
        assert format_value(MUL, sub) == f"({TRUNC4})"
        assert format_value(MUL, u) == f"({u.spec})"
        assert name_value(MUL, sub) == sub.name == "truncated_4x4u_k2_correctionnone"
        assert u.name == "test_pair_4x4u_multruncated_4x4u_k2_correctionnone"
        assert parse_value(MUL, format_value(MUL, sub)).spec == sub.spec

    @pytest.mark.parametrize("param,value,text,name", [
        (Param("f", bool), True, "true", "1"),
        (Param("f", bool), False, "false", "0"),
        (Param("l", tuple), (1, 2, 3), "1;2;3", "1_2_3"),
        (Param("k", int), -3, "-3", "-3"),
        (Param("s", str), "array", "array", "array"),
    ])
    def test_format_and_name_plain(self, param, value, text, name):
        assert format_value(param, value) == text
        assert name_value(param, value) == name
        assert parse_value(param, text) == value

    def test_documented(self):
        assert MUL.as_dict() == {
            "name": "mul", "type": "unit(multiplier)", "required": False, "default": "exact",
            "range": "a multiplier spec in parentheses, e.g. (exact), with a_width = n, "
                     "b_width = 4",
            "doc": "the multiplier"}
        bare = Param("add", UNIT, None, "an adder", unit_kind="adder")
        assert bare.range_text() == "an adder spec in parentheses, e.g. (family:key=value,…)"
