"""Tests of the :data:`axhdl.params.UNITS` parameter kind: a list of units (one per row or
column of a PE array), written ``(spec);(spec)`` in a spec, each item held to ``unit_kind``
and ``unit_params`` as a single unit parameter is."""

from __future__ import annotations

import pytest

from axhdl import SpecError, make_unit
from axhdl.params import UNITS, Param, format_value, name_value, parse_value, validate_params

MULS = Param("muls", UNITS, None, "one multiplier per row", unit_kind="multiplier",
             unit_params={"a_width": "n", "b_width": 4})
PARAMS = (Param("n", int, 4, "n", min=1, max=16), MULS)
EXACT = "exact:width=4,signed=false,arch=operator"
DRUM = "drum:width=4,signed=false,k=2"


class TestDeclaration:
    def test_needs_a_unit_kind(self):
        with pytest.raises(TypeError) as e:
            Param("muls", UNITS)
        assert str(e.value) == "Parameter 'muls' holds units but names no unit_kind"

    def test_default_is_required_or_none(self):
        with pytest.raises(TypeError) as e:
            Param("muls", UNITS, "(exact)", unit_kind="multiplier")
        assert str(e.value) == "Parameter 'muls' must default to REQUIRED or None, not '(exact)'"

    def test_documented(self):
        assert MULS.as_dict() == {
            "name": "muls", "type": "units(multiplier)", "required": False, "default": None,
            "range": "a list of multiplier specs in parentheses separated by ';', e.g. "
                     "(exact);(exact), with a_width = n, b_width = 4",
            "doc": "one multiplier per row"}


class TestParse:
    @pytest.mark.parametrize("text", [
        f"({EXACT});({DRUM})", f" ({EXACT}) ; ({DRUM}) ", f"({EXACT}),({DRUM})",
        f"({EXACT});({DRUM});",
    ])
    def test_separators(self, text):
        units = parse_value(MULS, text)
        assert [u.spec for u in units] == [EXACT, DRUM]

    def test_format_round_trips(self):
        units = parse_value(MULS, f"({DRUM});({EXACT})")
        text = format_value(MULS, units)
        assert text == f"({DRUM});({EXACT})"
        assert parse_value(MULS, text) == units
        assert name_value(MULS, units) == "_".join(u.name for u in units)

    @pytest.mark.parametrize("text", ["", "exact:width=4", f"({EXACT});exact", "()x"])
    def test_items_must_be_parenthesised(self, text):
        with pytest.raises(TypeError) as e:
            parse_value(MULS, text)
        assert str(e.value) == (
            "Parameter 'muls' must be a list of multiplier specs in parentheses separated by "
            f"';', e.g. (exact);(exact), not {text!r}")

    def test_an_item_error_names_the_item(self):
        with pytest.raises(SpecError) as e:
            parse_value(MULS, "(exact:width=4);(drum:width=4,k=0)")
        assert str(e.value) == (
            "Parameter 'muls' item 2: drum: Parameter 'k' must be an integer in 2..32, not 0")

    def test_nested_in_a_spec(self):
        u = make_unit("systolic:rows=2,cols=1,width=4,row_muls=(exact:width=4),(drum:width=4,"
                      "k=2)")
        assert [m.spec for m in u.row_muls] == [EXACT, DRUM]


class TestValidate:
    def test_absent_is_none(self):
        assert validate_params("fam", PARAMS, {})["muls"] is None

    def test_python_values(self):
        drum = make_unit(DRUM)
        v = validate_params("fam", PARAMS, {"muls": [EXACT, f"({DRUM})", drum]})
        assert v["muls"] == (make_unit(EXACT), drum, drum)
        v = validate_params("fam", PARAMS, {"muls": f"({EXACT});({DRUM})"})
        assert v["muls"] == (make_unit(EXACT), drum)

    @pytest.mark.parametrize("value", [3, [3], make_unit(DRUM)])
    def test_wrong_type(self, value):
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"muls": value})
        assert str(e.value) == (
            f"Parameter 'muls' must be a list of multipliers (units or their specs), "
            f"not {value!r}")

    def test_empty(self):
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"muls": []})
        assert str(e.value) == "Parameter 'muls' must be a non-empty list of multipliers"

    def test_each_item_is_checked(self):
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"muls": [EXACT, "exact:a_width=3,b_width=4"]})
        assert str(e.value) == (
            "Parameter 'muls' item 2 must be a multiplier with a_width = n (here 4); "
            "exact:a_width=3,b_width=4,signed=false,arch=operator has a_width = 3")
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"muls": ["loa:width=4"]})
        assert str(e.value) == (
            "Parameter 'muls' item 1 must be a multiplier, not an adder "
            "(loa:width=4,signed=false,l=4,carry=true)")
