"""Provenance, atomic writes, the on-disk result cache and the base of typed results.

Every result axhdl produces carries a ``provenance`` block (spec, parameters, tool versions,
liberty, workload, seed). Cached results are keyed by the hash of exactly those inputs, so a
change to any of them — a new Yosys, another liberty, another seed — computes afresh.

Results that flows return (a PPA report, a co-simulation) are frozen dataclasses deriving from
:class:`Record`: read by attribute, written as JSON through ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError, path_error
from .processes import pending, stamp, sweep_stamped
from .toolchain import tool_versions

__all__ = [
    "Record",
    "atomic_write",
    "input_file",
    "load_numpy",
    "make_dirs",
    "file_mode",
    "dir_mode",
    "cache_dir",
    "content_hash",
    "file_hash",
    "provenance",
    "cached_stage",
    "cache_warning",
    "write_digest",
    "entry_damage",
    "discard_entry",
    "discard_damaged",
    "publish_entry",
    "to_jsonable",
]


def process_umask() -> int:
    """The process's file-creation mask (read without changing it where Linux allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode of a new file under the user's umask (``0o644`` under the usual ``022``)."""
    return 0o666 & ~process_umask()


def dir_mode() -> int:
    """The mode of a new directory under the user's umask (``0o755`` under ``022``)."""
    return 0o777 & ~process_umask()


def make_dirs(path: str | os.PathLike, what: str = "cannot create directory") -> Path:
    """``mkdir -p path``; an unusable path is one line naming it and the reason."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path}: it is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise path_error(path, e, what) from None
    if not path.is_dir():
        raise InputError(f"{what} {path}: it exists and is not a directory")
    return path


def input_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` if it is a readable file, else one :class:`InputError` naming it and what is
    wrong (missing, a directory, unreadable)."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{what} '{path}' does not exist") from None
    except OSError as e:
        raise path_error(path, e, f"cannot read {what}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{what} '{path}' is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {what} '{path}': permission denied")
    return path


#: what a numpy file axhdl reads must be
NUMPY_FORMAT = ("a numpy .npy file (numpy.save) or .npz archive (numpy.savez) of plain numeric "
                "arrays")


def load_numpy(path: str | os.PathLike, what: str = "file",
               suffixes: tuple[str, ...] = (".npy", ".npz")) -> Any:
    """The array in a ``.npy`` file, or a dict of the arrays in a ``.npz`` archive, read
    safely (never unpickled). Anything else — a missing file, a directory, text or a pickle
    under a numpy name, an array of Python objects — is one :class:`InputError` naming the
    file and the format expected."""
    import zipfile
    import zlib

    import numpy as np

    path = input_file(path, what)
    if path.suffix not in suffixes:
        raise InputError(f"{what} '{path}' must be a {' or '.join(suffixes)} file, not "
                         f"{path.suffix or 'a file without a suffix'}")
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError as e:
        raise path_error(path, e, f"cannot read {what}") from None
    if not (head == b"\x93NUMPY" or head.startswith(b"PK")):
        if not head:
            looks = "it is empty"
        elif all(32 <= c < 127 or c in b"\t\r\n" for c in head):
            looks = "it is text"
        elif head[:1] == b"\x80":
            looks = "it is a Python pickle, which axhdl never loads"
        else:
            looks = "it has no .npy or .npz header"
        raise InputError(f"{what} '{path}' cannot be read ({looks}); expected {NUMPY_FORMAT}")
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            return data
        with data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile,
            zlib.error) as e:
        text = str(e)
        if "pickle" in text or "Object arrays" in text:
            why = "it holds Python objects or pickled data, which axhdl never loads"
        elif isinstance(e, OSError) and e.strerror:
            why = e.strerror
        else:
            why = "it is damaged or not a numpy file"
        raise InputError(f"{what} '{path}' cannot be read ({why}); expected "
                         f"{NUMPY_FORMAT}") from None


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written.

    The file gets the mode of an existing file it replaces, else that of a new file under the
    user's umask. A symbolic link is followed (its target is replaced); a device or pipe
    (``/dev/stdout``) is written directly. Any problem with the path (a directory, a path
    under a file, no permission, a full disk) is one line naming the path and the reason
    (:func:`axhdl.errors.path_error`).
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise path_error(path, e) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {path}: it is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):  # a device, a pipe: no rename
        try:
            with open(path, mode) as f:
                f.write(data)
        except OSError as e:
            raise path_error(path, e) from None
        return path
    make_dirs(path.parent, f"cannot write {path}: cannot create directory")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{stamp()}", dir=path.parent)
        with pending(tmp):
            try:
                os.fchmod(fd, stat.S_IMODE(st.st_mode) if st is not None else file_mode())
                with os.fdopen(fd, mode) as f:
                    f.write(data)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise path_error(path, e) from None
    return path


def cache_dir() -> Path:
    """Where cached results live: ``$AXHDL_CACHE``, else ``~/.cache/axhdl``.

    An unusable cache (a file, a path under a file, no permission) is one line naming it.
    """
    root = os.environ.get("AXHDL_CACHE") or Path.home() / ".cache" / "axhdl"
    what = "AXHDL_CACHE: cannot use" if os.environ.get("AXHDL_CACHE") else "cannot use the cache"
    return make_dirs(root, what)


class Record:
    """Base of the frozen result dataclasses (:class:`axhdl.synth.flow.PPAResult`,
    :class:`axhdl.testbenches.runner.VerificationResult`).

    :meth:`to_dict` is the result's JSON document: every field in declaration order, nested
    records as dicts, the fields named in ``OMIT_WHEN_NONE`` left out while they are None.
    ``result["key"]``, ``"key" in result`` and ``result.get("key")`` read that document's
    top-level keys, as code written when these results were plain dicts expects; new code
    reads attributes.
    """

    #: fields absent from :meth:`to_dict` (and from ``in``) while None
    OMIT_WHEN_NONE: tuple[str, ...] = ()

    def _keys(self) -> list[str]:
        return [
            f.name for f in dataclasses.fields(self)
            if not (f.name in self.OMIT_WHEN_NONE and getattr(self, f.name) is None)
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in self._keys():
            value = getattr(self, key)
            out[key] = value.to_dict() if isinstance(value, Record) else value
        return out

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._keys() else default


def to_jsonable(obj: Any) -> Any:
    """Records, units (as their specs), numpy scalars/arrays, tuples and paths to plain JSON
    types."""
    import numpy as np

    from .unit import ArithmeticUnit

    if isinstance(obj, ArithmeticUnit):
        return obj.spec
    if isinstance(obj, Record):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def content_hash(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts``."""
    text = json.dumps(to_jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_hash(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def provenance(unit=None, **inputs: Any) -> dict:
    """What produced a result: the unit's spec and parameters, the inputs, tool versions."""
    prov: dict[str, Any] = {}
    if unit is not None:
        prov["spec"] = unit.spec
        prov["family"] = unit.family
        prov["parameters"] = to_jsonable(unit.parameters)
    prov.update(to_jsonable(inputs))
    prov["tools"] = dict(tool_versions())
    prov["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    return prov


# -- cache entries that carry a digest of their contents -------------------------------------
#
# Every cache entry (a directory) holds ``digest.json``: the SHA-256 of each of its files. An
# entry is used only when every listed file is there with its digest; a damaged or partial
# one (random bytes, truncation, edited values, missing files, no digest) is reported on one
# line of stderr (``axhdl: warning: ...``), discarded and computed again.

DIGEST_NAME = "digest.json"

#: part of every stage key: entries of the layout without digests are never read (they are
#: not damaged, only unverifiable)
CACHE_LAYOUT = "digest-1"


def cache_warning(message: str) -> None:
    """Report a cache problem axhdl recovers from: one line on stderr."""
    sys.stderr.write(f"axhdl: warning: {message}\n")
    sys.stderr.flush()


def _entry_files(directory: Path) -> list[str]:
    return sorted(
        p.relative_to(directory).as_posix() for p in directory.rglob("*")
        if p.is_file() and p.name != DIGEST_NAME
    )


def write_digest(directory: str | os.PathLike) -> None:
    """Record the SHA-256 of every file under ``directory`` in its ``digest.json``."""
    directory = Path(directory)
    digest = {name: file_hash(directory / name) for name in _entry_files(directory)}
    atomic_write(directory / DIGEST_NAME, json.dumps({"sha256": digest}, indent=1,
                                                     sort_keys=True))


def entry_damage(directory: str | os.PathLike) -> str | None:
    """Why the cache entry ``directory`` cannot be trusted (None when every file its digest
    lists is present and intact)."""
    directory = Path(directory)
    if not directory.is_dir():
        return "not a directory"
    try:
        digest = json.loads((directory / DIGEST_NAME).read_bytes())
    except FileNotFoundError:
        return f"no {DIGEST_NAME}"
    except (OSError, ValueError) as e:
        return f"{DIGEST_NAME} is unreadable: {type(e).__name__}"
    table = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        return f"{DIGEST_NAME} is not a digest"
    for name, want in sorted(table.items()):
        path = directory / name
        if ".." in Path(name).parts or not path.is_file():
            return f"{name} is missing"
        try:
            if file_hash(path) != want:
                return f"{name} differs from its digest"
        except OSError as e:
            return f"{name} is unreadable: {e.strerror}"
    return None


def discard_entry(directory: str | os.PathLike) -> None:
    """Remove a damaged cache entry (renamed aside first, so that a new entry can take its
    place at once even if removing the old one fails half-way)."""
    directory = Path(directory)
    aside = directory.with_name(f".{directory.name}.damaged-{stamp()}{os.urandom(4).hex()}")
    try:
        os.replace(directory, aside)
    except FileNotFoundError:
        return
    except OSError:
        aside = directory
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)


def publish_entry(tmp: Path, final: Path,
                  read: Callable[[Path], tuple[Any, str | None]]) -> Any:
    """Move the finished folder ``tmp`` into place as the cache entry ``final``. When another
    process published the same entry first, its intact value (``read(final)`` gives the value
    or None and the reason it cannot be used) is returned; a damaged one is discarded and the
    move tried once more. None when ``tmp`` is now the entry."""
    for attempt in range(2):
        try:
            os.replace(tmp, final)
            return None
        except OSError:
            theirs, reason = read(final)
            if theirs is not None:
                return theirs
            if attempt:
                raise
            discard_damaged(final, reason)
    return None


def discard_damaged(directory: str | os.PathLike, reason: str) -> None:
    """Warn (one line) that the cache entry ``directory`` is damaged, and discard it."""
    cache_warning(f"cache entry {directory} is damaged ({reason}); discarded, computing it "
                  f"again")
    discard_entry(directory)


def _read_stage(final: Path) -> tuple[dict | None, str | None]:
    """The result of an intact entry, or (None, why it is not)."""
    reason = entry_damage(final)
    if reason is not None:
        return None, reason
    try:
        result = json.loads((final / "result.json").read_bytes())
    except (OSError, ValueError):
        return None, "result.json is not JSON"
    if not isinstance(result, dict):
        return None, "result.json is not a JSON object"
    return result, None


#: the errors of a file system that cannot take more writes
_WRITE_FAULTS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG)


def cached_stage(
    kind: str, key_parts: list, compute: Callable[[Path], dict]
) -> tuple[dict, Path]:
    """Run ``compute(workdir)`` once per key (``key_parts`` plus tool versions); return its
    result and the directory that keeps its files beside ``result.json``.

    The directory is filled in a temporary sibling, its digest written, and renamed into
    place, so a killed run leaves nothing half-written; a damaged or partial entry (its files
    differ from the digest) is reported on one line, discarded and recomputed.
    """
    final = cache_dir() / kind / content_hash(kind, key_parts, tool_versions(), CACHE_LAYOUT)
    if final.exists() or final.is_symlink():
        result, reason = _read_stage(final)
        if result is not None:
            return result, final
        discard_damaged(final, reason)
    make_dirs(final.parent, "cannot write the cache")
    sweep_stamped(final.parent)  # what killed runs left
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.{stamp()}", dir=final.parent))
    except OSError as e:
        raise path_error(final.parent, e, "cannot write the cache") from None
    try:
        with pending(tmp):
            try:
                result = compute(tmp)
            except OSError as e:  # the cache's disk is full, or it turned read-only
                if e.errno not in _WRITE_FAULTS:
                    raise
                raise path_error(e.filename or tmp, e, "cannot write the cache") from None
            atomic_write(tmp / "result.json", json.dumps(to_jsonable(result), indent=1,
                                                          sort_keys=True))
            write_digest(tmp)
            os.chmod(tmp, dir_mode())
        theirs = publish_entry(tmp, final, _read_stage)
        if theirs is not None:
            return theirs, final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stored, _ = _read_stage(final)
    if stored is None:  # changed under our feet since the rename: ours is the result
        stored = json.loads(json.dumps(to_jsonable(result)))
    return stored, final
