"""Safe on the open internet, over real HTTP: read-only, no SSRF, a time limit that frees the worker while
others are served, a result-size limit, and a new build picked up without a restart."""

from __future__ import annotations

import concurrent.futures as futures
import re
import shutil
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest
import requests

from anakinra_kg import build
from anakinra_kg.prefixes import graph_iri

from .conftest import ROOT, run_cli
from .endpoint_server import running_server

QUERY_TIMEOUT = 2.0
MAX_ROWS = 500
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LIGHT = "SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:condition ?d }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server of this module writes its log."""
    return tmp_path_factory.mktemp("safety") / "server.log"


@pytest.fixture(scope="module")
def url(store_link: Path, server_log: Path) -> Iterator[str]:
    """A real server with a short time limit, a small row limit, one process and three threads."""
    flags = ("--timeout", str(QUERY_TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "1", "--threads", "3")
    with running_server(store_link, server_log, *flags) as endpoint:
        yield endpoint


class Listener:
    """A TCP listener on a free local port that records every connection it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        """Accept and count connections until stopped."""
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    """A local listener that must receive no connection."""
    listening = Listener()
    yield listening
    listening.close()


def get(url: str, text: str, **params: object) -> requests.Response:
    """GET /sparql?query=..."""
    return requests.get(url, params={"query": text, **params}, timeout=30)


def total(url: str, graph: str | None = None) -> int:
    """Quads in the store (or in one named graph), as the endpoint counts them."""
    params = {"named-graph-uri": graph} if graph else {}
    return int(get(url, COUNT, **params).json()["results"]["bindings"][0]["n"]["value"])


# --- read-only -------------------------------------------------------------------------------------------

UPDATES = [
    "INSERT DATA { <https://example.org/s> <https://example.org/p> 1 }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 2 } WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/anakinra-kg/graph/data>",
    "CREATE GRAPH <https://example.org/g>",
    "COPY DEFAULT TO <https://example.org/g>",
    "LOAD <https://example.org/data.ttl> INTO GRAPH <https://example.org/g>",
    "PREFIX ex: <https://example.org/>\nINSERT DATA { ex:s ex:p ex:o } ; DROP ALL",
]


@pytest.mark.parametrize("text", UPDATES, ids=lambda t: t.split()[0] if not t.startswith("PREFIX") else "prologue")
def test_updates_are_refused_and_data_unchanged(url: str, text: str) -> None:
    """Every SPARQL Update form is refused with 403 (as a query, a form update= and a direct update POST)."""
    before = total(url)
    attempts = [
        get(url, text),
        requests.post(url, data={"update": text}, timeout=30),
        requests.post(url, data=text.encode(), headers={"Content-Type": "application/sparql-update"}, timeout=30),
        requests.post(url, data=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=30),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert "read-only" in response.text
    assert total(url) == before


def test_load_opens_no_connection(url: str, listener: Listener) -> None:
    """LOAD of a local URL is refused without touching it."""
    response = get(url, f"LOAD <http://127.0.0.1:{listener.port}/x.ttl>")
    assert response.status_code == 403 and "LOAD" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


# --- no SSRF ---------------------------------------------------------------------------------------------


def test_listener_sees_pyoxigraph_service_calls(listener: Listener) -> None:
    """Control: pyoxigraph itself does call a SERVICE, so the tests below would catch a missing guard."""
    with pytest.raises(OSError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/s> {{ ?s ?p ?o }} }}"))
    time.sleep(0.3)
    assert listener.connections >= 1


SSRF_QUERIES = [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX x: <http://127.0.0.1:{port}/>\nSELECT * WHERE {{ OPTIONAL {{ SERVICE x:sparql {{ ?s ?p ?o }} }} }}",
    "BASE <http://127.0.0.1:{port}/a/>\nSELECT * WHERE {{ SERVICE <../sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <http://127.0.0.1:{port}/> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ <<( ?a ?b ?c )>> ?p ?o . SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SeRvIcE <http://localhost:{port}/> {{ ?s ?p ?o }} }}",
    r"SELECT * WHERE {{ \u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("template", SSRF_QUERIES)
def test_service_opens_no_connection(url: str, listener: Listener, template: str) -> None:
    """SERVICE to a host off the allow-list is refused (403, naming the setting) and nothing connects."""
    response = get(url, template.format(port=listener.port))
    assert response.status_code == 403, response.text
    assert "allow-list" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_dataset_iris_are_never_fetched(url: str, listener: Listener) -> None:
    """FROM, FROM NAMED, default-graph-uri and named-graph-uri only select store graphs: no connection, no file."""
    remote = f"http://127.0.0.1:{listener.port}/graph"
    attempts = [
        get(url, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}"),
        get(url, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        get(url, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": remote}),
        get(url, "SELECT * WHERE { ?s ?p ?o }", **{"named-graph-uri": remote}),
        get(url, "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"),
        get(url, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": "file:///etc/passwd"}),
    ]
    for response in attempts:
        assert response.status_code == 400, response.text
        assert "only select graphs already in the store" in response.text
        assert "root:" not in response.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_allow_listed_service_is_called(store_link: Path, tmp_path: Path, listener: Listener) -> None:
    """Federation works for a host on the allow-list (set by environment): the query reaches the remote endpoint."""
    env = {"ANAKINRA_KG_SERVICE_ALLOW_LIST": '["127.0.0.1"]'}
    with running_server(store_link, tmp_path / "server.log", "--workers", "1", env=env) as url:
        response = get(url, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}")
        assert response.status_code == 502, response.text  # the listener hangs up without answering
        description = requests.get(url, timeout=30).text
    assert listener.connections >= 1
    assert "sd:BasicFederatedQuery" in description


# --- time and size limits --------------------------------------------------------------------------------


def test_timeout_frees_the_worker_while_others_are_served(url: str, server_log: Path) -> None:
    """A four-way cartesian product is stopped at the limit with 503; light queries meanwhile stay fast; the
    process running it is replaced, which is what stops the query itself."""
    get(url, LIGHT)
    with futures.ThreadPoolExecutor(max_workers=2) as pool:
        started = time.monotonic()
        heavy = pool.submit(get, url, HEAVY)
        time.sleep(0.3)
        latencies = []
        while not heavy.done() and time.monotonic() - started < QUERY_TIMEOUT * 4:
            sent = time.monotonic()
            assert get(url, LIGHT).status_code == 200
            latencies.append(time.monotonic() - sent)
            time.sleep(0.05)
        response = heavy.result(timeout=QUERY_TIMEOUT * 5)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert f"time limit of {QUERY_TIMEOUT:g} s" in response.text and "query_timeout" in response.text
    assert QUERY_TIMEOUT <= elapsed < QUERY_TIMEOUT + 3
    assert len(latencies) >= 5
    assert statistics.median(latencies) < 0.25 and max(latencies) < 1.0
    with futures.ThreadPoolExecutor(max_workers=3) as pool:  # every worker (the replaced one too) answers
        answers = list(pool.map(lambda _: get(url, LIGHT).status_code, range(9)))
    assert answers == [200] * 9
    stuck = re.search(r"query ran past \S+ s in process (\d+)", server_log.read_text())
    assert stuck, server_log.read_text()
    deadline = time.monotonic() + 15
    while _running(int(stuck.group(1))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(int(stuck.group(1))), "the process of the runaway query is still running"
    assert get(url, LIGHT).status_code == 200


def _running(pid: int) -> bool:
    """Whether a process is alive (a zombie, waiting to be reaped, is not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_result_row_limit(url: str) -> None:
    """More than max_result_rows solutions or triples is refused with 422 naming the limit; LIMIT gets through."""
    for text in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
        response = get(url, text)
        assert response.status_code == 422
        assert f"more than {MAX_ROWS}" in response.text and "max_result_rows" in response.text
    page = get(url, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}")
    assert page.status_code == 200 and len(page.json()["results"]["bindings"]) == MAX_ROWS
    tsv = get(url, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}", format="tsv")
    assert len(tsv.text.splitlines()) == MAX_ROWS + 1


# --- a new build is picked up ----------------------------------------------------------------------------


def test_new_build_is_served_without_restart(tmp_path: Path) -> None:
    """`anakinra-kg build` swapping in a new store while the server runs: the next query sees the new data.

    (This server also takes an allow-list by CLI flag, which its service description reflects.)
    """
    project = tmp_path / "project"
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, project / name)
    link = tmp_path / "store"
    build.build(project / "ontology", project / "data", link)
    log = tmp_path / "server.log"
    with running_server(link, log, "--workers", "2", "--allow-service", "a.example", "--access-log") as url:
        before = total(url, graph_iri("data"))
        old_description = requests.get(url, timeout=30).text
        assert "sd:BasicFederatedQuery" in old_description
        extra = project / "data" / "zz-endpoint-test.ttl"
        extra.write_text(
            "@prefix ak: <https://w3id.org/anakinra-kg/vocab/> .\n"
            "<https://w3id.org/anakinra-kg/id/drug/anakinra> ak:endpointTest 1 .\n",  # not valid: built unchecked
            encoding="utf-8",
        )
        out = run_cli("--project-dir", str(project), "--store", str(link), "build", "--no-validate")
        assert out.returncode == 0, out.stderr
        for _ in range(4):  # each server process, each query worker
            assert total(url, graph_iri("data")) == before + 1
        assert get(url, "ASK { drug:anakinra ak:endpointTest 1 }").json()["boolean"] is True
        assert requests.get(url, timeout=30).text != old_description  # new triple counts
    assert '"GET /sparql HTTP/1.1" 200' in log.read_text()  # --access-log: a line per request


def test_requests_are_not_logged_by_default(url: str, server_log: Path) -> None:
    """Without --access-log the server writes no line per request (errors and warnings only)."""
    assert get(url, "ASK {}").status_code == 200
    assert get(url, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1").status_code == 200
    assert "GET /sparql" not in server_log.read_text()


def test_results_are_freed_on_the_thread_that_made_them(store_link: Path, tmp_path: Path) -> None:
    """Queries parsed by rdflib (FROM) leave reference cycles; pyoxigraph results must not be caught in them."""
    log = tmp_path / "server.log"
    with running_server(store_link, log, "--workers", "1", env={"ANAKINRA_KG_RESULT_CACHE": "0"}) as url:
        data = graph_iri("data")
        for i in range(60):  # distinct texts: each one is parsed, so the collector runs on every query thread
            text = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {i + 1}"
            assert get(url, f"SELECT * FROM <{data}> WHERE {{ {{ {text} }} }}").status_code == 200
    assert "unsendable" not in log.read_text()
