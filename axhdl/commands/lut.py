"""``axhdl lut SPEC -o FILE.npy``: the golden model over every operand pair."""

from __future__ import annotations

from pathlib import Path

from ..lut import write_lut
from ._common import add_json, add_spec, print_json, unit_from


def register(sub, name):
    p = sub.add_parser(name, help="write the unit's full result table (row = code of a)")
    add_spec(p)
    p.add_argument("-o", "--out", required=True, help="output file (.npy)")
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
    info = write_lut(unit, Path(args.out))
    if args.json:
        print_json(info)
    else:
        print(f"{info['path']}: shape {tuple(info['shape'])}, {info['dtype']}")
    return 0
