"""The metrics engine: every operand pair of a unit (streamed, on several processes) or a
Monte-Carlo sample, through the unit's golden model, into :mod:`axhdl.metrics.accumulate`.

How :func:`characterize` computes:

* exhaustively, in tiles of at most 2^13 operand pairs (a block of operand-a rows times a block
  of operand-b values), so memory stays bounded for any total width up to 32 bits, on several
  processes (tasks of rows of a, merged in a fixed order: the numbers do not depend on the
  number of workers);
* or by Monte-Carlo sampling (``samples``, ``seed``) for any width, with 95 % confidence
  intervals and the sampled WCE flagged as a lower bound.

Only numpy and the unit's model run here (no Amaranth, no simulator), or, for exhaustive
uniform evaluation of a family that has one, its compiled fast path
(:mod:`axhdl.metrics.kernels`, numba, imported only then), proven equal to the model in
``tests/test_metrics_kernels.py``.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from axhdl.errors import InputError
from axhdl.processes import worker_setup

from .accumulate import Moments, Partial, VecMoments

__all__ = [
    "MAX_EXHAUSTIVE",
    "MAX_STREAMED_WIDTH",
    "MetricsResult",
    "operand_grid",
    "characterize",
    "exhaustive_metrics",
    "default_workers",
]

#: largest operand-pair count :func:`operand_grid` materialises in memory
MAX_EXHAUSTIVE = 1 << 24

#: largest total operand width (a_width + b_width) evaluated exhaustively (streamed)
MAX_STREAMED_WIDTH = 32

#: operand pairs per tile: a few int64/float64 arrays of this size stay in the CPU caches
#: (and below the allocator's mmap threshold), which is several times faster than large tiles
TILE = 1 << 13

#: operand pairs per task handed to a worker process (fixed, so results do not depend on
#: the number of workers)
TASK = 1 << 22

#: most operand pairs the compiled fast path evaluates in this process alone (no workers)
FAST_SERIAL_PAIRS = 1 << 26

#: Monte-Carlo samples drawn per task (each task has its own seed sequence)
SAMPLE_TASK = 1 << 16


def operand_grid(unit) -> tuple[np.ndarray, np.ndarray]:
    """Every operand pair of ``unit`` as flat value arrays (a-major order)."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    total = (ahi - alo + 1) * (bhi - blo + 1)
    if total > MAX_EXHAUSTIVE:
        raise InputError(
            f"{unit.spec}: exhaustive evaluation needs {total} operand pairs, more than the "
            f"{MAX_EXHAUSTIVE} (2^24) allowed in one pass"
        )
    a = np.arange(alo, ahi + 1, dtype=np.int64)
    b = np.arange(blo, bhi + 1, dtype=np.int64)
    return np.repeat(a, b.size), np.tile(b, a.size)


# -- the result --------------------------------------------------------------------------------


@dataclass
class MetricsResult:
    """What :func:`characterize` found: the metrics and how they were obtained."""

    metrics: dict[str, float]
    method: str  # "exhaustive" or "monte-carlo"
    pairs: int  # operand pairs evaluated
    distribution: dict
    samples: int | None = None
    seed: int | None = None
    ci95: dict[str, list[float]] | None = None
    per_weight: dict[str, Any] | None = None

    @property
    def wce_lower_bound(self) -> bool:
        """True when WCE (and WCRE) come from a sample: the true maxima may be larger."""
        return self.method == "monte-carlo"

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "metrics": dict(self.metrics),
            "method": self.method,
            "pairs": self.pairs,
            "wce_lower_bound": self.wce_lower_bound,
            "distribution": self.distribution,
        }
        if self.method == "monte-carlo":
            out["samples"] = self.samples
            out["seed"] = self.seed
            out["ci95"] = self.ci95
        return out


# -- the engine --------------------------------------------------------------------------------


@dataclass
class _Job:
    unit: Any
    controls: dict
    dist: Any  # Distribution or None
    weighted: bool
    track_ci: bool
    per_weight: str | None  # "a", "b" or None
    a_vals: np.ndarray | None = None
    b_vals: np.ndarray | None = None
    samples: int = 0
    seed: int = 0
    plan: Any = None  # a compiled fast path (axhdl.metrics.kernels) or None

    def model(self, a, b) -> np.ndarray:
        return np.asarray(self.unit.model(a, b, **self.controls), dtype=np.int64)

    def new_partial(self) -> Partial:
        return Partial(weighted=self.weighted, track_ci=self.track_ci)


_JOB: _Job | None = None  # the job a forked worker inherits


def _tile(job: _Job, acc: Partial, a: np.ndarray, b: np.ndarray, w, support=None) -> None:
    A, B = a[:, None], b[None, :]
    shape = (a.size, b.size)
    approx = np.broadcast_to(job.model(A, B), shape)
    exact = np.broadcast_to(np.asarray(job.unit.exact(A, B), dtype=np.int64), shape)
    ed = approx - exact
    acc.add(ed, exact, w, support)
    if job.per_weight is not None:
        wt = np.ones(shape) if w is None else w
        edf = ed.astype(np.float64)
        axis = 0 if job.per_weight == "b" else 1
        wsum = wt.sum(axis=axis)
        safe = np.where(wsum > 0, wsum, 1.0)
        mean = (wt * edf).sum(axis=axis) / safe
        dev = edf - (mean[None, :] if axis == 0 else mean[:, None])
        m2 = (wt * dev * dev).sum(axis=axis)
        idx = _value_index(job, b if axis == 0 else a)
        acc.per_weight.merge(idx, wsum, mean, m2)


def _value_index(job: _Job, vals: np.ndarray) -> np.ndarray:
    """Position of weight-operand values in ``job.a_vals`` / ``job.b_vals`` (value order)."""
    lo = (job.b_vals if job.per_weight == "b" else job.a_vals)[0]
    return vals - lo


def _run_rows(bounds: tuple[int, int]) -> Partial:
    job = _JOB
    i0, i1 = bounds
    acc = job.new_partial()
    if job.per_weight is not None:
        n = (job.b_vals if job.per_weight == "b" else job.a_vals).size
        acc.per_weight = VecMoments.zeros(n)
    a_all, b_all = job.a_vals[i0:i1], job.b_vals
    if job.dist is not None:
        a_all = a_all[job.dist.row_support(a_all)]
        b_all = b_all[job.dist.col_support(b_all)]
    if not a_all.size or not b_all.size:
        return acc
    if job.plan is not None and job.dist is None and job.per_weight is None:
        return _kernel_partial(job, a_all, b_all)
    cols = min(b_all.size, TILE)
    rows = max(1, TILE // cols)
    for r in range(0, a_all.size, rows):
        a = a_all[r:r + rows]
        for c in range(0, b_all.size, cols):
            b = b_all[c:c + cols]
            if job.dist is None:
                _tile(job, acc, a, b, None)
            else:
                _tile(job, acc, a, b, job.dist.tile(a, b), job.dist.support(a, b))
    return acc


def _kernel_partial(job: _Job, a: np.ndarray, b: np.ndarray) -> Partial:
    """The statistics of ``a`` × ``b`` through the job's compiled plan (same integer sums,
    same tiles as :func:`_tile`)."""
    from .kernels import run_rows

    ist, ust, fst = run_rows(job.plan, a, b, TILE)
    acc = job.new_partial()
    acc.pairs = int(ist[0])
    acc.n_err = int(ist[1])
    acc.s1 = int(ist[2])
    acc.a1 = int(ist[3])
    acc.wce = int(ist[4])
    acc.s2 = (int(ust[1]) << 64) | int(ust[0])
    acc.red = Moments(float(fst[0]), float(fst[1]), float(fst[2]))
    acc.ared = Moments(float(fst[3]), float(fst[4]), float(fst[5]))
    acc.wcre = float(fst[6])
    return acc


def _run_samples(bounds: tuple[int, int]) -> Partial:
    job = _JOB
    index, count = bounds
    acc = job.new_partial()
    rng = np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(index,)))
    if job.dist is not None:
        a, b = job.dist.sample(rng, count)
    else:
        (alo, ahi), (blo, bhi) = job.unit.operand_ranges()
        a = rng.integers(alo, ahi, size=count, endpoint=True, dtype=np.int64)
        b = rng.integers(blo, bhi, size=count, endpoint=True, dtype=np.int64)
    for s in range(0, count, TILE):
        x, y = a[s:s + TILE], b[s:s + TILE]
        approx = np.broadcast_to(job.model(x, y), x.shape)
        exact = np.asarray(job.unit.exact(x, y), dtype=np.int64)
        acc.add(approx - exact, exact, None)
    return acc


def _execute(job: _Job, fn, tasks: list, workers: int) -> Partial:
    """Run ``fn`` over ``tasks`` (on forked workers when several) and merge in task order."""
    global _JOB
    total = job.new_partial()
    prev, _JOB = _JOB, job
    try:
        if workers <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for t in tasks:
                total.merge_from(fn(t))
        else:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                                     initializer=worker_setup) as ex:
                for part in ex.map(fn, tasks):
                    total.merge_from(part)
    finally:
        _JOB = prev
    return total


def default_workers() -> int:
    """Worker processes used by default: the CPUs this process may run on, at most 2
    (``$AXHDL_WORKERS`` overrides)."""
    env = os.environ.get("AXHDL_WORKERS")
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if not 1 <= value <= 1024:
            raise InputError(f"AXHDL_WORKERS must be an integer in 1..1024, not {env!r}")
        return value
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def _max_exact(unit) -> float:
    """max |exact| over the operand range: exact is a·b (or a+b), extreme at a corner."""
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    corners = np.array([[alo, blo], [alo, bhi], [ahi, blo], [ahi, bhi]], dtype=np.int64)
    return float(np.abs(np.asarray(unit.exact(corners[:, 0], corners[:, 1]))).max())


def characterize(
    unit,
    *,
    samples: int | None = None,
    seed: int = 0,
    dist=None,
    per_weight: bool = False,
    workers: int | None = None,
    controls: dict | None = None,
    fast: bool | None = None,
) -> MetricsResult:
    """Every metric of ``unit`` over all operand pairs, or over ``samples`` random pairs.

    ``dist``: a :class:`~axhdl.distributions.Distribution` (None = uniform). Exhaustive
    evaluation streams tiles and accepts a total operand width up to 32 bits; Monte-Carlo
    evaluation (``samples``) any width, with 95 % confidence intervals. ``per_weight`` adds
    E[ED] and Var(ED) for every value of the weight operand (exhaustive only).

    ``fast``: whether exhaustive uniform evaluation may use the unit's compiled fast path
    (:mod:`axhdl.metrics.kernels`), which gives the same integer statistics and RED moments
    equal to a few ulp; None (default) uses it from
    :func:`axhdl.metrics.kernels.min_pairs` pairs on (2^20, or 2^25 for the families whose
    numpy model is cheap), unless ``$AXHDL_FAST`` is ``0``.
    """
    controls = dict(controls or {})
    if workers is None:
        workers = default_workers()
    elif isinstance(workers, bool | float | str) or not int(workers) >= 1:
        raise InputError(f"workers must be a positive integer, not {workers!r}")
    else:
        workers = int(workers)
    na, nb = unit.a_width, unit.b_width
    scale = unit.operation.error_scale
    if dist is not None and dist.uniform:
        dist = None
    dist_info = {"kind": "uniform"} if dist is None else dist.describe()
    max_exact = _max_exact(unit)
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
            raise InputError(f"samples must be an integer of at least 2, not {samples!r}")
        if per_weight:
            raise InputError(
                "per-weight statistics need exhaustive evaluation; drop --samples"
            )
        job = _Job(unit, controls, dist, weighted=False, track_ci=True, per_weight=None,
                   samples=samples, seed=int(seed))
        tasks = [(i, min(SAMPLE_TASK, samples - s))
                 for i, s in enumerate(range(0, samples, SAMPLE_TASK))]
        acc = _execute(job, _run_samples, tasks, workers if samples >= 1 << 20 else 1)
        m = acc.metrics(scale=scale, max_exact=max_exact)
        ci = acc.intervals(m, scale=scale, max_exact=max_exact)
        return MetricsResult(m, "monte-carlo", acc.pairs, dist_info, samples=samples,
                             seed=int(seed), ci95=ci)
    if na + nb > MAX_STREAMED_WIDTH:
        raise InputError(
            f"{unit.spec}: exhaustive evaluation of {na}+{nb} operand bits "
            f"(2^{na + nb} pairs) is beyond the {MAX_STREAMED_WIDTH}-bit limit; "
            f"sample instead (--samples N)"
        )
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a_vals = np.arange(alo, ahi + 1, dtype=np.int64)
    b_vals = np.arange(blo, bhi + 1, dtype=np.int64)
    weight_op = None
    if per_weight:
        weight_op = unit.weight_operand or "b"
    job = _Job(unit, controls, dist, weighted=dist is not None, track_ci=False,
               per_weight=weight_op, a_vals=a_vals, b_vals=b_vals)
    if dist is None and weight_op is None and _use_fast(unit, fast, a_vals.size * b_vals.size):
        job.plan = _fast_plan(unit, controls, a_vals, b_vals)
        if job.plan is not None and a_vals.size * b_vals.size <= FAST_SERIAL_PAIRS:
            workers = 1  # a fraction of a second of compiled work: forking costs more
    rows_per_task = max(1, TASK // b_vals.size)
    tasks = [(i, min(i + rows_per_task, a_vals.size))
             for i in range(0, a_vals.size, rows_per_task)]
    acc = _execute(job, _run_rows, tasks, workers)
    m = acc.metrics(scale=scale, max_exact=max_exact)
    pw = None
    if weight_op is not None:
        pw = _per_weight_arrays(unit, weight_op, acc.per_weight, a_vals, b_vals)
    return MetricsResult(m, "exhaustive", acc.pairs, dist_info, per_weight=pw)


def _use_fast(unit, fast: bool | None, pairs: int) -> bool:
    if fast is not None:
        return bool(fast)
    if os.environ.get("AXHDL_FAST", "1").strip() == "0":
        return False
    from .kernels import min_pairs  # numpy only: numba is imported by plan_for

    return pairs >= min_pairs(unit)


def _fast_plan(unit, controls: dict, a_vals: np.ndarray, b_vals: np.ndarray):
    """The unit's compiled plan, its code loaded (compiled or read from the cache) here,
    before worker processes fork; None when the unit has none."""
    from .kernels import has_kernel, plan_for, run_rows

    if not has_kernel(unit):
        return None
    plan = plan_for(unit, controls)
    if plan is not None:
        run_rows(plan, a_vals[:1], b_vals[:2], TILE)
    return plan


def _per_weight_arrays(unit, weight_op, vm: VecMoments | None, a_vals, b_vals) -> dict:
    from axhdl.unit import to_code

    vals = b_vals if weight_op == "b" else a_vals
    width = unit.b_width if weight_op == "b" else unit.a_width
    if vm is None:
        vm = VecMoments.zeros(vals.size)
    seen = vm.w > 0
    safe = np.where(seen, vm.w, 1.0)
    mean = np.where(seen, vm.mean, np.nan)
    var = np.where(seen, vm.m2 / safe, np.nan)
    total = vm.w.sum()
    return {
        "weight_operand": weight_op,
        "values": vals.copy(),
        "codes": to_code(vals, width),
        "mean_ed": mean,
        "var_ed": var,
        "probability": vm.w / total if total > 0 else vm.w,
    }


def exhaustive_metrics(unit, **controls) -> dict[str, float]:
    """Every metric over every operand pair of ``unit`` (uniform operands, total operand width
    up to 32 bits, streamed)."""
    return characterize(unit, controls=controls).metrics
