"""Look-up tables: a unit's result for every operand code pair, and their file formats.

Three formats (:func:`write_lut`), each with a JSON sidecar (same name, ``.json``) that states
the unit, the index order, signedness and provenance:

``npy``
    int64 array of shape ``(2^a_width, 2^b_width)``, ``[code_a, code_b]`` → result value.
``tfapprox``
    the raw table TFApprox reads (Mrazek et al., "TFApprox: Towards a Fast Emulation of DNN
    Approximate Hardware Accelerators on GPU", DATE 2020): 256 × 256 little-endian uint16,
    128 KiB, entry ``activation_code * 256 + weight_code`` holding the 16-bit pattern of the
    result (two's complement for signed units). Only 8x8 units. The weight operand is the
    unit's ``weight_operand`` (operand b when the design is symmetric).
``header``
    a C header (the form AdaPT, Danopoulos et al., 2022, compiles its LUTs into) with the
    table as ``static const <int type> <name>_lut[2^a_width][2^b_width]`` indexed
    ``[code_a][code_b]`` and macros for its metadata.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from .errors import InputError
from .results import atomic_write, provenance, to_jsonable
from .unit import from_code

__all__ = [
    "MAX_LUT_ENTRIES",
    "MAX_HEADER_ENTRIES",
    "FORMATS",
    "lut",
    "lut_format",
    "tfapprox_table",
    "header_text",
    "write_lut",
    "read_tfapprox",
    "read_header",
]

#: the largest table written (2^24 int64 entries = 128 MiB)
MAX_LUT_ENTRIES = 1 << 24

#: the largest table written as C source (2^20 entries, a few MiB of text)
MAX_HEADER_ENTRIES = 1 << 20

#: format name → default file suffix
FORMATS = {"npy": ".npy", "tfapprox": ".bin", "header": ".h"}


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
    table = unit.model(a[:, None], b[None, :], **controls)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(table, dtype=np.int64),
                                                (a.size, b.size)))


def lut_format(path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` if given, else from the suffix (.npy, .bin, .h)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"LUT format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    suffix = Path(path).suffix
    for name, suf in FORMATS.items():
        if suffix == suf:
            return name
    raise InputError(
        f"{path}: cannot tell the LUT format from the suffix '{suffix}'; give --format "
        f"({', '.join(FORMATS)}) or use .npy, .bin or .h"
    )


def _roles(unit) -> tuple[str, str]:
    weight = unit.weight_operand or "b"
    return ("b" if weight == "a" else "a"), weight


def tfapprox_table(unit) -> np.ndarray:
    """uint16 (256, 256): ``[activation_code, weight_code]`` → 16-bit result pattern."""
    if unit.kind != "multiplier":
        raise InputError(
            f"{unit.spec}: TFApprox tables are for 8x8 multipliers, not {unit.kind}s; "
            f"use --format npy or header"
        )
    if (unit.a_width, unit.b_width) != (8, 8):
        raise InputError(
            f"{unit.spec}: TFApprox tables are for 8x8 multipliers (256 x 256 uint16), not "
            f"{unit.a_width}x{unit.b_width}"
        )
    table = lut(unit)
    lo, hi = (-(1 << 15), (1 << 15) - 1) if unit.signed else (0, (1 << 16) - 1)
    bad = (table < lo) | (table > hi)
    if bad.any():
        ca, cb = (int(i) for i in np.unravel_index(int(np.argmax(bad)), table.shape))
        raise InputError(
            f"{unit.spec}: result {int(table[ca, cb])} (codes a={ca}, b={cb}) does not fit "
            f"the 16-bit TFApprox table"
        )
    activation, _ = _roles(unit)
    if activation == "b":
        table = table.T
    return np.ascontiguousarray(table & 0xFFFF).astype(np.uint16)


def read_tfapprox(path) -> np.ndarray:
    """A TFApprox table file as uint16 (256, 256) ``[activation_code, weight_code]``."""
    data = np.fromfile(Path(path), dtype="<u2")
    if data.size != 1 << 16:
        raise InputError(f"{path}: a TFApprox table has 65536 uint16 entries, not {data.size}")
    return data.reshape(256, 256)


def _c_type(table: np.ndarray) -> tuple[str, int]:
    lo, hi = int(table.min()), int(table.max())
    for bits in (8, 16, 32, 64):
        if lo >= 0 and hi < (1 << bits):
            return f"uint{bits}_t", bits
        if lo >= -(1 << (bits - 1)) and hi < (1 << (bits - 1)):
            return f"int{bits}_t", bits
    raise InputError("table values do not fit 64 bits")  # int64 tables always fit


def header_text(unit, symbol: str | None = None) -> str:
    """C header with the table ``<symbol>_lut[2^a_width][2^b_width]`` and its metadata."""
    entries = 1 << (unit.a_width + unit.b_width)
    if entries > MAX_HEADER_ENTRIES:
        raise InputError(
            f"{unit.spec}: a C header of {unit.a_width}+{unit.b_width} operand bits has "
            f"{entries} entries, more than the 2^20 allowed"
        )
    table = lut(unit)
    symbol = symbol or unit.name
    symbol = re.sub(r"[^A-Za-z0-9_]", "_", symbol)
    macro = symbol.upper()
    ctype, bits = _c_type(table)
    suffix = {64: "LL"}.get(bits, "")
    activation, weight = _roles(unit)
    rows = []
    for row in table.tolist():
        body = ", ".join(f"{v}{suffix}" if v != -(1 << 63) else f"(-{(1 << 63) - 1}LL - 1)"
                         for v in row)
        rows.append(f"    {{{body}}}")
    lines = [
        f"/* {symbol}: result table of {unit.spec}",
        f" * generated by axhdl; {symbol}_lut[code_a][code_b] = result of operand codes a, b",
        " * (codes are bit patterns: two's complement for signed operands).",
        f" * activation operand: {activation}; weight operand: {weight}.",
        f" * {unit.citation}" if unit.citation else " *",
        " */",
        f"#ifndef AXHDL_{macro}_LUT_H",
        f"#define AXHDL_{macro}_LUT_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define {macro}_A_WIDTH {unit.a_width}",
        f"#define {macro}_B_WIDTH {unit.b_width}",
        f"#define {macro}_SIGNED {1 if unit.signed else 0}",
        f"#define {macro}_WEIGHT_OPERAND '{weight}'",
        f'#define {macro}_SPEC "{unit.spec}"',
        "",
        f"static const {ctype} {symbol}_lut[{1 << unit.a_width}][{1 << unit.b_width}] = {{",
        ",\n".join(rows),
        "};",
        "",
        f"#endif /* AXHDL_{macro}_LUT_H */",
        "",
    ]
    return "\n".join(lines)


def read_header(path) -> tuple[dict, np.ndarray]:
    """The macros and the table of a header written by :func:`header_text`."""
    text = Path(path).read_text()
    macros = dict(re.findall(r"#define (\w+) (.+)", text))
    m = re.search(r"_lut\[(\d+)\]\[(\d+)\] = \{(.*)\};", text, flags=re.S)
    if m is None:
        raise InputError(f"{path}: no axhdl LUT found")
    rows, cols = int(m.group(1)), int(m.group(2))
    body = re.sub(r"\(-(\d+)LL - 1\)", lambda x: str(-int(x.group(1)) - 1), m.group(3))
    values = [int(v) for v in re.findall(r"-?\d+", body.replace("LL", ""))]
    return macros, np.array(values, dtype=np.int64).reshape(rows, cols)


def write_lut(unit, path: Path, fmt: str | None = None) -> dict:
    """Write the table in ``fmt`` (default: from the suffix) and a JSON sidecar beside it;
    return the sidecar."""
    path = Path(path)
    fmt = lut_format(path, fmt)
    activation, weight = _roles(unit)
    info: dict = {"path": str(path), "format": fmt}
    if fmt == "npy":
        table = lut(unit)
        buf = io.BytesIO()
        np.save(buf, table)
        data: bytes | str = buf.getvalue()
        info.update(shape=list(table.shape), dtype="int64",
                    rows="bit pattern (code) of operand a",
                    columns="bit pattern (code) of operand b")
    elif fmt == "tfapprox":
        data = tfapprox_table(unit).astype("<u2").tobytes()
        info.update(shape=[256, 256], dtype="uint16 little-endian",
                    rows=f"code of the activation operand ({activation})",
                    columns=f"code of the weight operand ({weight})",
                    entries="16-bit pattern of the result"
                    + (" (two's complement)" if unit.signed else ""))
    else:
        data = header_text(unit)
        info.update(shape=[1 << unit.a_width, 1 << unit.b_width], dtype=_c_type(lut(unit))[0],
                    rows="bit pattern (code) of operand a",
                    columns="bit pattern (code) of operand b",
                    symbol=f"{re.sub(r'[^A-Za-z0-9_]', '_', unit.name)}_lut")
    info.update({
        "signed": unit.signed,
        "activation_operand": activation,
        "weight_operand": weight,
        **{k: v for k, v in unit.info.items() if k != "weight_operand"},
        "provenance": provenance(unit, lut_format=fmt),
    })
    atomic_write(path, data)
    atomic_write(path.with_suffix(".json"), json.dumps(to_jsonable(info), indent=2))
    return info
