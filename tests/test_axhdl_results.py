import json

import pytest

from axhdl.results import atomic_write, cached_stage, content_hash, provenance


class TestAtomicWrite:
    def test_no_partial_file_on_error(self, tmp_path):
        target = tmp_path / "out.json"

        class NotText:
            """Neither str nor bytes: the write fails once the temporary file exists."""

        atomic_write(target, b"x" * 10)
        with pytest.raises(TypeError) as e:
            atomic_write(target, NotText())  # type: ignore[arg-type]
        assert str(e.value) == "write() argument must be str, not NotText"
        assert target.read_bytes() == b"x" * 10
        assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


class TestCache:
    def test_key_changes_with_inputs(self):
        assert content_hash("a", {"x": 1}) == content_hash("a", {"x": 1})
        assert content_hash("a", {"x": 1}) != content_hash("a", {"x": 2})

    def test_cached_stage_computes_once_and_keeps_files(self):
        calls = []

        def compute(workdir):
            calls.append(1)
            (workdir / "netlist.v").write_text(f"run {len(calls)}")
            return {"v": len(calls)}

        first, where = cached_stage("t", ["k1"], compute)
        assert first == {"v": 1} and (where / "netlist.v").read_text() == "run 1"
        assert cached_stage("t", ["k1"], compute) == ({"v": 1}, where)
        assert cached_stage("t", ["k2"], compute)[0] == {"v": 2}
        assert len(calls) == 2

    def test_failed_stage_leaves_nothing(self):
        def compute(workdir):
            (workdir / "half.v").write_text("x")
            raise RuntimeError("tool died")

        with pytest.raises(RuntimeError) as e:
            cached_stage("fail", ["k"], compute)
        assert str(e.value) == "tool died"
        calls = []
        assert cached_stage("fail", ["k"], lambda w: calls.append(1) or {"ok": 1})[0] == {"ok": 1}
        assert calls == [1]


class TestProvenance:
    def test_records_spec_tools_and_inputs(self):
        from axhdl import make_unit

        p = provenance(make_unit("exact:width=4"), seed=3, liberty="x.lib")
        assert p["spec"] == "exact:width=4,signed=false,arch=operator"
        assert p["seed"] == 3 and p["liberty"] == "x.lib"
        assert {"amaranth", "python", "numpy"} <= set(p["tools"])
        json.dumps(p)


class TestRecord:
    def test_to_dict_nested_records_and_omitted_fields(self):
        from dataclasses import dataclass

        from axhdl.results import Record, to_jsonable

        @dataclass(frozen=True)
        class Inner(Record):
            x: int

        @dataclass(frozen=True)
        class Outer(Record):
            OMIT_WHEN_NONE = ("extra",)

            a: int
            extra: dict | None = None
            inner: Inner | None = None

        o = Outer(1, inner=Inner(2))
        assert o.to_dict() == {"a": 1, "inner": {"x": 2}}
        assert Outer(1, extra={"k": 1}).to_dict() == {"a": 1, "extra": {"k": 1}, "inner": None}
        assert to_jsonable([o]) == [{"a": 1, "inner": {"x": 2}}]
        # read like the dict it is written as
        assert o["a"] == 1 and o["inner"] == Inner(2) and "a" in o
        assert "extra" not in o and o.get("extra", "-") == "-"
        with pytest.raises(KeyError):
            o["extra"]
