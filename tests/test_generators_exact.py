"""Tests of the exact multiplier family and its architectures (operator, array, Wallace,
Dadda, radix-4 Booth), including the tree planner of ``_trees`` they are built with.

References are independent of the RTL: the true product ``a*b``, numpy evaluation of the
planned trees, Dadda's closed-form adder counts, and Booth's digit identity Σ d_k·4^k = b.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _family_checks import rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers._pp import pp_terms
from axhdl.generators.multipliers._trees import (
    booth_digit_count,
    compressor_plan,
    constant_columns,
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

    def test_netlist_has_readable_names(self):
        text = unit(8, 8, False, "dadda").verilog()
        for name in ("pp3_5", "fa_s1_c7_0_s", "ha_s1_c6_0_c", "cpa_c9_s", "cpa_c9_c"):
            assert f" {name};" in text, name
        booth = unit(8, 8, True, "booth").verilog()
        for name in ("bth0_neg", "bth3_two", "bpp2_8", "cpa_c12_s"):
            assert f" {name};" in booth, name
        assert " fa_s1_c" in unit(8, 8, True, "wallace").verilog()

    def test_array_absorbs_the_baugh_wooley_constant(self):
        # 2^8 + 2^15 for signed 8x8: row 1 ends at weight 8, so x + 1 = ~x + 2x moves its top
        # bit up and the constant 2^8 needs no adder; only 2^15 (no row ends there) is left
        from amaranth.hdl import Signal

        from axhdl.generators.multipliers._rtl import term_rows

        rows = term_rows(pp_terms(8, 8, True), Signal(8), Signal(8), 16)
        assert len(rows) == 9
        assert sorted(rows[1]) == list(range(1, 10))
        assert sorted(rows[-1]) == [15]
        assert sorted(term_rows(pp_terms(8, 8, False), Signal(8), Signal(8), 16)[-1]) == list(
            range(7, 15))  # unsigned: no constant, the last row is b_7's

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

    @pytest.mark.parametrize("n", [3, 4, 8, 12, 16, 32])
    def test_wallace_half_adders_only_where_needed(self, n):
        # A full adder turns three bits into two, a half adder two into two: the n^2 partial
        # products of an unsigned n x n matrix end as 2n result bits, so every tree with a
        # ripple-carry adder uses n^2 - 2n full adders. The reduced-area rule spends half
        # adders only where a column would stay above Dadda's height: as many as Dadda's tree
        # and final adder together (n - 1 + 1), where one per leftover pair took 3n + 2 at 8x8.
        heights = [len(c) for c in term_columns(pp_terms(n, n, False), 2 * n)]
        wallace, dadda = wallace_plan(heights, 2 * n), dadda_plan(heights, 2 * n)
        assert wallace.count("fa") == dadda.count("fa") == n * n - 2 * n
        assert wallace.count("ha") == dadda.count("ha") == n

    def test_wallace_keeps_a_constant_one_out_of_full_adders(self):
        # signed Baugh-Wooley matrix: the constant 2^n ends column n; a leftover pair holding
        # it gets a half adder (an inverter), never a later full adder
        cols = term_columns(pp_terms(16, 16, True), 32)
        ones = constant_columns(cols)
        assert ones == (16, 31)
        plan = wallace_plan([len(c) for c in cols], 32, ones=ones)
        const = {plan.leaves[c][-1] for c in ones}
        assert all(c.kind == "ha" or c.stage == 0 for c in plan.cells if const & set(c.ins))

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


_BOTH = (False, True)
# every architecture at the small shapes (1x4, 4x1 and 2x2 too) and at 8x8; the array is the
# default point; chosen tree and array designs on cocotb; the exact array is the area baseline
# of the other families, so no saving is claimed
TestRTLEquivalence = rtl_test_class(
    "exact", [f"arch={a}" for a in ["array", "operator", "wallace", "dadda", "booth"]],
    verilator_signed=True, area_claim=False,
    shapes=((1, 4), (4, 1), (2, 2)),
    cosim=((8, 8, False, "arch=wallace"), (8, 8, True, "arch=booth"), (1, 1, True, "arch=array")),
    slow_cosim=(
        (8, 4, True, "arch=booth"), (4, 8, False, "arch=booth"), (8, 4, False, "arch=wallace"),
        (4, 8, True, "arch=dadda"), (16, 16, False, "arch=wallace"), (16, 16, True, "arch=dadda"),
        (16, 16, True, "arch=booth"), (16, 16, False, "arch=booth"),
        (3, 5, False, "arch=array"), (5, 3, True, "arch=array"), (1, 1, False, "arch=array"),
        (1, 1, True, "arch=operator"),
    ),
    lint=tuple((na, nb, s, f"arch={a}") for a in ["wallace", "dadda", "booth", "array"]
               for s in _BOTH for na, nb in [(8, 8), (3, 5)]),
)
