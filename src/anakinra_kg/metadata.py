"""Dataset metadata: a VoID + DCAT description of the graph, computed from the quads at build time.

The description lives in its own named graph (graph/metadata). Every count is computed from the quads of
the other graphs (the metadata graph describes them; its own size is given on its subset), never typed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from . import __version__, registry
from .export import DUMPS
from .formats import by_name
from .prefixes import BASE, ID, STANDARD, VOCAB, graph_iri, prefix_map
from .query import side_by_side
from .settings import Settings

GRAPH = ox.NamedNode(graph_iri("metadata"))
DATASET = ox.NamedNode(BASE + "dataset")
TITLE = "anakinra-kg: a knowledge graph of the drug anakinra (Kineret)"
DESCRIPTION = (
    "Everything the encyclopedia article 'Anakinra' says about the drug anakinra (Kineret): chemistry, "
    "therapeutic uses and their regulatory status, regulatory events, studies and findings, adverse reactions "
    "with frequencies, contraindications and precautions, each fact with the article section and a verbatim quote."
)
MATCHES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
MATCH_PREDICATES = tuple(STANDARD["skos"] + m for m in MATCHES)
IANA = "https://www.iana.org/assignments/media-types/"

RDF, RDFS, OWL, XSD = (STANDARD[p] for p in ("rdf", "rdfs", "owl", "xsd"))
VOID, DCAT, DCT, PROV, SD = (STANDARD[p] for p in ("void", "dcat", "dcterms", "prov", "sd"))
TYPE = ox.NamedNode(RDF + "type")


def _n(iri: str) -> ox.NamedNode:
    """An IRI node."""
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    """An xsd:integer literal."""
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def namespace(iri: str) -> str:
    """The vocabulary namespace of a term: the longest matching prefix of the prefix map, else up to # or /."""
    known = [ns for ns in prefix_map().values() if iri.startswith(ns)]
    if known:
        return max(known, key=len)
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def target_of(iri: str) -> tuple[str, str, str]:
    """Name the external dataset an IRI belongs to: (key, title, IRI space), from the one prefix map."""
    known = [(prefix, rec) for prefix, rec in registry.records().items() if iri.startswith(rec["uri_prefix"])]
    if known:
        prefix, rec = max(known, key=lambda item: len(item[1]["uri_prefix"]))
        return prefix, rec["name"], rec["uri_prefix"]
    space = namespace(iri)
    return space.split("//", 1)[-1].strip("/").replace("/", "-").replace(".", "-"), space, space


@dataclass(frozen=True)
class Counts:
    """What the description counts, however it is computed (from quads in Python or on the store by SPARQL)."""

    triples: int
    subjects: int
    objects: int
    entities: int
    per_graph: dict[str, int]
    members: dict[ox.NamedNode, int]  # class -> distinct instances
    per_property: dict[ox.NamedNode, int]  # property -> distinct triples
    told: set[ox.Triple]  # the few triples the description quotes: ontology header, article, mapping links


def describe(
    quads: Iterable[ox.Quad], *, endpoint: str, download_base: str, version: str = __version__
) -> list[ox.Quad]:
    """Return the VoID + DCAT description of the quads (all graphs but the metadata graph) as quads."""
    quads = {q for q in quads if q.graph_name != GRAPH}  # a quad stated twice is stored once
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    subjects = {t.subject for t in triples}
    members: dict[ox.NamedNode, set] = defaultdict(set)
    for t in triples:
        if t.predicate == TYPE and isinstance(t.object, ox.NamedNode):
            members[t.object].add(t.subject)
    counts = Counts(
        triples=len(triples),
        subjects=len(subjects),
        objects=len({t.object for t in triples}),
        entities=len({s for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(ID)}),
        per_graph=dict(Counter(q.graph_name.value for q in quads)),
        members={c: len(m) for c, m in members.items()},
        per_property=dict(Counter(t.predicate for t in triples)),
        told=triples,
    )
    return _describe(counts, endpoint=endpoint, download_base=download_base, version=version)


def describe_store(store: ox.Store, *, endpoint: str, download_base: str, version: str = __version__) -> list[ox.Quad]:
    """The same description as ``describe``, counted by SPARQL on the store (no quad goes through Python).

    The counting queries only read, so they run side by side (``query.side_by_side``).
    """
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g != GRAPH]
    every = "{ SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    matches = " ".join(f"<{p}>" for p in MATCH_PREDICATES)
    queries = {
        "per_graph": f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != {GRAPH}) }} "
        "GROUP BY ?g",
        "members": "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER isIRI(?c) } GROUP BY ?c",
        "per_property": f"SELECT ?p (COUNT(*) AS ?n) WHERE {every} GROUP BY ?p",
        # the distinct subjects, and the entities among them, in one pass (GROUP BY ?s is faster than DISTINCT)
        "subjects": "SELECT (COUNT(*) AS ?n) "
        f'(SUM(IF(isIRI(?s) && STRSTARTS(STR(?s), "{ID}"), 1, 0)) AS ?entities) '
        "WHERE { { SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?s } }",
        "objects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
        "told": f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
              {{ ?s a <{OWL}Ontology> ; ?p ?o FILTER (?p IN (<{DCT}license>, <{DCT}creator>, <{TYPE.value}>)) }}
              UNION {{ ?s ?p ?o FILTER (?p = <{TYPE.value}> && ?o = <{VOCAB}SourceArticle>) }}
              UNION {{ VALUES ?p {{ {matches} }} ?s ?p ?o }} }}""",
    }

    def run(text: str) -> list:
        return list(store.query(text, default_graph=graphs))

    answers = dict(zip(queries, side_by_side(run, queries.values(), "statistics"), strict=True))
    (subjects,), (objects,) = answers["subjects"], answers["objects"]
    per_property = {row["p"]: int(row["n"].value) for row in answers["per_property"]}
    counts = Counts(
        triples=sum(per_property.values()),  # each distinct triple has one predicate
        subjects=int(subjects["n"].value),
        objects=int(objects["n"].value),
        entities=int(subjects["entities"].value),
        per_graph={row["g"].value: int(row["n"].value) for row in answers["per_graph"]},
        members={row["c"]: int(row["n"].value) for row in answers["members"]},
        per_property=per_property,
        told=set(answers["told"]),
    )
    return _describe(counts, endpoint=endpoint, download_base=download_base, version=version)


def _describe(counts: Counts, *, endpoint: str, download_base: str, version: str) -> list[ox.Quad]:
    """Write the description of the counted graphs as quads of the metadata graph."""
    out: list[tuple] = []
    d = DATASET
    out += [(d, TYPE, _n(VOID + "Dataset")), (d, TYPE, _n(DCAT + "Dataset"))]
    out += [(d, _n(DCT + "title"), ox.Literal(TITLE, language="en"))]
    out += [(d, _n(DCT + "description"), ox.Literal(DESCRIPTION, language="en"))]
    out += [(d, _n(DCAT + "version"), ox.Literal(version)), (d, _n(OWL + "versionInfo"), ox.Literal(version))]
    out += _from_ontology_and_article(counts.told)
    out += _access(endpoint, download_base)
    out += [(d, _n(VOID + "uriSpace"), ox.Literal(ID)), (d, _n(VOID + "triples"), _int(counts.triples))]
    out += [(d, _n(VOID + "distinctSubjects"), _int(counts.subjects))]
    out += [(d, _n(VOID + "distinctObjects"), _int(counts.objects))]
    out += [(d, _n(VOID + "entities"), _int(counts.entities))]
    out += _partitions(counts.members, counts.per_property)
    out += _linksets(counts.told)
    for iri, count in sorted(counts.per_graph.items()):
        out += [(d, _n(VOID + "subset"), _n(iri)), (_n(iri), TYPE, _n(VOID + "Dataset"))]
        out += [(_n(iri), _n(SD + "name"), _n(iri)), (_n(iri), _n(VOID + "triples"), _int(count))]
    out += [(d, _n(VOID + "subset"), GRAPH), (GRAPH, TYPE, _n(VOID + "Dataset")), (GRAPH, _n(SD + "name"), GRAPH)]
    own = len(set(out)) + 1  # the metadata graph's size, counting the triple that states it
    out += [(GRAPH, _n(VOID + "triples"), _int(own))]
    return [ox.Quad(s, p, o, GRAPH) for s, p, o in dict.fromkeys(out)]


def _from_ontology_and_article(triples: set[ox.Triple]) -> list[tuple]:
    """License and creators as the ontology states them; the source article the data comes from."""
    out: list[tuple] = []
    ontologies = {t.subject for t in triples if t.predicate == TYPE and t.object == _n(OWL + "Ontology")}
    for t in triples:
        if t.subject in ontologies and t.predicate.value in (DCT + "license", DCT + "creator"):
            out.append((DATASET, t.predicate, t.object))
        if t.predicate == TYPE and t.object == _n(VOCAB + "SourceArticle"):
            out += [(DATASET, _n(DCT + "source"), t.subject), (DATASET, _n(PROV + "wasDerivedFrom"), t.subject)]
    return out


def _access(endpoint: str, download_base: str) -> list[tuple]:
    """The SPARQL endpoint (a DCAT data service) and the dump files (DCAT distributions, VoID data dumps)."""
    service = _n(endpoint)
    out: list[tuple] = [(DATASET, _n(VOID + "sparqlEndpoint"), service), (DATASET, _n(DCAT + "accessService"), service)]
    out += [(service, TYPE, _n(DCAT + "DataService")), (service, _n(DCAT + "endpointURL"), service)]
    out += [(service, _n(DCAT + "servesDataset"), DATASET)]
    for dump in DUMPS:
        url = _n(download_base.rstrip("/") + "/" + dump.filename)
        dist = _n(f"{DATASET.value}/distribution/{dump.filename}")
        media = by_name(dump.format).media_type
        out += [(DATASET, _n(VOID + "dataDump"), url), (DATASET, _n(DCAT + "distribution"), dist)]
        out += [(dist, TYPE, _n(DCAT + "Distribution")), (dist, _n(DCAT + "downloadURL"), url)]
        out += [(dist, _n(DCAT + "mediaType"), _n(IANA + media)), (dist, _n(DCT + "format"), ox.Literal(media))]
        if dump.gzip:
            out += [(dist, _n(DCAT + "compressFormat"), _n(IANA + "application/gzip"))]
    return out


def _partitions(members: dict[ox.NamedNode, int], per_property: dict[ox.NamedNode, int]) -> list[tuple]:
    """Class partitions (entities per class), property partitions (triples per property), vocabularies used."""
    out: list[tuple] = [(DATASET, _n(VOID + "classes"), _int(len(members)))]
    out += [(DATASET, _n(VOID + "properties"), _int(len(per_property)))]
    for cls, things in sorted(members.items(), key=lambda item: item[0].value):
        part = _n(f"{DATASET.value}/class/{_slug(cls.value)}")
        out += [(DATASET, _n(VOID + "classPartition"), part), (part, _n(VOID + "class"), cls)]
        out += [(part, _n(VOID + "entities"), _int(things))]
    for prop, count in sorted(per_property.items(), key=lambda item: item[0].value):
        part = _n(f"{DATASET.value}/property/{_slug(prop.value)}")
        out += [(DATASET, _n(VOID + "propertyPartition"), part), (part, _n(VOID + "property"), prop)]
        out += [(part, _n(VOID + "triples"), _int(count))]
    vocabularies = {namespace(p.value) for p in per_property} | {namespace(c.value) for c in members}
    out += [(DATASET, _n(VOID + "vocabulary"), _n(ns)) for ns in sorted(vocabularies)]
    return out


def _slug(iri: str) -> str:
    """A readable, IRI-safe name for a term: its CURIE with ':' as '-' (or its IRI's last part)."""
    for prefix, ns in sorted(prefix_map().items(), key=lambda item: -len(item[1])):
        if iri.startswith(ns) and iri[len(ns) :]:
            return f"{prefix}-{iri[len(ns) :]}"
    return "".join(c if c.isalnum() else "-" for c in iri.split("//", 1)[-1])


def _linksets(triples: set[ox.Triple]) -> list[tuple]:
    """One void:Linkset per external dataset and SKOS mapping property, from our entities' mapping triples."""
    links: Counter = Counter()
    targets: dict[str, tuple[str, str]] = {}
    for t in sorted(triples, key=str):
        external = isinstance(t.object, ox.NamedNode) and not t.object.value.startswith(BASE)
        if t.predicate.value in MATCH_PREDICATES and external and t.subject.value.startswith(ID):
            key, title, space = target_of(t.object.value)
            targets.setdefault(key, (title, space))
            links[(key, t.predicate.value)] += 1
    out: list[tuple] = []
    for key, (title, space) in sorted(targets.items()):
        target = _n(f"{DATASET.value}/target/{key}")
        out += [(target, TYPE, _n(VOID + "Dataset")), (target, _n(DCT + "title"), ox.Literal(title))]
        out += [(target, _n(VOID + "uriSpace"), ox.Literal(space))]
    for (key, predicate), count in sorted(links.items()):
        linkset = _n(f"{DATASET.value}/linkset/{key}-{predicate.rsplit('#', 1)[-1]}")
        out += [(DATASET, _n(VOID + "subset"), linkset), (linkset, TYPE, _n(VOID + "Linkset"))]
        out += [(linkset, _n(VOID + "subjectsTarget"), DATASET)]
        out += [(linkset, _n(VOID + "objectsTarget"), _n(f"{DATASET.value}/target/{key}"))]
        out += [(linkset, _n(VOID + "linkPredicate"), _n(predicate)), (linkset, _n(VOID + "triples"), _int(count))]
    return out


def description(settings: Settings) -> Callable[[ox.Store], list[ox.Quad]]:
    """The build's description step: describe everything built so far, with the endpoint and dumps of the settings.

    It only reads the store (the build writes the store to disk meanwhile) and returns the quads to add.
    """

    def describe(store: ox.Store) -> list[ox.Quad]:
        return describe_store(store, endpoint=settings.sparql_endpoint, download_base=settings.download_base)

    return describe
