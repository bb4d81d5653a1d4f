"""The changelog as everyone reads it: the releases a viewer may see, a release with its items,
their posts and credits, the honour roll, and what shipped because of a member. Composing and
scheduling releases is in service.py, publishing in flows.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fanloop.community.levels.service import Level, level_for
from fanloop.community.members.models import Member
from fanloop.community.posts import audience
from fanloop.core.permissions import Action, can
from fanloop.insights.painpoints import service as pain_points
from fanloop.releases.models import (
    CREDIT_ROLES,
    Release,
    ReleaseCredit,
    ReleaseItem,
    ReleaseItemPost,
)
from fanloop.releases.service import items_of

# Credited members shown per item and role, and on a release's honour roll; the counts are exact.
CREDITS_SHOWN = 12
HONOUR_ROLL_SHOWN = 100


def list_releases(
    session: Session, *, viewer: Member | None, include_open: bool = False, limit: int = 20, offset: int = 0
) -> tuple[list[Release], int]:
    """Published releases, newest first (and, for staff who ask, the open ones before them)."""
    query = select(Release)
    if not (include_open and can(viewer, Action.MANAGE_RELEASES)):
        query = query.where(Release.state == "published")
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(
            (Release.state == "published"),
            Release.published_at.desc(),
            Release.planned_for.desc(),
            Release.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


@dataclass(frozen=True)
class CreditedMember:
    id: int
    handle: str
    display_name: str
    xp: int
    level: Level
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemView:
    item: ReleaseItem
    posts: list[audience.PostBrief]
    credits: dict[str, list[CreditedMember]] = field(default_factory=dict)  # role → the first few
    credit_counts: dict[str, int] = field(default_factory=dict)  # role → how many in all


@dataclass(frozen=True)
class ReleaseView:
    release: Release
    items: list[ItemView]
    honour_roll: list[CreditedMember]
    credited: int


def release_view(session: Session, *, release: Release) -> ReleaseView:
    """A release with its items, each item's posts and credits, and the honour roll."""
    items = items_of(session, release.id)
    if release.state == "published":
        posts_by_item = published_posts(session, [item.id for item in items])
    else:
        posts_by_item = item_posts(session, items)
    every_post = sorted({post_id for ids in posts_by_item.values() for post_id in ids})
    found = audience.briefs(session, post_ids=every_post)
    credits, counts = _item_credits(session, release.id) if release.state == "published" else ({}, {})
    views = [
        ItemView(
            item=item,
            posts=[found[post_id] for post_id in posts_by_item.get(item.id, []) if post_id in found],
            credits=credits.get(item.id, {}),
            credit_counts=counts.get(item.id, {}),
        )
        for item in items
    ]
    roll = honour_roll(session, release_id=release.id) if release.state == "published" else []
    return ReleaseView(release=release, items=views, honour_roll=roll, credited=release.credited)


def item_posts(session: Session, items: list[ReleaseItem]) -> dict[int, list[int]]:
    """Each item's posts as they stand now: a post and the duplicates merged into it, or a pain
    point's posts."""
    post_items = [item for item in items if item.post_id is not None]
    duplicates = audience.duplicates_of(session, post_ids=[item.post_id for item in post_items])
    found = {item.id: [item.post_id, *duplicates.get(item.post_id, [])] for item in post_items}
    point_items = [item for item in items if item.pain_point_id is not None]
    if point_items:
        by_point = pain_points.posts_of(session, pain_point_ids=[item.pain_point_id for item in point_items])
        found |= {item.id: by_point.get(item.pain_point_id, []) for item in point_items}
    return found


def published_posts(session: Session, item_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if item_ids:
        rows = session.execute(
            select(ReleaseItemPost.item_id, ReleaseItemPost.post_id)
            .where(ReleaseItemPost.item_id.in_(item_ids))
            .order_by(ReleaseItemPost.post_id)
        )
        for item_id, post_id in rows:
            found.setdefault(item_id, []).append(post_id)
    return found


def _credited(member: Member, roles: tuple[str, ...] = ()) -> CreditedMember:
    return CreditedMember(
        member.id, member.handle, member.display_name, member.xp, level_for(member.xp), roles
    )


def _item_credits(
    session: Session, release_id: int
) -> tuple[dict[int, dict[str, list[CreditedMember]]], dict[int, dict[str, int]]]:
    """Per item and role: the highest-level credited members (CREDITS_SHOWN) and the count."""
    counts: dict[int, dict[str, int]] = {}
    for item_id, role, count in session.execute(
        select(ReleaseCredit.item_id, ReleaseCredit.role, func.count())
        .where(ReleaseCredit.release_id == release_id)
        .group_by(ReleaseCredit.item_id, ReleaseCredit.role)
    ):
        counts.setdefault(item_id, {})[role] = count
    ranked = (
        select(
            ReleaseCredit.item_id,
            ReleaseCredit.role,
            Member,
            func.row_number()
            .over(
                partition_by=(ReleaseCredit.item_id, ReleaseCredit.role),
                order_by=(Member.xp.desc(), Member.id),
            )
            .label("rank"),
        )
        .join(Member, Member.id == ReleaseCredit.member_id)
        .where(ReleaseCredit.release_id == release_id)
        .subquery()
    )
    shown: dict[int, dict[str, list[CreditedMember]]] = {}
    member = ranked.c
    rows = session.execute(
        select(member.item_id, member.role, member.id, member.handle, member.display_name, member.xp)
        .where(member.rank <= CREDITS_SHOWN)
        .order_by(member.item_id, member.role, member.rank)
    )
    for item_id, role, member_id, handle, display_name, xp in rows:
        shown.setdefault(item_id, {}).setdefault(role, []).append(
            CreditedMember(member_id, handle, display_name, xp, level_for(xp))
        )
    return shown, counts


def honour_roll(session: Session, *, release_id: int, limit: int = HONOUR_ROLL_SHOWN) -> list[CreditedMember]:
    """The fans a release credits, those who reported first, then by fan level; each with their
    roles. Ranked in the database: a release may credit 100,000 fans, the page shows `limit`."""
    rank = case({role: index for index, role in enumerate(CREDIT_ROLES)}, value=ReleaseCredit.role)
    best = (
        select(ReleaseCredit.member_id, func.min(rank).label("best"))
        .where(ReleaseCredit.release_id == release_id)
        .group_by(ReleaseCredit.member_id)
        .subquery()
    )
    members = list(
        session.scalars(
            select(Member)
            .join(best, best.c.member_id == Member.id)
            .order_by(best.c.best, Member.xp.desc(), Member.id)
            .limit(limit)
        )
    )
    roles: dict[int, set[str]] = {}
    if members:
        for member_id, role in session.execute(
            select(ReleaseCredit.member_id, ReleaseCredit.role).where(
                ReleaseCredit.release_id == release_id, ReleaseCredit.member_id.in_([m.id for m in members])
            )
        ):
            roles.setdefault(member_id, set()).add(role)
    order = {role: index for index, role in enumerate(CREDIT_ROLES)}
    return [_credited(member, tuple(sorted(roles.get(member.id, ()), key=order.get))) for member in members]


@dataclass(frozen=True)
class ShippedCredit:
    """Something that shipped because of a member."""

    version: str
    published_at: datetime
    summary: str
    post_id: int | None
    roles: tuple[str, ...]


def shipped_because_of(session: Session, *, member_id: int, limit: int = 50) -> list[ShippedCredit]:
    """The items of published releases that credit the member, newest release first."""
    rows = session.execute(
        select(
            Release.version,
            Release.published_at,
            ReleaseItem.id,
            ReleaseItem.summary,
            ReleaseItem.post_id,
            ReleaseCredit.role,
        )
        .join(ReleaseItem, ReleaseItem.id == ReleaseCredit.item_id)
        .join(Release, Release.id == ReleaseCredit.release_id)
        .where(ReleaseCredit.member_id == member_id, Release.state == "published")
        .order_by(Release.published_at.desc(), ReleaseItem.position, ReleaseItem.id)
        .limit(limit * len(CREDIT_ROLES))  # at most one row per role and item
    ).all()
    order = {role: index for index, role in enumerate(CREDIT_ROLES)}
    found: dict[int, ShippedCredit] = {}
    for version, published_at, item_id, summary, post_id, role in rows:
        credit = found.get(item_id)
        roles = tuple(sorted({*(credit.roles if credit else ()), role}, key=order.get))
        found[item_id] = ShippedCredit(version, published_at, summary, post_id, roles)
    return list(found.values())[:limit]
