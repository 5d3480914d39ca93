"""A pool of query worker processes: each request borrows one, and one that overruns is killed and replaced.

Each web-server process owns one pool with a worker per request thread, so every thread finds a worker
free; a runaway query only ever holds its own worker, and others keep answering with normal latency.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import queue
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

from . import worker

log = logging.getLogger(__name__)


class QueryTimeoutError(Exception):
    """A job ran past the time limit; its worker was killed."""


class BusyError(Exception):
    """No worker became free within the time limit."""


class WorkerDiedError(Exception):
    """The worker process died while answering (and has been replaced)."""


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, ctx: multiprocessing.context.BaseContext) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=worker.main, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        """Stop the process at once and reap it."""
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class Pool:
    """Query workers shared by the request threads of one web-server process."""

    def __init__(self, size: int, timeout: float) -> None:
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["anakinra_kg.server.worker"])
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add()
        atexit.register(self.close)

    def run(self, job: worker.QueryJob | worker.StatsJob) -> Any:
        """Run a job on a free worker and return its answer, within the time limit."""
        started = time.monotonic()
        try:
            borrowed = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise BusyError from None
        left = max(self.timeout - (time.monotonic() - started), 0.001)
        try:
            borrowed.conn.send(job)
            if borrowed.conn.poll(left):
                answer = borrowed.conn.recv()
                self._idle.put(borrowed)
                return answer
        except (EOFError, OSError) as error:
            log.error("query worker %s died: %s", borrowed.process.pid, error)
            self._replace(borrowed)
            raise WorkerDiedError from None
        log.warning("query ran past %.1f s; killing worker %s", self.timeout, borrowed.process.pid)
        self._replace(borrowed)
        raise QueryTimeoutError

    def close(self) -> None:
        """Kill every worker (at exit)."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for each in workers:
            each.kill()

    def _add(self) -> None:
        """Start a worker and make it available."""
        with self._lock:
            if self._closed:
                return
            started = _Worker(self._ctx)
            self._all.add(started)
        self._idle.put(started)

    def _replace(self, dead: _Worker) -> None:
        """Kill a worker and start its replacement in the background (the request need not wait)."""
        dead.kill()
        with self._lock:
            self._all.discard(dead)
        threading.Thread(target=self._add, name="query-worker-replacement", daemon=True).start()
