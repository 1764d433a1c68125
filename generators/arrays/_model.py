"""The arithmetic shared by the MAC and systolic-array golden models (numpy only).

Every sum is computed as the hardware computes it: products from the multiplier unit's model,
each addition from the adder unit's model on ``acc_width``-bit operands (the running sum first,
the product second), the adder's ``acc_width + 1``-bit result wrapped back to ``acc_width``
bits (:func:`wrap`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_int64", "wrap", "accumulate", "mac_fold", "ws_tile", "os_tile"]


def as_int64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def wrap(x, width: int, is_signed: bool) -> np.ndarray:
    """``x`` modulo ``2^width``, read as a ``width``-bit value (two's complement if signed)."""
    x = as_int64(x) & ((1 << width) - 1)
    if is_signed:
        return x - ((x >> (width - 1)) & 1) * (1 << width)
    return x


def accumulate(add, acc_width: int, is_signed: bool, acc, product) -> np.ndarray:
    """One accumulation step: ``acc ⊕ product`` by the adder unit ``add``, wrapped to
    ``acc_width`` bits."""
    return wrap(add.model(acc, product), acc_width, is_signed)


def mac_fold(mul, add, acc_width: int, is_signed: bool, a, b) -> np.ndarray:
    """The accumulator after one enabled cycle per element of the last axis, starting from a
    clear: ``((0 ⊕ p_0) ⊕ p_1) ⊕ …`` with ``p_k = mul(a[..., k], b[..., k])``."""
    a, b = np.broadcast_arrays(as_int64(a), as_int64(b))
    products = as_int64(mul.model(a, b))
    acc = np.zeros(products.shape[:-1], dtype=np.int64)
    for k in range(products.shape[-1]):
        acc = accumulate(add, acc_width, is_signed, acc, products[..., k])
    return acc


def ws_tile(mul, add, acc_width: int, is_signed: bool, x, psum, w) -> np.ndarray:
    """A weight-stationary pass: ``y[..., c] = (((psum[c] ⊕ p_0c) ⊕ p_1c) … ⊕ p_(R-1)c)`` with
    ``p_rc = mul(x[..., r], w[r, c])``, the partial sum flowing down column ``c`` from row 0.

    ``x`` is (..., R), ``psum`` (..., C), ``w`` (R, C) or batched (..., R, C)."""
    x, w = as_int64(x), as_int64(w)
    products = as_int64(mul.model(x[..., :, None], w))  # (..., R, C)
    y = np.broadcast_to(as_int64(psum), products.shape[:-2] + products.shape[-1:])
    for r in range(products.shape[-2]):
        y = accumulate(add, acc_width, is_signed, y, products[..., r, :])
    return y


def os_tile(mul, add, acc_width: int, is_signed: bool, a, w) -> np.ndarray:
    """An output-stationary tile: ``C[..., r, c]`` = the MAC of row ``a[..., r, :]`` and column
    ``w[..., :, c]`` over K beats from a clear (``a`` is (..., R, K), ``w`` (..., K, C))."""
    a, w = as_int64(a), as_int64(w)
    return mac_fold(mul, add, acc_width, is_signed, a[..., :, None, :],
                    np.swapaxes(w, -1, -2)[..., None, :, :])
