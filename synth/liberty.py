"""A small reader of Liberty (``.lib``) files: cells, their area, pins and functions.

Yosys and OpenSTA read the library themselves; axhdl reads it too, to check before a run that
the library holds what the flow needs (combinational cells with functions, a flip-flop for a
registered design, an inverter to drive the inputs), to pick the input driver and output load
of the timing and power runs, and to cross-check reported areas.

Reference: Synopsys, "Liberty User Guide and Reference Manual" (open-sourced by the Liberty
Technical Advisory Board, version 2007.03 onward): group, simple-attribute and
complex-attribute syntax.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from axhdl.errors import InputError

__all__ = ["Group", "Pin", "Cell", "Units", "Library", "parse_groups", "load_liberty"]

_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # quoted string
    r"|[(){}:;,]"  # punctuation
    r"|[^\s(){}:;,\"]+"  # bare word or number
)


@dataclass
class Group:
    """One Liberty group: ``name (args) { attributes; subgroups }``."""

    name: str
    args: list[str]
    attrs: dict[str, str] = field(default_factory=dict)
    complex_attrs: dict[str, list[str]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    def children(self, name: str) -> list[Group]:
        return [g for g in self.groups if g.name == name]


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token


def parse_groups(text: str) -> Group:
    """Parse Liberty text into its top-level ``library`` group."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"\\\r?\n", " ", text)
    text = re.sub(r"(?m)//.*$", " ", text)
    tokens = _TOKEN.findall(text)
    pos = 0

    def expect(tok: str) -> None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != tok:
            got = tokens[pos] if pos < len(tokens) else "end of file"
            raise ValueError(f"expected '{tok}', found '{got}' (token {pos})")
        pos += 1

    def parse_args() -> list[str]:
        nonlocal pos
        expect("(")
        args: list[str] = []
        while pos < len(tokens) and tokens[pos] != ")":
            if tokens[pos] != ",":
                args.append(_unquote(tokens[pos]))
            pos += 1
        expect(")")
        return args

    def parse_body(group: Group) -> None:
        nonlocal pos
        while pos < len(tokens) and tokens[pos] != "}":
            name = tokens[pos]
            if name == ";":
                pos += 1
                continue
            pos += 1
            if pos < len(tokens) and tokens[pos] == ":":
                pos += 1
                value = []
                while pos < len(tokens) and tokens[pos] not in (";", "}"):
                    value.append(_unquote(tokens[pos]))
                    pos += 1
                if pos < len(tokens) and tokens[pos] == ";":
                    pos += 1
                group.attrs[name] = " ".join(value)
            elif pos < len(tokens) and tokens[pos] == "(":
                args = parse_args()
                if pos < len(tokens) and tokens[pos] == "{":
                    pos += 1
                    child = Group(name, args)
                    parse_body(child)
                    expect("}")
                    group.groups.append(child)
                else:
                    if pos < len(tokens) and tokens[pos] == ";":
                        pos += 1
                    group.complex_attrs[name] = args
            else:
                got = tokens[pos] if pos < len(tokens) else "end of file"
                raise ValueError(f"unexpected '{got}' after '{name}' (token {pos})")

    root = Group("", [])
    parse_body(root)
    if pos != len(tokens):
        raise ValueError(f"unbalanced '}}' (token {pos})")
    libs = root.children("library")
    if len(libs) != 1:
        raise ValueError(f"expected one 'library' group, found {len(libs)}")
    return libs[0]


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    function: str | None
    capacitance: float
    three_state: str | None = None


@dataclass(frozen=True)
class Cell:
    name: str
    area: float
    leakage: float
    pins: dict[str, Pin]
    sequential: bool
    pad: bool
    dont_use: bool

    @property
    def inputs(self) -> list[str]:
        return [p.name for p in self.pins.values() if p.direction == "input"]

    @property
    def outputs(self) -> list[str]:
        return [p.name for p in self.pins.values() if p.direction in ("output", "inout")]

    @property
    def combinational(self) -> bool:
        """A logic cell with a function on every output (no state, no tri-state, no pad)."""
        return (
            not self.sequential
            and not self.pad
            and bool(self.outputs)
            and all(
                self.pins[o].function is not None and self.pins[o].three_state is None
                for o in self.outputs
            )
        )


@dataclass(frozen=True)
class Units:
    """The SI value of one liberty unit of each quantity the library declares (``time_unit``,
    ``capacitive_load_unit``, ``voltage_unit``, ``current_unit``, ``leakage_power_unit``,
    ``pulling_resistance_unit``); an undeclared one takes OpenSTA's default. Internal-power
    tables are energies in capacitance × voltage² units."""

    time_s: float = 1e-9
    capacitance_f: float = 1e-12
    voltage_v: float = 1.0
    current_a: float = 1e-3
    leakage_power_w: float = 1e-9
    pulling_resistance_ohm: float = 1e3

    @property
    def energy_j(self) -> float:
        return self.capacitance_f * self.voltage_v * self.voltage_v

    def key(self) -> tuple[float, ...] | None:
        """None for the units axhdl's own numbers are in (ns, pF, V, nW); else the factors
        (part of cache keys: results from another unit system are never shared)."""
        native = Units(current_a=self.current_a,
                       pulling_resistance_ohm=self.pulling_resistance_ohm)
        if self == native:
            return None
        return (self.time_s, self.capacitance_f, self.voltage_v, self.current_a,
                self.leakage_power_w, self.pulling_resistance_ohm)


_PREFIX = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3,
           "M": 1e6}

#: liberty unit attribute -> (SI base symbol, quantity, Units field)
_UNIT_ATTRS = {
    "time_unit": ("s", "time", "time_s"),
    "voltage_unit": ("V", "voltage", "voltage_v"),
    "current_unit": ("A", "current", "current_a"),
    "leakage_power_unit": ("W", "power", "leakage_power_w"),
    "pulling_resistance_unit": ("ohm", "resistance", "pulling_resistance_ohm"),
}


def _si_unit(text: str, base: str) -> float | None:
    """The SI value of a liberty unit such as ``1ps``, ``10mV``, ``1kohm`` (None if it is not
    one of ``base``)."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)?\s*([a-zA-Z]*)\s*", text)
    if not m:
        return None
    word = m.group(2)
    if not word.lower().endswith(base.lower()):
        return None
    prefix = word[: len(word) - len(base)]
    if prefix not in _PREFIX and prefix.lower() in _PREFIX:
        prefix = prefix.lower()  # 1PS, 1KOHM (but 1MW is mega, 1mW milli)
    if prefix not in _PREFIX:
        return None
    number = float(m.group(1)) if m.group(1) else 1.0
    value = number * _PREFIX[prefix]
    return value if value > 0 and math.isfinite(value) else None


def _units(group: Group, path: str) -> Units:
    values = {}
    for attr, (base, quantity, name) in _UNIT_ATTRS.items():
        text = group.attrs.get(attr)
        if text is None:
            continue
        value = _si_unit(text, base)
        if value is None:
            raise InputError(
                f"Liberty file {path}: {attr} '{text}' is not a unit of {quantity} "
                f"(e.g. 1{'n' if base == 's' else ''}{base})"
            )
        values[name] = value
    cap = group.complex_attrs.get("capacitive_load_unit")
    if cap is not None:
        value = None
        if len(cap) == 2:
            try:
                scale = float(cap[0])
            except ValueError:
                scale = math.nan
            unit = _si_unit(cap[1], "f")
            if unit is not None and scale > 0 and math.isfinite(scale):
                value = scale * unit
        if value is None:
            raise InputError(
                f"Liberty file {path}: capacitive_load_unit ({', '.join(cap)}) is not a unit "
                f"of capacitance (e.g. (1, pf))"
            )
        values["capacitance_f"] = value
    return Units(**values)


@dataclass(frozen=True)
class Library:
    """A parsed liberty. Numbers in ``cells`` are in the liberty's own units (``units``);
    the ``*_in_*`` methods convert."""

    path: str
    name: str
    cells: dict[str, Cell]
    time_unit: str
    capacitive_load_unit: tuple[float, str]
    leakage_power_unit: str
    #: nominal supply voltage in volts (``nom_voltage`` times ``voltage_unit``)
    voltage: float | None
    units: Units = Units()

    def time_in_ns(self, value: float) -> float:
        return value * self.units.time_s / 1e-9

    def leakage_in_w(self, value: float) -> float:
        return value * self.units.leakage_power_w

    def energy_in_pj(self, value: float) -> float:
        """An internal-power table entry (an energy per transition) in pJ."""
        return value * self.units.energy_j / 1e-12

    def flip_flops(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.sequential and not c.dont_use]

    def smallest_inverter(self) -> tuple[Cell, str, str] | None:
        """The inverter of least area: ``(cell, input pin, output pin)``, or None."""
        best = None
        for cell in self.cells.values():
            if not cell.combinational or cell.dont_use:
                continue
            if len(cell.inputs) != 1 or len(cell.outputs) != 1:
                continue
            a, y = cell.inputs[0], cell.outputs[0]
            func = re.sub(r"\s+", "", cell.pins[y].function or "")
            is_inverter = func.strip("()") in (f"!{a}", f"{a}'")
            if is_inverter and (best is None or cell.area < best[0].area):
                best = (cell, a, y)
        return best

    def cap_in_pf(self, value: float) -> float:
        return value * self.units.capacitance_f / 1e-12


def _float(text: str | None, default: float = 0.0) -> float:
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        return default


def _library_from(group: Group, path: str) -> Library:
    cells: dict[str, Cell] = {}
    for cg in group.children("cell"):
        if not cg.args:
            continue
        pins: dict[str, Pin] = {}
        pin_groups = list(cg.children("pin"))
        for bus in cg.children("bus"):
            pin_groups += bus.children("pin")
        for pg in pin_groups:
            for pname in pg.args:
                pins[pname] = Pin(
                    name=pname,
                    direction=pg.attrs.get("direction", "input"),
                    function=pg.attrs.get("function"),
                    capacitance=_float(pg.attrs.get("capacitance")),
                    three_state=pg.attrs.get("three_state"),
                )
        sequential = bool(
            cg.children("ff") or cg.children("latch") or cg.children("ff_bank")
            or cg.children("latch_bank") or cg.children("statetable")
        )
        cells[cg.args[0]] = Cell(
            name=cg.args[0],
            area=_float(cg.attrs.get("area")),
            leakage=_float(cg.attrs.get("cell_leakage_power")),
            pins=pins,
            sequential=sequential,
            pad=cg.attrs.get("pad_cell", "false") == "true",
            dont_use=cg.attrs.get("dont_use", "false") == "true",
        )
    cap = group.complex_attrs.get("capacitive_load_unit", ["1", "pf"])
    units = _units(group, path)
    nom_voltage = _float(group.attrs.get("nom_voltage"), 0.0)
    return Library(
        path=path,
        name=group.args[0] if group.args else "",
        cells=cells,
        time_unit=group.attrs.get("time_unit", "1ns"),
        capacitive_load_unit=(_float(cap[0], 1.0), cap[1] if len(cap) > 1 else "pf"),
        leakage_power_unit=group.attrs.get("leakage_power_unit", "1nW"),
        voltage=(nom_voltage * units.voltage_v) or None,
        units=units,
    )


#: a number of Liberty text (or a word a float would read as one: nan, inf), standing alone
_NUMBER = re.compile(
    r"(?<![\w.+-])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)(?![\w.])",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def check_numbers(text: str, path: str) -> None:
    """InputError naming the first number of a Liberty text that is not finite (``nan``,
    ``inf``, ``1e999``), with its line: the tools would fail on it with no useful message,
    or worse compute with it."""
    masked = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    for m in _NUMBER.finditer(masked):
        try:
            finite = math.isfinite(float(m.group()))
        except ValueError:
            continue
        if not finite:
            line = masked.count("\n", 0, m.start()) + 1
            raise InputError(f"Liberty file {path}, line {line}: {m.group()!r} is not a "
                             f"finite number")


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime: float, size: int) -> Library:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as e:
        raise InputError(f"Liberty file {path} is unreadable: {e.strerror}") from None
    check_numbers(text, path)
    try:
        group = parse_groups(text)
    except ValueError as e:
        raise InputError(f"Liberty file {path} is not valid Liberty: {e}") from None
    lib = _library_from(group, path)
    if not lib.cells:
        raise InputError(f"Liberty file {path} defines no cells")
    return lib


def load_liberty(path: str | os.PathLike) -> Library:
    """Parse the liberty file at ``path`` (cached per file version); InputError if unusable."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"Liberty file {path} is a directory, not a file")
    if not p.is_file():
        raise InputError(f"Liberty file not found: {path}")
    st = p.stat()
    return _load(str(p.resolve()), st.st_mtime, st.st_size)
