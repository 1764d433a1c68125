"""Helpers shared by the subcommands: spec arguments, JSON output, tables."""

from __future__ import annotations

import json
import sys

from ..registry import make_unit
from ..results import to_jsonable

__all__ = ["add_spec", "add_json", "unit_from", "print_json", "table"]


def add_spec(parser, help_text: str = "unit spec, e.g. 'truncated:width=8,k=6'") -> None:
    parser.add_argument("spec", help=help_text)


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def unit_from(args):
    return make_unit(args.spec)


def print_json(obj) -> None:
    json.dump(to_jsonable(obj), sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def _fmt(v) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:.4f}".rstrip("0").rstrip(".")
    if v is None:
        return "-"
    return str(v)


def table(rows: list[dict], columns: list[str] | None = None, out=None) -> None:
    """Print dict rows as an aligned text table."""
    out = out or sys.stdout
    if not rows:
        return
    columns = columns or list(rows[0])
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
