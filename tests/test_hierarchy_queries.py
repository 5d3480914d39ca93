"""Importing external ontologies from ../shared/ontologies, and the queries that need their hierarchies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from anakinra_kg import build, imports, mappings, prefixes, query, store

from .conftest import ROOT, SHARED, run_cli

ONTOLOGIES = SHARED / "ontologies"
# The committed modules of data/imports/ and the command that makes each one from the shared files.
MODULES = {
    "mondo": ("mondo-2023-08-02-skeleton.nt.gz", None),
    "hp": ("mondo-2021-10-07-hp_import.obo", "https://hpo.jax.org/app/license"),
    "chebi": ("mondo-2021-10-07-chebi_import.obo", "https://creativecommons.org/licenses/by/4.0/"),
}
HIERARCHY_QUERIES = sorted((ROOT / "queries").glob("hierarchy-*.rq"))

pytestmark = pytest.mark.skipif(
    not all((ONTOLOGIES / source).exists() for source, _ in MODULES.values()),
    reason=f"the shared ontology extracts are absent ({ONTOLOGIES}); they are the import step's test input",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose data/imports/ is made afresh from the shared files by the import command."""
    root = tmp_path_factory.mktemp("project")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, root / name)
    shutil.rmtree(root / "data" / imports.IMPORTS_DIR)
    for name, (source, license_iri) in MODULES.items():
        args = ["--project-dir", str(root), "import", str(ONTOLOGIES / source), "--ontology", name]
        result = run_cli(*args, *(["--license", license_iri] if license_iri else []))
        assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def db(project: Path, tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """A store built from the project with the freshly imported modules."""
    link = tmp_path_factory.mktemp("store") / "store"
    build.build(project / "ontology", project / "data", link)
    return store.open_read_only(link)


def table(results: query.Results) -> list[str]:
    """Render SELECT results as TSV lines: CURIEs for IRIs, lexical forms for literals, rows sorted."""
    names = [v.value for v in results.variables]
    rows = []
    for solution in results:
        cells = []
        for name in names:
            term = solution[name]
            if isinstance(term, ox.NamedNode):
                cells.append(prefixes.converter().compress(term.value, passthrough=True))
            else:
                cells.append("" if term is None else term.value)
        rows.append("\t".join(cells))
    return ["\t".join(names), *sorted(rows)]


@pytest.mark.parametrize("path", HIERARCHY_QUERIES, ids=lambda p: p.stem)
def test_hierarchy_query_gives_expected_answer(db: ox.Store, path: Path) -> None:
    """Each hierarchy query answers as tests/expected/<name>.tsv says, on a store with the imported modules."""
    expected = (ROOT / "tests" / "expected" / f"{path.stem}.tsv").read_text(encoding="utf-8").splitlines()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Question:") and "PREFIX " in text
    assert table(query.run(db, text)) == expected


@pytest.mark.parametrize("path", HIERARCHY_QUERIES, ids=lambda p: p.stem)
def test_hierarchy_query_needs_the_imported_hierarchy(project: Path, tmp_path: Path, path: Path) -> None:
    """Without data/imports/ the same query finds nothing: the answers come from the external hierarchy."""
    shutil.copytree(project / "ontology", tmp_path / "ontology")
    shutil.copytree(project / "data", tmp_path / "data", ignore=shutil.ignore_patterns(imports.IMPORTS_DIR))
    build.build(tmp_path / "ontology", tmp_path / "data", tmp_path / "store")
    results = query.run(store.open_read_only(tmp_path / "store"), path.read_text(encoding="utf-8"))
    assert table(results)[1:] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_committed_module_is_what_the_import_makes(project: Path, name: str) -> None:
    """data/imports/<name>.ttl is exactly the output of the import command on the shared file (reproducible)."""
    fresh = (project / "data" / imports.IMPORTS_DIR / f"{name}.ttl").read_text(encoding="utf-8")
    assert (ROOT / "data" / imports.IMPORTS_DIR / f"{name}.ttl").read_text(encoding="utf-8") == fresh


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_graph_records_source_version_and_license(db: ox.Store, name: str) -> None:
    """Each import graph describes itself: a void:Dataset with a license and the source's version."""
    graph = f"<{prefixes.graph_iri('import/' + name)}>"
    rows = query.rows(
        query.run(
            db,
            f"SELECT ?license ?version WHERE {{ GRAPH {graph} {{ {graph} a void:Dataset ; dcterms:license ?license ;"
            " owl:versionInfo|owl:versionIRI|prov:wasDerivedFrom ?version } }",
        )
    )[1]
    assert rows and all(license and version for license, version in rows)


@pytest.mark.parametrize("name", ["mondo", "hp"])
def test_module_is_closed_under_superclasses_up_to_the_root(name: str) -> None:
    """Every mapped term is in the module, not obsolete, and every class's parents are in it, up to the root."""
    source, _ = MODULES[name]
    ontology = imports.read(ONTOLOGIES / source)
    wanted = imports.seeds(ROOT / "data", name)
    module = imports.extract(ontology, name, wanted, ONTOLOGIES / source, None)
    assert module.missing == [] and module.obsolete == []
    subjects = {t.subject.value for t in module.triples}
    parents = {t.object.value for t in module.triples if t.predicate.value == imports.RDFS + "subClassOf"}
    assert set(wanted) <= subjects and parents <= subjects
    root = prefixes.converter().expand(f"{name}:0000001")
    assert root in subjects
    assert not any(t.predicate.value == imports.RDFS + "subClassOf" for t in module.triples if t.subject.value == root)


def test_mapped_labels_agree_with_the_ontology() -> None:
    """The object_label of each MONDO/HPO row is the term's label in the source (a guard against wrong ids)."""
    rows, _ = mappings.read(ROOT / "data" / mappings.FILE_NAME)
    labels = {}
    for source in (MODULES["mondo"][0], MODULES["hp"][0]):
        labels |= {iri: t.label for iri, t in imports.read(ONTOLOGIES / source).terms.items() if t.label}
    checked = 0
    for row in rows:
        prefix = row.record.object_id.split(":")[0]
        if prefix in ("mondo", "hp"):
            iri = prefixes.converter().expand(row.record.object_id)
            assert labels[iri].lower() == (row.record.object_label or "").lower(), row.line
            checked += 1
    assert checked > 40


def test_owl_and_obo_releases_give_the_same_terms() -> None:
    """The RDF/XML (gzipped) and OBO forms of the same HPO module give the same extracted classes."""
    wanted = imports.seeds(ROOT / "data", "hp")
    from_obo = imports.extract(imports.read(ONTOLOGIES / MODULES["hp"][0]), "hp", wanted, Path("a"), None)
    from_owl = imports.extract(
        imports.read(ONTOLOGIES / "mondo-2021-10-07-hp_import.owl.gz"), "hp", wanted, Path("a"), None
    )
    terms = {t for t in from_obo.triples if t.subject.value.startswith(prefixes.prefix_map()["hp"])}
    assert terms == {t for t in from_owl.triples if t.subject.value.startswith(prefixes.prefix_map()["hp"])}
    assert len(terms) > 100


def test_import_of_a_broken_file_names_it(tmp_path: Path) -> None:
    """A file that does not parse gives a clear error naming it, and no module is written."""
    bad = tmp_path / "broken.ttl"
    bad.write_text("<http://purl.obolibrary.org/obo/HP_1> a \n", encoding="utf-8")
    out = tmp_path / "out.ttl"
    result = run_cli("--project-dir", str(ROOT), "import", str(bad), "--ontology", "hp", "-o", str(out))
    assert result.returncode == 1 and "broken.ttl" in result.stderr
    assert not out.exists()
