"""Tests of the alphabet-set multiplier (Sarwar et al., ACM JETC 2018).

References: the representable quartet values and the nearest-value rounding found by brute
force over alphabet × 2^s, exactness with the full odd alphabet, the per-quartet
composition of b', the parameter rules, RTL vs model.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _family_checks import assert_fits_p_width, rtl_test_class

from axhdl import SpecError, make_unit
from axhdl.generators.multipliers.asm import AlphabetSet, representable, round_quartet
from axhdl.metrics import operand_grid


def brute_round(v: int, alphabets, width: int) -> int:
    """The nearest of {0} ∪ {α·2^s < 2^width}, ties to the larger, by enumeration."""
    values = [0] + [a << s for a, s in itertools.product(alphabets, range(width))
                    if (a << s) < (1 << width)]
    return min(values, key=lambda r: (abs(r - v), -r))


class TestAlphabetSet:
    def test_representable_values_of_1_3(self):
        assert representable((1, 3), 4) == [0, 1, 2, 3, 4, 6, 8, 12]
        assert representable((1,), 4) == [0, 1, 2, 4, 8]
        assert representable(range(1, 16, 2), 4) == list(range(16))

    def test_rounding_table_of_1_3(self):
        # ties go to the larger value: 5 -> 6, 7 -> 8, 10 -> 12; 13..15 saturate at 12
        assert round_quartet((1, 3), 4) == [0, 1, 2, 3, 4, 6, 6, 8, 8, 8, 12, 12, 12, 12,
                                            12, 12]

    @pytest.mark.parametrize("alphabets,width", [((1, 3), 4), ((1,), 4), ((3,), 4),
                                                  ((1, 5), 3), ((1, 3, 5, 7), 4), ((1,), 1)])
    def test_rounding_matches_brute_force(self, alphabets, width):
        assert round_quartet(alphabets, width) == [brute_round(v, alphabets, width)
                                                   for v in range(1 << width)]

    @pytest.mark.parametrize("spec", ["asm:width=8", "asm:width=8,alphabets=1",
                                      "asm:a_width=5,b_width=7,quartet=3,alphabets=1;5"])
    def test_model_rounds_each_quartet(self, spec):
        u = make_unit(spec)
        q, nb = u.quartet, u.b_width
        a, b = operand_grid(u)
        expected = []
        for x, y in zip(a.tolist(), b.tolist()):
            approx = 0
            for lo in range(0, nb, q):
                w = min(q, nb - lo)
                approx += brute_round((y >> lo) & ((1 << w) - 1), u.alphabets, w) << lo
            expected.append(x * approx)
        assert u.model(a, b).tolist() == expected

    def test_full_alphabet_is_exact(self):
        for signed in (False, True):
            u = AlphabetSet(width=8, alphabets=tuple(range(1, 16, 2)), signed=signed)
            a, b = operand_grid(u)
            assert (u.model(a, b) == a * b).all()
        u = AlphabetSet(width=6, quartet=1, alphabets=(1,))
        a, b = operand_grid(u)
        assert (u.model(a, b) == a * b).all()

    def test_narrow_top_segment(self):
        # b_width = 6, quartet = 4: the top segment has 2 bits, values 0..3; with {1} its
        # 3 rounds to 2 (4 is not a 2-bit value)
        u = AlphabetSet(a_width=4, b_width=6, alphabets=(1,))
        assert u.segments() == [(0, 4), (4, 2)]
        assert int(u.approximate_b(0b110000)) == 0b100000
        assert int(u.approximate_b(0b110111)) == 0b100000 + 8

    def test_signed_is_sign_magnitude(self):
        s, u = AlphabetSet(width=8, signed=True), AlphabetSet(width=8)
        a, b = operand_grid(s)
        sign = np.where((a < 0) != (b < 0), -1, 1)
        assert (s.model(a, b) == sign * u.model(np.abs(a), np.abs(b))).all()
        assert int(s.model(-128, -128)) == 16384
        # |b| = 127 = 0111 1111 -> 8, 12: the rounded magnitude may exceed 2^(n-1)
        assert int(s.approximate_b(127)) == 8 * 16 + 12

    @pytest.mark.parametrize("spec", ["asm:width=8", "asm:width=8,signed=true",
                                      "asm:a_width=8,b_width=4,signed=true", "asm:width=1"])
    def test_result_fits_p_width(self, spec):
        assert_fits_p_width(make_unit(spec))

    def test_parameter_errors(self):
        with pytest.raises(ValueError) as e:
            AlphabetSet(alphabets=(1, 2))
        assert str(e.value) == ("Parameter 'alphabets' must hold odd integers (an even "
                                "alphabet is an odd one shifted), not [1, 2]")
        with pytest.raises(ValueError) as e:
            AlphabetSet(alphabets=(3, 1))
        assert str(e.value) == "Parameter 'alphabets' must be strictly increasing, not [3, 1]"
        with pytest.raises(ValueError) as e:
            AlphabetSet(alphabets=(1, 17))
        assert str(e.value) == ("Parameter 'alphabets' must be a list of integers in "
                                "1..2 ** quartet - 1 (here 1..15), not [1, 17]")
        with pytest.raises(ValueError) as e:
            AlphabetSet(quartet=9)
        assert str(e.value) == "Parameter 'quartet' must be an integer in 1..8, not 9"
        with pytest.raises(TypeError) as e:
            AlphabetSet(alphabets=3)
        assert str(e.value) == "Parameter 'alphabets' must be a list of integers, not 3"
        with pytest.raises(SpecError) as e:
            make_unit("asm:alphabets=1;x")
        assert str(e.value) == "asm: Parameter 'alphabets' must be a list of integers, not '1;x'"

    def test_spec_and_metadata(self):
        u = make_unit("asm:width=8,alphabets=1;3;5")
        assert u.alphabets == (1, 3, 5)
        assert u.spec == "asm:width=8,signed=false,quartet=4,alphabets=1;3;5"
        assert make_unit(u.spec).parameters == u.parameters
        assert u.weight_operand == "b"
        assert "Sarwar" in u.citation


TestRTLEquivalence = rtl_test_class(
    "asm", ["", "alphabets=1", "quartet=3,alphabets=1;5"], verilator_signed=False)
