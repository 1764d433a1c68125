"""The compiled fast paths of exhaustive characterization (axhdl.metrics.kernels) against the
golden models: every result exhaustively at 6x6 and 8x8 (signed and unsigned, several
parameter values), on random operand grids at 16 bits, and every metric through the fast path
against the numpy path."""

import math
import zlib

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.metrics import METRIC_KEYS, characterize
from axhdl.metrics.accumulate import Partial
from axhdl.metrics.engine import TILE
from axhdl.metrics.kernels import KERNEL_FAMILIES, has_kernel, new_state, plan_for, run_rows
from axhdl.registry import families

#: parameter sets per family (operand widths are added by the tests); each family with a fast
#: path appears here, so a new one cannot go untested (test_every_kernel_family_is_tested)
CASES = {
    "exact": ["", "arch=booth"],
    "truncated": ["k=3", "k=9", "k=5,correction=constant"],
    "broken_array": ["hbl=1,vbl=5", "hbl=2,vbl=7"],
    "perforated": ["m=2,start=1", "m=1,start=0"],
    "operand_truncation": ["za=2,zb=1", "za=0,zb=3"],
    "reconfigurable": ["modes=0;1;3"],
    "kulkarni": ["", "blocks=3"],
    "drum": ["k=3", "k=2"],
    "dsm": ["m=3"],
    "ssm": ["m={half}"],
    "pot": [""],
    "csd": ["d=1", "d=2"],
    "asm": ["", "quartet=3,alphabets=1;3;5"],
    "nza": ["threshold=2", "threshold=4"],
    "mitchell": ["", "w=2"],
    "mbm": ["", "t=2"],
    "compressor": ["k=5,design=1", "k=7,design=2", "k=9,design=1"],
    "exact_add": [""],
    "loa": ["l=3", "l=3,carry=false"],
    "trunc_add": ["k=3"],
    "eta1": ["k=3", "k={w}"],
    "carry_cut": ["c=3", "c={w}"],
    "aca": ["k=3", "k=1", "k=5", "k=6", "k={w}"],
    "gear": ["", "r=1,p=3"],
}

#: metric keys computed from exact integer sums (equal to the last bit on both paths)
EXACT_KEYS = ("er", "ep_pct", "mean_ed", "var_ed", "mse", "rms_ed", "mae", "mae_pct",
              "var_aed", "wce", "wce_pct", "nmed", "wcre")


def _spec(family: str, params: str, w: int, signed: bool) -> str:
    kind = families()[family].kind
    widths = f"width={w}" if kind == "adder" else f"a_width={w},b_width={w}"
    extra = params.format(w=w, half=(w + 1) // 2)
    parts = [widths, f"signed={'true' if signed else 'false'}"] + ([extra] if extra else [])
    return f"{family}:" + ",".join(parts)


def _specs(widths):
    for family, params in CASES.items():
        for p in params:
            for w in widths:
                for signed in (False, True):
                    yield _spec(family, p, w, signed)


def _fill_grid(plan, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((a.size, b.size), dtype=np.int64)
    plan.fill(plan.prepare(a), 0, a.size, a, b, out)
    return out


def _golden(unit, a, b, controls=None):
    return np.broadcast_to(
        np.asarray(unit.model(a[:, None], b[None, :], **(controls or {})), dtype=np.int64),
        (a.size, b.size))


def test_every_kernel_family_is_tested():
    with_kernel = {name for name, cls in families().items()
                   if cls.kind in ("multiplier", "adder") and name != "verilog"
                   and has_kernel(make_unit(_spec(name, "", 6, False)
                                            if name != "ssm" else "ssm:width=6,m=3"))}
    assert with_kernel >= set(KERNEL_FAMILIES)
    assert with_kernel == set(CASES)


@pytest.mark.parametrize("spec", list(_specs((6, 8))))
def test_results_equal_golden_model_exhaustively(spec):
    unit = make_unit(spec)
    plan = plan_for(unit)
    assert plan is not None
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    a = np.arange(alo, ahi + 1, dtype=np.int64)
    b = np.arange(blo, bhi + 1, dtype=np.int64)
    np.testing.assert_array_equal(_fill_grid(plan, a, b), _golden(unit, a, b))


@pytest.mark.parametrize("spec", list(_specs((16,))))
def test_results_equal_golden_model_sampled_16_bits(spec):
    unit = make_unit(spec)
    plan = plan_for(unit)
    rng = np.random.default_rng(zlib.crc32(spec.encode()))
    (alo, ahi), (blo, bhi) = unit.operand_ranges()
    # random rows and columns plus the range ends (zero, extremes, most negative)
    a = np.unique(np.concatenate([rng.integers(alo, ahi, 40, endpoint=True),
                                  [alo, ahi, 0, 1, -1 if alo < 0 else 2]]))
    b = np.unique(np.concatenate([rng.integers(blo, bhi, 300, endpoint=True),
                                  [blo, bhi, 0, 1, -1 if blo < 0 else 2]]))
    np.testing.assert_array_equal(_fill_grid(plan, a, b), _golden(unit, a, b))


def test_reconfigurable_modes_equal_golden_model():
    unit = make_unit("reconfigurable:width=8,signed=true,modes=0;2;5")
    a = np.arange(-128, 128, dtype=np.int64)
    for mode in range(4):
        plan = plan_for(unit, {"mode": mode})
        np.testing.assert_array_equal(_fill_grid(plan, a, a), _golden(unit, a, a, {"mode": mode}))


@pytest.mark.parametrize("spec", [s for s in _specs((8,))])
def test_metrics_fast_path_equal_numpy_path(spec):
    unit = make_unit(spec)
    fast = characterize(unit, workers=1, fast=True).metrics
    slow = characterize(unit, workers=1, fast=False).metrics
    assert list(fast) == list(METRIC_KEYS)
    for key in METRIC_KEYS:
        if key in EXACT_KEYS:
            assert fast[key] == slow[key], key
        else:  # RED moments: float sums in another order (mean_red may cancel to ~0:
            # its rounding is measured against the mean |RED|)
            scale = slow["mred"] if key == "mean_red" else 0.0
            assert math.isclose(fast[key], slow[key], rel_tol=1e-13, abs_tol=1e-13 * scale), key


def test_exact_sums_beyond_64_bits():
    """Σ ED² of errors near 2^34 overflows 64 bits within one tile: the kernel's 128-bit sum
    equals Python's integers (via Partial.add on the same pairs)."""

    class Fixed:
        op = 0

        def prepare(self, a):
            return None

        def fill(self, prep, r0, r1, a, b, out):
            out[:r1 - r0] = (a[r0:r1, None] * b[None, :]
                             + ((b[None, :] * 7919 + a[r0:r1, None]) % 3 - 1) * (1 << 34))

    a = np.arange(-300, 300, dtype=np.int64)
    b = np.arange(-200, 250, dtype=np.int64)
    ist, ust, fst = run_rows(Fixed(), a, b, TILE)
    ref = Partial(weighted=False)
    approx = np.empty((a.size, b.size), dtype=np.int64)
    Fixed().fill(None, 0, a.size, a, b, approx)
    exact = a[:, None] * b[None, :]
    ref.add(approx - exact, exact)
    assert int(ist[0]) == ref.pairs == a.size * b.size
    assert int(ist[1]) == ref.n_err
    assert int(ist[2]) == ref.s1 and int(ist[3]) == ref.a1 and int(ist[4]) == ref.wce
    assert (int(ust[1]) << 64) | int(ust[0]) == ref.s2
    assert ref.s2 > 1 << 64
    assert fst[6] == ref.wcre


def test_state_starts_empty():
    ist, ust, fst = new_state()
    assert not ist.any() and not ust.any() and not fst.any()


def test_no_fast_path_outside_its_domain():
    assert not has_kernel(make_unit("exact:a_width=20,b_width=16"))  # beyond 32 bits
    assert plan_for(make_unit("compressor:width=16,k=14")) is None  # table too large
    unit = make_unit("drum:width=8,k=3")
    # a distribution or per-weight statistics take the numpy path; same numbers either way
    res = characterize(unit, workers=1, fast=True, per_weight=True)
    assert res.per_weight is not None
    assert res.metrics == characterize(unit, workers=1, fast=False, per_weight=True).metrics
