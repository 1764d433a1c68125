"""Tests of axhdl.testbenches.runner (cocotb co-simulation on Icarus and Verilator) and of the
``axhdl verify`` command built on it.

The simulator is an explicit parameter; a simulator that is not installed is a skip with the
reason, never a silent pass. Expected values are the golden models' (checked independently
against closed forms in the generators' own tests) and the closed forms of the vector sets.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _units import ModeUnit

from axhdl import toolchain
from axhdl.cli import main
from axhdl.commands import _common
from axhdl.errors import InputError, ToolFailedError, ToolMissingError
from axhdl.generators.multipliers.exact import Exact
from axhdl.generators.multipliers.truncated import Truncated
from axhdl.registry import make_unit
from axhdl.testbenches import runner
from axhdl.testbenches.runner import VerificationResult, verify
from axhdl.testbenches.vectors import corner_values

SIMS = ["icarus", "verilator"]


def need(sim: str) -> None:
    why = runner.missing_tools(sim)
    if why:
        pytest.skip(f"{sim} unavailable: {why}")


# -- units made for these tests ----------------------------------------------------------


def perturbed(cls, at: tuple[int, int], **mode):
    """A subclass of ``cls`` whose model is off by one for the single operand pair ``at``
    (and, for ModeUnit, the given mode): its RTL is the correct one."""

    class Wrong(cls):
        def model(self, a, b, **controls):
            out = np.array(super().model(a, b, **controls), dtype=np.int64, copy=True)
            if any(controls.get(k) != v for k, v in mode.items()):
                return out
            a_, b_ = np.broadcast_arrays(np.asarray(a), np.asarray(b))
            hit = (a_ == at[0]) & (b_ == at[1])
            if out.ndim == 0:
                return out + int(hit)
            out[hit] += 1
            return out

    Wrong.__name__ = f"Wrong{cls.__name__}"
    return Wrong


# -- argument checks (no simulator) ------------------------------------------------------


class TestVerifyArguments:
    def test_unknown_simulator(self):
        with pytest.raises(InputError) as e:
            verify(make_unit("exact:width=4"), "modelsim")
        assert str(e.value) == "Simulator must be one of icarus, verilator, not 'modelsim'"

    def test_bad_vectors(self):
        with pytest.raises(InputError) as e:
            verify(make_unit("exact:width=4"), "icarus", vectors=0)
        assert str(e.value) == "Parameter 'vectors' must be a positive integer, not 0"

    def test_sequential_unit_rejected(self):
        class Piped(Exact):
            @property
            def latency(self) -> int:
                return 2

        with pytest.raises(InputError) as e:
            verify(Piped(width=4), "icarus")
        assert str(e.value) == (
            "exact:width=4,signed=false,arch=operator: co-simulation drives combinational "
            "units only, this one has a latency of 2 cycles"
        )

    def test_missing_icarus_names_install_command(self, monkeypatch):
        monkeypatch.setattr(toolchain, "tool_env", lambda: {"PATH": "/nonexistent"})
        with pytest.raises(ToolMissingError) as e:
            verify(make_unit("exact:width=4"), "icarus")
        assert str(e.value) == (
            "iverilog not found; install it with: sudo apt-get install -y iverilog"
        )

    def test_missing_verilator_names_install_command(self, monkeypatch):
        def absent():
            raise ToolMissingError("verilator", toolchain.TOOLS["verilator"].install)

        monkeypatch.setattr(toolchain, "verilator_root", absent)
        with pytest.raises(ToolMissingError) as e:
            verify(make_unit("exact:width=4"), "verilator")
        assert str(e.value) == (
            f"verilator not found; install it with: {toolchain.TOOLS['verilator'].install}"
        )


class TestVerificationResult:
    FIELDS = {"ok": True, "simulator": "icarus", "checked": 256, "exhaustive": True,
              "mismatches": [], "mismatch_count": 0, "build_s": 0.5, "run_s": 0.25,
              "build_reused": False, "seed": 3, "provenance": {"spec": "exact:width=4"}}

    def test_to_dict_is_the_json_run(self):
        # the keys, in this order, are `axhdl verify --json`'s
        r = VerificationResult(**self.FIELDS)
        assert list(r.to_dict()) == list(self.FIELDS)
        assert r.to_dict() == self.FIELDS
        assert r.checked == 256 and r.provenance == {"spec": "exact:width=4"}

    def test_frozen_and_readable_as_a_mapping(self):
        r = VerificationResult(**self.FIELDS)
        with pytest.raises(AttributeError):
            r.ok = False
        assert r["mismatch_count"] == 0 and "seed" in r and r.get("nope", 1) == 1
        with pytest.raises(KeyError):
            r["nope"]


# -- co-simulation ----------------------------------------------------------------------

# One design per kind of run exercises the runner; the families' RTL is checked against their
# models over whole matrices of designs in their own test files (tests/_family_checks.py).
# The SMALL designs' builds are shared with the tests further down.
SMALL = [
    "exact:a_width=3,b_width=5,signed=true,arch=array",
    "truncated:a_width=5,b_width=3,k=3,correction=constant",
]


@pytest.mark.cocotb
@pytest.mark.parametrize("sim", SIMS)
class TestVerify:
    def test_exhaustive_8x8(self, sim):
        need(sim)
        unit = make_unit("exact:width=8,signed=true,arch=array")
        r = verify(unit, sim, seed=11)
        assert r.ok is True, r.mismatches
        assert r.mismatches == [] and r.mismatch_count == 0
        assert r.checked == 65536 and r.exhaustive is True
        assert r.simulator == sim and r.seed == 11
        assert r.provenance["spec"] == unit.spec
        assert r.provenance["simulator"] == sim and r.provenance["seed"] == 11
        assert r.build_s >= 0 and r.run_s > 0

    @pytest.mark.parametrize("spec", SMALL)
    def test_exhaustive_small_and_asymmetric(self, sim, spec):
        need(sim)
        unit = make_unit(spec)
        r = verify(unit, sim)
        assert r.ok is True, r.mismatches
        assert r.checked == 2 ** (unit.a_width + unit.b_width) and r.exhaustive is True

    def test_sampled_16x16_with_corners(self, sim):
        need(sim)
        unit = make_unit("exact:width=16,signed=true")
        r = verify(unit, sim, vectors=1500, seed=2)
        n_corners = len(corner_values(unit.a_width, unit.signed)) * len(
            corner_values(unit.b_width, unit.signed)
        )
        assert r.ok is True, r.mismatches
        assert r.exhaustive is False and r.checked == 1500 + n_corners
        assert r.provenance["vectors"] == 1500

    def test_detects_a_single_wrong_vector(self, sim):
        need(sim)
        # the RTL of a SMALL design (its build is shared), the model off by one at max x max
        params = {"a_width": 5, "b_width": 3, "k": 3, "correction": "constant"}
        unit = perturbed(Truncated, (31, 7))(**params)
        true_p = int(Truncated(**params).model(31, 7))
        r = verify(unit, sim)
        assert r.ok is False
        assert r.checked == 256 and r.mismatch_count == 1
        assert r.mismatches == [{"a": 31, "b": 7, "expected": true_p + 1, "got": true_p}]

    def test_detects_wrong_corner_in_sampled_set(self, sim):
        need(sim)
        unit = perturbed(Exact, (-32768, -32768))(width=16, signed=True)
        r = verify(unit, sim, vectors=10)
        assert r.ok is False and r.exhaustive is False and r.mismatch_count == 1
        assert r.mismatches == [
            {"a": -32768, "b": -32768, "expected": 2**30 + 1, "got": 2**30}
        ]

    def test_control_inputs_every_valid_value(self, sim):
        need(sim)
        r = verify(ModeUnit(width=4, signed=True), sim)
        assert r.ok is True, r.mismatches
        assert r.checked == 256 * 3 and r.exhaustive is True

    def test_control_input_mismatch_is_reported_with_its_value(self, sim):
        need(sim)
        unit = perturbed(ModeUnit, (7, -8), mode=2)(width=4, signed=True)
        r = verify(unit, sim)
        assert r.ok is False and r.mismatch_count == 1
        assert r.mismatches == [{"a": 7, "b": -8, "mode": 2, "expected": 16, "got": 15}]

    def test_public_api_loop_gives_the_same_verdict(self, sim, monkeypatch):
        need(sim)
        monkeypatch.setenv("AXHDL_TB_API", "public")
        # most-negative x most-negative, on the RTL of a SMALL design
        unit = perturbed(Exact, (-4, -16))(a_width=3, b_width=5, signed=True, arch="array")
        ok = verify(Exact(a_width=3, b_width=5, signed=True, arch="array"), sim)
        r = verify(unit, sim)
        assert ok.ok is True and ok.checked == 256
        assert r.checked == 256 and r.mismatch_count == 1
        assert r.mismatches == [{"a": -4, "b": -16, "expected": 65, "got": 64}]

    def test_build_failure_shows_the_simulator_message(self, sim, tmp_path):
        need(sim)

        class Broken(Exact):
            def verilog(self) -> str:
                return super().verilog().replace("endmodule", "endmodul", 1)

        with pytest.raises(ToolFailedError) as e:
            verify(Broken(width=2), sim, build_root=tmp_path)
        msg = str(e.value)
        assert msg.startswith(f"{sim} could not build exact_2x2u_archoperator (")
        assert "syntax error" in msg.lower()


@pytest.mark.cocotb
@pytest.mark.parametrize("sim", SIMS)
def test_run_without_result_shows_the_simulator_log(sim, monkeypatch):
    need(sim)
    monkeypatch.setattr(runner, "TEST_MODULE", "axhdl.testbenches.no_such_module")
    # the RTL of a SMALL design: its build is shared with the tests above
    unit = make_unit("exact:a_width=3,b_width=5,signed=true,arch=array")
    with pytest.raises(ToolFailedError) as e:
        verify(unit, sim)
    msg = str(e.value)
    assert msg.startswith(f"{sim} simulation of {unit.name} ended without a result")
    assert "No module named 'axhdl.testbenches.no_such_module'" in msg


@pytest.mark.cocotb
def test_hung_simulation_is_killed(monkeypatch):
    need("icarus")
    # 65,536 vectors take seconds on Icarus: a 1 s limit must stop the run
    monkeypatch.setattr(runner, "RUN_TIMEOUT_S", 1)
    monkeypatch.setattr(runner, "RUN_TIMEOUT_PER_VECTOR_S", 0)
    unit = make_unit("exact:width=8,signed=true,arch=array")
    with pytest.raises(ToolFailedError) as e:
        verify(unit, "icarus")
    assert str(e.value).startswith(
        f"icarus simulation of {unit.name} ended without a result (killed: no result within 1 s)"
    )


@pytest.mark.cocotb
@pytest.mark.parametrize(
    # a fresh Verilator build (run-time library included) takes ~15 s: long tier
    "sim", ["icarus", pytest.param("verilator", marks=pytest.mark.slow)]
)
def test_build_is_reused_until_the_verilog_changes(sim, tmp_path):
    need(sim)
    unit = make_unit("exact:width=3")
    first = verify(unit, sim, build_root=tmp_path)
    again = verify(unit, sim, build_root=tmp_path)
    assert first.build_reused is False and again.build_reused is True
    assert (tmp_path / unit.name / sim / f"{unit.name}.v").read_text() == unit.verilog()

    class Edited(Exact):
        def verilog(self) -> str:
            return super().verilog() + "\n// edited\n"

    edited = verify(Edited(width=3), sim, build_root=tmp_path)
    assert edited.build_reused is False and edited.ok is True
    assert (tmp_path / unit.name / sim / f"{unit.name}.v").read_text().endswith("// edited\n")


# -- the command line --------------------------------------------------------------------


@pytest.mark.cocotb
class TestCli:
    def test_pass_human_output(self, capsys):
        for sim in SIMS:
            need(sim)
        assert main(["verify", "exact:width=4,signed=true"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert len(out) == 2
        for line, sim in zip(out, SIMS):
            assert line.startswith(f"exact:width=4,signed=true,arch=operator  {sim}: PASS; ")
            assert "256 vectors checked, exhaustive;" in line

    def test_json_keys_and_sampling(self, capsys):
        need("icarus")
        status = main(["verify", "truncated:width=10,k=3", "--sim", "icarus", "--vectors", "40",
                       "--seed", "9", "--json"])
        assert status == 0
        doc = json.loads(capsys.readouterr().out)
        assert set(doc) == {"spec", "ok", "runs"} and doc["ok"] is True
        (run,) = doc["runs"]
        assert {"ok", "simulator", "checked", "exhaustive", "mismatches", "build_s", "run_s",
                "seed", "provenance"} <= set(run)
        assert run["simulator"] == "icarus" and run["seed"] == 9
        assert run["checked"] == 40 + 9 and run["exhaustive"] is False
        assert run["provenance"]["spec"] == "truncated:width=10,signed=false,k=3,correction=none"

    def test_mismatch_exits_1_and_shows_operands(self, capsys, monkeypatch):
        need("icarus")
        wrong = perturbed(Truncated, (2, 3))(width=3, k=2)
        right = Truncated(width=3, k=2)
        monkeypatch.setattr(_common, "make_unit", lambda spec: wrong)
        assert main(["verify", "truncated:width=3,k=2", "--sim", "icarus"]) == 1
        out = capsys.readouterr().out.splitlines()
        assert "FAIL (1 mismatching vectors); 64 vectors checked, exhaustive;" in out[0]
        assert out[1] == "first mismatches (1 shown):"
        assert out[2].split() == ["a", "b", "expected", "got"]
        true_p = int(right.model(2, 3))
        assert out[4].split() == ["2", "3", str(true_p + 1), str(true_p)]

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--vectors", "0"], "argument --vectors: must be a positive integer, not 0"),
            (["--vectors", "ten"], "argument --vectors: must be a positive integer, not 'ten'"),
            (["--seed", "x"], "argument --seed: must be an integer, not 'x'"),
            (["--sim", "vcs"], "argument --sim: must be one of icarus, verilator, both, not 'vcs'"),
        ],
    )
    def test_usage_errors_exit_2(self, argv, message, capsys):
        with pytest.raises(SystemExit) as e:
            main(["verify", "exact:width=4", *argv])
        assert e.value.code == 2
        assert capsys.readouterr().err == f"axhdl: error: {message}\n"

    def test_bad_spec_exits_2(self, capsys):
        assert main(["verify", "exact:width=0", "--sim", "icarus"]) == 2
        assert capsys.readouterr().err == (
            "axhdl verify: exact: Parameter 'width' must be an integer in 1..32, not 0\n")


@pytest.mark.cocotb
@pytest.mark.parametrize(
    "sim", ["icarus", pytest.param("verilator", marks=pytest.mark.slow)]
)
@pytest.mark.parametrize("damage", ["truncated", "deleted", "digest"])
def test_damaged_build_is_rebuilt(sim, damage, tmp_path, capsys):
    need(sim)
    unit = make_unit("exact:width=3,signed=true")
    assert verify(unit, sim, build_root=tmp_path).ok
    build = tmp_path / unit.name / sim
    program = build / ("sim.vvp" if sim == "icarus" else unit.name)
    if damage == "truncated":
        program.write_bytes(program.read_bytes()[:100])
    elif damage == "deleted":
        program.unlink()
    else:
        (build / "build.sha256").write_text("{not json")
    capsys.readouterr()
    again = verify(unit, sim, build_root=tmp_path)
    assert again.ok and again.build_reused is False and again.checked == 64
    assert capsys.readouterr().err == (
        f"axhdl: warning: cache entry {build} is damaged (its simulator build changed or is "
        f"incomplete); discarded, building it again\n")
    third = verify(unit, sim, build_root=tmp_path)
    assert third.ok and third.build_reused is True
