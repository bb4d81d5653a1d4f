"""Release benchmark: publish one release of 1,000 items whose posts have 100,000 distinct voters and
followers, and check that everyone who asked is told exactly once.

The forum is inserted directly: 100,000 fans, 1,000 suggestion and bug posts (one per item), and
votes and follows so that every fan asked for at least one post: most for one, a fifth for two to
five (they must get one message naming all of them), and three in ten by following rather than
voting. Then, as the cadence would at Friday 17:00, two workers publish the scheduled release at
the same moment, and a third tries again afterwards (a retry).

Printed (`name: value`), for SQLite and, when a server is reachable, PostgreSQL:

* `notify_seconds_<db>`: from the two workers' start until the publish committed (posts shipped,
  credits and experience written, one notification per member, the webhook event queued);
* `notifications_duplicated_<db>`: notifications beyond one per member for the release (goal 0);
* `notifications_missing_<db>`: members who asked and were not told (goal 0);
* `members_told_<db>`, `posts_shipped_<db>`, `credited_<db>`;
* `notify_seconds` and `notifications_duplicated`: the worst of the databases run.

    .venv/bin/python bench/release.py [--fans 100000] [--items 1000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _db import fan_rows, fresh_database
from sqlalchemy import func, insert, select, text

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Follow, Post, Vote
from fanloop.core import clock
from fanloop.core.db import Database
from fanloop.core.errors import Conflict
from fanloop.core.migrate import upgrade
from fanloop.releases import flows
from fanloop.releases import service as releases
from fanloop.releases.models import Release, ReleaseItem
from fanloop.service.notify.models import Notification
from fanloop.wiring import wire

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 10_000


def _members(count: int, now: datetime) -> list[dict]:
    rows = fan_rows(count, now, xp=lambda i: i % 3000)
    rows.append({**rows[0], "handle": "lead", "email": "lead@example.test", "display_name": "Lead", "role": "lead", "xp": 0})
    return rows


def seed(database: Database, *, fans: int, items: int, rng: random.Random) -> tuple[int, set[int]]:
    """The forum and a scheduled release of `items` posts; returns the release id and who asked."""
    now = clock.now()
    asked: set[int] = set()
    with database.unit_of_work(write=True) as session:
        session.add(Board(slug="general", name="General", name_zh="", description="", position=0))
        rows = _members(fans, now)
        for start in range(0, len(rows), BATCH):
            session.execute(insert(Member), rows[start : start + BATCH])
        board_id = session.scalar(select(Board.id))
        lead_id = session.scalar(select(Member.id).where(Member.handle == "lead"))
        authors = rng.sample(range(1, fans + 1), items)
        session.execute(
            insert(Post),
            [
                {
                    "id": index + 1,
                    "board_id": board_id,
                    "author_id": author,
                    "kind": "bug" if index % 3 == 0 else "suggestion",
                    "status": "planned",
                    "title": f"Request number {index + 1}",
                    "body": "Please.",
                    "body_html": "<p>Please.</p>",
                    "language": "en",
                    "channel": "forum",
                    "created_at": now - timedelta(days=30),
                    "updated_at": now - timedelta(days=30),
                }
                for index, author in enumerate(authors)
            ],
        )
        asked.update(authors)
    votes, follows = [], []
    for member in range(1, fans + 1):
        wanted = 1 if rng.random() < 0.8 else rng.randint(2, 5)
        for post_id in rng.sample(range(1, items + 1), wanted):
            (follows if rng.random() < 0.3 else votes).append(
                {"post_id": post_id, "member_id": member, "created_at": now}
            )
        asked.add(member)
    for table, rows in ((Vote, votes), (Follow, follows)):
        for start in range(0, len(rows), BATCH):
            with database.unit_of_work(write=True) as session:
                session.execute(insert(table), rows[start : start + BATCH])
    with database.unit_of_work(write=True) as session:
        session.execute(
            text(
                "UPDATE posts SET vote_count = (SELECT count(*) FROM votes WHERE votes.post_id = posts.id),"
                " follower_count = (SELECT count(*) FROM follows WHERE follows.post_id = posts.id)"
            )
        )
        release = releases.ensure_open_release(session)
        session.execute(
            insert(ReleaseItem),
            [
                {
                    "release_id": release.id,
                    "post_id": post_id,
                    "summary": f"Request number {post_id}",
                    "position": post_id,
                    "created_at": now,
                }
                for post_id in range(1, items + 1)
            ],
        )
        release.state, release.published_by_id = "scheduled", lead_id
        release_id = release.id
    return release_id, asked


def publish_as_two_workers(database: Database, release_id: int) -> tuple[float, list[object]]:
    """Two workers publish at once; returns the seconds until both finished and what each got."""
    outcomes: list[object] = []

    def worker() -> None:
        try:
            with database.unit_of_work(write=True) as session:
                outcomes.append(flows.publish(session, release_id=release_id))
        except Conflict as error:
            outcomes.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, outcomes


def run(url: str, *, fans: int, items: int) -> dict[str, float]:
    rng = random.Random(0)
    upgrade(url)
    database = Database(url)
    try:
        release_id, asked = seed(database, fans=fans, items=items, rng=rng)
        # Friday 17:00 in Beijing: the scheduled time has come.
        clock.set_clock(clock.FrozenClock(datetime.now(UTC) + timedelta(days=8)))
        seconds, outcomes = publish_as_two_workers(database, release_id)
        published = [outcome for outcome in outcomes if isinstance(outcome, flows.Published)]
        try:  # a retry after the fact
            with database.unit_of_work(write=True) as session:
                flows.publish(session, release_id=release_id)
            retried = 1
        except Conflict:
            retried = 0
        with database.unit_of_work() as session:
            per_member = dict(
                session.execute(
                    select(Notification.member_id, func.count())
                    .where(
                        Notification.kind == "release_shipped",
                        Notification.dedupe_key.like(f"release:{release_id}:%"),
                    )
                    .group_by(Notification.member_id)
                ).all()
            )
            state = session.scalar(select(Release.state).where(Release.id == release_id))
        assert state == "published" and len(published) == 1 and retried == 0, (state, outcomes, retried)
        return {
            "notify_seconds": seconds,
            "notifications_duplicated": sum(count - 1 for count in per_member.values()),
            "notifications_missing": len(asked - set(per_member)),
            "members_told": len(per_member),
            "posts_shipped": published[0].posts_shipped,
            "credited": published[0].credited,
        }
    finally:
        clock.set_clock(clock.SystemClock())
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fans", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    wire()
    targets = [("sqlite", None)] + ([] if args.no_postgres else [("postgresql", args.postgres)])
    worst = {"notify_seconds": 0.0, "notifications_duplicated": 0}
    with tempfile.TemporaryDirectory(prefix="fanloop-release-") as folder:
        for name, server in targets:
            try:
                with fresh_database(server, Path(folder)) as url:
                    figures = run(url, fans=args.fans, items=args.items)
            except Exception as error:  # noqa: BLE001 (a server that is not there: report, go on)
                if server is None:
                    raise
                print(f"# {name} skipped: {type(error).__name__}: {error}")
                continue
            for key, value in figures.items():
                print(
                    f"{key}_{name}: {value:.1f}" if isinstance(value, float) else f"{key}_{name}: {value}",
                    flush=True,
                )
            worst["notify_seconds"] = max(worst["notify_seconds"], figures["notify_seconds"])
            worst["notifications_duplicated"] += figures["notifications_duplicated"]
    print(f"notify_seconds: {worst['notify_seconds']:.1f}")
    print(f"notifications_duplicated: {worst['notifications_duplicated']}")


if __name__ == "__main__":
    main()
