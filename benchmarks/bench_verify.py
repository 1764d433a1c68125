"""Benchmark: cocotb co-simulation (``axhdl verify``) of the exact 8x8 array multiplier.

Each measurement is a whole ``axhdl verify ... --json`` process (interpreter start, Verilog
generation, build, simulation), run in a fresh result cache so that the build is really
measured. Per simulator:

1. ``cold``: an empty cache (Verilator also compiles its run-time library, kept afterwards);
2. ``new design``: another design in the same cache, the usual cost of verifying a design;
3. ``reused``: the same design again, its build reused.

Build and run seconds come from the command's JSON (``build_s``, ``run_s``); the process's
wall time is reported beside them. The rows are 65,536-vector exhaustive runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

from _common import axhdl_argv as _axhdl

SPEC_COLD = "exact:width=8,signed=true,arch=array"
SPEC_NEW = "exact:width=8,signed=false,arch=array"
VECTORS = 65536


def _verify(spec: str, sim: str, cache: str) -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_axhdl(), "verify", spec, "--sim", sim, "--json"],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl verify {spec} --sim {sim} failed:\n{proc.stderr[-2000:]}")
    (run,) = json.loads(proc.stdout)["runs"]
    if not run["ok"] or run["checked"] != VECTORS:
        raise RuntimeError(f"axhdl verify {spec} --sim {sim}: unexpected result {run}")
    return wall, run


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note"}``: build, run and process time per simulator."""
    rows: list[dict] = []
    for sim in ("icarus", "verilator"):
        with tempfile.TemporaryDirectory(prefix=f"bench-verify-{sim}-") as cache:
            for label, spec in (("cold", SPEC_COLD), ("new design", SPEC_NEW),
                                ("reused", SPEC_NEW)):
                wall, r = _verify(spec, sim, cache)
                base = f"verify {spec} on {sim} ({label})"
                rows.append({"name": f"{base}: build", "seconds": r["build_s"],
                             "note": "build reused" if r.get("build_reused") else "fresh build"})
                rows.append({"name": f"{base}: run", "seconds": r["run_s"],
                             "note": f"{VECTORS} vectors, "
                                     f"{VECTORS / r['run_s']:,.0f} vectors/s, "
                                     f"{r['run_s'] / VECTORS * 1e6:.1f} us/vector incl. start"})
                rows.append({"name": f"{base}: whole process", "seconds": round(wall, 3),
                             "note": "interpreter, Verilog generation, build, run: "
                                     f"{VECTORS / wall:,.0f} vectors/s overall"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['seconds']:9.3f} s  {row['name']}  ({row['note']})")
