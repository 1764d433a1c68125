"""Tests of axhdl.verilator_runtime: the one cache of Verilator's compiled run-time library that
the cocotb builds and the import harness share (its location, its keys, saving and restoring a
makefile build's objects, planning and committing direct compiles)."""

from __future__ import annotations

import os

import pytest

from axhdl import verilator_runtime as vr
from axhdl.errors import ToolMissingError
from axhdl.results import cache_dir
from axhdl.toolchain import verilator_root

VTOP_MK = """\
VM_PREFIX = Vtop
VM_MODPREFIX = Vtop
VM_USER_CFLAGS = \\
\t-O0 \\
\t-DVERILATOR=1 \\

VM_USER_LDLIBS = \\
\t-lpthread \\

VM_USER_CLASSES = \\
\tverilator \\

VM_USER_DIR = \\
\t/some/where \\

VM_TRACE = 0
"""

VTOP_CLASSES_MK = """\
VM_COVERAGE = 0
VM_CLASSES_FAST += \\
\tVtop \\
\tVtop___024root__DepSet_h0__0 \\

VM_SUPPORT_FAST += \\
\tVtop__Dpi \\

VM_GLOBAL_FAST += \\
\tverilated \\
\tverilated_vpi \\

VM_GLOBAL_SLOW += \\
\tverilated_threads \\

"""


def fake_build(path, *, objects: bool = False, mk: str = VTOP_MK):
    """A build folder as ``verilator --cc`` leaves it (and, with ``objects``, as ``make``)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "Vtop.mk").write_text(mk)
    (path / "Vtop_classes.mk").write_text(VTOP_CLASSES_MK)
    if objects:
        for name in ("verilated", "verilated_vpi", "verilated_threads"):
            (path / f"{name}.o").write_bytes(f"object {name}".encode())
            (path / f"{name}.d").write_text(f"{name}.o: {name}.cpp\n")
    return path


class TestMakefileSettings:
    def test_run_time_settings_without_the_design_lists(self, tmp_path):
        settings = vr.makefile_settings(fake_build(tmp_path / "b"))
        assert settings == {
            "VM_PREFIX": "Vtop",
            "VM_MODPREFIX": "Vtop",
            "VM_USER_CFLAGS": "-O0 -DVERILATOR=1",
            "VM_TRACE": "0",
            "VM_COVERAGE": "0",
            "VM_GLOBAL_FAST": "verilated verilated_vpi",
            "VM_GLOBAL_SLOW": "verilated_threads",
        }


class TestKeys:
    def test_one_location_keyed_by_settings_and_compiler(self):
        a = vr.runtime_dir({"VM_TRACE": "0"})
        assert a.parent == cache_dir() / vr.CACHE_NAME
        assert len(a.name) == 16
        assert vr.runtime_dir({"VM_TRACE": "0"}) == a
        assert vr.runtime_dir({"VM_TRACE": "1"}) != a
        assert vr.runtime_key({"VM_TRACE": "0"}, "/nonexistent/c++") != a.name

    def test_versions_are_part_of_the_key(self, monkeypatch):
        key = vr.runtime_key({})
        monkeypatch.setattr(vr, "_dist_version", lambda dist: "0.0-other")
        assert vr.runtime_key({}) != key


class TestMakeBuild:
    def test_save_then_restore_into_a_new_build(self, tmp_path):
        first = fake_build(tmp_path / "one", objects=True)
        entry = vr.runtime_dir(vr.makefile_settings(first))
        assert vr.restore_make_build(fake_build(tmp_path / "empty")) is False
        vr.save_make_build(first)
        assert sorted(p.name for p in entry.iterdir()) == [
            "verilated.d", "verilated.o", "verilated_threads.d", "verilated_threads.o",
            "verilated_vpi.d", "verilated_vpi.o"]
        second = fake_build(tmp_path / "two")
        assert vr.restore_make_build(second) is True
        assert (second / "verilated_vpi.o").read_bytes() == b"object verilated_vpi"
        # newer than the makefiles, so that make keeps them
        assert (second / "verilated.o").stat().st_mtime >= (second / "Vtop.mk").stat().st_mtime

    def test_other_settings_are_another_entry(self, tmp_path):
        vr.save_make_build(fake_build(tmp_path / "one", objects=True))
        traced = fake_build(tmp_path / "traced", mk=VTOP_MK.replace("VM_TRACE = 0",
                                                                    "VM_TRACE = 1"))
        assert vr.restore_make_build(traced) is False

    def test_incomplete_entry_is_not_restored(self, tmp_path):
        first = fake_build(tmp_path / "one", objects=True, mk=VTOP_MK + "VM_PARALLEL = 3\n")
        vr.save_make_build(first)
        (vr.runtime_dir(vr.makefile_settings(first)) / "verilated_threads.o").unlink()
        second = fake_build(tmp_path / "two", mk=VTOP_MK + "VM_PARALLEL = 3\n")
        assert vr.restore_make_build(second) is False
        assert not (second / "verilated.o").exists()

    def test_not_a_build_is_left_alone(self, tmp_path):
        assert vr.restore_make_build(tmp_path) is False
        vr.save_make_build(tmp_path)  # no makefiles: nothing to save, no error


class TestDirectCompiles:
    def test_plan_commit_and_reuse(self):
        flags, defines = ["-O0", "-w"], ["-DVM_TRACE=0"]
        sources = ("verilated.cpp", "verilated_threads.cpp")
        objs, todo = vr.plan_objects(sources, cxx="c++", flags=flags, defines=defines)
        entry = objs[0].parent
        assert entry.parent == cache_dir() / vr.CACHE_NAME
        assert [o.name for o in objs] == ["verilated.o", "verilated_threads.o"]
        assert [t.final for t in todo] == objs
        cmd = todo[0].command
        assert cmd[:3] == ["c++", "-O0", "-w"] and "-DVM_TRACE=0" in cmd
        assert f"-I{verilator_root() / 'include'}" in cmd
        assert cmd[-3:] == [str(verilator_root() / "include" / "verilated.cpp"), "-o",
                            str(todo[0].tmp)]
        for t in todo:  # what the compiler would write
            t.tmp.write_bytes(b"obj")
        vr.commit_objects(todo)
        assert all(o.read_bytes() == b"obj" for o in objs)
        assert not any(t.tmp.exists() for t in todo)
        again, none = vr.plan_objects(sources, cxx="c++", flags=flags, defines=defines)
        assert again == objs and none == []

    def test_failed_compile_leaves_no_object(self):
        objs, todo = vr.plan_objects(["verilated.cpp"], cxx="c++", flags=["-O3"], defines=[])
        todo[0].tmp.write_bytes(b"half")
        vr.commit_objects(todo, ok=False)
        assert not objs[0].exists() and not todo[0].tmp.exists()
        assert vr.plan_objects(["verilated.cpp"], cxx="c++", flags=["-O3"], defines=[])[1]

    def test_find_cxx_names_the_install_command(self, monkeypatch):
        monkeypatch.setenv("PATH", os.devnull)
        with pytest.raises(ToolMissingError) as e:
            vr.find_cxx()
        assert str(e.value) == (
            "c++ (the C++ compiler Verilator's models need) not found; install it with: "
            "sudo apt-get install -y g++"
        )
