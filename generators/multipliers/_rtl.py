"""The hardware side of the multiplier helpers: every Amaranth builder shared by families.

The arithmetic definitions live with the golden models, in modules that need numpy only
(:mod:`._pp`, :mod:`._log`, :mod:`._trees`, :mod:`._signmag`, :mod:`.mitchell`); this module
builds the same definitions as circuits. It is the one helper module that imports Amaranth,
and it is imported only inside a family's ``rtl``/``core_rtl``, when a circuit is built, so a
unit built only for its model never imports Amaranth.

* Partial products (:mod:`._pp`): the bit of a term (:func:`pp_rtl`), full adders
  (:func:`full_add`), the ripple-carry array (:func:`ripple_rows`), rows of terms
  (:func:`term_rows`, :func:`constant_row`) and result bits to a value
  (:func:`bits_to_value`).
* Logarithmic, segment and recoding datapaths (:mod:`._log`): a priority-encoding leading-one
  detector (:func:`leading_one_rtl`), a logarithmic barrel shifter (:func:`shift_left_rtl`), a
  ripple-carry adder (:func:`add_rtl`), a comparison with a constant
  (:func:`matches_rtl`), leading segments and their shifted product (:func:`segment_rtl`,
  :func:`segment_product_rtl`) and an unsigned array multiplier (:func:`array_product`), so
  that the small exact multipliers inside segment designs have the same ripple-carry array
  architecture as the ``exact:arch=array`` baseline they are compared with.
* Reduction trees (:mod:`._trees`): one cell of a plan (:func:`cell_rtl`), a whole plan
  (:func:`plan_rtl`) and its leaves (:func:`term_columns_rtl`, :func:`booth_columns_rtl`).
* The sign-magnitude wrapper (:mod:`._signmag`): :func:`signmag_rtl`.
* Mitchell's logarithmic product (:mod:`.mitchell`, :mod:`.mbm`): :func:`log_product_rtl`.

All of them are written so that Amaranth's Verilog passes ``verilator --lint-only -Wall``:
Amaranth hands ``+``, unary ``-``, ``==`` with a constant and variable ``<<`` to Verilog with
operands narrower than their results (Yosys trims constant-zero top bits), which Verilator
reports as WIDTHEXPAND; explicit full adders, multiplexer stages and AND-of-literals
comparisons avoid that.
"""

from __future__ import annotations

from collections.abc import Callable

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, unsigned

from ._pp import PPBit, pp_terms
from ._trees import CELL_KINDS, Cell, Plan, booth_digit_count
from .mitchell import fraction_bits

__all__ = [
    "pp_rtl",
    "full_add",
    "ripple_rows",
    "tree_rows",
    "constant_row",
    "term_rows",
    "bits_to_value",
    "leading_one_rtl",
    "shift_left_rtl",
    "add_rtl",
    "matches_rtl",
    "array_product",
    "segment_rtl",
    "segment_product_rtl",
    "cell_rtl",
    "plan_rtl",
    "term_columns_rtl",
    "booth_columns_rtl",
    "CoreRTL",
    "signmag_rtl",
    "log_product_rtl",
]

#: ``core(m, ma, mb) -> q``: builds the unsigned core in module ``m`` on unsigned values
CoreRTL = Callable[[Module, Value, Value], Value]


# -- partial products ----------------------------------------------------------------------


def pp_rtl(term: PPBit, a: Value, b: Value) -> Value:
    """The Amaranth bit of one partial-product term."""
    if term.kind == "one":
        return Const(1, 1)
    bit = a[term.i] & b[term.j]
    return ~bit if term.kind == "nand" else bit


def full_add(m: Module, x, y, c, name: str):
    """A full adder (or half adder when one input is None); returns (sum, carry) signals.

    Written as two half adders sharing t = x ⊕ y (``{name}_t``): s = t ⊕ c and
    carry = x·y + t·c. The majority form x·y + x·c + y·c computes the same carry, but ABC's
    area mapping does not find the XOR it shares with the sum: an 8×8 array mapped to OSU
    0.18 µm came out 9 % larger and 26 % costlier per operation that way.
    """
    ins = [v for v in (x, y, c) if v is not None]
    if not ins:
        return None, None
    if len(ins) == 1:
        return ins[0], None
    s = Signal(name=f"{name}_s")
    co = Signal(name=f"{name}_c")
    if len(ins) == 2:
        m.d.comb += [s.eq(ins[0] ^ ins[1]), co.eq(ins[0] & ins[1])]
    else:
        x, y, c = ins
        t = Signal(name=f"{name}_t")
        m.d.comb += [t.eq(x ^ y), s.eq(t ^ c), co.eq((x & y) | (t & c))]
    return s, co


def ripple_rows(m: Module, rows: list[dict[int, Value]], width: int, prefix: str = "r"):
    """Sum rows of bits (weight → bit) with one ripple-carry adder per row, modulo 2^width.

    This is the classic array multiplier: the running sum and each new row meet in a chain of
    full adders. Returns a list of ``width`` bits (None where the sum bit is constant zero).
    """
    acc: list = [None] * width
    for r, row in enumerate(rows):
        carry = None
        for w in range(width):
            acc[w], carry = full_add(m, acc[w], row.get(w), carry, f"{prefix}{r}_{w}")
    return acc


def tree_rows(m: Module, rows: list[dict[int, Value]], width: int,
              prefix: str = "") -> list:
    """Sum rows of bits (weight → bit) modulo 2^width with a Dadda tree of full and half adders
    and a ripple-carry adder over its last two rows (:func:`._trees.dadda_plan`).

    The same sum as :func:`ripple_rows`, in logarithmic rather than linear depth: for many
    short rows (the 2×2 blocks of a recursive multiplier) the difference is the critical path.
    Cells are named as in :func:`plan_rtl`, after ``prefix``. Returns ``width`` bits (None
    where the sum bit is constant zero).
    """
    from ._trees import dadda_plan

    leaves: list[list[Value]] = [[row[w] for row in rows if w in row] for w in range(width)]
    plan = dadda_plan([len(c) for c in leaves], width)
    return plan_rtl(m, plan, leaves, prefix=prefix)


def constant_row(value: int, width: int) -> dict[int, Value]:
    """The set bits of ``value mod 2**width`` as a row of constant bits."""
    value &= (1 << width) - 1
    return {w: Const(1, 1) for w in range(width) if (value >> w) & 1}


def term_rows(terms, a: Value, b: Value, width: int, extra_constant: int = 0) -> list[dict]:
    """Group terms into rows by operand-b bit; the constant terms (plus ``extra_constant``)
    are absorbed into the rows where that is free, the rest become one final constant row.

    A set bit 2^w of the constant meets a row whose most significant bit x is at weight w
    (the rows of a Baugh–Wooley matrix end where the next one starts): since
    x + 1 = ¬x + 2x, that row gets ¬x at weight w and x at weight w + 1, where it had nothing,
    and the constant bit disappears without an adder (the modified Baugh–Wooley array's
    constant 2^n becomes a NAND turned AND and one more wire). Only constant bits no row ends
    at are added by the final constant row.
    """
    rows: dict[int, dict[int, Value]] = {}
    constant = extra_constant
    for t in terms:
        if t.kind == "one":
            constant += 1 << t.weight
        else:
            rows.setdefault(t.j, {})[t.weight] = pp_rtl(t, a, b)
    constant %= 1 << width
    for w in range(width):
        if not (constant >> w) & 1:
            continue
        for j in sorted(rows):
            row = rows[j]
            if max(row) == w:
                x = row[w]
                row[w] = ~x
                if w + 1 < width:
                    row[w + 1] = x
                constant -= 1 << w
                break
    ordered = [rows[j] for j in sorted(rows)]
    const = constant_row(constant, width)
    if const:
        ordered.append(const)
    return ordered


def bits_to_value(bits: list) -> Value:
    """Concatenate a list of bits (None = constant 0), least significant first."""
    return Cat(*[Const(0, 1) if b is None else b for b in bits])


# -- logarithmic, segment and recoding datapaths ------------------------------------------


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

    Written with the full adders of :func:`ripple_rows` rather than Amaranth's ``+``:
    Amaranth's Verilog hands operands of different widths to ``+`` unextended, which
    Verilator's -Wall reports (WIDTHEXPAND). The result signal is ``name``.
    """
    rows = [
        {i: x[i] for i in range(min(len(x), width))},
        {i: y[i] for i in range(min(len(y), width))},
    ]
    bits = ripple_rows(m, rows, width, prefix=name)
    out = Signal(unsigned(width), name=name)
    m.d.comb += out.eq(bits_to_value(bits))
    return out


def matches_rtl(x: Value, value: int, width: int) -> Value:
    """``x == value`` over the ``width`` low bits of ``x``, as an AND of literals (Amaranth's
    ``==`` with a constant emits a narrowed constant that Verilator's -Wall reports)."""
    return Cat(*[x[i] if (value >> i) & 1 else ~x[i] for i in range(width)]).all()


def array_product(m: Module, x: Value, y: Value, nx: int, ny: int, prefix: str) -> Signal:
    """An exact unsigned ``nx``×``ny`` ripple-carry array multiplier (``nx + ny`` bits)."""
    width = nx + ny
    rows = term_rows(pp_terms(nx, ny, False), x, y, width)
    bits = ripple_rows(m, rows, width, prefix=prefix)
    out = Signal(unsigned(width), name=f"{prefix}_prod")
    m.d.comb += out.eq(bits_to_value(bits))
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


# -- reduction trees -----------------------------------------------------------------------


def _xnor(x, y):
    return ~(x ^ y)


def cell_rtl(m: Module, cell: Cell, ins: list, prefix: str = "") -> list:
    """Amaranth signals of one cell's outputs (None where the plan drops an output), named
    ``prefix`` + the cell's name."""
    name = prefix + cell.name
    zero = Const(0, 1)
    ins = [zero if v is None else v for v in ins]
    if cell.kind == "ha":
        x, y = ins
        values = [x ^ y, x & y]
    elif cell.kind == "fa":  # two half adders sharing t = x ^ y, as in full_add()
        x, y, z = ins
        t = Signal(name=f"{name}_t")
        m.d.comb += t.eq(x ^ y)
        values = [t ^ z, (x & y) | (t & z)]
    elif cell.kind == "c42":
        x1, x2, x3, x4, cin = ins
        s1 = Signal(name=f"{name}_t")
        m.d.comb += s1.eq(x1 ^ x2 ^ x3)
        values = [s1 ^ x4 ^ cin, (s1 & x4) | (s1 & cin) | (x4 & cin),
                  (x1 & x2) | (x1 & x3) | (x2 & x3)]
    elif cell.kind == "c42d1":
        # sum' = ~cin · (x1 ⊙ x2 + x3 ⊙ x4), cout' = (x1 + x2)(x3 + x4); carry' = cin
        x1, x2, x3, x4, cin = ins
        values = [~cin & (_xnor(x1, x2) | _xnor(x3, x4)), (x1 | x2) & (x3 | x4)]
    elif cell.kind == "c42d2":
        # sum = x1 ⊙ x2 + x3 ⊙ x4, carry = (x1 + x2)(x3 + x4)
        x1, x2, x3, x4 = ins
        values = [_xnor(x1, x2) | _xnor(x3, x4), (x1 | x2) & (x3 | x4)]
    else:  # pragma: no cover - plans only hold the kinds above
        raise AssertionError(cell.kind)
    outs = []
    for port, oid, value in zip(CELL_KINDS[cell.kind][1], cell.outs, values):
        if oid is None:
            outs.append(None)
            continue
        sig = Signal(name=f"{name}_{port}")
        m.d.comb += sig.eq(value)
        outs.append(sig)
    return outs


def plan_rtl(m: Module, plan: Plan, leaves: list[list[Value]],
             prefix: str = "") -> list[Value | None]:
    """Build ``plan`` on the given leaf bits (per column, in plan order); return the result
    bits, LSB first (None = constant 0). Cell signals are named ``prefix`` + the cell's name."""
    node: dict[int, Value] = {}
    for ids, bits in zip(plan.leaves, leaves):
        assert len(ids) == len(bits)
        node.update(zip(ids, bits))
    for cell in plan.cells:
        ins = [None if i is None else node[i] for i in cell.ins]
        for oid, sig in zip(cell.outs, cell_rtl(m, cell, ins, prefix)):
            if oid is not None:
                node[oid] = sig
    return [None if r is None else node[r] for r in plan.result]


def term_columns_rtl(m: Module, cols: list[list[PPBit]], a: Value, b: Value) -> list[list]:
    """Leaf bits of :func:`._trees.term_columns`: one named signal ``pp<i>_<j>`` per product bit."""
    out = []
    for col in cols:
        bits = []
        for t in col:
            if t.kind == "one":
                bits.append(Const(1, 1))
                continue
            sig = Signal(name=f"pp{t.i}_{t.j}")
            m.d.comb += sig.eq(pp_rtl(t, a, b))
            bits.append(sig)
        out.append(bits)
    return out


def booth_columns_rtl(m: Module, a: Value, b: Value, na: int, nb: int, signed: bool,
                      width: int) -> list[list]:
    """Partial-product bits of radix-4 Booth multiplication, per column (mod 2^width).

    Digit k of ``b`` is d_k = −2·y(2k+1) + y(2k) + y(2k−1) ∈ {−2, …, 2} (y(−1) = 0; bits above
    the operand are its sign, or 0 when unsigned). Row k is the ``w``-bit two's-complement
    pattern R = (|d_k|·a) XOR neg_k, so that d_k·a = value(R) + neg_k, with w = na + 1
    (signed a) or na + 2 (unsigned a, whose double needs one more bit). The sign bit of each
    row is complemented and −2^(w−1) per row folded into one constant, so that no sign
    extension is needed: Σ_k 4^k·(low bits + ~sign·2^(w−1) + neg_k) − Σ_k 4^k·2^(w−1).
    """
    w = na + 1 if signed else na + 2

    def abit(i: int):
        if i < 0:
            return Const(0, 1)
        if i >= na:
            return a[na - 1] if signed else Const(0, 1)
        return a[i]

    def bbit(j: int):
        if j < 0:
            return Const(0, 1)
        if j >= nb:
            return b[nb - 1] if signed else Const(0, 1)
        return b[j]

    cols: list[list] = [[] for _ in range(width)]
    constant = 0
    for k in range(booth_digit_count(nb, signed)):
        hi, mid, lo = bbit(2 * k + 1), bbit(2 * k), bbit(2 * k - 1)
        one = Signal(name=f"bth{k}_one")
        two = Signal(name=f"bth{k}_two")
        neg = Signal(name=f"bth{k}_neg")
        m.d.comb += [
            one.eq(mid ^ lo),
            two.eq((hi & ~mid & ~lo) | (~hi & mid & lo)),
            neg.eq(hi & ~(mid & lo)),
        ]
        base = 2 * k
        for i in range(w):
            if base + i >= width:
                break
            bit = Signal(name=f"bpp{k}_{i}")
            sel = (one & abit(i)) | (two & abit(i - 1))
            m.d.comb += bit.eq(~(sel ^ neg) if i == w - 1 else sel ^ neg)
            cols[base + i].append(bit)
        if base < width:
            cols[base].append(neg)
        constant -= 1 << (base + w - 1)
    constant %= 1 << width
    for c in range(width):
        if (constant >> c) & 1:
            cols[c].append(Const(1, 1))
    return cols


# -- sign-magnitude wrapper ----------------------------------------------------------------


def signmag_rtl(
    m: Module,
    a: Value,
    b: Value,
    core: CoreRTL,
    *,
    a_width: int,
    b_width: int,
    signed: bool,
    p_width: int | None = None,
    prefix: str = "sm",
) -> Value:
    """Build the sign-magnitude wrapper around ``core`` in ``m``; return the result value.

    ``a``/``b`` are the unit's operand ports. For signed units the magnitudes are unsigned
    signals of the *full* operand widths (``{prefix}_mag_a``, ``{prefix}_mag_b``), so that
    ``|-2^(n-1)| = 2^(n-1)`` is represented; the core product is negated when the signs
    differ (``{prefix}_neg``), at ``p_width`` bits (at least one more than the core's), and
    returned as a signed value; the caller assigns it to ``p``. For unsigned units ``core``
    gets ``a`` and ``b`` unchanged and its value is returned as it is.
    """
    if not signed:
        return core(m, a, b)
    mag_a = Signal(unsigned(a_width), name=f"{prefix}_mag_a")
    mag_b = Signal(unsigned(b_width), name=f"{prefix}_mag_b")
    neg = Signal(name=f"{prefix}_neg")
    sign_a, sign_b = a[a_width - 1], b[b_width - 1]
    # -a is one bit wider than a; its low a_width bits are |a| also for a = -2^(a_width-1)
    m.d.comb += [
        mag_a.eq(Mux(sign_a, -a, a)),
        mag_b.eq(Mux(sign_b, -b, b)),
        neg.eq(sign_a ^ sign_b),
    ]
    q = core(m, mag_a, mag_b)
    width = max(len(q) + 1, p_width or 0)
    q_sig = Signal(unsigned(width), name=f"{prefix}_core")
    m.d.comb += q_sig.eq(q)
    # conditional two's complement, -q = ~q + 1, as XOR gates and an explicit incrementer
    # (Amaranth's unary minus on a value with constant-zero top bits emits Verilog whose
    # operand is narrower than its result, which Verilator's -Wall reports)
    flipped = Signal(unsigned(width), name=f"{prefix}_flip")
    m.d.comb += flipped.eq(q_sig ^ neg.replicate(width))
    result = add_rtl(m, flipped, neg, width, f"{prefix}_result")
    return result.as_signed()


# -- Mitchell's logarithmic product --------------------------------------------------------


def log_product_rtl(
    m: Module,
    a: Value,
    b: Value,
    na: int,
    nb: int,
    *,
    keep: int | None = None,
    correction: int = 0,
    force_lsb: bool = False,
    bypass_overflow: bool = False,
    prefix: str = "log",
) -> Value:
    """The hardware of :func:`.mitchell.log_product`: leading-one detectors, normalizing
    shifters, fraction adder, correction adder and bypass multiplexer (when asked for),
    antilogarithm shifter and zero detection."""
    big_f = fraction_bits(na, nb)
    if big_f == 0:  # 1-bit operands: no fraction, the product is a AND b
        return a[0] & b[0]
    kept = big_f if keep is None else min(keep, big_f)
    drop = big_f - kept
    k_bits = (max(na, nb) - 1).bit_length()
    ka, nz_a = leading_one_rtl(m, a, na, f"{prefix}_a", k_bits)
    kb, nz_b = leading_one_rtl(m, b, nb, f"{prefix}_b", k_bits)

    def fraction(x: Value, k: Signal, name: str) -> Signal:
        norm = Signal(unsigned(len(x) + big_f), name=f"{name}_norm")
        m.d.comb += norm.eq((x << big_f) >> k)  # leading one at bit F
        frac = Signal(unsigned(big_f), name=f"{name}_frac")
        if kept and force_lsb:
            m.d.comb += frac.eq(Cat(Const(0, drop), Const(1, 1), norm[drop + 1 : big_f]))
        elif kept:
            m.d.comb += frac.eq(Cat(Const(0, drop), norm[drop:big_f]))
        return frac

    frac_a = fraction(a, ka, f"{prefix}_a")
    frac_b = fraction(b, kb, f"{prefix}_b")
    total = add_rtl(m, frac_a, frac_b, big_f + 1, f"{prefix}_fsum")
    carry = total[big_f]
    one_f = Cat(total[:big_f], Const(1, 1))  # 1.f
    if correction:
        corr = Signal(unsigned(big_f), name=f"{prefix}_corr")
        m.d.comb += corr.eq(Mux(carry, (correction >> 1) << drop, correction << drop))
        mantissa = add_rtl(m, one_f, corr, big_f + 2, f"{prefix}_mant")
        if bypass_overflow:  # carry case, 1.f + C/2 >= 2: keep the uncorrected 1.f
            bypass = Signal(name=f"{prefix}_bypass")
            m.d.comb += bypass.eq(carry & mantissa[big_f + 1])
            corrected = mantissa
            mantissa = Signal(unsigned(big_f + 2), name=f"{prefix}_mant_out")
            m.d.comb += mantissa.eq(Mux(bypass, Cat(one_f, Const(0, 1)), corrected))
    else:
        mantissa = Signal(unsigned(big_f + 2), name=f"{prefix}_mant")
        m.d.comb += mantissa.eq(one_f)
    k_sum = add_rtl(m, ka, kb, k_bits + 1, f"{prefix}_ksum")
    k = add_rtl(m, k_sum, carry, k_bits + 2, f"{prefix}_k")
    # 2^k (1.f): the mantissa shifted left by k, its F fraction bits then dropped
    shifted = shift_left_rtl(m, mantissa, k, na + nb + 1 + big_f, f"{prefix}_antilog")
    return Mux(nz_a & nz_b, shifted[big_f:], 0)
