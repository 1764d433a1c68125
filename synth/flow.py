"""The PPA flow: synthesis, timing, data-driven power and energy, savings against the exact unit.

``ppa(unit)`` runs, for the unit and for the exact unit of the same widths and signedness that
its operation names (the baseline: ``exact`` for a multiplier), the identical flow:

1. **Synthesis** (Yosys, :func:`axhdl.synth.yosys.synthesize`): flatten, generic synthesis
   (transistor estimate ``stat -tech cmos``), ``dfflibmap`` for registered units, ``abc``
   mapping to the liberty with the clock period as delay target, area and cells from
   ``stat -liberty``, logic depth from ``ltp``.
2. **Timing** (OpenSTA, :mod:`axhdl.synth.sta`): critical path and its delay, the maximum
   clock frequency, and a per-cell power calibration.
3. **Activity**: toggle rates of every cell output under a workload — uniform random operands
   (seeded) or operand samples from a file — one operation per clock period, from the
   in-process evaluator (:mod:`axhdl.synth.evaluator`) or Icarus on the liberty's cell models
   (:mod:`axhdl.synth.activity`), which give the same counts. Registered units (MACs, systolic
   arrays) are evaluated cycle by cycle under a streamed workload from reset (GEMMs through
   the array's host procedure), their outputs checked against the golden model.
4. **Power** (:mod:`axhdl.synth.power`): each cell's calibrated power weighted by its simulated
   toggle rate; internal, switching, leakage; energy per operation = total power × period.

The default period is the critical-path delay of the exact unit of the same widths mapped
without a delay target, rounded up to 0.1 ns: the baseline meets it, and the unit and its
baseline are always compared at one period.

Every stage is cached by the hash of its inputs (Verilog, liberty file, period, workload,
seed, vectors, cell models, tool versions); every result carries its provenance.

The result is a :class:`PPAResult` (the unit's :class:`UnitPPA` figures, the baseline's, the
savings); :data:`FIGURES` lists the figures reports show, with their labels and units, and
which of them are compared with the baseline (``savings_pct``).

References: the flow follows MAxPy (Y. Arbeletche et al., "MAxPy: a framework for bridging
approximate computing circuits and their applications", IEEE TCAS-II, 2023 — Yosys and
OpenSTA around Python), with power from gate-level switching activity as in EvoApproxLib
(V. Mrazek et al., "EvoApproxSb: library of approximate adders and multipliers for circuit
design and benchmarking of approximation methods", DATE 2017).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path

from axhdl.errors import InputError, ToolFailedError
from axhdl.registry import make_unit
from axhdl.results import Record, cached_stage, file_hash, provenance
from axhdl.toolchain import OSU018_CELLS_V, OSU018_LIBERTY, default_liberty

from .activity import (
    check_trace,
    netlist_cells,
    sequential_workload,
    simulate_activity,
    workload_vectors,
)
from .evaluator import (
    SequentialNetlist,
    Unsupported,
    evaluate_activity,
    evaluate_sequential,
    supports,
    supports_sequential,
)
from .liberty import Library, load_liberty
from .power import energy_pj, power_from_activity
from .sta import run_sta
from .yosys import synthesize

__all__ = [
    "ppa",
    "PPAResult",
    "UnitPPA",
    "Figure",
    "implement",
    "default_period",
    "baseline_unit",
    "resolve_liberty",
    "cells_model_for",
    "FLOW_VERSION",
    "FIGURES",
    "SAVINGS_ORDER",
    "compared_figures",
]

#: bump when a change of the flow changes its numbers (part of every cache key)
FLOW_VERSION = 2

ACTIVITY_MODES = ("simulated", "vectorless")
SIMULATORS = ("auto", "evaluator", "icarus")


# -- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPPA(Record):
    """The figures of one unit mapped at one period (the unit's own, or its baseline's)."""

    spec: str
    name: str
    #: cell area in the liberty's area unit
    area: float
    cells: int
    cell_histogram: dict[str, int]
    #: generic CMOS transistor estimate (Yosys ``stat -tech cmos``)
    transistors: int
    #: cells on the longest path
    depth: int
    delay_ns: float
    slack_ns: float
    fmax_mhz: float
    critical_path: list[dict]
    period_ns: float
    #: W: internal, switching, leakage, total
    power_w: dict[str, float]
    energy_pj: float
    #: power × delay
    pdp_pj: float
    #: how the switching activity was obtained (mode, engine, workload, toggle rates)
    activity: dict
    vectorless_power_w: dict[str, float]
    #: the mapped netlist (structural Verilog)
    netlist: str
    # -- MACs and arrays only (None, and absent from the JSON, for other units) ----------
    #: clock cycles from an input to its effect on the outputs (the unit's latency)
    latency_cycles: int | None = None
    #: processing elements (rows × cols; 1 for a MAC)
    pes: int | None = None
    #: area / pes
    area_per_pe: float | None = None
    #: MACs performed per clock cycle by the simulated workload (fill, drain and weight
    #: loading included)
    macs_per_cycle: float | None = None
    #: MACs per clock cycle when every PE computes (pes × throughput)
    peak_macs_per_cycle: float | None = None
    #: energy per clock × workload cycles / MACs performed
    energy_per_mac_pj: float | None = None

    OMIT_WHEN_NONE = ("latency_cycles", "pes", "area_per_pe", "macs_per_cycle",
                      "peak_macs_per_cycle", "energy_per_mac_pj")


@dataclass(frozen=True)
class PPAResult(UnitPPA):
    """What :func:`ppa` found: the unit's figures, its baseline's, the savings in % and the
    provenance; ``to_dict()`` is ``axhdl synth --json``."""

    OMIT_WHEN_NONE = (*UnitPPA.OMIT_WHEN_NONE, "equivalence")

    #: netlist-vs-RTL proof (``prove=True`` only)
    equivalence: dict | None = None
    #: the exact unit of the same widths, at the same period (None without a baseline)
    baseline: UnitPPA | None = None
    #: savings name (:attr:`Figure.savings`) → 100·(baseline − unit)/baseline
    savings_pct: dict[str, float | None] | None = None
    liberty: str = ""
    corner: str | None = None
    provenance: dict | None = None


@dataclass(frozen=True)
class Figure:
    """One figure of a PPA result as reports show it: ``label``, ``unit`` (the text of the
    unit shown), where the value lives (attribute ``attr`` of :class:`UnitPPA`, and ``item``
    of it when that is a dict), the display factor ``scale`` (W → mW), and ``savings``: the
    key of ``savings_pct`` when the figure is compared with the baseline."""

    label: str
    attr: str
    unit: str = ""
    item: str | None = None
    scale: float = 1.0
    savings: str | None = None

    def value(self, result: UnitPPA):
        """The figure as stored (SI-prefixed units of the result's keys)."""
        v = getattr(result, self.attr)
        return v[self.item] if self.item is not None else v

    def shown(self, result: UnitPPA):
        """The figure in the unit reports show (:attr:`unit`)."""
        v = self.value(result)
        return v * self.scale if self.scale != 1.0 and v is not None else v


#: every figure of a PPA result, in report order (``axhdl synth`` prints one row each)
FIGURES: tuple[Figure, ...] = (
    Figure("area", "area", "liberty units", savings="area"),
    Figure("cells", "cells"),
    Figure("transistors", "transistors", "generic CMOS estimate"),
    Figure("depth", "depth", "cells on the longest path"),
    Figure("delay", "delay_ns", "ns", savings="delay"),
    Figure("fmax", "fmax_mhz", "MHz"),
    Figure("internal power", "power_w", "mW", item="internal", scale=1e3),
    Figure("switching power", "power_w", "mW", item="switching", scale=1e3),
    Figure("leakage power", "power_w", "mW", item="leakage", scale=1e3),
    Figure("total power", "power_w", "mW", item="total", scale=1e3, savings="power"),
    Figure("energy/op", "energy_pj", "pJ", savings="energy"),
    Figure("power x delay", "pdp_pj", "pJ", savings="pdp"),
    # MACs and arrays only: a figure whose value is None is not reported nor compared
    Figure("latency", "latency_cycles", "cycles"),
    Figure("PEs", "pes"),
    Figure("area/PE", "area_per_pe", "liberty units"),
    Figure("MACs/cycle", "macs_per_cycle", "simulated workload"),
    Figure("peak MACs/cycle", "peak_macs_per_cycle"),
    Figure("energy/MAC", "energy_per_mac_pj", "pJ", savings="energy_per_mac"),
)

#: the order of the keys of ``savings_pct`` (part of the JSON output); a compared figure not
#: listed here follows them, in :data:`FIGURES` order
SAVINGS_ORDER = ("area", "power", "energy", "delay", "pdp", "energy_per_mac")


def compared_figures() -> tuple[Figure, ...]:
    """The figures compared with the baseline, in ``savings_pct`` order."""
    compared = [f for f in FIGURES if f.savings is not None]
    rank = {name: i for i, name in enumerate(SAVINGS_ORDER)}
    return tuple(sorted(compared, key=lambda f: rank.get(f.savings, len(rank))))


# -- inputs ------------------------------------------------------------------------------

def resolve_liberty(liberty: str | os.PathLike | None) -> Library:
    """The liberty to map to (default OSU 0.18 µm), parsed; InputError naming a bad file."""
    path = default_liberty() if liberty is None else str(liberty)
    return load_liberty(path)


def cells_model_for(library: Library, cells_v: str | os.PathLike | None = None) -> Path:
    """The Verilog cell models that simulate ``library``'s cells: ``cells_v`` if given, else
    the ``.v`` file beside the ``.lib`` (the OSU packages ship ``osu0*_stdcells.v``)."""
    if cells_v is not None:
        path = Path(cells_v)
        if path.is_dir():
            raise InputError(f"Cell models file {cells_v} is a directory, not a file")
        if not path.is_file():
            raise InputError(f"Cell models file not found: {cells_v}")
        return path
    lib = Path(library.path)
    if lib == OSU018_LIBERTY.resolve():
        return OSU018_CELLS_V
    beside = lib.with_suffix(".v")
    if beside.is_file():
        return beside
    raise InputError(
        f"No Verilog cell models for liberty {library.path} (looked for {beside}); "
        f"give them with --cells-v, or use --activity vectorless"
    )


def _check_library(library: Library, unit, registered: bool) -> None:
    if not any(c.combinational and not c.dont_use for c in library.cells.values()):
        raise InputError(
            f"Liberty file {library.path} has no combinational cell with a function; "
            f"synthesis needs logic cells"
        )
    if library.smallest_inverter() is None:
        raise InputError(f"Liberty file {library.path} has no inverter cell, which mapping needs")
    if registered and not library.flip_flops():
        raise InputError(
            f"Liberty file {library.path} has no flip-flop cell, which the registered unit "
            f"{unit.spec} (latency {unit.latency}) needs"
        )


def baseline_unit(unit):
    """The exact unit that savings are measured against: ``unit.exact_baseline()`` where the
    unit has one (MACs and arrays: the same geometry and registers with the exact multiplier
    and adder in every PE), else the exact unit of the same widths that the unit's operation
    names (``exact`` for a multiplier); None where there is none."""
    if hasattr(unit, "exact_baseline"):
        return unit.exact_baseline()
    spec = unit.operation.baseline_spec()
    return None if spec is None else make_unit(spec)


def _is_array(unit) -> bool:
    """A MAC or an array: reported with MAC figures (energy per MAC, area per PE)."""
    return unit.operation.kind in ("mac", "gemm")


def _pes(unit) -> int:
    return getattr(unit, "rows", 1) * getattr(unit, "cols", 1)


#: input ports treated as ideal nets in timing when the design is registered: the reset and a
#: stream's output-ready (the stall, which enables every register of an array); a real
#: implementation buffers them as a tree, which ABC does not build for primary inputs
IDEAL_INPUTS = ("rst", "o__ready")


# -- stages --------------------------------------------------------------------------------

def _registered(unit) -> bool:
    return unit.latency > 0


def implement(unit, library: Library, period_ns: float | None) -> dict:
    """Synthesis and timing (with the per-cell power calibration) of ``unit``; cached.

    ``period_ns`` None maps without a delay target (used for the default period).
    """
    verilog = unit.verilog()
    registered = _registered(unit)
    _check_library(library, unit, registered)
    lib_hash = file_hash(library.path)
    key = ["implement", verilog, unit.name, lib_hash, period_ns, registered]
    if registered:
        # registered designs: timed with IDEAL_INPUTS (not part of the older keys)
        key.append(["ideal_inputs", *IDEAL_INPUTS])
    if library.units.key() is not None:
        # a liberty in other units than ns/pF/V/nW: never a result of the flows before units
        # were honoured (ns/pF liberties keep their keys: their numbers did not change)
        key.append(["units", *library.units.key()])

    def compute(work: Path) -> dict:
        try:
            synth = synthesize(
                verilog, unit.name, library.path, period_ns=period_ns, workdir=work,
                registered=registered,
            )
        except ToolFailedError as e:
            text = str(e)
            if "liberty" in text.lower() or "dfflibmap" in text.lower():
                raise InputError(
                    f"Liberty file {library.path} cannot be used: "
                    f"{text.splitlines()[-1].strip()}"
                ) from None
            raise
        cells, ports = netlist_cells(work / "netlist.json", unit.name)
        clock = "clk" if registered and "clk" in ports else None
        sta_period = period_ns if period_ns else 10.0
        ideal = tuple(
            p for p in IDEAL_INPUTS
            if registered and ports.get(p, {}).get("direction") == "input"
        )
        sta = run_sta(work / "netlist.v", unit.name, library, sta_period, clock=clock,
                      ideal_inputs=ideal)
        (work / "sta.log").write_text(sta.pop("log"))
        (work / "yosys_script.ys").write_text(synth.pop("script"))
        synth.pop("log")
        return {
            **synth,
            **{k: v for k, v in sta.items()},
            "sta_period_ns": sta_period,
            "instances": cells,
            "ports": ports,
            "clock": clock,
        }

    result, where = cached_stage("implement", [FLOW_VERSION, key], compute)
    result["netlist"] = str(where / "netlist.v")
    result["netlist_json"] = str(where / "netlist.json")
    return result


def default_period(unit, library: Library) -> float:
    """The default clock period for ``unit`` (normally the exact baseline).

    The critical-path delay of ``unit`` mapped without a delay target, rounded up to 0.1 ns;
    if the unit mapped *at* that period (gate sizing toward it) misses it, its delay there,
    rounded up again — so the unit meets the period it is reported at.
    """
    delay = implement(unit, library, None)["delay_ns"]
    period = max(0.1, math.ceil(delay * 10 - 1e-9) / 10)
    for _ in range(3):
        delay = implement(unit, library, period)["delay_ns"]
        if delay <= period + 1e-9:
            break
        period = math.ceil(delay * 10 - 1e-9) / 10
    return round(period, 1)


def _engine(simulator: str, impl: dict, library: Library, registered: bool) -> str:
    if simulator == "icarus":
        return "icarus"
    ok = not registered and supports(library, impl["instances"].values())
    if simulator == "evaluator" and not ok:
        raise InputError(
            "The in-process evaluator handles combinational netlists only; use "
            "--simulator icarus (or auto) for this unit"
        )
    return "evaluator" if ok else "icarus"


def _sequential_engine(simulator: str, impl: dict, library: Library) -> str:
    """The activity engine of a registered unit: the cycle evaluator where it models every
    cell type (D flip-flops on ``clk`` and logic), else Icarus."""
    if simulator == "icarus":
        return "icarus"
    ok = impl["clock"] is not None and supports_sequential(library,
                                                           impl["instances"].values())
    if simulator == "evaluator" and not ok:
        raise InputError(
            "The in-process evaluator handles logic and rising-edge D flip-flops on port "
            "'clk' only; use --simulator icarus (or auto) for this unit"
        )
    return "evaluator" if ok else "icarus"


def _activity(unit, impl: dict, library: Library, cells_v: Path | None, *, workload,
              vectors: int,
              seed: int, simulator: str = "auto", shape: dict | None = None) -> dict:
    registered = _registered(unit)
    if registered:
        return _sequential_activity(unit, impl, library, cells_v, workload=workload,
                                    vectors=vectors, seed=seed, simulator=simulator,
                                    shape=shape)
    warmup = 0
    codes, desc = workload_vectors(unit, workload=workload, vectors=vectors, seed=seed,
                                   warmup=warmup)
    engine = _engine(simulator, impl, library, registered)
    if engine == "icarus" and cells_v is None:
        cells_model_for(library)  # raises the error naming the missing models
    netlist_hash = file_hash(impl["netlist"])
    models_hash = file_hash(cells_v) if engine == "icarus" else file_hash(library.path)
    key = ["activity", engine, netlist_hash, desc, seed, vectors, models_hash, warmup]

    def compute(work: Path) -> dict:
        if engine == "evaluator":
            sim = evaluate_activity(impl["netlist_json"], unit.name, library, codes,
                                    warmup=warmup)
        else:
            sim = simulate_activity(
                impl["netlist"], unit.name, library, cells_v, impl["instances"],
                impl["ports"], codes, clock=impl["clock"], warmup=warmup,
            )
        return {
            "engine": engine,
            "workload": desc,
            "transitions": sim["transitions"],
            **_toggles(sim),
        }

    return cached_stage("activity", [FLOW_VERSION, key], compute)[0]


def _sequential_activity(unit, impl: dict, library: Library, cells_v: Path | None, *,
                         workload, vectors: int, seed: int, simulator: str,
                         shape: dict | None) -> dict:
    """Activity of a registered unit: the workload of
    :func:`axhdl.synth.activity.sequential_workload` (segments from a reset), simulated
    cycle by cycle, the outputs compared with the golden model."""
    plan = sequential_workload(unit, workload=workload, vectors=vectors, seed=seed,
                               shape=shape)
    engine = _sequential_engine(simulator, impl, library)
    if engine == "icarus" and cells_v is None:
        cells_model_for(library)  # raises the error naming the missing models
    netlist_hash = file_hash(impl["netlist"])
    models_hash = file_hash(cells_v) if engine == "icarus" else file_hash(library.path)
    key = ["activity-sequential", engine, netlist_hash, plan.desc, seed, vectors,
           models_hash, plan.warmup]

    def compute(work: Path) -> dict:
        used = engine
        if engine == "evaluator":
            try:
                netlist = SequentialNetlist(impl["netlist_json"], unit.name, library,
                                            impl["clock"])
            except Unsupported as e:  # a connection the type check cannot see
                if simulator == "evaluator" or cells_v is None:
                    raise InputError(
                        f"The in-process evaluator cannot simulate this netlist ({e}); use "
                        f"--simulator icarus"
                    ) from None
                used = "icarus"
        if used == "evaluator":
            sim = evaluate_sequential(netlist, plan.codes, segments=plan.segments,
                                      warmup=plan.warmup)
        else:
            sim = simulate_activity(
                impl["netlist"], unit.name, library, cells_v, impl["instances"],
                impl["ports"], plan.codes, clock=impl["clock"], warmup=plan.warmup,
                segments=plan.segments,
            )
        checked = check_trace(unit, plan, sim["trace"])
        return {
            "engine": used,
            "workload": plan.desc,
            "transitions": sim["transitions"],
            "cycles": plan.cycles,
            "macs": plan.macs,
            "segments": plan.segments,
            "golden_model_check": checked.get("checked"),
            **_toggles(sim),
        }

    return cached_stage("activity", [FLOW_VERSION, key], compute)[0]


def _toggles(sim: dict) -> dict:
    """The per-cell toggle rates and static probabilities and the port activity of a
    simulated workload, as an activity stage records them."""
    return {
        "toggle_rates": {k: v["toggle_rate"] for k, v in sim["instances"].items()},
        "static_probability": {k: v["static_probability"] for k, v in sim["instances"].items()},
        "inputs": sim["inputs"],
        "outputs": sim["outputs"],
    }


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _single(unit, library: Library, period_ns: float, *, activity: str, cells_v: Path | None,
            workload, vectors: int, seed: int, simulator: str,
            shape: dict | None = None) -> UnitPPA:
    impl = implement(unit, library, period_ns)
    mac_figures = {}
    if activity == "vectorless":
        power = dict(impl["vectorless_power_w"])
        act = {"mode": "vectorless", "input_activity": 0.5,
               "note": "OpenSTA propagates input-port activity 0.5, duty 0.5"}
        if _is_array(unit):
            plan = sequential_workload(unit, workload=workload, vectors=vectors, seed=seed,
                                       shape=shape)
            act.update(workload=plan.desc, cycles=plan.cycles, macs=plan.macs)
    else:
        sim = _activity(unit, impl, library, cells_v, workload=workload, vectors=vectors,
                        seed=seed, simulator=simulator, shape=shape)
        power = power_from_activity(impl["calibration"], sim["toggle_rates"])
        act = {
            "mode": "simulated",
            "engine": sim["engine"],
            "workload": sim["workload"],
            "transitions": sim["transitions"],
            "mean_cell_toggle_rate": _mean(sim["toggle_rates"].values()),
            "mean_input_toggle_rate": _mean(v["toggle_rate"] for v in sim["inputs"].values()),
            "mean_output_toggle_rate": _mean(
                v["toggle_rate"] for v in sim["outputs"].values()
            ),
            "mean_static_probability": _mean(sim["static_probability"].values()),
        }
        for extra in ("cycles", "macs", "segments", "golden_model_check"):
            if extra in sim:
                act[extra] = sim[extra]
    energy = energy_pj(power["total"], period_ns)
    if _is_array(unit):
        pes = _pes(unit)
        cycles, macs = act.get("cycles"), act.get("macs")
        mac_figures = dict(
            latency_cycles=unit.latency,
            pes=pes,
            area_per_pe=impl["area"] / pes,
            macs_per_cycle=macs / cycles if cycles else None,
            peak_macs_per_cycle=float(pes * getattr(unit, "throughput", 1)),
            energy_per_mac_pj=energy * cycles / macs if macs else None,
        )
    return UnitPPA(
        spec=unit.spec,
        name=unit.name,
        area=impl["area"],
        cells=impl["cells"],
        cell_histogram=impl["cell_histogram"],
        transistors=impl["transistors"],
        depth=impl["depth"],
        delay_ns=impl["delay_ns"],
        slack_ns=impl["slack_ns"],
        fmax_mhz=impl["fmax_mhz"],
        critical_path=impl["critical_path"],
        period_ns=period_ns,
        power_w=power,
        energy_pj=energy,
        pdp_pj=power["total"] * impl["delay_ns"] * 1e3,
        activity=act,
        vectorless_power_w=impl["vectorless_power_w"],
        netlist=impl["netlist"],
        **mac_figures,
    )


def _savings(unit_r: UnitPPA, base_r: UnitPPA) -> dict[str, float | None]:
    out = {}
    for fig in compared_figures():
        b, u = fig.value(base_r), fig.value(unit_r)
        if b is None and u is None:  # a figure of MACs and arrays only
            continue
        out[fig.savings] = 100.0 * (b - u) / b if b and u is not None else None
    return out


# -- the API -------------------------------------------------------------------------------

#: the longest clock period accepted: 1 ms (a 1 kHz clock); OpenSTA overflows far beyond
MAX_PERIOD_NS = 1e6


def _check_args(period_ns, activity, vectors, seed) -> None:
    if period_ns is not None and (
        isinstance(period_ns, bool) or not isinstance(period_ns, (int, float))
        or not math.isfinite(period_ns) or period_ns <= 0
    ):
        raise InputError(f"Clock period must be a positive number of ns, not {period_ns!r}")
    if period_ns is not None and period_ns > MAX_PERIOD_NS:
        raise InputError(f"Clock period must be at most {MAX_PERIOD_NS:g} ns (1 ms), not "
                         f"{period_ns!r}")
    if activity not in ACTIVITY_MODES:
        raise InputError(
            f"Activity must be one of {', '.join(ACTIVITY_MODES)}, not {activity!r}"
        )
    if isinstance(vectors, bool) or not isinstance(vectors, int) or vectors < 1:
        raise InputError(f"Vectors must be a positive integer, not {vectors!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"Seed must be a non-negative integer, not {seed!r}")


def ppa(
    unit,
    *,
    liberty: str | os.PathLike | None = None,
    period_ns: float | None = None,
    activity: str = "simulated",
    vectors: int = 10000,
    seed: int = 0,
    workload: str | os.PathLike | None = None,
    baseline: bool = True,
    corner: str | None = None,
    cells_v: str | os.PathLike | None = None,
    simulator: str = "auto",
    prove: bool = False,
    m: int | None = None,
    k: int | None = None,
    n: int | None = None,
) -> PPAResult:
    """Area, delay, power and energy per operation of ``unit``, and savings against the exact
    unit of its operation (:func:`baseline_unit`), as a :class:`PPAResult`.

    See the module docstring for the flow and docs/ppa.md for its assumptions. ``prove`` also
    proves the mapped netlist equivalent to the RTL with Yosys. ``simulator``: ``icarus``
    (gate-level simulation on the liberty's cell models), ``evaluator`` (in-process, same
    toggle counts, combinational netlists only) or ``auto`` (the evaluator where it applies).

    MACs and arrays (``mac:``, ``systolic:``) are simulated cycle by cycle under a streamed
    workload (:func:`axhdl.synth.activity.sequential_workload`: random GEMMs of ``m``×``k`` by
    ``k``×``n``, dot products of length ``k`` for a MAC, or ``workload``) by a cycle-based
    evaluator (or Icarus), their outputs checked against the golden model, and reported with
    ``area_per_pe``, ``energy_per_mac_pj``, ``macs_per_cycle`` and ``latency_cycles``; the
    baseline is ``unit.exact_baseline()``.
    """
    _check_args(period_ns, activity, vectors, seed)
    shape = {key: v for key, v in (("m", m), ("k", k), ("n", n)) if v is not None}
    if shape and not _is_array(unit):
        raise InputError(
            f"--m/--k/--n apply to mac and systolic specs; {unit.spec} is a {unit.kind}"
        )
    if simulator not in SIMULATORS:
        raise InputError(
            f"Simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}"
        )
    start = time.monotonic()
    library = resolve_liberty(liberty)
    _check_library(library, unit, _registered(unit))
    models = None
    if activity == "simulated":
        try:
            models = cells_model_for(library, cells_v)
        except InputError:
            if cells_v is not None or simulator == "icarus":
                raise
            # the evaluator needs no cell models; a unit that must be simulated says so later
    if workload is not None and not Path(workload).is_file():
        raise InputError(f"Workload file not found: {workload}")
    if _is_array(unit):  # a bad shape or workload file is reported before any synthesis
        sequential_workload(unit, workload=workload, vectors=1, seed=seed,
                            shape=shape or None)
    base_unit = baseline_unit(unit) if baseline else None
    period_source = "given"
    if period_ns is None:
        period_ns = default_period(base_unit or baseline_unit(unit) or unit, library)
        period_source = "the exact unit's delay, rounded up to 0.1 ns"
    period_ns = float(period_ns)
    common = dict(activity=activity, cells_v=models, workload=workload, vectors=vectors,
                  seed=seed, simulator=simulator, shape=shape or None)
    own = _single(unit, library, period_ns, **common)
    equivalence = None
    if prove:
        from .equiv import prove_equivalent

        equivalence = prove_equivalent(
            unit.verilog(), unit.name, Path(own.netlist).read_text(), unit.name,
            liberty=library.path, depth=(unit.latency + 2) if _registered(unit) else 0,
        )
    base = savings = None
    if base_unit is not None:
        base = _single(base_unit, library, period_ns, **common)
        savings = _savings(own, base)
    prov = provenance(
        unit,
        flow="axhdl.synth.flow",
        flow_version=FLOW_VERSION,
        verilog_sha256=hashlib.sha256(unit.verilog().encode()).hexdigest(),
        liberty=library.path,
        liberty_sha256=file_hash(library.path),
        corner=corner,
        period_ns=period_ns,
        period_source=period_source,
        activity=activity,
        workload=own.activity.get("workload") if activity == "simulated" else None,
        seed=seed,
        vectors=vectors,
        simulator=simulator,
        cells_v=str(models) if models else None,
        cells_v_sha256=file_hash(models) if models else None,
        baseline=base_unit.spec if base_unit is not None else None,
        seconds=round(time.monotonic() - start, 3),
    )
    return PPAResult(
        **{f.name: getattr(own, f.name) for f in fields(UnitPPA)},
        equivalence=equivalence,
        baseline=base,
        savings_pct=savings,
        liberty=library.path,
        corner=corner,
        provenance=prov,
    )
