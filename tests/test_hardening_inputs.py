"""The bad-input and fault matrix (issue 12): specs, files, numbers, the environment and the
cache. Every case ends in exit status 1 or 2 and one line on stderr that names the input at
fault — never a traceback. Most cases run the command line in this process (a stray
exception fails the test as a traceback would); the cases about standard output, ``PATH`` and
the program's exit run ``python -m axhdl.cli`` as a user would.

Faults the test user cannot cause (a read-only directory as root, a full disk) are injected
into the one call that meets them: ``os.replace`` or ``tempfile.mkdtemp`` of the path at fault.
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from axhdl.cli import main
from axhdl.commands._common import MAX_SEED
from axhdl.commands.metrics import MAX_SAMPLES
from axhdl.errors import InputError
from axhdl.metrics import characterize
from axhdl.registry import make_unit
from axhdl.toolchain import OSU018_LIBERTY

AXHDL = [sys.executable, "-m", "axhdl.cli"]


@pytest.fixture
def files(tmp_path):
    """Bad files of every kind, by name."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "afile").write_text("not a directory\n")
    (d / "adir").mkdir()
    (d / "csv.npy").write_text("1,2,3\n4,5,6\n")
    (d / "pickle.npy").write_bytes(pickle.dumps([1, 2, 3]))
    np.save(d / "objects.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.savez(d / "objects.npz", samples=np.array([1, None], dtype=object))
    (d / "empty.npy").write_bytes(b"")
    np.savez(d / "ab.npz", a=np.arange(4), b=np.arange(4))
    whole = (d / "ab.npz").read_bytes()
    (d / "cut.npz").write_bytes(whole[: len(whole) // 2])
    np.savez_compressed(d / "z.npz", samples=np.arange(1000) % 7)
    z = bytearray((d / "z.npz").read_bytes())
    z[60:80] = b"\xff" * 20  # inside the compressed stream
    (d / "badz.npz").write_bytes(bytes(z))
    if OSU018_LIBERTY.exists():
        text = OSU018_LIBERTY.read_text()
        first_area = text.index("area : ")
        end = text.index(";", first_area)
        (d / "nan.lib").write_text(text[:first_area] + "area : nan" + text[end:])
        line = text.count("\n", 0, first_area) + 1
        (d / "nan.line").write_text(str(line))
    return d


def run_here(argv: list[str], capsys) -> tuple[int, str, str]:
    """``axhdl argv`` in this process: (status, stdout, stderr)."""
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's usage errors
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line(status: int, err: str, want_status: int, *needles: str) -> None:
    assert "Traceback" not in err
    assert status == want_status, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


T = "truncated:width=4,k=2"
EXPECTED_NUMPY = ("expected a numpy .npy file (numpy.save) or .npz archive (numpy.savez) of "
                  "plain numeric arrays")

# (id, argv with {d} for the bad-files folder, exit status, text the line must hold)
MATRIX = [
    # specs
    ("spec key without value", ["metrics", "truncated:width=8,k"], 2,
     ["parameter 'k' has no value"]),
    ("spec huge value", ["metrics", "truncated:width=" + "9" * 5000 + ",k=2"], 2,
     ["Parameter 'width' must be an integer", "(5000 characters)"]),
    ("spec huge family", ["metrics", "x" * 5000], 2,
     ["Unknown family", "(5000 characters)"]),
    ("spec unknown family", ["metrics", "nosuch:width=8"], 2, ["'nosuch'"]),
    ("spec unclosed", ["metrics", "truncated:width=(8"], 2, ["never closed"]),
    ("spec out of range", ["metrics", "truncated:width=0,k=0"], 2, ["'width'"]),
    # files
    ("dist missing", ["metrics", T, "--dist-a", "{d}/none.npy"], 2,
     ["{d}/none.npy", "does not exist"]),
    ("dist directory", ["metrics", T, "--dist-a", "{d}/adir"], 2,
     ["{d}/adir", "is a directory, not a file"]),
    ("dist csv as npy", ["metrics", T, "--dist-a", "{d}/csv.npy"], 2,
     ["{d}/csv.npy", "(it is text)", EXPECTED_NUMPY]),
    ("dist pickle", ["metrics", T, "--dist-b", "{d}/pickle.npy"], 2,
     ["{d}/pickle.npy", "Python pickle", EXPECTED_NUMPY]),
    ("dist object array", ["metrics", T, "--dist-a", "{d}/objects.npy"], 2,
     ["{d}/objects.npy", "Python objects", EXPECTED_NUMPY]),
    ("dist object npz", ["metrics", T, "--dist-joint", "{d}/objects.npz"], 2,
     ["{d}/objects.npz", "Python objects"]),
    ("dist empty", ["metrics", T, "--dist-a", "{d}/empty.npy"], 2,
     ["{d}/empty.npy", "(it is empty)"]),
    ("dist truncated npz", ["metrics", T, "--dist-a", "{d}/cut.npz"], 2,
     ["{d}/cut.npz", "cannot be read"]),
    ("dist corrupt compressed npz", ["metrics", T, "--dist-a", "{d}/badz.npz"], 2,
     ["{d}/badz.npz", "cannot be read"]),
    ("workload pickle", ["metrics", "mac:a_width=4,b_width=4", "--workload",
                         "{d}/objects.npz"], 2, ["workload file", "{d}/objects.npz"]),
    ("synth workload text", ["synth", T, "--workload", "{d}/csv.npy"], 2,
     ["workload file", "{d}/csv.npy", "(it is text)"]),
    ("dnn data directory", ["dnn", T, "--data", "{d}/adir"], 2,
     ["data file", "{d}/adir", "is a directory"]),
    ("liberty directory", ["synth", T, "--liberty", "{d}/adir"], 2,
     ["Liberty file {d}/adir is a directory"]),
    ("cell models directory", ["synth", T, "--cells-v", "{d}/adir"], 2,
     ["Cell models file {d}/adir is a directory"]),
    ("verilog directory", ["import-verilog", "{d}/adir", "--top", "m"], 2,
     ["Verilog file '{d}/adir' is a directory"]),
    ("output under a file", ["metrics", T, "--per-weight", "{d}/afile/pw.npz"], 2,
     ["cannot write {d}/afile/pw.npz", "a part of the path is a file"]),
    ("output is a directory", ["metrics", T, "--per-weight", "{d}/adir"], 2,
     ["cannot write {d}/adir: it is a directory"]),
    ("output dir is a file", ["generate", T, "-o", "{d}/afile", "--no-lint"], 2,
     ["{d}/afile"]),
    ("plot dir under a file", ["metrics", T, "--plot", "{d}/afile/plots"], 2,
     ["{d}/afile/plots"]),
    ("lut output is a directory", ["lut", T, "-o", "{d}/adir", "--format", "npy"], 2,
     ["cannot write {d}/adir: it is a directory"]),
    # numbers
    ("negative seed", ["metrics", T, "--seed", "-1"], 2, ["--seed", "-1"]),
    ("seed too large", ["metrics", T, "--seed", str(MAX_SEED + 1)], 2, ["--seed"]),
    ("verify negative seed", ["verify", T, "--seed", "-5"], 2, ["--seed", "-5"]),
    ("synth negative seed", ["synth", T, "--seed", "-5"], 2, ["--seed", "-5"]),
    ("absurd samples", ["metrics", T, "--samples", str(10 ** 15)], 2,
     ["--samples", f"at most {MAX_SAMPLES}"]),
    ("samples not a number", ["metrics", T, "--samples", "1e6"], 2, ["--samples", "'1e6'"]),
    ("absurd GEMMs", ["metrics", "systolic:rows=2,cols=2,a_width=4,b_width=4", "--samples",
                      str(10 ** 9)], 2, ["--samples 1000000000 would need about"]),
    ("absurd vectors", ["verify", "truncated:width=12,k=2", "--vectors", str(10 ** 14)], 2,
     ["--vectors 100000000000000 would need about", "use at most"]),
    ("absurd synth vectors", ["synth", T, "--vectors", str(10 ** 14)], 2,
     ["--vectors 100000000000000 would need about"]),
    ("absurd tiles", ["verify", "systolic:rows=2,cols=2,a_width=4,b_width=4", "--tiles",
                      "100000000"], 2, ["--tiles 100000000 would need about"]),
    ("zero workers", ["metrics", T, "--workers", "0"], 2, ["--workers", "not 0"]),
    ("negative workers", ["metrics", T, "--workers", "-3"], 2, ["--workers", "not -3"]),
    ("zero timeout", ["prove", T, "--timeout", "0"], 2, ["--timeout", "not 0"]),
    ("nan timeout", ["prove", T, "--timeout", "nan"], 2, ["--timeout", "not nan"]),
    ("huge period", ["synth", T, "--period", "1e300"], 2, ["--period", "1e300"]),
    ("negative period", ["synth", T, "--period", "-1"], 2, ["--period"]),
    ("nan max-loss", ["dnn", T, "--max-loss", "nan"], 2, ["--max-loss"]),
    ("dot of zero terms", ["metrics", T, "--dot", "0"], 2, ["--dot"]),
    ("zero GEMM rows", ["metrics", "systolic:rows=2,cols=2", "--m", "0"], 2, ["--m"]),
    ("workload with vectorless", ["synth", T, "--workload", "{d}/ab.npz", "--activity",
                                  "vectorless"], 2, ["--workload", "vectorless"]),
]


@pytest.mark.parametrize("argv,status,needles",
                         [pytest.param(a, s, n, id=i) for i, a, s, n in MATRIX])
def test_bad_input(argv, status, needles, files, capsys):
    d = str(files)
    code, _, err = run_here([a.replace("{d}", d) for a in argv], capsys)
    assert_one_line(code, err, status, *(n.replace("{d}", d) for n in needles))


@pytest.mark.skipif(not OSU018_LIBERTY.exists(), reason="OSU018 liberty not installed")
def test_nan_in_liberty(files, capsys):
    line = (files / "nan.line").read_text()
    code, _, err = run_here(["synth", T, "--no-baseline", "--liberty",
                             str(files / "nan.lib")], capsys)
    assert_one_line(code, err, 2, f"Liberty file {files / 'nan.lib'}, line {line}: 'nan' is "
                                  f"not a finite number")


# -- the environment: AXHDL_CACHE ------------------------------------------------------------


@pytest.mark.parametrize("where,needle", [
    ("afile", "AXHDL_CACHE: cannot use {d}/afile: it is a file, not a directory"),
    ("afile/cache", "AXHDL_CACHE: cannot use {d}/afile/cache: a part of the path is a file"),
])
def test_unusable_cache(where, needle, files, capsys, monkeypatch):
    monkeypatch.setenv("AXHDL_CACHE", str(files / where))
    code, _, err = run_here(["synth", T, "--no-baseline"], capsys)
    assert_one_line(code, err, 2, needle.replace("{d}", str(files)))


def test_cache_stage_folder_is_a_file(files, capsys, monkeypatch):
    """Cache damage that no digest can see: a stage's folder replaced by a file."""
    cache = files / "cache"
    (cache / "implement").parent.mkdir()
    (cache / "implement").write_text("x")
    monkeypatch.setenv("AXHDL_CACHE", str(cache))
    code, _, err = run_here(["synth", T, "--no-baseline"], capsys)
    assert_one_line(code, err, 2, f"cannot write the cache {cache / 'implement'}: it is a "
                                  f"file, not a directory")


def _fail_under(monkeypatch, module, name: str, root: Path, code: int, argument: int = 0):
    """Make ``module.name(...)`` fail with ``OSError(code)`` for paths under ``root``."""
    real = getattr(module, name)

    def fake(*args, **kwargs):
        target = kwargs.get("dir") if name == "mkdtemp" else args[argument]
        if target is not None and str(target).startswith(str(root)):
            raise OSError(code, os.strerror(code), str(target))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, fake)


@pytest.mark.parametrize("code,status,reason", [
    (errno.EACCES, 2, "Permission denied"),
    (errno.EROFS, 2, "Read-only file system"),
    (errno.ENOSPC, 1, "No space left on device"),
])
def test_cache_not_writable(code, status, reason, files, capsys, monkeypatch):
    cache = files / "cache"
    monkeypatch.setenv("AXHDL_CACHE", str(cache))
    _fail_under(monkeypatch, tempfile, "mkdtemp", cache, code)
    code_, _, err = run_here(["synth", T, "--no-baseline"], capsys)
    assert_one_line(code_, err, status, f"cannot write the cache {cache}/", reason)


@pytest.mark.parametrize("code,status,reason", [
    (errno.EACCES, 2, "Permission denied"),
    (errno.ENOSPC, 1, "No space left on device"),
    (errno.EDQUOT, 1, "Disk quota exceeded"),
])
def test_output_not_writable(code, status, reason, files, capsys, monkeypatch):
    out = files / "out"
    _fail_under(monkeypatch, os, "replace", out, code, argument=1)
    target = out / "pw.npz"
    code_, _, err = run_here(["metrics", T, "--per-weight", str(target)], capsys)
    assert_one_line(code_, err, status, f"cannot write {target}: {reason}")
    assert [p.name for p in out.iterdir()] == []  # the temporary file is gone too


def test_output_to_a_device(files, capsys):
    """A device is written in place (never replaced by a regular file); a full one is one
    line, exit 1."""
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full")
    code, _, err = run_here(["metrics", T, "--per-weight", "/dev/full"], capsys)
    assert_one_line(code, err, 1, "cannot write /dev/full: No space left on device")
    assert Path("/dev/full").is_char_device()


@pytest.mark.parametrize("value", ["many", "0", "-3", "2000"])
def test_bad_workers_variable(capsys, monkeypatch, value):
    """Not clamped: a worker count outside 1..1024 is refused like --workers."""
    monkeypatch.setenv("AXHDL_WORKERS", value)
    code, _, err = run_here(["metrics", "truncated:width=10,k=2"], capsys)
    assert_one_line(code, err, 2, f"AXHDL_WORKERS must be an integer in 1..1024, not '{value}'")


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_workers_argument(value):
    with pytest.raises(InputError) as e:
        characterize(make_unit("truncated:width=4,k=2"), workers=value)
    assert str(e.value) == f"workers must be a positive integer, not {value!r}"


# -- as a program: standard output, PATH ------------------------------------------------------


def run_program(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*AXHDL, *args], capture_output=kwargs.pop("capture", True),
                          text=True, timeout=120, **kwargs)


def test_stdout_full():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*AXHDL, "metrics", T], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert_one_line(proc.returncode, proc.stderr, 1,
                    "axhdl metrics: cannot write to standard output: No space left on device")


def test_stdout_closed():
    """The reader left before anything was written (``axhdl list | head -1`` at its worst):
    a quiet exit, status 1."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([*AXHDL, "list"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert proc.stderr == ""


def _path_without(tmp_path: Path, *names: str) -> str:
    """A PATH of one folder: links to every program on this PATH but ``names``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for entry in os.environ["PATH"].split(os.pathsep)[::-1]:
        try:
            programs = list(Path(entry).iterdir())
        except OSError:
            continue
        for prog in programs:
            if prog.name in names or not os.access(prog, os.X_OK):
                continue
            link = folder / prog.name
            if link.is_symlink():
                link.unlink()
            link.symlink_to(prog.resolve())
    return str(folder)


@pytest.mark.parametrize("argv", [
    ["verify", T, "--sim", "verilator"],
    ["generate", T, "-o", "OUT"],
])
def test_missing_perl(argv, tmp_path):
    if shutil.which("perl") is None:
        pytest.skip("perl is not installed here: nothing to take away")
    path = _path_without(tmp_path, "perl", *(f"perl5.{v}" for v in range(30, 50)))
    env = {**os.environ, "PATH": path}
    proc = run_program([a.replace("OUT", str(tmp_path / "out")) for a in argv], env=env)
    assert_one_line(proc.returncode, proc.stderr, 2,
                    "perl (Verilator needs it) not found; install it with: "
                    "sudo apt-get install -y perl")


def test_program_bad_input_has_no_traceback(files):
    """The program as a user runs it: a fault deep in a run is one line too."""
    proc = run_program(["metrics", T, "--dist-a", str(files / "objects.npy")])
    assert_one_line(proc.returncode, proc.stderr, 2, str(files / "objects.npy"))


def test_full_disk_inside_a_stage(tmp_path, monkeypatch):
    """A stage that runs out of disk while writing its files (a tool's write carries no file
    name): one error naming the cache folder, exit 1, and nothing half-written left."""
    from axhdl import results
    from axhdl.errors import OutputError

    monkeypatch.setenv("AXHDL_CACHE", str(tmp_path / "cache"))

    def compute(work):
        (work / "netlist.v").write_text("module")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError) as e:
        results.cached_stage("full-test", [1], compute)
    assert e.value.exit_status == 1
    message = str(e.value)
    assert message.startswith(f"cannot write the cache {tmp_path / 'cache' / 'full-test'}/.")
    assert message.endswith(": No space left on device")
    assert list((tmp_path / "cache" / "full-test").iterdir()) == []


def test_tool_needing_missing_perl(tmp_path):
    """A perl script run as a tool where perl is missing: the missing tool and its install
    command, not the tool's failure."""
    if shutil.which("perl") is None:
        pytest.skip("perl is not installed here: nothing to take away")
    tool = tmp_path / "tool.pl"
    tool.write_text("#!/usr/bin/env perl\nprint 1;\n")
    tool.chmod(0o755)
    path = _path_without(tmp_path, "perl", *(f"perl5.{v}" for v in range(30, 50)))
    code = ("import sys\nfrom axhdl.errors import ToolMissingError\n"
            "from axhdl.toolchain import run_tool\n"
            "try:\n    run_tool([sys.argv[1]])\n"
            "except ToolMissingError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tool)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PATH": path})
    assert proc.stdout == ("perl (tool.pl needs it) not found; install it with: "
                           "sudo apt-get install -y perl\n"), proc.stderr


@pytest.mark.parametrize("growth,largest", [(1.0, (1 << 30) // 1000), (2.0, 1036)])
def test_memory_bound(growth, largest, monkeypatch):
    """Half of the memory available is the budget; the largest value that fits is named:
    2 GiB available, 1000 bytes per item (or per item squared): 2^30 / 1000 = 1073741 items,
    sqrt(1073741.8) = 1036.2."""
    from axhdl.commands import _common
    from axhdl.errors import InputError

    monkeypatch.setattr(_common, "available_memory", lambda: 2 << 30)
    _common.check_memory("--n", largest, 1000, growth)
    with pytest.raises(InputError) as e:
        _common.check_memory("--n", largest + 1, 1000, growth)
    assert str(e.value).endswith(f"more than half of the 2 GB available; use at most {largest}")
