"""Tests of axhdl.testbenches.amaranth_sim: simulation of a unit's RTL on Amaranth's
simulator, and the comparison of its results with the golden model (one vector, every vector,
every control value). The families' RTL is checked against their models with these functions
in their own test files (tests/_family_checks.py).
"""

from __future__ import annotations

import numpy as np
from _units import ModeUnit

from axhdl.generators.multipliers.exact import Exact
from axhdl.generators.multipliers.truncated import Truncated
from axhdl.testbenches.amaranth_sim import check_against_model, check_exhaustive, simulate


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
    def test_every_pair_once_and_each_wrong_one_reported(self):
        class Wrong(Exact):
            def model(self, a, b, **controls):
                out = np.array(super().model(a, b, **controls), copy=True)
                out[(np.asarray(a) == -4) & (np.asarray(b) == -16)] += 1
                return out

        # most-negative x most-negative, the model off by one there: 64 + 1
        checked, bad = check_exhaustive(Wrong(a_width=3, b_width=5, signed=True, arch="array"))
        assert checked == 2 ** 8
        assert bad == [{"a": -4, "b": -16, "expected": 65, "got": 64}]

    def test_control_values_skip_unused_codes(self):
        checked, bad = check_exhaustive(ModeUnit(width=3, signed=True))
        assert checked == 64 * 3 and bad == []
