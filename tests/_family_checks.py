"""Checks shared by the tests of the multiplier families (partial-product, logarithmic, segment
and recoding).

Each helper asserts one property of a unit against an independent reference: the Amaranth
simulator against the golden model, cocotb co-simulation on Icarus / Verilator against the
golden model, Verilator's -Wall lint, and result-width / no-overflow invariants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from axhdl.errors import ToolMissingError
from axhdl.generate import lint_verilog
from axhdl.metrics import operand_grid
from axhdl.testbenches.amaranth_sim import check_exhaustive

if TYPE_CHECKING:
    from axhdl.testbenches.runner import VerificationResult

SIMULATORS = ("icarus", "verilator")

#: the small shapes the default tier checks exhaustively on the Amaranth simulator
SMALL_SHAPES = [(4, 4), (3, 5), (5, 3)]


def assert_amaranth_exhaustive(unit) -> None:
    """Every operand pair on the Amaranth simulator equals the golden model."""
    checked, bad = check_exhaustive(unit)
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    assert checked == (ahi - alo + 1) * (bhi - blo + 1)
    assert bad == [], f"{unit.spec}: {bad[:5]}"


def assert_cosim(unit, sim: str, *, vectors: int = 4000, seed: int = 1) -> VerificationResult:
    """cocotb co-simulation of ``unit`` on ``sim``: every vector equals the golden model."""
    from axhdl.testbenches.runner import verify

    try:
        res = verify(unit, sim, vectors=vectors, seed=seed)
    except ToolMissingError as e:  # a missing simulator is a skip with its reason
        pytest.skip(str(e))
    total = unit.a_width + unit.b_width
    if total <= 16:
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        assert res.exhaustive and res.checked == (ahi - alo + 1) * (bhi - blo + 1)
    else:
        assert not res.exhaustive and res.checked >= vectors
    assert res.ok and res.mismatch_count == 0, f"{unit.spec} on {sim}: {res.mismatches}"
    return res


def assert_lint_clean(unit, tmp_path) -> None:
    """``verilator --lint-only -Wall`` accepts the unit's Verilog."""
    path = tmp_path / f"{unit.name}.v"
    path.write_text(unit.verilog())
    lint_verilog(path, unit.name)


def assert_fits_p_width(unit) -> None:
    """The model's results never need more than ``p_width`` bits (no silent wrap-around):
    recomputed without the final reduction, they lie inside the result's value range."""
    a, b = operand_grid(unit)
    p = unit.model(a, b)
    lo = -(1 << (unit.p_width - 1)) if unit.signed else 0
    hi = (1 << (unit.p_width - 1)) - 1 if unit.signed else (1 << unit.p_width) - 1
    assert p.min() >= lo and p.max() <= hi
    # unsigned products are non-negative; signed ones carry the sign of a*b (or are zero)
    exact = unit.exact(a, b)
    assert np.all((p == 0) | (np.sign(p) == np.sign(exact)) | (exact == 0))


def relative_errors(unit) -> np.ndarray:
    """(approx − exact) / exact over every operand pair with a non-zero product."""
    a, b = operand_grid(unit)
    exact = unit.exact(a, b)
    keep = exact != 0
    return (unit.model(a, b)[keep] - exact[keep]) / exact[keep]


# -- the RTL-equivalence test matrix of a family --------------------------------------------


def legal_spec(spec: str) -> bool:
    """Whether ``spec`` names a valid unit (used to drop illegal points from sweeps)."""
    from axhdl import SpecError, make_unit

    try:
        make_unit(spec)
    except SpecError:
        return False
    return True


def _spec(family: str, point: str, na: int, nb: int, signed: bool) -> str:
    extra = f",{point}" if point else ""
    return f"{family}:a_width={na},b_width={nb},signed={'true' if signed else 'false'}{extra}"


#: one design of a family: (a_width, b_width, signed, parameter point)
Design = tuple[int, int, bool, str]


def _unique(items: list) -> list:
    """``items`` without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def rtl_test_class(
    family: str,
    points: list[str],
    *,
    verilator_signed: bool,
    wide_point: str | None = None,
    area_claim: bool = True,
    shapes: tuple[tuple[int, int], ...] = (),
    small: tuple[Design, ...] = (),
    cosim: tuple[Design, ...] = (),
    slow_cosim: tuple[Design, ...] = (),
    lint: tuple[Design, ...] = (),
    area_signed: tuple[bool, ...] = (False,),
    area_slow: bool = True,
):
    """A test class proving a family's RTL equal to its golden model.

    Default tier: exhaustive Amaranth simulation at 4x4, 3x5, 5x3 and 1x1 (where legal) for
    every parameter point in ``points`` and both signednesses; exhaustive cocotb runs at
    8x8 of the first (default) point: Icarus signed and unsigned, Verilator with
    ``verilator_signed``; Verilator -Wall lint. Slow tier: exhaustive Amaranth simulation at
    8x8 for every point, the remaining 8x8 cocotb runs, 8x4 / 4x8 exhaustive and 16x16
    seeded-random (plus every corner pair) co-simulation on both simulators at the default
    point (``wide_point`` at 16x16 when the default is illegal there); synthesis of the
    default point at 8x8 (unsigned) on the default liberty, its area below the exact
    ``arch=array`` multiplier's where the paper claims a saving (``area_claim``).

    More designs, for families checked at more points than these: ``shapes`` adds
    (a_width, b_width) shapes to the default-tier sweep of every point; ``small`` adds
    default-tier exhaustive Amaranth runs (an 8x8 one leaves the slow tier); ``cosim`` and
    ``slow_cosim`` add co-simulations on both simulators to the default and the slow tier
    (exhaustive up to 16 operand bits, else 20,000 seeded random vectors plus every corner
    pair); ``lint`` adds default-tier lint runs. ``area_signed`` lists the signednesses
    synthesized, ``area_slow`` puts the synthesis in the slow tier.
    """
    default = points[0]

    def specs(designs) -> list[str]:
        return [_spec(family, p, na, nb, s) for na, nb, s, p in designs]

    eight_default = specs(d for d in small if d[:2] == (8, 8))
    small_specs = _unique([
        _spec(family, p, na, nb, s)
        for p in points
        for s in (False, True)
        for na, nb in [*SMALL_SHAPES, (1, 1), *shapes]
        if legal_spec(_spec(family, p, na, nb, s))
    ] + specs(d for d in small if d[:2] != (8, 8)))
    eight_specs = _unique([_spec(family, p, 8, 8, s) for p in points for s in (False, True)])
    eight = [x if x in eight_default else pytest.param(x, marks=pytest.mark.slow)
             for x in _unique(eight_default + eight_specs)]
    default_runs = [
        (_spec(family, default, 8, 8, s), sim)
        for s in (False, True)
        for sim in SIMULATORS
        if sim == "icarus" or s == verilator_signed
    ]
    slow_runs = [(spec, sim) for spec in eight_specs for sim in SIMULATORS
                 if (spec, sim) not in default_runs]
    slow_runs += [
        (_spec(family, default, na, nb, s), sim)
        for na, nb in [(8, 4), (4, 8)]
        for s in (False, True)
        for sim in SIMULATORS
    ]
    wide = default if wide_point is None else wide_point
    wide_runs = [(_spec(family, wide, 16, 16, s), sim) for s in (False, True)
                 for sim in SIMULATORS]
    more_runs = [(spec, sim) for spec in _unique(specs(cosim)) for sim in SIMULATORS
                 if (spec, sim) not in default_runs]
    slow_runs = [r for r in slow_runs if r not in more_runs]
    wide_runs = [r for r in wide_runs if r not in more_runs]
    more_slow_runs = [(spec, sim) for spec in _unique(specs(slow_cosim)) for sim in SIMULATORS
                      if (spec, sim) not in default_runs + more_runs + slow_runs + wide_runs]

    lint_all = [
        _spec(family, p, na, nb, s)
        for p in points for s in (False, True) for na, nb in [(8, 8), (3, 5), (1, 1)]
        if legal_spec(_spec(family, p, na, nb, s))
    ]
    lint_default = _unique([x for x in [
        _spec(family, default, 8, 8, False),
        _spec(family, default, 8, 8, True),
        _spec(family, points[-1], 3, 5, True),
        _spec(family, default, 1, 1, True),
    ] if x in lint_all] + specs(lint))
    lint_slow = [x for x in lint_all if x not in lint_default]

    class TestRTLEquivalence:
        @pytest.mark.parametrize("spec", small_specs)
        def test_amaranth_small_exhaustive(self, spec):
            from axhdl import make_unit

            assert_amaranth_exhaustive(make_unit(spec))

        @pytest.mark.parametrize("spec", eight)  # the slow tier's, but those from ``small``
        def test_amaranth_8x8_exhaustive(self, spec):
            from axhdl import make_unit

            assert_amaranth_exhaustive(make_unit(spec))

        @pytest.mark.cocotb
        @pytest.mark.parametrize("spec,sim", default_runs)
        def test_cosim_8x8_exhaustive(self, spec, sim):
            from axhdl import make_unit

            assert_cosim(make_unit(spec), sim)

        @pytest.mark.slow
        @pytest.mark.cocotb
        @pytest.mark.parametrize("spec,sim", slow_runs)
        def test_cosim_matrix_exhaustive(self, spec, sim):
            from axhdl import make_unit

            assert_cosim(make_unit(spec), sim)

        if more_runs:  # (an empty parametrization would collect a skipped test)

            @pytest.mark.cocotb
            @pytest.mark.parametrize("spec,sim", more_runs)
            def test_cosim_more_points(self, spec, sim):
                from axhdl import make_unit

                assert_cosim(make_unit(spec), sim, vectors=20000, seed=16)

        if more_slow_runs:

            @pytest.mark.slow
            @pytest.mark.cocotb
            @pytest.mark.parametrize("spec,sim", more_slow_runs)
            def test_cosim_more_points_long(self, spec, sim):
                from axhdl import make_unit

                assert_cosim(make_unit(spec), sim, vectors=20000, seed=16)

        @pytest.mark.slow
        @pytest.mark.cocotb
        @pytest.mark.parametrize("spec,sim", wide_runs)
        def test_cosim_16x16_random_and_corners(self, spec, sim):
            from axhdl import make_unit

            res = assert_cosim(make_unit(spec), sim, vectors=10000, seed=16)
            # 10000 random vectors plus every pair of operand corners
            corners = 3 if "signed=false" in spec else 5
            assert res.checked == 10000 + corners * corners

        @pytest.mark.parametrize("spec", lint_default)
        def test_verilog_lint_clean(self, spec, tmp_path):
            from axhdl import make_unit

            assert_lint_clean(make_unit(spec), tmp_path)

        @pytest.mark.slow
        @pytest.mark.parametrize("spec", lint_slow)
        def test_verilog_lint_clean_all_points(self, spec, tmp_path):
            from axhdl import make_unit

            assert_lint_clean(make_unit(spec), tmp_path)

    TestRTLEquivalence.test_default_point_synthesizes = _area_test(
        [_spec(family, default, 8, 8, s) for s in area_signed], area_claim, area_slow)
    TestRTLEquivalence.__qualname__ = TestRTLEquivalence.__name__ = "TestRTLEquivalence"
    return TestRTLEquivalence


def synthesized_area(spec: str) -> float:
    """Cell area (liberty units) of ``spec`` mapped by the project's Yosys flow on the default
    liberty (no baseline); a missing tool is a skip with its reason."""
    from axhdl import make_unit
    from axhdl.synth.flow import ppa

    try:
        return float(ppa(make_unit(spec), baseline=False, activity="vectorless").area)
    except ToolMissingError as e:
        pytest.skip(str(e))


def _exact_array(spec: str) -> str:
    """The exact ripple-carry array multiplier of the same 8x8 shape and signedness."""
    return "exact:width=8,signed=true,arch=array" if "signed=true" in spec else (
        "exact:width=8,arch=array")


def _area_test(specs: list[str], area_claim: bool, slow: bool):
    @pytest.mark.parametrize("spec", specs)
    def test_default_point_synthesizes(self, spec):
        area = synthesized_area(spec)
        assert area > 0
        if area_claim:
            exact_spec = _exact_array(spec)
            exact = synthesized_area(exact_spec)
            assert area < exact, f"{spec}: area {area} not below {exact_spec}'s {exact}"

    return pytest.mark.slow(test_default_point_synthesizes) if slow else (
        test_default_point_synthesizes)
