"""Tests of the broken-array multiplier (Mahdiani et al., IEEE TCAS-I 2010).

References: a per-bit Python sum over the kept partial products (with their two's-complement
signs), cross-family identities (vbl alone = column truncation; hbl alone = perforation of the
low rows), the closed-form mean error −¼·Σ 2^(i+j) over the removed bits, and RTL vs model on
the Amaranth simulator and on cocotb.
"""

from __future__ import annotations

import itertools

import pytest
from _family_checks import (
    SIMULATORS,
    assert_amaranth_exhaustive,
    assert_cosim,
    assert_lint_clean,
)

from axhdl import SpecError, make_unit
from axhdl.errors import ToolMissingError
from axhdl.generators.multipliers.broken_array import BrokenArray, mean_error_closed_form
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.synth.flow import ppa

POINTS_8 = [(1, 7), (0, 8), (3, 5)]


def synth_area(spec: str) -> float:
    """Cell area (liberty units) of ``spec`` from the PPA flow's synthesis (no baseline)."""
    try:
        return ppa(make_unit(spec), baseline=False, activity="vectorless")["area"]
    except ToolMissingError as e:
        pytest.skip(str(e))


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

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,hbl,vbl", [(4, 4, 1, 3), (4, 4, 0, 5), (3, 5, 2, 2),
                                               (5, 3, 1, 4), (5, 3, 3, 0), (1, 1, 0, 1),
                                               (1, 1, 1, 0)])
    def test_amaranth_exhaustive_small(self, na, nb, hbl, vbl, signed):
        assert_amaranth_exhaustive(unit(na, nb, signed, hbl, vbl))

    @pytest.mark.slow
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("hbl,vbl", POINTS_8)
    def test_amaranth_exhaustive_8x8(self, hbl, vbl, signed):
        assert_amaranth_exhaustive(unit(8, 8, signed, hbl, vbl))

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize("signed", [False, True])
    def test_cosim_8x8_exhaustive(self, sim, signed):
        assert_cosim(unit(8, 8, signed, 1, 7), sim)

    @pytest.mark.slow
    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize(
        "na,nb,signed,hbl,vbl",
        [(8, 8, s, h, v) for s in (False, True) for h, v in POINTS_8[1:]]
        + [(8, 4, False, 1, 5), (8, 4, True, 2, 3), (4, 8, False, 0, 6), (4, 8, True, 3, 2),
           (16, 16, False, 2, 14), (16, 16, True, 4, 12)],
    )
    def test_cosim_matrix(self, sim, na, nb, signed, hbl, vbl):
        assert_cosim(unit(na, nb, signed, hbl, vbl), sim, vectors=20000, seed=7)

    @pytest.mark.parametrize("signed", [False, True])
    def test_lint_clean(self, signed, tmp_path):
        assert_lint_clean(unit(8, 8, signed, 1, 7), tmp_path)
        assert_lint_clean(unit(8, 4, signed, 2, 3), tmp_path)

    @pytest.mark.parametrize("signed", [False, True])
    def test_default_point_saves_area(self, signed):
        # 8x8 default point vs the exact ripple-carry array (the same array with every
        # partial product), synthesized by the same flow on the default liberty
        flag = str(signed).lower()
        area = synth_area(f"broken_array:width=8,signed={flag}")
        assert area < synth_area(f"exact:width=8,signed={flag},arch=array")

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
