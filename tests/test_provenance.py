"""Data truth: every fact carries evidence (section + verbatim quote) and every quote is in the article."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT, SEED, SHARED

# Entity kinds whose nodes are entities (not n-ary facts): their relations need an attributed statement.
ENTITY_PATHS = ("drug/", "disease/", "protein/", "gene/", "organism/", "organisation/", "adverse-effect/")
NAMING = ("rdf:type", "rdfs:label", "skos:altLabel", "ak:evidence")


def test_quotes_verbatim() -> None:
    """The shared quote check finds every quote of data/*.ttl in the source article."""
    files = sorted(str(p) for p in (ROOT / "data").glob("*.ttl"))
    out = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_quotes.py"), str(SEED), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    found, _, total = out.stdout.split(" quotes")[0].partition(" of ")
    assert int(found) == int(total) > 80


def test_every_data_subject_has_evidence(select) -> None:
    """Each subject of the data graph has at least one evidence node with a non-empty quote and a section."""
    missing = select("""
        SELECT DISTINCT ?s WHERE { GRAPH graph:data { ?s ?p ?o }
          FILTER NOT EXISTS { ?s ak:evidence ?e . ?e ak:quote ?q ; ak:section ?sec . ?sec a ak:ArticleSection
                              FILTER(STRLEN(?q) > 0) } }""")
    assert missing == []


def test_direct_relations_are_attributed(select) -> None:
    """A triple between entities (beyond naming) has an ak:AttributedStatement with evidence."""
    rows = select("""
        SELECT ?s ?p ?o WHERE { GRAPH graph:data { ?s ?p ?o }
          FILTER NOT EXISTS { ?st a ak:AttributedStatement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                                  ak:evidence/ak:quote ?q } }""")
    unattributed = [r for r in rows if r[0].split(":")[0] + "/" in ENTITY_PATHS and r[1] not in NAMING]
    assert unattributed == []


def test_no_blank_nodes_in_data(select) -> None:
    """Nothing a researcher may want to link to is a blank node."""
    assert select("SELECT ?s WHERE { GRAPH graph:data { ?s ?p ?o } FILTER(isBlank(?s) || isBlank(?o)) } LIMIT 1") == []


def test_numbers_are_numbers(select) -> None:
    """Frequencies and thresholds are xsd:decimal between 0 and 1 (frequencies), never strings."""
    rows = select("""
        SELECT ?p ?v WHERE { VALUES ?p { ak:frequency ak:frequencyLowerBound ak:excessOverComparator ak:comparatorFrequency }
          ?r ?p ?v FILTER(DATATYPE(?v) != xsd:decimal || ?v < 0 || ?v > 1) }""")
    assert rows == []
    assert select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?r ak:frequencyLowerBound|ak:excessOverComparator|ak:frequency ?v }"
    ) == [("7",)]


def test_dates_have_article_precision(select) -> None:
    """Dates are gYear, gYearMonth or date, never plain strings."""
    rows = select(
        """SELECT ?d WHERE { ?e ak:date ?d FILTER(DATATYPE(?d) NOT IN (xsd:gYear, xsd:gYearMonth, xsd:date)) }"""
    )
    assert rows == []
