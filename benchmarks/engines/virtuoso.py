"""Virtuoso open source as a private, loopback-only server on a fresh database: install, start, load, stop.

A library (the benchmark uses it; so can tests of a remote-store backend)::

    from benchmarks.engines.virtuoso import Virtuoso

    with Virtuoso() as v:                          # installs virtuoso-opensource if missing (apt), starts
        v.load([Path("a.ttl"), Path("b.nt")], graph="urn:g")   # bulk load into a named graph; seconds
        v.load([Path("dump.nq")])                  # N-Quads keep their own graphs
        v.sparql_url                                # http://127.0.0.1:PORT/sparql
        v.query("SELECT * { ?s ?p ?o } LIMIT 1", default_graphs=["urn:g"])   # requests.Response (JSON)
        v.isql("SELECT COUNT(*) FROM DB.DBA.RDF_QUAD")                         # raises VirtuosoError on error
    # stopped; the temporary database folder is removed

``Virtuoso(workdir=DIR)`` keeps the database in DIR (not removed), so ``stop()`` then ``start()``
reopens the loaded store. ``start()`` returns the seconds until /sparql answers.

What it takes care of (see /work/shared/reference/peers.md): the packaged service is not used; each
instance runs its own ``virtuoso-t +foreground +configfile`` with an ini binding 127.0.0.1 only on free
ports; answers are never truncated (ResultSetMaxRows, MaxSortedTopRows raised; anytime queries off:
MaxQueryExecutionTime = 0, MaxQueryCostEstimationTime = 0); the dba password is replaced by a random
one with USER_SET_PASSWORD; ``isql-vt`` output is checked for ``*** Error`` (its exit code is 0 even on
errors); bulk load is ld_add + rdf_loader_run (one loader per core) + checkpoint, and files from
anywhere are linked into a folder listed in DirsAllowed. Load into one named graph and query with it as
the default graph (``default_graphs``): Virtuoso's own default graph includes its system graphs.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from .base import Client, Dataset, Engine, HttpClient, ServerProcess, free_port

INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 32
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = ., {db}, {load_dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
IndexTreeMaps = 64
MaxMemPoolSize = 200000000
MaxQueryMem = 2G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 4
AsyncQueueMaxThreads = 10
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 32
ServerThreads = 32
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
MaxKeepAlives = 32
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 1000000000
MaxSortedTopRows = 1000000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
DeferInferenceRulesInit = 0
"""


class VirtuosoError(RuntimeError):
    """Virtuoso failed to install, start, load, or run a statement."""


def install() -> None:
    """Install the Debian package virtuoso-opensource when `virtuoso-t` is missing (needs root and apt)."""
    if shutil.which("virtuoso-t") and shutil.which("isql-vt"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "virtuoso-opensource"]):
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise VirtuosoError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")


def unavailable() -> str | None:
    """Why Virtuoso cannot run here (None: it is installed, or was just installed)."""
    try:
        install()
    except (VirtuosoError, OSError) as error:
        return f"Virtuoso unavailable: {str(error).splitlines()[0]}"
    return None


class Virtuoso:
    """One private Virtuoso server: fresh database in ``workdir`` (a temp folder if None), loopback ports."""

    def __init__(self, workdir: Path | None = None, *, memory_mb: int = 2048) -> None:
        self.own_dir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="virtuoso-")) if workdir is None else Path(workdir)
        self.db, self.load_dir = self.workdir / "db", self.workdir / "load"
        self.memory_mb = memory_mb
        self.password_file = self.db / ".dba-password"
        self.process: ServerProcess | None = None
        self.http_port = self.sql_port = 0

    @property
    def sparql_url(self) -> str:
        """The SPARQL protocol endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def start(self, timeout: float = 180) -> float:
        """Write the ini (new free ports), start virtuoso-t and wait for /sparql; return seconds taken."""
        install()
        self.db.mkdir(parents=True, exist_ok=True)
        self.load_dir.mkdir(parents=True, exist_ok=True)
        self.http_port, self.sql_port = free_port(), free_port()
        buffers = self.memory_mb * 1024 // 8 * 2 // 3  # 8 KiB pages, 2/3 of the budget (Virtuoso's advice)
        ini = INI.format(
            db=self.db, load_dir=self.load_dir, sql_port=self.sql_port, http_port=self.http_port,
            buffers=buffers, dirty=buffers * 3 // 4,
        )  # fmt: skip
        (self.db / "virtuoso.ini").write_text(ini)
        argv = ["virtuoso-t", "+foreground", "+configfile", str(self.db / "virtuoso.ini")]
        self.process = ServerProcess(argv, self.workdir / "virtuoso-t.log", cwd=self.db)
        started = time.perf_counter()
        self.process.spawn()
        self._wait(started, timeout)
        seconds = time.perf_counter() - started
        if not self.password_file.exists():
            password = secrets.token_urlsafe(16)
            self.isql(f"USER_SET_PASSWORD('dba', '{password}');", password="dba")
            self.password_file.write_text(password)
            self.password_file.chmod(0o600)
        return seconds

    def _wait(self, started: float, timeout: float) -> None:
        """Wait until /sparql answers a trivial ASK."""
        while time.perf_counter() - started < timeout:
            if not self.process.alive():
                raise VirtuosoError(f"virtuoso-t exited during start:\n{self.process.tail()}")
            try:
                if requests.get(self.sparql_url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise VirtuosoError(f"virtuoso-t did not answer within {timeout} s:\n{self.process.tail()}")

    def isql(self, sql: str, *, password: str | None = None) -> str:
        """Run SQL statements with isql-vt as dba; raise VirtuosoError when the output has an error."""
        password = password or self.password_file.read_text()
        argv = ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"]
        done = subprocess.run(argv, input=sql, capture_output=True, text=True)
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise VirtuosoError(f"isql-vt failed on {sql[:200]!r}:\n{output[-2000:]}")
        return output

    def load(self, files: list[Path], graph: str | None = None, *, loaders: int | None = None) -> float:
        """Bulk load files (.ttl/.nt/.nq/.rdf, gzipped too) into ``graph``; return seconds incl. checkpoint."""
        batch = self.load_dir / f"batch-{len(list(self.load_dir.iterdir()))}"
        batch.mkdir()
        for i, path in enumerate(files):
            (batch / f"{i:04d}-{path.name}").symlink_to(Path(path).resolve())
        target = graph or "urn:virtuoso:default-load-graph"
        started = time.perf_counter()
        self.isql("".join(f"ld_add('{link}', '{target}');\n" for link in sorted(batch.iterdir())))
        count = loaders or os.cpu_count() or 1
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda _: self.isql("rdf_loader_run();"), range(count)))
        self.isql("checkpoint;")
        seconds = time.perf_counter() - started
        failed = self.isql("SELECT COUNT(*) FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if int(re.search(r"\d+", failed).group()) > 0:
            errors = self.isql("SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
            raise VirtuosoError(f"bulk load reported errors:\n{errors[-2000:]}")
        return seconds

    def query(self, sparql: str, default_graphs: list[str] = (), accept: str = "application/sparql-results+json"):
        """GET a query on /sparql with the given default graph(s); return the requests.Response."""
        params = {"query": sparql, "default-graph-uri": list(default_graphs)}
        return requests.get(self.sparql_url, params=params, headers={"Accept": accept}, timeout=600)

    def pid(self) -> int | None:
        """The server's process id."""
        return self.process.process.pid if self.process and self.process.process else None

    def stop(self) -> None:
        """Stop the server (the database folder stays until close())."""
        if self.process and self.process.alive():
            with contextlib.suppress(VirtuosoError):
                self.isql("checkpoint; shutdown;")
            self.process.stop(timeout=60)

    def close(self) -> None:
        """Stop, and remove the database folder if this object created it."""
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Virtuoso:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VirtuosoEngine(Engine):
    """The benchmark's view of Virtuoso: bulk load (timed), restart on the loaded database (timed), query.

    Its buffer memory is $BENCH_VIRTUOSO_MB (default 4096 MiB; 2/3 of it goes to page buffers).
    """

    name = "Virtuoso 7 (open source)"

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Skip when it is not installed and cannot be installed here."""
        return unavailable()

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Start on a fresh database and bulk load the dataset into its named graph(s)."""
        self.server = Virtuoso(workdir / "virtuoso", memory_mb=int(os.environ.get("BENCH_VIRTUOSO_MB", "4096")))
        self.server.start()
        quads = all(path.suffix == ".nq" for path in dataset.files)
        self.default_graphs = dataset.graphs if quads else [dataset.graph]
        return self.server.load(dataset.files, None if quads else dataset.graph)

    def start(self) -> float:
        """Restart on the loaded database: the start time on a built store."""
        self.server.stop()
        return self.server.start()

    def client(self) -> Client:
        """An HTTP client of /sparql with the dataset's graph(s) as the default graph."""
        return HttpClient(self.server.sparql_url, {"default-graph-uri": self.default_graphs})

    def pids(self) -> list[int]:
        """The server process."""
        pid = self.server.pid()
        return [pid] if pid else []

    def stop(self) -> None:
        """Stop the server and delete its database."""
        self.server.close()
        shutil.rmtree(self.server.workdir, ignore_errors=True)
