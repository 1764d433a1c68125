"""Benchmark: bit-exact approximate DNN inference (``axhdl.nn``) against exact inference.

For the built-in digits CNN (its 360 test images) and for a ResNet-20-shaped 3×3 conv layer
(16 channels in and out, padding 1, 32×32, batch 64, random weights and inputs), one process
per model quantizes the network (signed 8-bit) and times, in the same run, ``predict`` with
the exact multiplier (im2col + BLAS) and with

* a low-rank unit, ``truncated:width=8,k=8,signed=true`` (the error table of a truncation-like
  design has small rank), and
* an arbitrary-table unit, ``mitchell:width=8,signed=true``;

each the best of :data:`REPEATS` runs after a warm-up (table construction excluded), on one
core (BLAS limited to one thread, exact and approximate alike: comparable figures on a shared
machine, where a multi-threaded BLAS competing for busy cores is slower than one). A row's
``seconds`` is that in-process inference time; the ratio printed is to the exact row of the
same model (issue 11's targets: ≤ 3× low-rank, ≤ 15× arbitrary table); the note has the
table-MACs per second and the whole process's wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

#: timed runs per (model, unit); the best counts
REPEATS = 5

#: environment variables that limit BLAS to one thread
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

UNITS = [
    ("low-rank", "truncated:width=8,k=8,signed=true", 3.0),
    ("arbitrary table", "mitchell:width=8,signed=true", 15.0),
]

_RUN = r"""
import json, sys, time
import numpy as np
from axhdl.nn import Conv2d, ExactProducts, Network, Products, digits_network, predict
from axhdl.nn import load_digits_split, quantize
from axhdl.nn.evaluate import layer_macs
from axhdl.registry import make_unit
from axhdl.nn.quantize import Scheme

model, repeats, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rng = np.random.default_rng(0)
if model == "digits":
    net = digits_network()
    d = load_digits_split()
    x, cal = d.x_test, d.x_calibration
else:
    w = rng.normal(scale=(2 / 144) ** 0.5, size=(16, 16, 3, 3))
    net = Network.sequential((16, 32, 32), [Conv2d(w, rng.normal(size=16) * 0.1,
                                                   padding=1)])
    x = rng.normal(size=(64, 16, 32, 32))
    cal = rng.normal(size=(16, 16, 32, 32))
units = [make_unit(s) for s in specs]
sch = Scheme.for_unit(units[0])
qnet = quantize(net, cal, sch)
macs = sum(m["macs"] for m in layer_macs(qnet).values()) * len(x)
out = {"macs": macs, "inputs": len(x)}
for name, prod in [("exact", ExactProducts(sch))] + [(s, Products(u, sch))
                                                      for s, u in zip(specs, units)]:
    predict(qnet, x[:2], prod)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict(qnet, x, prod, batch=256)
        best = min(best, time.perf_counter() - t0)
    out[name] = best
print(json.dumps(out))
"""


def _model(model: str) -> tuple[float, dict]:
    env = {**os.environ, **dict.fromkeys(THREAD_VARS, "1")}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, model, str(REPEATS), *(s for _, s, _ in UNITS)],
        capture_output=True, text=True, timeout=1800, check=False, env=env,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"DNN inference benchmark of {model} failed:\n"
                           f"{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", "baseline"}``: exact, low-rank and arbitrary-table
    inference per model."""
    rows: list[dict] = []
    for model, label in (("digits", "digits CNN, 360 images"),
                         ("resnet", "resnet-20 3x3 16->16 32x32 b64")):
        wall, r = _model(model)
        base = f"dnn {model} exact"
        rows.append({"name": base, "seconds": r["exact"],
                     "note": f"{label}: {r['macs']} MACs, "
                             f"{r['macs'] / r['exact'] / 1e6:.0f} MMAC/s (process {wall:.1f} s)"})
        for kind, spec, target in UNITS:
            t = r[spec]
            rows.append({"name": f"dnn {model} {kind}", "seconds": t, "baseline": base,
                         "note": f"{spec}: {r['macs'] / t / 1e6:.0f} M table-MACs/s "
                                 f"(target <= {target:g}x exact)"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
