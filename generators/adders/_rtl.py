"""The hardware side of the adders: every Amaranth builder the adder families share.

Imported only inside a family's ``rtl``, when a circuit is built, so a unit built for its
model never imports Amaranth.

Operands are handled as lists of one-bit values, least significant first, with ``None`` for a
constant 0 (:func:`extended_bits`): ``width`` code bits plus the extension position
``width``, which holds the sign bit again for signed operands and 0 for unsigned ones, so the
``width + 1``-bit result of every adder is the sum bit of that position. Sum and carry logic
is written out gate by gate (full adders, generate/propagate cells) with readable signal names;
this keeps the Verilog free of Verilator -Wall width warnings, which Amaranth's ``+`` of
narrower operands raises (WIDTHEXPAND).

* :func:`full_add`, :func:`ripple`: full adders and a ripple-carry chain;
* :func:`generate_propagate`, :func:`kogge_stone`, :func:`brent_kung`: parallel-prefix carry
  networks (Kogge and Stone 1973, Brent and Kung 1982);
* :func:`window_carries`: carries each computed from a fixed window of lower bits (the
  almost-correct adder), on the first levels of a Kogge-Stone network;
* :func:`extended_bits`, :func:`sum_bits`, :func:`bits_to_value`: operands in, result out.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal, Value

__all__ = [
    "extended_bits",
    "gate",
    "full_add",
    "ripple",
    "generate_propagate",
    "kogge_stone",
    "kogge_stone_levels",
    "brent_kung",
    "window_carries",
    "sum_bits",
    "bits_to_value",
]

#: one bit of a datapath: an Amaranth value, or None for a constant 0
Bit = Value | None


def extended_bits(x: Value, width: int, is_signed: bool) -> list[Bit]:
    """The ``width`` bits of operand ``x`` and its extension position ``width`` (the sign
    bit again when signed, constant 0 otherwise)."""
    return [x[i] for i in range(width)] + [x[width - 1] if is_signed else None]


def gate(m: Module, op: str, x: Bit, y: Bit, name: str) -> Bit:
    """``x & y``, ``x | y`` or ``x ^ y`` in a signal named ``name`` (constants folded)."""
    if op == "&":
        if x is None or y is None:
            return None
    elif x is None or y is None:
        return y if x is None else x
    s = Signal(name=name)
    m.d.comb += s.eq({"&": x & y, "|": x | y, "^": x ^ y}[op])
    return s


def full_add(m: Module, x: Bit, y: Bit, c: Bit, name: str) -> tuple[Bit, Bit]:
    """A full adder (a half adder, or a wire, when inputs are constant 0): (sum, carry),
    named ``{name}_s`` and ``{name}_c``."""
    ins = [v for v in (x, y, c) if v is not None]
    if len(ins) <= 1:
        return (ins[0] if ins else None), None
    s = Signal(name=f"{name}_s")
    co = Signal(name=f"{name}_c")
    if len(ins) == 2:
        u, v = ins
        m.d.comb += [s.eq(u ^ v), co.eq(u & v)]
    else:
        u, v, w = ins
        m.d.comb += [s.eq(u ^ v ^ w), co.eq((u & v) | (u & w) | (v & w))]
    return s, co


def ripple(m: Module, xs: list[Bit], ys: list[Bit], name: str,
           cin: Bit = None) -> tuple[list[Bit], Bit]:
    """A ripple-carry adder of the bit lists ``xs`` and ``ys`` (equal lengths) with carry-in
    ``cin``: (sum bits, carry out). Cell ``i`` is named ``{name}{i}``."""
    sums: list[Bit] = []
    carry = cin
    for i, (x, y) in enumerate(zip(xs, ys)):
        s, carry = full_add(m, x, y, carry, f"{name}{i}")
        sums.append(s)
    return sums, carry


def generate_propagate(m: Module, xs: list[Bit], ys: list[Bit],
                       name: str) -> tuple[list[Bit], list[Bit]]:
    """Per-bit generate ``x & y`` and propagate ``x ^ y`` signals ``{name}_g{i}``,
    ``{name}_p{i}``."""
    g = [gate(m, "&", x, y, f"{name}_g{i}") for i, (x, y) in enumerate(zip(xs, ys))]
    p = [gate(m, "^", x, y, f"{name}_p{i}") for i, (x, y) in enumerate(zip(xs, ys))]
    return g, p


def _combine_g(m: Module, g_hi: Bit, p_hi: Bit, g_lo: Bit, name: str) -> Bit:
    """The generate of a span from its upper part (g_hi, p_hi) and its lower part's g_lo."""
    return gate(m, "|", g_hi, gate(m, "&", p_hi, g_lo, f"{name}_t"), f"{name}_g")


def kogge_stone_levels(m: Module, g: list[Bit], p: list[Bit], name: str,
                       levels: int | None = None) -> list[tuple[list[Bit], list[Bit]]]:
    """The levels of a Kogge-Stone network: entry ``t`` holds, at position ``i``, the
    generate and propagate of the span ``max(0, i - 2^t + 1) .. i`` (level 0 is ``g``, ``p``).
    ``levels`` stops early (default: until every span reaches bit 0). A propagate whose span
    already reaches bit 0 is never needed and not built (left as the previous level's)."""
    n = len(g)
    out = [(list(g), list(p))]
    t, d = 0, 1
    while d < n and (levels is None or t < levels):
        G, P = out[-1]
        nG, nP = list(G), list(P)
        for i in range(d, n):
            nG[i] = _combine_g(m, G[i], P[i], G[i - d], f"{name}{t + 1}_{i}")
            if i >= 2 * d:
                nP[i] = gate(m, "&", P[i], P[i - d], f"{name}{t + 1}_{i}_p")
        out.append((nG, nP))
        t, d = t + 1, 2 * d
    return out


def kogge_stone(m: Module, g: list[Bit], p: list[Bit], name: str) -> list[Bit]:
    """Carries ``c[0..n]`` (``c[i]`` into bit ``i``; ``c[0]`` = 0) of a Kogge-Stone
    parallel-prefix network on generate/propagate ``g``, ``p`` of ``n`` bits."""
    G, _ = kogge_stone_levels(m, g, p, name)[-1]
    return [None, *G]


def brent_kung(m: Module, g: list[Bit], p: list[Bit], name: str) -> list[Bit]:
    """Carries ``c[0..n]`` of a Brent-Kung parallel-prefix network: an up-sweep building the
    prefixes at positions ``2^t - 1`` and spans of ``2^t`` bits below them, then a down-sweep
    filling the positions in between."""
    n = len(g)
    G, P = list(g), list(p)
    d = 1
    while d < n:  # up-sweep: position i gathers the span of 2d bits ending at it
        for i in range(2 * d - 1, n, 2 * d):
            G[i] = _combine_g(m, G[i], P[i], G[i - d], f"{name}u{d}_{i}")
            if i > 2 * d - 1:
                P[i] = gate(m, "&", P[i], P[i - d], f"{name}u{d}_{i}_p")
        d *= 2
    d //= 2
    while d >= 1:  # down-sweep: i = 3d-1, 5d-1, ... joins the full prefix ending at i - d
        for i in range(3 * d - 1, n, 2 * d):
            G[i] = _combine_g(m, G[i], P[i], G[i - d], f"{name}d{d}_{i}")
        d //= 2
    return [None, *G]


def window_carries(m: Module, g: list[Bit], p: list[Bit], k: int, name: str) -> list[Bit]:
    """Carries ``c[0..n]`` in which ``c[i]`` is the carry out of bits ``max(0, i - k)`` ..
    ``i - 1`` alone (carry-in 0 below them): the almost-correct adder's speculative carries.

    The first ``floor(log2 k)`` levels of a Kogge-Stone network give the spans of ``2^t``
    bits; each window is composed of the spans of the binary digits of ``k``."""
    n = len(g)
    levels = kogge_stone_levels(m, g, p, name, levels=max(k.bit_length() - 1, 0))
    carries: list[Bit] = [None]
    for i in range(1, n + 1):
        pos, parts = i - 1, []
        for t in reversed(range(k.bit_length())):
            if (k >> t) & 1 and pos >= 0:
                G, P = levels[t]
                parts.append((G[pos], P[pos]))
                pos -= 1 << t
        acc = parts[-1][0]
        for j, (g_hi, p_hi) in enumerate(reversed(parts[:-1])):
            acc = _combine_g(m, g_hi, p_hi, acc, f"{name}w{i}_{j}")
        carries.append(acc)
    return carries


def sum_bits(m: Module, p: list[Bit], carries: list[Bit], name: str) -> list[Bit]:
    """Sum bits ``p[i] ^ c[i]``, named ``{name}{i}``."""
    return [gate(m, "^", pi, ci, f"{name}{i}") for i, (pi, ci) in enumerate(zip(p, carries))]


def bits_to_value(bits: list[Bit]) -> Value:
    """Concatenate a list of bits (None = constant 0), least significant first."""
    return Cat(*[Const(0, 1) if b is None else b for b in bits])
