"""JSON-LD: the published context matches the ontology, exports expand back to the graph, the framed drug is plain JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld as pyld_jsonld
from rdflib.compare import isomorphic

from anakinra_kg import export, jsonld
from anakinra_kg.prefixes import STANDARD, VOCAB, graph_iri

from .conftest import ROOT, run_cli
from .test_export import store_graph

CONTEXT_FILE = ROOT / "ontology" / jsonld.CONTEXT_FILE


def test_published_context_is_the_one_generated_from_the_ontology(db: ox.Store) -> None:
    """The file in the repository is exactly what `anakinra-kg context` generates (regenerate it if this fails)."""
    assert CONTEXT_FILE.read_bytes() == jsonld.context_document(db)


def test_every_ontology_term_has_a_key_named_after_it(db: ox.Store) -> None:
    """Each ak: class, property and individual has a key equal to its local name; prefixes are the project's."""
    ctx = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    terms = {r["t"].value for r in db.query(f"SELECT DISTINCT ?t {{ GRAPH <{graph_iri('ontology')}> {{ ?t a ?k }} }}")}
    ours = sorted(t for t in terms if t.startswith(VOCAB))
    assert len(ours) > 100
    for term in ours:
        key = term.removeprefix(VOCAB)
        value = ctx[key]
        assert (value if isinstance(value, str) else value["@id"]) == f"ak:{key}"
    assert all(ctx[p] == ns for p, ns in STANDARD.items())
    assert ctx["frequency"] == {"@id": "ak:frequency", "@type": "xsd:decimal"}
    assert ctx["useStatus"]["@type"] == "@vocab" and ctx["condition"]["@type"] == "@id"


@pytest.fixture(scope="module")
def exported(db: ox.Store) -> bytes:
    """The JSON-LD export of the whole dataset."""
    return export.serialize(db, "jsonld")


def test_export_uses_the_context_and_reads_well(exported: bytes, db: ox.Store) -> None:
    """The document carries the published context, short keys and typed values."""
    doc = json.loads(exported)
    assert doc["@context"] == jsonld.context(db)
    data = next(g for g in doc["@graph"] if g["id"] == "graph:data")["@graph"]
    drug = next(n for n in data if n["id"] == "drug/anakinra")
    assert drug["brandName"] == "Kineret" and drug["type"] == "RecombinantProteinDrug"
    event = next(n for n in data if n["id"] == "event/eu-approval-2002")
    assert event["date"] == {"type": "xsd:gYear", "@value": "2002"}
    reaction = next(n for n in data if n["id"] == "adverse-reaction/anakinra-severe-infection-asthma")
    assert reaction["frequency"] == "0.045"


def test_expanding_with_pyld_gives_back_the_graphs(exported: bytes, db: ox.Store) -> None:
    """pyld: JSON-LD -> N-Quads -> rdflib, isomorphic with every graph of the store."""
    nquads = jsonld.to_nquads(json.loads(exported))
    parsed = rdflib.Dataset().parse(data=nquads, format="nquads")
    for iri in export.graph_names(db).values():
        assert isomorphic(parsed.graph(rdflib.URIRef(iri)), store_graph(db, iri)), iri


def test_parsing_with_rdflib_gives_back_the_graphs(exported: bytes, db: ox.Store) -> None:
    """rdflib's own JSON-LD parser reads the same graphs."""
    parsed = rdflib.Dataset().parse(data=exported, format="json-ld")
    for iri in export.graph_names(db).values():
        assert isomorphic(parsed.graph(rdflib.URIRef(iri)), store_graph(db, iri)), iri


def test_remote_contexts_are_refused() -> None:
    """No JSON-LD processing fetches anything: a remote @context is an error, not a download."""
    with pytest.raises(pyld_jsonld.JsonLdError) as caught:
        jsonld.to_nquads({"@context": "http://example.org/context.jsonld", "name": "x"})
    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__
    refused = [e for e in chain if isinstance(e, jsonld.RemoteContextError)]
    assert refused and "refusing to fetch http://example.org/context.jsonld" in str(refused[0])


@pytest.fixture(scope="module")
def framed(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The framed drug document, written by the CLI and read with the json module only."""
    out = tmp_path_factory.mktemp("framed") / "anakinra.framed.jsonld"
    result = run_cli("--store", str(store_link), "export", "--format", "jsonld", "--frame", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as handle:
        return json.load(handle)


def test_framed_document_is_plain_json_for_people(framed: dict) -> None:
    """A plain JSON consumer finds the brand name and the off-label conditions without any RDF library."""
    assert framed["id"] == "drug/anakinra"
    assert framed["brandName"] == "Kineret"
    off_label = sorted(u["condition"]["label"] for u in framed["hasTherapeuticUse"] if u["useStatus"] == "OffLabel")
    assert off_label == sorted(
        [
            "Behçet's disease",
            "Schnitzler's syndrome",
            "ankylosing spondylitis",
            "auto-inflammatory syndrome",
            "calcium pyrophosphate deposition",
            "gout",
            "systemic juvenile idiopathic arthritis",
            "uveitis",
        ]
    )


def test_framed_document_nests_events_studies_reactions_contraindications(framed: dict) -> None:
    """Events and studies sit in their uses; reactions, contraindications, precautions, differences under the drug."""
    uses = framed["hasTherapeuticUse"]
    eu = next(u for u in uses if u["id"] == "use/anakinra-covid-19-approved-eu")
    assert eu["establishedBy"]["agency"]["label"] == "European Medicines Agency"
    assert eu["establishedBy"]["date"]["@value"] == "2021-12"
    norse = next(u for u in uses if u["id"] == "use/anakinra-norse-investigational")
    assert norse["studiedIn"]["conductedBy"]["label"] == "Yale University"
    frequencies = {r["effect"]["label"]: r.get("frequencyLowerBound") for r in framed["hasAdverseReaction"]}
    assert frequencies["headache"] == "0.1"
    assert {
        c.get("contraindicatedCondition", c.get("contraindicatedCoMedication"))["label"]
        for c in framed["hasContraindication"]
    } == {
        "active infection",
        "latent tuberculosis",
        "TNF inhibitor",
    }
    assert (
        len(framed["hasStructuralDifference"]) == 2
        and framed["hasPrecaution"][0]["population"]["label"] == "pregnant women"
    )
    about = {item["id"]: item for item in framed["subjectOf"]}
    assert about["event/us-approval-2001"]["date"]["@value"] == "2001"
    assert about["event/eu-approval-2002"]["jurisdiction"]["label"] == "European Union"
    assert len([i for i in about if i.startswith("study/")]) == 11


def test_framed_document_states_only_facts_of_the_data_graph(framed: dict, db: ox.Store) -> None:
    """Expanding the framed document gives triples that are all in the data graph (it reshapes, never invents)."""
    triples = rdflib.Graph().parse(data=jsonld.to_nquads(framed), format="nquads")
    data = store_graph(db, graph_iri("data"))
    assert len(triples) > 300
    assert set(triples) <= set(data)
