"""The cocotb scoreboard run inside Icarus or Verilator by :mod:`axhdl.testbenches.runner`.

It drives every vector of an ``.npz`` file (operands ``a``, ``b``, control inputs, expected
result ``p`` and extra outputs from the unit's golden model) into a combinational unit, waits
1 ns, compares the simulator's outputs with the model, and writes a JSON result the parent
process reads.

Environment (set by the runner through ``extra_env``):

``AXHDL_TB_VECTORS``
    path of the ``.npz`` with arrays ``a``, ``b``, ``p``, ``ctrl_<name>`` per control input and
    ``out_<name>`` per extra output (``unit.extra_outputs``, compared unsigned)
``AXHDL_TB_RESULT``
    path of the JSON result: ``checked``, ``mismatch_count``, ``mismatches`` (first 20)
``AXHDL_TB_SIGNED``
    ``1`` to read ``p`` as a two's-complement value
``AXHDL_TB_API``
    ``public`` to drive and read through ``.value`` only (the default, ``fast``, uses the
    simulator handles directly; both give the same verdict)
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable

import cocotb
import numpy as np
from cocotb.triggers import Timer
from cocotb.types import LogicArray

try:  # the deposit code of cocotb 2.x's GPI (what ``.value = v`` ends in)
    from cocotb.handle import _GPISetAction

    _DEPOSIT: int | None = _GPISetAction.DEPOSIT.value
except (ImportError, AttributeError):  # another cocotb: use the public API only
    _DEPOSIT = None

#: how many mismatches the result records in full
MAX_REPORTED = 20


def _write_result(path: str, data: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _writer(port) -> Callable[[int], object]:
    """A function that deposits an integer on ``port``.

    Ports of up to 32 bits are written through the simulator handle's integer setter, the
    call ``port.value = v`` ends in, without the per-call checks and write scheduling of the
    public setter (about a quarter of the per-vector cost on Icarus). The value is in place
    after the following ``Timer``, which is all a combinational scoreboard needs.
    """
    handle = getattr(port, "_handle", None)
    if _DEPOSIT is not None and len(port) <= 32 and hasattr(handle, "set_signal_val_int"):
        return functools.partial(handle.set_signal_val_int, _DEPOSIT)

    def write(value: int) -> None:
        port.value = value

    return write


def _reader(port) -> Callable[[], str] | None:
    """The simulator handle's bit-string getter of ``port`` (``None`` if unavailable)."""
    handle = getattr(port, "_handle", None)
    return getattr(handle, "get_signal_val_binstr", None)


def _row(i: int, a_list, b_list, controls, output: str, expected: int, got) -> dict:
    row = {"a": a_list[i], "b": b_list[i]}
    row.update({name: values[i] for name, values in controls.items()})
    if output != "p":
        row["output"] = output
    row["expected"] = expected
    row["got"] = got
    return row


@cocotb.test()
async def check_vectors(dut) -> None:
    """Every vector of ``AXHDL_TB_VECTORS``: RTL ``p`` (and every extra output) == golden
    model."""
    result_path = os.environ["AXHDL_TB_RESULT"]
    is_signed = os.environ.get("AXHDL_TB_SIGNED", "0") == "1"
    public_api = os.environ.get("AXHDL_TB_API", "fast") == "public"
    with np.load(os.environ["AXHDL_TB_VECTORS"]) as data:
        a_list = data["a"].tolist()
        b_list = data["b"].tolist()
        expected = {"p": data["p"].tolist()}
        expected.update({
            key[len("out_"):]: data[key].tolist() for key in data.files if key.startswith("out_")
        })
        controls = {
            key[len("ctrl_"):]: data[key].tolist() for key in data.files if key.startswith("ctrl_")
        }

    a_port, b_port = dut.a, dut.b
    # (name, port, expected values, reads as signed): p, then the extra (unsigned) outputs
    outputs = [(name, getattr(dut, name), values, is_signed and name == "p")
               for name, values in expected.items()]
    # a 1-bit port is a single logic object that takes the bit (0/1), not the value -1
    a_drive = [v & 1 for v in a_list] if len(a_port) == 1 else a_list
    b_drive = [v & 1 for v in b_list] if len(b_port) == 1 else b_list
    ctrl_ports = [(getattr(dut, name), values) for name, values in controls.items()]
    delay = Timer(1, unit="ns")
    n = len(a_list)
    mismatches: list[dict] = []
    count = 0

    def read(port, signed: bool):
        value = port.value
        try:
            if not isinstance(value, LogicArray):  # a 1-bit port reads as one Logic
                return int(value)
            return value.to_signed() if signed else value.to_unsigned()
        except ValueError:  # X or Z bits: not a number, always a mismatch
            return str(value)

    def mismatch(i: int, name: str, port, values, signed: bool) -> None:
        nonlocal count
        count += 1
        if len(mismatches) < MAX_REPORTED:
            mismatches.append(
                _row(i, a_list, b_list, controls, name, values[i], read(port, signed)))

    def set_controls(i: int) -> None:
        for port, values in ctrl_ports:
            port.value = values[i]

    readers = [None if public_api else _reader(port) for _, port, _, _ in outputs]
    if any(r is None for r in readers):
        # the documented API: .value = ..., .value.to_signed() / .to_unsigned()
        previous_ctrl: tuple | None = None
        for i in range(n):
            if ctrl_ports:
                now = tuple(values[i] for _, values in ctrl_ports)
                if now != previous_ctrl:
                    set_controls(i)
                    previous_ctrl = now
            a_port.value = a_drive[i]
            b_port.value = b_drive[i]
            await delay
            for name, port, values, signed in outputs:
                if read(port, signed) != values[i]:
                    mismatch(i, name, port, values, signed)
                    break
    else:
        # the same loop on the simulator handles: the expected results as the bit strings the
        # simulator returns, so that a vector costs two integer writes, a timer and a compare
        checks = []
        for (name, port, values, signed), reader in zip(outputs, readers):
            width = len(port)
            mask = (1 << width) - 1
            fmt = f"0{width}b"
            checks.append((reader, [format(v & mask, fmt) for v in values],
                           (name, port, values, signed)))
        write_a, write_b = _writer(a_port), _writer(b_port)
        # vectors come grouped by control value: set controls once per run of equal values
        starts = [0]
        if ctrl_ports:
            keys = list(zip(*(values for _, values in ctrl_ports)))
            starts = [i for i in range(n) if i == 0 or keys[i] != keys[i - 1]]
        starts.append(n)
        for lo, hi in zip(starts[:-1], starts[1:]):
            if ctrl_ports:
                set_controls(lo)
            for i in range(lo, hi):
                write_a(a_drive[i])
                write_b(b_drive[i])
                await delay
                for reader, bits, what in checks:
                    if reader() != bits[i]:
                        mismatch(i, *what)
                        break

    _write_result(
        result_path,
        {"checked": n, "mismatch_count": count, "mismatches": mismatches, "complete": True},
    )
    assert not count, f"{count} of {n} vectors differ from the golden model; first: {mismatches[0]}"
