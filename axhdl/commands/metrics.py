"""``axhdl metrics SPEC``: error metrics of a unit (DESIGN.md §3), exhaustive or sampled,
uniform or weighted by measured operand distributions; dot-product error, per-weight
statistics and plots. For ``mac`` and ``systolic`` specs: the output error of whole dot
products / GEMMs over seeded random or given operand matrices
(:func:`axhdl.metrics.gemm_metrics`), with ``snr_db``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..distributions import distribution_from_files
from ..errors import InputError
from ..metrics import METRIC_KEYS, characterize, dot_product_error
from ..metrics.arrays import ARRAY_METRIC_KEYS, gemm_metrics, is_array_unit
from ..results import atomic_write, load_numpy, provenance
from ._common import (
    add_json,
    add_spec,
    check_memory,
    count,
    print_json,
    seed,
    table,
    unit_from,
    workers,
)

#: the most Monte-Carlo samples of one run (drawn in bounded memory, 2^16 per task; beyond
#: this the task list alone grows large and the run takes hours; split it over seeds)
MAX_SAMPLES = 1 << 32


def register(sub, name):
    p = sub.add_parser(
        name, help="error metrics: exhaustive (up to 32 operand bits) or Monte-Carlo")
    add_spec(p)
    p.add_argument("--samples", "--tiles", type=count(1, MAX_SAMPLES, "samples per run"),
                   metavar="N", dest="samples",
                   help="Monte-Carlo: N random operand pairs (95%% confidence intervals); for "
                   "mac/systolic specs: N random dot products / GEMMs (default 10000 / 100)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the sample (default 0)")
    p.add_argument("--dist-a", metavar="FILE",
                   help="distribution of operand a: .npy samples or .npz samples/histogram")
    p.add_argument("--dist-b", metavar="FILE", help="distribution of operand b (as --dist-a)")
    p.add_argument("--dist-joint", metavar="FILE",
                   help="joint distribution: .npy histogram (2^na, 2^nb) or .npz")
    p.add_argument("--dot", type=count(1), metavar="N",
                   help="also the accumulated error of an N-term dot product")
    p.add_argument("--per-weight", metavar="FILE.npz",
                   help="write E[ED] and Var(ED) for every value of the weight operand")
    p.add_argument("--plot", metavar="DIR", help="write error plots into DIR")
    p.add_argument("--plot-format", choices=("png", "svg"), default="png",
                   help="plot file format (default png)")
    p.add_argument("--workers", type=workers, metavar="N",
                   help="worker processes (default: up to 2 CPUs)")
    g = p.add_argument_group("mac and systolic specs (errors of whole dot products / GEMMs)")
    g.add_argument("--m", type=count(1), metavar="M",
                   help="rows of A (default 4 x max(rows, cols))")
    g.add_argument("--k", type=count(1), metavar="K",
                   help="reduction length (default 2 x rows; mac: 64)")
    g.add_argument("--n", type=count(1), metavar="N", help="columns of W (default 2 x cols)")
    g.add_argument("--workload", metavar="FILE.npz",
                   help="operand matrices instead of random ones: .npz with arrays A "
                   "((M, K) or (S, M, K)) and W ((K, N) or (S, K, N)); mac: (K,) or (S, K)")
    add_json(p)
    return p


#: options of single units that have no meaning for dot products / GEMMs (dest → flag)
_UNIT_ONLY = {"dist_a": "--dist-a", "dist_b": "--dist-b", "dist_joint": "--dist-joint",
              "dot": "--dot", "per_weight": "--per-weight", "plot": "--plot",
              "workers": "--workers"}
_ARRAY_ONLY = {"m": "--m", "k": "--k", "n": "--n", "workload": "--workload"}


def run(args) -> int:
    unit = unit_from(args)
    if is_array_unit(unit):
        return _run_array(unit, args)
    used = [flag for dest, flag in _ARRAY_ONLY.items() if getattr(args, dest) is not None]
    if used:
        raise InputError(
            f"{', '.join(used)} appl{'ies' if len(used) == 1 else 'y'} to mac and systolic "
            f"specs only; {unit.spec} is a {unit.kind}"
        )
    dist = distribution_from_files(unit, args.dist_a, args.dist_b, args.dist_joint)
    if args.dot is not None:
        dot_product_error({"mean_ed": 0.0, "var_ed": 0.0}, args.dot)  # checks N first
    res = characterize(unit, samples=args.samples, seed=args.seed, dist=dist,
                       per_weight=args.per_weight is not None, workers=args.workers)
    out = res.as_dict()
    if args.dot is not None:
        out["dot"] = dot_product_error(res.metrics, args.dot)
    if args.per_weight is not None:
        buf = io.BytesIO()
        pw = res.per_weight
        np.savez(buf, weight_operand=np.array(pw["weight_operand"]), values=pw["values"],
                 codes=pw["codes"], mean_ed=pw["mean_ed"], var_ed=pw["var_ed"],
                 probability=pw["probability"])
        atomic_write(Path(args.per_weight), buf.getvalue())
        out["per_weight"] = {"path": args.per_weight, "weight_operand": pw["weight_operand"]}
    if args.plot is not None:
        from ..plots import plot_errors

        paths = plot_errors(unit, Path(args.plot), fmt=args.plot_format, dist=dist,
                            seed=args.seed)
        out["plots"] = [str(p) for p in paths]
    out["provenance"] = provenance(unit, method=res.method, samples=args.samples,
                                   seed=args.seed if args.samples else None,
                                   distribution=res.distribution)
    if args.json:
        print_json(out)
        return 0
    _print_human(unit, res, out)
    return 0


def _print_human(unit, res, out) -> None:
    how = (f"exhaustive, {res.pairs} pairs" if res.method == "exhaustive"
           else f"Monte-Carlo, {res.samples} samples, seed {res.seed}")
    dist = res.distribution["kind"]
    print(f"{unit.spec}  ({how}, {dist} operands)")
    rows = []
    for k in METRIC_KEYS:
        v = res.metrics[k]
        row = {"metric": k, "value": v}
        if res.wce_lower_bound and k in ("wce", "wce_pct", "wcre"):
            row["metric"] = f"{k} (lower bound)"
            row["value"] = ">= " + _num(v)
        if res.ci95 is not None:
            ci = res.ci95.get(k)
            row["95% CI"] = f"[{_num(ci[0])}, {_num(ci[1])}]" if ci else None
        rows.append(row)
    table(rows)
    if "dot" in out:
        d = out["dot"]
        print(f"\n{d['n']}-term dot product (independent products): mean error {_num(d['mean'])}, "
              f"variance {_num(d['var'])}, std {_num(d['std'])}, rms {_num(d['rms'])}")
    if "per_weight" in out:
        print(f"per-weight statistics (weight operand {out['per_weight']['weight_operand']}): "
              f"{out['per_weight']['path']}")
    for p in out.get("plots", []):
        print(f"plot: {p}")


def _run_array(unit, args) -> int:
    used = [flag for dest, flag in _UNIT_ONLY.items() if getattr(args, dest) is not None]
    if used:
        raise InputError(
            f"{', '.join(used)} appl{'ies' if len(used) == 1 else 'y'} to single units, not "
            f"to the dot products / GEMMs of {unit.family} specs"
        )
    if args.workload is None:
        _check_array_memory(unit, args)
    else:  # a directory, text or a pickle: one line, the format expected
        load_numpy(args.workload, "workload file", (".npz",))
    res = gemm_metrics(unit, samples=args.samples, m=args.m, k=args.k, n=args.n,
                       seed=args.seed, workload=args.workload)
    out = res.as_dict()
    out["provenance"] = provenance(
        unit, method=res.method, operation=res.operation, samples=res.samples,
        shape=res.shape, seed=res.seed, workload=res.source,
    )
    if args.json:
        print_json(out)
        return 0
    if res.operation == "mac":
        what = f"dot products of length {res.shape['k']}"
    else:
        sh = res.shape
        what = f"GEMMs ({sh['m']}x{sh['k']} by {sh['k']}x{sh['n']})"
    how = (f"Monte-Carlo, {res.samples} random {what}, seed {res.seed}"
           if res.method == "monte-carlo" else f"{res.samples} given {what}")
    src = f" from {res.source['path']}" if res.source and res.source.get("path") else ""
    print(f"{unit.spec}  ({how}{src}; {res.outputs} outputs, {res.macs} MACs)")
    rows = []
    for key in ARRAY_METRIC_KEYS:
        v = res.metrics[key]
        row = {"metric": key, "value": v}
        if key in ("wce", "wce_pct", "wcre"):
            row["metric"] = f"{key} (lower bound)"
            row["value"] = ">= " + _num(v)
        if res.ci95 is not None:
            ci = res.ci95.get(key)
            row["95% CI"] = f"[{_num(ci[0])}, {_num(ci[1])}]" if ci else None
        rows.append(row)
    table(rows)
    return 0


def _check_array_memory(unit, args) -> None:
    """Refuse up front random GEMMs / dot products that would not fit in memory (they are
    drawn and evaluated all at once)."""
    from ..metrics.arrays import default_samples, resolve_shape

    shape = resolve_shape(unit, args.m, args.k, args.n)
    samples = args.samples if args.samples is not None else default_samples(unit)
    m, k, n = shape.get("m", 1), shape["k"], shape.get("n", 1)
    # operands, the products of every term, outputs and their differences (int64)
    check_memory("--samples", samples, 8.0 * (m * k + k * n + m * k * n + 4 * m * n))


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.4g}"
    return f"{v:.4f}".rstrip("0").rstrip(".")
