"""Formal equivalence of two designs with Yosys: a miter and a SAT proof.

The gold and gate designs are read into separate Yosys designs, flattened and renamed, then
joined by ``miter -equiv`` (one ``trigger`` output that is 1 wherever an output differs) and
``sat -prove trigger 0`` proves the trigger constant 0 for every input — a complete proof, not
a simulation. When ``liberty`` is given, the gate design is a netlist of that library's cells,
and ``read_liberty`` (without ``-lib``) turns each cell's ``function`` into logic, so the proof
covers the cells as the library defines them.

Reference: C. Wolf, "Yosys Manual", commands ``miter`` and ``sat`` (YosysHQ, 2012–2025); the
miter construction is the classic one of D. Brand, "Verification of large synthesized
designs", ICCAD 1993.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from axhdl.errors import CheckFailedError, InputError, ToolFailedError

from .yosys import local_copy, run_yosys, yosys_quote

__all__ = ["prove_equivalent", "equiv_script"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _check_top(name: str, what: str) -> None:
    if not isinstance(name, str) or not _IDENT.match(name):
        raise InputError(f"{what} must be a Verilog module name, not {name!r}")


def equiv_script(
    gold_top: str,
    gate_top: str,
    *,
    liberty: str | None = None,
    depth: int = 0,
    sweep_abc: bool = False,
) -> str:
    """The Yosys script that proves ``gold.v:gold_top`` ≡ ``gate.v:gate_top``.

    ``depth`` 0 is a combinational proof; ``depth`` N > 0 a bounded proof over N clock cycles
    from the all-zero register state (complete for feed-forward pipelines of latency < N).
    ``sweep_abc`` first simplifies a combinational miter by SAT sweeping (ABC ``fraig``).
    """
    sweep_abc = sweep_abc and not depth
    lib = f"read_liberty {yosys_quote(liberty)}\n" if liberty else ""
    # SAT sweeping (ABC fraig) merges the gold and gate nodes it proves equal, which leaves
    # the final SAT proof a small problem; it only rewrites the miter into an equivalent one
    sweep = "techmap; opt_clean\nabc -script +strash;fraig\nopt_clean\n" if sweep_abc else ""
    seq = f" -seq {depth} -set-init-zero" if depth else ""
    return (
        "read_verilog gold.v\n"
        f"hierarchy -check -top {gold_top}\n"
        "proc; flatten; opt_clean\n"
        f"rename {gold_top} axhdl_gold\n"
        "design -stash gold\n"
        f"{lib}"
        "read_verilog gate.v\n"
        f"hierarchy -check -top {gate_top}\n"
        "proc; flatten; opt_clean\n"
        f"rename {gate_top} axhdl_gate\n"
        "design -stash gate\n"
        "design -copy-from gold -as axhdl_gold axhdl_gold\n"
        "design -copy-from gate -as axhdl_gate axhdl_gate\n"
        "miter -equiv -flatten -make_outputs axhdl_gold axhdl_gate axhdl_miter\n"
        "hierarchy -top axhdl_miter\n"
        f"{sweep}"
        f"tee -o sat.log sat -prove trigger 0 -show-inputs -show-outputs{seq} axhdl_miter\n"
    )


_ROW = re.compile(r"^\s*(?:(\d+)\s+)?\\(\S+)\s+(-?\d+|-+|x+)\s+\S+\s+([01xz]+)\s*$")


def _counterexample(log: str) -> dict[str, int | str]:
    """Signal → value (int, or the bit string where it holds x) from ``sat -show-*``."""
    values: dict[str, int | str] = {}
    for line in log.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        step, name, dec, bits = m.groups()
        key = f"{name}@{step}" if step else name
        values[key] = int(dec) if re.fullmatch(r"-?\d+", dec) else bits
    return values


def prove_equivalent(
    gold_verilog: str,
    gold_top: str,
    gate_verilog: str,
    gate_top: str,
    *,
    liberty: str | None = None,
    timeout: float = 600,
    depth: int = 0,
    sweep: bool | None = None,
) -> dict:
    """Prove with Yosys that two designs with identical ports compute the same function.

    ``sweep`` (default: when ``liberty`` is given, i.e. for a mapped netlist against its RTL)
    simplifies the miter by SAT sweeping before the proof: fast when the two designs share
    internal functions, as a netlist and its own RTL do; slower for unrelated architectures.

    Returns ``{"equivalent": True, "method": ..., "seconds": ...}``; raises
    :class:`CheckFailedError` naming a counterexample when they differ, :class:`InputError`
    when the liberty file does not exist, :class:`ToolFailedError` when Yosys cannot read a
    design (for example mismatched port names).
    """
    _check_top(gold_top, "gold_top")
    _check_top(gate_top, "gate_top")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise InputError(f"depth must be a non-negative integer, not {depth!r}")
    if liberty is not None:
        lib = Path(liberty)
        if not lib.is_file():
            raise InputError(f"Liberty file not found: {liberty}")
        liberty = str(lib.resolve())
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="axhdl-equiv-") as tmp:
        work = Path(tmp)
        (work / "gold.v").write_text(gold_verilog)
        (work / "gate.v").write_text(gate_verilog)
        if liberty is not None:
            liberty = local_copy(liberty, work, "cells.lib")
        if sweep is None:
            sweep = liberty is not None
        script = equiv_script(gold_top, gate_top, liberty=liberty, depth=depth, sweep_abc=sweep)
        run_yosys(script, work, timeout=timeout, what="yosys equivalence", expect=("sat.log",))
        log = (work / "sat.log").read_text(errors="replace")
    seconds = time.monotonic() - start
    method = "yosys miter -equiv" + (" + abc fraig" if sweep and not depth else "")
    method += " + sat -prove" + (f" (bounded, {depth} cycles)" if depth else "")
    if "SUCCESS!" in log and "no model found" in log:
        return {"equivalent": True, "method": method, "seconds": seconds}
    if "model found: FAIL!" in log:
        cex = _counterexample(log)
        inputs = ", ".join(f"{k[3:]}={v}" for k, v in cex.items() if k.startswith("in_"))
        outs = sorted({k[5:] for k in cex if k.startswith("gold_")})
        diffs = ", ".join(
            f"{o}={cex[f'gold_{o}']} (gold) vs {cex.get(f'gate_{o}')} (gate)"
            for o in outs
            if cex.get(f"gold_{o}") != cex.get(f"gate_{o}")
        )
        raise CheckFailedError(
            f"gate '{gate_top}' is not equivalent to gold '{gold_top}': "
            f"counterexample {inputs} gives {diffs}"
        )
    raise ToolFailedError("yosys equivalence: sat finished without a verdict:\n" + log[-2000:])
