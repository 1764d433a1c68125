"""Verilog emission for Amaranth units, and bit helpers shared by the golden models.

Importing this module does not import Amaranth (the models use :func:`leading_one`)."""

from __future__ import annotations

import numpy as np

__all__ = ["emit_verilog", "leading_one", "wrap", "LINT_NOTE"]

LINT_NOTE = (
    "// Approximate units ignore some operand bits by design, and Amaranth keeps named\n"
    "// intermediate signals for readability; Verilator's UNUSEDSIGNAL is therefore waived\n"
    "// for this module. Every other -Wall warning is enforced.\n"
)


def emit_verilog(component, name: str) -> str:
    """Convert ``component`` to Verilog with top module ``name``, lint-clean under -Wall."""
    from amaranth.back import verilog

    text = verilog.convert(component, name=name, emit_src=False)
    return (
        LINT_NOTE
        + "/* verilator lint_off UNUSEDSIGNAL */\n"
        + text.rstrip("\n")
        + "\n/* verilator lint_on UNUSEDSIGNAL */\n"
    )


def wrap(x, width: int, is_signed: bool) -> np.ndarray:
    """``x`` modulo ``2^width``, read as a ``width``-bit value (two's complement if signed): what
    a ``width``-bit register holds after the hardware's wrap-around, and the value of a
    ``width``-bit pattern."""
    x = np.asarray(x, dtype=np.int64) & ((1 << width) - 1)
    if is_signed:
        return x - ((x >> (width - 1)) & 1) * (1 << width)
    return x


def leading_one(x: np.ndarray, width: int) -> np.ndarray:
    """Position of the most significant set bit of ``x`` (``-1`` where ``x == 0``)."""
    x = np.asarray(x, dtype=np.int64)
    pos = np.full(x.shape, -1, dtype=np.int64)
    for i in range(width):
        pos = np.where(((x >> i) & 1) == 1, i, pos)
    return pos
