"""Benchmark: bit-exact approximate DNN inference (``axhdl.nn``) against exact inference.

For the built-in digits CNN (its 360 test images) and for a ResNet-20-shaped 3×3 conv layer
(16 channels in and out, padding 1, 32×32, batch 64, random weights and inputs), one process
per model quantizes the network (signed 8-bit) and times, in the same run, integer inference
(``axhdl.nn.run``, batches of 256) with the exact multiplier (im2col + BLAS) and with

* a low-rank unit, ``truncated:width=8,k=8,signed=true`` (its error table has rank 9), and
* an arbitrary-table unit, ``mitchell:width=8,signed=true`` (full rank);

each by the route :meth:`axhdl.nn.products.Products.route` picks (on these layers the
compiled gather kernel, :mod:`axhdl.nn.kernels`), and for comparison by the other routes
forced: the low-rank BLAS sum (truncated unit) and the numpy gather (both units; what runs
without numba). Each figure is the best of :data:`REPEATS` runs after a warm-up (table
construction excluded), on one core (BLAS limited to one thread, exact and approximate alike:
comparable figures on a shared machine). A row's ``seconds`` is that in-process inference
time; the ratio printed is to the exact row of the same model (issue 11's targets: ≤ 3×
low-rank, ≤ 15× arbitrary table); the note has the table-MACs per second, the route, whether
the outputs equal those of the unit's chosen route bit for bit, and, on the exact row, the
time of the kernel's compilation (or cache load) and the whole process's wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

#: timed runs per (model, unit, route); the best counts
REPEATS = 5

#: environment variables that limit BLAS to one thread
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

UNITS = [
    ("low-rank", "truncated:width=8,k=8,signed=true", 3.0),
    ("arbitrary table", "mitchell:width=8,signed=true", 15.0),
]

_RUN = r"""
import hashlib, json, sys, time
t0 = time.perf_counter()
import numpy as np
from axhdl.nn import Conv2d, ExactProducts, Network, Products, digits_network
from axhdl.nn import load_digits_split, quantize, run
from axhdl.nn import products as products_mod
from axhdl.nn.evaluate import layer_macs
from axhdl.nn.kernels import gather_kernel
from axhdl.nn.quantize import Scheme
from axhdl.registry import make_unit

model, repeats, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t1 = time.perf_counter()
jit = gather_kernel() is not None  # numba's import and the compilation (or cache load)
out = {"import_s": t1 - t0, "kernel_s": time.perf_counter() - t1, "jit": jit}
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
out["macs"] = sum(m["macs"] for m in layer_macs(qnet).values()) * len(x)
cases = [("exact", "exact", ExactProducts(sch), {})]
for s, u in zip(specs, units):
    prod = Products(u, sch)
    cases.append((s, s, prod, {}))
    if prod.rank is not None:
        cases.append((s, "low-rank", prod, {"LOW_RANK_RATIO": 0}))
    cases.append((s, "numpy", prod, {"JIT": False}))
digest = {}
for spec, name, prod, patch in cases:
    saved = {k: getattr(products_mod, k) for k in patch}
    for k, v in patch.items():
        setattr(products_mod, k, v)
    try:
        routes = sorted({"blas"} if prod.exact else {
            prod.route(n.op.fan_in, n.op.out_channels // n.op.groups)
            for n in qnet.mac_nodes()})
        run(qnet, x[:2], prod)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            got = run(qnet, x, prod, batch=256)
            best = min(best, time.perf_counter() - t)
    finally:
        for k, v in saved.items():
            setattr(products_mod, k, v)
    h = hashlib.sha256(got.tobytes()).hexdigest()
    digest.setdefault(spec, h)
    out.setdefault(spec, {})[name] = {"seconds": best, "routes": routes,
                                      "same": h == digest[spec]}
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
    """Rows ``{"name", "seconds", "note", "baseline"}``: exact inference, and per unit its
    chosen route and the forced alternatives, per model."""
    rows: list[dict] = []
    for model, label in (("digits", "digits CNN, 360 images"),
                         ("resnet", "resnet-20 3x3 16->16 32x32 b64")):
        wall, r = _model(model)
        base = f"dnn {model} exact"
        ex = r["exact"]["exact"]["seconds"]
        kernel = (f"kernel compile/load {r['kernel_s']:.2f} s" if r["jit"]
                  else "no numba: numpy gather")
        rows.append({"name": base, "seconds": ex,
                     "note": f"{label}: {r['macs']} MACs, {r['macs'] / ex / 1e6:.0f} MMAC/s; "
                             f"{kernel}; process {wall:.1f} s"})
        for kind, spec, target in UNITS:
            for name, v in r[spec].items():
                t = v["seconds"]
                forced = "" if name == spec else f" ({name} forced)"
                same = "" if name == spec else (", outputs equal" if v["same"]
                                                else ", OUTPUTS DIFFER")
                route = {"low-rank": ", BLAS route", "numpy": ", numpy route"}.get(name, "")
                rows.append({
                    "name": f"dnn {model} {kind} unit{route}",
                    "seconds": t, "baseline": base,
                    "note": f"{spec}{forced}: {r['macs'] / t / 1e6:.0f} M table-MACs/s, "
                            f"route {'+'.join(v['routes'])}{same}"
                            + ("" if forced else f" (target <= {target:g}x exact)")})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
