"""Typed settings of anakinra-kg, read from the environment (ANAKINRA_KG_*) and CLI flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the sources and the store are, and how the endpoint behaves."""

    model_config = SettingsConfigDict(env_prefix="ANAKINRA_KG_", extra="ignore")

    project_dir: Path = Field(default_factory=Path.cwd, description="folder holding ontology/ and data/")
    store_dir: Path | None = Field(default=None, description="store folder; default <project_dir>/var/store")
    sparql_endpoint: str = Field(
        default="http://127.0.0.1:8000/sparql", description="public IRI of the SPARQL endpoint (dataset metadata)"
    )
    download_base: str = Field(
        default="http://127.0.0.1:8000/download/", description="public URL of the folder the dump files are served from"
    )

    @property
    def ontology_dir(self) -> Path:
        """Folder of the OWL ontology (Turtle)."""
        return self.project_dir / "ontology"

    @property
    def data_dir(self) -> Path:
        """Folder of the curated data (Turtle)."""
        return self.project_dir / "data"

    @property
    def queries_dir(self) -> Path:
        """Folder of the example queries (.rq)."""
        return self.project_dir / "queries"

    @property
    def store_path(self) -> Path:
        """The store's stable path: a symbolic link to the current build."""
        return self.store_dir if self.store_dir is not None else self.project_dir / "var" / "store"
