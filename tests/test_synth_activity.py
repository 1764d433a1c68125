"""Workloads and gate-level switching activity with Icarus (axhdl.synth.activity)."""

from __future__ import annotations

import numpy as np
import pytest

from axhdl.errors import InputError
from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.activity import simulate_activity, workload_vectors
from axhdl.synth.liberty import load_liberty
from axhdl.toolchain import OSU018_CELLS_V, OSU018_LIBERTY
from axhdl.unit import to_code


def bit_toggles(codes: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Toggle rate and static probability of each bit of a code sequence."""
    bits = (codes[:, None] >> np.arange(width)) & 1
    rates = (bits[1:] != bits[:-1]).mean(axis=0)
    return rates, bits[1:].mean(axis=0)


class TestWorkloadVectors:
    def test_uniform_is_seeded_and_in_range(self):
        unit = make_unit("exact:a_width=3,b_width=5,signed=true")
        codes, desc = workload_vectors(unit, workload=None, vectors=999, seed=4)
        again, _ = workload_vectors(unit, workload=None, vectors=999, seed=4)
        other, _ = workload_vectors(unit, workload=None, vectors=999, seed=5)
        assert desc == {"kind": "uniform", "seed": 4, "vectors": 999}
        assert len(codes["a"]) == 1000
        assert np.array_equal(codes["a"], again["a"]) and not np.array_equal(codes["b"], other["b"])
        assert codes["a"].min() == 0 and codes["a"].max() == 7
        assert codes["b"].min() == 0 and codes["b"].max() == 31

    def test_npz_values_become_codes_cyclically(self, tmp_path):
        unit = make_unit("exact:width=4,signed=true")
        path = tmp_path / "w.npz"
        np.savez(path, a=np.array([-8, -1, 7]), b=np.array([0, 3, -2]))
        codes, desc = workload_vectors(unit, workload=path, vectors=6, seed=0)
        assert codes["a"].tolist() == to_code([-8, -1, 7, -8, -1, 7, -8], 4).tolist()
        assert codes["b"].tolist() == to_code([0, 3, -2, 0, 3, -2, 0], 4).tolist()
        assert desc["kind"] == "file" and desc["samples"] == 3 and len(desc["sha256"]) == 64

    def test_npy_columns(self, tmp_path):
        path = tmp_path / "w.npy"
        np.save(path, np.array([[1, 2], [3, 4]]))
        codes, _ = workload_vectors(make_unit("exact:width=4"), workload=path, vectors=1, seed=0)
        assert codes["a"].tolist() == [1, 3] and codes["b"].tolist() == [2, 4]

    @pytest.mark.parametrize("arrays, message", [
        ({"a": np.array([1])}, "{path} must hold arrays 'a' and 'b'; missing 'b'"),
        ({"a": np.array([1, 2]), "b": np.array([1])},
         ("{path}: operand arrays must be non-empty and of equal length, "
         "not {{'a': 2, 'b': 1}}")),
        ({"a": np.array([16]), "b": np.array([1])},
         "{path}: operand a holds 16, outside 0..15 (4-bit unsigned)"),
        ({"a": np.array([0.5]), "b": np.array([1])},
         "{path}: operand a must hold integers, not float64"),
    ])
    def test_bad_npz(self, tmp_path, arrays, message):
        path = tmp_path / "w.npz"
        np.savez(path, **arrays)
        with pytest.raises(InputError) as e:
            workload_vectors(make_unit("exact:width=4"), workload=path, vectors=3, seed=0)
        assert str(e.value) == "Workload file " + message.format(path=path)

    def test_bad_npy_shape(self, tmp_path):
        path = tmp_path / "w.npy"
        np.save(path, np.zeros((4, 3), dtype=np.int64))
        with pytest.raises(InputError) as e:
            workload_vectors(make_unit("exact:width=4"), workload=path, vectors=3, seed=0)
        assert str(e.value) == (
            f"Workload file {path}: a .npy workload must have shape (n, 2) (columns a, b), "
            f"not (4, 3)"
        )

    def test_not_numpy(self, tmp_path):
        path = tmp_path / "w.npz"
        path.write_text("hello")
        with pytest.raises(InputError) as e:
            workload_vectors(make_unit("exact:width=4"), workload=path, vectors=3, seed=0)
        try:  # the message ends with numpy's own reason
            np.load(path, allow_pickle=False)
        except ValueError as numpy_error:
            reason = str(numpy_error)
        else:
            pytest.fail(f"numpy read {path}")
        assert str(e.value) == f"Workload file {path} is not a .npy/.npz file: {reason}"


class TestSimulateActivity:
    @pytest.mark.parametrize("spec", ["exact:width=8", "truncated:width=6,k=3,signed=true"])
    def test_port_toggles_match_the_golden_model(self, spec):
        """The gate-level outputs toggle exactly as the golden model's products do."""
        unit = make_unit(spec)
        lib = load_liberty(OSU018_LIBERTY)
        impl = flow.implement(unit, lib, 4.0)
        codes, _ = workload_vectors(unit, workload=None, vectors=1500, seed=11)
        sim = simulate_activity(impl["netlist"], unit.name, lib, OSU018_CELLS_V,
                                impl["instances"], impl["ports"], codes)
        assert sim["transitions"] == 1500
        a = codes["a"] - unit.signed * ((codes["a"] >> (unit.a_width - 1)) << unit.a_width)
        b = codes["b"] - unit.signed * ((codes["b"] >> (unit.b_width - 1)) << unit.b_width)
        p = to_code(unit.model(a, b), unit.p_width)
        rates, probs = bit_toggles(p, unit.p_width)
        for j in range(unit.p_width):
            assert sim["outputs"][f"p[{j}]"]["toggle_rate"] == pytest.approx(rates[j], abs=1e-12)
            assert sim["outputs"][f"p[{j}]"]["static_probability"] == pytest.approx(
                probs[j], abs=1e-12
            )
        a_rates, _ = bit_toggles(codes["a"], unit.a_width)
        for j in range(unit.a_width):
            assert sim["inputs"][f"a[{j}]"]["toggle_rate"] == pytest.approx(a_rates[j])
        assert set(sim["instances"]) == set(impl["instances"])

    def test_missing_cell_models(self, tmp_path):
        unit = make_unit("exact:width=2")
        lib = load_liberty(OSU018_LIBERTY)
        with pytest.raises(InputError) as e:
            simulate_activity("n.v", unit.name, lib, tmp_path / "cells.v", {}, {}, {})
        assert str(e.value) == (
            f"Cell models not found: {tmp_path / 'cells.v'} (give them with --cells-v)"
        )
