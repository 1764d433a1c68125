"""Declared, validated parameters of arithmetic units.

A unit class lists its parameters as :class:`Param` objects. The same declaration validates
keyword arguments from Python, converts values from spec strings, and documents the family in
``axhdl list``. Bounds may be expressions over other parameters (``max="a_width + b_width"``),
evaluated after those parameters are known, so the documented range and the enforced range are
one and the same text.

A parameter of kind :data:`UNIT` holds another arithmetic unit (a *nested spec*,
``mac:mul=(drum:width=8,k=4)``): its value is a unit object, given in Python as a unit or a
spec string and in a spec as a spec in parentheses. ``unit_kind`` names the kind of unit it
must be; ``unit_params`` ties the sub-unit's parameters to expressions over the parameters
validated before it (``{"a_width": "a_width"}``, ``{"width": "mul.p_width"}``). A default is
a spec string whose tied parameters are filled in from those expressions.

A parameter of kind :data:`UNITS` holds a non-empty list of such units (one per row of a PE
array, say): in a spec, unit specs in parentheses separated by ``;`` (or ``,``),
``row_muls=(drum:width=8,k=4);(exact:width=8)``; in Python a list of units or spec strings.
Each unit is checked against ``unit_kind`` and ``unit_params`` as a single one is; errors name
the item (counted from 1). The list's length is the owning family's rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError, echo

__all__ = [
    "REQUIRED",
    "UNIT",
    "UNITS",
    "Param",
    "validate_params",
    "parse_value",
    "format_value",
    "name_value",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class _UnitKind:
    def __repr__(self) -> str:
        return "UNIT"


#: The ``kind`` of a parameter whose value is an arithmetic unit (see the module docstring).
UNIT: Any = _UnitKind()


class _UnitListKind:
    def __repr__(self) -> str:
        return "UNITS"


#: The ``kind`` of a parameter whose value is a tuple of arithmetic units (module docstring).
UNITS: Any = _UnitListKind()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_TYPE_NAMES = {int: "int", bool: "bool", str: "str", tuple: "int-list"}


@dataclass(frozen=True)
class Param:
    """One parameter of a unit family.

    ``kind`` is ``int``, ``bool``, ``str``, ``tuple`` (a tuple of ints), :data:`UNIT` or
    :data:`UNITS` (a tuple of units, each held to ``unit_kind`` and ``unit_params``; its
    default must be ``REQUIRED`` or ``None``).
    ``min``/``max`` are ints or expressions over previously validated parameters; ``choices``
    restricts ``str`` (or ``int``) values; ``default`` may be ``REQUIRED`` or ``None``
    (optional, absent). A ``UNIT`` parameter names the ``unit_kind`` it holds (``"multiplier"``)
    and, in ``unit_params``, the sub-unit parameters that must equal expressions over this
    unit's parameters (a dict, stored as ``(name, expression)`` pairs). A ``UNIT`` default is
    a spec string (without parentheses); the tied parameters are filled in from ``unit_params``
    (they override the default spec's own, ``width`` included).
    """

    name: str
    kind: Any
    default: Any = REQUIRED
    doc: str = ""
    min: int | str | None = None
    max: int | str | None = None
    choices: tuple = field(default=())
    # for tuples: bounds on each element
    item_min: int | str | None = None
    item_max: int | str | None = None
    # for units: the kind of unit held, and {sub-unit parameter: expression} it must satisfy
    unit_kind: str | None = None
    unit_params: Any = ()

    def __post_init__(self) -> None:
        if self.kind is UNIT:
            if not self.unit_kind:
                raise TypeError(f"Parameter '{self.name}' holds a unit but names no unit_kind")
            if self.default not in (REQUIRED, None) and not isinstance(self.default, str):
                raise TypeError(
                    f"Parameter '{self.name}' must default to a spec string, REQUIRED or None, "
                    f"not {self.default!r}"
                )
        elif self.kind is UNITS:
            if not self.unit_kind:
                raise TypeError(f"Parameter '{self.name}' holds units but names no unit_kind")
            if self.default not in (REQUIRED, None):
                raise TypeError(
                    f"Parameter '{self.name}' must default to REQUIRED or None, "
                    f"not {self.default!r}"
                )
        elif self.unit_kind is not None or self.unit_params:
            raise TypeError(f"Parameter '{self.name}' has unit_kind/unit_params but is no UNIT")
        object.__setattr__(self, "unit_params", tuple(dict(self.unit_params).items()))

    def range_text(self) -> str:
        """The allowed values in words, as shown by ``axhdl list`` and in error messages."""
        if self.kind in (UNIT, UNITS):
            text = self._unit_text() if self.kind is UNIT else self._units_text()
            if self.unit_params:
                text += ", with " + ", ".join(f"{k} = {e}" for k, e in self.unit_params)
            return text
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

    def _unit_text(self) -> str:
        example = self.default if isinstance(self.default, str) else "family:key=value,…"
        return f"{_a(self.unit_kind)} spec in parentheses, e.g. ({example})"

    def _units_text(self) -> str:
        return (f"a list of {self.unit_kind} specs in parentheses separated by ';', "
                f"e.g. (exact);(exact)")

    def type_text(self) -> str:
        """The parameter's type in ``axhdl list --json``: ``int``, ``unit(multiplier)``…"""
        if self.kind is UNIT:
            return f"unit({self.unit_kind})"
        if self.kind is UNITS:
            return f"units({self.unit_kind})"
        return _TYPE_NAMES[self.kind]

    def as_dict(self) -> dict:
        default = None if self.default is REQUIRED else self.default
        if isinstance(default, tuple):
            default = list(default)
        return {
            "name": self.name,
            "type": self.type_text(),
            "required": self.default is REQUIRED,
            "default": default,
            "range": self.range_text(),
            "doc": self.doc,
        }


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: ``a multiplier``, ``an adder``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _bounds_text(lo, hi) -> str:
    lo_t = "-inf" if lo is None else str(lo)
    hi_t = "inf" if hi is None else str(hi)
    return f"{lo_t}..{hi_t}"


def _eval_expr(expr, env: dict) -> Any:
    if not isinstance(expr, str):
        return expr
    # expressions are written in this package's own unit declarations, never user input
    return eval(expr, {"__builtins__": {"min": min, "max": max}}, dict(env))


def _eval_bound(bound, env: dict) -> int | None:
    if bound is None or isinstance(bound, int):
        return bound
    return int(_eval_expr(bound, env))


def _parenthesized(text: str) -> str | None:
    """The inside of ``(…)`` when ``text`` is one parenthesised group, else None."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return text[1:-1] if i == len(text) - 1 else None
    return None


def parse_value(param: Param, text: str) -> Any:
    """Convert the text of a spec value to the parameter's type (``TypeError`` if impossible).

    A unit parameter takes a spec in parentheses, ``(drum:width=8,k=4)``, and builds the unit;
    an error inside it is a :class:`SpecError` naming the parameter, then the inner error.
    """
    text = text.strip()
    if param.kind is UNIT:
        inner = _parenthesized(text)
        if inner is None:
            raise TypeError(
                f"Parameter '{param.name}' must be {param._unit_text()}, not {echo(text)}")
        return _build_unit(param, inner)
    if param.kind is UNITS:
        return _parse_units(param, text)
    if param.kind is bool:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise TypeError(f"Parameter '{param.name}' must be true or false, not {echo(text)}")
    if param.kind is int:
        try:
            return int(text, 0)
        except ValueError:
            raise TypeError(
                f"Parameter '{param.name}' must be an integer, not {echo(text)}") from None
    if param.kind is tuple:
        items = [t for t in text.replace(";", ",").split(",") if t.strip() != ""]
        try:
            return tuple(int(t, 0) for t in items)
        except ValueError:
            raise TypeError(
                f"Parameter '{param.name}' must be a list of integers, not {echo(text)}"
            ) from None
    return text


def _build_unit(param: Param, spec: str, *, label: str | None = None, **overrides) -> Any:
    """The unit ``spec`` names; its errors prefixed with ``Parameter '<name>': `` (or
    ``label``)."""
    from .registry import make_unit

    try:
        return make_unit(spec, **overrides)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{label or _label(param)}: {e}") from None


def _label(param: Param, item: int | None = None) -> str:
    """``Parameter 'name'``, or ``Parameter 'name' item 2`` for an item of a list of units."""
    return f"Parameter '{param.name}'" + ("" if item is None else f" item {item}")


def _split_list(text: str) -> list[str]:
    """``text`` split at each ``;`` or ``,`` outside parentheses, blank items dropped."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch in ";," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [p.strip() for p in [*parts, text[start:]] if p.strip()]


def _parse_units(param: Param, text: str) -> tuple:
    """A :data:`UNITS` value from its spec text, ``(spec);(spec)…``."""
    items = _split_list(text)
    inners = [_parenthesized(item) for item in items]
    if not items or any(inner is None for inner in inners):
        raise TypeError(f"Parameter '{param.name}' must be {param._units_text()}, not {echo(text)}")
    return tuple(_build_unit(param, inner, label=_label(param, i + 1))
                 for i, inner in enumerate(inners))


def _check_type(param: Param, value: Any) -> Any:
    if param.kind is UNIT:
        from .unit import ArithmeticUnit

        if isinstance(value, ArithmeticUnit):
            return value
        if isinstance(value, str):
            inner = _parenthesized(value.strip())
            return _build_unit(param, value if inner is None else inner)
        raise TypeError(
            f"Parameter '{param.name}' must be {_a(param.unit_kind)} (a unit or its spec), "
            f"not {echo(value)}"
        )
    if param.kind is UNITS:
        return _check_units_type(param, value)
    if param.kind is bool:
        if not isinstance(value, bool):
            raise TypeError(f"Parameter '{param.name}' must be true or false, not {echo(value)}")
        return value
    if param.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Parameter '{param.name}' must be an integer, not {echo(value)}")
        return value
    if param.kind is tuple:
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return tuple(value)
        raise TypeError(f"Parameter '{param.name}' must be a list of integers, not {echo(value)}")
    if not isinstance(value, str):
        raise TypeError(f"Parameter '{param.name}' must be a string, not {echo(value)}")
    return value


def _check_units_type(param: Param, value: Any) -> tuple:
    """A :data:`UNITS` value from Python: its spec text, or a list of units or spec strings."""
    from .unit import ArithmeticUnit

    if isinstance(value, str):
        return _parse_units(param, value.strip())
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (str, ArithmeticUnit)) for v in value
    ):
        raise TypeError(
            f"Parameter '{param.name}' must be a list of {param.unit_kind}s (units or their "
            f"specs), not {echo(value)}"
        )
    units = []
    for i, v in enumerate(value):
        if isinstance(v, str):
            inner = _parenthesized(v.strip())
            v = _build_unit(param, v if inner is None else inner, label=_label(param, i + 1))
        units.append(v)
    return tuple(units)


def _default_unit(param: Param, env: dict) -> Any:
    """The default sub-unit, its tied parameters set from this unit's."""
    filled = {key: _eval_expr(expr, env) for key, expr in param.unit_params}
    return _build_unit(param, param.default, **filled)


def _check_unit(param: Param, unit: Any, env: dict, item: int | None = None) -> None:
    label = _label(param, item)
    if unit.kind != param.unit_kind:
        raise TypeError(
            f"{label} must be {_a(param.unit_kind)}, not {_a(unit.kind)} ({unit.spec})"
        )
    sub = unit.parameters
    for key, expr in param.unit_params:
        want = _eval_expr(expr, env)
        if key in sub and sub[key] == want and isinstance(sub[key], bool) == isinstance(want, bool):
            continue
        here = f" (here {_text(want)})" if isinstance(expr, str) else ""
        has = f"has {key} = {_text(sub[key])}" if key in sub else f"has no parameter '{key}'"
        raise ValueError(
            f"{label} must be {_a(param.unit_kind)} with {key} = {expr}{here}; "
            f"{unit.spec} {has}"
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_range(param: Param, value: Any, env: dict) -> None:
    if param.kind is UNIT:
        _check_unit(param, value, env)
        return
    if param.kind is UNITS:
        if not value:
            raise ValueError(f"Parameter '{param.name}' must be a non-empty list of "
                             f"{param.unit_kind}s")
        for i, unit in enumerate(value):
            _check_unit(param, unit, env, item=i + 1)
        return
    if param.choices:
        if value not in param.choices:
            raise ValueError(
                f"Parameter '{param.name}' must be {param.range_text()}, not {echo(value)}"
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
    raises ``TypeError``; wrong types ``TypeError``; out-of-range values ``ValueError``. A unit
    parameter given as a spec string is built (its errors are :class:`SpecError`); the stored
    value is the unit object.
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
        elif p.kind is UNIT:
            value = _default_unit(p, values)
        else:
            value = p.default
        _check_range(p, value, values)
        values[p.name] = value
    return values


def format_value(param: Param, value: Any) -> str:
    """The canonical spec text of a parameter value: ``true``/``false``, ``1;2;3``, ``8``, the
    string itself, or a unit's spec in parentheses, ``(drum:width=8,signed=false,k=4)``.
    A list of units is ``(spec);(spec)``. ``parse_value`` reads it back to an equal value
    (not defined for None: absent values are left out of a spec)."""
    if param.kind is UNIT:
        return f"({value if isinstance(value, str) else value.spec})"
    if param.kind is UNITS:
        return ";".join(f"({v if isinstance(v, str) else v.spec})" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ";".join(str(x) for x in value)
    return str(value)


def name_value(param: Param, value: Any) -> str:
    """A short fragment of a Verilog module name for a parameter value: bools ``0``/``1``,
    lists joined by ``_``, a unit by its :attr:`~axhdl.unit.ArithmeticUnit.name`."""
    if param.kind is UNIT:
        return value.name
    if param.kind is UNITS:
        return "_".join(v.name for v in value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (tuple, list)):
        return "_".join(str(x) for x in value)
    return str(value)
