"""The ``axhdl`` command line: one subcommand per module in :mod:`axhdl.commands`.

Usage errors (bad specs, parameters, files, missing tools) print one line and exit 2; failed
checks (a mismatch in verify, a lint error) exit 1; success exits 0.
"""

from __future__ import annotations

import argparse
import importlib
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except AxhdlError as e:
        sys.stderr.write(f"axhdl {args.command}: {e}\n")
        return e.exit_status
    except KeyboardInterrupt:
        sys.stderr.write("axhdl: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `axhdl list | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
