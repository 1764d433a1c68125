"""The operations arithmetic units approximate: what a unit computes, asked of the unit.

A unit carries one :class:`Operation` object, built from its validated width parameters. The
operation knows the exact function (the reference of every error metric), the operands and
the result width, the normalisation of the percentage metrics, the exact baseline unit that PPA
savings are measured against, and the reference of formal proofs. Every flow asks the unit's
operation; none assumes ``a*b``.

A new kind of unit declares its operation by subclassing :class:`Operation` (class attributes
and :meth:`Operation.exact`, :attr:`Operation.result_width`); nothing else in axhdl changes.
This module needs numpy only: a unit built for its model never imports Amaranth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .params import Param

__all__ = [
    "Operand",
    "Operation",
    "Multiplication",
    "Addition",
    "MultiplyAccumulate",
    "MatrixMultiplication",
    "MAX_RESULT_WIDTH",
]

#: the golden model computes in int64: results of up to 62 bits fit, with room for the sign
MAX_RESULT_WIDTH = 62


@dataclass(frozen=True)
class Operand:
    """One operand port of a unit: its name, width in bits and signedness."""

    name: str
    width: int
    signed: bool

    @property
    def range(self) -> tuple[int, int]:
        """The smallest and largest value the operand holds."""
        if self.signed:
            return -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        return 0, (1 << self.width) - 1


class Operation:
    """The exact operation of a unit kind, for one set of operand widths.

    Subclasses set the class attributes and implement :meth:`exact` and
    :attr:`result_width`. Instances are built by :meth:`from_params` from a unit's validated
    parameters (the :attr:`width_params`).
    """

    #: the operation's name, e.g. ``"multiplication"``
    name: ClassVar[str] = ""
    #: the kind of the units that approximate it, e.g. ``"multiplier"``
    kind: ClassVar[str] = ""
    #: the exact result as an expression over the operands, in Verilog and in the algebraic
    #: prover's terms (``"a*b"``, ``"a+b"``)
    reference: ClassVar[str] = ""
    #: the family of the exact unit PPA savings are measured against (None: no baseline)
    baseline_family: ClassVar[str | None] = None
    #: the width parameters every unit of this kind has, first among its parameters
    width_params: ClassVar[tuple[Param, ...]] = ()
    #: True when ``exact(a, b)`` (and a unit's ``model``) maps operand pairs to results
    #: element by element (multiplication, addition); False for reductions over operand
    #: sequences or matrices (multiply-accumulate, matrix multiplication)
    elementwise: ClassVar[bool] = True

    def __init__(self, a_width: int, b_width: int, signed: bool):
        self.a_width = a_width
        self.b_width = b_width
        self.signed = signed

    # -- parameters -----------------------------------------------------------------------

    @classmethod
    def expand_widths(cls, kwargs: dict) -> dict:
        """Constructor keywords with shorthands expanded (``width=N`` for both operands)."""
        return dict(kwargs)

    @classmethod
    def from_params(cls, values: dict) -> Operation:
        """The operation of a unit with the validated parameters ``values``."""
        return cls(values["a_width"], values["b_width"], values["signed"])

    def check(self) -> None:
        """Raise ``ValueError`` when the widths give results the int64 model cannot hold."""
        if self.result_width > MAX_RESULT_WIDTH:
            raise ValueError(
                f"The {self.name} of {self.describe_widths()} has a {self.result_width}-bit "
                f"result; at most {MAX_RESULT_WIDTH} bits fit the golden model's int64"
            )

    def spec_widths(self) -> list[str]:
        """The width parameters as ``key=value`` texts of the canonical spec."""
        return [f"a_width={self.a_width}", f"b_width={self.b_width}", self._signed_text()]

    def _signed_text(self) -> str:
        return f"signed={'true' if self.signed else 'false'}"

    def describe_widths(self) -> str:
        return f"{self.a_width}-bit and {self.b_width}-bit operands"

    @property
    def tag(self) -> str:
        """The widths in a module name, e.g. ``8x8u``."""
        return f"{self.a_width}x{self.b_width}{'s' if self.signed else 'u'}"

    # -- behaviour ------------------------------------------------------------------------

    @property
    def operands(self) -> tuple[Operand, Operand]:
        return (Operand("a", self.a_width, self.signed), Operand("b", self.b_width, self.signed))

    @property
    def operand_bits(self) -> int:
        """Total operand bits: an exhaustive check drives 2^operand_bits pairs."""
        return self.a_width + self.b_width

    @property
    def result_width(self) -> int:
        """Bits of the exact result (the unit's ``p`` is at least this wide)."""
        raise NotImplementedError

    def exact(self, a, b) -> np.ndarray:
        """The exact result for operand values ``a``, ``b`` (broadcast), as int64."""
        raise NotImplementedError

    @property
    def error_scale(self) -> float:
        """The denominator of ``mae_pct`` and ``wce_pct``: 2^operand_bits, EvoApproxLib's
        normalisation (the size of the result range of a product)."""
        return float(2 ** self.operand_bits)

    def baseline_spec(self) -> str | None:
        """The spec of the exact unit of the same widths (None where there is none)."""
        if self.baseline_family is None:
            return None
        return f"{self.baseline_family}:" + ",".join(self.spec_widths())

    def gold_verilog(self) -> tuple[str, str]:
        """A reference Verilog module computing :attr:`reference` on ports ``a``, ``b`` → ``p``
        with the unit's widths: (text, module name)."""
        top = f"axhdl_gold_{self.name}_{self.tag}"
        sgn = "signed " if self.signed else ""
        text = (
            f"module {top}(input {sgn}[{self.a_width - 1}:0] a, "
            f"input {sgn}[{self.b_width - 1}:0] b,\n"
            f"    output {sgn}[{self.result_width - 1}:0] p);\n"
            f"  assign p = {self.reference};\n"
            "endmodule\n"
        )
        return text, top

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "reference": self.reference,
                "result_width": self.result_width, "error_scale": self.error_scale,
                "baseline": self.baseline_spec()}

    def __eq__(self, other) -> bool:
        return (type(self) is type(other)
                and (self.a_width, self.b_width, self.signed)
                == (other.a_width, other.b_width, other.signed))

    def __hash__(self) -> int:
        return hash((type(self), self.a_width, self.b_width, self.signed))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.tag}>"


def _signed_param() -> Param:
    return Param("signed", bool, False, "two's-complement operands and result")


class Multiplication(Operation):
    """``p = a*b``: operands of ``a_width`` and ``b_width`` bits, a result of their sum."""

    name = "multiplication"
    kind = "multiplier"
    reference = "a*b"
    baseline_family = "exact"
    width_params = (
        Param("a_width", int, 8, "width of operand a in bits", min=1, max=32),
        Param("b_width", int, 8, "width of operand b in bits", min=1, max=32),
        _signed_param(),
    )

    @classmethod
    def expand_widths(cls, kwargs: dict) -> dict:
        """``width=N`` is shorthand for ``a_width=N, b_width=N``."""
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

    def check(self) -> None:
        if self.result_width > MAX_RESULT_WIDTH:
            raise ValueError(
                f"a_width + b_width must be at most {MAX_RESULT_WIDTH} (the golden model is "
                f"int64), not {self.a_width} + {self.b_width} = {self.result_width}"
            )

    def spec_widths(self) -> list[str]:
        if self.a_width == self.b_width:
            return [f"width={self.a_width}", self._signed_text()]
        return super().spec_widths()

    @property
    def result_width(self) -> int:
        return self.a_width + self.b_width

    def exact(self, a, b) -> np.ndarray:
        return np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)


class Addition(Operation):
    """``p = a+b``: two operands of ``width`` bits, a result of ``width + 1`` bits.

    ``mae_pct`` and ``wce_pct`` are normalised by 2^(width+1), the size of the result range
    (EvoApproxLib's adders).
    """

    name = "addition"
    kind = "adder"
    reference = "a+b"
    baseline_family = "exact_add"
    width_params = (
        Param("width", int, 8, "width of both operands in bits", min=1, max=61),
        _signed_param(),
    )

    @classmethod
    def from_params(cls, values: dict) -> Operation:
        return cls(values["width"], values["width"], values["signed"])

    def spec_widths(self) -> list[str]:
        return [f"width={self.a_width}", self._signed_text()]

    def describe_widths(self) -> str:
        return f"{self.a_width}-bit operands"

    @property
    def tag(self) -> str:
        return f"{self.a_width}{'s' if self.signed else 'u'}"

    @property
    def result_width(self) -> int:
        return self.a_width + 1

    @property
    def error_scale(self) -> float:
        return float(2 ** self.result_width)

    def exact(self, a, b) -> np.ndarray:
        return np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)


class _Accumulation(Operation):
    """Products of ``a_width``- and ``b_width``-bit operands summed into an ``acc_width``-bit
    accumulator (the shared base of :class:`MultiplyAccumulate` and
    :class:`MatrixMultiplication`).

    ``acc_width`` defaults to ``a_width + b_width + 8`` (24 bits for 8-bit operands: 256
    products of two 8-bit values cannot overflow it). The exact result is the true sum; the
    hardware wraps it modulo ``2^acc_width``. ``mae_pct`` and ``wce_pct`` are normalised by
    ``2^acc_width``, the size of the result range (as the adders are by theirs).
    """

    elementwise = False

    width_params = (
        Param("a_width", int, 8, "width of operand a in bits", min=1, max=32),
        Param("b_width", int, 8, "width of operand b in bits", min=1,
              max=f"min(32, {MAX_RESULT_WIDTH - 1} - a_width)"),
        _signed_param(),
        Param("acc_width", int, None,
              "accumulator (result) width in bits; default a_width + b_width + 8",
              min="a_width + b_width", max=MAX_RESULT_WIDTH - 1),
    )

    def __init__(self, a_width: int, b_width: int, signed: bool, acc_width: int):
        super().__init__(a_width, b_width, signed)
        self.acc_width = acc_width

    @classmethod
    def expand_widths(cls, kwargs: dict) -> dict:
        """``width=N`` is shorthand for ``a_width=N, b_width=N``; a missing ``acc_width`` is
        ``a_width + b_width + 8``."""
        kwargs = Multiplication.expand_widths(kwargs)
        if kwargs.get("acc_width") is None:
            widths = [kwargs.get(key, 8) for key in ("a_width", "b_width")]
            if all(isinstance(w, int) and not isinstance(w, bool) for w in widths):
                kwargs["acc_width"] = min(sum(widths) + 8, MAX_RESULT_WIDTH - 1)
        return kwargs

    @classmethod
    def from_params(cls, values: dict) -> Operation:
        return cls(values["a_width"], values["b_width"], values["signed"], values["acc_width"])

    def check(self) -> None:
        Multiplication(self.a_width, self.b_width, self.signed).check()

    def spec_widths(self) -> list[str]:
        if self.a_width == self.b_width:
            widths = [f"width={self.a_width}", self._signed_text()]
        else:
            widths = super().spec_widths()
        return [*widths, f"acc_width={self.acc_width}"]

    def describe_widths(self) -> str:
        return (f"{self.a_width}-bit and {self.b_width}-bit operands into {self.acc_width} "
                f"bits")

    @property
    def tag(self) -> str:
        return f"{super().tag}_acc{self.acc_width}"

    @property
    def result_width(self) -> int:
        return self.acc_width

    @property
    def error_scale(self) -> float:
        return float(2 ** self.acc_width)

    def gold_verilog(self) -> tuple[str, str]:
        raise NotImplementedError(
            f"The {self.name} is computed over many clock cycles; it has no combinational "
            f"reference module"
        )

    def __eq__(self, other) -> bool:
        return super().__eq__(other) and self.acc_width == other.acc_width

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.acc_width))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.tag}>"


class MultiplyAccumulate(_Accumulation):
    """``p = Σ_k a[k]·b[k]``: the dot product over the last axis of the operand arrays (one
    product per enabled clock cycle of a MAC), into ``acc_width`` bits."""

    name = "multiply-accumulate"
    kind = "mac"
    reference = "sum(a*b)"
    baseline_family = "mac"

    def exact(self, a, b) -> np.ndarray:
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        return np.sum(a * b, axis=-1, dtype=np.int64)


class MatrixMultiplication(_Accumulation):
    """``C = A·W``: matrices of ``a_width``-bit (``A``, M×K) and ``b_width``-bit (``W``, K×N)
    elements, each element of ``C`` a dot product into ``acc_width`` bits (batched over
    leading axes, as ``numpy.matmul``).

    There is no baseline spec: the exact array of the same geometry is the unit's own spec
    with exact multiplier and adder (``Systolic.exact_baseline``)."""

    name = "matrix-multiplication"
    kind = "gemm"
    reference = "A@W"
    baseline_family = None

    def exact(self, a, b) -> np.ndarray:
        return np.matmul(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))

