"""Power from simulated switching activity, with OpenSTA doing the liberty work.

OpenSTA 2.0.17 honours a global activity (``set_power_activity -global``) but not a per-pin
one, and its per-instance power is linear in that activity: for each cell *c*

    P_c(α) = P_c(0) + α · (P_c(α₀) − P_c(0)) / α₀

where α is the activity (transitions per clock period) of the cell's pins. ``P_c(0)`` is the
cell's leakage plus, for a flip-flop, its clock-pin power; the slope is the cell's internal
energy per output transition (the liberty's ``internal_power`` tables interpolated at the real
input slews and output load) plus ½·C_load·V² of its output net, per clock period. The
calibration runs (:mod:`axhdl.synth.sta`) measure ``P_c(0)`` and ``P_c(α₀)``; this module
replaces α by the cell's *simulated* output toggle rate r_c and sums:

    P = Σ_c [P_c(0) + r_c · (P_c(α₀) − P_c(0)) / α₀]     (internal and switching parts alike)

When every r_c equals α, the sum is exactly OpenSTA's own total at global activity α.

Assumptions (documented in docs/ppa.md): zero-delay (glitch-free) activity, the same for all
input pins of a cell as OpenSTA's global activity assumes (so a cell's internal energy is the
average over its input arcs, as OpenSTA computes it at equal activities); a multi-output cell
uses the mean toggle rate of its outputs; switching power of a net is charged to its driver, so
the input-port nets (driven from outside) count nothing, and the output loads count at the
driving cells.
"""

from __future__ import annotations

from axhdl.errors import ToolFailedError

__all__ = ["power_from_activity", "energy_pj"]

PARTS = ("internal", "switching", "leakage")


def power_from_activity(calibration: dict, toggle_rates: dict[str, float]) -> dict:
    """Total and per-part power (W) for per-instance toggle rates (transitions per period).

    ``calibration`` is :func:`axhdl.synth.sta.parse_sta`'s ``calibration`` block.
    """
    alpha0 = calibration["activity"]
    idle, active = calibration["idle"], calibration["active"]
    if set(idle) != set(active) or not idle:
        raise ToolFailedError("OpenSTA's calibration runs listed different instances")
    missing = sorted(set(idle) - set(toggle_rates))
    if missing:
        raise ToolFailedError(
            f"no simulated activity for {len(missing)} cell(s), e.g. {', '.join(missing[:3])}"
        )
    totals = dict.fromkeys(PARTS, 0.0)
    for inst, p0 in idle.items():
        p1 = active[inst]
        r = toggle_rates[inst]
        for part in PARTS:
            totals[part] += p0[part] + r * (p1[part] - p0[part]) / alpha0
    totals["total"] = sum(totals[p] for p in PARTS)
    return totals


def energy_pj(power_w: float, period_ns: float) -> float:
    """Energy per operation (one operation per clock period), in picojoules."""
    return power_w * period_ns * 1e3
