"""How terms read on the pages: dates at their precision, shares as percentages, links, identifiers, questions."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from anakinra_kg.server import render, ui

XSD = "http://www.w3.org/2001/XMLSchema#"
AK = "https://w3id.org/anakinra-kg/vocab/"


@pytest.mark.parametrize(
    ("lexical", "datatype", "shown"),
    [
        ("2021", "gYear", "2021"),
        ("2021-12", "gYearMonth", "Dec 2021"),
        ("2020-03-05", "date", "5 Mar 2020"),
        ("2026-11-25T20:36:53Z", "dateTime", "25 Nov 2026, 20:36 UTC"),
        ("2021-13", "gYearMonth", "2021-13"),
    ],
)
def test_dates_read_at_their_precision(lexical: str, datatype: str, shown: str) -> None:
    assert render.literal(ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))).text == shown


@pytest.mark.parametrize(
    ("predicate", "lexical", "shown"),
    [
        ("frequency", "0.045", "4.5%"),
        ("comparatorFrequency", "0", "0%"),
        ("frequencyLowerBound", "0.10", "> 10%"),
        ("excessOverComparator", "0.08", "+8%"),
        ("thresholdValue", "6", "6"),
    ],
)
def test_shares_read_as_percentages(predicate: str, lexical: str, shown: str) -> None:
    term = ox.Literal(lexical, datatype=ox.NamedNode(XSD + "decimal"))
    assert render.literal(term, AK + predicate).text == shown


def test_links_stay_on_the_server_for_our_iris_only() -> None:
    view = render.Renderer(
        "https://w3id.org/anakinra-kg/", "/kg", {"https://w3id.org/anakinra-kg/id/disease/gout": "gout"}
    )
    gout = view.iri("https://w3id.org/anakinra-kg/id/disease/gout")
    assert (gout.text, gout.href, gout.external) == ("gout", "/kg/id/disease/gout", False)
    mondo = view.iri("http://purl.obolibrary.org/obo/MONDO_0005393")
    assert (mondo.text, mondo.href, mondo.external) == (
        "mondo:0005393",
        "http://purl.obolibrary.org/obo/MONDO_0005393",
        True,
    )
    assert view.iri("urn:isbn:1").href is None


def test_identifiers_name_their_resource_and_resolver() -> None:
    found = render.identifier("https://go.drugbank.com/drugs/DB00026", "exact match")
    assert found == render.Identifier(
        "drugbank:DB00026", "DrugBank", "https://go.drugbank.com/drugs/DB00026", "exact match"
    )
    xref = render.xref("MONDO:0005393", "database cross reference")
    assert xref is not None and xref.href == "http://purl.obolibrary.org/obo/MONDO_0005393"
    assert render.xref("not a curie", "x") is None


def test_question_header_spans_continued_comment_lines() -> None:
    text = "# Question: What is every use of anakinra, and\n#           who approved it?\nPREFIX ak: <x>\n"
    assert ui.question(text) == "What is every use of anakinra, and who approved it?"
    assert ui.question("SELECT * WHERE {}") == ""
