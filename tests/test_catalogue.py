"""Properties every registered family must have, checked across the whole catalogue."""

import numpy as np
import pytest

from axhdl import families, make_unit
from axhdl.generate import lint_verilog
from axhdl.metrics import operand_grid
from axhdl.unit import AmaranthUnit

AMARANTH_FAMILIES = sorted(n for n, c in families().items() if issubclass(c, AmaranthUnit))
#: the families whose model maps operand pairs to results element by element (multipliers,
#: adders); MAC and GEMM models reduce sequences and matrices and have their own tests
ELEMENTWISE_FAMILIES = sorted(n for n in AMARANTH_FAMILIES
                              if families()[n].operation_class.elementwise)


def _controls(unit):
    """A valid value for each control input (the first accepted code)."""
    kw = {}
    for name, width in unit.extra_inputs.items():
        for code in range(1 << width):
            if unit.valid_controls(**{name: code}):
                kw[name] = code
                break
    return kw


@pytest.mark.parametrize("family", AMARANTH_FAMILIES)
class TestEveryFamily:
    def test_documented(self, family):
        cls = families()[family]
        assert cls.description and cls.citation
        for p in cls.params:
            assert p.doc, f"{family}.{p.name} has no description"

    @pytest.mark.parametrize("signed", [False, True])
    def test_default_point_is_lint_clean(self, family, signed, tmp_path):
        unit = make_unit(f"{family}:signed={signed}")
        path = tmp_path / f"{unit.name}.v"
        path.write_text(unit.verilog())
        lint_verilog(path, unit.name)

    def test_spec_round_trip(self, family):
        unit = make_unit(family)
        assert make_unit(unit.spec).parameters == unit.parameters


@pytest.mark.parametrize("family", ELEMENTWISE_FAMILIES)
@pytest.mark.parametrize("signed", [False, True])
def test_model_contract(family, signed):
    """int64 results of the operands' shape, inside the value range of port p."""
    unit = make_unit(f"{family}:width=6,signed={signed}")
    a, b = operand_grid(unit)
    p = unit.model(a, b, **_controls(unit))
    assert p.dtype == np.int64 and p.shape == a.shape
    lo, hi = ((-(1 << (unit.p_width - 1)), (1 << (unit.p_width - 1)) - 1) if signed
              else (0, (1 << unit.p_width) - 1))
    assert p.min() >= lo and p.max() <= hi


def test_elementwise_families_are_the_multipliers_and_adders():
    kinds = {families()[n].kind for n in ELEMENTWISE_FAMILIES}
    assert kinds == {"multiplier", "adder"} and "exact" in ELEMENTWISE_FAMILIES
