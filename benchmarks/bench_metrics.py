"""Benchmark: error characterization (``axhdl metrics``) and third-party import
(``axhdl import-verilog``), each a whole process.

Rows:

* exhaustive metrics at 8x8, 12x12 and 16x16 (4.3e9 pairs; target under 2 minutes on 2 cores)
  of ``operand_truncation`` (a cheap numpy model with errors almost everywhere), each against
  the exact unit of the same widths as baseline (whose errors are all zero, so the engine
  skips most of its work: the ratio shows the cost of the error statistics);
* 12x12 ``truncated``, whose golden model evaluates the partial-product matrix term by term
  (na·nb numpy passes per tile): the cost of a gate-level-definition model;
* Monte-Carlo metrics with 10^6 samples of a 16x16 unit;
* import and characterization of a gate-level 8x8 netlist with Verilator: with an empty cache
  (Verilator's run-time library is compiled too; target under 10 s) and with the run-time
  library cached (the usual cost of importing a new design).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _common import axhdl_argv as _axhdl


def _timed(args: list[str], cache: str) -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache)
    t0 = time.perf_counter()
    proc = subprocess.run([*_axhdl(), *args, "--json"], capture_output=True, text=True, env=env,
                          timeout=3600, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def netlist_8x8(name: str, k: int) -> str:
    """A gate-level unsigned 8x8 array multiplier with the columns below 2^k truncated:
    AND-gate partial products, one ripple-carry row of XOR/AND/OR full adders per row."""
    width = 16
    out = [f"module {name}(input [7:0] A, input [7:0] B, output [15:0] O);"]
    acc: list[str | None] = [None] * width
    n = 0
    for j in range(8):
        row = {i + j: f"A[{i}] & B[{j}]" for i in range(8) if i + j >= k}
        carry = None
        for w in range(width):
            ins = [x for x in (acc[w], row.get(w), carry) if x is not None]
            if len(ins) <= 1:
                acc[w], carry = (ins[0] if ins else None), None
                continue
            n += 1
            s, c = f"s{n}", f"c{n}"
            out.append(f"  wire {s}, {c};")
            if len(ins) == 2:
                out.append(f"  assign {s} = ({ins[0]}) ^ ({ins[1]});")
                out.append(f"  assign {c} = ({ins[0]}) & ({ins[1]});")
            else:
                x, y, z = ins
                out.append(f"  assign {s} = ({x}) ^ ({y}) ^ ({z});")
                out.append(f"  assign {c} = (({x}) & ({y})) | (({x}) & ({z})) | (({y}) & ({z}));")
            acc[w], carry = s, c
    bits = ", ".join(acc[w] or "1'b0" for w in reversed(range(width)))
    out += [f"  assign O = {{{bits}}};", "endmodule", ""]
    return "\n".join(out)


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note"}`` (whole-process wall time)."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as cache:
        for w in (8, 12, 16):
            base = f"metrics exact:width={w} (exhaustive)"
            wall, _ = _timed(["metrics", f"exact:width={w}"], cache)
            rows.append({"name": base, "seconds": wall,
                         "note": f"2^{2 * w} pairs, all errors zero"})
            spec = f"operand_truncation:width={w},za=3,zb=2"
            wall, res = _timed(["metrics", spec], cache)
            row = {"name": f"metrics {spec} (exhaustive)", "seconds": wall, "baseline": base,
                   "note": f"{res['pairs']} pairs, er {res['metrics']['er']:.4f}"}
            if w == 16:
                row["target_s"] = 120
            rows.append(row)
        spec = "truncated:width=12,k=10"
        wall, res = _timed(["metrics", spec], cache)
        rows.append({"name": f"metrics {spec} (exhaustive)", "seconds": wall,
                     "baseline": "metrics exact:width=12 (exhaustive)",
                     "note": "model evaluates 144 partial-product terms per pair"})
        spec = "truncated:width=16,k=14"
        wall, res = _timed(["metrics", spec, "--samples", "1000000", "--seed", "1"], cache)
        rows.append({"name": f"metrics {spec} (10^6 samples)", "seconds": wall,
                     "note": f"mean_ed 95% CI {res['ci95']['mean_ed']}"})
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        cache = str(Path(tmp) / "cache")
        for label, name, k in (("cold cache", "bench_mul8_a", 6),
                               ("run-time library cached", "bench_mul8_b", 7)):
            path = Path(tmp) / f"{name}.v"
            path.write_text(netlist_8x8(name, k))
            wall, res = _timed(["import-verilog", str(path), "--top", name, "--a", "A",
                                "--b", "B", "--p", "O"], cache)
            rows.append({"name": f"import-verilog 8x8 netlist + metrics ({label})",
                         "seconds": wall, "target_s": 10,
                         "note": f"{res['pairs']} pairs simulated, mae {res['metrics']['mae']}"})
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r['name']:<60} {r['seconds']:8.2f} s  {r.get('note', '')}")
