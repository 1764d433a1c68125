"""The multiplier of a quantized layer: every product of activation and weight codes.

:class:`Products` turns a unit and a :class:`~axhdl.nn.quantize.Scheme` into the function
``(activation code, weight code) → product`` the integer engine sums:

- operand roles come from ``unit.weight_operand`` (b when the design is symmetric): the weight
  code goes to that port, the activation code to the other;
- ``signed`` and ``zeropoint`` schemes pass the codes to the unit as they are (operand values);
  ``signmag`` passes the magnitudes and applies the product of the signs after;
- units with at most 16 operand bits in all are used through their table
  (:func:`axhdl.lut.lut`, re-indexed by activation and weight code: a gather per product,
  summed by a compiled kernel, :mod:`axhdl.nn.kernels`, or by numpy where numba is
  missing); wider ones through ``unit.model`` on the operand arrays (chunked);
- a table whose error ε = P − x·w has rank r at most :data:`MAX_RANK` (truncation-like
  designs, perforation: rank 1–9 at 8×8) is summed in BLAS instead of gathered where r is
  small against the layer's output channels (:meth:`Products.route`): the exact products'
  matrix product plus
  ``Σ_k U[x_k] · V[w_k]`` over the rank-r factors of ε, rounded to the nearest integer —
  used only where a bound on the float error (the factors' reconstruction error and the
  matrix product's rounding) is below 1/4, so the sum is still bit-exact.

:class:`ExactProducts` is the exact multiplier of the same scheme (a matrix product).
Neither ever builds a circuit: units are used through their golden models only.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..lut import lut
from .quantize import Scheme, roles

__all__ = ["Products", "ExactProducts", "MAX_TABLE_BITS", "MAX_RANK", "CHUNK", "SLAB", "JIT",
           "LOW_RANK_RATIO", "ROUTES"]

#: units with at most this many operand bits in all are used through their table
MAX_TABLE_BITS = 16

#: elements of the temporary arrays of one accumulation step (bounds memory)
CHUNK = 1 << 21

#: error tables of at most this rank are summed through BLAS (low-rank path)
MAX_RANK = 16

#: table entries of one block of the compiled gather (positions × codes × channels; ~1 MB)
SLAB = 1 << 18

#: the ways a layer's products are summed (:meth:`Products.route`)
ROUTES = ("low-rank", "kernel", "gather", "model")

#: with the compiled kernel, the low-rank path is taken where the output channels are at
#: least this many times (rank + 1): the BLAS route costs about rank + 1 matrix products
LOW_RANK_RATIO = 16

#: use the compiled gather kernel where numba is available (False: the numpy gather)
JIT = True


def _kernel_available() -> bool:
    from .kernels import jit_available

    return jit_available()


class ExactProducts:
    """Exact products ``x · w`` of the scheme's codes."""

    exact = True
    unit = None

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        (self.xlo, self.xhi), (self.wlo, self.whi) = scheme.product_domain()

    @property
    def spec(self) -> str:
        return "exact"

    def products(self, x, w) -> np.ndarray:
        return np.asarray(x, dtype=np.int64) * np.asarray(w, dtype=np.int64)

    def accumulate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``Σ_k x[m, k] · w[k, c]`` as int64 (M, C)."""
        k = x.shape[1]
        peak = max(abs(self.xlo), abs(self.xhi)) * max(abs(self.wlo), abs(self.whi))
        if k * peak < 1 << 52:  # BLAS in float64 is exact here
            return np.rint(x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
        return x.astype(np.int64) @ w.astype(np.int64)


class Products(ExactProducts):
    """Products through ``unit`` (its table up to :data:`MAX_TABLE_BITS` operand bits, its
    model beyond), coded by ``scheme``."""

    exact = False

    def __init__(self, unit, scheme: Scheme | None = None):
        scheme = scheme or Scheme.for_unit(unit)
        super().__init__(scheme)
        self.unit = unit
        self.act_operand, self.weight_operand = roles(unit)
        self.table: np.ndarray | None = None
        self._factors: tuple[np.ndarray, np.ndarray, float, float] | None = None
        self._table_small: np.ndarray | None = None  # the table as int32 where it fits
        if unit.a_width + unit.b_width <= MAX_TABLE_BITS:
            self.table = self._build_table()
            self._factors = self._low_rank()

    @property
    def spec(self) -> str:
        return self.unit.spec

    @property
    def path(self) -> str:
        """``table`` or ``model``: how products are computed."""
        return "table" if self.table is not None else "model"

    def _build_table(self) -> np.ndarray:
        """E[x − xlo, w − wlo] for every activation code x and weight code w."""
        t = lut(self.unit)
        if self.act_operand == "b":
            t = t.T  # [activation code, weight code]
        x = np.arange(self.xlo, self.xhi + 1, dtype=np.int64)
        w = np.arange(self.wlo, self.whi + 1, dtype=np.int64)
        na, nw = self.scheme.act_bits, self.scheme.weight_bits
        if self.scheme.name == "signmag":
            sign = np.sign(x)[:, None] * np.sign(w)[None, :]
            return np.ascontiguousarray(sign * t[np.abs(x)][:, np.abs(w)])
        cx = x & ((1 << na) - 1)
        cw = w & ((1 << nw) - 1)
        return np.ascontiguousarray(t[cx][:, cw])

    @property
    def rank(self) -> int | None:
        """Rank of the error table where the low-rank path is used, else None."""
        return None if self._factors is None else self._factors[0].shape[1]

    def _low_rank(self):
        """Factors ``U`` (codes × r), ``V`` (weights × r) of the error table with r ≤
        :data:`MAX_RANK`, the largest reconstruction error and the largest
        ``Σ_r |U[x, r]|·|V[w, r]|``; None where the rank is higher."""
        e = self.error_table().astype(np.float64)
        u, s, vt = np.linalg.svd(e, full_matrices=False)
        r = int((s > 1e-9 * s[0]).sum()) if s.size and s[0] > 0 else 0
        if r > MAX_RANK:
            return None
        uf = np.ascontiguousarray(u[:, :r] * s[:r])
        vf = np.ascontiguousarray(vt[:r].T)
        mag = float((np.abs(uf) @ np.abs(vf).T).max()) if r else 0.0
        delta = float(np.abs(e - uf @ vf.T).max()) + 2 * r * np.finfo(float).eps * mag
        return uf, vf, delta, mag

    def _low_rank_ok(self, k: int) -> bool:
        """Whether the float error of a k-term low-rank sum is provably below 1/4."""
        if self._factors is None:
            return False
        uf, _, delta, mag = self._factors
        n = k * uf.shape[1] + 2
        gamma = n * np.finfo(float).eps / (1 - n * np.finfo(float).eps)
        return k * delta + gamma * k * mag < 0.25

    def route(self, k: int, c: int) -> str:
        """How a layer of ``k`` products per output and ``c`` output channels is summed:
        ``low-rank`` (BLAS, where the error table's rank r is small against c: r = 0, or
        c ≥ :data:`LOW_RANK_RATIO`·(r + 1) with the compiled kernel, r < c without it),
        ``kernel`` (the compiled gather), ``gather`` (numpy, where numba is missing) or
        ``model`` (the unit's model, units wider than a table)."""
        if self.table is None:
            return "model"
        jit = JIT and _kernel_available()
        if self._low_rank_ok(k):
            r = self.rank
            if r == 0 or (c >= LOW_RANK_RATIO * (r + 1) if jit else r < c):
                return "low-rank"
        return "kernel" if jit else "gather"

    def products(self, x, w) -> np.ndarray:
        """The unit's product of activation codes ``x`` and weight codes ``w`` (broadcast)."""
        x = np.asarray(x, dtype=np.int64)
        w = np.asarray(w, dtype=np.int64)
        if self.table is not None:
            return self.table[x - self.xlo, w - self.wlo]
        if self.scheme.name == "signmag":
            return np.sign(x) * np.sign(w) * self._model(np.abs(x), np.abs(w))
        return self._model(x, w)

    def _model(self, x, w) -> np.ndarray:
        if self.act_operand == "a":
            out = self.unit.model(x, w)
        else:
            out = self.unit.model(w, x)
        return np.asarray(out, dtype=np.int64)

    def accumulate(self, x: np.ndarray, w: np.ndarray, route: str | None = None) -> np.ndarray:
        """``Σ_k P(x[m, k], w[k, c])`` as int64 (M, C), P the unit's product; by
        :meth:`route` unless ``route`` names one (all give the same sums)."""
        m, k = x.shape
        c = w.shape[1]
        out = np.zeros((m, c), dtype=np.int64)
        if m == 0 or k == 0 or c == 0:
            return out
        route = route or self.route(k, c)
        if route not in ROUTES or (route != "model" and self.table is None) or (
                route == "low-rank" and not self._low_rank_ok(k)) or (
                route == "kernel" and not _kernel_available()):
            raise ValueError(f"route {route!r} is not available for {self.spec} with {k} "
                             f"products per output")
        if route == "low-rank":
            # exact products (BLAS) + the error's rank-r part (BLAS), rounded: bit-exact;
            # r gathered values per activation instead of c
            uf, vf, _, _ = self._factors
            r = uf.shape[1]
            out = super().accumulate(x, w)
            if r == 0:
                return out
            wf = vf[w - self.wlo].transpose(0, 2, 1).reshape(k * r, c)
            xi = x - self.xlo
            mb = max(1, CHUNK // (4 * k * r))  # blocks that stay in cache
            for m0 in range(0, m, mb):
                xf = np.take(uf, xi[m0:m0 + mb], axis=0).reshape(-1, k * r)
                out[m0:m0 + mb] += np.rint(xf @ wf).astype(np.int64)
            return out
        if route == "kernel":
            self._gather(x, w, out)
            return out
        if route == "gather":
            a = self.table.shape[0]
            kb = max(1, min(k, CHUNK // (a * c)))
            xi = x - self.xlo
            wi = w - self.wlo
            for k0 in range(0, k, kb):
                k1 = min(k, k0 + kb)
                # rows [k, activation index] of the table columns this block's weights use
                slab = self.table[:, wi[k0:k1]].transpose(1, 0, 2).reshape(-1, c)
                offs = np.arange(k1 - k0, dtype=np.int64) * a
                mb = max(1, CHUNK // ((k1 - k0) * c))
                for m0 in range(0, m, mb):
                    idx = xi[m0:m0 + mb, k0:k1] + offs
                    out[m0:m0 + mb] += np.take(slab, idx, axis=0).sum(axis=1)
            return out
        kb = max(1, min(k, CHUNK // max(1, c * min(m, 4096))))
        for k0 in range(0, k, kb):
            k1 = min(k, k0 + kb)
            mb = max(1, CHUNK // ((k1 - k0) * c))
            for m0 in range(0, m, mb):
                p = self.products(x[m0:m0 + mb, k0:k1, None], w[None, k0:k1, :])
                out[m0:m0 + mb] += p.sum(axis=1)
        return out

    def _gather(self, x: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
        """``out += Σ_k table[x[:, k], w[k, :]]`` by the compiled kernel, in blocks of
        positions and channels of at most :data:`SLAB` table entries."""
        from .kernels import gather_accumulate

        if self._table_small is None:
            t = self.table
            small = t.size and -(1 << 31) <= t.min() and t.max() < (1 << 31)
            self._table_small = np.ascontiguousarray(t, dtype=np.int32 if small else np.int64)
        table = self._table_small
        k, c = w.shape
        a = table.shape[0]
        x = np.ascontiguousarray(x, dtype=np.int64)
        wi = w - self.wlo
        if wi.size and (wi.min() < 0 or wi.max() >= table.shape[1]):
            raise InputError(f"weight codes outside the product table's {table.shape[1]} "
                             f"codes from {self.wlo}")
        cb = max(1, min(c, SLAB // a))
        kb = max(1, min(k, SLAB // (a * cb)))
        for c0 in range(0, c, cb):
            for k0 in range(0, k, kb):
                # slab[k, activation index, channel]: the table columns of these weights
                slab = np.ascontiguousarray(
                    table[:, wi[k0:k0 + kb, c0:c0 + cb]].transpose(1, 0, 2))
                gather_accumulate(slab, x, k0, self.xlo, c0, out)
                del slab  # at most two slabs (the gathered columns and their copy) at once

    def error_table(self) -> np.ndarray:
        """ε[x − xlo, w − wlo] = P(x, w) − x·w over the product domain (table units only)."""
        if self.table is None:
            raise InputError(
                f"{self.unit.spec}: {self.unit.a_width}+{self.unit.b_width} operand bits are "
                f"more than the {MAX_TABLE_BITS} a product table is built for"
            )
        x = np.arange(self.xlo, self.xhi + 1, dtype=np.int64)
        w = np.arange(self.wlo, self.whi + 1, dtype=np.int64)
        return self.table - x[:, None] * w[None, :]
