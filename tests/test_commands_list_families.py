import json
from pathlib import Path

import pytest
from test_axhdl_nested_specs import register_toys

from axhdl.cli import main
from axhdl.commands.list_families import describe, markdown
from axhdl.registry import families

DOC = Path(__file__).parent.parent / "docs" / "families.md"

MUL_RANGE = ("a multiplier spec in parentheses, e.g. (exact), with a_width = a_width, "
             "b_width = b_width, signed = signed")


class TestMarkdown:
    def test_docs_page_is_current(self):
        """docs/families.md is regenerated with `axhdl list --markdown > docs/families.md`."""
        assert DOC.read_text() == markdown(describe())

    def test_every_family_has_a_section(self):
        rows = describe()
        assert rows and [r["family"] for r in rows] == list(families())
        text = markdown(rows)
        for row in rows:
            assert f"## `{row['family']}` ({row['kind']})" in text


class TestUnitParameters:
    """A parameter holding a unit, shown for the toy composites of the nested-spec tests."""

    @pytest.fixture(autouse=True)
    def _toys(self, monkeypatch):
        register_toys(monkeypatch)

    def test_json(self, capsys):
        assert main(["list", "test_muladd", "--json"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        params = {p["name"]: p for p in row["parameters"]}
        assert params["mul"] == {
            "name": "mul", "type": "unit(multiplier)", "required": False, "default": "exact",
            "range": MUL_RANGE, "doc": "the multiplier"}
        assert params["add"]["type"] == "unit(adder)"
        assert params["add"]["range"] == (
            "an adder spec in parentheses, e.g. (test_add), with width = mul.p_width, "
            "signed = signed")
        assert params["post"] == {
            "name": "post", "type": "unit(adder)", "required": False, "default": None,
            "range": "an adder spec in parentheses, e.g. (family:key=value,…)",
            "doc": "an optional second adder"}

    def test_text(self, capsys):
        assert main(["list", "test_pair"]) == 0
        out = capsys.readouterr().out
        assert f"    mul          {MUL_RANGE}; default (exact). the multiplier\n" in out
        assert out.endswith(
            "A parameter holding a unit takes its spec in parentheses: key=(family:key=value)\n")

    def test_markdown(self):
        text = markdown([r for r in describe() if r["family"] == "test_pair"])
        assert f"| `mul` | {MUL_RANGE} | `(exact)` | the multiplier |" in text.splitlines()
