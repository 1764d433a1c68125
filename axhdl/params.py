"""Declared, validated parameters of arithmetic units.

A unit class lists its parameters as :class:`Param` objects. The same declaration validates
keyword arguments from Python, converts values from spec strings, and documents the family in
``axhdl list``. Bounds may be expressions over other parameters (``max="a_width + b_width"``),
evaluated after those parameters are known, so the documented range and the enforced range are
one and the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["REQUIRED", "Param", "validate_params", "parse_value"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter of a unit family.

    ``kind`` is ``int``, ``bool``, ``str`` or ``tuple`` (a tuple of ints). ``min``/``max`` are
    ints or expressions over previously validated parameters; ``choices`` restricts ``str``
    (or ``int``) values; ``default`` may be ``REQUIRED`` or ``None`` (optional, absent).
    """

    name: str
    kind: type
    default: Any = REQUIRED
    doc: str = ""
    min: int | str | None = None
    max: int | str | None = None
    choices: tuple = field(default=())
    # for tuples: bounds on each element
    item_min: int | str | None = None
    item_max: int | str | None = None

    def range_text(self) -> str:
        """The allowed values in words, as shown by ``axhdl list`` and in error messages."""
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is tuple:
            lo, hi = self.item_min, self.item_max
            return f"a list of integers in {_bounds_text(lo, hi)}"
        if self.kind is int:
            return f"an integer in {_bounds_text(self.min, self.max)}"
        return "a string"

    def as_dict(self) -> dict:
        default = None if self.default is REQUIRED else self.default
        if isinstance(default, tuple):
            default = list(default)
        return {
            "name": self.name,
            "type": {int: "int", bool: "bool", str: "str", tuple: "int-list"}[self.kind],
            "required": self.default is REQUIRED,
            "default": default,
            "range": self.range_text(),
            "doc": self.doc,
        }


def _bounds_text(lo, hi) -> str:
    lo_t = "-inf" if lo is None else str(lo)
    hi_t = "inf" if hi is None else str(hi)
    return f"{lo_t}..{hi_t}"


def _eval_bound(bound, env: dict) -> int | None:
    if bound is None or isinstance(bound, int):
        return bound
    # bounds are expressions written in this package's own unit declarations, never user input
    return int(eval(bound, {"__builtins__": {"min": min, "max": max}}, dict(env)))


def parse_value(param: Param, text: str) -> Any:
    """Convert the text of a spec value to the parameter's type (``TypeError`` if impossible)."""
    text = text.strip()
    if param.kind is bool:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise TypeError(f"Parameter '{param.name}' must be true or false, not {text!r}")
    if param.kind is int:
        try:
            return int(text, 0)
        except ValueError:
            raise TypeError(f"Parameter '{param.name}' must be an integer, not {text!r}") from None
    if param.kind is tuple:
        items = [t for t in text.replace(";", ",").split(",") if t.strip() != ""]
        try:
            return tuple(int(t, 0) for t in items)
        except ValueError:
            raise TypeError(
                f"Parameter '{param.name}' must be a list of integers, not {text!r}"
            ) from None
    return text


def _check_type(param: Param, value: Any) -> Any:
    if param.kind is bool:
        if not isinstance(value, bool):
            raise TypeError(f"Parameter '{param.name}' must be true or false, not {value!r}")
        return value
    if param.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Parameter '{param.name}' must be an integer, not {value!r}")
        return value
    if param.kind is tuple:
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return tuple(value)
        raise TypeError(f"Parameter '{param.name}' must be a list of integers, not {value!r}")
    if not isinstance(value, str):
        raise TypeError(f"Parameter '{param.name}' must be a string, not {value!r}")
    return value


def _check_range(param: Param, value: Any, env: dict) -> None:
    if param.choices:
        if value not in param.choices:
            raise ValueError(
                f"Parameter '{param.name}' must be {param.range_text()}, not {value!r}"
            )
        return
    if param.kind is int:
        lo, hi = _eval_bound(param.min, env), _eval_bound(param.max, env)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(
                f"Parameter '{param.name}' must be an integer in "
                f"{_bounds_text(param.min, param.max)}"
                f"{_resolved(param.min, param.max, lo, hi)}, not {value}"
            )
    if param.kind is tuple:
        if not value:
            raise ValueError(f"Parameter '{param.name}' must be a non-empty list of integers")
        lo, hi = _eval_bound(param.item_min, env), _eval_bound(param.item_max, env)
        for v in value:
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ValueError(
                    f"Parameter '{param.name}' must be a list of integers in "
                    f"{_bounds_text(param.item_min, param.item_max)}"
                    f"{_resolved(param.item_min, param.item_max, lo, hi)}, not {list(value)}"
                )


def _resolved(lo_expr, hi_expr, lo, hi) -> str:
    """`` (here 0..16)`` when a bound was an expression, so the user sees the number."""
    if isinstance(lo_expr, str) or isinstance(hi_expr, str):
        return f" (here {_bounds_text(lo, hi)})"
    return ""


def validate_params(family: str, params: tuple[Param, ...], kwargs: dict) -> dict:
    """Check ``kwargs`` against ``params`` in declaration order; return the full value dict.

    Unknown names raise ``TypeError`` listing the known ones; a missing required parameter
    raises ``TypeError``; wrong types ``TypeError``; out-of-range values ``ValueError``.
    """
    known = {p.name for p in params}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(
            f"Family '{family}' has no parameter '{unknown[0]}'; "
            f"its parameters are: {', '.join(p.name for p in params)}"
        )
    values: dict[str, Any] = {}
    for p in params:
        if p.name in kwargs and kwargs[p.name] is not None:
            value = _check_type(p, kwargs[p.name])
        elif p.default is REQUIRED:
            raise TypeError(f"Family '{family}' requires parameter '{p.name}'")
        elif p.default is None:
            values[p.name] = None
            continue
        else:
            value = p.default
        _check_range(p, value, values)
        values[p.name] = value
    return values
