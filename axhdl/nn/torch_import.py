"""Import a PyTorch ``nn.Sequential`` as a :class:`~axhdl.nn.graph.Network` (axhdl quantizes
it). Needs the optional ``torch`` extra (``pip install axhdl[torch]``) only to read files and
tensors; the walk itself uses the modules' public attributes.

Supported layers (nested ``Sequential`` containers are flattened): ``Conv2d`` (stride,
padding as numbers or ``'valid'``/``'same'``, groups; dilation 1, zero padding mode),
``Linear``, ``ReLU``, ``MaxPool2d`` (dilation 1, no ceil mode, no indices), ``AvgPool2d``
(no padding, no ceil mode, no divisor override), ``AdaptiveAvgPool2d`` to 1×1 (global average
pooling), ``Flatten`` (from dimension 1 to the end), ``BatchNorm2d`` and ``BatchNorm1d``
(running statistics; folded into the conv/linear layer before them at quantization), and
``Identity`` and ``Dropout`` as pass-throughs (inference). Anything else is one
:class:`~axhdl.errors.InputError` naming the layer by its position in the container (``3``,
``2.1`` inside a nested one, or the child's name) and its type.

Files (``--model FILE.pt``): a whole ``nn.Sequential`` saved with ``torch.save(model, path)``.
It is read with ``torch.load(..., weights_only=True)`` allowing torch.nn's own module classes
only, so loading runs no code from the file; a file that refers to other classes (a custom
layer, a model class of its own) is refused with their names. A state dict alone has no
architecture and is refused too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .graph import AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Network, ReLU

__all__ = ["from_torch", "load_torch", "SUPPORTED_LAYERS", "TORCH_SUFFIXES"]

SUPPORTED_LAYERS = ("Conv2d", "Linear", "ReLU", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
                    "Flatten", "BatchNorm2d", "BatchNorm1d", "Identity", "Dropout")

#: file name endings read as saved PyTorch modules
TORCH_SUFFIXES = (".pt", ".pth")


def _array(t) -> np.ndarray:
    """A tensor (or array) as a float64 numpy array."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=np.float64)


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else tuple(int(i) for i in v)


def _type(m) -> str:
    return type(m).__name__


def _is_torch_nn(m) -> bool:
    return type(m).__module__.split(".")[:2] == ["torch", "nn"]


def _walk(module, prefix: str = ""):
    """(path, layer) for the leaves of nested Sequential containers, in order."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if _type(child) == "Sequential" and _is_torch_nn(child):
            yield from _walk(child, path + ".")
        else:
            yield path, child


def _refuse(path: str, m, why: str | None = None) -> InputError:
    what = _type(m) if _is_torch_nn(m) else f"{type(m).__module__}.{type(m).__qualname__}"
    if why is None:
        return InputError(f"layer {path} ({what}) is not supported; supported layers: "
                          f"{', '.join(SUPPORTED_LAYERS)} (in Sequential containers)")
    return InputError(f"layer {path} ({what}): {why}")


def _conv(path: str, m) -> Conv2d:
    if _pair(m.dilation) != (1, 1):
        raise _refuse(path, m, f"dilation {tuple(m.dilation)} is not supported (only 1)")
    if getattr(m, "padding_mode", "zeros") != "zeros":
        raise _refuse(path, m, f"padding mode {m.padding_mode!r} is not supported (only "
                               f"'zeros')")
    w = _array(m.weight)
    kh, kw = w.shape[2:]
    stride = _pair(m.stride)
    pad = m.padding
    if pad == "valid":
        padding = (0, 0, 0, 0)
    elif pad == "same":  # PyTorch puts the odd pixel at the bottom/right
        padding = ((kh - 1) // 2, (kw - 1) // 2, kh // 2, kw // 2)
    else:
        ph, pw = _pair(pad)
        padding = (ph, pw, ph, pw)
    bias = None if m.bias is None else _array(m.bias)
    return Conv2d(w, bias, stride=stride, padding=padding, groups=int(m.groups))


def _maxpool(path: str, m) -> MaxPool2d:
    if _pair(m.dilation) != (1, 1) or m.ceil_mode or m.return_indices:
        raise _refuse(path, m, "only dilation 1, ceil_mode=False and return_indices=False "
                               "are supported")
    ph, pw = _pair(m.padding)
    stride = m.kernel_size if m.stride is None else m.stride
    return MaxPool2d(_pair(m.kernel_size), _pair(stride), padding=(ph, pw, ph, pw))


def _avgpool(path: str, m) -> AvgPool2d:
    if _pair(m.padding) != (0, 0) or m.ceil_mode or m.divisor_override is not None:
        raise _refuse(path, m, "only padding 0, ceil_mode=False and no divisor_override are "
                               "supported")
    stride = m.kernel_size if m.stride is None else m.stride
    return AvgPool2d(_pair(m.kernel_size), _pair(stride))


def _adaptive(path: str, m) -> AvgPool2d:
    size = m.output_size
    if (size if np.isscalar(size) else tuple(size)) not in (1, (1, 1)):
        raise _refuse(path, m, f"only output size 1 (global average pooling) is supported, "
                               f"not {size}")
    return AvgPool2d()


def _flatten(path: str, m) -> Flatten:
    if m.start_dim != 1 or m.end_dim != -1:
        raise _refuse(path, m, f"only start_dim=1, end_dim=-1 is supported, not "
                               f"{m.start_dim}, {m.end_dim}")
    return Flatten()


def _batchnorm(path: str, m) -> BatchNorm2d:
    if m.running_mean is None or m.running_var is None:
        raise _refuse(path, m, "needs running statistics (track_running_stats=True)")
    n = int(m.num_features)
    gamma = np.ones(n) if m.weight is None else _array(m.weight)
    beta = np.zeros(n) if m.bias is None else _array(m.bias)
    return BatchNorm2d(gamma, beta, _array(m.running_mean), _array(m.running_var),
                       eps=float(m.eps))


_CONVERT = {
    "Conv2d": _conv,
    "Linear": lambda path, m: Linear(_array(m.weight),
                                     None if m.bias is None else _array(m.bias)),
    "ReLU": lambda path, m: ReLU(),
    "MaxPool2d": _maxpool,
    "AvgPool2d": _avgpool,
    "AdaptiveAvgPool2d": _adaptive,
    "Flatten": _flatten,
    "BatchNorm2d": _batchnorm,
    "BatchNorm1d": _batchnorm,
}


def from_torch(module, input_shape) -> Network:
    """The float network of a PyTorch ``nn.Sequential`` for inputs of ``input_shape`` (without
    the batch dimension: (C, H, W) or (F,)); its last layer gives the class scores. Node names
    are the layers' paths in the container (``0``, ``2.1``), as in its state dict."""
    if _type(module) != "Sequential" or not _is_torch_nn(module):
        raise InputError(f"a PyTorch model must be a torch.nn.Sequential, not "
                         f"{type(module).__module__}.{type(module).__qualname__}")
    shape = tuple(int(d) for d in input_shape)
    if len(shape) not in (1, 3) or min(shape, default=0) < 1:
        raise InputError(f"the input shape of a PyTorch model must be (C, H, W) or (F,) of "
                         f"positive sizes, not {shape}")
    net = Network(shape)
    for path, m in _walk(module):
        kind = _type(m)
        if not _is_torch_nn(m) or (kind not in _CONVERT and kind not in ("Identity",
                                                                           "Dropout")):
            raise _refuse(path, m)
        if kind in ("Identity", "Dropout"):
            continue
        if kind == "BatchNorm1d" and net.nodes and isinstance(net.nodes[-1].layer, Conv2d):
            raise _refuse(path, m, "BatchNorm1d follows a convolution; use BatchNorm2d")
        try:
            layer = _CONVERT[kind](path, m)
        except InputError:
            raise
        except ValueError as e:  # the engine's own layer checks
            raise _refuse(path, m, str(e)) from None
        net.add(layer, name=path)
    if not net.nodes:
        raise InputError("the PyTorch model has no layers")
    return net


def load_torch(path: str | Path, input_shape) -> Network:
    """The float network of a file holding a whole ``nn.Sequential`` (``torch.save(model,
    path)``), read without running code from the file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"PyTorch model not found: {path}")
    try:
        import torch
        from torch import nn
    except ImportError:
        raise InputError(f"{path}: reading a PyTorch model needs the torch extra: pip install "
                         f"'axhdl[torch]'") from None
    if not hasattr(torch.serialization, "safe_globals"):
        raise InputError(f"{path}: reading a PyTorch model file needs torch 2.5 or later "
                         f"(found {torch.__version__}); from Python, axhdl.nn.from_torch "
                         f"takes the module itself")
    allowed = [c for c in vars(nn).values()
               if isinstance(c, type) and issubclass(c, nn.Module)]
    others = _foreign_globals(torch, path, {f"{c.__module__}.{c.__qualname__}"
                                            for c in allowed})
    if others:
        raise InputError(f"{path}: refers to {', '.join(others)}, which are not torch.nn "
                         f"layers; save an nn.Sequential of torch.nn layers with "
                         f"torch.save(model, path)")
    try:
        with torch.serialization.safe_globals(allowed):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises UnpicklingError, RuntimeError and friends
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{path}: not a readable PyTorch model: {first}") from None
    if isinstance(obj, dict):
        raise InputError(f"{path}: holds a state dict, which has no architecture; save the "
                         f"whole nn.Sequential with torch.save(model, path)")
    try:
        return from_torch(obj, input_shape)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None


def _foreign_globals(torch, path: Path, allowed: set[str]) -> list[str]:
    """Classes and functions a checkpoint refers to beyond ``allowed`` and what torch's
    weights-only loader takes anyway (empty where torch cannot list them)."""
    lister = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if lister is None:
        return []
    try:
        names = lister(str(path))
    except Exception:  # not a zip checkpoint: torch.load reports it below
        return []
    return sorted(n for n in names if n not in allowed)
