"""The read-only queries behind the pages: .rq files in server/queries/, run by the endpoint's worker pool.

A page query names its inputs as variables (``?this``, ``?node``); the caller binds them with a VALUES
clause appended to the query, so IRIs never get spliced into query text by hand. Queries go through the
same worker processes, store and time limit as /sparql, so a slow page cannot hold the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from flask import current_app

from .. import backends, formats
from . import sparql
from .executor import BusyError, QueryTimeoutError
from .worker import Outcome, QueryJob

QUERIES = Path(__file__).with_name("queries")
JSON = formats.by_name("json", formats.RESULTS_FORMATS)
Solution = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]


class PageQueryError(Exception):
    """A page query could not be answered; ``status`` and ``message`` say why, for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@cache
def text(name: str) -> str:
    """The text of the page query ``name`` (a file ``server/queries/<name>.rq``)."""
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def bound(name: str, bindings: Mapping[str, Iterable[str]]) -> str:
    """The query ``name`` with each variable of ``bindings`` bound to the given IRIs by VALUES at the start of its
    WHERE group (every page query binds them in required patterns, so this equals a trailing VALUES clause, which
    Virtuoso refuses in a CONSTRUCT)."""
    clauses = []
    for variable, iris in bindings.items():
        values = " ".join(str(ox.NamedNode(iri)) for iri in iris)  # NamedNode refuses anything not an IRI
        clauses.append(f"VALUES ?{variable} {{ {values} }}")
    where = re.search(r"WHERE\s*\{", text(name))
    if where is None:
        raise ValueError(f"page query {name} has no WHERE group")
    query = text(name)
    return query[: where.end()] + "\n  " + "\n  ".join(clauses) + query[where.end() :]


def select(name: str, **bindings: Iterable[str]) -> list[Solution]:
    """Run the SELECT query ``name`` with its variables bound to IRIs; return its solutions as RDF terms."""
    given = {variable: list(iris) for variable, iris in bindings.items()}
    if any(not iris for iris in given.values()):
        return []
    outcome = _run(bound(name, given), (JSON.name,))
    results = ox.parse_query_results(outcome.body, format=JSON.oxigraph)
    names = [variable.value for variable in results.variables]
    return [{key: solution[key] for key in names if solution[key] is not None} for solution in results]


def construct(name: str, fmt: formats.Format, **bindings: Iterable[str]) -> Outcome:
    """Run the CONSTRUCT query ``name`` with its variables bound and return it serialized as ``fmt``."""
    return _run(bound(name, {variable: list(iris) for variable, iris in bindings.items()}), (fmt.name,))


def store_path() -> str | None:
    """Where pages query: the current build's folder or the remote query URL, as for /sparql (backends.location)."""
    return backends.location(current_app.config["SETTINGS"])


def _run(query: str, format_names: tuple[str, ...]) -> Outcome:
    """Run a query on a worker within the time limit; anything but a 200 becomes a PageQueryError."""
    path = store_path()
    if path is None:
        raise PageQueryError(503, "no store has been built yet: run `anakinra-kg build`")
    settings = current_app.config["SETTINGS"]
    job = QueryJob(text=query, store_path=path, format_names=format_names, max_rows=settings.max_result_rows)
    try:
        outcome = sparql.execute(job)
    except QueryTimeoutError:
        raise PageQueryError(503, f"the page's query ran past the time limit of {settings.query_timeout:g} s") from None
    except BusyError:
        raise PageQueryError(503, "all query workers are busy; try again shortly") from None
    if outcome.status != 200:
        raise PageQueryError(outcome.status, outcome.body.decode("utf-8", "replace").strip())
    return outcome
