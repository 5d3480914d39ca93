"""A small smoke run of the benchmark (no timing asserted): generator, answer comparison, the whole runner."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

from benchmarks import compare, generate
from benchmarks.engines.base import JSON_RESULTS, Answer
from benchmarks.engines.floor import FLOORS
from benchmarks.engines.oxigraph_server import oxigraph_command
from benchmarks.engines.virtuoso import VirtuosoError, install
from benchmarks.workload import with_prefixes

ROOT = Path(__file__).resolve().parents[1]


def _count(folder: Path, manifest: dict) -> int:
    """Count the data triples of a generated folder by parsing every data file."""
    return sum(
        sum(1 for _ in ox.parse(path=folder / name, format=ox.RdfFormat.TURTLE))
        for name in manifest["files"]
        if name.startswith("data/")
    )


def test_generator_is_deterministic_and_reaches_the_target(tmp_path: Path) -> None:
    first = generate.generate(tmp_path / "a", 2_000, seed=7)
    generate.generate(tmp_path / "b", 2_000, seed=7)
    generate.generate(tmp_path / "c", 2_000, seed=8)
    for name in first["files"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "data" / "drugs-0001.ttl").read_bytes() != (
        tmp_path / "c" / "data" / "drugs-0001.ttl"
    ).read_bytes()
    assert _count(tmp_path / "a", first) == first["data_triples"]
    assert 2_000 <= first["data_triples"] < 2_000 + 400  # stops at the first drug boundary past the target
    assert (tmp_path / "a" / "ontology" / "anakinra-kg.ttl").read_bytes() == (
        ROOT / "ontology" / "anakinra-kg.ttl"
    ).read_bytes()


def test_generated_graph_has_the_shapes_of_ours(tmp_path: Path) -> None:
    manifest = generate.generate(tmp_path / "g", 5_000)
    db = ox.Store()
    for name in manifest["files"]:
        db.bulk_load(path=tmp_path / "g" / name, format=ox.RdfFormat.TURTLE)
    ak = "PREFIX ak: <https://w3id.org/anakinra-kg/vocab/>\n"
    facts = ["TherapeuticUse", "RegulatoryEvent", "Study", "Finding", "AdverseReaction", "Contraindication", "Evidence"]
    for kind in facts:
        sparql = ak + f"ASK {{ ?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ak:{kind} }}"
        assert bool(db.query(sparql)), kind
    # every fact node has evidence with a quote and a section
    orphans = (
        ak
        + "SELECT ?x WHERE { ?x a ak:TherapeuticUse . FILTER NOT EXISTS { ?x ak:evidence/ak:quote ?q ; ak:evidence/ak:section ?s } }"
    )
    assert list(db.query(orphans)) == []
    decimals = ak + "ASK { ?r ak:frequency ?f FILTER (datatype(?f) = <http://www.w3.org/2001/XMLSchema#decimal>) }"
    assert bool(db.query(decimals))


def _answer(bindings: list[dict]) -> Answer:
    body = json.dumps({"head": {"vars": ["x", "n"]}, "results": {"bindings": bindings}}).encode()
    return Answer(200, body, JSON_RESULTS)


def test_comparison_normalises_spelling_but_catches_differences() -> None:
    query = "SELECT ?x ?n WHERE { ?x <p> ?n } ORDER BY ?n"
    dec = "http://www.w3.org/2001/XMLSchema#decimal"
    a = compare.parse(
        _answer([{"x": {"type": "uri", "value": "u:1"}, "n": {"type": "literal", "datatype": dec, "value": "0.060"}}]),
        query,
    )
    b = compare.parse(
        _answer(
            [{"x": {"type": "uri", "value": "u:1"}, "n": {"type": "typed-literal", "datatype": dec, "value": "0.06"}}]
        ),
        query,
    )
    c = compare.parse(
        _answer([{"x": {"type": "uri", "value": "u:2"}, "n": {"type": "literal", "datatype": dec, "value": "0.06"}}]),
        query,
    )
    assert compare.same(a, b, query) == (True, "")
    assert compare.same(a, c, query)[0] is False
    two = [{"x": {"type": "uri", "value": f"u:{i}"}} for i in (1, 2)]
    ordered, reversed_ = compare.parse(_answer(two), query), compare.parse(_answer(two[::-1]), query)
    assert compare.same(ordered, reversed_, query) == (True, "same rows; ties ordered differently")
    assert compare.same(ordered, reversed_, "SELECT ?x WHERE { ?x <p> ?n }") == (True, "")


def test_missing_prefixes_are_declared_for_peers() -> None:
    text = "PREFIX ak: <https://example.org/ak#>\nSELECT ?d WHERE { ?d ak:x drug:anakinra ; rdfs:label ?l }"
    out = with_prefixes(text, {"ak": "urn:ak:", "drug": "urn:drug:", "rdfs": "urn:rdfs:", "xsd": "urn:xsd:"})
    assert out.startswith("PREFIX drug: <urn:drug:>\nPREFIX rdfs: <urn:rdfs:>\n")
    assert "urn:ak:" not in out and "urn:xsd:" not in out


def test_smoke_run_writes_the_table_and_engines_agree(tmp_path: Path) -> None:
    engines = ["pyoxigraph", "rdflib", "ours", "ours-app", "ours-cached"]
    engines += ["oxigraph", "oxigraph-memory"] if oxigraph_command() else []
    argv = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "2k", "--repeat", "1", "--per-client", "1"]
    argv += ["--clients", "2", "--round-trips", "200", "--interleave-rounds", "1", "--engines", ",".join(engines)]
    argv += ["--min-seconds", "0"]  # a smoke run: one query per client, however fast
    argv += ["--strict"]
    argv += ["--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    table = (tmp_path / "out" / "results.md").read_text()
    assert "each 1 queries per client or more (at most" in table  # how long each throughput measurement ran
    run = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [d["dataset"] for d in run["datasets"]] == ["article", "2k"]
    synthetic_queries = sorted(p.stem for p in (ROOT / "benchmarks" / "queries").glob("*.rq"))
    for data in run["datasets"]:
        ran = [e for e in data["engines"] if "skipped" not in e]
        assert len(ran) >= 2, f"fewer than two engines ran on {data['dataset']}"
        for engine in ran:
            assert "error" not in engine, engine["error"]
            rows = engine["queries"]
            answered = {name: row for name, row in rows.items() if "error" not in row}
            assert all(row.get("agrees") for row in answered.values()), (engine["engine"], rows)
            if engine["engine"] != "rdflib in-memory":  # rdflib's own engine fails some queries; reported, not hidden
                assert answered == rows, (engine["engine"], rows)
            if data["dataset"] == "2k":
                assert sorted(rows) == synthetic_queries
            if engine["engine"].startswith(("anakinra-kg serve", "Oxigraph server")):  # over HTTP: the mixed load
                assert engine["mix_qps"] > 0 and engine["mix_failed"] == {}, engine
                # the server's processes were found and their CPU time sampled
                assert engine["mix_cpu_per_request"] is not None, engine
                assert f"| {data['dataset']} | {engine['engine']} | {engine['mix_qps']:,.0f} |" in table
        for engine in data["engines"]:
            if "skipped" in engine:
                assert f"{engine['engine']} | skipped: {engine['skipped']}" in table
    for name in synthetic_queries:
        assert f"| {name} |" in table
    if oxigraph_command():
        assert "Oxigraph server (RocksDB) | 1.00 | 1.00" in table  # the baseline of the ratios ran
    floors = run["datasets"][0]["floors"]  # bare granian and Flask: the round trip under ours, in the same run
    assert [f["engine"] for f in floors] == [make().name for make in FLOORS.values()]
    assert all(f["round_trip_p50"] > 0 and "error" not in f for f in floors), floors
    for floor in floors:
        assert f"| {floor['engine']} | " in table
    article = {e["engine"]: e for e in run["datasets"][0]["engines"]}
    assert all(e["yardstick"] > 0 for d in run["datasets"] for e in d["engines"])  # the machine's speed, per engine
    assert "- machine speed: a fixed Python loop, timed before each engine" in table
    # our application called in-process answered every catalogue query, and the server's CPU per round trip was read
    app = article["anakinra-kg app in-process (WSGI call, no HTTP)"]
    assert len(app["queries"]) == len(list((ROOT / "queries").glob("*.rq"))) and app["round_trip_p50"] > 0
    assert article["anakinra-kg serve (cache off)"]["round_trip_cpu"] > 0
    assert "round_trip_cpu" not in app  # in-process: no server processes
    interleaved = run["datasets"][0]["interleaved"]  # the p50 target's engines, timed in turns
    catalogue = {path.stem for path in (ROOT / "queries").glob("*.rq")}
    timed = [
        "pyoxigraph in-process",
        "anakinra-kg serve (cache off)",
        "anakinra-kg app in-process (WSGI call, no HTTP)",
    ]
    timed[1:1] = ["Oxigraph server (RocksDB)", "Oxigraph server (in memory)"] if oxigraph_command() else []
    timed.append(FLOORS["sparql-floor"]().name)  # the least Python endpoint, timed on the catalogue beside them
    assert [e["engine"] for e in interleaved["engines"]] == timed
    assert all(set(e["queries"]) == catalogue and e["round_trip_p50"] > 0 for e in interleaved["engines"])
    if oxigraph_command():  # the target's baseline ran: the worst query's p50 is taken apart, both ways
        assert "The p50 target, engines interleaved, 1 rounds: our server," in table
        assert "- our application in-process" in table
        assert "The least Python endpoint (pyoxigraph in a bare WSGI app under granian): " in table
        assert "The same ratio for Oxigraph server (RocksDB) itself: " in table
        assert "The same ratio for Oxigraph server (in memory) itself: " in table
        assert "| article | worst p50 / (pyoxigraph p50 + HTTP round trip) <= 1.5 (engines interleaved" in table


def test_smoke_run_of_our_endpoint_on_the_remote_backend(tmp_path: Path) -> None:
    """`ours-remote`: Virtuoso loaded by `anakinra-kg load --into`, served by `anakinra-kg serve --backend URL`."""
    try:
        install()
    except (VirtuosoError, OSError) as error:
        pytest.skip(f"Virtuoso open source cannot be installed here: {str(error).splitlines()[0]}")
    argv = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "2k", "--no-article", "--repeat", "1"]
    argv += ["--per-client", "1", "--min-seconds", "0", "--clients", "2", "--engines", "pyoxigraph,ours,ours-remote"]
    argv += ["--strict"]
    argv += ["--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (data,) = json.loads((tmp_path / "out" / "results.json").read_text())["datasets"]
    remote = next(e for e in data["engines"] if "remote backend" in e["engine"])
    assert "skipped" not in remote and "error" not in remote, remote
    assert remote["load_seconds"] > 0
    synthetic_queries = sorted(p.stem for p in (ROOT / "benchmarks" / "queries").glob("*.rq"))
    assert sorted(remote["queries"]) == synthetic_queries
    assert all(row.get("agrees") and "error" not in row for row in remote["queries"].values()), remote["queries"]
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| 2k | " in table.split("## Our endpoint on both backends (cache off)")[1].split("| remote (Virtuoso) |")[0]


@pytest.mark.parametrize(
    "text,expected", [("2k", 2_000), ("100k", 100_000), ("1M", 1_000_000), ("10M", 10_000_000), ("1.5M", 1_500_000)]
)
def test_sizes_parse(text: str, expected: int) -> None:
    assert generate.parse_size(text) == expected


def _engine_of(client: type) -> object:
    """An engine with nothing to load or start, whose clients are new instances of ``client`` (a scripted Client)."""
    from benchmarks.engines.base import Engine

    class Scripted(Engine):
        def load(self, dataset, workdir):  # noqa: ANN001, ANN201 - not used
            return None

        def start(self) -> float:
            return 0.0

        def client(self) -> object:
            return client()

    return Scripted()


def test_throughput_counts_answers_that_fail_under_load() -> None:
    """A query that fails for some clients (e.g. 503 at a time limit) is a figure, not the end of the run."""
    from benchmarks.engines.base import Client
    from benchmarks.workload import CONNECTION_LOST, throughput

    class Flaky(Client):
        calls = 0

        def query(self, sparql: str) -> Answer:
            Flaky.calls += 1
            if Flaky.calls % 5 == 0:
                raise http.client.RemoteDisconnected("Remote end closed connection without response")
            return Answer(503 if Flaky.calls % 2 == 0 else 200, b"", JSON_RESULTS)

    load = throughput(_engine_of(Flaky), ["ASK {}"], clients=2, per_client=6)
    rate, failed = load.qps, load.failed
    assert rate > 0 and failed.get(503, 0) >= 1
    assert failed.get(CONNECTION_LOST, 0) >= 1  # a dropped connection is counted, and the clients go on
    from benchmarks.report import under_load

    shown = under_load(load.failures())  # as results.json keeps them
    assert f"{failed[503]}× HTTP 503" in shown and f"{failed[CONNECTION_LOST]}× connection lost" in shown
    assert sum(failed.values()) <= 12


def test_the_catalogue_as_one_workload_runs_every_query_from_staggered_starts() -> None:
    """The mixed workload cycles every client through all the queries, each client from its own first query."""
    from benchmarks.engines.base import Client
    from benchmarks.workload import throughput

    asked: list[str] = []
    lock = threading.Lock()

    class Recording(Client):
        def query(self, sparql: str) -> Answer:
            with lock:
                asked.append(sparql)
            return Answer(200, b"", JSON_RESULTS)

    texts = [f"ASK {{ <urn:q{i}> ?p ?o }}" for i in range(5)]
    load = throughput(_engine_of(Recording), texts, clients=3, per_client=10)
    timed = asked[3:]  # each client's first query only opened its connection
    assert load.qps > 0 and not load.failed and len(timed) == 30
    assert all(timed.count(text) == 6 for text in texts)  # 3 clients x 10 queries over 5 texts, each twice


def test_a_throughput_measurement_runs_at_least_min_seconds_and_at_most_the_budget() -> None:
    """A light query goes on past ``per_client`` until ``min_seconds`` have passed; the budget still ends it."""
    from benchmarks.engines.base import Client
    from benchmarks.workload import throughput

    counted = [0]
    lock = threading.Lock()

    class Quick(Client):
        def query(self, sparql: str) -> Answer:
            time.sleep(0.005)
            with lock:
                counted[0] += 1
            return Answer(200, b"", JSON_RESULTS)

    started = time.perf_counter()
    throughput(_engine_of(Quick), ["ASK {}"], clients=2, per_client=2, min_seconds=0.3)
    assert time.perf_counter() - started >= 0.3
    assert counted[0] > 2 + 2 * 2  # the two warm-up queries, then more than per_client each
    counted[0] = 0
    started = time.perf_counter()
    throughput(_engine_of(Quick), ["ASK {}"], clients=2, per_client=2, budget=0.2, min_seconds=30)
    assert time.perf_counter() - started < 5


def test_build_and_validation_benchmark_runs_as_documented(tmp_path: Path) -> None:
    """`benchmarks/build_validate.py` (README) runs as a script and writes its table with the build ratio."""
    out = tmp_path / "build_validate.md"
    argv = [sys.executable, str(ROOT / "benchmarks" / "build_validate.py"), "--sizes", "2k", "--runs", "1"]
    argv += ["--pyshacl-up-to", "2k", "--workdir", str(tmp_path / "work"), "--out", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text()
    assert "| 2k | build throughput / oxigraph load |" in table
    assert "| 2k | validation results | 0 |" in table


def test_a_query_failing_while_timed_is_its_figure_and_the_engine_goes_on(tmp_path: Path) -> None:
    """A query that answers once and then fails (e.g. 503 past a time limit) is reported as that query's error."""
    import argparse

    from benchmarks.engines.base import Client
    from benchmarks.run import measure
    from benchmarks.workload import Query

    class FailsAfterFirst(Client):
        calls = 0

        def query(self, sparql: str) -> Answer:
            FailsAfterFirst.calls += 1
            status = 200 if FailsAfterFirst.calls == 1 else 503
            return Answer(status, b'{"head": {}, "boolean": true}', JSON_RESULTS)

    args = argparse.Namespace(repeat=3, budget=5.0, clients=2, per_client=1)
    engine = _engine_of(FailsAfterFirst)
    row = measure(engine, engine.client(), Query("ask", "ASK {}"), args, {})
    assert row == {"error": "RuntimeError while timed: HTTP 503"}


def test_interleaved_rounds_take_turns_and_a_failure_is_reported(tmp_path: Path) -> None:
    """Each round runs every query on each engine in a rotating order; an engine's error answer stops the
    interleaved run, and the report says so instead of giving a figure."""
    from benchmarks import interleaved, report_p50
    from benchmarks.engines.base import Client, Dataset
    from benchmarks.workload import Query

    calls: list[tuple[str, str]] = []

    def scripted(label: str, status: int = 200) -> object:
        class Labelled(Client):
            def query(self, sparql: str) -> Answer:
                calls.append((label, sparql))
                return Answer(status, b"", JSON_RESULTS)

        engine = _engine_of(Labelled)
        engine.name = label
        return engine

    dataset = Dataset("article", [], 0, tmp_path)
    queries = [Query("q1", "ASK { <urn:a> ?p ?o }"), Query("q2", "ASK { <urn:b> ?p ?o }")]
    engines = [(scripted("one"), tmp_path), (scripted("two"), tmp_path)]
    timed = interleaved.p50s(engines, dataset, queries, rounds=2, per_round=3)
    assert [e["engine"] for e in timed["engines"]] == ["one", "two"]
    for engine in timed["engines"]:
        assert {name: row["runs"] for name, row in engine["queries"].items()} == {"q1": 6, "q2": 6}
        assert engine["round_trip_p50"] > 0
    first_of_each_turn = [label for i, (label, _) in enumerate(calls) if i % 4 == 0]  # 1 untimed + 3 timed
    assert first_of_each_turn[:2] == ["one", "two"] and first_of_each_turn[6:8] == ["two", "one"]  # rotated

    with pytest.raises(RuntimeError, match="HTTP 500"):
        interleaved.p50s([(scripted("ok"), tmp_path), (scripted("bad", 500), tmp_path)], dataset, queries, 1)
    lines = report_p50._target_parts({"engines": [], "interleaved": {"error": "RuntimeError: HTTP 500"}}, "x")
    assert "The p50 target with the engines interleaved could not be timed: RuntimeError: HTTP 500" in lines


def test_the_least_python_endpoint_answers_as_pyoxigraph_does_and_refuses_bad_queries(tmp_path: Path) -> None:
    """The SPARQL floor (pyoxigraph in a bare WSGI app under granian) gives pyoxigraph's own answers over HTTP,
    and a missing or malformed query gets a 400, not a 500."""
    from benchmarks.engines.base import Dataset
    from benchmarks.engines.inprocess import Pyoxigraph

    data = tmp_path / "tiny.nq"
    data.write_text(
        '<urn:a> <urn:p> <urn:b> <urn:g1> .\n<urn:b> <urn:p> <urn:c> <urn:g2> .\n<urn:c> <urn:q> "x" <urn:g2> .\n'
    )
    dataset = Dataset("tiny", [data], 3, tmp_path)
    reference, floor = Pyoxigraph(), FLOORS["sparql-floor"]()
    reference.load(dataset, tmp_path)
    floor.load(dataset, tmp_path)
    floor.start()
    try:
        queries = [
            "SELECT ?s ?o WHERE { ?s <urn:p> ?o }",
            "ASK { <urn:c> <urn:q> ?x }",
            "CONSTRUCT { ?o <urn:r> ?s } WHERE { ?s <urn:p> ?o }",
        ]
        for text in queries:
            served, expected = floor.client().query(text), reference.client().query(text)
            assert served.status == 200 and served.content_type == expected.content_type
            assert compare.same(compare.parse(expected, text), compare.parse(served, text), text) == (True, "")
        assert compare.size(compare.parse(floor.client().query(queries[0]), queries[0])) == 2  # the union graph
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(floor.url).port)
        for target in ("/sparql", "/sparql?query=SELEC"):
            connection.request("GET", target)
            answer = connection.getresponse()
            assert answer.status == 400 and answer.read(), target
    finally:
        floor.stop()
