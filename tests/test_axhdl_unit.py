import numpy as np
import pytest

from axhdl import make_unit
from axhdl.generators.multipliers.exact import Exact
from axhdl.unit import from_code, operand_range, to_code


class TestCodes:
    @pytest.mark.parametrize("width,is_signed,expected", [
        (1, False, (0, 1)), (1, True, (-1, 0)), (8, True, (-128, 127)), (5, False, (0, 31))])
    def test_operand_range(self, width, is_signed, expected):
        assert operand_range(width, is_signed) == expected

    def test_code_round_trip(self):
        v = np.arange(-8, 8)
        assert (from_code(to_code(v, 4), 4, True) == v).all()
        assert to_code([-1, -8, 7], 4).tolist() == [15, 8, 7]


class TestArithmeticUnit:
    def test_keyword_only_validated_before_signals(self):
        with pytest.raises(TypeError) as e:
            Exact(width=8, arch=3)
        assert str(e.value) == "Parameter 'arch' must be a string, not 3"
        with pytest.raises(TypeError, match="Exact takes keyword parameters only"):
            Exact(8)  # positional parameters are refused

    def test_ports_follow_parameters(self):
        u = Exact(a_width=3, b_width=5, signed=True)
        assert (u.a.shape().width, u.b.shape().width, u.p.shape().width) == (3, 5, 8)
        assert u.a.shape().signed and u.p.shape().signed

    def test_name_is_unique_per_parameter_set(self):
        names = {make_unit(s).name for s in (
            "truncated:width=8,k=4", "truncated:width=8,k=5", "truncated:width=8,k=4,signed=1",
            "truncated:a_width=8,b_width=4,k=4", "truncated:width=8,k=4,correction=constant")}
        assert len(names) == 5

    def test_info(self):
        info = make_unit("truncated:a_width=3,b_width=5,k=2").info
        assert info["ports"] == {
            "a": {"dir": "in", "width": 3, "signed": False},
            "b": {"dir": "in", "width": 5, "signed": False},
            "p": {"dir": "out", "width": 8, "signed": False},
        }
        assert info["spec"] == "truncated:a_width=3,b_width=5,signed=false,k=2,correction=none"
        assert info["citation"].startswith("M. J. Schulte")

    def test_model_is_exact_product_for_exact(self):
        u = make_unit("exact:width=8,signed=true")
        a = np.array([-128, -128, 127, -1, 0])
        b = np.array([-128, 127, 127, -1, 5])
        assert u.model(a, b).tolist() == (a * b).tolist()
        assert u.model(a, b).dtype == np.int64

    def test_verilog_top_is_name(self):
        u = make_unit("exact:width=4")
        assert f"module {u.name}(" in u.verilog()
