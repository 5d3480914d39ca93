"""Render a benchmark run: a markdown table (results.md) and PNG plots of cost against graph size."""

from __future__ import annotations

from pathlib import Path

from . import plots, report_p50
from .figures import find, geomean, ms, ratio_text, status
from .workload import CONNECTION_LOST


def disagreements(run: dict) -> list[str]:
    """List every query whose answer from some engine differs from the reference answer."""
    return _rows_where(run, lambda row: "error" not in row and not row.get("agrees"), "note")


def failures(run: dict) -> list[str]:
    """List every query an engine could not answer at all (an error of that engine, not a different answer)."""
    return _rows_where(run, lambda row: "error" in row, "error")


def _rows_where(run: dict, keep, field: str) -> list[str]:
    """Lines 'dataset / query / engine: detail' for the query rows that ``keep`` selects."""
    found = []
    for data in run["datasets"]:
        for engine in data["engines"]:
            for name, row in engine.get("queries", {}).items():
                if keep(row):
                    found.append(f"{data['dataset']} / {name} / {engine['engine']}: {row.get(field)}")
    return found


def under_load(failed: dict[str, int]) -> str:
    """Answers that failed under load, by HTTP status or as lost connections, e.g. "2× HTTP 503, 1× connection lost"."""
    return ", ".join(
        f"{n}× " + ("connection lost" if code == str(CONNECTION_LOST) else f"HTTP {code}") for code, n in failed.items()
    )


def ratios(data: dict, baseline: str) -> dict[str, dict[str, float | None]]:
    """Per engine: geometric mean over queries of p50 and throughput relative to the baseline engine."""
    base = next((e for e in data["engines"] if e["engine"] == baseline and "queries" in e), None)
    out: dict[str, dict[str, float | None]] = {}
    for engine in data["engines"]:
        if base is None or status(engine):
            continue
        lat, thr = [], []
        for name, row in engine["queries"].items():
            ref = base["queries"].get(name, {})
            if "p50" in row and ref.get("p50"):
                lat.append(row["p50"] / ref["p50"])
            if row.get("qps") and ref.get("qps"):
                thr.append(row["qps"] / ref["qps"])
        out[engine["engine"]] = {"latency": geomean(lat), "throughput": geomean(thr)}
    return out


def _load_table(run: dict) -> list[str]:
    """Load, start and memory per dataset and engine."""
    lines = ["## Load, start, memory", ""]
    lines += [
        "| graph | triples | engine | load s | triples/s | start s | peak RSS MiB under load: all / largest process |"
    ]
    lines += ["|---|---:|---|---:|---:|---:|---:|"]
    for data in run["datasets"]:
        triples = data["triples"]
        build = data.get("build", {}).get("seconds")
        if build:
            lines.append(
                f"| {data['dataset']} | {triples:,} | `anakinra-kg build` | {build:.2f} | {triples / build:,.0f} | | |"
            )
        for engine in data["engines"]:
            why = status(engine)
            if why:
                lines.append(f"| {data['dataset']} | {triples:,} | {engine['engine']} | {why} | | | |")
                continue
            load = engine.get("load_seconds")
            rate = f"{triples / load:,.0f}" if load else ""
            rss = "n/a"
            if engine.get("peak_rss"):
                rss = f"{engine['peak_rss'] / 2**20:.0f} / {engine['peak_rss_process'] / 2**20:.0f}"
            load_text = f"{load:.2f}" if load is not None else "(= build)"
            start = f"{engine['start_seconds']:.2f}"
            lines.append(
                f"| {data['dataset']} | {triples:,} | {engine['engine']} | {load_text} | {rate} | {start} | {rss} |"
            )
    return lines + [""]


def _validation_table(run: dict) -> list[str]:
    """Validation time per dataset."""
    lines = [
        "## Validation (`anakinra-kg validate`)",
        "",
        "| graph | triples | seconds | outcome |",
        "|---|---:|---:|---|",
    ]
    for data in run["datasets"]:
        val = data.get("validate", {})
        if "skipped" in val:
            lines.append(f"| {data['dataset']} | {data['triples']:,} | | {val['skipped']} |")
        else:
            lines.append(f"| {data['dataset']} | {data['triples']:,} | {val['seconds']:.2f} | {val['outcome']} |")
    return lines + [""]


def _query_tables(data: dict, baseline: str, clients: int) -> list[str]:
    """Per query: p50 / p95 ms, throughput and agreement for each engine of one dataset."""
    engines = [e for e in data["engines"] if not status(e)]
    lines = [f"## Queries on `{data['dataset']}` ({data['triples']:,} triples)", ""]
    for engine in data["engines"]:
        if status(engine):
            lines.append(f"- {engine['engine']}: {status(engine)}")
    if not engines:
        return lines + [""]
    names = sorted({name for e in engines for name in e["queries"]})
    head = "| query | rows | " + " | ".join(e["engine"] for e in engines) + " | answers |"
    lines += ["", f"p50 / p95 latency in ms (1 client) and throughput in queries/s ({clients} clients):", ""]
    lines += [head, "|---|---:|" + "---:|" * len(engines) + "---|"]
    for name in names:
        cells, notes, rows = [], [], ""
        for engine in engines:
            row = engine["queries"].get(name, {})
            if "error" in row:
                cells.append("error")
                notes.append(f"{engine['engine']}: {row['error'][:120]}")
                continue
            rows = rows or str(row.get("rows", ""))
            qps = f" · {row['qps']:.0f}/s" if row.get("qps") else ""
            if row.get("failed_under_load"):
                qps += f" ({under_load(row['failed_under_load'])} under load)"
            cells.append(f"{ms(row.get('p50'))} / {ms(row.get('p95'))}{qps}")
            if not row.get("agrees"):
                notes.append(f"{engine['engine']} DIFFERS ({row.get('note')})")
            elif row.get("note") and row["note"] != "reference":
                notes.append(f"{engine['engine']}: {row['note']}")
        answers = "; ".join(notes) if notes else "all equal"
        lines.append(f"| {name} | {rows} | " + " | ".join(cells) + f" | {answers} |")
    lines += [
        "",
        f"Geometric means over the queries, relative to {baseline}",
        "(latency: lower is better; throughput: higher is better):",
        "",
    ]
    lines += ["| engine | p50 latency ratio | throughput ratio | round trip `ASK {}` ms |", "|---|---:|---:|---:|"]
    for engine in engines:
        ratio = ratios(data, baseline).get(engine["engine"], {})
        rtt = ms(engine.get("round_trip_p50")) if engine.get("round_trip_p50") else "n/a"
        latency, rate = ratio_text(ratio.get("latency")), ratio_text(ratio.get("throughput"))
        lines.append(f"| {engine['engine']} | {latency} | {rate} | {rtt} |")
    return lines + [""]


def _check(lines: list[str], data: dict, target: str, figure: float | None, ok: bool | None, unit: str = "") -> None:
    """Add one row of the targets table (skipped when the figure is missing)."""
    if figure is not None:
        lines.append(f"| {data['dataset']} | {target} | {figure:.2f}{unit} | {'yes' if ok else 'NO'} |")


def _targets(run: dict) -> list[str]:
    """The issue's targets for our endpoint, checked against this run's figures (where the run has them)."""
    lines = ["## Targets of issue 9 (ratios within this run)", "", "| graph | target | figure | met |"]
    lines += ["|---|---|---:|---|"]
    for data in run["datasets"]:
        base = find(data, run["baseline"])
        off, on = find(data, "anakinra-kg serve (cache off)"), find(data, "anakinra-kg serve (cache on")
        triples, big = data["triples"], data["triples"] >= 10_000_000
        if base and off:
            ratio = ratios(data, run["baseline"]).get(off["engine"], {}).get("throughput")
            _check(lines, data, "throughput, cache off, >= 0.8x Oxigraph server", ratio, (ratio or 0) >= 0.8, "x")
        if base and on:
            ratio = ratios(data, run["baseline"]).get(on["engine"], {}).get("throughput")
            _check(lines, data, "throughput, repeated queries, > 1x Oxigraph server", ratio, (ratio or 0) > 1, "x")
        mixed = "throughput of all the queries as one workload"
        ratio = _mix_ratio(base, off)
        _check(lines, data, f"{mixed}, cache off, >= 0.8x Oxigraph server", ratio, (ratio or 0) >= 0.8, "x")
        ratio = _mix_ratio(base, on)
        _check(lines, data, f"{mixed}, repeated queries, > 1x Oxigraph server", ratio, (ratio or 0) > 1, "x")
        for how, view in report_p50.views(data) if data["dataset"] == "article" else []:
            worst = max(report_p50.ratios_to_target(view, run["baseline"]).values(), default=None)
            target = f"worst p50 / (pyoxigraph p50 + HTTP round trip) <= {report_p50.TARGET} ({how})"
            _check(lines, data, target, worst, worst is not None and worst <= report_p50.TARGET, "x")
        build = data.get("build", {}).get("seconds")
        if base and build and base.get("load_seconds") and data["dataset"] != "article":
            ratio = base["load_seconds"] / build
            _check(lines, data, "build throughput >= 0.7x `oxigraph load` (target at 10M)", ratio, ratio >= 0.7, "x")
        seconds = data.get("validate", {}).get("seconds")
        if seconds is not None and triples >= 1_000_000:
            limit = 600 if big else 60
            _check(lines, data, f"validation under {limit} s", seconds, seconds < limit, " s")
        if off and big:
            _check(lines, data, "server start under 2 s", off["start_seconds"], off["start_seconds"] < 2, " s")
            rss = (off.get("peak_rss_process") or 0) / 2**20
            _check(lines, data, "largest server process under 1 GiB", rss, rss < 1024, " MiB")
    return lines + [""] if len(lines) > 4 else []


def _yardstick(run: dict) -> list[str]:
    """The machine's speed over the run: a fixed Python loop timed before each engine (its spread is the drift)."""
    times = [e["yardstick"] for d in run["datasets"] for e in d["engines"] + d.get("floors", []) if "yardstick" in e]
    if not times:
        return []
    low, mid, high = min(times), sorted(times)[len(times) // 2], max(times)
    return [
        f"- machine speed: a fixed Python loop, timed before each engine ({len(times)} times), took {mid * 1e6:,.0f} µs"
        f" (median; {low * 1e6:,.0f} to {high * 1e6:,.0f}, a spread of {high / low:.2f}x)"
    ]


def _mix_ratio(base: dict | None, engine: dict | None) -> float | None:
    """An engine's throughput of the mixed workload against the baseline's (None if either is missing)."""
    if not (base and engine and base.get("mix_qps") and engine.get("mix_qps")):
        return None
    return engine["mix_qps"] / base["mix_qps"]


def _mix_table(run: dict) -> list[str]:
    """Every engine's throughput when its clients cycle through all the queries (per graph)."""
    lines = [f"## All the queries as one workload ({run['clients']} clients, each cycling through every query)", ""]
    lines += ["| graph | engine | queries/s | ratio to Oxigraph server | server CPU µs / request | failed under load |"]
    lines += ["|---|---|---:|---:|---:|---|"]
    rows = 0
    for data in run["datasets"]:
        base = find(data, run["baseline"])
        for engine in data["engines"]:
            if not engine.get("mix_qps"):
                continue
            failed = under_load(engine.get("mix_failed") or {})
            ratio = ratio_text(_mix_ratio(base, engine))
            cpu = engine.get("mix_cpu_per_request")
            cpu_text = f"{cpu * 1e6:,.0f}" if cpu is not None else ""
            figures = f"{engine['mix_qps']:,.0f} | {ratio} | {cpu_text} | {failed}"
            lines.append(f"| {data['dataset']} | {engine['engine']} | {figures} |")
            rows += 1
    note = (
        "Per query (tables below) every query counts the same in the geometric mean; here each query takes "
        "the share of the clients' time its cost gives it, as in a real mixed load. Server CPU per request: user + "
        "system time of the server's processes over the timed window, divided by the requests sent."
    )
    return lines + ["", note, ""] if rows else []


def _backends_table(run: dict) -> list[str]:
    """Our endpoint on its two backends side by side (README's "Running at scale"), where the run has both."""
    lines = ["## Our endpoint on both backends (cache off)", ""]
    lines += ["| graph | triples | backend | load s | p50 ms (geometric mean) | queries/s (geometric mean) |"]
    lines += ["|---|---:|---|---:|---:|---:|"]
    rows = 0
    for data in run["datasets"]:
        embedded = find(data, "anakinra-kg serve (cache off)")
        remote = find(data, "anakinra-kg serve on Virtuoso")
        if not (embedded and remote):
            continue
        build = data.get("build", {}).get("seconds")
        for label, engine, load in (("embedded (pyoxigraph)", embedded, build), ("remote (Virtuoso)", remote, None)):
            load = engine.get("load_seconds") if load is None else load
            rel = ratios(data, run["baseline"]).get(engine["engine"], {})
            p50 = geomean([row["p50"] for row in engine["queries"].values() if "p50" in row])
            qps = geomean([row["qps"] for row in engine["queries"].values() if row.get("qps")])
            lat = f"{ms(p50)} ({ratio_text(rel.get('latency'))}x)" if p50 else ""
            thr = f"{qps:,.0f} ({ratio_text(rel.get('throughput'))}x)" if qps else ""
            load_text = f"{load:.1f}" if load else ""
            lines.append(f"| {data['dataset']} | {data['triples']:,} | {label} | {load_text} | {lat} | {thr} |")
            rows += 1
    note = "load: `anakinra-kg build` (embedded) and `anakinra-kg load --into` (remote); ratios to Oxigraph server"
    return lines + ["", note, ""] if rows else []


def _span(run: dict) -> str:
    """How long each throughput measurement ran, as the run was told (runs before these settings say nothing)."""
    if "per_client" not in run:
        return ""
    span = f", each {run['per_client']} queries per client or more"
    if run.get("min_seconds"):
        span += f", for at least {run['min_seconds']:g} s"
    return span + f" (at most {run['budget']:g} s)"


def write(run: dict, out: Path) -> None:
    """Write results.md and the plots into ``out``."""
    lines = ["# Benchmark results", ""]
    lines += [
        f"- run: `{run['command']}`, {run['started']} to {run.get('finished', '')}",
        f"- machine: {run['machine']}",
    ]
    budget = run.get("budget")
    lines += [f"- {run['repeat']} runs per query (after one warm-up) for p50/p95; fewer (at least 3) past {budget} s"]
    connections = run.get("connections", "keep-alive")
    lines += [f"- throughput: {run['clients']} concurrent clients, each its own client ({connections}){_span(run)}"]
    lines += ["- absolute times on a shared machine are noise: compare ratios within this run"]
    lines += _yardstick(run) + [""]
    lines += _targets(run) + _mix_table(run) + report_p50.floor_table(run) + _load_table(run) + _validation_table(run)
    lines += _backends_table(run)
    for data in run["datasets"]:
        lines += _query_tables(data, run["baseline"], run["clients"])
    plots = plot(run, out)
    if plots:
        lines += ["## Cost against graph size", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    (out / "results.md").write_text("\n".join(lines))


def plot(run: dict, out: Path) -> list[Path]:
    """Plot load, validation and geometric-mean query latency against triples; return the files."""
    sized = [d for d in run["datasets"] if d["dataset"] != "article"]
    series: dict[str, dict[str, list[tuple[int, float]]]] = {"load": {}, "validate": {}, "latency": {}}
    for data in sized:
        x = data["triples"]
        if data.get("build", {}).get("seconds"):
            series["load"].setdefault("anakinra-kg build", []).append((x, data["build"]["seconds"]))
        if "seconds" in data.get("validate", {}):
            series["validate"].setdefault("anakinra-kg validate", []).append((x, data["validate"]["seconds"]))
        for engine in data["engines"]:
            if status(engine):
                continue
            if engine.get("load_seconds"):
                series["load"].setdefault(engine["engine"], []).append((x, engine["load_seconds"]))
            mean = geomean([row["p50"] for row in engine["queries"].values() if "p50" in row])
            if mean:
                series["latency"].setdefault(engine["engine"], []).append((x, mean))
    return plots.draw(series, out)
