import itertools

import numpy as np
import pytest

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.truncated import (
    Truncated,
    mean_error_closed_form,
    truncation_constant,
)
from axhdl.metrics import exhaustive_metrics, operand_grid


def naive_unsigned(a: int, b: int, na: int, nb: int, k: int) -> int:
    """Σ a_i b_j 2^(i+j) over i + j >= k, straight from the definition."""
    return sum(((a >> i) & 1) * ((b >> j) & 1) << (i + j)
               for i in range(na) for j in range(nb) if i + j >= k)


def naive_signed(a: int, b: int, na: int, nb: int, k: int, const: int) -> int:
    """Baugh–Wooley bits of weight >= k, written out independently of the term list."""
    abit = [(a >> i) & 1 for i in range(na)]
    bbit = [(b >> j) & 1 for j in range(nb)]
    total = const
    for i, j in itertools.product(range(na), range(nb)):
        v = abit[i] & bbit[j]
        if (i == na - 1) != (j == nb - 1):
            v ^= 1
        if i + j >= k:
            total += v << (i + j)
    for w in (na - 1, nb - 1, na + nb - 1):
        if w >= k:
            total += 1 << w
    total &= (1 << (na + nb)) - 1
    return total - (1 << (na + nb)) if total >> (na + nb - 1) else total


class TestTruncated:
    @pytest.mark.parametrize("na,nb,k", [(4, 4, 3), (3, 5, 4), (5, 3, 0), (4, 4, 8), (1, 1, 1)])
    def test_unsigned_model_matches_definition(self, na, nb, k):
        u = make_unit(f"truncated:a_width={na},b_width={nb},k={k}")
        a, b = operand_grid(u)
        expected = [naive_unsigned(x, y, na, nb, k) for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    @pytest.mark.parametrize("na,nb,k", [(4, 4, 3), (3, 5, 2), (5, 3, 6), (2, 2, 1), (1, 1, 0)])
    def test_signed_model_matches_definition(self, na, nb, k):
        u = make_unit(f"truncated:a_width={na},b_width={nb},k={k},signed=true")
        a, b = operand_grid(u)
        expected = [naive_signed(x & ((1 << na) - 1), y & ((1 << nb) - 1), na, nb, k, 0)
                    for x, y in zip(a.tolist(), b.tolist())]
        assert u.model(a, b).tolist() == expected

    def test_k0_is_exact(self):
        for s in (False, True):
            u = make_unit(f"truncated:width=6,k=0,signed={s}")
            a, b = operand_grid(u)
            assert (u.model(a, b) == a * b).all()

    @pytest.mark.parametrize("na,nb,k", [(8, 8, 4), (8, 8, 8), (6, 4, 5), (4, 6, 10)])
    def test_mean_error_closed_form(self, na, nb, k):
        m = exhaustive_metrics(make_unit(f"truncated:a_width={na},b_width={nb},k={k}"))
        assert m["mean_ed"] == pytest.approx(mean_error_closed_form(na, nb, k), abs=1e-9)

    def test_closed_form_values(self):
        # 8x8, k=4: columns 0..3 hold 1, 2, 3, 4 bits -> -(1 + 4 + 12 + 32) / 4
        assert mean_error_closed_form(8, 8, 4) == -12.25

    @pytest.mark.parametrize("signed", [False, True])
    @pytest.mark.parametrize("k", [4, 6, 8])
    def test_constant_correction_centres_the_error(self, signed, k):
        u = make_unit(f"truncated:width=8,k={k},correction=constant,signed={signed}")
        assert u.correction_constant % (1 << k) == 0
        m = exhaustive_metrics(u)
        # the constant is E[dropped] rounded to the 2^k grid: the residual bias is at most
        # half a grid step
        assert abs(m["mean_ed"]) <= (1 << k) / 2
        plain = exhaustive_metrics(make_unit(f"truncated:width=8,k={k},signed={signed}"))
        assert abs(m["mean_ed"]) < abs(plain["mean_ed"]) or plain["mean_ed"] == m["mean_ed"]

    def test_correction_constant_value(self):
        # 8x8 unsigned, k=6: E[dropped] = (1+4+12+32+80+192)/4 = 80.25 -> nearest 64-multiple 64
        assert truncation_constant(8, 8, False, 6) == 64
        assert make_unit("truncated:width=8,k=6,correction=constant").correction_constant == 64
        assert make_unit("truncated:width=8,k=6").correction_constant == 0

    def test_wraps_like_hardware(self):
        u = Truncated(width=2, k=1, correction="constant")
        a, b = operand_grid(u)
        assert ((u.model(a, b) >= 0) & (u.model(a, b) < 16)).all()

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Truncated(width=4, k=9)
        assert str(e.value) == (
            "Parameter 'k' must be an integer in 0..a_width + b_width (here 0..8), not 9")
        with pytest.raises(ValueError) as e:
            Truncated(width=4, correction="bias")
        assert str(e.value) == "Parameter 'correction' must be one of none, constant, not 'bias'"
        with pytest.raises(SpecError):
            make_unit("truncated:k=-1")

    def test_dropped_output_bits_are_zero(self):
        u = make_unit("truncated:width=8,k=6")
        a, b = operand_grid(u)
        # column 6 still holds bits, so only p[5:0] are certainly zero
        assert (u.model(a, b) & 0x3F == 0).all()
        assert np.any(u.model(a, b) & 0x40)
