"""The built-in model and data: a deterministic split, small shipped weights that reproduce
their recorded float accuracy, exact int8 accuracy of at least 95 %, and the training script."""

import numpy as np
import pytest

from axhdl.errors import InputError
from axhdl.nn.digits import (
    N_CALIBRATION,
    N_TEST,
    PARAM_SHAPES,
    WEIGHTS,
    digits_network,
    load_digits_split,
)
from axhdl.nn.engine import predict
from axhdl.nn.products import ExactProducts
from axhdl.nn.quantize import Scheme, quantize
from axhdl.nn.train_digits import main as train_main
from axhdl.nn.train_digits import train


@pytest.fixture(scope="module")
def data():
    return load_digits_split()


class TestSplit:
    def test_sizes_and_ranges(self, data):
        assert data.x_test.shape == (N_TEST, 1, 8, 8)
        assert data.x_train.shape == (1797 - N_TEST, 1, 8, 8)
        assert data.x_calibration.shape == (N_CALIBRATION, 1, 8, 8)
        assert data.x_train.min() == 0 and data.x_train.max() == 1
        assert set(np.unique(data.y_test)) == set(range(10))

    def test_deterministic_and_disjoint(self, data):
        again = load_digits_split()
        np.testing.assert_array_equal(again.x_test, data.x_test)
        np.testing.assert_array_equal(again.y_train, data.y_train)
        test_rows = {r.tobytes() for r in data.x_test.reshape(N_TEST, -1)}
        train_rows = [r.tobytes() for r in data.x_train.reshape(len(data.x_train), -1)]
        # the data set has a few duplicate images; the split itself shares no sample
        assert sum(r in test_rows for r in train_rows) < 10


class TestShippedModel:
    def test_file_is_small_and_complete(self):
        assert WEIGHTS.stat().st_size < 16 * 1024
        with np.load(WEIGHTS) as f:
            for name, shape in PARAM_SHAPES.items():
                assert f[name].shape == shape and f[name].dtype == np.float32
            recorded = float(f["float_test_accuracy"])
        assert recorded >= 0.97

    def test_float_accuracy_as_recorded(self, data):
        net = digits_network()
        acc = float((net.predict(data.x_test) == data.y_test).mean())
        with np.load(WEIGHTS) as f:
            assert acc == pytest.approx(float(f["float_test_accuracy"]), abs=1 / N_TEST)

    @pytest.mark.parametrize(("scheme", "bits", "signed"), [
        ("signed", 8, True), ("signmag", 8, False), ("zeropoint", 8, False),
        ("zeropoint", 8, True)])
    def test_exact_int8_accuracy_at_least_95(self, data, scheme, bits, signed):
        sch = Scheme(scheme, bits, bits, signed)
        qnet = quantize(digits_network(), data.x_calibration, sch)
        acc = float((predict(qnet, data.x_test, ExactProducts(sch)) == data.y_test).mean())
        assert acc >= 0.95

    def test_bad_weights_file(self, tmp_path):
        path = tmp_path / "w.npz"
        np.savez(path, **{"conv1.weight": np.zeros((8, 1, 3, 3))})
        with pytest.raises(InputError, match="digits weights: parameter 'conv1.bias' is "
                                             "missing"):
            digits_network(path)


class TestTraining:
    def test_short_training_is_deterministic_and_learns(self, tmp_path):
        p1, acc1 = train(epochs=2, seed=3)
        p2, acc2 = train(epochs=2, seed=3)
        for k in p1:
            np.testing.assert_array_equal(p1[k], p2[k])
        assert acc1 == acc2 and acc1 > 0.4  # chance is 0.1

    def test_script_writes_a_loadable_file(self, tmp_path, capsys):
        out = tmp_path / "w.npz"
        assert train_main(["--out", str(out), "--epochs", "1"]) == 0
        assert "float test accuracy" in capsys.readouterr().out
        net = digits_network(out)
        assert [n.name for n in net.nodes][0] == "conv1"
