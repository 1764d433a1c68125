"""Equivalence of an Amaranth unit's circuit (``unit.component()``) and its golden model on
Amaranth's own simulator.

The control values enumerated and the expected results are those of the cocotb co-simulation
(:mod:`axhdl.testbenches.vectors`)."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator

from axhdl.metrics import operand_grid

from .vectors import control_combinations, expected_outputs

__all__ = ["simulate", "simulate_outputs", "check_against_model", "check_exhaustive"]


def simulate(unit, a, b, **controls) -> np.ndarray:
    """Drive ``a``, ``b`` (and control inputs) through the RTL; return ``p`` values (int64)."""
    return simulate_outputs(unit, a, b, **controls)["p"]


def simulate_outputs(unit, a, b, **controls) -> dict[str, np.ndarray]:
    """Drive ``a``, ``b`` (and control inputs) through the RTL; return the values of ``p`` and
    of every extra output (``unit.extra_outputs``) as int64 arrays, ``p`` first."""
    a = np.asarray(a, dtype=np.int64).ravel()
    b = np.asarray(b, dtype=np.int64).ravel()
    ctrl = {k: np.broadcast_to(np.asarray(v, dtype=np.int64), a.shape) for k, v in controls.items()}
    names = ["p", *unit.extra_outputs]
    out = {k: np.zeros(a.shape, dtype=np.int64) for k in names}
    dut = unit.component()
    sim = Simulator(dut)
    ports = {k: getattr(dut, k) for k in ctrl}
    results = {k: getattr(dut, k) for k in names}

    async def bench(ctx):
        for n in range(a.size):
            for k, sig in ports.items():
                ctx.set(sig, int(ctrl[k][n]))
            ctx.set(dut.a, int(a[n]))
            ctx.set(dut.b, int(b[n]))
            for k, sig in results.items():
                out[k][n] = ctx.get(sig)

    sim.add_testbench(bench)
    sim.run()
    return out


def check_against_model(unit, a, b, **controls) -> list[dict]:
    """Mismatches between RTL and model for the given vectors (empty list = equivalent); a
    mismatch of an extra output names it under ``"output"``."""
    a = np.asarray(a, dtype=np.int64).ravel()
    b = np.asarray(b, dtype=np.int64).ravel()
    got = simulate_outputs(unit, a, b, **controls)
    ctrl = {k: np.broadcast_to(np.asarray(v, dtype=np.int64), a.shape) for k, v in controls.items()}
    expected = expected_outputs(unit, a, b, ctrl)
    rows = []
    for name, want in expected.items():
        for i in np.nonzero(got[name] != want)[0][:20]:
            row = {"a": int(a[i]), "b": int(b[i])}
            if name != "p":
                row["output"] = name
            row.update(expected=int(want[i]), got=int(got[name][i]),
                       **{k: int(v[i]) for k, v in ctrl.items()})
            rows.append(row)
    return rows[:20]


def check_exhaustive(unit) -> tuple[int, list[dict]]:
    """Every operand pair for every valid control combination (:func:`control_combinations`):
    (vectors checked, mismatches; at most 20 per control combination)."""
    a, b = operand_grid(unit)
    checked, bad = 0, []
    for kw in control_combinations(unit):
        bad += check_against_model(unit, a, b, **kw)
        checked += a.size
    return checked, bad
