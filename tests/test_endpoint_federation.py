"""Federation over real HTTP: a query on our endpoint joins with a second, real SPARQL endpoint (Oxigraph server
holding the MONDO extract) on loopback; hosts off the allow-list are refused and never contacted; the query
time limit still stops a SERVICE call that hangs."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from anakinra_kg import query

from .conftest import SHARED
from .endpoint_server import free_port, running_server
from .test_endpoint_safety import Listener

MONDO = SHARED / "ontologies" / "mondo-module.ttl"
TIMEOUT = 4.0
JOIN = """
SELECT ?disease ?mondo ?label ?parent WHERE {{
  ?disease a ak:Disease ; skos:exactMatch ?mondo .
  FILTER (STRSTARTS(STR(?mondo), "http://purl.obolibrary.org/obo/MONDO_"))
  SERVICE <{remote}> {{ ?mondo rdfs:label ?label ; rdfs:subClassOf ?parent }}
}}"""
LOCAL_PAIRS = """
SELECT ?disease ?mondo WHERE {
  ?disease a ak:Disease ; skos:exactMatch ?mondo .
  FILTER (STRSTARTS(STR(?mondo), "http://purl.obolibrary.org/obo/MONDO_"))
}"""
REMOTE_ROWS = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?mondo ?label ?parent WHERE { ?mondo rdfs:label ?label ; rdfs:subClassOf ?parent }"

pytestmark = pytest.mark.skipif(not MONDO.exists(), reason=f"the MONDO extract {MONDO} is absent")


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Oxigraph server (read-only) on 127.0.0.1 holding the MONDO extract; yields its query URL."""
    exe = str(Path(sys.executable).with_name("oxigraph"))
    location = tmp_path_factory.mktemp("oxigraph") / "db"
    subprocess.run([exe, "load", "--location", str(location), "--file", str(MONDO)], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [exe, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(address, params={"query": "ASK {}"}, timeout=5).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def url(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our endpoint with 127.0.0.1 on the SERVICE allow-list, a short time limit and two request threads."""
    log = tmp_path_factory.mktemp("federation") / "server.log"
    flags = ("--allow-service", "127.0.0.1", "--timeout", str(TIMEOUT), "--workers", "1", "--threads", "2")
    with running_server(store_link, log, *flags) as endpoint:
        yield endpoint


def get(url: str, text: str) -> requests.Response:
    """GET /sparql?query=... asking for SPARQL JSON."""
    return requests.get(url, params={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=60)


def test_join_with_a_remote_endpoint(url: str, remote: str, db: ox.Store) -> None:
    """Our diseases' MONDO matches joined with MONDO labels and parents that only the remote store serves."""
    response = get(url, JOIN.format(remote=remote))
    assert response.status_code == 200, response.text
    served = {
        tuple(row[name]["value"] for name in ("disease", "mondo", "label", "parent"))
        for row in response.json()["results"]["bindings"]
    }
    pairs = {(row["disease"].value, row["mondo"].value) for row in query.run(db, LOCAL_PAIRS)}
    mondo = ox.Store()
    mondo.load(path=str(MONDO), format=ox.RdfFormat.TURTLE)
    remote_rows = [(r["mondo"].value, r["label"].value, r["parent"].value) for r in mondo.query(REMOTE_ROWS)]
    expected = {(d, m, label, parent) for d, m in pairs for m2, label, parent in remote_rows if m == m2}
    assert len(expected) >= 10
    assert served == expected
    fmf = "https://w3id.org/anakinra-kg/id/disease/familial-mediterranean-fever"
    assert any(row[0] == fmf and row[2] == "familial Mediterranean fever" for row in served)


def test_hosts_off_the_list_are_refused_and_not_contacted(url: str) -> None:
    """With 127.0.0.1 allowed, localhost and other names still get 403 and no connection."""
    listener = Listener()
    try:
        for host in ("localhost", "[::1]", "127.0.0.2"):
            response = get(url, f"SELECT * WHERE {{ SERVICE <http://{host}:{listener.port}/query> {{ ?s ?p ?o }} }}")
            assert response.status_code == 403, response.text
            assert "allow-list" in response.text and "127.0.0.1" in response.text
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


class Hanging:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        """Accept and hold connections until stopped."""
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)

    def close(self) -> None:
        """Drop the connections and stop listening."""
        self._stop.set()
        self._thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_time_limit_stops_a_hanging_service_call(url: str) -> None:
    """An allowed SERVICE that never answers is stopped at the time limit (503); the endpoint answers after."""
    hanging = Hanging()
    try:
        started = time.monotonic()
        response = get(url, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{hanging.port}/query> {{ ?s ?p ?o }} }}")
        elapsed = time.monotonic() - started
        assert hanging.held, "the SERVICE call never reached the allowed host"
    finally:
        hanging.close()
    assert response.status_code == 503, response.text
    assert "time limit" in response.text
    assert TIMEOUT - 0.5 <= elapsed < TIMEOUT + 5
    after = get(url, "ASK { ?s ?p ?o }")
    assert after.status_code == 200 and after.json()["boolean"] is True
