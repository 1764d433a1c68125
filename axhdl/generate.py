"""Writing a unit's Verilog with its sidecar, and linting it with Verilator."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .errors import CheckFailedError
from .results import atomic_write, provenance, to_jsonable
from .toolchain import find, run_tool

__all__ = ["generate", "lint_verilog"]


def lint_verilog(verilog_path: str | Path, top: str) -> None:
    """``verilator --lint-only -Wall``; :class:`CheckFailedError` with its messages on failure."""
    proc = run_tool(
        [find("verilator"), "--lint-only", "-Wall", "--top-module", top, str(verilog_path)],
        what="verilator --lint-only", check=False, timeout=120,
    )
    if proc.returncode != 0:
        raise CheckFailedError(f"lint of {verilog_path} failed:\n{proc.stderr.strip()}")


def generate(unit, out_dir: Path, *, lint: bool = True) -> dict:
    """Write ``out_dir/<name>.v`` and ``<name>.json``; return the sidecar's content."""
    do_lint = lint
    out_dir = Path(out_dir)
    text = unit.verilog()
    name = unit.name
    if do_lint:
        with tempfile.TemporaryDirectory(prefix="axhdl-lint-") as tmp:
            path = Path(tmp) / f"{name}.v"
            path.write_text(text)
            lint_verilog(path, name)
    v_path = atomic_write(out_dir / f"{name}.v", text)
    sidecar = {
        "module": name,
        "verilog": str(v_path),
        "lint": "verilator -Wall clean" if do_lint else "skipped",
        **unit.info,
        "provenance": provenance(unit),
    }
    atomic_write(out_dir / f"{name}.json", json.dumps(to_jsonable(sidecar), indent=2))
    return sidecar

