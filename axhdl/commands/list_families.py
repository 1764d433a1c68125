"""``axhdl list``: every family with its parameters, defaults, description and citation."""

from __future__ import annotations

from ..registry import families
from ._common import add_json, print_json


def register(sub, name):
    p = sub.add_parser(name, help="list unit families and their parameters")
    p.add_argument("family", nargs="?", help="show only this family")
    add_json(p)
    return p


def describe() -> list[dict]:
    out = []
    for name, cls in families().items():
        out.append({
            "family": name,
            "kind": cls.kind,
            "description": cls.description,
            "citation": cls.citation,
            "notes": cls.notes,
            "weight_operand": cls.weight_operand,
            "parameters": [p.as_dict() for p in cls.all_params()],
        })
    return out


def run(args) -> int:
    rows = describe()
    if args.family:
        from ..registry import get_family

        get_family(args.family)  # one clear error for an unknown family
        rows = [r for r in rows if r["family"] == args.family]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['family']} ({r['kind']}): {r['description']}")
        print(f"    {r['citation']}")
        if r["notes"]:
            print(f"    note: {r['notes']}")
        for p in r["parameters"]:
            default = "required" if p["required"] else f"default {p['default']}"
            print(f"    {p['name']:<12} {p['range']}; {default}. {p['doc']}")
        print()
    print("width=N sets a_width and b_width together. Spec: family:key=value,key=value")
    return 0
