"""Third-party Verilog multipliers as units: the ``verilog`` family.

A combinational multiplier from elsewhere (EvoApproxLib, a paper's artefact, a gate-level
netlist) becomes a unit like any generated one::

    verilog:path=mul8_xxx.v,top=mul8_xxx,a=A,b=B,p=O

Importing (:func:`import_verilog`) runs Verilator (W. Snyder et al., https://verilator.org):

1. ``verilator --json-only`` parses and elaborates the file; the JSON tree gives the top
   module's ports and their widths and reveals state, which is refused with one line naming
   the file, the module, the line and what was found: edge-triggered logic (``always_ff``,
   ``@(posedge …)``: registers, clocks made inside), ``always_latch``, ``initial`` blocks and
   initial values (``reg s = 0``), always blocks that read a variable before assigning it (a
   running value) or, with an explicit sensitivity list, read a signal they are not sensitive
   to (a held value); Verilator's lint pass adds the latches it infers (not every path of a
   combinational block assigns a variable);
2. ``verilator --cc`` translates the design to C++, compiled with a small harness (the
   package file ``axhdl/data/harness.cpp``) that evaluates operand code pairs in one process:
   every pair when the operand widths total at most 16 bits (the table is stored), otherwise
   pairs on demand; Verilator's run-time library is compiled once
   (:mod:`axhdl.verilator_runtime`); the pairs are evaluated a second time in another order,
   and a module whose outputs differ (state the parse tree hid, e.g. a latch on part of a
   vector) or whose evaluation does not settle (a combinational loop) is refused too;
3. the harness, the table and the port description are cached under
   ``results.cache_dir()/imported``, keyed by the SHA-256 of the file, the top module, the
   port names and the Verilator version.

The unit's golden model looks results up in that table (or asks the harness); its Verilog is
the file itself, plus, unless the ports already are ``a``, ``b``, ``p`` of full width, a thin
wrapper module (named ``name``, default ``<top>_axhdl``) with ports ``a``, ``b``, ``p`` that
instantiates the top module, so verification and synthesis treat it like a generated unit.
Operand values are given in the operand codes the circuit sees (two's complement when
``signed``); the output is read as a ``p``-bit two's-complement or unsigned value shifted left
by ``shift`` bits (for circuits that only output the high part of the product).
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import re
import shutil
import string
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import verilator_runtime
from .errors import InputError, ToolFailedError
from .params import REQUIRED, Param, validate_params
from .processes import stamp, sweep_stamped
from .registry import register
from .results import (
    atomic_write,
    cache_dir,
    content_hash,
    dir_mode,
    discard_damaged,
    entry_damage,
    file_hash,
    input_file,
    make_dirs,
    publish_entry,
    write_digest,
)
from .toolchain import find, run_tool
from .unit import ArithmeticUnit, VerilogSource, from_code, to_code

__all__ = [
    "MAX_TABLE_WIDTH",
    "Port",
    "ImportedCircuit",
    "inspect_verilog",
    "import_verilog",
    "VerilogUnit",
]

#: operand widths (a + b) up to which the whole result table is computed and stored
MAX_TABLE_WIDTH = 16

#: bumped whenever the harness, the checks or the cache layout change (2: state detection,
#: entries with a digest)
HARNESS_VERSION = 2

_DEFINES = [
    "-DVERILATOR=1", "-DVM_COVERAGE=0", "-DVM_SC=0", "-DVM_TIMING=0", "-DVM_TRACE=0",
    "-DVM_TRACE_FST=0", "-DVM_TRACE_VCD=0", "-DVM_TRACE_SAIF=0",
]
_CXXFLAGS = ["-O1", "-w"]
#: the run-time library is compiled once and hardly used by the harness: compile it quickly
_RUNTIME_CXXFLAGS = ["-O0", "-w"]
#: the run-time library files the harness links
_RUNTIME_SOURCES = ("verilated.cpp", "verilated_threads.cpp")
_VERILATOR_FLAGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "--no-timing"]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


@dataclass(frozen=True)
class Port:
    """A port of the imported module."""

    name: str
    direction: str  # "input", "output" or "inout"
    width: int

    def describe(self) -> str:
        return f"{self.name} ({self.direction}, {self.width} bit{'s' if self.width > 1 else ''})"


# -- step 1: what the file holds ---------------------------------------------------------------


def _modules_in(text: str) -> list[str]:
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
    return re.findall(r"\b(?:module|macromodule)\s+([A-Za-z_][A-Za-z0-9_$]*)", text)


def _verilator_errors(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if "See the manual" not in ln]
    return "\n".join(lines[:20])


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            if isinstance(v, (list, dict)):
                yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _width_of(dtype: dict | None, path: Path, port: str) -> int:
    if dtype is None or dtype.get("type") != "BASICDTYPE":
        kind = "unknown" if dtype is None else dtype.get("type", "unknown").lower()
        raise InputError(
            f"{path}: port '{port}' has a {kind} type; only plain vectors ([msb:lsb]) can be "
            f"imported"
        )
    rng = dtype.get("range")
    if not rng:
        return 1
    msb, lsb = (int(x) for x in rng.split(":"))
    return abs(msb - lsb) + 1


def _sequential(path: Path, top: str, finding: str) -> InputError:
    return InputError(
        f"{path}: module '{top}' is sequential ({finding}); only combinational multipliers "
        f"can be imported"
    )


def _line(node: dict) -> str:
    return node.get("loc", ",?").split(",")[1].split(":")[0]


def _eval_order(node):
    """The VARREF nodes under ``node`` in evaluation order (an assignment's right-hand side
    before its left-hand side)."""
    if isinstance(node, list):
        for v in node:
            yield from _eval_order(v)
    elif isinstance(node, dict):
        if node.get("type") == "VARREF":
            yield node
            return
        keys = list(node)
        if node.get("type") in ("ASSIGN", "ASSIGNDLY", "ASSIGNW"):
            keys.sort(key=lambda k: k == "lhsp")
        for k in keys:
            if isinstance(node[k], (list, dict)):
                yield from _eval_order(node[k])


#: variables that are constants, not state
_CONSTANT_VARS = ("LPARAM", "GPARAM", "GENVAR")


def _check_state(path: Path, top: str, modules: list[dict]) -> None:
    """Refuse every kind of state Verilator's parse tree shows: edge-triggered logic (flip-flops,
    clocks made inside), ``always_latch``, ``initial`` blocks and initial values, always blocks
    that read a variable before they assign it (a running value, or a loop) and level-sensitive
    blocks that read what they are not sensitive to (they hold earlier values)."""
    for mod in modules:  # flip-flops first: the plainest finding
        for node in _walk(mod):
            kind = node.get("type")
            edge = kind == "SENITEM" and node.get("edgeType") in ("POS", "NEG", "BOTH", "EDGE")
            if edge or (kind == "ALWAYS" and node.get("keyword") == "always_ff"):
                raise _sequential(path, top, f"edge-triggered logic in module "
                                             f"'{mod.get('origName')}', line {_line(node)}")
    for mod in modules:
        name = mod.get("origName")
        constants = {n["addr"] for n in _walk(mod) if n.get("type") == "VAR"
                     and n.get("varType") in _CONSTANT_VARS and "addr" in n}
        for node in _walk(mod):
            kind = node.get("type")
            if kind == "ALWAYS" and node.get("keyword") == "always_latch":
                raise _sequential(path, top,
                                  f"a latch: always_latch in module '{name}', line {_line(node)}")
            if kind in ("INITIAL", "FINAL") and not _constant_assign(node):
                raise _sequential(path, top,
                                  f"an initial block in module '{name}', line {_line(node)}")
            if kind == "INITIALSTATIC":
                var = next((r["name"] for r in _eval_order(node.get("stmtsp", []))
                            if r.get("access") == "WR"), "?")
                raise _sequential(
                    path, top,
                    f"an initial value of '{var}' in module '{name}', line {_line(node)}")
            if kind == "ALWAYS" and node.get("keyword") in ("always", "always_comb"):
                _check_always(path, top, name, node, constants)


def _constant_assign(node: dict) -> bool:
    """Whether an INITIAL node is Verilator's form of continuous constant assignments
    (``assign w = 3'h0;``, which Amaranth writes for unused constants): every statement assigns
    a constant and sits where the node itself sits (a written ``initial`` block starts at its
    keyword, before the ``=`` of its first assignment)."""
    stmts = node.get("stmtsp", [])
    return node.get("type") == "INITIAL" and bool(stmts) and all(
        st.get("type") == "ASSIGN" and st.get("loc") == node.get("loc")
        and [r.get("type") for r in st.get("rhsp", [])] == ["CONST"]
        for st in stmts)


def _check_always(path: Path, top: str, module: str, node: dict, constants: set) -> None:
    refs = [r for r in _eval_order(node.get("stmtsp", [])) if r.get("varp") not in constants]
    written = {r["name"] for r in refs if r.get("access") in ("WR", "RW")}
    first: dict[str, str] = {}
    for r in refs:
        first.setdefault(r["name"], r.get("access", "RD"))
    where = f"the always block in module '{module}', line {_line(node)}"
    for var, access in first.items():
        if access != "WR" and var in written:
            raise _sequential(path, top,
                              f"a running value: {where}, reads '{var}' before assigning it")
    senses = [i for t in node.get("sentreep", []) for i in t.get("sensesp", [])]
    if senses:  # an explicit level-sensitive list: @(a or b)
        heard = {r["name"] for i in senses for r in _eval_order(i.get("sensp", []))}
        for var, access in first.items():
            if access == "RD" and var not in heard:
                raise _sequential(
                    path, top, f"a held value: {where}, reads '{var}' but is not sensitive to it")


_LATCH = re.compile(r"%Warning-LATCH: [^\n]*?:(\d+):\d+: Latch inferred for signal '([^']+)'")


def _check_latches(path: Path, top: str, modules: list[dict]) -> None:
    """Refuse latches Verilator infers in combinational always blocks (not every path assigns
    a variable): its lint pass reports them."""
    proc = run_tool(
        [find("verilator"), "--lint-only", *_VERILATOR_FLAGS, "-Wwarn-LATCH", "--top-module",
         top, str(path)],
        what="verilator --lint-only", check=False, timeout=120,
    )
    m = _LATCH.search(proc.stderr)
    if not m:
        return
    line, var = m.group(1), m.group(2).split(".")[-1]
    module = next((mod.get("origName") for mod in modules for n in _walk(mod)
                   if n.get("type") == "ALWAYS" and _line(n) == line), top)
    raise _sequential(path, top, f"a latch: not every path of the always block in module "
                                 f"'{module}', line {line}, assigns '{var}'")


def inspect_verilog(path, top: str) -> dict[str, Port]:
    """The ports of module ``top`` in ``path`` (by name, in declaration order).

    Raises :class:`InputError` for a missing file, a file Verilator cannot compile (with its
    messages), a missing top module and sequential logic."""
    path = input_file(path, "Verilog file")
    text = path.read_text(errors="replace")
    with tempfile.TemporaryDirectory(prefix="axhdl-inspect-") as tmp:
        proc = run_tool(
            [find("verilator"), "--json-only", *_VERILATOR_FLAGS, "--top-module", top,
             "--Mdir", tmp, "--prefix", "Vaxhdl", str(path)],
            what="verilator --json-only", check=False, timeout=120,
        )
        if proc.returncode != 0:
            if "was not found in design" in proc.stderr:
                found = _modules_in(text)
                raise InputError(
                    f"{path}: no module '{top}'; modules in the file: "
                    f"{', '.join(found) if found else 'none'}"
                )
            raise InputError(
                f"{path}: Verilator cannot compile it:\n{_verilator_errors(proc.stderr)}"
            )
        tree = json.loads((Path(tmp) / "Vaxhdl.tree.json").read_text())
    types = {n["addr"]: n for n in _walk(tree.get("miscsp", [])) if "addr" in n}
    modules = [m for m in tree.get("modulesp", []) if m.get("type") == "MODULE"]
    top_mod = next((m for m in modules if m.get("origName") == top), None)
    if top_mod is None:
        raise InputError(f"{path}: no module '{top}'")
    _check_state(path, top, modules)
    _check_latches(path, top, modules)
    ports: dict[str, Port] = {}
    for node in top_mod.get("stmtsp", []):
        if node.get("type") == "VAR" and node.get("direction") in ("INPUT", "OUTPUT", "INOUT"):
            width = _width_of(types.get(node.get("dtypep")), path, node["origName"])
            ports[node["origName"]] = Port(node["origName"], node["direction"].lower(), width)
    return ports


def _check_ports(path: Path, top: str, ports: dict[str, Port], a: str, b: str, p: str):
    listing = ", ".join(q.describe() for q in ports.values()) or "none"
    for role, name, direction in (("a", a, "input"), ("b", b, "input"), ("p", p, "output")):
        if name not in ports:
            raise InputError(
                f"{path}: module '{top}' has no port '{name}' (given as {role}); its ports: "
                f"{listing}"
            )
        if ports[name].direction != direction:
            raise InputError(
                f"{path}: port '{name}' of module '{top}' is an {ports[name].direction}; "
                f"{role} must be an {direction}"
            )
    if len({a, b, p}) != 3:
        raise InputError(f"{path}: a, b and p must be three different ports, not {a}, {b}, {p}")
    for role, name in (("a", a), ("b", b)):
        w = ports[name].width
        if w > 32:
            raise InputError(
                f"{path}: port '{name}' ({role}) of module '{top}' is {w} bits wide; operands "
                f"may be 1..32 bits"
            )
    others = [q for q in ports.values() if q.direction != "output" and q.name not in (a, b)]
    if others:
        raise InputError(
            f"{path}: module '{top}' has inputs besides a and b: "
            f"{', '.join(q.describe() for q in others)}; only a x b -> p modules can be "
            f"imported"
        )


# -- step 2: compile the harness ---------------------------------------------------------------

def _harness_source(**fields) -> str:
    """The harness C++ (package data ``axhdl/data/harness.cpp``, a :class:`string.Template`)
    with ``top``, ``a``, ``b``, ``p``, ``mask``, ``na`` and ``nb`` filled in."""
    text = importlib.resources.files("axhdl").joinpath("data/harness.cpp").read_text()
    return string.Template(text).substitute(**fields)


def _verilator_version() -> str:
    try:
        return importlib.metadata.version("verilator")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _build(work: Path, src: Path, top: str, ports: dict[str, Port], a: str, b: str, p: str):
    """Verilate ``src`` and link it with the harness into ``work/harness``."""
    obj = work / "obj"
    run_tool(
        [find("verilator"), "--cc", *_VERILATOR_FLAGS, "--top-module", top, "--prefix",
         "Vaxhdl", "--Mdir", str(obj), str(src)],
        what="verilator --cc", timeout=300,
    )
    pw = ports[p].width
    mask = (1 << pw) - 1 if pw < 64 else (1 << 64) - 1
    (obj / "harness.cpp").write_text(_harness_source(
        top=top, a=a, b=b, p=p, mask=hex(mask), na=ports[a].width, nb=ports[b].width))
    cxx = verilator_runtime.find_cxx()
    includes = verilator_runtime.include_flags()
    runtime, todo = verilator_runtime.plan_objects(
        _RUNTIME_SOURCES, cxx=cxx, flags=_RUNTIME_CXXFLAGS, defines=_DEFINES)
    # one translation unit: the generated model and the harness (verilated.h parsed once)
    design = sorted(f.name for f in obj.glob("Vaxhdl*.cpp"))
    (obj / "unity.cpp").write_text(
        "".join(f'#include "{d}"\n' for d in design) + '#include "harness.cpp"\n')
    cmds = [*(t.command for t in todo),
            [cxx, *_CXXFLAGS, "-I.", *includes, *_DEFINES, "-c", "unity.cpp"]]
    compiled = False
    try:
        with ThreadPoolExecutor(max_workers=2) as ex:
            futures = [ex.submit(run_tool, c, cwd=obj, what="c++", timeout=600) for c in cmds]
            for f in futures:
                f.result()
        compiled = True
    finally:
        verilator_runtime.commit_objects(todo, ok=compiled)
    run_tool([cxx, str(obj / "unity.o"), *(str(r) for r in runtime), "-pthread", "-o",
              str(work / "harness")], cwd=obj, what="c++ (link)", timeout=300)
    shutil.rmtree(obj, ignore_errors=True)


# -- step 3: the cached import -----------------------------------------------------------------


@dataclass
class ImportedCircuit:
    """An imported module: its ports, the compiled harness and (small widths) the table."""

    source: str  # the path it was imported from
    sha256: str
    top: str
    a: Port
    b: Port
    p: Port
    ports: tuple[Port, ...]
    directory: Path  # the cache entry

    @property
    def harness(self) -> Path:
        return self.directory / "harness"

    @property
    def verilog_path(self) -> Path:
        """The copy of the source the harness was built from."""
        return self.directory / "source.v"

    @property
    def table_path(self) -> Path | None:
        path = self.directory / "table.npy"
        return path if path.exists() else None

    def table(self) -> np.ndarray | None:
        """Output codes, shape ``(2^a_width, 2^b_width)``, indexed by operand codes."""
        path = self.table_path
        if path is None:
            return None
        flat = np.load(path)
        return flat.reshape(1 << self.a.width, 1 << self.b.width)

    def evaluate(self, codes_a, codes_b) -> np.ndarray:
        """Output codes for operand code pairs, by running the harness (int64)."""
        return _evaluate(self.harness, self.top, codes_a, codes_b)


def _evaluate(harness: Path, top: str, codes_a, codes_b) -> np.ndarray:
    """Output codes of the compiled ``harness`` for operand code pairs, in order (int64)."""
    ca = np.asarray(codes_a, dtype=np.uint64).ravel()
    cb = np.asarray(codes_b, dtype=np.uint64).ravel()
    if ca.size == 0:
        return np.zeros(0, dtype=np.int64)
    with tempfile.TemporaryDirectory(prefix="axhdl-eval-") as tmp:
        pairs = np.empty(2 * ca.size, dtype="<u8")
        pairs[0::2], pairs[1::2] = ca, cb
        pairs.tofile(Path(tmp) / "in.bin")
        run_tool([str(harness), "eval", str(Path(tmp) / "in.bin"),
                  str(Path(tmp) / "out.bin")], what=f"{top} harness", timeout=3600)
        out = np.fromfile(Path(tmp) / "out.bin", dtype="<u8")
    return out.astype(np.int64)


#: operand pairs evaluated twice, in two orders, when the table is not stored
HISTORY_SAMPLES = 4096


def _check_history(path: Path, top: str, harness: Path, table, ports, a: str, b: str,
                   p: str) -> None:
    """Refuse a module whose outputs depend on earlier inputs (state the parse tree did not
    show, such as a latch on part of a vector): the pairs evaluated again in another order
    must give the same results."""
    na, nb = ports[a].width, ports[b].width
    rng = np.random.default_rng(0)
    if table is not None:
        order = rng.permutation(table.size).astype(np.uint64)
        ca, cb, first = order >> np.uint64(nb), order & np.uint64((1 << nb) - 1), table[order]
    else:
        ca = rng.integers(0, 1 << na, HISTORY_SAMPLES, dtype=np.uint64)
        cb = rng.integers(0, 1 << nb, HISTORY_SAMPLES, dtype=np.uint64)
        first = _evaluate(harness, top, ca, cb)
        ca, cb, first = ca[::-1], cb[::-1], first[::-1]
    again = _evaluate(harness, top, ca, cb)
    bad = np.flatnonzero(again != first)
    if bad.size:
        i = bad[0]
        raise _sequential(
            path, top, f"its output depends on earlier inputs: {a}={int(ca[i])}, "
                       f"{b}={int(cb[i])} gave {p}={int(first[i])}, then {p}={int(again[i])}")


def _load_meta(entry: Path) -> ImportedCircuit:
    meta = json.loads((entry / "meta.json").read_text())
    ports = tuple(Port(**q) for q in meta["ports"])
    by_name = {q.name: q for q in ports}
    return ImportedCircuit(meta["source"], meta["sha256"], meta["top"], by_name[meta["a"]],
                           by_name[meta["b"]], by_name[meta["p"]], ports, entry)


def import_verilog(path, top: str, a: str = "a", b: str = "b", p: str = "p",
                   check=None) -> ImportedCircuit:
    """Import module ``top`` of ``path`` (cached by file content, ports and Verilator version).

    Every problem is one :class:`InputError`: missing file, syntax error (with Verilator's
    messages), missing top module, missing port, port of the wrong direction or width, other
    inputs, sequential logic. ``check(a_port, b_port, p_port)``, if given, may refuse the
    ports before anything is built."""
    path = input_file(path, "Verilog file")
    sha = file_hash(path)
    key = content_hash("imported", HARNESS_VERSION, sha, top, a, b, p, _verilator_version())
    root = cache_dir() / "imported"
    entry = root / key[:24]
    if entry.exists() or entry.is_symlink():
        circuit, reason = _read_entry(entry)
        if circuit is not None:
            if check is not None:
                check(circuit.a, circuit.b, circuit.p)
            return circuit
        discard_damaged(entry, reason)
    ports = inspect_verilog(path, top)
    _check_ports(path, top, ports, a, b, p)
    if check is not None:
        check(ports[a], ports[b], ports[p])
    make_dirs(root, "cannot write the cache")
    sweep_stamped(root)  # what killed imports left
    work = Path(tempfile.mkdtemp(prefix=f".import-{stamp()}", dir=root))
    try:
        src = work / "source.v"
        shutil.copyfile(path, src)
        if file_hash(src) != sha:
            raise InputError(f"{path}: the file changed while it was being imported")
        _build(work, src, top, ports, a, b, p)
        flat = None
        try:
            if ports[a].width + ports[b].width <= MAX_TABLE_WIDTH:
                run_tool([str(work / "harness"), "table", str(work / "table.bin")],
                         what=f"{top} harness", timeout=600)
                flat = np.fromfile(work / "table.bin", dtype="<u8").astype(np.int64)
                (work / "table.bin").unlink()
            _check_history(path, top, work / "harness", flat, ports, a, b, p)
        except ToolFailedError as e:
            if "DIDNOTCONVERGE" in str(e):
                raise _sequential(path, top, "a combinational loop: its evaluation does not "
                                             "settle") from None
            raise
        if flat is not None:
            np.save(work / "table.npy", flat)
        meta = {
            "source": str(path.resolve()), "sha256": sha, "top": top, "a": a, "b": b, "p": p,
            "ports": [asdict(q) for q in ports.values()], "verilator": _verilator_version(),
            "harness_version": HARNESS_VERSION,
        }
        atomic_write(work / "meta.json", json.dumps(meta, indent=1))
        write_digest(work)
        os.chmod(work, dir_mode())
        theirs = publish_entry(work, entry, _read_entry)  # another process may be first
        if theirs is not None:
            return theirs
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return _load_meta(entry)


def _read_entry(entry: Path) -> tuple[ImportedCircuit | None, str | None]:
    """The circuit of an intact cache entry, or (None, why it cannot be used): every file
    must match the entry's digest (:func:`axhdl.results.entry_damage`)."""
    reason = entry_damage(entry)
    if reason is not None:
        return None, reason
    try:
        circuit = _load_meta(entry)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, "meta.json is not an import description"
    if not circuit.harness.is_file() or not circuit.verilog_path.is_file():
        return None, "the harness or the source copy is missing"
    if circuit.a.width + circuit.b.width <= MAX_TABLE_WIDTH:
        try:
            table = circuit.table()
        except (OSError, ValueError, EOFError):
            return None, "table.npy is not the result table"
        if table is None:
            return None, "table.npy is missing"
    return circuit, None


# -- the unit ----------------------------------------------------------------------------------


@register
class VerilogUnit(ArithmeticUnit):
    """A third-party combinational multiplier, characterised by exhaustive simulation."""

    family = "verilog"
    description = "third-party combinational multiplier imported from a Verilog file"
    citation = (
        "the circuit's own source; simulated with Verilator (W. Snyder et al., "
        "https://verilator.org)"
    )
    notes = (
        "Widths come from the ports (a_width/b_width, if given, must match them). The result "
        "table is computed once per file content and cached; above 16 operand bits results "
        "are computed on demand by the compiled harness. verilog() is the file plus a wrapper "
        "module 'name' (default <top>_axhdl) with ports a, b, p unless the module already has "
        "exactly those ports at full width."
    )
    params = (
        Param("path", str, REQUIRED, "the Verilog file"),
        Param("top", str, REQUIRED, "the module to import"),
        Param("a", str, "a", "input port of operand a"),
        Param("b", str, "b", "input port of operand b"),
        Param("p", str, "p", "output port of the product"),
        Param("shift", int, 0, "the output holds the product shifted right by this many bits",
              min=0, max=62),
        Param("name", str, None, "module name of the wrapper (default <top>_axhdl)"),
    )

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        return (
            Param("a_width", int, None, "width of operand a (default: the port's)", min=1,
                  max=32),
            Param("b_width", int, None, "width of operand b (default: the port's)", min=1,
                  max=32),
            Param("signed", bool, False, "two's-complement operands and result"),
        ) + cls.params

    @classmethod
    def validate(cls, kwargs: dict) -> dict:
        values = validate_params(cls.family, cls.all_params(),
                                 cls.operation_class.expand_widths(kwargs))
        for key in ("top", "a", "b", "p"):
            if not _IDENT.match(values[key]):
                raise ValueError(
                    f"Parameter '{key}' must be a Verilog identifier, not {values[key]!r}")
        if values["name"] is not None and not _IDENT.match(values["name"]):
            raise ValueError(
                f"Parameter 'name' must be a Verilog identifier, not {values['name']!r}")
        path = input_file(Path(values["path"]).expanduser(), "Verilog file")
        values["path"] = str(path.resolve())
        return values

    def __init__(self, **kwargs):
        values = type(self).validate(kwargs)

        def check(a: Port, b: Port, p: Port) -> None:
            for key, port in (("a_width", a), ("b_width", b)):
                if values[key] is not None and values[key] != port.width:
                    raise InputError(
                        f"{values['path']}: port '{port.name}' of module '{values['top']}' is "
                        f"{port.width} bits wide, but {key}={values[key]} was given"
                    )
            full = a.width + b.width
            if p.width + values["shift"] > full:
                raise InputError(
                    f"{values['path']}: output port '{p.name}' of module '{values['top']}' is "
                    f"{p.width} bits wide"
                    + (f" (shifted by {values['shift']})" if values["shift"] else "")
                    + f", wider than a_width + b_width = {full}"
                )

        circuit = import_verilog(values["path"], values["top"], values["a"], values["b"],
                                 values["p"], check=check)
        values["a_width"], values["b_width"] = circuit.a.width, circuit.b.width
        self._params = values
        self._circuit = circuit
        self._table = circuit.table()
        if self._params["name"] is not None and self._params["name"] != self.top:
            modules = _modules_in(circuit.verilog_path.read_text(errors="replace"))
            if self._params["name"] in modules:
                raise ValueError(
                    f"Parameter 'name' ({self._params['name']!r}) names a module that "
                    f"{values['path']} already defines"
                )
        if self._params["name"] == self.top and self.needs_wrapper:
            raise ValueError(
                f"Parameter 'name' ({self.top!r}) must differ from 'top' when the ports are "
                f"not a, b, p of full width (a wrapper module is needed)"
            )

    # -- facts ----------------------------------------------------------------------------

    @property
    def circuit(self) -> ImportedCircuit:
        return self._circuit

    @property
    def top(self) -> str:
        return self._params["top"]

    @property
    def shift(self) -> int:
        return self._params["shift"]

    @property
    def needs_wrapper(self) -> bool:
        """True unless the module already has exactly the ports a, b and p at full width."""
        c = self._circuit
        return not (
            (c.a.name, c.b.name, c.p.name) == ("a", "b", "p")
            and c.p.width == self.p_width
            and self.shift == 0
            and len(c.ports) == 3
            and self._params["name"] in (None, self.top)
        )

    @property
    def name(self) -> str:
        if self._params["name"] is not None:
            return self._params["name"]
        return f"{self.top}_axhdl" if self.needs_wrapper else self.top

    @property
    def info(self) -> dict:
        info = super().info
        info["source"] = {"path": self._circuit.source, "sha256": self._circuit.sha256,
                          "top": self.top, "table": str(self._circuit.table_path or "")}
        return info

    # -- behaviour ------------------------------------------------------------------------

    def model(self, a, b, **controls) -> np.ndarray:
        """Result of the simulated circuit: the output code read as a value, times 2^shift."""
        ca = to_code(a, self.a_width)
        cb = to_code(b, self.b_width)
        ca, cb = np.broadcast_arrays(ca, cb)
        if self._table is not None:
            raw = self._table[ca, cb]
        else:
            raw = self._circuit.evaluate(ca, cb).reshape(ca.shape)
        return from_code(raw, self._circuit.p.width, self.signed) << self.shift

    def sources(self) -> tuple[VerilogSource, ...]:
        """The wrapper module :attr:`name` with ports a, b, p (unless the module already has
        them), then the imported file."""
        text = self._circuit.verilog_path.read_text(errors="replace")
        own = VerilogSource(Path(self._circuit.source).name, text)
        if not self.needs_wrapper:
            return (own,)
        return VerilogSource(f"{self.name}.v", self._wrapper()), own

    def dependency_sources(self) -> tuple[VerilogSource, ...]:
        """A design instantiating :meth:`component` needs every file of :meth:`sources`."""
        return self.sources()

    def rtl(self, io):
        """An instance of the module :attr:`name` (the wrapper, or the imported module)."""
        from amaranth.hdl import Instance, Module

        m = Module()
        m.submodules.imported = Instance(self.name, i_a=io.a, i_b=io.b, o_p=io.p)
        return m

    def _wrapper(self) -> str:
        c, na, nb, pw = self._circuit, self.a_width, self.b_width, self.p_width
        # ports are plain vectors even for a signed unit (the sign extension below is
        # explicit): OpenSTA's Verilog reader refuses 'input signed [..]'
        up = c.p.width
        parts = []
        ext = pw - up - self.shift
        if ext > 0:
            fill = f"u_p[{up - 1}]" if self.signed else "1'b0"
            parts.append(f"{{{ext}{{{fill}}}}}")
        parts.append("u_p")
        if self.shift:
            parts.append(f"{{{self.shift}{{1'b0}}}}")
        value = parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"
        conns = [f".{c.a.name}(a)", f".{c.b.name}(b)", f".{c.p.name}(u_p)"]
        conns += [f".{q.name}()" for q in c.ports if q.name not in (c.a.name, c.b.name, c.p.name)]
        return (
            f"// axhdl wrapper: ports a, b, p around the imported module {self.top}\n"
            f"/* verilator lint_off PINCONNECTEMPTY */\n"
            f"module {self.name} (\n"
            f"    input  wire [{na - 1}:0] a,\n"
            f"    input  wire [{nb - 1}:0] b,\n"
            f"    output wire [{pw - 1}:0] p\n"
            f");\n"
            f"    wire [{up - 1}:0] u_p;\n"
            f"    {self.top} u_{self.top} ({', '.join(conns)});\n"
            f"    assign p = {value};\n"
            f"endmodule\n"
            f"/* verilator lint_on PINCONNECTEMPTY */\n"
        )
