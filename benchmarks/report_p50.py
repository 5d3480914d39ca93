"""The report's part on latency at one client: `ASK {}` per server, and the p50 target taken apart."""

from __future__ import annotations

from .figures import find, ms, ratio_text

TARGET = 1.5  # issue 9: our p50 at most 1.5 x (pyoxigraph in-process p50 + Oxigraph server's round trip)
OURS = "anakinra-kg serve (cache off)"
LEAST = "granian + pyoxigraph"  # floor.sparql_app: the least Python endpoint, timed on the catalogue too


def allowance(pyoxigraph_p50: float, round_trip: float) -> float:
    """The p50 the target allows a query: TARGET x (its pyoxigraph in-process p50 + Oxigraph server's round trip)."""
    return TARGET * (pyoxigraph_p50 + round_trip)


def floor_table(run: dict) -> list[str]:
    """The round trip of `ASK {}` per server on the article's graph, with the floors of granian and Flask."""
    data = next((d for d in run["datasets"] if d["dataset"] == "article" and d.get("floors")), None)
    if data is None:
        return []
    servers = [e for e in data["floors"] + data["engines"] if e.get("round_trip_p50")]
    base = next((e["round_trip_p50"] for e in servers if e["engine"] == run["baseline"]), None)
    lines = ["## `ASK {}` on the article's graph, 1 client: a round trip over HTTP (keep-alive) or a call in-process"]
    lines += [""]
    lines += ["| server | p50 ms | ratio to Oxigraph server | server CPU µs / request |", "|---|---:|---:|---:|"]
    for engine in servers:
        ratio = engine["round_trip_p50"] / base if base else None
        cpu = engine.get("round_trip_cpu")
        cpu_text = f"{cpu * 1e6:,.0f}" if cpu is not None else ""
        lines.append(f"| {engine['engine']} | {ms(engine['round_trip_p50'])} | {ratio_text(ratio)} | {cpu_text} |")
    lines += ["", "Server CPU: user + system time of the server's processes over the round trips, per request."]
    floor = find(data, "pyoxigraph")
    timed = {n: q["p50"] for n, q in (floor or {}).get("queries", {}).items() if "p50" in q}
    if base and timed:
        lightest = min(timed, key=timed.get)
        allowed = allowance(timed[lightest], base)
        lines += ["", f"The p50 target allows the lightest catalogue query (`{lightest}`) {ms(allowed)} ms:"]
        lines += [f"{TARGET} x (pyoxigraph in-process p50 + Oxigraph server's round trip)."]
    return lines + _target_parts(data, run["baseline"]) + [""]


def views(data: dict) -> list[tuple[str, dict]]:
    """The p50 target's figures of a dataset: (how they were timed, a view with "engines"), interleaved first."""
    found = []
    mixed = data.get("interleaved") or {}
    if mixed.get("engines"):
        found.append((f"engines interleaved, {mixed['rounds']} rounds", mixed))
    found.append(("engines one after another", data))
    return found


def ratios_to_target(view: dict, baseline: str, engine: str = OURS) -> dict[str, float]:
    """Per catalogue query, a server's p50 (ours unless told) / (pyoxigraph's p50 + Oxigraph server's round trip);
    the target is at most TARGET. Empty without those three engines' figures."""
    base, floor, served = find(view, baseline), find(view, "pyoxigraph"), find(view, engine)
    if not (base and floor and served and base.get("round_trip_p50")):
        return {}
    return {
        name: row["p50"] / (floor["queries"][name]["p50"] + base["round_trip_p50"])
        for name, row in served["queries"].items()
        if "p50" in row and "p50" in floor["queries"].get(name, {})
    }


def _spread(ratios: dict[str, float]) -> str:
    """How many queries are within the target, the median and the worst ratio."""
    within = sum(r <= TARGET for r in ratios.values())
    middle, worst = sorted(ratios.values())[len(ratios) // 2], max(ratios.values())
    return f"{within} of {len(ratios)} queries within {TARGET}x (median {middle:.2f}x, worst {worst:.2f}x)"


def _target_parts(data: dict, baseline: str) -> list[str]:
    """For each way the target was timed: how the queries spread against it, and where the time of the query
    furthest from it goes (the query alone, our application in process, our server over HTTP)."""
    failed = (data.get("interleaved") or {}).get("error")
    lines = ["", f"The p50 target with the engines interleaved could not be timed: {failed}"] if failed else []
    parts = [
        ("pyoxigraph in-process (the query and its serialization)", "pyoxigraph"),
        ("pyoxigraph in a bare WSGI app under granian (adds HTTP and one Python call)", LEAST),
        ("our application in-process (adds Flask and the protocol)", "anakinra-kg app in-process"),
        ("our server over HTTP (adds granian and the hand-over between threads)", OURS),
    ]
    for how, view in views(data):
        ratios = ratios_to_target(view, baseline)
        if not ratios:
            continue
        name = max(ratios, key=ratios.get)
        lines += ["", f"The p50 target, {how}: our server, {_spread(ratios)}."]
        least = ratios_to_target(view, baseline, LEAST)
        if least:
            lines += [f"The least Python endpoint (pyoxigraph in a bare WSGI app under granian): {_spread(least)}."]
        for peer in [e["engine"] for e in view["engines"] if e["engine"].startswith("Oxigraph server")]:
            peer_ratios = ratios_to_target(view, baseline, peer)
            if peer_ratios:
                lines += [f"The same ratio for {peer} itself: {_spread(peer_ratios)}."]
        lines += [f"Our furthest query, `{name}` ({ratios[name]:.2f}x), p50 in ms:", ""]
        for label, prefix in parts:
            p50 = (find(view, prefix) or {}).get("queries", {}).get(name, {}).get("p50")
            if p50 is not None:
                lines.append(f"- {label}: {ms(p50)}")
        floor, base = find(view, "pyoxigraph"), find(view, baseline)
        lines.append(f"- allowed by the target: {ms(allowance(floor['queries'][name]['p50'], base['round_trip_p50']))}")
    return lines
