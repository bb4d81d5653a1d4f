"""Fill a freshly migrated fanloop database with a realistic community, quickly.

Boards, tags, the staff and a few fans go through fanloop's own services (so their rows are
exactly what the product writes); the bulk - about two thousand fans and N posts with their
search terms, tags and the author's follow - is inserted with SQLAlchemy Core executemany in
large batches. Every post row is what `create_post` would have stored for that text: the HTML is
rendered with `render_markdown`, the language comes from `detect_language`, the search terms from
`search_terms` (exactly the rows `_index_terms` writes), and the hot score from the service's
`hot_score` formula. Counters (votes, replies, followers) are denormalised in the post rows; the
individual vote rows and experience events are not seeded.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text

from fanloop.community.levels.models import XpEvent  # noqa: F401  (registers the table)
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Follow, Post, PostTag, PostTerm
from fanloop.core.db import Database
from fanloop.core.permissions import Role
from fanloop.core.text import detect_language, render_markdown, search_terms

BOARDS = [
    ("battery", "Battery & charging", "电池与充电"),
    ("sync", "Sync & backup", "同步与备份"),
    ("app", "Mobile app", "手机应用"),
    ("watch", "Watch & wearables", "手表与穿戴"),
    ("audio", "Audio", "音频"),
    ("camera", "Camera", "相机"),
    ("ideas", "Ideas", "新想法"),
    ("general", "General", "综合讨论"),
]
BOARD_WEIGHTS = [18, 16, 20, 10, 8, 9, 12, 7]
TAGS = [
    ("android", "Android"),
    ("ios", "iOS"),
    ("firmware", "Firmware"),
    ("bluetooth", "Bluetooth"),
    ("wifi", "Wi-Fi"),
    ("ui", "User interface"),
    ("performance", "Performance"),
    ("accessibility", "Accessibility"),
    ("privacy", "Privacy"),
    ("notifications", "Notifications"),
    ("widgets", "Widgets"),
    ("dark-mode", "Dark mode"),
]
KINDS = ["bug", "suggestion", "question", "complaint", "praise"]
KIND_WEIGHTS = [35, 25, 20, 12, 8]
STATUSES = ["open", "acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate"]
STATUS_WEIGHTS = [70, 8, 6, 4, 6, 4, 2]
DEVICES = ["FL-100", "FL-200", "FL-300 Pro", "FL Mini", "Pixel 8", "iPhone 15", "Galaxy S23", "Mi 14"]
OS_VERSIONS = ["Android 14", "Android 13", "iOS 17.4", "iOS 16.7", "HyperOS 1.0", "firmware 4.2.1"]

EN_SUBJECTS = [
    "Battery",
    "Sync",
    "The watch face",
    "Sleep tracking",
    "Heart-rate alerts",
    "The companion app",
    "Bluetooth pairing",
    "Step counting",
    "Notifications",
    "The camera remote",
    "Firmware update",
    "Music controls",
    "Dark mode",
    "The home widget",
    "Backup to the cloud",
    "Voice notes",
    "GPS tracks",
    "The charging dock",
    "Calendar reminders",
    "Data export",
]
EN_PREDICATES = [
    "drains overnight after the last update",
    "stops after a few minutes",
    "shows the wrong time zone",
    "could support a weekly summary",
    "crashes when I open settings",
    "is much faster now, thank you",
    "should remember my last choice",
    "does not work on Wi-Fi only networks",
    "needs a bigger font option",
    "lost all my history",
    "takes ages to start",
    "works great with the new firmware",
    "is missing on the tablet layout",
    "freezes during a workout",
    "ignores do-not-disturb",
    "duplicates every entry",
]
EN_SENTENCES = [
    "Since the update this happens every day, usually in the morning.",
    "Restarting the phone helps for an hour or so, then it starts again.",
    "I tried **unpairing and pairing again**, no change.",
    "It would be great to have this as an option in the settings.",
    "My partner has the same device and sees the same thing.",
    "Steps:\n\n1. Open the app\n2. Go to *Settings > Sync*\n3. Wait a minute",
    "Logs are attached to the support ticket I opened last week.",
    "Compared to the previous version the difference is huge.",
    "- happens on mobile data\n- happens on Wi-Fi\n- never happens when charging",
    "Is there a workaround until a fix ships?",
    "Thanks to the team for the quick replies here, much appreciated.",
    "The old behaviour was better for people who wear the watch at night.",
    "I use the `beta` channel, in case that matters.",
    "Other apps on the same phone do not have this problem.",
    "A toggle for this would make a lot of fans happy.",
    "See the screenshot in the [support article](https://example.com/help) for what I mean.",
]
ZH_TITLES = [
    "升级后电池续航明显变短",
    "同步经常中断",
    "希望增加每周运动总结",
    "表盘时间显示错误",
    "蓝牙配对总是失败",
    "睡眠监测数据不准确",
    "通知消息延迟很久",
    "新固件运行非常流畅",
    "建议支持深色模式",
    "应用打开设置就闪退",
    "云备份丢失了历史记录",
    "心率提醒太频繁",
    "充电底座接触不良",
    "语音备忘录无法导出",
    "日历提醒没有声音",
]
ZH_SENTENCES = [
    "自从上次更新以后，每天早上都会出现这个问题。",
    "重启手机之后可以好一阵子，然后又开始了。",
    "我已经尝试**重新配对**，没有任何变化。",
    "如果能在设置里加一个开关就太好了。",
    "身边几个朋友用同样的设备也遇到了。",
    "步骤：\n\n1. 打开应用\n2. 进入 *设置 > 同步*\n3. 等待一分钟",
    "感谢团队这么快回复，非常满意。",
    "请问在修复之前有没有临时的解决办法？",
    "- 移动数据下会出现\n- 无线网络下也会出现\n- 充电时从不出现",
    "和旧版本相比体验提升很大。",
]
STEPS = [
    "1. Pair the watch\n2. Start a workout\n3. Lock the phone for ten minutes",
    "1. Open the app\n2. Pull to refresh twice\n3. The list is empty",
    "1. 打开应用\n2. 进入同步页面\n3. 等待五分钟",
]


@dataclass(slots=True)
class Community:
    """What the load generator needs to know about the seeded community."""

    posts: int
    boards: list[str]
    tags: list[str]
    tokens: list[str]
    seconds: float


@dataclass(slots=True)
class _Text:
    source: str
    html: str
    terms: frozenset[str]


def _texts(rng: random.Random) -> tuple[list[_Text], list[_Text], list[_Text], list[_Text]]:
    """Pools of titles and bodies, English and Chinese, rendered and indexed once each."""

    def body(sentences: list[str], n: int) -> str:
        return "\n\n".join(rng.sample(sentences, n))

    en_titles = [f"{s} {p}" for s in EN_SUBJECTS for p in EN_PREDICATES]
    zh_titles = [f"{t}{suffix}" for t in ZH_TITLES for suffix in ("", "，求助", "（已复现）", "？")]
    en_bodies = [body(EN_SENTENCES, rng.randint(1, 3)) for _ in range(300)]
    zh_bodies = [body(ZH_SENTENCES, rng.randint(1, 3)) for _ in range(120)]

    def pool(sources: list[str], rendered: bool) -> list[_Text]:
        return [_Text(s, render_markdown(s) if rendered else "", frozenset(search_terms(s))) for s in sources]

    return pool(en_titles, False), pool(zh_titles, False), pool(en_bodies, True), pool(zh_bodies, True)


def _people(db: Database, rng: random.Random, fans: int, token_count: int) -> tuple[list[int], list[str]]:
    """Staff and fans; returns the fans' ids and the API tokens of the posting fans."""
    with db.unit_of_work() as session:
        admin = members.sign_up(
            session,
            handle="bench_admin",
            email="admin@bench.example",
            password="bench-password-1",
            role=Role.ADMIN,
        )
        members.sign_up(
            session,
            handle="bench_staff",
            email="staff@bench.example",
            password="bench-password-1",
            role=Role.STAFF,
        )
        first_fan = members.sign_up(
            session,
            handle="fan_00000",
            email="fan_00000@bench.example",
            password="bench-password-1",
            display_name="Fan 0",
        )
        for position, (slug, name, name_zh) in enumerate(BOARDS):
            posts.create_board(
                session,
                actor=admin,
                slug=slug,
                name=name,
                name_zh=name_zh,
                description=f"Everything about {name.lower()}, number {position + 1} on the list.",
            )
        for slug, name in TAGS:
            posts.create_tag(session, actor=admin, slug=slug, name=name)
        password_hash = first_fan.password_hash

    now = datetime.now(UTC)
    rows = [
        {
            "handle": f"fan_{i:05d}",
            "email": f"fan_{i:05d}@bench.example",
            "display_name": f"Fan {i}",
            "password_hash": password_hash,
            "role": "fan",
            "language": "zh_CN" if i % 5 == 0 else "en",
            "bio": "",
            "xp": int(rng.paretovariate(1.1) * 10) - 10 if i % 3 else 0,
            "is_suspended": False,
            "created_at": now - timedelta(days=400, minutes=i),
        }
        for i in range(1, fans)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Member), rows)
        fan_ids = list(connection.scalars(select(Member.id).where(Member.role == "fan").order_by(Member.id)))

    tokens = []
    with db.unit_of_work() as session:
        for member_id in fan_ids[:token_count]:
            member = session.get(Member, member_id)
            _, raw = members.create_api_token(session, member=member, name="load test")
            tokens.append(raw)
    return fan_ids, tokens


def _catalog_ids(db: Database) -> tuple[dict[str, int], dict[str, int]]:
    from fanloop.community.posts.models import Board, Tag

    with db.engine.connect() as connection:
        boards = dict(connection.execute(select(Board.slug, Board.id)).all())
        tags = dict(connection.execute(select(Tag.slug, Tag.id)).all())
    return boards, tags


def seed(url: str, *, posts_wanted: int, fans: int = 2000, token_count: int = 16, seed: int = 7) -> Community:
    """Seed the (migrated, empty) database at `url`; returns what the load generator needs."""
    started = time.perf_counter()
    rng = random.Random(seed)
    db = Database(url)
    try:
        fan_ids, tokens = _people(db, rng, fans, token_count)
        board_ids, tag_ids = _catalog_ids(db)
        _posts(db, rng, posts_wanted, fan_ids, list(board_ids.values()), list(tag_ids.values()))
    finally:
        db.dispose()
    _settle(url)
    return Community(
        posts=posts_wanted,
        boards=list(board_ids),
        tags=list(tag_ids),
        tokens=tokens,
        seconds=time.perf_counter() - started,
    )


def _posts(
    db: Database, rng: random.Random, count: int, fan_ids: list[int], board_ids: list[int], tag_ids: list[int]
) -> None:
    en_titles, zh_titles, en_bodies, zh_bodies = _texts(rng)
    device_terms = {d: frozenset(search_terms(d)) for d in DEVICES}
    os_terms = {o: frozenset(search_terms(o)) for o in OS_VERSIONS}
    # Authors: a few very active fans, a long tail of occasional ones.
    author_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(fan_ids))]
    end = datetime.now(UTC) - timedelta(minutes=5)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    with db.engine.connect() as connection:
        first_id = (connection.scalar(select(func.max(Post.id))) or 0) + 1

    kinds = rng.choices(KINDS, KIND_WEIGHTS, k=count)
    boards = rng.choices(board_ids, BOARD_WEIGHTS[: len(board_ids)], k=count)
    authors = rng.choices(fan_ids, author_weights, k=count)
    statuses = rng.choices(STATUSES, STATUS_WEIGHTS, k=count)

    batch = 10_000
    with db.engine.begin() as connection:
        if db.is_sqlite:
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
        for offset in range(0, count, batch):
            post_rows, term_rows, tag_rows, follow_rows = [], [], [], []
            for i in range(offset, min(offset + batch, count)):
                post_id = first_id + i
                chinese = rng.random() < 0.2
                title = rng.choice(zh_titles if chinese else en_titles)
                body = rng.choice(zh_bodies if chinese else en_bodies)
                kind = kinds[i]
                status = statuses[i]
                is_bug = kind == "bug"
                device = rng.choice(DEVICES) if is_bug and rng.random() < 0.8 else None
                os_version = rng.choice(OS_VERSIONS) if is_bug and rng.random() < 0.8 else None
                steps = rng.choice(STEPS) if is_bug and rng.random() < 0.5 else None
                created = start + timedelta(seconds=span * i / count + rng.random() * 30)
                votes = min(int(rng.paretovariate(1.3)) - 1, 5000)
                replies = min(int(rng.paretovariate(1.6)) - 1, 800)
                updated = created + timedelta(hours=rng.randint(0, 72)) if status != "open" else created
                updated = min(updated, end)
                row = {
                    "id": post_id,
                    "board_id": boards[i],
                    "author_id": authors[i],
                    "kind": kind,
                    "status": status,
                    "title": title.source,
                    "body": body.source,
                    "body_html": body.html,
                    "language": detect_language(f"{title.source} {body.source}"),
                    "channel": "forum",
                    "device_model": device,
                    "os_version": os_version,
                    "steps_to_reproduce": steps,
                    "vote_count": votes,
                    "reply_count": replies,
                    "follower_count": 1 + votes // 3,
                    "hot_score": posts.hot_score(
                        SimpleNamespace(vote_count=votes, reply_count=replies, created_at=created)
                    ),
                    "is_hidden": rng.random() < 0.01,
                    "is_locked": rng.random() < 0.005,
                    "merged_into_id": rng.randint(first_id, post_id - 1)
                    if status == "duplicate" and post_id > first_id
                    else None,
                    "created_at": created,
                    "updated_at": updated,
                    "deleted_at": updated + timedelta(hours=1) if rng.random() < 0.005 else None,
                }
                post_rows.append(row)
                terms = title.terms | body.terms
                if device:
                    terms |= device_terms[device]
                if os_version:
                    terms |= os_terms[os_version]
                term_rows.extend({"term": term, "post_id": post_id} for term in terms)
                if rng.random() < 0.4:
                    for tag_id in rng.sample(tag_ids, rng.randint(1, 3)):
                        tag_rows.append({"post_id": post_id, "tag_id": tag_id})
                follow_rows.append({"post_id": post_id, "member_id": authors[i], "created_at": created})
            connection.execute(insert(Post), post_rows)
            connection.execute(insert(PostTerm), term_rows)
            if tag_rows:
                connection.execute(insert(PostTag), tag_rows)
            connection.execute(insert(Follow), follow_rows)
        if db.engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))")
            )


def _settle(url: str) -> None:
    """Leave the database as a site that grew to this size would be: on SQLite, the write-ahead log
    folded into the database file; on PostgreSQL, vacuumed and analysed, as autovacuum would have
    done long before (nothing analyses a SQLite database by itself, so it gets no statistics)."""
    db = Database(url)
    try:
        if db.is_sqlite:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE)")
    finally:
        db.dispose()
