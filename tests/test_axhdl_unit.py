import subprocess
import sys

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.generators.multipliers.exact import Exact
from axhdl.unit import VerilogSource, from_code, operand_range, to_code


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
        with pytest.raises(TypeError) as e:
            Exact(8)  # positional parameters are refused
        assert str(e.value) == (
            "Exact takes keyword parameters only (e.g. width=8), not 1 positional")

    def test_ports_follow_parameters(self):
        from amaranth.hdl import Fragment

        c = Exact(a_width=3, b_width=5, signed=True).component()
        assert (c.a.shape().width, c.b.shape().width, c.p.shape().width) == (3, 5, 8)
        assert c.a.shape().signed and c.p.shape().signed
        Fragment.get(c, None)  # the component elaborates

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


class TestCircuit:
    def test_unit_is_not_a_component(self):
        from amaranth.hdl import Fragment
        from amaranth.lib import wiring

        u = make_unit("exact:width=4")
        assert not isinstance(u, wiring.Component)
        c, d = u.component(), u.component()
        assert isinstance(c, wiring.Component) and c.unit is u
        assert d is not c  # one component per instance in a design
        Fragment.get(c, None)
        Fragment.get(d, None)

    def test_signature_describes_the_interface(self):
        from amaranth.hdl import signed, unsigned
        from amaranth.lib.wiring import In, Out

        from axhdl.circuit import UnitSignature

        sig = make_unit("reconfigurable:a_width=4,b_width=3,signed=true").signature()
        assert isinstance(sig, UnitSignature)
        assert dict(sig.members.items()) == {
            "a": In(signed(4)), "b": In(signed(3)), "mode": In(unsigned(2)), "p": Out(signed(7))}
        assert sig == make_unit("reconfigurable:a_width=4,b_width=3,signed=true,modes=0;1;3"
                                ).signature()
        assert sig != make_unit("exact:a_width=4,b_width=3,signed=true").signature()

    def test_user_design_connects_to_the_signature(self):
        from amaranth.hdl import Module
        from amaranth.lib import wiring
        from amaranth.sim import Simulator

        unit = make_unit("truncated:width=4,k=2")
        driver = unit.signature().flip().create()
        m = Module()
        m.submodules.mul = mul = unit.component()
        wiring.connect(m, driver, mul)
        sim = Simulator(m)
        got = []

        async def bench(ctx):
            for a, b in [(15, 15), (3, 5), (0, 9)]:
                ctx.set(driver.a, a)
                ctx.set(driver.b, b)
                got.append(ctx.get(driver.p))

        sim.add_testbench(bench)
        sim.run()
        assert got == unit.model(np.array([15, 3, 0]), np.array([15, 5, 9])).tolist()

    def test_sources_are_memoised(self):
        u = make_unit("exact:width=4")
        first = u.sources()
        assert first is u.sources()
        assert first == (VerilogSource(f"{u.name}.v", u.verilog()),)

    def test_model_only_use_never_imports_amaranth(self):
        code = (
            "import sys\n"
            "import numpy as np\n"
            "from axhdl.registry import families, make_unit\n"
            "from axhdl.metrics import exhaustive_metrics\n"
            "for name in families():\n"
            "    if name != 'verilog':\n"
            "        u = make_unit(f'{name}:width=4')\n"
            "        u.spec; u.name; u.info\n"
            "        if u.operation.elementwise:\n"
            "            u.model(3, 5)\n"
            "        else:  # a dot product (mac) or a matrix product (gemm) of 2x2 operands\n"
            "            u.model(np.full((2, 2), 3), np.full((2, 2), 5))\n"
            "exhaustive_metrics(make_unit('drum:width=6,k=3'), workers=1)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'amaranth'))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        assert out == "[]\n"
