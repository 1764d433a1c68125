"""Benchmark: the FPGA flow (``axhdl synth SPEC --target ice40``) as a whole process.

Each measurement is ``axhdl synth SPEC --target ice40 --no-baseline --json`` in a fresh,
empty result cache, so everything is really computed: Verilog generation, the wrapper, Yosys
``synth_ice40``, nextpnr place-and-route on the UP5K (SG48) and the LUT-netlist activity.
A first untimed run of a 4x4 multiplier in a throwaway cache warms the tools (the WebAssembly
modules of Yosys and nextpnr compiled, files in the OS cache). Rows:

* 8x8 and 16x16 exact multipliers;
* a 4x4 weight-stationary systolic array of exact 8x8 multipliers (16 PEs);
* the 8x8 run again in the same cache (every stage cached);
* the 8x8 run on the ECP5 (LFE5U-25F, CABGA256), for comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

from _common import axhdl_argv as _axhdl


def _synth(spec: str, cache: str, target: str = "ice40") -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_axhdl(), "synth", spec, "--target", target, "--no-baseline", "--json"],
        capture_output=True, text=True, env=env, timeout=3600, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl synth {spec} --target {target} failed:\n"
                           f"{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    if not result["placed"] or not result["fmax_mhz"]:
        raise RuntimeError(f"axhdl synth {spec} --target {target}: not placed: "
                           f"{result.get('error')}")
    return wall, result


def _note(r: dict) -> str:
    return (f"{r['luts']} LUTs, {r['carry_cells']} carry, {r['flip_flops']} FFs, "
            f"{r['logic_cells']} logic cells ({r['utilisation_pct']:.1f}%), "
            f"fmax {r['fmax_mhz']:.1f} MHz")


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", ...}`` for the whole-process FPGA runs."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-fpga-warmup-") as cache:
        _synth("exact:width=4", cache)  # warm the tools, not the result cache
    first = "fpga exact:width=8 ice40 (empty cache)"
    specs = [
        ("exact:width=8", first, None),
        ("exact:width=16", "fpga exact:width=16 ice40 (empty cache)", first),
        ("systolic:rows=4,cols=4,mul=(exact:width=8)",
         "fpga systolic 4x4 exact 8x8 ice40 (empty cache)", first),
    ]
    for spec, name, baseline in specs:
        with tempfile.TemporaryDirectory(prefix="bench-fpga-") as cache:
            wall, r = _synth(spec, cache)
            rows.append({"name": name, "seconds": wall, "note": _note(r),
                         **({"baseline": baseline} if baseline else {})})
            if spec == "exact:width=8":
                wall, r = _synth(spec, cache)
                rows.append({"name": "fpga exact:width=8 ice40 (cached)", "seconds": wall,
                             "baseline": first, "note": "every stage from the cache"})
    with tempfile.TemporaryDirectory(prefix="bench-fpga-ecp5-") as cache:
        wall, r = _synth("exact:width=8", cache, "ecp5")
        rows.append({"name": "fpga exact:width=8 ecp5 (empty cache)", "seconds": wall,
                     "baseline": first, "note": _note(r)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<48} {row['seconds']:7.2f} s  {row['note']}")
