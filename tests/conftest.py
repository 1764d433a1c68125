"""Shared test set-up: every test gets its own result cache, never the user's."""

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("AXHDL_CACHE", str(tmp_path_factory.getbasetemp() / "axhdl-cache"))
