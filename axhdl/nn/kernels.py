"""Compiled kernels of the integer engine (numba, imported and compiled on first use).

:func:`gather_accumulate` sums a layer's products through a product table for units whose
error table has no small exact rank (Mitchell, DRUM, imported Verilog, …): for every row m
and product position k it adds the table row ``slab[k, x[m, k] − xlo, :]`` (the products of
activation code ``x[m, k]`` with the weights of position k, one per output channel) to an
int64 accumulator. Integer arithmetic throughout, so the result is the table's sum bit for
bit; no temporary grows with the batch (one accumulator row).

numba is imported only when a kernel is first needed, so ``import axhdl`` stays small.
Compiled code is cached on disk (``numba`` under :func:`axhdl.results.cache_dir`, unless
``NUMBA_CACHE_DIR`` is set); where that directory cannot be written the kernel is compiled
in memory each process. Without numba, :func:`gather_kernel` returns None and the callers use
their numpy paths.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import numpy as np

from ..errors import InputError

__all__ = ["gather_kernel", "gather_accumulate", "jit_available"]

_lock = threading.Lock()
_state: dict[str, object] = {}


def _cache_path() -> str | None:
    """A writable directory for numba's cache, or None."""
    from ..results import cache_dir

    path = os.environ.get("NUMBA_CACHE_DIR") or str(cache_dir() / "numba")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _gather_py(slab, x, k0, xlo, c0, out):  # pragma: no cover - compiled by numba
    """``out[m, c0 + c] += Σ_k slab[k, x[m, k0 + k] − xlo, c]``; the count of codes outside
    the table (those add nothing)."""
    m_n = x.shape[0]
    k_n, a_n, c_n = slab.shape
    acc = np.zeros(c_n, dtype=np.int64)
    bad = 0
    for m in range(m_n):
        acc[:] = 0
        for k in range(k_n):
            r = x[m, k0 + k] - xlo
            if r < 0 or r >= a_n:
                bad += 1
                continue
            for c in range(c_n):
                acc[c] += slab[k, r, c]
        for c in range(c_n):
            out[m, c0 + c] += acc[c]
    return bad


def gather_kernel() -> Callable | None:
    """The compiled gather kernel (compiled, or loaded from the cache, on the first call), or
    None where numba cannot be imported. It takes an int32 or int64 ``slab`` and int64
    C-contiguous ``x`` and ``out``."""
    with _lock:
        if "gather" not in _state:
            _state["gather"] = _compile()
        return _state["gather"]


def _compile() -> Callable | None:
    try:
        import numba
    except ImportError:
        return None
    path = _cache_path()
    if path is not None and not numba.config.CACHE_DIR:
        numba.config.CACHE_DIR = path
    cache = path is not None and bool(numba.config.CACHE_DIR)
    # compiled here for the two table types (int32, int64 entries); C-contiguous arrays
    sigs = [f"int64({t}[:, :, ::1], int64[:, ::1], int64, int64, int64, int64[:, ::1])"
            for t in ("int32", "int64")]
    return numba.njit(sigs, cache=cache, nogil=True)(_gather_py)


def jit_available() -> bool:
    """Whether the compiled kernels can be used (numba importable)."""
    return gather_kernel() is not None


def gather_accumulate(slab: np.ndarray, x: np.ndarray, k0: int, xlo: int, c0: int,
                      out: np.ndarray) -> None:
    """``out[:, c0:c0+C] += Σ_k slab[k, x[:, k0 + k] − xlo, :]`` for the ``K`` positions of
    ``slab`` (K, activation codes, C), in place, int64. ``x`` and ``out`` C-contiguous int64.
    An activation code outside the table is an :class:`~axhdl.errors.InputError`."""
    kernel = gather_kernel()
    if kernel is None:
        raise RuntimeError("numba is not available")
    bad = kernel(slab, x, k0, xlo, c0, out)
    if bad:
        raise InputError(f"{bad} activation codes lie outside the product table's "
                         f"{slab.shape[1]} codes from {xlo}")
