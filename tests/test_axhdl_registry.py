import pytest

from axhdl import SpecError, families, make_unit, parse_spec
from axhdl.generators.multipliers.exact import Exact
from axhdl.generators.multipliers.truncated import Truncated


class TestParseSpec:
    def test_family_and_values(self):
        assert parse_spec("drum:width=8,k=4,signed=true") == (
            "drum", {"width": "8", "k": "4", "signed": "true"})

    def test_bare_family(self):
        assert parse_spec("exact") == ("exact", {})

    def test_list_continuation(self):
        assert parse_spec("asm:alphabets=1,3,quartet=4") == (
            "asm", {"alphabets": "1,3", "quartet": "4"})

    @pytest.mark.parametrize("text,message", [
        ("", "Spec must be a non-empty string like 'drum:width=8,k=4', not ''"),
        ("9x:k=1", "Spec '9x:k=1': family name '9x' is not a valid name"),
        ("exact:3", "Spec 'exact:3': '3' is not of the form key=value"),
        ("exact:k=1,k=2", "Spec 'exact:k=1,k=2': parameter 'k' is given twice"),
        ("exact:a-b=1", "Spec 'exact:a-b=1': 'a-b' is not a parameter name"),
        ("exact:arch=(array", "Spec 'exact:arch=(array': '(' at character 12 is never closed"),
        ("exact:arch=array)", "Spec 'exact:arch=array)': ')' at character 17 has no matching '('"),
    ])
    def test_malformed(self, text, message):
        with pytest.raises(SpecError) as e:
            parse_spec(text)
        assert str(e.value) == message


class TestMakeUnit:
    def test_builds_the_family(self):
        u = make_unit("truncated:width=6,k=3,signed=true")
        assert isinstance(u, Truncated)
        assert (u.a_width, u.b_width, u.signed, u.k) == (6, 6, True, 3)

    def test_spec_round_trip(self):
        for spec in ("truncated:a_width=3,b_width=5,k=2,correction=constant",
                     "exact:width=4,signed=true,arch=array"):
            u = make_unit(spec)
            again = make_unit(u.spec)
            assert again.spec == u.spec and again.parameters == u.parameters

    def test_overrides_win(self):
        u = make_unit("exact:width=8,arch=array", a_width=4, arch="operator")
        assert u.spec == "exact:a_width=4,b_width=8,signed=false,arch=operator"
        assert make_unit(u, b_width=4).spec == "exact:width=4,signed=false,arch=operator"
        assert make_unit(u, width=6).spec == "exact:width=6,signed=false,arch=operator"

    def test_unit_passes_through(self):
        u = Exact(width=4)
        assert make_unit(u) is u

    def test_families_registered(self):
        fams = families()
        assert fams["exact"] is Exact and fams["truncated"] is Truncated

    @pytest.mark.parametrize("spec,message", [
        ("nosuch:width=8", "Unknown family 'nosuch'; known families: "),
        ("truncated:kk=3", ("truncated: Family 'truncated' has no parameter 'kk'; "
                           "its parameters are: a_width, b_width, signed, k, correction")),
        ("truncated:k=17", ("truncated: Parameter 'k' must be an integer in 0..a_width + b_width "
                           "(here 0..16), not 17")),
        ("truncated:width=x", "truncated: Parameter 'width' must be an integer, not 'x'"),
        ("exact:width=0", "exact: Parameter 'width' must be an integer in 1..32, not 0"),
        ("exact:width=8,a_width=4", ("exact: Parameter 'width' (8) and 'a_width' (4) disagree; "
                                    "give either width or a_width/b_width")),
        ("exact:width=32", ("exact: a_width + b_width must be at most 62 (the golden model is "
                           "int64), not 32 + 32 = 64")),
        ("exact:arch=tree", "exact: Parameter 'arch' must be one of "),
    ])
    def test_errors_name_the_parameter(self, spec, message):
        with pytest.raises(SpecError) as e:
            make_unit(spec)
        assert str(e.value).startswith(message)
