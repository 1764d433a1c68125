"""``axhdl dnn SPEC``: what a unit does to a network — exact and approximate accuracy of a
quantized network with the unit as every layer's multiplier, compensation, per-layer MACs
and error, network energy from the PPA flow; ``--assign`` a multiplier per layer,
``--candidates`` a search for per-layer assignments under an accuracy-loss bound
(docs/dnn.md). A progress bar on stderr on a terminal (``--progress`` forces it)."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..results import load_numpy
from ._common import add_json, percentage_points, print_json, table


def register(sub, name):
    p = sub.add_parser(
        name, help="accuracy of a quantized DNN with the unit as its multiplier")
    p.add_argument("spec", nargs="?",
                   help="multiplier spec, e.g. 'truncated:width=8,k=8,signed=true' (omitted "
                        "with --assign or --candidates)")
    p.add_argument("--model", default="digits", metavar="digits|FILE.onnx|FILE.pt",
                   help="the built-in digits CNN (default), a float ONNX model, or a PyTorch "
                        "nn.Sequential saved with torch.save (needs the torch extra)")
    p.add_argument("--data", metavar="FILE.npz",
                   help="test and calibration data: arrays x, y, calibration (default: the "
                        "digits split; required with an ONNX or PyTorch model)")
    p.add_argument("--compensate", default="none", metavar="none|bias|alwann|cv[,...]",
                   help="error compensation, combinable with commas (default none)")
    p.add_argument("--scheme", default="auto", choices=("auto", "signed", "signmag",
                                                         "zeropoint"),
                   help="operand coding: auto = signed for signed units, signmag for "
                        "unsigned ones; zeropoint = TFApprox's convention")
    p.add_argument("--assign", metavar="SPEC;SPEC;...",
                   help="layer-wise assignment: one multiplier per conv/linear layer, in order")
    p.add_argument("--candidates", metavar="SPEC;SPEC;...",
                   help="search per-layer assignments of these units (exhaustive up to 256 "
                        "assignments, a Pareto local search beyond) and report their Pareto "
                        "set")
    p.add_argument("--search", default="auto", choices=("auto", "exhaustive", "greedy",
                                                        "pareto"),
                   help="the search strategy of --candidates (default auto: exhaustive up "
                        "to 256 assignments, pareto beyond)")
    p.add_argument("--max-loss", type=percentage_points, default=1.0, metavar="PCT",
                   help="accuracy-loss bound of the search, percentage points (default 1)")
    p.add_argument("--energy", action=argparse.BooleanOptionalAction, default=True,
                   help="network energy (default on): each layer's operand stream as the "
                        "workload of the PPA flow, the exact unit under the same streams; "
                        "--no-energy skips synthesis")
    p.add_argument("--liberty", metavar="FILE",
                   help="liberty file of the energy figures (default: OSU 0.18 um)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar on stderr (default: only when stderr is a terminal)")
    add_json(p)
    return p


def run(args) -> int:
    from ..nn.assign import parse_specs, search
    from ..nn.evaluate import evaluate
    from ..nn.progress import Progress

    given = [o for o, v in (("SPEC", args.spec), ("--assign", args.assign),
                            ("--candidates", args.candidates)) if v is not None]
    if len(given) != 1:
        raise InputError("give one of SPEC, --assign SPEC;SPEC;... or --candidates "
                         "SPEC;SPEC;..." + (f", not {' and '.join(given)}" if given else ""))
    if args.data is not None:  # a directory, text or a pickle: one line, the format expected
        load_numpy(args.data, "data file", (".npz",))
    opts = {"liberty": args.liberty} if args.liberty else None
    if args.candidates is not None and not args.energy:
        raise InputError("--candidates searches for energy savings: it needs --energy")
    progress = Progress(args.progress)
    try:
        if args.candidates is not None:
            res = search(args.candidates, max_loss=args.max_loss, model=args.model,
                         data=args.data, compensate=args.compensate, scheme=args.scheme,
                         ppa_options=opts, strategy=args.search, progress=progress)
        else:
            spec = parse_specs(args.assign) if args.assign is not None else args.spec
            res = evaluate(spec, model=args.model, data=args.data, compensate=args.compensate,
                           scheme=args.scheme, energy=args.energy, ppa_options=opts,
                           progress=progress)
    finally:
        progress.close()
    if args.candidates is not None:
        if args.json:
            print_json(res)
        else:
            _print_search(res)
        return 0
    if args.json:
        print_json(res)
        return 0
    comp = ", ".join(res["compensation"]) or "none"
    print(f"{res['spec']} on {res['model']} ({res['data']}, {res['test_inputs']} test inputs)")
    print(f"scheme {res['scheme']} ({res['activation_bits']}-bit activations, "
          f"{res['weight_bits']}-bit weights), compensation {comp}")
    print(f"float accuracy        {res['float_accuracy_pct']:.2f} %")
    print(f"exact accuracy        {res['exact_accuracy_pct']:.2f} %  (quantized, exact "
          f"multiplier)")
    print(f"approximate accuracy  {res['approx_accuracy_pct']:.2f} %")
    print(f"accuracy loss         {res['accuracy_loss_pct']:.2f} percentage points")
    print(f"MACs per inference    {res['macs']}")
    if "energy" in res:
        e = res["energy"]
        sav = "-" if e["savings_pct"] is None else f"{e['savings_pct']:.2f} %"
        print(f"energy per inference  {e['energy_pj']:.4g} pJ (exact unit "
              f"{e['exact_energy_pj']:.4g} pJ), savings {sav}")
    print()
    cols = ["name", "kind", "macs"] + (["spec"] if args.assign is not None else [])
    cols += ["products", "mean_error_lsb", "mae_lsb"]
    if "energy" in res:
        cols += ["energy_per_op_pj", "energy_pj"]
    table(res["layers"], cols)
    return 0


def _print_search(res: dict) -> None:
    comp = ", ".join(res["compensation"]) or "none"
    print(f"layer-wise assignment on {res['model']} ({res['data']}, {res['test_inputs']} test "
          f"inputs), scheme {res['scheme']}, compensation {comp}")
    for i, c in enumerate(res["candidates"]):
        print(f"candidate {i}: {c}")
    print(f"exact accuracy {res['exact_accuracy_pct']:.2f} %, exact energy "
          f"{res['exact_energy_pj']:.4g} pJ per inference")
    print(f"{res['method']} search: {res['evaluated']} of {res['space']} assignments "
          f"evaluated, loss bound {res['max_loss_pct']:g} percentage points")
    index = {c: i for i, c in enumerate(res["candidates"])}

    def row(p):
        return {"assignment": " ".join(str(index[s]) for s in p["assignment"]),
                "loss_pct": p["accuracy_loss_pct"], "savings_pct": p["savings_pct"],
                "energy_pj": p["energy_pj"]}

    best = res["best"]
    print("best: " + ("none meets the bound" if best is None else
                      f"{row(best)['assignment']} (loss {best['accuracy_loss_pct']:.2f}, "
                      f"savings {best['savings_pct']:.2f} %)"))
    print()
    print("Pareto set (candidate index per layer: " + " ".join(la["name"] for la in
                                                               res["layers"]) + ")")
    table([row(p) for p in res["pareto"]])
