"""Typed settings of anakinra-kg, read from the environment (ANAKINRA_KG_*) and CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SHACL_ENGINES = ("sparql", "pyshacl")  # SHACL compiled to SPARQL on the store (default); pyshacl, the reference


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

    host: str = Field(default="127.0.0.1", description="address the endpoint binds to (loopback only by default)")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port of the endpoint")
    workers: int = Field(default=2, ge=1, description="server processes (granian workers)")
    threads: int = Field(default=4, ge=1, description="request threads per server process, each with a query thread")
    memory_copy_bytes: int = Field(
        default=64 * 2**20,  # the build's compacted store of the 100k synthetic graph (170k quads) takes 55 MB
        ge=0,
        description="serve a store whose folder is at most this size from an in-memory copy (faster; 0: never)",
    )
    query_timeout: float = Field(default=30.0, gt=0, description="seconds a query may run before it is stopped")
    fast_query_seconds: float = Field(
        default=0.5,
        ge=0,
        description="a query that ran in under this (and under a tenth of query_timeout) on a query thread runs on "
        "the request thread next time, saving the hand-over (0: never)",
    )
    result_cache: bool = Field(default=True, description="keep successful answers in memory, per build (LRU)")
    result_cache_bytes: int = Field(default=64 * 2**20, ge=0, description="memory bound of the result cache, bytes")
    max_result_rows: int = Field(default=100_000, ge=1, description="most solutions or triples in one answer")
    max_request_bytes: int = Field(default=1_000_000, ge=1024, description="largest request body accepted")
    service_allow_list: list[str] = Field(
        default_factory=list, description="hosts SERVICE may call (federation); empty: no federation"
    )
    access_log: bool = Field(
        default=False,
        description="log every request on standard output (off, as in Oxigraph server: it costs a light query about "
        "a fifth of its throughput; errors and warnings are logged either way)",
    )
    cors_origins: str = Field(default="*", description="origins allowed to query from browsers (CORS)")
    public_url: str | None = Field(default=None, description="the endpoint's public URL, if behind a proxy")
    resource_base: str = Field(
        default="https://w3id.org/anakinra-kg/",
        description="IRI namespace the server's paths stand for: GET /id/x/y is the resource <resource_base>id/x/y",
    )

    backend: Literal["embedded", "remote"] = Field(
        default="embedded", description="the store queries run on: the embedded pyoxigraph store or a remote service"
    )
    remote_query_url: str | None = Field(
        default=None, description="remote SPARQL 1.1 query endpoint (read-only, no credentials sent)"
    )
    remote_update_url: str | None = Field(default=None, description="remote SPARQL 1.1 Update endpoint (for load)")
    remote_gsp_url: str | None = Field(
        default=None, description="remote Graph Store Protocol endpoint (for load; preferred over update when set)"
    )
    remote_auth: Literal["basic", "digest"] = Field(
        default="basic",
        description="HTTP authentication of load with ANAKINRA_KG_REMOTE_USER/_PASSWORD (Virtuoso: digest)",
    )
    load_batch_size: int = Field(default=2000, ge=1, description="triples per request when loading a remote store")

    @field_validator("remote_query_url", "remote_update_url", "remote_gsp_url")
    @classmethod
    def _no_credentials_in_url(cls, url: str | None) -> str | None:
        """Remote URLs are http(s) and never carry user:password (credentials come from the environment only)."""
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("a remote endpoint must be an http:// or https:// URL")
        if parts.username or parts.password:
            raise ValueError("no credentials in a URL: set ANAKINRA_KG_REMOTE_USER and ANAKINRA_KG_REMOTE_PASSWORD")
        return url

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
