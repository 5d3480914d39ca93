"""Start the real endpoint (`anakinra-kg serve`, granian) on a free port of 127.0.0.1, for tests over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from .conftest import ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(link: Path, log: Path, *flags: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `anakinra-kg serve` on the store at ``link`` and yield the endpoint URL; stop it afterwards.

    ``env`` adds environment variables (settings such as ANAKINRA_KG_QUERY_TIMEOUT).
    """
    port = free_port()
    exe = Path(sys.executable).with_name("anakinra-kg")
    command = [str(exe), "--project-dir", str(ROOT), "--store", str(link), "serve", "--port", str(port), *flags]
    with log.open("wb") as out:
        environment = {**os.environ, **(env or {})}
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=environment)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # granian: shut down (requests in flight finish)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, limit: float = 30.0) -> None:
    """Poll the endpoint until it answers a query, or fail with the server's log."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {limit} s:\n{log.read_text()}")
