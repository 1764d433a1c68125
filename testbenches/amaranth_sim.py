"""Equivalence of an Amaranth unit and its golden model on Amaranth's own simulator."""

from __future__ import annotations

import itertools

import numpy as np
from amaranth.sim import Simulator

from axhdl.metrics import operand_grid

__all__ = ["simulate", "check_against_model", "check_exhaustive"]


def simulate(unit, a, b, **controls) -> np.ndarray:
    """Drive ``a``, ``b`` (and control inputs) through the RTL; return ``p`` values (int64)."""
    a = np.asarray(a, dtype=np.int64).ravel()
    b = np.asarray(b, dtype=np.int64).ravel()
    ctrl = {k: np.broadcast_to(np.asarray(v, dtype=np.int64), a.shape) for k, v in controls.items()}
    out = np.zeros(a.shape, dtype=np.int64)
    sim = Simulator(unit)
    ports = {k: getattr(unit, k) for k in ctrl}

    async def bench(ctx):
        for n in range(a.size):
            for k, sig in ports.items():
                ctx.set(sig, int(ctrl[k][n]))
            ctx.set(unit.a, int(a[n]))
            ctx.set(unit.b, int(b[n]))
            out[n] = ctx.get(unit.p)

    sim.add_testbench(bench)
    sim.run()
    return out


def check_against_model(unit, a, b, **controls) -> list[dict]:
    """Mismatches between RTL and model for the given vectors (empty list = equivalent)."""
    a = np.asarray(a, dtype=np.int64).ravel()
    b = np.asarray(b, dtype=np.int64).ravel()
    got = simulate(unit, a, b, **controls)
    expected = np.broadcast_to(unit.model(a, b, **controls), a.shape)
    bad = np.nonzero(got != expected)[0]
    return [
        {"a": int(a[i]), "b": int(b[i]), "expected": int(expected[i]), "got": int(got[i]),
         **{k: int(np.broadcast_to(v, a.shape)[i]) for k, v in controls.items()}}
        for i in bad[:20]
    ]


def check_exhaustive(unit) -> tuple[int, list[dict]]:
    """Every operand pair (and every control value): (vectors checked, mismatches)."""
    a, b = operand_grid(unit)
    controls = unit.extra_inputs
    if not controls:
        return a.size, check_against_model(unit, a, b)
    checked, bad = 0, []
    names = list(controls)
    for values in itertools.product(*(range(1 << controls[k]) for k in names)):
        kw = dict(zip(names, values))
        if hasattr(unit, "valid_controls") and not unit.valid_controls(**kw):
            continue
        bad += check_against_model(unit, a, b, **kw)
        checked += a.size
    return checked, bad
