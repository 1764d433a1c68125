"""Third-party Verilog: gate-level netlists written here, imported through Verilator, give
exactly the metrics of the same function computed in Python; every refusal is one message."""

import json
import re
import shutil

import numpy as np
import pytest

from axhdl import imported as imported_mod
from axhdl import make_unit, registry
from axhdl.cli import main
from axhdl.errors import InputError, SpecError, ToolMissingError
from axhdl.imported import VerilogUnit, import_verilog, inspect_verilog
from axhdl.metrics import characterize, exhaustive_metrics, operand_grid
from axhdl.params import UNIT, Param
from axhdl.unit import AmaranthUnit, ArithmeticUnit

pytestmark = pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler")

FULL_ADDER = """\
module fa(input x, input y, input ci, output s, output co);
  wire t, g, h;
  xor (t, x, y);
  xor (s, t, ci);
  and (g, x, y);
  and (h, t, ci);
  or  (co, g, h);
endmodule
"""


def array_netlist(name: str, na: int, nb: int, k: int = 0, skip_rows=(),
                  ports=("A", "B", "O")) -> str:
    """A gate-level unsigned array multiplier: AND gates for the partial products a_i b_j of
    weight >= k in rows j not in ``skip_rows``, one ripple-carry row of full/half adders per
    row (the structure of a truncated / broken-array multiplier)."""
    pa, pb, pp = ports
    width = na + nb
    lines = [FULL_ADDER, f"module {name}({pa}, {pb}, {pp});",
             f"  input [{na - 1}:0] {pa};", f"  input [{nb - 1}:0] {pb};",
             f"  output [{width - 1}:0] {pp};"]
    acc = [None] * width
    n = 0
    for j in range(nb):
        if j in skip_rows:
            continue
        row = {}
        for i in range(na):
            if i + j >= k:
                lines.append(f"  wire pp{i}_{j};")
                lines.append(f"  and (pp{i}_{j}, {pa}[{i}], {pb}[{j}]);")
                row[i + j] = f"pp{i}_{j}"
        carry = None
        for w in range(width):
            ins = [x for x in (acc[w], row.get(w), carry) if x is not None]
            if len(ins) <= 1:
                acc[w], carry = (ins[0] if ins else None), None
                continue
            n += 1
            s, c = f"s{n}", f"c{n}"
            lines.append(f"  wire {s}, {c};")
            if len(ins) == 2:
                lines.append(f"  xor ({s}, {ins[0]}, {ins[1]});")
                lines.append(f"  and ({c}, {ins[0]}, {ins[1]});")
            else:
                lines.append(f"  fa u{n}(.x({ins[0]}), .y({ins[1]}), .ci({ins[2]}), "
                             f".s({s}), .co({c}));")
            acc[w], carry = s, c
    bits = [acc[w] or "1'b0" for w in range(width)]
    lines.append(f"  assign {pp} = {{{', '.join(reversed(bits))}}};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def array_function(a, b, na, nb, k=0, skip_rows=()):
    """Σ a_i b_j 2^(i+j) over i + j >= k and j not skipped, from the definition."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    total = np.zeros(np.broadcast(a, b).shape, dtype=np.int64)
    for i in range(na):
        for j in range(nb):
            if i + j >= k and j not in skip_rows:
                total += (((a >> i) & (b >> j)) & 1) << (i + j)
    return total & ((1 << (na + nb)) - 1)


class PythonArray(ArithmeticUnit):
    """The same function as a Python unit (the reference the imported circuit must match)."""

    family = "python_array_test"

    def __init__(self, k=0, skip_rows=(), **kwargs):
        self._params = type(self).validate(kwargs)
        self.k, self.skip_rows = k, skip_rows

    def model(self, a, b, **controls):
        return array_function(a, b, self.a_width, self.b_width, self.k, self.skip_rows)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("verilog")
    (d / "trunc4.v").write_text(array_netlist("trunc4", 4, 4, k=3))
    (d / "broken8.v").write_text(array_netlist("broken8", 8, 8, k=5, skip_rows=(1,)))
    (d / "smul.v").write_text(
        "module smul(input signed [3:0] x, input signed [4:0] y, output signed [6:0] z);\n"
        "  wire signed [8:0] full = x * y;\n"
        "  assign z = full[8:2];\n"
        "endmodule\n")
    (d / "sab.v").write_text(
        "module sab(input signed [3:0] a, input signed [3:0] b, output signed [7:0] p);\n"
        "  assign p = a * b;\n"
        "endmodule\n")
    (d / "plain.v").write_text(
        "module plain(input [2:0] a, input [2:0] b, output [5:0] p);\n"
        "  assign p = (a * b) ^ {5'b0, a[0] & b[0]};\n"
        "endmodule\n")
    (d / "wide.v").write_text(
        "module wide(input [8:0] a, input [7:0] b, output [16:0] p);\n"
        "  assign p = (a * b) | 17'd1;\n"
        "endmodule\n")
    return d


class TestImport:
    def test_truncated_netlist_4x4(self, files):
        unit = make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O")
        assert (unit.a_width, unit.b_width, unit.p_width, unit.signed) == (4, 4, 8, False)
        a, b = operand_grid(unit)
        assert (unit.model(a, b) == array_function(a, b, 4, 4, k=3)).all()
        ref = PythonArray(width=4, k=3)
        assert exhaustive_metrics(unit) == exhaustive_metrics(ref)

    def test_broken_array_netlist_8x8(self, files):
        unit = VerilogUnit(path=str(files / "broken8.v"), top="broken8", a="A", b="B", p="O")
        a, b = operand_grid(unit)
        assert (unit.model(a, b) == array_function(a, b, 8, 8, k=5, skip_rows=(1,))).all()
        ref = PythonArray(width=8, k=5, skip_rows=(1,))
        assert exhaustive_metrics(unit) == exhaustive_metrics(ref)
        assert unit.circuit.table_path.exists()

    def test_signed_with_shift_and_its_wrapper(self, files, tmp_path):
        unit = make_unit(f"verilog:path={files / 'smul.v'},top=smul,a=x,b=y,p=z,signed=true,"
                         f"shift=2")
        assert (unit.a_width, unit.b_width, unit.p_width) == (4, 5, 9)
        a, b = operand_grid(unit)
        want = ((a * b) >> 2) << 2  # the circuit drops the two low product bits
        assert (unit.model(a, b) == want).all()
        assert unit.model(-8, -16) == 128 and unit.model(-8, 15) == -120
        # the wrapper (module smul_axhdl, ports a, b, p) computes the model: import it too
        assert unit.name == "smul_axhdl"
        (tmp_path / "wrapped.v").write_text(unit.verilog())
        wrapped = make_unit(f"verilog:path={tmp_path / 'wrapped.v'},top=smul_axhdl,signed=true")
        assert not wrapped.needs_wrapper and wrapped.name == "smul_axhdl"
        assert (wrapped.model(a, b) == want).all()

    def test_ports_a_b_p_need_no_wrapper(self, files):
        unit = make_unit(f"verilog:path={files / 'plain.v'},top=plain")
        assert unit.name == "plain" and not unit.needs_wrapper
        assert unit.verilog() == (files / "plain.v").read_text()
        named = make_unit(f"verilog:path={files / 'plain.v'},top=plain,name=my_mul")
        assert named.name == "my_mul" and "module my_mul (" in named.verilog()
        a, b = operand_grid(unit)
        assert (unit.model(a, b) == (a * b) ^ (a & b & 1)).all()

    def test_wide_designs_are_evaluated_on_demand(self, files):
        unit = make_unit(f"verilog:path={files / 'wide.v'},top=wide")
        assert unit.circuit.table_path is None and unit.a_width + unit.b_width == 17
        rng = np.random.default_rng(0)
        a = rng.integers(0, 512, 3000)
        b = rng.integers(0, 256, 3000)
        assert (unit.model(a, b) == (a * b) | 1).all()
        res = characterize(unit, samples=4000, seed=1)
        # the circuit errs when a*b is even: P = 3/4
        assert res.method == "monte-carlo"
        assert res.metrics["er"] == pytest.approx(0.75, abs=0.03)

    def test_cached_by_file_content(self, files, monkeypatch):
        spec = f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O"
        first = make_unit(spec)

        def no_build(*args, **kwargs):
            raise AssertionError("rebuilt a cached import")

        monkeypatch.setattr(imported_mod, "_build", no_build)
        again = make_unit(spec)
        assert again.circuit.directory == first.circuit.directory
        assert make_unit(first.spec).spec == first.spec

    def test_spec_round_trip(self, files):
        unit = make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O")
        assert unit.spec == (f"verilog:width=4,signed=false,path={files / 'trunc4.v'},"
                             f"top=trunc4,a=A,b=B,p=O,shift=0")
        assert unit.info["source"]["sha256"] == unit.circuit.sha256


class TestSynthesis:
    """Signed imported units synthesize (issue 12): OpenSTA reads no ``signed`` port."""

    def test_wrapper_ports_are_plain_vectors(self, files):
        unit = make_unit(f"verilog:path={files / 'smul.v'},top=smul,a=x,b=y,p=z,signed=true,"
                         f"shift=2")
        wrapper = unit.sources()[0].text
        assert "signed" not in wrapper
        assert "input  wire [3:0] a," in wrapper and "output wire [8:0] p" in wrapper

    @pytest.mark.parametrize("spec", [
        "verilog:path={d}/smul.v,top=smul,a=x,b=y,p=z,signed=true,shift=2",  # wrapped
        "verilog:path={d}/sab.v,top=sab,signed=true",  # its own signed ports a, b, p
    ])
    def test_signed_import_through_ppa(self, files, spec):
        from axhdl.synth.flow import ppa

        unit = make_unit(spec.format(d=files))
        r = ppa(unit, vectors=300, prove=True)
        assert r.equivalence["equivalent"] is True  # the netlist is the imported function
        assert r.area > 0 and 0 < r.delay_ns < 10 and r.energy_pj > 0
        base = make_unit(r.baseline.spec)
        assert base.family == "exact" and base.signed
        assert (base.a_width, base.b_width) == (unit.a_width, unit.b_width)
        netlist = open(r.netlist).read()
        assert "signed" not in netlist


def _edit_table(path):
    table = np.load(path)
    table[5] ^= 1  # a valid .npy with one result changed
    np.save(path, table)


IMPORT_DAMAGE = {
    "random bytes in the table": ("table.npy", lambda p: p.write_bytes(b"\x93NUMPY" * 40)),
    "truncated table": ("table.npy", lambda p: p.write_bytes(p.read_bytes()[:100])),
    "edited table value": ("table.npy", _edit_table),
    "table missing": ("table.npy", lambda p: p.unlink()),
    "truncated harness": ("harness", lambda p: p.write_bytes(p.read_bytes()[:4096])),
    "harness missing": ("harness", lambda p: p.unlink()),
    "random bytes in meta.json": ("meta.json", lambda p: p.write_bytes(bytes(range(200)))),
    "edited meta.json": ("meta.json", lambda p: p.write_text(
        p.read_text().replace('"width": 4', '"width": 3', 1))),
    "source copy edited": ("source.v", lambda p: p.write_text(p.read_text() + "\n")),
    "digest missing": ("digest.json", lambda p: p.unlink()),
}


class TestCacheDamage:
    """A damaged import (table, harness, description) is detected by the entry's digest,
    reported on one line, discarded and rebuilt: the same results as a clean import."""

    @pytest.mark.parametrize("kind", sorted(IMPORT_DAMAGE))
    def test_every_damage_is_detected(self, files, tmp_path, kind):
        """The entry of a clean import, copied and damaged: refused, with the reason."""
        clean = make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O")
        assert imported_mod._read_entry(clean.circuit.directory)[1] is None
        copy = tmp_path / "entry"
        shutil.copytree(clean.circuit.directory, copy)
        name, damage = IMPORT_DAMAGE[kind]
        damage(copy / name)
        circuit, reason = imported_mod._read_entry(copy)
        assert circuit is None and reason

    # rebuilding compiles C++: two kinds end to end (one in the table, one in the program)
    @pytest.mark.parametrize("kind", ["edited table value", "truncated harness"])
    def test_damaged_import_heals(self, files, cache, tmp_path, monkeypatch, capsys, kind):
        spec = f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O"
        make_unit(spec)
        # a copy of the module's cache (the compiled run-time library included) to damage
        shutil.copytree(cache, tmp_path / "cache", ignore=shutil.ignore_patterns("cosim"))
        monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))
        clean = make_unit(spec)
        a, b = operand_grid(clean)
        want = clean.model(a, b)
        entry = clean.circuit.directory
        name, damage = IMPORT_DAMAGE[kind]
        damage(entry / name)
        capsys.readouterr()
        healed = make_unit(spec)
        err = capsys.readouterr().err
        assert err.startswith(f"axhdl: warning: cache entry {entry} is damaged (")
        assert err.endswith("); discarded, computing it again\n") and err.count("\n") == 1
        assert healed.circuit.directory == entry
        assert (healed.model(a, b) == want).all()
        assert (healed.circuit.evaluate(a & 15, b & 15) == want).all()
        assert exhaustive_metrics(healed) == exhaustive_metrics(clean)
        make_unit(spec)  # healed for good: silent
        assert capsys.readouterr().err == ""

    def test_wide_import_without_table_heals(self, files, cache, tmp_path, monkeypatch,
                                             capsys):
        spec = f"verilog:path={files / 'wide.v'},top=wide"
        make_unit(spec)
        shutil.copytree(cache, tmp_path / "cache", ignore=shutil.ignore_patterns("cosim"))
        monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))
        entry = make_unit(spec).circuit.directory
        (entry / "harness").write_bytes(b"#!/bin/sh\nexit 3\n")
        capsys.readouterr()
        unit = make_unit(spec)
        assert "is damaged (harness differs from its digest)" in capsys.readouterr().err
        assert (unit.model(np.array([7]), np.array([6])) == [43]).all()


class TestErrors:
    def test_file_missing(self, tmp_path):
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={tmp_path / 'no.v'},top=x")
        assert str(e.value) == f"verilog: Verilog file '{tmp_path / 'no.v'}' does not exist"

    def test_syntax_error_shows_verilator(self, tmp_path):
        path = tmp_path / "bad.v"
        path.write_text("module bad(input a, output p);\n  assign p = a\nendmodule\n")
        with pytest.raises(InputError) as e:
            import_verilog(path, "bad")
        msg = str(e.value)
        assert msg.startswith(f"{path}: Verilator cannot compile it:\n%Error: {path}:3:1: "
                              f"syntax error")
        assert "See the manual" not in msg

    def test_top_missing(self, files):
        with pytest.raises(InputError) as e:
            inspect_verilog(files / "trunc4.v", "mul")
        assert str(e.value) == (f"{files / 'trunc4.v'}: no module 'mul'; modules in the file: "
                                f"fa, trunc4")

    @pytest.mark.parametrize("a,b,p,message", [
        ("X", "B", "O", ("module 'trunc4' has no port 'X' (given as a); its ports: A (input, "
                        "4 bits), B (input, 4 bits), O (output, 8 bits)")),
        ("A", "B", "Q", ("module 'trunc4' has no port 'Q' (given as p); its ports: A (input, "
                        "4 bits), B (input, 4 bits), O (output, 8 bits)")),
        ("O", "B", "A", "port 'O' of module 'trunc4' is an output; a must be an input"),
        ("A", "A", "O", "a, b and p must be three different ports, not A, A, O"),
    ])
    def test_bad_ports(self, files, a, b, p, message):
        with pytest.raises(InputError) as e:
            import_verilog(files / "trunc4.v", "trunc4", a, b, p)
        assert str(e.value) == f"{files / 'trunc4.v'}: {message}"

    def test_wrong_width(self, files):
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O,b_width=8")
        assert str(e.value) == (f"verilog: {files / 'trunc4.v'}: port 'B' of module 'trunc4' "
                                f"is 4 bits wide, but b_width=8 was given")

    def test_output_wider_than_expected(self, tmp_path):
        path = tmp_path / "w.v"
        path.write_text("module w(input [3:0] a, input [3:0] b, output [8:0] p);\n"
                        "  assign p = a * b;\nendmodule\n")
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={path},top=w")
        assert str(e.value) == (f"verilog: {path}: output port 'p' of module 'w' is 9 bits "
                                f"wide, wider than a_width + b_width = 8")
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={path},top=w,shift=1")
        assert str(e.value) == (f"verilog: {path}: output port 'p' of module 'w' is 9 bits "
                                f"wide (shifted by 1), wider than a_width + b_width = 8")

    def test_sequential_design(self, tmp_path):
        path = tmp_path / "seq.v"
        path.write_text("module seq(input clk, input [3:0] a, input [3:0] b,\n"
                        "           output reg [7:0] p);\n"
                        "  always @(posedge clk) p <= a * b;\nendmodule\n")
        with pytest.raises(InputError) as e:
            import_verilog(path, "seq")
        assert str(e.value) == (f"{path}: module 'seq' is sequential (edge-triggered logic in "
                                f"module 'seq', line 3); only combinational multipliers can be "
                                f"imported")

    def test_flip_flop_in_a_submodule(self, tmp_path):
        path = tmp_path / "sub.v"
        path.write_text("module dff(input c, input d, output reg q);\n"
                        "  always @(negedge c) q <= d;\nendmodule\n"
                        "module top(input [1:0] a, input [1:0] b, output [3:0] p);\n"
                        "  wire q;\n  dff u(.c(a[0]), .d(b[0]), .q(q));\n"
                        "  assign p = {3'b0, q};\nendmodule\n")
        with pytest.raises(InputError) as e:
            import_verilog(path, "top")
        assert str(e.value) == (f"{path}: module 'top' is sequential (edge-triggered logic in "
                                f"module 'dff', line 2); only combinational multipliers can be "
                                f"imported")

    # every kind of state a module without a clock input can hold (issue 12): each is
    # refused with one line naming the file, the module and what was found
    STATEFUL = {
        "running value": (
            ("module acc(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  reg [7:0] s;\n  always @(a or b) s = s + a * b;\n  assign p = s;\n"
             "endmodule\n"),
            "acc", ("a running value: the always block in module 'acc', line 3, reads 's' "
                    "before assigning it")),
        "combinational loop": (
            ("module acc2(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  reg [7:0] s;\n  always @* s = s + a * b;\n  assign p = s;\nendmodule\n"),
            "acc2", ("a running value: the always block in module 'acc2', line 3, reads 's' "
                     "before assigning it")),
        "incomplete sensitivity list": (
            ("module inc(input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
             "  always @(a) p = a * b;\nendmodule\n"),
            "inc", ("a held value: the always block in module 'inc', line 2, reads 'b' but is "
                    "not sensitive to it")),
        "latch": (
            ("module lat(input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
             "  always @* if (a[0]) p = a * b;\nendmodule\n"),
            "lat", ("a latch: not every path of the always block in module 'lat', line 2, "
                    "assigns 'p'")),
        "latch in a submodule": (
            ("module inner(input [3:0] x, output reg [3:0] y);\n"
             "  always @* if (x[3]) y = x;\nendmodule\n"
             "module outer(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  wire [3:0] t;\n  inner u(.x(a), .y(t));\n  assign p = t * b;\nendmodule\n"),
            "outer", ("a latch: not every path of the always block in module 'inner', "
                      "line 2, assigns 't'")),
        "always_latch": (
            ("module latff(input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
             "  always_latch if (a[0]) p = a * b;\nendmodule\n"),
            "latff", "a latch: always_latch in module 'latff', line 2"),
        "partial latch": (
            ("module part(input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
             "  always @* begin p[3:0] = a; if (b[0]) p[7:4] = b; end\nendmodule\n"),
            "part", None),
        "initial value": (
            ("module ini(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  reg [7:0] s = 8'd3;\n  assign p = a * b + s;\nendmodule\n"),
            "ini", "an initial value of 's' in module 'ini', line 2"),
        "initial block": (
            ("module inb(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  reg [7:0] s;\n  initial s = 8'd1;\n  assign p = a * b + s;\nendmodule\n"),
            "inb", "an initial block in module 'inb', line 3"),
        "loop through assignments": (
            ("module lp(input [3:0] a, input [3:0] b, output [7:0] p);\n"
             "  wire [7:0] s;\n  assign s = s + a * b;\n  assign p = s;\nendmodule\n"),
            "lp", "a combinational loop: its evaluation does not settle"),
        "internal clock": (
            ("module ck(input [3:0] a, input [3:0] b, output reg [7:0] p);\n"
             "  reg clk;\n  always @(a) clk = ~clk;\n  always @(posedge clk) p <= a * b;\n"
             "endmodule\n"),
            "ck", "edge-triggered logic in module 'ck', line 4"),
    }

    @pytest.mark.parametrize("kind", sorted(STATEFUL))
    def test_state_is_refused(self, tmp_path, kind, capsys):
        text, top, found = self.STATEFUL[kind]
        path = tmp_path / "state.v"
        path.write_text(text)
        with pytest.raises(InputError) as e:
            import_verilog(path, top)
        msg = str(e.value)
        assert "\n" not in msg
        if found is None:  # only its behaviour shows it: outputs depend on earlier inputs
            assert re.fullmatch(
                rf"{re.escape(str(path))}: module 'part' is sequential \(its output depends "
                rf"on earlier inputs: a=\d+, b=\d+ gave p=\d+, then p=\d+\); only "
                rf"combinational multipliers can be imported", msg), msg
        else:
            assert msg == (f"{path}: module '{top}' is sequential ({found}); only "
                           f"combinational multipliers can be imported")
        # the CLI: one line, exit 2, no traceback, nothing characterised
        status = main(["metrics", f"verilog:path={path},top={top}", "--json"])
        out, err = capsys.readouterr()
        assert status == 2 and out == "" and err.count("\n") == 1
        assert "is sequential (" in err and "Traceback" not in err

    def test_combinational_always_blocks_are_accepted(self, tmp_path):
        """Temporaries written before they are read, loops, functions, net initialisers and
        complete sensitivity lists are combinational."""
        path = tmp_path / "ok.v"
        path.write_text(
            "module okm(input [3:0] a, input [3:0] b, output [7:0] p);\n"
            "  reg [7:0] t, t2;\n  reg [3:0] u;\n  integer i;\n"
            "  wire [7:0] w = a * b;\n"
            "  function [7:0] f(input [3:0] x); reg [7:0] y; begin y = x; f = y + 1; end\n"
            "  endfunction\n"
            "  always @(a or b) begin u = b; t = u * a; end\n"
            "  always @* begin\n"
            "    t2 = 0;\n"
            "    for (i = 0; i < 4; i = i + 1) if (b[i]) t2 = t2 + (a << i);\n"
            "  end\n"
            "  assign p = f(t[3:0]) - 1 + t2 - t + w - t2 + t[7:4] * 16;\n"
            "endmodule\n")
        unit = make_unit(f"verilog:path={path},top=okm")
        a, b = operand_grid(unit)
        assert (unit.model(a, b) == a * b).all()

    def test_constant_assignments_are_accepted(self, tmp_path):
        """Continuous assignments of constants (Amaranth writes them for unused values;
        Verilator's tree shows them as initial blocks) are combinational, also in axhdl's own
        Verilog, which imports and computes the golden model's table."""
        path = tmp_path / "cst.v"
        path.write_text(
            "module cst(input [3:0] a, input [3:0] b, output [7:0] p);\n"
            "  wire [2:0] z1, z2;\n  assign z1 = 3'h0;\n  assign z2 = z1;\n"
            "  assign p = a * b + {5'd0, z2};\nendmodule\n")
        unit = make_unit(f"verilog:path={path},top=cst")
        a, b = operand_grid(unit)
        assert (unit.model(a, b) == a * b).all()
        own = make_unit("drum:width=6,k=3")
        vfile = tmp_path / "drum.v"
        vfile.write_text(own.verilog())
        name = re.search(r"^module (\S+)\(", own.verilog(), re.M).group(1)
        imported = make_unit(f"verilog:path={vfile},top={name}")
        a, b = operand_grid(own)
        assert (imported.model(a, b) == own.model(a, b)).all()

    def test_other_inputs(self, tmp_path):
        path = tmp_path / "en.v"
        path.write_text("module en(input [3:0] a, input [3:0] b, input e, output [7:0] p);\n"
                        "  assign p = e ? a * b : 8'd0;\nendmodule\n")
        with pytest.raises(InputError) as e:
            import_verilog(path, "en")
        assert str(e.value) == (f"{path}: module 'en' has inputs besides a and b: e (input, "
                                f"1 bit); only a x b -> p modules can be imported")

    def test_operand_too_wide(self, tmp_path):
        path = tmp_path / "big.v"
        path.write_text("module big(input [32:0] a, input [1:0] b, output [34:0] p);\n"
                        "  assign p = a * b;\nendmodule\n")
        with pytest.raises(InputError) as e:
            import_verilog(path, "big")
        assert str(e.value) == (f"{path}: port 'a' (a) of module 'big' is 33 bits wide; "
                                f"operands may be 1..32 bits")

    def test_bad_names(self, files):
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={files / 'plain.v'},top=plain,name=my-mul")
        assert str(e.value) == ("verilog: Parameter 'name' must be a Verilog identifier, "
                                "not 'my-mul'")
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O,name=fa")
        assert str(e.value) == (f"verilog: Parameter 'name' ('fa') names a module that "
                                f"{files / 'trunc4.v'} already defines")
        with pytest.raises(SpecError) as e:
            make_unit(f"verilog:path={files / 'trunc4.v'},top=trunc4,a=A,b=B,p=O,name=trunc4")
        assert str(e.value) == ("verilog: Parameter 'name' ('trunc4') must differ from 'top' "
                                "when the ports are not a, b, p of full width (a wrapper "
                                "module is needed)")


class TestCommand:
    def test_import_and_characterize(self, capsys, files):
        status = main(["import-verilog", str(files / "trunc4.v"), "--top", "trunc4", "--a", "A",
                       "--b", "B", "--p", "O", "--json"])
        out = json.loads(capsys.readouterr().out)
        assert status == 0
        assert out["spec"].startswith("verilog:width=4,signed=false,path=")
        assert out["module"] == "trunc4_axhdl" and out["ports"] == {"a": 4, "b": 4, "p": 8}
        assert out["method"] == "exhaustive" and out["pairs"] == 256
        assert out["metrics"] == exhaustive_metrics(PythonArray(width=4, k=3))
        assert out["provenance"]["source_sha256"] == make_unit(out["spec"]).circuit.sha256

    def test_human_output(self, capsys, files):
        status = main(["import-verilog", str(files / "plain.v"), "--top", "plain"])
        out = capsys.readouterr().out
        assert status == 0
        assert "imported plain from " in out and "a 3 bits, b 3 bits, p 6 bits" in out
        assert "spec: verilog:width=3,signed=false,path=" in out

    def test_error_is_one_line(self, capsys, tmp_path):
        status = main(["import-verilog", str(tmp_path / "none.v"), "--top", "x"])
        assert status == 2
        assert capsys.readouterr().err == (f"axhdl import-verilog: Verilog file "
                                           f"'{tmp_path / 'none.v'}' does not exist\n")


class TestHarnessSource:
    def test_package_data_with_the_ports_filled_in(self):
        # the harness is package data (axhdl/data/harness.cpp), not a string in the module
        text = imported_mod._harness_source(top="mul", a="A", b="B", p="O", mask="0xff",
                                            na=4, nb=3)
        assert "$" not in text and text.startswith("// axhdl import harness: evaluates module mul")
        assert "dut->A = static_cast<std::remove_reference<decltype(dut->A)>::type>(a);" in text
        assert "return static_cast<uint64_t>(dut->O) & 0xffULL;" in text
        assert "const uint64_t na = 1ULL << 4, nb = 1ULL << 3;" in text


class Holder(AmaranthUnit):
    """A composite written in Amaranth around the multiplier it holds (any unit)."""

    family = "test_holder"
    description = "test composite: its multiplier's product, registered nowhere else"
    params = (Param("mul", UNIT, "exact", "the multiplier", unit_kind="multiplier",
                    unit_params={"a_width": "a_width", "b_width": "b_width",
                                 "signed": "signed"}),)

    def model(self, a, b, **controls):
        return self.parameters["mul"].model(a, b)

    def rtl(self, io):
        from amaranth.hdl import Module

        m = Module()
        m.submodules.inner = inner = self.parameters["mul"].component()
        m.d.comb += [inner.a.eq(io.a), inner.b.eq(io.b), io.p.eq(inner.p)]
        return m


class TestImportedInsideAComposite:
    @pytest.fixture
    def holder(self, files, monkeypatch):
        registry.families()
        monkeypatch.setattr(registry, "_FAMILIES", dict(registry._FAMILIES))
        registry.register(Holder)
        return make_unit(f"test_holder:width=4,mul=(verilog:path={files / 'trunc4.v'},"
                         f"top=trunc4,a=A,b=B,p=O)")

    def test_sources_carry_the_imported_files(self, holder, files):
        inner = holder.parameters["mul"]
        names = [s.filename for s in holder.sources()]
        assert names == [f"{holder.name}.v", "trunc4_axhdl.v", "trunc4.v"]
        assert holder.sources()[2].text == (files / "trunc4.v").read_text()
        assert holder.sources()[1:] == inner.sources()
        text = holder.verilog()
        # dependencies first, the composite last: one file a simulator or Yosys reads
        assert text.index("module trunc4") < text.index("module trunc4_axhdl") < text.index(
            f"module {holder.name}")

    @pytest.mark.cocotb
    @pytest.mark.parametrize("sim", ["icarus", "verilator"])
    def test_composite_simulates_with_the_imported_circuit(self, holder, sim):
        from axhdl.testbenches.runner import verify

        try:
            res = verify(holder, sim)
        except ToolMissingError as e:
            pytest.skip(str(e))
        assert res.ok and res.checked == 256 and res.exhaustive
        a, b = operand_grid(holder)
        assert (holder.model(a, b) == array_function(a, b, 4, 4, k=3)).all()
