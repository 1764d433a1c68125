"""The PPA flow's cache heals (issue 12): damaged stage entries of ``axhdl synth`` (random
bytes, truncation, edited values, missing files) are detected by their digest, reported on
one line each, discarded and recomputed, and the run gives the numbers of a clean run."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from axhdl.cli import main

SPEC = "truncated:width=4,k=3"
ARGS = ["synth", SPEC, "--vectors", "300", "--json"]


def _numbers(doc: dict) -> dict:
    """The result without what legitimately differs between two runs (time stamps)."""
    # files in the cache: named from the cache root (each test has a cache of its own)
    doc = json.loads(re.sub(r'"[^"]*/cache/', '"CACHE/', json.dumps(doc)))
    doc["provenance"].pop("created")
    doc["provenance"].pop("seconds")
    return doc


def _synth(capsys) -> tuple[int, dict | None, str]:
    status = main(list(ARGS))
    out, err = capsys.readouterr()
    return status, (json.loads(out) if status == 0 else None), err


def _random_bytes(p: Path):
    p.write_bytes(bytes(range(256))[::-1] * 8)


def _truncate(p: Path):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _edit_area(p: Path):
    text = p.read_text()
    assert '"area": ' in text
    p.write_text(re.sub(r'"area": [0-9.]+', '"area": 1.0', text))


def _edit_rates(p: Path):
    text = p.read_text()
    p.write_text(re.sub(r'("toggle_rates": \{\s*"[^"]+": )[0-9.e-]+', r"\g<1>0.0", text))


CASES = {
    "implement: random bytes in result.json": ("implement", "result.json", _random_bytes),
    "implement: edited area": ("implement", "result.json", _edit_area),
    "implement: truncated netlist": ("implement", "netlist.v", _truncate),
    "implement: netlist missing": ("implement", "netlist.v", lambda p: p.unlink()),
    "implement: netlist.json missing": ("implement", "netlist.json", lambda p: p.unlink()),
    "implement: digest missing": ("implement", "digest.json", lambda p: p.unlink()),
    "activity: truncated result.json": ("activity", "result.json", _truncate),
    "activity: edited toggle rate": ("activity", "result.json", _edit_rates),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The numbers of a clean run, and its cache."""
    cache = tmp_path_factory.mktemp("clean") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AXHDL_CACHE", str(cache))
        saved = sys.stdout
        sys.stdout = io.StringIO()
        try:
            assert main(list(ARGS)) == 0
            out = sys.stdout.getvalue()
        finally:
            sys.stdout = saved
    return _numbers(json.loads(out)), cache


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch, clean):
    """A copy of the clean run's cache, for this test to damage."""
    shutil.copytree(clean[1], tmp_path / "cache")
    monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_stage_heals_to_the_clean_numbers(fresh_cache, clean, capsys, case):
    clean = clean[0]
    status, first, err = _synth(capsys)
    assert status == 0 and err == ""  # the copy is intact: served from the cache
    stage, name, damage = CASES[case]
    entries = sorted(p for p in (fresh_cache / stage).iterdir() if not p.name.startswith("."))
    assert entries
    for entry in entries:
        damage(entry / name)
    status, again, err = _synth(capsys)
    assert status == 0 and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == len(entries)
    for line, entry in zip(sorted(lines), sorted(str(e) for e in entries)):
        assert line.startswith(f"axhdl: warning: cache entry {entry} is damaged (")
        assert line.endswith("); discarded, computing it again")
    assert _numbers(again) == clean == _numbers(first)
    # healed for good: the next run is silent and gives the same numbers
    status, third, err = _synth(capsys)
    assert status == 0 and err == "" and _numbers(third) == clean
