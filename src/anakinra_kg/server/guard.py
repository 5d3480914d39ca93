"""What a client may not make the server do: write (SPARQL Update, LOAD) or call other hosts (SERVICE).

A query rdflib cannot parse that still mentions SERVICE is refused, since its endpoints cannot be checked
(see inspection.py, which finds SERVICE endpoints and FROM clauses).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..inspection import Inspection, inspect, rdflib_sparql, warm_up

__all__ = ["Inspection", "RefusedError", "check_services", "inspect", "refuse_update", "update_operations", "warm_up"]


class RefusedError(Exception):
    """A request the endpoint will not carry out; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_services(found: Inspection, allowed_hosts: list[str]) -> None:
    """Refuse SERVICE calls to any endpoint whose host is not on the allow-list."""
    allowed = {host.lower() for host in allowed_hosts}
    for endpoint in found.services:
        parts = urlsplit(endpoint) if endpoint else None
        if parts and parts.scheme in ("http", "https") and (parts.hostname or "") in allowed:
            continue
        what = f"SERVICE <{endpoint}>" if endpoint else "a SERVICE whose endpoint cannot be checked"
        hosts = ", ".join(sorted(allowed)) or "none"
        raise RefusedError(
            403,
            f"{what} is refused: federated queries may only call hosts on the allow-list "
            f"(setting service_allow_list / ANAKINRA_KG_SERVICE_ALLOW_LIST; allowed now: {hosts})",
        )


def update_operations(text: str) -> list[str]:
    """Return the operations (e.g. Load, InsertData) if the text parses as a SPARQL Update, else []."""
    rdflib = rdflib_sparql()
    try:
        update = rdflib.parser.parseUpdate(text)
    except (rdflib.ParseBaseException, ValueError, TypeError, RecursionError):
        return []
    requests = update["request"] if "request" in update else []  # noqa: SIM401 (CompValue.get has no default)
    return [request.name for request in requests]


def refuse_update(operations: list[str]) -> RefusedError:
    """The refusal of a SPARQL Update: this endpoint is read-only."""
    names = ", ".join(dict.fromkeys(op.upper() for op in operations)) or "update"
    return RefusedError(403, f"this endpoint is read-only: SPARQL Update ({names}) is not accepted; send a query")
