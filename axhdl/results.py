"""Provenance, atomic writes, the on-disk result cache and the base of typed results.

Every result axhdl produces carries a ``provenance`` block (spec, parameters, tool versions,
liberty, workload, seed). Cached results are keyed by the hash of exactly those inputs, so a
change to any of them — a new Yosys, another liberty, another seed — computes afresh.

Results that flows return (a PPA report, a co-simulation) are frozen dataclasses deriving from
:class:`Record`: read by attribute, written as JSON through ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .toolchain import tool_versions

__all__ = [
    "Record",
    "atomic_write",
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
    "to_jsonable",
]


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cache_dir() -> Path:
    """Where cached results live: ``$AXHDL_CACHE``, else ``~/.cache/axhdl``."""
    root = os.environ.get("AXHDL_CACHE") or Path.home() / ".cache" / "axhdl"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    aside = directory.with_name(f".{directory.name}.damaged-{os.getpid()}-{os.urandom(4).hex()}")
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
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        result = compute(tmp)
        atomic_write(tmp / "result.json", json.dumps(to_jsonable(result), indent=1,
                                                      sort_keys=True))
        write_digest(tmp)
        for attempt in range(2):
            try:
                os.replace(tmp, final)
                break
            except OSError:  # another process finished the same stage first
                theirs, reason = _read_stage(final)
                if theirs is not None:
                    return theirs, final
                if attempt:
                    raise
                discard_damaged(final, reason)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stored, _ = _read_stage(final)
    if stored is None:  # changed under our feet since the rename: ours is the result
        stored = json.loads(json.dumps(to_jsonable(result)))
    return stored, final
