"""The built-in model and data: a small CNN for scikit-learn's bundled 8×8 digits.

Data: the 1797 images of ``sklearn.datasets.load_digits`` (pixels 0…16, scaled to [0, 1],
shape (N, 1, 8, 8)), split by a fixed permutation (``numpy.random.default_rng(0)``): the first
360 are the test set, the rest the training set; the first 256 training images are the
calibration set of quantization and compensation.

Model (:func:`digits_network`): conv 3×3, 1→8, padding 1, ReLU → max-pool 2 → conv 3×3,
8→16, padding 1, ReLU → average-pool 2 → flatten → linear 64→10; 23 680 multiply-accumulates
per image. The float weights are ``digits_cnn.npz`` beside this module, written by
``python -m axhdl.nn.train_digits`` (:mod:`axhdl.nn.train_digits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .graph import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Network, ReLU

__all__ = [
    "WEIGHTS",
    "SPLIT_SEED",
    "N_TEST",
    "N_CALIBRATION",
    "DigitsData",
    "load_digits_split",
    "digits_network",
    "build_network",
    "PARAM_SHAPES",
]

#: the shipped float weights (package data)
WEIGHTS = Path(__file__).with_name("digits_cnn.npz")

#: seed of the permutation that splits the data set
SPLIT_SEED = 0
#: test images (the first of the permutation)
N_TEST = 360
#: calibration images (the first of the training set)
N_CALIBRATION = 256

#: parameter name → shape, in the order of the layers
PARAM_SHAPES = {
    "conv1.weight": (8, 1, 3, 3),
    "conv1.bias": (8,),
    "conv2.weight": (16, 8, 3, 3),
    "conv2.bias": (16,),
    "fc.weight": (10, 64),
    "fc.bias": (10,),
}


@dataclass(frozen=True)
class DigitsData:
    """The split: float images (N, 1, 8, 8) in [0, 1] and integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def x_calibration(self) -> np.ndarray:
        return self.x_train[:N_CALIBRATION]


def load_digits_split(seed: int = SPLIT_SEED) -> DigitsData:
    """scikit-learn's digits, split by a seeded permutation (see the module docstring)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("the digits data set needs scikit-learn: pip install scikit-learn") \
            from None
    data = load_digits()
    x = (data.images.astype(np.float64) / 16.0).reshape(-1, 1, 8, 8)
    y = data.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    test, train = perm[:N_TEST], perm[N_TEST:]
    return DigitsData(x[train], y[train], x[test], y[test])


def build_network(params: dict[str, np.ndarray]) -> Network:
    """The digits CNN with the given float parameters (:data:`PARAM_SHAPES`)."""
    for name, shape in PARAM_SHAPES.items():
        if name not in params:
            raise InputError(f"digits weights: parameter {name!r} is missing")
        if tuple(np.shape(params[name])) != shape:
            raise InputError(f"digits weights: {name} has shape {np.shape(params[name])}, "
                             f"not {shape}")
    net = Network((1, 8, 8))
    net.add(Conv2d(params["conv1.weight"], params["conv1.bias"], padding=1), name="conv1")
    net.add(ReLU(), name="relu1")
    net.add(MaxPool2d(2), name="pool1")
    net.add(Conv2d(params["conv2.weight"], params["conv2.bias"], padding=1), name="conv2")
    net.add(ReLU(), name="relu2")
    net.add(AvgPool2d(2), name="pool2")
    net.add(Flatten(), name="flatten")
    net.add(Linear(params["fc.weight"], params["fc.bias"]), name="fc")
    return net


def digits_network(path: str | Path | None = None) -> Network:
    """The built-in digits CNN with the shipped weights (or those in ``path``)."""
    path = Path(path) if path is not None else WEIGHTS
    try:
        with np.load(path, allow_pickle=False) as f:
            params = {k: np.asarray(f[k], dtype=np.float64) for k in PARAM_SHAPES if k in f}
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the digits weights {path}: {e}") from None
    return build_network(params)
