"""Time and peak memory (RSS) of `anakinra-kg import` on the shared ontology files; prints and writes a table."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGIES = ROOT.parent / "shared" / "ontologies"
CASES = [
    ("mondo-2023-08-02-skeleton.nt.gz", "mondo"),
    ("mondo-2021-10-07-hp_import.obo", "hp"),
    ("mondo-2021-10-07-hp_import.owl.gz", "hp"),
    ("mondo-2021-10-07-chebi_import.obo", "chebi"),
]
OUT = ROOT / "benchmarks" / "import.md"


def measure(source: Path, name: str, out: Path) -> tuple[float, float]:
    """Run one import in a fresh process; return wall seconds and the child's peak RSS in MiB."""
    exe = Path(sys.executable).with_name("anakinra-kg")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "--project-dir", str(ROOT), "import", str(source), "--ontology", name, "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"import of {source} failed: {proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    """Measure every case and write benchmarks/import.md."""
    lines = ["| file | size | ontology | wall time (s) | peak RSS (MiB) |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for file_name, name in CASES:
            source = ONTOLOGIES / file_name
            seconds, rss = measure(source, name, Path(tmp) / f"{name}.ttl")
            size = f"{source.stat().st_size / 1024:.0f} KiB"
            lines.append(f"| {file_name} | {size} | {name} | {seconds:.2f} | {rss:.0f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    OUT.write_text("# `anakinra-kg import` on the shared ontology files\n\n" + table, encoding="utf-8")


if __name__ == "__main__":
    main()
