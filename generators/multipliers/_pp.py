"""Partial-product bit matrices (unsigned and Baugh–Wooley signed) and their reduction.

A multiplier's partial products are a list of :class:`PPBit` terms, each of weight ``2**w``:
``a_i & b_j``, its complement ``~(a_i & b_j)``, or the constant 1. The term list is the
arithmetic definition that array-style families (truncated, perforated, broken-array, tree
multipliers) modify; :func:`pp_value` evaluates a set of terms on operand values with numpy
(golden models). Their hardware (:func:`._rtl.pp_rtl` for a term's bit, :func:`._rtl.term_rows`
and :func:`._rtl.ripple_rows` for the array that sums them) is in :mod:`._rtl`; this module
needs numpy only.

Signed operands use the modified Baugh–Wooley form (Baugh and Wooley, IEEE TC 1973; the form
of Hatamian and Cash): for an n×m product,

    p = Σ_{i<n-1, j<m-1} a_i b_j 2^(i+j) + a_{n-1} b_{m-1} 2^(n+m-2)
      + Σ_{i<n-1} ~(a_i b_{m-1}) 2^(i+m-1) + Σ_{j<m-1} ~(a_{n-1} b_j) 2^(j+n-1)
      + 2^(n-1) + 2^(m-1) + 2^(n+m-1)          (mod 2^(n+m))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from axhdl.hdl import wrap

__all__ = [
    "PPBit",
    "pp_terms",
    "pp_value",
    "expected_value",
    "wrap",
    "kept_pair_terms",
    "pair_polynomial",
    "terms_polynomial",
]


@dataclass(frozen=True)
class PPBit:
    """One partial-product bit: ``kind`` is ``"and"``, ``"nand"`` or ``"one"``."""

    weight: int
    kind: str
    i: int = -1  # bit of a
    j: int = -1  # bit of b (the row)


def pp_terms(na: int, nb: int, signed: bool) -> list[PPBit]:
    """Every partial-product bit of an ``na``×``nb`` multiplier, row by row (row = bit of b)."""
    terms: list[PPBit] = []
    if not signed:
        for j in range(nb):
            for i in range(na):
                terms.append(PPBit(i + j, "and", i, j))
        return terms
    for j in range(nb):
        for i in range(na):
            top_a, top_b = i == na - 1, j == nb - 1
            kind = "nand" if top_a != top_b else "and"
            terms.append(PPBit(i + j, kind, i, j))
    for w in (na - 1, nb - 1, na + nb - 1):
        terms.append(PPBit(w, "one"))
    return terms


def pp_value(terms, a, b, na: int, nb: int) -> np.ndarray:
    """Σ term·2^weight for operand values ``a``, ``b`` (not reduced modulo anything).

    Terms are grouped by row: the ``and`` terms of row j sum to b_j·((a & M_j)·2^j) and the
    ``nand`` terms to Σ2^(i+j) − b_j·((a & N_j)·2^j), with M_j, N_j the masks of their a-bits,
    so the cost is one vector operation per row instead of one per bit.
    """
    a = np.asarray(a, dtype=np.int64) & ((1 << na) - 1)
    b = np.asarray(b, dtype=np.int64) & ((1 << nb) - 1)
    and_mask: dict[int, int] = {}
    nand_mask: dict[int, int] = {}
    constant = 0
    for t in terms:
        if t.kind == "one":
            constant += 1 << t.weight
        elif t.kind == "and":
            and_mask[t.j] = and_mask.get(t.j, 0) | (1 << t.i)
        else:
            nand_mask[t.j] = nand_mask.get(t.j, 0) | (1 << t.i)
            constant += 1 << t.weight
    total = np.full(np.broadcast_shapes(a.shape, b.shape), constant, dtype=np.int64)
    for j in sorted(set(and_mask) | set(nand_mask)):
        bj = (b >> j) & 1
        row = ((a & and_mask.get(j, 0)) - (a & nand_mask.get(j, 0))) << j
        total += bj * row
    return total


def expected_value(terms, signed: bool) -> float:
    """E[Σ term·2^weight] for independent, uniformly distributed operand bits."""
    p = {"and": 0.25, "nand": 0.75, "one": 1.0}
    return float(sum(p[t.kind] * (1 << t.weight) for t in terms))


def kept_pair_terms(na: int, nb: int, signed: bool, keep) -> list[PPBit]:
    """The terms of Σ s_ij·a_i·b_j·2^(i+j) over the operand-bit pairs ``(i, j)`` for which
    ``keep(i, j)`` is true, modulo 2^(na+nb).

    ``s_ij`` is the two's-complement sign of the pair: −1 when exactly one of ``a_i``, ``b_j``
    is a sign bit (signed operands), else +1. Kept pairs appear as their Baugh–Wooley bits;
    since ``~(a_i b_j) = 1 − a_i b_j``, each complemented bit owes −2^w, and the sum of those
    debts is returned as constant ``"one"`` terms. Keeping every pair gives the exact product.
    (Added for the perforated, broken-array and operand-truncation families.)
    """
    width = na + nb
    terms = [t for t in pp_terms(na, nb, signed) if t.kind != "one" and keep(t.i, t.j)]
    constant = -sum(1 << t.weight for t in terms if t.kind == "nand") % (1 << width)
    return terms + [PPBit(w, "one") for w in range(width) if (constant >> w) & 1]


def pair_polynomial(na: int, nb: int, signed: bool, keep) -> dict[tuple, int]:
    """Σ s_ij·2^(i+j)·a_i·b_j over the pairs with ``keep(i, j)``, written from the definition
    (s_ij = −1 when exactly one of a_i, b_j is a two's-complement sign bit): the polynomial
    form of :func:`kept_pair_terms`, without its Baugh–Wooley encoding."""
    poly: dict[tuple, int] = {}
    for i in range(na):
        for j in range(nb):
            if keep(i, j):
                sign = -1 if signed and ((i == na - 1) != (j == nb - 1)) else 1
                poly[(("a", i), ("b", j))] = sign << (i + j)
    return poly


def terms_polynomial(terms, constant: int = 0) -> dict[tuple, int]:
    """Σ term·2^weight as a polynomial over the operand bits (``~(a_i b_j) = 1 − a_i b_j``)."""
    poly: dict[tuple, int] = {}

    def add(key: tuple, value: int) -> None:
        poly[key] = poly.get(key, 0) + value
        if not poly[key]:
            del poly[key]

    if constant:
        add((), constant)
    for t in terms:
        if t.kind == "one":
            add((), 1 << t.weight)
        elif t.kind == "and":
            add((("a", t.i), ("b", t.j)), 1 << t.weight)
        else:  # nand
            add((), 1 << t.weight)
            add((("a", t.i), ("b", t.j)), -(1 << t.weight))
    return poly

