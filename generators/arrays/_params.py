"""The parameters and rules the MAC and the systolic arrays share: the multiplier and adder
units they are built from."""

from __future__ import annotations

from axhdl.params import UNIT, UNITS, Param

__all__ = ["MUL_PARAM", "ADD_PARAM", "ROW_MULS_PARAM", "COL_MULS_PARAM", "check_subunits",
           "check_multiplier", "check_combinational"]

_MUL_TIES = {"a_width": "a_width", "b_width": "b_width", "signed": "signed"}

MUL_PARAM = Param(
    "mul", UNIT, "exact", "the multiplier of each product (operands a, b)",
    unit_kind="multiplier", unit_params=_MUL_TIES,
)
ADD_PARAM = Param(
    "add", UNIT, "exact_add", "the adder of the accumulator (running sum + product)",
    unit_kind="adder", unit_params={"width": "acc_width", "signed": "signed"},
)
ROW_MULS_PARAM = Param(
    "row_muls", UNITS, None,
    "one multiplier per PE row, top row first (a heterogeneous array; instead of mul)",
    unit_kind="multiplier", unit_params=_MUL_TIES,
)
COL_MULS_PARAM = Param(
    "col_muls", UNITS, None,
    "one multiplier per PE column, left column first (a heterogeneous array; instead of mul)",
    unit_kind="multiplier", unit_params=_MUL_TIES,
)


def check_combinational(label: str, unit) -> None:
    """``unit`` (named ``label`` in messages, e.g. ``Parameter 'mul'``) must have latency 0 and
    no control inputs."""
    if unit.latency != 0:
        raise ValueError(
            f"{label} must be a combinational {unit.kind} (latency 0); "
            f"{unit.spec} has a latency of {unit.latency} cycles"
        )
    if unit.extra_inputs:
        article = "an" if unit.kind[0] in "aeiou" else "a"
        raise ValueError(
            f"{label} must be {article} {unit.kind} without control inputs; "
            f"{unit.spec} has control inputs: {', '.join(unit.extra_inputs)}"
        )


def check_multiplier(label: str, mul, acc_width: int) -> None:
    """A PE's multiplier: combinational, no control inputs, its product fits ``acc_width``."""
    check_combinational(label, mul)
    if mul.p_width > acc_width:
        raise ValueError(
            f"{label} must have a product of at most acc_width ({acc_width}) "
            f"bits; {mul.spec} has a {mul.p_width}-bit product"
        )


def check_subunits(values: dict) -> None:
    """The multiplier and adder must be combinational, without control inputs, and the
    product must fit the accumulator; ``ValueError`` naming the parameter and the unit."""
    check_combinational("Parameter 'mul'", values["mul"])
    check_combinational("Parameter 'add'", values["add"])
    check_multiplier("Parameter 'mul'", values["mul"], values["acc_width"])
