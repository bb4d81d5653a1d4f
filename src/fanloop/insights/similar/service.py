"""Similar posts, found through the stored post vectors.

Three questions, one search: which visible posts look like this draft (shown to a fan while they write,
so they vote there instead of posting a duplicate), which look like this post (duplicates staff can
merge), and which similar posts staff already answered (so the answer can be reused).

How it decides (measured with the shared reference data, see docs/similar-posts.md): the text model's
cosine similarity must reach SIMILARITY_FLOOR. On the 3,080 Banking77 test queries a floor of 0.50
keeps recall@5 of a same-intent query at 0.94 (0.944 with no floor at all), while only 1-1.5% of
unrelated texts (Chinese shopping reviews against the bank queries) show anything (bench/similar.py). Drafts of a few
words embed poorly, so for them the share of the draft's words found in a candidate adds up to
LEXICAL_WEIGHT: on 3-word drafts recall@5 above the floor rises from 0.21 to 0.32, on 5-word ones from
0.53 to 0.59."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Post, Reply
from fanloop.core import clock
from fanloop.core.errors import Invalid, NotFound, RateLimited
from fanloop.core.text import query_terms, search_terms
from fanloop.insights.vectors.index import Neighbour, index_for
from fanloop.insights.vectors.service import encode_texts, post_text, vectors_for

SIMILARITY_FLOOR = 0.50
# A draft with at most this many words is "short": its words count too (see the module docstring).
SHORT_DRAFT_WORDS = 6
LEXICAL_WEIGHT = 0.2
# Nearest neighbours read from the index before the visibility filter: a few times any limit, so
# hidden, deleted, merged or other-board posts among them still leave enough.
CANDIDATES = 60
MAX_LIMIT = 20
# What of a draft is encoded: the title, and the start of the body (a text model reads only the
# start anyway, and a long body is mostly details that do not decide what the post is about).
MAX_DRAFT_TITLE = 200
MAX_DRAFT_BODY = 1000
# Text of a candidate whose words are compared with a short draft's.
LEXICAL_TEXT_CHARS = 300
MAX_ANSWERS = 3


@dataclass(frozen=True)
class SimilarPost:
    id: int
    title: str
    status: str
    kind: str
    board_slug: str
    vote_count: int
    reply_count: int
    created_at: datetime
    similarity: float


@dataclass(frozen=True)
class StaffAnswer:
    reply_id: int
    author_handle: str
    author_name: str
    body: str
    body_html: str
    created_at: datetime


@dataclass(frozen=True)
class AnsweredSuggestion:
    post: SimilarPost
    answers: tuple[StaffAnswer, ...]  # public staff replies, first one first


# --------------------------------------------------------------------------- searches


def likely_duplicates(
    session: Session,
    *,
    title: str,
    body: str = "",
    board_id: int | None = None,
    limit: int = 5,
    exclude_post_id: int | None = None,
) -> list[SimilarPost]:
    """Visible posts that look like a draft being written, most similar first."""
    limit = _check_limit(limit)
    title, body = (title or "").strip()[:MAX_DRAFT_TITLE], (body or "").strip()[:MAX_DRAFT_BODY]
    text = post_text(title, body).strip()
    if not text:
        return []
    words = query_terms(text)
    short = len(words) <= SHORT_DRAFT_WORDS
    # A short draft's candidates may still pass the floor once its words are counted.
    floor = SIMILARITY_FLOOR - (LEXICAL_WEIGHT if short else 0.0)
    exclude = {exclude_post_id} if exclude_post_id else None
    neighbours = _neighbours(session, encode_texts([text])[0], floor=floor, exclude=exclude)
    found = _visible(session, neighbours, board_id=board_id, lexical_terms=words if short else None)
    return [post for post in found if post.similarity >= SIMILARITY_FLOOR][:limit]


def similar_posts(session: Session, *, post_id: int, limit: int = 5) -> list[SimilarPost]:
    """Visible posts that look like an existing post (possible duplicates), most similar first."""
    limit = _check_limit(limit)
    neighbours = _neighbours(session, _vector_of(session, post_id), floor=SIMILARITY_FLOOR, exclude={post_id})
    return _visible(session, neighbours)[:limit]


def answered_suggestions(session: Session, *, post_id: int, limit: int = 5) -> list[AnsweredSuggestion]:
    """The most similar visible posts that staff answered in public, each with those answers."""
    limit = _check_limit(limit)
    neighbours = _neighbours(session, _vector_of(session, post_id), floor=SIMILARITY_FLOOR, exclude={post_id})
    answered = _visible(session, neighbours, answered_only=True)[:limit]
    answers = _staff_answers(session, [post.id for post in answered])
    return [AnsweredSuggestion(post=post, answers=tuple(answers.get(post.id, ()))) for post in answered]


# --------------------------------------------------------------------------- the steps


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"The limit is a whole number from 1 to {MAX_LIMIT}.", field="limit")
    return limit


def _vector_of(session: Session, post_id: int) -> np.ndarray:
    """The post's stored vector; a post the background worker has not reached yet is encoded now."""
    post = session.get(Post, post_id) if 0 < post_id <= 2**31 - 1 else None
    if post is None:
        raise NotFound(f"No post {post_id}.")
    stored = vectors_for(session, [post_id])
    if post_id in stored:
        return stored[post_id]
    return encode_texts([post_text(post.title, post.body)])[0]


def _neighbours(
    session: Session, vector: np.ndarray, *, floor: float, exclude: set[int] | None
) -> list[Neighbour]:
    found = index_for(session).search(vector, limit=CANDIDATES, exclude=exclude)
    return [n for n in found if n.similarity >= floor]


def _visible(
    session: Session,
    neighbours: Sequence[Neighbour],
    *,
    board_id: int | None = None,
    answered_only: bool = False,
    lexical_terms: list[str] | None = None,
) -> list[SimilarPost]:
    """The neighbours fans may see (not deleted, hidden or merged), in one query, best first."""
    if not neighbours:
        return []
    similarity = {n.post_id: n.similarity for n in neighbours}
    query = (
        select(
            Post.id,
            Post.title,
            Post.body,
            Post.status,
            Post.kind,
            Board.slug,
            Post.vote_count,
            Post.reply_count,
            Post.created_at,
        )
        .join(Board, Board.id == Post.board_id)
        .where(
            Post.id.in_(list(similarity)),
            Post.deleted_at.is_(None),
            Post.is_hidden.is_(False),
            Post.merged_into_id.is_(None),
        )
    )
    if board_id is not None:
        query = query.where(Post.board_id == board_id)
    if answered_only:
        query = query.where(select(Reply.id).where(Reply.post_id == Post.id, *_public_staff_reply()).exists())
    posts = []
    for row in session.execute(query):
        score = similarity[row.id]
        if lexical_terms:
            score += LEXICAL_WEIGHT * _word_share(lexical_terms, f"{row.title}\n{row.body}")
        posts.append(
            SimilarPost(
                id=row.id,
                title=row.title,
                status=row.status,
                kind=row.kind,
                board_slug=row.slug,
                vote_count=row.vote_count,
                reply_count=row.reply_count,
                created_at=row.created_at,
                similarity=round(float(score), 4),
            )
        )
    posts.sort(key=lambda post: (-post.similarity, post.id))
    return posts


def _word_share(words: list[str], text: str) -> float:
    """The share of a draft's words found in a candidate's title and opening."""
    found = search_terms(text[:LEXICAL_TEXT_CHARS])
    return sum(1 for word in words if word in found) / len(words)


def _public_staff_reply() -> tuple:
    return (
        Reply.is_staff.is_(True),
        Reply.is_internal.is_(False),
        Reply.is_automatic.is_(False),
        Reply.is_hidden.is_(False),
        Reply.deleted_at.is_(None),
    )


def _staff_answers(session: Session, post_ids: list[int]) -> dict[int, list[StaffAnswer]]:
    if not post_ids:
        return {}
    rows = session.execute(
        select(
            Reply.id,
            Reply.post_id,
            Reply.body,
            Reply.body_html,
            Reply.created_at,
            Member.handle,
            Member.display_name,
        )
        .join(Member, Member.id == Reply.author_id)
        .where(Reply.post_id.in_(post_ids), *_public_staff_reply())
        .order_by(Reply.created_at, Reply.id)
    )
    answers: dict[int, list[StaffAnswer]] = {}
    for row in rows:
        of_post = answers.setdefault(row.post_id, [])
        if len(of_post) < MAX_ANSWERS:
            of_post.append(
                StaffAnswer(
                    reply_id=row.id,
                    author_handle=row.handle,
                    author_name=row.display_name,
                    body=row.body,
                    body_html=row.body_html,
                    created_at=row.created_at,
                )
            )
    return answers


# --------------------------------------------------------------------------- a cap on draft look-ups

DRAFT_LOOKUPS_PER_MINUTE = 40


class DraftLimiter:
    """Caps draft look-ups per member in this process. Each costs a model forward pass and a scan
    of every vector, and a page asks on every pause in typing; the cap protects the process, so it
    need not be shared between processes (the database-backed limits are for writes)."""

    def __init__(self, per_minute: int = DRAFT_LOOKUPS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._seen: dict[str, deque[datetime]] = {}

    def hit(self, key: str) -> None:
        now = clock.now()
        since = now - timedelta(minutes=1)
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle keys now and then
                self._seen = {k: q for k, q in self._seen.items() if q and q[-1] > since}
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= since:
                seen.popleft()
            if len(seen) >= self.per_minute:
                retry_after = int((seen[0] + timedelta(minutes=1) - now).total_seconds()) + 1
                raise RateLimited(
                    "Too many look-ups for similar posts; try again shortly.", retry_after=retry_after
                )
            seen.append(now)


draft_limiter = DraftLimiter()
