"""Time SHACL validation, OWL RL materialisation and the HermiT check on ontology/ + data/ (median of N runs).

Usage: .venv/bin/python benchmarks/validate_reason.py [N]   (writes benchmarks/validate_reason.md)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from anakinra_kg import reason, rules, sources, validate

ROOT = Path(__file__).resolve().parents[1]


def main(runs: int) -> None:
    """Run each step ``runs`` times and report median, min and max wall time in seconds."""
    found = sources.discover(ROOT / "ontology", ROOT / "data")
    quads = sources.load_all(found)

    def sparql_rules() -> None:
        store = ox.Store()
        sources.load_into(store, found)
        rules.infer(store)

    steps = {
        "validate (SHACL compiled to SPARQL, all shapes)": lambda: validate.validate_sources(found, ROOT / "ontology"),
        "validate (pyshacl, all shapes)": lambda: validate.validate_sources(found, ROOT / "ontology", "pyshacl"),
        "infer (SPARQL rules, incl. load into memory)": sparql_rules,
        "infer (owlrl, inferred graph)": lambda: reason.infer(quads),
        "reason (HermiT via owlready2, incl. JVM start)": lambda: reason.check(quads),
    }
    rows = ["| step | median s | min s | max s | runs |", "|---|---|---|---|---|"]
    for name, step in steps.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        rows.append(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} | {runs} |")
    table = f"{len(quads)} quads (ontology + data + provenance)\n\n" + "\n".join(rows) + "\n"
    print(table)
    (ROOT / "benchmarks" / "validate_reason.md").write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
