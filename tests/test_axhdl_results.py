import json

from axhdl.results import atomic_write, cached_stage, content_hash, provenance


class TestAtomicWrite:
    def test_no_partial_file_on_error(self, tmp_path):
        target = tmp_path / "out.json"

        class Boom:
            def __str__(self):
                raise RuntimeError

        try:
            atomic_write(target, b"x" * 10)
            atomic_write(target, Boom())  # type: ignore[arg-type]
        except (TypeError, RuntimeError):
            pass
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

        try:
            cached_stage("fail", ["k"], compute)
        except RuntimeError:
            pass
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
