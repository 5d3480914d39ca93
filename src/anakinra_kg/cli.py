"""The ``anakinra-kg`` command: build the store, query it, and (in other modules) serve it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__, formats, reason, sources, store, validate
from . import build as build_mod
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
    checks = []
    if no_validate:
        err.print(
            "[bold red]WARNING: --no-validate: the data are NOT checked against the SHACL shapes nor for OWL "
            "consistency; an invalid or inconsistent graph may replace the current store.[/]",
            highlight=False,
        )
    else:
        found = sources.discover(settings.ontology_dir, settings.data_dir)
        checks = [validate.gate(found, settings.ontology_dir), reason.gate]
    with Progress(
        TextColumn("loading quads"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task("load", total=None)
        try:
            report = build_mod.build(
                settings.ontology_dir,
                settings.data_dir,
                settings.store_path,
                progress=lambda done: bar.update(task, completed=done),
                checks=checks,
                derive=[reason.infer],
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
@click.pass_context
def validate_cmd(ctx: click.Context, fmt: str) -> None:
    """Check ontology/ and data/ against the SHACL shapes; exit status 1 on violations."""
    settings = _settings(ctx)
    try:
        report = validate.validate_sources(
            sources.discover(settings.ontology_dir, settings.data_dir), settings.ontology_dir
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
