"""The progress bar of long DNN runs: drawn in place on a terminal and erased at the end,
one line per redraw (throttled) on other streams with --progress, nothing otherwise; never
in the JSON on stdout."""

import io
import json

import pytest

from axhdl.cli import main
from axhdl.nn import progress as progress_mod
from axhdl.nn.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class TestProgress:
    def test_line(self):
        clock = Clock()
        p = Progress(True, io.StringIO(), clock=clock)
        p.add(8)
        p.phase("exact inference")
        p.step()
        p.step()
        clock.t = 75.4
        assert p.line() == ("exact inference" + " " * 17 + " [" + "#" * 6 + "." * 18
                            + "] 2/8  25% 1:15")

    def test_terminal_in_place_throttled_and_erased(self):
        clock = Clock()
        out = Terminal()
        p = Progress(None, out, clock=clock)  # auto: a terminal
        assert p.enabled
        p.add(3)
        p.step("a")  # first draw
        clock.t = 0.05
        p.step("b")  # within INTERVAL: not drawn
        clock.t = 0.05 + progress_mod.INTERVAL
        p.step("c")  # the last step: always drawn
        text = out.getvalue()
        assert text.count("\r") == 2 and "\n" not in text
        assert text.split("\r")[1].startswith("a ") and text.split("\r")[2].startswith("c ")
        assert text.endswith("3/3 100% 0:00")
        width = len(text.split("\r")[-1])
        p.close()
        assert out.getvalue()[len(text):] == "\r" + " " * width + "\r"

    def test_log_stream_lines(self):
        clock = Clock()
        out = io.StringIO()
        p = Progress(True, out, clock=clock)
        p.add(4)
        for t in (0.0, 1.0, 2.5, 3.0):
            clock.t = t
            p.step()
        p.close()
        lines = out.getvalue().splitlines()
        # t=0 drawn, t=1 throttled, t=2.5 drawn (≥ LOG_INTERVAL later), t=3 the last step
        assert [ln.split("] ")[1].split(" ")[0] for ln in lines] == ["1/4", "3/4", "4/4"]

    @pytest.mark.parametrize("stream", [io.StringIO(), Terminal()])
    def test_disabled(self, stream):
        p = Progress(False if isinstance(stream, Terminal) else None, stream)
        p.add(2)
        p.step("x")
        p.step()
        p.close()
        assert stream.getvalue() == "" and not p.enabled


ARGS = ["dnn", "mitchell:width=8,signed=true", "--no-energy", "--json"]


class TestCommand:
    def test_progress_flag(self, capsys):
        """--progress on a non-terminal stderr: log lines; stdout is the JSON alone. The
        digits test set is 2 batches of 256: calibration/float, 2 exact, 2 approximate."""
        assert main([*ARGS, "--progress"]) == 0
        cap = capsys.readouterr()
        r = json.loads(cap.out)
        assert r["approx_accuracy_pct"] > 90
        lines = cap.err.splitlines()
        assert lines and lines[-1].startswith("approximate inference")
        assert "] 5/5 100% " in lines[-1]

    def test_terminal_by_default(self, capsys, monkeypatch):
        """No flag: a bar where stderr is a terminal, erased at the end; none where it is
        not (--no-progress) — stdout unchanged."""
        term = Terminal()
        monkeypatch.setattr("sys.stderr", term)
        assert main(ARGS) == 0
        out = capsys.readouterr().out
        drawn = term.getvalue()
        assert "\r" in drawn and "approximate inference" in drawn and drawn.endswith("\r")
        assert drawn.split("\r")[-2].strip() == ""  # erased
        term2 = Terminal()
        monkeypatch.setattr("sys.stderr", term2)
        assert main([*ARGS, "--no-progress"]) == 0
        out2 = capsys.readouterr().out
        assert term2.getvalue() == ""
        first, second = json.loads(out), json.loads(out2)  # equal but for the time stamp
        first["provenance"].pop("created")
        second["provenance"].pop("created")
        assert first == second
