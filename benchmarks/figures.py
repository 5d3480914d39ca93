"""The figures' shared helpers: formatting, the geometric mean, and finding an engine's result in a dataset."""

from __future__ import annotations

import math


def ms(seconds: float | None) -> str:
    """Format seconds as milliseconds."""
    return "" if seconds is None else f"{seconds * 1000:.2f}"


def geomean(values: list[float]) -> float | None:
    """Geometric mean of positive values (None if none)."""
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def ratio_text(value: float | None) -> str:
    """Format a ratio."""
    return "" if value is None else f"{value:.2f}"


def status(engine: dict) -> str | None:
    """Why an engine has no figures (skipped or failed), or None."""
    if "skipped" in engine:
        return f"skipped: {engine['skipped']}"
    if "error" in engine:
        return f"failed: {engine['error'].splitlines()[0][:200]}"
    return None


def find(data: dict, prefix: str) -> dict | None:
    """The engine of a dataset whose name starts with ``prefix`` and that has figures."""
    return next((e for e in data["engines"] if e["engine"].startswith(prefix) and not status(e)), None)
