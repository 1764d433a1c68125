"""The command line: exit statuses, one-line errors, JSON output."""

import json

import pytest

from axhdl import toolchain
from axhdl.cli import main
from axhdl.registry import families


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


class TestErrors:
    @pytest.mark.parametrize("argv,message", [
        (["metrics", "nosuch:width=8"],
         "axhdl metrics: Unknown family 'nosuch'; known families: {families} (see 'axhdl list')\n"),
        (["metrics", "truncated:kk=3"],
         ("axhdl metrics: truncated: Family 'truncated' has no parameter 'kk'; "
         "its parameters are: a_width, b_width, signed, k, correction\n")),
        (["metrics", "truncated:width=8,k=99"],
         ("axhdl metrics: truncated: Parameter 'k' must be an integer in 0..a_width + b_width "
         "(here 0..16), not 99\n")),
        (["generate", "exact:width=8,signed=perhaps", "-o", "x"],
         "axhdl generate: exact: Parameter 'signed' must be true or false, not 'perhaps'\n"),
        (["lut", "exact:width=16", "-o", "t.npy"],
         ("axhdl lut: exact:width=16,signed=false,arch=operator: a LUT of 16+16 operand bits has "
         "4294967296 entries, more than the 2^24 allowed\n")),
    ])
    def test_usage_errors_exit_2_with_one_line(self, capsys, tmp_path, monkeypatch, argv, message):
        monkeypatch.chdir(tmp_path)
        status, out, err = run(capsys, *argv)
        assert status == 2
        assert err == message.replace("{families}", ", ".join(families()))
        assert list(tmp_path.iterdir()) == []  # nothing half-written

    def test_unknown_option_exit_2(self, capsys):
        with pytest.raises(SystemExit) as e:
            main(["metrics"])
        assert e.value.code == 2
        assert capsys.readouterr().err == (
            "axhdl: error: the following arguments are required: spec\n")

    def test_missing_tool_names_the_install_command(self, capsys, tmp_path, monkeypatch):
        monkeypatch.setattr(toolchain, "verilator_root", _raise_missing_verilator)
        status, out, err = run(capsys, "generate", "exact:width=4", "-o", str(tmp_path))
        assert status == 2
        assert err == ("axhdl generate: verilator not found; install it with: "
                       f"{toolchain.TOOLS['verilator'].install}\n")


def _raise_missing_verilator():
    raise toolchain.ToolMissingError("verilator", toolchain.TOOLS["verilator"].install)


class TestList:
    def test_json_documents_every_family(self, capsys):
        status, out, _ = run(capsys, "list", "--json")
        assert status == 0
        rows = {r["family"]: r for r in json.loads(out)}
        assert {"exact", "truncated"} <= set(rows)
        k = {p["name"]: p for p in rows["truncated"]["parameters"]}["k"]
        assert k == {"name": "k", "type": "int", "required": False, "default": 4,
                     "range": "an integer in 0..a_width + b_width",
                     "doc": "partial-product columns removed (weights 2^0 .. 2^(k-1))"}
        for r in rows.values():
            assert r["citation"] and r["description"]

    def test_one_family(self, capsys):
        status, out, _ = run(capsys, "list", "truncated")
        assert status == 0 and out.startswith("truncated (multiplier)")
        assert "exact (multiplier)" not in out


class TestGenerate:
    def test_writes_verilog_and_sidecar(self, capsys, tmp_path):
        status, out, _ = run(capsys, "generate", "truncated:width=8,k=6,signed=true",
                             "-o", str(tmp_path), "--json")
        assert status == 0
        side = json.loads(out)
        name = "truncated_8x8s_k6_correctionnone"
        assert side["module"] == name and side["lint"] == "verilator -Wall clean"
        assert (tmp_path / f"{name}.v").read_text().count(f"module {name}(") == 1
        on_disk = json.loads((tmp_path / f"{name}.json").read_text())
        assert on_disk["spec"] == "truncated:width=8,signed=true,k=6,correction=none"
        assert on_disk["ports"]["p"] == {"dir": "out", "width": 16, "signed": True}
        assert on_disk["provenance"]["tools"]["amaranth"].startswith("0.5")


class TestMetricsAndLut:
    def test_metrics_json(self, capsys):
        status, out, _ = run(capsys, "metrics", "truncated:width=4,k=2", "--json")
        assert status == 0
        res = json.loads(out)
        # columns 0 and 1 hold 1 and 2 pp bits: E[ED] = -(1 + 2*2)/4
        assert res["metrics"]["mean_ed"] == -1.25
        assert res["provenance"]["spec"] == "truncated:width=4,signed=false,k=2,correction=none"

    def test_lut_file(self, capsys, tmp_path):
        import numpy as np

        path = tmp_path / "t.npy"
        status, _, _ = run(capsys, "lut", "exact:width=3,signed=true", "-o", str(path))
        assert status == 0
        table = np.load(path)
        assert table.shape == (8, 8) and table.dtype == np.int64
        assert table[7, 4] == (-1) * (-4)  # codes 7 and 4 are -1 and -4
        assert table[3, 5] == 3 * (-3)


class TestDoctor:
    def test_reports_every_tool(self, capsys):
        status, out, _ = run(capsys, "doctor", "--json")
        rows = {r["tool"]: r for r in json.loads(out)}
        assert set(rows) == set(toolchain.TOOLS)
        assert status == (0 if all(r["found"] for r in rows.values()) else 1)
        for r in rows.values():
            assert r["install"].startswith(("sudo apt-get install -y ", toolchain.sys.executable))
