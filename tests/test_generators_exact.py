"""Tests of the exact multiplier family and its architectures (operator, array, Wallace,
Dadda, radix-4 Booth), including the tree planner of ``_trees`` they are built with.

References are independent of the RTL: the true product ``a*b``, numpy evaluation of the
planned trees, Dadda's closed-form adder counts, and Booth's digit identity Σ d_k·4^k = b.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _family_checks import (
    SIMULATORS,
    assert_amaranth_exhaustive,
    assert_cosim,
    assert_lint_clean,
)

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers._pp import pp_terms
from axhdl.generators.multipliers._trees import (
    booth_digit_count,
    compressor_plan,
    dadda_plan,
    dadda_targets,
    plan_eval,
    term_columns,
    term_columns_eval,
    wallace_plan,
)
from axhdl.generators.multipliers.exact import Exact
from axhdl.metrics import operand_grid
from axhdl.unit import from_code

ARCHES = ["operator", "array", "wallace", "dadda", "booth"]
TREE_ARCHES = ["wallace", "dadda", "booth"]
SMALL = [(1, 1), (1, 4), (4, 1), (2, 2), (4, 4), (3, 5), (5, 3)]


def unit(na, nb, signed, arch):
    return make_unit(f"exact:a_width={na},b_width={nb},signed={signed},arch={arch}")


def _grid_codes(na, nb, limit=1 << 14, seed=0):
    """Operand bit patterns: every pair when small, else a seeded sample."""
    if na + nb <= 14:
        a = np.repeat(np.arange(1 << na), 1 << nb)
        b = np.tile(np.arange(1 << nb), 1 << na)
        return a, b
    rng = np.random.default_rng(seed)
    return rng.integers(0, 1 << na, limit), rng.integers(0, 1 << nb, limit)


class TestExact:
    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    def test_model_is_the_true_product(self, arch, signed):
        u = unit(6, 5, signed, arch)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()
        # the most negative corner is included
        if signed:
            assert int(u.model(-32, -16)) == 512

    @pytest.mark.parametrize("arch", ARCHES)
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb", SMALL)
    def test_amaranth_exhaustive_small(self, arch, signed, na, nb):
        assert_amaranth_exhaustive(unit(na, nb, signed, arch))

    @pytest.mark.slow
    @pytest.mark.parametrize("arch", ["array", *TREE_ARCHES])
    @pytest.mark.parametrize("signed", [False, True])
    def test_amaranth_exhaustive_8x8(self, arch, signed):
        assert_amaranth_exhaustive(unit(8, 8, signed, arch))

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize("arch,signed", [("wallace", False), ("booth", True)])
    def test_cosim_8x8_exhaustive(self, sim, arch, signed):
        assert_cosim(unit(8, 8, signed, arch), sim)

    @pytest.mark.slow
    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize(
        "na,nb,signed,arch",
        [(8, 8, True, "wallace"), (8, 8, False, "dadda"), (8, 8, True, "dadda"),
         (8, 8, False, "booth"), (8, 4, True, "booth"), (4, 8, False, "booth"),
         (8, 4, False, "wallace"), (4, 8, True, "dadda"),
         (16, 16, False, "wallace"), (16, 16, True, "dadda"), (16, 16, True, "booth"),
         (16, 16, False, "booth")],
    )
    def test_cosim_matrix(self, sim, na, nb, signed, arch):
        assert_cosim(unit(na, nb, signed, arch), sim, vectors=20000, seed=3)

    @pytest.mark.parametrize("arch", TREE_ARCHES + ["array"])
    @pytest.mark.parametrize("signed", [False, True])
    def test_lint_clean(self, arch, signed, tmp_path):
        assert_lint_clean(unit(8, 8, signed, arch), tmp_path)
        assert_lint_clean(unit(3, 5, signed, arch), tmp_path)

    def test_netlist_has_readable_names(self):
        text = unit(8, 8, False, "dadda").verilog()
        for name in ("pp3_5", "fa_s1_c7_0_s", "ha_s1_c6_0_c", "cpa_c9_s", "cpa_c9_c"):
            assert f" {name};" in text, name
        booth = unit(8, 8, True, "booth").verilog()
        for name in ("bth0_neg", "bth3_two", "bpp2_8", "cpa_c12_s"):
            assert f" {name};" in booth, name
        assert " fa_s1_c" in unit(8, 8, True, "wallace").verilog()

    def test_arch_names_the_module(self):
        assert unit(8, 8, True, "booth").name == "exact_8x8s_archbooth"
        assert make_unit("exact:width=4,arch=wallace").spec == (
            "exact:width=4,signed=false,arch=wallace")

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Exact(width=8, arch="tree")
        assert str(e.value) == (
            "Parameter 'arch' must be one of operator, array, wallace, dadda, booth, "
            "not 'tree'")
        with pytest.raises(TypeError) as e:
            Exact(width=8, arch=3)
        assert str(e.value) == "Parameter 'arch' must be a string, not 3"
        with pytest.raises(SpecError) as e:
            make_unit("exact:width=8,arch=booth2")
        assert str(e.value) == (
            "exact: Parameter 'arch' must be one of operator, array, wallace, dadda, booth, "
            "not 'booth2'")


class TestTreePlans:
    """The planned trees, evaluated with numpy, against the true product."""

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb", [(na, nb) for na in range(1, 9) for nb in range(1, 9)]
                             + [(12, 12), (16, 16), (13, 7), (32, 30)])
    def test_trees_compute_the_product(self, na, nb, signed):
        width = na + nb
        cols = term_columns(pp_terms(na, nb, signed), width)
        heights = [len(c) for c in cols]
        ca, cb = _grid_codes(na, nb)
        leaves = term_columns_eval(cols, ca, cb, na, nb)
        expected = (from_code(ca, na, signed) * from_code(cb, nb, signed)) & ((1 << width) - 1)
        plans = [wallace_plan(heights, width), dadda_plan(heights, width),
                 compressor_plan(heights, width, approx_cols=0, design=1),
                 compressor_plan(heights, width, approx_cols=0, design=2)]
        for plan in plans:
            assert (plan_eval(plan, leaves) == expected).all()
            # nothing is left but the final adder's two rows
            assert len(plan.result) == width

    def test_dadda_heights(self):
        # Dadda 1965: d1 = 2, d(j+1) = floor(1.5 dj)
        assert dadda_targets(64) == [63, 42, 28, 19, 13, 9, 6, 4, 3, 2]
        assert dadda_targets(8) == [6, 4, 3, 2]
        assert dadda_targets(2) == []
        assert dadda_targets(9, ratio=2) == [8, 4, 2]

    @pytest.mark.parametrize("n", [3, 4, 6, 8, 12, 16])
    def test_dadda_adder_counts_closed_form(self, n):
        # Dadda's reduction of an n x n unsigned matrix takes n^2 - 4n + 3 full adders and
        # n - 1 half adders (Townsend, Swartzlander, Abraham, SPIE 5205, 2003), then a
        # (2n - 2)-bit carry-propagate adder
        heights = [len(c) for c in term_columns(pp_terms(n, n, False), 2 * n)]
        plan = dadda_plan(heights, 2 * n)
        tree = [c for c in plan.cells if c.stage > 0]
        assert sum(c.kind == "fa" for c in tree) == n * n - 4 * n + 3
        assert sum(c.kind == "ha" for c in tree) == n - 1
        assert sum(1 for c in plan.cells if c.stage == 0) == 2 * n - 2

    @pytest.mark.parametrize("n,stages", [(2, 0), (3, 1), (4, 2), (8, 4), (9, 4), (16, 6),
                                          (32, 8)])
    def test_stage_counts(self, n, stages):
        # both trees need as many stages as Dadda's sequence has heights below n
        heights = [len(c) for c in term_columns(pp_terms(n, n, False), 2 * n)]
        assert dadda_plan(heights, 2 * n).stages == stages
        assert wallace_plan(heights, 2 * n).stages == stages


class TestBooth:
    @pytest.mark.parametrize("nb,signed,digits", [(8, True, 4), (8, False, 5), (7, True, 4),
                                                 (7, False, 4), (1, True, 1), (1, False, 1)])
    def test_digit_count(self, nb, signed, digits):
        assert booth_digit_count(nb, signed) == digits

    @pytest.mark.parametrize("nb", [1, 2, 5, 8])
    @pytest.mark.parametrize("signed", [False, True])
    def test_recoding_identity(self, nb, signed):
        # radix-4 digits d_k = -2 y(2k+1) + y(2k) + y(2k-1) of the (sign- or zero-extended)
        # multiplier: Σ d_k 4^k = b, every digit in -2..2
        lo = -(1 << (nb - 1)) if signed else 0
        for b in range(lo, lo + (1 << nb)):
            def y(j, b=b):
                if j < 0:
                    return 0
                return (b >> j) & 1  # Python ints sign-extend, unsigned values are >= 0

            digits = [-2 * y(2 * k + 1) + y(2 * k) + y(2 * k - 1)
                      for k in range(booth_digit_count(nb, signed))]
            assert all(-2 <= d <= 2 for d in digits)
            assert sum(d * 4 ** k for k, d in enumerate(digits)) == b

    def test_most_negative_corners(self):
        u = unit(8, 8, True, "booth")
        from axhdl.testbenches.amaranth_sim import simulate

        a = np.array([-128, -128, 127, -1, 0])
        b = np.array([-128, 127, -128, -1, -128])
        assert simulate(u, a, b).tolist() == (a * b).tolist()

    def test_unsigned_all_ones(self):
        from axhdl.testbenches.amaranth_sim import simulate

        u = unit(8, 8, False, "booth")
        assert simulate(u, [255, 255, 128], [255, 128, 255]).tolist() == [65025, 32640, 32640]


def test_spec_round_trip_every_arch():
    for arch, signed in itertools.product(ARCHES, [False, True]):
        u = unit(5, 3, signed, arch)
        assert make_unit(u.spec).spec == u.spec
