"""The SSSOM mapping set: valid SSSOM, one prefix map with the project, patterns, coverage, and its graph."""

from __future__ import annotations

import csv
import re

import pytest
from sssom.constants import DEFAULT_VALIDATION_TYPES
from sssom.parsers import parse_sssom_table
from sssom.validators import validate

from anakinra_kg import build, mappings, prefixes, registry

from .conftest import ROOT

SSSOM_FILE = ROOT / "data" / mappings.FILE_NAME
UNMAPPED_FILE = ROOT / "data" / "unmapped.tsv"


@pytest.fixture(scope="module")
def msdf():
    """The mapping set as sssom-py reads it."""
    return parse_sssom_table(SSSOM_FILE)


@pytest.fixture(scope="module")
def rows():
    """The mapping rows as the build reads them."""
    return mappings.read(SSSOM_FILE)[0]


def test_sssom_py_validates_the_mapping_set(msdf) -> None:
    """sssom-py's default validations (JSON schema, prefix map completeness, strict CURIEs) pass."""
    reports = validate(msdf, DEFAULT_VALIDATION_TYPES, fail_on_error=True)
    assert all(not report.results for report in reports.values())
    assert len(msdf.df) > 150


def test_curie_map_is_the_projects_prefix_map(msdf) -> None:
    """Every prefix of the SSSOM curie_map expands exactly as prefixes.py does."""
    ours = prefixes.prefix_map()
    theirs = dict(msdf.converter.bimap)
    used = {c.split(":", 1)[0] for c in msdf.df[["subject_id", "predicate_id", "object_id"]].to_numpy().ravel()}
    assert used <= set(theirs)
    assert {p: theirs[p] for p in used} == {p: ours[p] for p in used}
    header = SSSOM_FILE.read_text(encoding="utf-8").split("# curie_map:\n", 1)[1]
    declared = dict(re.findall(r'^#   ([\w.-]+): "([^"]+)"$', header, re.M))
    assert declared and all(ours[p] == iri for p, iri in declared.items())


def test_no_curie_expands_two_ways_and_no_iri_compresses_two_ways() -> None:
    """The project's prefix map is a bijection, also ignoring the case of prefixes."""
    pm = prefixes.prefix_map()
    assert len(set(pm.values())) == len(pm)
    assert len({p.lower() for p in pm}) == len(pm)
    conv = prefixes.converter()
    for prefix, namespace in pm.items():
        assert conv.expand(f"{prefix}:x") == namespace + "x"
        assert conv.compress(namespace + "x") == f"{prefix}:x"


def test_external_prefixes_come_from_bioregistry() -> None:
    """Regenerating the committed prefix file from the installed Bioregistry gives the same records."""
    assert registry.generate() == registry.records()
    assert prefixes.prefix_map()["mondo"] == "http://purl.obolibrary.org/obo/MONDO_"


def test_every_mapped_curie_matches_its_prefix_pattern(rows) -> None:
    """Each object's local identifier matches the Bioregistry pattern of its prefix; subjects are ours."""
    records = registry.records()
    bad = []
    for row in rows:
        prefix, local = row.record.object_id.split(":", 1)
        if prefix not in records or not re.fullmatch(records[prefix]["pattern"], local):
            bad.append((row.line, row.record.object_id))
        if row.record.subject_id.split(":", 1)[0] not in prefixes.ENTITY_KINDS:
            bad.append((row.line, row.record.subject_id))
    assert not bad


def test_each_row_says_where_it_was_checked(rows) -> None:
    """Every row has a justification, a confidence in (0, 1], an author and a comment naming the source."""
    for row in rows:
        r = row.record
        assert r.mapping_justification.startswith("semapv:"), row.line
        assert r.confidence is not None and 0 < r.confidence <= 1, row.line
        assert r.author_label and r.comment and "checked in" in r.comment, row.line


def test_every_subject_and_unmapped_entity_is_in_the_graph(select) -> None:
    """Mapping subjects and unmapped.tsv entries name entities that the data graph holds."""
    known = {row[0] for row in select("SELECT DISTINCT ?s WHERE { GRAPH graph:data { ?s a ?type } }")}
    unmapped = list(csv.DictReader(UNMAPPED_FILE.open(encoding="utf-8"), delimiter="\t"))
    assert {u["subject_id"] for u in unmapped} <= known
    assert all(u["reason"].strip() for u in unmapped)
    assert {row.record.subject_id for row in mappings.read(SSSOM_FILE)[0]} <= known


def test_every_disease_has_an_external_identifier_or_a_reason(select) -> None:
    """Each ak:Disease has a SKOS match to an external IRI, or is listed in unmapped.tsv with a reason."""
    diseases = {r[0] for r in select("SELECT ?d WHERE { GRAPH graph:data { ?d a ak:Disease } }")}
    linked = {
        r[0]
        for r in select(
            "SELECT DISTINCT ?d WHERE { GRAPH graph:mappings { ?d skos:exactMatch|skos:closeMatch|skos:broadMatch"
            "|skos:narrowMatch ?x } FILTER(!STRSTARTS(STR(?x), 'https://w3id.org/anakinra-kg/')) }"
        )
    }
    unmapped = {u["subject_id"] for u in csv.DictReader(UNMAPPED_FILE.open(encoding="utf-8"), delimiter="\t")}
    assert len(diseases) > 30
    assert diseases - linked - unmapped == set()


def test_mapping_graph_holds_links_and_reified_metadata(select, rows) -> None:
    """One direct link and one owl:Axiom/sssom:Mapping node with its metadata per row, in graph/mappings."""
    axioms = select(
        "SELECT ?m ?s ?p ?o ?why ?conf ?comment WHERE { GRAPH graph:mappings { ?m a owl:Axiom , sssom:Mapping ;"
        " owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o ;"
        " sssom:mapping_justification ?why ; sssom:confidence ?conf ; rdfs:comment ?comment ."
        " ?s ?p ?o } }"
    )
    assert len(axioms) == len(rows)
    assert len({a[0] for a in axioms}) == len(rows)
    assert all(a[0].startswith("mapping:") for a in axioms)
    gout = [a for a in axioms if a[1] == "disease:gout" and a[3] == "mondo:0005393"]
    assert gout and gout[0][2] == "skos:exactMatch" and gout[0][4] == "semapv:ManualMappingCuration"


def test_mapping_iri_is_stable_under_metadata_edits(rows) -> None:
    """The node IRI depends on subject, predicate and object only, so comments can change without breaking links."""
    row = rows[0]
    edited = mappings.Row(row.path, row.line, row.record.model_copy(update={"comment": "edited", "confidence": 0.5}))
    assert mappings.mapping_iri(edited) == mappings.mapping_iri(row)
    moved = mappings.Row(row.path, row.line, row.record.model_copy(update={"object_id": "mondo:0000001"}))
    assert mappings.mapping_iri(moved) != mappings.mapping_iri(row)


def test_unknown_subject_fails_the_build_naming_file_and_line(project_copy, tmp_path) -> None:
    """A mapping whose subject is not in the graph stops the build with file:line, and no store is written."""
    path = project_copy / "data" / mappings.FILE_NAME
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("disease:gout\t"))
    lines[number - 1] = lines[number - 1].replace("disease:gout", "disease:goutt", 1)
    path.write_text("".join(lines), encoding="utf-8")
    link = tmp_path / "store"
    with pytest.raises(mappings.MappingError, match=rf"mappings\.sssom\.tsv:{number}: subject disease:goutt"):
        build.build(project_copy / "ontology", project_copy / "data", link)
    assert not link.exists()


def test_non_skos_predicate_is_refused(project_copy, tmp_path) -> None:
    """A row whose predicate is not a SKOS mapping relation is an error, not a silent triple."""
    path = project_copy / "data" / mappings.FILE_NAME
    text = path.read_text(encoding="utf-8").replace("\tskos:closeMatch\t", "\towl:sameAs\t", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(mappings.MappingError, match="owl:sameAs is not a SKOS mapping relation"):
        build.build(project_copy / "ontology", project_copy / "data", tmp_path / "store")
