"""The result cache over real HTTP: strong ETags, If-None-Match -> 304, no stale answer after a new build,
the cache-off setting, and answers that must never be cached; plus the LRU's byte bound."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from anakinra_kg import build
from anakinra_kg.server.cache import Entry, Key, ResultCache

from .conftest import ROOT
from .endpoint_server import running_server

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
MARK = "ASK { drug:anakinra ak:cacheTest 1 }"
CONDITIONS = "SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:condition ?d } ORDER BY ?d"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's sources with its own store (this module rebuilds it)."""
    folder = tmp_path_factory.mktemp("cache")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, folder / name)
    build.build(folder / "ontology", folder / "data", folder / "store")
    return folder


@pytest.fixture(scope="module")
def url(project: Path) -> Iterator[str]:
    """A server with the result cache on (the default), one process so every repeat meets the same cache."""
    with running_server(project / "store", project / "server.log", "--workers", "1") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def uncached_url(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with ANAKINRA_KG_RESULT_CACHE=0."""
    log = tmp_path_factory.mktemp("nocache") / "server.log"
    env = {"ANAKINRA_KG_RESULT_CACHE": "0"}
    with running_server(store_link, log, "--workers", "1", env=env) as endpoint:
        yield endpoint


def get(url: str, text: str, accept: str = JSON, **headers: str) -> requests.Response:
    """GET /sparql?query=... with an Accept header and any other headers."""
    return requests.get(url, params={"query": text}, headers={"Accept": accept, **headers}, timeout=30)


def test_repeat_is_a_hit_with_the_same_strong_etag(url: str) -> None:
    """A successful answer carries a strong ETag; the same query again comes from the cache, byte for byte."""
    first, again = get(url, CONDITIONS + " LIMIT 50"), get(url, "  " + CONDITIONS + " LIMIT 50\n")
    assert first.status_code == again.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert again.headers["ETag"] == etag and again.content == first.content
    assert first.headers["Cache-Control"] == "no-cache" and "Accept" in first.headers["Vary"]


def test_if_none_match_gets_304_without_body(url: str) -> None:
    """If-None-Match naming the current ETag (or *) gets 304 with the ETag and no body; another tag gets 200."""
    etag = get(url, CONDITIONS).headers["ETag"]
    for condition in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        response = get(url, CONDITIONS, **{"If-None-Match": condition})
        assert response.status_code == 304, condition
        assert response.content == b"" and response.headers["ETag"] == etag
    changed = get(url, CONDITIONS, **{"If-None-Match": '"not-this-one"'})
    assert changed.status_code == 200 and changed.json()["results"]["bindings"]


def test_formats_are_kept_apart(url: str) -> None:
    """The same query in JSON and in XML: two entries, two ETags, each body in its own format."""
    as_json, as_xml = get(url, CONDITIONS, JSON), get(url, CONDITIONS, XML)
    again_json, again_xml = get(url, CONDITIONS, JSON), get(url, CONDITIONS, XML)
    assert as_json.headers["ETag"] != as_xml.headers["ETag"]
    assert again_json.content == as_json.content and again_json.headers["Content-Type"] == JSON
    assert again_xml.content == as_xml.content and again_xml.headers["Content-Type"].startswith(XML)
    assert again_xml.headers["X-Cache"] == "hit"


def test_volatile_queries_and_errors_are_not_cached(url: str) -> None:
    """NOW()/RAND() answers are computed every time; a client error is never cached (and has no ETag)."""
    for text in ("SELECT (NOW() AS ?t) WHERE {}", "SELECT (RAND() AS ?r) WHERE {}"):
        get(url, text)
        assert get(url, text).headers["X-Cache"] == "miss"
    for _ in range(2):
        wrong = get(url, "SELECT ?x WHERE { ?x")
        assert wrong.status_code == 400 and "ETag" not in wrong.headers and "X-Cache" not in wrong.headers


def test_new_build_is_never_answered_from_the_cache(url: str, project: Path) -> None:
    """Cached answer, then a rebuild that changes it: the same query gets the new answer and a new ETag."""
    before = get(url, MARK)
    assert before.json()["boolean"] is False and get(url, MARK).headers["X-Cache"] == "hit"
    extra = project / "data" / "zz-cache-test.ttl"
    extra.write_text(
        "@prefix ak: <https://w3id.org/anakinra-kg/vocab/> .\n"
        "<https://w3id.org/anakinra-kg/id/drug/anakinra> ak:cacheTest 1 .\n",
        encoding="utf-8",
    )
    try:
        build.build(project / "ontology", project / "data", project / "store")
    finally:
        extra.unlink()
    after = get(url, MARK, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json()["boolean"] is True
    assert after.headers["X-Cache"] == "miss" and after.headers["ETag"] != before.headers["ETag"]


def test_cache_off(uncached_url: str) -> None:
    """With ANAKINRA_KG_RESULT_CACHE=0 nothing is cached, yet ETags and 304 still work (computed each time)."""
    first, again = get(uncached_url, CONDITIONS), get(uncached_url, CONDITIONS)
    assert "X-Cache" not in first.headers and "X-Cache" not in again.headers
    assert first.headers["ETag"] == again.headers["ETag"] and first.content == again.content
    revalidated = get(uncached_url, CONDITIONS, **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""


def _key(text: str, version: str = "build-1") -> Key:
    """A cache key for a query on one build."""
    return Key(text, None, None, ("json", "turtle"), version)


def test_lru_is_bounded_in_bytes() -> None:
    """Entries past the byte bound evict the least recently used; an oversized answer is not kept."""
    cache = ResultCache(max_bytes=8 * 1000)
    for n in range(20):
        cache.put(_key(f"q{n}"), Entry(b"x" * 900, "text/plain", f'"{n}"'))
        cache.get(_key("q0"))  # keep q0 recently used
    assert cache.size <= 8 * 1000
    assert cache.get(_key("q0")) is not None and cache.get(_key("q1")) is None and cache.get(_key("q19")) is not None
    cache.put(_key("big"), Entry(b"x" * 1001, "text/plain", '"big"'))
    assert cache.get(_key("big")) is None
    assert cache.get(_key("q19", "build-2")) is None  # another build never meets this entry
