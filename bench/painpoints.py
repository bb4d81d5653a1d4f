"""Pain-point benchmark: the full re-mine of 100,000 stored vectors through the job, and assigning a
new post to its pain point on arrival, on SQLite.

Posts and their vectors are inserted directly (the text model is not run: its cost is the vectors
service's, paid once per post). The vectors are random but clustered: 60 topics of unequal size in
512 dimensions (USE's, the Chinese half of the default `bilingual` model), with noise, so the
mining has real structure to find. Then:

* `remine_100k_seconds`: one re-mine run, queued, claimed and executed as the worker would, from
  loading the vectors to committing the memberships;
* `assign_ms_p99` (and p50): 1,000 new posts, each assigned by the `post.vectorized` subscriber in
  its own write transaction (the read of the post, the check for an existing membership, the
  centroid-cache check and the insert; the commit is timed apart as `assign_commit_ms_p99`).

    .venv/bin/python bench/painpoints.py [--posts 100000] [--db /tmp/fanloop-painpoints.db]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from _db import fan_rows
from sqlalchemy import insert

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Post
from fanloop.core import clock
from fanloop.core.db import Database
from fanloop.core.migrate import upgrade
from fanloop.insights.painpoints import centroids, scheduled, subscribers
from fanloop.insights.vectors.models import PostVector

DIM = 512
TOPICS = 60
WORDS = ["battery", "camera", "wifi", "bluetooth", "sync", "screen", "update", "crash", "login", "payment"]


def topic_vectors(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around 60 fixed topic centres (the same centres on every call)."""
    centres = np.random.default_rng(1).normal(size=(TOPICS, DIM)).astype(np.float32)
    weights = np.random.default_rng(2).pareto(1.5, TOPICS) + 1
    topics = rng.choice(TOPICS, size=n, p=weights / weights.sum())
    rows = centres[topics] + 0.9 * rng.normal(size=(n, DIM)).astype(np.float32)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32), topics


def seed(database: Database, n: int, fingerprint: str, rng: np.random.Generator) -> np.ndarray:
    now = clock.now()
    vectors, topics = topic_vectors(n, rng)
    with database.unit_of_work(write=True) as session:
        session.add(Board(slug="general", name="General", name_zh="", description="", position=0))
        session.execute(insert(Member), fan_rows(2000, now, xp=lambda i: int(rng.integers(0, 3000))))
        board_id = session.query(Board.id).scalar()
    kinds = ["complaint", "bug", "suggestion"]
    for start in range(0, n, 10_000):
        stop = min(n, start + 10_000)
        with database.unit_of_work(write=True) as session:
            session.execute(
                insert(Post),
                [
                    {
                        "id": i + 1,
                        "board_id": board_id,
                        "author_id": int(rng.integers(1, 2001)),
                        "kind": kinds[i % 3],
                        "status": "open",
                        "title": f"{WORDS[topics[i] % 10]} problem {topics[i]} number {i}",
                        "body": f"The {WORDS[topics[i] % 10]} fails again, topic {topics[i]}.",
                        "body_html": "",
                        "language": "en",
                        "channel": "forum",
                        "vote_count": int(rng.integers(0, 20)),
                        "reply_count": 0,
                        "follower_count": 0,
                        "hot_score": 0.0,
                        "is_hidden": False,
                        "is_locked": False,
                        "created_at": now - timedelta(minutes=int(rng.integers(0, 40_000))),
                        "updated_at": now,
                    }
                    for i in range(start, stop)
                ],
            )
            session.execute(
                insert(PostVector),
                [
                    {
                        "post_id": i + 1,
                        "model": fingerprint,
                        "dim": DIM,
                        "vector": vectors[i].astype(np.float16).tobytes(),
                        "negativity": float(rng.random()),
                        "created_at": now,
                    }
                    for i in range(start, stop)
                ],
            )
    return vectors


def remine(database: Database) -> float:
    with database.unit_of_work(write=True) as session:
        scheduled.request_remine(session, actor=None, trigger="command")
    started = time.perf_counter()
    run = scheduled.execute(database, scheduled.claim_next(database))
    elapsed = time.perf_counter() - started
    assert run.state == "done", run.error
    print(f"# re-mine: {run.posts} posts, k={run.k}, {run.created} pain points")
    return elapsed


def assign(
    database: Database, n: int, count: int, rng: np.random.Generator
) -> tuple[list[float], list[float]]:
    vectors, _ = topic_vectors(count, rng)
    now = clock.now()
    timings, commits = [], []
    assigned = 0
    for i in range(count):
        post_id = n + 1 + i
        unit = database.begin(write=True)
        unit.open()
        session = unit.session
        session.execute(
            insert(Post).values(
                id=post_id,
                board_id=1,
                author_id=1,
                kind="complaint",
                status="open",
                title="New",
                body="New",
                body_html="",
                language="en",
                channel="forum",
                vote_count=0,
                reply_count=0,
                follower_count=0,
                hot_score=0.0,
                is_hidden=False,
                is_locked=False,
                created_at=now,
                updated_at=now,
            )
        )
        started = time.perf_counter()
        assigned += subscribers.assign_post(session, post_id=post_id, vector=vectors[i]) is not None
        session.flush()
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        unit.finish()
        commits.append((time.perf_counter() - started) * 1000)
    print(f"# assigned {assigned} of {count} new posts on arrival")
    return timings, commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--assignments", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/fanloop-painpoints.db"))
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    upgrade(url)
    database = Database(url)
    rng = np.random.default_rng(7)
    started = time.perf_counter()
    seed(database, args.posts, centroids.current_fingerprint(), rng)
    print(f"# seeded {args.posts} posts with vectors in {time.perf_counter() - started:.1f} s")
    seconds = remine(database)
    timings, commits = assign(database, args.posts, args.assignments, rng)
    print(f"remine_{args.posts // 1000}k_seconds: {seconds:.1f}")
    print(f"assign_ms_p50: {np.percentile(timings, 50):.2f}")
    print(f"assign_ms_p99: {np.percentile(timings, 99):.2f}")
    print(f"assign_commit_ms_p99: {np.percentile(commits, 99):.2f}")
    database.dispose()


if __name__ == "__main__":
    main()
