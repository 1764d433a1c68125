"""``axhdl generate SPEC -o DIR``: Verilog plus a JSON sidecar."""

from __future__ import annotations

import json
from pathlib import Path

from ..generate import generate
from ._common import add_json, add_spec, print_json, unit_from


def register(sub, name):
    p = sub.add_parser(name, help="write DIR/<name>.v and DIR/<name>.json for a spec")
    add_spec(p)
    p.add_argument("-o", "--out", default=".", help="output directory (default: .)")
    p.add_argument("--no-lint", action="store_true", help="skip the Verilator -Wall lint")
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
    result = generate(unit, Path(args.out), lint=not args.no_lint)
    if args.json:
        print_json(result)
    else:
        print(f"{result['verilog']}  ({result['module']}, lint: {result['lint']})")
        print(json.dumps(result["ports"]))
    return 0
