"""Train the built-in digits CNN (:mod:`axhdl.nn.digits`) in numpy and write its weights.

    python -m axhdl.nn.train_digits [--out axhdl/nn/digits_cnn.npz] [--epochs 60] [--seed 0]

Plain numpy: He-initialised weights (``numpy.random.default_rng(seed)``), softmax
cross-entropy, Adam (lr 3e-3, batch 32, cosine decay), light L2, the training split of
:func:`~axhdl.nn.digits.load_digits_split` shuffled each epoch with the same generator. The
shipped ``digits_cnn.npz`` was written by this script with its defaults; the file holds the
six parameter arrays as float32 plus ``seed``, ``epochs`` and the float test accuracy.
Matrix products go through the local BLAS, so another machine may reproduce it only to
rounding.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

from .digits import PARAM_SHAPES, WEIGHTS, build_network, load_digits_split

__all__ = ["train", "main"]


def _im2col(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) → (N·H·W, C·9): 3×3 windows, padding 1."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)


def _col2im(cols: np.ndarray, shape) -> np.ndarray:
    n, c, h, w = shape
    g = cols.reshape(n, h, w, c, 3, 3)
    xp = np.zeros((n, c, h + 2, w + 2))
    for i in range(3):
        for j in range(3):
            xp[:, :, i:i + h, j:j + w] += g[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return xp[:, :, 1:-1, 1:-1]


def _conv(x, w, b):
    n, _, h, wd = x.shape
    cols = _im2col(x)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def _conv_back(dy, cols, w, x_shape, need_dx=True):
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
    dw = (dyf.T @ cols).reshape(w.shape)
    db = dyf.sum(axis=0)
    dx = _col2im(dyf @ w.reshape(w.shape[0], -1), x_shape) if need_dx else None
    return dw, db, dx


def _forward_backward(p, x, y):
    """Loss and gradients of the digits CNN on one batch."""
    a1, cols1 = _conv(x, p["conv1.weight"], p["conv1.bias"])
    r1 = np.maximum(a1, 0)
    n, c, h, w = r1.shape
    blocks = r1.reshape(n, c, h // 2, 2, w // 2, 2)
    m1 = blocks.max(axis=(3, 5))
    a2, cols2 = _conv(m1, p["conv2.weight"], p["conv2.bias"])
    r2 = np.maximum(a2, 0)
    n2, c2, h2, w2 = r2.shape
    m2 = r2.reshape(n2, c2, h2 // 2, 2, w2 // 2, 2).mean(axis=(3, 5))
    f = m2.reshape(n2, -1)
    logits = f @ p["fc.weight"].T + p["fc.bias"]
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(y)), y] + 1e-12).mean()
    g = {}
    dl = prob
    dl[np.arange(len(y)), y] -= 1
    dl /= len(y)
    g["fc.weight"] = dl.T @ f
    g["fc.bias"] = dl.sum(axis=0)
    df = (dl @ p["fc.weight"]).reshape(m2.shape)
    dr2 = np.repeat(np.repeat(df, 2, axis=2), 2, axis=3) / 4.0
    da2 = dr2 * (a2 > 0)
    g["conv2.weight"], g["conv2.bias"], dm1 = _conv_back(da2, cols2, p["conv2.weight"],
                                                         m1.shape)
    mask = blocks == m1[:, :, :, None, :, None]
    mask = mask / mask.sum(axis=(3, 5), keepdims=True)
    dr1 = (mask * dm1[:, :, :, None, :, None]).reshape(r1.shape)
    da1 = dr1 * (a1 > 0)
    g["conv1.weight"], g["conv1.bias"], _ = _conv_back(da1, cols1, p["conv1.weight"],
                                                       x.shape, need_dx=False)
    return loss, g


def train(*, epochs: int = 60, seed: int = 0, lr: float = 3e-3, batch: int = 32,
          l2: float = 1e-4, verbose: bool = False) -> tuple[dict[str, np.ndarray], float]:
    """Train from scratch; the parameters (float64) and the float test accuracy."""
    data = load_digits_split()
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in PARAM_SHAPES.items():
        if name.endswith("bias"):
            params[name] = np.zeros(shape)
        else:
            fan_in = int(np.prod(shape[1:]))
            params[name] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    n = len(data.y_train)
    steps_total = epochs * ((n + batch - 1) // batch)
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss, grads = _forward_backward(params, data.x_train[idx], data.y_train[idx])
            total += loss * len(idx)
            step += 1
            rate = lr * 0.5 * (1 + np.cos(np.pi * step / steps_total))
            for k in params:
                gk = grads[k] + (l2 * params[k] if k.endswith("weight") else 0.0)
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                params[k] -= rate * mh / (np.sqrt(vh) + eps)
        if verbose:
            print(f"epoch {epoch + 1}: loss {total / n:.4f}")
    net = build_network(params)
    acc = float((net.predict(data.x_test) == data.y_test).mean())
    return params, acc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(WEIGHTS), help="weights file (.npz)")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    params, acc = train(epochs=args.epochs, seed=args.seed, verbose=args.verbose)
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: v.astype(np.float32) for k, v in params.items()},
                        seed=np.int64(args.seed), epochs=np.int64(args.epochs),
                        float_test_accuracy=np.float64(acc))
    Path(args.out).write_bytes(buf.getvalue())
    print(f"float test accuracy {acc:.4f}; weights written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
