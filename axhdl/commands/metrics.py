"""``axhdl metrics SPEC``: error metrics of a unit (DESIGN.md §3)."""

from __future__ import annotations

from ..metrics import METRIC_KEYS, exhaustive_metrics
from ..results import provenance
from ._common import add_json, add_spec, print_json, table, unit_from


def register(sub, name):
    p = sub.add_parser(name, help="error metrics (exhaustive up to 2^24 operand pairs)")
    add_spec(p)
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
    metrics = exhaustive_metrics(unit)
    result = {"metrics": metrics, "method": "exhaustive", "provenance": provenance(unit)}
    if args.json:
        print_json(result)
    else:
        print(f"{unit.spec}  (exhaustive, {2 ** (unit.a_width + unit.b_width)} pairs)")
        table([{"metric": k, "value": metrics[k]} for k in METRIC_KEYS])
    return 0
