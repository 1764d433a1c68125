"""Compensation measurably works: bias correction centres a layer's error and keeps the
digits accuracy, ALWANN weight tuning lowers a layer's error, the control variate removes
most of a perforated unit's error; methods combine."""

import numpy as np
import pytest

from axhdl.errors import InputError
from axhdl.nn.compensate import (
    alwann_remap,
    bias_correction,
    calibrate,
    layer_error,
    parse_methods,
)
from axhdl.nn.digits import digits_network, load_digits_split
from axhdl.nn.engine import LayerCompensation, mac_columns, predict, run
from axhdl.nn.products import ExactProducts, Products
from axhdl.nn.quantize import Scheme, quantize
from axhdl.registry import make_unit


@pytest.fixture(scope="module")
def digits():
    return load_digits_split(), digits_network()


def _setup(digits, spec, scheme="auto"):
    data, net = digits
    unit = make_unit(spec)
    sch = Scheme.for_unit(unit, scheme)
    return data, quantize(net, data.x_calibration, sch), Products(unit, sch)


def conv2_error(data, qnet, prod, methods):
    """Accumulator error of conv2 on the test images (its input from the approximate network
    compensated by ``methods``): mean and mean absolute value."""
    comp = calibrate(qnet, prod, data.x_calibration, methods)
    node = qnet.node("conv2")
    x = run(qnet, data.x_test, prod, compensation=comp, keep=True)[node.inputs[0]]
    err = layer_error(node.op, x, prod, comp.get("conv2"))
    return float(err.mean()), float(np.abs(err).mean())


def accuracy(data, qnet, prod, methods):
    comp = calibrate(qnet, prod, data.x_calibration, methods)
    return float((predict(qnet, data.x_test, prod, compensation=comp) == data.y_test).mean())


BIASED = ["truncated:width=8,k=8,signed=true", "truncated:width=8,k=9",
          "mitchell:width=8,signed=true", "mitchell:width=8"]


class TestBiasCorrection:
    @pytest.mark.parametrize("spec", BIASED)
    def test_layer_mean_error_near_zero(self, digits, spec):
        data, qnet, prod = _setup(digits, spec)
        mean0, mae0 = conv2_error(data, qnet, prod, "none")
        mean1, mae1 = conv2_error(data, qnet, prod, "bias")
        assert mean0 != 0
        assert abs(mean1) < 0.1 * abs(mean0)
        assert abs(mean1) < 0.01 * mae0
        assert mae1 < mae0

    @pytest.mark.parametrize("spec", ["truncated:width=8,k=8,signed=true",
                                      "mitchell:width=8,signed=true"])
    def test_digits_accuracy_not_lower(self, digits, spec):
        data, qnet, prod = _setup(digits, spec)
        plain = accuracy(data, qnet, prod, "none")
        assert accuracy(data, qnet, prod, "bias") >= plain

    def test_truncated_recovered(self, digits):
        data, qnet, prod = _setup(digits, "truncated:width=8,k=8,signed=true")
        assert accuracy(data, qnet, prod, "none") < 0.5  # the bias ruins the network
        assert accuracy(data, qnet, prod, "bias") > 0.9

    def test_equals_expected_error_per_product(self, digits):
        """Σ_i E_x[ε(x_i, w_ic)] from per-position histograms of the calibration activations
        and the unit's error table (Tasoulas et al.'s definition)."""
        data, qnet, prod = _setup(digits, "mitchell:width=8,signed=true")
        node = qnet.node("conv2")
        x = run(qnet, data.x_calibration, prod, keep=True)[node.inputs[0]]
        got = bias_correction(node.op, x, prod, LayerCompensation())
        (cols,), _ = mac_columns(node.op, x)
        eps = prod.error_table()
        w = node.op.weight_matrix(0)
        expected = np.zeros(w.shape[1])
        for k in range(cols.shape[1]):
            hist = np.bincount(cols[:, k] - prod.xlo, minlength=eps.shape[0]) / len(cols)
            expected += hist @ eps[:, w[k] - prod.wlo]
        np.testing.assert_array_equal(got, -np.rint(expected).astype(np.int64))


class TestAlwann:
    @pytest.mark.parametrize("spec", ["truncated:width=8,k=9", "dsm:width=8,m=3",
                                      "broken_array:width=8,hbl=2,vbl=8", "mitchell:width=8"])
    def test_lowers_layer_error(self, digits, spec):
        data, qnet, prod = _setup(digits, spec)
        _, mae0 = conv2_error(data, qnet, prod, "none")
        _, mae1 = conv2_error(data, qnet, prod, "alwann")
        assert mae1 < 0.8 * mae0

    def test_remap_minimises_the_weighted_product_error(self, digits):
        data, qnet, prod = _setup(digits, "dsm:width=8,m=3")
        node = qnet.node("conv1")
        x = qnet.input.quantize(data.x_calibration)
        remap = alwann_remap(node.op, x, prod)
        (cols,), _ = mac_columns(node.op, x)
        h = np.bincount((cols - prod.xlo).ravel(), minlength=prod.table.shape[0])
        xs = np.arange(prod.xlo, prod.xhi + 1)
        changed = 0
        for w in np.unique(node.op.weight):
            cost = h @ np.abs(prod.table - xs[:, None] * w)
            new = remap[w - prod.wlo]
            assert cost[new - prod.wlo] == cost.min()
            changed += new != w
        assert changed > 0
        unused = np.setdiff1d(np.arange(prod.wlo, prod.whi + 1), node.op.weight)
        np.testing.assert_array_equal(remap[unused - prod.wlo], unused)

    def test_exact_unit_keeps_every_weight(self, digits):
        data, qnet, prod = _setup(digits, "exact:width=8,signed=true")
        comp = calibrate(qnet, prod, data.x_calibration, "alwann")
        for lc in comp.values():
            np.testing.assert_array_equal(lc.remap, np.arange(prod.wlo, prod.whi + 1))

    def test_model_only_unit_refused(self, digits):
        data, net = digits
        unit = make_unit("dsm:a_width=12,b_width=8,m=3")
        sch = Scheme.for_unit(unit)
        qnet = quantize(net, data.x_calibration, sch)
        with pytest.raises(InputError, match=r"^dsm:a_width=12,b_width=8,signed=false,m=3: "
                                             r"ALWANN weight tuning needs the unit's product "
                                             r"table, built for at most 16 operand bits, not "
                                             r"12\+8$"):
            calibrate(qnet, Products(unit, sch), data.x_calibration, "alwann")


PERFORATED = [("perforated:width=8,m=3", "auto"), ("perforated:width=8,m=4,signed=true", "auto"),
              ("perforated:width=8,m=3", "zeropoint")]


class TestControlVariate:
    @pytest.mark.parametrize(("spec", "scheme"), PERFORATED)
    def test_removes_perforation_error(self, digits, spec, scheme):
        data, qnet, prod = _setup(digits, spec, scheme)
        mean0, mae0 = conv2_error(data, qnet, prod, "none")
        mean1, mae1 = conv2_error(data, qnet, prod, "cv")
        _, mae_bias = conv2_error(data, qnet, prod, "bias")
        assert abs(mean1) < 0.05 * abs(mean0)
        assert mae1 < 0.8 * mae0
        assert mae1 < mae_bias  # more than a constant per channel

    @pytest.mark.parametrize(("spec", "scheme"), PERFORATED)
    def test_digits_accuracy_not_lower(self, digits, spec, scheme):
        data, qnet, prod = _setup(digits, spec, scheme)
        assert accuracy(data, qnet, prod, "cv") >= accuracy(data, qnet, prod, "none")


class TestCombination:
    def test_all_methods_compose(self, digits):
        data, qnet, prod = _setup(digits, "perforated:width=8,m=4,signed=true")
        comp = calibrate(qnet, prod, data.x_calibration, "bias,cv,alwann")
        assert set(comp) == {"conv1", "conv2", "fc"}
        for lc in comp.values():
            assert lc.methods == ["alwann", "cv", "bias"]
        mean, mae = conv2_error(data, qnet, prod, ["alwann", "cv", "bias"])
        _, mae0 = conv2_error(data, qnet, prod, "none")
        assert mae < 0.2 * mae0
        assert accuracy(data, qnet, prod, "alwann,cv,bias") > 0.95

    def test_exact_layers_get_none(self, digits):
        data, qnet, prod = _setup(digits, "mitchell:width=8,signed=true")
        per_layer = {"conv1": prod, "conv2": ExactProducts(prod.scheme), "fc": prod}
        comp = calibrate(qnet, per_layer, data.x_calibration, "bias")
        assert set(comp) == {"conv1", "fc"}

    def test_parse_methods(self):
        assert parse_methods("none") == ()
        assert parse_methods(None) == ()
        assert parse_methods("bias,alwann") == ("alwann", "bias")
        assert parse_methods(["cv", "bias"]) == ("cv", "bias")
        with pytest.raises(InputError, match="Compensation must be 'none' or a comma-separated "
                                             "list of alwann, bias, cv, not 'biass'"):
            parse_methods("biass")
