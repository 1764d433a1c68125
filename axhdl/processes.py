"""Child processes and temporary files that do not outlive the command that made them.

A run of ``axhdl`` starts worker processes (the metrics engine) and external tools (Yosys,
OpenSTA, Icarus, Verilator with ``make`` and the C++ compiler). When the command is killed —
``SIGTERM``, ``SIGHUP`` or ``SIGKILL`` — none of them may keep running, and the temporary
files of the killed run must not pile up:

* every tool :func:`axhdl.toolchain.run_tool` starts runs in a process group of its own and
  with a parent-death signal (:func:`child_setup`), and the metrics workers set the same
  signal (:func:`worker_setup`): the kernel kills them the moment the command dies;
* the command line (:func:`guard`) handles ``SIGTERM``/``SIGHUP`` by killing its descendants
  and exiting with ``128 + signal``, and starts a small watchdog process that, once the
  command has died however it died, kills every descendant it has seen (and their process
  groups: the compilers under ``make``, the ``ivl`` under ``iverilog``) and removes the run's
  temporary directory;
* every temporary directory of a run lives under one root named after the run's process id
  (``$TMPDIR/axhdl-run-<pid>@<host>``, also the ``TMPDIR`` of the tools); roots whose process
  has died are removed by the next run (:func:`sweep_temp_roots`), and so are the stamped
  temporary folders a killed run leaves in the cache (:func:`stamp`, :func:`sweep_stamped`).

The parent-death signal and ``/proc`` are Linux facilities; elsewhere these guards are left
out and the behaviour is that of the plain tools.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "child_setup",
    "worker_setup",
    "descendants",
    "kill_descendants",
    "guard",
    "temp_root",
    "temp_root_name",
    "sweep_temp_roots",
    "pid_alive",
    "pending",
    "stamp",
    "sweep_stamped",
]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
TEMP_PREFIX = "axhdl-run-"
_LINUX = sys.platform.startswith("linux")


@functools.cache
def _prctl_function():
    """libc's ``prctl``, looked up once in the parent (a child forked from a threaded process
    must not load libraries), or None off Linux."""
    if not _LINUX:
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _prctl(option: int, value: int) -> bool:
    prctl = _prctl_function()
    return prctl is not None and prctl(option, value, 0, 0, 0) == 0


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (and die now if the parent
    is already gone: then this process was re-parented before it could ask)."""
    if _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL)) and os.getppid() != parent:
        os._exit(1)


def child_setup() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the tool dies with this process (None
    where the platform has no parent-death signal)."""
    if _prctl_function() is None:
        return None
    parent = os.getpid()
    return lambda: _die_with_parent(parent)


def worker_setup() -> None:
    """Initializer of forked worker processes: die with the parent."""
    if _prctl_function() is not None:
        _die_with_parent(os.getppid())


# -- the process tree under /proc ---------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, process group, start time) of ``pid`` from ``/proc``, None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    try:
        return int(fields[1]), int(fields[2]), int(fields[19])
    except (IndexError, ValueError):
        return None


def _running(pid: int, start: int | None) -> bool:
    """Whether ``pid`` is the process that started at ``start`` and has not ended (a zombie
    has)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = text[text.rindex(")") + 2:].split()
    try:
        return fields[0] not in ("Z", "X") and (start is None or int(fields[19]) == start)
    except (IndexError, ValueError):
        return False


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    if out or Path(f"/proc/{pid}/task/{tasks[0] if tasks else pid}/children").exists():
        return out
    # kernels without the children file: scan every process for its parent
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[0] == pid:
                out.append(int(entry))
    return out


def descendants(pid: int | None = None) -> dict[int, tuple[int, int]]:
    """Every living descendant of ``pid`` (default: this process): pid → (process group,
    start time)."""
    root = os.getpid() if pid is None else pid
    found: dict[int, tuple[int, int]] = {}
    todo = [root]
    while todo:
        for child in _children(todo.pop()):
            st = _stat(child)
            if st is not None and child not in found:
                found[child] = (st[1], st[2])
                todo.append(child)
    return found


def kill_descendants(pid: int | None = None, sig: int = signal.SIGKILL, *,
                     spare: set[int] = frozenset()) -> int:
    """Send ``sig`` to every descendant of ``pid`` (default: this process) but those in
    ``spare``, and to the process groups they lead; return how many processes were found."""
    if not _LINUX:
        return 0
    me = os.getpid() if pid is None else pid
    own_group = os.getpgid(0)
    procs = {p: v for p, v in descendants(me).items() if p not in spare}
    for child, (group, _) in procs.items():
        with contextlib.suppress(OSError):
            if group not in (own_group, os.getpgid(me)) and group == child:
                os.killpg(group, sig)
            os.kill(child, sig)
    return len(procs)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


# -- temporary directories --------------------------------------------------------------------

_ROOT: Path | None = None


def sweep_temp_roots(base: str | os.PathLike | None = None) -> list[Path]:
    """Remove the temporary roots (``axhdl-run-<pid>@<host>``) of this host's runs whose
    process has died; return those removed."""
    base = Path(base if base is not None else tempfile.gettempdir())
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    host = f"@{_host_tag()}"
    for entry in entries:
        name = entry.name
        if not (name.startswith(TEMP_PREFIX) and name.endswith(host)):
            continue
        try:
            pid = int(name[len(TEMP_PREFIX):-len(host)])
            owner = entry.lstat().st_uid
        except (ValueError, OSError):
            continue
        if owner != os.getuid() or pid == os.getpid() or pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _host_tag() -> str:
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def stamp() -> str:
    """The mark of this run in the name of a temporary file or directory it makes beside
    lasting ones (in the cache): ``tmp<pid>@<host>.``; :func:`sweep_stamped` removes those of
    dead runs."""
    return f"tmp{os.getpid()}@{_host_tag()}."


_STAMPED = re.compile(r"tmp(\d+)@([0-9a-f]{6})\.")


def sweep_stamped(directory: str | os.PathLike) -> list[Path]:
    """Remove the stamped temporary files and directories (:func:`stamp`) in ``directory``
    whose run has died on this host; return those removed."""
    removed = []
    host = _host_tag()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _STAMPED.search(entry.name) if entry.name.startswith(".") else None
        if m is None or m.group(2) != host:
            continue
        pid = int(m.group(1))
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:
            continue
        if owner != os.getuid() or pid == os.getpid() or pid_alive(pid):
            continue
        _remove(entry.path)
        removed.append(Path(entry.path))
    return removed


def temp_root_name(pid: int) -> str:
    """The name of the temporary root of the run ``pid`` on this host:
    ``axhdl-run-<pid>@<host>``."""
    return f"{TEMP_PREFIX}{pid}@{_host_tag()}"


def temp_root() -> Path | None:
    """This run's temporary root, once :func:`guard` has made it."""
    return _ROOT


def _make_temp_root() -> Path | None:
    global _ROOT
    base = Path(tempfile.gettempdir())
    sweep_temp_roots(base)
    root = base / temp_root_name(os.getpid())
    try:
        shutil.rmtree(root, ignore_errors=True)  # left by a dead run with a reused pid
        root.mkdir(mode=0o700)
    except OSError:
        return None
    _ROOT = root
    tempfile.tempdir = str(root)
    os.environ["TMPDIR"] = str(root)
    atexit.register(shutil.rmtree, root, True)
    return root


# -- the command line's guard ----------------------------------------------------------------

def _watch(main: int, root: str) -> None:
    """The watchdog's loop: wait for ``main`` to die (the pipe on stdin closes), recording its
    process tree meanwhile; then stop and kill every descendant seen (with the process groups
    they lead) and remove the temporary root ``root``."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)
    me = os.getpid()
    st = _stat(main)
    main_group = st[1] if st else None
    seen: dict[int, tuple[int, int]] = {}

    def tree(pids) -> dict[int, tuple[int, int]]:
        found: dict[int, tuple[int, int]] = {}
        for pid in pids:
            found.update({p: v for p, v in descendants(pid).items() if p != me})
        return found

    main_start = st[2] if st else None
    rounds = 0
    while True:
        ready, _, _ = select.select([0], [], [], 0.1)
        if ready and not os.read(0, 64):
            break
        if not _running(main, main_start):  # gone, though a child still holds the pipe
            break
        seen.update(tree([main]))
        rounds += 1
        if rounds % 100 == 0:  # forget processes that have ended
            seen = {p: v for p, v in seen.items() if _running(p, v[1])}
    for _ in range(5):
        live = {p: v for p, v in seen.items() if (now := _stat(p)) and now[2] == v[1]}
        if not live:
            break
        for pid in live:  # stopped processes start no more children
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        live.update(tree(live))
        for pid, (group, _) in live.items():
            with contextlib.suppress(OSError):
                if group == pid and group != main_group:
                    os.killpg(group, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
        seen = live
    if root:
        shutil.rmtree(root, ignore_errors=True)


_GUARDED = False


#: temporary files and directories being written now (removed when the command is killed)
_PENDING: set[str] = set()


@contextlib.contextmanager
def pending(path: str | os.PathLike):
    """Mark ``path`` (a temporary file or directory) for removal should the command be
    terminated while the block runs."""
    key = os.fspath(path)
    _PENDING.add(key)
    try:
        yield
    finally:
        _PENDING.discard(key)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _on_signal(signum, frame) -> None:
    """SIGTERM/SIGHUP: kill the workers and tools, remove the temporary files, exit at once
    with ``128 + signum`` (unwinding could wait on a worker pool)."""
    kill_descendants(spare={w.pid for w in _WATCHDOG})
    for path in list(_PENDING):
        _remove(path)
    if _ROOT is not None:
        shutil.rmtree(_ROOT, ignore_errors=True)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"axhdl: terminated ({signal.Signals(signum).name})\n")
        sys.stderr.flush()
    os._exit(128 + signum)


def guard() -> None:
    """Make this process (the ``axhdl`` command) take its workers, tools and temporary files
    with it however it ends: the temporary root, ``SIGTERM``/``SIGHUP`` handling and the
    watchdog (module docstring). Called once, by :func:`axhdl.cli.main`."""
    global _GUARDED
    if _GUARDED or not _LINUX:
        return
    _GUARDED = True
    root = _make_temp_root()
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphaned grandchildren stay in this tree
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, _on_signal)
    try:
        read_end, write_end = os.pipe()
        os.set_inheritable(write_end, False)
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__, "--watch", str(os.getpid()), str(root or "")],
            stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, start_new_session=True,
        )
        os.close(read_end)
    except OSError:
        return
    _WATCHDOG.append(watchdog)  # its pipe closes only when this process ends
    _WATCHDOG_PIPE.append(write_end)


_WATCHDOG: list[subprocess.Popen] = []
_WATCHDOG_PIPE: list[int] = []


if __name__ == "__main__" and sys.argv[1:2] == ["--watch"]:
    _watch(int(sys.argv[2]), sys.argv[3])
