"""The arithmetic-unit abstraction every generator, check and flow is built on.

An arithmetic unit holds validated parameters, the :class:`~axhdl.operations.Operation` it
approximates, a bit-exact numpy golden model ``model(a, b)`` on operand *values* (signed values
for signed units) and metadata. Its circuit is built on demand: :meth:`ArithmeticUnit.component`
returns an Amaranth ``wiring.Component`` (with a :class:`~axhdl.circuit.UnitSignature`), and
:meth:`ArithmeticUnit.sources` the Verilog files the unit needs. A unit built only for its model
never imports Amaranth.

Families written in Amaranth subclass :class:`AmaranthUnit` and implement :meth:`AmaranthUnit.rtl`;
imported third-party Verilog (``axhdl.imported``) implements the same protocol with its own
files and an instance wrapper, so a composite can hold any unit.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .hdl import wrap
from .operations import Multiplication, Operation
from .params import Param, format_value, name_value, validate_params

if TYPE_CHECKING:
    from amaranth.hdl import Module

    from .circuit import UnitComponent, UnitSignature

__all__ = [
    "ArithmeticUnit",
    "AmaranthUnit",
    "VerilogSource",
    "operand_range",
    "to_code",
    "from_code",
]

#: a Verilog module name longer than this is shortened to the family, widths and a digest
MAX_NAME_LENGTH = 60


def operand_range(width: int, is_signed: bool) -> tuple[int, int]:
    """The smallest and largest value of a ``width``-bit operand."""
    if is_signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def to_code(values, width: int) -> np.ndarray:
    """Operand values to their ``width``-bit patterns (two's complement for negative values)."""
    return np.asarray(values, dtype=np.int64) & ((1 << width) - 1)


def from_code(codes, width: int, is_signed: bool) -> np.ndarray:
    """``width``-bit patterns to operand values."""
    return wrap(codes, width, is_signed)


@dataclass(frozen=True)
class VerilogSource:
    """One Verilog file a unit needs: its file name and text."""

    filename: str
    text: str


class ArithmeticUnit:
    """What every unit offers, whatever produced its Verilog.

    Subclasses set the class attributes and implement :meth:`model`, and either :meth:`rtl`
    (Amaranth families, through :class:`AmaranthUnit`) or :meth:`component` and
    :meth:`sources` (imported Verilog).
    """

    #: spec name of the family, e.g. ``"drum"``
    family: ClassVar[str] = ""
    #: the operation the family approximates; its width parameters come first in every spec
    operation_class: ClassVar[type[Operation]] = Multiplication
    #: the kind of unit (``"multiplier"``, ``"adder"``), from :attr:`operation_class`
    kind: ClassVar[str] = Multiplication.kind
    #: one-line description shown by ``axhdl list``
    description: ClassVar[str] = ""
    #: the paper the design and its golden model come from
    citation: ClassVar[str] = ""
    #: the family's own parameters (the width parameters come first, implicitly)
    params: ClassVar[tuple[Param, ...]] = ()
    #: the operand that the design treats as the (stored) weight, or None if symmetric
    weight_operand: ClassVar[str | None] = None
    #: notes on choices where the paper leaves one open, shown by ``axhdl list``
    notes: ClassVar[str] = ""

    _params: dict[str, Any]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.kind = cls.operation_class.kind

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError(
                f"{type(self).__name__} takes keyword parameters only (e.g. width=8), "
                f"not {len(args)} positional"
            )
        self._params = type(self).validate(kwargs)

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        return cls.operation_class.width_params + cls.params

    @classmethod
    def validate(cls, kwargs: dict) -> dict:
        """Validate constructor keywords; return every parameter's value."""
        op_cls = cls.operation_class
        values = validate_params(cls.family, cls.all_params(), op_cls.expand_widths(kwargs))
        op_cls.from_params(values).check()
        cls.check(values)
        return values

    @classmethod
    def check(cls, values: dict) -> None:
        """Family-specific rules between parameters; raise ``ValueError`` naming both values."""

    # -- parameters -----------------------------------------------------------------------

    @property
    def parameters(self) -> dict[str, Any]:
        """Every parameter's value, widths and signedness included."""
        return dict(self._params)

    @functools.cached_property
    def operation(self) -> Operation:
        """The exact operation this unit approximates, at the unit's widths."""
        return self.operation_class.from_params(self._params)

    @property
    def a_width(self) -> int:
        return self.operation.a_width

    @property
    def b_width(self) -> int:
        return self.operation.b_width

    @property
    def signed(self) -> bool:
        return self.operation.signed

    @property
    def p_width(self) -> int:
        """Width of the result ``p``: the exact result's, unless the design needs more."""
        return self.operation.result_width

    @property
    def extra_inputs(self) -> dict[str, int]:
        """Control inputs besides the operands (name → width), e.g. a mode select."""
        return {}

    @property
    def extra_outputs(self) -> dict[str, int]:
        """Outputs besides ``p`` (name → width), e.g. the cut carry of a carry-cut adder that
        an array cures; their values come from :meth:`model_outputs`."""
        return {}

    def model_outputs(self, a, b, **controls) -> dict[str, np.ndarray]:
        """The values of :attr:`extra_outputs` for operand values ``a``, ``b`` (int64)."""
        return {}

    def valid_controls(self, **values: int) -> bool:
        """Whether a combination of control-input values is one the unit is used with;
        checks and co-simulation enumerate only these (every combination by default)."""
        return True

    @property
    def latency(self) -> int:
        """Clock cycles from operands to result; 0 for combinational units."""
        return 0

    def subunits(self) -> tuple[ArithmeticUnit, ...]:
        """The units held as parameters (nested specs), in declaration order."""
        return tuple(v for v in self._params.values() if isinstance(v, ArithmeticUnit))

    # -- naming ---------------------------------------------------------------------------

    @property
    def spec(self) -> str:
        """The canonical spec string that rebuilds this unit."""
        parts = self.operation.spec_widths()
        for p in self.params:
            v = self._params[p.name]
            if v is not None:
                parts.append(f"{p.name}={format_value(p, v)}")
        return f"{self.family}:" + ",".join(parts)

    @property
    def name(self) -> str:
        """A Verilog module name unique to this family and parameter set."""
        base = f"{self.family}_{self.operation.tag}"
        rest = [f"{p.name}{name_value(p, self._params[p.name])}" for p in self.params
                if self._params[p.name] is not None]
        name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join([base, *rest]))
        if len(name) > MAX_NAME_LENGTH:
            digest = hashlib.sha1(self.spec.encode()).hexdigest()[:8]
            name = f"{base}_{digest}"
        return name

    @property
    def info(self) -> dict:
        """Metadata: family, spec, operation, parameters, ports, citation."""
        ports = {
            op.name: {"dir": "in", "width": op.width, "signed": op.signed}
            for op in self.operation.operands
        }
        for k, w in self.extra_inputs.items():
            ports[k] = {"dir": "in", "width": w, "signed": False}
        ports["p"] = {"dir": "out", "width": self.p_width, "signed": self.signed}
        for k, w in self.extra_outputs.items():
            ports[k] = {"dir": "out", "width": w, "signed": False}
        params = {k: _plain(v) for k, v in self._params.items()}
        return {
            "family": self.family,
            "kind": self.kind,
            "operation": self.operation.as_dict(),
            "spec": self.spec,
            "name": self.name,
            "parameters": params,
            "a_width": self.a_width,
            "b_width": self.b_width,
            "p_width": self.p_width,
            "signed": self.signed,
            "latency": self.latency,
            "weight_operand": self.weight_operand,
            "ports": ports,
            "citation": self.citation,
        }

    # -- behaviour ------------------------------------------------------------------------

    def operand_ranges(self) -> tuple[tuple[int, int], tuple[int, int]]:
        a, b = self.operation.operands
        return a.range, b.range

    def model(self, a, b, **controls) -> np.ndarray:
        """The bit-exact result for operand values ``a`` and ``b`` (broadcast), as int64."""
        raise NotImplementedError

    def model_polynomial(self) -> dict[tuple, int] | None:
        """The golden model as an integer polynomial over the operand bits, before the result
        wraps to ``p_width`` bits, or None where the model is not one (logarithmic, segment
        and other data-dependent families). Keys are sorted tuples of ``("a", i)`` /
        ``("b", j)`` (the empty tuple is the constant); used by ``axhdl prove --against
        model`` for a formal proof of RTL ≡ model at any width."""
        return None

    def exact(self, a, b) -> np.ndarray:
        """The exact result of the operation (the reference for error metrics)."""
        return self.operation.exact(a, b)

    # -- circuit --------------------------------------------------------------------------

    def signature(self) -> UnitSignature:
        """The Amaranth interface: operands and controls in, ``p`` out."""
        from .circuit import UnitSignature

        return UnitSignature.of_unit(self)

    def component(self) -> UnitComponent:
        """A new Amaranth ``wiring.Component`` implementing this unit (one per instance in a
        design); its ``elaborate`` builds :meth:`rtl`."""
        from .circuit import UnitComponent

        return UnitComponent(self)

    def rtl(self, io) -> Module:
        """The circuit in Amaranth: a ``Module`` driving ``io.p`` from ``io.a``, ``io.b`` (and
        the control inputs) of the component ``io``."""
        raise NotImplementedError(f"{type(self).__name__} has no Amaranth circuit")

    def sources(self) -> tuple[VerilogSource, ...]:
        """The Verilog files this unit needs, its top module :attr:`name` in the first;
        generated once per unit object (units are immutable)."""
        if "_sources" not in self.__dict__:
            own = self._own_source()
            deps = [s for s in self.dependency_sources() if s != own]
            self.__dict__["_sources"] = (own, *dict.fromkeys(deps))
        return self.__dict__["_sources"]

    def _own_source(self) -> VerilogSource:
        from .hdl import emit_verilog

        return VerilogSource(f"{self.name}.v", emit_verilog(self.component(), self.name))

    def dependency_sources(self) -> tuple[VerilogSource, ...]:
        """The files a design instantiating :meth:`component` needs besides its own Verilog
        (Amaranth inlines Amaranth sub-circuits; imported modules are files)."""
        deps: list[VerilogSource] = []
        for sub in self.subunits():
            deps += sub.dependency_sources()
        return tuple(dict.fromkeys(deps))

    def verilog(self) -> str:
        """Every file of :meth:`sources` in one text, dependencies first, the top module
        :attr:`name` last."""
        return "\n".join(s.text.rstrip("\n") + "\n" for s in reversed(self.sources()))

    def __eq__(self, other) -> bool:
        """Units are values: equal when of the same class with the same canonical spec."""
        if not isinstance(other, ArithmeticUnit):
            return NotImplemented
        return type(self) is type(other) and self.spec == other.spec

    def __hash__(self) -> int:
        return hash((type(self), self.spec))

    def __repr__(self) -> str:
        if not hasattr(self, "_params"):
            return f"<{type(self).__name__} (invalid parameters)>"
        return f"<{type(self).__name__} {self.spec}>"


def _plain(value):
    """A parameter value as JSON: tuples as lists, units (also in lists) as their specs."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, ArithmeticUnit):
        return value.spec
    return value


class AmaranthUnit(ArithmeticUnit):
    """A unit whose circuit is written in Amaranth: subclasses implement :meth:`rtl` (and
    :meth:`model`); parameters are validated before any signal exists."""
