"""Liberty units honoured end to end (issue 12): the OSU 0.18 µm liberty rewritten by the test
into other units (ps / fF / pW, 100 ps, mV), every number scaled to match, gives the same
delay in ns, area, power and energy per operation through ``axhdl.synth.flow.ppa`` as the
original, and the same netlist (so ABC saw the same delay target)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from axhdl.registry import make_unit
from axhdl.synth import flow
from axhdl.synth.liberty import load_liberty
from axhdl.synth.sta import sta_script
from axhdl.toolchain import OSU018_CELLS_V, OSU018_LIBERTY

# -- a liberty rewriter: every value scaled by the factor of its quantity ------------------------

TIME_VARS = {"input_net_transition", "input_transition_time", "related_pin_transition",
             "constrained_pin_transition", "output_net_transition"}
CAP_VARS = {"total_output_net_capacitance", "output_net_capacitance"}
TIME_TABLES = {"cell_rise", "cell_fall", "rise_transition", "fall_transition",
               "rise_constraint", "fall_constraint"}
ENERGY_TABLES = {"rise_power", "fall_power", "power"}
TIME_ATTRS = {"min_pulse_width_low", "min_pulse_width_high", "max_transition",
              "default_max_transition"}
CAP_ATTRS = {"capacitance", "rise_capacitance", "fall_capacitance", "max_capacitance",
             "default_input_pin_cap", "default_output_pin_cap", "default_inout_pin_cap"}
LEAK_ATTRS = {"cell_leakage_power", "default_cell_leakage_power"}
VOLT_ATTRS = {"nom_voltage", "voltage"}
TEMPLATES = ("lu_table_template", "power_lut_template")
NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def rewrite_liberty(text: str, *, time=1.0, cap=1.0, leak=1.0, volt=1.0,
                    units: dict[str, str]) -> str:
    """``text`` (a liberty laid out one statement a line, as the OSU files are) with every time
    multiplied by ``time``, capacitance by ``cap``, leakage power by ``leak``, voltage by
    ``volt`` and internal energy by cap·volt², and the unit attributes set to ``units``."""
    energy = cap * volt * volt
    out, stack, templates = [], [], {}
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.match(r"^\s*(\w+)\s*\(([^)]*)\)\s*\{", line)
        if m:
            stack.append((m.group(1), m.group(2).strip().strip('"')))
            if m.group(1) in TEMPLATES:
                templates[stack[-1][1]] = {}
            out.append(line)
            continue
        if re.match(r"^\s*\}", line):
            stack.pop()
            out.append(line)
            continue
        m = re.match(r"^(\s*)(\w+)\s*:\s*\"?(-?[0-9.eE+]+)\"?\s*;(.*)$", line, re.S)
        if m and stack:
            name = m.group(2)
            f = (time if name in TIME_ATTRS else cap if name in CAP_ATTRS else
                 leak if name in LEAK_ATTRS else volt if name in VOLT_ATTRS else None)
            if f is not None:
                line = f"{m.group(1)}{name} : {float(m.group(3)) * f!r};{m.group(4)}"
        m = re.match(r"^\s*variable_(\d)\s*:\s*(\w+)", line)
        if m and stack and stack[-1][0] in TEMPLATES:
            templates[stack[-1][1]][m.group(1)] = m.group(2)
        m = re.match(r"^(\s*)index_(\d)\s*\(\s*\"([^\"]*)\"\s*\)\s*;(.*)$", line, re.S)
        if m:
            var = templates.get(stack[-1][1], {}).get(m.group(2))
            f = time if var in TIME_VARS else cap if var in CAP_VARS else 1.0
            nums = ", ".join(repr(float(x) * f) for x in m.group(3).split(","))
            line = f'{m.group(1)}index_{m.group(2)} ("{nums}");{m.group(4)}'
        if re.match(r"^\s*values\s*\(", line):
            while not re.search(r"\)\s*;", line):
                line += lines[i]
                i += 1
            group = stack[-1][0]
            f = time if group in TIME_TABLES else energy if group in ENERGY_TABLES else None
            assert f is not None, group
            line = NUMBER.sub(lambda n, f=f: repr(float(n.group(0)) * f), line)
        for attr, value in units.items():
            if attr == "capacitive_load_unit":
                line = re.sub(r"capacitive_load_unit\s*\([^)]*\)", f"{attr} ({value})", line)
            else:
                line = re.sub(rf'^(\s*){attr}\s*:\s*"[^"]*"\s*;', rf'\g<1>{attr} : "{value}";',
                              line)
        out.append(line)
    return "".join(out)


VARIANTS = {
    "ps_ff_pw": dict(time=1e3, cap=1e3, leak=1e3,
                     units={"time_unit": "1ps", "capacitive_load_unit": "1,ff",
                            "leakage_power_unit": "1pW"}),
    "100ps_10ff_mv": dict(time=10, cap=100, volt=1e3, leak=1e-3,
                          units={"time_unit": "100ps", "capacitive_load_unit": "10,ff",
                                 "voltage_unit": "1mV", "leakage_power_unit": "1uW"}),
}


@pytest.fixture(scope="module")
def liberties(tmp_path_factory):
    base = tmp_path_factory.mktemp("liberty-units")
    text = Path(OSU018_LIBERTY).read_text()
    out = {}
    for name, how in VARIANTS.items():
        path = base / f"osu018_{name}.lib"
        path.write_text(rewrite_liberty(text, **how))
        out[name] = str(path)
    return out


class TestRewrittenLiberty:
    def test_the_rewrite_scales_the_numbers(self, liberties):
        """The rewritten file holds what the test claims (independent of axhdl's reader)."""
        text = Path(liberties["ps_ff_pw"]).read_text()
        assert 'time_unit : "1ps";' in text and "capacitive_load_unit (1,ff)" in text
        inv = text.split("cell (INVX1)")[1].split("cell (")[0]
        assert "capacitance : 9.32456;" in inv  # 0.00932456 pF
        assert "cell_leakage_power : " in inv

    @pytest.mark.parametrize("variant", sorted(VARIANTS))
    def test_reader_converts_to_the_same_values(self, liberties, variant):
        ref = load_liberty(OSU018_LIBERTY)
        lib = load_liberty(liberties[variant])
        assert lib.voltage == pytest.approx(ref.voltage, rel=1e-12)
        for name, cell in ref.cells.items():
            other = lib.cells[name]
            assert other.area == cell.area
            assert lib.leakage_in_w(other.leakage) == pytest.approx(
                ref.leakage_in_w(cell.leakage), rel=1e-12)
            for pin, p in cell.pins.items():
                assert lib.cap_in_pf(other.pins[pin].capacitance) == pytest.approx(
                    ref.cap_in_pf(p.capacitance), rel=1e-12)

    @pytest.mark.parametrize("variant", sorted(VARIANTS))
    def test_sta_constraints_are_in_ns_and_pf(self, liberties, variant):
        """OpenSTA's command units are set after the liberty is read (the first liberty read
        sets them to its own), and the output load is the same capacitance in pF."""
        ref = sta_script("top", load_liberty(OSU018_LIBERTY), 2.5)
        script = sta_script("top", load_liberty(liberties[variant]), 2.5)
        lines = script.splitlines()
        assert lines.index("set_cmd_units -time ns -capacitance pF -power W") > next(
            i for i, ln in enumerate(lines) if ln.startswith("read_liberty"))
        load = re.search(r"set_load (\S+)", script).group(1)
        assert float(load) == pytest.approx(float(re.search(r"set_load (\S+)", ref).group(1)),
                                            rel=1e-5)
        assert "-period 2.5" in script


@pytest.fixture(scope="module")
def reference():
    unit = make_unit("truncated:width=6,k=5")
    return flow.ppa(unit, liberty=OSU018_LIBERTY, cells_v=OSU018_CELLS_V, vectors=2000)


def _same_figures(got, want):
    assert got.cell_histogram == want.cell_histogram  # same mapping: ABC saw the same target
    assert got.area == pytest.approx(want.area, rel=1e-9)
    assert got.period_ns == want.period_ns
    for name in ("delay_ns", "slack_ns"):
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-5, abs=2e-6)
    assert got.fmax_mhz == pytest.approx(want.fmax_mhz, rel=1e-5)
    for part in ("internal", "switching", "leakage", "total"):
        assert got.power_w[part] == pytest.approx(want.power_w[part], rel=1e-5), part
        assert got.vectorless_power_w[part] == pytest.approx(want.vectorless_power_w[part],
                                                             rel=1e-5), part
    assert got.energy_pj == pytest.approx(want.energy_pj, rel=1e-5)
    assert got.pdp_pj == pytest.approx(want.pdp_pj, rel=1e-5)
    for a, b in zip(got.critical_path, want.critical_path, strict=True):
        assert (a["pin"], a["cell"]) == (b["pin"], b["cell"])
        assert a["arrival_ns"] == pytest.approx(b["arrival_ns"], rel=1e-5, abs=2e-6)


class TestPpaInOtherUnits:
    @pytest.mark.parametrize("variant", sorted(VARIANTS))
    def test_same_figures_as_the_nanosecond_liberty(self, liberties, reference, variant):
        unit = make_unit("truncated:width=6,k=5")
        got = flow.ppa(unit, liberty=liberties[variant], cells_v=OSU018_CELLS_V,
                       vectors=2000)
        assert 0.5 < reference.delay_ns < 5  # ns, not ps
        _same_figures(got, reference)
        _same_figures(got.baseline, reference.baseline)
        assert got.savings_pct == pytest.approx(reference.savings_pct, rel=1e-4, abs=1e-6)

    def test_given_period_is_ns_for_abc_and_opensta(self, liberties, reference):
        """A period given in ns is ABC's target in ps and OpenSTA's clock in ns, whatever the
        liberty's time unit: the same netlist and slack as on the ns liberty."""
        unit = make_unit("exact:width=6")
        want = flow.ppa(unit, liberty=OSU018_LIBERTY, cells_v=OSU018_CELLS_V, vectors=500,
                        period_ns=1.3, baseline=False)
        got = flow.ppa(unit, liberty=liberties["ps_ff_pw"], cells_v=OSU018_CELLS_V,
                       vectors=500, period_ns=1.3, baseline=False)
        assert got.period_ns == want.period_ns == 1.3
        _same_figures(got, want)
