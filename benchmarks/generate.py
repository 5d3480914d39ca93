"""Deterministic generator of a synthetic drug graph with the shapes of ours, at a target triple count.

Writes a project folder that ``anakinra-kg build`` (and every peer engine) can load as it is::

    OUT/ontology/anakinra-kg.ttl     a copy of the project ontology
    OUT/ontology/shapes.ttl          a copy of the project's SHACL shapes
    OUT/data/shared.ttl              the synthetic article, its sections, diseases, agencies, places, ...
    OUT/data/drugs-0001.ttl ...      the drugs and their facts, about 1M triples per file
    OUT/manifest.json                seed, target, triples written, files (a cache key for reuse)

Every drug carries the same n-ary fact nodes as the article's graph (ak:TherapeuticUse with status,
jurisdiction, line of therapy and establishing event; ak:RegulatoryEvent with agency, jurisdiction and
date; ak:Study with ak:Finding; ak:AdverseReaction with decimal frequencies; ak:Contraindication;
ak:AttributedStatement for direct relations), each with an ak:Evidence (quote + section), plus
skos:exactMatch mappings. Output is streamed through pyoxigraph's Turtle serializer (constant memory).

Usage: ``.venv/bin/python benchmarks/generate.py --triples 1M --out benchmarks/data/1M [--seed 42]``
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from anakinra_kg.prefixes import ID, VOCAB, prefix_map

ROOT = Path(__file__).resolve().parent.parent
VERSION = 4  # bump when the output for a given (seed, target) changes
AK = VOCAB
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
EXT = "https://example.org/synthetic/"  # mapping targets: visibly synthetic, never real identifiers
PER_FILE = 1_000_000
TRIPLES_PER_DRUG = 120  # rough mean, used only to size the shared pools

PREFIXES = {**prefix_map(), "ext": EXT}

A = ox.NamedNode(RDF + "type")
LABEL = ox.NamedNode(RDFS + "label")
ALT = ox.NamedNode(SKOS + "altLabel")
EXACT = ox.NamedNode(SKOS + "exactMatch")
DECIMAL, GYEAR, GYEARMONTH = (ox.NamedNode(XSD + t) for t in ("decimal", "gYear", "gYearMonth"))
STATUSES = ("Approved", "OffLabel", "Commissioned", "EmergencyUse", "Investigational", "InUse")
ESTABLISHED = {"Approved", "Commissioned", "EmergencyUse"}
EVENT_CLASS = {
    "Approved": "MarketingApproval",
    "Commissioned": "CommissioningPolicy",
    "EmergencyUse": "EmergencyUseAuthorisation",
}
LINES = ("FirstLine", "SecondLine", "ThirdLine")
STUDY_KINDS = (
    "ClinicalTrial",
    "MultiCentreStudy",
    "MetaAnalysis",
    "Review",
    "CaseReport",
)  # no AnimalStudy: no organisms


def ak(name: str) -> ox.NamedNode:
    """Return the vocabulary term ``ak:name``."""
    return ox.NamedNode(AK + name)


def node(kind: str, local: str) -> ox.NamedNode:
    """Return the entity IRI ``kind:local`` under the project's id space."""
    return ox.NamedNode(f"{ID}{kind}/{local}")


def en(text: str) -> ox.Literal:
    """Return an English-tagged label."""
    return ox.Literal(text, language="en")


def parse_size(text: str) -> int:
    """Parse a triple count such as ``2k``, ``100k``, ``1M`` or ``10M``."""
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    return int(float(number) * scale)


@dataclass(frozen=True)
class Pools:
    """Sizes of the shared entity pools, derived from the target size so that every pooled entity is used."""

    places: int
    agencies: int
    health_bodies: int
    organisations: int
    diseases: int
    effects: int
    classes: int
    sections: int

    @classmethod
    def for_target(cls, target: int) -> Pools:
        """Pools that grow with the graph (so selective queries stay selective), small enough to be all used."""
        drugs = max(1, target // TRIPLES_PER_DRUG)
        return cls(
            places=max(2, min(24, drugs)),
            agencies=max(3, min(12, drugs // 3)),
            health_bodies=max(1, min(4, drugs // 10)),
            organisations=max(1, drugs // 25),
            diseases=max(20, drugs // 4),
            effects=max(10, drugs // 20),
            classes=max(3, min(200, drugs // 50)),
            sections=max(5, min(500, drugs // 100)),
        )


class Writer:
    """Yields triples for the shared pools and for each drug, with one Random for determinism."""

    def __init__(self, pools: Pools, seed: int) -> None:
        self.pools, self.rng = pools, random.Random(seed)
        self.evidence_count = 0
        self.picked: dict[str, int] = {}
        self.reactions = 0
        self.events: set[tuple] = set()  # (class, agency, place, date, condition) of every event written

    def evidence(self, about: str) -> Iterator[tuple]:
        """Yield a new evidence node (quote + section); its IRI is the last thing yielded, as a marker."""
        self.evidence_count += 1
        ev = node("evidence", f"synth-{self.evidence_count}")
        section = node("section", f"synth-{self.rng.randrange(self.pools.sections)}")
        yield ev, A, ak("Evidence")
        yield ev, ak("section"), section
        yield ev, ak("quote"), ox.Literal(f"Synthetic passage {self.evidence_count} stating {about}.")
        yield ev

    def with_evidence(self, about: str) -> tuple[list[tuple], ox.NamedNode]:
        """Return the triples of a new evidence node and its IRI."""
        items = list(self.evidence(about))
        return items[:-1], items[-1]

    def shared(self) -> Iterator[tuple]:
        """Yield the synthetic source article, sections, places, agencies, organisations, diseases, effects."""
        p = self.pools
        article = node("source", "synthetic-article")
        yield article, A, ak("SourceArticle")
        yield article, LABEL, en("Synthetic article (benchmark data)")
        yield article, ox.NamedNode(DCTERMS + "title"), ox.Literal("Synthetic article")
        yield article, ox.NamedNode(DCTERMS + "identifier"), ox.Literal("synthetic")
        for i in range(p.sections):
            section = node("section", f"synth-{i}")
            yield section, A, ak("ArticleSection")
            yield section, LABEL, en(f"Synthetic section {i}")
            yield section, ak("partOfArticle"), article
        entities = [("place", "Jurisdiction", p.places, "jurisdiction")]
        entities += [("organisation", "RegulatoryAgency", p.agencies, "agency")]
        entities += [("organisation", "HealthServiceBody", p.health_bodies, "health service body")]
        entities += [("organisation", "ResearchOrganisation", p.organisations, "research organisation")]
        entities += [
            ("disease", "Disease", p.diseases, "disease"),
            ("adverse-effect", "ClinicalFinding", p.effects, "effect"),
        ]
        entities += [("drug-class", "DrugClass", p.classes, "drug class")]
        for kind, cls, count, noun in entities:
            for i in range(count):
                subject = node(kind, f"synth-{cls.lower()}-{i}")
                ev_triples, ev = self.with_evidence(f"the {noun} {i}")
                yield from ev_triples
                yield subject, A, ak(cls)
                yield subject, LABEL, en(f"{noun} {i}")
                if kind in ("disease", "adverse-effect") and i % 2 == 0:
                    yield subject, ALT, en(f"{noun.upper()}-{i}")
                if kind == "disease" and i % 3 != 0:
                    yield subject, EXACT, ox.NamedNode(f"{EXT}MONDO_{i:07d}")
                if cls == "RegulatoryAgency":
                    yield subject, EXACT, ox.NamedNode(f"{EXT}ROR_{i:05d}")
                yield subject, ak("evidence"), ev

    def pick(self, kind: str, cls: str, count: int) -> ox.NamedNode:
        """Pick one entity of a pool: each in turn on the first round (so all are used), then at random."""
        done = self.picked[cls] = self.picked.get(cls, 0) + 1
        index = done - 1 if done <= count else self.rng.randrange(count)
        return node(kind, f"synth-{cls.lower()}-{index}")

    def date(self, start: int = 1995) -> ox.Literal:
        """Return a date at year or year-month precision, as the article gives them."""
        year = self.rng.randint(start, 2025)
        if self.rng.random() < 0.5:
            return ox.Literal(str(year), datatype=GYEAR)
        return ox.Literal(f"{year}-{self.rng.randint(1, 12):02d}", datatype=GYEARMONTH)

    def event_date(self, key: tuple) -> ox.Literal:
        """Return a date that no event with the same class, agency, place and condition has (no duplicate events).

        The date is drawn as usual; on a clash the next free one in a fixed order of all dates is taken,
        so the output stays deterministic and every regulatory event is unique by construction.
        """
        drawn = self.date()
        if (*key, drawn) not in self.events:
            self.events.add((*key, drawn))
            return drawn
        dates = [ox.Literal(str(y), datatype=GYEAR) for y in range(1995, 2026)]
        dates += [ox.Literal(f"{y}-{m:02d}", datatype=GYEARMONTH) for y in range(1995, 2026) for m in range(1, 13)]
        start = dates.index(drawn)
        for date in dates[start:] + dates[:start]:
            if (*key, date) not in self.events:
                self.events.add((*key, date))
                return date
        raise ValueError(f"more than {len(dates)} regulatory events share {key}")

    def decimal(self, low: float, high: float) -> ox.Literal:
        """Return a share of patients as an xsd:decimal with three digits."""
        return ox.Literal(f"{self.rng.uniform(low, high):.3f}", datatype=DECIMAL)

    def drug(self, d: int) -> Iterator[tuple]:
        """Yield every triple about drug number ``d`` and its facts."""
        rng, p = self.rng, self.pools
        drug = node("drug", f"synth-{d}")
        name = f"synthkinra-{d}"
        ev_triples, ev = self.with_evidence(f"what {name} is")
        yield from ev_triples
        drug_class = self.pick("drug-class", "DrugClass", p.classes)
        yield drug, A, ak("Drug")
        yield drug, LABEL, en(name)
        yield drug, ALT, en(f"Brand{d}")
        yield drug, ak("brandName"), ox.Literal(f"Brand{d}")
        yield drug, ak("drugClass"), drug_class
        yield drug, EXACT, ox.NamedNode(f"{EXT}DB{d:07d}")
        yield drug, ak("evidence"), ev
        for key, predicate, obj in (
            ("brand", "brandName", ox.Literal(f"Brand{d}")),
            ("class", "drugClass", drug_class),
        ):
            statement = node("statement", f"synth-{d}-{key}")
            yield statement, A, ak("AttributedStatement")
            yield statement, ox.NamedNode(RDF + "subject"), drug
            yield statement, ox.NamedNode(RDF + "predicate"), ak(predicate)
            yield statement, ox.NamedNode(RDF + "object"), obj
            yield statement, ak("evidence"), ev
        studies = [node("study", f"synth-{d}-{s}") for s in range(rng.randint(0, 2))]
        for s in range(len(studies)):
            yield from self.study(d, s)
        for u in range(rng.randint(2, 5)):
            status = rng.choice(STATUSES)
            if status == "Investigational" and not studies:
                studies.append(node("study", f"synth-{d}-0"))
                yield from self.study(d, 0)
            yield from self.use(d, u, drug, status, studies)
        for r in range(rng.randint(1, 5)):
            yield from self.reaction(d, r, drug)
        if rng.random() < 0.7:
            yield from self.contraindication(d, drug)

    def use(self, d: int, u: int, drug: ox.NamedNode, status: str, studies: list[ox.NamedNode]) -> Iterator[tuple]:
        """Yield a therapeutic use, with its establishing regulatory event where its status has one."""
        rng, p = self.rng, self.pools
        condition = self.pick("disease", "Disease", p.diseases)
        place = self.pick("place", "Jurisdiction", p.places)
        use = node("use", f"synth-{d}-{u}")
        ev_triples, ev = self.with_evidence(f"use {u} of drug {d}")
        yield from ev_triples
        yield use, A, ak("TherapeuticUse")
        yield use, LABEL, en(f"synthkinra-{d} use {u}")
        yield use, ak("drug"), drug
        yield use, ak("condition"), condition
        yield use, ak("useStatus"), ak(status)
        yield use, ak("jurisdiction"), place
        if rng.random() < 0.5:
            yield use, ak("lineOfTherapy"), ak(rng.choice(LINES))
        yield use, ak("evidence"), ev
        if status == "Investigational":
            yield use, ak("studiedIn"), rng.choice(studies)
        if status in ESTABLISHED:
            event = node("event", f"synth-{d}-{u}")
            yield use, ak("establishedBy"), event
            yield event, A, ak(EVENT_CLASS[status])
            yield event, LABEL, en(f"regulatory event for synthkinra-{d} use {u}")
            if status == "Commissioned":
                agency = self.pick("organisation", "HealthServiceBody", p.health_bodies)
                yield event, ak("policyTitle"), ox.Literal(f"Clinical Commissioning Policy: synthkinra-{d} ({u})")
            else:
                agency = self.pick("organisation", "RegulatoryAgency", p.agencies)
            yield event, ak("agency"), agency
            yield event, ak("jurisdiction"), place
            yield event, ak("date"), self.event_date((EVENT_CLASS[status], agency, place, condition))
            yield event, ak("condition"), condition
            yield event, ak("evidence"), ev

    def study(self, d: int, s: int) -> Iterator[tuple]:
        """Yield a study with one finding."""
        rng, p = self.rng, self.pools
        study, finding = node("study", f"synth-{d}-{s}"), node("finding", f"synth-{d}-{s}")
        condition = self.pick("disease", "Disease", p.diseases)
        ev_triples, ev = self.with_evidence(f"study {s} of drug {d}")
        yield from ev_triples
        yield study, A, ak("Study")
        yield study, LABEL, en(f"study {s} of synthkinra-{d}")
        yield study, ak("studyKind"), ak(rng.choice(STUDY_KINDS))
        yield study, ak("conductedBy"), self.pick("organisation", "ResearchOrganisation", p.organisations)
        yield study, ak("date"), self.date(2005)
        yield study, ak("condition"), condition
        if rng.random() < 0.5:
            yield (
                study,
                ak("numberOfCases"),
                ox.Literal(str(rng.randint(1, 2000)), datatype=ox.NamedNode(XSD + "integer")),
            )
        yield study, ak("hasFinding"), finding
        yield study, ak("evidence"), ev
        yield finding, A, ak("Finding")
        yield finding, LABEL, en(f"finding of study {s} of synthkinra-{d}")
        yield finding, ak("condition"), condition
        yield finding, ak("conclusion"), ox.Literal(f"Synthkinra-{d} changed the course of disease in study {s}.")
        yield finding, ak("evidence"), ev

    def reaction(self, d: int, r: int, drug: ox.NamedNode) -> Iterator[tuple]:
        """Yield an adverse reaction with a frequency, a lower bound or an excess over placebo."""
        rng = self.rng
        reaction = node("adverse-reaction", f"synth-{d}-{r}")
        ev_triples, ev = self.with_evidence(f"adverse reaction {r} of drug {d}")
        yield from ev_triples
        yield reaction, A, ak("AdverseReaction")
        yield reaction, LABEL, en(f"adverse reaction {r} of synthkinra-{d}")
        yield reaction, ak("adverseReactionOf"), drug
        yield reaction, ak("effect"), self.pick("adverse-effect", "ClinicalFinding", self.pools.effects)
        self.reactions += 1
        kind = rng.random() if self.reactions > 1 else 0.9  # the first one refers to the placebo comparator
        if kind < 0.4:
            yield reaction, ak("frequency"), self.decimal(0.001, 0.3)
        elif kind < 0.7:
            yield reaction, ak("frequencyLowerBound"), self.decimal(0.01, 0.2)
        else:
            yield reaction, ak("excessOverComparator"), self.decimal(0.001, 0.1)
            yield reaction, ak("comparator"), node("comparator", "placebo")
        yield reaction, ak("evidence"), ev

    def contraindication(self, d: int, drug: ox.NamedNode) -> Iterator[tuple]:
        """Yield a contraindication in a condition."""
        item = node("contraindication", f"synth-{d}")
        ev_triples, ev = self.with_evidence(f"a contraindication of drug {d}")
        yield from ev_triples
        yield item, A, ak("Contraindication")
        yield item, LABEL, en(f"synthkinra-{d} contraindication")
        yield item, ak("contraindicationOf"), drug
        yield item, ak("contraindicatedCondition"), self.pick("disease", "Disease", self.pools.diseases)
        yield item, ak("evidence"), ev

    def placebo(self) -> Iterator[tuple]:
        """Yield the one comparator the reactions refer to."""
        placebo = node("comparator", "placebo")
        ev_triples, ev = self.with_evidence("the placebo comparator")
        yield from ev_triples
        yield placebo, A, ak("Comparator")
        yield placebo, LABEL, en("placebo")
        yield placebo, ak("evidence"), ev


def generate(out: Path, target: int, seed: int = 42, *, force: bool = False) -> dict:
    """Write the synthetic project folder for ``target`` triples (reused when its manifest matches)."""
    manifest_path = out / "manifest.json"
    key = {"version": VERSION, "seed": seed, "target": target}
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text())
        if {k: manifest.get(k) for k in key} == key:
            return manifest
    shutil.rmtree(out, ignore_errors=True)
    (out / "ontology").mkdir(parents=True)
    (out / "data").mkdir()
    for name in ("anakinra-kg.ttl", "shapes.ttl"):  # the shapes too, so that `anakinra-kg validate` runs on it
        shutil.copy(ROOT / "ontology" / name, out / "ontology" / name)
    started = time.perf_counter()
    writer = Writer(Pools.for_target(target), seed)
    counter = [0]

    def triples(items: Iterator[tuple], limit: int | None) -> Iterator[ox.Triple]:
        for s, p, o in items:
            counter[0] += 1
            yield ox.Triple(s, p, o)
            if limit is not None and counter[0] >= limit:
                return

    shared = [ox.Triple(*t) for t in (*writer.shared(), *writer.placebo())]
    ox.serialize(shared, output=out / "data" / "shared.ttl", format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    counter[0] = len(shared)
    files, drug = ["data/shared.ttl"], 0
    while counter[0] < target:
        name = f"data/drugs-{len(files):04d}.ttl"
        file_end = counter[0] + PER_FILE

        def drugs(end: int = file_end) -> Iterator[tuple]:
            nonlocal drug
            while counter[0] < min(end, target):
                yield from writer.drug(drug)
                drug += 1

        ox.serialize(triples(drugs(), None), output=out / name, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        files.append(name)
    manifest = {
        **key,
        "data_triples": counter[0],
        "drugs": drug,
        "files": ["ontology/anakinra-kg.ttl", *files],
        "seconds": round(time.perf_counter() - started, 2),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line: generate one graph and print its manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", default="100k", help="target number of data triples: 2k, 100k, 1M, 10M")
    parser.add_argument("--out", type=Path, help="output folder (default benchmarks/data/SIZE)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--force", action="store_true", help="regenerate even if the manifest matches")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "benchmarks" / "data" / args.triples
    json.dump(generate(out, parse_size(args.triples), args.seed, force=args.force), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
