"""The query threads' time limit, and the fast path: a job known fast runs on the request thread, still watched."""

from __future__ import annotations

import threading
import time

import pytest

from anakinra_kg.server.executor import Pool, QueryTimeoutError


def where() -> int:
    """The thread a job ran on."""
    return threading.get_ident()


def test_a_job_known_fast_runs_on_the_request_thread() -> None:
    """The first run of a key goes to a query thread; once it was fast there, the same key runs here."""
    pool = Pool(2, timeout=5, fast_seconds=0.5)
    me = threading.get_ident()
    assert pool.run(where, key="q") != me
    assert pool.run(where, key="q") == me
    assert pool.run(where, key="another") != me  # a key not seen yet
    assert pool.run(where) != me  # no key: never inline


def test_slow_jobs_stay_on_query_threads() -> None:
    """A job slower than fast_seconds is not remembered; one known fast that turns slow is forgotten."""
    pool = Pool(2, timeout=5, fast_seconds=0.05)
    me = threading.get_ident()

    def slow() -> int:
        time.sleep(0.1)
        return where()

    assert pool.run(slow, key="slow") != me
    assert pool.run(slow, key="slow") != me
    assert pool.run(where, key="turns") != me
    assert pool.run(slow, key="turns") == me  # known fast: ran here, and took too long
    assert pool.run(where, key="turns") != me  # so it is no longer known fast


def test_fast_path_off() -> None:
    """fast_seconds=0 sends every job to a query thread."""
    pool = Pool(1, timeout=5, fast_seconds=0)
    me = threading.get_ident()
    assert [pool.run(where, key="q") != me for _ in range(3)] == [True] * 3


def test_fast_seconds_is_at_most_a_tenth_of_the_time_limit() -> None:
    """A short time limit caps what counts as fast."""
    assert Pool(1, timeout=2, fast_seconds=0.5).fast_seconds == pytest.approx(0.2)


def test_a_job_past_the_time_limit_on_a_query_thread() -> None:
    """The waiting request gets QueryTimeoutError at the limit and the owner is told, once."""
    told: list[float] = []
    pool = Pool(1, timeout=0.3, on_overrun=lambda: told.append(time.monotonic()), fast_seconds=0.02)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError):
        pool.run(lambda: time.sleep(1.0), key="heavy")
    assert 0.3 <= time.monotonic() - started < 0.8
    assert len(told) == 1 and pool.overruns == 1
    assert pool.run(lambda: "next") == "next"  # a fresh query thread took the stuck one's place


def test_the_watchdog_applies_the_time_limit_to_a_job_on_the_request_thread() -> None:
    """A key known fast that runs past the limit on the request thread makes the watchdog tell the owner."""
    told: list[float] = []
    pool = Pool(1, timeout=0.5, on_overrun=lambda: told.append(time.monotonic()), fast_seconds=0.05)
    calls = []

    def fast_then_stuck() -> int:
        calls.append(1)
        if len(calls) > 1:
            time.sleep(1.2)
        return where()

    me = threading.get_ident()
    assert pool.run(fast_then_stuck, key="q") != me
    started = time.monotonic()
    assert pool.run(fast_then_stuck, key="q") == me
    assert len(told) == 1 and pool.overruns == 1
    assert 0.5 <= told[0] - started < 0.8


def test_the_setting_reaches_the_query_threads_of_the_app() -> None:
    """fast_query_seconds (ANAKINRA_KG_FAST_QUERY_SECONDS) is what the application's pool uses, 0 included."""
    from anakinra_kg.server import create_app
    from anakinra_kg.settings import Settings

    for seconds in (0.0, 0.25):
        pool = create_app(Settings(fast_query_seconds=seconds, query_timeout=30)).extensions["anakinra_kg.pool"]
        assert pool.fast_seconds == seconds


def test_the_pool_remembers_a_digest_of_the_query_not_its_text(tmp_path) -> None:  # noqa: ANN001
    """Fast-path keys stay small however long the query: thousands are kept, and a query may be 1 MB."""
    from anakinra_kg.server import create_app
    from anakinra_kg.settings import Settings

    app = create_app(Settings(store_dir=tmp_path / "none", query_timeout=30))
    pool = app.extensions["anakinra_kg.pool"]
    seen: list[object] = []
    pool.run = lambda job, key=None: seen.append(key)  # record the key the endpoint hands over
    padded = "ASK {}\n#" + "x" * 200_000
    with app.test_request_context("/sparql", query_string={"query": padded}):
        from anakinra_kg.server import sparql
        from anakinra_kg.server.worker import QueryJob

        sparql.execute(QueryJob(text=padded, store_path=str(tmp_path)))
    assert seen and len(repr(seen[0])) < 1_000


def test_closing_the_pool_ends_its_idle_query_threads() -> None:
    """close() lets this process's query threads end (the benchmark's in-process app stops them so)."""
    pool = Pool(3, timeout=5)
    worker = pool.run(where)
    assert any(t.ident == worker for t in threading.enumerate())
    pool.close()
    deadline = time.monotonic() + 5
    while any(t.ident == worker for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.ident == worker for t in threading.enumerate())
    assert pool.run(where) != threading.get_ident()  # used again, it starts fresh threads
