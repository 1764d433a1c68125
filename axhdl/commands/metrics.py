"""``axhdl metrics SPEC``: error metrics of a unit (DESIGN.md §3), exhaustive or sampled,
uniform or weighted by measured operand distributions; dot-product error, per-weight
statistics and plots."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..distributions import distribution_from_files
from ..metrics import METRIC_KEYS, characterize, dot_product_error
from ..results import atomic_write, provenance
from ._common import add_json, add_spec, print_json, table, unit_from


def register(sub, name):
    p = sub.add_parser(
        name, help="error metrics: exhaustive (up to 32 operand bits) or Monte-Carlo")
    add_spec(p)
    p.add_argument("--samples", type=int, metavar="N",
                   help="Monte-Carlo: N random operand pairs (95%% confidence intervals)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--dist-a", metavar="FILE",
                   help="distribution of operand a: .npy samples or .npz samples/histogram")
    p.add_argument("--dist-b", metavar="FILE", help="distribution of operand b (as --dist-a)")
    p.add_argument("--dist-joint", metavar="FILE",
                   help="joint distribution: .npy histogram (2^na, 2^nb) or .npz")
    p.add_argument("--dot", type=int, metavar="N",
                   help="also the accumulated error of an N-term dot product")
    p.add_argument("--per-weight", metavar="FILE.npz",
                   help="write E[ED] and Var(ED) for every value of the weight operand")
    p.add_argument("--plot", metavar="DIR", help="write error plots into DIR")
    p.add_argument("--plot-format", choices=("png", "svg"), default="png",
                   help="plot file format (default png)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (default: up to 2 CPUs)")
    add_json(p)
    return p


def run(args) -> int:
    unit = unit_from(args)
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


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.4g}"
    return f"{v:.4f}".rstrip("0").rstrip(".")
