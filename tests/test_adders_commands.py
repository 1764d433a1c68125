"""The command line on adders: ``list``, ``generate``, ``lut``, ``metrics``, ``verify``,
``prove`` and ``synth`` work on an adder spec exactly as on a multiplier's, each asking the
unit's operation (a+b, a width+1-bit result, mae_pct over 2^(width+1), the exact_add
baseline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.cli import main
from axhdl.registry import families

ADDER_FAMILIES = ["aca", "carry_cut", "eta1", "exact_add", "gear", "loa", "trunc_add"]


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def loa_mae(low: int) -> float:
    """E|ED| of the paper's LOA (carry=true) for uniform operands: (3·2^(l-1) - 1)/8."""
    return (3 * 2 ** (low - 1) - 1) / 8


class TestList:
    def test_one_family(self, capsys):
        status, out, _ = run(capsys, "list", "loa")
        assert status == 0
        lines = out.splitlines()
        assert lines[0].startswith("loa (adder): lower-part OR adder")
        assert "    width        an integer in 1..61; default 8. width of both operands in bits" \
            in lines
        assert any(line.startswith("    l            an integer in 0..width; default 4.")
                   for line in lines)
        assert any(line.startswith("    carry        true or false; default True.")
                   for line in lines)
        assert "drum" not in out

    def test_json_documents_every_adder(self, capsys):
        status, out, _ = run(capsys, "list", "--json")
        assert status == 0
        rows = {r["family"]: r for r in json.loads(out)}
        adders = sorted(name for name, r in rows.items() if r["kind"] == "adder")
        assert adders == ADDER_FAMILIES
        for name in adders:
            r = rows[name]
            assert r["operation"] == "addition" and r["width_parameters"] == ["width", "signed"]
            assert r["description"] and r["citation"] and r["notes"]
            assert [p["name"] for p in r["parameters"]][:2] == ["width", "signed"]
        p = {q["name"]: q for q in rows["gear"]["parameters"]}["p"]
        assert p["range"] == "an integer in 0..width - r" and p["default"] == 2

    def test_markdown_catalogue(self, capsys):
        status, out, _ = run(capsys, "list", "gear", "--markdown")
        assert status == 0
        assert "## `gear` (adder)" in out
        assert "| `r` | an integer in 1..width | `2` | result bits per sub-adder |" in out
        assert "ACA-I" in out and "ETA-II" in out and "ACA-II" in out

    def test_unknown_adder_parameter(self, capsys):
        status, _, err = run(capsys, "metrics", "loa:width=8,k=3")
        assert status == 2
        assert err == ("axhdl metrics: loa: Family 'loa' has no parameter 'k'; its parameters "
                       "are: width, signed, l, carry\n")

    def test_out_of_range_parameter(self, capsys):
        status, _, err = run(capsys, "generate", "gear:width=8,r=4,p=5", "-o", "x")
        assert status == 2
        assert err == ("axhdl generate: gear: Parameter 'p' must be an integer in 0..width - r "
                       "(here 0..4), not 5\n")


class TestGenerate:
    def test_writes_lint_clean_verilog_and_sidecar(self, capsys, tmp_path):
        status, out, _ = run(capsys, "generate", "loa:width=8,l=4,signed=true",
                             "-o", str(tmp_path), "--json")
        assert status == 0
        side = json.loads(out)
        name = "loa_8s_l4_carry1"
        assert side["module"] == name and side["lint"] == "verilator -Wall clean"
        assert side["kind"] == "adder" and side["p_width"] == 9
        assert side["operation"] == {
            "name": "addition", "kind": "adder", "reference": "a+b", "result_width": 9,
            "error_scale": 512.0, "baseline": "exact_add:width=8,signed=true"}
        assert (tmp_path / f"{name}.v").read_text().count(f"module {name}(") == 1
        on_disk = json.loads((tmp_path / f"{name}.json").read_text())
        assert on_disk["ports"] == {
            "a": {"dir": "in", "width": 8, "signed": True},
            "b": {"dir": "in", "width": 8, "signed": True},
            "p": {"dir": "out", "width": 9, "signed": True},
        }

    def test_extra_output_port(self, capsys, tmp_path):
        status, out, _ = run(capsys, "generate", "carry_cut:width=8,c=4", "-o", str(tmp_path),
                             "--json")
        assert status == 0
        side = json.loads(out)
        assert side["ports"]["cut"] == {"dir": "out", "width": 1, "signed": False}
        assert "output cut" in (tmp_path / "carry_cut_8u_c4.v").read_text()

    @pytest.mark.parametrize("spec", ["exact_add:width=12,arch=kogge_stone,signed=true",
                                      "aca:width=10,k=3", "eta1:width=9,k=5,signed=true"])
    def test_other_families(self, capsys, tmp_path, spec):
        status, out, _ = run(capsys, "generate", spec, "-o", str(tmp_path), "--json")
        assert status == 0 and json.loads(out)["lint"] == "verilator -Wall clean"


class TestLut:
    def test_unsigned_npy(self, capsys, tmp_path):
        path = tmp_path / "loa.npy"
        status, _, _ = run(capsys, "lut", "loa:width=4,l=2", "-o", str(path))
        assert status == 0
        table = np.load(path)
        assert table.shape == (16, 16) and table.dtype == np.int64
        # 3 + 3: low bits 11 | 11 = 11, carry-in 1 & 1 into the upper part: 0b111 (exact 6)
        assert table[3, 3] == 7
        codes = np.arange(16)
        unit = make_unit("loa:width=4,l=2")
        assert (table == unit.model(codes[:, None], codes[None, :])).all()

    def test_signed_rows_are_codes(self, capsys, tmp_path):
        path = tmp_path / "t.npy"
        status, _, _ = run(capsys, "lut", "trunc_add:width=3,k=1,signed=true", "-o", str(path))
        assert status == 0
        table = np.load(path)
        # codes 7 and 4 are -1 and -4: upper fields -1 + -2 = -3, times 2
        assert table.shape == (8, 8) and table[7, 4] == -6
        assert table[3, 3] == 4  # 3 + 3 without the low bits: (1 + 1) times 2


class TestMetrics:
    def test_loa_closed_form(self, capsys):
        status, out, _ = run(capsys, "metrics", "loa:width=12,l=6", "--json")
        assert status == 0
        res = json.loads(out)
        m = res["metrics"]
        assert res["method"] == "exhaustive" and res["pairs"] == 1 << 24
        assert m["mae"] == loa_mae(6) == 11.875
        assert m["mean_ed"] == 0.25
        assert m["er"] == 1 - 0.75 ** 6
        assert m["mae_pct"] == pytest.approx(100 * 11.875 / 2 ** 13)
        assert res["provenance"]["spec"] == "loa:width=12,signed=false,l=6,carry=true"

    def test_exact_adder_has_no_error(self, capsys):
        status, out, _ = run(capsys, "metrics", "exact_add:width=6,signed=true", "--json")
        assert status == 0
        m = json.loads(out)["metrics"]
        assert m["er"] == 0 and m["mae"] == 0 and m["wce"] == 0

    @pytest.mark.slow
    def test_16_bit_operands_exhaustive(self, capsys):
        # 2^32 operand pairs, streamed: about a minute
        status, out, _ = run(capsys, "metrics", "loa:width=16,l=8", "--json")
        assert status == 0
        res = json.loads(out)
        assert res["method"] == "exhaustive" and res["pairs"] == 1 << 32
        assert res["metrics"]["mae"] == loa_mae(8) == 47.875
        assert res["metrics"]["mse"] == 4.0 ** 6
        assert res["metrics"]["mae_pct"] == pytest.approx(100 * 47.875 / 2 ** 17)

    def test_human_table(self, capsys):
        status, out, _ = run(capsys, "metrics", "trunc_add:width=6,k=2")
        assert status == 0
        assert out.startswith("trunc_add:width=6,signed=false,k=2  (exhaustive, 4096 pairs, "
                              "uniform operands)")


class TestVerify:
    @pytest.mark.cocotb
    def test_both_simulators_exhaustive(self, capsys):
        status, out, _ = run(capsys, "verify", "loa:width=8,l=3,signed=true", "--sim", "both",
                             "--json")
        res = json.loads(out)
        if status == 2:
            pytest.skip(out)
        assert status == 0 and res["ok"] is True
        assert [r["simulator"] for r in res["runs"]] == ["icarus", "verilator"]
        for r in res["runs"]:
            assert r["exhaustive"] and r["checked"] == 65536 and r["mismatch_count"] == 0

    @pytest.mark.cocotb
    def test_human_output(self, capsys):
        status, out, err = run(capsys, "verify", "gear:width=8,r=2,p=3", "--sim", "icarus")
        if status == 2:
            pytest.skip(err)
        assert status == 0
        assert out.startswith("gear:width=8,signed=false,r=2,p=3  icarus: PASS; 65536 vectors "
                              "checked, exhaustive;")


class TestProve:
    def test_exact_architecture_proven(self, capsys):
        status, out, _ = run(capsys, "prove", "exact_add:width=16,signed=true,arch=ripple",
                             "--json")
        assert status == 0
        res = json.loads(out)
        assert res["exact"] is True and res["equivalent"] is True and res["function"] == "a+b"

    def test_prefix_architecture_proven_by_sat(self, capsys):
        status, out, _ = run(capsys, "prove", "exact_add:width=16,arch=kogge_stone",
                             "--method", "sat")
        assert status == 0
        assert out.startswith("exact_add:width=16,signed=false,arch=kogge_stone: PROVEN p = a+b "
                              "for every unsigned input")

    def test_loa_refuted_exit_1(self, capsys):
        status, out, _ = run(capsys, "prove", "loa:width=8,l=4", "--json")
        assert status == 1
        res = json.loads(out)
        assert res["exact"] is False
        cex = res["counterexample"]
        a, b = cex["a"], cex["b"]
        assert cex["expected"] == a + b
        assert int(make_unit("loa:width=8,l=4").model(a, b)) != a + b

    def test_loa_refuted_human(self, capsys):
        status, out, _ = run(capsys, "prove", "loa:width=8,l=4")
        assert status == 1
        assert out.startswith("loa:width=8,signed=false,l=4,carry=true: NOT EXACT - ")

    def test_loa_proven_equal_to_its_model(self, capsys):
        status, out, _ = run(capsys, "prove", "loa:width=16,l=8,signed=true",
                             "--against", "model")
        assert status == 0 and "PROVEN p = the golden model for every signed input" in out

    def test_model_without_polynomial(self, capsys):
        status, _, err = run(capsys, "prove", "gear:width=8", "--against", "model")
        assert status == 2
        assert err == ("axhdl prove: gear:width=8,signed=false,r=2,p=2: the gear model is not "
                       "a polynomial of the operand bits, so it cannot be proven formally; "
                       "'axhdl verify' checks it by simulation\n")

    def test_unit_with_extra_output_refuted(self, capsys):
        # the proof covers p; the cut carry is an extra output outside p's fan-in
        status, out, _ = run(capsys, "prove", "carry_cut:width=8,c=4")
        assert status == 1 and "NOT EXACT" in out


class TestSynth:
    def test_loa_against_exact_add(self, capsys):
        status, out, _ = run(capsys, "synth", "loa:width=8,l=6", "--json")
        assert status == 0
        res = json.loads(out)
        base = res["baseline"]
        assert base["spec"] == "exact_add:width=8,signed=false,arch=operator"
        assert set(res["savings_pct"]) == {"area", "power", "energy", "delay", "pdp"}
        assert 0 < res["area"] < base["area"]
        assert res["savings_pct"]["area"] == pytest.approx(
            100 * (base["area"] - res["area"]) / base["area"])
        assert res["savings_pct"]["area"] > 20  # six of eight full adders become OR gates

    def test_signed_baseline(self, capsys):
        status, out, _ = run(capsys, "synth", "eta1:width=8,k=4,signed=true", "--json",
                             "--vectors", "500")
        assert status == 0
        res = json.loads(out)
        assert res["baseline"]["spec"] == "exact_add:width=8,signed=true,arch=operator"
        assert res["area"] < res["baseline"]["area"]

    def test_human_table(self, capsys):
        status, out, _ = run(capsys, "synth", "trunc_add:width=8,k=4", "--vectors", "500")
        assert status == 0
        assert "savings %" in out and "exact" in out


def test_every_adder_family_listed():
    assert set(ADDER_FAMILIES) <= set(families())
