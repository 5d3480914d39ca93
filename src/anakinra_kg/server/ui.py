"""The home page (what the graph holds) and the query UI (YASGUI with the example queries preloaded)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState

from ..prefixes import STANDARD
from . import lookup
from .errors import plain
from .render import Renderer, Value, literal

bp = Blueprint("ui", __name__)

HTML = "text/html; charset=utf-8"
DCTERMS, VOID, OWL = STANDARD["dcterms"], STANDARD["void"], STANDARD["owl"]
EXAMPLES = "anakinra_kg.examples"
_home_lock = threading.Lock()


@dataclass(frozen=True)
class Example:
    """An example query file: its name (the file's stem), its competency question and its text."""

    name: str
    question: str
    query: str


@dataclass
class Home:
    """What the home page says about the dataset."""

    description: str | None = None
    version: str | None = None
    license: Value | None = None
    triples: int | None = None
    entities: int | None = None
    built: str | None = None
    software: str | None = None
    classes: list[tuple[Value, int]] = field(default_factory=list)
    dumps: list[Value] = field(default_factory=list)
    subject: Value | None = None


def load_examples(folder: Path) -> list[Example]:
    """Read every .rq file of ``folder``, with the question of its ``# Question:`` header (continued lines too)."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        examples.append(Example(path.stem, question(text), text))
    return examples


def question(text: str) -> str:
    """The competency question of a query: its ``# Question:`` comment and the indented comment lines after it."""
    lines: list[str] = []
    for line in text.splitlines():
        if not lines:
            match = re.match(r"#\s*Question:\s*(.*)", line)
            if match:
                lines.append(match[1].strip())
        elif re.match(r"#\s{2,}\S", line):
            lines.append(line.lstrip("#").strip())
        else:
            break
    return " ".join(lines)


@bp.record_once
def _read_examples(state: BlueprintSetupState) -> None:
    """Read the example queries once, when the blueprint is registered (at application start)."""
    state.app.extensions[EXAMPLES] = load_examples(state.app.config["SETTINGS"].queries_dir)


@bp.route("/query")
def query_ui() -> Response:
    """The query editor, with a tab per example query."""
    examples = current_app.extensions[EXAMPLES]
    body = render_template("query.html", examples=[e.__dict__ for e in examples])
    return Response(body, content_type=HTML)


@bp.route("/")
def home() -> Response:
    """The home page: what the graph holds, when it was built, and where to go from here."""
    try:
        about = _home()
    except lookup.PageQueryError as error:
        return plain(error.status, error.message)
    examples = current_app.extensions[EXAMPLES]
    body = render_template("home.html", home=about, examples=_one_per_topic(examples), example_count=len(examples))
    return Response(body, content_type=HTML)


def _home() -> Home:
    """The home page's content, computed once per build of the store."""
    cache: dict[str, Home] = current_app.extensions.setdefault("anakinra_kg.home", {})
    key = f"{lookup.store_path()}|{request.script_root}"
    with _home_lock:
        if key not in cache:
            cache.clear()
            cache[key] = _gather()
        return cache[key]


def _one_per_topic(examples: list[Example]) -> list[Example]:
    """The first example of each topic (the file name's first word: uses, safety, regulatory, ...)."""
    topics: dict[str, Example] = {}
    for example in examples:
        topics.setdefault(example.name.split("-", 1)[0], example)
    return list(topics.values())


def _gather() -> Home:
    """Ask the metadata and provenance graphs what the home page shows."""
    settings = current_app.config["SETTINGS"]
    classes = lookup.select("home-classes")
    labels = {row["class"].value: row["label"].value for row in classes if "label" in row}
    view = Renderer(settings.resource_base, request.script_root, labels)
    about = Home(classes=[(view.iri(row["class"].value), int(row["entities"].value)) for row in classes])
    for row in lookup.select("home-dataset"):
        predicate, value = row["p"].value, row["o"]
        if predicate == DCTERMS + "description":
            about.description = value.value
        elif predicate == OWL + "versionInfo":
            about.version = value.value
        elif predicate == DCTERMS + "license":
            about.license = Value(_license_name(value.value), value.value, value.value, external=True)
        elif predicate == VOID + "triples":
            about.triples = int(value.value)
        elif predicate == VOID + "entities":
            about.entities = int(value.value)
        elif predicate == VOID + "dataDump":
            about.dumps.append(_dump(value.value, settings.download_base))
    about.dumps.sort(key=lambda dump: dump.text)
    for row in lookup.select("home-build"):
        about.built = literal(row["ended"]).text
        about.software = row["version"].value if "version" in row else None
    for row in lookup.select("home-subject"):
        about.subject = Value(row["label"].value, view.href(row["drug"].value), row["drug"].value)
    return about


def _dump(url: str, download_base: str) -> Value:
    """A dump's link: on this server when it is under the configured download base, else the URL as given."""
    name = url.rsplit("/", 1)[-1]
    href = f"{request.script_root}/download/{url[len(download_base) :]}" if url.startswith(download_base) else url
    return Value(name, href, url)


def _license_name(iri: str) -> str:
    """A short name for the license IRIs the metadata uses."""
    match = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", iri)
    return f"CC {match[1].upper()} {match[2]}" if match else iri
