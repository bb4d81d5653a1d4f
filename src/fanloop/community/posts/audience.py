"""Who asked for a set of posts, read in bulk: a release tells and credits thousands of members at
once, so these are a few set-based queries, not a query per post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Follow, Post, Reply, StatusChange, Vote

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Asker:
    """A member's tie to a post: its author, a voter or a follower."""

    post_id: int
    member_id: int
    relation: str  # author | voter | follower
    is_fan: bool


@dataclass(frozen=True, slots=True)
class PostBrief:
    id: int
    title: str
    kind: str
    status: str


def briefs(session: Session, *, post_ids: list[int]) -> dict[int, PostBrief]:
    """Title, kind and status of live posts, by id (deleted ones left out)."""
    found: dict[int, PostBrief] = {}
    for start in range(0, len(post_ids), CHUNK):
        rows = session.execute(
            select(Post.id, Post.title, Post.kind, Post.status).where(
                Post.id.in_(post_ids[start : start + CHUNK]), Post.deleted_at.is_(None)
            )
        )
        found.update({row.id: PostBrief(row.id, row.title, row.kind, row.status) for row in rows})
    return found


def duplicates_of(session: Session, *, post_ids: list[int]) -> dict[int, list[int]]:
    """The live posts merged into each of these posts (their duplicates), by target id."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(post_ids), CHUNK):
        rows = session.execute(
            select(Post.merged_into_id, Post.id)
            .where(Post.merged_into_id.in_(post_ids[start : start + CHUNK]), Post.deleted_at.is_(None))
            .order_by(Post.id)
        )
        for target, duplicate in rows:
            found.setdefault(target, []).append(duplicate)
    return found


def askers(session: Session, *, post_ids: list[int]) -> list[Asker]:
    """Everyone who asked for these posts: authors, voters and followers (suspended members left out),
    in a few set-based queries, so a release of 1,000 posts with 100,000 voters stays quick."""
    found: list[Asker] = []
    is_fan = Member.role == "fan"
    for start in range(0, len(post_ids), CHUNK):
        chunk = post_ids[start : start + CHUNK]
        queries = (
            (
                "author",
                select(Post.id, Post.author_id, is_fan)
                .join(Member, Member.id == Post.author_id)
                .where(Post.id.in_(chunk)),
            ),
            (
                "voter",
                select(Vote.post_id, Vote.member_id, is_fan)
                .join(Member, Member.id == Vote.member_id)
                .where(Vote.post_id.in_(chunk)),
            ),
            (
                "follower",
                select(Follow.post_id, Follow.member_id, is_fan)
                .join(Member, Member.id == Follow.member_id)
                .where(Follow.post_id.in_(chunk)),
            ),
        )
        for relation, query in queries:
            rows = session.execute(query.where(Member.is_suspended.is_(False)))
            found.extend(Asker(post_id, member_id, relation, bool(fan)) for post_id, member_id, fan in rows)
    return found


def staff_who_worked_on(session: Session, *, post_ids: list[int]) -> set[int]:
    """Staff who changed these posts' statuses or answered them publicly."""
    found: set[int] = set()
    for start in range(0, len(post_ids), CHUNK):
        chunk = post_ids[start : start + CHUNK]
        changers = (
            select(StatusChange.actor_id)
            .join(Member, Member.id == StatusChange.actor_id)
            .where(StatusChange.post_id.in_(chunk), Member.role != "fan")
        )
        answerers = select(Reply.author_id).where(
            Reply.post_id.in_(chunk),
            Reply.is_staff.is_(True),
            Reply.is_internal.is_(False),
            Reply.is_automatic.is_(False),
        )
        found |= set(session.scalars(changers)) | set(session.scalars(answerers))
    return found


def repliers(
    session: Session, *, post_ids: list[int], before: datetime | None = None
) -> list[tuple[int, int]]:
    """(post id, member id) of everyone who replied publicly to these posts (before a moment)."""
    found: list[tuple[int, int]] = []
    for start in range(0, len(post_ids), CHUNK):
        query = select(Reply.post_id, Reply.author_id).where(
            Reply.post_id.in_(post_ids[start : start + CHUNK]),
            Reply.is_internal.is_(False),
            Reply.deleted_at.is_(None),
        )
        if before is not None:
            query = query.where(Reply.created_at <= before)
        found.extend((post_id, member_id) for post_id, member_id in session.execute(query.distinct()))
    return found
