"""Spec strings and the registry of unit families.

A spec names a unit in text: ``family:key=value,key=value``, e.g. ``drum:width=8,k=4,signed=true``.
List values use ``;`` between items (``asm:alphabets=1;3``); a comma followed by a bare item
also continues the previous list (``alphabets=1,3``), since every key carries an ``=``.
A value can itself be a spec, in parentheses: ``mac:mul=(drum:width=8,k=4),add=(loa:width=24)``;
commas, ``=`` and ``:`` inside parentheses belong to the nested value, to any depth.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

from .errors import SpecError, echo
from .params import parse_value
from .unit import ArithmeticUnit

__all__ = ["register", "families", "get_family", "parse_spec", "make_unit"]

_FAMILIES: dict[str, type[ArithmeticUnit]] = {}
_DISCOVERED = False

#: packages whose modules define unit families; imported on first use of the registry
_FAMILY_PACKAGES = ("axhdl.generators.multipliers", "axhdl.generators.adders",
                    "axhdl.generators.arrays")
_FAMILY_MODULES = ("axhdl.imported",)


def register(cls: type[ArithmeticUnit]) -> type[ArithmeticUnit]:
    """Class decorator: make ``cls`` reachable by its ``family`` name in specs."""
    if not cls.family:
        raise TypeError(f"{cls.__name__} has no family name")
    other = _FAMILIES.get(cls.family)
    if other is not None and other is not cls:
        raise TypeError(
            f"Family '{cls.family}' is registered twice ({other.__name__}, {cls.__name__})"
        )
    _FAMILIES[cls.family] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    for pkg_name in _FAMILY_PACKAGES:
        try:
            pkg = importlib.import_module(pkg_name)
        except ModuleNotFoundError as e:
            if e.name == pkg_name:
                continue
            raise
        for mod in pkgutil.iter_modules(pkg.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{pkg_name}.{mod.name}")
    for mod_name in _FAMILY_MODULES:
        try:
            importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            if e.name != mod_name:
                raise


def families() -> dict[str, type[ArithmeticUnit]]:
    """Every registered family, by name, sorted."""
    _discover()
    return dict(sorted(_FAMILIES.items()))


def get_family(name: str) -> type[ArithmeticUnit]:
    fams = families()
    if name not in fams:
        raise SpecError(
            f"Unknown family {echo(name)}; known families: {', '.join(fams)} (see 'axhdl list')"
        )
    return fams[name]


def _check_parentheses(text: str) -> None:
    """Every ``(`` of a spec closes; errors name the character (counted from 1)."""
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if not opened:
                raise SpecError(f"Spec {echo(text)}: ')' at character {i + 1} has no matching '('")
            opened.pop()
    if opened:
        raise SpecError(f"Spec {echo(text)}: '(' at character {opened[0] + 1} is never closed")


def _split_top(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    """``text`` split at each ``sep`` outside parentheses (whose contents are nested values)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0 and maxsplit != len(parts):
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def parse_spec(text: str) -> tuple[str, dict[str, str]]:
    """Split a spec into its family name and raw ``key → value-text`` pairs.

    A value in parentheses is a nested spec, kept whole (commas, ``=`` and ``:`` included) for
    the parameter's own parsing; parentheses must balance across the whole spec.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(
            f"Spec must be a non-empty string like 'drum:width=8,k=4', not {echo(text)}")
    _check_parentheses(text)
    family, *rest = _split_top(text.strip(), ":", maxsplit=1)
    rest = rest[0] if rest else ""
    family = family.strip()
    if not family.isidentifier():
        raise SpecError(f"Spec {echo(text)}: family name {echo(family)} is not a valid name")
    raw: dict[str, str] = {}
    last = None
    for token in _split_top(rest, ",") if rest.strip() else []:
        key_value = _split_top(token, "=", maxsplit=1)
        if len(key_value) == 1:
            if last is None or not token.strip():
                raise SpecError(
                    f"Spec {echo(text)}: {echo(token.strip())} is not of the form key=value"
                )
            if token.strip().isidentifier():  # a key without its value (`width=8,k`)
                raise SpecError(
                    f"Spec {echo(text)}: parameter '{token.strip()}' has no value (write "
                    f"{token.strip()}=VALUE)"
                )
            raw[last] += "," + token
            continue
        key, value = key_value
        key = key.strip()
        if not key.isidentifier():
            raise SpecError(f"Spec {echo(text)}: {echo(key)} is not a parameter name")
        if key in raw:
            raise SpecError(f"Spec {echo(text)}: parameter '{key}' is given twice")
        raw[key] = value
        last = key
    return family, raw


def make_unit(spec: str | ArithmeticUnit, **overrides) -> ArithmeticUnit:
    """Build the unit a spec names (a unit passes through). Errors are :class:`SpecError`.

    ``overrides`` are parameter values that replace the spec's (a ``width`` shorthand in the
    spec yields to an ``a_width``/``b_width`` override, and the reverse). An error inside a
    nested spec reads ``<family>: Parameter '<key>': <the nested unit's error>``, at every
    depth.
    """
    if isinstance(spec, ArithmeticUnit):
        if not overrides:
            return spec
        spec = spec.spec
    family, raw = parse_spec(spec)
    cls = get_family(family)
    by_name = {p.name: p for p in cls.all_params()}
    kwargs = {}
    try:
        for key, text in raw.items():
            if key in overrides:
                continue
            if key in by_name:
                kwargs[key] = parse_value(by_name[key], text)
            elif key == "width" and "a_width" in by_name:
                width_param = dataclasses.replace(by_name["a_width"], name="width")
                kwargs[key] = parse_value(width_param, text)
            else:
                kwargs[key] = text  # the constructor names the unknown parameter
        if "width" not in by_name:  # the width shorthand and a_width/b_width: overrides win
            if "width" in kwargs and {"a_width", "b_width"} & set(overrides):
                width = kwargs.pop("width")
                kwargs.update(a_width=width, b_width=width)
            if "width" in overrides:
                kwargs.pop("a_width", None)
                kwargs.pop("b_width", None)
        kwargs.update(overrides)
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        message = str(e)
        if "width" in raw and not {"a_width", "b_width"} & set(raw) and not overrides:
            # the user wrote the shorthand: blame it, not the parameters it stands for
            for name in ("a_width", "b_width"):
                if message.startswith(f"Parameter '{name}' "):
                    message = "Parameter 'width' " + message[len(f"Parameter '{name}' "):]
        raise SpecError(f"{family}: {message}") from None
