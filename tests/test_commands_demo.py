import json

import pytest

from axhdl.cli import main
from axhdl.registry import families


@pytest.mark.cocotb
class TestDemo:
    def test_small_demo_end_to_end(self, capsys, tmp_path):
        status = main(["demo", "exact:width=3", "truncated:width=3,k=3", "--sims", "icarus",
                       "-o", str(tmp_path), "--json"])
        out = json.loads(capsys.readouterr().out)
        assert status == 0
        exact, trunc = out
        assert exact["verify"]["icarus"]["ok"] and exact["verify"]["icarus"]["checked"] == 64
        assert trunc["verify"]["icarus"]["checked"] == 64
        assert exact["metrics"]["er"] == 0
        # columns 0..2 of a 3x3 array hold 1, 2, 3 bits: E[ED] = -(1 + 4 + 12) / 4
        assert trunc["metrics"]["mean_ed"] == -4.25
        assert trunc["ppa"]["area"] < exact["ppa"]["area"]
        assert exact["ppa"]["savings_pct"]["area"] == 0
        assert exact["verilog"] == str(tmp_path / "exact_3x3u_archoperator.v")
        assert (tmp_path / "exact_3x3u_archoperator.json").exists()

    def test_bad_spec_before_any_work(self, capsys, tmp_path):
        status = main(["demo", "exact:width=3", "nosuch", "-o", str(tmp_path)])
        assert status == 2
        assert capsys.readouterr().err == (
            f"axhdl demo: Unknown family 'nosuch'; known families: {', '.join(families())} "
            "(see 'axhdl list')\n")
        assert not tmp_path.exists() or list(tmp_path.iterdir()) == []
