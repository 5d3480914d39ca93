"""Time our build against `oxigraph load` on the same generated files, and validation/inference per size.

Usage: .venv/bin/python benchmarks/build_validate.py [--sizes 100k,1M] [--runs 3] [--pyshacl-up-to 100k]
Writes benchmarks/results/build_validate.md (medians of --runs; absolute times on a shared machine are noise,
the ratio ours/oxigraph in the same run is the result).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from anakinra_kg import rules, sources, validate  # noqa: E402
from benchmarks import generate  # noqa: E402
from benchmarks.engines import ours  # noqa: E402


def _timed(argv: list[str]) -> float:
    """Run a command (failing loudly) and return its wall time."""
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def _oxigraph_load(project: Path, files: list[str], where: Path) -> float:
    """`oxigraph load` of the same Turtle files into a fresh RocksDB folder."""
    shutil.rmtree(where, ignore_errors=True)
    argv = [shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph"), "load", "--location", str(where)]
    for name in files:
        argv += ["--file", str(project / name)]
    return _timed(argv)


def _in_process(project: Path) -> dict[str, float]:
    """Load into an in-memory store, then time inference and the two validation engines' steps."""
    found = sources.discover(project / "ontology", project / "data")
    store = ox.Store()
    started = time.perf_counter()
    sources.load_into(store, found)
    out = {"load (in memory)": time.perf_counter() - started}
    started = time.perf_counter()
    rules.infer(store)
    out["infer (SPARQL rules)"] = time.perf_counter() - started
    started = time.perf_counter()
    report = validate.validate_store(store, project / "ontology")
    out["validate (SHACL as SPARQL)"] = time.perf_counter() - started
    out["violations"] = len(report.violations)
    return out


def measure(size: str, runs: int, work: Path, pyshacl_up_to: int) -> dict[str, float]:
    """Median seconds of each step for one generated size."""
    project = work / "data" / size
    manifest = generate.generate(project, generate.parse_size(size))
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        steps = {
            "oxigraph load": _oxigraph_load(project, manifest["files"], work / "oxigraph-load"),
            "anakinra-kg build --no-validate": ours.build_store(
                ours.Dataset(size, [], manifest["data_triples"], project), work / "ours-store"
            ),
        }
        steps.update(_in_process(project))
        for name, seconds in steps.items():
            times.setdefault(name, []).append(seconds)
    if manifest["data_triples"] <= pyshacl_up_to:
        started = time.perf_counter()
        validate.validate_sources(
            sources.discover(project / "ontology", project / "data"), project / "ontology", "pyshacl"
        )
        times["validate (pyshacl, 1 run)"] = [time.perf_counter() - started]
    result = {name: statistics.median(values) for name, values in times.items()}
    result["triples"] = manifest["data_triples"]
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure every size and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyshacl-up-to", default="100k", help="also time pyshacl up to this size")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "build_validate.md")
    args = parser.parse_args(argv)
    rows = [
        f"Load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {args.runs} runs.\n",
        "| size | step | seconds | triples/s |",
        "|---|---|---:|---:|",
    ]
    for size in args.sizes.split(","):
        result = measure(size, args.runs, args.workdir, generate.parse_size(args.pyshacl_up_to))
        triples = result.pop("triples")
        violations = result.pop("violations")
        for name, seconds in result.items():
            rows.append(f"| {size} | {name} | {seconds:.2f} | {triples / seconds:,.0f} |")
        ratio = result["oxigraph load"] / result["anakinra-kg build --no-validate"]
        rows.append(f"| {size} | build throughput / oxigraph load | {ratio:.2f}x | |")
        rows.append(f"| {size} | validation results | {violations} | |")
        print("\n".join(rows[-len(result) - 2 :]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
