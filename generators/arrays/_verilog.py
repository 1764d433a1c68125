"""Verilog of the sequential, hierarchical units of this package.

:func:`axhdl.hdl.emit_verilog` waives Verilator's UNUSEDSIGNAL only. A MAC or an array is one
generated file holding its submodules (``<name>.pe_0_0``, ``<name>.pe_0_0.mul`` …), and
Amaranth declares every register with its reset value as initial value; Verilator's -Wall
reports both (DECLFILENAME, PROCASSINIT) though neither is a defect, so they are waived for the
file, with a note saying why. Every other warning stays enforced.
"""

from __future__ import annotations

from axhdl.hdl import emit_verilog

__all__ = ["emit_sequential", "SEQUENTIAL_NOTE"]

SEQUENTIAL_NOTE = (
    "// Sequential, hierarchical design: its submodules share this file (DECLFILENAME), and\n"
    "// Amaranth gives each register its reset value as initial value (PROCASSINIT); both\n"
    "// are waived for this file.\n"
)


def emit_sequential(component, name: str) -> str:
    """:func:`~axhdl.hdl.emit_verilog` of ``component`` with the two waivers above."""
    return (
        SEQUENTIAL_NOTE
        + "/* verilator lint_off DECLFILENAME */\n/* verilator lint_off PROCASSINIT */\n"
        + emit_verilog(component, name).rstrip("\n")
        + "\n/* verilator lint_on PROCASSINIT */\n/* verilator lint_on DECLFILENAME */\n"
    )
