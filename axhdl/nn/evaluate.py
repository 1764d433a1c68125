"""What a unit does to a network: exact and approximate accuracy, per-layer figures, energy.

:func:`evaluate` is ``axhdl dnn``: it loads the model (the built-in digits CNN or an ONNX
file) and the data (the digits split or an ``.npz``), quantizes the network for the unit's
scheme on the calibration inputs, runs the test inputs with the exact multiplier and with the
unit (compensated as asked), and reports both accuracies, the loss, per-layer MACs and the
accumulator error in output LSBs, and the provenance. With ``energy=True`` each layer's own
operand stream (pairs the unit multiplies on the calibration inputs) is the workload of
:func:`axhdl.synth.flow.ppa`; network energy = Σ MACs × energy per operation, against the
exact unit under the same workloads.

Data files (``.npz``): ``x`` (test inputs, float, (N, *input_shape)), ``y`` (integer
labels) and ``calibration`` (float inputs for quantization and compensation).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..results import file_hash, provenance
from .compensate import calibrate, layer_error, parse_methods
from .digits import N_CALIBRATION, SPLIT_SEED, WEIGHTS, digits_network, load_digits_split
from .engine import mac_columns, predict, run
from .graph import Network
from .products import ExactProducts, Products
from .progress import Progress
from .quantize import QMac, QNetwork, quantize, roles

__all__ = [
    "Dataset",
    "load_model",
    "load_data",
    "load_model_and_data",
    "evaluate",
    "layer_macs",
    "layer_workload",
    "network_energy",
    "ENERGY_VECTORS",
]

#: operand pairs of each layer's workload for the energy figures
ENERGY_VECTORS = 2000


@dataclass(frozen=True)
class Dataset:
    """Test inputs and labels, calibration inputs, and where they came from."""

    x: np.ndarray
    y: np.ndarray
    calibration: np.ndarray
    info: dict


def _is_torch(model) -> bool:
    """A PyTorch module or a saved one (by its name): needs the input shape from the data."""
    if isinstance(model, (str, Path)):
        from .torch_import import TORCH_SUFFIXES

        return Path(model).suffix.lower() in TORCH_SUFFIXES
    return hasattr(model, "named_children")


def load_model(model: str | Path | Network = "digits", input_shape=None) -> tuple[Network, dict]:
    """``digits`` (the built-in CNN), an ``.onnx`` file, a PyTorch ``nn.Sequential`` or a file
    holding one (``.pt``/``.pth``; these need ``input_shape``, without the batch dimension), or
    a :class:`Network`; with a description (name, file, sha256)."""
    if isinstance(model, Network):
        return model, {"name": "network (in memory)"}
    if not isinstance(model, (str, Path)) and _is_torch(model):
        from .torch_import import from_torch

        if input_shape is None:
            raise InputError("a PyTorch model needs the input shape (from the data's x)")
        return from_torch(model, input_shape), {"name": "torch.nn.Sequential (in memory)"}
    model = str(model)
    if model == "digits":
        return digits_network(), {"name": "digits", "path": WEIGHTS.name,
                                  "sha256": file_hash(WEIGHTS)}
    path = Path(model)
    if _is_torch(path):
        from .torch_import import load_torch

        if input_shape is None:
            raise InputError("a PyTorch model needs --data FILE.npz (arrays x, y, "
                             "calibration; the input shape is that of x)")
        net = load_torch(path, input_shape)
    elif path.suffix.lower() == ".onnx":
        from .onnx_import import load_onnx

        net = load_onnx(path)
    else:
        raise InputError(f"Model must be 'digits', an .onnx file or a PyTorch .pt/.pth file, "
                         f"not {model!r}")
    return net, {"name": path.name, "path": str(path), "sha256": file_hash(path)}


def load_model_and_data(model: str | Path | Network = "digits",
                        data: str | Path | None = None) -> tuple[Network, dict, Dataset]:
    """:func:`load_model` and :func:`load_data` together: a PyTorch model takes its input
    shape from the data (loaded first)."""
    if _is_torch(model) and not isinstance(model, Network):
        name = Path(model).name if isinstance(model, (str, Path)) else "torch"
        ds = load_data(data, name)
        net, info = load_model(model, ds.x.shape[1:])
        return net, info, ds
    net, info = load_model(model)
    return net, info, load_data(data, info["name"])


def load_data(data: str | Path | None, model_name: str = "digits") -> Dataset:
    """The digits split (``data=None`` with the digits model) or an ``.npz`` data file;
    ``model_name`` is what :func:`load_model` described."""
    if data is None:
        if model_name != "digits":
            what = ("an ONNX model" if model_name.lower().endswith(".onnx") else
                    "a PyTorch model" if _is_torch(model_name) or model_name == "torch" else
                    "this model")
            raise InputError(f"{what} needs --data FILE.npz (arrays x, y, calibration)")
        d = load_digits_split()
        return Dataset(d.x_test, d.y_test, d.x_calibration, {
            "name": "sklearn digits", "split_seed": SPLIT_SEED, "test": len(d.y_test),
            "calibration": N_CALIBRATION})
    path = Path(data)
    if not path.is_file():
        raise InputError(f"Data file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: np.asarray(f[k]) for k in f.files}
    except (OSError, ValueError) as e:
        raise InputError(f"Data file {path} is not an .npz file: {e}") from None
    missing = [k for k in ("x", "y", "calibration") if k not in arrays]
    if missing:
        raise InputError(f"Data file {path} must hold arrays x, y and calibration; missing "
                         f"{', '.join(missing)}")
    x, y, cal = arrays["x"], arrays["y"], arrays["calibration"]
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1 or len(y) != len(x):
        raise InputError(f"Data file {path}: y must be one integer label per row of x "
                         f"({len(x)}), not {y.dtype} of shape {y.shape}")
    for name, arr in (("x", x), ("calibration", cal)):
        if not np.issubdtype(arr.dtype, np.number) or arr.ndim < 2 or len(arr) == 0:
            raise InputError(f"Data file {path}: {name} must be a non-empty numeric batch, "
                             f"not {arr.dtype} of shape {arr.shape}")
    return Dataset(x.astype(np.float64), y.astype(np.int64), cal.astype(np.float64), {
        "name": path.name, "path": str(path), "sha256": file_hash(path), "test": len(y),
        "calibration": len(cal)})


def layer_macs(qnet: QNetwork) -> dict[str, dict]:
    """Per conv/linear node: multiply-accumulates per inference, products per output, output
    shape."""
    probe = np.full((1, *qnet.input_shape), qnet.input.zero, dtype=np.int64)
    values = run(qnet, probe, ExactProducts(qnet.scheme), codes=True, keep=True)
    out = {}
    for node in qnet.mac_nodes():
        shape = values[node.name].shape[1:]
        outputs = int(np.prod(shape))
        out[node.name] = {"kind": node.op.kind, "output_shape": list(shape),
                          "fan_in": node.op.fan_in, "macs": outputs * node.op.fan_in}
    return out


def layer_workload(op: QMac, x: np.ndarray, products, *, vectors: int = ENERGY_VECTORS,
                   seed: int = 0, remap: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Operand values ``{"a", "b"}`` the unit multiplies in a layer on input codes ``x``:
    ``vectors`` consecutive pairs of randomly chosen outputs' dot products (k fastest, as a
    MAC computing one output sees them), operands by the unit's roles; magnitudes in the
    ``signmag`` scheme, codes otherwise."""
    rng = np.random.default_rng(seed)
    cols, _ = mac_columns(op, x)
    cg = op.out_channels // op.groups
    xs, ws = [], []
    while sum(len(v) for v in xs) < vectors:
        g = int(rng.integers(op.groups))
        row = int(rng.integers(cols[g].shape[0]))
        c = int(rng.integers(cg))
        w = op.weight_matrix(g)[:, c]
        if remap is not None:
            w = remap[w - products.wlo]
        xs.append(cols[g][row])
        ws.append(w)
    xa = np.concatenate(xs)[:vectors]
    wa = np.concatenate(ws)[:vectors]
    if products.scheme.name == "signmag":
        xa, wa = np.abs(xa), np.abs(wa)
    act, _ = roles(products.unit)
    return {"a": xa, "b": wa} if act == "a" else {"a": wa, "b": xa}


def network_energy(unit, qnet: QNetwork, products, calibration_codes: np.ndarray,
                   macs: dict[str, dict], compensation: dict | None = None, *,
                   vectors: int = ENERGY_VECTORS, seed: int = 0, ppa_fn=None,
                   ppa_options: dict | None = None, progress: Progress | None = None) -> dict:
    """Energy per inference: Σ over layers of MACs × energy per operation of ``unit`` under
    that layer's operand stream (:func:`layer_workload` on the calibration activations), and
    of the exact unit under the same streams; savings in %. ``unit`` and ``products`` may be
    mappings node name → unit / multiplier (a layer-wise assignment)."""
    if ppa_fn is None:
        from ..synth.flow import ppa as ppa_fn
    compensation = compensation or {}
    per_layer = isinstance(products, Mapping)
    inputs: dict[str, np.ndarray] = {}

    def hook(node, x):
        inputs[node.name] = x

    run(qnet, calibration_codes, products, compensation=compensation, hook=hook, codes=True)
    layers = {}
    total = base_total = 0.0
    with tempfile.TemporaryDirectory(prefix="axhdl-dnn-") as tmp:
        for node in qnet.mac_nodes():
            lc = compensation.get(node.name)
            prod = products[node.name] if per_layer else products
            wl = layer_workload(node.op, inputs[node.name], prod, vectors=vectors,
                                seed=seed, remap=None if lc is None else lc.remap)
            path = Path(tmp) / f"{node.name}.npz"
            buf = io.BytesIO()
            np.savez(buf, a=wl["a"], b=wl["b"])
            path.write_bytes(buf.getvalue())
            if progress is not None:
                progress.phase(f"energy: {node.name}")
            res = ppa_fn(unit[node.name] if per_layer else unit, workload=path,
                         vectors=vectors, seed=seed, **(ppa_options or {}))
            if progress is not None:
                progress.step()
            e = float(res.energy_pj)
            eb = float(res.baseline.energy_pj) if res.baseline is not None else None
            n = macs[node.name]["macs"]
            layers[node.name] = {"energy_per_op_pj": e, "exact_energy_per_op_pj": eb,
                                 "energy_pj": n * e,
                                 "exact_energy_pj": None if eb is None else n * eb,
                                 "workload_sha256": file_hash(path)}
            total += n * e
            base_total = None if eb is None or base_total is None else base_total + n * eb
    savings = (None if not base_total else 100.0 * (base_total - total) / base_total)
    return {"energy_pj": total, "exact_energy_pj": base_total, "savings_pct": savings,
            "vectors": vectors, "seed": seed, "layers": layers}


def evaluate(spec, *, model: str | Path | Network = "digits", data: str | Path | None = None,
             compensate=None, scheme: str = "auto", batch: int = 256, energy: bool = False,
             ppa_fn=None, ppa_options: dict | None = None,
             progress: Progress | None = None) -> dict:
    """Exact and approximate accuracy of ``model`` with the unit ``spec`` as every layer's
    multiplier (see the module docstring); a JSON-ready dict. ``spec`` may be a sequence of
    specs, one per conv/linear layer in order: a layer-wise assignment (all units with the
    same operand coding), each layer's energy under its own unit and operand stream.
    ``progress`` counts calibration, the inference batches and the layers' syntheses."""
    from .assign import check_count, layer_units, parse_specs

    assigned = not isinstance(spec, str)
    specs = parse_specs(spec) if assigned else [spec]
    units, sch = layer_units(specs, scheme)
    unit = units[0]
    methods = parse_methods(compensate)
    net, model_info, ds = load_model_and_data(model, data)
    qnet = quantize(net, ds.calibration, sch)
    exact = ExactProducts(sch)
    if assigned:
        check_count(qnet, specs)
        names = [n.name for n in qnet.mac_nodes()]
        unit_of = dict(zip(names, units))
        by_spec: dict[str, Products] = {}
        approx = {n: by_spec.setdefault(u.spec, Products(u, sch)) for n, u in unit_of.items()}
    else:
        unit_of = None
        approx = Products(unit, sch)
    batches = range(0, len(ds.x), batch)
    if progress is not None:
        progress.add(1 + 2 * len(batches) + (len(qnet.mac_nodes()) if energy else 0))
        progress.phase("calibrating" if methods else "float inference")
    comp = calibrate(qnet, approx, ds.calibration, methods)
    float_pred = net.predict(ds.x)
    if progress is not None:
        progress.step()

    def predict_all(prod, label, **kw):
        if progress is not None:
            progress.phase(label)
        out = []
        for i in batches:
            out.append(predict(qnet, ds.x[i:i + batch], prod, **kw))
            if progress is not None:
                progress.step()
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    exact_pred = predict_all(exact, "exact inference")
    errors: dict[str, list] = {n.name: [] for n in qnet.mac_nodes()}

    def prod_of(name):
        return approx[name] if assigned else approx

    def hook(node, x):
        err = layer_error(node.op, x, prod_of(node.name), comp.get(node.name))
        shape = (1, -1) + (1,) * (err.ndim - 2)
        lsb = err * node.op.m0.reshape(shape) / np.exp2(node.op.shift.reshape(shape))
        errors[node.name].append((lsb.sum(), np.abs(lsb).sum(), lsb.size))

    approx_pred = predict_all(approx, "approximate inference", compensation=comp, hook=hook)
    acc = {k: 100.0 * float((p == ds.y).mean())
           for k, p in (("float", float_pred), ("exact", exact_pred), ("approx", approx_pred))}
    macs = layer_macs(qnet)
    layers = []
    for node in qnet.mac_nodes():
        s, a, n = (sum(v[i] for v in errors[node.name]) for i in range(3))
        layers.append({"name": node.name, **macs[node.name],
                       **({"spec": unit_of[node.name].spec} if assigned else {}),
                       "products": prod_of(node.name).path,
                       "mean_error_lsb": float(s / n) if n else 0.0,
                       "mae_lsb": float(a / n) if n else 0.0,
                       "compensation": (comp[node.name].methods if node.name in comp else [])})
    out = {
        "spec": ";".join(u.spec for u in units) if assigned else unit.spec,
        "scheme": sch.name,
        "activation_bits": sch.act_bits,
        "weight_bits": sch.weight_bits,
        "compensation": list(methods),
        "model": model_info["name"],
        "data": ds.info["name"],
        "test_inputs": int(len(ds.y)),
        "float_accuracy_pct": acc["float"],
        "exact_accuracy_pct": acc["exact"],
        "approx_accuracy_pct": acc["approx"],
        "accuracy_loss_pct": acc["exact"] - acc["approx"],
        "macs": int(sum(m["macs"] for m in macs.values())),
        "layers": layers,
    }
    if energy:
        cal_codes = qnet.input.quantize(ds.calibration)
        out["energy"] = network_energy(unit_of or unit, qnet, approx, cal_codes, macs, comp,
                                       ppa_fn=ppa_fn, ppa_options=ppa_options,
                                       progress=progress)
        for layer in layers:
            layer.update(out["energy"]["layers"][layer["name"]])
    extra = {"assignment": [u.spec for u in units]} if assigned else {}
    out["provenance"] = provenance(None if assigned else unit, **extra, model=model_info,
                                   data=ds.info, scheme=sch.name,
                                   compensation=list(methods), batch=batch,
                                   seed=SPLIT_SEED if data is None else None,
                                   energy_vectors=ENERGY_VECTORS if energy else None)
    return out
