"""A progress bar for long DNN runs (``axhdl dnn``), on stderr.

:class:`Progress` counts steps (inference batches, calibration, one synthesis per layer, one
evaluation per assignment) against a total that may grow as the run learns how much is left,
and draws ``label [#####.....] done/total pct% m:ss``. On a terminal the bar is redrawn in
place (at most :data:`INTERVAL` apart) and erased at the end; on any other stream (a log
file, with ``--progress``) each redraw is a line of its own, at most one per
:data:`LOG_INTERVAL` seconds and the last step always. Disabled, it writes nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "INTERVAL", "LOG_INTERVAL"]

#: seconds between redraws on a terminal
INTERVAL = 0.1

#: seconds between lines on a stream that is not a terminal
LOG_INTERVAL = 2.0

_WIDTH = 24


class Progress:
    """Steps done against a total; ``enabled=None`` draws only where ``stream`` (default
    stderr) is a terminal."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = tty if enabled is None else bool(enabled)
        self.tty = tty
        self.clock = clock
        self.total = 0
        self.done = 0
        self.label = ""
        self._start = clock()
        self._last: float | None = None
        self._drawn = 0

    def add(self, steps: int) -> None:
        """``steps`` more to do."""
        self.total += int(steps)

    def step(self, label: str | None = None, steps: int = 1) -> None:
        """``steps`` done; ``label`` says what runs next."""
        self.done += steps
        if label is not None:
            self.label = label
        self._draw(final=self.done >= self.total)

    def finish(self) -> None:
        """The run is over with fewer steps than planned: the total becomes what was done."""
        self.total = self.done
        self._draw(final=True)

    def phase(self, label: str) -> None:
        """Name what runs now (no step done)."""
        self.label = label
        self._draw(final=False)

    def line(self) -> str:
        """The bar as it is drawn now."""
        total = max(self.total, self.done)
        frac = self.done / total if total else 0.0
        fill = int(round(frac * _WIDTH))
        secs = int(self.clock() - self._start)
        return (f"{self.label[:32]:<32} [{'#' * fill}{'.' * (_WIDTH - fill)}] "
                f"{self.done}/{total} {100 * frac:3.0f}% {secs // 60}:{secs % 60:02d}")

    def _draw(self, final: bool) -> None:
        if not self.enabled:
            return
        now = self.clock()
        gap = INTERVAL if self.tty else LOG_INTERVAL
        if not final and self._last is not None and now - self._last < gap:
            return
        self._last = now
        text = self.line()
        if self.tty:
            pad = max(0, self._drawn - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._drawn = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar (terminal) once the run is over."""
        if self.enabled and self.tty and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0
