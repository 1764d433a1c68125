"""``axhdl lut SPEC -o FILE [--format npy|tfapprox|header]``: the golden model over every
operand pair, as a .npy array, a TFApprox binary table (8x8) or a C header."""

from __future__ import annotations

from pathlib import Path

from ..lut import FORMATS, write_lut
from ._common import add_json, add_spec, print_json, unit_from


def register(sub, name):
    p = sub.add_parser(name, help="write the unit's full result table (npy, TFApprox, C header)")
    add_spec(p)
    p.add_argument("-o", "--out", required=True,
                   help="output file (.npy, .bin for TFApprox, .h for a C header)")
    p.add_argument("--format", choices=tuple(FORMATS),
                   help="table format (default: from the suffix of --out)")
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
    info = write_lut(unit, Path(args.out), args.format)
    if args.json:
        print_json(info)
    else:
        print(f"{info['path']}: {info['format']}, shape {tuple(info['shape'])}, {info['dtype']}")
    return 0
