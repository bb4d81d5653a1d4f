"""Demo growth: two channels (Weibo and the app store) whose mentions arrived day by day over the
last month, a "Show your first phone" campaign with its hashtag and a referral link, and the fans
who signed up through it, so the channel, campaign and growth pages have something to show.

Mentions reuse the forum's post generator (the same pain points come up outside the forum) cut to
social length; a few arrive minutes before the demo starts, so the inbox shows them with clocks."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post
from fanloop.core.config import Settings
from fanloop.core.db import Database
from fanloop.core.permissions import Role
from fanloop.demo import content
from fanloop.growth import referrals
from fanloop.growth.campaigns import service as campaigns
from fanloop.growth.channels import importer
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.ingest import ingest
from fanloop.growth.channels.rows import mention_from
from fanloop.growth.channels.service import ChannelInput

DAYS = 30
_REPLY_SETTINGS = Settings(reply_rate_limit=10**9)
HASHTAGS = ("晒出你的第一台手机", "MyFirstPhone")
AUTHOR_NAMES = [
    ("xiaoyu_lumen", "小雨"), ("chen_xi", "陈曦"), ("a_jie_2001", "阿杰"), ("momo_photo", "默默拍照"),
    ("li_na_sh", "李娜"), ("gao_peng", "高鹏"), ("tech_wanderer", "Tech Wanderer"), ("night_owl_88", "Night Owl"),
    ("sam_k", "Sam K"), ("priya_r", "Priya R"), ("yang_fan", "杨帆"), ("zhou_ming", "周明"),
    ("lumen_lover", "Lumen Lover"), ("sunny_day", "Sunny"), ("wu_lei", "吴磊"), ("he_jing", "何静"),
]  # fmt: skip


def _short(spec: content.PostSpec) -> str:
    """A post cut to the length of a social mention."""
    first = spec.body.replace("\n", " ").split("。")[0].split(". ")[0]
    return f"{spec.title} {first}"[:180].strip()


def _mention(rng: random.Random, number: int, spec: content.PostSpec, at: datetime, tagged: bool) -> dict:
    handle, name = rng.choice(AUTHOR_NAMES) if rng.random() < 0.5 else (f"fan_{rng.randrange(400):03d}", "")
    text = _short(spec)
    if tagged:
        text += f" #{HASHTAGS[0]}#" if spec.lang == "zh_CN" else f" #{HASHTAGS[1]}"
    return {
        "id": f"wb{number}",
        "author": {"id": handle, "handle": handle, "name": name or handle},
        "text": text,
        "created_at": at.isoformat(),
        "url": f"https://weibo.example/lumen/{number}",
        "reposts": int(rng.paretovariate(1.3)) - 1 + (30 if tagged and rng.random() < 0.1 else 0),
        "likes": int(rng.paretovariate(1.1) * 3) - 3,
        "kind": spec.kind,
    }


def seed_growth(database: Database, frozen, real_now: datetime, rng: random.Random) -> None:  # noqa: ANN001
    """Channels, a month of mentions, the campaign and its referral sign-ups."""
    start = real_now - timedelta(days=DAYS)
    frozen.set(start)
    with database.unit_of_work() as session:
        lead = session.scalar(select(Member).where(Member.role == "lead").order_by(Member.id).limit(1))
        posts.create_board(
            session, actor=lead, slug="social", name="Social mentions", name_zh="社交平台",
            description="What fans say about Lumen on Weibo and in the app store, answered here.",
        )  # fmt: skip
        channels.create_channel(
            session,
            actor=lead,
            data=ChannelInput(
                slug="weibo", name="Weibo", kind="social", board="social", connector="file",
                connector_config={"path": str(database_folder(database) / "weibo-replies.jsonl")},
            ),
        )  # fmt: skip
        channels.create_channel(
            session,
            actor=lead,
            data=ChannelInput(
                slug="app-store", name="App Store", kind="app_store", board="social", post_kind="complaint"
            ),
        )
        campaign = campaigns.create_campaign(
            session,
            actor=lead,
            slug="first-phone",
            name="晒出你的第一台手机 · Show your first phone",
            description="Share a photo of your first phone with the hashtag; the best stories win a Lumen 12.",
            hashtags=list(HASHTAGS),
            starts_at=real_now - timedelta(days=10),
            ends_at=real_now + timedelta(days=4),
            goal_metric="new_members",
            goal_value=60,
            cost="12000",
        )
        link = referrals.create_campaign_link(
            session,
            actor=lead,
            campaign_id=campaign.id,
            label="Weibo pinned post",
            channel_id=weibo_id(session),
        )
        code, campaign_start = link.code, campaign.starts_at
    specs = content.make_posts(rng, 420)
    number = 0
    for day in range(DAYS):
        day_start = start + timedelta(days=day)
        in_campaign = day_start >= campaign_start
        count = rng.randint(14, 22) if in_campaign else rng.randint(6, 12)
        rows = []
        for _ in range(count):
            number += 1
            at = day_start + timedelta(seconds=rng.randrange(86400))
            rows.append(
                _mention(
                    rng,
                    number,
                    specs[number % len(specs)],
                    min(at, real_now),
                    in_campaign and rng.random() < 0.6,
                )
            )
        frozen.set(day_start + timedelta(days=1))
        _ingest(database, rows, frozen.now())
        _answer_mentions(
            database, rng, frozen, {row["id"]: specs[int(row["id"][2:]) % len(specs)] for row in rows}
        )
        frozen.set(day_start + timedelta(days=1))
        if in_campaign:
            _referral_sign_ups(database, rng, code, day, frozen)
    # A few mentions written minutes ago (live: in the inbox with their clocks), imported as a file
    # with one broken row, so the channel page has a report to show.
    present = frozen.limit
    frozen.set(present)
    live = [
        _mention(rng, 10_000 + i, specs[i], present - timedelta(minutes=2 + 3 * i), False) for i in range(3)
    ]
    data = "\n".join(
        [json.dumps(live[0], ensure_ascii=False), '{"id": "wb-broken", "text": "no author"}']
        + [json.dumps(r, ensure_ascii=False) for r in live[1:]]
    )
    importer.import_stream(
        database, channel_slug="weibo", stream=io.BytesIO(data.encode()), name="weibo-latest.jsonl"
    )


# How the team answered a day's mentions: most within the 15 minutes, a few late, and a few left
# unanswered, which the inbox's backlog lane and the KPIs (and the Social board's breaches) show.
ANSWERED_IN_TIME = 0.9
LEFT_UNANSWERED = 0.03


def _answer_mentions(database: Database, rng: random.Random, frozen, specs_by_id: dict) -> None:  # noqa: ANN001
    """Staff answer the mentions just imported, in the order the answers were written, the SLA
    sweep running in between (so a late answer has its breach first, as the worker would)."""
    from fanloop.growth.models import Mention
    from fanloop.service.desk.models import Ticket
    from fanloop.service.sla.scheduled import sweep

    with database.unit_of_work(write=True) as session:
        rows = session.execute(
            select(Mention.post_id, Mention.external_id, Post.created_at, Ticket.assignee_id)
            .join(Post, Post.id == Mention.post_id)
            .join(Ticket, Ticket.post_id == Mention.post_id)
            .where(Mention.external_id.in_(list(specs_by_id)), Ticket.first_replied_at.is_(None))
        ).all()
        staff = list(session.scalars(select(Member.id).where(Member.role.in_(("staff", "lead")))))
        answers = []
        for post_id, external_id, created_at, assignee_id in rows:
            roll = rng.random()
            if roll < LEFT_UNANSWERED:
                continue
            minutes = rng.uniform(1, 14) if roll < LEFT_UNANSWERED + ANSWERED_IN_TIME else rng.uniform(16, 90)
            answers.append((created_at + timedelta(minutes=minutes), post_id, external_id, assignee_id))
        for answered_at, post_id, external_id, assignee_id in sorted(answers):
            frozen.set(answered_at)
            sweep(session)
            posts.add_reply(
                session,
                author=session.get(Member, assignee_id or rng.choice(staff)),
                post_id=post_id,
                body=content.make_reply(rng, specs_by_id[external_id], staff=True),
                settings=_REPLY_SETTINGS,
            )


def weibo_id(session: Session) -> int:
    return channels.channel_by_slug(session, "weibo").id


def database_folder(database: Database):  # noqa: ANN201
    """Where the demo's file connector writes: beside a SQLite file, else the working folder."""
    from pathlib import Path

    name = database.engine.url.database
    if database.is_sqlite and name and name != ":memory:":
        return Path(name).resolve().parent
    return Path.cwd().resolve()


def _ingest(database: Database, rows: list[dict], now: datetime) -> None:
    with database.unit_of_work(write=True) as session:
        channel = channels.channel_by_slug(session, "weibo")
        mentions = [mention_from(row, i, now) for i, row in enumerate(rows, start=1)]
        ingest(session, channel=channel, mentions=mentions)


def _referral_sign_ups(database: Database, rng: random.Random, code: str, day: int, frozen) -> None:  # noqa: ANN001
    """Fans who came through the campaign's link: more on the first days, as with any launch."""
    from fanloop.core.security import hash_password

    shared = _shared_hash.get("hash") or _shared_hash.setdefault("hash", hash_password("fanloop-demo"))
    for i in range(rng.randint(2, 7)):
        frozen.set(frozen.now() - timedelta(hours=rng.randint(1, 20)))
        handle = f"phone_story_{day:02d}{i}"
        with database.unit_of_work() as session:
            for _ in range(rng.randint(2, 6)):  # most visitors look and leave
                referrals.count_visit(session, code=code)
            members.sign_up(
                session,
                handle=handle,
                email=f"{handle}@demo.fanloop.test",
                password="fanloop-demo",
                display_name=handle.replace("_", " ").title(),
                role=Role.FAN,
                password_hash=shared,
                referral_code=code,
            )


_shared_hash: dict[str, str] = {}
