"""The remote backend for real: Virtuoso open source on loopback, loaded with `anakinra-kg load --into`.

One private Virtuoso (fresh database, random dba password, 127.0.0.1 only) serves the whole module. The
tests load the built dataset (interrupted, then resumed), compare every query of queries/ on both backends,
and serve the endpoint over the remote store through real HTTP. Skipped only where Virtuoso cannot be
installed (no apt, not root).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from anakinra_kg import query
from anakinra_kg.backends.embedded import EmbeddedBackend
from anakinra_kg.backends.remote import DESCRIBED_GRAPHS, RemoteBackend
from anakinra_kg.prefixes import STANDARD, graph_iri
from benchmarks.engines.virtuoso import Virtuoso, VirtuosoError, install

from .conftest import ROOT
from .endpoint_server import running_server

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
PASSWORD_MARK = "pw-"  # every password set here starts so, to look for it in outputs

# Standard SPARQL 1.1 on which Virtuoso 7.2 answered differently when last observed (our answer is the standard
# one); other queries with a zero-or-more path may lose solutions too, depending on Virtuoso's plan.
PATH_JOIN = "Virtuoso 7.2 loses solutions of a zero-or-more path (p*) joined with other patterns"
PATH_JOIN_COUNTED = PATH_JOIN + ", so the aggregate over them counts fewer"
DEVIATIONS = {
    "chemistry-differences-from-human-protein": PATH_JOIN + "; and it returns xsd:boolean false as 0",
    "entities-organisations": PATH_JOIN,
    "hierarchy-autoinflammatory-indications": PATH_JOIN,
    "hierarchy-blood-abnormality-adverse-effects": PATH_JOIN,
    "hierarchy-infectious-conditions": PATH_JOIN,
    "provenance-attributed-statements": PATH_JOIN,
    "regulatory-agencies": PATH_JOIN_COUNTED,
    "regulatory-approval-timeline": PATH_JOIN,
    "regulatory-covid-19": PATH_JOIN,
    "regulatory-ema-actions": PATH_JOIN,
    "regulatory-first-act-per-jurisdiction": PATH_JOIN_COUNTED,
    "regulatory-pending-applications": PATH_JOIN,
    "studies-after-2020": PATH_JOIN,
    "studies-covid-19": PATH_JOIN,
    "uses-caps-including-subtypes": PATH_JOIN,
}
ZERO_OR_MORE = re.compile(r"[\w>)]\*")  # a zero-or-more property path, e.g. rdfs:subClassOf*
# Queries whose ORDER BY leaves ties between literals SPARQL 1.1 does not order (a simple literal against
# language-tagged ones): their rows are compared as a multiset.
ORDER_UNSPECIFIED = {"studies-count-by-kind": "ties of DESC(?studies) between 'not stated' and @en labels"}


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[Virtuoso]:
    """A private Virtuoso on loopback; the module is skipped (saying why) only if it cannot be installed."""
    try:
        install()
    except (VirtuosoError, OSError) as error:
        pytest.skip(f"Virtuoso open source cannot be installed here: {str(error).splitlines()[0]}")
    server = Virtuoso(memory_mb=512)
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def password(virtuoso: Virtuoso) -> str:
    """Give dba a recognisable random password (credentials reach `load` through the environment only)."""
    secret = PASSWORD_MARK + os.urandom(8).hex()
    virtuoso.isql(f"USER_SET_PASSWORD('dba', '{secret}');")
    virtuoso.password_file.write_text(secret)
    return secret


@pytest.fixture(scope="module")
def outputs() -> list[str]:
    """Everything the CLI and the server printed in this module, checked for the password at the end."""
    return []


def base(virtuoso: Virtuoso) -> str:
    """http://127.0.0.1:PORT of the Virtuoso server."""
    return virtuoso.sparql_url.rsplit("/", 1)[0]


def load_argv(store_link: Path, virtuoso: Virtuoso, state: Path, *extra: str) -> list[str]:
    """The `anakinra-kg load --into` command line (SPARQL Update through Virtuoso's digest-protected endpoint)."""
    exe = Path(sys.executable).with_name("anakinra-kg")
    into = f"{base(virtuoso)}/sparql-auth"
    return [str(exe), "--store", str(store_link), "load", "--into", into, "--state", str(state), *extra]


def credentials(password: str) -> dict[str, str]:
    """The environment that carries the credentials."""
    extra = {"ANAKINRA_KG_REMOTE_USER": "dba", "ANAKINRA_KG_REMOTE_PASSWORD": password}
    return {**os.environ, **extra, "ANAKINRA_KG_REMOTE_AUTH": "digest"}


def run_load(argv: list[str], password: str, outputs: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a load to completion, keeping its output."""
    done = subprocess.run(argv, env=credentials(password), capture_output=True, text=True, timeout=300, cwd=ROOT)
    outputs.append(done.stdout + done.stderr)
    return done


@pytest.fixture(scope="module")
def loaded(store_link: Path, virtuoso: Virtuoso, password: str, outputs: list[str], tmp_path_factory) -> Path:
    """Load the dataset, killing the first run midway and resuming it; return the state file."""
    state = tmp_path_factory.mktemp("load") / "state.json"
    argv = load_argv(store_link, virtuoso, state, "--batch-size", "40")
    first = subprocess.Popen(argv, env=credentials(password), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        if state.exists():
            graphs = json.loads(state.read_text())["graphs"]
            if sum(1 for g in graphs.values() if g["done"] == g["batches"]) >= 2 and any(
                0 < g["done"] < g["batches"] for g in graphs.values()
            ):
                break
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    outputs.append(first.communicate()[0].decode())
    graphs = json.loads(state.read_text())["graphs"]
    assert any(g["done"] < g["batches"] for g in graphs.values()), "the load finished before it was interrupted"
    resumed = run_load(argv, password, outputs)
    assert resumed.returncode == 0, resumed.stderr
    assert "already loaded" in resumed.stderr  # graphs finished before the kill were not sent again
    local = EmbeddedBackend(store_link.resolve())
    assert (
        f"verified: {len(local.named_graphs())} graphs, {sum(local.graph_counts().values())} triples" in resumed.stderr
    )
    return state


def test_interrupted_load_resumes_and_counts_match(loaded: Path, store_link: Path, virtuoso: Virtuoso) -> None:
    """After the kill and the resumed run, every graph has the build's triple count on Virtuoso."""
    local = EmbeddedBackend(store_link.resolve())
    remote = RemoteBackend(virtuoso.sparql_url)
    assert remote.named_graphs() == local.named_graphs()
    assert {g: remote.count(g) for g in local.named_graphs()} == local.graph_counts()
    assert remote.count(None) == local.count(None)
    record = json.loads(loaded.read_text())
    assert record["version"] == local.version()
    assert all(g["done"] == g["batches"] for g in record["graphs"].values())


def test_rerun_skips_everything_and_verifies(
    loaded: Path, store_link: Path, virtuoso: Virtuoso, password: str, outputs: list[str]
) -> None:
    """A second run sends nothing (every graph 'already loaded') and still checks the counts."""
    again = run_load(load_argv(store_link, virtuoso, loaded), password, outputs)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already loaded, count verified") == len(
        EmbeddedBackend(store_link.resolve()).named_graphs()
    )


def test_mismatch_is_reported_per_graph(
    loaded: Path, store_link: Path, virtuoso: Virtuoso, password: str, outputs: list[str]
) -> None:
    """A triple added behind our back makes the verification fail, naming the graph and both counts."""
    graph = "https://w3id.org/anakinra-kg/graph/provenance"
    extra = f"GRAPH <{graph}> {{ <urn:x:intruder> <urn:x:p> <urn:x:o> }}"
    auth = requests.auth.HTTPDigestAuth("dba", password)
    url = f"{base(virtuoso)}/sparql-auth"
    assert requests.post(url, data={"update": f"INSERT DATA {{ {extra} }}"}, auth=auth, timeout=30).ok
    try:
        failed = run_load(load_argv(store_link, virtuoso, loaded), password, outputs)
    finally:
        assert requests.post(url, data={"update": f"DELETE DATA {{ {extra} }}"}, auth=auth, timeout=30).ok
    assert failed.returncode == 1
    want = EmbeddedBackend(store_link.resolve()).count(graph)
    assert f"{graph}: remote {want + 1}, build {want}" in failed.stderr


def test_served_graphs_are_those_the_dataset_describes(
    loaded: Path, store_link: Path, virtuoso: Virtuoso, password: str
) -> None:
    """The dataset's graphs are read from its metadata graph (sd:name), once for many threads, never by a scan.

    A scan of every quad takes 2.2 s at 1.7M triples; at 10M, repeated by every thread, it made the benchmark's
    queries run past the time limit. A stray graph (loaded by hand, not described) is seen by the scan that `load` verifies with,
    and is not served.
    """
    stray = graph_iri("stray")
    extra = f"GRAPH <{stray}> {{ <urn:x:s> <urn:x:p> <urn:x:o> }}"
    auth = requests.auth.HTTPDigestAuth("dba", password)
    url = f"{base(virtuoso)}/sparql-auth"
    assert requests.post(url, data={"update": f"INSERT DATA {{ {extra} }}"}, auth=auth, timeout=30).ok
    try:
        local = EmbeddedBackend(store_link.resolve()).named_graphs()
        remote = RemoteBackend(virtuoso.sparql_url)
        assert remote.stored_graphs() == sorted([*local, stray])
        asked: list[str] = []
        post = remote._post
        remote._post = lambda params, *rest: asked.append(params["query"]) or post(params, *rest)
        with ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(lambda _: remote.named_graphs(), range(8)))
    finally:
        assert requests.post(url, data={"update": f"DELETE DATA {{ {extra} }}"}, auth=auth, timeout=30).ok
    assert seen == [sorted(local)] * 8
    assert asked == [DESCRIBED_GRAPHS]


def test_graph_store_protocol_load(store_link: Path, virtuoso: Virtuoso, password: str, outputs, tmp_path) -> None:
    """The same dataset uploaded with the Graph Store Protocol (POST N-Triples) verifies too."""
    argv = load_argv(
        store_link, virtuoso, tmp_path / "gsp.json", "--gsp-url", f"{base(virtuoso)}/sparql-graph-crud-auth"
    )
    done = run_load(argv, password, outputs)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("(loaded, count verified)") == len(EmbeddedBackend(store_link.resolve()).named_graphs())


def test_wrong_password_is_a_clear_error(store_link: Path, virtuoso: Virtuoso, outputs, tmp_path) -> None:
    """A refused login stops the load with the status, exit 1, and never prints the password."""
    wrong = PASSWORD_MARK + "wrong-" + os.urandom(4).hex()
    done = run_load(load_argv(store_link, virtuoso, tmp_path / "s.json"), wrong, outputs)
    assert done.returncode == 1
    assert "401" in done.stderr
    assert wrong not in done.stdout + done.stderr


def key(term: object) -> tuple[str, ...]:
    """A comparable form of a term; blank node labels are not compared."""
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.language or "", "" if term.language else term.datatype.value)
    return (type(term).__name__, str(getattr(term, "value", term)))


def answer(results: query.Results, ordered: bool) -> object:
    """Parse results into something to compare: a bool, an rdflib graph, or rows (sorted unless ORDER BY)."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    if isinstance(results, ox.QueryTriples):
        return rdflib.Graph().parse(data=ox.serialize(results, format=ox.RdfFormat.N_TRIPLES), format="nt")
    names = [v.value for v in results.variables]
    rows = [tuple(key(solution[n]) for n in names) for solution in results]
    return (names, rows if ordered else sorted(rows))


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_gives_same_answer_on_virtuoso(path: Path, loaded: Path, store_link: Path, virtuoso: Virtuoso) -> None:
    """Every catalogue query answers the same on Virtuoso as on the embedded store, but for listed deviations."""
    text = path.read_text(encoding="utf-8")
    ordered = bool(re.search(r"^ORDER BY", text, re.M)) and path.stem not in ORDER_UNSPECIFIED
    ours = answer(EmbeddedBackend(store_link.resolve()).query(text), ordered)
    theirs = answer(RemoteBackend(virtuoso.sparql_url).query(text), ordered)
    same = isomorphic(ours, theirs) if isinstance(ours, rdflib.Graph) else ours == theirs
    if same:
        return
    # Whether Virtuoso loses solutions of a p* path depends on its plan (which changes with the load order),
    # so a query with such a path may differ in one run and not in another; any other difference is a fault.
    assert path.stem in DEVIATIONS or ZERO_OR_MORE.search(text), (
        f"{path.name}: Virtuoso answered\n{theirs}\nthe embedded store\n{ours}"
    )
    if DEVIATIONS.get(path.stem, PATH_JOIN) == PATH_JOIN:  # solutions lost, never invented
        assert set(theirs[1]) < set(ours[1]), f"{path.name}: Virtuoso invented solutions"


@pytest.fixture(scope="module")
def served(loaded: Path, store_link: Path, virtuoso: Virtuoso, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Our endpoint over the remote store (`serve --backend URL`), read-only Virtuoso /sparql, 10 s time limit."""
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {"ANAKINRA_KG_REMOTE_PASSWORD": "never-used-by-serve"}
    with running_server(store_link, log, "--backend", virtuoso.sparql_url, "--timeout", "10", env=env) as url:
        yield url, log


def test_served_queries_match_embedded(served_url: str, store_link: Path) -> None:
    """SPARQLWrapper over our server over Virtuoso gets the embedded store's answers (SELECT and ASK)."""
    local = EmbeddedBackend(store_link.resolve())
    for name in ("uses-status-agency-date", "safety-adverse-reactions", "uses-ask-off-label-gout"):
        text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
        client = SPARQLWrapper(served_url)
        client.setQuery(text)
        client.setReturnFormat(JSON)
        got = client.query().convert()
        want = local.query(text)
        if isinstance(want, ox.QueryBoolean):
            assert got["boolean"] is bool(want)
        else:
            assert len(got["results"]["bindings"]) == len(list(want)) > 0


def test_served_service_description_counts_remote_graphs(served_url: str, store_link: Path) -> None:
    """The service description lists the remote's graphs with the build's counts, and no remote URL or secret."""
    body = requests.get(served_url, headers={"Accept": "text/turtle"}, timeout=30).text
    described = rdflib.Graph().parse(data=body, format="turtle")
    sd, void = (rdflib.Namespace(STANDARD[name]) for name in ("sd", "void"))
    local = EmbeddedBackend(store_link.resolve())
    for graph, count in local.graph_counts().items():
        named = rdflib.URIRef(graph)
        assert (None, sd.name, named) in described
        assert int(described.value(named, void.triples)) == count
    assert "never-used-by-serve" not in body
    assert "/sparql-auth" not in body


def test_served_updates_are_refused_before_virtuoso(served_url: str, virtuoso: Virtuoso) -> None:
    """SPARQL Update is refused (403) by us; the remote graph is unchanged."""
    graph = "https://w3id.org/anakinra-kg/graph/data"
    before = RemoteBackend(virtuoso.sparql_url).count(graph)
    update = f"DROP GRAPH <{graph}>"
    for response in (
        requests.post(served_url, data={"update": update}, timeout=30),
        requests.post(served_url, data=update, headers={"Content-Type": "application/sparql-update"}, timeout=30),
        requests.post(served_url, data={"query": update}, timeout=30),
    ):
        assert response.status_code in (400, 403), response.text
    client = SPARQLWrapper(served_url.replace("/sparql", "/sparql"))
    client.setMethod("POST")
    client.setQuery(f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}")
    with pytest.raises((SPARQLWrapperException, Exception)):
        client.query()
    assert RemoteBackend(virtuoso.sparql_url).count(graph) == before


@pytest.fixture()
def served_url(served: tuple[str, Path]) -> str:
    """The URL of our endpoint over Virtuoso."""
    return served[0]


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on loopback recording any connection (none may come)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/", seen
    stop.set()
    thread.join()
    sock.close()


def test_served_no_ssrf_through_virtuoso(served_url: str, listener: tuple[str, list[bytes]]) -> None:
    """SERVICE, Virtuoso's bif:http_get and its define pragmas never make anything call our listener."""
    target, seen = listener
    attempts = [
        f"SELECT * WHERE {{ SERVICE <{target}sparql> {{ ?s ?p ?o }} }}",
        f'PREFIX b: <bif:> SELECT (b:http_get("{target}") AS ?x) {{}}',
        f'SELECT (<bif:http_get>("{target}") AS ?x) {{}}',
        f'SELECT (bif:http_get("{target}") AS ?x) {{}}',
        f'define get:soft "replace" SELECT * FROM <{target}data> WHERE {{ ?s ?p ?o }}',
        f"SELECT * FROM <{target}data> WHERE {{ ?s ?p ?o }}",
    ]
    for text in attempts:
        response = requests.post(served_url, data={"query": text}, timeout=30)
        assert response.status_code in (400, 403), (text, response.status_code, response.text)
    time.sleep(0.5)
    assert seen == []


def test_served_timeout_stops_a_long_query(served_url: str) -> None:
    """A query over the 10 s limit gets a 503 naming the limit, and the endpoint keeps answering."""
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    response = requests.post(served_url, data={"query": heavy}, timeout=60)
    assert response.status_code == 503 and "time limit of 10 s" in response.text
    assert time.monotonic() - started < 30
    assert requests.get(served_url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30).status_code == 200


def test_credentials_never_in_outputs(outputs: list[str], password: str, loaded: Path, served) -> None:
    """No output of load, no server log line, no state file holds the password (runs after the others)."""
    assert outputs
    for text in [*outputs, loaded.read_text(), served[1].read_text()]:
        assert password not in text
        assert "never-used-by-serve" not in text


def test_pages_read_the_remote_store(loaded: Path, virtuoso: Virtuoso, tmp_path: Path) -> None:
    """With --backend URL, pages, the home page and the query UI work over the remote store with no local build."""
    with running_server(tmp_path / "no-local-store", tmp_path / "server.log", "--backend", virtuoso.sparql_url) as url:
        page = requests.get(url.replace("/sparql", "/id/drug/anakinra"), headers={"Accept": "text/turtle"}, timeout=30)
        home = requests.get(url.replace("/sparql", "/"), timeout=30)
        editor = requests.get(url.replace("/sparql", "/query"), timeout=30)
    assert home.status_code == 200, home.text  # the home page's counts and links come from the remote store
    assert "/id/drug/anakinra" in home.text and "last build" in home.text
    assert editor.status_code == 200 and "yasgui" in editor.text.lower()
    assert page.status_code == 200, page.text
    graph = rdflib.Graph().parse(data=page.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/anakinra-kg/id/drug/anakinra"), None, None) in graph
