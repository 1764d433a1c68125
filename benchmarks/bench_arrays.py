"""Benchmark: systolic arrays — the golden model's GEMM throughput and array synthesis, each a
whole process.

Rows:

* golden-model GEMM throughput (``unit.model(A, W)``, every product from the multiplier's
  model and every sum from the adder's, in the hardware's order) of 4x4 and 8x8 arrays with
  exact units, a perforated multiplier and DRUM with a LOA accumulator, on 2^26 MACs of
  random 8-bit matrices (the default GEMM shape of the array, ``axhdl metrics``' draw), against
  numpy's exact int64 ``A @ W`` of the same matrices measured in the same run (the ratio is
  of whole-process times; the note has the in-process MACs/s of each);
* ``axhdl synth`` of the exact 8x8 and 16x16 arrays of 8x8 multipliers in an empty result
  cache (``--no-baseline``: the exact array is its own baseline): Yosys synthesis and mapping
  twice (without a delay target for the default period, then at it), OpenSTA timing and
  power calibration, the cycle-by-cycle activity of 10,000 streamed cycles checked against
  the golden model.

* streamed co-simulation (``axhdl verify systolic:… --tiles 8``, cocotb on Icarus and on
  Verilator, random gaps and back-pressure, every output beat against the golden model) of
  the exact 4x4 and 8x8 weight-stationary arrays: MACs checked per second of the whole
  process and of the simulation run alone, against the exhaustive verification of the exact
  8x8 multiplier (65,536 vectors) on the same simulator in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from _common import axhdl_argv as _axhdl

#: MACs evaluated per throughput row (enough for the computation to outweigh process start-up)
MACS = 1 << 26


_GEMM = r"""
import json, sys, time
import numpy as np
spec, macs, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows, cols = int(sys.argv[4]), int(sys.argv[5])
m, k, n = 4 * max(rows, cols), 2 * rows, 2 * cols
s = max(1, macs // (m * k * n))
rng = np.random.default_rng(0)
a = rng.integers(0, 255, size=(s, m, k), endpoint=True, dtype=np.int64)
w = rng.integers(0, 255, size=(s, k, n), endpoint=True, dtype=np.int64)
if mode == "numpy":
    f = lambda x, y: x @ y
else:
    from axhdl.registry import make_unit
    f = make_unit(spec).model
step = max(1, (1 << 22) // (m * k * n))
t0 = time.perf_counter()
for i in range(0, s, step):
    f(a[i:i + step], w[i:i + step])
dt = time.perf_counter() - t0
print(json.dumps({"macs": s * m * k * n, "seconds": dt}))
"""


def _gemm(spec: str, mode: str, rows: int, cols: int) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _GEMM, spec, str(MACS), mode, str(rows), str(cols)],
        capture_output=True, text=True, timeout=1800, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"GEMM throughput of {spec} failed:\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def _rate(r: dict, base: dict | None = None) -> str:
    rate = r["macs"] / r["seconds"]
    text = f"{rate / 1e6:.2f} MMAC/s in-process ({r['macs']} MACs)"
    if base is not None:
        text += f", {base['macs'] / base['seconds'] / rate:.1f}x below numpy's"
    return text


def _synth(spec: str, cache: str) -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_axhdl(), "synth", spec, "--no-baseline", "--json"],
        capture_output=True, text=True, env=env, timeout=7200, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl synth {spec} failed:\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def _verify(spec: str, sim: str, cache: str, *extra: str) -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_axhdl(), "verify", spec, "--sim", sim, "--json", *extra],
        capture_output=True, text=True, env=env, timeout=3600, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl verify {spec} --sim {sim} failed:\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)["runs"][0]


def _cosim_rows() -> list[dict]:
    """Streamed co-simulation of the exact arrays on each simulator (a shared result cache:
    the second call of a design reuses its build, so the row is the warm figure)."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-arrays-cosim-") as cache:
        for sim in ("icarus", "verilator"):
            base = f"verify exact:width=8 --sim {sim} (warm build)"
            _verify("exact:width=8", sim, cache)
            wall, r = _verify("exact:width=8", sim, cache)
            rows.append({"name": base, "seconds": wall,
                         "note": f"{r['checked']} vectors, {r['checked'] / wall:,.0f}/s whole"})
            for size in (4, 8):
                spec = f"systolic:width=8,signed=true,rows={size},cols={size},dataflow=ws"
                _verify(spec, sim, cache, "--tiles", "8")
                wall, r = _verify(spec, sim, cache, "--tiles", "8")
                rows.append({
                    "name": f"verify {size}x{size} ws --sim {sim} --tiles 8 (warm build)",
                    "seconds": wall, "baseline": base,
                    "note": (f"{r['macs']} MACs, {r['beats_out']} beats, {r['cycles']} cycles: "
                             f"{r['macs'] / wall:,.0f} MACs/s whole, "
                             f"{r['macs'] / r['run_s']:,.0f} MACs/s run"),
                })
    return rows


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", ...}``."""
    rows: list[dict] = []
    for size in (4, 8):
        array = f"systolic:width=8,rows={size},cols={size}"
        base = f"numpy int64 A@W ({size}x{size} shapes)"
        wall, ref = _gemm(array, "numpy", size, size)
        rows.append({"name": base, "seconds": wall, "note": _rate(ref)})
        for label, extra in (
            ("exact", ""),
            ("perforated m=2", ",mul=(perforated:width=8,m=2)"),
            ("drum k=4 + loa l=6", ",mul=(drum:width=8,k=4),add=(loa:width=24,l=6)"),
        ):
            wall, r = _gemm(array + extra, "model", size, size)
            rows.append({"name": f"model {size}x{size} {label}", "seconds": wall,
                         "baseline": base, "note": _rate(r, ref)})
    for size in (8, 16):
        spec = f"systolic:width=8,rows={size},cols={size}"
        with tempfile.TemporaryDirectory(prefix="bench-arrays-") as cache:
            wall, r = _synth(spec, cache)
        rows.append({
            "name": f"synth {spec} (empty cache)", "seconds": wall,
            **({"baseline": "synth systolic:width=8,rows=8,cols=8 (empty cache)"}
               if size == 16 else {}),
            "note": (f"{r['cells']} cells, area/PE {r['area_per_pe']:g}, delay "
                     f"{r['delay_ns']:.2f} ns, {r['energy_per_mac_pj']:.2f} pJ/MAC, "
                     f"{r['activity']['cycles']} cycles ({r['activity']['engine']})"),
        })
    rows.extend(_cosim_rows())
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<52} {row['seconds']:8.2f} s  {row.get('note', '')}")
