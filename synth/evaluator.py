"""An in-process, vectorized evaluator of combinational mapped netlists.

Each cell output is computed from its liberty ``function`` on numpy boolean arrays holding one
value per clock period, in topological order; toggle counts and static probabilities follow as
in :mod:`axhdl.synth.activity`. It gives the same settled values — hence the same zero-delay
toggle counts — as the Icarus simulation of the liberty's Verilog cell models (the test suite
checks identical counts on several designs and both OSU libraries), at a fraction of the time.

Netlists with D flip-flops (MACs, systolic arrays) are evaluated cycle by cycle instead
(:class:`SequentialNetlist`, :func:`evaluate_sequential`): truth tables of the liberty
functions, cells in topological levels, the flip-flops' ``next_state`` taken at each rising
edge of the clock, several independent workload segments side by side; again the same toggle
counts as Icarus (tests/test_synth_arrays.py). Latches, tri-state cells, other clocking and
asynchronous set/reset driven by logic are not modelled; the flow simulates such netlists
with Icarus.

Liberty function syntax (Liberty Reference Manual, "function" attribute): ``!`` and postfix
``'`` invert, ``^`` is XOR, ``*``, ``&`` or a space is AND, ``+`` or ``|`` is OR, ``0``/``1``
are constants; inversion binds tightest, then XOR, then AND, then OR.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from axhdl.errors import ToolFailedError

from .liberty import Library, parse_groups

__all__ = [
    "compile_function",
    "Unsupported",
    "evaluate_activity",
    "supports",
    "FlipFlop",
    "flip_flops",
    "SequentialNetlist",
    "supports_sequential",
    "evaluate_sequential",
    "port_bits",
]

_FUNC_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_\[\]\.]*|[01]|[!'^*&+|()])")


class Unsupported(Exception):
    """The netlist holds something the evaluator does not model (state, tri-state)."""


def _tokens(text: str) -> list[str]:
    """Tokens of a liberty function, with the implicit AND between adjacent operands made
    explicit (``A B`` and ``A(B)`` are ``A*B``)."""
    raw, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _FUNC_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse liberty function {text!r} at {pos}")
        raw.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    out: list[str] = []
    for tok in raw:
        if out:
            prev = out[-1]
            ends_operand = prev in (")", "'") or re.match(r"[A-Za-z0-9_]", prev[-1])
            starts_operand = tok in ("(", "!") or re.match(r"[A-Za-z0-9_]", tok[0])
            if ends_operand and starts_operand:
                out.append("*")
        out.append(tok)
    return out


def compile_function(text: str) -> tuple[Callable[[dict], np.ndarray], set[str]]:
    """``(f, pins)``: ``f(values)`` evaluates the liberty function on boolean arrays."""
    toks = _tokens(text)
    pos = 0
    pins: set[str] = set()

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"liberty function {text!r} ends early")
        pos += 1
        return toks[pos - 1]

    def primary():
        t = take()
        if t == "!":
            inner = primary()
            node = lambda v, f=inner: ~f(v)  # noqa: E731
        elif t == "(":
            node = or_expr()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {text!r}")
        elif t in ("0", "1"):
            const = t == "1"
            node = lambda v, c=const: np.full(v["__n__"], c)  # noqa: E731
        elif re.match(r"[A-Za-z_]", t):
            pins.add(t)
            node = lambda v, name=t: v[name]  # noqa: E731
        else:
            raise ValueError(f"unexpected '{t}' in liberty function {text!r}")
        while peek() == "'":
            take()
            node = lambda v, f=node: ~f(v)  # noqa: E731
        return node

    def xor_expr():
        node = primary()
        while peek() == "^":
            take()
            rhs = primary()
            node = lambda v, a=node, b=rhs: a(v) ^ b(v)  # noqa: E731
        return node

    def and_expr():
        node = xor_expr()
        while peek() in ("*", "&"):
            take()
            rhs = xor_expr()
            node = lambda v, a=node, b=rhs: a(v) & b(v)  # noqa: E731
        return node

    def or_expr():
        node = and_expr()
        while peek() in ("+", "|"):
            take()
            rhs = and_expr()
            node = lambda v, a=node, b=rhs: a(v) | b(v)  # noqa: E731
        return node

    func = or_expr()
    if pos != len(toks):
        raise ValueError(f"trailing '{toks[pos]}' in liberty function {text!r}")
    return func, pins


def supports(library: Library, cell_types) -> bool:
    """Whether every cell type is a combinational cell with functions in ``library``."""
    return all(t in library.cells and library.cells[t].combinational for t in set(cell_types))


def evaluate_activity(
    netlist_json: str | Path,
    top: str,
    library: Library,
    codes: dict[str, np.ndarray],
    *,
    warmup: int = 0,
) -> dict:
    """Toggle rates and static probabilities of every cell output, like
    :func:`axhdl.synth.activity.simulate_activity`, by direct evaluation."""
    data = json.loads(Path(netlist_json).read_text())
    module = data["modules"][top]
    n = len(next(iter(codes.values())))
    values: dict = {}
    for name, port in module["ports"].items():
        if port["direction"] != "input":
            continue
        code = codes.get(name)
        for j, bit in enumerate(port["bits"]):
            if isinstance(bit, int):
                values[bit] = (
                    ((code >> j) & 1).astype(bool) if code is not None else np.zeros(n, bool)
                )
    const = {"0": np.zeros(n, bool), "1": np.ones(n, bool)}

    def value_of(bit):
        if isinstance(bit, str):
            if bit not in const:
                raise Unsupported(f"undriven constant {bit!r}")
            return const[bit]
        return values.get(bit)

    compiled: dict[str, dict[str, tuple]] = {}
    pending = []
    for inst, cell in module["cells"].items():
        lib_cell = library.cells.get(cell["type"])
        if lib_cell is None or not lib_cell.combinational:
            raise Unsupported(f"cell {inst} of type {cell['type']} is not combinational logic")
        if cell["type"] not in compiled:
            compiled[cell["type"]] = {
                out: compile_function(lib_cell.pins[out].function) for out in lib_cell.outputs
            }
        pending.append((inst, cell))
    order_done: dict[str, dict[str, np.ndarray]] = {}
    while pending:
        progressed = []
        rest = []
        for inst, cell in pending:
            funcs = compiled[cell["type"]]
            needed = set().union(*(pins for _, pins in funcs.values()))
            env = {"__n__": n}
            ready = True
            for pin in needed:
                bits = cell["connections"].get(pin)
                if not bits:
                    raise Unsupported(f"cell {inst} has no connection on {pin}")
                v = value_of(bits[0])
                if v is None:
                    ready = False
                    break
                env[pin] = v
            if not ready:
                rest.append((inst, cell))
                continue
            outs = {}
            for out, (f, _) in funcs.items():
                res = f(env)
                outs[out] = res
                for bit in cell["connections"].get(out, []):
                    if isinstance(bit, int):
                        values[bit] = res
            order_done[inst] = outs
            progressed.append(inst)
        if not progressed:
            raise ToolFailedError(
                f"netlist {top} has a combinational loop or undriven net near cell {rest[0][0]}"
            )
        pending = rest

    def stats(arr: np.ndarray) -> tuple[float, float]:
        counted = arr[warmup:]
        t = counted.shape[0] - 1
        if t <= 0:
            return 0.0, float(counted[0]) if counted.size else 0.0
        toggles = int(np.count_nonzero(counted[1:] != counted[:-1]))
        return toggles / t, float(np.count_nonzero(counted[1:])) / t

    per_inst = {}
    for inst, outs in order_done.items():
        pins = {}
        for out, arr in outs.items():
            rate, prob = stats(arr)
            pins[out] = {"toggle_rate": rate, "static_probability": prob}
        per_inst[inst] = {
            "pins": pins,
            "toggle_rate": sum(p["toggle_rate"] for p in pins.values()) / len(pins),
            "static_probability": sum(p["static_probability"] for p in pins.values()) / len(pins),
        }
    inputs, outputs = {}, {}
    for name, port in module["ports"].items():
        target = inputs if port["direction"] == "input" else outputs
        if port["direction"] == "input" and name not in codes:
            continue
        for j, bit in enumerate(port["bits"]):
            v = value_of(bit)
            if v is None:
                raise ToolFailedError(f"output {name}[{j}] of {top} is undriven")
            rate, prob = stats(v)
            target[f"{name}[{j}]"] = {"toggle_rate": rate, "static_probability": prob}
    return {
        "instances": per_inst,
        "inputs": inputs,
        "outputs": outputs,
        "transitions": max(n - warmup - 1, 0),
    }


# -- sequential netlists: cycle-based evaluation ------------------------------------------------
#
# A netlist with D flip-flops is evaluated one clock cycle at a time. Every value is held for
# several independent *lanes* at once (workload segments, each simulated from its own reset):
# a net is a row of ``lanes`` bytes. Each cycle: the inputs of the cycle and the flip-flops'
# state give every combinational output, level by level in topological order (a cell's output
# is its liberty function's truth table indexed by its input bits); those settled values are
# the cycle's sample; the flip-flops then take their ``next_state`` for the next cycle. This is
# the zero-delay model of :func:`axhdl.synth.activity.simulate_activity` with a clock: inputs
# change just after a rising edge, values settle, the next edge captures them.


@dataclass(frozen=True)
class FlipFlop:
    """A liberty ``ff`` group: state variables, the next-state function, the clock, and the
    asynchronous clear/preset functions (None when absent)."""

    state: str
    state_n: str
    next_state: str
    clocked_on: str
    clear: str | None
    preset: str | None


@functools.lru_cache(maxsize=8)
def _flip_flops_of(path: str, mtime: float, size: int) -> dict[str, FlipFlop]:
    group = parse_groups(Path(path).read_text(errors="replace"))
    out = {}
    for cg in group.children("cell"):
        ffs = cg.children("ff")
        if len(ffs) != 1 or not cg.args:
            continue
        ff = ffs[0]
        if len(ff.args) < 2 or "next_state" not in ff.attrs or "clocked_on" not in ff.attrs:
            continue
        out[cg.args[0]] = FlipFlop(
            state=ff.args[0], state_n=ff.args[1], next_state=ff.attrs["next_state"],
            clocked_on=ff.attrs["clocked_on"], clear=ff.attrs.get("clear"),
            preset=ff.attrs.get("preset"),
        )
    return out


def flip_flops(library: Library) -> dict[str, FlipFlop]:
    """The ``ff`` groups of ``library``'s cells (cell name → :class:`FlipFlop`)."""
    p = Path(library.path)
    st = p.stat()
    return _flip_flops_of(str(p), st.st_mtime, st.st_size)


def supports_sequential(library: Library, cell_types) -> bool:
    """Whether every cell type is logic :func:`evaluate_sequential` models: a combinational
    cell, or a flip-flop clocked on the rising edge of one pin (a quick check by type; the
    connections are checked by :class:`SequentialNetlist`)."""
    ffs = flip_flops(library)
    for t in set(cell_types):
        cell = library.cells.get(t)
        if cell is None:
            return False
        if cell.combinational:
            continue
        ff = ffs.get(t)
        if ff is None or cell.pad or not re.fullmatch(r"\(?\s*[A-Za-z_][A-Za-z0-9_]*\s*\)?",
                                                      ff.clocked_on):
            return False
    return True


def _truth_table(function: str, rename: dict[str, str] | None = None) -> tuple[np.ndarray, list]:
    """``(table, pins)``: the function's value for every combination of its pins, pin ``j``
    being bit ``j`` of the table index."""
    f, pins = compile_function(function)
    pins = sorted(pins)
    n = 1 << len(pins)
    idx = np.arange(n)
    env = {"__n__": n}
    for j, pin in enumerate(pins):
        env[pin] = ((idx >> j) & 1).astype(bool)
    table = np.asarray(f(env), dtype=bool)
    table = np.broadcast_to(table, (n,)).astype(np.uint8)
    return table, [rename.get(p, p) if rename else p for p in pins]


#: most inputs of a cell function the cycle evaluator takes (2^MAX_INPUTS table entries)
MAX_INPUTS = 8


class SequentialNetlist:
    """A mapped netlist prepared for cycle-based evaluation (:func:`evaluate_sequential`).

    Raises :class:`Unsupported` for what it does not model: latches, flip-flops clocked by
    anything but the ``clock`` port's rising edge, asynchronous clear/preset driven by logic,
    tri-state or pad cells, functions of more than :data:`MAX_INPUTS` inputs.
    """

    def __init__(self, netlist_json: str | Path, top: str, library: Library, clock: str):
        data = json.loads(Path(netlist_json).read_text())
        module = data["modules"][top]
        ffs = flip_flops(library)
        ports = module["ports"]
        if clock not in ports or len(ports[clock]["bits"]) != 1:
            raise Unsupported(f"no one-bit clock port {clock!r}")
        clock_bit = ports[clock]["bits"][0]
        names: dict = {"0": 0, "1": 1}  # net (Yosys bit or constant) → dense index

        def net(bit):
            if isinstance(bit, str) and bit not in ("0", "1"):
                raise Unsupported(f"undefined constant {bit!r} in the netlist")
            return names.setdefault(bit, len(names))

        # sources: input ports (but the clock), flip-flop outputs
        self.inputs: dict[str, list[int]] = {}
        for name, port in ports.items():
            if port["direction"] == "input" and name != clock:
                self.inputs[name] = [net(b) for b in port["bits"]]
        tables: dict[tuple, int] = {}
        table_list: list[np.ndarray] = []

        def table_id(key, function, rename=None):
            if key not in tables:
                tt, pins = _truth_table(function, rename)
                if len(pins) > MAX_INPUTS:
                    raise Unsupported(f"function {function!r} has more than {MAX_INPUTS} inputs")
                tables[key] = (len(table_list), pins)
                table_list.append(tt)
            return tables[key]

        flops = []  # (inst, type, q nets [(net, table)], next-state (table, input nets))
        nodes = []  # (inst, table, input nets, output net)
        self.instances: dict[str, list[int]] = {}  # inst → its output nets
        driven: set = set()
        for inst, cell in module["cells"].items():
            ctype = cell["type"]
            lib_cell = library.cells.get(ctype)
            conns = cell["connections"]
            if lib_cell is None:
                raise Unsupported(f"cell {inst} has type {ctype}, not in {library.path}")

            def pin_net(pin, inst=inst, conns=conns):
                bits = conns.get(pin)
                if not bits:
                    raise Unsupported(f"cell {inst} has no connection on {pin}")
                return net(bits[0])

            def out_net(pin, inst=inst, conns=conns):
                bits = conns.get(pin)
                if not bits:
                    return net(("<open>", inst, pin))
                bit = bits[0]
                if bit in driven:
                    raise Unsupported(f"net {bit} has more than one driver")
                driven.add(bit)
                return net(bit)

            if lib_cell.combinational:
                outs = {}
                for out in lib_cell.outputs:
                    tid, pins = table_id((ctype, out), lib_cell.pins[out].function)
                    o = out_net(out)
                    nodes.append((inst, tid, [pin_net(p) for p in pins], o))
                    outs[out] = o
                self.instances[inst] = outs
                continue
            ff = ffs.get(ctype)
            if ff is None or lib_cell.pad:
                raise Unsupported(f"cell {inst} ({ctype}) is neither logic nor a flip-flop")
            if ff.clocked_on.strip("() ") not in conns or not re.fullmatch(
                r"\(?\s*[A-Za-z_][A-Za-z0-9_]*\s*\)?", ff.clocked_on
            ):
                raise Unsupported(f"flip-flop {ctype} is clocked on {ff.clocked_on!r}")
            if conns[ff.clocked_on.strip("() ")][0] != clock_bit:
                raise Unsupported(f"flip-flop {inst} is not clocked by port {clock}")
            for attr in ("clear", "preset"):
                func = getattr(ff, attr)
                if func is None:
                    continue
                f, pins = compile_function(func)
                env = {"__n__": 1}
                for p in pins:
                    bit = (conns.get(p) or [None])[0]
                    if bit not in ("0", "1"):
                        raise Unsupported(f"flip-flop {inst} has its {attr} driven by logic")
                    env[p] = np.array([bit == "1"])
                if bool(f(env)[0]):
                    raise Unsupported(f"flip-flop {inst} is held in {attr}")
            q = []
            for out in lib_cell.outputs:
                func = lib_cell.pins[out].function
                if func is None:
                    raise Unsupported(f"output {out} of {ctype} has no function")
                tid, pins = table_id(
                    (ctype, out, "q"), func, {ff.state: "<state>", ff.state_n: "<state_n>"}
                )
                if not set(pins) <= {"<state>", "<state_n>"}:
                    raise Unsupported(f"output {out} of {ctype} is not a function of its state")
                q.append((out_net(out), tid, pins, out))
            tid, pins = table_id((ctype, "<next>"), ff.next_state)
            if ff.state in pins or ff.state_n in pins:
                raise Unsupported(f"next state of {ctype} depends on its own state variables")
            flops.append((inst, q, tid, [pin_net(p) for p in pins]))
            self.instances[inst] = {pin: o for o, _, _, pin in q}
        # levelize the combinational nodes; the sources are level 0
        level: dict[int, int] = {0: 0, 1: 0}
        for nets in self.inputs.values():
            for i in nets:
                level[i] = 0
        for _, q, _, _ in flops:
            for o, *_ in q:
                level[o] = 0
        pending = nodes
        by_level: list[list] = []
        while pending:
            rest, done = [], []
            for node in pending:
                ins = node[2]
                lv = [level.get(i) for i in ins]
                if None in lv:
                    rest.append(node)
                    continue
                done.append((node, 1 + max(lv, default=0)))
            if not done:
                raise ToolFailedError(
                    f"netlist {top} has a combinational loop or undriven net near cell "
                    f"{rest[0][0]}"
                )
            for node, lv in done:
                level[node[3]] = lv
                while len(by_level) < lv:
                    by_level.append([])
                by_level[lv - 1].append(node)
            pending = rest
        for *_, ins in flops:
            for i in ins:
                if i not in level:
                    raise ToolFailedError(f"netlist {top}: a flip-flop input is undriven")
        # dense order: constants, inputs, flip-flop outputs, level 1, level 2, ...
        order = [0, 1]
        for nets in self.inputs.values():
            order += nets
        q_lo = len(order)
        for _, q, _, _ in flops:
            order += [o for o, *_ in q]
        q_hi = len(order)
        for nodes_l in by_level:
            order += [node[3] for node in nodes_l]
        out_nets = {
            name: [net(b) for b in port["bits"]]
            for name, port in ports.items() if port["direction"] == "output"
        }
        if len(order) != len(set(order)):
            raise ToolFailedError(f"netlist {top}: a net is driven twice")
        position = np.full(len(names), -1, dtype=np.int64)
        position[np.array(order)] = np.arange(len(order))
        for name, nets in out_nets.items():
            if (position[np.array(nets, dtype=np.int64)] < 0).any():
                raise ToolFailedError(f"netlist {top}: output {name} is undriven")
        kmax = max([len(node[2]) for node in nodes] + [len(f[3]) for f in flops] + [1])
        self.width = 1 << kmax
        tt = np.zeros((len(table_list), self.width), dtype=np.uint8)
        for i, t in enumerate(table_list):
            tt[i, :t.size] = t
        self.tables = tt.ravel()
        self.n_nets = len(order)
        self.inputs = {k: position[np.array(v, dtype=np.int64)] for k, v in self.inputs.items()}
        self.outputs = {k: position[np.array(v, dtype=np.int64)] for k, v in out_nets.items()}
        self.q_range = (q_lo, q_hi)
        # flip-flop outputs: Q = table[state·w_state + (1 − state)·w_state_n], where w is the
        # weight of the <state> / <state_n> pin in the table index (0 when absent)
        q_tab, q_flop, w_s, w_n = [], [], [], []
        for k, (_, q, _, _) in enumerate(flops):
            for _, tid, pins, _ in q:
                q_tab.append(tid)
                q_flop.append(k)
                w_s.append(1 << pins.index("<state>") if "<state>" in pins else 0)
                w_n.append(1 << pins.index("<state_n>") if "<state_n>" in pins else 0)
        self.n_flops = len(flops)
        self.q_offsets = np.array([t * self.width for t in q_tab], dtype=np.int64)
        self.q_flop = np.array(q_flop, dtype=np.int64)
        self.q_weights = (np.array(w_s, dtype=np.int64), np.array(w_n, dtype=np.int64))
        self.next_offsets = np.array([f[2] * self.width for f in flops], dtype=np.int64)
        self.next_inputs = _pad_inputs([[position[i] for i in f[3]] for f in flops])
        self.levels = []
        lo = q_hi
        for nodes_l in by_level:
            ins = _pad_inputs([[position[i] for i in node[2]] for node in nodes_l])
            offsets = np.array([node[1] * self.width for node in nodes_l], dtype=np.int64)
            self.levels.append((lo, lo + len(nodes_l), ins, offsets))
            lo += len(nodes_l)
        self.instances = {
            inst: {pin: int(position[o]) for pin, o in outs.items()}
            for inst, outs in self.instances.items()
        }

    def q_values(self, state: np.ndarray) -> np.ndarray:
        """Flip-flop output values (the rows of :attr:`q_range`) from the state
        (n_flops, lanes)."""
        st = state[self.q_flop].astype(np.int64)
        w_s, w_n = self.q_weights
        idx = st * w_s[:, None] + (1 - st) * w_n[:, None] + self.q_offsets[:, None]
        return np.take(self.tables, idx)


def _pad_inputs(rows: list[list[int]]) -> np.ndarray:
    """Input net positions as a (cells, k) array, short rows padded with constant 0 (position
    0), so the padded index bits are 0."""
    k = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), max(k, 1)), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def _lookup(values: np.ndarray, ins: np.ndarray, offsets: np.ndarray, tables: np.ndarray):
    idx = values[ins[:, 0]].astype(np.int64)
    for j in range(1, ins.shape[1]):
        idx |= values[ins[:, j]].astype(np.int64) << j
    idx += offsets[:, None]
    return np.take(tables, idx)


def port_bits(codes: np.ndarray, width: int) -> np.ndarray:
    """Integer codes (int64 or Python ints in an object array) → bits, shape (n, width)."""
    codes = np.asarray(codes)
    if codes.dtype != object and width <= 62:
        return ((codes.astype(np.int64)[:, None] >> np.arange(width)) & 1).astype(np.uint8)
    nbytes = (width + 7) // 8
    raw = b"".join(int(v).to_bytes(nbytes, "little") for v in codes.tolist())
    arr = np.frombuffer(raw, dtype=np.uint8).reshape(len(codes), nbytes)
    return np.unpackbits(arr, axis=1, bitorder="little")[:, :width]


def evaluate_sequential(
    netlist: SequentialNetlist,
    codes: dict[str, np.ndarray],
    *,
    segments: int = 1,
    warmup: int = 0,
) -> dict:
    """Toggle rates of every cell output of a sequential netlist, like
    :func:`axhdl.synth.activity.simulate_activity` with a clock, by cycle-based evaluation.

    ``codes``: input port → integer codes of every cycle, ``segments`` equal runs one after
    the other (each simulated from an all-zero state in its own lane); the first ``warmup``
    cycles of each run (its reset) are not counted, nor is any transition between runs.
    Unstimulated inputs are 0. Also returns ``"trace"``: every output port's bits in every
    cycle, shape (segments, cycles, width).
    """
    n_rows = len(next(iter(codes.values())))
    if n_rows % segments:
        raise ValueError(f"{n_rows} cycles do not split into {segments} equal segments")
    rows = n_rows // segments
    lanes = segments
    values = np.zeros((netlist.n_nets, lanes), dtype=np.uint8)
    values[1] = 1
    stim = []  # (name, positions, bits (rows, width, lanes))
    for name, pos in netlist.inputs.items():
        code = codes.get(name)
        if code is None:
            continue
        bits = port_bits(code, len(pos)).reshape(lanes, rows, len(pos))
        stim.append((name, pos, np.ascontiguousarray(bits.transpose(1, 2, 0))))
    state = np.zeros((netlist.n_flops, lanes), dtype=np.uint8)
    q_lo, _ = netlist.q_range
    hi = netlist.n_nets
    toggles = np.zeros((hi - q_lo, lanes), dtype=np.int64)
    ones = np.zeros((hi - q_lo, lanes), dtype=np.int64)
    in_pos = np.concatenate([p for _, p, _ in stim]) if stim else np.zeros(0, np.int64)
    in_toggles = np.zeros((in_pos.size, lanes), dtype=np.int64)
    in_ones = np.zeros((in_pos.size, lanes), dtype=np.int64)
    out_names = list(netlist.outputs)
    out_pos = (np.concatenate([netlist.outputs[n] for n in out_names])
               if out_names else np.zeros(0, np.int64))
    trace = np.zeros((rows, out_pos.size, lanes), dtype=np.uint8)
    prev = prev_in = None
    for t in range(rows):
        for _, pos, bits in stim:
            values[pos] = bits[t]
        if netlist.n_flops:
            values[q_lo:netlist.q_range[1]] = netlist.q_values(state)
        for lo, hi_l, ins, offsets in netlist.levels:
            values[lo:hi_l] = _lookup(values, ins, offsets, netlist.tables)
        trace[t] = values[out_pos]
        if t >= warmup:
            cur = values[q_lo:hi]
            cur_in = values[in_pos]
            if prev is not None:
                toggles += cur != prev
                ones += cur
                in_toggles += cur_in != prev_in
                in_ones += cur_in
            prev, prev_in = cur.copy(), cur_in.copy()
        if netlist.n_flops:
            state = _lookup(values, netlist.next_inputs, netlist.next_offsets, netlist.tables)
    transitions = lanes * max(rows - warmup - 1, 0)

    def rate(tog, one):
        if transitions <= 0:
            return 0.0, 0.0
        return float(tog.sum()) / transitions, float(one.sum()) / transitions

    per_inst = {}
    for inst, outs in netlist.instances.items():
        pins = {
            pin: dict(zip(("toggle_rate", "static_probability"),
                          rate(toggles[o - q_lo], ones[o - q_lo])))
            for pin, o in outs.items()
        }
        per_inst[inst] = {
            "pins": pins,
            "toggle_rate": sum(p["toggle_rate"] for p in pins.values()) / len(pins),
            "static_probability": sum(p["static_probability"] for p in pins.values())
            / len(pins),
        }
    inputs = {}
    j = 0
    for name, pos, _ in stim:
        for b in range(len(pos)):
            r, pr = rate(in_toggles[j], in_ones[j])
            inputs[f"{name}[{b}]"] = {"toggle_rate": r, "static_probability": pr}
            j += 1
    outputs, traces, j = {}, {}, 0
    for name in out_names:
        width = netlist.outputs[name].size
        tr = trace[:, j:j + width, :]  # (rows, width, lanes)
        counted = tr[warmup:]
        for b in range(width):
            col = counted[:, b, :]
            tog = (col[1:] != col[:-1]).sum() if col.shape[0] > 1 else 0
            r = float(tog) / transitions if transitions > 0 else 0.0
            pr = float(col[1:].sum()) / transitions if transitions > 0 else 0.0
            outputs[f"{name}[{b}]"] = {"toggle_rate": r, "static_probability": pr}
        traces[name] = np.ascontiguousarray(tr.transpose(2, 0, 1)).astype(bool)
        j += width
    return {
        "instances": per_inst,
        "inputs": inputs,
        "outputs": outputs,
        "transitions": transitions,
        "trace": traces,
    }
