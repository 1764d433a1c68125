"""Helpers shared by the subcommands: spec arguments, JSON output, tables."""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..registry import make_unit
from ..results import to_jsonable

__all__ = [
    "add_spec",
    "add_json",
    "unit_from",
    "print_json",
    "table",
    "count",
    "seed",
    "workers",
    "seconds",
    "period_ns",
    "percentage_points",
    "available_memory",
    "check_memory",
    "MAX_SEED",
    "MAX_WORKERS",
    "MAX_SECONDS",
    "MAX_PERIOD_NS",
]

#: seeds are non-negative integers below 2^64 (numpy's SeedSequence takes no negative one)
MAX_SEED = (1 << 64) - 1
#: more worker processes than this is a typing error, not a machine
MAX_WORKERS = 1024
#: the longest timeout accepted (one week)
MAX_SECONDS = 7 * 24 * 3600.0
#: the longest clock period accepted: 1 ms (a 1 kHz clock); OpenSTA overflows far beyond
MAX_PERIOD_NS = 1e6


def add_spec(parser, help_text: str = "unit spec, e.g. 'truncated:width=8,k=6'") -> None:
    parser.add_argument("spec", help=help_text)


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def unit_from(args):
    return make_unit(args.spec)


def print_json(obj) -> None:
    json.dump(to_jsonable(obj), sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def _fmt(v) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:.4f}".rstrip("0").rstrip(".")
    if v is None:
        return "-"
    return str(v)


def table(rows: list[dict], columns: list[str] | None = None, out=None) -> None:
    """Print dict rows as an aligned text table."""
    out = out or sys.stdout
    if not rows:
        return
    columns = columns or list(rows[0])
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


# -- numbers on the command line: argparse types (a bad value is a usage error, exit 2) -------


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text[:40]!r}") from None


def count(minimum: int = 1, maximum: int | None = None, what: str = "values"):
    """An argparse type: an integer of at least ``minimum`` (and at most ``maximum``)."""

    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be an integer of at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                f"must be at most {maximum} ({what}), not {value}")
        return value

    parse.__name__ = "count"  # argparse names the type in its messages
    return parse


def seed(text: str) -> int:
    """An argparse type: a seed, an integer in 0..2^64-1."""
    value = _integer(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be an integer in 0..{MAX_SEED} (2^64 - 1), not {value}")
    return value


def workers(text: str) -> int:
    """An argparse type: a number of worker processes, 1..MAX_WORKERS."""
    value = _integer(text)
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"must be a number of worker processes in 1..{MAX_WORKERS}, not {value}")
    return value


def _positive_float(text: str, maximum: float, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text[:40]!r}") from None
    if not math.isfinite(value) or value <= 0 or value > maximum:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of {unit} of at most {maximum:g}, not {text[:40]}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a timeout, a positive number of seconds (at most one week)."""
    return _positive_float(text, MAX_SECONDS, "seconds")


def period_ns(text: str) -> float:
    """An argparse type: a clock period, a positive number of ns of at most 1 ms."""
    return _positive_float(text, MAX_PERIOD_NS, "ns")


def percentage_points(text: str) -> float:
    """An argparse type: an accuracy-loss bound, a number of percentage points in 0..100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text[:40]!r}") from None
    if not 0 <= value <= 100:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"must be a number of percentage points in 0..100, not {text[:40]}")
    return value


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux ``MemAvailable``, bounded by a
    cgroup limit), None where unknown."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f:
                limit = f.read().strip()
            with open(usage_file) as f:
                used = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < (1 << 60):
            room = max(0, int(limit) - used)
            avail = room if avail is None else min(avail, room)
        break
    return avail


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1024:.3g} kB"


def check_memory(option: str, value: int, bytes_each: float,
                 growth: float = 1.0) -> None:
    """A usage error when ``option`` ``value`` would need more than half of the memory
    available — ``bytes_each × value`` bytes, or ``bytes_each × value ** growth`` for a cost
    that grows faster than the value — refused before anything is allocated, with the largest
    value that fits."""
    avail = available_memory()
    if avail is None or bytes_each <= 0:
        return
    budget = avail // 2
    need = bytes_each * float(value) ** growth
    if need > budget:
        from ..errors import InputError

        most = max(1, int((budget / bytes_each) ** (1 / growth)))
        raise InputError(
            f"{option} {value} would need about {_bytes(need)} of memory, more than half of "
            f"the {_bytes(avail)} available; use at most {most}")
