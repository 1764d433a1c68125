"""Systolic arrays computing ``C = A·W`` with any multiplier and adder unit.

``rows × cols`` processing elements, weight-stationary (``dataflow=ws``, TPU-like) or
output-stationary (``dataflow=os``), between an input and an output ``amaranth.lib.stream``
(valid/ready, back-pressure stalls the whole array). The beat protocol, the payload layouts, the
skew, latency and throughput and the host's tiling of ``M``, ``K`` and ``N`` are specified in
``docs/arrays.md``; :meth:`Systolic.host_beats` and :meth:`Systolic.model_stream` are that
procedure and the beat-level golden model, :meth:`Systolic.model` the whole GEMM as the host
procedure computes it, vectorized over tiles.

Weight-stationary: a weight tile ``W_t`` (rows × cols) is shifted into the PEs by ``rows``
load beats (its last row first); each compute beat carries an activation vector ``a`` (rows)
and a partial-sum vector ``psum`` (cols) and yields ``y = psum ⊕ a·W_t``: down column ``c`` the
partial sum takes ``⊕ mul(a[r], W_t[r][c])`` at row ``r = 0, 1, …`` (the adder unit on
``acc_width`` bits, wrapped). ``K`` is tiled by ``rows`` (zero-padded), each ``K``-tile's
outputs are the next one's partial sums, ``M`` is streamed, ``N`` tiled by ``cols``.

Output-stationary: PE ``(r, c)`` is a MAC of row ``r`` of an ``A`` tile (rows × K) and column
``c`` of a ``W`` tile (K × cols); each beat carries column ``k`` of the ``A`` tile and row ``k``
of the ``W`` tile, any ``K``; after the beat flagged ``last`` the tile's rows leave on the
output stream, its last row first. ``M`` and ``N`` are tiled (zero-padded), ``K`` is not.

Array-level approximation techniques (``docs/arrays.md`` section 4):

* ``row_muls`` / ``col_muls``: a heterogeneous array, one multiplier per PE row or column
  (ALWANN-style mapping of layers onto PEs of different accuracy);
* ``cv``: the control-variate correction of perforated multipliers (Zervakis et al., DAC 2021):
  a column beside the array accumulates ``U = Σ a·R_r`` along each output and an output stage
  adds ``round(U·C_c / 2)``, which cancels the mean perforation error at run time;
* ``cure``: curable carry-cut accumulation (Hanif et al., CANN): the carry a ``carry_cut``
  accumulator adder cuts is added into bit ``c`` of the next addition of the same sum (ws: the
  PE below; os: the PE's next beat); only the last addition's carry is lost.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from axhdl.operations import MatrixMultiplication
from axhdl.params import Param, format_value
from axhdl.registry import make_unit, register
from axhdl.unit import AmaranthUnit, VerilogSource

from ._model import as_int64, cv_correction, cv_sum, os_tile, wrap, ws_tile
from ._params import (
    ADD_PARAM,
    COL_MULS_PARAM,
    MUL_PARAM,
    ROW_MULS_PARAM,
    check_combinational,
    check_multiplier,
)

__all__ = ["Systolic", "DATAFLOWS", "perforation_weight"]

#: the dataflows: weight-stationary and output-stationary
DATAFLOWS = ("ws", "os")

#: the flags left out of the canonical spec when false, so that the specs (and the cached
#: results keyed by them) of arrays without these options are those they always were
_QUIET_FLAGS = ("cv", "cure")


def perforation_weight(mul) -> int:
    """``T = Σ_j s_j·2^j`` over the perforated rows ``j`` of a ``perforated`` multiplier
    (``s_j = -1`` for the sign row of a signed ``b``, else 1): its product error is
    ``-a·B_P`` with ``B_P = Σ_j b_j·s_j·2^j``, and ``E[B_P] = T / 2`` for uniform ``b``."""
    nb = mul.b_width
    return sum(-(1 << j) if mul.signed and j == nb - 1 else 1 << j
               for j in mul.perforated_rows)


@register
class Systolic(AmaranthUnit):
    """A rows × cols systolic array of MAC processing elements computing ``C = A·W``."""

    family = "systolic"
    operation_class = MatrixMultiplication
    description = (
        "systolic array (rows x cols PEs, any multiplier and adder) computing C = A.W over "
        "valid/ready streams: weight-stationary (ws) or output-stationary (os)"
    )
    citation = (
        "H. T. Kung, 'Why systolic architectures?', IEEE Computer 15(1), 1982; weight-"
        "stationary: N. P. Jouppi et al., 'In-datacenter performance analysis of a tensor "
        "processing unit', ISCA 2017; PE/mesh layering and both dataflows: H. Genc et al., "
        "'Gemmini: enabling systematic deep-learning architecture evaluation via full-stack "
        "integration', DAC 2021; row_muls/col_muls: V. Mrazek et al., 'ALWANN: automatic "
        "layer-wise approximation of deep neural network accelerators without retraining', "
        "ICCAD 2019; cv: G. Zervakis et al., 'Control variate approximation for DNN "
        "accelerators', DAC 2021; cure: M. A. Hanif, F. Khalid, M. Shafique, 'CANN: curable "
        "approximations for high-performance deep neural network accelerators', DAC 2019"
    )
    notes = (
        "One input stream i and one output stream o (amaranth.lib.stream; Verilog ports "
        "i__payload/i__valid/i__ready, o__payload/o__valid/o__ready, clk, rst). ws: R load "
        "beats shift a weight tile in (its last row first), each compute beat carries a, psum "
        "and yields one output beat y = psum + a.W_tile, adding down each column from row 0; "
        "os: each beat carries a column of an A tile and a row of a W tile, the beat flagged "
        "last ends the tile, whose rows then leave on o, one per cycle, the last row first (a "
        "tile's last beat is accepted rows cycles after the previous tile's at the earliest: "
        "K < rows stalls the input). "
        "Latency rows + cols - 1 cycles (+1 with cv), one beat per cycle; a stalled output "
        "stalls the array. Every sum wraps to acc_width bits. "
        "Heterogeneous arrays: row_muls=(spec);(spec);... gives one multiplier per PE row "
        "(top first), col_muls one per column (left first), instead of mul (at most one of "
        "mul, row_muls, col_muls); each must have the array's widths and signedness. "
        "cv=true (perforated multipliers only): a control-variate column accumulates U = sum "
        "of a*R_r along each output (ws: over the beat's rows; os: over the tile's K beats) "
        "and an output stage adds round_half_even(U*C_c/2) to each output, T = R_r*C_c the "
        "signed sum of 2^j over the perforated rows of PE (r, c)'s multiplier, T/2 = E[b's "
        "perforated part] for uniform weights (a design-time constant, not the loaded "
        "weights' own mean): the mean perforation error is cancelled at run time. "
        "cure=true (add=(carry_cut...) only): the carry cut in each accumulation is "
        "added at bit c of the next addition of the same sum (ws: by the PE below in the next "
        "step; os: by the same PE at its next beat); the last row's (ws, per K-tile pass) or "
        "the tile's last beat's (os) cut carry is lost, so the result is the exact sum minus "
        "2^c times those carries. All options work in both dataflows. See docs/arrays.md."
    )
    weight_operand = "b"
    params = (
        Param("rows", int, 4, "PE rows (ws: the K-tile; os: the M-tile)", min=1, max=64),
        Param("cols", int, 4, "PE columns (the N-tile)", min=1, max=64),
        Param("dataflow", str, "ws", "ws: weight-stationary, os: output-stationary",
              choices=DATAFLOWS),
        MUL_PARAM,
        ADD_PARAM,
        ROW_MULS_PARAM,
        COL_MULS_PARAM,
        Param("cv", bool, False, "control-variate correction of the perforation error "
              "(perforated multipliers; one more cycle of latency)"),
        Param("cure", bool, False, "cure the carries cut by a carry_cut accumulator adder: "
              "each is added at bit c by the next addition of the same sum"),
    )

    @classmethod
    def validate(cls, kwargs: dict) -> dict:
        """As every unit's, and: at most one of ``mul``, ``row_muls``, ``col_muls``; a
        heterogeneous array stores ``mul`` as None (no single multiplier)."""
        given = [k for k in ("mul", "row_muls", "col_muls") if kwargs.get(k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"Parameters '{given[0]}' and '{given[1]}' exclude each other: give one "
                f"multiplier (mul), one per row (row_muls) or one per column (col_muls)"
            )
        values = super().validate(kwargs)
        if given and given[0] != "mul":
            values["mul"] = None
        return values

    @classmethod
    def check(cls, values: dict) -> None:
        check_combinational("Parameter 'add'", values["add"])
        lists = {"row_muls": ("rows", "row"), "col_muls": ("cols", "column")}
        muls = []
        for key, (count, noun) in lists.items():
            units = values[key]
            if units is None:
                continue
            if len(units) != values[count]:
                raise ValueError(
                    f"Parameter '{key}' must list one multiplier per {noun} "
                    f"({count} = {values[count]}), not {len(units)}"
                )
            muls += [(f"Parameter '{key}' item {i + 1}", f"{key} item {i + 1}", u)
                     for i, u in enumerate(units)]
        if not muls:
            muls = [("Parameter 'mul'", "mul", values["mul"])]
        for label, _, mul in muls:
            check_multiplier(label, mul, values["acc_width"])
        if values["cv"]:
            for _, name, mul in muls:
                if mul.family != "perforated":
                    raise ValueError(
                        f"Parameter 'cv' needs perforated multipliers (the control variate "
                        f"compensates the perforation error); {name} is {mul.spec}"
                    )
        add = values["add"]
        if values["cure"] and (add.extra_outputs.get("cut") != 1
                               or not isinstance(getattr(add, "c", None), int)):
            raise ValueError(
                f"Parameter 'cure' needs an adder with a 1-bit cut-carry output 'cut' and its "
                f"bit 'c' (carry_cut); add is {add.spec}"
            )

    # -- parameters and derived facts -----------------------------------------------------

    @property
    def rows(self) -> int:
        return self._params["rows"]

    @property
    def cols(self) -> int:
        return self._params["cols"]

    @property
    def dataflow(self) -> str:
        return self._params["dataflow"]

    @property
    def mul(self):
        """The multiplier unit of every PE; None in a heterogeneous array (see
        :attr:`pe_muls`)."""
        return self._params["mul"]

    @property
    def row_muls(self) -> tuple | None:
        """One multiplier per PE row (top first), or None."""
        return self._params["row_muls"]

    @property
    def col_muls(self) -> tuple | None:
        """One multiplier per PE column (left first), or None."""
        return self._params["col_muls"]

    @property
    def pe_muls(self) -> tuple[tuple, ...]:
        """The multiplier of each PE, ``pe_muls[r][c]`` (rows × cols)."""
        rows, cols = range(self.rows), range(self.cols)
        if self.row_muls is not None:
            return tuple(tuple(self.row_muls[r] for _ in cols) for r in rows)
        if self.col_muls is not None:
            return tuple(tuple(self.col_muls[c] for c in cols) for _ in rows)
        return tuple(tuple(self.mul for _ in cols) for _ in rows)

    @property
    def cv(self) -> bool:
        """Whether the control-variate correction is built."""
        return self._params["cv"]

    @property
    def cure(self) -> bool:
        """Whether the cut carries of the accumulator adders are cured."""
        return self._params["cure"]

    @property
    def cv_scales(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """``(R, C)``: the control-variate column accumulates ``a·R[r]`` from row ``r``, the
        output stage adds ``round(U·C[c] / 2)`` to column ``c``; ``R[r]·C[c]`` is the
        perforation weight ``T`` of PE ``(r, c)``'s multiplier (:func:`perforation_weight`).
        None without ``cv``."""
        if not self.cv:
            return None
        if self.row_muls is not None:
            return tuple(perforation_weight(u) for u in self.row_muls), (1,) * self.cols
        cols = self.col_muls if self.col_muls is not None else (self.mul,) * self.cols
        return (1,) * self.rows, tuple(perforation_weight(u) for u in cols)

    def subunits(self):
        """The adder, then every distinct multiplier of the PEs."""
        muls = [u for row in self.pe_muls for u in row]
        return (self.add, *dict.fromkeys(muls))

    @property
    def spec(self) -> str:
        """The canonical spec; ``cv`` and ``cure`` appear only when true."""
        parts = self.operation.spec_widths()
        for p in self.params:
            v = self._params[p.name]
            if v is not None and not (p.name in _QUIET_FLAGS and v is False):
                parts.append(f"{p.name}={format_value(p, v)}")
        return f"{self.family}:" + ",".join(parts)

    @property
    def add(self):
        """The adder unit of every PE."""
        return self._params["add"]

    @property
    def acc_width(self) -> int:
        return self._params["acc_width"]

    @property
    def name(self) -> str:
        """``systolic_<dataflow><rows>x<cols>_<widths>_<digest of the spec>``."""
        digest = hashlib.sha1(self.spec.encode()).hexdigest()[:8]
        return (f"{self.family}_{self.dataflow}{self.rows}x{self.cols}_{self.operation.tag}_"
                f"{digest}")

    @property
    def latency(self) -> int:
        """``rows + cols - 1`` (``+ 1`` with ``cv``, its output stage): without stalls, the
        output beat of a ws compute beat accepted in cycle ``s`` is valid on ``o`` in cycle
        ``s + latency``; the rows of an os tile whose ``last`` beat is accepted in cycle ``s``
        in cycles ``s + latency`` … ``s + latency + rows - 1``."""
        return self.rows + self.cols - 1 + int(self.cv)

    @property
    def throughput(self) -> int:
        """Input beats accepted per cycle without stalls (ws: load and compute beats alike;
        os: a tile's ``last`` beat at most once every ``rows`` cycles)."""
        return 1

    def exact_baseline(self) -> Systolic:
        """The same array (geometry, dataflow, widths) with the exact multiplier and adder
        in every PE and neither ``cv`` nor ``cure`` (the PPA baseline)."""
        widths = self.pe_muls[0][0].operation.spec_widths()
        mul = make_unit(f"exact:{','.join(widths)}")
        add = make_unit(f"exact_add:{','.join(self.add.operation.spec_widths())}")
        return make_unit(self.spec, mul=mul, add=add, row_muls=None, col_muls=None, cv=False,
                         cure=False)

    # -- streams ----------------------------------------------------------------------------

    def stream_fields(self) -> dict[str, dict]:
        """The payloads of streams ``i`` and ``o``, numpy only: for each, ``width`` (bits)
        and ``fields``, a list of ``{name, offset, width, count, signed}`` (element ``j`` of a
        field occupies bits ``offset + j*width`` up, least significant first)."""
        a = (self.a_width, self.signed)
        b = (self.b_width, self.signed)
        acc = (self.acc_width, self.signed)
        if self.dataflow == "ws":
            i_fields = [("a", a, self.rows), ("psum", acc, self.cols), ("w", b, self.cols),
                        ("load", (1, False), 1)]
        else:
            i_fields = [("a", a, self.rows), ("w", b, self.cols), ("last", (1, False), 1)]
        return {"i": _packed(i_fields), "o": _packed([("y", acc, self.cols)])}

    def pack_beat(self, beat: dict) -> int:
        """An input beat (field name → value or list of values, absent fields 0) as the
        integer on ``i__payload``."""
        word = 0
        for f in self.stream_fields()["i"]["fields"]:
            values = np.atleast_1d(as_int64(beat.get(f["name"], 0)))
            values = np.broadcast_to(values, (f["count"],))
            for j, v in enumerate(values.tolist()):
                word |= (v & ((1 << f["width"]) - 1)) << (f["offset"] + j * f["width"])
        return word

    def unpack_output(self, word: int) -> np.ndarray:
        """The integer on ``o__payload`` as its ``cols`` values (signed when signed)."""
        codes = [(word >> (c * self.acc_width)) & ((1 << self.acc_width) - 1)
                 for c in range(self.cols)]
        return wrap(np.array(codes, dtype=np.int64), self.acc_width, self.signed)

    @property
    def info(self) -> dict:
        info = super().info
        fields = self.stream_fields()
        i_width, o_width = fields["i"]["width"], fields["o"]["width"]
        info["ports"] = {
            "clk": {"dir": "in", "width": 1, "signed": False},
            "rst": {"dir": "in", "width": 1, "signed": False},
            "i__payload": {"dir": "in", "width": i_width, "signed": False},
            "i__valid": {"dir": "in", "width": 1, "signed": False},
            "i__ready": {"dir": "out", "width": 1, "signed": False},
            "o__payload": {"dir": "out", "width": o_width, "signed": False},
            "o__valid": {"dir": "out", "width": 1, "signed": False},
            "o__ready": {"dir": "in", "width": 1, "signed": False},
        }
        info.update(rows=self.rows, cols=self.cols, dataflow=self.dataflow,
                    acc_width=self.acc_width, throughput=self.throughput, streams=fields,
                    clock="clk", reset="rst (synchronous, active high)")
        return info

    # -- golden models ----------------------------------------------------------------------

    def _check_matrices(self, a, w) -> tuple[np.ndarray, np.ndarray]:
        a, w = as_int64(a), as_int64(w)
        if a.ndim < 2 or w.ndim < 2 or a.shape[-1] != w.shape[-2] or a.shape[-1] == 0:
            raise ValueError(
                f"{self.family}.model needs matrices A (..., M, K) and W (..., K, N) with "
                f"K >= 1, not shapes {a.shape} and {w.shape}"
            )
        return a, w

    def _ws_pass(self, x, psum, w) -> np.ndarray:
        """One compute beat (or a batch) of ws: ``y = psum ⊕ x·W`` down the columns, plus the
        control-variate correction of the beat's activations with ``cv``."""
        y = ws_tile(self._grid(), self.add, self.acc_width, self.signed, x, psum, w,
                    cure=self.cure)
        if not self.cv:
            return y
        row_scales, col_scales = self.cv_scales
        u = cv_sum(x, row_scales, self.acc_width + 1)[..., None]  # (..., 1)
        corr = np.stack([cv_correction(u[..., 0], k, self.acc_width, self.signed)
                         for k in col_scales], axis=-1)
        return wrap(y + corr, self.acc_width, self.signed)

    def _os_pass(self, a, w) -> np.ndarray:
        """An os tile: ``a`` (..., R, K), ``w`` (..., K, C), plus the control-variate
        correction of each row's activations with ``cv``."""
        c = os_tile(self._grid(), self.add, self.acc_width, self.signed, a, w, cure=self.cure)
        if not self.cv:
            return c
        row_scales, col_scales = self.cv_scales
        bits = self.acc_width + 1
        a = as_int64(a)
        u = np.stack([cv_sum(a[..., r, :], (row_scales[r],) * a.shape[-1], bits)
                      for r in range(a.shape[-2])], axis=-1)  # (..., R)
        corr = np.stack([cv_correction(u, k, self.acc_width, self.signed)
                         for k in col_scales], axis=-1)  # (..., R, C)
        return wrap(c + corr, self.acc_width, self.signed)

    def _grid(self):
        """The PEs' multipliers for the tile models: one unit, or the rows × cols grid."""
        return self.mul if self.mul is not None else self.pe_muls

    def model(self, a, b, **controls) -> np.ndarray:
        """``C = A·W`` as the array computes it under the host procedure of
        ``docs/arrays.md`` (:meth:`host_beats`), for ``A`` (..., M, K) and ``W`` (..., K, N)
        (leading axes broadcast): every product from the multiplier's model, every sum from
        the adder's model in the hardware's order, wrapped to ``acc_width`` bits."""
        if controls:
            raise TypeError(f"{self.family}.model takes the matrices only, not "
                            f"{', '.join(controls)}")
        a, w = self._check_matrices(a, b)
        (m, k), n = a.shape[-2:], w.shape[-1]
        rows, cols = self.rows, self.cols
        nt = math.ceil(n / cols)
        lead = np.broadcast_shapes(a.shape[:-2], w.shape[:-2])
        if self.dataflow == "ws":
            kt = math.ceil(k / rows)
            a_p = _pad(a, (m, kt * rows))
            w_p = _pad(w, (kt * rows, nt * cols))
            a_t = a_p.reshape(*a.shape[:-2], m, kt, rows)
            w_t = np.moveaxis(w_p.reshape(*w.shape[:-2], kt, rows, nt, cols), -2, -3)
            y = np.zeros((*lead, m, nt, cols), dtype=np.int64)
            for t in range(kt):  # each K-tile's outputs are the next one's partial sums
                x = a_t[..., :, t, :][..., :, None, :]  # (..., M, 1, R)
                tile = w_t[..., t, :, :, :][..., None, :, :, :]  # (..., 1, NT, R, C)
                y = self._ws_pass(x, y, tile)
            return y.reshape(*lead, m, nt * cols)[..., :n]
        mt = math.ceil(m / rows)
        a_p = _pad(a, (mt * rows, k)).reshape(*a.shape[:-2], mt, 1, rows, k)
        w_p = np.moveaxis(_pad(w, (k, nt * cols)).reshape(*w.shape[:-2], k, nt, cols), -2, -3)
        c_t = self._os_pass(a_p, w_p[..., None, :, :, :])  # (..., MT, NT, R, C)
        c_t = np.swapaxes(c_t, -2, -3)  # (..., MT, R, NT, C)
        return c_t.reshape(*lead, mt * rows, nt * cols)[..., :m, :n]

    def host_beats(self, a, w) -> list[dict]:
        """The input beats of the host procedure for ``A`` (M, K) and ``W`` (K, N).

        ``os``: for each M-tile (rows of ``A``, zero-padded), for each N-tile (columns of
        ``W``, zero-padded), ``K`` beats ``{a: A_tile[:, k], w: W_tile[k, :], last: k == K-1}``.

        ``ws``: for each N-tile ``j``, for each K-tile ``t`` (rows of ``W``, columns of ``A``,
        zero-padded): ``rows`` load beats ``{load: 1, w: W_tile[r, :]}`` for
        ``r = rows-1 … 0``, then one compute beat per row ``m`` of ``A``,
        ``{load: 0, a: A[m, K-tile t], psum: …, psum_from: …}``. The partial sums are the
        output beat of K-tile ``t-1`` for the same ``m`` (zeros for ``t = 0``): the host feeds
        output beat number ``psum_from`` back (None for ``t = 0``); ``psum`` holds its value
        from the golden model.
        """
        a, w = self._check_matrices(a, w)
        if a.ndim != 2 or w.ndim != 2:
            raise ValueError("host_beats takes two matrices (no batch axes)")
        (m, k), n = a.shape, w.shape[1]
        rows, cols = self.rows, self.cols
        nt = math.ceil(n / cols)
        beats: list[dict] = []
        if self.dataflow == "os":
            mt = math.ceil(m / rows)
            a_p, w_p = _pad(a, (mt * rows, k)), _pad(w, (k, nt * cols))
            for i in range(mt):
                for j in range(nt):
                    for kk in range(k):
                        beats.append({"a": a_p[i * rows:(i + 1) * rows, kk].tolist(),
                                      "w": w_p[kk, j * cols:(j + 1) * cols].tolist(),
                                      "last": int(kk == k - 1)})
            return beats
        kt = math.ceil(k / rows)
        a_p, w_p = _pad(a, (m, kt * rows)), _pad(w, (kt * rows, nt * cols))
        for j in range(nt):
            y = np.zeros((m, cols), dtype=np.int64)
            for t in range(kt):
                tile = w_p[t * rows:(t + 1) * rows, j * cols:(j + 1) * cols]
                x = a_p[:, t * rows:(t + 1) * rows]
                for r in reversed(range(rows)):
                    beats.append({"load": 1, "w": tile[r].tolist()})
                for mm in range(m):
                    beats.append({"load": 0, "a": x[mm].tolist(), "psum": y[mm].tolist(),
                                  "psum_from": None if t == 0 else (j * kt + t - 1) * m + mm})
                y = self._ws_pass(x, y, tile)
        return beats

    def model_stream(self, beats) -> list[np.ndarray]:
        """The output beats (``cols`` values each) the array yields for a sequence of input
        beats (dicts as :meth:`pack_beat` takes), from reset: the beat-level golden model a
        scoreboard compares ``o`` against."""
        rows, cols = self.rows, self.cols
        out: list[np.ndarray] = []
        weights = np.zeros((rows, cols), dtype=np.int64)  # ws: the stationary weights
        a_cols: list = []  # os: the beats of the current tile
        w_rows: list = []
        for beat in beats:
            a = np.broadcast_to(as_int64(beat.get("a", 0)), (rows,))
            w = np.broadcast_to(as_int64(beat.get("w", 0)), (cols,))
            if self.dataflow == "ws":
                if beat.get("load", 0):
                    weights = np.concatenate([w[None, :], weights[:-1]])
                    continue
                psum = np.broadcast_to(as_int64(beat.get("psum", 0)), (cols,))
                out.append(self._ws_pass(a, psum, weights))
                continue
            a_cols.append(a)
            w_rows.append(w)
            if beat.get("last", 0):
                tile = self._os_pass(np.stack(a_cols, axis=-1), np.stack(w_rows))
                out.extend(tile[r] for r in reversed(range(rows)))
                a_cols, w_rows = [], []
        return out

    def assemble(self, shape_a, shape_w, outputs) -> np.ndarray:
        """``C`` (M, N) from the output beats of :meth:`host_beats` (``A`` of ``shape_a``,
        ``W`` of ``shape_w``): the inverse of the host procedure's output order."""
        (m, k), n = shape_a, shape_w[1]
        rows, cols = self.rows, self.cols
        nt = math.ceil(n / cols)
        out = as_int64(np.stack(list(outputs)))
        if self.dataflow == "ws":
            kt = math.ceil(k / rows)
            last = out.reshape(nt, kt, m, cols)[:, -1]  # (NT, M, C): the last K-tile's
            return np.moveaxis(last, 0, 1).reshape(m, nt * cols)[:, :n]
        mt = math.ceil(m / rows)
        tiles = out.reshape(mt, nt, rows, cols)[:, :, ::-1]  # rows leave last first
        return np.swapaxes(tiles, 1, 2).reshape(mt * rows, nt * cols)[:m, :n]

    # -- circuit ----------------------------------------------------------------------------

    def signature(self):
        from amaranth.lib import stream, wiring
        from amaranth.lib.wiring import In, Out

        from ._mesh import stream_layouts

        i_layout, o_layout = stream_layouts(self)
        return wiring.Signature({"i": In(stream.Signature(i_layout)),
                                 "o": Out(stream.Signature(o_layout))})

    def component(self):
        """A new ``SystolicArray`` component (streams ``i`` and ``o``; see docs/arrays.md)."""
        from ._mesh import SystolicArray

        return SystolicArray(self)

    def rtl(self, io):
        """The array driving the streams of ``io`` (a ``SystolicArray``)."""
        from ._mesh import build

        return build(self, io)

    def _own_source(self) -> VerilogSource:
        from ._verilog import emit_sequential

        return VerilogSource(f"{self.name}.v", emit_sequential(self.component(), self.name))


def _pad(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``x`` with zero rows and columns appended up to ``shape`` (its last two axes)."""
    extra = [(0, 0)] * (x.ndim - 2) + [(0, shape[0] - x.shape[-2]), (0, shape[1] - x.shape[-1])]
    return np.pad(x, extra)


def _packed(fields) -> dict:
    """Field offsets of a packed payload, the first field at bit 0."""
    out, offset = [], 0
    for name, (width, is_signed), count in fields:
        out.append({"name": name, "offset": offset, "width": width, "count": count,
                    "signed": is_signed})
        offset += width * count
    return {"width": offset, "fields": out}
