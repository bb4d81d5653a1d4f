"""The demo community is seeded through the services, reproducibly, with every kind and status."""

from __future__ import annotations

from sqlalchemy import func, select

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post, Reply, StatusChange
from fanloop.core import clock as clock_module
from fanloop.demo.seed import DEMO_PASSWORD, demo_accounts, is_seeded, seed_demo
from fanloop.releases import service as releases
from fanloop.releases.models import Release, ReleaseCredit


def snapshot(session):
    return [
        (p.title, p.kind, p.status, p.vote_count, p.reply_count, p.created_at)
        for p in session.scalars(select(Post).order_by(Post.id))
    ]


def test_seed_is_reproducible_and_varied(database, clock):
    progress = []
    summary = seed_demo(database, posts_count=120, seed=3, progress=lambda done, total: progress.append(done))
    assert progress[-1] == 120 and summary.posts == 120
    assert clock_module.get_clock() is clock  # the seeder's clock does not leak
    with database.unit_of_work() as session:
        assert is_seeded(session)
        first = snapshot(session)
        kinds = set(session.scalars(select(Post.kind)))
        statuses = set(session.scalars(select(Post.status)))
        languages = set(session.scalars(select(Post.language)))
        staff_replies = session.scalar(
            select(func.count()).select_from(Reply).where(Reply.is_staff.is_(True))
        )
        members = session.scalar(select(func.count()).select_from(Member))
        changes = session.scalar(select(func.count()).select_from(StatusChange))
        newest = session.scalar(select(func.max(Post.created_at)))
        roles = [m.role for m in demo_accounts(session)]
        published = list(session.scalars(select(Release).where(Release.state == "published")))
        credits = session.scalar(select(func.count()).select_from(ReleaseCredit))
        draft = releases.open_release(session)
        draft_items = len(releases.items_of(session, draft.id))
    # Weekly releases shipped the shipped posts, credited fans, and this week's draft waits.
    assert len(published) >= 3 and credits > 0
    assert all(release.published_at <= clock.now() for release in published)
    assert draft.state == "draft" and draft.planned_for > max(r.planned_for for r in published) and draft_items > 0
    assert kinds == {"bug", "suggestion", "complaint", "question", "praise"}
    assert {"open", "planned", "shipped"} <= statuses
    assert languages == {"en", "zh_CN"}
    assert members >= 60 and staff_replies > 0 and changes > 0
    assert newest <= clock.now()
    assert roles == ["admin", "lead", "staff", "fan"]

    from sqlalchemy import text

    from fanloop.core.db import Base

    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f"DELETE FROM {table.name}"))
    seed_demo(database, posts_count=120, seed=3)
    with database.unit_of_work() as session:
        assert snapshot(session) == first


def test_demo_password_logs_in(database, client, clock):
    seed_demo(database, posts_count=5, seed=1)
    with database.unit_of_work() as session:
        fan = demo_accounts(session)[-1]
    response = client.post("/api/v1/auth/login", json={"login": fan.handle, "password": DEMO_PASSWORD})
    assert response.status_code == 200


def test_the_demo_has_channels_a_campaign_and_referral_sign_ups(database, clock):
    from fanloop.growth.models import CampaignPost, Channel, ImportRun, MemberOrigin, Mention
    from fanloop.service.sla.models import SlaClock

    seed_demo(database, posts_count=20, seed=2)
    with database.unit_of_work() as session:
        assert set(session.scalars(select(Channel.slug))) == {"weibo", "app-store"}
        mentions = session.scalar(select(func.count()).select_from(Mention))
        origins = dict(session.execute(select(MemberOrigin.source, func.count()).group_by(MemberOrigin.source)).all())
        participating = session.scalar(select(func.count()).select_from(CampaignPost))
        run = session.scalar(select(ImportRun))
        live = session.scalar(
            select(func.count())
            .select_from(SlaClock)
            .join(Mention, Mention.post_id == SlaClock.post_id)
            .where(SlaClock.state == "running")
        )
    assert mentions > 300 and participating > 50
    assert origins["channel"] > 20 and origins["referral"] > 20
    assert (run.imported, run.rejected) == (3, 1)
    assert live >= 3  # the latest mentions wait in the inbox with their clocks


def test_the_demo_desk_starts_as_a_team_would_recognise_it(database, clock):
    """A few live posts due soon, each with someone who has room for it; imported history
    answered as a team would have, what was left unanswered in the backlog, not in the live lanes."""
    from fanloop.growth.models import Mention
    from fanloop.service.rota import service as rota
    from fanloop.service.rota.models import RotaMember
    from fanloop.service.sla import service as sla
    from fanloop.service.sla.models import SlaClock

    seed_demo(database, posts_count=60, seed=2)
    now = clock.now()
    with database.unit_of_work() as session:
        live = session.execute(
            select(SlaClock.post_id, SlaClock.due_at, SlaClock.assignee_id).where(*sla.live_reply_clock(now))
        ).all()
        loads = rota.loads(session, now)
        capacities = dict(session.execute(select(RotaMember.member_id, RotaMember.capacity)).all())
        mentions = session.scalar(select(func.count()).select_from(Mention))
        unanswered_mentions = session.scalar(
            select(func.count())
            .select_from(SlaClock)
            .join(Mention, Mention.post_id == SlaClock.post_id)
            .where(SlaClock.kind == "first_reply", SlaClock.state == "running")
        )
        answered_mentions = session.scalar(
            select(func.count())
            .select_from(SlaClock)
            .join(Mention, Mention.post_id == SlaClock.post_id)
            .where(SlaClock.kind == "first_reply", SlaClock.state == "stopped")
        )
    due_soon = [row for row in live if row.due_at > now]
    assert len(due_soon) >= 5  # three forum posts and the latest mentions, minutes old
    assert all(row.assignee_id is not None for row in live)  # nobody's live post waits for an owner
    assert all(loads.get(member_id, 0) < capacity for member_id, capacity in capacities.items())
    assert answered_mentions > 0.9 * mentions
    assert unanswered_mentions < 0.06 * mentions
