"""Output error of whole GEMMs and dot products (axhdl.metrics.arrays, ``axhdl metrics`` on
``mac:`` and ``systolic:`` specs): zero for exact arrays, the analytic bias of perforation,
every key against an independent numpy computation, files and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from axhdl.cli import main
from axhdl.errors import InputError
from axhdl.metrics import METRIC_KEYS, gemm_metrics, snr_db
from axhdl.metrics.arrays import ARRAY_METRIC_KEYS, default_shape
from axhdl.registry import make_unit

PERF4 = "systolic:rows=4,cols=4,mul=(perforated:width=8,m=2)"


def perforation_stats(m: int = 2) -> tuple[float, float]:
    """Mean and variance of one product's error -a·(b mod 2^m), a and b uniform 8-bit."""
    a = np.arange(256, dtype=np.float64)
    c = np.arange(256, dtype=np.float64) % (1 << m)
    mean = -a.mean() * c.mean()
    second = (a * a).mean() * (c * c).mean()
    return mean, second - mean * mean


def reference_metrics(approx: np.ndarray, exact: np.ndarray, k: int, scale: float,
                      max_ab: int) -> dict[str, float]:
    """Every key written out from the definitions (docs/metrics.md), in float64 numpy."""
    ed = (approx - exact).astype(np.float64).ravel()
    ex = exact.astype(np.float64).ravel()
    nz = ex != 0
    red = ed[nz] / ex[nz]
    mae = np.abs(ed).mean()
    out = {
        "er": float((ed != 0).mean()),
        "mean_ed": ed.mean(),
        "var_ed": ed.var(),
        "mse": (ed ** 2).mean(),
        "rms_ed": math.sqrt((ed ** 2).mean()),
        "mae": mae,
        "var_aed": np.abs(ed).var(),
        "wce": np.abs(ed).max(),
        "mred": np.abs(red).mean(),
        "mean_red": red.mean(),
        "var_red": red.var(),
        "rms_red": math.sqrt((red ** 2).mean()),
        "wcre": np.abs(red).max(),
        "nmed": mae / (k * max_ab),
        "mae_pct": 100 * mae / scale,
        "wce_pct": 100 * np.abs(ed).max() / scale,
        "snr_db": 10 * math.log10((ex ** 2).sum() / (ed ** 2).sum()),
    }
    out["ep_pct"] = 100 * out["er"]
    out["mre_pct"] = 100 * out["mred"]
    return out


class TestGemmMetrics:
    @pytest.mark.parametrize("spec", [
        "systolic:width=4,rows=2,cols=2",
        "systolic:width=4,rows=2,cols=3,dataflow=os,signed=true",
        "systolic:a_width=3,b_width=5,rows=3,cols=2,signed=true",
        "mac:width=6,signed=true",
    ])
    def test_exact_array_has_no_error(self, spec):
        r = gemm_metrics(make_unit(spec), samples=20, seed=3)
        assert list(r.metrics) == list(ARRAY_METRIC_KEYS)
        assert all(r.metrics[k] == 0 for k in METRIC_KEYS)
        assert r.metrics["snr_db"] == math.inf
        assert r.ci95["mean_ed"] == [0.0, 0.0]

    @pytest.mark.parametrize("spec, samples, k", [
        (PERF4, 400, 8),
        (PERF4 + ",dataflow=os", 400, 8),
        (PERF4, 400, 10),  # K zero-padded to 12: mul(0, 0) = 0 adds no error
        ("mac:width=8,mul=(perforated:width=8,m=2)", 4000, 64),
    ])
    def test_perforated_mean_error_is_the_analytic_bias(self, spec, samples, k):
        unit = make_unit(spec)
        r = gemm_metrics(unit, samples=samples, k=k, seed=11)
        mean, var = perforation_stats()
        bias = k * mean  # -K·E[a]·E[b & 3] = -K·191.25
        # the outputs of one GEMM are positively correlated, so their mean varies at most as
        # much as one output (variance K·Var); S independent GEMMs divide that by S
        tolerance = 4 * math.sqrt(k * var / samples)
        assert abs(r.metrics["mean_ed"] - bias) < tolerance
        assert r.metrics["er"] > 0.99
        lo, hi = r.ci95["mean_ed"]
        assert lo < r.metrics["mean_ed"] < hi and hi - lo < tolerance

    @pytest.mark.parametrize("dataflow", ["ws", "os"])
    def test_values_against_numpy(self, dataflow, tmp_path):
        unit = make_unit(PERF4 + f",dataflow={dataflow}")
        rng = np.random.default_rng(5)
        a = rng.integers(0, 256, size=(7, 9, 11))  # K = 11: not a multiple of rows
        w = rng.integers(0, 256, size=(7, 11, 6))
        exact = a @ w
        approx = a @ (w & ~3)  # perforation of rows 0, 1 of b; exact adder, no overflow
        want = reference_metrics(approx, exact, 11, 2.0 ** 24, 255 * 255)
        r = gemm_metrics(unit, a=a, w=w)
        assert r.shape == {"m": 9, "k": 11, "n": 6} and r.samples == 7
        assert r.outputs == 7 * 9 * 6 and r.macs == 7 * 9 * 11 * 6
        assert r.method == "operands" and r.ci95 is None
        for key in ARRAY_METRIC_KEYS:
            assert r.metrics[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12), key
        path = tmp_path / "ops.npz"
        np.savez(path, A=a, W=w)
        again = gemm_metrics(unit, workload=path)
        assert again.metrics == r.metrics
        assert again.source["path"] == str(path) and len(again.source["sha256"]) == 64

    def test_mac_against_numpy(self):
        unit = make_unit("mac:width=8,mul=(perforated:width=8,m=3)")
        rng = np.random.default_rng(8)
        a = rng.integers(0, 256, size=(300, 20))
        b = rng.integers(0, 256, size=(300, 20))
        exact = (a * b).sum(axis=1)
        approx = (a * (b & ~7)).sum(axis=1)
        want = reference_metrics(approx, exact, 20, 2.0 ** 24, 255 * 255)
        r = gemm_metrics(unit, a=a, w=b)
        for key in ARRAY_METRIC_KEYS:
            assert r.metrics[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12), key
        # one weight vector for every activation vector broadcasts
        one = gemm_metrics(unit, a=a, w=b[0])
        assert one.samples == 300

    def test_random_operands_are_the_documented_draw(self):
        unit = make_unit("systolic:width=6,rows=2,cols=3,signed=true,"
                         "mul=(drum:width=6,k=3,signed=true)")
        r = gemm_metrics(unit, samples=5, m=4, k=7, n=5, seed=9)
        rng = np.random.default_rng(9)
        a = rng.integers(-32, 31, size=(5, 4, 7), endpoint=True)
        w = rng.integers(-32, 31, size=(5, 7, 5), endpoint=True)
        same = gemm_metrics(unit, a=a, w=w)
        assert same.metrics == r.metrics
        assert r.seed == 9 and r.method == "monte-carlo"
        assert gemm_metrics(unit, samples=5, m=4, k=7, n=5, seed=10).metrics != r.metrics

    def test_exact_is_the_unwrapped_product(self):
        # a 16-bit accumulator overflows on 4 products of 8-bit operands: the array wraps,
        # the exact result does not, so every error is a multiple of 2^16
        unit = make_unit("systolic:width=8,acc_width=16,rows=2,cols=2")
        a = np.full((1, 2, 4), 255)
        w = np.full((1, 4, 2), 255)
        r = gemm_metrics(unit, a=a, w=w)
        exact = 4 * 255 * 255
        assert r.metrics["mean_ed"] == (exact % 65536) - exact
        assert r.metrics["er"] == 1.0

    def test_defaults(self):
        unit = make_unit("systolic:rows=3,cols=5")
        assert default_shape(unit) == {"m": 20, "k": 6, "n": 10}
        r = gemm_metrics(unit)
        assert r.samples == 100 and r.shape == {"m": 20, "k": 6, "n": 10}
        assert default_shape(make_unit("mac:width=8")) == {"k": 64}

    def test_snr_db(self):
        assert snr_db(np.array([3, 4]), np.array([0, 0])) == math.inf
        assert snr_db(np.array([0, 0]), np.array([1, 0])) == -math.inf
        assert snr_db(np.array([30, 40]), np.array([3, 4])) == pytest.approx(20.0)

    @pytest.mark.parametrize("kwargs, message", [
        ({"a": np.zeros((2, 3)), "w": np.zeros((4, 2))},
         ("operands: a GEMM needs A of shape (M, K) or (S, M, K) and W of shape (K, N) or "
         "(S, K, N) with the same K and no empty axis, not (2, 3) and (4, 2)")),
        ({"a": np.zeros((3, 2, 3)), "w": np.zeros((2, 3, 2))},
         ("operands: A holds 3 and W 2 matrices; give the same number, or one of W (or A) "
         "for all")),
        ({"a": np.full((2, 3), 16), "w": np.zeros((3, 2))},
         "operands: array A holds 16, outside 0..15 (4-bit unsigned operand)"),
        ({"a": np.full((2, 3), 0.5), "w": np.zeros((3, 2))},
         "operands: array A must hold integers, not float64"),
        ({"samples": 0}, "samples must be a positive integer, not 0"),
        ({"m": -1}, "--m must be a positive integer, not -1"),
        ({"seed": -2}, "Seed must be a non-negative integer, not -2"),
        ({"samples": 3, "a": np.zeros((2, 3)), "w": np.zeros((3, 2))},
         ("Give either operand matrices (a file) or random ones (samples, --m/--k/--n), not "
         "both")),
    ])
    def test_bad_arguments(self, kwargs, message):
        with pytest.raises(InputError) as e:
            gemm_metrics(make_unit("systolic:width=4,rows=2,cols=2"), **kwargs)
        assert str(e.value) == message

    def test_bad_mac_arguments(self):
        unit = make_unit("mac:width=4")
        with pytest.raises(InputError) as e:
            gemm_metrics(unit, m=3)
        assert str(e.value) == ("--m does not apply to mac (a MAC computes dot products of "
                                "length --k)")
        with pytest.raises(InputError) as e:
            gemm_metrics(unit, a=np.zeros((2, 3)), w=np.zeros((2, 4)))
        assert str(e.value) == ("operands: a MAC needs A and W of shape (K,) or (S, K) with "
                                "the same K >= 1 (one dot product per row), not (2, 3) and "
                                "(2, 4)")

    def test_single_units_are_refused(self):
        with pytest.raises(InputError) as e:
            gemm_metrics(make_unit("exact:width=4"))
        assert str(e.value) == (
            "exact:width=4,signed=false,arch=operator is a multiplier, not a MAC or an array; "
            "GEMM metrics are for mac and systolic specs (use characterize() for single units)"
        )

    def test_bad_files(self, tmp_path):
        unit = make_unit("systolic:width=4,rows=2,cols=2")
        missing = tmp_path / "none.npz"
        with pytest.raises(InputError) as e:
            gemm_metrics(unit, workload=missing)
        assert str(e.value) == f"Operand file not found: {missing}"
        path = tmp_path / "ab.npz"
        np.savez(path, a=np.zeros((2, 2)), b=np.zeros((2, 2)))
        with pytest.raises(InputError) as e:
            gemm_metrics(unit, workload=path)
        assert str(e.value) == (f"Operand file {path} must hold arrays 'A' and 'W'; missing "
                                f"'A', 'W' (it holds 'a', 'b')")
        npy = tmp_path / "x.npy"
        np.save(npy, np.zeros((2, 2)))
        with pytest.raises(InputError) as e:
            gemm_metrics(unit, workload=npy)
        assert str(e.value) == (f"Operand file {npy} must be a .npz file with arrays 'A' and "
                                f"'W', not a single .npy array")


class TestMetricsCommand:
    def test_json(self, capsys):
        spec = "systolic:width=8,rows=2,cols=2,mul=(perforated:width=8,m=2)"
        assert main(["metrics", spec, "--tiles", "30", "--k", "6", "--seed", "4",
                     "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        api = gemm_metrics(make_unit(spec), samples=30, k=6, seed=4)
        assert out["metrics"] == pytest.approx(api.metrics)
        assert list(out["metrics"]) == list(ARRAY_METRIC_KEYS)
        assert out["shape"] == {"m": 8, "k": 6, "n": 4} and out["samples"] == 30
        assert out["method"] == "monte-carlo" and out["wce_lower_bound"] is True
        prov = out["provenance"]
        assert prov["spec"] == make_unit(spec).spec and prov["seed"] == 4
        assert prov["shape"] == {"m": 8, "k": 6, "n": 4} and "tools" in prov

    def test_json_of_an_exact_array_has_infinite_snr(self, capsys):
        assert main(["metrics", "mac:width=4", "--samples", "10", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)  # Python's json reads Infinity
        assert out["metrics"]["snr_db"] == math.inf and out["metrics"]["mae"] == 0

    def test_table(self, capsys, tmp_path):
        path = tmp_path / "ops.npz"
        np.savez(path, A=np.arange(6).reshape(2, 3), W=np.ones((3, 2), dtype=int))
        assert main(["metrics", "systolic:width=4,rows=2,cols=2", "--workload",
                     str(path)]) == 0
        text = capsys.readouterr().out
        assert f"1 given GEMMs (2x3 by 3x2) from {path}; 4 outputs, 12 MACs" in text
        assert "snr_db" in text and "wce (lower bound)" in text

    @pytest.mark.parametrize("argv, message", [
        (["systolic:width=4,rows=2,cols=2", "--dot", "4"],
         ("axhdl metrics: --dot applies to single units, not to the dot products / GEMMs of "
         "systolic specs")),
        (["exact:width=4", "--m", "3", "--workload", "x.npz"],
         ("axhdl metrics: --m, --workload apply to mac and systolic specs only; "
         "exact:width=4,signed=false,arch=operator is a multiplier")),
        (["mac:width=4", "--n", "2"],
         ("axhdl metrics: --n does not apply to mac (a MAC computes dot products of length "
         "--k)")),
    ])
    def test_usage_errors(self, argv, message, capsys):
        assert main(["metrics", *argv]) == 2
        err = capsys.readouterr().err
        assert err == message + "\n"
