from pathlib import Path

from axhdl.commands.list_families import describe, markdown

DOC = Path(__file__).parent.parent / "docs" / "families.md"


class TestMarkdown:
    def test_docs_page_is_current(self):
        """docs/families.md is regenerated with `axhdl list --markdown > docs/families.md`."""
        assert DOC.read_text() == markdown(describe())

    def test_every_family_has_a_section(self):
        text = markdown(describe())
        for row in describe():
            assert f"## `{row['family']}` ({row['kind']})" in text
