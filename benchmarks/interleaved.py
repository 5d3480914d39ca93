"""The p50 target measured with its engines interleaved, so that the machine's drift falls on all of them alike.

The per-engine runs time one engine after another, minutes apart; this VM's speed drifts by up to 1.7x in
that time (see ``workload.yardstick``), which the ratios between engines then carry. Here the target's
engines (pyoxigraph in-process, Oxigraph server on RocksDB and in memory, our server, and our application
in-process, when asked for; and pyoxigraph in a bare WSGI app under granian, the least Python endpoint) are
all started at once, and each round times every query (then ``ASK {}``) on each engine in turn, the engines
in a rotating order: every engine's median comes from the same stretch of time.

It also measures something a little different: between two engines' turns the others run, so every engine
answers with colder CPU caches than in a run of the same query over and over (pyoxigraph's in-process p50
of a light query about doubles), as under a mixed load. Both figures are reported.
"""

from __future__ import annotations

import statistics
from functools import partial
from pathlib import Path

from .engines.base import Client, Dataset, Engine
from .workload import Query, timings

ROUND_TRIP = "ASK {}"


def p50s(
    engines: list[tuple[Engine, Path]], dataset: Dataset, queries: list[Query], rounds: int, per_round: int = 3
) -> dict:
    """Load (each into its folder) and start the engines, time each query ``per_round`` times per engine in each
    of ``rounds`` rounds (after one untimed call; ``workload.timings``), stop them.

    Returns {"rounds", "per_round", "engines": [{"engine", "queries": {name: {"p50", "runs"}}, "round_trip_p50"}]}.
    """
    times: dict[str, dict[str, list[float]]] = {engine.name: {} for engine, _ in engines}
    try:
        clients: list[tuple[str, Client]] = []
        for engine, folder in engines:
            engine.load(dataset, folder)
            engine.start()
            clients.append((engine.name, engine.client()))
        texts = [(q.name, q.text) for q in queries] + [(ROUND_TRIP, ROUND_TRIP)]
        for turn in range(rounds):
            order = clients[turn % len(clients) :] + clients[: turn % len(clients)]
            for name, text in texts:
                for engine_name, client in order:
                    times[engine_name].setdefault(name, []).extend(timings(partial(client.query, text), per_round))
    finally:
        for engine, _ in engines:
            engine.stop()
    return {"rounds": rounds, "per_round": per_round, "engines": [_medians(name, t) for name, t in times.items()]}


def _medians(engine: str, times: dict[str, list[float]]) -> dict:
    """One engine's p50 per query, and its `ASK {}` p50 as its round trip, in the shape of an engine's result."""
    queries = {name: {"p50": statistics.median(t), "runs": len(t)} for name, t in times.items() if name != ROUND_TRIP}
    round_trip = statistics.median(times[ROUND_TRIP]) if ROUND_TRIP in times else None
    return {"engine": engine, "queries": queries, "round_trip_p50": round_trip}
