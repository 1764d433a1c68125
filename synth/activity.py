"""Switching activity of a mapped netlist under a workload, from gate-level simulation.

The mapped netlist is simulated with Icarus Verilog on the liberty's own cell models (the OSU
packages ship ``osu0*_stdcells.v``), one operand vector per clock period. After each vector
has settled, the testbench writes the value of every cell output (and every input port); a
toggle is a change of a settled value from one period to the next, so the counts are the
zero-delay (functional, glitch-free) transition counts that OpenSTA's activity model also
assumes. ``toggle_rate`` is transitions per clock period; ``static_probability`` the fraction
of periods a net is 1.

Workloads: uniform random operands (seeded), or operand samples from a file — ``.npz`` with
integer arrays ``a`` and ``b`` (operand *values*, signed for signed units; optional arrays for
extra control inputs), or ``.npy`` of shape ``(n, 2)`` — used in file order, cyclically when
shorter than the run.

Reference: F. N. Najm, "A survey of power estimation techniques in VLSI circuits", IEEE
Trans. VLSI Systems 2(4), 1994 (simulation-based switching activity; zero-delay model).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np

from axhdl.errors import InputError, ToolFailedError
from axhdl.results import file_hash
from axhdl.toolchain import find, run_tool
from axhdl.unit import operand_range, to_code

from .liberty import Library

__all__ = ["netlist_cells", "workload_vectors", "simulate_activity", "testbench"]


def netlist_cells(netlist_json: str | Path, top: str) -> tuple[dict[str, str], dict[str, dict]]:
    """``({instance: cell type}, {port: {"direction", "width"}})`` from Yosys' JSON netlist."""
    data = json.loads(Path(netlist_json).read_text())
    try:
        module = data["modules"][top]
    except KeyError:
        raise ToolFailedError(f"netlist JSON has no module {top}") from None
    cells = {name: c["type"] for name, c in module.get("cells", {}).items()}
    ports = {
        name: {"direction": p["direction"], "width": len(p["bits"])}
        for name, p in module.get("ports", {}).items()
    }
    return cells, ports


def _check_values(name: str, values: np.ndarray, width: int, signed: bool, source: str) -> None:
    lo, hi = operand_range(width, signed)
    if values.size and (values.min() < lo or values.max() > hi):
        bad = values[(values < lo) | (values > hi)][0]
        kind = "signed" if signed else "unsigned"
        raise InputError(
            f"Workload file {source}: operand {name} holds {int(bad)}, outside {lo}..{hi} "
            f"({width}-bit {kind})"
        )


def _load_workload(path: Path, unit) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise InputError(f"Workload file not found: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"Workload file {path} is not a .npy/.npz file: {e}") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
        missing = [k for k in ("a", "b") if k not in arrays]
        if missing:
            raise InputError(
                f"Workload file {path} must hold arrays 'a' and 'b'; missing "
                f"{', '.join(repr(m) for m in missing)}"
            )
    else:
        arr = np.asarray(data)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError(
                f"Workload file {path}: a .npy workload must have shape (n, 2) "
                f"(columns a, b), not {arr.shape}"
            )
        arrays = {"a": arr[:, 0], "b": arr[:, 1]}
    out = {}
    for name, arr in arrays.items():
        if name not in ("a", "b") and name not in unit.extra_inputs:
            continue
        arr = np.asarray(arr).reshape(-1)
        if not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(
                arr == np.round(arr)
            ):
                arr = arr.astype(np.int64)
            else:
                raise InputError(
                    f"Workload file {path}: operand {name} must hold integers, not {arr.dtype}"
                )
        out[name] = arr.astype(np.int64)
    lengths = {k: len(v) for k, v in out.items()}
    if len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise InputError(
            f"Workload file {path}: operand arrays must be non-empty and of equal length, "
            f"not {lengths}"
        )
    return out


def workload_vectors(
    unit, *, workload: str | Path | None, vectors: int, seed: int, warmup: int = 0
) -> tuple[dict[str, np.ndarray], dict]:
    """Input codes for ``warmup + vectors + 1`` clock periods, and a description.

    ``vectors`` operations are ``vectors`` transitions between consecutive operand pairs.
    """
    total = warmup + vectors + 1
    widths = {"a": unit.a_width, "b": unit.b_width}
    signed = {"a": unit.signed, "b": unit.signed}
    for k, w in unit.extra_inputs.items():
        widths[k] = w
        signed[k] = False
    if workload is None:
        rng = np.random.default_rng(seed)
        values = {}
        for name in ("a", "b"):
            lo, hi = operand_range(widths[name], signed[name])
            values[name] = rng.integers(lo, hi + 1, size=total, dtype=np.int64)
        desc = {"kind": "uniform", "seed": seed, "vectors": vectors}
    else:
        path = Path(workload)
        samples = _load_workload(path, unit)
        n = len(samples["a"])
        for name, arr in samples.items():
            _check_values(name, arr, widths[name], signed[name], str(path))
        values = {name: np.resize(arr, total) for name, arr in samples.items()}
        desc = {
            "kind": "file",
            "path": str(path),
            "sha256": file_hash(path),
            "samples": n,
            "vectors": vectors,
        }
    for name in widths:
        values.setdefault(name, np.zeros(total, dtype=np.int64))
    codes = {name: to_code(values[name], widths[name]) for name in widths}
    return codes, desc


def _vname(name: str) -> str:
    """A Verilog identifier, escaped when needed."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
        return name
    return "\\" + name + " "


def testbench(
    top: str,
    ports: dict[str, dict],
    probes: list[str],
    n_vectors: int,
    stim_inputs: list[tuple[str, int]],
    *,
    clock: str | None,
) -> str:
    """A testbench that applies ``stimulus.hex`` and writes the probes to ``samples.txt``.

    Each vector occupies one 10 ns slot: inputs change at 0 (clock low), the clock rises at 5,
    the probes are sampled at 8. Inputs not stimulated (a reset, say) are held at 0.
    """
    decls, conns = [], []
    for name, p in ports.items():
        rng = f"[{p['width'] - 1}:0] " if p["width"] > 1 else ""
        kind = "reg" if p["direction"] == "input" else "wire"
        decls.append(f"  {kind} {rng}{_vname(name)};")
        conns.append(f".{_vname(name)}({_vname(name)})")
    stim_width = sum(w for _, w in stim_inputs)
    pad = (-len(probes)) % 4
    refs = [f"{pad}'b0"] if pad else []
    refs += probes
    held = [
        name for name, p in ports.items()
        if p["direction"] == "input" and name not in dict(stim_inputs) and name != clock
    ]
    lines = [
        "`timescale 1ns/1ps",
        "module axhdl_tb;",
        *decls,
        f"  reg [{stim_width - 1}:0] axhdl_stim [0:{n_vectors - 1}];",
        f"  {_vname(top)} dut ({', '.join(conns)});",
        "  integer axhdl_fd, axhdl_i;",
        "  initial begin",
        '    $readmemh("stimulus.hex", axhdl_stim);',
        '    axhdl_fd = $fopen("samples.txt", "w");',
        *[f"    {_vname(h)} = 0;" for h in held],
        *([f"    {_vname(clock)} = 0;"] if clock else []),
        f"    for (axhdl_i = 0; axhdl_i < {n_vectors}; axhdl_i = axhdl_i + 1) begin",
        f"      {{{', '.join(_vname(n) for n, _ in stim_inputs)}}} = axhdl_stim[axhdl_i];",
        *([f"      {_vname(clock)} = 0;"] if clock else []),
        "      #5;",
        *([f"      {_vname(clock)} = 1;"] if clock else []),
        "      #3;",
        f'      $fwrite(axhdl_fd, "%h\\n", {{{", ".join(refs)}}});',
        "      #2;",
        "    end",
        "    $fclose(axhdl_fd);",
        "    $finish;",
        "  end",
        "endmodule",
        "",
    ]
    return "\n".join(lines)


_HEX = np.full(256, -1, dtype=np.int8)
for _i, _c in enumerate("0123456789abcdef"):
    _HEX[ord(_c)] = _i
    _HEX[ord(_c.upper())] = _i


def _parse_samples(path: Path, n_rows: int, n_probes: int) -> tuple[np.ndarray, np.ndarray]:
    """``samples.txt`` (hex lines) → bool array ``(n_rows, n_probes)`` and the rows holding
    an unknown (x/z) digit."""
    raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    digits = (n_probes + 3) // 4
    if raw.size != n_rows * (digits + 1):
        raise ToolFailedError(
            f"Icarus wrote {raw.size} bytes of samples, expected {n_rows * (digits + 1)}"
        )
    nib = _HEX[raw.reshape(n_rows, digits + 1)[:, :digits]]
    bits = ((nib[:, :, None].astype(np.int16) >> np.arange(3, -1, -1)) & 1).astype(bool)
    bits = bits.reshape(n_rows, digits * 4)[:, digits * 4 - n_probes:]
    unknown = (nib < 0).any(axis=1)
    return bits, unknown


def simulate_activity(
    netlist: str | Path,
    top: str,
    library: Library,
    cells_v: str | Path,
    instances: dict[str, str],
    ports: dict[str, dict],
    codes: dict[str, np.ndarray],
    *,
    clock: str | None = None,
    warmup: int = 0,
    timeout: float = 600,
) -> dict:
    """Simulate ``netlist`` with Icarus under ``codes`` and count toggles of every cell output.

    Returns ``{"instances": {inst: {"toggle_rate", "static_probability", "pins"}},
    "inputs": {port bit: {...}}, "outputs": {port bit: {...}}, "transitions": N}``; rates are
    transitions per clock period over the periods after ``warmup``. Multi-output cells report
    the mean over their outputs.
    """
    iverilog, vvp = find("iverilog"), find("vvp")
    cells_v = Path(cells_v)
    if not cells_v.is_file():
        raise InputError(f"Cell models not found: {cells_v} (give them with --cells-v)")
    probes: list[str] = []
    owners: list[tuple[str, str]] = []
    for inst, ctype in instances.items():
        cell = library.cells.get(ctype)
        if cell is None:
            raise ToolFailedError(f"netlist cell {inst} has type {ctype}, not in {library.path}")
        for pin in cell.outputs:
            probes.append(f"dut.{_vname(inst)}.{pin}")
            owners.append((inst, pin))
    stim_inputs = [(n, ports[n]["width"]) for n in codes if n in ports]
    for name, width in stim_inputs:
        for bit in range(width):
            ref = f"{_vname(name)}[{bit}]" if width > 1 else _vname(name)
            probes.append(ref)
            owners.append(("<input>", f"{name}[{bit}]"))
    for name, p in ports.items():
        if p["direction"] == "output":
            for bit in range(p["width"]):
                probes.append(f"{_vname(name)}[{bit}]" if p["width"] > 1 else _vname(name))
                owners.append(("<output>", f"{name}[{bit}]"))
    n_rows = len(next(iter(codes.values())))
    stim = np.zeros(n_rows, dtype=object)
    for name, width in stim_inputs:
        stim = (stim << width) | codes[name].astype(object)
    stim_width = sum(w for _, w in stim_inputs)
    digits = (stim_width + 3) // 4
    with tempfile.TemporaryDirectory(prefix="axhdl-activity-") as tmp:
        work = Path(tmp)
        (work / "netlist.v").write_text(Path(netlist).read_text())
        (work / "stimulus.hex").write_text("".join(f"{int(v):0{digits}x}\n" for v in stim))
        (work / "tb.v").write_text(
            testbench(top, ports, probes, n_rows, stim_inputs, clock=clock)
        )
        run_tool(
            [iverilog, "-g2005", "-o", "sim.vvp", "-s", "axhdl_tb", "tb.v", "netlist.v",
             str(cells_v.resolve())],
            cwd=work, timeout=timeout, what="iverilog",
        )
        run_tool([vvp, "-n", "sim.vvp"], cwd=work, timeout=timeout, what="vvp")
        bits, unknown = _parse_samples(work / "samples.txt", n_rows, len(probes))
    counted = bits[warmup:]
    if unknown[warmup:].any():
        row = int(np.argmax(unknown[warmup:])) + warmup
        raise ToolFailedError(f"gate-level simulation has unknown (x/z) values in period {row}")
    transitions = counted.shape[0] - 1
    toggles = (counted[1:] != counted[:-1]).sum(axis=0)
    ones = counted[1:].sum(axis=0)
    per_inst: dict[str, dict] = {}
    ports_activity: dict[str, dict[str, dict]] = {"<input>": {}, "<output>": {}}
    for j, (inst, pin) in enumerate(owners):
        rate = float(toggles[j]) / transitions if transitions else 0.0
        prob = float(ones[j]) / transitions if transitions else float(counted[0, j])
        if inst in ports_activity:
            ports_activity[inst][pin] = {"toggle_rate": rate, "static_probability": prob}
            continue
        entry = per_inst.setdefault(inst, {"pins": {}})
        entry["pins"][pin] = {"toggle_rate": rate, "static_probability": prob}
    for entry in per_inst.values():
        pins = entry["pins"].values()
        entry["toggle_rate"] = sum(p["toggle_rate"] for p in pins) / len(pins)
        entry["static_probability"] = sum(p["static_probability"] for p in pins) / len(pins)
    return {
        "instances": per_inst,
        "inputs": ports_activity["<input>"],
        "outputs": ports_activity["<output>"],
        "transitions": transitions,
    }
