"""The circuit side of a unit: its Amaranth interface and component.

:class:`UnitSignature` is the operand/result interface of a unit (operands and control inputs
in, ``p`` out), so a design can ``wiring.connect`` to it or build a flipped copy;
:class:`UnitComponent` is the ``wiring.Component`` that ``unit.component()`` returns, whose
``elaborate`` is the unit's :meth:`~axhdl.unit.ArithmeticUnit.rtl`. Imported only when a
circuit is built.
"""

from __future__ import annotations

from amaranth.hdl import signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["UnitSignature", "UnitComponent"]


def _shape(width: int, is_signed: bool):
    return signed(width) if is_signed else unsigned(width)


class UnitSignature(wiring.Signature):
    """Operands (and control inputs) in, result ``p`` out.

    ``operands`` maps each operand name to ``(width, signed)``, ``controls`` each control
    input to its (unsigned) width; ``p`` is ``p_width`` bits, signed when ``signed``;
    ``outputs`` maps each extra (unsigned) output to its width.
    """

    def __init__(self, *, operands: dict[str, tuple[int, bool]], controls: dict[str, int],
                 p_width: int, signed: bool, outputs: dict[str, int] | None = None):
        members = {name: In(_shape(w, s)) for name, (w, s) in operands.items()}
        members.update({name: In(unsigned(w)) for name, w in controls.items()})
        members["p"] = Out(_shape(p_width, signed))
        members.update({name: Out(unsigned(w)) for name, w in (outputs or {}).items()})
        super().__init__(members)

    @classmethod
    def of_unit(cls, unit) -> UnitSignature:
        return cls(
            operands={op.name: (op.width, op.signed) for op in unit.operation.operands},
            controls=dict(unit.extra_inputs),
            p_width=unit.p_width,
            signed=unit.signed,
            outputs=dict(unit.extra_outputs),
        )

    def __eq__(self, other) -> bool:
        if isinstance(other, wiring.FlippedSignature):
            return False
        return type(other) is type(self) and self.members == other.members

    def __repr__(self) -> str:
        ports = ", ".join(f"{name}: {member}" for name, member in self.members.items())
        return f"UnitSignature({ports})"


class UnitComponent(wiring.Component):
    """The circuit of one unit: ports from :class:`UnitSignature`, logic from ``unit.rtl``."""

    def __init__(self, unit):
        self._unit = unit
        super().__init__(UnitSignature.of_unit(unit))

    @property
    def unit(self):
        """The unit this component implements."""
        return self._unit

    def elaborate(self, platform):
        return self._unit.rtl(self)
