"""The re-mine job: queued nightly once a day and on demand, claimed by one worker at a time,
progress in its row, failures recorded; and the `fanloop remine` command."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from painpoints_support import encode_all, make_groups, members_of
from sqlalchemy import func, select
from typer.testing import CliRunner

from fanloop.cli.main import app as cli
from fanloop.community.members.models import Member
from fanloop.core.config import get_settings
from fanloop.core.errors import Forbidden
from fanloop.insights.painpoints import centroids, scheduled
from fanloop.insights.painpoints.models import MiningRun, PainPoint
from fanloop.insights.vectors import index as vector_index


@pytest.fixture(autouse=True)
def _fresh_caches():
    centroids.forget()
    vector_index.forget_indexes()
    yield
    centroids.forget()


@pytest.fixture
def people(seed, clock):
    seed.board()
    return {"fan": seed.member("fan"), "lead": seed.member("lead"), "staff": seed.member("staff")}


def _runs(database) -> list[MiningRun]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(MiningRun).order_by(MiningRun.id)))


def test_a_lead_queues_one_run_and_staff_may_not(database, people):
    with database.unit_of_work(write=True) as session:
        lead = session.get(Member, people["lead"].id)
        first = scheduled.request_remine(session, actor=lead)
        again = scheduled.request_remine(session, actor=lead)
        with pytest.raises(Forbidden):
            scheduled.request_remine(session, actor=session.get(Member, people["staff"].id))
    assert first.id == again.id and first.state == "queued" and first.requested_by == people["lead"].handle


def test_two_concurrent_claims_run_the_job_once(database, people):
    with database.unit_of_work(write=True) as session:
        scheduled.request_remine(session, actor=session.get(Member, people["lead"].id))
        session.add(  # a second queued run (a nightly one, say) must wait for the first
            MiningRun(
                state="queued",
                trigger="nightly",
                requested_at=people["lead"].created_at,
                stage="queued",
                progress=0.0,
                posts=0,
                created=0,
                kept=0,
                retired=0,
                error="",
            )
        )
    barrier = threading.Barrier(2)
    claimed: list[int | None] = []

    def claim() -> None:
        barrier.wait()
        claimed.append(scheduled.claim_next(database))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [run_id for run_id in claimed if run_id is not None]
    assert len(winners) == 1
    assert [run.state for run in _runs(database)] == ["running", "queued"]
    assert scheduled.claim_next(database) is None  # still running: nobody else may start
    scheduled.execute(database, winners[0])
    assert scheduled.claim_next(database) is not None  # now the next one may


def test_the_nightly_run_is_queued_once_a_day_after_its_hour(database, people, clock):
    morning = clock.now().replace(hour=2, minute=0)
    with database.unit_of_work(write=True) as session:
        assert not scheduled.queue_nightly(session, now=morning, hour=3)
        assert scheduled.queue_nightly(session, now=morning + timedelta(hours=1), hour=3)
        assert not scheduled.queue_nightly(session, now=morning + timedelta(hours=5), hour=3)
        assert not scheduled.queue_nightly(session, now=morning + timedelta(hours=5), hour=-1)
        assert scheduled.queue_nightly(session, now=morning + timedelta(days=1, hours=1), hour=3)
    assert [(run.trigger, run.nightly_date) for run in _runs(database)] == [
        ("nightly", morning.date().isoformat()),
        ("nightly", (morning + timedelta(days=1)).date().isoformat()),
    ]


def test_the_worker_job_runs_a_queued_remine_and_records_progress(database, settings, people):
    make_groups(database, settings, people["fan"])
    encode_all(database)
    with database.unit_of_work(write=True) as session:
        run = scheduled.request_remine(session, actor=session.get(Member, people["lead"].id))
    seen: list[tuple[str, float]] = []

    run_id = scheduled.claim_next(database)
    result = scheduled.execute(
        database, run_id, progress=lambda stage, fraction: seen.append((stage, fraction))
    )

    assert result.id == run.id and result.state == "done" and result.progress == 1.0
    assert result.posts == 18 and result.created == 3 and result.finished_at is not None
    assert [stage for stage, _ in seen][0] == "loading" and seen[-1] == ("done", 1.0)
    assert [f for _, f in seen] == sorted(f for _, f in seen)  # progress only moves forward
    assert len(members_of(database)) == 3


def test_the_worker_job_queues_and_runs_the_nightly_remine_at_its_hour(
    database, settings, people, clock, monkeypatch
):
    make_groups(database, settings, people["fan"])
    encode_all(database)
    monkeypatch.setenv("FANLOOP_REMINE_HOUR", str((clock.now().hour + 1) % 24))
    get_settings.cache_clear()
    try:
        assert scheduled.run_pending(database) is None  # not yet its hour
        clock.advance(hours=1)
        ran = scheduled.run_pending(database)
        assert ran is not None and ran.trigger == "nightly" and ran.state == "done"
        assert scheduled.run_pending(database) is None  # once a day
    finally:
        get_settings.cache_clear()
    assert len(members_of(database)) == 3


def test_a_failing_remine_is_recorded_and_frees_the_claim(database, people, monkeypatch):
    from fanloop.insights.painpoints import remine

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(remine, "remine", broken)
    with database.unit_of_work(write=True) as session:
        scheduled.request_remine(session, actor=session.get(Member, people["lead"].id))
    result = scheduled.execute(database, scheduled.claim_next(database))
    assert result.state == "failed" and "disk full" in result.error
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).where(MiningRun.claim.is_not(None))) == 0


def test_a_run_whose_worker_died_is_failed_after_a_while(database, people, clock):
    with database.unit_of_work(write=True) as session:
        scheduled.request_remine(session, actor=session.get(Member, people["lead"].id))
    dead = scheduled.claim_next(database)
    with database.unit_of_work(write=True) as session:
        scheduled.request_remine(session, actor=session.get(Member, people["lead"].id))
    assert scheduled.claim_next(database) is None
    clock.advance(minutes=31)
    assert scheduled.claim_next(database) is not None
    assert _runs(database)[0].id == dead and _runs(database)[0].state == "failed"


def test_the_remine_command_encodes_mines_and_reports(database, database_url, settings, people, monkeypatch):
    make_groups(database, settings, people["fan"])
    monkeypatch.setenv("FANLOOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["remine"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert "re-mined 18 posts into 3 pain points" in result.output
    assert "Re-mining pain points" in result.output
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PainPoint)) == 3
    assert [(run.trigger, run.state) for run in _runs(database)] == [("command", "done")]
