"""Benchmark: formal proofs that exact multipliers compute a*b (``axhdl prove``).

Each row is one whole ``axhdl prove SPEC --json`` process. The baseline is the Yosys SAT
miter at 8x8, the largest width it proves in reasonable time; the algebraic method is
measured on the same 8x8 unit and at 16x16 and 31x31 (signed radix-4 Booth, the
architecture with the most gates besides adders).
"""

from __future__ import annotations

import json
import subprocess
import time

from _common import axhdl_argv as _axhdl

CASES = [
    ("sat 8x8 booth signed", "exact:width=8,signed=true,arch=booth", "sat"),
    ("algebraic 8x8 booth signed", "exact:width=8,signed=true,arch=booth", "algebraic"),
    ("algebraic 16x16 booth signed", "exact:width=16,signed=true,arch=booth", "algebraic"),
    ("algebraic 16x16 dadda unsigned", "exact:width=16,arch=dadda", "algebraic"),
    ("algebraic 31x31 booth signed", "exact:width=31,signed=true,arch=booth", "algebraic"),
]


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", "baseline"}``, one per proof."""
    rows: list[dict] = []
    for name, spec, method in CASES:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*_axhdl(), "prove", spec, "--method", method, "--json"],
            capture_output=True, text=True, timeout=1800, check=False,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"axhdl prove {spec} --method {method} failed:\n"
                               f"{proc.stderr[-2000:]}{proc.stdout[-2000:]}")
        result = json.loads(proc.stdout)
        note = f"proof {result['seconds']:.2f} s"
        if "gates" in result:
            note += f", {result['gates']} gates, peak {result['peak_terms']} terms"
        row = {"name": name, "seconds": wall, "note": note}
        if name != CASES[0][0]:
            row["baseline"] = CASES[0][0]
        rows.append(row)
    return rows
