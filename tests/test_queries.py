"""The query catalogue: every .rq file in queries/ states its question, parses anywhere, and gives its expected answer."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from anakinra_kg import query

from .conftest import ROOT, run_cli

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
EXPECTED = ROOT / "tests" / "expected"
THEMES = ("uses", "regulatory", "studies", "safety", "chemistry", "provenance", "entities", "hierarchy")


def test_catalogue_size_and_themes() -> None:
    """At least 32 queries, each named by its theme, with SELECT, ASK and CONSTRUCT forms all present."""
    assert len(QUERIES) >= 32
    assert {q.stem.split("-", 1)[0] for q in QUERIES} == set(THEMES)
    forms = {re.search(r"^(SELECT|ASK|CONSTRUCT)", q.read_text(), re.M).group(1) for q in QUERIES}
    assert forms == {"SELECT", "ASK", "CONSTRUCT"}


def test_every_expected_answer_has_its_query() -> None:
    """No stale expected answer is left behind after a query is renamed or removed."""
    assert {p.stem for p in EXPECTED.iterdir()} == {q.stem for q in QUERIES}


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_states_question_and_declares_prefixes(path: Path) -> None:
    """A header '# Question:' comes first, and the query parses with no predeclared prefix (any SPARQL client)."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Question: ")
    ox.Store().query(text)  # an empty store without prefixes: raises SyntaxError on an undeclared prefix


def _expected_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read an expected TSV answer: a header of variable names, then one row per solution."""
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    rows = [line.split("\t") for line in lines]
    return rows[0], rows[1:]


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_gives_expected_answer(path: Path, db: ox.Store) -> None:
    """Run the query on the built store and compare with tests/expected/<name>.tsv (or .ttl for CONSTRUCT).

    Rows are compared in order when the query has ORDER BY, as a multiset otherwise; graphs by isomorphism.
    """
    text = path.read_text(encoding="utf-8")
    results = query.run(db, text)
    if isinstance(results, ox.QueryTriples):
        expected_file = EXPECTED / f"{path.stem}.ttl"
        assert expected_file.exists(), f"no expected answer for {path.name}: write {expected_file}"
        got = rdflib.Graph().parse(data=ox.serialize(results, format=ox.RdfFormat.N_TRIPLES), format="nt")
        want = rdflib.Graph().parse(expected_file, format="turtle")
        assert isomorphic(got, want), f"{path.name}: got\n{got.serialize(format='turtle')}"
        return
    expected_file = EXPECTED / f"{path.stem}.tsv"
    assert expected_file.exists(), f"no expected answer for {path.name}: write {expected_file}"
    header, body = query.rows(results)
    want_header, want_body = _expected_rows(expected_file)
    assert header == want_header
    if re.search(r"^ORDER BY", text, re.M):
        assert body == want_body
    else:
        assert sorted(body) == sorted(want_body)


def test_off_label_answer_is_what_the_article_says() -> None:
    """The expected answer for off-label uses is the article's list (a check of the expected file itself)."""
    _, rows = _expected_rows(EXPECTED / "uses-off-label.tsv")
    conditions = {row[1].removesuffix("@en") for row in rows}
    assert conditions == {
        "Schnitzler's syndrome",
        "systemic juvenile idiopathic arthritis",
        "gout",
        "calcium pyrophosphate deposition",
        "Behçet's disease",
        "ankylosing spondylitis",
        "uveitis",
        "auto-inflammatory syndrome",
    }
    assert ["disease:schnitzler-syndrome", "Schnitzler's syndrome@en", "United States@en"] in rows


def test_cli_prints_a_readable_table(store_link: Path) -> None:
    """`anakinra-kg query -f queries/<name>.rq` prints a table with the header and CURIEs, and the row count."""
    out = run_cli("--store", str(store_link), "query", "-f", str(ROOT / "queries" / "safety-contraindications.rq"))
    assert out.returncode == 0, out.stderr
    assert "contraindicated" in out.stdout and "TNF inhibitor" in out.stdout and "latent tuberculosis" in out.stdout
    assert "3 row(s)" in out.stderr
