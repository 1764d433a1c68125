"""An in-process, vectorized evaluator of combinational mapped netlists.

Each cell output is computed from its liberty ``function`` on numpy boolean arrays holding one
value per clock period, in topological order; toggle counts and static probabilities follow as
in :mod:`axhdl.synth.activity`. It gives the same settled values — hence the same zero-delay
toggle counts — as the Icarus simulation of the liberty's Verilog cell models (the test suite
checks identical counts on several designs and both OSU libraries), at a fraction of the time.
Sequential or tri-state cells are not evaluated here; the flow simulates such netlists with
Icarus.

Liberty function syntax (Liberty Reference Manual, "function" attribute): ``!`` and postfix
``'`` invert, ``^`` is XOR, ``*``, ``&`` or a space is AND, ``+`` or ``|`` is OR, ``0``/``1``
are constants; inversion binds tightest, then XOR, then AND, then OR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from axhdl.errors import ToolFailedError

from .liberty import Library

__all__ = ["compile_function", "Unsupported", "evaluate_activity", "supports"]

_FUNC_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_\[\]\.]*|[01]|[!'^*&+|()])")


class Unsupported(Exception):
    """The netlist holds something the evaluator does not model (state, tri-state)."""


def _tokens(text: str) -> list[str]:
    """Tokens of a liberty function, with the implicit AND between adjacent operands made
    explicit (``A B`` and ``A(B)`` are ``A*B``)."""
    raw, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _FUNC_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse liberty function {text!r} at {pos}")
        raw.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    out: list[str] = []
    for tok in raw:
        if out:
            prev = out[-1]
            ends_operand = prev in (")", "'") or re.match(r"[A-Za-z0-9_]", prev[-1])
            starts_operand = tok in ("(", "!") or re.match(r"[A-Za-z0-9_]", tok[0])
            if ends_operand and starts_operand:
                out.append("*")
        out.append(tok)
    return out


def compile_function(text: str) -> tuple[Callable[[dict], np.ndarray], set[str]]:
    """``(f, pins)``: ``f(values)`` evaluates the liberty function on boolean arrays."""
    toks = _tokens(text)
    pos = 0
    pins: set[str] = set()

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"liberty function {text!r} ends early")
        pos += 1
        return toks[pos - 1]

    def primary():
        t = take()
        if t == "!":
            inner = primary()
            node = lambda v, f=inner: ~f(v)  # noqa: E731
        elif t == "(":
            node = or_expr()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {text!r}")
        elif t in ("0", "1"):
            const = t == "1"
            node = lambda v, c=const: np.full(v["__n__"], c)  # noqa: E731
        elif re.match(r"[A-Za-z_]", t):
            pins.add(t)
            node = lambda v, name=t: v[name]  # noqa: E731
        else:
            raise ValueError(f"unexpected '{t}' in liberty function {text!r}")
        while peek() == "'":
            take()
            node = lambda v, f=node: ~f(v)  # noqa: E731
        return node

    def xor_expr():
        node = primary()
        while peek() == "^":
            take()
            rhs = primary()
            node = lambda v, a=node, b=rhs: a(v) ^ b(v)  # noqa: E731
        return node

    def and_expr():
        node = xor_expr()
        while peek() in ("*", "&"):
            take()
            rhs = xor_expr()
            node = lambda v, a=node, b=rhs: a(v) & b(v)  # noqa: E731
        return node

    def or_expr():
        node = and_expr()
        while peek() in ("+", "|"):
            take()
            rhs = and_expr()
            node = lambda v, a=node, b=rhs: a(v) | b(v)  # noqa: E731
        return node

    func = or_expr()
    if pos != len(toks):
        raise ValueError(f"trailing '{toks[pos]}' in liberty function {text!r}")
    return func, pins


def supports(library: Library, cell_types) -> bool:
    """Whether every cell type is a combinational cell with functions in ``library``."""
    return all(t in library.cells and library.cells[t].combinational for t in set(cell_types))


def evaluate_activity(
    netlist_json: str | Path,
    top: str,
    library: Library,
    codes: dict[str, np.ndarray],
    *,
    warmup: int = 0,
) -> dict:
    """Toggle rates and static probabilities of every cell output, like
    :func:`axhdl.synth.activity.simulate_activity`, by direct evaluation."""
    data = json.loads(Path(netlist_json).read_text())
    module = data["modules"][top]
    n = len(next(iter(codes.values())))
    values: dict = {}
    for name, port in module["ports"].items():
        if port["direction"] != "input":
            continue
        code = codes.get(name)
        for j, bit in enumerate(port["bits"]):
            if isinstance(bit, int):
                values[bit] = (
                    ((code >> j) & 1).astype(bool) if code is not None else np.zeros(n, bool)
                )
    const = {"0": np.zeros(n, bool), "1": np.ones(n, bool)}

    def value_of(bit):
        if isinstance(bit, str):
            if bit not in const:
                raise Unsupported(f"undriven constant {bit!r}")
            return const[bit]
        return values.get(bit)

    compiled: dict[str, dict[str, tuple]] = {}
    pending = []
    for inst, cell in module["cells"].items():
        lib_cell = library.cells.get(cell["type"])
        if lib_cell is None or not lib_cell.combinational:
            raise Unsupported(f"cell {inst} of type {cell['type']} is not combinational logic")
        if cell["type"] not in compiled:
            compiled[cell["type"]] = {
                out: compile_function(lib_cell.pins[out].function) for out in lib_cell.outputs
            }
        pending.append((inst, cell))
    order_done: dict[str, dict[str, np.ndarray]] = {}
    while pending:
        progressed = []
        rest = []
        for inst, cell in pending:
            funcs = compiled[cell["type"]]
            needed = set().union(*(pins for _, pins in funcs.values()))
            env = {"__n__": n}
            ready = True
            for pin in needed:
                bits = cell["connections"].get(pin)
                if not bits:
                    raise Unsupported(f"cell {inst} has no connection on {pin}")
                v = value_of(bits[0])
                if v is None:
                    ready = False
                    break
                env[pin] = v
            if not ready:
                rest.append((inst, cell))
                continue
            outs = {}
            for out, (f, _) in funcs.items():
                res = f(env)
                outs[out] = res
                for bit in cell["connections"].get(out, []):
                    if isinstance(bit, int):
                        values[bit] = res
            order_done[inst] = outs
            progressed.append(inst)
        if not progressed:
            raise ToolFailedError(
                f"netlist {top} has a combinational loop or undriven net near cell {rest[0][0]}"
            )
        pending = rest

    def stats(arr: np.ndarray) -> tuple[float, float]:
        counted = arr[warmup:]
        t = counted.shape[0] - 1
        if t <= 0:
            return 0.0, float(counted[0]) if counted.size else 0.0
        toggles = int(np.count_nonzero(counted[1:] != counted[:-1]))
        return toggles / t, float(np.count_nonzero(counted[1:])) / t

    per_inst = {}
    for inst, outs in order_done.items():
        pins = {}
        for out, arr in outs.items():
            rate, prob = stats(arr)
            pins[out] = {"toggle_rate": rate, "static_probability": prob}
        per_inst[inst] = {
            "pins": pins,
            "toggle_rate": sum(p["toggle_rate"] for p in pins.values()) / len(pins),
            "static_probability": sum(p["static_probability"] for p in pins.values()) / len(pins),
        }
    inputs, outputs = {}, {}
    for name, port in module["ports"].items():
        target = inputs if port["direction"] == "input" else outputs
        if port["direction"] == "input" and name not in codes:
            continue
        for j, bit in enumerate(port["bits"]):
            v = value_of(bit)
            if v is None:
                raise ToolFailedError(f"output {name}[{j}] of {top} is undriven")
            rate, prob = stats(v)
            target[f"{name}[{j}]"] = {"toggle_rate": rate, "static_probability": prob}
    return {
        "instances": per_inst,
        "inputs": inputs,
        "outputs": outputs,
        "transitions": max(n - warmup - 1, 0),
    }
