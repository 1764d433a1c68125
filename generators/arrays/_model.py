"""The arithmetic shared by the MAC and systolic-array golden models (numpy only).

Every sum is computed as the hardware computes it: products from the multiplier unit's model,
each addition from the adder unit's model on ``acc_width``-bit operands (the running sum first,
the product second), the adder's ``acc_width + 1``-bit result wrapped back to ``acc_width``
bits (:func:`wrap`).

A systolic array's multipliers are one unit, or a ``rows × cols`` grid of units (a tuple of
tuples, one per processing element: a heterogeneous array); :func:`grid_products` applies
either. With ``cure`` (a ``carry_cut`` accumulator adder), the cut carry of each addition of a
chain enters the next addition at bit ``c`` (:func:`chain`). The control-variate correction
(:func:`cv_sum`, :func:`cv_correction`) is modular arithmetic on ``acc_width + 1`` bits, kept
free of int64 overflow at any width.
"""

from __future__ import annotations

import numpy as np

from axhdl.hdl import wrap

__all__ = ["as_int64", "wrap", "accumulate", "mac_fold", "chain", "grid_products", "ws_tile",
           "os_tile", "mul_mod", "cv_sum", "cv_correction"]


def as_int64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


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


def chain(add, acc_width: int, is_signed: bool, start, products, *, cure: bool = False):
    """``((start ⊕ products[0]) ⊕ products[1]) ⊕ …`` over a sequence of arrays (broadcast).

    ``cure``: the adder is a carry-cut adder (``add.c``, extra output ``cut``); the carry cut
    in each addition enters the next one at bit ``c`` (added to its running-sum operand, which
    modulo ``2^acc_width`` is a carry into the upper part); the first addition takes none and
    the last one's is lost."""
    acc = as_int64(start)
    carry = None
    for product in products:
        product = as_int64(product)
        if carry is not None:
            acc = wrap(acc + (carry << add.c), acc_width, is_signed)
        total = accumulate(add, acc_width, is_signed, acc, product)
        if cure:
            carry = as_int64(add.model_outputs(acc, product)["cut"])
        acc = total
    return acc


def grid_products(mul, x, w, *, trailing: int = 0) -> np.ndarray:
    """``mul(x, w)`` (broadcast), where ``mul`` is a unit or a rows × cols grid of units (a
    tuple of tuples) that applies to axes ``(-2 - trailing, -1 - trailing)`` of the result:
    element ``(…, r, c, …)`` is the product of the processing element ``(r, c)``."""
    if not isinstance(mul, tuple):
        return as_int64(mul.model(x, w))
    x, w = np.broadcast_arrays(as_int64(x), as_int64(w))
    out = np.zeros(x.shape, dtype=np.int64)
    units = [u for row in mul for u in row]
    for unit in dict.fromkeys(units):
        mask = np.array([[u == unit for u in row] for row in mul])
        mask = mask.reshape(mask.shape + (1,) * trailing)
        out = np.where(mask, as_int64(unit.model(x, w)), out)
    return out


def ws_tile(mul, add, acc_width: int, is_signed: bool, x, psum, w, *,
            cure: bool = False) -> np.ndarray:
    """A weight-stationary pass: ``y[..., c] = (((psum[c] ⊕ p_0c) ⊕ p_1c) … ⊕ p_(R-1)c)`` with
    ``p_rc = mul_rc(x[..., r], w[r, c])``, the partial sum flowing down column ``c`` from row
    0 (``cure``: the cut carries flow down with it, see :func:`chain`).

    ``x`` is (..., R), ``psum`` (..., C), ``w`` (R, C) or batched (..., R, C); ``mul`` a unit
    or an R × C grid of units."""
    x, w = as_int64(x), as_int64(w)
    products = grid_products(mul, x[..., :, None], w)  # (..., R, C)
    y = np.broadcast_to(as_int64(psum), products.shape[:-2] + products.shape[-1:])
    rows = [products[..., r, :] for r in range(products.shape[-2])]
    return chain(add, acc_width, is_signed, y, rows, cure=cure)


def os_tile(mul, add, acc_width: int, is_signed: bool, a, w, *,
            cure: bool = False) -> np.ndarray:
    """An output-stationary tile: ``C[..., r, c]`` = the MAC of row ``a[..., r, :]`` and column
    ``w[..., :, c]`` over K beats from a clear (``a`` is (..., R, K), ``w`` (..., K, C);
    ``mul`` a unit or an R × C grid of units; ``cure``: each PE's cut carry enters its own
    next accumulation step, see :func:`chain`)."""
    a, w = as_int64(a), as_int64(w)
    products = grid_products(mul, a[..., :, None, :], np.swapaxes(w, -1, -2)[..., None, :, :],
                             trailing=1)  # (..., R, C, K)
    beats = [products[..., k] for k in range(products.shape[-1])]
    return chain(add, acc_width, is_signed, np.zeros((), dtype=np.int64), beats, cure=cure)


def _mask(bits: int) -> int:
    return (1 << bits) - 1


def mul_mod(x, k: int, bits: int) -> np.ndarray:
    """``x · k`` modulo ``2^bits`` (as a non-negative number; ``bits`` ≤ 62, any int ``k``),
    by shifts and adds of ``x``'s low bits, so no intermediate value overflows int64."""
    x = as_int64(x) & _mask(bits)
    total = np.zeros(x.shape, dtype=np.int64)
    for i in range(abs(k).bit_length()):
        if abs(k) >> i & 1:
            total = (total + ((x & _mask(bits - i)) << i)) & _mask(bits)
    return (-total if k < 0 else total) & _mask(bits)


def cv_sum(x, scales, bits: int) -> np.ndarray:
    """``Σ_r x[..., r] · scales[r]`` modulo ``2^bits`` (the control-variate column)."""
    x = as_int64(x)
    total = np.zeros(x.shape[:-1], dtype=np.int64)
    for r, k in enumerate(scales):
        total = (total + mul_mod(x[..., r], k, bits)) & _mask(bits)
    return total


def cv_correction(u, scale: int, acc_width: int, is_signed: bool) -> np.ndarray:
    """The control-variate correction ``u · scale / 2`` rounded half to even, from ``u`` and
    computed modulo ``2^(acc_width + 1)`` as the circuit does, as an ``acc_width``-bit value.

    ``x = u·scale mod 2^(acc_width+1)``; ``x >> 1`` is ``floor(x/2)`` and adding
    ``x[0] & x[1]`` rounds the halves to even (modulo ``2^acc_width`` both only need ``x``
    modulo ``2^(acc_width+1)``)."""
    x = mul_mod(u, scale, acc_width + 1)
    return wrap((x >> 1) + (x & (x >> 1) & 1), acc_width, is_signed)
