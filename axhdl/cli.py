"""The ``axhdl`` command line: one subcommand per module in :mod:`axhdl.commands`.

Usage errors (bad specs, parameters, files, missing tools) print one line and exit 2; failed
checks (a mismatch in verify, a lint error) exit 1; success exits 0.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import AxhdlError

#: subcommand name → module under axhdl.commands (each has ``register(sub)`` and ``run(args)``)
COMMANDS = {
    "list": "list_families",
    "doctor": "doctor",
    "generate": "generate",
    "lut": "lut",
    "metrics": "metrics",
    "verify": "verify",
    "prove": "prove",
    "synth": "synth",
    "dnn": "dnn",
    "import-verilog": "import_verilog",
    "demo": "demo",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        sys.stderr.write(f"axhdl: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="axhdl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(f"axhdl.commands.{module}")
        except ModuleNotFoundError as e:
            if e.name == f"axhdl.commands.{module}":
                continue
            raise
        p = mod.register(sub, name)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status.

    Called without ``argv`` (as the ``axhdl`` program) the run is guarded
    (:func:`axhdl.processes.guard`): killed, it takes its workers, tools and temporary files
    with it.
    """
    if argv is None:
        from .processes import guard

        guard()
    parser = build_parser()
    args = parser.parse_args(argv)
    stdout = sys.stdout
    sys.stdout = _Stdout(stdout)
    try:
        status = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed or full stdout is reported here, not at exit
        return status
    except AxhdlError as e:
        _report(f"axhdl {args.command}: {e}")
        return e.exit_status
    except KeyboardInterrupt:
        _report("axhdl: interrupted")
        return 130
    except _StdoutFailed as e:
        _silence(stdout)
        if not isinstance(e.error, BrokenPipeError):  # `axhdl list | head -1`: nothing to say
            _report(f"axhdl {args.command}: cannot write to standard output: "
                    f"{e.error.strerror or e.error}")
        return 1
    except OSError as e:
        where = f"{e.filename}: " if e.filename is not None else ""
        _report(f"axhdl {args.command}: {where}{e.strerror or type(e).__name__}")
        return 1
    finally:
        sys.stdout = stdout


class _StdoutFailed(Exception):
    """Writing standard output failed (the reader left, the disk is full)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


class _Stdout:
    """Standard output whose write errors are told apart from those of files."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise _StdoutFailed(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _StdoutFailed(e) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


#: longest line of an error message printed (a huge echoed input is cut)
MAX_LINE = 400


def _report(message: str) -> None:
    lines = [line if len(line) <= MAX_LINE else f"{line[:MAX_LINE - 1]}…"
             for line in message.splitlines() or [""]]
    try:
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence(stream) -> None:
    """Point ``stream`` (standard output) at /dev/null so that the flush at exit cannot fail
    again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
