"""`fanloop import FILE --channel NAME`: bring a file of mentions into a channel, and `fanloop
channels`: list them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from fanloop.cli.main import _database, app, console
from fanloop.core.config import get_settings

SHOWN_PROBLEMS = 20


@app.command("import")
def import_file(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="JSON Lines or CSV file."
    ),
    channel: str = typer.Option(..., "--channel", help="The channel's short name (see `fanloop channels`)."),
    file_format: str = typer.Option(
        "", "--format", help="jsonl or csv; by default from the file's name, else from how it starts."
    ),
    report_path: Path | None = typer.Option(
        None, "--report", dir_okay=False, help="Write every refused row (line, reason) to this CSV file."
    ),
) -> None:
    """Import mentions (original times, authors, reposts, likes) into CHANNEL. Rows already imported
    are skipped, so running a file twice adds nothing; a bad row is reported with its line number
    and every other row goes in. Exits 1 if any row was refused."""
    from fanloop.core.errors import DomainError
    from fanloop.growth.channels.importer import import_stream

    if file_format not in ("", "jsonl", "csv"):
        console.print("[red]--format is jsonl or csv.[/red]")
        raise typer.Exit(2)
    database = _database(get_settings())
    size = path.stat().st_size
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with path.open("rb") as stream, Progress(*columns, console=console) as progress:
            task = progress.add_task(f"Importing into {channel}", total=size)
            report = import_stream(
                database,
                channel_slug=channel,
                stream=stream,
                name=path.name,
                file_format=file_format or None,
                progress=lambda done: progress.update(task, completed=min(done, size)),
            )
    except DomainError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    outcome = report.outcome
    console.print(
        f"[green]{outcome.imported} imported[/green], {outcome.duplicates} already there, "
        f"{report.rejected} refused, {outcome.new_members} new members (of {report.rows_read} rows; "
        f"import #{report.run_id})."
    )
    for problem in report.problems[:SHOWN_PROBLEMS]:
        console.print(f"  line {problem.line}: {problem.reason}", style="yellow", soft_wrap=True)
    if report.rejected > SHOWN_PROBLEMS:
        console.print(
            f"  … and {report.rejected - SHOWN_PROBLEMS} more (see the channel's page or --report)."
        )
    if report_path is not None:
        _write_problems(report_path, report.problems)
    if report.rejected:
        raise typer.Exit(1)


def _write_problems(path: Path, problems: list) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason"])
        writer.writerows((p.line, p.reason) for p in problems)


@app.command("channels")
def list_channels() -> None:
    """List the channels: short name, kind, connector, mentions imported."""
    from fanloop.growth.channels import service as channels
    from fanloop.growth.models import Channel

    database = _database(get_settings())
    try:
        with database.unit_of_work() as session:
            counts = channels.mention_counts(session)
            rows = list(session.query(Channel).order_by(Channel.slug))
            if not rows:
                typer.echo("No channels yet: a lead adds them at /staff/channels or POST /api/v1/channels.")
            for channel in rows:
                typer.echo(
                    f"{channel.slug:20} {channel.kind:10} {channel.connector:10} "
                    f"{counts.get(channel.id, 0):>10} mentions  {channel.name}"
                )
    finally:
        database.dispose()
