"""Tests of the broken-array multiplier (Mahdiani et al., IEEE TCAS-I 2010).

References: a per-bit Python sum over the kept partial products (with their two's-complement
signs), cross-family identities (vbl alone = column truncation; hbl alone = perforation of the
low rows), the closed-form mean error −¼·Σ 2^(i+j) over the removed bits, and RTL vs model on
the Amaranth simulator and on cocotb.
"""

from __future__ import annotations

import itertools

import pytest
from _family_checks import rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.broken_array import BrokenArray, mean_error_closed_form
from axhdl.metrics import exhaustive_metrics, operand_grid


def unit(na, nb, signed, hbl, vbl):
    return make_unit(
        f"broken_array:a_width={na},b_width={nb},signed={signed},hbl={hbl},vbl={vbl}")


def naive(a: int, b: int, na: int, nb: int, signed: bool, hbl: int, vbl: int) -> int:
    """Σ over kept (i, j) of the signed bit product, Python integers, one pair at a time."""
    total = 0
    for i, j in itertools.product(range(na), range(nb)):
        if j < hbl or i + j < vbl:
            continue
        wa = -(1 << i) if signed and i == na - 1 else 1 << i
        wb = -(1 << j) if signed and j == nb - 1 else 1 << j
        total += ((a >> i) & 1) * ((b >> j) & 1) * wa * wb
    return total


class TestBrokenArray:
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,hbl,vbl", [(5, 5, 1, 4), (5, 5, 0, 9), (4, 6, 2, 3),
                                               (6, 3, 3, 0), (3, 3, 0, 0), (1, 1, 0, 1)])
    def test_model_matches_definition(self, na, nb, hbl, vbl, signed):
        u = unit(na, nb, signed, hbl, vbl)
        a, b = operand_grid(u)
        expected = [naive(x, y, na, nb, signed, hbl, vbl) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("signed", [False, True])
    def test_no_break_is_exact(self, signed):
        u = unit(6, 6, signed, 0, 0)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()

    @pytest.mark.parametrize("vbl", [0, 3, 8, 12])
    def test_vertical_break_alone_is_column_truncation(self, vbl):
        bam = unit(8, 8, False, 0, vbl)
        trunc = make_unit(f"truncated:width=8,k={vbl}")
        a, b = operand_grid(bam)
        assert (bam.model(a, b) == trunc.model(a, b)).all()

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("hbl", [1, 3, 6])
    def test_horizontal_break_alone_is_row_perforation(self, hbl, signed):
        bam = unit(6, 6, signed, hbl, 0)
        perf = make_unit(f"perforated:width=6,signed={signed},m={hbl},start=0")
        a, b = operand_grid(bam)
        assert (bam.model(a, b) == perf.model(a, b)).all()

    @pytest.mark.parametrize("hbl,vbl", [(0, 4), (1, 7), (2, 8), (3, 5), (8, 0), (0, 15)])
    def test_mean_error_closed_form(self, hbl, vbl):
        m = exhaustive_metrics(unit(8, 8, False, hbl, vbl))
        assert m["mean_ed"] == pytest.approx(mean_error_closed_form(8, 8, hbl, vbl), abs=1e-9)

    def test_closed_form_value(self):
        # 4x4, hbl=1, vbl=2: row 0 (weights 1, 2, 4, 8) and a_0 b_1 (weight 2) removed
        assert mean_error_closed_form(4, 4, 1, 2) == -(1 + 2 + 4 + 8 + 2) / 4

    def test_error_never_positive_unsigned(self):
        u = unit(8, 8, False, 2, 9)
        a, b = operand_grid(u)
        err = u.model(a, b) - a * b
        assert err.max() == 0
        # all operand bits set: the error is minus every removed weight
        removed = sum(1 << (i + j) for i in range(8) for j in range(8) if j < 2 or i + j < 9)
        assert int(u.model(255, 255)) - 255 * 255 == -removed

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            BrokenArray(a_width=8, b_width=4, hbl=5)
        assert str(e.value) == (
            "Parameter 'hbl' must be an integer in 0..b_width (here 0..4), not 5")
        with pytest.raises(ValueError) as e:
            BrokenArray(width=4, vbl=8)
        assert str(e.value) == (
            "Parameter 'vbl' must be an integer in 0..a_width + b_width - 1 (here 0..7), not 8")
        with pytest.raises(ValueError) as e:
            BrokenArray(width=4, hbl=-1)
        assert str(e.value) == (
            "Parameter 'hbl' must be an integer in 0..b_width (here 0..4), not -1")
        with pytest.raises(SpecError) as e:
            make_unit("broken_array:width=8,vbl=x")
        assert str(e.value) == "broken_array: Parameter 'vbl' must be an integer, not 'x'"

    def test_metadata(self):
        u = unit(8, 8, False, 1, 7)
        assert u.spec == "broken_array:width=8,signed=false,hbl=1,vbl=7"
        assert u.name == "broken_array_8x8u_hbl1_vbl7"
        assert "Mahdiani" in u.citation

_BOTH = (False, True)
# three parameter points at 8x8 plus chosen small and asymmetric shapes; Verilator checks the
# default point in both signednesses, its area is below the exact array's in both
TestRTLEquivalence = rtl_test_class(
    "broken_array", ["hbl=1,vbl=7", "hbl=0,vbl=8", "hbl=3,vbl=5"], verilator_signed=True,
    small=tuple((na, nb, s, f"hbl={h},vbl={v}") for s in _BOTH for na, nb, h, v in [
        (4, 4, 1, 3), (4, 4, 0, 5), (3, 5, 2, 2), (5, 3, 1, 4), (5, 3, 3, 0), (1, 1, 0, 1),
        (1, 1, 1, 0)]),
    cosim=((8, 8, False, "hbl=1,vbl=7"),),
    slow_cosim=tuple((na, nb, s, f"hbl={h},vbl={v}") for na, nb, s, h, v in [
        (8, 4, False, 1, 5), (8, 4, True, 2, 3), (4, 8, False, 0, 6), (4, 8, True, 3, 2),
        (16, 16, False, 2, 14), (16, 16, True, 4, 12)]),
    lint=tuple((8, 4, s, "hbl=2,vbl=3") for s in _BOTH),
    area_signed=_BOTH, area_slow=False,
)
