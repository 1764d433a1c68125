"""Formal proofs of a unit: its Verilog computes the exact operation, or its golden model.

The reference is the unit's own operation (``unit.operation``: ``a*b`` for a multiplier,
``a+b`` for an adder): algebraic backward rewriting (:mod:`axhdl.synth.algebraic`, any width)
against its polynomial, or a Yosys SAT miter (:mod:`axhdl.synth.equiv`, small widths) against
the operation's reference Verilog module. ``against="model"`` proves the RTL equal to the
unit's golden model where that model is a polynomial of the operand bits.
"""

from __future__ import annotations

from axhdl.errors import InputError

__all__ = ["METHODS", "AGAINST", "prove_unit"]

#: the proof methods
METHODS = ("algebraic", "sat")
#: what the RTL is proven equal to: the exact operation (``product`` is the name it had when
#: every unit was a multiplier) or the golden model
AGAINST = ("exact", "product", "model")


def prove_unit(unit, method: str = "algebraic", timeout: float = 600,
               against: str = "exact") -> dict:
    """Prove that ``unit`` computes its exact operation (``against="exact"``) or its golden
    model (``"model"``); raises :class:`~axhdl.errors.CheckFailedError` with a counterexample
    if not, :class:`~axhdl.errors.InputError` where the method cannot apply."""
    if unit.extra_inputs:
        names = ", ".join(unit.extra_inputs)
        raise InputError(
            f"{unit.spec}: has control inputs ({names}); the proof covers two-operand units"
        )
    if against not in AGAINST:
        raise InputError(f"against must be one of {', '.join(AGAINST)}, not {against!r}")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    op = unit.operation
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
        from .algebraic import prove_arithmetic

        return prove_arithmetic(unit.verilog(), unit.name, spec=op.reference,
                                signed=unit.signed, timeout=timeout, target=target)
    if unit.p_width != op.result_width:
        raise InputError(
            f"{unit.spec}: the SAT method compares against a {op.result_width}-bit "
            f"{op.reference}, the unit has {unit.p_width} result bits; use --method algebraic"
        )
    from .equiv import prove_equivalent

    gold, top = op.gold_verilog()
    return prove_equivalent(gold, top, unit.verilog(), unit.name, timeout=timeout)
