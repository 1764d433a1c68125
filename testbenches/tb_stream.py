"""The cocotb driver, monitor and scoreboard of the sequential units (``mac``, ``systolic``),
run inside Icarus or Verilator by :mod:`axhdl.testbenches.stream_runner`.

The parent process computes everything the golden model says (the input beats, the expected
output beats or the expected ``p`` of every cycle) and writes it to a JSON *plan*; this module
only drives, watches and compares bits, so it needs neither axhdl nor the unit here, and a unit
whose model is overridden (a test's subclass) is checked exactly as the parent sees it.

The clock is driven from here, one half period per ``Timer``: inputs are written while ``clk``
is low, the handshake is sampled half a period later (everything settled, before the edge),
then ``clk`` rises. A transfer is decided from values sampled before the edge that makes it,
so the verdict does not depend on how a simulator orders the edge and the register updates.

``systolic`` (plan ``"kind": "systolic"``): the *driver* offers the input beats in order, each
after a random number of idle cycles (``i__valid`` low with probability ``gap`` per cycle),
holds a beat until ``i__ready`` takes it, and offers a beat whose partial sums come from an
earlier output beat (``deps``: the host's ``psum_from``) only once that output beat has
arrived. The *monitor* drives ``o__ready`` high with probability ``ready`` per cycle and takes
the output beats; the *scoreboard* compares beat ``n`` with the model's beat ``n``, checks that
an offered beat that is not taken stays on ``o`` unchanged, counts beats beyond the model's
(after all are in, ``o__ready`` stays high for ``drain`` cycles) and the beats that never come
(no transfer for ``watchdog`` cycles ends the run).

``mac`` (plan ``"kind": "mac"``): ``a``, ``b``, ``en``, ``clear`` and ``rst`` of every cycle
are driven, ``p`` is read after the edge that ends the cycle and compared with the model's
``p`` of that cycle (latency included).

Environment (set by the runner through ``extra_env``): ``AXHDL_TB_PLAN``, the plan;
``AXHDL_TB_RESULT``, where the JSON result goes; ``AXHDL_TB_API=public`` to drive and read
through ``.value`` only (the default uses the simulator handles directly; both give the same
verdict).
"""

from __future__ import annotations

import functools
import json
import os
import random
from collections.abc import Callable

import cocotb
from cocotb.triggers import Timer
from cocotb.types import LogicArray

try:  # the deposit code of cocotb 2.x's GPI (what ``.value = v`` ends in)
    from cocotb.handle import _GPISetAction

    _DEPOSIT: int | None = _GPISetAction.DEPOSIT.value
except (ImportError, AttributeError):  # another cocotb: use the public API only
    _DEPOSIT = None

#: how many mismatches the result records in full
MAX_REPORTED = 20


# -- port access ----------------------------------------------------------------------------


def _fast(port) -> object | None:
    """The simulator handle of ``port`` when the direct calls may be used, else None."""
    if os.environ.get("AXHDL_TB_API", "fast") == "public" or _DEPOSIT is None:
        return None
    handle = getattr(port, "_handle", None)
    needed = ("set_signal_val_int", "set_signal_val_binstr", "get_signal_val_binstr")
    return handle if all(hasattr(handle, name) for name in needed) else None


def int_writer(port) -> Callable[[int], object]:
    """Deposit a non-negative integer (its low bits) on a port of at most 32 bits."""
    handle = _fast(port)
    if handle is not None and len(port) <= 32:
        return functools.partial(handle.set_signal_val_int, _DEPOSIT)

    def write(value: int) -> None:
        port.value = value

    return write


def bits_writer(port) -> Callable[[str], object]:
    """Deposit a bit string (most significant bit first, ``len(port)`` characters)."""
    handle = _fast(port)
    if handle is not None:
        return functools.partial(handle.set_signal_val_binstr, _DEPOSIT)

    def write(bits: str) -> None:
        port.value = LogicArray(bits) if len(port) > 1 else int(bits, 2)

    return write


def bits_reader(port) -> Callable[[], str]:
    """Read a port as its bit string (``x``/``z`` bits included)."""
    handle = _fast(port)
    if handle is not None:
        return handle.get_signal_val_binstr

    def read() -> str:
        return str(port.value)

    return read


def _hex(bits: str) -> str:
    """A bit string as hex, or as the bit string itself when it holds ``x``/``z`` bits."""
    try:
        return format(int(bits, 2), "x")
    except ValueError:
        return bits


def _write_result(path: str, data: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


class Clock:
    """``clk`` driven from the testbench, half a period (1 ns) per ``Timer``."""

    def __init__(self, dut):
        self._write = int_writer(dut.clk)
        self._half = Timer(1, unit="ns")
        self.cycle = 0

    async def low(self) -> None:
        """``clk`` low (inputs written now are in place before the rising edge) and wait
        half a period: what is read after this is settled and precedes the edge."""
        self._write(0)
        await self._half

    async def rise(self) -> None:
        """The rising edge ending this cycle, and half a period after it."""
        self._write(1)
        await self._half
        self.cycle += 1


class Scoreboard:
    """Mismatch rows (the first :data:`MAX_REPORTED` in full) and their count."""

    def __init__(self):
        self.rows: list[dict] = []
        self.count = 0

    def add(self, row: dict) -> None:
        self.count += 1
        if len(self.rows) < MAX_REPORTED:
            self.rows.append(row)


# -- systolic arrays --------------------------------------------------------------------------


async def run_systolic(dut, plan: dict) -> dict:
    """Stream ``plan["beats"]`` through the array and score every output beat."""
    rng = random.Random(plan["seed"])
    gap, ready_p = float(plan["gap"]), float(plan["ready"])
    i_width, o_width = int(plan["i_width"]), int(plan["o_width"])
    beats = [format(int(h, 16), f"0{i_width}b") for h in plan["beats"]]
    deps = [int(d) for d in plan["deps"]]
    expected = [format(int(h, 16), f"0{o_width}b") for h in plan["expected"]]
    n_in, n_out = len(beats), len(expected)
    watchdog, drain = int(plan["watchdog"]), int(plan["drain"])

    clock = Clock(dut)
    rst, i_valid, o_ready = int_writer(dut.rst), int_writer(dut.i__valid), int_writer(dut.o__ready)
    i_payload = bits_writer(dut.i__payload)
    i_ready, o_valid = bits_reader(dut.i__ready), bits_reader(dut.o__valid)
    o_payload = bits_reader(dut.o__payload)

    # two cycles of synchronous reset, nothing offered, nothing taken
    rst(1)
    i_valid(0)
    o_ready(0)
    i_payload("0" * i_width)
    for _ in range(2):
        await clock.low()
        await clock.rise()
    rst(0)
    start = clock.cycle

    board = Scoreboard()
    received_words: list[str] = []
    in_cycles: list[int] = []
    out_cycles: list[int] = []
    sent = received = extra = unstable = 0
    offering = False  # a beat is on i, not yet taken
    held: str | None = None  # the output beat offered and not taken in the previous cycle
    valid_now, ready_now = 0, 0
    idle = drained = 0
    while True:
        done = sent >= n_in and received >= n_out
        # drive this cycle's inputs (clk low)
        if not offering and sent < n_in and deps[sent] < received and rng.random() >= gap:
            i_payload(beats[sent])
            offering = True
        if int(offering) != valid_now:
            valid_now = int(offering)
            i_valid(valid_now)
        take = 1 if done or rng.random() < ready_p else 0
        if take != ready_now:
            ready_now = take
            o_ready(take)
        await clock.low()
        # sample the handshake before the edge: what moves at this edge
        cycle = clock.cycle - start
        moved = False
        if offering and i_ready() == "1":
            offering = False
            in_cycles.append(cycle)
            sent += 1
            moved = True
        valid = o_valid() == "1"
        word = o_payload() if valid or held is not None else None
        if held is not None and (not valid or word != held):
            unstable += 1
            board.add({"kind": "unstable", "beat": received, "cycle": cycle,
                       "expected": _hex(held), "got": _hex(word) if valid else None})
        if valid and take:
            moved = True
            if received < n_out:
                received_words.append(_hex(word))
                out_cycles.append(cycle)
                if word != expected[received]:
                    board.add({"kind": "value", "beat": received, "cycle": cycle,
                               "expected": _hex(expected[received]), "got": _hex(word)})
            else:
                extra += 1
                board.add({"kind": "extra", "beat": received, "cycle": cycle,
                           "expected": None, "got": _hex(word)})
            received += 1
            held = None
        else:
            held = word if valid else None
        await clock.rise()
        if done:
            drained += 1
            if drained >= drain:
                break
        idle = 0 if moved else idle + 1
        if idle > watchdog:
            break
    lost = max(0, n_out - received)
    if lost:
        board.add({"kind": "lost", "beat": received, "cycle": clock.cycle - start,
                   "expected": _hex(expected[received]), "got": None,
                   "count": lost, "inputs_taken": sent})
    return {
        "beats_in": sent, "beats_out": min(received, n_out), "cycles": clock.cycle - start,
        "lost": lost, "extra": extra, "unstable": unstable,
        "mismatch_count": board.count, "mismatches": board.rows,
        "received": received_words, "in_cycles": in_cycles, "out_cycles": out_cycles,
    }


# -- the MAC ----------------------------------------------------------------------------------


async def run_mac(dut, plan: dict) -> dict:
    """Drive every cycle of the plan and compare ``p`` after each edge."""
    p_width = int(plan["p_width"])
    columns = [plan[k] for k in ("a", "b", "en", "clear", "rst")]
    expected = [format(int(h, 16), f"0{p_width}b") for h in plan["p"]]
    writers = [int_writer(getattr(dut, k)) for k in ("a", "b", "en", "clear", "rst")]
    p = bits_reader(dut.p)
    clock = Clock(dut)
    board = Scoreboard()
    previous = [None] * len(writers)
    for t, want in enumerate(expected):
        for k, (write, values) in enumerate(zip(writers, columns)):
            if values[t] != previous[k]:
                previous[k] = values[t]
                write(values[t])
        await clock.low()
        await clock.rise()
        got = p()
        if got != want:
            board.add({"kind": "value", "cycle": t, "expected": _hex(want), "got": _hex(got)})
    return {"beats_in": len(expected), "beats_out": len(expected), "cycles": clock.cycle,
            "lost": 0, "extra": 0, "unstable": 0,
            "mismatch_count": board.count, "mismatches": board.rows}


@cocotb.test()
async def check_stream(dut) -> None:
    """Every beat (``systolic``) or every cycle (``mac``) of ``AXHDL_TB_PLAN`` equals the
    golden model; nothing lost, nothing extra."""
    with open(os.environ["AXHDL_TB_PLAN"]) as f:
        plan = json.load(f)
    run = run_systolic if plan["kind"] == "systolic" else run_mac
    outcome = await run(dut, plan)
    outcome["complete"] = True
    _write_result(os.environ["AXHDL_TB_RESULT"], outcome)
    count = outcome["mismatch_count"]
    assert not count, f"{count} mismatches with the golden model; first: {outcome['mismatches'][0]}"
