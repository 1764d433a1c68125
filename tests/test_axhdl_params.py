import pytest

from axhdl.params import Param, parse_value, validate_params

PARAMS = (
    Param("n", int, 8, "a width", min=1, max=32),
    Param("k", int, 0, "cut", min=0, max="n + 1"),
    Param("mode", str, "a", "mode", choices=("a", "b")),
    Param("flag", bool, False, "flag"),
    Param("items", tuple, (1, 3), "items", item_min=1, item_max="n"),
    Param("opt", int, None, "optional", min=0, max=4),
)


class TestValidateParams:
    def test_defaults(self):
        v = validate_params("fam", PARAMS, {})
        assert v == {"n": 8, "k": 0, "mode": "a", "flag": False, "items": (1, 3), "opt": None}

    def test_expression_bound_uses_earlier_values(self):
        assert validate_params("fam", PARAMS, {"n": 4, "k": 5})["k"] == 5
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"n": 4, "k": 6})
        assert str(e.value) == "Parameter 'k' must be an integer in 0..n + 1 (here 0..5), not 6"

    def test_static_bound_message(self):
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"n": 0})
        assert str(e.value) == "Parameter 'n' must be an integer in 1..32, not 0"

    def test_wrong_type(self):
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"n": "8"})
        assert str(e.value) == "Parameter 'n' must be an integer, not '8'"
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"n": True})
        assert str(e.value) == "Parameter 'n' must be an integer, not True"
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"flag": 1})
        assert str(e.value) == "Parameter 'flag' must be true or false, not 1"

    def test_choices(self):
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"mode": "c"})
        assert str(e.value) == "Parameter 'mode' must be one of a, b, not 'c'"

    def test_unknown_parameter(self):
        with pytest.raises(TypeError) as e:
            validate_params("fam", PARAMS, {"q": 1})
        assert str(e.value) == (
            "Family 'fam' has no parameter 'q'; its parameters are: n, k, mode, flag, items, opt"
        )

    def test_list_items(self):
        assert validate_params("fam", PARAMS, {"items": [2, 5]})["items"] == (2, 5)
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"n": 4, "items": [2, 5]})
        assert str(e.value) == (
            "Parameter 'items' must be a list of integers in 1..n (here 1..4), not [2, 5]"
        )
        with pytest.raises(ValueError) as e:
            validate_params("fam", PARAMS, {"items": []})
        assert str(e.value) == "Parameter 'items' must be a non-empty list of integers"

    def test_required(self):
        with pytest.raises(TypeError) as e:
            validate_params("fam", (Param("k", int),), {})
        assert str(e.value) == "Family 'fam' requires parameter 'k'"


class TestParseValue:
    @pytest.mark.parametrize("text,value", [("true", True), ("0", False), ("Yes", True)])
    def test_bool(self, text, value):
        assert parse_value(PARAMS[3], text) is value

    def test_int_bases(self):
        assert parse_value(PARAMS[0], "0x10") == 16
        assert parse_value(PARAMS[0], " 12 ") == 12

    def test_list_separators(self):
        assert parse_value(PARAMS[4], "1;3;5") == (1, 3, 5)
        assert parse_value(PARAMS[4], "1,3") == (1, 3)

    def test_bad_text(self):
        with pytest.raises(TypeError) as e:
            parse_value(PARAMS[0], "eight")
        assert str(e.value) == "Parameter 'n' must be an integer, not 'eight'"
        with pytest.raises(TypeError) as e:
            parse_value(PARAMS[3], "maybe")
        assert str(e.value) == "Parameter 'flag' must be true or false, not 'maybe'"


class TestParamDoc:
    def test_as_dict(self):
        d = PARAMS[1].as_dict()
        assert d == {"name": "k", "type": "int", "required": False, "default": 0,
                     "range": "an integer in 0..n + 1", "doc": "cut"}
        assert PARAMS[4].as_dict()["default"] == [1, 3]
