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

Registered units (MACs, systolic arrays) are clocked: each sample holds one clock cycle's
settled values (the inputs change just after the rising edge), and their workloads
(:func:`sequential_workload`) are segments that each start with a reset cycle, streamed as the
unit's host procedure streams GEMMs; :func:`check_trace` compares the simulated outputs with
the golden model.

Reference: F. N. Najm, "A survey of power estimation techniques in VLSI circuits", IEEE
Trans. VLSI Systems 2(4), 1994 (simulation-based switching activity; zero-delay model).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from axhdl.errors import InputError, ToolFailedError
from axhdl.results import file_hash
from axhdl.toolchain import find, run_tool
from axhdl.unit import operand_range, to_code

from .liberty import Library

__all__ = [
    "netlist_cells",
    "workload_vectors",
    "simulate_activity",
    "testbench",
    "SequentialWorkload",
    "sequential_workload",
    "stream_schedule",
    "check_trace",
    "SEGMENTS",
]


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

    Each vector occupies one 10 ns slot. Without a clock: inputs change at 0, the probes are
    sampled at 8. With a clock: the clock rises at 0, the inputs of the slot change at 1 (just
    after the edge, as if driven by registers on the same clock), the clock falls at 5, the
    probes are sampled at 8 — so a sample holds the settled values of one clock cycle: the
    state the edge at its start gave and that cycle's inputs. Inputs not stimulated (a reset,
    say) are held at 0.
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
    apply = f"      {{{', '.join(_vname(n) for n, _ in stim_inputs)}}} = axhdl_stim[axhdl_i];"
    if clock:
        slot = [
            f"      {_vname(clock)} = 1;",
            "      #1;",
            apply,
            "      #4;",
            f"      {_vname(clock)} = 0;",
            "      #3;",
        ]
    else:
        slot = [apply, "      #5;", "      #3;"]
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
        *slot,
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
    segments: int = 1,
    timeout: float = 600,
) -> dict:
    """Simulate ``netlist`` with Icarus under ``codes`` and count toggles of every cell output.

    Returns ``{"instances": {inst: {"toggle_rate", "static_probability", "pins"}},
    "inputs": {port bit: {...}}, "outputs": {port bit: {...}}, "transitions": N,
    "trace": {output port: bits (segments, periods, width)}}``; rates are transitions per
    clock period. The vectors are ``segments`` equal runs one after the other (e.g. each
    starting with a reset); the first ``warmup`` periods of each run are not counted, nor is
    the transition from one run to the next. Multi-output cells report the mean over their
    outputs.
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
    out_cols: dict[str, list[int]] = {}
    for name, p in ports.items():
        if p["direction"] == "output":
            for bit in range(p["width"]):
                out_cols.setdefault(name, []).append(len(probes))
                probes.append(f"{_vname(name)}[{bit}]" if p["width"] > 1 else _vname(name))
                owners.append(("<output>", f"{name}[{bit}]"))
    n_rows = len(next(iter(codes.values())))
    if n_rows % segments:
        raise ValueError(f"{n_rows} vectors do not split into {segments} equal segments")
    rows = n_rows // segments
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
    bits = bits.reshape(segments, rows, len(probes))
    unknown = unknown.reshape(segments, rows)
    counted = bits[:, warmup:]
    if unknown[:, warmup:].any():
        seg, row = np.argwhere(unknown[:, warmup:])[0]
        row = int(seg) * rows + int(row) + warmup
        raise ToolFailedError(f"gate-level simulation has unknown (x/z) values in period {row}")
    transitions = segments * max(counted.shape[1] - 1, 0)
    toggles = (counted[:, 1:] != counted[:, :-1]).sum(axis=(0, 1))
    ones = counted[:, 1:].sum(axis=(0, 1))
    per_inst: dict[str, dict] = {}
    ports_activity: dict[str, dict[str, dict]] = {"<input>": {}, "<output>": {}}
    for j, (inst, pin) in enumerate(owners):
        rate = float(toggles[j]) / transitions if transitions else 0.0
        prob = float(ones[j]) / transitions if transitions else float(counted[0, 0, j])
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
        "trace": {name: bits[:, :, cols] for name, cols in out_cols.items()},
    }


# -- workloads of sequential units (MAC, systolic arrays, registered units) ----------------------
#
# A sequential unit is simulated in *segments*: equal runs, each starting with one reset cycle
# (``rst`` high; its sample is not counted), simulated one after the other by Icarus or side by
# side (one lane each) by the cycle evaluator. Transitions are counted inside segments only.

#: most segments a workload is cut into
SEGMENTS = 16

#: version of the sequential workloads (part of the activity cache key)
SEQUENTIAL_WORKLOAD_VERSION = 1


@dataclass
class SequentialWorkload:
    """The stimulus of a sequential unit's activity run and what its outputs must be.

    ``codes``: input port → integer code of every cycle, the ``segments`` runs of ``rows``
    cycles one after the other (object arrays for ports wider than 62 bits); the first
    ``warmup`` cycles of each run are its reset and are not counted. ``cycles``: counted
    clock cycles (all segments); ``macs``: multiply-accumulate operations those cycles perform
    (None for other units); ``desc``: the workload's description (cache key, provenance)."""

    kind: str
    codes: dict[str, np.ndarray]
    segments: int
    rows: int
    warmup: int
    cycles: int
    macs: int | None
    desc: dict
    #: per segment: the expected output beats (systolic) or p of every cycle (mac)
    expected: list = field(default_factory=list, repr=False)
    #: systolic: cycle (row) of every input beat, the same in every segment
    beat_rows: list[int] = field(default_factory=list, repr=False)


def stream_schedule(unit, beats: list[dict]) -> tuple[list[int], list[int]]:
    """``(beat cycles, output cycles)``: the earliest cycle (0 = the first after reset) each
    input beat of a systolic array can be offered so that it is taken at once with ``o__ready``
    always high, and the cycle each output beat is valid on ``o``.

    One beat per cycle, in order; a ws compute beat whose partial sums come from an earlier
    output beat (``psum_from``) waits until the cycle after that beat is on ``o`` (the host
    registers it); an os ``last`` beat comes at least ``rows`` cycles after the previous one
    (docs/arrays.md: *Internal timing*)."""
    latency, rows = unit.latency, unit.rows
    cycles: list[int] = []
    outputs: list[int] = []
    t = 0
    prev_last = None
    for beat in beats:
        if unit.dataflow == "ws":
            src = beat.get("psum_from")
            if src is not None:
                t = max(t, outputs[src] + 1)
            cycles.append(t)
            if not beat.get("load", 0):
                outputs.append(t + latency)
        else:
            if beat.get("last", 0):
                if prev_last is not None:
                    t = max(t, prev_last + rows)
                prev_last = t
                outputs.extend(t + latency + q for q in range(rows))
            cycles.append(t)
        t += 1
    return cycles, outputs


def _lane_beats(unit, a_list, w_list) -> list[dict]:
    """The host beats of several GEMMs back to back (ws: ``psum_from`` renumbered)."""
    beats: list[dict] = []
    outputs = 0
    for a, w in zip(a_list, w_list):
        gemm = unit.host_beats(a, w)
        for beat in gemm:
            if beat.get("psum_from") is not None:
                beat = dict(beat, psum_from=beat["psum_from"] + outputs)
            beats.append(beat)
        if unit.dataflow == "ws":
            outputs += sum(1 for b in gemm if not b.get("load", 0))
        else:
            outputs += sum(unit.rows for b in gemm if b.get("last", 0))
    return beats


def _segments_for(units_needed: int) -> tuple[int, int]:
    """``(segments, items per segment)`` for at least ``units_needed`` items."""
    segments = max(1, min(SEGMENTS, units_needed))
    return segments, max(1, math.ceil(units_needed / segments))


def _stream_workload(unit, workload, vectors: int, seed: int, shape: dict | None
                     ) -> SequentialWorkload:
    from axhdl.metrics.arrays import load_operands, random_operands, resolve_shape

    if workload is not None:
        if shape:
            raise InputError("Give either a workload file or a GEMM shape (--m/--k/--n), not both")
        path = Path(workload)
        file_a, file_w = load_operands(path, unit, what="Workload file")
        shape = {"m": file_a.shape[1], "k": file_a.shape[2], "n": file_w.shape[2]}
    else:
        shape = resolve_shape(unit, **(shape or {}))
    # the schedule depends on the shapes only: find how many GEMMs fill ``vectors`` cycles
    probe_a = np.zeros((shape["m"], shape["k"]), dtype=np.int64)
    probe_w = np.zeros((shape["k"], shape["n"]), dtype=np.int64)

    def lane_cycles(gemms: int) -> int:
        cyc, outs = stream_schedule(unit, _lane_beats(unit, [probe_a] * gemms,
                                                      [probe_w] * gemms))
        return max(outs[-1], cyc[-1]) + 1

    segments, per_segment = _segments_for(math.ceil(vectors / lane_cycles(1)))
    while segments * lane_cycles(per_segment) < vectors:
        per_segment += 1
    total = segments * per_segment
    if workload is not None:
        pick = np.arange(total) % file_a.shape[0]
        a_all, w_all = file_a[pick], file_w[pick]
        desc = {"kind": "file", "path": str(path), "sha256": file_hash(path),
                "samples": int(file_a.shape[0])}
    else:
        a_all, w_all = random_operands(unit, shape, total, seed)
        desc = {"kind": "uniform", "seed": seed}
    desc.update(vectors=vectors, shape=shape, gemms=total, segments=segments,
                version=SEQUENTIAL_WORKLOAD_VERSION)
    lanes = [
        _lane_beats(unit, a_all[s * per_segment:(s + 1) * per_segment],
                    w_all[s * per_segment:(s + 1) * per_segment])
        for s in range(segments)
    ]
    cycles, outputs = stream_schedule(unit, lanes[0])
    rows = 1 + max(outputs[-1], cycles[-1]) + 1  # the reset cycle, then up to the last output
    beat_rows = [1 + c for c in cycles]
    payload = np.zeros(segments * rows, dtype=object)
    valid = np.zeros(segments * rows, dtype=np.int64)
    expected = []
    for s, beats in enumerate(lanes):
        base = s * rows
        words = [unit.pack_beat(b) for b in beats]
        held = 0
        pos = 0
        for r in range(rows):  # between beats the payload holds its last value
            if pos < len(beat_rows) and beat_rows[pos] == r:
                held = words[pos]
                valid[base + r] = 1
                pos += 1
            payload[base + r] = held
        expected.append(unit.model_stream(beats))
    rst = np.zeros(segments * rows, dtype=np.int64)
    rst[::rows] = 1
    codes = {"rst": rst, "i__payload": payload, "i__valid": valid,
             "o__ready": np.ones(segments * rows, dtype=np.int64)}
    macs = total * shape["m"] * shape["k"] * shape["n"]
    return SequentialWorkload(
        kind="systolic", codes=codes, segments=segments, rows=rows, warmup=1,
        cycles=segments * (rows - 1), macs=macs, desc=desc, expected=expected,
        beat_rows=beat_rows,
    )


def _mac_workload(unit, workload, vectors: int, seed: int, shape: dict | None
                  ) -> SequentialWorkload:
    from axhdl.metrics.arrays import load_operands, resolve_shape

    k = resolve_shape(unit, **(shape or {}))["k"] if workload is None else None
    segments, per_segment = _segments_for(max(1, vectors // 64))
    per_segment = max(2, math.ceil(vectors / segments))  # data cycles of each segment
    total = segments * per_segment
    index = np.arange(total) % per_segment  # data cycle within its segment
    if workload is None:
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        rng = np.random.default_rng(seed)
        a = rng.integers(alo, ahi, size=total, endpoint=True, dtype=np.int64)
        b = rng.integers(blo, bhi, size=total, endpoint=True, dtype=np.int64)
        en = np.ones(total, dtype=np.int64)
        clear = (index % k == 0).astype(np.int64)
        desc = {"kind": "uniform", "seed": seed, "k": k}
    else:
        if shape:
            raise InputError("Give either a workload file or a dot-product length (--k), not both")
        path = Path(workload)
        try:
            with np.load(path, allow_pickle=False) as data:
                names = set(data.files) if isinstance(data, np.lib.npyio.NpzFile) else set()
        except (OSError, ValueError) as e:
            raise InputError(f"Workload file {path} is not a .npy/.npz file: {e}") from None
        if {"A", "W"} <= names:
            big_a, big_w = load_operands(path, unit, what="Workload file")
            kk = big_a.shape[1]
            seq = {"a": big_a.reshape(-1), "b": big_w.reshape(-1),
                   "en": np.ones(big_a.size, dtype=np.int64),
                   "clear": (np.arange(big_a.size) % kk == 0).astype(np.int64)}
        else:
            seq = _load_workload(path, unit)
            for name, arr in seq.items():
                width = unit.extra_inputs.get(name)
                if width is None:
                    width = unit.a_width if name == "a" else unit.b_width
                    _check_values(name, arr, width, unit.signed, str(path))
                else:
                    _check_values(name, arr, width, False, str(path))
            n = len(seq["a"])
            seq.setdefault("en", np.ones(n, dtype=np.int64))
            if "clear" not in seq:
                kk = resolve_shape(unit)["k"]
                seq["clear"] = (np.arange(n) % kk == 0).astype(np.int64)
        n = len(seq["a"])
        a, b, en, clear = (np.resize(seq[x], total) for x in ("a", "b", "en", "clear"))
        desc = {"kind": "file", "path": str(path), "sha256": file_hash(path), "samples": n}
    desc.update(vectors=vectors, segments=segments, version=SEQUENTIAL_WORKLOAD_VERSION)
    rows = per_segment + 1

    def lanes_of(x):  # (segments, rows): the reset cycle first (operands 0)
        out = np.zeros((segments, rows), dtype=np.int64)
        out[:, 1:] = x.reshape(segments, per_segment)
        return out

    a_l, b_l, en_l, clear_l = (lanes_of(x) for x in (a, b, en, clear))
    rst = np.zeros((segments, rows), dtype=np.int64)
    rst[:, 0] = 1
    trace = unit.model_trace(a_l[:, 1:], b_l[:, 1:], en_l[:, 1:], clear_l[:, 1:])
    expected = np.zeros((segments, rows), dtype=np.int64)  # p of every cycle
    expected[:, 2:] = trace[:, :-1]
    codes = {
        "rst": rst.ravel(),
        "a": to_code(a_l.ravel(), unit.a_width),
        "b": to_code(b_l.ravel(), unit.b_width),
        "en": en_l.ravel(),
        "clear": clear_l.ravel(),
    }
    return SequentialWorkload(
        kind="mac", codes=codes, segments=segments, rows=rows, warmup=1,
        cycles=segments * per_segment, macs=int(en_l[:, 1:].sum()), desc=desc,
        expected=list(expected),
    )


def sequential_workload(unit, *, workload: str | Path | None, vectors: int, seed: int,
                        shape: dict | None = None) -> SequentialWorkload:
    """The activity workload of a registered unit.

    * ``systolic`` (a unit with ``host_beats``): random GEMMs (``shape``: ``m``, ``k``, ``n``;
      default :func:`axhdl.metrics.arrays.default_shape`) or the GEMMs of a ``.npz`` file
      (arrays ``A``, ``W``, used cyclically), streamed by the host procedure
      (:meth:`host_beats`, beats offered as early as :func:`stream_schedule` allows,
      ``o__ready`` always high, the payload held between beats), as many GEMMs as fill
      ``vectors`` cycles, in up to :data:`SEGMENTS` segments;
    * ``mac``: ``vectors`` cycles of uniform random operands with ``en`` high and ``clear``
      every ``k`` cycles (default 64), or a ``.npz`` file: arrays ``a``, ``b`` (and optionally
      ``en``, ``clear``) cycle by cycle, or ``A``, ``W`` (S, K): dot products;
    * any other registered unit: :func:`workload_vectors` after one reset cycle, not counted
      with the ``latency`` cycles after it.
    """
    if hasattr(unit, "host_beats") and hasattr(unit, "model_stream"):
        return _stream_workload(unit, workload, vectors, seed, shape)
    if unit.operation.kind == "mac" and hasattr(unit, "model_trace"):
        return _mac_workload(unit, workload, vectors, seed, shape)
    if shape:
        raise InputError(f"--m/--k/--n apply to mac and systolic specs; {unit.spec} is a "
                         f"{unit.kind}")
    warmup = unit.latency + 1
    codes, desc = workload_vectors(unit, workload=workload, vectors=vectors, seed=seed,
                                   warmup=warmup)
    rows = len(next(iter(codes.values())))
    rst = np.zeros(rows, dtype=np.int64)
    rst[0] = 1
    codes["rst"] = rst
    desc = dict(desc, reset=True, version=SEQUENTIAL_WORKLOAD_VERSION)
    return SequentialWorkload(kind="registered", codes=codes, segments=1, rows=rows,
                              warmup=warmup, cycles=rows - warmup, macs=None, desc=desc)


def _trace_values(bits: np.ndarray, signed: bool) -> np.ndarray:
    """Bits (..., width), least significant first → integer values (Python ints in an object
    array: any width)."""
    width = bits.shape[-1]
    flat = np.packbits(bits.reshape(-1, width).astype(np.uint8), axis=1, bitorder="little")
    out = np.array([int.from_bytes(row.tobytes(), "little") for row in flat], dtype=object)
    if signed and width:
        negative = bits.reshape(-1, width)[:, -1].astype(bool)
        out[negative] -= 1 << width
    return out.reshape(bits.shape[:-1])


def check_trace(unit, plan: SequentialWorkload, trace: dict[str, np.ndarray]) -> dict:
    """Compare the simulated outputs with the golden model; ``ToolFailedError`` naming the
    first difference. Returns ``{"checked": what was compared}``."""
    if plan.kind == "mac":
        p = trace["p"][:, plan.warmup:]
        got = _trace_values(p, unit.signed)
        want = np.array(plan.expected)[:, plan.warmup:]
        bad = np.argwhere(got != want.astype(object))
        if bad.size:
            s, r = (int(x) for x in bad[0])
            raise ToolFailedError(
                f"gate-level simulation of {unit.spec} disagrees with the golden model: "
                f"p = {got[s, r]} instead of {want[s, r]} in cycle {r + plan.warmup} of "
                f"segment {s}"
            )
        return {"checked": f"p in {got.size} cycles"}
    if plan.kind != "systolic":
        return {}
    # the reset cycle (warmup) is not looked at: Icarus shows unknown values there
    valid = trace["o__valid"][:, :, 0].copy()
    valid[:, :plan.warmup] = False
    ready = trace["i__ready"][:, :, 0]
    stalled = [r for r in plan.beat_rows if not ready[:, r].all()]
    if stalled:
        raise ToolFailedError(
            f"gate-level simulation of {unit.spec}: the array did not take the input beat "
            f"offered in cycle {stalled[0]} (i__ready low)"
        )
    checked = 0
    for s, want in enumerate(plan.expected):
        rows = np.flatnonzero(valid[s])
        words = _trace_values(trace["o__payload"][s, rows], False)
        got = [unit.unpack_output(int(w)) for w in words]
        if len(got) != len(want):
            raise ToolFailedError(
                f"gate-level simulation of {unit.spec}: {len(got)} output beats in segment "
                f"{s}, the golden model gives {len(want)}"
            )
        for i, (g, w) in enumerate(zip(got, want)):
            if not np.array_equal(g, w):
                raise ToolFailedError(
                    f"gate-level simulation of {unit.spec} disagrees with the golden model: "
                    f"output beat {i} of segment {s} is {g.tolist()}, not {w.tolist()}"
                )
        checked += len(got)
    return {"checked": f"{checked} output beats"}
