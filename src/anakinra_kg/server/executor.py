"""Query threads of one web-server process: each request hands its job to one and waits, within the time limit.

pyoxigraph releases the GIL while it evaluates and serializes, so queries run in parallel in threads of the
web-server process itself: no pipes, no pickling, one store handle per process. A query past the time limit
cannot be interrupted inside pyoxigraph, so its request is answered at once (503), a fresh thread takes the
stuck one's place, and ``on_overrun`` is called: under granian it replaces the server processes gracefully
(other requests in flight finish), which is what stops the runaway query.

Handing a job to another thread and back costs two thread wake-ups, about 0.2 ms, more than a light query
itself. So a job whose key (the query, its dataset and the build) already ran on a query thread in under
``fast_seconds`` runs on the request thread: the store never changes under a build, so it takes about as
long again. A watchdog still applies the time limit to such a job (it cannot be answered with a 503, so
the process is retired: its client sees the connection close).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)


class QueryTimeoutError(Exception):
    """A job ran past the time limit; its thread is abandoned and the process will be retired."""


class BusyError(Exception):
    """No query thread took the job within the time limit."""


class _Task:
    """One job handed to a query thread, and its answer once done."""

    __slots__ = ("abandoned", "done", "error", "job", "result", "seconds", "started")

    def __init__(self, job: Callable[[], Any]) -> None:
        self.job = job
        self.done = threading.Event()
        self.started = False
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.seconds = 0.0  # how long the job ran on its query thread


class Pool:
    """Daemon query threads shared by the request threads of one process, started lazily (after any fork)."""

    KNOWN = 4096  # most job keys remembered as fast

    def __init__(
        self, size: int, timeout: float, on_overrun: Callable[[], None] | None = None, fast_seconds: float = 0.0
    ) -> None:
        self.size = size
        self.timeout = timeout
        self.on_overrun = on_overrun
        self.fast_seconds = min(fast_seconds, timeout / 10)
        self.overruns = 0
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads = 0
        self._fast: OrderedDict[Hashable, None] = OrderedDict()
        self._inline: dict[int, float] = {}  # request thread id -> when its inline job started
        self._watching: int | None = None  # the process whose watchdog runs

    def run(self, job: Callable[[], Any], key: Hashable | None = None) -> Any:
        """Run ``job()`` and return its result, or raise past the time limit; on the request thread if known fast."""
        self._ensure_threads()
        if key is not None and key in self._fast:
            return self._run_inline(job, key)
        return self._run_on_thread(job, key)

    def _run_inline(self, job: Callable[[], Any], key: Hashable) -> Any:
        """Run a job known to be fast on this thread, watched; forget it as fast if it was not this time."""
        me = threading.get_ident()
        started = self._inline[me] = time.monotonic()
        try:
            return job()
        finally:
            del self._inline[me]
            if time.monotonic() - started >= self.fast_seconds:
                with self._lock:
                    self._fast.pop(key, None)

    def _run_on_thread(self, job: Callable[[], Any], key: Hashable | None) -> Any:
        """Hand a job to a query thread and wait for it within the time limit; remember its key if it was fast."""
        task = _Task(job)
        self._tasks.put(task)
        if not task.done.wait(self.timeout):
            with self._lock:
                task.abandoned = True
                started = task.started
            if not started:
                raise BusyError
            self._overrun()
            raise QueryTimeoutError
        if key is not None and task.seconds < self.fast_seconds:
            with self._lock:
                self._fast[key] = None
                while len(self._fast) > self.KNOWN:
                    self._fast.popitem(last=False)
        if task.error is not None:
            raise task.error
        return task.result

    def close(self) -> None:
        """Let the idle query threads of this process end (a stuck one ends with the process)."""
        with self._lock:
            if self._pid != os.getpid():
                return
            for _ in range(self._threads):
                self._tasks.put(None)
            self._pid, self._threads = None, 0

    def _overrun(self) -> None:
        """Replace the stuck thread and tell the owner (who retires the process under gunicorn)."""
        self.overruns += 1
        log.warning("query ran past %.1f s in process %s; its thread is abandoned", self.timeout, os.getpid())
        with self._lock:
            self._start_thread()
        if self.on_overrun is not None:
            self.on_overrun()

    def _ensure_threads(self) -> None:
        """Start the threads in this process on first use (threads do not survive gunicorn's fork)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._tasks, self._threads = queue.SimpleQueue(), 0
                for _ in range(self.size):
                    self._start_thread()
                self._fast.clear()
                self._inline.clear()
                if self.fast_seconds > 0 and self._watching != os.getpid():
                    threading.Thread(target=self._watch, name="query-watchdog", daemon=True).start()
                    self._watching = os.getpid()
                self._pid = os.getpid()

    def _start_thread(self) -> None:
        """Start one daemon query thread (a stuck one never blocks the process from exiting); hold the lock."""
        self._threads += 1
        threading.Thread(target=self._loop, args=(self._tasks,), name="query", daemon=True).start()

    def _loop(self, tasks: queue.SimpleQueue[_Task | None]) -> None:
        """Take tasks until told to stop (None) or the process ends."""
        while True:
            task = tasks.get()
            if task is None:
                return
            with self._lock:
                if task.abandoned:
                    continue
                task.started = True
            started = time.monotonic()
            try:
                task.result = task.job()
            except BaseException as error:  # handed to the waiting request thread
                task.error = error
            task.seconds = time.monotonic() - started
            task.done.set()

    def _watch(self) -> None:
        """Apply the time limit to jobs run on request threads: past it, retire the process (once per job)."""
        reported: set[tuple[int, float]] = set()
        while True:
            time.sleep(min(1.0, self.timeout / 10))
            now = time.monotonic()
            for thread, started in list(self._inline.items()):
                if now - started > self.timeout and (thread, started) not in reported:
                    reported.add((thread, started))
                    self.overruns += 1
                    log.warning("a query on a request thread went past %.1f s in process %s", self.timeout, os.getpid())
                    if self.on_overrun is not None:
                        self.on_overrun()
