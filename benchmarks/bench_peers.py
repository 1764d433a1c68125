"""Benchmark: axhdl's circuits against other generators' circuits of the same function.

The peers are ArithsGen (PyPI ``ariths-gen``, pinned below; J. Klhufek, V. Mrazek,
"ArithsGen: arithmetic circuit generator for hardware accelerators", DDECS 2022) and the DRUM
authors' published Verilog (S. Hashemi, R. I. Bahar, S. Reda, "DRUM: A dynamic range unbiased
multiplier for approximate applications", ICCAD 2015; github.com/scale-lab/DRUM). Neither is
a dependency of axhdl: ArithsGen is installed into a scratch virtual environment
(``$AXHDL_PEER_VENV``, default ``<cache>/peers/ariths-gen``) and its Verilog generated there;
the DRUM file is downloaded (or read from ``$AXHDL_DRUM_RTL``) into the scratch directory and
its ``define``s set to the widths compared. When PyPI or GitHub cannot be reached, the rows
that need them are printed with a note saying so and nothing else is attempted.

Every pair is first checked to compute the same table (exhaustively, 8×8, through the imported
circuit's compiled harness); then both go through ``axhdl synth --no-baseline --json`` (same
liberty, same period — the exact unit's default, as for every unit of these widths — and the
same 10,000-vector workload). A row's note gives axhdl/peer for area and energy per operation
(≤ 1 means axhdl's circuit is at least as good) and both delays; ``seconds`` is the time of
the two synthesis runs (cached runs are fast). docs/ppa.md discusses the table.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from _common import axhdl_argv as _axhdl

PEER_PACKAGE = "ariths-gen==1.1.4"
DRUM_URL = "https://raw.githubusercontent.com/scale-lab/DRUM/master/DRUMk_M_N_u.v"

#: (axhdl spec, peer circuit); peer names are the modules the generator script writes
PAIRS: tuple[tuple[str, str], ...] = (
    ("exact:width=8", "u_csamul8"),
    ("exact:width=8,arch=array", "u_csamul8"),
    ("exact:width=8,arch=array", "u_arrmul8"),
    ("exact:width=8,arch=dadda", "u_dadda8"),
    ("exact:width=8,arch=wallace", "u_wallace8"),
    ("broken_array:width=8,hbl=1,vbl=7", "u_bam8_1_7"),
    ("broken_array:width=8,hbl=2,vbl=6", "u_bam8_2_6"),
    ("broken_array:width=8,hbl=3,vbl=8", "u_bam8_3_8"),
    ("broken_array:width=8,hbl=0,vbl=9", "u_bam8_0_9"),
    ("operand_truncation:width=8,za=2,zb=2", "u_tm8_2"),
    ("kulkarni:width=8", "u_rm8_m1"),
    ("exact:width=8,signed=true", "s_csamul8"),
    ("exact:width=8,signed=true,arch=booth", "s_csamul8"),
    ("exact:width=8,signed=true,arch=array", "s_csamul8"),
    ("exact:width=8,signed=true,arch=array", "s_arrmul8"),
    ("exact:width=8,signed=true,arch=wallace", "s_wallace8"),
    ("exact:width=8,signed=true,arch=dadda", "s_dadda8"),
    ("drum:width=8,k=4", "drum_authors"),
)

#: run with the peer environment's Python: writes <name>.v for each name on the command line
_GENERATE = '''
import sys
from ariths_gen.wire_components import Bus
from ariths_gen.multi_bit_circuits import multipliers as m
from ariths_gen.multi_bit_circuits import approximate_multipliers as am
from ariths_gen.multi_bit_circuits.approximate_multipliers import recursive_multiplier as rm

def ops():
    return Bus("a", 8), Bus("b", 8)

def bam(h, v):
    return lambda name: am.UnsignedBrokenArrayMultiplier(
        *ops(), horizontal_cut=h, vertical_cut=v, name=name)

MAKE = {
    "u_arrmul8": lambda name: m.UnsignedArrayMultiplier(*ops(), name=name),
    "u_csamul8": lambda name: m.UnsignedCarrySaveMultiplier(*ops(), name=name),
    "u_dadda8": lambda name: m.UnsignedDaddaMultiplier(*ops(), name=name),
    "u_wallace8": lambda name: m.UnsignedWallaceMultiplier(*ops(), name=name),
    "s_arrmul8": lambda name: m.SignedArrayMultiplier(*ops(), name=name),
    "s_csamul8": lambda name: m.SignedCarrySaveMultiplier(*ops(), name=name),
    "s_dadda8": lambda name: m.SignedDaddaMultiplier(*ops(), name=name),
    "s_wallace8": lambda name: m.SignedWallaceMultiplier(*ops(), name=name),
    "u_tm8_2": lambda name: am.UnsignedTruncatedArrayMultiplier(
        *ops(), truncation_cut=2, name=name),
    "u_bam8_1_7": bam(1, 7), "u_bam8_2_6": bam(2, 6),
    "u_bam8_3_8": bam(3, 8), "u_bam8_0_9": bam(0, 9),
    # Kulkarni's 2x2 block (3 x 3 = 7) is ArithsGen's approximate two-bit multiplier M1
    "u_rm8_m1": lambda name: am.UnsignedRecursiveMultiplier(
        *ops(), submultipliers=[rm.UnsignedApproximateTwoBitMultiplierM1] * 16, name=name),
}
for name in sys.argv[1:]:
    with open(name + ".v", "w") as f:
        MAKE[name](name).get_v_code_flat(f)
'''


def _scratch() -> Path:
    from axhdl.results import cache_dir

    return Path(os.environ.get("AXHDL_PEER_VENV") or cache_dir() / "peers" / "ariths-gen")


def _peer_python() -> tuple[Path | None, str]:
    """The scratch environment's Python with ArithsGen installed, or None and why not."""
    venv = _scratch()
    python = venv / "bin" / "python"
    probe = [str(python), "-c",
             "import ariths_gen, importlib.metadata as m; print(m.version('ariths-gen'))"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == PEER_PACKAGE.split("==")[1]:
            return python, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                       capture_output=True, text=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_PACKAGE], check=True,
                       capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        err = getattr(e, "stderr", None) or str(e)
        last = (err.strip().splitlines() or ["?"])[-1]
        return None, f"skipped: could not install {PEER_PACKAGE} from PyPI ({last[:120]})"
    return python, ""


def _drum_file(work: Path, k: int, n: int) -> tuple[Path | None, str]:
    """The DRUM authors' unsigned design with k, and both widths, set; or None and why not.

    ``$AXHDL_DRUM_RTL`` names a local copy of ``DRUMk_M_N_u.v`` (no download then)."""
    local = os.environ.get("AXHDL_DRUM_RTL")
    try:
        if local:
            text = Path(local).read_text()
        else:
            with urllib.request.urlopen(DRUM_URL, timeout=30) as response:
                text = response.read().decode()
    except OSError as e:
        return None, (f"skipped: could not read the DRUM authors' RTL ({e}); set "
                      "AXHDL_DRUM_RTL to a local copy of DRUMk_M_N_u.v")
    for key, value in (("k_in", k), ("m_in", n), ("n_in", n)):
        text = re.sub(rf"`define {key} \d+", f"`define {key} {value}", text)
    path = work / "DRUMk_M_N_u.v"
    path.write_text(text)
    return path, ""


def _synth(spec: str) -> dict:
    proc = subprocess.run(
        [*_axhdl(), "synth", spec, "--no-baseline", "--json"],
        capture_output=True, text=True, timeout=1800, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"axhdl synth {spec} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def _same_table(spec: str, peer_spec: str, signed: bool) -> bool:
    from axhdl.registry import make_unit

    values = np.arange(-128, 128) if signed else np.arange(256)
    a, b = np.meshgrid(values, values)
    return bool(np.array_equal(make_unit(spec).model(a, b), make_unit(peer_spec).model(a, b)))


def _row(spec: str, peer: str, peer_spec: str, signed: bool) -> dict:
    name = f"{spec} / {peer}"
    if not _same_table(spec, peer_spec, signed):
        return {"name": name, "seconds": 0.0, "note": "NOT COMPARED: the tables differ"}
    t0 = time.perf_counter()
    own, other = _synth(spec), _synth(peer_spec)
    area = own["area"] / other["area"]
    energy = own["energy_pj"] / other["energy_pj"]
    return {
        "name": name, "seconds": time.perf_counter() - t0,
        "area_ratio": round(area, 4), "energy_ratio": round(energy, 4),
        "note": (f"axhdl/peer area x{area:.3f} ({own['area']:g} / {other['area']:g}), "
                 f"energy/op x{energy:.3f} ({own['energy_pj']:.2f} / "
                 f"{other['energy_pj']:.2f} pJ), delay {own['delay_ns']:.2f} / "
                 f"{other['delay_ns']:.2f} ns at {own['period_ns']:g} ns"),
    }


def run() -> list[dict]:
    """Rows ``{"name", "seconds", "note", "area_ratio", "energy_ratio"}``, one per pair."""
    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    python, why = _peer_python()
    names = sorted({peer for _, peer in PAIRS if peer != "drum_authors"})
    if python is not None:
        done = subprocess.run([str(python), "-c", _GENERATE, *names], cwd=work,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            python, why = None, f"skipped: ArithsGen failed ({done.stderr.strip()[-200:]})"
    drum, drum_why = _drum_file(work, 4, 8)
    for spec, peer in PAIRS:
        signed = "signed=true" in spec
        if peer == "drum_authors":
            if drum is None:
                rows.append({"name": f"{spec} / {peer}", "seconds": 0.0, "note": drum_why})
                continue
            peer_spec = f"verilog:path={drum},top=DRUMk_M_N_u,a=a,b=b,p=r"
        else:
            if python is None:
                rows.append({"name": f"{spec} / {peer}", "seconds": 0.0, "note": why})
                continue
            peer_spec = (f"verilog:path={work / (peer + '.v')},top={peer},a=a,b=b,"
                         f"p={peer}_out,signed={'true' if signed else 'false'}")
        rows.append(_row(spec, peer, peer_spec, signed))
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<58} {row['seconds']:7.2f} s  {row['note']}")
