"""The parameters and rules the MAC and the systolic arrays share: the multiplier and adder
units they are built from."""

from __future__ import annotations

from axhdl.params import UNIT, Param

__all__ = ["MUL_PARAM", "ADD_PARAM", "check_subunits"]

MUL_PARAM = Param(
    "mul", UNIT, "exact", "the multiplier of each product (operands a, b)",
    unit_kind="multiplier", unit_params={"a_width": "a_width", "b_width": "b_width",
                                         "signed": "signed"},
)
ADD_PARAM = Param(
    "add", UNIT, "exact_add", "the adder of the accumulator (running sum + product)",
    unit_kind="adder", unit_params={"width": "acc_width", "signed": "signed"},
)


def check_subunits(values: dict) -> None:
    """The multiplier and adder must be combinational, without control inputs, and the
    product must fit the accumulator; ``ValueError`` naming the parameter and the unit."""
    for key in ("mul", "add"):
        unit = values[key]
        if unit.latency != 0:
            raise ValueError(
                f"Parameter '{key}' must be a combinational {unit.kind} (latency 0); "
                f"{unit.spec} has a latency of {unit.latency} cycles"
            )
        if unit.extra_inputs:
            article = "an" if unit.kind[0] in "aeiou" else "a"
            raise ValueError(
                f"Parameter '{key}' must be {article} {unit.kind} without control inputs; "
                f"{unit.spec} has control inputs: {', '.join(unit.extra_inputs)}"
            )
    mul = values["mul"]
    if mul.p_width > values["acc_width"]:
        raise ValueError(
            f"Parameter 'mul' must have a product of at most acc_width ({values['acc_width']}) "
            f"bits; {mul.spec} has a {mul.p_width}-bit product"
        )
