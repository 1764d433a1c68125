"""``axhdl prove SPEC``: a formal proof that a unit's Verilog computes its exact operation.

The reference is the unit's operation (``a*b`` for a multiplier, ``a+b`` for an adder). The
default method is algebraic (:mod:`axhdl.synth.algebraic`): Yosys maps the design to one-bit
gates and backward rewriting proves ``p = a*b`` for every input, in seconds up to 31×31.
``--method sat`` proves the same with a Yosys miter against the reference module and a SAT
solver (:mod:`axhdl.synth.equiv`), practical up to about 8×8. An approximate unit is refuted
with a counterexample: exit status 1. The proofs themselves live in :mod:`axhdl.synth.prove`.
"""

from __future__ import annotations

from ..errors import CheckFailedError
from ..synth.prove import AGAINST, METHODS, prove_unit
from ._common import add_json, add_spec, print_json, seconds, unit_from


def register(sub, name):
    p = sub.add_parser(
        name,
        help="formally prove that the unit computes its exact operation (a*b, a+b)",
        description=(
            "Prove with Yosys that the unit's Verilog computes its exact operation (a*b for "
            "a multiplier, a+b for an adder) for every input (two's complement when signed): "
            "algebraic backward rewriting of the gate netlist (default) or a SAT miter. Exit "
            "status 1 with a counterexample when it does not."
        ),
    )
    add_spec(p)
    p.add_argument(
        "--method", choices=METHODS, default="algebraic",
        help="algebraic (default; any width) or sat (a Yosys miter; up to about 8x8)",
    )
    p.add_argument(
        "--against", choices=AGAINST, default="exact",
        help="exact (default; 'product' is an alias): the unit's exact operation; model: the "
             "unit's golden model, for families "
             "whose model is a polynomial of the operand bits (exact, truncated, perforated, "
             "broken_array, operand_truncation; algebraic method only)",
    )
    p.add_argument(
        "--timeout", type=seconds, default=600, metavar="S",
        help="seconds Yosys may take (default 600)",
    )
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
    try:
        result = prove_unit(unit, args.method, args.timeout, args.against)
    except CheckFailedError as e:
        if args.json:
            print_json({"spec": unit.spec, "exact": False, "against": args.against,
                        "method": args.method,
                        "reason": str(e), "counterexample": getattr(e, "counterexample", None)})
        else:
            verdict = "DIFFERS FROM ITS MODEL" if args.against == "model" else "NOT EXACT"
            print(f"{unit.spec}: {verdict} - {e}")
        return 1
    if args.json:
        print_json({"spec": unit.spec, "exact": True, "against": args.against, **result})
        return 0
    kind = "signed" if unit.signed else "unsigned"
    claim = (f"p = {unit.operation.reference}" if args.against != "model"
             else "p = the golden model")
    detail = ""
    if "gates" in result:
        detail = (f"; {result['gates']} gates, {result['full_adders']} full and "
                  f"{result['half_adders']} half adders, at most {result['peak_terms']} terms")
    print(f"{unit.spec}: PROVEN {claim} for every {kind} input ({result['method']}{detail}, "
          f"{result['seconds']:.1f} s)")
    return 0
