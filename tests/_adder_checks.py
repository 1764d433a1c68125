"""Checks shared by the tests of the adder families (``axhdl.generators.adders``).

* bit-level helpers for the independent references the tests write from each paper's
  definition: operand bits with their extension position (:func:`operand_bits`), a full adder,
  results from bits (:func:`from_bits`), every operand pair (:func:`pairs`);
* RTL against the golden model: the Amaranth simulator, extra outputs included
  (:func:`assert_amaranth_exhaustive`), cocotb on Icarus / Verilator (:func:`assert_cosim`),
  Verilator -Wall lint (:func:`assert_lint_clean`);
* :func:`adder_rtl_test_class`, the RTL-equivalence test matrix of a family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.errors import ToolMissingError
from axhdl.generate import lint_verilog
from axhdl.metrics import operand_grid
from axhdl.testbenches.amaranth_sim import check_exhaustive

SIMULATORS = ("icarus", "verilator")

#: the operand widths every family is checked at exhaustively on the Amaranth simulator
SMALL_WIDTHS = (1, 2, 3, 4, 5)


# -- bit-level references -------------------------------------------------------------------


def spec(family: str, width: int, signed: bool, point: str = "") -> str:
    extra = f",{point}" if point else ""
    return f"{family}:width={width},signed={'true' if signed else 'false'}{extra}"


def pairs(width: int, signed: bool) -> list[tuple[int, int]]:
    """Every operand pair (values) of two ``width``-bit operands."""
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    return [(a, b) for a in range(lo, hi + 1) for b in range(lo, hi + 1)]


def operand_bits(x: int, width: int, signed: bool) -> list[int]:
    """The ``width`` bits of operand ``x`` (least significant first) and its extension
    position: the sign bit again when signed, 0 otherwise."""
    code = x & ((1 << width) - 1)
    bits = [(code >> i) & 1 for i in range(width)]
    return [*bits, bits[-1] if signed else 0]


def full_adder(x: int, y: int, c: int) -> tuple[int, int]:
    """(sum, carry) of three bits."""
    return x ^ y ^ c, (x & y) | (x & c) | (y & c)


def from_bits(bits: list[int], signed: bool) -> int:
    """A result of ``len(bits)`` bits (least significant first) as a value."""
    value = sum(bit << i for i, bit in enumerate(bits))
    if signed and bits[-1]:
        value -= 1 << len(bits)
    return value


def ripple_bits(xs: list[int], ys: list[int], cin: int = 0) -> tuple[list[int], int]:
    """Sum bits and carry out of a ripple-carry addition of two bit lists."""
    out, carry = [], cin
    for x, y in zip(xs, ys):
        s, carry = full_adder(x, y, carry)
        out.append(s)
    return out, carry


def assert_model_matches(unit, reference: Callable[[int, int], int]) -> None:
    """``unit.model`` equals ``reference(a, b)`` for every operand pair."""
    a, b = operand_grid(unit)
    got = unit.model(a, b)
    want = np.array([reference(x, y) for x, y in zip(a.tolist(), b.tolist())], dtype=np.int64)
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, (
        f"{unit.spec}: model differs at (a, b) = {(int(a[bad[0]]), int(b[bad[0]]))}: "
        f"{int(got[bad[0]])}, reference {int(want[bad[0]])}")


# -- RTL against the model --------------------------------------------------------------------


def simulate_outputs(unit, a, b) -> dict[str, np.ndarray]:
    """``p`` and every extra output of the RTL for the operand values ``a``, ``b`` (the
    core's simulator reads ``p`` only)."""
    from amaranth.sim import Simulator

    a = np.asarray(a, dtype=np.int64).ravel()
    b = np.asarray(b, dtype=np.int64).ravel()
    names = ["p", *unit.extra_outputs]
    out = {k: np.zeros(a.size, dtype=np.int64) for k in names}
    dut = unit.component()

    async def bench(ctx):
        for n in range(a.size):
            ctx.set(dut.a, int(a[n]))
            ctx.set(dut.b, int(b[n]))
            for k in names:
                out[k][n] = ctx.get(getattr(dut, k))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return out


def assert_amaranth_exhaustive(unit) -> None:
    """Every operand pair on the Amaranth simulator equals the golden model (``p``, and the
    extra outputs against ``model_outputs``)."""
    checked, bad = check_exhaustive(unit)
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    assert checked == (ahi - alo + 1) * (bhi - blo + 1)
    assert bad == [], f"{unit.spec}: {bad[:5]}"
    if unit.extra_outputs:
        a, b = operand_grid(unit)
        got = simulate_outputs(unit, a, b)
        want = unit.model_outputs(a, b)
        assert set(want) == set(unit.extra_outputs)
        for name in unit.extra_outputs:
            assert np.array_equal(got[name], want[name]), f"{unit.spec}: output {name}"


def assert_cosim(unit, sim: str):
    """Exhaustive cocotb co-simulation of ``unit`` on ``sim`` (operands of up to 8 bits)."""
    from axhdl.testbenches.runner import verify

    try:
        res = verify(unit, sim)
    except ToolMissingError as e:  # a missing simulator is a skip with its reason
        pytest.skip(str(e))
    n = unit.a_width
    assert res.exhaustive and res.checked == 1 << (2 * n)
    assert res.ok and res.mismatch_count == 0, f"{unit.spec} on {sim}: {res.mismatches}"
    return res


def assert_lint_clean(unit, tmp_path) -> None:
    """``verilator --lint-only -Wall`` accepts the unit's Verilog."""
    path = tmp_path / f"{unit.name}.v"
    path.write_text(unit.verilog())
    try:
        lint_verilog(path, unit.name)
    except ToolMissingError as e:
        pytest.skip(str(e))


# -- the RTL-equivalence test matrix of a family ----------------------------------------------


def adder_rtl_test_class(
    family: str,
    points: Callable[[int], Iterable[str]],
    *,
    eight: tuple[str, str],
    slow_eight: Iterable[tuple[str, bool]] = (),
):
    """A test class proving a family's RTL equal to its golden model.

    Default tier: exhaustive Amaranth simulation at widths 1..5, both signednesses, for every
    parameter point ``points(width)`` gives; exhaustive 8-bit cocotb runs on Icarus and
    Verilator of ``eight`` = (unsigned point, signed point); Verilator -Wall lint of those and
    of the width-1 points. Slow tier: exhaustive 8-bit Amaranth simulation of both ``eight``
    points, and exhaustive cocotb runs and lint of the ``slow_eight`` (point, signed) designs.
    """
    small = list(dict.fromkeys(
        spec(family, w, s, pt)
        for w in SMALL_WIDTHS for s in (False, True) for pt in points(w)
    ))
    default8 = [spec(family, 8, False, eight[0]), spec(family, 8, True, eight[1])]
    more8 = [x for x in dict.fromkeys(spec(family, 8, s, pt) for pt, s in slow_eight)
             if x not in default8]
    lint_default = default8 + [x for x in small if ":width=1," in x][:2]

    class TestRTLEquivalence:
        @pytest.mark.parametrize("spec", small)
        def test_amaranth_small_exhaustive(self, spec):
            assert_amaranth_exhaustive(make_unit(spec))

        @pytest.mark.slow
        @pytest.mark.parametrize("spec", default8)
        def test_amaranth_8bit_exhaustive(self, spec):
            assert_amaranth_exhaustive(make_unit(spec))

        @pytest.mark.cocotb
        @pytest.mark.parametrize("sim", SIMULATORS)
        @pytest.mark.parametrize("spec", default8)
        def test_cosim_8bit_exhaustive(self, spec, sim):
            assert_cosim(make_unit(spec), sim)

        @pytest.mark.parametrize("spec", lint_default)
        def test_verilog_lint_clean(self, spec, tmp_path):
            assert_lint_clean(make_unit(spec), tmp_path)

        if more8:  # (an empty parametrization would collect a skipped test)

            @pytest.mark.slow
            @pytest.mark.cocotb
            @pytest.mark.parametrize("sim", SIMULATORS)
            @pytest.mark.parametrize("spec", more8)
            def test_cosim_more_points(self, spec, sim):
                assert_cosim(make_unit(spec), sim)

            @pytest.mark.slow
            @pytest.mark.parametrize("spec", more8)
            def test_verilog_lint_clean_more_points(self, spec, tmp_path):
                assert_lint_clean(make_unit(spec), tmp_path)

    TestRTLEquivalence.__qualname__ = TestRTLEquivalence.__name__ = "TestRTLEquivalence"
    return TestRTLEquivalence
