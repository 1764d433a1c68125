"""Benchmark: the whole catalogue at its default 8x8 points, generated, verified on both
simulators and characterized — each step a whole ``axhdl`` process, in one fresh cache.

The exact unit is the baseline row; every family's total is reported as a ratio to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _common import axhdl_argv as _axhdl


def _families() -> list[str]:
    proc = subprocess.run([*_axhdl(), "list", "--json"], capture_output=True, text=True,
                          check=True)
    # `verilog` is an imported circuit, not a generator: it has no default point
    return [r["family"] for r in json.loads(proc.stdout) if r["family"] != "verilog"]


def _time(argv: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([*_axhdl(), *argv], capture_output=True, text=True, env=env,
                          timeout=3600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl {' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def run() -> list[dict]:
    rows: list[dict] = []
    families = _families()
    families.sort(key=lambda f: f != "exact")  # the baseline first
    total = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as cache:
        env = dict(os.environ, AXHDL_CACHE=cache)
        out = Path(cache) / "verilog"
        for fam in families:
            spec = f"{fam}:width=8"
            gen = _time(["generate", spec, "-o", str(out)], env)
            ver = _time(["verify", spec, "--sim", "both"], env)
            met = _time(["metrics", spec], env)
            seconds = gen + ver + met
            total += seconds
            rows.append({
                "name": f"{fam}: generate + verify (icarus, verilator) + metrics",
                "seconds": round(seconds, 3),
                "note": f"generate {gen:.1f} s, verify {ver:.1f} s, metrics {met:.1f} s",
                "baseline": None if fam == "exact" else
                "exact: generate + verify (icarus, verilator) + metrics",
            })
    rows.append({"name": f"whole catalogue ({len(families)} families)", "seconds": round(total, 3),
                 "note": "sum of the processes above; exhaustive 8x8 verification"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['seconds']:9.3f} s  {row['name']}  ({row['note']})")
