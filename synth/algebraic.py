"""Algebraic proof that a gate netlist computes an arithmetic function (backward rewriting).

A SAT miter cannot prove a 16×16 multiplier (the classic hardness of multiplier equivalence:
the search grows exponentially with the width), so :func:`prove_arithmetic` proves it the way
arithmetic-circuit checkers do. Yosys reads the Verilog, flattens it and maps it to one-bit
gate primitives without logic optimisation: word-level adders become ripple-carry adders
(``templates/ripple_alu.v``) and a word-level ``*`` a carry-save tree of full adders
(``alumacc; maccmap``), so the netlist keeps the half and full adders of the design. Then:

1. The *output signature* is the integer polynomial ``Σ w_i · p_i`` over the output bits
   (``w_i = 2^i``; the top bit weighs ``-2^(W-1)`` when the output is two's complement).
2. Gate outputs are replaced by their polynomials over the gate inputs — over Booleans
   ``x·y`` is AND, ``x + y - 2xy`` XOR, ``x + y - xy`` OR, ``1 - x`` NOT, ``a + s·b - s·a``
   the multiplexer, with ``x² = x`` — by falling logic level, until only the operand bits
   remain (backward rewriting). Full and half adders, found by their functions (cuts of at
   most three nets with XOR and majority truth tables), are replaced sum and carry at once:
   ``s + 2c = x + y + z`` then cancels their non-linear terms, which keeps the polynomial
   near the size of a cut through the adder tree instead of growing exponentially.
3. The remainder minus the *input signature* (``A·B`` or ``A + B`` of the operand words)
   must be zero modulo ``2^W``. Working modulo ``2^W`` drops the carries out of the top bit,
   and loses nothing: the result and the exact value lie in the same range of ``2^W``
   integers, so they agree modulo ``2^W`` exactly when they are equal.

This is a complete proof, not a simulation: every Boolean function has exactly one
multilinear polynomial, so a zero difference means the output word equals the specification
for every input, and a non-zero one is refuted by a concrete input — setting the variables
of a lowest-degree monomial of the difference to 1 and all others to 0 leaves that
monomial's coefficient as the difference. That counterexample is re-checked by evaluating
the netlist gate by gate before it is reported. Simulation of the operand corners and
seeded random pairs runs first, so approximate designs are refuted without any rewriting;
designs that are not built of adders can make the polynomial grow, and the proof gives up
past a term budget instead of running out of memory.

References: F. Farahmandi, B. Alizadeh, "Gröbner basis based formal verification of large
arithmetic circuits using Gaussian elimination and cone-based polynomial extraction",
Microprocessors and Microsystems 39(2), 2015; A. Mahzoon, D. Große, R. Drechsler, "RevSCA:
using reverse engineering to bring light into backward rewriting for big and dirty
multipliers", DAC 2019; D. Kaufmann, A. Biere, M. Kauers, "Verifying large multipliers by
combining SAT and computer algebra", FMCAD 2019. The Yosys cell library (``$_AND_``,
``$_MUX_``, …): C. Wolf, "Yosys Manual", internal cell library.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from importlib import resources
from itertools import product
from pathlib import Path

from axhdl.errors import CheckFailedError, InputError, ToolFailedError

from .yosys import run_yosys

__all__ = ["prove_arithmetic", "prove_netlist", "gate_netlist", "SPECS"]

#: the word-level specifications :func:`prove_arithmetic` proves
SPECS = ("a*b", "a+b")

# A polynomial maps a monomial to its non-zero integer coefficient; a monomial is the bit
# mask of its variables (bit v set: variable v occurs), so 0 is the constant monomial and
# multiplying monomials is OR-ing masks (x·x = x over Booleans).
Poly = dict[int, int]


def _add(p: Poly, q: Poly, k: int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        v = out.get(m, 0) + k * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def _mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = m1 | m2
            v = out.get(m, 0) + c1 * c2
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    return out


_ONE: Poly = {0: 1}


def _not(p: Poly) -> Poly:
    return _add(_ONE, p, -1)


def _and(x: Poly, y: Poly) -> Poly:
    return _mul(x, y)


def _or(x: Poly, y: Poly) -> Poly:
    return _add(_add(x, y), _mul(x, y), -1)


def _xor(x: Poly, y: Poly) -> Poly:
    return _add(_add(x, y), _mul(x, y), -2)


def _mux(a: Poly, b: Poly, s: Poly) -> Poly:  # s ? b : a
    return _add(_add(a, _mul(s, b)), _mul(s, a), -1)


# Yosys' one-bit gate cells: input pins, polynomial, and Boolean function on bit-parallel
# truth tables (``mask`` has a 1 for every row, so NOT is ``~x & mask``)
_GATES = {
    "$_BUF_": (("A",), lambda A: A, lambda k, A: A),
    "$_NOT_": (("A",), _not, lambda k, A: ~A & k),
    "$_AND_": (("A", "B"), _and, lambda k, A, B: A & B),
    "$_NAND_": (("A", "B"), lambda A, B: _not(_and(A, B)), lambda k, A, B: ~(A & B) & k),
    "$_OR_": (("A", "B"), _or, lambda k, A, B: A | B),
    "$_NOR_": (("A", "B"), lambda A, B: _not(_or(A, B)), lambda k, A, B: ~(A | B) & k),
    "$_XOR_": (("A", "B"), _xor, lambda k, A, B: A ^ B),
    "$_XNOR_": (("A", "B"), lambda A, B: _not(_xor(A, B)), lambda k, A, B: ~(A ^ B) & k),
    "$_ANDNOT_": (("A", "B"), lambda A, B: _and(A, _not(B)), lambda k, A, B: A & ~B & k),
    "$_ORNOT_": (("A", "B"), lambda A, B: _or(A, _not(B)), lambda k, A, B: (A | ~B) & k),
    "$_MUX_": (("A", "B", "S"), _mux, lambda k, A, B, S: (B & S) | (A & ~S & k)),
    "$_NMUX_": (("A", "B", "S"), lambda A, B, S: _not(_mux(A, B, S)),
                lambda k, A, B, S: ~((B & S) | (A & ~S)) & k),
}


def _netlist_script(top: str) -> str:
    return (
        "read_verilog design.v\n"
        f"hierarchy -check -top {top}\n"
        "proc; flatten; opt_clean\n"
        # word-level adders and multipliers become carry-save trees of full adders ($fa)
        # and ripple-carry adders; then one-bit gates, without logic optimisation, so the
        # netlist keeps the adder cells that backward rewriting relies on
        "alumacc; maccmap\n"
        "techmap -map ripple_alu.v\n"
        "techmap; opt_expr; opt_merge; opt_clean -purge\n"
        "tee -q -o check.log check\n"
        "write_json netlist.json\n"
    )


def gate_netlist(verilog: str, top: str, *, timeout: float = 600) -> dict:
    """The Yosys one-bit gate netlist of ``top``: ``{"ports": {name: (direction, bits)},
    "cells": [(type, {pin: bit})]}``, bits being net numbers or the strings ``"0"``/``"1"``."""
    rule = resources.files("axhdl.synth").joinpath("templates", "ripple_alu.v").read_text()
    with tempfile.TemporaryDirectory(prefix="axhdl-alg-") as tmp:
        work = Path(tmp)
        (work / "design.v").write_text(verilog)
        (work / "ripple_alu.v").write_text(rule)
        run_yosys(_netlist_script(top), work, timeout=timeout, what="yosys gate netlist",
                  expect=("netlist.json",))
        data = json.loads((work / "netlist.json").read_text())
        check = (work / "check.log").read_text(errors="replace")
    problems = [ln.strip() for ln in check.splitlines() if ln.strip().startswith("Warning")]
    if problems:
        raise InputError(f"design '{top}' fails Yosys' check: " + "; ".join(problems[:3]))
    module = data["modules"].get(top)
    if module is None:
        raise ToolFailedError(f"yosys gate netlist: module '{top}' missing from the netlist")
    ports = {name: (p["direction"], list(p["bits"])) for name, p in module["ports"].items()}
    cells = []
    for name, cell in module["cells"].items():
        if cell["type"] not in _GATES:
            raise InputError(
                f"design '{top}': cell {name} of type {cell['type']} is not a combinational "
                "gate (the algebraic proof covers combinational designs only)"
            )
        cells.append((cell["type"], {pin: bits[0] for pin, bits in cell["connections"].items()}))
    return {"ports": ports, "cells": cells}


def _word(bits: list, signed: bool, var_of) -> Poly:
    """``Σ w_i · bit_i`` with two's-complement weights when ``signed``."""
    poly: Poly = {}
    for i, bit in enumerate(bits):
        w = -(1 << i) if signed and i == len(bits) - 1 else 1 << i
        poly = _add(poly, var_of(bit), w)
    return poly


def _simulate(netlist: dict, order: list[int], inputs: dict[str, list[int]], output: str
              ) -> list[int]:
    """Bit-parallel gate-by-gate evaluation of the cells in ``order`` (the fan-in of
    ``output``): vector ``k`` is bit ``k`` of every net's integer. ``inputs`` maps each input
    port to its unsigned values; returns the unsigned values of the port ``output`` (other
    outputs, such as a carry-cut adder's cut carry, are not evaluated)."""
    count = len(next(iter(inputs.values())))
    mask = (1 << count) - 1
    value: dict = {"0": 0, "1": mask}
    for name, (direction, bits) in netlist["ports"].items():
        if direction == "input":
            for i, bit in enumerate(bits):
                value[bit] = sum(((v >> i) & 1) << k for k, v in enumerate(inputs[name]))
    for index in order:
        kind, conn = netlist["cells"][index]
        pins, _, func = _GATES[kind]
        value[conn["Y"]] = func(mask, *(value[conn[p]] for p in pins))
    words = [value[bit] for bit in netlist["ports"][output][1]]
    return [sum(((w >> k) & 1) << i for i, w in enumerate(words)) for k in range(count)]


def _topological(netlist: dict, outputs: list) -> list[int]:
    """Indices of the cells in the fan-in of ``outputs``, every driver before its readers."""
    driver = {conn["Y"]: i for i, (_, conn) in enumerate(netlist["cells"])}
    order: list[int] = []
    state: dict[int, int] = {}  # 1 visiting, 2 done
    for out in outputs:
        if out not in driver or state.get(driver[out]):
            continue
        stack = [(driver[out], False)]
        while stack:
            index, expanded = stack.pop()
            if expanded:
                state[index] = 2
                order.append(index)
                continue
            if state.get(index) == 2:
                continue
            state[index] = 1
            stack.append((index, True))
            kind, conn = netlist["cells"][index]
            for pin in _GATES[kind][0]:
                src = conn[pin]
                if src in driver:
                    if state.get(driver[src]) == 1:
                        raise InputError("the design has a combinational loop")
                    if not state.get(driver[src]):
                        stack.append((driver[src], False))
    return order


# -- adder cells ---------------------------------------------------------------------------
# Backward rewriting stays small only when a full adder's sum and carry are replaced
# together: then s + 2c = x + y + z cancels the adder's non-linear terms at once. Replacing
# them gate by gate instead builds large intermediate polynomials. Adder cells are found
# from their functions, not their gates: every net gets its cuts (sets of at most three nets
# its value is a function of) with that function's truth table; an XOR3 and a majority over
# the same three nets form a full adder, an XOR2 and an AND over the same two a half adder
# (input and output inversions allowed).

_CUT_SIZE = 3
_CUTS_KEPT = 16


def _net_key(net) -> tuple:
    return (isinstance(net, str), str(net))


def _expand(tt: int, sub: tuple, leaves: tuple) -> int:
    """The truth table ``tt`` over the nets ``sub`` re-expressed over ``leaves`` ⊇ ``sub``."""
    where = [leaves.index(n) for n in sub]
    out = 0
    for row in range(1 << len(leaves)):
        index = sum(((row >> w) & 1) << t for t, w in enumerate(where))
        out |= ((tt >> index) & 1) << row
    return out


def _literal_tables(arity: int, base) -> set[int]:
    """Truth tables of ``base`` over inputs and output inverted in every combination."""
    rows = 1 << arity
    tables = set()
    for flip in range(rows):
        tt = 0
        for row in range(rows):
            tt |= base(*(((row ^ flip) >> i) & 1 for i in range(arity))) << row
        tables |= {tt, ~tt & ((1 << rows) - 1)}
    return tables


_SUM3 = _literal_tables(3, lambda x, y, z: x ^ y ^ z)
_CARRY3 = _literal_tables(3, lambda x, y, z: (x & y) | (x & z) | (y & z))
_SUM2 = _literal_tables(2, lambda x, y: x ^ y)
_CARRY2 = _literal_tables(2, lambda x, y: x & y)


def _cuts(netlist: dict, order: list[int]) -> dict:
    """net → {leaves: truth table} for the cuts of at most ``_CUT_SIZE`` nets of each gate."""
    cells = netlist["cells"]
    cuts: dict = {}

    def of(net) -> dict:
        if net in cuts:
            return cuts[net]
        if net in ("0", "1"):
            return {(): int(net)}
        return {(net,): 0b10}

    for index in order:
        kind, conn = cells[index]
        pins, _, func = _GATES[kind]
        found: dict = {}
        for combo in product(*(of(conn[pin]).items() for pin in pins)):
            leaves = tuple(sorted(set().union(*(c[0] for c in combo)), key=_net_key))
            if len(leaves) > _CUT_SIZE or leaves in found:
                continue
            mask = (1 << (1 << len(leaves))) - 1
            found[leaves] = func(mask, *(_expand(tt, sub, leaves) for sub, tt in combo))
        best = sorted(found.items(), key=lambda kv: (len(kv[0]), [_net_key(n) for n in kv[0]]))
        cuts[conn["Y"]] = {(conn["Y"],): 0b10, **dict(best[:_CUTS_KEPT])}
    return cuts


def _adder_cells(netlist: dict, order: list[int]) -> list[tuple[tuple, dict]]:
    """The full and half adders of the netlist: ``(leaves, {output net: truth table})``."""
    by_cut: dict = {}
    for net, net_cuts in _cuts(netlist, order).items():
        for leaves, tt in net_cuts.items():
            if len(leaves) == 3 and (tt in _SUM3 or tt in _CARRY3):
                by_cut.setdefault(leaves, []).append((net, tt, tt in _SUM3))
            elif len(leaves) == 2 and (tt in _SUM2 or tt in _CARRY2):
                by_cut.setdefault(leaves, []).append((net, tt, tt in _SUM2))
    used: set = set()
    cells = []
    for leaves in sorted(by_cut, key=lambda c: (-len(c), [_net_key(n) for n in c])):
        sums = [(n, tt) for n, tt, is_sum in by_cut[leaves] if is_sum and n not in used]
        carries = [(n, tt) for n, tt, is_sum in by_cut[leaves] if not is_sum and n not in used]
        for (s, s_tt), (c, c_tt) in zip(sums, carries):
            used |= {s, c}
            cells.append((leaves, {s: s_tt, c: c_tt}))
    # each adder output's truth table, recomputed by evaluating its cone from the leaves: a
    # wrong table would make the rewriting prove the wrong function
    driver = {conn["Y"]: i for i, (_, conn) in enumerate(netlist["cells"])}
    for leaves, outs in cells:
        for net, tt in outs.items():
            if _cone_table(netlist, driver, net, leaves) != tt:
                raise ToolFailedError(f"algebraic proof: adder cut of net {net} is inconsistent")
    return cells


def _cone_table(netlist: dict, driver: dict, net, leaves: tuple) -> int:
    """The truth table of ``net`` over ``leaves``, by bit-parallel evaluation of its cone."""
    rows = 1 << len(leaves)
    mask = (1 << rows) - 1
    value = {leaf: sum(((r >> i) & 1) << r for r in range(rows)) for i, leaf in enumerate(leaves)}
    value.update({"0": 0, "1": mask})
    stack = [net]
    while stack:
        n = stack[-1]
        if n in value:
            stack.pop()
            continue
        if n not in driver:
            raise ToolFailedError(f"algebraic proof: {leaves} is not a cut of net {net}")
        kind, conn = netlist["cells"][driver[n]]
        pins, _, func = _GATES[kind]
        missing = [conn[pin] for pin in pins if conn[pin] not in value]
        if missing:
            stack.extend(missing)
            continue
        value[n] = func(mask, *(value[conn[pin]] for pin in pins))
        stack.pop()
    return value[net]


def _table_poly(tt: int, leaf_polys: list[Poly]) -> Poly:
    """The multilinear polynomial of truth table ``tt`` over the given leaf polynomials
    (Möbius transform: the coefficient of a monomial S is Σ_{T ⊆ S} (-1)^|S∖T| f(T))."""
    k = len(leaf_polys)
    coef = [(tt >> row) & 1 for row in range(1 << k)]
    for i in range(k):
        for row in range(1 << k):
            if row >> i & 1:
                coef[row] -= coef[row ^ (1 << i)]
    poly: Poly = {}
    for row, c in enumerate(coef):
        if c:
            term: Poly = {0: c}
            for i in range(k):
                if row >> i & 1:
                    term = _mul(term, leaf_polys[i])
            poly = _add(poly, term)
    return poly


def _reduce(poly: Poly, modulus: int) -> Poly:
    return {m: c % modulus for m, c in poly.items() if c % modulus}


def _substitute(poly: Poly, bits: int, replacements, modulus: int) -> bool:
    """Replace, in place and at once, the variables in the mask ``bits`` by polynomials;
    ``replacements()`` gives ``{bit: polynomial}`` and is called only when a monomial holds
    one of them. Coefficients are kept modulo ``modulus``. Returns whether anything changed."""
    hits = [(m, c) for m, c in poly.items() if m & bits]
    if not hits:
        return False
    repl = replacements()
    for m, _ in hits:
        del poly[m]
    for m, c in hits:
        term: Poly = {m & ~bits: c}
        for bit, rp in repl.items():
            if m & bit:
                term = _mul(term, rp)
        for tm, tc in term.items():
            v = (poly.get(tm, 0) + tc) % modulus
            if v:
                poly[tm] = v
            else:
                poly.pop(tm, None)
    return True


def _signed_value(value: int, width: int, signed: bool) -> int:
    return value - (1 << width) if signed and value >> (width - 1) & 1 else value


#: random operand pairs simulated before the proof
SAMPLES = 2048


def _sample(na: int, nb: int) -> tuple[list[int], list[int]]:
    """Every pair of operand corners (0, 1, 2, the largest and the most negative codes,
    all ones) plus seeded random pairs, as unsigned codes."""
    def corners(n: int) -> list[int]:
        return sorted({0, 1 % (1 << n), 2 % (1 << n), (1 << n) - 1, 1 << (n - 1),
                       (1 << (n - 1)) - 1})

    pairs = [(x, y) for x in corners(na) for y in corners(nb)]
    rng = random.Random(0x5EED)
    pairs += [(rng.getrandbits(na), rng.getrandbits(nb)) for _ in range(SAMPLES)]
    return [x for x, _ in pairs], [y for _, y in pairs]


def _levels(units: list[tuple[dict, tuple]]) -> list[int]:
    """Each unit's level: 1 + the highest level among the producers of its inputs."""
    producer = {net: u for u, (outs, _) in enumerate(units) for net in outs}
    level: list[int | None] = [None] * len(units)
    on_stack = [False] * len(units)
    for root in range(len(units)):
        stack = [root]
        while stack:
            u = stack[-1]
            if level[u] is not None:
                stack.pop()
                continue
            on_stack[u] = True
            pending = [producer[n] for n in units[u][1]
                       if n in producer and level[producer[n]] is None]
            if pending:
                for w in pending:
                    if on_stack[w]:
                        raise InputError("the design has a combinational loop")
                stack.extend(pending)
                continue
            level[u] = 1 + max((level[producer[n]] for n in units[u][1] if n in producer),
                               default=0)
            on_stack[u] = False
            stack.pop()
    return level


def prove_netlist(
    netlist: dict,
    *,
    spec: str = "a*b",
    signed: bool = False,
    a: str = "a",
    b: str = "b",
    p: str = "p",
    top: str = "design",
    max_terms: int = 1_000_000,
    simulate: bool = True,
    target: dict[tuple, int] | None = None,
) -> dict:
    """Prove that a gate netlist (as :func:`gate_netlist` returns it) computes ``spec``;
    see :func:`prove_arithmetic`. ``simulate`` first tries the operand corners and
    :data:`SAMPLES` seeded random pairs (a mismatch refutes at once); ``max_terms`` bounds
    the polynomial (beyond it the proof gives up with :class:`ToolFailedError`).

    ``target``, when given, replaces ``spec``: an integer polynomial over the operand bits
    (keys: tuples of ``("a", i)`` / ``("b", j)``, as :meth:`ArithmeticUnit.model_polynomial`
    returns them) that the result must equal modulo 2^W — a golden model rather than the
    exact function; its counterexamples name the polynomial's value as ``expected``."""
    if spec not in SPECS:
        raise InputError(f"spec must be one of {', '.join(SPECS)}, not {spec!r}")
    if target is not None:
        spec = "the model"
    start = time.monotonic()
    ports = netlist["ports"]
    for name, direction in ((a, "input"), (b, "input"), (p, "output")):
        if name not in ports or ports[name][0] != direction:
            raise InputError(f"design '{top}' has no {direction} port '{name}'")
    extra = sorted(n for n, (d, _) in ports.items() if d == "input" and n not in (a, b))
    if extra:
        raise InputError(
            f"design '{top}' has inputs besides '{a}' and '{b}' ({', '.join(extra)}): "
            "the proof covers two-operand units only"
        )
    a_bits, b_bits, p_bits = ports[a][1], ports[b][1], ports[p][1]
    need = len(a_bits) + len(b_bits) if spec == "a*b" else max(len(a_bits), len(b_bits)) + 1
    if target is not None:
        need = 1
        operand = {"a": a_bits, "b": b_bits}
        for key in target:
            for port, bit in key:
                if port not in operand or not 0 <= bit < len(operand[port]):
                    raise InputError(f"target polynomial names operand bit {port}[{bit}], "
                                     f"which design '{top}' does not have")
    if len(p_bits) < need:
        raise InputError(
            f"design '{top}': output '{p}' has {len(p_bits)} bits, {spec} needs {need}"
        )

    # all arithmetic modulo 2^W for a W-bit result: the result and the exact value both lie
    # in one range of 2^W integers, so they are equal exactly when they agree modulo 2^W
    # (and the terms of the discarded carries out of the top bit vanish); a model is defined
    # modulo 2^W in the first place (its value wraps to the result width)
    modulus = 1 << len(p_bits)
    var: dict = {}  # net → variable number

    def var_of(bit) -> Poly:
        if bit == "0":
            return {}
        if bit == "1":
            return dict(_ONE)
        if bit in ("x", "z"):
            raise InputError(f"design '{top}' has an undriven ('{bit}') bit in its cone")
        if bit not in var:
            var[bit] = len(var)
        return {1 << var[bit]: 1}

    for bit in a_bits + b_bits:  # operands get the low variable numbers
        var_of(bit)
    cells = netlist["cells"]
    order = _topological(netlist, p_bits)
    driven = {cells[i][1]["Y"] for i in order} | set(a_bits) | set(b_bits) | {"0", "1"}
    for bit in p_bits + [cells[i][1][pin] for i in order for pin in _GATES[cells[i][0]][0]]:
        if bit not in driven:
            raise InputError(f"design '{top}' has an undriven bit ({bit}) in its cone")

    def expected(code_a: int, code_b: int) -> int:
        """The specified result for operand codes, in the result's value range."""
        if target is None:
            x = _signed_value(code_a, len(a_bits), signed)
            y = _signed_value(code_b, len(b_bits), signed)
            value = x * y if spec == "a*b" else x + y
        else:
            codes = {"a": code_a, "b": code_b}
            value = sum(c for key, c in target.items()
                        if all(codes[port] >> bit & 1 for port, bit in key))
        return _signed_value(value % modulus, len(p_bits), signed)

    def refute(values: dict[str, int], how: str):
        got = _simulate(netlist, order, {a: [values[a]], b: [values[b]]}, p)[0]
        va = _signed_value(values[a], len(a_bits), signed)
        vb = _signed_value(values[b], len(b_bits), signed)
        vp = _signed_value(got, len(p_bits), signed)
        want = expected(values[a], values[b])
        if vp == want:  # cannot happen unless the rewriting itself is wrong
            raise ToolFailedError(
                f"algebraic proof of '{top}': {how} at {a}={va}, {b}={vb} "
                "not confirmed by gate-level evaluation"
            )
        error = CheckFailedError(
            f"design '{top}' does not compute {spec}: counterexample {a}={va}, {b}={vb} "
            f"gives {p}={vp}, expected {want} ({how})"
        )
        error.counterexample = {a: va, b: vb, p: vp, "expected": want}
        raise error

    # simulation first: a mismatch among the operand corners and seeded random vectors
    # refutes the design at once (approximate designs), before any rewriting
    sample_a, sample_b = _sample(len(a_bits), len(b_bits)) if simulate else ([], [])
    sim = _simulate(netlist, order, {a: sample_a, b: sample_b}, p) if simulate else []
    for va, vb, vp in zip(sample_a, sample_b, sim):
        if _signed_value(vp, len(p_bits), signed) != expected(va, vb):
            refute({a: va, b: vb}, "found by simulation")
    adders = _adder_cells(netlist, order)

    # rewriting units: (outputs → how each is computed from the inputs, inputs). An adder
    # cell gives each output's truth table over its leaves; every other gate of the cone is a
    # unit of its own, with its gate type.
    units: list[tuple[dict, tuple]] = [(outs, leaves) for leaves, outs in adders]
    in_adder = {net for outs, _ in units for net in outs}
    for index in order:
        kind, conn = cells[index]
        if conn["Y"] not in in_adder:
            units.append(({conn["Y"]: kind}, tuple(conn[pin] for pin in _GATES[kind][0])))
    level = _levels(units)

    poly = _reduce(_word(p_bits, signed, var_of), modulus)
    peak = len(poly)
    # substitute by falling level, so that the polynomial stays a cut through the netlist:
    # every reader of a unit's outputs has a higher level and has been replaced before it
    for u in sorted(range(len(units)), key=lambda u: (-level[u], u)):
        outs, ins = units[u]
        present = {1 << var[net]: net for net in outs if net in var}

        def replacements(present=present, outs=outs, ins=ins) -> dict[int, Poly]:
            leaf_polys = [var_of(n) for n in ins]
            # a gate type, or an adder output's truth table
            return {bit: _GATES[outs[net]][1](*leaf_polys) if isinstance(outs[net], str)
                    else _table_poly(outs[net], leaf_polys) for bit, net in present.items()}

        if not _substitute(poly, sum(present), replacements, modulus):
            continue
        peak = max(peak, len(poly))
        if peak > max_terms:
            raise ToolFailedError(
                f"algebraic proof of '{top}' gave up: the polynomial grew past {max_terms} "
                "terms (the netlist is not built of adder cells the rewriting recognises)"
            )
    word_a = _word(a_bits, signed, var_of)
    word_b = _word(b_bits, signed, var_of)
    if target is None:
        goal = _mul(word_a, word_b) if spec == "a*b" else _add(word_a, word_b)
    else:
        operand = {"a": a_bits, "b": b_bits}
        goal = {}
        for key, coef in target.items():
            term: Poly = {0: coef}
            for port, bit in key:
                term = _mul(term, var_of(operand[port][bit]))
            goal = _add(goal, term)
    residue = _reduce(_add(poly, goal, -1), modulus)
    seconds = time.monotonic() - start
    if not residue:
        return {
            "equivalent": True,
            "method": "yosys techmap + algebraic backward rewriting (modulo 2^W)",
            "function": spec,
            "signed": signed,
            "gates": len(order),
            "full_adders": sum(len(leaves) == 3 for leaves, _ in adders),
            "half_adders": sum(len(leaves) == 2 for leaves, _ in adders),
            "peak_terms": peak,
            "seconds": seconds,
        }
    # a lowest-degree monomial of the residue names a counterexample
    mono = min(residue, key=lambda m: (m.bit_count(), m))
    refute({name: sum(1 << i for i, bit in enumerate(ports[name][1])
                      if bit in var and mono >> var[bit] & 1)
            for name in (a, b)}, "found by the proof")


def prove_arithmetic(
    verilog: str,
    top: str,
    *,
    spec: str = "a*b",
    signed: bool = False,
    a: str = "a",
    b: str = "b",
    p: str = "p",
    timeout: float = 600,
    target: dict[tuple, int] | None = None,
) -> dict:
    """Prove that output ``p`` of the Verilog module ``top`` equals ``a*b`` (or ``a+b``, or
    the polynomial ``target``, see :func:`prove_netlist`) for every input.

    Operands and result are two's complement when ``signed``, else unsigned; the result port
    must be wide enough for every exact result (``a_width + b_width`` bits for a product).
    Returns ``{"equivalent": True, "method", "function", "signed", "gates", "full_adders",
    "half_adders", "peak_terms", "seconds"}``; raises :class:`CheckFailedError` with a
    counterexample (confirmed by gate-level evaluation, also in its ``counterexample``
    attribute) when the design computes something else, and :class:`InputError` for a
    design outside the method's reach (sequential cells, extra inputs, a result port too
    narrow).
    """
    if spec not in SPECS:
        raise InputError(f"spec must be one of {', '.join(SPECS)}, not {spec!r}")
    start = time.monotonic()
    netlist = gate_netlist(verilog, top, timeout=timeout)
    result = prove_netlist(netlist, spec=spec, signed=signed, a=a, b=b, p=p, top=top,
                           target=target)
    result["seconds"] = time.monotonic() - start
    return result
