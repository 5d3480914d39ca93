"""External CURIE prefixes taken from Bioregistry, kept as a small committed file so loading stays fast.

The rule for each prefix's IRI namespace is Bioregistry's own, with the priority ``PRIORITY``: the
OBO Foundry PURL (``http://purl.obolibrary.org/obo/MONDO_``) for OBO ontologies, else Bioregistry's
canonical (default) URI format for the resource. ``python -m anakinra_kg.registry`` regenerates the file;
a test checks that regenerating gives the committed file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TypedDict

PRIORITY = ("obofoundry", "default")
PATH = Path(__file__).with_name("external-prefixes.json")

# Bioregistry prefixes (normalised, lower case) of the resources our mappings and imports use.
EXTERNAL = (
    "atc",
    "bioregistry",
    "cas",
    "chebi",
    "chembl.compound",
    "doid",
    "drugbank",
    "drugcentral",
    "geonames",
    "hgnc",
    "hp",
    "icd10cm",
    "issn",
    "meddra",
    "mesh",
    "mondo",
    "ncbigene",
    "ncbitaxon",
    "ncit",
    "nlm",
    "omim",
    "orpha",
    "pubchem.compound",
    "ror",
    "rxnorm",
    "semapv",
    "sssom",
    "uniprot",
    "unii",
    "wikidata",
)


class Record(TypedDict):
    """What the project keeps of one Bioregistry record."""

    name: str
    uri_prefix: str
    pattern: str


def generate() -> dict[str, Record]:
    """Read the records of ``EXTERNAL`` from Bioregistry (slow: loads the whole registry)."""
    import bioregistry

    records: dict[str, Record] = {}
    for prefix in EXTERNAL:
        resource = bioregistry.get_resource(prefix)
        if resource is None:
            raise KeyError(f"{prefix!r} is not a Bioregistry prefix")
        uri_prefix = resource.get_uri_prefix(priority=list(PRIORITY))
        pattern = resource.get_pattern()
        if uri_prefix is None or pattern is None:
            raise ValueError(f"Bioregistry has no URI prefix or pattern for {prefix!r}")
        records[prefix] = Record(name=resource.get_name() or prefix, uri_prefix=uri_prefix, pattern=pattern)
    return records


def write(path: Path = PATH) -> None:
    """Regenerate the committed prefix file from the installed Bioregistry."""
    document = {
        "generated_by": "python -m anakinra_kg.registry",
        "bioregistry_version": version("bioregistry"),
        "uri_prefix_priority": list(PRIORITY),
        "prefixes": generate(),
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


@cache
def records() -> dict[str, Record]:
    """Return the committed external prefix records (fast: no Bioregistry import)."""
    return json.loads(PATH.read_text(encoding="utf-8"))["prefixes"]


if __name__ == "__main__":
    write()
    print(f"wrote {len(records())} prefixes to {PATH}")
