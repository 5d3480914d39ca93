"""The measurements: latency with one client, throughput with concurrent clients, peak RSS of a server."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from .engines.base import Answer, Engine

CONNECTION_LOST = 0  # the "status" of an answer that never came: the server closed the connection


@dataclass(frozen=True)
class Query:
    """A query file: its name and text (with PREFIX declarations every engine needs)."""

    name: str
    text: str


def with_prefixes(text: str, prefixes: dict[str, str]) -> str:
    """Prepend PREFIX declarations for prefixes the query uses but does not declare (catalogue queries)."""
    declared = {m.lower() for m in re.findall(r"(?i)PREFIX\s+([\w.-]*):", text)}
    body = re.sub(r"#[^\n]*|<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"", " ", text)
    used = set(re.findall(r"(?<![\w?$<])([A-Za-z][\w.-]*):", body))
    missing = [p for p in sorted(used) if p in prefixes and p.lower() not in declared]
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in missing) + text


def read_queries(folder: Path, prefixes: dict[str, str]) -> list[Query]:
    """Read every .rq file of a folder, in name order."""
    return [Query(path.stem, with_prefixes(path.read_text(), prefixes)) for path in sorted(folder.glob("*.rq"))]


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def yardstick() -> float:
    """Seconds a fixed pure-Python loop takes here now (median of 31): this VM's speed drifts by up to 1.7x
    within a minute, so a run records it before each engine, and its spread says how far to trust the ratios."""

    def once() -> float:
        started = time.perf_counter()
        sum(i * i for i in range(20_000))
        return time.perf_counter() - started

    return statistics.median(once() for _ in range(31))


def timings(run: Callable[[], Answer], repeat: int, warmup: int = 1, budget: float = 1e9) -> list[float]:
    """Run a query ``warmup`` + ``repeat`` times in a row (fewer, but at least 3, past ``budget`` seconds) and
    return the seconds of each timed run; an answer other than 200 or 304 is an error."""
    for _ in range(warmup):
        run()
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < repeat and (len(times) < 3 or time.perf_counter() - began < budget):
        started = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - started)
        if answer.status not in (200, 304):
            raise RuntimeError(f"HTTP {answer.status}")
    return times


def latency(run: Callable[[], Answer], repeat: int, warmup: int = 1, budget: float = 1e9) -> tuple[float, float, int]:
    """The p50 and p95 of ``timings`` (same arguments), and how many runs were timed."""
    times = timings(run, repeat, warmup, budget)
    return statistics.median(times), percentile(times, 95), len(times)


@dataclass(frozen=True)
class Load:
    """What a throughput run measured: answers per second, failures by status, the servers' CPU per request."""

    qps: float
    failed: dict[int, int]
    cpu_per_request: float | None = None  # seconds, over the timed window (with ``pids``; psutil counts 10 ms ticks)

    def failures(self) -> dict[str, int]:
        """The failures by status, as results.json keeps them (string keys, in status order)."""
        return {str(status): n for status, n in sorted(self.failed.items())}


def throughput(
    engine: Engine,
    texts: list[str],
    clients: int,
    per_client: int,
    budget: float = 1e9,
    pids: Sequence[int] = (),
    min_seconds: float = 0.0,
) -> Load:
    """Have ``clients`` threads, each with its own connection, run ``per_client`` queries cycling through ``texts``.

    With one text this is that query's throughput; with the whole catalogue it is the catalogue as one workload
    (client i starts at the i-th query, so the clients do not run the same query in step).
    Returns the successful answers per second and the other answers by HTTP status (e.g. {503: 2} when the
    query ran past a server's time limit under load; CONNECTION_LOST when no answer came): a failure is a
    figure, and it does not stop the run. With ``pids`` (a server's processes), also the CPU time they used
    per request in the timed window: what a request costs the machine's cores, less noisy than the rate.
    A client stops early (after at least one query) once ``budget`` seconds have passed, and goes on past
    ``per_client`` queries until ``min_seconds`` have: a light query's rate then rests on a second of requests,
    not on the few ``per_client`` gives, while a heavy one still stops at ``per_client``.
    """
    sessions = [engine.client() for _ in range(clients)]
    for session in sessions:
        session.query(texts[0])  # open the connection, warm the path
    barrier = threading.Barrier(clients + 1)
    began = [0.0]

    failed: dict[int, int] = {}
    lock = threading.Lock()

    def more(done: int, elapsed: float) -> bool:
        return elapsed < budget and (done < per_client or elapsed < min_seconds)

    def work(session, first: int) -> int:
        barrier.wait()
        done = ok = 0
        while done == 0 or more(done, time.perf_counter() - began[0]):
            try:
                status = session.query(texts[(first + done) % len(texts)]).status
            except (OSError, http.client.HTTPException):  # e.g. the server retired the process holding it
                session.close()
                status = CONNECTION_LOST
            if status in (200, 304):
                ok += 1
            else:
                with lock:
                    failed[status] = failed.get(status, 0) + 1
            done += 1
        return ok

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(work, s, i) for i, s in enumerate(sessions)]
        cpu = cpu_seconds(pids)
        began[0] = time.perf_counter()
        barrier.wait()
        completed = sum(future.result() for future in futures)
        seconds = time.perf_counter() - began[0]
        cpu = cpu_seconds(pids) - cpu
    for session in sessions:
        session.close()
    requests = completed + sum(failed.values())
    return Load(completed / seconds, failed, cpu / requests if pids and requests else None)


def process_trees(pids: Sequence[int]) -> list[psutil.Process]:
    """The live processes among ``pids`` and all their children (a server's workers are children)."""
    found = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            found += [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time used so far by processes and all their children."""
    total = 0.0
    for proc in process_trees(pids):
        try:
            times = proc.cpu_times()
        except psutil.Error:  # ended since it was listed
            continue
        total += times.user + times.system
    return total


class PeakRss:
    """Samples the resident memory of processes and all their children in a thread; keeps the peaks.

    ``peak`` is the largest sum over the process tree (shared pages counted once per process);
    ``peak_process`` the largest single process (e.g. one worker).
    """

    def __init__(self, pids: list[int], every: float = 0.05) -> None:
        self.pids, self.every, self.peak, self.peak_process = pids, every, 0, 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> list[int]:
        sizes = []
        for proc in process_trees(self.pids):
            try:
                sizes.append(proc.memory_info().rss)
            except psutil.Error:  # ended since it was listed
                continue
        return sizes

    def _loop(self) -> None:
        while not self.stopping.is_set():
            sizes = self._sample()
            self.peak = max(self.peak, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes, default=0))
            self.stopping.wait(self.every)

    def __enter__(self) -> PeakRss:
        if self.pids:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()
