"""The arithmetic-unit abstraction every generator, check and flow is built on.

An arithmetic unit holds validated parameters, a bit-exact numpy golden model ``model(a, b)``
on operand *values* (signed values for signed units), its Verilog, and metadata. Units written
in Amaranth (:class:`AmaranthUnit`) are themselves ``wiring.Component`` objects with operands
``a``, ``b`` and result ``p``; imported third-party Verilog implements the same protocol
(:class:`ArithmeticUnit`) without an Amaranth component.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar

import numpy as np
from amaranth.hdl import signed as signed_shape
from amaranth.hdl import unsigned as unsigned_shape
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .params import Param, validate_params

__all__ = [
    "ArithmeticUnit",
    "AmaranthUnit",
    "WIDTH_PARAMS",
    "MAX_TOTAL_WIDTH",
    "operand_range",
    "to_code",
    "from_code",
]

#: The golden model computes in int64; products of up to 62 operand bits always fit.
MAX_TOTAL_WIDTH = 62

#: The operand-width parameters every multiplier has. ``width=N`` in a spec or a constructor
#: call is shorthand for ``a_width=N, b_width=N``.
WIDTH_PARAMS: tuple[Param, ...] = (
    Param("a_width", int, 8, "width of operand a in bits", min=1, max=32),
    Param("b_width", int, 8, "width of operand b in bits", min=1, max=32),
    Param("signed", bool, False, "two's-complement operands and result"),
)


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
    codes = np.asarray(codes, dtype=np.int64) & ((1 << width) - 1)
    if is_signed:
        return codes - ((codes >> (width - 1)) & 1) * (1 << width)
    return codes


def _split_width(family: str, kwargs: dict) -> dict:
    kwargs = dict(kwargs)
    if "width" in kwargs:
        width = kwargs.pop("width")
        for key in ("a_width", "b_width"):
            if key in kwargs and kwargs[key] != width:
                raise ValueError(
                    f"Parameter 'width' ({width}) and '{key}' ({kwargs[key]}) disagree; "
                    f"give either width or a_width/b_width"
                )
        kwargs["a_width"] = kwargs["b_width"] = width
    return kwargs


class ArithmeticUnit:
    """What every unit offers, whatever produced its Verilog.

    Subclasses set the class attributes and implement :meth:`model` and :meth:`verilog`.
    """

    #: spec name of the family, e.g. ``"drum"``
    family: ClassVar[str] = ""
    #: ``"multiplier"`` or ``"adder"``
    kind: ClassVar[str] = "multiplier"
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

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        return WIDTH_PARAMS + cls.params

    @classmethod
    def validate(cls, kwargs: dict) -> dict:
        """Validate constructor keywords; return every parameter's value."""
        values = validate_params(cls.family, cls.all_params(), _split_width(cls.family, kwargs))
        total = values["a_width"] + values["b_width"]
        if total > MAX_TOTAL_WIDTH:
            raise ValueError(
                f"a_width + b_width must be at most {MAX_TOTAL_WIDTH} (the golden model is "
                f"int64), not {values['a_width']} + {values['b_width']} = {total}"
            )
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

    @property
    def a_width(self) -> int:
        return self._params["a_width"]

    @property
    def b_width(self) -> int:
        return self._params["b_width"]

    @property
    def signed(self) -> bool:
        return self._params["signed"]

    @property
    def p_width(self) -> int:
        """Width of the result ``p``."""
        return self.a_width + self.b_width

    @property
    def extra_inputs(self) -> dict[str, int]:
        """Control inputs besides ``a`` and ``b`` (name → width), e.g. a mode select."""
        return {}

    @property
    def latency(self) -> int:
        """Clock cycles from operands to result; 0 for combinational units."""
        return 0

    # -- naming ---------------------------------------------------------------------------

    @property
    def spec(self) -> str:
        """The canonical spec string that rebuilds this unit."""
        parts = []
        if self.a_width == self.b_width:
            parts.append(f"width={self.a_width}")
        else:
            parts += [f"a_width={self.a_width}", f"b_width={self.b_width}"]
        parts.append(f"signed={'true' if self.signed else 'false'}")
        for p in self.params:
            v = self._params[p.name]
            if v is None:
                continue
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, tuple):
                v = ";".join(str(x) for x in v)
            parts.append(f"{p.name}={v}")
        return f"{self.family}:" + ",".join(parts)

    @property
    def name(self) -> str:
        """A Verilog module name unique to this family and parameter set."""
        base = f"{self.family}_{self.a_width}x{self.b_width}{'s' if self.signed else 'u'}"
        rest = []
        for p in self.params:
            v = self._params[p.name]
            if v is None:
                continue
            if isinstance(v, bool):
                v = int(v)
            elif isinstance(v, tuple):
                v = "_".join(str(x) for x in v)
            rest.append(f"{p.name}{v}")
        name = "_".join([base, *rest])
        name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if len(name) > 60:
            digest = hashlib.sha1(self.spec.encode()).hexdigest()[:8]
            name = f"{base}_{digest}"
        return name

    @property
    def info(self) -> dict:
        """Metadata: family, spec, parameters, ports, citation."""
        ports = {
            "a": {"dir": "in", "width": self.a_width, "signed": self.signed},
            "b": {"dir": "in", "width": self.b_width, "signed": self.signed},
        }
        for k, w in self.extra_inputs.items():
            ports[k] = {"dir": "in", "width": w, "signed": False}
        ports["p"] = {"dir": "out", "width": self.p_width, "signed": self.signed}
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self._params.items()}
        return {
            "family": self.family,
            "kind": self.kind,
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
        return operand_range(self.a_width, self.signed), operand_range(self.b_width, self.signed)

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
        """The true product of the operand values (the reference for error metrics)."""
        return np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)

    def verilog(self) -> str:
        """Verilog source whose top module is :attr:`name`."""
        raise NotImplementedError

    def __repr__(self) -> str:
        if not hasattr(self, "_params"):
            return f"<{type(self).__name__} (invalid parameters)>"
        return f"<{type(self).__name__} {self.spec}>"


class AmaranthUnit(ArithmeticUnit, wiring.Component):
    """A unit whose RTL is an Amaranth component with ports ``a``, ``b`` (and controls) → ``p``.

    Subclasses implement :meth:`elaborate` and :meth:`model`; parameters are validated before
    any signal exists.
    """

    def __init__(self, *args, **kwargs):
        # A unit is a golden model as much as a circuit: building one only to compute metrics
        # is normal use, so Amaranth's "created but never elaborated" warning does not apply.
        self._MustUse__silence = True
        if args:
            raise TypeError(
                f"{type(self).__name__} takes keyword parameters only (e.g. width=8), "
                f"not {len(args)} positional"
            )
        self._params = type(self).validate(kwargs)
        ports: dict[str, Any] = {
            "a": In(self._shape(self.a_width)),
            "b": In(self._shape(self.b_width)),
        }
        for k, w in self.extra_inputs.items():
            ports[k] = In(unsigned_shape(w))
        ports["p"] = Out(self._shape(self.p_width))
        wiring.Component.__init__(self, ports)

    def _shape(self, width: int):
        return signed_shape(width) if self.signed else unsigned_shape(width)

    def verilog(self) -> str:
        from .hdl import emit_verilog

        return emit_verilog(self, self.name)
