"""The metrics engine: every key of DESIGN.md §3 against closed forms, published error
probabilities and a naive pure-Python computation straight from the definitions."""

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.cli import main
from axhdl.distributions import Distribution
from axhdl.errors import InputError
from axhdl.generators.multipliers._pp import pp_terms
from axhdl.generators.multipliers.truncated import mean_error_closed_form
from axhdl.metrics import (
    CI_KEYS,
    METRIC_KEYS,
    characterize,
    dot_product_error,
    error_metrics,
    exhaustive_metrics,
    operand_grid,
    wilson_interval,
)
from axhdl.params import Param
from axhdl.unit import ArithmeticUnit

# -- small synthetic units with known closed forms ---------------------------------------------


class _Synthetic(ArithmeticUnit):
    family = "synthetic"

    def __init__(self, **kwargs):
        self._params = type(self).validate(kwargs)


class Perforated(_Synthetic):
    """Partial-product perforation (Zervakis et al., IEEE TVLSI 2016): the partial-product rows
    of the b bits in ``rows`` are not generated, so approx = a * (b with those bits cleared)."""

    family = "perforated_test"
    params = (Param("rows", tuple, (0,), "perforated rows"),)

    def model(self, a, b, **controls):
        mask = sum(1 << j for j in self._params["rows"])
        return np.asarray(a, dtype=np.int64) * (np.asarray(b, dtype=np.int64) & ~mask)


class LowerOrAdder(_Synthetic):
    """Lower-part OR adder (Mahdiani et al., IEEE TCAS-I 2010): the k low sum bits are a | b,
    the upper part adds with carry-in a_{k-1} & b_{k-1}."""

    family = "loa_test"
    kind = "adder"
    params = (Param("k", int, 3, "OR-ed bits", min=1),)

    def exact(self, a, b):
        return np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)

    def model(self, a, b, **controls):
        k = self._params["k"]
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        carry = (a >> (k - 1)) & (b >> (k - 1)) & 1
        upper = (a >> k) + (b >> k) + carry
        return (upper << k) | ((a | b) & ((1 << k) - 1))


class Offset(_Synthetic):
    """approx = exact + offset(a, b): errors of any size, for the exact-accumulation paths."""

    family = "offset_test"
    params = (Param("big", int, 40, "log2 of the error magnitude"),)

    def model(self, a, b, **controls):
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        sign = np.where((a + b) % 2 == 0, 1, -1)
        return a * b + sign * (1 << self._params["big"]) + (a & 3)


class MaskedLow(_Synthetic):
    """approx = exact with the low bits of the product cleared (a cheap model with errors)."""

    family = "masked_test"
    params = (Param("bits", int, 4, "cleared product bits"),)

    def model(self, a, b, **controls):
        p = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
        return p & ~np.int64((1 << self._params["bits"]) - 1)


class WeightA(MaskedLow):
    family = "masked_weight_a_test"
    weight_operand = "a"


# -- a naive reference: loops over pairs, every key from its definition, exact rationals -------


def naive_metrics(unit, weights=None):
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a, b = operand_grid(unit)
    approx = unit.model(a, b).tolist()
    exact_arr = np.asarray(unit.exact(a, b))
    exact = exact_arr.tolist()
    w = [1] * len(a) if weights is None else [int(x) for x in np.asarray(weights).ravel()]
    total = sum(w)
    ed = [p - e for p, e in zip(approx, exact)]
    mean = Fraction(sum(wi * d for wi, d in zip(w, ed)), total)
    mae = Fraction(sum(wi * abs(d) for wi, d in zip(w, ed)), total)
    mse = Fraction(sum(wi * d * d for wi, d in zip(w, ed)), total)
    out = {
        "er": Fraction(sum(wi for wi, d in zip(w, ed) if d != 0), total),
        "mean_ed": mean,
        "var_ed": sum(wi * (d - mean) ** 2 for wi, d in zip(w, ed)) / total,
        "mse": mse,
        "rms_ed": math.sqrt(mse),
        "mae": mae,
        "var_aed": sum(wi * (abs(d) - mae) ** 2 for wi, d in zip(w, ed)) / total,
        "wce": max(abs(d) for wi, d in zip(w, ed) if wi > 0),
    }
    # RED sums in floats with exactly rounded summation (Fractions of ~2^n distinct
    # denominators grow without bound)
    rel = [(wi, d / e) for wi, d, e in zip(w, ed, exact) if e != 0]
    wn = math.fsum(wi for wi, _ in rel)
    mean_red = math.fsum(wi * r for wi, r in rel) / wn
    out.update(
        mred=math.fsum(wi * abs(r) for wi, r in rel) / wn,
        mean_red=mean_red,
        var_red=math.fsum(wi * (r - mean_red) ** 2 for wi, r in rel) / wn,
        rms_red=math.sqrt(math.fsum(wi * r * r for wi, r in rel) / wn),
        wcre=max(abs(r) for wi, r in rel if wi > 0),
    )
    max_exact = max(abs(e) for e in exact)
    out["nmed"] = out["mae"] / max_exact
    scale = 2 ** (unit.a_width + unit.b_width)
    out["mae_pct"] = 100 * out["mae"] / scale
    out["wce_pct"] = Fraction(100 * out["wce"], scale)
    out["ep_pct"] = 100 * out["er"]
    out["mre_pct"] = 100 * out["mred"]
    return {k: float(v) for k, v in out.items()}


def assert_metrics_equal(got, want, rel=1e-12):
    assert set(got) == set(METRIC_KEYS)
    for k in METRIC_KEYS:
        assert got[k] == pytest.approx(want[k], rel=rel, abs=1e-300), k


UNITS = [
    "truncated:width=4,k=3",
    "truncated:a_width=3,b_width=5,k=4,signed=true",
    "truncated:a_width=5,b_width=3,k=5,signed=true,correction=constant",
    "truncated:width=6,k=6,correction=constant",
    "truncated:a_width=1,b_width=4,k=2",
    "exact:width=4,signed=true",
]


class TestCharacterize:
    def test_metric_keys_are_pinned(self):
        assert METRIC_KEYS == (
            "er", "ep_pct", "mean_ed", "var_ed", "mse", "rms_ed", "mae", "mae_pct", "var_aed",
            "wce", "wce_pct", "mred", "mre_pct", "mean_red", "var_red", "rms_red", "wcre",
            "nmed",
        )

    @pytest.mark.parametrize("spec", UNITS)
    def test_matches_naive_definition(self, spec):
        unit = make_unit(spec)
        assert_metrics_equal(exhaustive_metrics(unit), naive_metrics(unit))

    @pytest.mark.parametrize("unit", [
        Perforated(width=4, rows=(1, 2)), LowerOrAdder(width=5, k=3), MaskedLow(width=5, bits=3),
        Perforated(a_width=3, b_width=5, rows=(0, 4), signed=True),
    ])
    def test_synthetic_units_match_naive_definition(self, unit):
        assert_metrics_equal(exhaustive_metrics(unit), naive_metrics(unit))

    def test_integer_statistics_are_exact(self):
        # without weights, er, mean_ed, var_ed, mse, mae, var_aed are exact rationals rounded
        # once: they equal the naive Fraction values bit for bit
        for spec in UNITS[:4]:
            unit = make_unit(spec)
            got, want = exhaustive_metrics(unit), naive_metrics(unit)
            for k in ("er", "mean_ed", "var_ed", "mse", "mae", "var_aed", "wce"):
                assert got[k] == want[k], (spec, k)

    @pytest.mark.parametrize("na,nb,k", [(8, 8, 6), (8, 8, 9), (6, 4, 5), (5, 7, 12)])
    def test_truncation_mean_and_variance_closed_forms(self, na, nb, k):
        # X = sum of the dropped bits a_i b_j 2^(i+j), ED = -X; with independent uniform bits
        # E[a_i b_j a_i' b_j'] = 2^-|{i,i'}| 2^-|{j,j'}|
        dropped = [(t.i, t.j) for t in pp_terms(na, nb, False) if t.weight < k]
        mean = sum(Fraction(1 << (i + j), 4) for i, j in dropped)
        second = sum(
            Fraction(1 << (i + j + i2 + j2), 2 ** (len({i, i2}) + len({j, j2})))
            for i, j in dropped for i2, j2 in dropped
        )
        m = exhaustive_metrics(make_unit(f"truncated:a_width={na},b_width={nb},k={k}"))
        assert m["mean_ed"] == float(-mean) == mean_error_closed_form(na, nb, k)
        assert m["var_ed"] == float(second - mean * mean)
        assert m["mse"] == float(second)
        assert m["mae"] == float(mean)  # ED <= 0

    @pytest.mark.parametrize("na,nb,rows", [(6, 6, (0, 1)), (5, 7, (2,)), (8, 4, (0, 1, 2, 3))])
    def test_perforation_closed_forms(self, na, nb, rows):
        # ED = -a * b_P with b_P = sum_{j in P} b_j 2^j; a and b_P independent
        unit = Perforated(a_width=na, b_width=nb, rows=rows)
        m = exhaustive_metrics(unit)
        ea = Fraction((1 << na) - 1, 2)
        ea2 = Fraction(((1 << na) - 1) * ((1 << (na + 1)) - 1), 6)
        ebp = sum(Fraction(1 << j, 2) for j in rows)
        ebp2 = sum(Fraction(4 ** j, 4) for j in rows) + ebp * ebp
        er = (1 - Fraction(1, 1 << na)) * (1 - Fraction(1, 1 << len(rows)))
        assert m["er"] == float(er)  # ED != 0 iff a != 0 and b_P != 0
        assert m["mean_ed"] == float(-ea * ebp)
        assert m["var_ed"] == float(ea2 * ebp2 - (ea * ebp) ** 2)
        # over exact != 0 (a, b != 0), RED = -b_P / b does not depend on a
        mask = sum(1 << j for j in rows)
        mred = sum(Fraction(b & mask, b) for b in range(1, 1 << nb)) / ((1 << nb) - 1)
        assert m["mred"] == pytest.approx(float(mred), rel=1e-13)
        assert m["mean_red"] == pytest.approx(float(-mred), rel=1e-13)

    @pytest.mark.parametrize("width,k", [(6, 1), (6, 3), (8, 5), (7, 7)])
    def test_lower_or_adder_closed_forms(self, width, k):
        # Mahdiani et al. 2010: the LOA errs unless no lower bit pair is (1, 1): er = 1-(3/4)^k;
        # ED = x_{k-1} 2^(k-1) - sum_{i<k-1} x_i 2^i with x_i = a_i b_i ~ Bernoulli(1/4)
        m = exhaustive_metrics(LowerOrAdder(width=width, k=k))
        assert m["er"] == float(1 - Fraction(3, 4) ** k)
        assert m["mean_ed"] == float(Fraction(1 << (k - 1), 4) - sum(
            Fraction(1 << i, 4) for i in range(k - 1)))
        var = Fraction(3, 16) * (4 ** (k - 1) + sum(4 ** i for i in range(k - 1)))
        assert m["var_ed"] == float(var)
        assert m["wce"] == 2 ** (k - 1)

    def test_conventions_of_normalised_metrics(self):
        unit = make_unit("truncated:width=6,k=5")
        m = exhaustive_metrics(unit)
        assert m["mae_pct"] == 100 * m["mae"] / 2 ** 12
        assert m["wce_pct"] == 100 * m["wce"] / 2 ** 12
        assert m["nmed"] == m["mae"] / 63 ** 2
        assert m["ep_pct"] == 100 * m["er"] and m["mre_pct"] == 100 * m["mred"]
        assert m["rms_ed"] == math.sqrt(m["mse"])

    @pytest.mark.parametrize("big", [40, 52])
    def test_sums_beyond_int64_stay_exact(self, big):
        # ED = ±2^big + (a & 3): ED² ~ 2^80 (2^104) per pair, far beyond int64; with 2^52 even
        # the plain sums of a tile overflow int64
        unit = Offset(width=6, big=big)
        m = exhaustive_metrics(unit)
        want = naive_metrics(unit)
        for k in ("mean_ed", "var_ed", "mse", "mae", "var_aed", "wce"):
            assert m[k] == want[k], k

    def test_tiles_split_wide_operand_b(self):
        # b has 2^14 values, more than one tile: tiles split the columns of a row
        unit = MaskedLow(a_width=2, b_width=14, bits=5)
        assert_metrics_equal(exhaustive_metrics(unit), naive_metrics(unit))

    def test_workers_do_not_change_the_numbers(self):
        unit = MaskedLow(a_width=12, b_width=11, bits=7)  # 2^23 pairs: two tasks
        one = characterize(unit, workers=1).metrics
        two = characterize(unit, workers=2).metrics
        assert one == two
        assert one["mean_ed"] == -_masked_mean(12, 11, 7)

    def test_exhaustive_limit(self):
        with pytest.raises(InputError) as e:
            characterize(make_unit("exact:a_width=17,b_width=16"))
        assert str(e.value) == (
            "exact:a_width=17,b_width=16,signed=false,arch=operator: exhaustive evaluation of "
            "17+16 operand bits (2^33 pairs) is beyond the 32-bit limit; sample instead "
            "(--samples N)"
        )

    def test_result_records_method(self):
        res = characterize(make_unit("truncated:width=4,k=3"))
        d = res.as_dict()
        assert d["method"] == "exhaustive" and d["pairs"] == 256
        assert d["wce_lower_bound"] is False and "ci95" not in d
        assert d["distribution"] == {"kind": "uniform"}


def _masked_mean(na, nb, bits):
    """E[ED] of MaskedLow by summing the (exact) cleared bits of every product."""
    a = np.arange(1 << na, dtype=np.int64)[:, None]
    b = np.arange(1 << nb, dtype=np.int64)[None, :]
    return float(Fraction(int(((a * b) & ((1 << bits) - 1)).sum()), 1 << (na + nb)))


class TestWeighted:
    @pytest.mark.parametrize("spec", UNITS[:4])
    def test_independent_marginals_match_naive(self, spec):
        unit = make_unit(spec)
        rng = np.random.default_rng(7)
        pa = rng.integers(0, 5, 1 << unit.a_width).astype(float)
        pb = rng.integers(0, 5, 1 << unit.b_width).astype(float)
        dist = Distribution(unit.a_width, unit.b_width, unit.signed, pa=pa, pb=pb)
        a, b = operand_grid(unit)
        w = pa[a & ((1 << unit.a_width) - 1)] * pb[b & ((1 << unit.b_width) - 1)]
        got = characterize(unit, dist=dist).metrics
        assert_metrics_equal(got, naive_metrics(unit, w), rel=1e-11)

    def test_joint_histogram_matches_naive(self):
        unit = make_unit("truncated:a_width=4,b_width=5,k=4,signed=true")
        joint = np.random.default_rng(3).integers(0, 4, (16, 32)).astype(float)
        a, b = operand_grid(unit)
        w = joint[a & 15, b & 31]
        got = characterize(unit, dist=Distribution(4, 5, True, joint=joint)).metrics
        assert_metrics_equal(got, naive_metrics(unit, w), rel=1e-11)

    def test_error_metrics_of_paired_arrays(self):
        unit = make_unit("truncated:width=5,k=4")
        a, b = operand_grid(unit)
        w = (a % 3).astype(float)
        got = error_metrics(unit.model(a, b), a * b, scale=2.0**10, weights=w)
        assert_metrics_equal(got, naive_metrics(unit, w), rel=1e-11)
        assert_metrics_equal(error_metrics(unit.model(a, b), a * b, scale=2.0**10),
                             naive_metrics(unit))

    def test_wce_ignores_pairs_of_zero_weight(self):
        unit = make_unit("truncated:width=4,k=4")
        pa = np.zeros(16)
        pa[1] = 1.0  # only a = 1: every bit a_0 b_j has weight j < 4, so ED = -b
        m = characterize(unit, dist=Distribution(4, 4, False, pa=pa)).metrics
        assert m["wce"] == 15 and m["mean_ed"] == -7.5 and m["er"] == 15 / 16
        assert exhaustive_metrics(unit)["wce"] > 15

    def test_uniform_distribution_equals_unweighted(self):
        unit = make_unit("truncated:width=5,k=5")
        flat = Distribution(5, 5, False, pa=np.ones(32), pb=np.full(32, 3.0))
        assert_metrics_equal(characterize(unit, dist=flat).metrics, exhaustive_metrics(unit),
                             rel=1e-12)


class TestPerWeight:
    def test_matches_column_statistics(self):
        unit = make_unit("truncated:a_width=5,b_width=6,k=5")
        res = characterize(unit, per_weight=True)
        pw = res.per_weight
        a = np.arange(32)[:, None]
        b = np.arange(64)[None, :]
        ed = (unit.model(a, b) - a * b).astype(float)
        assert pw["weight_operand"] == "b"
        assert pw["values"].tolist() == list(range(64)) == pw["codes"].tolist()
        np.testing.assert_allclose(pw["mean_ed"], ed.mean(axis=0), rtol=1e-13)
        np.testing.assert_allclose(pw["var_ed"], ed.var(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(pw["probability"], np.full(64, 1 / 64))

    def test_weighted_by_activation_distribution(self):
        unit = make_unit("truncated:width=4,k=4,signed=true")
        pa = np.arange(16, dtype=float)
        res = characterize(unit, per_weight=True,
                           dist=Distribution(4, 4, True, pa=pa))
        pw = res.per_weight
        av = np.arange(-8, 8)
        wa = pa[av & 15]
        for i, bv in enumerate(pw["values"]):
            ed = (unit.model(av, bv) - av * bv).astype(float)
            mean = np.average(ed, weights=wa)
            assert pw["mean_ed"][i] == pytest.approx(mean, rel=1e-13, abs=1e-12)
            assert pw["var_ed"][i] == pytest.approx(np.average((ed - mean) ** 2, weights=wa),
                                                    rel=1e-12, abs=1e-12)
        assert pw["values"].tolist() == list(range(-8, 8))
        assert pw["codes"].tolist() == [v & 15 for v in range(-8, 8)]

    def test_weight_operand_a_and_unseen_weights(self):
        unit = WeightA(a_width=3, b_width=4, bits=3)
        pa = np.array([1, 0, 1, 1, 1, 1, 1, 1.0])  # weight value 1 never occurs
        pw = characterize(unit, per_weight=True,
                          dist=Distribution(3, 4, False, pa=pa)).per_weight
        assert pw["weight_operand"] == "a"
        ed = unit.model(np.arange(8)[:, None], np.arange(16)[None, :]) - \
            np.arange(8)[:, None] * np.arange(16)[None, :]
        assert np.isnan(pw["mean_ed"][1]) and np.isnan(pw["var_ed"][1])
        keep = [0, 2, 3, 4, 5, 6, 7]
        np.testing.assert_allclose(pw["mean_ed"][keep], ed.mean(axis=1)[keep], rtol=1e-13)
        assert pw["probability"][1] == 0

    def test_needs_exhaustive_evaluation(self):
        with pytest.raises(InputError) as e:
            characterize(make_unit("exact:width=4"), samples=100, per_weight=True)
        assert str(e.value) == (
            "per-weight statistics need exhaustive evaluation; drop --samples")


class TestMonteCarlo:
    def test_seeded_interval_contains_exhaustive_value(self):
        unit = make_unit("truncated:width=8,k=7,signed=true")
        exact = exhaustive_metrics(unit)
        res = characterize(unit, samples=50_000, seed=11)
        assert set(res.ci95) == set(CI_KEYS)
        for k in CI_KEYS:
            lo, hi = res.ci95[k]
            assert lo <= res.metrics[k] <= hi, k
            assert lo <= exact[k] <= hi, k

    def test_interval_coverage_is_near_95_percent(self):
        unit = make_unit("truncated:width=6,k=6")
        exact = exhaustive_metrics(unit)
        hits = dict.fromkeys(CI_KEYS, 0)
        runs = 200
        for seed in range(runs):
            ci = characterize(unit, samples=3000, seed=seed).ci95
            for k in CI_KEYS:
                hits[k] += ci[k][0] <= exact[k] <= ci[k][1]
        for k in CI_KEYS:
            assert 0.90 <= hits[k] / runs <= 0.99, (k, hits[k])

    def test_same_seed_same_numbers_and_wce_is_a_lower_bound(self):
        unit = make_unit("truncated:width=10,k=9")
        one = characterize(unit, samples=20_000, seed=5)
        two = characterize(unit, samples=20_000, seed=5)
        assert one.metrics == two.metrics and one.ci95 == two.ci95
        assert one.as_dict()["wce_lower_bound"] is True
        assert one.metrics != characterize(unit, samples=20_000, seed=6).metrics
        assert one.metrics["wce"] <= exhaustive_metrics(unit)["wce"]

    def test_any_width(self):
        unit = make_unit("truncated:width=24,k=20")
        res = characterize(unit, samples=20_000, seed=1)
        lo, hi = res.ci95["mean_ed"]
        assert lo <= mean_error_closed_form(24, 24, 20) <= hi

    def test_samples_from_a_distribution(self):
        unit = make_unit("truncated:width=6,k=6")
        pa = np.zeros(64)
        pa[10:20] = 1.0
        pb = np.linspace(0, 1, 64)
        dist = Distribution(6, 6, False, pa=pa, pb=pb)
        weighted = characterize(unit, dist=dist).metrics
        res = characterize(unit, samples=40_000, seed=2, dist=dist)
        for k in ("mean_ed", "mae", "er"):
            assert res.ci95[k][0] <= weighted[k] <= res.ci95[k][1], k

    def test_wilson_interval(self):
        # Wilson (1927) score interval, e.g. 0 of 10: [0, z²/(n+z²)]
        z = 1.959963984540054
        lo, hi = wilson_interval(0, 10)
        assert lo == 0 and hi == pytest.approx(z * z / (10 + z * z), rel=1e-12)
        lo, hi = wilson_interval(50, 100)
        half = z / (1 + z * z / 100) * math.sqrt(0.25 / 100 + z * z / 40000)
        assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half), rel=1e-12)

    @pytest.mark.parametrize("samples", [0, 1, -5, 2.5, True])
    def test_bad_sample_count(self, samples):
        with pytest.raises(InputError) as e:
            characterize(make_unit("exact:width=4"), samples=samples)
        assert str(e.value) == f"samples must be an integer of at least 2, not {samples!r}"


class TestDotProduct:
    def test_formula(self):
        d = dot_product_error({"mean_ed": -2.0, "var_ed": 3.0}, 16)
        assert d == {"n": 16, "mean": -32.0, "var": 48.0, "std": math.sqrt(48),
                     "rms": math.sqrt(48 + 32 ** 2)}

    def test_against_monte_carlo_dot_products(self):
        unit = make_unit("truncated:width=8,k=7,signed=true")
        n, m = 32, 4000
        d = dot_product_error(exhaustive_metrics(unit), n)
        rng = np.random.default_rng(0)
        a = rng.integers(-128, 128, (m, n))
        b = rng.integers(-128, 128, (m, n))
        err = (unit.model(a, b) - a * b).sum(axis=1).astype(float)
        se_mean = math.sqrt(d["var"] / m)
        assert abs(err.mean() - d["mean"]) < 4 * se_mean
        assert err.var(ddof=1) == pytest.approx(d["var"], rel=0.1)

    @pytest.mark.parametrize("n", [0, -1, 2.0])
    def test_bad_length(self, n):
        with pytest.raises(InputError) as e:
            dot_product_error({"mean_ed": 0.0, "var_ed": 0.0}, n)
        assert str(e.value) == f"the dot-product length must be a positive integer, not {n!r}"


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


class TestCommand:
    def test_json_exhaustive(self, capsys):
        status, out, _ = _run(capsys, "metrics", "truncated:width=5,k=4", "--json")
        res = json.loads(out)
        assert status == 0 and res["method"] == "exhaustive" and res["pairs"] == 1024
        assert res["metrics"]["mean_ed"] == mean_error_closed_form(5, 5, 4)
        assert res["wce_lower_bound"] is False
        assert res["provenance"]["method"] == "exhaustive"

    def test_monte_carlo_table_marks_lower_bounds(self, capsys):
        status, out, _ = _run(capsys, "metrics", "truncated:width=8,k=6", "--samples", "5000",
                              "--seed", "3")
        assert status == 0
        assert "(Monte-Carlo, 5000 samples, seed 3, uniform operands)" in out
        wce = next(ln for ln in out.splitlines() if ln.startswith("wce "))
        assert wce.split()[:4] == ["wce", "(lower", "bound)", ">="]
        assert "95% CI" in out.splitlines()[1]

    def test_dot_and_per_weight(self, capsys, tmp_path):
        path = tmp_path / "pw.npz"
        status, out, _ = _run(capsys, "metrics", "truncated:width=4,k=3", "--dot", "9",
                              "--per-weight", str(path), "--json")
        res = json.loads(out)
        m = res["metrics"]
        assert res["dot"]["mean"] == 9 * m["mean_ed"] and res["dot"]["var"] == 9 * m["var_ed"]
        with np.load(path) as f:
            assert str(f["weight_operand"]) == "b"
            assert f["mean_ed"].shape == (16,)
            assert np.average(f["mean_ed"], weights=f["probability"]) == pytest.approx(
                m["mean_ed"], rel=1e-12)

    def test_distribution_files(self, capsys, tmp_path):
        samples = np.array([3, 3, 5, 7, 7, 7])
        np.save(tmp_path / "a.npy", samples)
        np.savez(tmp_path / "b.npz", histogram=np.arange(16.0))
        status, out, _ = _run(capsys, "metrics", "truncated:width=4,k=3", "--dist-a",
                              str(tmp_path / "a.npy"), "--dist-b", str(tmp_path / "b.npz"),
                              "--json")
        res = json.loads(out)
        unit = make_unit("truncated:width=4,k=3")
        a, b = operand_grid(unit)
        w = np.bincount(samples, minlength=16)[a] * b
        assert_metrics_equal(res["metrics"], naive_metrics(unit, w), rel=1e-11)
        assert res["distribution"]["kind"] == "independent"
        assert res["distribution"]["a"]["path"] == str(tmp_path / "a.npy")

    def test_bad_distribution_file_is_one_line(self, capsys, tmp_path):
        np.save(tmp_path / "a.npy", np.array([1, 99]))
        status, _, err = _run(capsys, "metrics", "exact:width=4", "--dist-a",
                              str(tmp_path / "a.npy"))
        assert status == 2
        assert err == (f"axhdl metrics: {tmp_path / 'a.npy'}: sample value 99 is outside the "
                       f"range 0..15 of the 4-bit unsigned operand a\n")


class TestScaleInvariance:
    """Any positive scaling of a distribution's weights gives the same metrics (issue 12):
    bit for bit when the scale is a power of two (exact in floating point), to a few ulp
    otherwise (the scaled weights themselves are rounded)."""

    EXACT_SCALES = (2.0**-1000, 2.0**-60, 2.0**70, 2.0**1000)
    SCALES = (1e-300, 1e-30, 1e30, 1e300)
    SPECS = ("truncated:width=6,k=6", "truncated:a_width=4,b_width=5,k=4,signed=true")

    @staticmethod
    def _weights(unit, seed=11):
        rng = np.random.default_rng(seed)
        pa = rng.integers(0, 9, 1 << unit.a_width).astype(float)
        pb = rng.integers(0, 9, 1 << unit.b_width).astype(float)
        joint = rng.integers(0, 9, (1 << unit.a_width, 1 << unit.b_width)).astype(float)
        return pa, pb, joint

    def _all(self, unit, pa, pb, joint, samples=None):
        na, nb, s = unit.a_width, unit.b_width, unit.signed
        out = []
        for dist in (Distribution(na, nb, s, pa=pa), Distribution(na, nb, s, pa=pa, pb=pb),
                     Distribution(na, nb, s, joint=joint)):
            out.append(characterize(unit, dist=dist, samples=samples, seed=5).metrics)
        return out

    @pytest.mark.parametrize("spec", SPECS)
    @pytest.mark.parametrize("samples", [None, 3000])
    def test_power_of_two_scales_are_bit_identical(self, spec, samples):
        unit = make_unit(spec)
        pa, pb, joint = self._weights(unit)
        want = self._all(unit, pa, pb, joint, samples)
        assert want[0]["er"] > 0 and want[2]["mae"] > 0
        for c in self.EXACT_SCALES:
            assert self._all(unit, pa * c, pb * c, joint * c, samples) == want, c
        got = self._all(unit, pa * 2.0**-1000, pb * 2.0**1000, joint, samples)
        assert got == want

    @pytest.mark.parametrize("spec", SPECS)
    @pytest.mark.parametrize("samples", [None, 3000])
    def test_decimal_scales_agree_to_rounding(self, spec, samples):
        unit = make_unit(spec)
        pa, pb, joint = self._weights(unit)
        want = self._all(unit, pa, pb, joint, samples)
        for c in self.SCALES:
            for got, ref in zip(self._all(unit, pa * c, pb * c, joint * c, samples), want):
                assert_metrics_equal(got, ref, rel=1e-14)
        got = self._all(unit, pa * 1e-300, pb * 1e300, joint, samples)
        for g, ref in zip(got, want):
            assert_metrics_equal(g, ref, rel=1e-14)

    def test_tiny_histogram_file_still_sees_the_error(self, capsys, tmp_path):
        """A histogram of 1e-300-sized weights: the truncated unit is not reported exact."""
        unit = make_unit("truncated:width=4,k=3")
        np.savez(tmp_path / "a.npz", histogram=np.arange(1, 17) * 1e-300)
        np.savez(tmp_path / "b.npz", histogram=np.arange(1, 17) * 1e-300)
        status, out, _ = _run(capsys, "metrics", unit.spec, "--dist-a", str(tmp_path / "a.npz"),
                              "--dist-b", str(tmp_path / "b.npz"), "--json")
        a, b = operand_grid(unit)
        w = (a + 1) * (b + 1)
        assert status == 0
        assert_metrics_equal(json.loads(out)["metrics"], naive_metrics(unit, w), rel=1e-11)

    def test_huge_joint_histogram_has_no_overflow(self, capsys, tmp_path):
        unit = make_unit("truncated:width=4,k=3")
        joint = np.random.default_rng(2).integers(1, 9, (16, 16)).astype(float)
        np.save(tmp_path / "j.npy", joint * 1.5e306)
        status, out, err = _run(capsys, "metrics", unit.spec, "--dist-joint",
                                str(tmp_path / "j.npy"), "--json")
        assert status == 0 and err == ""
        a, b = operand_grid(unit)
        assert_metrics_equal(json.loads(out)["metrics"], naive_metrics(unit, joint[a, b]),
                             rel=1e-11)

    def test_wce_over_pairs_whose_weight_product_underflows(self):
        """Weights 2^-600 and 2^-600 of a and b: their product (2^-1200) is not representable,
        yet the pair has positive probability and counts for the worst case."""
        unit = make_unit("truncated:width=4,k=4")
        pa = np.zeros(16)
        pa[1], pa[15] = 1.0, 2.0**-600
        pb = np.zeros(16)
        pb[3], pb[15] = 1.0, 2.0**-600
        m = characterize(unit, dist=Distribution(4, 4, False, pa=pa, pb=pb)).metrics
        a, b = np.array([15]), np.array([15])
        assert m["wce"] == abs(int(unit.model(a, b)[0]) - 225)
        assert m["mean_ed"] == -3.0  # (1, 3) carries all of the representable weight

    def test_error_metrics_weights_are_scale_invariant(self):
        unit = make_unit("truncated:width=5,k=4")
        a, b = operand_grid(unit)
        w = (a % 3).astype(float)
        want = error_metrics(unit.model(a, b), a * b, scale=2.0**10, weights=w)
        for c in (2.0**-1060, 2.0**1000):
            assert error_metrics(unit.model(a, b), a * b, scale=2.0**10, weights=w * c) == want
        for c in (1e-300, 1e300):
            assert_metrics_equal(
                error_metrics(unit.model(a, b), a * b, scale=2.0**10, weights=w * c), want,
                rel=1e-14)
