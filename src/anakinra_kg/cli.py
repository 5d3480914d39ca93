"""The ``anakinra-kg`` command: build the store, query it, and (in other modules) serve it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__, export, formats, imports, jsonld, pipeline, reason, sources, store, validate
from . import query as query_mod
from .settings import Settings

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
        except (sources.SourceError, validate.ValidationError, reason.ReasoningError) as error:
            bar.stop()
            if isinstance(error, validate.ValidationError):
                err.print(validate.format_text(error.report), highlight=False, markup=False)
            err.print(f"[bold red]error:[/] {error}", highlight=False)
            err.print("the previous store (if any) is unchanged", highlight=False)
            sys.exit(1)
    err.print(f"built {report.total} quads into {report.folder}", highlight=False)
    for graph, count in sorted(report.graphs.items()):
        err.print(f"  {graph}: {count}", highlight=False)


@main.command(name="validate")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle"]), default="text", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(validate.ENGINES),
    default="sparql",
    show_default=True,
    help="sparql: the shapes compiled to SPARQL on the store (fast); pyshacl: the reference implementation",
)
@click.pass_context
def validate_cmd(ctx: click.Context, fmt: str, engine: str) -> None:
    """Check ontology/ and data/ against the SHACL shapes; exit status 1 on violations."""
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
            sys.stdout.buffer.write(query_mod.serialize(results, formats.by_name(fmt)))
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
@click.pass_context
def serve(ctx: click.Context, **flags: object) -> None:
    """Serve the store as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql (gunicorn)."""
    from .server.serve import serve as run_server

    overrides = {k: v for k, v in flags.items() if v is not None and v != ()}
    settings = Settings.model_validate(_settings(ctx).model_dump() | overrides)
    if not settings.store_path.exists():
        err.print(f"[bold red]error:[/] no store at {settings.store_path}: run `anakinra-kg build` first")
        sys.exit(1)
    err.print(f"SPARQL endpoint: http://{settings.host}:{settings.port}/sparql", highlight=False)
    run_server(settings)


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
    try:
        data = jsonld.context_document(store.open_read_only(_settings(ctx).store_path))
    except store.StoreMissingError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        export.write_file(output, lambda stream: stream.write(data))
