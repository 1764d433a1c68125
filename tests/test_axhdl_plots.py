"""Error plots: the numbers behind them, the files, the missing-matplotlib message."""

import builtins
import sys

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.cli import main
from axhdl.distributions import Distribution
from axhdl.errors import InputError, ToolMissingError
from axhdl.plots import plot_data, plot_errors

pytest.importorskip("matplotlib")


class TestPlotData:
    def test_every_pair_of_a_small_unit(self):
        unit = make_unit("truncated:width=5,k=4,signed=true")
        d = plot_data(unit)
        assert not d["sampled"] and d["a"].size == 1024
        assert (d["ed"] == unit.model(d["a"], d["b"]) - d["a"] * d["b"]).all()
        assert d["grid_full"] and d["grid_a"].tolist() == list(range(-16, 16))
        a, b = d["grid_a"][:, None], d["grid_b"][None, :]
        assert (d["grid_ed"] == unit.model(a, b) - a * b).all()

    def test_weights_follow_the_distribution(self):
        unit = make_unit("truncated:width=3,k=2")
        pa = np.arange(8.0)
        d = plot_data(unit, dist=Distribution(3, 3, False, pa=pa))
        # probabilities: pa normalised to sum 1 (pb uniform)
        assert d["weight"] * 28 == pytest.approx(np.repeat(pa, 8))

    def test_large_units_are_sampled_on_a_grid(self):
        unit = make_unit("exact:width=12")
        d = plot_data(unit, seed=3)
        assert d["sampled"] and d["a"].size == 1 << 20
        assert d["grid_a"].size == 256 and d["grid_a"][0] == 0 and d["grid_a"][-1] == 4095
        assert not d["grid_full"]
        again = plot_data(unit, seed=3)
        assert (again["a"] == d["a"]).all()


class TestPlotErrors:
    @pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
    def test_three_files(self, tmp_path, fmt, magic):
        unit = make_unit("truncated:width=4,k=3")
        paths = plot_errors(unit, tmp_path, fmt=fmt)
        names = sorted(p.name for p in paths)
        assert names == sorted(f"{unit.name}_{s}.{fmt}" for s in
                               ("ed_hist", "red_vs_exact", "ed_heatmap"))
        for p in paths:
            assert p.read_bytes().startswith(magic)

    def test_bad_format(self, tmp_path):
        with pytest.raises(InputError) as e:
            plot_errors(make_unit("exact:width=2"), tmp_path, fmt="jpg")
        assert str(e.value) == "plot format must be one of png, svg, not 'jpg'"

    def test_missing_matplotlib_names_the_install_command(self, tmp_path, monkeypatch):
        real = builtins.__import__

        def no_matplotlib(name, *args, **kwargs):
            if name == "matplotlib" or name.startswith("matplotlib."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_matplotlib)
        with pytest.raises(ToolMissingError) as e:
            plot_errors(make_unit("exact:width=2"), tmp_path)
        assert str(e.value) == (
            "matplotlib (needed for plots) not found; install it with: "
            f"{sys.executable} -m pip install 'matplotlib>=3.8'")
        assert list(tmp_path.iterdir()) == []

    def test_command(self, capsys, tmp_path):
        status = main(["metrics", "truncated:width=4,k=3", "--plot", str(tmp_path),
                       "--plot-format", "svg"])
        out = capsys.readouterr().out
        assert status == 0
        assert out.count("plot: ") == 3
        assert len(list(tmp_path.glob("*.svg"))) == 3
