"""Seed a believable bilingual demo community, reproducibly (fixed seed), through the real services.

Posts are spread over the last eight weeks by moving the injectable clock, so hot/new ordering,
status timelines and fan levels look like a community that has been running for a while."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board, Post, Tag
from fanloop.core import clock as clock_module
from fanloop.core.config import Settings
from fanloop.core.db import Database
from fanloop.core.permissions import Role
from fanloop.core.security import hash_password
from fanloop.core.text import render_markdown
from fanloop.demo import content
from fanloop.demo.growth import seed_growth
from fanloop.releases import flows
from fanloop.releases import service as releases
from fanloop.service.rota.models import RotaMember
from fanloop.service.sla.scheduled import sweep

DEMO_PASSWORD = "fanloop-demo"
STATUS_WEIGHTS = {
    "open": 46,
    "acknowledged": 14,
    "planned": 10,
    "in_progress": 8,
    "shipped": 12,
    "declined": 5,
    "duplicate": 5,
}
STATUS_PATH = {
    "acknowledged": ["acknowledged"],
    "planned": ["acknowledged", "planned"],
    "in_progress": ["acknowledged", "planned", "in_progress"],
    # Shipped posts reach "shipped" through the weekly releases (see _seed_releases).
    "shipped": ["acknowledged", "planned", "in_progress"],
    "declined": ["declined"],
}
RELEASE_ITEMS = 25
RELEASE_NOTES = (
    "感谢每一位反馈、确认和投票的粉丝！本周版本的改进都来自社区。\n\n"
    "Thanks to every fan who reported, confirmed and voted: this week's changes all came from you."
)
STATUS_NOTES = {
    "acknowledged": ("已复现，感谢反馈。", "Reproduced, thanks for the report."),
    "planned": ("已排入下个版本计划。", "Planned for an upcoming release."),
    "in_progress": ("工程师正在处理。", "An engineer is working on it."),
    "shipped": ("已在本周版本中发布。", "Shipped in this week's release."),
    "declined": ("暂不考虑，原因见回复。", "Not planned for now; see the reply for why."),
}


class _CappedClock(clock_module.FrozenClock):
    """A frozen clock that never runs past the real present: demo replies are not from the future."""

    def __init__(self, start, limit) -> None:  # noqa: ANN001
        super().__init__(start)
        self.limit = limit

    def set(self, at) -> None:  # noqa: ANN001
        super().set(min(at, self.limit))


@dataclass(slots=True)
class DemoSummary:
    members: int
    posts: int
    replies: int
    votes: int


def demo_accounts(session: Session) -> list[Member]:
    """One account per role, to log in with."""
    accounts = []
    for role in ("admin", "lead", "staff", "fan"):
        member = session.scalar(select(Member).where(Member.role == role).order_by(Member.id).limit(1))
        if member is not None:
            accounts.append(member)
    return accounts


def is_seeded(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Post)) or 0) > 0


def seed_demo(
    database: Database,
    *,
    posts_count: int = 1000,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create members, boards, tags, posts, replies, votes and status histories. Reproducible for a seed."""
    rng = random.Random(seed)
    settings = Settings(post_rate_limit=10**9, reply_rate_limit=10**9, signup_rate_limit=10**9)
    previous_clock = clock_module.get_clock()
    present = previous_clock.now()
    real_now = present.replace(minute=0, second=0, microsecond=0)
    # History is laid out from the hour; what happened in the last minutes (fresh posts, the
    # latest mentions) and the sweep at the end are at the present, so "due soon" is true.
    frozen = _CappedClock(real_now - timedelta(days=60), present)
    clock_module.set_clock(frozen)
    try:
        with database.unit_of_work() as session:
            member_ids = _seed_members(session, rng)
            _seed_catalog(session)
        specs = content.make_posts(rng, posts_count)
        # Creation times, oldest first, denser towards today like a growing community.
        offsets = sorted(rng.betavariate(1.6, 1.0) * (60 * 86400 - 900) for _ in specs)
        totals = DemoSummary(members=len(member_ids["all"]), posts=0, replies=0, votes=0)
        created: list[int] = []
        to_ship: list[tuple[datetime, int]] = []
        for index, (spec, offset) in enumerate(zip(specs, offsets, strict=True)):
            frozen.set(real_now - timedelta(days=60) + timedelta(seconds=offset))
            with database.unit_of_work() as session:
                post_id, replies, votes, ships = _seed_post(
                    session, rng, spec, member_ids, created, settings, frozen
                )
            created.append(post_id)
            if ships:
                to_ship.append((frozen.now() + timedelta(days=3), post_id))
            totals.posts += 1
            totals.replies += replies
            totals.votes += votes
            if progress:
                progress(index + 1, len(specs))
        _seed_releases(database, frozen, to_ship, real_now - timedelta(days=60))
        seed_growth(database, frozen, real_now, rng)
        _seed_fresh_posts(database, rng, member_ids, settings, frozen, present)
        frozen.set(present)
        with database.unit_of_work(write=True) as session:
            while sweep(session):  # fire what came due while the community "ran"
                pass
        return totals
    finally:
        clock_module.set_clock(previous_clock)


FRESH_POSTS_MINUTES = (1, 4, 9)


def _seed_fresh_posts(
    database: Database,
    rng: random.Random,
    member_ids: dict[str, list[int]],
    settings: Settings,
    frozen: clock_module.FrozenClock,
    present: datetime,
) -> None:
    """A few forum posts written minutes before the demo starts and not answered yet: what a team
    opening the inbox sees due soon, assigned to people with room for them."""
    for minutes, spec in zip(
        FRESH_POSTS_MINUTES, content.make_posts(rng, len(FRESH_POSTS_MINUTES)), strict=True
    ):
        frozen.set(present - timedelta(minutes=minutes))
        with database.unit_of_work(write=True) as session:
            posts.create_post(
                session,
                author=session.get(Member, rng.choice(member_ids["fan"])),
                data=_post_input(spec),
                settings=settings,
            )


def _seed_members(session: Session, rng: random.Random) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {"all": [], "fan": [], "staff": []}
    shared_hash = hash_password(DEMO_PASSWORD)
    for spec in content.make_members(rng):
        member = members.sign_up(
            session,
            handle=spec.handle,
            email=f"{spec.handle}@demo.fanloop.test",
            password=DEMO_PASSWORD,
            display_name=spec.display_name,
            language=spec.lang,
            role=Role(spec.role),
            password_hash=shared_hash,
        )
        ids["all"].append(member.id)
        ids["fan" if spec.role == "fan" else "staff"].append(member.id)
        if spec.role in ("staff", "lead"):
            session.add(_rota_entry(member.id, spec.skills))
    return ids


def _rota_entry(member_id: int, skills: tuple[str, ...]) -> RotaMember:
    """Everyone answers: staff and leads join the rota with their skills."""
    board_slugs = {slug for slug, *_ in content.BOARDS}
    tag_slugs = {slug for slug, *_ in content.TAGS}
    return RotaMember(
        member_id=member_id,
        on_rota=True,
        availability="on_duty",
        capacity=8,
        team="engineering" if any(s in tag_slugs for s in skills) else "support",
        boards=[s for s in skills if s in board_slugs],
        tags=[s for s in skills if s in tag_slugs],
        languages=[s for s in skills if s in ("en", "zh_CN")],
    )


def _seed_catalog(session: Session) -> None:
    for position, (slug, name_en, name_zh, description) in enumerate(content.BOARDS):
        session.add(
            Board(slug=slug, name=name_en, name_zh=name_zh, description=description, position=position)
        )
    for slug, name_en, name_zh in content.TAGS:
        session.add(Tag(slug=slug, name=name_en, name_zh=name_zh))
    session.flush()


def _post_input(spec: content.PostSpec) -> posts.PostInput:
    return posts.PostInput(
        board=spec.board,
        kind=spec.kind,
        title=spec.title,
        body=spec.body,
        tags=spec.tags,
        device_model=spec.device_model,
        os_version=spec.os_version,
        steps_to_reproduce=spec.steps_to_reproduce,
    )


def _seed_post(
    session: Session,
    rng: random.Random,
    spec: content.PostSpec,
    member_ids: dict[str, list[int]],
    earlier: list[int],
    settings: Settings,
    frozen: clock_module.FrozenClock,
) -> tuple[int, int, int]:
    author = session.get(Member, rng.choice(member_ids["fan"]))
    post = posts.create_post(session, author=author, data=_post_input(spec), settings=settings)
    start = frozen.now()
    replies = _seed_replies(session, rng, spec, post, member_ids, settings, frozen)
    voters = rng.sample(member_ids["fan"], k=min(len(member_ids["fan"]), int(rng.paretovariate(1.3)) - 1))
    for voter_id in voters:
        if voter_id != author.id:
            posts.set_vote(session, member=session.get(Member, voter_id), post_id=post.id, voted=True)
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    staff = session.get(Member, rng.choice(member_ids["staff"]))
    if status == "duplicate" and earlier:
        frozen.set(start + timedelta(hours=rng.uniform(1, 30)))
        candidates = [pid for pid in earlier[-60:] if session.get(Post, pid).merged_into_id is None]
        if candidates:
            posts.merge_posts(session, actor=staff, duplicate_id=post.id, into_id=rng.choice(candidates))
    for step in STATUS_PATH.get(status, []):
        frozen.set(frozen.now() + timedelta(hours=rng.uniform(2, 72)))
        note_zh, note_en = STATUS_NOTES[step]
        posts.change_status(
            session,
            actor=staff,
            post_id=post.id,
            status=step,
            note=note_zh if spec.lang == "zh_CN" else note_en,
        )
    frozen.set(start)
    return post.id, replies, len(voters), status == "shipped"


def _seed_releases(
    database: Database, frozen: _CappedClock, to_ship: list[tuple[datetime, int]], since: datetime
) -> None:
    """Weekly releases on the default cadence (Friday 17:00 Beijing time) since `since`, each shipping
    the posts that were in progress by then, published by the lead; then this week's open draft holds
    what is in progress now."""
    with database.unit_of_work() as session:
        lead_id = next(member.id for member in demo_accounts(session) if member.role == "lead")
    waiting = sorted(to_ship)
    frozen.set(since)
    while waiting:
        with database.unit_of_work(write=True) as session:
            lead = session.get(Member, lead_id)
            release = releases.ensure_open_release(session)
            due = release.planned_for
            if due > frozen.limit:  # this week's release: a draft, not yet published
                for _, post_id in waiting[:RELEASE_ITEMS]:
                    releases.add_item(session, actor=lead, release_id=release.id, post_id=post_id)
                return
            batch = [post_id for ready, post_id in waiting if ready <= due][:RELEASE_ITEMS]
            if not batch:  # nothing ready that week: no release; the next week's opens instead
                session.delete(release)
                frozen.set(due)
                continue
            for post_id in batch:
                releases.add_item(session, actor=lead, release_id=release.id, post_id=post_id)
            release.notes = RELEASE_NOTES
            release.notes_html = render_markdown(RELEASE_NOTES)
            frozen.set(due)
            flows.publish(session, actor=lead, release_id=release.id)
        shipped = set(batch)
        waiting = [(ready, post_id) for ready, post_id in waiting if post_id not in shipped]


def _seed_replies(
    session: Session,
    rng: random.Random,
    spec: content.PostSpec,
    post: Post,
    member_ids: dict[str, list[int]],
    settings: Settings,
    frozen: clock_module.FrozenClock,
) -> int:
    start = frozen.now()
    # Only the last hours' posts may still be waiting for an answer; older ones all got one.
    recent = frozen.limit - start < timedelta(hours=12)
    count = rng.choices([0, 1, 2, 3, 4, 6], weights=[30 if recent else 0, 35, 27, 15, 12, 8])[0]
    for index in range(count):
        # Nearly every post gets a staff answer first, within minutes (the 15-minute rule at work);
        # a few are late, which the KPIs show.
        is_staff = index == 0 and (not recent or rng.random() < 0.97) or rng.random() < 0.2
        first_delay = rng.uniform(1, 14) if rng.random() < 0.93 else rng.uniform(15, 45)
        frozen.set(frozen.now() + timedelta(minutes=first_delay if index == 0 else rng.uniform(10, 600)))
        if index == 0:
            sweep(session)  # what the worker would have fired by now, e.g. a breach before a late reply
        pool = member_ids["staff" if is_staff else "fan"]
        if not recent:  # an old thread's author did not come back unanswered
            pool = [member_id for member_id in pool if member_id != post.author_id]
        replier = session.get(Member, rng.choice(pool))
        posts.add_reply(
            session,
            author=replier,
            post_id=post.id,
            body=content.make_reply(rng, spec, staff=is_staff),
            settings=settings,
        )
    frozen.set(start)
    return count
