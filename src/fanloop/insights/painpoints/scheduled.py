"""The re-mine as a job: queued nightly and on demand, run by one worker at a time, with progress.

A run is a row of `pain_point_runs`. Requests (a lead's click, the API, `fanloop remine`) queue one
unless one is already queued; the worker queues the nightly one at FANLOOP_REMINE_HOUR (UTC) once a
day, the day's date being unique so two workers queue one run between them. Any worker may then
claim the oldest queued run by setting its `claim` to 1: the column is unique, so while a run holds
it no other can be claimed (a second claimer fails on the unique index, on SQLite and PostgreSQL
alike). The running worker writes its stage and progress to the row, in short transactions, for
pages and the command line to show; a run whose worker stops writing for STALE_AFTER is failed, so
its claim does not block re-mining for ever."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.config import get_settings
from fanloop.core.db import Database
from fanloop.core.errors import NotFound
from fanloop.core.permissions import Action, require
from fanloop.insights.painpoints import remine as remining
from fanloop.insights.painpoints.models import MiningRun

log = logging.getLogger("fanloop.painpoints")

STALE_AFTER = timedelta(minutes=30)
# Progress is written at most this often (seconds), and at every change of stage.
PROGRESS_EVERY = 0.5
MAX_ID = 2**31 - 1
RUN_TRIGGERS = ("nightly", "request", "command")


@dataclass(frozen=True)
class RunInfo:
    id: int
    state: str  # queued | running | done | failed
    trigger: str
    requested_by: str | None  # handle
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stage: str
    progress: float  # 0..1
    posts: int
    k: int | None
    created: int
    kept: int
    retired: int
    error: str

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def _info(session: Session, run: MiningRun) -> RunInfo:
    handle = (
        session.scalar(select(Member.handle).where(Member.id == run.requested_by_id))
        if run.requested_by_id
        else None
    )
    return RunInfo(
        id=run.id,
        state=run.state,
        trigger=run.trigger,
        requested_by=handle,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        stage=run.stage,
        progress=run.progress,
        posts=run.posts,
        k=run.k,
        created=run.created,
        kept=run.kept,
        retired=run.retired,
        error=run.error,
    )


# --------------------------------------------------------------------------- requests and reads


def request_remine(session: Session, *, actor: Member | None, trigger: str = "request") -> RunInfo:
    """Queue a re-mine (leads; `actor=None` is the command line), or return the one already queued."""
    if actor is not None or trigger != "command":
        require(actor, Action.REMINE_PAIN_POINTS)
    queued = session.scalar(
        select(MiningRun).where(MiningRun.state == "queued").order_by(MiningRun.id).limit(1)
    )
    if queued is not None:
        return _info(session, queued)
    run = _queued_run(trigger=trigger, requested_by_id=actor.id if actor else None, requested_at=clock.now())
    session.add(run)
    session.flush()
    return _info(session, run)


def _queued_run(**fields: object) -> MiningRun:
    return MiningRun(
        state="queued",
        stage="queued",
        progress=0.0,
        posts=0,
        created=0,
        kept=0,
        retired=0,
        error="",
        **fields,
    )


def list_runs(session: Session, *, viewer: Member | None, limit: int = 20) -> list[RunInfo]:
    """The latest re-mines, newest first (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    runs = session.scalars(select(MiningRun).order_by(MiningRun.id.desc()).limit(max(1, min(limit, 100))))
    return [_info(session, run) for run in runs]


def get_run(session: Session, *, viewer: Member | None, run_id: int) -> RunInfo:
    require(viewer, Action.VIEW_PAIN_POINTS)
    run = session.get(MiningRun, run_id) if 0 < run_id <= MAX_ID else None
    if run is None:
        raise NotFound(f"No re-mine run {run_id}.")
    return _info(session, run)


def read_run(database: Database, run_id: int) -> RunInfo:
    """A run as stored now, for a process watching one (no permission check: not an adapter)."""
    with database.unit_of_work() as session:
        return _info(session, session.get(MiningRun, run_id))


# --------------------------------------------------------------------------- the job


def queue_nightly(session: Session, *, now: datetime, hour: int) -> bool:
    """Queue today's nightly re-mine if `hour` (UTC) has come and it is not queued yet."""
    if hour < 0 or now.hour < hour:
        return False
    day = now.date().isoformat()
    if session.scalar(select(MiningRun.id).where(MiningRun.nightly_date == day)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(_queued_run(trigger="nightly", nightly_date=day, requested_at=now))
    except IntegrityError:  # another worker queued it first
        return False
    return True


def claim_next(database: Database) -> int | None:
    """Claim the oldest queued run for this worker; None if none is queued or one is running."""
    now = clock.now()
    with database.unit_of_work() as session:
        queued = session.scalar(select(MiningRun.id).where(MiningRun.state == "queued").limit(1))
        stale = session.scalar(
            select(MiningRun.id).where(
                MiningRun.state == "running", MiningRun.heartbeat_at < now - STALE_AFTER
            )
        )
    if queued is None and stale is None:
        return None  # the common case, every worker pass: no write lock taken
    with database.unit_of_work(write=True) as session:
        session.execute(
            update(MiningRun)
            .where(MiningRun.state == "running", MiningRun.heartbeat_at < now - STALE_AFTER)
            .values(
                state="failed", claim=None, finished_at=now, error="The worker stopped reporting progress."
            )
        )
        run_id = session.scalar(
            select(MiningRun.id).where(MiningRun.state == "queued").order_by(MiningRun.id).limit(1)
        )
        if run_id is None:
            return None
        try:
            with session.begin_nested():
                claimed = session.execute(
                    update(MiningRun)
                    .where(MiningRun.id == run_id, MiningRun.state == "queued")
                    .values(state="running", claim=1, started_at=now, heartbeat_at=now, stage="starting")
                ).rowcount
        except IntegrityError:  # another run holds the claim
            return None
    return run_id if claimed == 1 else None


def execute(
    database: Database, run_id: int, *, progress: Callable[[str, float], None] | None = None
) -> RunInfo:
    """Run a claimed re-mine to the end, writing its progress; the run row records the outcome."""
    last = {"stage": "", "at": 0.0}

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)
        moment = time.monotonic()
        if stage == last["stage"] and moment - last["at"] < PROGRESS_EVERY:
            return
        last.update(stage=stage, at=moment)
        with database.unit_of_work(write=True) as session:
            session.execute(
                update(MiningRun)
                .where(MiningRun.id == run_id)
                .values(
                    stage=stage[:40],
                    progress=round(min(max(fraction, 0.0), 1.0), 4),
                    heartbeat_at=clock.now(),
                )
            )

    try:
        outcome = remining.remine(database, progress=report)
    except Exception as error:
        log.exception("re-mine %s failed", run_id)
        values = {"state": "failed", "error": f"{type(error).__name__}: {error}"[:2000]}
    else:
        values = {
            "state": "done",
            "stage": "done",
            "progress": 1.0,
            "posts": outcome.posts,
            "k": outcome.k,
            "created": outcome.created,
            "kept": outcome.kept,
            "retired": outcome.retired,
        }
    with database.unit_of_work(write=True) as session:
        session.execute(
            update(MiningRun)
            .where(MiningRun.id == run_id)
            .values(claim=None, finished_at=clock.now(), **values)
        )
    return read_run(database, run_id)


def run_pending(database: Database) -> RunInfo | None:
    """The worker job: queue the nightly re-mine when due, then run a queued one if no other runs."""
    now = clock.now()
    hour = get_settings().remine_hour
    if hour >= 0 and now.hour >= hour:
        with database.unit_of_work() as session:
            due = (
                session.scalar(select(MiningRun.id).where(MiningRun.nightly_date == now.date().isoformat()))
                is None
            )
        if due:
            with database.unit_of_work(write=True) as session:
                queue_nightly(session, now=now, hour=hour)
    run_id = claim_next(database)
    return execute(database, run_id) if run_id is not None else None
