"""Layer-wise assignment (ALWANN, Mrazek et al. ICCAD 2019; Zervakis et al. 2020): a
multiplier per conv/linear layer, and a search for the assignments that save the most network
energy under an accuracy-loss bound.

- :func:`parse_specs` reads ``SPEC;SPEC;…`` (``--assign``, ``--candidates``);
- :func:`layer_units` checks an assignment against a network (one multiplier per layer, one
  operand coding for all);
- :func:`search` evaluates assignments of candidate units — every one when the product of
  choices is at most :data:`EXHAUSTIVE_LIMIT`, a Pareto local search otherwise (or a greedy
  descent; :func:`explore`) — and reports the Pareto set (accuracy loss vs energy savings)
  of those evaluated.

Energy in the search is additive: each layer's energy per operation for each candidate is
measured once, under that layer's operand stream in the exact network on the calibration
inputs (:func:`axhdl.nn.evaluate.layer_workload`); an assignment's energy is Σ MACs × that
figure. ``axhdl dnn --assign`` measures the chosen assignment under its own streams.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..registry import make_unit
from ..results import provenance
from .compensate import calibrate, parse_methods
from .digits import SPLIT_SEED
from .engine import predict, run
from .products import ExactProducts, Products
from .progress import Progress
from .quantize import QNetwork, Scheme

__all__ = ["EXHAUSTIVE_LIMIT", "parse_specs", "layer_units", "pareto", "explore", "search"]

#: the search is exhaustive up to this many assignments (product of the choices per layer)
#: by default, and the other searches evaluate at most this many
EXHAUSTIVE_LIMIT = 256

#: an exhaustive search asked for explicitly enumerates at most this many assignments
MAX_EXHAUSTIVE = 100_000


def parse_specs(text: str | Sequence[str], what: str = "--assign") -> list[str]:
    """``SPEC;SPEC;…`` (or a list of specs) → the specs, stripped; none empty."""
    specs = text.split(";") if isinstance(text, str) else list(text)
    specs = [s.strip() for s in specs]
    if not specs or any(not s for s in specs):
        raise InputError(f"{what} must be unit specs separated by ';', not {text!r}")
    return specs


def layer_units(specs: Sequence[str], scheme: str = "auto") -> tuple[list, Scheme]:
    """Units of ``specs`` and their common operand coding; every unit a multiplier with the
    same coding (scheme and operand widths)."""
    units = [make_unit(s) for s in specs]
    schemes = [Scheme.for_unit(u, scheme) for u in units]
    for u, s in zip(units, schemes):
        if s != schemes[0]:
            raise InputError(
                f"every layer's unit needs the same operand coding: {units[0].spec} gives "
                f"{_coding(schemes[0])}, {u.spec} gives {_coding(s)}")
    return units, schemes[0]


def _coding(s: Scheme) -> str:
    sign = "signed" if s.unit_signed else "unsigned"
    return f"{s.name} {s.act_bits}x{s.weight_bits} ({sign})"


def check_count(qnet: QNetwork, specs: Sequence[str], what: str = "--assign") -> None:
    names = [n.name for n in qnet.mac_nodes()]
    if len(specs) != len(names):
        raise InputError(f"{what} needs one unit per conv/linear layer ({len(names)}: "
                         f"{', '.join(names)}), not {len(specs)}")


def pareto(points: list[dict]) -> list[dict]:
    """The points no other point dominates (loss ≤, savings ≥, one of them strictly), by
    rising loss."""
    out = []
    for p in points:
        lp, sp = p["accuracy_loss_pct"], p["savings_pct"]
        if not any(q["accuracy_loss_pct"] <= lp and q["savings_pct"] >= sp
                   and (q["accuracy_loss_pct"] < lp or q["savings_pct"] > sp) for q in points):
            out.append(p)
    return sorted(out, key=lambda p: (p["accuracy_loss_pct"], -p["savings_pct"]))


def _layer_energies(units, prods, qnet, cal_codes, macs, *, vectors, seed, ppa_fn,
                    ppa_options, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Energy per operation [layer, candidate] under each layer's exact-network stream, and
    of the exact unit per layer (under the first candidate's stream)."""
    import io

    from .evaluate import layer_workload

    if ppa_fn is None:
        from ..synth.flow import ppa as ppa_fn
    inputs: dict[str, np.ndarray] = {}
    run(qnet, cal_codes, ExactProducts(qnet.scheme), codes=True,
        hook=lambda node, x: inputs.__setitem__(node.name, x))
    nodes = qnet.mac_nodes()
    e = np.zeros((len(nodes), len(units)))
    base = np.zeros(len(nodes))
    with tempfile.TemporaryDirectory(prefix="axhdl-assign-") as tmp:
        for i, node in enumerate(nodes):
            for j, (unit, prod) in enumerate(zip(units, prods)):
                wl = layer_workload(node.op, inputs[node.name], prod, vectors=vectors,
                                    seed=seed)
                path = Path(tmp) / f"{node.name}-{j}.npz"
                buf = io.BytesIO()
                np.savez(buf, a=wl["a"], b=wl["b"])
                path.write_bytes(buf.getvalue())
                if progress is not None:
                    progress.phase(f"energy: {node.name}, candidate {j}")
                res = ppa_fn(unit, workload=path, vectors=vectors, seed=seed,
                             **(ppa_options or {}))
                if progress is not None:
                    progress.step()
                e[i, j] = float(res.energy_pj)
                if j == 0:
                    base[i] = (float(res.baseline.energy_pj) if res.baseline is not None
                               else float("nan"))
    return e, base


def explore(e_op: np.ndarray, loss_of: Callable[[tuple[int, ...]], float], max_loss: float,
            strategy: str, *, budget: int = EXHAUSTIVE_LIMIT,
            grow: Callable[[int], None] | None = None) -> str:
    """Visit assignments (tuples of candidate indices, one per layer) by ``strategy``, calling
    ``loss_of`` (which evaluates and records an assignment, returning its accuracy loss) on
    each; energy is additive: Σ layers ``e_op[layer, candidate]`` (per-layer MACs included).
    Returns the strategy's name. ``grow(n)``: n more evaluations are planned (progress).

    - ``exhaustive``: every assignment;
    - ``greedy``: from each layer's most expensive candidate, evaluate every move of one
      layer to a cheaper candidate and take the one that saves most within the bound, until
      none is;
    - ``pareto``: a Pareto local search (Paquete, Chiarandini and Stützle, "Pareto local
      optimum sets in the biobjective traveling salesman problem", 2004) with bound pruning:
      start from the most and the least expensive assignments; repeatedly take the
      unexpanded assignment of the archive — those within the bound that no other evaluated
      one within the bound dominates (loss ≤, energy ≤, one strictly) — that saves most, and
      evaluate all its one-layer neighbours (cheaper and costlier); stop when every archive
      member is expanded or after ``budget`` evaluations."""
    n_layers, n_cand = e_op.shape
    seen: dict[tuple[int, ...], float] = {}

    def visit(choice: tuple[int, ...]) -> float:
        if choice not in seen:
            seen[choice] = float(loss_of(choice))
        return seen[choice]

    def energy(choice):
        return float(sum(e_op[i, j] for i, j in enumerate(choice)))

    if strategy == "exhaustive":
        if grow is not None:
            grow(n_cand ** n_layers)
        for choice in itertools.product(range(n_cand), repeat=n_layers):
            visit(choice)
        return strategy
    top = tuple(int(np.argmax(e_op[i])) for i in range(n_layers))
    if strategy == "greedy":
        current = top
        if grow is not None:
            grow(1)
        visit(current)
        while True:
            moves = [current[:i] + (j,) + current[i + 1:] for i in range(n_layers)
                     for j in range(n_cand) if e_op[i, j] < e_op[i, current[i]]]
            if grow is not None:  # the total grows as the descent goes on
                grow(sum(m not in seen for m in moves))
            ok = [m for m in moves if visit(m) <= max_loss]
            if not ok:
                return strategy
            current = min(ok, key=energy)
    if strategy != "pareto":
        raise InputError(f"search strategy must be auto, exhaustive, greedy or pareto, not "
                         f"{strategy!r}")
    bottom = tuple(int(np.argmin(e_op[i])) for i in range(n_layers))
    starts = [top] + ([bottom] if bottom != top else [])
    if grow is not None:
        grow(len(starts))
    for c in starts:
        visit(c)
    expanded: set[tuple[int, ...]] = set()
    while len(seen) < budget:
        inside = [(c, lo, energy(c)) for c, lo in seen.items() if lo <= max_loss]
        archive = [c for c, lo, e in inside
                   if not any(lo2 <= lo and e2 <= e and (lo2 < lo or e2 < e)
                              for _, lo2, e2 in inside)]
        todo = sorted((c for c in archive if c not in expanded), key=lambda c: (energy(c), c))
        if not todo:
            break
        c = todo[0]
        expanded.add(c)
        nbrs = [c[:i] + (j,) + c[i + 1:] for i in range(n_layers) for j in range(n_cand)
                if j != c[i] and c[:i] + (j,) + c[i + 1:] not in seen]
        nbrs = nbrs[:max(0, budget - len(seen))]
        if grow is not None:
            grow(len(nbrs))
        for m in nbrs:
            visit(m)
    return strategy


def search(candidates, *, max_loss: float, model="digits", data=None, compensate=None,
           scheme: str = "auto", batch: int = 256, ppa_fn=None, ppa_options=None,
           exhaustive_limit: int = EXHAUSTIVE_LIMIT, strategy: str = "auto",
           progress: Progress | None = None) -> dict:
    """Per-layer assignments of ``candidates`` (specs, or ``SPEC;SPEC;…``) that maximise
    network energy savings with an accuracy loss of at most ``max_loss`` percentage points;
    the Pareto set of the assignments evaluated. A JSON-ready dict. ``strategy`` (see
    :func:`explore`): ``auto`` is exhaustive up to ``exhaustive_limit`` assignments, the
    Pareto local search beyond (at most ``exhaustive_limit`` evaluations). ``progress``
    counts the syntheses and the assignments evaluated."""
    from .evaluate import ENERGY_VECTORS, layer_macs, load_model_and_data
    from .quantize import quantize

    specs = parse_specs(candidates, "--candidates")
    if len(set(specs)) != len(specs):
        raise InputError(f"--candidates lists a unit twice: {';'.join(specs)}")
    if not (isinstance(max_loss, int | float) and max_loss >= 0):
        raise InputError(f"--max-loss must be a non-negative number, not {max_loss!r}")
    units, sch = layer_units(specs, scheme)
    methods = parse_methods(compensate)
    net, model_info, ds = load_model_and_data(model, data)
    qnet = quantize(net, ds.calibration, sch)
    nodes = qnet.mac_nodes()
    names = [n.name for n in nodes]
    tables = [Products(u, sch) for u in units]
    # the exact family multiplies exactly: no compensation, BLAS
    prods = [ExactProducts(sch) if u.family == "exact" else p for u, p in zip(units, tables)]
    exact_pred = predict(qnet, ds.x, ExactProducts(sch), batch=batch)
    exact_acc = 100.0 * float((exact_pred == ds.y).mean())
    macs = layer_macs(qnet)
    n_macs = np.array([macs[n]["macs"] for n in names], dtype=np.float64)
    cal_codes = qnet.input.quantize(ds.calibration)
    space = len(specs) ** len(names)
    if progress is not None:
        progress.add(len(names) * len(units))
    if strategy not in ("auto", "exhaustive", "greedy", "pareto"):
        raise InputError(f"search strategy must be auto, exhaustive, greedy or pareto, not "
                         f"{strategy!r}")
    if strategy == "exhaustive" and space > MAX_EXHAUSTIVE:
        raise InputError(f"{space} assignments are too many to enumerate (at most "
                         f"{MAX_EXHAUSTIVE}); use the pareto or greedy search")
    e_op, e_base = _layer_energies(units, tables, qnet, cal_codes, macs,
                                   vectors=ENERGY_VECTORS, seed=0, ppa_fn=ppa_fn,
                                   ppa_options=ppa_options, progress=progress)
    exact_energy = float((n_macs * e_base).sum())
    seen: dict[tuple[int, ...], dict] = {}

    def evaluate_one(choice: tuple[int, ...]) -> dict:
        if choice in seen:
            return seen[choice]
        if progress is not None:
            progress.phase(f"assignment {' '.join(map(str, choice))}")
        mapping = {n: prods[j] for n, j in zip(names, choice)}
        comp = calibrate(qnet, mapping, ds.calibration, methods)
        pred = predict(qnet, ds.x, mapping, compensation=comp, batch=batch)
        acc = 100.0 * float((pred == ds.y).mean())
        layer_e = [float(n_macs[i] * e_op[i, j]) for i, j in enumerate(choice)]
        energy = float(sum(layer_e))
        point = {"assignment": [units[j].spec for j in choice],
                 "approx_accuracy_pct": acc, "accuracy_loss_pct": exact_acc - acc,
                 "energy_pj": energy, "layer_energy_pj": layer_e,
                 "savings_pct": (100.0 * (exact_energy - energy) / exact_energy
                                 if exact_energy else None)}
        seen[choice] = point
        if progress is not None:
            progress.step()
        return point

    if strategy == "auto":
        strategy = "exhaustive" if space <= exhaustive_limit else "pareto"
    method = explore(n_macs[:, None] * e_op, lambda c: evaluate_one(c)["accuracy_loss_pct"],
                     max_loss, strategy, budget=exhaustive_limit,
                     grow=None if progress is None else progress.add)
    if progress is not None:
        progress.finish()
    points = list(seen.values())
    feasible = [p for p in points if p["accuracy_loss_pct"] <= max_loss]
    best = max(feasible, key=lambda p: (p["savings_pct"], -p["accuracy_loss_pct"]),
               default=None)
    return {
        "candidates": [u.spec for u in units],
        "layers": [{"name": n, "kind": macs[n]["kind"], "macs": macs[n]["macs"],
                    "energy_per_op_pj": {u.spec: float(v) for u, v in zip(units, e_op[i])},
                    "exact_energy_per_op_pj": float(e_base[i])}
                   for i, n in enumerate(names)],
        "scheme": sch.name,
        "compensation": list(methods),
        "model": model_info["name"],
        "data": ds.info["name"],
        "test_inputs": int(len(ds.y)),
        "exact_accuracy_pct": exact_acc,
        "exact_energy_pj": exact_energy,
        "max_loss_pct": float(max_loss),
        "method": method,
        "space": space,
        "evaluated": len(points),
        "best": best,
        "pareto": pareto(points),
        "provenance": provenance(None, candidates=[u.spec for u in units], model=model_info,
                                 data=ds.info, scheme=sch.name, compensation=list(methods),
                                 max_loss_pct=float(max_loss), method=method,
                                 seed=SPLIT_SEED if data is None else None,
                                 energy_vectors=ENERGY_VECTORS),
    }
