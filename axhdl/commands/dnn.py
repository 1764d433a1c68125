"""``axhdl dnn SPEC``: what a unit does to a network — exact and approximate accuracy of a
quantized network with the unit as every layer's multiplier, compensation, per-layer MACs
and error, network energy from the PPA flow (docs/dnn.md)."""

from __future__ import annotations

import argparse

from ._common import add_json, add_spec, print_json, table


def register(sub, name):
    p = sub.add_parser(
        name, help="accuracy of a quantized DNN with the unit as its multiplier")
    add_spec(p, "multiplier spec, e.g. 'truncated:width=8,k=8,signed=true'")
    p.add_argument("--model", default="digits", metavar="digits|FILE.onnx",
                   help="the built-in digits CNN (default) or a float ONNX model")
    p.add_argument("--data", metavar="FILE.npz",
                   help="test and calibration data: arrays x, y, calibration (default: the "
                        "digits split; required with an ONNX model)")
    p.add_argument("--compensate", default="none", metavar="none|bias|alwann|cv[,...]",
                   help="error compensation, combinable with commas (default none)")
    p.add_argument("--scheme", default="auto", choices=("auto", "signed", "signmag",
                                                         "zeropoint"),
                   help="operand coding: auto = signed for signed units, signmag for "
                        "unsigned ones; zeropoint = TFApprox's convention")
    p.add_argument("--energy", action=argparse.BooleanOptionalAction, default=True,
                   help="network energy (default on): each layer's operand stream as the "
                        "workload of the PPA flow, the exact unit under the same streams; "
                        "--no-energy skips synthesis")
    p.add_argument("--liberty", metavar="FILE",
                   help="liberty file of the energy figures (default: OSU 0.18 um)")
    add_json(p)
    return p


def run(args) -> int:
    from ..nn.evaluate import evaluate

    opts = {"liberty": args.liberty} if args.liberty else None
    res = evaluate(args.spec, model=args.model, data=args.data, compensate=args.compensate,
                   scheme=args.scheme, energy=args.energy, ppa_options=opts)
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
    cols = ["name", "kind", "macs", "products", "mean_error_lsb", "mae_lsb"]
    if "energy" in res:
        cols += ["energy_per_op_pj", "energy_pj"]
    table(res["layers"], cols)
    return 0
