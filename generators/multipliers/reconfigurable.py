"""Runtime-reconfigurable perforated multiplier: a ``mode`` input selects how many of the
least significant partial-product rows are perforated.

G. Zervakis, H. Amrouch, J. Henkel, "Design automation of approximate circuits with runtime
reconfigurable accuracy", IEEE Access 8, 2020; Z.-G. Tasoulas, G. Zervakis, I. Anagnostopoulos,
H. Amrouch, J. Henkel, "Weight-oriented approximation for energy-efficient neural network
inference accelerators", IEEE Trans. Circuits and Systems I 67(12), 2020. Mode code ``i``
selects the perforation level ``modes[i]``: rows ``0 … modes[i]−1`` (bits of ``b``, the
weight in the accelerator of Tasoulas et al.) are not generated, so in that mode the unit is
``perforated:m=modes[i],start=0``. In hardware the row-select bits of ``b`` are gated by the
decoded mode.
"""

from __future__ import annotations

import numpy as np

from axhdl.params import Param
from axhdl.registry import register
from axhdl.unit import AmaranthUnit

from ._pp import pp_terms, wrap
from .perforated import perforated_product

__all__ = ["Reconfigurable", "MAX_MODES"]

#: the most modes one unit may list (a 4-bit mode input)
MAX_MODES = 16


@register
class Reconfigurable(AmaranthUnit):
    """Perforation level of the least significant rows chosen at run time by ``mode``."""

    family = "reconfigurable"
    description = (
        "runtime-reconfigurable perforation: input 'mode' selects how many LSB rows "
        "(bits of b) are omitted"
    )
    citation = (
        "G. Zervakis, H. Amrouch, J. Henkel, 'Design automation of approximate circuits with "
        "runtime reconfigurable accuracy', IEEE Access 8, 2020; Z.-G. Tasoulas, G. Zervakis, "
        "I. Anagnostopoulos, H. Amrouch, J. Henkel, 'Weight-oriented approximation for "
        "energy-efficient neural network inference accelerators', IEEE Trans. Circuits and "
        "Systems I 67(12), 2020"
    )
    notes = (
        "modes lists the perforation level of each mode code: code i omits the rows "
        "0..modes[i]-1 (bits of b), exactly as perforated:m=modes[i],start=0 (signed: rows "
        "keep their two's-complement weight, see perforated). The mode input is "
        "ceil(log2(len(modes))) bits wide (at least 1); codes beyond the list select the "
        "exact product (no row perforated), so every input value has a defined, verified "
        "result. model(a, b, mode=...) takes the mode code (scalar or array, default 0)."
    )
    weight_operand = "b"
    params = (
        Param("modes", tuple, (0, 1, 2), "perforated LSB rows for each mode code",
              item_min=0, item_max="b_width"),
    )

    @classmethod
    def check(cls, values: dict) -> None:
        modes = values["modes"]
        if len(modes) > MAX_MODES:
            raise ValueError(
                f"Parameter 'modes' must list at most {MAX_MODES} modes, not {len(modes)}"
            )

    @property
    def modes(self) -> tuple[int, ...]:
        return self._params["modes"]

    @property
    def mode_width(self) -> int:
        return max(1, (len(self.modes) - 1).bit_length())

    @property
    def extra_inputs(self) -> dict[str, int]:
        return {"mode": self.mode_width}

    def level(self, code: int) -> int:
        """Rows perforated under mode code ``code`` (0 for codes beyond the list)."""
        return self.modes[code] if code < len(self.modes) else 0

    def model(self, a, b, *, mode=0, **controls):
        if controls:
            raise TypeError(
                f"{self.family} has control input 'mode' only, not {', '.join(controls)}"
            )
        mode = np.asarray(mode, dtype=np.int64)
        top = (1 << self.mode_width) - 1
        if mode.size and (mode.min() < 0 or mode.max() > top):
            bad = int(mode.min() if mode.min() < 0 else mode.max())
            raise ValueError(f"Control input 'mode' must be in 0..{top}, not {bad}")
        levels = np.array([self.level(c) for c in range(top + 1)], dtype=np.int64)[mode]
        total = perforated_product(a, b, self.a_width, self.b_width, self.signed,
                                   lambda j: j >= levels)
        return wrap(total, self.p_width, self.signed)

    def rtl(self, io):
        from amaranth.hdl import Cat, Module, Signal

        from ._rtl import bits_to_value, matches_rtl, ripple_rows, term_rows

        m = Module()
        nb = self.b_width
        # row j is generated unless the selected mode perforates it
        gated = []
        for j in range(nb):
            codes = [c for c in range(1 << self.mode_width) if self.level(c) > j]
            if not codes:
                gated.append(io.b[j])
                continue
            row_on = Signal(name=f"row{j}_on")
            hit = Cat(*(matches_rtl(io.mode, c, self.mode_width) for c in codes))
            m.d.comb += row_on.eq(~hit.any())
            gated.append(io.b[j] & row_on)
        b_kept = Signal(nb, name="b_kept")
        m.d.comb += b_kept.eq(Cat(*gated))
        terms = pp_terms(self.a_width, nb, self.signed)
        bits = ripple_rows(m, term_rows(terms, io.a, b_kept, self.p_width), self.p_width,
                           prefix="row")
        m.d.comb += io.p.eq(bits_to_value(bits))
        return m
