"""Helpers shared by the logarithmic, segment-based and recoding multiplier families.

Golden-model side (numpy, on non-negative int64 arrays): :func:`bit_length`, the
characteristic/fraction split of Mitchell's logarithm (:func:`log_split`) and the segment
operations of DRUM / DSM (:func:`leading_segment`).

Hardware side (Amaranth): a priority-encoding leading-one detector
(:func:`leading_one_rtl`), a logarithmic barrel shifter (:func:`shift_left_rtl`), a
ripple-carry adder (:func:`add_rtl`), leading segments and their shifted product
(:func:`segment_rtl`, :func:`segment_product_rtl`) and an unsigned array multiplier built
from the shared partial-product code of :mod:`._pp` (:func:`array_product`), so that the
small exact multipliers inside segment designs have the same ripple-carry array
architecture as the ``exact:arch=array`` baseline they are compared with.

All of them are written so that Amaranth's Verilog passes ``verilator --lint-only -Wall``:
Amaranth hands ``+``, unary ``-``, ``==`` with a constant and variable ``<<`` to Verilog with
operands narrower than their results (Yosys trims constant-zero top bits), which Verilator
reports as WIDTHEXPAND; explicit full adders, multiplexer stages and AND-of-literals
comparisons avoid that.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, unsigned

from axhdl.hdl import leading_one

from ._pp import pp_terms, ripple_rows, term_rows

__all__ = [
    "bit_length",
    "log_split",
    "leading_segment",
    "leading_one_rtl",
    "array_product",
    "bits_value",
    "shift_left_rtl",
    "add_rtl",
    "segment_rtl",
    "segment_product_rtl",
]


# -- golden-model helpers ------------------------------------------------------------------


def bit_length(x, width: int) -> np.ndarray:
    """Number of significant bits of each non-negative ``x`` (0 for 0), ``x < 2**width``."""
    return leading_one(np.asarray(x, dtype=np.int64), width) + 1


def log_split(x, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mitchell's decomposition ``x = 2^k (1 + f / 2^k)`` of non-negative integers.

    Returns ``(k, f)``: the characteristic ``k`` (position of the leading one; 0 for ``x = 0``)
    and the integer ``f = x - 2^k`` whose value divided by ``2^k`` is the fraction
    (mantissa minus one) of Mitchell's binary logarithm ``log2 x ≈ k + f / 2^k``.
    ``x = 0`` gives ``(0, 0)``; callers detect zero separately.
    """
    x = np.asarray(x, dtype=np.int64)
    k = np.maximum(leading_one(x, width), 0)
    f = np.where(x > 0, x - (np.int64(1) << k), 0)
    return k, f


def leading_segment(x, width: int, seg: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``seg``-bit segment of ``x`` that starts at its leading one, and its shift.

    Returns ``(s, shift)`` with ``x = s·2^shift + (the bits below the segment)``; operands
    below ``2^seg`` are their own segment (``shift = 0``).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.maximum(bit_length(x, width) - seg, 0)
    return x >> shift, shift


# -- hardware helpers ----------------------------------------------------------------------


def leading_one_rtl(
    m: Module,
    x: Value,
    width: int,
    name: str,
    pos_bits: int | None = None,
    encode=None,
) -> tuple[Signal, Signal]:
    """A priority encoder: ``(encode(position of the most significant 1 of x), x != 0)``.

    ``encode`` maps a bit position to the value wanted for it (default: the position
    itself, e.g. ``lambda i: max(i - k + 1, 0)`` for a segment's shift); the result
    ``{name}_lod`` (``pos_bits`` wide, default just wide enough) is ``encode``'s value for
    position 0 when ``x`` is zero; ``{name}_nz`` flags non-zero.
    """
    encode = encode or (lambda i: i)
    values = [encode(i) for i in range(width)]
    need = max(max(values).bit_length(), 1)
    bits = need if pos_bits is None else pos_bits
    pos = Signal(unsigned(bits), name=f"{name}_lod")
    nz = Signal(name=f"{name}_nz")
    m.d.comb += nz.eq(x[:width].any())
    # a multiplexer chain in which the highest set bit wins (continuous assignments only)
    value: Value = Const(values[0], bits)
    for i in range(1, width):
        value = Mux(x[i], Const(values[i], bits), value)
    m.d.comb += pos.eq(value)
    return pos, nz


def shift_left_rtl(m: Module, x: Value, amount: Value, width: int, name: str) -> Signal:
    """``(x << amount) mod 2^width`` as a logarithmic barrel shifter (one 2:1 multiplexer
    stage per bit of ``amount``, named ``{name}_sh<i>``).

    Written out stage by stage rather than with Amaranth's variable ``<<``, whose Verilog
    widens the shifted operand implicitly (a Verilator WIDTHEXPAND warning).
    """
    stage = Signal(unsigned(width), name=f"{name}_sh")
    m.d.comb += stage.eq(x)
    for i in range(len(amount)):
        step = 1 << i
        nxt = Signal(unsigned(width), name=f"{name}_sh{i}")
        if step >= width:
            m.d.comb += nxt.eq(Mux(amount[i], 0, stage))
        else:
            m.d.comb += nxt.eq(Mux(amount[i], Cat(Const(0, step), stage[: width - step]), stage))
        stage = nxt
    return stage


def add_rtl(m: Module, x: Value, y: Value, width: int, name: str) -> Signal:
    """``(x + y) mod 2^width`` of unsigned values as an explicit ripple-carry adder.

    Written with the full adders of :func:`._pp.ripple_rows` rather than Amaranth's ``+``:
    Amaranth's Verilog hands operands of different widths to ``+`` unextended, which
    Verilator's -Wall reports (WIDTHEXPAND). The result signal is ``name``.
    """
    rows = [
        {i: x[i] for i in range(min(len(x), width))},
        {i: y[i] for i in range(min(len(y), width))},
    ]
    bits = ripple_rows(m, rows, width, prefix=name)
    out = Signal(unsigned(width), name=name)
    m.d.comb += out.eq(bits_value(bits))
    return out


def bits_value(bits: list) -> Value:
    """Concatenate a list of bits (None = constant 0), least significant first."""
    return Cat(*[Const(0, 1) if b is None else b for b in bits])


def array_product(m: Module, x: Value, y: Value, nx: int, ny: int, prefix: str) -> Signal:
    """An exact unsigned ``nx``×``ny`` ripple-carry array multiplier (``nx + ny`` bits)."""
    width = nx + ny
    rows = term_rows(pp_terms(nx, ny, False), x, y, width)
    bits = ripple_rows(m, rows, width, prefix=prefix)
    out = Signal(unsigned(width), name=f"{prefix}_prod")
    m.d.comb += out.eq(bits_value(bits))
    return out


def segment_rtl(
    m: Module, x: Value, width: int, seg: int, name: str, *, force_lsb: bool = False
) -> tuple[Value, Value]:
    """The ``seg``-bit segment of ``x`` starting at its leading one, and its shift.

    Operands below ``2^seg`` are their own segment (shift 0). With ``force_lsb`` the
    segment's least significant bit is set to 1 whenever bits were dropped below it
    (DRUM's unbiasing). Returns ``({name}_seg, {name}_shift)``.
    """
    if width <= seg:
        return x, Const(0, 1)
    shift, _ = leading_one_rtl(m, x, width, f"{name}", encode=lambda i: max(i - seg + 1, 0))
    shifted = Signal(unsigned(width), name=f"{name}_shifted")
    m.d.comb += shifted.eq(x >> shift)
    out = Signal(unsigned(seg), name=f"{name}_seg")
    if force_lsb:
        above = x[seg:width].any()
        m.d.comb += out.eq(Cat(shifted[0] | above, shifted[1:seg]))
    else:
        m.d.comb += out.eq(shifted[:seg])
    return out, shift


def segment_product_rtl(
    m: Module,
    seg_a: Value,
    shift_a: Value,
    seg_b: Value,
    shift_b: Value,
    width: int,
    name: str,
) -> Signal:
    """``(seg_a · seg_b) << (shift_a + shift_b)`` mod ``2^width``: an exact array multiplier
    of the segments followed by a barrel shifter."""
    prod = array_product(m, seg_a, seg_b, len(seg_a), len(seg_b), f"{name}_mul")
    bits = max(len(shift_a), len(shift_b)) + 1
    total = add_rtl(m, shift_a, shift_b, bits, f"{name}_shift")
    return shift_left_rtl(m, prod, total, width, f"{name}_out")
