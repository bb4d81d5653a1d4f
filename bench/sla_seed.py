"""Seed a freshly migrated fanloop database for the SLA benchmark (bench/sla.py), quickly.

People, boards, tags, the rota and the SLA policies go through fanloop's own services and models;
the bulk - fans, and the open posts with their tickets and SLA clocks - is inserted with SQLAlchemy
Core executemany in large batches, with the values the service would have written:

* every seeded post is an open ticket on a regular board under the "Standard" policy (first reply
  within 2 days, resolution within 7, warning at 80 %), with a running first-reply clock and a
  running resolution clock started when the post was written, over the last 44 hours;
* first-reply clocks older than their warning point are already warned, with the warning event
  the sweep would have written; everything else is due hours or days from now;
* each staff member on the rota already has half their capacity of tickets assigned.

Streamed posts (bench/sla_load.py) go to the "urgent" board, whose policy wants a first reply
within one minute and warns at half of it, so that their clocks fall due during the run.
`schedule_due_backlog` then moves a slice of the seeded first-reply clocks so that they breach at
a steady rate during the run as well, as a backlog that falls due would.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, text, update

from fanloop.community.levels.models import XpEvent  # noqa: F401  (registers the table)
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board, Post
from fanloop.core.db import Database
from fanloop.core.permissions import Role
from fanloop.core.text import detect_language, render_markdown
from fanloop.service.desk.models import Ticket
from fanloop.service.rota.models import RotaMember
from fanloop.service.sla.models import SlaClock, SlaEvent, SlaPolicy

REGULAR_BOARDS = [
    ("battery", "Battery & charging", "电池与充电"),
    ("sync", "Sync & backup", "同步与备份"),
    ("app", "Mobile app", "手机应用"),
    ("watch", "Watch & wearables", "手表与穿戴"),
    ("audio", "Audio", "音频"),
    ("ideas", "Ideas", "新想法"),
]
URGENT_BOARD = ("urgent", "Account & payment problems", "账户与支付问题")
TAGS = [("android", "Android"), ("ios", "iOS"), ("firmware", "Firmware"), ("bluetooth", "Bluetooth")]
KINDS = ["bug", "question", "complaint", "suggestion"]
TITLES = [
    "Battery drains overnight after the last update",
    "Sync stops after a few minutes",
    "The watch face shows the wrong time zone",
    "Pairing fails on the new firmware",
    "升级后电池续航明显变短",
    "同步经常中断",
    "Heart-rate alerts fire every few minutes",
    "Backup to the cloud lost my history",
]
BODIES = [
    "Since the update this happens every day, usually in the morning.",
    "Restarting the phone helps for an hour or so, then it starts again.\n\nI tried **unpairing**.",
    "Steps:\n\n1. Open the app\n2. Go to *Settings > Sync*\n3. Wait a minute",
    "自从上次更新以后，每天早上都会出现这个问题。",
    "我已经尝试**重新配对**，没有任何变化。",
]

STAFF_COUNT = 8
LEAD_COUNT = 2
ROTA_CAPACITY = 20
STANDARD_FIRST_REPLY_MINUTES = 2 * 24 * 60
STANDARD_RESOLUTION_MINUTES = 7 * 24 * 60
STANDARD_WARNING_SHARE = 0.8
URGENT_FIRST_REPLY_MINUTES = 1
URGENT_WARNING_SHARE = 0.5
BACKLOG_HOURS = 44
PASSWORD = "bench-password-1"


@dataclass(slots=True)
class Seeded:
    clocks: int
    posts: int
    fans: int
    seconds: float


def seed(url: str, *, clocks: int, fans: int = 2000, seed: int = 11) -> Seeded:
    """Seed the (migrated, empty) database at `url` with `clocks` open SLA clocks (two per post)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    db = Database(url)
    try:
        staff_ids, fan_ids, board_ids, standard = _people_and_catalog(db, rng, fans)
        post_count = _backlog(db, rng, clocks, staff_ids, fan_ids, board_ids, standard)
    finally:
        db.dispose()
    if url.startswith("sqlite"):
        _settle_sqlite(url)
    return Seeded(
        clocks=post_count * 2, posts=post_count, fans=len(fan_ids), seconds=time.perf_counter() - started
    )


def _people_and_catalog(db: Database, rng: random.Random, fans: int):
    with db.unit_of_work(write=True) as session:
        admin = members.sign_up(
            session, handle="desk_admin", email="admin@desk.example", password=PASSWORD, role=Role.ADMIN
        )
        password_hash = admin.password_hash
        for i in range(LEAD_COUNT):
            members.sign_up(
                session,
                handle=f"desk_lead_{i}",
                email=f"lead{i}@desk.example",
                password=PASSWORD,
                role=Role.LEAD,
                password_hash=password_hash,
            )
        staff_ids = []
        for i in range(STAFF_COUNT):
            member = members.sign_up(
                session,
                handle=f"desk_staff_{i}",
                email=f"staff{i}@desk.example",
                password=PASSWORD,
                role=Role.STAFF,
                password_hash=password_hash,
            )
            staff_ids.append(member.id)
        for slug, name, name_zh in [*REGULAR_BOARDS, URGENT_BOARD]:
            posts.create_board(session, actor=admin, slug=slug, name=name, name_zh=name_zh)
        for slug, name in TAGS:
            posts.create_tag(session, actor=admin, slug=slug, name=name)
        for i, member_id in enumerate(staff_ids):
            session.add(
                RotaMember(
                    member_id=member_id,
                    on_rota=True,
                    availability="on_duty",
                    capacity=ROTA_CAPACITY,
                    team="desk",
                    boards=[REGULAR_BOARDS[i % len(REGULAR_BOARDS)][0], URGENT_BOARD[0]],
                    tags=[TAGS[i % len(TAGS)][0]],
                    languages=["zh"] if i % 3 == 0 else ["en"],
                )
            )
        regular = [slug for slug, _, _ in REGULAR_BOARDS]
        session.add(
            SlaPolicy(
                name="Urgent board",
                position=0,
                is_default=False,
                conditions={"boards": [URGENT_BOARD[0]]},
                first_reply_minutes=URGENT_FIRST_REPLY_MINUTES,
                next_reply_minutes=URGENT_FIRST_REPLY_MINUTES,
                resolution_minutes=None,
                warning_share=URGENT_WARNING_SHARE,
            )
        )
        standard = SlaPolicy(
            name="Standard",
            position=10,
            is_default=False,
            conditions={"boards": regular},
            first_reply_minutes=STANDARD_FIRST_REPLY_MINUTES,
            next_reply_minutes=STANDARD_FIRST_REPLY_MINUTES,
            resolution_minutes=STANDARD_RESOLUTION_MINUTES,
            warning_share=STANDARD_WARNING_SHARE,
        )
        session.add(standard)
        session.flush()
        standard_id = standard.id
        board_ids = dict(session.execute(select(Board.slug, Board.id)).all())

    now = datetime.now(UTC)
    rows = [
        {
            "handle": f"fan_{i:05d}",
            "email": f"fan_{i:05d}@desk.example",
            "display_name": f"Fan {i}",
            "password_hash": password_hash,
            "role": "fan",
            "language": "zh_CN" if i % 5 == 0 else "en",
            "bio": "",
            "xp": max(0, int(rng.paretovariate(1.1) * 10) - 10),
            "is_suspended": False,
            "created_at": now - timedelta(days=400, minutes=i),
        }
        for i in range(fans)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Member), rows)
        fan_ids = list(connection.scalars(select(Member.id).where(Member.role == "fan").order_by(Member.id)))
    regular_ids = [board_ids[slug] for slug, _, _ in REGULAR_BOARDS]
    return staff_ids, fan_ids, regular_ids, standard_id


def _backlog(
    db: Database,
    rng: random.Random,
    clocks: int,
    staff_ids: list[int],
    fan_ids: list[int],
    board_ids: list[int],
    policy_id: int,
) -> int:
    """Open posts with their tickets and two running clocks each; returns the number of posts."""
    count = max(1, clocks // 2)
    bodies = [(b, render_markdown(b)) for b in BODIES]
    languages: dict[tuple[str, str], str] = {}
    now = datetime.now(UTC)
    span = BACKLOG_HOURS * 3600
    first_target = STANDARD_FIRST_REPLY_MINUTES * 60
    resolution_target = STANDARD_RESOLUTION_MINUTES * 60
    with db.engine.connect() as connection:
        first_post = (connection.scalar(select(func.max(Post.id))) or 0) + 1
        first_clock = (connection.scalar(select(func.max(SlaClock.id))) or 0) + 1
    # Half of each person's capacity is taken by seeded tickets.
    assignees = [member_id for member_id in staff_ids for _ in range(ROTA_CAPACITY // 2)]
    batch = 10_000
    clock_id = first_clock
    with db.engine.begin() as connection:
        if db.is_sqlite:
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
        for offset in range(0, count, batch):
            post_rows, ticket_rows, clock_rows, event_rows = [], [], [], []
            for i in range(offset, min(offset + batch, count)):
                post_id = first_post + i
                # Oldest first, so that ids grow with time as they do on a live site.
                created = now - timedelta(seconds=span * (count - i) / count + rng.random() * 20)
                title = rng.choice(TITLES)
                body, body_html = rng.choice(bodies)
                language = languages.get((title, body))
                if language is None:
                    language = languages[(title, body)] = detect_language(f"{title} {body}")
                post_rows.append(
                    {
                        "id": post_id,
                        "board_id": rng.choice(board_ids),
                        "author_id": rng.choice(fan_ids),
                        "kind": rng.choice(KINDS),
                        "status": "open",
                        "title": title,
                        "body": body,
                        "body_html": body_html,
                        "language": language,
                        "channel": "forum",
                        "vote_count": 0,
                        "reply_count": 0,
                        "follower_count": 1,
                        "hot_score": 0.0,
                        "is_hidden": False,
                        "is_locked": False,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                assignee = assignees[i] if i < len(assignees) else None
                ticket_rows.append(
                    {
                        "post_id": post_id,
                        "state": "open",
                        "priority": "normal",
                        "assignee_id": assignee,
                        "assigned_at": created if assignee else None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                for kind, target in (("first_reply", first_target), ("resolution", resolution_target)):
                    warn_at = created + timedelta(seconds=target * STANDARD_WARNING_SHARE)
                    due_at = created + timedelta(seconds=target)
                    warned = warn_at <= now
                    clock_rows.append(
                        {
                            "id": clock_id,
                            "post_id": post_id,
                            "policy_id": policy_id,
                            "kind": kind,
                            "state": "running",
                            "started_at": created,
                            "target_seconds": target,
                            "warn_at": warn_at,
                            "due_at": due_at,
                            "next_event_at": due_at if warned else warn_at,
                            "warned": warned,
                            "breached": False,
                            "running_since": created,
                            "used_seconds": 0.0,
                            "assignee_id": assignee,
                        }
                    )
                    if warned:
                        event_rows.append(_past_warning(clock_id, post_id, warn_at, assignee))
                    clock_id += 1
            connection.execute(insert(Post), post_rows)
            connection.execute(insert(Ticket), ticket_rows)
            connection.execute(insert(SlaClock), clock_rows)
            if event_rows:
                connection.execute(insert(SlaEvent), event_rows)
        if db.engine.dialect.name == "postgresql":
            for table in ("posts", "sla_clocks", "sla_events"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return count


def _past_warning(clock_id: int, post_id: int, warn_at: datetime, assignee: int | None) -> dict:
    return {
        "clock_id": clock_id,
        "post_id": post_id,
        "kind": "warning",
        "due_at": warn_at,
        "fired_at": warn_at + timedelta(milliseconds=300),
        "assignee_id": assignee,
    }


def schedule_due_backlog(
    url: str,
    *,
    start: datetime,
    seconds: float,
    count: int,
    burst_at: datetime | None = None,
    burst: int = 0,
    seed: int = 5,
) -> int:
    """Move `count` seeded first-reply clocks so that they breach one after another, evenly, from
    `start` for `seconds`: posts written two days earlier, warned long ago (with the warning event
    the sweep wrote then), reaching their target now. With `burst`, that many more all breach at
    `burst_at`, as the clocks of a weekend's posts under a working-hours calendar do on Monday
    morning. Returns how many were moved."""
    if count + burst <= 0:
        return 0
    rng = random.Random(seed)
    db = Database(url)
    try:
        # Begun for writing (on SQLite: IMMEDIATE), as the workers are already sweeping.
        with db.unit_of_work(write=True) as session:
            connection = session.connection()
            candidates = connection.execute(
                select(SlaClock.id, SlaClock.post_id, SlaClock.target_seconds, SlaClock.assignee_id).where(
                    SlaClock.kind == "first_reply",
                    SlaClock.state == "running",
                    SlaClock.warned.is_(False),
                    # Well clear of the ones whose warning the workers may be firing right now.
                    SlaClock.warn_at > datetime.now(UTC) + timedelta(hours=1),
                )
            ).all()
            chosen = rng.sample(candidates, min(count + burst, len(candidates)))
            steady = len(chosen) - burst
            rows, events = [], []
            for n, (clock_id, post_id, target, assignee) in enumerate(chosen):
                steady_at = start + timedelta(seconds=seconds * (n + 0.5) / max(1, steady))
                due_at = steady_at if n < steady else burst_at
                started_at = due_at - timedelta(seconds=target)
                warn_at = started_at + timedelta(seconds=target * STANDARD_WARNING_SHARE)
                rows.append(
                    {
                        "b_id": clock_id,
                        "b_started": started_at,
                        "b_warn": warn_at,
                        "b_due": due_at,
                    }
                )
                events.append(_past_warning(clock_id, post_id, warn_at, assignee))
            table = SlaClock.__table__
            connection.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    started_at=bindparam("b_started"),
                    running_since=bindparam("b_started"),
                    warn_at=bindparam("b_warn"),
                    due_at=bindparam("b_due"),
                    next_event_at=bindparam("b_due"),
                    warned=True,
                ),
                rows,
            )
            connection.execute(insert(SlaEvent), events)
    finally:
        db.dispose()
    return len(chosen)


def _settle_sqlite(url: str) -> None:
    """Fold the write-ahead log into the database file, as a long-running site would have. (No
    ANALYZE: fanloop does not run it, so the planner works without statistics, as on a real site.)"""
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()
