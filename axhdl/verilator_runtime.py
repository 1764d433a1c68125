"""Verilator's run-time library (``verilated.cpp``, ``verilated_vpi.cpp``, ...), compiled once.

Two flows compile C++ against Verilator: the cocotb co-simulation builds
(:mod:`axhdl.testbenches.runner`, through Verilator's generated makefiles) and the evaluation
harness of imported Verilog (:mod:`axhdl.imported`, direct compiler calls). In both, the
run-time library is most of the compile time and is the same for every design compiled with
the same settings, so its objects live in one cache::

    results.cache_dir()/verilator-runtime/<key>/<object>.o  (and .d, the make dependencies)

``<key>`` (:func:`runtime_key`) hashes the Verilator, cocotb and C++ compiler versions and
the settings the objects compile with: the ``VM_*`` assignments of the generated makefiles
for a cocotb build (:func:`makefile_settings`), the compiler flags and defines for the
harness. An entry is complete when every ``.o`` is present; a ``.o`` is written last and
atomically (temporary file, then rename), so a killed build leaves no half-written object.
Each object's SHA-256 is recorded beside the entry (``<key>.digest/<object>.sha256``, written
before the object): a cached object that differs from its digest (damaged, truncated, no
digest) is reported on one line, deleted and compiled again, never linked.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolMissingError
from .processes import stamp, sweep_stamped
from .results import atomic_write, cache_dir, cache_warning, file_hash
from .toolchain import tool_env, verilator_root

__all__ = [
    "CACHE_NAME",
    "find_cxx",
    "compiler_version",
    "runtime_key",
    "runtime_dir",
    "makefile_settings",
    "restore_make_build",
    "save_make_build",
    "include_flags",
    "PendingObject",
    "plan_objects",
    "commit_objects",
    "verified",
]

#: the folder of :func:`axhdl.results.cache_dir` that holds the run-time objects
CACHE_NAME = "verilator-runtime"

#: ``VM_*`` makefile variables that list the design's own files, not run-time settings
_MK_SKIP = ("VM_CLASSES", "VM_SUPPORT", "VM_USER_CLASSES", "VM_USER_DIR", "VM_USER_LDLIBS")


def find_cxx() -> str:
    """Path of the C++ compiler (``c++``, ``g++`` or ``clang++``), else ToolMissingError."""
    for name in ("c++", "g++", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    raise ToolMissingError("c++ (the C++ compiler Verilator's models need)",
                           "sudo apt-get install -y g++")


@functools.cache
def compiler_version(cxx: str = "c++") -> str:
    """The first line of ``cxx --version`` ("?" when it cannot run)."""
    try:
        proc = subprocess.run(
            [cxx, "--version"], capture_output=True, text=True, timeout=60, check=False,
            env=tool_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "?"


def _dist_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def runtime_key(settings: dict, cxx: str = "c++") -> str:
    """The cache key of run-time objects compiled by ``cxx`` with ``settings`` (16 hex
    digits): Verilator, cocotb and compiler versions and the settings."""
    parts = [_dist_version("verilator"), _dist_version("cocotb"), compiler_version(cxx),
             settings, "digest-1"]  # objects carry digests (older entries are never read)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _digest_path(obj: Path) -> Path:
    """Where the SHA-256 of the cached object ``obj`` is recorded."""
    return obj.parent.with_name(f"{obj.parent.name}.digest") / f"{obj.name}.sha256"


def _record_digest(obj: Path, content: Path | None = None) -> None:
    """Record the digest of ``obj`` (computed from ``content`` when it is not in place yet)."""
    atomic_write(_digest_path(obj), file_hash(content or obj) + "\n")


def verified(obj: Path) -> bool:
    """True when the cached object ``obj`` exists and matches its recorded digest; a damaged
    one is reported on one line and deleted (False), so that it is compiled again."""
    if not obj.exists():
        return False
    try:
        want = _digest_path(obj).read_text().strip()
    except (OSError, UnicodeDecodeError):
        reason = "no digest"
    else:
        try:
            reason = None if file_hash(obj) == want else f"{obj.name} differs from its digest"
        except OSError as e:
            reason = f"{obj.name} is unreadable: {e.strerror}"
    if reason is None:
        return True
    cache_warning(f"cache entry {obj} is damaged ({reason}); discarded, computing it again")
    obj.unlink(missing_ok=True)
    _digest_path(obj).unlink(missing_ok=True)
    return False


def runtime_dir(settings: dict, cxx: str = "c++") -> Path:
    """The cache entry of run-time objects compiled by ``cxx`` with ``settings``."""
    return cache_dir() / CACHE_NAME / runtime_key(settings, cxx)


# -- a cocotb (makefile) build --------------------------------------------------------------
#
# A Verilator build through its makefiles compiles the design (Vtop__ALL.cpp, cocotb's
# verilator.cpp) and the run-time library (VM_GLOBAL_FAST / VM_GLOBAL_SLOW): the objects of a
# finished build are saved, and copied into the next build between `verilator` and `make`, so
# `make` finds them up to date.


def makefile_settings(build_dir: Path) -> dict[str, str]:
    """The ``VM_*`` assignments of the makefiles Verilator generated in ``build_dir``
    (``Vtop.mk``, ``Vtop_classes.mk``), the design's file lists left out."""
    settings: dict[str, str] = {}
    for name in ("Vtop.mk", "Vtop_classes.mk"):
        text = (Path(build_dir) / name).read_text().replace("\\\n", " ")
        for line in text.splitlines():
            m = re.match(r"\s*(VM_\w+)\s*(\+?=)\s*(.*)$", line)
            if m and not m.group(1).startswith(_MK_SKIP):
                key = m.group(1)
                value = " ".join(m.group(3).split())
                settings[key] = (settings.get(key, "") + " " + value).strip()
    return settings


def _make_objects(build_dir: Path) -> tuple[Path | None, list[str]]:
    """(the cache entry for this build's run-time objects, their basenames)."""
    try:
        settings = makefile_settings(build_dir)
    except OSError:
        return None, []
    names = (settings.get("VM_GLOBAL_FAST", "") + " " + settings.get("VM_GLOBAL_SLOW", ""))
    names_list = sorted(set(names.split()))
    if not names_list:
        return None, []
    return runtime_dir(settings), names_list


def restore_make_build(build_dir: Path) -> bool:
    """Copy the cached run-time objects into ``build_dir`` (after ``verilator``, before
    ``make``), newer than the makefiles so that ``make`` keeps them; False when the cache has
    no complete entry for this build's settings."""
    build_dir = Path(build_dir)
    cache, names = _make_objects(build_dir)
    if cache is None:
        return False
    intact = [verified(cache / f"{n}{ext}") for n in names for ext in (".o", ".d")
              if ext == ".o" or (cache / f"{n}{ext}").exists()]
    if not all(intact) or not all((cache / f"{n}.o").exists() for n in names):
        return False
    now = time.time()
    for n in names:
        for ext in (".o", ".d"):
            src = cache / f"{n}{ext}"
            if src.exists():
                dst = build_dir / f"{n}{ext}"
                shutil.copyfile(src, dst)
                os.utime(dst, (now, now))  # newer than Vtop.mk, which make compares against
    return True


def save_make_build(build_dir: Path) -> None:
    """Keep the run-time objects of a finished build in ``build_dir`` (once per key)."""
    build_dir = Path(build_dir)
    cache, names = _make_objects(build_dir)
    if cache is None or all((cache / f"{n}.o").exists() for n in names):
        return
    cache.mkdir(parents=True, exist_ok=True)
    for n in names:
        for ext in (".d", ".o"):  # the .o last: its presence marks a complete entry
            src = build_dir / f"{n}{ext}"
            if src.exists():
                _record_digest(cache / f"{n}{ext}", src)
                atomic_write(cache / f"{n}{ext}", src.read_bytes())


# -- direct compiler calls (the import harness) -----------------------------------------------


@dataclass(frozen=True)
class PendingObject:
    """A run-time object not cached yet: ``command`` compiles it to ``tmp``;
    :func:`commit_objects` renames ``tmp`` to ``final``."""

    command: list[str]
    tmp: Path
    final: Path


def include_flags() -> list[str]:
    """``-I`` flags for Verilator's headers."""
    root = verilator_root()
    return [f"-I{root / 'include'}", f"-I{root / 'include' / 'vltstd'}"]


def plan_objects(
    sources: Iterable[str], *, cxx: str, flags: Sequence[str], defines: Sequence[str]
) -> tuple[list[Path], list[PendingObject]]:
    """The objects of the run-time ``sources`` (file names in Verilator's ``include/``)
    compiled by ``cxx`` with ``flags`` and ``defines``, and, for each one not cached yet, the
    command that compiles it. Run the commands (in parallel with the design's own compile,
    if you like), then :func:`commit_objects`."""
    sources = list(sources)
    settings = {"sources": sources, "flags": list(flags), "defines": list(defines)}
    rdir = runtime_dir(settings, cxx)
    rdir.mkdir(parents=True, exist_ok=True)
    sweep_stamped(rdir)  # objects killed compiles left
    objs, todo = [], []
    for src in sources:
        obj = rdir / src.replace(".cpp", ".o")
        objs.append(obj)
        if not verified(obj):
            tmp = rdir / f".{obj.stem}.{stamp()}tmp.o"
            cmd = [cxx, *flags, *include_flags(), *defines, "-c",
                   str(verilator_root() / "include" / src), "-o", str(tmp)]
            todo.append(PendingObject(cmd, tmp, obj))
    return objs, todo


def commit_objects(pending: Iterable[PendingObject], *, ok: bool = True) -> None:
    """Move compiled objects into the cache (``ok``), or only delete the temporary files."""
    pending = list(pending)
    try:
        if ok:
            for p in pending:
                _record_digest(p.final, p.tmp)
                os.replace(p.tmp, p.final)
    finally:
        for p in pending:
            p.tmp.unlink(missing_ok=True)
