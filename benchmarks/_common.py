"""What the benchmark modules share."""

from __future__ import annotations

import sys
from pathlib import Path


def axhdl_argv() -> list[str]:
    """argv that runs this environment's ``axhdl`` command as a whole process."""
    script = Path(sys.executable).parent / "axhdl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "axhdl.cli"]
