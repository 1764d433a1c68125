"""``axhdl dnn``: accuracies, loss, per-layer MACs and provenance as JSON and text; ONNX
models with a data file; network energy from each layer's own operand stream; usage errors
are one line with exit status 2."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from test_nn_onnx import params, residual_onnx

from axhdl.cli import main
from axhdl.nn.digits import WEIGHTS
from axhdl.nn.evaluate import ENERGY_VECTORS, evaluate
from axhdl.results import file_hash

SPEC = "truncated:width=8,k=8,signed=true"


def run_json(capsys, *argv):
    """``axhdl dnn ARGV --json``; without ``--energy`` in ARGV the synthesis is skipped."""
    energy = [] if "--energy" in argv else ["--no-energy"]
    assert main(["dnn", *argv, *energy, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


class TestDigits:
    def test_json(self, capsys):
        r = run_json(capsys, SPEC, "--compensate", "bias")
        assert r["spec"] == "truncated:width=8,signed=true,k=8,correction=none"
        assert (r["scheme"], r["activation_bits"], r["weight_bits"]) == ("signed", 8, 8)
        assert r["compensation"] == ["bias"]
        assert r["model"] == "digits" and r["test_inputs"] == 360
        assert r["exact_accuracy_pct"] >= 95
        assert 85 < r["approx_accuracy_pct"] <= 100
        assert r["accuracy_loss_pct"] == pytest.approx(
            r["exact_accuracy_pct"] - r["approx_accuracy_pct"])
        assert [(la["name"], la["kind"], la["macs"], la["fan_in"]) for la in r["layers"]] == [
            ("conv1", "conv", 4608, 9), ("conv2", "conv", 18432, 72), ("fc", "linear", 640, 64)]
        assert r["macs"] == 23680
        assert all(la["products"] == "table" and la["compensation"] == ["bias"]
                   for la in r["layers"])
        assert all(abs(la["mean_error_lsb"]) < 0.5 for la in r["layers"])
        prov = r["provenance"]
        assert prov["spec"] == r["spec"] and prov["seed"] == 0
        assert prov["model"]["sha256"] == file_hash(WEIGHTS)
        assert prov["data"]["split_seed"] == 0 and prov["compensation"] == ["bias"]
        assert "energy" not in r

    def test_compensation_changes_the_approximate_accuracy_only(self, capsys):
        plain = run_json(capsys, SPEC)
        comp = run_json(capsys, SPEC, "--compensate", "bias,cv")
        assert plain["exact_accuracy_pct"] == comp["exact_accuracy_pct"]
        assert plain["approx_accuracy_pct"] < 50 < comp["approx_accuracy_pct"]
        assert plain["layers"][1]["mean_error_lsb"] < -10

    def test_text(self, capsys):
        assert main(["dnn", "drum:width=8,k=4", "--scheme", "zeropoint", "--no-energy"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("drum:width=8,signed=false,k=4 on digits (sklearn digits, 360 "
                              "test inputs)\n")
        assert "scheme zeropoint (8-bit activations, 8-bit weights), compensation none\n" in out
        assert "exact accuracy        " in out and "accuracy loss         " in out
        assert "conv2  conv    18432  table" in out

    @pytest.mark.parametrize(("argv", "message"), [
        (["nosuch:width=8"], "axhdl dnn: Unknown family 'nosuch'"),
        ([SPEC, "--compensate", "bias,foo"],
         ("axhdl dnn: Compensation must be 'none' or a comma-separated list of alwann, bias, "
          "cv, not 'foo'")),
        (["loa:width=8"],
         ("axhdl dnn: loa:width=8,signed=false,l=4,carry=true: a DNN needs a multiplier "
          "unit, not one of kind 'adder'")),
        (["exact:width=8", "--scheme", "signed"],
         "axhdl dnn: scheme 'signed' needs a signed unit"),
        ([SPEC, "--model", "net.txt"],
         ("axhdl dnn: Model must be 'digits', an .onnx file or a PyTorch .pt/.pth file, not "
          "'net.txt'")),
        ([SPEC, "--model", "net.pt"],
         ("axhdl dnn: a PyTorch model needs --data FILE.npz (arrays x, y, calibration)")),
        ([SPEC, "--data", "missing.npz"], "axhdl dnn: data file 'missing.npz' does not exist"),
    ])
    def test_usage_errors(self, capsys, argv, message):
        assert main(["dnn", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1

    def test_unknown_scheme(self, capsys):
        with pytest.raises(SystemExit) as exc:
            main(["dnn", SPEC, "--scheme", "other"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("axhdl: error: argument --scheme: invalid choice: 'other'")
        assert err.count("\n") == 1


class TestDataAndOnnx:
    def _files(self, tmp_path):
        residual_onnx(tmp_path / "r.onnx", params(2))
        rng = np.random.default_rng(0)
        x = rng.normal(size=(60, 2, 9, 9))
        y = rng.integers(0, 4, size=60)
        np.savez(tmp_path / "d.npz", x=x, y=y, calibration=rng.normal(size=(32, 2, 9, 9)))
        return tmp_path / "r.onnx", tmp_path / "d.npz"

    def test_onnx_model_with_data(self, tmp_path, capsys):
        model, data = self._files(tmp_path)
        r = run_json(capsys, "mitchell:width=8,signed=true", "--model", str(model),
                     "--data", str(data), "--compensate", "alwann")
        assert r["model"] == "r.onnx" and r["data"] == "d.npz" and r["test_inputs"] == 60
        assert [la["kind"] for la in r["layers"]] == ["conv", "conv", "linear"]
        assert r["layers"][1]["macs"] == 6 * 5 * 4 * 9  # depthwise: 9 products per output
        assert r["provenance"]["model"]["sha256"] == file_hash(model)
        assert r["provenance"]["data"]["sha256"] == file_hash(data)
        assert r["provenance"]["seed"] is None

    def test_onnx_needs_data(self, tmp_path, capsys):
        model, _ = self._files(tmp_path)
        assert main(["dnn", SPEC, "--model", str(model)]) == 2
        assert capsys.readouterr().err == ("axhdl dnn: an ONNX model needs --data FILE.npz "
                                           "(arrays x, y, calibration)\n")

    def test_data_file_checked(self, tmp_path, capsys):
        np.savez(tmp_path / "bad.npz", x=np.zeros((3, 1, 8, 8)), y=np.zeros(3, dtype=int))
        assert main(["dnn", SPEC, "--data", str(tmp_path / "bad.npz")]) == 2
        assert capsys.readouterr().err.endswith("must hold arrays x, y and calibration; "
                                                "missing calibration\n")


class TestEnergy:
    def test_each_layer_its_own_workload(self, monkeypatch):
        """A stand-in for the PPA flow whose energy per operation is the mean operand
        magnitude of the workload file: each layer's figure reflects its own stream."""
        seen = []

        def fake_ppa(unit, *, workload, vectors, seed, **kw):
            with np.load(workload) as f:
                a, b = f["a"], f["b"]
            assert len(a) == len(b) == vectors == ENERGY_VECTORS
            assert a.min() >= -128 and a.max() <= 127 and b.min() >= -128 and b.max() <= 127
            seen.append((a.copy(), b.copy()))
            e = float(np.abs(a).mean() + np.abs(b).mean())
            return SimpleNamespace(energy_pj=e / 2, baseline=SimpleNamespace(energy_pj=e))

        r = evaluate(SPEC, compensate="bias", energy=True, ppa_fn=fake_ppa)
        assert len(seen) == 3
        en = r["energy"]
        assert en["savings_pct"] == pytest.approx(50.0)
        layers = en["layers"]
        assert len({la["energy_per_op_pj"] for la in layers.values()}) == 3
        total = sum(la["macs"] * la["energy_per_op_pj"] for la in r["layers"])
        assert en["energy_pj"] == pytest.approx(total)
        # conv1 multiplies weights (port b) by input pixels (port a), which are >= 0
        a1, b1 = seen[0]
        assert a1.min() >= 0 and b1.min() < 0
        w1 = np.load(WEIGHTS)["conv1.weight"]
        assert len(np.unique(b1)) <= w1.size

    def test_real_flow_is_the_default(self, capsys):
        # the command: accuracies and network energy savings, synthesis included
        assert main(["dnn", SPEC, "--compensate", "bias", "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        assert r["exact_accuracy_pct"] >= 95 and r["approx_accuracy_pct"] > 85
        en = r["energy"]
        assert en["savings_pct"] == pytest.approx(
            100 * (1 - en["energy_pj"] / en["exact_energy_pj"]))
        assert en["savings_pct"] > 20
        assert all(la["energy_per_op_pj"] < la["exact_energy_per_op_pj"]
                   for la in en["layers"].values())


class TestAssign:
    EXACT = "exact:width=8,signed=true"

    def test_assignment_json(self, capsys):
        r = run_json(capsys, "--assign", f"{self.EXACT};{SPEC};{self.EXACT}")
        assert [la["spec"].split(":")[0] for la in r["layers"]] == ["exact", "truncated",
                                                                      "exact"]
        assert r["spec"].count(";") == 2
        assert r["exact_accuracy_pct"] - r["approx_accuracy_pct"] == r["accuracy_loss_pct"]
        assert len(r["provenance"]["assignment"]) == 3

    def test_assignment_text(self, capsys):
        assert main(["dnn", "--assign", f"{SPEC};{self.EXACT};{self.EXACT}",
                     "--no-energy"]) == 0
        out = capsys.readouterr().out
        assert "conv1  conv    4608   truncated:width=8,signed=true,k=8,correction=none" in out

    @pytest.mark.parametrize(("argv", "message"), [
        (["--assign", f"{SPEC};{SPEC}"],
         ("axhdl dnn: --assign needs one unit per conv/linear layer (3: conv1, conv2, fc), "
         "not 2")),
        (["--assign", f"{SPEC};loa:width=8;{SPEC}"],
         ("axhdl dnn: loa:width=8,signed=false,l=4,carry=true: a DNN needs a multiplier unit, "
         "not one of kind 'adder'")),
        (["--assign", f"{SPEC};;{SPEC}"],
         f"axhdl dnn: --assign must be unit specs separated by ';', not '{SPEC};;{SPEC}'"),
        ([SPEC, "--assign", f"{SPEC};{SPEC};{SPEC}"],
         ("axhdl dnn: give one of SPEC, --assign SPEC;SPEC;... or --candidates SPEC;SPEC;..., "
         "not SPEC and --assign")),
        ([], ("axhdl dnn: give one of SPEC, --assign SPEC;SPEC;... or --candidates "
             "SPEC;SPEC;...")),
        (["--candidates", f"{SPEC};{SPEC}"],
         "axhdl dnn: --candidates lists a unit twice"),
    ])
    def test_usage_errors(self, capsys, argv, message):
        assert main(["dnn", *argv]) == 2  # refused before any synthesis
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1

    def test_search_needs_energy(self, capsys):
        assert main(["dnn", "--candidates", f"{self.EXACT};{SPEC}", "--no-energy"]) == 2
        assert capsys.readouterr().err == ("axhdl dnn: --candidates searches for energy "
                                           "savings: it needs --energy\n")

    def test_search(self, capsys, monkeypatch):
        from test_nn_assign import fake_ppa

        import axhdl.synth.flow

        monkeypatch.setattr(axhdl.synth.flow, "ppa", fake_ppa)
        argv = ["dnn", "--candidates", f"{self.EXACT};{SPEC}", "--max-loss", "5"]
        assert main([*argv, "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        assert (r["method"], r["evaluated"], r["max_loss_pct"]) == ("exhaustive", 8, 5.0)
        assert r["best"]["assignment"][0].startswith("truncated")
        assert r["best"] in r["pareto"]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "exhaustive search: 8 of 8 assignments evaluated, loss bound 5 percentage" in out
        assert "best: 1 0 0 (loss 4.72, savings 14.99 %)" in out
        assert "Pareto set (candidate index per layer: conv1 conv2 fc)" in out
