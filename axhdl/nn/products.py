"""The multiplier of a quantized layer: every product of activation and weight codes.

:class:`Products` turns a unit and a :class:`~axhdl.nn.quantize.Scheme` into the function
``(activation code, weight code) → product`` the integer engine sums:

- operand roles come from ``unit.weight_operand`` (b when the design is symmetric): the weight
  code goes to that port, the activation code to the other;
- ``signed`` and ``zeropoint`` schemes pass the codes to the unit as they are (operand values);
  ``signmag`` passes the magnitudes and applies the product of the signs after;
- units with at most 16 operand bits in all are used through their table
  (:func:`axhdl.lut.lut`, re-indexed by activation and weight code: a gather per product);
  wider ones through ``unit.model`` on the operand arrays (chunked).

:class:`ExactProducts` is the exact multiplier of the same scheme (a matrix product).
Neither ever builds a circuit: units are used through their golden models only.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..lut import lut
from .quantize import Scheme, roles

__all__ = ["Products", "ExactProducts", "MAX_TABLE_BITS", "CHUNK"]

#: units with at most this many operand bits in all are used through their table
MAX_TABLE_BITS = 16

#: elements of the temporary arrays of one accumulation step (bounds memory)
CHUNK = 1 << 21


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
        if unit.a_width + unit.b_width <= MAX_TABLE_BITS:
            self.table = self._build_table()

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

    def accumulate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``Σ_k P(x[m, k], w[k, c])`` as int64 (M, C), P the unit's product."""
        m, k = x.shape
        c = w.shape[1]
        out = np.zeros((m, c), dtype=np.int64)
        if m == 0 or k == 0 or c == 0:
            return out
        if self.table is not None:
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
                    out[m0:m0 + mb] += slab[idx].sum(axis=1)
            return out
        kb = max(1, min(k, CHUNK // max(1, c * min(m, 4096))))
        for k0 in range(0, k, kb):
            k1 = min(k, k0 + kb)
            mb = max(1, CHUNK // ((k1 - k0) * c))
            for m0 in range(0, m, mb):
                p = self.products(x[m0:m0 + mb, k0:k1, None], w[None, k0:k1, :])
                out[m0:m0 + mb] += p.sum(axis=1)
        return out

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
