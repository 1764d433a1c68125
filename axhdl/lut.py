"""Look-up tables: a unit's result for every operand code pair."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from .errors import InputError
from .results import atomic_write, provenance, to_jsonable
from .unit import from_code

__all__ = ["MAX_LUT_ENTRIES", "lut", "write_lut"]

#: the largest table written (2^24 int64 entries = 128 MiB)
MAX_LUT_ENTRIES = 1 << 24


def lut(unit, **controls) -> np.ndarray:
    """int64 array of shape (2^a_width, 2^b_width): ``[code_a, code_b]`` → result value.

    Codes are bit patterns (two's complement for signed operands)."""
    entries = 1 << (unit.a_width + unit.b_width)
    if entries > MAX_LUT_ENTRIES:
        raise InputError(
            f"{unit.spec}: a LUT of {unit.a_width}+{unit.b_width} operand bits has {entries} "
            f"entries, more than the 2^24 allowed"
        )
    a = from_code(np.arange(1 << unit.a_width), unit.a_width, unit.signed)
    b = from_code(np.arange(1 << unit.b_width), unit.b_width, unit.signed)
    return np.asarray(unit.model(a[:, None], b[None, :], **controls), dtype=np.int64)


def write_lut(unit, path: Path) -> dict:
    """Write the ``.npy`` table and a JSON sidecar beside it; return the sidecar."""
    table = lut(unit)
    buf = io.BytesIO()
    np.save(buf, table)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    info = {
        "path": str(path),
        "shape": list(table.shape),
        "dtype": "int64",
        "rows": "bit pattern (code) of operand a",
        "columns": "bit pattern (code) of operand b",
        "signed": unit.signed,
        **unit.info,
        "provenance": provenance(unit),
    }
    atomic_write(path.with_suffix(".json"), json.dumps(to_jsonable(info), indent=2))
    return info
