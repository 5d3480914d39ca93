"""Query threads of one web-server process: each request hands its job to one and waits, within the time limit.

pyoxigraph releases the GIL while it evaluates and serializes, so queries run in parallel in threads of the
web-server process itself: no pipes, no pickling, one store handle per process. A query past the time limit
cannot be interrupted inside pyoxigraph, so its request is answered at once (503), a fresh thread takes the
stuck one's place, and ``on_overrun`` is called: under gunicorn it retires this server process gracefully
(other requests in flight finish, gunicorn starts a replacement), which is what stops the runaway query.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class QueryTimeoutError(Exception):
    """A job ran past the time limit; its thread is abandoned and the process will be retired."""


class BusyError(Exception):
    """No query thread took the job within the time limit."""


class _Task:
    """One job handed to a query thread, and its answer once done."""

    __slots__ = ("abandoned", "done", "error", "job", "result", "started")

    def __init__(self, job: Callable[[], Any]) -> None:
        self.job = job
        self.done = threading.Event()
        self.started = False
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None


class Pool:
    """Daemon query threads shared by the request threads of one process, started lazily (after any fork)."""

    def __init__(self, size: int, timeout: float, on_overrun: Callable[[], None] | None = None) -> None:
        self.size = size
        self.timeout = timeout
        self.on_overrun = on_overrun
        self.overruns = 0
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads = 0

    def run(self, job: Callable[[], Any]) -> Any:
        """Run ``job()`` on a query thread and return its result, or raise past the time limit."""
        self._ensure_threads()
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
            try:
                task.result = task.job()
            except BaseException as error:  # handed to the waiting request thread
                task.error = error
            task.done.set()
