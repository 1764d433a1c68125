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


# -- damaged cache entries heal (issue 12) -------------------------------------------------------


def _stage(calls):
    def compute(work):
        calls.append(1)
        (work / "netlist.v").write_text("module m; endmodule\n" * 50)
        (work / "sub").mkdir()
        (work / "sub" / "table.bin").write_bytes(bytes(range(256)) * 4)
        return {"area": 1907.0, "cells": 105, "names": ["a", "b"]}
    return compute


def _random_bytes(p):
    p.write_bytes(bytes([0xff, 0xfe, 0x00, 0x9c]) * 64)


def _truncate(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _edit_value(p):
    p.write_text(p.read_text().replace("1907.0", "1.0"))


DAMAGE = {
    "random bytes in result.json": ("result.json", _random_bytes),
    "truncated result.json": ("result.json", _truncate),
    "edited value in result.json": ("result.json", _edit_value),
    "empty result.json": ("result.json", lambda p: p.write_bytes(b"")),
    "result.json missing": ("result.json", lambda p: p.unlink()),
    "truncated netlist": ("netlist.v", _truncate),
    "netlist missing": ("netlist.v", lambda p: p.unlink()),
    "nested file edited": ("sub/table.bin", lambda p: p.write_bytes(b"\0" * 1024)),
    "nested file missing": ("sub/table.bin", lambda p: p.unlink()),
    "digest missing": ("digest.json", lambda p: p.unlink()),
    "random bytes in digest": ("digest.json", _random_bytes),
    "digest of another shape": ("digest.json", lambda p: p.write_text("[1, 2]")),
    "digest edited": ("digest.json",
                      lambda p: p.write_text(p.read_text().replace('"', "'", 1))),
}


class TestDamagedEntries:
    @pytest.mark.parametrize("kind", sorted(DAMAGE))
    def test_damage_is_detected_discarded_and_recomputed(self, kind, capsys):
        calls = []
        key = ["damage", kind]
        clean, where = cached_stage("d", key, _stage(calls))
        netlist = (where / "netlist.v").read_text()
        name, damage = DAMAGE[kind]
        damage(where / name)
        again, where2 = cached_stage("d", key, _stage(calls))
        assert again == clean and where2 == where and len(calls) == 2
        assert (where / "netlist.v").read_text() == netlist
        err = capsys.readouterr().err
        assert err.startswith(f"axhdl: warning: cache entry {where} is damaged (")
        assert err.endswith("); discarded, computing it again\n") and err.count("\n") == 1
        # healed: the next run is served from the cache, silently
        assert cached_stage("d", key, _stage(calls)) == (clean, where) and len(calls) == 2
        assert capsys.readouterr().err == ""

    def test_entry_replaced_by_a_file(self, capsys):
        calls = []
        clean, where = cached_stage("d", ["file"], _stage(calls))
        import shutil

        shutil.rmtree(where)
        where.write_text("not a directory")
        assert cached_stage("d", ["file"], _stage(calls)) == (clean, where)
        assert "is damaged" in capsys.readouterr().err and len(calls) == 2

    def test_the_digest_names_every_file(self):
        _, where = cached_stage("d", ["digest"], _stage([]))
        digest = json.loads((where / "digest.json").read_text())
        assert sorted(digest["sha256"]) == ["netlist.v", "result.json", "sub/table.bin"]
