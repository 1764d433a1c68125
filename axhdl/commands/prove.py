"""``axhdl prove SPEC``: a formal proof that a unit's Verilog computes the exact product.

The default method is algebraic (:mod:`axhdl.synth.algebraic`): Yosys maps the design to
one-bit gates and backward rewriting proves ``p = a*b`` for every input, in seconds up to
31×31. ``--method sat`` proves the same with a Yosys miter against ``assign p = a * b`` and a
SAT solver (:mod:`axhdl.synth.equiv`), practical up to about 8×8. An approximate unit is
refuted with a counterexample: exit status 1.
"""

from __future__ import annotations

from ..errors import CheckFailedError, InputError
from ._common import add_json, add_spec, print_json, unit_from

METHODS = ("algebraic", "sat")
AGAINST = ("product", "model")


def register(sub, name):
    p = sub.add_parser(
        name,
        help="formally prove that the unit computes the exact product a*b",
        description=(
            "Prove with Yosys that the unit's Verilog computes the exact product a*b for "
            "every input (two's complement when signed): algebraic backward rewriting of the "
            "gate netlist (default) or a SAT miter. Exit status 1 with a counterexample "
            "when it does not."
        ),
    )
    add_spec(p)
    p.add_argument(
        "--method", choices=METHODS, default="algebraic",
        help="algebraic (default; any width) or sat (a Yosys miter; up to about 8x8)",
    )
    p.add_argument(
        "--against", choices=AGAINST, default="product",
        help="product (default): the exact a*b; model: the unit's golden model, for families "
             "whose model is a polynomial of the operand bits (exact, truncated, perforated, "
             "broken_array, operand_truncation; algebraic method only)",
    )
    p.add_argument(
        "--timeout", type=float, default=600, metavar="S",
        help="seconds Yosys may take (default 600)",
    )
    add_json(p)
    return p


def gold_product(a_width: int, b_width: int, signed: bool) -> tuple[str, str]:
    """A reference Verilog module ``p = a * b`` with the unit's port widths: (text, name)."""
    top = f"axhdl_gold_mul_{a_width}x{b_width}{'s' if signed else 'u'}"
    sgn = "signed " if signed else ""
    text = (
        f"module {top}(input {sgn}[{a_width - 1}:0] a, input {sgn}[{b_width - 1}:0] b,\n"
        f"    output {sgn}[{a_width + b_width - 1}:0] p);\n"
        "  assign p = a * b;\n"
        "endmodule\n"
    )
    return text, top


def prove_unit(unit, method: str = "algebraic", timeout: float = 600,
               against: str = "product") -> dict:
    """Prove that ``unit`` computes the exact product (``against="product"``) or its golden
    model (``"model"``); raises :class:`CheckFailedError` with a counterexample if not."""
    if unit.extra_inputs:
        names = ", ".join(unit.extra_inputs)
        raise InputError(
            f"{unit.spec}: has control inputs ({names}); the proof covers two-operand units"
        )
    if against not in AGAINST:
        raise InputError(f"against must be one of {', '.join(AGAINST)}, not {against!r}")
    target = None
    if against == "model":
        target = unit.model_polynomial()
        if target is None:
            raise InputError(
                f"{unit.spec}: the {unit.family} model is not a polynomial of the operand "
                "bits, so it cannot be proven formally; 'axhdl verify' checks it by simulation"
            )
        if method != "algebraic":
            raise InputError("--against model needs --method algebraic")
    if method == "algebraic":
        from ..synth.algebraic import prove_arithmetic

        return prove_arithmetic(unit.verilog(), unit.name, spec="a*b", signed=unit.signed,
                                timeout=timeout, target=target)
    if method != "sat":
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if unit.p_width != unit.a_width + unit.b_width:
        raise InputError(
            f"{unit.spec}: the SAT method compares against a {unit.a_width + unit.b_width}-bit "
            f"product, the unit has {unit.p_width} result bits; use --method algebraic"
        )
    from ..synth.equiv import prove_equivalent

    gold, top = gold_product(unit.a_width, unit.b_width, unit.signed)
    return prove_equivalent(gold, top, unit.verilog(), unit.name, timeout=timeout)


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
            verdict = "NOT EXACT" if args.against == "product" else "DIFFERS FROM ITS MODEL"
            print(f"{unit.spec}: {verdict} - {e}")
        return 1
    if args.json:
        print_json({"spec": unit.spec, "exact": True, "against": args.against, **result})
        return 0
    kind = "signed" if unit.signed else "unsigned"
    claim = "p = a*b" if args.against == "product" else "p = the golden model"
    detail = ""
    if "gates" in result:
        detail = (f"; {result['gates']} gates, {result['full_adders']} full and "
                  f"{result['half_adders']} half adders, at most {result['peak_terms']} terms")
    print(f"{unit.spec}: PROVEN {claim} for every {kind} input ({result['method']}{detail}, "
          f"{result['seconds']:.1f} s)")
    return 0
