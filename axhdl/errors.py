"""The exceptions axhdl raises for bad input, missing tools and failed checks.

Every error a user can cause derives from :class:`AxhdlError`; the CLI prints its message on one
line and exits with :attr:`AxhdlError.exit_status` (2 for usage errors, 1 for failed checks).
"""

from __future__ import annotations

import errno


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


class OutputError(AxhdlError):
    """A file cannot be written for a reason outside the user's input — a full disk, a
    quota, an I/O fault: the message names the path and the reason (exit status 1)."""

    exit_status = 1


#: longest echo of a user's text (a spec, a value) inside an error message
ECHO_LIMIT = 60


def echo(text: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(text)`` for an error message, cut to ``limit`` characters (with the full length
    said) so that a huge spec or value does not flood the terminal."""
    shown = repr(text)
    if len(shown) <= limit:
        return shown
    length = f" ({len(text)} characters)" if isinstance(text, (str, bytes)) else ""
    return f"{shown[:limit - 1]}…{length}"


def os_reason(error: OSError) -> str:
    """The reason of an ``OSError`` in words (``No space left on device``)."""
    return error.strerror or type(error).__name__


def path_error(path: object, error: OSError, doing: str = "cannot write") -> AxhdlError:
    """The one-line error for an ``OSError`` met while writing or reading ``path``.

    A path that is wrong as given (a directory where a file belongs, a path under a file, no
    permission, a read-only file system) is a usage error (exit 2); a full disk or an I/O
    fault is an :class:`OutputError` (exit 1).
    """
    reason = os_reason(error)
    if error.errno in (errno.EISDIR,):
        reason = "it is a directory"
    elif error.errno in (errno.ENOTDIR,):
        reason = "a part of the path is a file, not a directory"
    elif error.errno in (errno.EEXIST,):
        reason = "a part of the path exists and is not a directory"
    message = f"{doing} {path}: {reason}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
        return OutputError(message)
    return InputError(message)
