"""Benchmark: error characterization (``axhdl metrics``) and third-party import
(``axhdl import-verilog``), each a whole process.

Rows:

* exhaustive metrics at 8x8 (the numpy path: start-up dominates), 12x12 and 16x16 (4.3e9
  pairs; target 60 s on 2 cores) of ``operand_truncation`` (errors almost everywhere), each
  against the exact unit of the same widths as baseline (whose errors are all zero: the ratio
  shows the cost of the error statistics); the first 12x12 run compiles the fast path into
  this benchmark's empty cache;
* 12x12 ``truncated`` (k = 10);
* Monte-Carlo metrics with 10^6 samples of a 16x16 unit;
* every multiplier and adder family (default parameters): the compiled fast path
  (:mod:`axhdl.metrics.kernels`) loaded from a cold numba cache once (compiling the shared
  accumulator and one family's kernel), then, per family, exhaustive 12x12 (target 1 s) and
  16x16 (4.3e9 pairs, target 60 s), each run after an untimed 10x10 run that has compiled
  the family's kernel into the cache (the state of any later run; the families whose numpy
  model is cheap stay on the numpy path up to 12x12, so their 16x16 row includes compiling
  their kernel, about a second). ``AXHDL_BENCH_FAMILIES`` (comma-separated) restricts these
  rows to some families;
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


#: parameters beyond the widths for the family rows (the defaults do not fit 16 bits)
FAMILY_PARAMS = {"ssm": "m={half}", "truncated": "k={half}"}


def family_specs(width: int) -> list[tuple[str, str]]:
    """(family, spec) of every multiplier and adder family at ``width``x``width``."""
    from axhdl.registry import families

    only = {f for f in os.environ.get("AXHDL_BENCH_FAMILIES", "").split(",") if f}
    out = []
    for name, cls in families().items():
        if cls.kind not in ("multiplier", "adder") or name == "verilog":
            continue
        if only and name not in only:
            continue
        size = f"width={width}" if cls.kind == "adder" else f"a_width={width},b_width={width}"
        extra = FAMILY_PARAMS.get(name, "").format(half=width // 2)
        out.append((name, f"{name}:{size}" + (f",{extra}" if extra else "")))
    return out


def family_rows() -> list[dict]:
    """Exhaustive 12x12 and 16x16 metrics of every family (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="bench-metrics-families-") as cache:
        return _family_rows(cache)


def _family_rows(cache: str) -> list[dict]:
    rows: list[dict] = []
    wall, res = _timed(["metrics", "mitchell:width=12"], cache)
    rows.append({"name": "metrics mitchell:width=12 (cold numba cache)", "seconds": wall,
                 "note": "compiles the accumulator and the kernel: a first run only"})
    for _name, spec12 in family_specs(12):
        _timed(["metrics", spec12.replace("width=12", "width=10")], cache)
        wall, res = _timed(["metrics", spec12], cache)
        rows.append({"name": f"metrics {spec12} (exhaustive)", "seconds": wall, "target_s": 1,
                     "note": f"{res['pairs']} pairs, er {res['metrics']['er']:.4f}"})
    for _name, spec16 in family_specs(16):
        wall, res = _timed(["metrics", spec16], cache)
        rows.append({"name": f"metrics {spec16} (exhaustive)", "seconds": wall,
                     "target_s": 60,
                     "note": f"{res['pairs']} pairs, er {res['metrics']['er']:.4f}, "
                             f"mred {res['metrics']['mred']:.4g}"})
    return rows


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
                row["target_s"] = 60
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
    rows.extend(family_rows())
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
