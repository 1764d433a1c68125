"""DNN evaluation: bit-exact quantized integer inference with any unit as the multiplier.

- :mod:`axhdl.nn.graph` — float networks (Conv2d, Linear, ReLU, pooling, flatten, residual
  add, batch norm) and float inference;
- :mod:`axhdl.nn.quantize` — post-training quantization for a coding scheme (``signed``,
  ``signmag``, ``zeropoint``);
- :mod:`axhdl.nn.products` — a unit's products through its table or model, by operand role;
- :mod:`axhdl.nn.engine` — the integer engine;
- :mod:`axhdl.nn.compensate` — bias correction, ALWANN weight tuning, control variate;
- :mod:`axhdl.nn.digits`, :mod:`axhdl.nn.train_digits` — the built-in model and data;
- :mod:`axhdl.nn.kernels` — compiled kernels (numba, imported on first use);
- :mod:`axhdl.nn.onnx_import` — float ONNX models;
- :mod:`axhdl.nn.torch_import` — PyTorch ``nn.Sequential`` models (optional ``torch`` extra);
- :mod:`axhdl.nn.evaluate` — ``axhdl dnn``: accuracies, per-layer figures, energy;
- :mod:`axhdl.nn.assign` — layer-wise assignment: a multiplier per layer, the search for
  assignments under an accuracy-loss bound and their Pareto set.

Units are used through their golden models and tables only; nothing here imports Amaranth.
See docs/dnn.md.
"""

from .compensate import METHODS, calibrate, parse_methods
from .digits import digits_network, load_digits_split
from .engine import LayerCompensation, predict, run
from .evaluate import evaluate, load_data, load_model, load_model_and_data
from .graph import (
    Add,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
)
from .products import ExactProducts, Products
from .quantize import SCHEMES, QNetwork, Scheme, quantize
from .torch_import import from_torch, load_torch

__all__ = [
    "Add",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "Network",
    "ReLU",
    "SCHEMES",
    "Scheme",
    "QNetwork",
    "quantize",
    "Products",
    "ExactProducts",
    "LayerCompensation",
    "run",
    "predict",
    "METHODS",
    "calibrate",
    "parse_methods",
    "digits_network",
    "load_digits_split",
    "evaluate",
    "load_data",
    "load_model",
    "load_model_and_data",
    "from_torch",
    "load_torch",
]
