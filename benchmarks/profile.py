"""Where the time goes, by py-spy (native frames too): our build of a synthetic graph, or our endpoint at one client.

Usage:
  .venv/bin/python benchmarks/profile.py build [--size 10M] [--checked] [--rate 20]
  .venv/bin/python benchmarks/profile.py serve [--seconds 30] [--rate 200]
Writes benchmarks/results/profile/<what>.md (what ran, its wall time, and where the sampled time went) and
<what>.txt (py-spy's raw stacks: flamegraph.pl and speedscope read them). py-spy samples the threads that run
Python (the work they do in Rust included); RocksDB's own background threads (flush, compaction) are not in it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from anakinra_kg.prefixes import prefix_map  # noqa: E402
from benchmarks import generate, stacks  # noqa: E402
from benchmarks.engines import ours  # noqa: E402
from benchmarks.engines.base import Dataset  # noqa: E402
from benchmarks.workload import read_queries  # noqa: E402


class ProfileError(Exception):
    """py-spy is missing or could not sample (e.g. no permission to trace processes)."""


def py_spy() -> str:
    """The py-spy command: beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise ProfileError("py-spy not found: pip install py-spy (the project's `bench` extra has it)")
    return found


def record(target: list[str], raw: Path, rate: int) -> subprocess.CompletedProcess:
    """Run py-spy record (native frames, raw stacks) on ``target`` (a command, or ``--pid`` and options)."""
    argv = [py_spy(), "record", "--native", "--rate", str(rate), "--format", "raw", "--output", str(raw), *target]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0 or not raw.exists():
        raise ProfileError(f"py-spy failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")
    return done


def profile_build(args: argparse.Namespace) -> tuple[str, list[str], Path]:
    """Profile `anakinra-kg build` of a generated graph; return its name, the header lines and the raw file."""
    project = args.workdir / "data" / args.size
    manifest = generate.generate(project, generate.parse_size(args.size), seed=args.seed)
    name = f"build-{args.size}" + ("-checked" if args.checked else "")
    raw, store = args.out / f"{name}.txt", args.workdir / "profile-store"
    argv = [*ours.command(), "--project-dir", str(project), "--store", str(store), "build"]
    argv += [] if args.checked else ["--no-validate"]
    started = time.perf_counter()
    done = record(["--", *argv], raw, args.rate)
    wall = time.perf_counter() - started
    shutil.rmtree(store.parent / f"{store.name}.builds", ignore_errors=True)
    store.unlink(missing_ok=True)
    shown = " ".join(["anakinra-kg", *(_short(a) for a in argv[1:])])
    header = [
        f"`{shown}` under py-spy: {manifest['data_triples']:,} data triples,",
        f"{wall:.1f} s wall (sampling slows it a little). The steps, as the build reports them (seconds, wall):",
        "",
        *_build_steps(done.stderr + done.stdout),
    ]
    return name, header, raw


def _build_steps(output: str) -> list[str]:
    """The build's own report of its steps' wall times, as a list."""
    _, found, steps = output.partition("steps, in seconds:\n")
    if not found:
        raise ProfileError(f"the build did not report its steps:\n{output[-800:]}")
    lines = [line.strip() for line in steps.splitlines() if line.startswith("  ")]
    return [f"- {line}" for line in lines]


def _short(argument: str) -> str:
    """A path under the project as a relative one (the table then reads the same on every machine)."""
    path = Path(argument)
    return str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else argument


def profile_serve(args: argparse.Namespace) -> tuple[str, list[str], Path]:
    """Profile our endpoint (cache off) on the article's graph while one client runs the catalogue in turn."""
    folder = args.workdir / "profile-serve"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    engine = ours.AnakinraEndpoint(cache=False)
    engine.load(Dataset("article", [], 0, ROOT), folder)
    queries = read_queries(ROOT / "queries", prefix_map())
    raw, done, stop = args.out / "serve-article.txt", [0], threading.Event()

    def client_loop() -> None:
        client = engine.client()
        while not stop.is_set():
            answer = client.query(queries[done[0] % len(queries)].text)
            if answer.status != 200:
                raise ProfileError(f"the endpoint answered {answer.status}: {answer.body[:200]!r}")
            done[0] += 1
        client.close()

    engine.start()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            loop = pool.submit(client_loop)
            target = ["--pid", str(engine.pids()[0]), "--subprocesses", "--duration", str(args.seconds)]
            try:
                record(target, raw, args.rate)
            finally:
                stop.set()
            loop.result(timeout=30)  # the client's failure (an answer other than 200) is the run's
    finally:
        engine.stop()
    header = [
        f"`anakinra-kg serve` (result cache off) on the article's graph under py-spy for {args.seconds} s, one",
        f"client running the {len(queries)} catalogue queries in turn over HTTP: {done[0]:,} requests answered",
        f"({done[0] / args.seconds:,.0f}/s).",
    ]
    return "serve-article", header, raw


def main(argv: list[str] | None = None) -> int:
    """Profile, then write the summary beside the raw stacks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["build", "serve"])
    parser.add_argument("--size", default="10M", help="build: the synthetic graph's size")
    parser.add_argument("--checked", action="store_true", help="build: with the SHACL and consistency gates")
    parser.add_argument("--seconds", type=int, default=30, help="serve: how long to sample")
    parser.add_argument("--rate", type=int, help="samples per second (default: build 20, serve 200)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "profile")
    args = parser.parse_args(argv)
    args.rate = args.rate or (20 if args.what == "build" else 200)
    args.out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().isoformat(timespec="seconds")
    try:
        name, header, raw = (profile_build if args.what == "build" else profile_serve)(args)
    except ProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    lines = [f"# Profile: {name}", "", f"{started}, {os.cpu_count()} cores, load average {load:.2f} at the end.", ""]
    lines += [*header, "", *stacks.summarise(stacks.read(raw), args.rate), ""]
    (args.out / f"{name}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {args.out / (name + '.md')} and {raw}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
