"""Publishing a release: the multi-step work with side effects.

In one transaction:
1. Claim the release: a single guarded UPDATE moves it from draft or scheduled to published. Only
   one caller can win it; a second worker, or a retried request, finds it published and stops
   (on PostgreSQL the second UPDATE waits for the first transaction's row lock, then sees the new
   state; on SQLite writers take turns).
2. Fix each item's posts (the post and its merged duplicates, or a pain point's posts) and set them
   shipped. Each change is recorded and reaches webhooks, but nobody is told post by post.
3. Credit the fans who reported, confirmed (a "me too" on a bug) or voted for each item, and give
   each credited fan experience once for the release, for their best role.
4. Tell every author, voter and follower of every item once: one notification per member, naming
   all of their posts in the release, under the dedupe key `release:<id>:<member>`, which the
   database keeps unique; email follows from the notification, and webhooks get one
   `release.published` event.
5. Open the next release at the next cadence time.

Nothing leaves the process before the commit: a failure anywhere rolls all of it back, and the retry
starts again from a release that is still unpublished."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from fanloop.community.levels import service as levels
from fanloop.community.members.models import Member
from fanloop.community.posts import audience
from fanloop.community.posts import service as posts
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid
from fanloop.core.permissions import Action, require
from fanloop.insights.painpoints import service as pain_points
from fanloop.releases import beta, changelog, feedback, service
from fanloop.releases.models import CREDIT_ROLES, Release, ReleaseCredit, ReleaseItemPost
from fanloop.service.notify import service as notify

# Post titles named in one member's notification; beyond it, "and N more".
TITLES_NAMED = 20
BATCH = 1000
# The experience each credit role earns (the member's best role in the release counts).
CREDIT_REASONS = {
    "reporter": "release_reporter",
    "tester": "release_tester",
    "confirmer": "release_confirmer",
    "voter": "release_voter",
}


@dataclass(frozen=True)
class Published:
    release: Release
    posts_shipped: int
    credited: int
    notified: int


def publish(session: Session, *, release_id: int, actor: Member | None = None) -> Published:
    """Publish a release now: by a staff member (`actor`), or by the worker at its scheduled time
    (no actor: the member who scheduled it publishes)."""
    if actor is not None:
        require(actor, Action.MANAGE_RELEASES)
    release = (
        service.get_release(session, viewer=actor, release_id=release_id)
        if actor
        else session.get(Release, release_id)
    )
    if release is None:
        raise Invalid(f"Release {release_id} does not exist.")
    if release.state == "published":
        raise Conflict(f"Release {release.version} is published already.")
    publisher = actor or (session.get(Member, release.published_by_id) if release.published_by_id else None)
    if publisher is None:
        raise Invalid(f"Release {release.version} has no publisher: schedule it again.")
    require(publisher, Action.MANAGE_RELEASES)
    items = service.items_of(session, release.id)
    if not items:
        raise Invalid("Add at least one item before publishing the release.")
    now = clock.now()
    claimed = session.execute(
        update(Release)
        .where(Release.id == release.id, Release.state.in_(service.OPEN_STATES))
        .values(state="published", published_at=now, published_by_id=publisher.id, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(f"Release {release.version} is published already.")
    session.refresh(release)

    posts_by_item = changelog.item_posts(session, items)
    _store_item_posts(session, posts_by_item)
    post_ids = sorted({post_id for ids in posts_by_item.values() for post_id in ids})
    shipped = posts.ship_posts(
        session, actor=publisher, post_ids=post_ids, note=f"Shipped in {release.version}"
    )
    pain_points.mark_shipped(
        session, pain_point_ids=[item.pain_point_id for item in items if item.pain_point_id]
    )

    briefs = audience.briefs(session, post_ids=post_ids)
    askers = audience.askers(session, post_ids=post_ids)
    askers += _testers(session, post_ids, before=now)
    credited = _credit(session, release, posts_by_item, briefs, askers)
    notified = _tell(session, release, briefs, askers, leaving_out=publisher.id)
    notify.emit(session, topic="release.published", payload=_payload(release, items, posts_by_item, notified))
    release.credited, release.notified = credited, notified
    feedback.close_awards(session, before=release)
    service.ensure_open_release(session)
    return Published(release=release, posts_shipped=len(shipped), credited=credited, notified=notified)


def _store_item_posts(session: Session, posts_by_item: dict[int, list[int]]) -> None:
    rows = [
        {"item_id": item_id, "post_id": post_id} for item_id, ids in posts_by_item.items() for post_id in ids
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(ReleaseItemPost), rows[start : start + BATCH])


def _testers(session: Session, post_ids: list[int], *, before) -> list[audience.Asker]:  # noqa: ANN001
    """Beta members who discussed the posts before the release: they tested the pre-release."""
    replies = audience.repliers(session, post_ids=post_ids, before=before)
    testers = beta.member_ids(session, among=sorted({member_id for _, member_id in replies}))
    return [audience.Asker(post_id, member_id, "tester", True) for post_id, member_id in replies if member_id in testers]


def _credit(
    session: Session,
    release: Release,
    posts_by_item: dict[int, list[int]],
    briefs: dict[int, audience.PostBrief],
    askers: list[audience.Asker],
) -> int:
    """Credit rows per item and role (fans only: the honour roll celebrates fans), and experience
    once per fan for their best role; returns how many fans were credited."""
    items_of_post: dict[int, list[int]] = defaultdict(list)
    for item_id, ids in posts_by_item.items():
        for post_id in ids:
            items_of_post[post_id].append(item_id)
    credits: set[tuple[int, int, str]] = set()
    for asker in askers:
        if not asker.is_fan or asker.relation == "follower" or asker.post_id not in briefs:
            continue
        if asker.relation == "author":
            role = "reporter"
        elif asker.relation == "tester":
            role = "tester"
        else:  # a vote on a bug is a "me too": it confirms the bug
            role = "confirmer" if briefs[asker.post_id].kind == "bug" else "voter"
        for item_id in items_of_post[asker.post_id]:
            credits.add((item_id, asker.member_id, role))
    rows = [
        {"item_id": item_id, "member_id": member_id, "role": role, "release_id": release.id}
        for item_id, member_id, role in sorted(credits)
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(ReleaseCredit), rows[start : start + BATCH])
    order = {role: index for index, role in enumerate(CREDIT_ROLES)}
    best: dict[int, str] = {}
    for _, member_id, role in credits:
        if member_id not in best or order[role] < order[best[member_id]]:
            best[member_id] = role
    levels.award_many(
        session,
        reasons={member_id: CREDIT_REASONS[role] for member_id, role in best.items()},
        subject=f"release:{release.id}",
    )
    return len(best)


def _tell(
    session: Session,
    release: Release,
    briefs: dict[int, audience.PostBrief],
    askers: list[audience.Asker],
    *,
    leaving_out: int,
) -> int:
    """One notification per member who asked, naming each of their posts in the release."""
    asked: dict[int, set[int]] = defaultdict(set)
    for asker in askers:
        if asker.post_id in briefs and asker.member_id != leaving_out:
            asked[asker.member_id].add(asker.post_id)
    notices = (
        notify.Notice(
            member_id=member_id,
            title=release.version,
            body=shipped_lines([briefs[post_id] for post_id in sorted(post_ids)]),
            url=f"/changelog/{release.version}",
            post_id=min(post_ids),
        )
        for member_id, post_ids in sorted(asked.items())
    )
    notify.notify_each(
        session, notices=notices, kind="release_shipped", dedupe_prefix=f"release:{release.id}"
    )
    return len(asked)


def shipped_lines(briefs: list[audience.PostBrief]) -> str:
    """The body of a release notification: one line per post ("#12 Title"), at most TITLES_NAMED."""
    lines = [f"#{brief.id} {brief.title}" for brief in briefs[:TITLES_NAMED]]
    if len(briefs) > TITLES_NAMED:
        lines.append(f"+{len(briefs) - TITLES_NAMED}")
    return "\n".join(lines)


def _payload(release: Release, items: list, posts_by_item: dict[int, list[int]], notified: int) -> dict:
    return {
        "release": {
            "id": release.id,
            "version": release.version,
            "title": release.title,
            "path": f"/changelog/{release.version}",
            "published_at": release.published_at.isoformat() if release.published_at else None,
        },
        "items": [
            {
                "id": item.id,
                "summary": item.summary,
                "post_id": item.post_id,
                "pain_point_id": item.pain_point_id,
                "post_ids": posts_by_item.get(item.id, []),
            }
            for item in items
        ],
        "notified": notified,
    }
