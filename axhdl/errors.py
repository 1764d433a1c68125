"""The exceptions axhdl raises for bad input, missing tools and failed checks.

Every error a user can cause derives from :class:`AxhdlError`; the CLI prints its message on one
line and exits with :attr:`AxhdlError.exit_status` (2 for usage errors, 1 for failed checks).
"""

from __future__ import annotations


class AxhdlError(Exception):
    """Base class of every error axhdl reports to a user."""

    exit_status = 2


class SpecError(AxhdlError, ValueError):
    """A spec string, or a parameter given through one, is malformed or out of range."""


class InputError(AxhdlError, ValueError):
    """A file or value given on the command line or through the API is unusable."""


class ToolMissingError(AxhdlError):
    """An external tool is not installed; the message carries the command that installs it."""

    def __init__(self, tool: str, install: str):
        self.tool = tool
        self.install = install
        super().__init__(f"{tool} not found; install it with: {install}")


class ToolFailedError(AxhdlError):
    """An external tool exited with an error; the message carries its stderr."""

    exit_status = 1


class CheckFailedError(AxhdlError):
    """A check (equivalence, lint) ran and found a failure."""

    exit_status = 1
