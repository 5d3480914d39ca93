"""Shared fixtures: the repository paths, a store built from ontology/ and data/, and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from anakinra_kg import pipeline, query, store
from anakinra_kg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_f3af062bdaf38c12.txt"


@pytest.fixture(scope="session")
def store_link(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the real ontology + data (with the dataset metadata, as the CLI does) once and return its link."""
    link = tmp_path_factory.mktemp("store") / "store"
    pipeline.run(Settings(project_dir=ROOT, store_dir=link))
    return link


@pytest.fixture(scope="session")
def db(store_link: Path) -> ox.Store:
    """The built store, opened read-only."""
    return store.open_read_only(store_link)


@pytest.fixture(scope="session")
def select(db: ox.Store):
    """Run a SELECT on the built store and return rows as tuples of display strings."""

    def run(sparql: str) -> list[tuple[str, ...]]:
        _, body = query.rows(query.run(db, sparql))
        return [tuple(row) for row in body]

    return run


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's ontology/ and data/ that a test may break."""
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``anakinra-kg`` command as a user would."""
    exe = Path(sys.executable).with_name("anakinra-kg")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def expected(fixture: Path) -> str:
    """The text a fixture's ``# expect:`` line says the report or error must hold."""
    line = next(t for t in fixture.read_text(encoding="utf-8").splitlines() if t.startswith("# expect:"))
    return line.removeprefix("# expect:").strip()
