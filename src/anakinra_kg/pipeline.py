"""The standard build: ontology + data + mappings -> inferred (SPARQL rules) -> metadata, gated by SHACL and HermiT."""

from __future__ import annotations

from . import build, metadata, reason, rules, sources, validate
from .settings import Settings


def run(settings: Settings, *, checked: bool = True, progress: build.Progress | None = None) -> build.BuildReport:
    """Build the store as every user of the project gets it (the CLI, the tests and the benchmark alike).

    With ``checked`` the SHACL shapes and the HermiT consistency check gate the swap.
    """
    checks: list[build.Check] = []
    if checked:
        found = sources.discover(settings.ontology_dir, settings.data_dir)
        checks = [validate.gate(found, settings.ontology_dir), reason.gate]
    return build.build(
        settings.ontology_dir,
        settings.data_dir,
        settings.store_path,
        progress=progress,
        checks=checks,
        derive=[rules.infer],
        describe=metadata.description(settings),
    )
