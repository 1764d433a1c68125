"""Column-compression trees: Wallace, Dadda, and Dadda trees built of 4:2 compressors.

A reduction tree depends only on how many bits each column of the partial-product matrix
holds, so it is *planned* from the column heights first: :func:`wallace_plan`,
:func:`dadda_plan` and :func:`compressor_plan` return a :class:`Plan`, a list of cells (full
adders, half adders, exact and approximate 4:2 compressors) wired by node numbers, ending in a
ripple-carry adder over the last two rows. The same plan is then

* built in Amaranth by :func:`._rtl.plan_rtl`, one named signal per cell output
  (``fa_s2_c5_1_s`` is the sum of the second full adder of column 5 in reduction stage 2,
  ``cpa_c9_c`` the carry of column 9 of the final adder), and
* evaluated on numpy bit arrays by :func:`plan_eval`, with each cell defined by its truth
  table (the approximate compressors' tables are those of Momeni et al.), which is how the
  ``compressor`` family's golden model follows the structure the paper defines.

This module plans and evaluates (numpy only); the leaves of a plan in hardware, partial
products and radix-4 Booth rows, are built in :mod:`._rtl` too.

References: C. S. Wallace, "A suggestion for a fast multiplier", IEEE Trans. Electronic
Computers EC-13(1), 1964; L. Dadda, "Some schemes for parallel multipliers", Alta Frequenza
34, 1965; A. Momeni, J. Han, P. Montuschi, F. Lombardi, "Design and analysis of approximate
compressors for multiplication", IEEE Trans. Computers 64(4), 2015; radix-4 Booth recoding:
O. L. MacSorley, "High-speed arithmetic in binary computers", Proc. IRE 49(1), 1961.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._pp import PPBit

__all__ = [
    "Cell",
    "Plan",
    "CELL_KINDS",
    "MOMENI_D1_TABLE",
    "MOMENI_D2_TABLE",
    "wallace_plan",
    "dadda_plan",
    "compressor_plan",
    "dadda_targets",
    "plan_eval",
    "term_columns",
    "constant_columns",
    "term_columns_eval",
    "booth_digit_count",
]

#: cell kinds: inputs → outputs (weights: sum 2^c, every other output 2^(c+1))
CELL_KINDS = {
    "ha": (("x", "y"), ("s", "c")),
    "fa": (("x", "y", "z"), ("s", "c")),
    # exact 4:2 compressor, two chained full adders; cout does not depend on cin
    "c42": (("x1", "x2", "x3", "x4", "cin"), ("s", "c", "co")),
    # Momeni et al. design 1: carry' = cin is a plain wire, so the cell outputs sum and cout
    "c42d1": (("x1", "x2", "x3", "x4", "cin"), ("s", "co")),
    # Momeni et al. design 2: no cin, no cout
    "c42d2": (("x1", "x2", "x3", "x4"), ("s", "c")),
}

# Truth tables of the approximate 4:2 compressors (Momeni et al., IEEE TC 2015, Section 3).
# Row index = x1 + 2·x2 + 4·x3 + 8·x4 (+ 16·cin for design 1); each entry is the pair of
# output bits (sum, cout) for design 1 and (sum, carry) for design 2. Design 1's carry output
# is cin itself. The rows where value ≠ x1+x2+x3+x4(+cin) are the paper's error cases: 12 of
# 32 for design 1, 4 of 16 for design 2, every one of error distance 1.
MOMENI_D2_TABLE: tuple[tuple[int, int], ...] = (
    # x4x3x2x1 = 0000 .. 0011
    (1, 0), (1, 0), (1, 0), (1, 0),
    # 0100 .. 0111
    (1, 0), (0, 1), (0, 1), (1, 1),
    # 1000 .. 1011
    (1, 0), (0, 1), (0, 1), (1, 1),
    # 1100 .. 1111
    (1, 0), (1, 1), (1, 1), (1, 1),
)
MOMENI_D1_TABLE: tuple[tuple[int, int], ...] = MOMENI_D2_TABLE + (
    # cin = 1: the sum is 0 and cin travels on as the carry
    (0, 0), (0, 0), (0, 0), (0, 0),
    (0, 0), (0, 1), (0, 1), (0, 1),
    (0, 0), (0, 1), (0, 1), (0, 1),
    (0, 0), (0, 1), (0, 1), (0, 1),
)


@dataclass(frozen=True)
class Cell:
    """One adder cell of a plan: ``ins``/``outs`` are node numbers (None: constant 0 input,
    or an output nobody reads, e.g. a carry beyond the product width)."""

    kind: str
    col: int
    stage: int  # reduction stage, 1 = first; 0 = the final ripple-carry adder
    index: int  # running number among the cells of this stage and column
    ins: tuple[int | None, ...]
    outs: tuple[int | None, ...]

    @property
    def name(self) -> str:
        if self.stage == 0:
            return f"cpa_c{self.col}"
        return f"{self.kind}_s{self.stage}_c{self.col}_{self.index}"


@dataclass(frozen=True)
class Plan:
    """A reduction tree: leaves (node numbers per column), cells in dependency order, and the
    node of each result bit (None = constant 0)."""

    width: int
    leaves: tuple[tuple[int, ...], ...]
    cells: tuple[Cell, ...]
    result: tuple[int | None, ...]
    stages: int

    def count(self, kind: str) -> int:
        return sum(1 for c in self.cells if c.kind == kind)


class _Builder:
    def __init__(self, heights, width: int):
        self.width = width
        self.next = 0
        self.cells: list[Cell] = []
        self.leaves = []
        for c in range(width):
            h = heights[c] if c < len(heights) else 0
            self.leaves.append(tuple(range(self.next, self.next + h)))
            self.next += h

    def new(self) -> int:
        self.next += 1
        return self.next - 1

    def cell(self, kind, col, stage, index, ins) -> tuple[int | None, ...]:
        outs = []
        for k, _ in enumerate(CELL_KINDS[kind][1]):
            weight_col = col if k == 0 else col + 1
            outs.append(self.new() if weight_col < self.width else None)
        outs_t = tuple(outs)
        self.cells.append(Cell(kind, col, stage, index, tuple(ins), outs_t))
        return outs_t

    def final_adder(self, cols, stages: int) -> Plan:
        """Ripple-carry addition of columns holding at most two bits each."""
        result: list[int | None] = []
        carry: int | None = None
        for c in range(self.width):
            bits = [x for x in (*cols[c], carry) if x is not None]
            assert len(bits) <= 3, "a column still holds more than two bits"
            if len(bits) <= 1:
                result.append(bits[0] if bits else None)
                carry = None
                continue
            s, carry = self.cell("fa" if len(bits) == 3 else "ha", c, 0, 0, bits)
            result.append(s)
        return Plan(self.width, tuple(self.leaves), tuple(self.cells), tuple(result), stages)


def _carry_last(bits: list[int]) -> tuple[int, ...]:
    """The inputs of a full or half adder taken from the front of a column, in reverse.

    A column lists the carries from the column to its right first (they are the latest bits of
    a stage), then the sums and leaves; reversed, the earliest bits meet first (x, y: the
    adder's x ⊕ y is ready early) and the latest one enters last (z, the carry input), as in a
    ripple-carry chain. The sum is the same either way; the mapped circuit is smaller.
    """
    return tuple(reversed(bits))


def dadda_targets(height: int, ratio: float = 1.5) -> list[int]:
    """Dadda's stage heights below ``height``, largest first: d1 = 2, d(j+1) = ⌊ratio·dj⌋
    (2, 3, 4, 6, 9, 13, … for full adders; 2, 4, 8, … for 4:2 compressors)."""
    seq = [2]
    while int(seq[-1] * ratio) < height:
        seq.append(int(seq[-1] * ratio))
    return [d for d in reversed(seq) if d < height]


def wallace_plan(heights, width: int, ones: tuple[int, ...] = ()) -> Plan:
    """Wallace's greedy tree: every stage puts each group of three bits of a column into a
    full adder, until no column holds more than two bits; then a ripple-carry adder.

    A pair of bits left over in a column gets a half adder only where the column would
    otherwise end the stage above Dadda's height for it (:func:`dadda_targets`), the
    reduced-area rule of Bickerstaff, Schulte and Swartzlander ("Reduced area multipliers",
    ASAP 1993): a half adder moves a bit without removing one, so it is spent only where it
    keeps the number of stages that of the all-half-adder tree (Dadda's count, which Wallace's
    greedy full adders always reach), and the tree needs far fewer of them. ``ones`` lists
    the columns whose last leaf is the constant 1 (:func:`constant_columns`): a leftover pair
    holding it always gets its half adder, which costs an inverter (x + 1 = ¬x + 2x) and keeps
    constants out of the later full adders, where the algebraic proof would not recognise them.
    """
    b = _Builder(heights, width)
    cols = [list(x) for x in b.leaves]
    ones = {b.leaves[c][-1] for c in ones if b.leaves[c]}
    targets = dadda_targets(max((len(c) for c in cols), default=0))
    stage = 0
    while max((len(c) for c in cols), default=0) > 2:
        stage += 1
        target = targets[stage - 1] if stage <= len(targets) else 2
        nxt: list[list[int]] = [[] for _ in range(width)]
        for c in range(width):
            bits = cols[c]
            n = len(bits)
            pos = index = 0
            while n - pos >= 2:
                take = 3 if n - pos >= 3 else 2
                # carries from column c - 1 are in nxt[c] already; the pair would pass as is
                if take == 2 and len(nxt[c]) + 2 <= target and not ones & {*bits[pos:pos + 2]}:
                    break
                s, carry = b.cell("fa" if take == 3 else "ha", c, stage, index,
                                  _carry_last(bits[pos:pos + take]))
                pos += take
                index += 1
                nxt[c].append(s)
                if carry is not None:
                    nxt[c + 1].append(carry)
            nxt[c].extend(bits[pos:])
        cols = nxt
    return b.final_adder(cols, stage)


def dadda_plan(heights, width: int) -> Plan:
    """Dadda's tree: each stage reduces every column just to the next height of Dadda's
    sequence (2, 3, 4, 6, 9, …), least significant column first, with full adders and, where
    one bit too many remains, a half adder; then a ripple-carry adder."""
    b = _Builder(heights, width)
    cols = [list(x) for x in b.leaves]
    targets = dadda_targets(max((len(c) for c in cols), default=0))
    for stage, d in enumerate(targets, start=1):
        nxt: list[list[int]] = [[] for _ in range(width)]
        for c in range(width):
            avail = cols[c]
            index = 0
            while len(nxt[c]) + len(avail) > d:
                take = 3 if len(nxt[c]) + len(avail) - d >= 2 else 2
                assert len(avail) >= take, "Dadda reduction ran out of bits"
                s, carry = b.cell("fa" if take == 3 else "ha", c, stage, index,
                                  _carry_last(avail[:take]))
                avail = avail[take:]
                index += 1
                nxt[c].append(s)
                if carry is not None:
                    nxt[c + 1].append(carry)
            nxt[c].extend(avail)
        cols = nxt
    return b.final_adder(cols, len(targets))


def compressor_plan(heights, width: int, *, approx_cols: int = 0, design: int = 1) -> Plan:
    """A Dadda-style tree of 4:2 compressors (the multiplier organisation in which Momeni et
    al. evaluate their compressors; this stage schedule is axhdl's).

    Stage heights follow 2, 4, 8, 16, … (a 4:2 stage halves the matrix). In each stage,
    least significant column first, a column above its target gets 4:2 compressors while it
    exceeds the target by three or more bits (inputs: the column's next four bits in order;
    cin: a cout of the column to the right, when one is free), then a full or half adder for
    the last one or two bits. Columns below ``approx_cols`` use Momeni's design ``design``
    (1 or 2), the others the exact compressor; full and half adders are always exact.
    """
    approx_kind = {1: "c42d1", 2: "c42d2"}[design]
    b = _Builder(heights, width)
    cols = [list(x) for x in b.leaves]
    targets = dadda_targets(max((len(c) for c in cols), default=0), ratio=2)
    for stage, d in enumerate(targets, start=1):
        nxt: list[list[int]] = [[] for _ in range(width)]
        cins: list[list[int]] = [[] for _ in range(width + 1)]
        for c in range(width):
            avail, pool = cols[c], cins[c]
            kind = approx_kind if c < approx_cols else "c42"
            index = 0
            while (excess := len(nxt[c]) + len(avail) + len(pool) - d) > 0:
                if excess >= 3 and len(avail) + len(pool) >= 4:
                    # x1..x4: the column's own bits first, then couts from the right;
                    # cin: a further cout from the right, when one is left
                    xs = (avail + pool)[:4]
                    used = min(4, len(avail))
                    avail, pool = avail[used:], pool[4 - used:]
                    cin = pool.pop(0) if pool and kind != "c42d2" else None
                    outs = b.cell(kind, c, stage, index, xs if kind == "c42d2" else (*xs, cin))
                    if kind == "c42d2":
                        nxt[c].append(outs[0])
                        if outs[1] is not None:
                            nxt[c + 1].append(outs[1])
                    else:
                        nxt[c].append(outs[0])
                        # design 1 passes cin on as its carry; the exact cell has its own
                        carry = cin if kind == "c42d1" else outs[1]
                        if carry is not None and c + 1 < width:
                            nxt[c + 1].append(carry)
                        if outs[-1] is not None:
                            cins[c + 1].append(outs[-1])
                else:
                    bits = avail + pool
                    take = 3 if excess >= 2 and len(bits) >= 3 else 2
                    assert len(bits) >= take, "4:2 reduction ran out of bits"
                    s, carry = b.cell("fa" if take == 3 else "ha", c, stage, index, bits[:take])
                    used_avail = min(take, len(avail))
                    avail, pool = avail[used_avail:], pool[take - used_avail:]
                    nxt[c].append(s)
                    if carry is not None:
                        nxt[c + 1].append(carry)
                index += 1
            nxt[c].extend(avail + pool)
        cols = nxt
    return b.final_adder(cols, len(targets))


# -- evaluating plans ---------------------------------------------------------------------


def _table_lookup(table, ins: list[np.ndarray]) -> list[np.ndarray]:
    index = sum(v << k for k, v in enumerate(ins))
    arr = np.asarray(table, dtype=np.int64)
    return [arr[index, 0], arr[index, 1]]


def _cell_eval(kind: str, ins: list[np.ndarray]) -> list[np.ndarray]:
    """A cell's outputs from its arithmetic definition (exact cells) or truth table."""
    if kind in ("ha", "fa"):
        total = sum(ins)
        return [total & 1, total >> 1]
    if kind == "c42":
        x1, x2, x3, x4, cin = ins
        first = x1 + x2 + x3
        second = (first & 1) + x4 + cin
        return [second & 1, second >> 1, first >> 1]
    if kind == "c42d1":
        return _table_lookup(MOMENI_D1_TABLE, ins)
    if kind == "c42d2":
        return _table_lookup(MOMENI_D2_TABLE, ins)
    raise AssertionError(kind)  # pragma: no cover


def plan_eval(plan: Plan, leaves: list[list[np.ndarray]]) -> np.ndarray:
    """Evaluate ``plan`` on numpy 0/1 arrays (per column, in plan order); return the result
    as an unsigned integer array modulo 2^width."""
    shape = np.broadcast_shapes(*(np.shape(v) for col in leaves for v in col)) if any(
        leaves) else ()
    zero = np.zeros(shape, dtype=np.int64)
    node: dict[int, np.ndarray] = {}
    for ids, bits in zip(plan.leaves, leaves):
        node.update(zip(ids, (np.broadcast_to(np.asarray(v, dtype=np.int64), shape)
                              for v in bits)))
    for cell in plan.cells:
        ins = [zero if i is None else node[i] for i in cell.ins]
        for oid, value in zip(cell.outs, _cell_eval(cell.kind, ins)):
            if oid is not None:
                node[oid] = value
    total = zero.copy()
    for c, r in enumerate(plan.result):
        if r is not None:
            total += node[r] << c
    return total


# -- leaves: partial-product terms and Booth rows -----------------------------------------


def term_columns(terms, width: int) -> list[list[PPBit]]:
    """Partial-product terms per column (row order within a column); the constant terms are
    summed into one constant whose set bits (mod 2^width) follow as ``"one"`` terms."""
    cols: list[list[PPBit]] = [[] for _ in range(width)]
    constant = 0
    for t in sorted(terms, key=lambda t: (t.j, t.i)):
        if t.kind == "one":
            constant += 1 << t.weight
        elif t.weight < width:
            cols[t.weight].append(t)
    constant %= 1 << width
    for w in range(width):
        if (constant >> w) & 1:
            cols[w].append(PPBit(w, "one"))
    return cols


def constant_columns(cols: list[list[PPBit]]) -> tuple[int, ...]:
    """The columns of :func:`term_columns` whose last term is the constant 1."""
    return tuple(c for c, col in enumerate(cols) if col and col[-1].kind == "one")


def term_columns_eval(cols: list[list[PPBit]], a, b, na: int, nb: int) -> list[list]:
    """numpy 0/1 arrays of :func:`term_columns` for operand values ``a``, ``b``."""
    a = np.asarray(a, dtype=np.int64) & ((1 << na) - 1)
    b = np.asarray(b, dtype=np.int64) & ((1 << nb) - 1)
    a, b = np.broadcast_arrays(a, b)
    out = []
    for col in cols:
        bits = []
        for t in col:
            if t.kind == "one":
                bits.append(np.ones(a.shape, dtype=np.int64))
                continue
            v = (a >> t.i) & (b >> t.j) & 1
            bits.append(1 - v if t.kind == "nand" else v)
        out.append(bits)
    return out


def booth_digit_count(nb: int, signed: bool) -> int:
    """Radix-4 Booth digits of a ``nb``-bit multiplier; unsigned operands are recoded as the
    ``nb + 1``-bit two's-complement number with a zero sign bit."""
    return (nb + (0 if signed else 1) + 1) // 2
