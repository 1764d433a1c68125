"""Caches outside the result store heal too (issue 12): Verilator's compiled run-time library
(shared by the import harness and the cocotb builds). A damaged object is reported on one line,
deleted and compiled again; it is never linked."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from axhdl import make_unit
from axhdl import verilator_runtime as vr


def fake_build(path, *, objects: bool = False, mk: str):
    """A build folder as ``verilator --cc`` leaves it (and, with ``objects``, as ``make``)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "Vtop.mk").write_text(mk)
    (path / "Vtop_classes.mk").write_text(
        "VM_GLOBAL_FAST += \\\n\tverilated \\\n\tverilated_vpi \\\n\n")
    if objects:
        for name in ("verilated", "verilated_vpi"):
            (path / f"{name}.o").write_bytes(f"object {name}".encode())
            (path / f"{name}.d").write_text(f"{name}.o: {name}.cpp\n")
    return path


FLAGS, DEFINES = ["-O0", "-w"], ["-DVM_TRACE=0", "-DAXHDL_TEST_DIGEST=1"]


def _committed(sources=("verilated.cpp",)):
    objs, todo = vr.plan_objects(sources, cxx="c++", flags=FLAGS, defines=DEFINES)
    for t in todo:  # what the compiler would write
        t.tmp.write_bytes(b"\x7fELF object " * 100)
    vr.commit_objects(todo)
    return objs


DAMAGE = {
    "random bytes": lambda o: o.write_bytes(bytes(range(256))),
    "truncated": lambda o: o.write_bytes(o.read_bytes()[: o.stat().st_size // 2]),
    "digest missing": lambda o: vr._digest_path(o).unlink(),
    "digest garbage": lambda o: vr._digest_path(o).write_bytes(b"\xff\xfe"),
}


class TestDirectCompiles:
    @pytest.mark.parametrize("kind", sorted(DAMAGE))
    def test_damaged_object_is_compiled_again(self, kind, capsys):
        (obj,) = _committed()
        assert vr.plan_objects(["verilated.cpp"], cxx="c++", flags=FLAGS,
                               defines=DEFINES)[1] == []
        DAMAGE[kind](obj)
        capsys.readouterr()
        objs, todo = vr.plan_objects(["verilated.cpp"], cxx="c++", flags=FLAGS,
                                     defines=DEFINES)
        assert [t.final for t in todo] == [obj] and not obj.exists()
        err = capsys.readouterr().err
        assert err.startswith(f"axhdl: warning: cache entry {obj} is damaged (")
        assert err.endswith("); discarded, computing it again\n") and err.count("\n") == 1
        for t in todo:
            t.tmp.write_bytes(b"fresh")
        vr.commit_objects(todo)
        assert vr.plan_objects(["verilated.cpp"], cxx="c++", flags=FLAGS,
                               defines=DEFINES)[1] == []
        assert obj.read_bytes() == b"fresh" and capsys.readouterr().err == ""


class TestMakeBuild:
    @pytest.mark.parametrize("ext", [".o", ".d"])
    def test_damaged_object_is_not_restored(self, tmp_path, capsys, ext):
        mk = "VM_TRACE = 0\nVM_PARALLEL = 7\n"
        first = fake_build(tmp_path / "one", objects=True, mk=mk)
        vr.save_make_build(first)
        entry = vr.runtime_dir(vr.makefile_settings(first))
        assert vr.restore_make_build(fake_build(tmp_path / "ok", mk=mk)) is True
        (entry / f"verilated_vpi{ext}").write_bytes(b"garbage")
        second = fake_build(tmp_path / "two", mk=mk)
        assert vr.restore_make_build(second) is False
        assert not (second / "verilated_vpi.o").exists()
        assert "is damaged (verilated_vpi" in capsys.readouterr().err
        # the build compiles the objects itself and saves them again
        vr.save_make_build(fake_build(tmp_path / "three", objects=True, mk=mk))
        assert vr.restore_make_build(fake_build(tmp_path / "four", mk=mk)) is True
        assert capsys.readouterr().err == ""


def test_import_heals_a_truncated_runtime_object(tmp_path, cache, monkeypatch, capsys):
    """End to end: the import harness links a fresh object instead of failing for good."""
    if shutil.which("c++") is None:
        pytest.skip("no C++ compiler")
    path = tmp_path / "m.v"
    path.write_text("module m(input [2:0] a, input [2:0] b, output [5:0] p);\n"
                    "  assign p = a * b;\nendmodule\n")
    make_unit(f"verilog:path={path},top=m")
    for obj in (cache / vr.CACHE_NAME).glob("*/verilated.o"):
        obj.write_bytes(obj.read_bytes()[:1000])
    path.write_text(path.read_text().replace("a * b", "a * b + 6'd0"))
    capsys.readouterr()
    unit = make_unit(f"verilog:path={path},top=m")
    assert "verilated.o is damaged (verilated.o differs from its digest)" in (
        capsys.readouterr().err)
    a, b = np.meshgrid(np.arange(8), np.arange(8))
    assert (unit.model(a, b) == a * b).all()
