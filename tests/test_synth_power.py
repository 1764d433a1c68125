"""Power from simulated activity (axhdl.synth.power): the method reproduces OpenSTA's own
totals when the simulated activities equal the ones OpenSTA assumes."""

from __future__ import annotations

import pytest

from axhdl.errors import ToolFailedError
from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.liberty import load_liberty
from axhdl.synth.power import energy_pj, power_from_activity
from axhdl.synth.sta import run_sta
from axhdl.toolchain import OSU018_LIBERTY, OSU035_LIBERTY


def opensta_total(impl: dict, unit, lib, period: float, alpha: float) -> dict:
    """OpenSTA's own design power with every net at global activity ``alpha``."""
    extra = (
        f"set_power_activity -global -activity {alpha} -duty 0.5\n"
        "puts \"AXHDL check [sta::design_power [sta::cmd_corner]]\"\n"
    )
    log = run_sta(impl["netlist"], unit.name, lib, period, extra_tcl=extra)["log"]
    line = next(ln for ln in log.splitlines() if ln.startswith("AXHDL check "))
    internal, switching, leakage, total = (float(x) for x in line.split()[2:6])
    return {"internal": internal, "switching": switching, "leakage": leakage, "total": total}


CASES = [
    ("exact:width=8", OSU018_LIBERTY, 3.8),
    ("truncated:width=8,k=4,signed=true", OSU018_LIBERTY, 3.6),
    ("exact:width=6", OSU035_LIBERTY, 5.0),
]


class TestPowerFromActivity:
    @pytest.mark.parametrize("spec, liberty, period", CASES)
    @pytest.mark.parametrize("alpha", [0.0, 0.37, 1.0])
    def test_reproduces_opensta_total(self, spec, liberty, period, alpha):
        unit = make_unit(spec)
        lib = load_liberty(liberty)
        impl = flow.implement(unit, lib, period)
        rates = dict.fromkeys(impl["instances"], alpha)
        ours = power_from_activity(impl["calibration"], rates)
        theirs = opensta_total(impl, unit, lib, period, alpha)
        for part in ("internal", "switching", "leakage", "total"):
            assert ours[part] == pytest.approx(theirs[part], rel=1e-6, abs=1e-15)

    def test_cell_weights(self):
        calibration = {
            "activity": 0.5,
            "idle": {"u1": {"internal": 0, "switching": 0, "leakage": 1e-9},
                     "u2": {"internal": 2e-6, "switching": 0, "leakage": 3e-9}},
            "active": {"u1": {"internal": 4e-6, "switching": 2e-6, "leakage": 1e-9},
                       "u2": {"internal": 3e-6, "switching": 1e-6, "leakage": 3e-9}},
        }
        p = power_from_activity(calibration, {"u1": 0.25, "u2": 0.0})
        # u1 at half the calibration activity; u2 idle but for its clock-driven 2 uW
        assert p["internal"] == pytest.approx(2e-6 + 2e-6)
        assert p["switching"] == pytest.approx(1e-6)
        assert p["leakage"] == pytest.approx(4e-9)
        assert p["total"] == pytest.approx(5e-6 + 4e-9)

    def test_missing_activity(self):
        calibration = {"activity": 0.5, "idle": {"u1": {}}, "active": {"u1": {}}}
        with pytest.raises(ToolFailedError) as e:
            power_from_activity(calibration, {})
        assert str(e.value) == "no simulated activity for 1 cell(s), e.g. u1"


def test_energy_pj():
    assert energy_pj(2e-3, 5.0) == pytest.approx(10.0)
