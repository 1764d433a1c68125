"""Tests of axhdl.testbenches.vectors: the vectors every simulator drives (operand corners,
control-value combinations, exhaustive and sampled vector sets) and the golden model's
expected results, and that the cocotb runner and the Amaranth simulator use the same ones.

Expected values are closed forms of the vector sets and the golden models'.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _units import ModeUnit

from axhdl.errors import InputError
from axhdl.registry import make_unit
from axhdl.testbenches import amaranth_sim, runner, vectors
from axhdl.testbenches.vectors import (
    MAX_CONTROL_COMBINATIONS,
    control_combinations,
    corner_values,
    expected_results,
    vector_set,
)

# -- vector sets --------------------------------------------------------------------------


class TestCornerValues:
    @pytest.mark.parametrize(
        ("width", "is_signed", "expected"),
        [
            (8, False, [0, 1, 255]),
            (8, True, [0, 1, 127, -128, -1]),
            (16, True, [0, 1, 32767, -32768, -1]),
            (1, False, [0, 1]),
            (1, True, [0, -1]),
            (2, True, [0, 1, -2, -1]),
        ],
    )
    def test_values(self, width, is_signed, expected):
        assert corner_values(width, is_signed) == expected


class TestControlCombinations:
    def test_no_controls_is_one_empty_combination(self):
        assert control_combinations(make_unit("exact:width=4")) == [{}]

    def test_valid_controls_filters(self):
        assert control_combinations(ModeUnit(width=3)) == [{"mode": 0}, {"mode": 1}, {"mode": 2}]


class TestVectorSet:
    @pytest.mark.parametrize(
        "spec",
        ["exact:a_width=3,b_width=5,signed=true", "exact:a_width=5,b_width=3", "exact:width=8",
         "exact:width=1,signed=true"],
    )
    def test_exhaustive_covers_every_pair_once(self, spec):
        unit = make_unit(spec)
        vec = vector_set(unit)
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        pairs = list(zip(vec["a"].tolist(), vec["b"].tolist()))
        assert vec["exhaustive"] is True
        assert len(pairs) == 2 ** (unit.a_width + unit.b_width)
        assert set(pairs) == set(itertools.product(range(alo, ahi + 1), range(blo, bhi + 1)))

    def test_exhaustive_with_controls(self):
        vec = vector_set(ModeUnit(width=3))
        triples = list(zip(vec["a"].tolist(), vec["b"].tolist(), vec["controls"]["mode"].tolist()))
        assert len(triples) == 64 * 3
        assert set(triples) == set(itertools.product(range(8), range(8), range(3)))

    @pytest.mark.parametrize(
        ("spec", "n_corners"),
        [("exact:width=16,signed=true", 25), ("exact:width=16", 9),
         ("exact:a_width=9,b_width=8,signed=true", 25), ("exact:a_width=16,b_width=1", 6)],
    )
    def test_sampled_contains_every_corner_pair(self, spec, n_corners):
        unit = make_unit(spec)
        vec = vector_set(unit, vectors=500, seed=3)
        assert vec["exhaustive"] is False
        assert vec["a"].size == 500 + n_corners
        pairs = set(zip(vec["a"].tolist(), vec["b"].tolist()))
        corners = set(itertools.product(corner_values(unit.a_width, unit.signed),
                                        corner_values(unit.b_width, unit.signed)))
        assert len(corners) == n_corners
        assert corners <= pairs
        (alo, ahi), (blo, bhi) = unit.operand_ranges()
        assert alo <= vec["a"].min() and vec["a"].max() <= ahi
        assert blo <= vec["b"].min() and vec["b"].max() <= bhi

    def test_sampled_is_seeded(self):
        unit = make_unit("exact:width=16,signed=true")
        one, again, other = (vector_set(unit, vectors=1000, seed=s) for s in (5, 5, 6))
        assert np.array_equal(one["a"], again["a"]) and np.array_equal(one["b"], again["b"])
        assert not np.array_equal(one["a"], other["a"])
        # the random part reaches both halves of the range (signed operands are driven signed)
        assert (one["a"] < 0).sum() > 400 and (one["a"] > 0).sum() > 400

    @pytest.mark.parametrize("vectors", [0, -5, 2.5, True])
    def test_vectors_must_be_positive_integer(self, vectors):
        with pytest.raises(InputError) as e:
            vector_set(make_unit("exact:width=16"), vectors=vectors)
        assert str(e.value) == f"Parameter 'vectors' must be a positive integer, not {vectors!r}"


class TestExpectedResults:
    def test_per_vector_controls(self):
        unit = ModeUnit(width=4, signed=True)
        a = np.array([3, -8, 7, -1, 5])
        b = np.array([-2, -8, 7, 4, 5])
        mode = np.array([0, 0, 1, 2, 1])
        got = expected_results(unit, a, b, {"mode": mode})
        assert got.tolist() == [-6, 64, 14, -5, 10]

    def test_no_controls_is_the_model(self):
        unit = make_unit("truncated:width=8,k=6")
        vec = vector_set(unit)
        assert np.array_equal(expected_results(unit, vec["a"], vec["b"], {}),
                              unit.model(vec["a"], vec["b"]))


class TestControlLimits:
    def test_too_many_combinations(self):
        class Wide(ModeUnit):
            @property
            def extra_inputs(self) -> dict[str, int]:
                return {"mode": 2, "sel": 15}

        with pytest.raises(InputError) as e:
            control_combinations(Wide(width=3))
        assert str(e.value) == (
            f"test_mode:width=3,signed=false: control inputs ['mode', 'sel'] have 131072 value "
            f"combinations, more than the {MAX_CONTROL_COMBINATIONS} co-simulation enumerates"
        )

    def test_every_value_rejected(self):
        class Closed(ModeUnit):
            def valid_controls(self, mode: int) -> bool:
                return False

        with pytest.raises(InputError) as e:
            control_combinations(Closed(width=3))
        assert str(e.value) == (
            "test_mode:width=3,signed=false: valid_controls() rejects every control value"
        )


class TestSharedBySimulators:
    def test_runner_uses_these_functions(self):
        for name in ("vector_set", "corner_values", "control_combinations",
                     "expected_results", "EXHAUSTIVE_MAX_BITS"):
            assert getattr(runner, name) is getattr(vectors, name)

    def test_amaranth_sim_checks_the_exhaustive_vector_set(self, monkeypatch):
        # the Amaranth simulator drives, control value by control value, exactly the vectors
        # of the exhaustive cocotb vector set
        unit = ModeUnit(width=3, signed=True)
        driven = []

        def record(unit, a, b, **controls):
            driven.extend(zip(np.asarray(a).tolist(), np.asarray(b).tolist(),
                              [controls["mode"]] * len(a)))
            return []

        monkeypatch.setattr(amaranth_sim, "check_against_model", record)
        checked, bad = amaranth_sim.check_exhaustive(unit)
        vec = vector_set(unit)
        assert vec["exhaustive"] is True and bad == []
        assert checked == vec["a"].size == 64 * 3
        assert driven == list(zip(vec["a"].tolist(), vec["b"].tolist(),
                                  vec["controls"]["mode"].tolist()))
