"""The ``anakinra-kg`` command: build the store, query it, and (in other modules) serve it.

Heavy modules (rdflib, pyshacl, owlready2 behind them) are imported inside the commands that use them,
so `anakinra-kg serve` and `anakinra-kg query` start quickly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__, formats, store
from . import query as query_mod
from .settings import SHACL_ENGINES, Settings

err = Console(stderr=True, soft_wrap=True)  # never break a file:line or a report line


def _settings(ctx: click.Context) -> Settings:
    """Return the settings object the group put on the context."""
    return ctx.find_object(Settings)


@click.group()
@click.version_option(__version__, prog_name="anakinra-kg")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help="folder with ontology/ and data/")
@click.option(
    "--store", "store_dir", type=click.Path(path_type=Path), help="store location (a link to the current build)"
)
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, store_dir: Path | None) -> None:
    """A knowledge graph of the drug anakinra (Kineret), as RDF under an OWL ontology."""
    overrides = {k: v for k, v in {"project_dir": project_dir, "store_dir": store_dir}.items() if v is not None}
    ctx.obj = Settings(**overrides)


@main.command()
@click.option(
    "--no-validate", is_flag=True, help="skip SHACL validation and the HermiT consistency check (experts only)"
)
@click.pass_context
def build(ctx: click.Context, no_validate: bool) -> None:
    """Parse ontology/ and data/, infer, validate, and write a new store, swapped in only when complete."""
    from . import pipeline, reason, rules, sources, validate

    settings = _settings(ctx)
    if no_validate:
        err.print(
            "[bold red]WARNING: --no-validate: the data are NOT checked against the SHACL shapes nor for OWL "
            "consistency; an invalid or inconsistent graph may replace the current store.[/]",
            highlight=False,
        )
    with Progress(
        TextColumn("loading sources"), BarColumn(), DownloadColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task("load", total=None)
        try:
            found = sources.discover(settings.ontology_dir, settings.data_dir)
            bar.update(task, total=sum(source.path.stat().st_size for source in found))
            report = pipeline.run(
                settings, checked=not no_validate, progress=lambda done: bar.update(task, completed=done)
            )
        except (sources.SourceError, rules.ListError, validate.ValidationError, reason.ReasoningError) as error:
            bar.stop()
            if isinstance(error, validate.ValidationError):
                err.print(validate.format_text(error.report), highlight=False, markup=False)
            err.print(f"[bold red]error:[/] {error}", highlight=False)
            err.print("the previous store (if any) is unchanged", highlight=False)
            sys.exit(1)
    err.print(f"built {report.total} quads into {report.folder}", highlight=False)
    for graph, count in sorted(report.graphs.items()):
        err.print(f"  {graph}: {count}", highlight=False)
    err.print("steps, in seconds:", highlight=False)
    for step, seconds in report.steps.items():
        err.print(f"  {step}: {seconds:.2f}", highlight=False)


@main.command(name="validate")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle"]), default="text", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(SHACL_ENGINES),
    default="sparql",
    show_default=True,
    help="sparql: the shapes compiled to SPARQL on the store (fast); pyshacl: the reference implementation",
)
@click.pass_context
def validate_cmd(ctx: click.Context, fmt: str, engine: str) -> None:
    """Check ontology/ and data/ against the SHACL shapes; exit status 1 on violations."""
    from . import sources, validate

    settings = _settings(ctx)
    try:
        report = validate.validate_sources(
            sources.discover(settings.ontology_dir, settings.data_dir), settings.ontology_dir, engine
        )
    except sources.SourceError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    if fmt == "turtle":
        sys.stdout.write(report.graph.serialize(format="turtle"))
    else:
        sys.stdout.write(validate.format_text(report))
    sys.exit(0 if report.conforms else 1)


@main.command(name="reason")
@click.pass_context
def reason_cmd(ctx: click.Context) -> None:
    """Check with HermiT that ontology/ + data/ are consistent and every class satisfiable; exit 1 if not."""
    from . import reason, sources

    settings = _settings(ctx)
    try:
        quads = sources.load_all(sources.discover(settings.ontology_dir, settings.data_dir))
    except sources.SourceError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    report = reason.check(quads)
    sys.stdout.write(reason.format_text(report))
    sys.exit(0 if report.ok else 1)


QUERY_FORMATS = ("table",) + tuple(f.name for f in formats.ALL_FORMATS)


@main.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "path", type=click.File("r", encoding="utf-8"), help="read the query from a .rq file")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
@click.pass_context
def query(ctx: click.Context, sparql: str | None, path, fmt: str) -> None:
    """Run a SPARQL query on the store and print a table (or a machine format)."""
    if (sparql is None) == (path is None):
        raise click.UsageError("give a query as an argument or with -f FILE (one of the two)")
    text = path.read() if path else sparql
    try:
        db = store.open_read_only(_settings(ctx).store_path)
        results = query_mod.run(db, text)
        if fmt == "table":
            _print_table(results)
        else:
            chosen = formats.by_name(fmt)
            if chosen.name == "jsonld":
                from . import jsonld

                context = jsonld.context(db)
            else:
                context = None
            sys.stdout.buffer.write(query_mod.serialize(results, chosen, context=context))
    except (store.StoreMissingError, query_mod.QueryError) as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)


def _print_table(results: query_mod.Results) -> None:
    """Print results as a table for people."""
    header, body = query_mod.rows(results)
    table = Table(*header, show_lines=False)
    for column in table.columns:
        column.overflow = "fold"
    for row in body:
        table.add_row(*row)
    Console(soft_wrap=False).print(table)
    err.print(f"{len(body)} row(s)", highlight=False)


@main.command()
@click.option("--host", help="address to bind (default 127.0.0.1: this machine only)")
@click.option("--port", type=int, help="TCP port (default 8000)")
@click.option("--workers", type=click.IntRange(min=1), help="server processes")
@click.option("--threads", type=click.IntRange(min=1), help="request threads (and query workers) per process")
@click.option("--timeout", "query_timeout", type=click.FloatRange(min=0, min_open=True), help="query time limit, s")
@click.option("--max-rows", "max_result_rows", type=click.IntRange(min=1), help="most solutions/triples per answer")
@click.option("--max-body", "max_request_bytes", type=click.IntRange(min=1024), help="largest request body, bytes")
@click.option("--allow-service", "service_allow_list", multiple=True, help="a host SERVICE may call (repeatable)")
@click.option("--cors-origins", help="origins allowed by CORS (default *)")
@click.option("--public-url", help="the endpoint's public URL, when behind a proxy")
@click.option("--backend", help="embedded (default), remote (the remote_* settings) or a remote query endpoint URL")
@click.option("--access-log/--no-access-log", "access_log", default=None, help="log every request (default off)")
@click.pass_context
def serve(ctx: click.Context, backend: str | None, **flags: object) -> None:
    """Serve the store as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql (granian)."""
    from .server.serve import serve as run_server

    overrides = {k: v for k, v in flags.items() if v is not None and v != ()}
    if backend is not None:
        overrides |= {"backend": "embedded" if backend == "embedded" else "remote"}
        if backend not in ("embedded", "remote"):
            overrides["remote_query_url"] = backend
    try:
        settings = Settings.model_validate(_settings(ctx).model_dump() | overrides)
    except ValueError as error:
        raise click.BadParameter(_first_error(error), param_hint="--backend") from None
    if settings.backend == "remote":
        if not settings.remote_query_url:
            raise click.UsageError("--backend remote needs ANAKINRA_KG_REMOTE_QUERY_URL (or give the URL)")
        err.print(f"store: remote SPARQL endpoint {settings.remote_query_url}", highlight=False)
    elif not settings.store_path.exists():
        err.print(f"[bold red]error:[/] no store at {settings.store_path}: run `anakinra-kg build` first")
        sys.exit(1)
    err.print(f"SPARQL endpoint: http://{settings.host}:{settings.port}/sparql", highlight=False)
    run_server(settings)


def _first_error(error: ValueError) -> str:
    """The message of a settings validation error, without pydantic's decorations."""
    errors = getattr(error, "errors", None)
    return str(errors()[0]["msg"]) if callable(errors) else str(error)


@main.command("load")
@click.option("--into", "into", required=True, help="remote (the remote_* settings) or a SPARQL Update endpoint URL")
@click.option("--query-url", help="query endpoint to verify counts with (default: the update endpoint)")
@click.option("--gsp-url", help="Graph Store Protocol endpoint to upload with (default: SPARQL Update)")
@click.option("--batch-size", type=click.IntRange(min=1), help="triples per request (default 2000)")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path), help="resume state file")
@click.option("--restart", is_flag=True, help="ignore the state of an earlier run and load every graph again")
@click.pass_context
def load_cmd(
    ctx: click.Context,
    into: str,
    query_url: str | None,
    gsp_url: str | None,
    batch_size: int | None,
    state_path: Path | None,
    restart: bool,
) -> None:
    """Upload every named graph of the current build to a remote SPARQL store, resumably, and verify the counts.

    Credentials come from the environment only: ANAKINRA_KG_REMOTE_USER and ANAKINRA_KG_REMOTE_PASSWORD
    (ANAKINRA_KG_REMOTE_AUTH=digest for Virtuoso), or ANAKINRA_KG_REMOTE_TOKEN.
    """
    from . import load as loader
    from .backends.remote import auth_from_env

    settings = _settings(ctx)
    if into == "remote":
        into = settings.remote_update_url or ""
        query_url = query_url or settings.remote_query_url
        gsp_url = gsp_url or settings.remote_gsp_url
        if not into:
            raise click.UsageError("--into remote needs ANAKINRA_KG_REMOTE_UPDATE_URL (or give the URL)")
    try:
        auth = auth_from_env(settings.remote_auth)
        target = loader.target_from(into, query_url=query_url, gsp_url=gsp_url, auth=auth)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--into") from None
    build = store.current_build(settings.store_path)
    if build is None:
        err.print(f"[bold red]error:[/] no store at {settings.store_path}: run `anakinra-kg build` first")
        sys.exit(1)
    state_file = state_path or settings.project_dir / "var" / "load-state" / f"{target.key()}.json"
    if restart:
        state_file.unlink(missing_ok=True)
    err.print(f"loading {build.name} into {target.gsp_url or target.update_url} (state: {state_file})")
    report = _run_load(loader, build, target, state_file, batch_size or settings.load_batch_size)
    for graph, count in sorted(report.counts.items()):
        how = "already loaded" if graph in report.skipped else "loaded"
        err.print(f"  {graph}: {count} triples ({how}, count verified)", highlight=False)
    err.print(f"verified: {len(report.counts)} graphs, {sum(report.counts.values())} triples", highlight=False)


def _run_load(loader, build: Path, target, state_file: Path, batch_size: int):
    """Run the load with a progress bar; exit 1 with the error (never the credentials) if it fails."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task("batches", total=None)

        def progress(graph: str, done: int, total: int) -> None:
            bar.update(task, description=graph.rsplit("/", 1)[-1], completed=done, total=total)

        try:
            return loader.load(build, target, state_file, batch_size=batch_size, progress=progress)
        except loader.LoadError as error:
            bar.stop()
            err.print(f"[bold red]error:[/] {error}", highlight=False)
            err.print("run the same command again to resume", highlight=False)
            sys.exit(1)


@main.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--ontology", "name", help="prefix of the ontology (mondo, hp, chebi, ...); guessed from the file if omitted"
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: data/imports/NAME.ttl")
@click.option("--license", "license_iri", help="license IRI to record when the source's header states none")
@click.pass_context
def import_(ctx: click.Context, source: Path, name: str | None, output: Path | None, license_iri: str | None) -> None:
    """Extract from a full ontology file (OBO or OWL/RDF, .gz too) the module of the terms our mappings use."""
    from . import imports, sources

    settings = _settings(ctx)
    try:
        module = imports.run(source, settings.data_dir, name, output, license_iri)
    except (sources.SourceError, ValueError) as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)
    target = output or settings.data_dir / imports.IMPORTS_DIR / f"{module.name}.ttl"
    err.print(
        f"{module.name}: {len(module.seeds)} mapped terms found, {module.classes} classes with ancestors "
        f"(of {module.source_classes} in the source), {len(module.triples)} triples -> {target}",
        highlight=False,
    )
    for iri in module.missing:
        err.print(f"[yellow]warning:[/] mapped term not declared in the source: {iri}", highlight=False)
    for iri in module.obsolete:
        err.print(f"[yellow]warning:[/] mapped term is obsolete in the source: {iri}", highlight=False)


RDF_FORMAT_NAMES = ", ".join(f.name for f in formats.RDF_FORMATS)


@main.command("export")
@click.option("--format", "fmt", default="turtle", show_default=True, help=f"one of: {RDF_FORMAT_NAMES}")
@click.option("--graph", "graphs", multiple=True, help="a named graph (ontology, data, provenance, ...); repeatable")
@click.option("--frame", is_flag=True, help="JSON-LD only: the drug at the top with its facts nested")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file (atomic; .gz compresses)")
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, graphs: tuple[str, ...], frame: bool, output: Path | None) -> None:
    """Export the whole dataset or chosen named graphs.

    TriG, N-Quads and JSON-LD keep the named graphs; Turtle, N-Triples and RDF/XML hold one graph, so
    several graphs are written as their union.
    """
    from . import export

    try:
        chosen = export.rdf_format(fmt)
    except formats.UnknownFormatError as error:
        raise click.BadParameter(str(error), param_hint="--format") from None
    if frame and (chosen.name != "jsonld" or graphs):
        raise click.UsageError("--frame makes the JSON-LD document of the drug: use it with --format jsonld only")
    try:
        db = store.open_read_only(_settings(ctx).store_path)
        export.select_graphs(db, graphs)
    except store.StoreMissingError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)
    except export.UnknownGraphError as error:
        raise click.BadParameter(str(error), param_hint="--graph") from None
    if frame:
        produce = lambda stream: stream.write(export.framed_drug(db))  # noqa: E731
    else:
        produce = lambda stream: export.write_to(stream, db, chosen, graphs)  # noqa: E731
    if output is None:
        produce(sys.stdout.buffer)
        return
    export.write_file(output, produce, compress=output.name.endswith(".gz"))
    err.print(f"wrote {output}", highlight=False)


@main.command("context")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file to write (atomic)")
@click.pass_context
def context_cmd(ctx: click.Context, output: Path | None) -> None:
    """Write the JSON-LD @context generated from the ontology (the repository keeps it in ontology/)."""
    from . import export, jsonld

    try:
        data = jsonld.context_document(store.open_read_only(_settings(ctx).store_path))
    except store.StoreMissingError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        export.write_file(output, lambda stream: stream.write(data))
