"""Similar-posts benchmark: how well the product's similar-post search finds a same-intent post, how
rarely it suggests anything for an unrelated text, and how fast a look-up is at 100,000 posts, on SQLite.

Quality, through the product's own path (`fanloop.insights.similar.service`, with its similarity floor
and short-draft word boost as they are): the 3,080 Banking77 test queries are stored as posts and
encoded by the vectors service (`encode_pending`); the intents are used only for scoring. Then:

* `duplicate_top5_recall`: for each query's post, `similar_posts` (a post's possible duplicates, top 5
  at or above the floor) shows at least one other query of the same intent;
* `draft<N>_top5_recall` / `draft<N>_precision`: each query cut to its first N words, asked as a draft
  (`likely_duplicates`, its own post excluded): at least one of the 5 shown has its intent / the share
  of shown posts that do;
* `unrelated_suggestion_rate`: a fixed random sample of Chinese shopping reviews, each asked as a draft
  against the bank queries: the share that gets any suggestion. With the default `bilingual` model a
  Chinese draft and an English post are in separate blocks (similarity 0), so this is 0 by
  construction; it measures something with a one-space model such as `use`.

Speed: 100,000 posts whose vectors are the real vectors (default model) of the queries and reviews above, resampled
with a small jitter (near-copies of real posts, as a forum's repeats are), inserted directly. Then
`similar_ms_p50/p99` (`similar_posts` of a random post) and `draft_ms_p50/p99` (`likely_duplicates` of a
query or review, half of them cut to 4 words so the short-draft path is timed too; encoding included),
each the service call inside a read transaction, after a warm-up that loads the index.

    .venv/bin/python bench/similar.py [--posts 100000] [--unrelated 2000] [--lookups 1000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import shutil
import tempfile
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
from fanloop.insights.similar import service as similar
from fanloop.insights.vectors.models import PostVector
from fanloop.insights.vectors.service import (
    ENCODE_BATCH,
    encode_pending,
    encode_texts,
    text_model,
    to_bytes,
    vectors_for,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DRAFT_WORDS = (3, 5)
TIMED_DRAFT_WORDS = 4
JITTER = 0.2  # norm of the noise added to a resampled vector (as bench/mining.py's re-mine)
BATCH = 10_000


def load_banking77(data: Path) -> tuple[list[str], list[str]]:
    with (data / "banking77_test.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["category"] for row in rows]


def load_unrelated(data: Path, count: int) -> list[str]:
    with (data / "online_shopping_10_cats.csv").open(encoding="utf-8-sig", newline="") as handle:
        reviews = [row["review"].strip() for row in csv.DictReader(handle) if row["review"].strip()]
    return random.Random(0).sample(reviews, count)


def open_database(folder: Path, name: str) -> Database:
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    database = Database(url)
    now = clock.now()
    with database.unit_of_work(write=True) as session:
        session.add(Board(slug="general", name="General", name_zh="", description="", position=0))
        session.execute(insert(Member), fan_rows(200, now))
    return database


def post_rows(start_id: int, titles: list[str], bodies: list[str], languages: list[str]) -> list[dict]:
    """Post rows as a fan would have written them (the board and members of `open_database`)."""
    now = clock.now()
    rows = []
    for offset, (title, body, language) in enumerate(zip(titles, bodies, languages, strict=True)):
        post_id = start_id + offset
        rows.append(
            {
                "id": post_id,
                "board_id": 1,
                "author_id": 1 + post_id % 200,
                "kind": "question",
                "status": "open",
                "title": title,
                "body": body,
                "body_html": "",
                "language": language,
                "channel": "forum",
                "vote_count": post_id % 7,
                "reply_count": post_id % 3,
                "follower_count": 0,
                "hot_score": 0.0,
                "is_hidden": False,
                "is_locked": False,
                "created_at": now - timedelta(minutes=post_id % 40_000),
                "updated_at": now,
            }
        )
    return rows


# --------------------------------------------------------------------------- quality


def seed_queries(database: Database, texts: list[str]) -> None:
    """The queries as posts (title only), then vectors through the vectors service."""
    with database.unit_of_work(write=True) as session:
        session.execute(insert(Post), post_rows(1, texts, [""] * len(texts), ["en"] * len(texts)))
    stored = encode_pending(database, max_batches=math.ceil(len(texts) / ENCODE_BATCH) + 1)
    assert stored == len(texts), f"{stored} vectors stored for {len(texts)} posts"


def duplicate_recall(database: Database, intents: list[str]) -> tuple[float, float]:
    """Share of posts with a same-intent post among their possible duplicates; mean shown."""
    hits, shown = 0, 0
    with database.unit_of_work() as session:
        for post_id, intent in enumerate(intents, start=1):
            found = similar.similar_posts(session, post_id=post_id, limit=5)
            hits += any(intents[post.id - 1] == intent for post in found)
            shown += len(found)
    return hits / len(intents), shown / len(intents)


def draft_recall(database: Database, texts: list[str], intents: list[str], words: int) -> tuple[float, float]:
    """Recall@5 and precision of each query's first `words` words asked as a draft."""
    hits, shown, right = 0, 0, 0
    with database.unit_of_work() as session:
        for post_id, (text, intent) in enumerate(zip(texts, intents, strict=True), start=1):
            draft = " ".join(text.split()[:words])
            found = similar.likely_duplicates(session, title=draft, limit=5, exclude_post_id=post_id)
            same = sum(intents[post.id - 1] == intent for post in found)
            hits += same > 0
            right += same
            shown += len(found)
    return hits / len(texts), (right / shown if shown else 0.0)


def unrelated_rate(database: Database, reviews: list[str]) -> float:
    """Share of unrelated texts, asked as drafts, that get any suggestion."""
    with database.unit_of_work() as session:
        suggested = sum(bool(similar.likely_duplicates(session, title="", body=review)) for review in reviews)
    return suggested / len(reviews)


# --------------------------------------------------------------------------- speed


def seed_resampled(
    database: Database,
    count: int,
    pool: np.ndarray,
    sources: list[tuple[str, str, str]],
    rng: np.random.Generator,
) -> None:
    """`count` posts, each a jittered copy of a pool vector with its source's title, body and language."""
    fingerprint = text_model().fingerprint
    dim = pool.shape[1]
    now = clock.now()
    for start in range(0, count, BATCH):
        stop = min(count, start + BATCH)
        picked = rng.integers(0, len(pool), size=stop - start)
        # Jitter only the columns a vector uses: the default model leaves the other language's block zero.
        width = max(1, np.count_nonzero(pool[0]))
        noise = rng.normal(scale=JITTER / np.sqrt(width), size=(stop - start, dim))
        vectors = pool[picked] + noise * (pool[picked] != 0)
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        titles, bodies, languages = zip(*(sources[i] for i in picked), strict=True)
        with database.unit_of_work(write=True) as session:
            session.execute(insert(Post), post_rows(start + 1, list(titles), list(bodies), list(languages)))
            session.execute(
                insert(PostVector),
                [
                    {
                        "post_id": start + 1 + i,
                        "model": fingerprint,
                        "dim": dim,
                        "vector": to_bytes(vector),
                        "negativity": 0.5,
                        "created_at": now,
                    }
                    for i, vector in enumerate(vectors)
                ],
            )


def time_lookups(
    database: Database, count: int, lookups: int, drafts: list[str], rng: np.random.Generator
) -> tuple[float, list[float], list[float]]:
    """Seconds of the first look-up (the index's load), then per-call ms of post and draft look-ups."""
    started = time.perf_counter()
    with database.unit_of_work() as session:
        similar.similar_posts(session, post_id=1, limit=5)
    load_seconds = time.perf_counter() - started
    post_ms, draft_ms = [], []
    for post_id in rng.integers(1, count + 1, size=lookups):
        with database.unit_of_work() as session:
            started = time.perf_counter()
            similar.similar_posts(session, post_id=int(post_id), limit=5)
            post_ms.append((time.perf_counter() - started) * 1000)
    for i, index in enumerate(rng.integers(0, len(drafts), size=lookups)):
        draft = drafts[index]
        if i % 2:
            draft = " ".join(draft.split()[:TIMED_DRAFT_WORDS]) if " " in draft else draft[:8]
        with database.unit_of_work() as session:
            started = time.perf_counter()
            similar.likely_duplicates(session, title=draft[: similar.MAX_DRAFT_TITLE], limit=5)
            draft_ms.append((time.perf_counter() - started) * 1000)
    return load_seconds, post_ms, draft_ms


# --------------------------------------------------------------------------- run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts for the speed run")
    parser.add_argument("--unrelated", type=int, default=2000, help="shopping reviews sampled")
    parser.add_argument("--lookups", type=int, default=1000, help="timed look-ups of each kind")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fanloop-similar-"))
    figures: dict[str, str] = {}
    try:
        texts, intents = load_banking77(args.data)
        reviews = load_unrelated(args.data, args.unrelated)
        print(f"# floor {similar.SIMILARITY_FLOOR}, model {text_model().fingerprint}, folder {folder}")

        started = time.perf_counter()
        quality = open_database(folder, "quality.db")
        seed_queries(quality, texts)
        print(f"# {len(texts)} queries stored and encoded in {time.perf_counter() - started:.1f} s")
        recall, shown = duplicate_recall(quality, intents)
        figures["duplicate_top5_recall"] = f"{recall:.3f}"
        figures["duplicate_shown_per_post"] = f"{shown:.2f}"
        for words in DRAFT_WORDS:
            recall, precision = draft_recall(quality, texts, intents, words)
            figures[f"draft{words}_top5_recall"] = f"{recall:.3f}"
            figures[f"draft{words}_precision"] = f"{precision:.3f}"
        figures["unrelated_suggestion_rate"] = f"{unrelated_rate(quality, reviews):.4f}"
        with quality.unit_of_work() as session:
            query_vectors = vectors_for(session, list(range(1, len(texts) + 1)))
        quality.dispose()
        print(f"# quality measured in {time.perf_counter() - started:.1f} s")

        pool = np.vstack(
            [np.vstack([query_vectors[i + 1] for i in range(len(texts))]), encode_texts(reviews)]
        )
        sources = [(text, "", "en") for text in texts] + [
            (review[: similar.MAX_DRAFT_TITLE], review, "zh_CN") for review in reviews
        ]
        rng = np.random.default_rng(7)
        started = time.perf_counter()
        speed = open_database(folder, "speed.db")
        seed_resampled(speed, args.posts, pool, sources, rng)
        print(f"# seeded {args.posts} posts with vectors in {time.perf_counter() - started:.1f} s")
        load_seconds, post_ms, draft_ms = time_lookups(speed, args.posts, args.lookups, texts + reviews, rng)
        speed.dispose()
        figures["index_load_seconds"] = f"{load_seconds:.2f}"
        for name, timings in (("similar", post_ms), ("draft", draft_ms)):
            figures[f"{name}_ms_p50"] = f"{np.percentile(timings, 50):.1f}"
            figures[f"{name}_ms_p99"] = f"{np.percentile(timings, 99):.1f}"
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
