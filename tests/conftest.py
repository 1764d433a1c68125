"""Shared test set-up: the tests use the test session's result cache, never the user's."""

import pytest


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """``AXHDL_CACHE`` pointed at the session's cache directory for each test module, module
    fixtures included; yields the directory."""
    path = tmp_path_factory.getbasetemp() / "axhdl-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AXHDL_CACHE", str(path))
        yield path
