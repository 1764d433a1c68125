"""LUT export: every format read back and compared with the golden model."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from axhdl import make_unit
from axhdl.cli import main
from axhdl.errors import InputError
from axhdl.lut import (
    header_text,
    lut,
    lut_format,
    read_header,
    read_tfapprox,
    tfapprox_table,
    write_lut,
)
from axhdl.unit import ArithmeticUnit, from_code


class WeightFirst(ArithmeticUnit):
    """An asymmetric toy unit whose weight is operand a: approx = a*b + a (errs by a)."""

    family = "weight_first_test"
    weight_operand = "a"

    def __init__(self, **kwargs):
        self._params = type(self).validate(kwargs)

    def model(self, a, b, **controls):
        a = np.asarray(a, dtype=np.int64)
        return a * np.asarray(b, dtype=np.int64) + a


class Doubler(WeightFirst):
    """approx = 2ab: 17-bit results."""

    family = "doubler_test"
    weight_operand = None

    def model(self, a, b, **controls):
        return 2 * np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)


def model_table(unit):
    """The model on every code pair, one row (code of a) at a time; codes decoded by hand."""
    na, nb = unit.a_width, unit.b_width
    out = np.zeros((1 << na, 1 << nb), dtype=np.int64)

    def value(code, n):
        return code - (1 << n) if unit.signed and code >> (n - 1) else code

    b = np.array([value(cb, nb) for cb in range(1 << nb)], dtype=np.int64)
    for ca in range(1 << na):
        out[ca] = unit.model(np.full(b.shape, value(ca, na)), b)
    return out


class TestLut:
    @pytest.mark.parametrize("spec", ["truncated:a_width=3,b_width=4,k=3,signed=true",
                                      "truncated:width=4,k=5", "exact:width=1,signed=true"])
    def test_table_is_the_model_on_codes(self, spec):
        unit = make_unit(spec)
        assert lut(unit).tolist() == model_table(unit).tolist()

    def test_limit(self):
        with pytest.raises(InputError) as e:
            lut(make_unit("exact:width=16"))
        assert str(e.value) == ("exact:width=16,signed=false,arch=operator: a LUT of 16+16 "
                                "operand bits has 4294967296 entries, more than the 2^24 allowed")


class TestFormats:
    @pytest.mark.parametrize("path,fmt,want", [
        ("t.npy", None, "npy"), ("t.bin", None, "tfapprox"), ("t.h", None, "header"),
        ("t.dat", "header", "header"), ("t.npy", "tfapprox", "tfapprox"),
    ])
    def test_format_from_suffix_or_option(self, path, fmt, want):
        assert lut_format(path, fmt) == want

    def test_unknown_suffix(self):
        with pytest.raises(InputError) as e:
            lut_format("t.txt")
        assert str(e.value) == ("t.txt: cannot tell the LUT format from the suffix '.txt'; "
                                "give --format (npy, tfapprox, header) or use .npy, .bin or .h")
        with pytest.raises(InputError) as e:
            lut_format("t.npy", "csv")
        assert str(e.value) == "LUT format must be one of npy, tfapprox, header, not 'csv'"


class TestNpy:
    def test_round_trip_and_sidecar(self, tmp_path):
        unit = make_unit("truncated:width=5,k=4,signed=true")
        info = write_lut(unit, tmp_path / "t.npy")
        table = np.load(tmp_path / "t.npy")
        assert table.dtype == np.int64 and table.tolist() == model_table(unit).tolist()
        side = json.loads((tmp_path / "t.json").read_text())
        assert side == json.loads(json.dumps(info))
        assert side["format"] == "npy" and side["spec"] == unit.spec
        assert side["rows"] == "bit pattern (code) of operand a"


class TestTfapprox:
    @pytest.mark.parametrize("spec", ["truncated:width=8,k=7",
                                      "truncated:width=8,k=6,signed=true"])
    def test_round_trip(self, tmp_path, spec):
        unit = make_unit(spec)
        write_lut(unit, tmp_path / "m.bin")
        raw = (tmp_path / "m.bin").read_bytes()
        assert len(raw) == 2 * 65536
        table = read_tfapprox(tmp_path / "m.bin")
        # row = activation (a, since the design is symmetric), column = weight (b)
        want = model_table(unit)
        back = from_code(table.astype(np.int64), 16, unit.signed)
        assert back.tolist() == want.tolist()
        # entry activation*256 + weight, little-endian: check one by hand
        a, b = 200, 3
        v = int(want[a, b]) & 0xFFFF
        assert raw[2 * (a * 256 + b):2 * (a * 256 + b) + 2] == v.to_bytes(2, "little")
        side = json.loads((tmp_path / "m.json").read_text())
        assert side["activation_operand"] == "a" and side["weight_operand"] == "b"
        assert side["signed"] is unit.signed and side["dtype"] == "uint16 little-endian"

    def test_weight_operand_a_is_the_column(self, tmp_path):
        unit = WeightFirst(width=8)
        table = tfapprox_table(unit)
        # row = activation = b, column = weight = a
        assert int(table[5, 7]) == 7 * 5 + 7
        assert int(table[7, 5]) == 5 * 7 + 5

    @pytest.mark.parametrize("spec,shape", [("exact:width=4", "4x4"),
                                            ("exact:a_width=8,b_width=7", "8x7")])
    def test_refuses_other_widths(self, spec, shape):
        with pytest.raises(InputError) as e:
            tfapprox_table(make_unit(spec))
        assert str(e.value) == (f"{make_unit(spec).spec}: TFApprox tables are for 8x8 "
                                f"multipliers (256 x 256 uint16), not {shape}")

    def test_refuses_results_beyond_16_bits(self):
        assert int(tfapprox_table(WeightFirst(width=8))[255, 255]) == 255 * 255 + 255
        with pytest.raises(InputError) as e:
            tfapprox_table(Doubler(width=8))
        assert str(e.value) == (f"{Doubler(width=8).spec}: result 65790 (codes a=129, b=255) "
                                f"does not fit the 16-bit TFApprox table")

    def test_read_wrong_size(self, tmp_path):
        (tmp_path / "x.bin").write_bytes(b"\0" * 10)
        with pytest.raises(InputError) as e:
            read_tfapprox(tmp_path / "x.bin")
        assert str(e.value) == (f"{tmp_path / 'x.bin'}: a TFApprox table has 65536 uint16 "
                                f"entries, not 5")


class TestHeader:
    @pytest.mark.parametrize("spec,ctype", [
        ("truncated:width=4,k=3", "uint8_t"),
        ("truncated:width=5,k=4,signed=true", "int16_t"),
        ("exact:width=8,signed=true", "int16_t"),
        ("exact:a_width=10,b_width=6", "uint16_t"),
    ])
    def test_round_trip(self, tmp_path, spec, ctype):
        unit = make_unit(spec)
        write_lut(unit, tmp_path / "t.h")
        macros, table = read_header(tmp_path / "t.h")
        assert table.tolist() == model_table(unit).tolist()
        macro = unit.name.upper()
        assert macros[f"{macro}_A_WIDTH"] == str(unit.a_width)
        assert macros[f"{macro}_SIGNED"] == ("1" if unit.signed else "0")
        assert macros[f"{macro}_SPEC"] == f'"{unit.spec}"'
        assert f"static const {ctype} {unit.name}_lut[" in (tmp_path / "t.h").read_text()

    @pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
    def test_compiles_as_c(self, tmp_path):
        unit = make_unit("truncated:width=4,k=3,signed=true")
        (tmp_path / "t.h").write_text(header_text(unit))
        (tmp_path / "m.c").write_text(
            '#include <stdio.h>\n#include "t.h"\n'
            f"int main(void) {{ printf(\"%d\\n\", (int){unit.name}_lut[13][6]); return 0; }}\n")
        subprocess.run(["cc", "-Wall", "-Werror", "-o", str(tmp_path / "m"),
                        str(tmp_path / "m.c")], check=True, cwd=tmp_path)
        out = subprocess.run([str(tmp_path / "m")], capture_output=True, text=True, check=True)
        assert int(out.stdout) == int(unit.model(np.int64(-3), np.int64(6)))

    def test_limit(self):
        with pytest.raises(InputError) as e:
            header_text(make_unit("exact:width=11"))
        assert str(e.value) == ("exact:width=11,signed=false,arch=operator: a C header of 11+11 "
                                "operand bits has 4194304 entries, more than the 2^20 allowed")


class TestCommand:
    def test_writes_each_format(self, capsys, tmp_path):
        for name, fmt in (("t.bin", "tfapprox"), ("t.h", "header"), ("t.npy", "npy")):
            status = main(["lut", "truncated:width=8,k=6", "-o", str(tmp_path / name)])
            assert status == 0
            assert f"{tmp_path / name}: {fmt}" in capsys.readouterr().out

    def test_tfapprox_refusal_is_one_line(self, capsys, tmp_path):
        status = main(["lut", "exact:width=4", "-o", str(tmp_path / "t.bin")])
        err = capsys.readouterr().err
        assert status == 2
        assert err == ("axhdl lut: exact:width=4,signed=false,arch=operator: TFApprox tables are "
                       "for 8x8 multipliers (256 x 256 uint16), not 4x4\n")
        assert list(tmp_path.iterdir()) == []
