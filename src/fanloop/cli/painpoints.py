"""`fanloop remine`: re-mine the pain points now, with a progress bar."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from fanloop.cli.main import _database, app, console
from fanloop.core.config import get_settings
from fanloop.core.db import Database
from fanloop.insights.painpoints.scheduled import RunInfo

POLL_SECONDS = 1.0


@app.command()
def remine(
    encode: bool = typer.Option(
        True, "--encode/--no-encode", help="First give a vector to every post that lacks one."
    ),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Run it here and wait; --no-wait only queues it for a worker."
    ),
) -> None:
    """Re-mine the pain points from the stored post vectors: cluster, label, keep identities."""
    from fanloop.core.migrate import DatabaseNotMigrated, ensure_migrated
    from fanloop.insights.painpoints import scheduled

    database = _database(get_settings())
    try:
        ensure_migrated(database.engine, database.url)
    except DatabaseNotMigrated as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    with database.unit_of_work(write=True) as session:
        run = scheduled.request_remine(session, actor=None, trigger="command")
    if not wait:
        typer.echo(f"queued re-mine run {run.id}")
        return
    info = run_with_progress(database, run.id, encode=encode)
    if info.state == "failed":
        console.print(f"[red]Re-mine {info.id} failed: {info.error}[/red]")
        raise typer.Exit(1)
    typer.echo(
        f"re-mined {info.posts} posts into {info.kept + info.created} pain points "
        f"(k={info.k}; kept {info.kept}, new {info.created}, retired {info.retired})"
    )


def run_with_progress(database: Database, run_id: int, *, encode: bool = True) -> RunInfo:
    """Encode posts without a vector (if asked), then run the queued re-mine `run_id` here (or follow
    it in the process that claimed it), showing progress bars; returns the finished run."""
    from fanloop.insights.painpoints import scheduled
    from fanloop.insights.vectors.service import encode_pending

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        if encode:
            encoding = progress.add_task("Encoding posts", total=None)
            while done := encode_pending(database):
                progress.advance(encoding, done)
            progress.update(
                encoding,
                total=progress.tasks[encoding].completed or 1,
                completed=progress.tasks[encoding].completed or 1,
            )
        task = progress.add_task("Re-mining pain points", total=1.0)

        def show(stage: str, fraction: float) -> None:
            progress.update(task, completed=fraction, description=f"Re-mining pain points: {stage}")

        while True:
            claimed = scheduled.claim_next(database)
            if claimed is not None:
                scheduled.execute(database, claimed, progress=show)
            info = scheduled.read_run(database, run_id)
            if info.finished:
                return info
            if info.state == "running":  # another process is running it: follow the row
                show(f"{info.stage} (in another process)", info.progress)
            else:
                show("waiting for the running re-mine to finish", 0.0)
            time.sleep(POLL_SECONDS)
