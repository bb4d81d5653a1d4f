"""What staff do to pain points: rename, merge, split, pin, hide, link to a status, and what it does.

Each action checks the actor's permission here, on the server, and goes to the community's audit
log. Posts that staff move (merge, split) are marked as placed by staff, and a re-mine leaves them
where staff put them; a pinned pain point keeps all its posts. A change to a centroid bumps the pain
point's revision, so every process's assignment cache reloads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import POST_STATUSES, Post
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid
from fanloop.core.permissions import Action, require
from fanloop.insights.painpoints import centroids as centroid_cache
from fanloop.insights.painpoints import phrases, repository
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.insights.painpoints.remine import EXAMPLES, describe_members
from fanloop.insights.painpoints.service import PainPointSummary, get_point, summarise
from fanloop.insights.vectors.service import vectors_for

MAX_NAME = 120
MAX_SPLIT = 10_000
# Linking a status sets it on the pain point's posts that are still open; these are closed.
CLOSED_STATUSES = ("shipped", "declined", "duplicate")
LINKABLE_STATUSES = tuple(status for status in POST_STATUSES if status != "duplicate")


@dataclass(frozen=True)
class StatusLink:
    pain_point: PainPointSummary
    posts_changed: int


def _live(session: Session, pain_point_id: int) -> PainPoint:
    point = get_point(session, pain_point_id)
    if point.merged_into_id is not None:
        raise Conflict(f"Pain point {point.id} was merged into {point.merged_into_id}; act on that one.")
    if point.retired_at is not None:
        raise Conflict(f"Pain point {point.id} was retired by a re-mine: no posts are in it any more.")
    return point


def _summary(session: Session, point: PainPoint) -> PainPointSummary:
    session.flush()
    return summarise(session, [point], now=clock.now())[0]


def _audit(session: Session, actor: Member, action: str, point: PainPoint, reason: str = "") -> None:
    posts.record_audit(
        session,
        actor=actor,
        action=f"pain_point_{action}"[:30],
        target_type="pain_point",
        target_id=point.id,
        reason=reason,
    )


def _refresh_shape(session: Session, point: PainPoint) -> None:
    """Recompute the centroid, radius and examples from the posts now in the pain point."""
    post_ids = repository.member_ids(session, point.id)
    vectors = vectors_for(session, post_ids)
    if vectors:
        ids = sorted(vectors)
        centroid, similarities, radius = describe_members(np.vstack([vectors[i] for i in ids]))
        point.centroid = centroid_cache.to_bytes(centroid)
        point.radius = radius
        order = np.argsort(-similarities, kind="stable")
        point.example_post_ids = [ids[i] for i in order[:EXAMPLES]]
        for post_id, similarity in zip(ids, similarities.tolist(), strict=True):
            session.execute(
                update(PainPointPost).where(PainPointPost.post_id == post_id).values(similarity=similarity)
            )
    point.revision += 1
    point.updated_at = clock.now()
    centroid_cache.forget()


def rename(session: Session, *, actor: Member, pain_point_id: int, name: str) -> PainPointSummary:
    """Give a pain point a name (staff); an empty name shows the generated key phrases again."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    point = get_point(session, pain_point_id)
    name = " ".join((name or "").replace("\x00", "").split())
    if len(name) > MAX_NAME:
        raise Invalid(f"A name has at most {MAX_NAME} characters.", field="name")
    point.name = name
    point.updated_at = clock.now()
    _audit(session, actor, "rename", point, name)
    return _summary(session, point)


def set_pinned(session: Session, *, actor: Member, pain_point_id: int, pinned: bool) -> PainPointSummary:
    """Pin a pain point to the top of the ranking, and keep its posts through re-mines (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    point = _live(session, pain_point_id)
    point.pinned = pinned
    point.updated_at = clock.now()
    _audit(session, actor, "pin" if pinned else "unpin", point)
    return _summary(session, point)


def set_hidden(session: Session, *, actor: Member, pain_point_id: int, hidden: bool) -> PainPointSummary:
    """Hide a pain point from the ranking (not a real problem), or show it again (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    point = get_point(session, pain_point_id)
    point.hidden = hidden
    point.updated_at = clock.now()
    _audit(session, actor, "hide" if hidden else "unhide", point)
    return _summary(session, point)


def update_pain_point(
    session: Session,
    *,
    actor: Member,
    pain_point_id: int,
    name: str | None = None,
    pinned: bool | None = None,
    hidden: bool | None = None,
) -> PainPointSummary:
    """Rename, pin and hide in one go: what is None stays as it is (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    if name is None and pinned is None and hidden is None:
        raise Invalid("Give a name, pinned or hidden to change.")
    summary = None
    if name is not None:
        summary = rename(session, actor=actor, pain_point_id=pain_point_id, name=name)
    if pinned is not None:
        summary = set_pinned(session, actor=actor, pain_point_id=pain_point_id, pinned=pinned)
    if hidden is not None:
        summary = set_hidden(session, actor=actor, pain_point_id=pain_point_id, hidden=hidden)
    return summary


def merge(session: Session, *, actor: Member, pain_point_id: int, into_id: int) -> PainPointSummary:
    """Move every post of a pain point into another, which keeps its id, name and status (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    if pain_point_id == into_id:
        raise Invalid("A pain point cannot be merged into itself.", field="into_pain_point_id")
    source, target = _live(session, pain_point_id), _live(session, into_id)
    session.execute(
        update(PainPointPost)
        .where(PainPointPost.pain_point_id == source.id)
        .values(pain_point_id=target.id, source="staff", assigned_at=clock.now())
    )
    source.merged_into_id = target.id
    source.pinned = False
    source.example_post_ids = []
    source.revision += 1
    source.updated_at = clock.now()
    _refresh_shape(session, target)
    _audit(session, actor, "merge", source, f"into pain point #{target.id}")
    return _summary(session, target)


def split(
    session: Session, *, actor: Member, pain_point_id: int, post_ids: Sequence[int], name: str = ""
) -> PainPointSummary:
    """Move the chosen posts of a pain point into a new one of their own (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    point = _live(session, pain_point_id)
    chosen = sorted(set(post_ids))
    if not chosen:
        raise Invalid("Choose at least one post to split off.", field="post_ids")
    if len(chosen) > MAX_SPLIT:
        raise Invalid(f"Split at most {MAX_SPLIT} posts at once.", field="post_ids")
    members = set(repository.member_ids(session, point.id))
    strangers = [post_id for post_id in chosen if post_id not in members]
    if strangers:
        shown = ", ".join(str(post_id) for post_id in strangers[:5])
        raise Invalid(f"Posts {shown} are not in pain point {point.id}.", field="post_ids")
    if len(chosen) == len(members):
        raise Invalid("Leave at least one post in the pain point; to rename it, rename it.", field="post_ids")
    name = " ".join((name or "").replace("\x00", "").split())[:MAX_NAME]
    now = clock.now()
    new = PainPoint(
        name=name,
        phrases=[],
        language=point.language,
        centroid=point.centroid,
        model=point.model,
        radius=point.radius,
        example_post_ids=[],
        pinned=False,
        hidden=False,
        status=point.status,
        split_from_id=point.id,
        revision=1,
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    for part in repository.chunks(chosen):
        session.execute(
            update(PainPointPost)
            .where(PainPointPost.post_id.in_(part))
            .values(pain_point_id=new.id, source="staff", assigned_at=now)
        )
    _refresh_shape(session, new)
    _refresh_shape(session, point)
    _relabel(session, [new, point])
    _audit(session, actor, "split", point, f"{len(chosen)} posts into pain point #{new.id}")
    return _summary(session, new)


def _relabel(session: Session, points: list[PainPoint]) -> None:
    """Key phrases for pain points whose posts changed, against each other (c-TF-IDF)."""
    groups, languages = [], []
    for point in points:
        ids = repository.member_ids(session, point.id)
        rows = session.execute(select(Post.id, Post.language).where(Post.id.in_(ids[:5000]))).all()
        point.language = phrases.dominant_language([language for _, language in rows])
        same = [
            post_id
            for post_id, language in rows
            if phrases.is_chinese(language) == phrases.is_chinese(point.language)
        ]
        nearest = [post_id for post_id in point.example_post_ids if post_id in set(same)] + same
        texts = repository.texts_of(session, list(dict.fromkeys(nearest))[: phrases.MAX_TEXTS_PER_CLUSTER])
        groups.append(list(texts.values()))
        languages.append(point.language)
    for point, found in zip(points, phrases.cluster_phrases(groups, languages), strict=True):
        point.phrases = found


def link_status(
    session: Session, *, actor: Member, pain_point_id: int, status: str | None, note: str = ""
) -> StatusLink:
    """Link a pain point to a status and set it on its open posts through the posts service, so
    authors and followers are told; `None` unlinks and leaves the posts as they are (staff)."""
    require(actor, Action.MANAGE_PAIN_POINTS)
    point = _live(session, pain_point_id)
    if status is not None and status not in LINKABLE_STATUSES:
        raise Invalid(
            f"Unknown status {status!r}; use one of {', '.join(LINKABLE_STATUSES)}.", field="status"
        )
    point.status = status
    point.updated_at = clock.now()
    changed = 0
    if status is not None:
        open_posts = session.scalars(
            select(Post.id)
            .join(PainPointPost, PainPointPost.post_id == Post.id)
            .where(
                PainPointPost.pain_point_id == point.id,
                repository.live_posts(),
                Post.status.not_in([*CLOSED_STATUSES, status]),
            )
            .order_by(Post.id)
        ).all()
        note = (
            note
            or f"Linked to pain point #{point.id}: {point.name or phrases.label(point.phrases, point.language)}"
        )
        for post_id in open_posts:
            posts.change_status(session, actor=actor, post_id=post_id, status=status, note=note[:2000])
            changed += 1
    _audit(session, actor, "status", point, f"{status or 'unlinked'}; {changed} posts changed")
    return StatusLink(pain_point=_summary(session, point), posts_changed=changed)
