"""Static timing and per-cell power with OpenSTA (Debian ``opensta`` 2.0.17, command ``sta``).

One non-interactive run (``sta -no_init -no_splash -exit sta.tcl``) on the mapped netlist gives:

* the critical path and its delay. Constraints: a clock of the target period (a virtual clock
  for combinational units, the ``clk`` port for registered ones); input and output delays 0, so
  a combinational unit's critical path is its input-to-output delay; every input driven by the
  library's smallest inverter (realistic input slews); every output loaded with four of that
  inverter's input pins (a fan-out-of-4 load);
* OpenSTA's vectorless power estimate from an input-port activity;
* a calibration of every cell's power: ``report_power``'s per-instance internal, switching and
  leakage power with every net at activity 0 and at a known activity. OpenSTA's power is linear
  in the activity (the liberty's internal-energy tables and ½·C·V² per transition, times
  transitions per second), so the two runs give each cell's activity-independent power and its
  power per unit of output activity; :mod:`axhdl.synth.power` weights the latter with the
  simulated toggle rates.

Reference: J. Cherry, "OpenSTA" (Parallax Software, 2019), commands ``report_checks``,
``set_power_activity`` and ``report_power``.
"""

from __future__ import annotations

import math
import re
import tempfile
from importlib import resources
from pathlib import Path

from axhdl.errors import ToolFailedError
from axhdl.toolchain import find, run_tool

from .liberty import Library

__all__ = ["fill_template", "sta_script", "run_sta", "parse_sta", "CALIBRATION_ACTIVITY"]

#: the activity (transitions per clock period) of the calibration run
CALIBRATION_ACTIVITY = 0.5
#: input-port activity of the vectorless estimate: uniform random bits toggle half the time
VECTORLESS_INPUT_ACTIVITY = 0.5
#: output load in units of the driver inverter's input capacitance
LOAD_FANOUT = 4


def fill_template(name: str, values: dict[str, str]) -> str:
    """The template ``synth/templates/<name>`` with every ``@key@`` replaced."""
    text = resources.files("axhdl.synth").joinpath("templates", name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = sorted(set(re.findall(r"@([a-z_]+)@", text)))
    if left:
        raise RuntimeError(f"template {name}: no value for {', '.join(left)}")
    return text


def _tcl_word(text: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./+-]+", text):
        return text
    return "{" + text.replace("}", "\\}") + "}"


def sta_script(
    top: str,
    library: Library,
    period_ns: float,
    *,
    clock: str | None = None,
    ideal_inputs: tuple[str, ...] = (),
) -> str:
    """The OpenSTA Tcl script for ``netlist.v`` in the working directory.

    ``ideal_inputs``: input ports treated as ideal nets (no driving cell, zero transition),
    as a clock is: high-fanout control inputs (a reset, a stall) that a real implementation
    drives through a buffer tree."""
    inv = library.smallest_inverter()
    ideal = ""
    if ideal_inputs:
        names = " ".join(ideal_inputs)
        ideal = (
            f"set axhdl_ideal [get_ports {{{names}}}]\n"
            "set_input_transition 0 $axhdl_ideal\n"
            "set axhdl_driven {}\n"
            "foreach axhdl_port $axhdl_inputs {\n"
            f"  if {{[lsearch -exact {{{names}}} [get_full_name $axhdl_port]] < 0}} "
            "{ lappend axhdl_driven $axhdl_port }\n"
            "}\n"
            "set axhdl_inputs $axhdl_driven\n"
        )
    if inv is not None:
        cell, pin_in, pin_out = inv
        driver = ideal + f"set_driving_cell -lib_cell {cell.name} -pin {pin_out} $axhdl_inputs"
        load = LOAD_FANOUT * library.cap_in_pf(cell.pins[pin_in].capacitance)
    else:  # no inverter: ideal inputs with a modest slew, a 4 fF-per-fan-out load
        driver = ideal + "set_input_transition 0.1 $axhdl_inputs"
        load = LOAD_FANOUT * 0.01
    if clock:
        clock_cmd = f"create_clock -name {clock} -period {period_ns:.6g} [get_ports {clock}]"
        not_clock = (
            "set axhdl_inputs {}\n"
            "foreach axhdl_port [all_inputs] {\n"
            f"  if {{[get_full_name $axhdl_port] ne {{{clock}}}}} "
            "{ lappend axhdl_inputs $axhdl_port }\n"
            "}"
        )
        clock_name = clock
    else:
        clock_cmd = f"create_clock -name axhdl_vclk -period {period_ns:.6g}"
        not_clock = ""
        clock_name = "axhdl_vclk"
    return fill_template(
        "sta.tcl",
        {
            "liberty": _tcl_word(library.path),
            "top": top,
            "clock": clock_cmd,
            "not_clock": not_clock,
            "clock_name": clock_name,
            "load_pf": f"{load:.6g}",
            "driver": driver,
            "input_activity": VECTORLESS_INPUT_ACTIVITY,
            "calibration": CALIBRATION_ACTIVITY,
        },
    )


_PATH_ROW = re.compile(
    r"^\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s+([\^v])\s+(\S+)\s+\(([^)]+)\)\s*$"
)


def _power4(fields: list[str]) -> dict[str, float]:
    internal, switching, leakage, total = (float(x) for x in fields[:4])
    return {"internal": internal, "switching": switching, "leakage": leakage, "total": total}


def parse_sta(log: str, period_ns: float) -> dict:
    """Timing, vectorless power and per-cell calibration from the script's output."""
    if "AXHDL_PATH_BEGIN" not in log or "AXHDL design" not in log:
        raise ToolFailedError("OpenSTA stopped early:\n" + "\n".join(log.splitlines()[-20:]))
    path_text = log.split("AXHDL_PATH_BEGIN", 1)[1].split("AXHDL_PATH_END", 1)[0]
    path = []
    for line in path_text.splitlines():
        m = _PATH_ROW.match(line)
        if not m:
            continue
        delay, arrival, edge, pin, cell = m.groups()
        if cell in ("in", "out") or "/" in pin:
            path.append({
                "pin": pin,
                "cell": cell,
                "edge": "rise" if edge == "^" else "fall",
                "delay_ns": float(delay),
                "arrival_ns": float(arrival),
            })
    arrival_m = re.search(r"^\s*(-?[0-9.]+)\s+data arrival time", path_text, re.M)
    slack = None
    calib: dict[float, dict[str, dict]] = {}
    design: dict[float, dict[str, float]] = {}
    vectorless = None
    for line in log.splitlines():
        if not line.startswith("AXHDL "):
            continue
        parts = line.split()
        if parts[1] == "slack":
            try:
                slack = float(parts[2])
            except ValueError:  # no constrained path (e.g. constant outputs): INF
                slack = None
        elif parts[1] == "vectorless":
            vectorless = _power4(parts[2:])
        elif parts[1] == "design":
            design[float(parts[2])] = _power4(parts[3:])
        elif parts[1] == "inst":
            act = float(parts[2])
            ref = parts[3]
            name = line.split(None, 8)[8]
            entry = _power4(parts[4:8])
            entry["cell"] = ref
            calib.setdefault(act, {})[name] = entry
    if slack is not None and not math.isfinite(slack):
        slack = None
    if slack is None or not path:
        delay = 0.0
        slack = period_ns
    else:
        delay = float(arrival_m.group(1)) if arrival_m else path[-1]["arrival_ns"]
    min_period = period_ns - slack
    return {
        "delay_ns": delay,
        "slack_ns": slack,
        "min_period_ns": min_period,
        "fmax_mhz": (1000.0 / min_period) if min_period > 0 else None,
        "critical_path": path,
        "vectorless_power_w": vectorless,
        "calibration": {
            "activity": CALIBRATION_ACTIVITY,
            "idle": calib.get(0.0, {}),
            "active": calib.get(CALIBRATION_ACTIVITY, {}),
            "design_idle": design.get(0.0),
            "design_active": design.get(CALIBRATION_ACTIVITY),
        },
    }


def run_sta(
    netlist: str | Path,
    top: str,
    library: Library,
    period_ns: float,
    *,
    clock: str | None = None,
    timeout: float = 600,
    extra_tcl: str = "",
    ideal_inputs: tuple[str, ...] = (),
) -> dict:
    """Run OpenSTA on ``netlist`` and return :func:`parse_sta`'s figures (plus ``log``)."""
    sta = find("sta")
    script = sta_script(top, library, period_ns, clock=clock,
                        ideal_inputs=tuple(ideal_inputs)) + extra_tcl
    with tempfile.TemporaryDirectory(prefix="axhdl-sta-") as tmp:
        work = Path(tmp)
        (work / "netlist.v").write_text(Path(netlist).read_text())
        (work / "sta.tcl").write_text(script)
        proc = run_tool(
            [sta, "-no_init", "-no_splash", "-exit", "sta.tcl"],
            cwd=work, timeout=timeout, what="OpenSTA", check=False,
        )
    log = proc.stdout + proc.stderr
    errors = [ln for ln in log.splitlines() if ln.startswith("Error")]
    if proc.returncode != 0 or errors:
        tail = "\n".join(errors[-5:] or log.strip().splitlines()[-20:])
        raise ToolFailedError(f"OpenSTA failed (exit {proc.returncode}):\n{tail}")
    result = parse_sta(proc.stdout, period_ns)
    result["log"] = proc.stdout
    return result
