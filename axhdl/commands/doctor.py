"""``axhdl doctor``: every external tool with version and path, or how to install it."""

from __future__ import annotations

from ..toolchain import doctor
from ._common import add_json, print_json, table


def register(sub, name):
    p = sub.add_parser(name, help="check the toolchain")
    add_json(p)
    return p


def run(args) -> int:
    rows = doctor()
    if args.json:
        print_json(rows)
    else:
        table([
            {"tool": r["tool"], "version": r["version"] if r["found"] else "MISSING",
             "path / install": r["path"] if r["found"] else r["install"]}
            for r in rows
        ])
    return 0 if all(r["found"] for r in rows) else 1
