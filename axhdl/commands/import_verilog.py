"""``axhdl import-verilog FILE --top NAME``: make a third-party combinational multiplier a
unit (spec ``verilog:path=...``) and characterize it by simulation with Verilator."""

from __future__ import annotations

from ..errors import AxhdlError, SpecError
from ..imported import MAX_TABLE_WIDTH, VerilogUnit
from ..metrics import METRIC_KEYS, characterize
from ..results import provenance
from ._common import add_json, count, print_json, seed, table
from .metrics import MAX_SAMPLES


def register(sub, name):
    p = sub.add_parser(name, help="import a combinational multiplier from Verilog (Verilator)")
    p.add_argument("file", help="the Verilog file")
    p.add_argument("--top", required=True, help="the module to import")
    p.add_argument("--a", default="a", metavar="PORT", help="input port of operand a (default a)")
    p.add_argument("--b", default="b", metavar="PORT", help="input port of operand b (default b)")
    p.add_argument("--p", default="p", metavar="PORT",
                   help="output port of the product (default p)")
    p.add_argument("--signed", action="store_true", help="two's-complement operands and result")
    p.add_argument("--shift", type=int, default=0, metavar="N",
                   help="the output holds the product shifted right by N bits (default 0)")
    p.add_argument("--name", help="module name of the a/b/p wrapper (default <top>_axhdl)")
    p.add_argument("--samples", type=count(2, MAX_SAMPLES, "samples per run"), default=1 << 20,
                   metavar="N",
                   help=f"operand pairs sampled above {MAX_TABLE_WIDTH} operand bits "
                        f"(default 2^20)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the sample (default 0)")
    add_json(p)
    return p


def run(args) -> int:
    try:
        unit = VerilogUnit(path=args.file, top=args.top, a=args.a, b=args.b, p=args.p,
                           signed=args.signed, shift=args.shift, name=args.name)
    except (TypeError, ValueError) as e:
        if isinstance(e, AxhdlError):
            raise
        raise SpecError(f"verilog: {e}") from None
    exhaustive = unit.a_width + unit.b_width <= MAX_TABLE_WIDTH
    res = characterize(unit, samples=None if exhaustive else args.samples, seed=args.seed)
    c = unit.circuit
    out = {
        "spec": unit.spec,
        "module": unit.name,
        "ports": {"a": c.a.width, "b": c.b.width, "p": c.p.width},
        "table": str(c.table_path) if c.table_path else None,
        **res.as_dict(),
        "provenance": provenance(unit, source_sha256=c.sha256, method=res.method,
                                 samples=res.samples, seed=res.seed),
    }
    if args.json:
        print_json(out)
        return 0
    print(f"imported {c.top} from {c.source}: a {c.a.width} bits, b {c.b.width} bits, "
          f"p {c.p.width} bits")
    print(f"spec: {unit.spec}")
    if c.table_path:
        print(f"table: {c.table_path}")
    how = (f"exhaustive, {res.pairs} pairs" if res.method == "exhaustive"
           else f"Monte-Carlo, {res.samples} samples, seed {res.seed}")
    print(f"error metrics ({how}):")
    rows = []
    for k in METRIC_KEYS:
        label = f"{k} (lower bound)" if res.wce_lower_bound and k in ("wce", "wce_pct",
                                                                       "wcre") else k
        rows.append({"metric": label, "value": res.metrics[k]})
    table(rows)
    return 0
