"""The benchmark: every engine side by side on the article's graph and on synthetic graphs; one command.

    .venv/bin/python benchmarks/run.py [--sizes 100k,1M,10M] [--repeat N] [--clients 8] [--round-trips N] [--quick]
        [--engines pyoxigraph,oxigraph,oxigraph-memory,virtuoso,ours,ours-app,ours-cached,ours-remote,rdflib]
        [--interleave-rounds N] [--out DIR]

Writes DIR/results.md (tables), DIR/results.json (raw figures) and DIR/*.png (cost vs graph size).
Absolute times on a shared machine are noise: ratios within one run are the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from anakinra_kg.prefixes import prefix_map  # noqa: E402
from benchmarks import compare, generate, interleaved, report  # noqa: E402
from benchmarks.engines import ours  # noqa: E402
from benchmarks.engines.base import Dataset, Engine, HttpClient  # noqa: E402
from benchmarks.engines.floor import FLOORS  # noqa: E402
from benchmarks.engines.inprocess import AnakinraApp, Pyoxigraph, Rdflib  # noqa: E402
from benchmarks.engines.oxigraph_server import OxigraphMemoryServer, OxigraphServer  # noqa: E402
from benchmarks.engines.remote import AnakinraOverVirtuoso  # noqa: E402
from benchmarks.engines.virtuoso import VirtuosoEngine  # noqa: E402
from benchmarks.workload import PeakRss, Query, cpu_seconds, latency, read_queries, throughput, yardstick  # noqa: E402

ENGINES = {
    "pyoxigraph": Pyoxigraph,  # first: the reference answers
    "oxigraph": OxigraphServer,  # the baseline of the ratios
    "oxigraph-memory": OxigraphMemoryServer,
    "virtuoso": VirtuosoEngine,
    "ours": lambda: ours.AnakinraEndpoint(cache=False),
    "ours-app": AnakinraApp,
    "ours-cached": lambda: ours.AnakinraEndpoint(cache=True),
    "ours-remote": AnakinraOverVirtuoso,
    "rdflib": Rdflib,
}
BASELINE = OxigraphServer.name
INTERLEAVED = ("pyoxigraph", "oxigraph", "oxigraph-memory", "ours", "ours-app")  # the p50 target's, timed in turns


def article_dataset(workdir: Path, record: dict) -> Dataset:
    """Build our store from the project's sources and dump it as N-Quads: the same data for every engine."""
    folder = workdir / "article"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    project = Dataset("article", [], 0, ROOT)
    seconds = ours.build_store(project, folder / "anakinra-store")
    store = ox.Store.read_only(str((folder / "anakinra-store").resolve()))
    dump = folder / "article.nq"
    store.dump(output=dump, format=ox.RdfFormat.N_QUADS)
    graphs = sorted(g.value for g in store.named_graphs())
    dataset = Dataset("article", [dump], len(store), ROOT, graphs)
    record["build"] = {"seconds": seconds}
    return dataset


def synthetic_dataset(size: str, workdir: Path, record: dict, seed: int) -> Dataset:
    """Generate (or reuse) the synthetic graph and build our store from it."""
    out = workdir / "data" / size
    started = time.perf_counter()
    manifest = generate.generate(out, generate.parse_size(size), seed)
    record["generate"] = {"seconds": round(time.perf_counter() - started, 2), "manifest": manifest}
    folder = workdir / size
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = [out / name for name in manifest["files"]]
    dataset = Dataset(size, files, manifest["data_triples"], out)
    record["build"] = {"seconds": ours.build_store(dataset, folder / "anakinra-store")}
    # Every engine serves the same quads: what our build made (asserted, inferred, metadata graphs).
    store = ox.Store.read_only(str((folder / "anakinra-store").resolve()))
    dump = folder / f"{size}.nq"
    store.dump(output=dump, format=ox.RdfFormat.N_QUADS)
    dataset.files, dataset.triples = [dump], len(store)
    dataset.graphs = sorted(g.value for g in store.named_graphs())
    return dataset


def validate(dataset: Dataset, folder: Path) -> dict:
    """Time `anakinra-kg validate` on the built store, when the command exists."""
    if not ours.has_subcommand("validate"):
        return {"skipped": "`anakinra-kg validate` not available in this checkout"}
    seconds, outcome = ours.validate_store(dataset, folder / "anakinra-store")
    return {"seconds": seconds, "outcome": outcome}


def run_engine(engine: Engine, dataset: Dataset, queries: list[Query], folder: Path, args, reference: dict) -> dict:
    """Load, start, check every answer against the reference, time latency and throughput, stop."""
    result: dict = {"engine": engine.name, "queries": {}, "yardstick": yardstick()}
    reason = engine.skip_reason(dataset)
    if reason:
        result["skipped"] = reason
        return result
    try:
        result["load_seconds"] = engine.load(dataset, folder)
        result["start_seconds"] = engine.start()
        client = engine.client()
        result.update(round_trip(engine, client, max(args.repeat, args.round_trips)))
        with PeakRss(engine.pids()) as rss:
            for query in queries:
                result["queries"][query.name] = measure(engine, client, query, args, reference)
            if engine.over_http and args.clients > 0 and queries:
                result.update(mix(engine, queries, args))
        result["peak_rss"], result["peak_rss_process"] = rss.peak or None, rss.peak_process or None
        client.close()
    except Exception as error:  # one engine failing must not lose the others' figures
        result["error"] = f"{type(error).__name__}: {str(error)[:500]}"
        traceback.print_exc()
    finally:
        engine.stop()
    return result


def round_trip(engine: Engine, client, runs: int) -> dict:
    """The p50 of `ASK {}` (an HTTP round trip, or an in-process call) and, for a server, the CPU time its
    processes spent per request meanwhile (user + system, the warm-up included)."""
    pids = engine.pids()
    cpu = cpu_seconds(pids)
    p50, _, done = latency(lambda: client.query("ASK {}"), runs)
    figures = {"round_trip_p50": p50}
    if pids:
        figures["round_trip_cpu"] = (cpu_seconds(pids) - cpu) / (done + 1)
    return figures


def measure(engine: Engine, client, query: Query, args, reference: dict) -> dict:
    """Check one query's answer and time it."""
    row: dict = {}
    try:
        parsed = compare.parse(client.query(query.text), query.text)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    row["rows"] = compare.size(parsed)
    if query.name not in reference:
        reference[query.name] = (engine.name, parsed)
        row["agrees"], row["note"] = True, "reference"
    else:
        row["agrees"], row["note"] = compare.same(reference[query.name][1], parsed, query.text)
    try:
        row["p50"], row["p95"], row["runs"] = latency(lambda: client.query(query.text), args.repeat, budget=args.budget)
        if engine.over_http and args.clients > 0:
            load = throughput(
                engine, [query.text], args.clients, args.per_client, args.budget, min_seconds=args.min_seconds
            )
            row["qps"] = load.qps
            if load.failed:
                row["failed_under_load"] = load.failures()
    except Exception as error:  # a query failing while timed is its figure; the engine goes on to the next
        client.close()
        return {"error": f"{type(error).__name__} while timed: {str(error)[:300]}"}
    return row


def mix(engine: Engine, queries: list[Query], args) -> dict:
    """The throughput of the whole query set as one workload: every client cycles through all the queries."""
    texts, per_client = [q.text for q in queries], args.per_client * len(queries)
    try:
        load = throughput(
            engine, texts, args.clients, per_client, args.budget, pids=engine.pids(), min_seconds=args.min_seconds
        )
    except Exception as error:  # its figure is missing, the per-query figures stay
        return {"mix_error": f"{type(error).__name__}: {str(error)[:300]}"}
    return {"mix_qps": load.qps, "mix_failed": load.failures(), "mix_cpu_per_request": load.cpu_per_request}


def run_dataset(name: str, args, queries: list[Query]) -> dict:
    """Prepare one dataset and run every engine on it."""
    record: dict = {"dataset": name, "engines": []}
    print(f"== {name}", file=sys.stderr, flush=True)
    if name == "article":
        dataset = article_dataset(args.workdir, record)
    else:
        dataset = synthetic_dataset(name, args.workdir, record, args.seed)
    record["triples"] = dataset.triples
    folder = args.workdir / name
    record["validate"] = validate(dataset, folder)
    reference: dict = {}
    store = (folder / "anakinra-store").resolve()
    for key in args.engines:
        engine = ENGINES[key]()
        print(f"   {engine.name}", file=sys.stderr, flush=True)
        workdir = engine_folder(folder / key, store)
        record["engines"].append(run_engine(engine, dataset, queries, workdir, args, reference))
    if name == "article" and not args.no_floors:
        record["floors"] = [run_engine(make(), dataset, [], folder, args, {}) for make in FLOORS.values()]
    if name == "article" and args.interleave_rounds > 0:
        record.update(run_interleaved(args, dataset, queries, folder / "interleaved", store))
    return record


def run_interleaved(args, dataset: Dataset, queries: list[Query], folder: Path, store: Path) -> dict:
    """The p50 target's engines timed in turns (interleaved.py), when at least two of them can run here."""
    engines = [(ENGINES[key](), key) for key in INTERLEAVED if key in args.engines]
    if not args.no_floors:  # the least Python endpoint, beside them: how near any of it can come to the target
        engines.append((FLOORS["sparql-floor"](), "sparql-floor"))
    runnable = [(e, engine_folder(folder / key, store)) for e, key in engines if not e.skip_reason(dataset)]
    if len(runnable) < 2:
        return {}
    print(f"   interleaved: {', '.join(engine.name for engine, _ in runnable)}", file=sys.stderr, flush=True)
    try:
        return {"interleaved": interleaved.p50s(runnable, dataset, queries, args.interleave_rounds)}
    except Exception as error:  # the per-engine figures stay
        traceback.print_exc()
        return {"interleaved": {"error": f"{type(error).__name__}: {str(error)[:300]}"}}


def engine_folder(folder: Path, store: Path) -> Path:
    """Make an engine's working folder (named for its key); ours get a link to the store the dataset's build made."""
    folder.mkdir(parents=True, exist_ok=True)
    if folder.name.startswith("ours"):
        (folder / "anakinra-store").unlink(missing_ok=True)
        (folder / "anakinra-store").symlink_to(store)
    return folder


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M,10M", help="synthetic sizes (comma-separated; '' for none)")
    parser.add_argument("--repeat", type=int, default=20, help="runs per query for p50/p95 (1 client)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for throughput (0: skip)")
    parser.add_argument("--per-client", type=int, help="queries per client for throughput (default: --repeat)")
    parser.add_argument(
        "--min-seconds", type=float, default=1.0, help="each throughput measurement runs at least this long"
    )
    parser.add_argument(
        "--interleave-rounds", type=int, default=15, help="rounds of the p50 target's engines in turns (0: skip)"
    )
    parser.add_argument("--round-trips", type=int, default=2000, help="runs of `ASK {}` for each round trip p50")
    parser.add_argument("--budget", type=float, default=30, help="seconds per measurement before stopping early")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"subset of {','.join(ENGINES)}")
    parser.add_argument("--no-article", action="store_true", help="skip the catalogue on the article's graph")
    floors = "skip the floors: bare granian, Flask, and pyoxigraph in a bare WSGI app"
    parser.add_argument("--no-floors", action="store_true", help=floors)
    parser.add_argument("--quick", action="store_true", help="smoke run: small graph, few runs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--catalogue", type=Path, default=ROOT / "queries", help="the catalogue's .rq folder")
    parser.add_argument("--synthetic-queries", type=Path, default=ROOT / "benchmarks" / "queries")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--fresh-connections", action="store_true", help="a new HTTP connection per request")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any engine's answers differ")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.per_client, args.round_trips, args.interleave_rounds = "2k", 3, 2, 50, 2
        args.min_seconds = 0.0
    args.per_client = args.per_client or args.repeat
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    args.engines.sort(key=list(ENGINES).index)
    return args


def _save(run: dict, out: Path) -> None:
    """Write results.json and the report of the datasets measured so far."""
    if not run["datasets"]:
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(run, indent=1, default=str) + "\n")
    report.write(run, out)


def main(argv: list[str] | None = None) -> int:
    """Run every dataset and engine; write the table, the raw figures and the plots."""
    args = parse_args(argv)
    HttpClient.fresh_connections = args.fresh_connections
    args.workdir.mkdir(parents=True, exist_ok=True)
    prefixes = prefix_map()
    run = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": f"{platform.node()}: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
        "versions": {"python": platform.python_version(), "pyoxigraph": ox.__version__},
        "repeat": args.repeat,
        "clients": args.clients,
        "budget": args.budget,
        "per_client": args.per_client,
        "min_seconds": args.min_seconds,
        "connections": "new connection per request" if args.fresh_connections else "keep-alive",
        "baseline": BASELINE,
        "datasets": [],
    }
    if not args.no_article:
        run["datasets"].append(run_dataset("article", args, read_queries(args.catalogue, prefixes)))
    synthetic = read_queries(args.synthetic_queries, prefixes)
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        _save(run, args.out)  # what is measured so far survives a later failure or interruption
        run["datasets"].append(run_dataset(size, args, synthetic))
    run["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _save(run, args.out)
    print(f"wrote {args.out / 'results.md'}", file=sys.stderr)
    disagreements = report.disagreements(run)
    for line in disagreements:
        print(f"DISAGREE {line}", file=sys.stderr)
    for line in report.failures(run):
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if args.strict and disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
