"""Operand distributions: file formats, their validation, weights and sampling."""

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.distributions import (
    Distribution,
    distribution_from_files,
    histogram_from_samples,
    load_joint,
    load_marginal,
)
from axhdl.errors import InputError

#: the end of every message about a file that is not numpy data
EXPECTED = ("expected a numpy .npy file (numpy.save) or .npz archive (numpy.savez) of plain "
            "numeric arrays")


class TestLoadMarginal:
    def test_samples_become_counts_per_code(self, tmp_path):
        path = tmp_path / "a.npy"
        np.save(path, np.array([-1, -1, 0, 3, -4], dtype=np.int8))
        h = load_marginal(path, 3, True, "a")
        # codes of -1, 0, 3, -4 in 3-bit two's complement: 7, 0, 3, 4
        assert h.tolist() == [1, 0, 0, 1, 1, 0, 0, 2]

    def test_npz_samples_and_histogram(self, tmp_path):
        np.savez(tmp_path / "s.npz", samples=np.array([0, 1, 1, 15]))
        assert load_marginal(tmp_path / "s.npz", 4, False, "b").tolist() == (
            [1, 2] + [0] * 13 + [1])
        hist = np.linspace(0, 1, 16)
        np.savez(tmp_path / "h.npz", histogram=hist)
        assert load_marginal(tmp_path / "h.npz", 4, False, "b").tolist() == hist.tolist()

    @pytest.mark.parametrize("make,message", [
        (lambda p: None, "distribution of operand a file '{p}' does not exist"),
        (lambda p: p.write_text("hello"),
         "distribution of operand a file '{p}' cannot be read (it is text); {expected}"),
        (lambda p: np.save(p, np.array([[1, 2]])),
         "{p}: samples must be a 1-D array of integer operand values, not shape (1, 2) of int64"),
        (lambda p: np.save(p, np.array([0.5, 1.0])),
         "{p}: samples must be a 1-D array of integer operand values, not shape (2,) of float64"),
        (lambda p: np.save(p, np.array([], dtype=np.int64)), "{p}: samples must not be empty"),
        (lambda p: np.save(p, np.array([0, 7, 8])),
         "{p}: sample value 8 is outside the range -8..7 of the 4-bit signed operand a"),
        (lambda p: np.save(p, np.array([-9])),
         "{p}: sample value -9 is outside the range -8..7 of the 4-bit signed operand a"),
    ])
    def test_bad_npy_files(self, tmp_path, make, message):
        path = tmp_path / "d.npy"
        make(path)
        with pytest.raises(InputError) as e:
            load_marginal(path, 4, True, "a")
        assert str(e.value) == message.format(p=path, expected=EXPECTED)

    @pytest.mark.parametrize("arrays,message", [
        ({"hist": np.ones(16)},
         ("{p}: a .npz distribution of operand b must hold exactly one array, named 'samples' "
         "or 'histogram', not ['hist']")),
        ({"samples": np.ones(3, dtype=int), "histogram": np.ones(16)},
         ("{p}: a .npz distribution of operand b must hold exactly one array, named 'samples' "
         "or 'histogram', not ['histogram', 'samples']")),
        ({"histogram": np.ones(15)},
         ("{p}: a histogram of operand b (4 bits: one entry per code) must be numeric of shape "
         "(16,), not shape (15,) of float64")),
        ({"histogram": np.r_[np.ones(15), -2.0]},
         "{p}: histogram weights must be non-negative, but entry 15 is -2.0"),
        ({"histogram": np.r_[np.ones(15), np.nan]},
         "{p}: histogram weights must be finite, but entry 15 is nan"),
        ({"histogram": np.zeros(16)}, "{p}: histogram weights are all zero"),
    ])
    def test_bad_npz_files(self, tmp_path, arrays, message):
        path = tmp_path / "d.npz"
        np.savez(path, **arrays)
        with pytest.raises(InputError) as e:
            load_marginal(path, 4, False, "b")
        assert str(e.value) == message.format(p=path)

    def test_wrong_suffix(self, tmp_path):
        path = tmp_path / "d.csv"
        path.write_text("1,2")
        with pytest.raises(InputError) as e:
            load_marginal(path, 4, False, "a")
        assert str(e.value) == (
            f"distribution of operand a file '{path}' must be a .npy or .npz file, not .csv")

    def test_width_limit(self, tmp_path):
        with pytest.raises(InputError) as e:
            load_marginal(tmp_path / "x.npy", 25, False, "a")
        assert str(e.value) == (
            "operand a (25 bits): a distribution over 33554432 codes is larger than the 2^24 "
            "supported")


class TestLoadJoint:
    def test_histogram_and_pair_samples(self, tmp_path):
        h = np.arange(32, dtype=float).reshape(4, 8)
        np.save(tmp_path / "j.npy", h)
        assert load_joint(tmp_path / "j.npy", 2, 3, False).tolist() == h.tolist()
        np.savez(tmp_path / "s.npz", samples=np.array([[-2, 3], [-2, 3], [1, -4]]))
        j = load_joint(tmp_path / "s.npz", 2, 3, True)
        assert j.shape == (4, 8) and j.sum() == 3
        assert j[2, 3] == 2 and j[1, 4] == 1  # codes of (-2, 3) and (1, -4)

    @pytest.mark.parametrize("arrays,message", [
        ({"samples": np.array([1, 2, 3])},
         "{p}: samples must be an integer array of shape (N, 2), not shape (3,) of int64"),
        ({"samples": np.array([[0, 8]])},
         "{p}: sample value 8 is outside the range 0..7 of the 3-bit unsigned operand b"),
        ({"histogram": np.ones((8, 4))},
         ("{p}: a histogram of both operands (indexed [code_a, code_b]) must be numeric of "
         "shape (4, 8), not shape (8, 4) of float64")),
        ({"histogram": -np.ones((4, 8))},
         "{p}: histogram weights must be non-negative, but entry (0, 0) is -1.0"),
    ])
    def test_bad_files(self, tmp_path, arrays, message):
        path = tmp_path / "j.npz"
        np.savez(path, **arrays)
        with pytest.raises(InputError) as e:
            load_joint(path, 2, 3, False)
        assert str(e.value) == message.format(p=path)


class TestDistribution:
    def test_tile_weights(self):
        pa = np.arange(4.0)
        pb = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
        d = Distribution(2, 3, True, pa=pa, pb=pb)
        a = np.array([-2, -1, 0, 1])
        b = np.array([-4, 3])
        # a codes 2, 3, 0, 1; b codes 4, 3
        # weights are normalised to probabilities: pa / 6, pb / 36
        want = np.array([[10, 8], [15, 12], [0, 0], [5, 4]])
        assert d.tile(a, b) * 216 == pytest.approx(want)
        joint = np.arange(32.0).reshape(4, 8)
        dj = Distribution(2, 3, True, joint=joint)
        tile = dj.tile(np.array([-1]), np.array([-1, 0]))
        assert tile * 496 == pytest.approx(np.array([[31, 24]]))
        assert dj.row_weights(np.array([0])) * 496 == pytest.approx([28.0])
        assert dj.col_weights(np.array([-1])) * 496 == pytest.approx([7 + 15 + 23 + 31])

    def test_sampling_follows_the_weights(self):
        pa = np.array([0, 1, 0, 3.0])
        d = Distribution(2, 4, True, pa=pa)
        a, b = d.sample(np.random.default_rng(0), 40_000)
        assert set(np.unique(a).tolist()) == {-1, 1}  # codes 3 and 1
        assert np.mean(a == -1) == pytest.approx(0.75, abs=0.01)
        assert b.min() == -8 and b.max() == 7 and abs(b.mean() + 0.5) < 0.05

    def test_joint_sampling(self):
        joint = np.zeros((4, 4))
        joint[1, 2] = 1.0
        joint[3, 0] = 3.0
        a, b = Distribution(2, 2, False, joint=joint).sample(np.random.default_rng(1), 10_000)
        pairs = set(zip(a.tolist(), b.tolist()))
        assert pairs == {(1, 2), (3, 0)}
        assert np.mean(a == 3) == pytest.approx(0.75, abs=0.02)

    def test_joint_excludes_marginals(self):
        with pytest.raises(ValueError) as e:
            Distribution(2, 2, False, pa=np.ones(4), joint=np.ones((4, 4)))
        assert str(e.value) == "A joint distribution excludes per-operand ones"

    @pytest.mark.parametrize("scale", [2.0**-1000, 1e-300, 1e-30, 1.0, 1e30, 1e300, 1e307])
    def test_sampling_is_scale_invariant(self, scale):
        """Scaled weights draw the same codes (a cumulative sum of 1e307-sized weights
        overflows unless the weights are normalised first)."""
        rng = np.random.default_rng(4)
        pa = rng.integers(0, 9, 64).astype(float)
        joint = rng.integers(0, 9, (16, 64)).astype(float)
        want = Distribution(6, 6, True, pa=pa, pb=pa).sample(np.random.default_rng(9), 5000)
        got = Distribution(6, 6, True, pa=pa * scale, pb=pa * scale).sample(
            np.random.default_rng(9), 5000)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]
        want = Distribution(4, 6, False, joint=joint).sample(np.random.default_rng(9), 5000)
        got = Distribution(4, 6, False, joint=joint * scale).sample(
            np.random.default_rng(9), 5000)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]

    def test_weights_are_probabilities(self):
        d = Distribution(2, 2, False, pa=np.array([1.0, 0, 1, 2]) * 1e300,
                         joint=None, pb=np.array([0, 0, 0, 5e-310]))
        assert d.pa.tolist() == [0.25, 0, 0.25, 0.5] and d.pb.tolist() == [0, 0, 0, 1]

    @pytest.mark.parametrize("bad,message", [
        (np.array([1.0, -1.0, 0, 0]), "Weights of operand a must be non-negative: entry 1 is -1.0"),
        (np.array([1.0, np.inf, 0, 0]), "Weights of operand a must be finite: entry 1 is inf"),
        (np.zeros(4), "Weights of operand a are all zero"),
    ])
    def test_bad_weights(self, bad, message):
        with pytest.raises(ValueError) as e:
            Distribution(2, 2, False, pa=bad)
        assert str(e.value) == message

    def test_histogram_from_samples(self):
        assert histogram_from_samples([-1, -1, 2], 2, True).tolist() == [0, 0, 1, 2]


class TestFromFiles:
    def test_uniform_when_no_file(self):
        assert distribution_from_files(make_unit("exact:width=4")) is None

    def test_joint_and_marginal_are_exclusive(self, tmp_path):
        with pytest.raises(InputError) as e:
            distribution_from_files(make_unit("exact:width=4"), "a.npy", None, "j.npy")
        assert str(e.value) == "Give either a joint distribution or per-operand ones, not both"

    def test_records_files_and_hashes(self, tmp_path):
        np.save(tmp_path / "b.npy", np.array([1, 2, 3]))
        d = distribution_from_files(make_unit("exact:width=4"), None, tmp_path / "b.npy")
        info = d.describe()
        assert info["kind"] == "independent" and set(info) == {"kind", "b"}
        assert len(info["b"]["sha256"]) == 64
        assert d.pa is None and d.pb.tolist() == [0, 1 / 3, 1 / 3, 1 / 3] + [0] * 12
