"""Spec strings and the registry of unit families.

A spec names a unit in text: ``family:key=value,key=value``, e.g. ``drum:width=8,k=4,signed=true``.
List values use ``;`` between items (``asm:alphabets=1;3``); a comma followed by a bare item
also continues the previous list (``alphabets=1,3``), since every key carries an ``=``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

from .errors import SpecError
from .params import parse_value
from .unit import ArithmeticUnit

__all__ = ["register", "families", "get_family", "parse_spec", "make_unit"]

_FAMILIES: dict[str, type[ArithmeticUnit]] = {}
_DISCOVERED = False

#: packages whose modules define unit families; imported on first use of the registry
_FAMILY_PACKAGES = ("axhdl.generators.multipliers", "axhdl.generators.adders")
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
            f"Unknown family '{name}'; known families: {', '.join(fams)} (see 'axhdl list')"
        )
    return fams[name]


def parse_spec(text: str) -> tuple[str, dict[str, str]]:
    """Split a spec into its family name and raw ``key → value-text`` pairs."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"Spec must be a non-empty string like 'drum:width=8,k=4', not {text!r}")
    family, _, rest = text.strip().partition(":")
    family = family.strip()
    if not family.isidentifier():
        raise SpecError(f"Spec {text!r}: family name {family!r} is not a valid name")
    raw: dict[str, str] = {}
    last = None
    for token in rest.split(",") if rest.strip() else []:
        if "=" not in token:
            if last is None or not token.strip():
                raise SpecError(
                    f"Spec {text!r}: {token.strip()!r} is not of the form key=value"
                )
            raw[last] += "," + token
            continue
        key, _, value = token.partition("=")
        key = key.strip()
        if not key.isidentifier():
            raise SpecError(f"Spec {text!r}: {key!r} is not a parameter name")
        if key in raw:
            raise SpecError(f"Spec {text!r}: parameter '{key}' is given twice")
        raw[key] = value
        last = key
    return family, raw


def make_unit(spec: str | ArithmeticUnit, **overrides) -> ArithmeticUnit:
    """Build the unit a spec names (a unit passes through). Errors are :class:`SpecError`."""
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
            if key == "width":
                width_param = dataclasses.replace(by_name["a_width"], name="width")
                kwargs[key] = parse_value(width_param, text)
            elif key in by_name:
                kwargs[key] = parse_value(by_name[key], text)
            else:
                kwargs[key] = text  # the constructor names the unknown parameter
        kwargs.update(overrides)
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        if isinstance(e, SpecError):
            raise
        raise SpecError(f"{family}: {e}") from None
