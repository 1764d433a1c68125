"""Tests of axhdl.testbenches.amaranth_sim: the RTL on Amaranth's simulator against the golden
models, exhaustively at small widths, and the truncated multiplier's mean error against its
closed form (Schulte & Swartzlander 1993: each dropped partial-product bit is 1 with
probability 1/4 for uniform operands).

Gate-level arrays simulate at ~1 ms per vector, so exhaustive 8x8 runs (65,536 vectors, about a
minute each) are in the long tier except one signed truncated design.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _units import ModeUnit

from axhdl.generators.multipliers.exact import Exact
from axhdl.generators.multipliers.truncated import (
    Truncated,
    mean_error_closed_form,
    truncation_constant,
)
from axhdl.metrics import exhaustive_metrics
from axhdl.registry import make_unit
from axhdl.testbenches.amaranth_sim import check_against_model, check_exhaustive, simulate


def _shapes(family: str, **params) -> list[str]:
    """4x4, 3x5, 5x3 and 1x1, signed and unsigned, for one family (``k`` is clipped to the
    total width, its largest legal value)."""
    out = []
    for (na, nb), signed in itertools.product([(4, 4), (3, 5), (5, 3), (1, 1)], (False, True)):
        kw = dict(params)
        if "k" in kw:
            kw["k"] = min(kw["k"], na + nb)
        tail = "".join(f",{k}={v}" for k, v in kw.items())
        out.append(f"{family}:a_width={na},b_width={nb},signed={str(signed).lower()}{tail}")
    return out


SMALL = (
    _shapes("exact", arch="operator")
    + _shapes("exact", arch="array")
    + _shapes("truncated", k=2, correction="none")
    + _shapes("truncated", k=3, correction="constant")
    + ["truncated:width=4,k=8,signed=true", "truncated:width=4,k=0,signed=true",
       "truncated:a_width=5,b_width=3,k=6,signed=true,correction=constant"]
)

EXHAUSTIVE_8X8 = [
    "truncated:width=8,k=4,signed=true,correction=constant",
    *[pytest.param(s, marks=pytest.mark.slow) for s in (
        "truncated:width=8,k=4,correction=constant",
        "truncated:width=8,k=6,signed=true",
        "truncated:width=8,k=6",
        "exact:width=8,signed=true,arch=array",
        "exact:width=8,signed=false,arch=array",
    )],
]


class TestSimulate:
    def test_exact_is_the_product(self):
        # independent reference: Python's own integer product
        rng = np.random.default_rng(4)
        a = rng.integers(-128, 127, size=200, endpoint=True)
        b = rng.integers(-128, 127, size=200, endpoint=True)
        got = simulate(Exact(width=8, signed=True, arch="array"), a, b)
        assert got.tolist() == [int(x) * int(y) for x, y in zip(a, b)]

    def test_most_negative_corner(self):
        unit = Exact(a_width=5, b_width=3, signed=True, arch="array")
        assert simulate(unit, [-16, -16, 15], [-4, 3, -4]).tolist() == [64, -48, -60]

    def test_control_inputs(self):
        unit = ModeUnit(width=4, signed=True)
        a, b = [7, -8, 3], [-8, -8, 5]
        assert simulate(unit, a, b, mode=0).tolist() == [-56, 64, 15]
        assert simulate(unit, a, b, mode=1).tolist() == [-1, -16, 8]
        assert simulate(unit, a, b, mode=2).tolist() == [15, 0, -2]


class TestCheckAgainstModel:
    def test_reports_each_wrong_vector(self):
        class Wrong(Truncated):
            def model(self, a, b, **controls):
                out = np.array(super().model(a, b, **controls), copy=True)
                out[(np.asarray(a) == 5) & (np.asarray(b) == 6)] += 3
                return out

        right = Truncated(width=3, k=2)
        a, b = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
        bad = check_against_model(Wrong(width=3, k=2), a.ravel(), b.ravel())
        p = int(right.model(5, 6))
        assert bad == [{"a": 5, "b": 6, "expected": p + 3, "got": p}]
        assert check_against_model(right, a.ravel(), b.ravel()) == []

    def test_reports_control_values(self):
        class Wrong(ModeUnit):
            def model(self, a, b, mode: int = 0, **controls):
                out = np.array(super().model(a, b, mode), copy=True)
                if mode == 1:
                    out[np.asarray(a) == -2] -= 1
                return out

        bad = check_against_model(Wrong(width=2, signed=True), [-2, 1], [1, 1], mode=1)
        assert bad == [{"a": -2, "b": 1, "expected": -2, "got": -1, "mode": 1}]


class TestCheckExhaustive:
    @pytest.mark.parametrize("spec", SMALL)
    def test_small_widths(self, spec):
        unit = make_unit(spec)
        checked, bad = check_exhaustive(unit)
        assert checked == 2 ** (unit.a_width + unit.b_width)
        assert bad == []

    def test_control_values_skip_unused_codes(self):
        checked, bad = check_exhaustive(ModeUnit(width=3, signed=True))
        assert checked == 64 * 3 and bad == []

    @pytest.mark.parametrize("spec", EXHAUSTIVE_8X8)
    def test_8x8(self, spec):
        unit = make_unit(spec)
        checked, bad = check_exhaustive(unit)
        assert checked == 65536
        assert bad == []


class TestTruncatedMeanError:
    """E[approx − exact] of the uncorrected unsigned truncated multiplier equals
    −¼ Σ_{c<k} n_c 2^c, on the golden model and, at small widths, on the RTL."""

    @pytest.mark.parametrize(
        ("na", "nb", "k"),
        [(4, 4, 3), (8, 8, 6), (8, 8, 1), (3, 5, 4), (5, 3, 4), (6, 4, 10), (10, 6, 7),
         (10, 10, 12)],
    )
    def test_model_matches_closed_form(self, na, nb, k):
        unit = Truncated(a_width=na, b_width=nb, k=k)
        assert exhaustive_metrics(unit)["mean_ed"] == pytest.approx(
            mean_error_closed_form(na, nb, k), rel=1e-12, abs=1e-12
        )

    @pytest.mark.parametrize(("na", "nb", "k"), [(4, 4, 3), (3, 5, 4), (5, 3, 2)])
    def test_rtl_matches_closed_form(self, na, nb, k):
        a, b = np.meshgrid(np.arange(1 << na), np.arange(1 << nb), indexing="ij")
        a, b = a.ravel(), b.ravel()
        p = simulate(Truncated(a_width=na, b_width=nb, k=k), a, b)
        assert float(np.mean(p - a * b)) == mean_error_closed_form(na, nb, k)

    @pytest.mark.parametrize(("na", "nb", "k"), [(4, 4, 3), (8, 8, 6), (6, 5, 5), (8, 8, 9)])
    def test_constant_correction_cancels_the_bias(self, na, nb, k):
        # the constant is E[dropped bits] rounded to a multiple of 2^k, so the remaining bias
        # is at most half a step
        unit = Truncated(a_width=na, b_width=nb, k=k, correction="constant")
        mean = exhaustive_metrics(unit)["mean_ed"]
        const = truncation_constant(na, nb, False, k)
        assert mean == pytest.approx(mean_error_closed_form(na, nb, k) + const, abs=1e-9)
        assert abs(mean) <= 2 ** (k - 1)
