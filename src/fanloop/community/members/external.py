"""Members who stand for people outside the forum (authors of imported mentions), created in bulk,
and folding one member into another when a person claims that history as their own."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.db import Base, fast_insert, reserve_ids, select_where_in

# No password verifies against this, so the member can never log in until claimed.
NO_PASSWORD = "!external"
_NOT_HANDLE = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class ExternalPerson:
    """Someone seen on a channel: `key` is unique per person across channels (channel + their id)."""

    key: str
    prefix: str
    handle_hint: str
    display_name: str


def _base_handle(person: ExternalPerson) -> str:
    ascii_hint = unicodedata.normalize("NFKD", person.handle_hint).encode("ascii", "ignore").decode().lower()
    hint = _NOT_HANDLE.sub("_", ascii_hint).strip("_")
    return f"{person.prefix}_{hint}"[:30].rstrip("_") if hint else ""


def _fallback_handle(person: ExternalPerson) -> str:
    return f"{person.prefix}_{hashlib.sha1(person.key.encode()).hexdigest()[:10]}"[:30]


def create_external_members(session: Session, people: list[ExternalPerson]) -> list[int]:
    """Create one fan per person, in a few statements; returns their ids in the same order.
    Handles come from the person's own handle (prefixed with the channel), else from a hash."""
    if not people:
        return []
    wanted = [_base_handle(p) or _fallback_handle(p) for p in people]
    wanted = [h if len(h) >= 3 else _fallback_handle(p) for h, p in zip(wanted, people, strict=True)]
    taken = {
        row[0]
        for row in select_where_in(
            session, "SELECT handle FROM members WHERE handle IN ({})", list(set(wanted))
        )
    }
    handles: list[str] = []
    for person, handle in zip(people, wanted, strict=True):
        if handle in taken:
            handle = _fallback_handle(person)
            suffix = 1
            while handle in taken:  # two keys hashing alike, or a member who took the name
                handle = f"{_fallback_handle(person)[:27]}_{suffix}"
                suffix += 1
        taken.add(handle)
        handles.append(handle)
    clash = {
        row[0] for row in select_where_in(session, "SELECT handle FROM members WHERE handle IN ({})", handles)
    }
    if clash:  # fallback handles already held by someone: rare; resolve one by one
        for i, handle in enumerate(handles):
            suffix = 1
            while handles[i] in clash:
                handles[i] = f"{handle[:26]}_{suffix}"
                suffix += 1
                if handles[i] not in clash:
                    clash.add(handles[i])
                    break
    now = clock.now()
    member_ids = reserve_ids(session, Member.__table__, len(people))
    rows = [
        {
            "id": member_id,
            "handle": handle,
            # Never delivered (.invalid), unique by the id; in id order, so a large import appends
            # to the e-mail index rather than writing all over it.
            "email": f"member-{member_id}@channel.invalid",
            "display_name": (person.display_name.replace("\x00", "").strip() or person.handle_hint or handle)[
                :60
            ],
            "password_hash": NO_PASSWORD,
            "role": "fan",
            "language": "en",
            "bio": "",
            "xp": 0,
            "is_suspended": False,
            "created_at": now,
        }
        for member_id, person, handle in zip(member_ids, people, handles, strict=True)
    ]
    fast_insert(session, Member.__table__, rows)
    return member_ids


def _member_columns() -> list[tuple]:
    """Every (table, column) that points at a member, found from the schema so no domain is missed."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "members" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _unique_sets(table) -> list[list]:  # noqa: ANN001
    sets = [list(table.primary_key.columns)]
    sets += [list(c.columns) for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"]
    sets += [list(i.columns) for i in table.indexes if i.unique]
    return sets


def merge_members(session: Session, *, source_id: int, target_id: int) -> None:
    """Fold `source` into `target`: every row that points at the source (posts, replies, votes,
    follows, experience, credits, notifications...) moves to the target; where the target already
    has the same row (both voted on a post), the source's copy goes. Then the source is deleted."""
    source = session.get(Member, source_id)
    target = session.get(Member, target_id)
    if source is None or target is None or source_id == target_id:
        return
    session.flush()
    shared = _posts_both_touched(session, source_id, target_id)
    for table, column in _member_columns():
        if table.name in _PERSONAL_TABLES:
            continue
        for columns in _unique_sets(table):
            if column not in columns:
                continue
            twin = table.alias("twin")
            same_row = [twin.c[c.name] == c for c in columns if c is not column]
            clash = select(1).select_from(twin).where(twin.c[column.name] == target_id, *same_row).exists()
            session.execute(delete(table).where(column == source_id, clash))
        session.execute(update(table).where(column == source_id).values({column.name: target_id}))
    _recount(session, shared)
    target.xp += source.xp
    session.execute(delete(Member).where(Member.id == source_id))
    session.expire(target)


# Log-ins and tokens belong to the account that is going away; they go with it.
_PERSONAL_TABLES = ("members", "login_sessions", "api_tokens", "password_reset_tokens")


def _posts_both_touched(session: Session, source_id: int, target_id: int) -> set[int]:
    from fanloop.community.posts.models import Follow, Vote

    found: set[int] = set()
    for model in (Vote, Follow):
        mine = select(model.post_id).where(model.member_id == target_id)
        found.update(
            session.scalars(
                select(model.post_id).where(model.member_id == source_id, model.post_id.in_(mine))
            )
        )
    return found


def _recount(session: Session, post_ids: set[int]) -> None:
    """Votes and follows that both members had on a post were one too many: count again."""
    from fanloop.community.posts.models import Follow, Post, Vote

    if not post_ids:
        return
    votes = select(func.count()).where(Vote.post_id == Post.id).scalar_subquery()
    follows = select(func.count()).where(Follow.post_id == Post.id).scalar_subquery()
    session.execute(
        update(Post).where(Post.id.in_(post_ids)).values(vote_count=votes, follower_count=follows),
        execution_options={"synchronize_session": False},
    )
