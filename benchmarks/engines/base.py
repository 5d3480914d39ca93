"""What every engine of the benchmark is: load a dataset, start, answer SPARQL queries, stop."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass
class Dataset:
    """The same RDF files for every engine, plus the project folder `anakinra-kg build` reads."""

    name: str
    files: list[Path]  # what the peers load: .ttl (triples into one graph) or .nq (quads)
    triples: int
    project_dir: Path  # holds ontology/ and data/ (for our build and validation)
    graphs: list[str] = field(default_factory=list)  # named graphs forming the default graph (.nq datasets)
    graph: str = "urn:anakinra-kg:bench"  # the one named graph .ttl files go to where an engine needs one


@dataclass
class Answer:
    """One HTTP (or in-process) answer: status, body, media type."""

    status: int
    body: bytes
    content_type: str


def query_form(sparql: str) -> str:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE: the first query keyword after the prologue."""
    text = re.sub(r"#[^\n]*", " ", sparql)
    text = re.sub(r"(?is)\b(PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)", " ", text)
    match = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", text)
    return match.group(1).upper() if match else "SELECT"


def accept_for(sparql: str) -> str:
    """Return the media type to ask for: JSON results for SELECT/ASK, N-Triples for graphs."""
    return JSON_RESULTS if query_form(sparql) in ("SELECT", "ASK") else NTRIPLES


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Engine(ABC):
    """An engine under test. Subclasses load the dataset (timed), start (timed) and answer queries."""

    name: str = "engine"
    over_http: bool = True

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Return why this engine cannot run on ``dataset`` (None: it can)."""
        return None

    @abstractmethod
    def load(self, dataset: Dataset, workdir: Path) -> float | None:
        """Load the dataset; return the load time in seconds (None when not separable from start)."""

    @abstractmethod
    def start(self) -> float:
        """Start serving the loaded data; return seconds until the first query is answered."""

    @abstractmethod
    def client(self) -> Client:
        """Return a new client (one per thread)."""

    def pids(self) -> list[int]:
        """Return the server's process ids (for RSS); empty for in-process engines."""
        return []

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop the server, if any."""


class Client(ABC):
    """A client of one engine; not shared between threads."""

    @abstractmethod
    def query(self, sparql: str) -> Answer:
        """Run a query and return the raw answer (body fully read)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class HttpClient(Client):
    """A SPARQL protocol client: HTTP GET on one keep-alive connection (http.client: little client overhead).

    With ``conditional`` it revalidates repeated queries with If-None-Match and takes a 304 as the
    cached body. ``HttpClient.fresh_connections = True`` opens a new connection per request instead
    (Virtuoso's keep-alive answers can stall ~40 ms: Nagle meets delayed ACK).
    """

    fresh_connections = False

    def __init__(self, url: str, params: dict[str, list[str]] | None = None, *, conditional: bool = False) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path or "/"
        self.params, self.conditional = params or {}, conditional
        self.connection: http.client.HTTPConnection | None = None
        self.cached: dict[tuple[str, str], tuple[str, Answer]] = {}

    def _request(self, target: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        """Send one GET, reconnecting once if the server closed the kept-alive connection."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
            try:
                self.connection.request("GET", target, headers=headers)
                return self.connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise
        raise AssertionError("unreachable")

    def query(self, sparql: str) -> Answer:
        """GET the query with the Accept header for its form; on 304 return the cached body."""
        accept = accept_for(sparql)
        headers = {"Accept": accept}
        if self.fresh_connections:
            headers["Connection"] = "close"
        key = (sparql, accept)
        if self.conditional and key in self.cached:
            headers["If-None-Match"] = self.cached[key][0]
        target = self.path + "?" + urlencode({"query": sparql, **self.params}, doseq=True)
        response = self._request(target, headers)
        body = response.read()
        if response.will_close:
            self.close()
        if response.status == 304 and key in self.cached:
            return self.cached[key][1]
        answer = Answer(response.status, body, response.getheader("Content-Type", ""))
        etag = response.getheader("ETag")
        if self.conditional and etag and response.status == 200:
            self.cached[key] = (etag, answer)
        return answer

    def close(self) -> None:
        """Close the connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class ServerProcess:
    """A server subprocess with its log file; stopped with SIGTERM then SIGKILL."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.argv, self.log_path, self.env, self.cwd = argv, log, env, cwd
        self.process: subprocess.Popen | None = None

    def spawn(self) -> None:
        """Start the process, logging stdout and stderr to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, **(self.env or {})}
        self.process = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.cwd, start_new_session=True
        )
        log.close()

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        """Return the last lines of the log (for error messages)."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> None:
        """Terminate the process group, then kill it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass


def wait_until_answers(client: Client, process: ServerProcess | None, timeout: float = 120) -> float:
    """Poll a trivial ASK until the server answers 200; return seconds waited; raise if it dies or times out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process is not None and not process.alive():
            raise RuntimeError(f"server exited during start: {process.argv[0]}\n{process.tail()}")
        try:
            if client.query("ASK { ?s ?p ?o }").status == 200:
                return time.perf_counter() - started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"server did not answer within {timeout} s\n{process.tail() if process else ''}")


def run_checked(argv: list[str], **kwargs) -> float:
    """Run a command to completion; return its wall time; raise with its output if it fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


class ServedEngine(Engine):
    """An engine behind one HTTP server process the benchmark starts: its URL, client, process ids and stop."""

    server: ServerProcess | None = None
    url: str = ""

    def serve(self, argv: list[str], log: Path, url: str, env: dict[str, str] | None = None) -> float:
        """Spawn the server and wait until ``url`` answers; return the seconds that took (its start time)."""
        self.url = url
        self.server = ServerProcess(argv, log, env=env)
        started = time.perf_counter()
        self.server.spawn()
        wait_until_answers(self.client(), self.server)
        return time.perf_counter() - started

    def client(self) -> Client:
        """An HTTP client of the server's query URL."""
        return HttpClient(self.url)

    def pids(self) -> list[int]:
        """The server's main process (its workers are counted as children)."""
        return [self.server.process.pid] if self.server and self.server.process else []

    def stop(self) -> None:
        """Stop the server."""
        if self.server:
            self.server.stop()
