"""The full re-mine: cluster every stored vector, label the clusters, and carry identities over.

1. Load (one read transaction): the vectors of every complaint, bug and suggestion, as stored once
   per post, and the current pain points and memberships.
2. Cluster, with no transaction open: `insights.mining.cluster` chooses k. Posts that staff placed
   (by a merge or a split) and the posts of pinned pain points are "sticky": they stay where they
   are and are not clustered, so a merge stays merged, a split stays split and a pin stays as is.
3. Match (Hungarian assignment over Jaccard overlap of post sets): a new cluster that continues an
   existing pain point takes its id, and with it the staff name, pin, hidden flag and linked status.
   A pain point no cluster continues is retired unless it still holds sticky posts.
4. Label each pain point with key phrases (phrases.py) in its posts' language, compute its centroid,
   radius and examples, and write it all in one write transaction: only changed memberships move.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import delete, update

from fanloop.core import clock
from fanloop.core.db import Database
from fanloop.insights.painpoints import centroids as centroid_cache
from fanloop.insights.painpoints import phrases, repository
from fanloop.insights.painpoints.models import PainPoint, PainPointPost

log = logging.getLogger("fanloop.painpoints")

# A cluster continues a pain point when their post sets overlap at least this much (Jaccard).
MATCH_MIN_JACCARD = 0.2
# Smaller clusters are noise: their posts wait, unassigned, for the next re-mine.
MIN_CLUSTER_POSTS = 3
# A new post joins a pain point when it is about as near its centroid as the posts mined into it:
# at least the 10th percentile of their similarities, less a little slack.
RADIUS_PERCENTILE = 10
RADIUS_SLACK = 0.03
EXAMPLES = 5

Progress = Callable[[str, float], None]


@dataclass
class Outcome:
    posts: int = 0
    k: int = 0
    created: int = 0
    kept: int = 0
    retired: int = 0
    point_ids: list[int] = field(default_factory=list)


@dataclass
class Shaped:
    """A pain point as this re-mine leaves it (existing id, or None for a new one)."""

    point_id: int | None
    rows: np.ndarray  # corpus row numbers of all its posts (clustered and sticky)
    clustered: np.ndarray  # corpus row numbers placed by this re-mine
    centroid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    similarities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    radius: float = centroid_cache.SIMILARITY_FLOOR
    language: str = "en"
    phrases: list[str] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)


def remine(database: Database, *, progress: Progress | None = None, seed: int = 0) -> Outcome:
    """Re-mine every pain point from the stored vectors; returns what changed."""
    report = progress or (lambda stage, fraction: None)
    fingerprint = centroid_cache.current_fingerprint()
    report("loading", 0.0)
    with database.unit_of_work() as session:
        corpus = repository.load_corpus(
            session,
            fingerprint=fingerprint,
            progress=lambda done, total: report("loading", 0.1 * done / max(total, 1)),
        )
        members = repository.memberships(session)
        pinned = {point.id for point in repository.live_points(session) if point.pinned}
        live = {point.id for point in repository.live_points(session)}
    outcome = Outcome(posts=len(corpus.post_ids))
    row_of = {int(post_id): row for row, post_id in enumerate(corpus.post_ids)}
    sticky_rows = np.asarray(
        [
            row_of[post_id]
            for post_id, (point_id, source) in members.items()
            if post_id in row_of and point_id in live and (source == "staff" or point_id in pinned)
        ],
        dtype=np.int64,
    )
    free = np.setdiff1d(np.arange(len(corpus.post_ids)), sticky_rows)
    report("clustering", 0.1)
    clusters = _cluster(
        corpus.vectors[free],
        [corpus.languages[row] for row in free],
        progress=lambda f: report("clustering", 0.1 + 0.6 * f),
        seed=seed,
    )
    outcome.k = len(clusters)
    clusters = [free[rows] for rows in clusters]
    report("matching", 0.7)
    shaped = _match(clusters, corpus, members, live, sticky_rows, row_of, outcome)
    report("labelling", 0.75)
    with database.unit_of_work() as session:
        texts = repository.texts_of(session, _label_posts(shaped, corpus))
    _describe(shaped, corpus, texts)
    report("saving", 0.9)
    with database.unit_of_work(write=True) as session:
        _save(session, shaped, corpus, members, live, fingerprint, outcome)
    centroid_cache.forget()
    report("done", 1.0)
    return outcome


def _cluster(
    vectors: np.ndarray, languages: list[str], *, progress: Callable[[float], None], seed: int
) -> list[np.ndarray]:
    """Row numbers of each cluster of at least MIN_CLUSTER_POSTS (automatic k, each language apart)."""
    if len(vectors) < MIN_CLUSTER_POSTS * 2:
        return [np.arange(len(vectors))] if len(vectors) >= MIN_CLUSTER_POSTS else []
    from fanloop.insights import mining

    result = mining.cluster_by_language(vectors, languages, seed=seed, progress=_progress_adapter(progress))
    labels = np.asarray(result.labels)
    groups = [np.flatnonzero(labels == label) for label in np.unique(labels) if label >= 0]
    return [rows for rows in groups if len(rows) >= MIN_CLUSTER_POSTS]


def _progress_adapter(progress: Callable[[float], None]) -> Callable[..., None]:
    def report(*args: float) -> None:
        if len(args) >= 2 and args[1]:
            progress(min(1.0, float(args[0]) / float(args[1])))
        elif args:
            progress(min(1.0, float(args[0])))

    return report


def _match(
    clusters: list[np.ndarray],
    corpus: repository.Corpus,
    members: dict[int, tuple[int, str]],
    live: set[int],
    sticky_rows: np.ndarray,
    row_of: dict[int, int],
    outcome: Outcome,
) -> list[Shaped]:
    """Give each cluster the existing pain point it continues, by the best one-to-one overlap."""
    sticky = set(sticky_rows.tolist())
    old_sets: dict[int, int] = Counter()
    for post_id, (point_id, _source) in members.items():
        row = row_of.get(post_id)
        if point_id in live and row is not None and row not in sticky:
            old_sets[point_id] += 1
    old_ids = sorted(old_sets)
    column = {point_id: i for i, point_id in enumerate(old_ids)}
    overlap = np.zeros((len(clusters), len(old_ids)))
    for c, rows in enumerate(clusters):
        for row in rows:
            point_id = members.get(int(corpus.post_ids[row]), (None, ""))[0]
            if point_id in column:
                overlap[c, column[point_id]] += 1
    sizes = np.asarray([len(rows) for rows in clusters], dtype=float)
    old_sizes = np.asarray([old_sets[point_id] for point_id in old_ids], dtype=float)
    owner: dict[int, int] = {}
    if overlap.size:
        jaccard = overlap / (sizes[:, None] + old_sizes[None, :] - overlap)
        for c, o in zip(*linear_sum_assignment(-jaccard), strict=True):
            if jaccard[c, o] >= MATCH_MIN_JACCARD:
                owner[c] = old_ids[o]
    sticky_of: dict[int, list[int]] = defaultdict(list)
    for row in sticky_rows:
        sticky_of[members[int(corpus.post_ids[row])][0]].append(int(row))
    shaped = []
    for c, rows in enumerate(clusters):
        point_id = owner.get(c)
        extra = sticky_of.pop(point_id, []) if point_id is not None else []
        shaped.append(Shaped(point_id, np.concatenate([rows, np.asarray(extra, dtype=np.int64)]), rows))
    for point_id, rows in sticky_of.items():  # kept by staff, though no cluster continues them
        shaped.append(Shaped(point_id, np.asarray(rows, dtype=np.int64), np.zeros(0, dtype=np.int64)))
    outcome.kept = sum(1 for item in shaped if item.point_id is not None)
    outcome.created = sum(1 for item in shaped if item.point_id is None)
    outcome.retired = len(live - {item.point_id for item in shaped if item.point_id is not None})
    return shaped


def describe_members(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Centroid (normalised mean), each member's similarity to it, and the radius for arrivals."""
    centroid = vectors.mean(axis=0)
    centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    similarities = vectors @ centroid
    radius = float(np.percentile(similarities, RADIUS_PERCENTILE)) - RADIUS_SLACK
    radius = max(radius, centroid_cache.SIMILARITY_FLOOR)
    return centroid.astype(np.float32), similarities, radius


def _label_posts(shaped: list[Shaped], corpus: repository.Corpus) -> list[int]:
    """Per pain point, the posts that label it: those nearest its centroid."""
    wanted: list[int] = []
    for item in shaped:
        item.centroid, item.similarities, item.radius = describe_members(corpus.vectors[item.rows])
        nearest = item.rows[np.argsort(-item.similarities, kind="stable")[: phrases.MAX_TEXTS_PER_CLUSTER]]
        wanted.extend(int(corpus.post_ids[row]) for row in nearest)
    return wanted


def _describe(shaped: list[Shaped], corpus: repository.Corpus, texts: dict[int, str]) -> None:
    """Language, examples and key phrases of each pain point (phrases from posts in its language)."""
    language_of = {
        int(corpus.post_ids[row]): phrases.is_chinese(corpus.languages[row])
        for item in shaped
        for row in item.rows
    }
    groups, languages = [], []
    for item in shaped:
        order = np.argsort(-item.similarities, kind="stable")
        item.language = phrases.dominant_language([corpus.languages[row] for row in item.rows])
        item.examples = [int(corpus.post_ids[item.rows[i]]) for i in order[:EXAMPLES]]
        nearest = [int(corpus.post_ids[item.rows[i]]) for i in order[: phrases.MAX_TEXTS_PER_CLUSTER]]
        chinese = phrases.is_chinese(item.language)
        groups.append(
            [texts[post_id] for post_id in nearest if post_id in texts and language_of[post_id] == chinese]
        )
        languages.append(item.language)
    for item, found in zip(shaped, phrases.cluster_phrases(groups, languages), strict=True):
        item.phrases = found


def _save(
    session,  # noqa: ANN001
    shaped: list[Shaped],
    corpus: repository.Corpus,
    members: dict[int, tuple[int, str]],
    live: set[int],
    fingerprint: str,
    outcome: Outcome,
) -> None:
    now = clock.now()
    still_live = {point.id: point for point in repository.live_points(session)}
    for item in shaped:
        point = still_live.get(item.point_id) if item.point_id is not None else None
        if point is None:  # new, or merged away by staff while this re-mine ran
            point = PainPoint(
                name="",
                pinned=False,
                hidden=False,
                status=None,
                created_at=now,
                revision=0,
                model=fingerprint,
            )
            session.add(point)
        point.phrases = item.phrases
        point.language = item.language
        point.centroid = centroid_cache.to_bytes(item.centroid)
        point.model = fingerprint
        point.radius = item.radius
        point.example_post_ids = item.examples
        point.revision = (point.revision or 0) + 1
        point.updated_at = now
        session.flush()
        item.point_id = point.id
    kept = {item.point_id for item in shaped}
    retired = [point_id for point_id in live if point_id not in kept and point_id in still_live]
    if retired:
        session.execute(delete(PainPointPost).where(PainPointPost.pain_point_id.in_(retired)))
        session.execute(
            update(PainPoint)
            .where(PainPoint.id.in_(retired))
            .values(retired_at=now, updated_at=now, revision=PainPoint.revision + 1)
        )
    # Staff may have placed posts while this ran: those stay where staff put them.
    current = repository.memberships(session)
    placed = {post_id for post_id, (_point, source) in current.items() if source == "staff"}
    wanted: dict[int, tuple[int, float]] = {}
    for item in shaped:
        similarity_of = dict(zip(item.rows.tolist(), item.similarities.tolist(), strict=True))
        for row in item.clustered:
            wanted[int(corpus.post_ids[row])] = (item.point_id, float(similarity_of[int(row)]))
    moving = []
    for post_id in corpus.post_ids.tolist():
        if post_id in placed or _pinned_member(post_id, current, still_live):
            continue
        new, old = wanted.get(post_id), current.get(post_id)
        if (new is None and old is None) or (new is not None and old is not None and new[0] == old[0]):
            continue
        moving.append(post_id)
    repository.remove_memberships(session, moving)
    repository.add_memberships(
        session,
        [
            {
                "post_id": post_id,
                "pain_point_id": wanted[post_id][0],
                "similarity": wanted[post_id][1],
                "source": "mined",
                "assigned_at": now,
            }
            for post_id in moving
            if post_id in wanted
        ],
    )
    outcome.point_ids = sorted(kept)


def _pinned_member(post_id: int, current: dict[int, tuple[int, str]], live: dict[int, PainPoint]) -> bool:
    point = live.get(current.get(post_id, (None, ""))[0])
    return bool(point is not None and point.pinned)
