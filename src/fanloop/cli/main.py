"""The `fanloop` command: run the server, migrate, seed the demo, manage members."""

from __future__ import annotations

import contextlib
import os
import sys

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fanloop.core.config import Settings, get_settings
from fanloop.core.db import Database

app = typer.Typer(help="fanloop: run a product's fan community.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
members_app = typer.Typer(help="Members and access.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(members_app, name="members")
console = Console(stderr=True)


@app.callback()
def _wire() -> None:
    from fanloop.wiring import wire

    wire()


def _database(settings: Settings) -> Database:
    return Database(settings.effective_database_url)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    from fanloop.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"[green]Database is at {revision}.[/green]")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the code's."""
    from fanloop.core.migrate import current_revision, head_revision

    settings = get_settings()
    database = _database(settings)
    typer.echo(f"database: {current_revision(database.engine) or 'empty'}")
    typer.echo(f"code:     {head_revision(database.url)}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (use PostgreSQL for more than one)."),
) -> None:
    """Run the web server (pages and API). The database must be migrated."""
    import uvicorn

    from fanloop.core.migrate import DatabaseNotMigrated, ensure_migrated

    settings = get_settings()
    database = _database(settings)
    try:
        ensure_migrated(database.engine, database.url)
    except DatabaseNotMigrated as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    database.dispose()
    console.print(f"fanloop is running at [bold]http://{host}:{port}/[/bold]  (API docs: /api/v1/docs)")
    uvicorn.run(
        "fanloop.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=settings.trust_proxy,
    )


@app.command()
def demo(
    posts: int = typer.Option(1000, help="How many posts to seed."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same community."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Start the server after seeding."),
) -> None:
    """Create (once) and serve a demo community in an embedded SQLite file."""
    from fanloop.core.migrate import upgrade
    from fanloop.demo.seed import DEMO_PASSWORD, demo_accounts, is_seeded, seed_demo

    settings = get_settings()
    upgrade(settings.effective_database_url)
    database = _database(settings)
    with database.unit_of_work() as session:
        seeded = is_seeded(session)
    if seeded:
        console.print("Demo data is already there; starting the server.")
    else:
        with _progress() as progress:
            task = progress.add_task("Seeding the demo community", total=posts)
            summary = seed_demo(
                database,
                posts_count=posts,
                seed=seed,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        console.print(
            f"Seeded {summary.members} members, {summary.posts} posts, {summary.replies} replies, "
            f"{summary.votes} votes."
        )
        _mine_demo_pain_points(database)
    with database.unit_of_work() as session:
        accounts = ", ".join(f"{m.handle} ({m.role})" for m in demo_accounts(session))
    console.print(f"Demo accounts, password [bold]{DEMO_PASSWORD}[/bold]: {accounts}")
    database.dispose()
    if serve_after:
        serve(host=host, port=port, workers=1)


def _mine_demo_pain_points(database: Database) -> None:
    from fanloop.cli.painpoints import run_with_progress
    from fanloop.insights.painpoints import scheduled

    with database.unit_of_work(write=True) as session:
        run = scheduled.request_remine(session, actor=None, trigger="command")
    info = run_with_progress(database, run.id)
    console.print(f"Mined {info.posts} complaints, bugs and suggestions into {info.created} pain points.")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@app.command()
def worker(interval: float = typer.Option(0.5, help="Seconds between passes.")) -> None:
    """Run background work: SLA warnings and breaches, notifications and webhooks."""
    from fanloop.core.migrate import ensure_migrated
    from fanloop.jobs.worker import Worker

    database = _database(get_settings())
    ensure_migrated(database.engine, database.url)
    console.print("fanloop worker running; Ctrl-C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        Worker(database, interval=interval).run_forever()


@members_app.command("create")
def members_create(
    handle: str,
    email: str,
    role: str = typer.Option("fan", help="fan, staff, lead or admin"),
    display_name: str = typer.Option("", help="Shown name (defaults to the handle)."),
) -> None:
    """Create a member; the password is asked for (or read from FANLOOP_NEW_PASSWORD)."""
    from fanloop.community.members import service as members
    from fanloop.core.errors import DomainError
    from fanloop.core.permissions import Role

    password = os.environ.get("FANLOOP_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    database = _database(get_settings())
    try:
        with database.unit_of_work() as session:
            member = members.sign_up(
                session,
                handle=handle,
                email=email,
                password=password,
                display_name=display_name,
                role=Role(role),
            )
    except (DomainError, ValueError) as error:
        console.print(f"[red]{getattr(error, 'detail', error)}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"created @{member.handle} ({member.role})")


@members_app.command("reset-link")
def members_reset_link(handle: str) -> None:
    """Print a one-time password-reset link for a member (valid for 2 hours)."""
    from sqlalchemy import select

    from fanloop.community.members import service as members
    from fanloop.community.members.models import Member
    from fanloop.core.errors import DomainError

    settings = get_settings()
    database = _database(settings)
    try:
        with database.unit_of_work() as session:
            admin = session.scalar(select(Member).where(Member.role == "admin").limit(1))
            if admin is None:
                raise typer.BadParameter("There is no admin yet; create one with `fanloop members create`.")
            token = members.issue_reset_link(session, actor=admin, handle=handle)
    except DomainError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"{settings.base_url.rstrip('/')}/reset?token={token}")


def main() -> None:  # pragma: no cover
    sys.exit(app())
import fanloop.cli.channels  # noqa: E402, F401  (registers `fanloop import` and `fanloop channels`)
import fanloop.cli.mine  # noqa: E402, F401  (registers `fanloop mine`)
import fanloop.cli.painpoints  # noqa: E402, F401  (registers `fanloop remine`)
import fanloop.cli.sentiment  # noqa: E402, F401  (registers `fanloop sentiment`)
