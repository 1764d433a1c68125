"""Tests of the under-designed multiplier of Kulkarni, Gupta and Ercegovac (VLSID 2011).

References: the 2x2 block's table (exact but 3 x 3 = 7) and the paper's figures for it
(error in 1 of 16 input pairs, magnitude 2), the paper's recursive composition
AH·BH·2^2h + (AH·BL + AL·BH)·2^h + AL·BL written independently, the closed-form error
-2·Σ 4^(i+j) over digit pairs (3, 3), the block order, RTL vs model.
"""

from __future__ import annotations

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.kulkarni import Kulkarni, block_order
from axhdl.metrics import exhaustive_metrics, operand_grid


def recursive(a: int, b: int, n: int) -> int:
    """The paper's recursive multiplier of two n-bit operands (n a power of two)."""
    if n == 2:
        return 7 if a == 3 and b == 3 else a * b
    h = n // 2
    ah, al, bh, bl = a >> h, a & ((1 << h) - 1), b >> h, b & ((1 << h) - 1)
    return ((recursive(ah, bh, h) << (2 * h)) + ((recursive(ah, bl, h) + recursive(al, bh, h))
                                                   << h) + recursive(al, bl, h))


class TestKulkarni:
    def test_block_table(self):
        u = Kulkarni(width=2)
        a, b = operand_grid(u)
        assert u.model(a, b).tolist() == [7 if x == y == 3 else x * y
                                          for x, y in zip(a.tolist(), b.tolist())]
        m = exhaustive_metrics(u)
        # the paper: one erroneous output in 16, always 9 -> 7
        assert m["er"] == 1 / 16 and m["wce"] == 2 and m["mean_ed"] == -2 / 16

    @pytest.mark.parametrize("n", [4, 8])
    def test_matches_recursive_composition(self, n):
        u = Kulkarni(width=n)
        a, b = operand_grid(u)
        assert u.model(a, b).tolist() == [recursive(x, y, n) for x, y in zip(a.tolist(),
                                                                             b.tolist())]

    @pytest.mark.parametrize("na,nb,blocks", [(8, 8, 16), (8, 8, 5), (6, 4, 3), (5, 7, 12)])
    def test_error_closed_form(self, na, nb, blocks):
        u = Kulkarni(a_width=na, b_width=nb, blocks=blocks)
        a, b = operand_grid(u)
        approx = block_order(na, nb)[:blocks]
        err = np.zeros(a.shape, dtype=np.int64)
        for i, j in approx:
            hit = (((a >> (2 * i)) & 3) == 3) & (((b >> (2 * j)) & 3) == 3)
            err -= np.where(hit, 2 << (2 * (i + j)), 0)
        assert (u.model(a, b) - a * b == err).all()

    def test_block_order(self):
        assert block_order(4, 4) == [(0, 0), (0, 1), (1, 0), (1, 1)]
        assert block_order(5, 3) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
        assert Kulkarni(width=8).blocks == 16 and Kulkarni(width=8, blocks=3).blocks == 3

    @pytest.mark.parametrize("signed", [False, True])
    def test_zero_blocks_is_exact(self, signed):
        u = Kulkarni(width=7, blocks=0, signed=signed)
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()

    def test_signed_is_sign_magnitude(self):
        s, u = Kulkarni(width=8, signed=True), Kulkarni(width=8)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == 16384
        assert int(s.model(-127, 127)) == -recursive(127, 127, 8)

    def test_blocks_are_summed_by_a_tree(self):
        # the 16 block rows of the 8x8 design meet in a Dadda tree (the columns hold at most
        # 7 block bits: stages to heights 6, 4, 3, 2) and one ripple-carry adder, not in 15
        # chained row adders (6.8 ns against 3.1 ns on OSU 0.18 um)
        import re

        text = Kulkarni(width=8).verilog()
        stages = {int(s) for s in re.findall(r" kul_[fh]a_s(\d+)_c\d+_\d+_s;", text)}
        assert stages == {1, 2, 3, 4}
        assert " kul_cpa_c8_s;" in text and "kul_row" not in text

    @pytest.mark.parametrize("spec", ["kulkarni:width=8", "kulkarni:width=8,signed=true",
                                      "kulkarni:a_width=3,b_width=8", "kulkarni:width=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            Kulkarni(width=8, blocks=17)
        assert str(e.value) == ("Parameter 'blocks' must be an integer in "
                                "0..((a_width + 1) // 2) * ((b_width + 1) // 2) (here 0..16), "
                                "not 17")
        with pytest.raises(ValueError) as e:
            Kulkarni(a_width=5, b_width=3, blocks=-1)
        assert str(e.value) == ("Parameter 'blocks' must be an integer in "
                                "0..((a_width + 1) // 2) * ((b_width + 1) // 2) (here 0..6), "
                                "not -1")
        with pytest.raises(SpecError) as e:
            make_unit("kulkarni:blocks=all")
        assert str(e.value) == "kulkarni: Parameter 'blocks' must be an integer, not 'all'"

    def test_metadata(self):
        assert make_unit("kulkarni").spec == "kulkarni:width=8,signed=false"
        assert make_unit("kulkarni:blocks=4").spec == "kulkarni:width=8,signed=false,blocks=4"
        assert "Kulkarni" in make_unit("kulkarni").citation


TestRTLEquivalence = rtl_test_class("kulkarni", ["", "blocks=3", "blocks=8"],
                                    verilator_signed=False)
