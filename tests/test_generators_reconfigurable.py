"""Tests of the runtime-reconfigurable perforated multiplier (Zervakis et al., IEEE Access
2020; Tasoulas et al., IEEE TCAS-I 2020).

References: in mode i the unit equals ``perforated:m=modes[i],start=0`` (an independent
family), unused mode codes are exact, the perforation error moments per mode, and RTL vs
model over every mode on the Amaranth simulator and on cocotb.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import SIMULATORS, assert_lint_clean, synthesized_area

from axhdl import SpecError, make_unit
from axhdl.errors import ToolMissingError
from axhdl.generators.multipliers.perforated import error_moments
from axhdl.generators.multipliers.reconfigurable import Reconfigurable
from axhdl.metrics import exhaustive_metrics, operand_grid
from axhdl.testbenches.amaranth_sim import check_exhaustive, simulate
from axhdl.testbenches.runner import verify


def unit(na, nb, signed, modes):
    text = ";".join(str(x) for x in modes)
    return make_unit(
        f"reconfigurable:a_width={na},b_width={nb},signed={signed},modes={text}")


POINTS_8 = [(0, 1, 2), (0, 3), (4, 2, 0, 8, 1)]


class TestReconfigurable:
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,modes", [(6, 6, (0, 1, 2)), (5, 4, (4, 0, 3)),
                                             (4, 5, (2,)), (3, 3, (3, 2, 1, 0, 1))])
    def test_each_mode_is_a_perforated_multiplier(self, na, nb, modes, signed):
        u = unit(na, nb, signed, modes)
        a, b = operand_grid(u)
        for code, level in enumerate(modes):
            ref = make_unit(f"perforated:a_width={na},b_width={nb},signed={signed},"
                            f"m={level},start=0")
            assert (u.model(a, b, mode=code) == ref.model(a, b)).all()

    @pytest.mark.parametrize("signed", [False, True])
    def test_unused_codes_are_exact(self, signed):
        u = unit(5, 5, signed, (3, 1, 2))  # 2-bit mode, code 3 unused
        a, b = operand_grid(u)
        assert (u.model(a, b, mode=3) == a * b).all()
        assert u.level(3) == 0

    def test_mode_width(self):
        assert unit(8, 8, False, (2,)).extra_inputs == {"mode": 1}
        assert unit(8, 8, False, (0, 2)).extra_inputs == {"mode": 1}
        assert unit(8, 8, False, (0, 1, 2)).extra_inputs == {"mode": 2}
        assert unit(8, 8, False, (0, 1, 2, 3, 4)).extra_inputs == {"mode": 3}
        assert unit(8, 8, False, tuple(range(9)) + (0,) * 7).mode_width == 4
        assert unit(8, 8, False, (0, 1)).info["ports"]["mode"] == {
            "dir": "in", "width": 1, "signed": False}

    def test_model_takes_mode_arrays(self):
        u = unit(8, 8, True, (0, 2, 5))
        rng = np.random.default_rng(0)
        a = rng.integers(-128, 128, 500)
        b = rng.integers(-128, 128, 500)
        mode = rng.integers(0, 4, 500)
        vector = u.model(a, b, mode=mode)
        scalar = [int(u.model(x, y, mode=int(c))) for x, y, c in zip(a, b, mode)]
        assert vector.tolist() == scalar
        assert (u.model(a, b) == u.model(a, b, mode=0)).all()  # mode defaults to code 0

    def test_model_rejects_bad_controls(self):
        u = unit(8, 8, False, (0, 1, 2))
        with pytest.raises(ValueError) as e:
            u.model(3, 4, mode=4)
        assert str(e.value) == "Control input 'mode' must be in 0..3, not 4"
        with pytest.raises(ValueError) as e:
            u.model(3, 4, mode=np.array([0, -1]))
        assert str(e.value) == "Control input 'mode' must be in 0..3, not -1"
        with pytest.raises(TypeError) as e:
            u.model(3, 4, level=1)
        assert str(e.value) == "reconfigurable has control input 'mode' only, not level"

    @pytest.mark.parametrize("signed", [False, True])
    def test_error_moments_per_mode(self, signed):
        u = unit(8, 8, signed, (0, 1, 3, 6))
        for code, level in enumerate(u.modes):
            m = exhaustive_metrics(u, mode=code)
            mean, var = error_moments(8, 8, level, 0, signed)
            assert m["mean_ed"] == pytest.approx(mean, abs=1e-9)
            assert m["var_ed"] == pytest.approx(var, rel=1e-12, abs=1e-9)

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("na,nb,modes", [(4, 4, (0, 1, 2)), (3, 5, (5, 2)),
                                             (5, 3, (1, 3, 0, 2)), (1, 1, (1,)),
                                             (1, 1, (0, 1, 1))])
    def test_amaranth_exhaustive_small(self, na, nb, modes, signed):
        u = unit(na, nb, signed, modes)
        checked, bad = check_exhaustive(u)
        assert bad == []
        # every code of the mode input is checked, the unused ones too
        assert checked == (1 << (na + nb)) * (1 << u.mode_width)

    def test_mode_switches_at_run_time(self):
        u = unit(8, 8, False, (0, 4))
        p = simulate(u, [255, 255], [15, 15], mode=[0, 1])
        assert p.tolist() == [255 * 15, 0]

    @pytest.mark.slow
    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("modes", [POINTS_8[0], POINTS_8[1], (5, 2)])
    def test_amaranth_exhaustive_8x8(self, modes, signed):
        checked, bad = check_exhaustive(unit(8, 8, signed, modes))
        assert bad == [] and checked >= 1 << 16

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize("signed", [False, True])
    def test_cosim_8x8_exhaustive(self, sim, signed):
        u = unit(8, 8, signed, (0, 3))
        res = assert_cosim_modes(u, sim)
        assert res["checked"] == 2 * (1 << 16)

    @pytest.mark.slow
    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", SIMULATORS)
    @pytest.mark.parametrize(
        "na,nb,signed,modes",
        [(8, 8, s, m) for s in (False, True) for m in (POINTS_8[0], POINTS_8[2])]
        + [(8, 4, False, (0, 1, 4)), (8, 4, True, (2, 0)), (4, 8, False, (8, 3)),
           (4, 8, True, (0, 1, 2, 3)), (16, 16, False, (0, 2, 4, 6)), (16, 16, True, (1, 16))],
    )
    def test_cosim_matrix(self, sim, na, nb, signed, modes):
        assert_cosim_modes(unit(na, nb, signed, modes), sim, vectors=20000, seed=17)

    @pytest.mark.parametrize("signed", [False, True])
    def test_lint_clean(self, signed, tmp_path):
        assert_lint_clean(unit(8, 8, signed, (0, 1, 2)), tmp_path)
        assert_lint_clean(unit(4, 8, signed, (8, 0, 5, 1, 2)), tmp_path)

    @pytest.mark.parametrize("signed", [False, True])
    def test_default_point_area_overhead_is_small(self, signed):
        # the papers claim power savings per mode, not area: the row gating costs a few
        # cells over the exact array it is built on (measured: about 2 % less, the flow's
        # optimisation absorbing the gates), so the expectation is at most 5 % more
        flag = str(signed).lower()
        area = synthesized_area(f"reconfigurable:width=8,signed={flag}")
        assert area <= 1.05 * synthesized_area(f"exact:width=8,signed={flag},arch=array")

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Reconfigurable(width=8, modes=(0, 9))
        assert str(e.value) == (
            "Parameter 'modes' must be a list of integers in 0..b_width (here 0..8), "
            "not [0, 9]")
        with pytest.raises(ValueError) as e:
            Reconfigurable(width=8, modes=tuple(range(8)) * 3)
        assert str(e.value) == "Parameter 'modes' must list at most 16 modes, not 24"
        with pytest.raises(ValueError) as e:
            Reconfigurable(width=8, modes=())
        assert str(e.value) == "Parameter 'modes' must be a non-empty list of integers"
        with pytest.raises(TypeError) as e:
            Reconfigurable(width=8, modes=2)
        assert str(e.value) == "Parameter 'modes' must be a list of integers, not 2"
        with pytest.raises(SpecError) as e:
            make_unit("reconfigurable:width=4,modes=0;x")
        assert str(e.value) == (
            "reconfigurable: Parameter 'modes' must be a list of integers, not '0;x'")

    def test_metadata(self):
        u = make_unit("reconfigurable:width=8,modes=0;1;2")
        assert u.spec == "reconfigurable:width=8,signed=false,modes=0;1;2"
        assert u.name == "reconfigurable_8x8u_modes0_1_2"
        assert u.weight_operand == "b"


def assert_cosim_modes(u, sim, **kw):
    """cocotb co-simulation over every mode code (the runner enumerates the controls)."""
    total = u.a_width + u.b_width
    res = _cosim(u, sim, **kw)
    if total <= 16:
        assert res["exhaustive"]
        assert res["checked"] == (1 << total) * (1 << u.mode_width)
    else:
        assert not res["exhaustive"] and res["checked"] >= kw.get("vectors", 4000)
    return res


def _cosim(u, sim, vectors=4000, seed=1):
    try:
        res = verify(u, sim, vectors=vectors, seed=seed)
    except ToolMissingError as e:
        pytest.skip(str(e))
    assert res["ok"] and res["mismatch_count"] == 0, f"{u.spec} on {sim}: {res['mismatches']}"
    return res
