"""``make bench``: whole-process timings of the main flows, with ratios to baselines.

Every ``benchmarks/bench_*.py`` module has ``run() -> list[dict]``; each row has ``name``,
``seconds``, ``note`` and optionally ``baseline`` (the name of another row measured in the same
run, e.g. the exact unit) and ``target_s`` (a stated target). Nothing here is a pass/fail test;
the figures are printed and written to ``benchmarks/last-run.json``.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str]) -> int:
    only = set(argv)
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        t0 = time.perf_counter()
        for row in load(path).run():
            row.setdefault("group", path.stem.removeprefix("bench_"))
            rows.append(row)
            _print_row(row, rows)
        print(f"# {path.stem}: {time.perf_counter() - t0:.1f} s", flush=True)
    out = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count()},
        "rows": rows,
    }
    (HERE / "last-run.json").write_text(json.dumps(out, indent=1))
    return 0


def _print_row(row: dict, rows: list[dict]) -> None:
    by_name = {r["name"]: r for r in rows}
    ratio = ""
    base = row.get("baseline")
    if base and base in by_name and by_name[base]["seconds"]:
        ratio = f"  x{row['seconds'] / by_name[base]['seconds']:.2f} vs {base}"
    target = f"  (target <= {row['target_s']} s)" if row.get("target_s") else ""
    print(f"{row['group']:>8}  {row['name']:<48} {row['seconds']:8.2f} s{ratio}{target}"
          f"  {row.get('note', '')}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
