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


def cached_stage(
    kind: str, key_parts: list, compute: Callable[[Path], dict]
) -> tuple[dict, Path]:
    """Run ``compute(workdir)`` once per key (``key_parts`` plus tool versions); return its
    result and the directory that keeps its files beside ``result.json``.

    The directory is filled in a temporary sibling and renamed into place, so a killed run
    leaves nothing half-written; a corrupt entry is recomputed.
    """
    final = cache_dir() / kind / content_hash(kind, key_parts, tool_versions())
    result_file = final / "result.json"
    if result_file.is_file():
        try:
            return json.loads(result_file.read_text()), final
        except (OSError, json.JSONDecodeError):
            shutil.rmtree(final, ignore_errors=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        result = compute(tmp)
        atomic_write(tmp / "result.json", json.dumps(to_jsonable(result), indent=1,
                                                      sort_keys=True))
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished the same stage first
            if not result_file.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return json.loads(result_file.read_text()), final
