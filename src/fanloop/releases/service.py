"""Releases as staff compose them: the cadence, drafts, items, scheduling. Reading them (the
changelog and its credits) is in changelog.py, publishing in flows.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import audience
from fanloop.community.posts.models import Post, StatusChange
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, can, require
from fanloop.core.text import render_markdown
from fanloop.insights.painpoints import service as pain_points
from fanloop.releases import beta, cadence
from fanloop.releases.models import (
    Release,
    ReleaseItem,
    ReleaseTrain,
)

MAX_ID = 2**31 - 1
MAX_VERSION = 40
MAX_TITLE = 200
MAX_NOTES = 20_000
MAX_SUMMARY = 200
MAX_ITEMS = 5_000
OPEN_STATES = ("draft", "scheduled")


# --------------------------------------------------------------------------- the cadence


def get_train(session: Session) -> ReleaseTrain:
    """The release cadence; the default (weekly, Friday 17:00 Asia/Shanghai) until a lead changes it."""
    train = session.get(ReleaseTrain, 1)
    if train is None:
        train = ReleaseTrain(
            id=1,
            weekday=4,
            time_of_day="17:00",
            timezone="Asia/Shanghai",
            every_weeks=1,
            version_format="%Y.%m.%d",
            updated_at=clock.now(),
        )
        session.add(train)
        session.flush()
    return train


def update_train(
    session: Session,
    *,
    actor: Member,
    weekday: int | None = None,
    time_of_day: str | None = None,
    timezone: str | None = None,
    every_weeks: int | None = None,
    version_format: str | None = None,
) -> ReleaseTrain:
    """Change the cadence (leads). Drafts not yet scheduled move to the new cadence time."""
    require(actor, Action.MANAGE_RELEASE_TRAIN)
    train = get_train(session)
    old_zone, old_format = train.timezone, train.version_format
    if weekday is not None:
        if not 0 <= weekday <= 6:
            raise Invalid("The weekday is 0 (Monday) to 6 (Sunday).", field="weekday")
        train.weekday = weekday
    if time_of_day is not None:
        hours, minutes = cadence.parse_time_of_day(time_of_day)
        train.time_of_day = f"{hours:02d}:{minutes:02d}"
    if timezone is not None:
        cadence.zone(timezone.strip())
        train.timezone = timezone.strip()
    if every_weeks is not None:
        if not 1 <= every_weeks <= 12:
            raise Invalid("A release comes every 1 to 12 weeks.", field="every_weeks")
        train.every_weeks = every_weeks
    if version_format is not None:
        if not version_format.strip() or len(version_format) > 40:
            raise Invalid("The version format is 1-40 characters (strftime codes).", field="version_format")
        cadence.version_for(clock.now(), timezone=train.timezone, version_format=version_format)
        train.version_format = version_format.strip()
    train.updated_at = clock.now()
    for release in session.scalars(select(Release).where(Release.state == "draft")):
        named_by_date = release.version == cadence.version_for(
            release.planned_for, timezone=old_zone, version_format=old_format
        )
        release.planned_for = next_release_time(session, train)
        renamed = cadence.version_for(
            release.planned_for, timezone=train.timezone, version_format=train.version_format
        )
        if named_by_date and renamed != release.version:  # the cadence's name follows the date; staff's stays
            release.version = _free_version(session, renamed)
    return train


def next_release_time(session: Session, train: ReleaseTrain) -> datetime:
    """The next cadence time after now (and a whole period after the last published release)."""
    last = session.scalar(select(func.max(Release.planned_for)).where(Release.state == "published"))
    return cadence.next_release_time(
        clock.now(),
        weekday=train.weekday,
        time_of_day=train.time_of_day,
        timezone=train.timezone,
        every_weeks=train.every_weeks,
        last=last,
    )


def open_release(session: Session) -> Release | None:
    """The release being composed: the earliest one not yet published."""
    return session.scalar(
        select(Release)
        .where(Release.state.in_(OPEN_STATES))
        .order_by(Release.planned_for, Release.id)
        .limit(1)
    )


def ensure_open_release(session: Session) -> Release:
    """The open release, or a new draft for the next cadence time: the cadence opens the next release."""
    release = open_release(session)
    if release is not None:
        return release
    train = get_train(session)
    planned_for = next_release_time(session, train)
    version = _free_version(
        session,
        cadence.version_for(planned_for, timezone=train.timezone, version_format=train.version_format),
    )
    return _new_release(session, version=version, planned_for=planned_for, created_by=None)


def _free_version(session: Session, version: str) -> str:
    """`version`, or `version-2`, `-3`… if taken."""
    candidate, number = version, 1
    while session.scalar(select(Release.id).where(Release.version == candidate)) is not None:
        number += 1
        candidate = f"{version[: MAX_VERSION - 1 - len(str(number))]}-{number}"
    return candidate


def _new_release(
    session: Session,
    *,
    version: str,
    planned_for: datetime,
    created_by: Member | None,
    title: str = "",
    notes: str = "",
) -> Release:
    now = clock.now()
    release = Release(
        version=version,
        title=title,
        notes=notes,
        notes_html=render_markdown(notes) if notes else "",
        state="draft",
        planned_for=planned_for,
        created_by_id=created_by.id if created_by else None,
        notified=0,
        credited=0,
        created_at=now,
        updated_at=now,
    )
    session.add(release)
    session.flush()
    return release


# --------------------------------------------------------------------------- composing


def _text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"The {field} is required.", field=field)
    if len(value) > max_length:
        raise Invalid(f"The {field} is at most {max_length} characters.", field=field)
    return value


def _version(value: str) -> str:
    """A version is also a path segment (/changelog/<version>): letters, digits and . _ + - only."""
    value = _text(value, field="version", max_length=MAX_VERSION, required=True)
    if not cadence.VERSION_PATTERN.fullmatch(value):
        raise Invalid(
            "A version is letters, digits and . _ + - (for example 2026.12.04 or 6.12.4).", field="version"
        )
    return value


def create_release(
    session: Session,
    *,
    actor: Member,
    version: str | None = None,
    title: str = "",
    notes: str = "",
    planned_for: datetime | None = None,
) -> Release:
    """Open a release by hand (staff); without a version or time it takes the next cadence slot's."""
    require(actor, Action.MANAGE_RELEASES)
    train = get_train(session)
    planned_for = planned_for or next_release_time(session, train)
    if version:
        version = _version(version)
        if session.scalar(select(Release.id).where(Release.version == version)) is not None:
            raise Conflict(f"Release {version} exists already.")
    else:
        version = _free_version(
            session,
            cadence.version_for(planned_for, timezone=train.timezone, version_format=train.version_format),
        )
    return _new_release(
        session,
        version=version,
        planned_for=planned_for,
        created_by=actor,
        title=_text(title, field="title", max_length=MAX_TITLE),
        notes=_text(notes, field="notes", max_length=MAX_NOTES),
    )


def get_release(session: Session, *, viewer: Member | None, release_id: int) -> Release:
    """A release by id: published ones for everyone, open ones for staff."""
    release = session.get(Release, release_id) if 0 < release_id <= MAX_ID else None
    if release is None or not may_see(session, viewer, release):
        raise NotFound(f"Release {release_id} not found.")
    return release


def get_release_by_version(session: Session, *, viewer: Member | None, version: str) -> Release:
    release = (
        session.scalar(select(Release).where(Release.version == version))
        if len(version) <= MAX_VERSION
        else None
    )
    if release is None or not may_see(session, viewer, release):
        raise NotFound(f"Release {version} not found.")
    return release


def may_see(session: Session, viewer: Member | None, release: Release) -> bool:
    """Published releases for everyone; open ones for staff, and for the beta group (pre-release
    notes)."""
    if release.state == "published" or can(viewer, Action.MANAGE_RELEASES):
        return True
    return viewer is not None and not viewer.is_suspended and beta.is_member(session, viewer.id)


def prerelease(session: Session, *, viewer: Member | None) -> list[Release]:
    """Open releases with items, for the beta group and staff (empty for everyone else)."""
    if viewer is None or not (can(viewer, Action.MANAGE_RELEASES) or beta.is_member(session, viewer.id)):
        return []
    has_items = select(ReleaseItem.id).where(ReleaseItem.release_id == Release.id).exists()
    return list(
        session.scalars(
            select(Release).where(Release.state.in_(OPEN_STATES), has_items).order_by(Release.planned_for)
        )
    )


def _open_for_change(session: Session, actor: Member, release_id: int) -> Release:
    require(actor, Action.MANAGE_RELEASES)
    release = get_release(session, viewer=actor, release_id=release_id)
    if release.state == "published":
        raise Conflict(f"Release {release.version} is published; its items can no longer change.")
    return release


def update_release(
    session: Session,
    *,
    actor: Member,
    release_id: int,
    version: str | None = None,
    title: str | None = None,
    notes: str | None = None,
    planned_for: datetime | None = None,
) -> Release:
    """Edit a release (staff). A published release keeps its version and date; its text may be mended."""
    require(actor, Action.MANAGE_RELEASES)
    release = get_release(session, viewer=actor, release_id=release_id)
    published = release.state == "published"
    if version is not None and version.strip() != release.version:
        if published:
            raise Conflict("A published release keeps its version.")
        version = _version(version)
        if session.scalar(select(Release.id).where(Release.version == version)) is not None:
            raise Conflict(f"Release {version} exists already.")
        release.version = version
    if title is not None:
        release.title = _text(title, field="title", max_length=MAX_TITLE)
    if notes is not None:
        release.notes = _text(notes, field="notes", max_length=MAX_NOTES)
        release.notes_html = render_markdown(release.notes) if release.notes else ""
    if planned_for is not None:
        if published:
            raise Conflict("A published release keeps its date.")
        release.planned_for = planned_for
    release.updated_at = clock.now()
    return release


def delete_release(session: Session, *, actor: Member, release_id: int) -> None:
    """Delete a release that was never published (staff)."""
    release = _open_for_change(session, actor, release_id)
    session.delete(release)


def add_item(
    session: Session,
    *,
    actor: Member,
    release_id: int,
    post_id: int | None = None,
    pain_point_id: int | None = None,
    summary: str = "",
) -> ReleaseItem:
    """Put a post or a pain point in a release (staff), at the end; its changelog line defaults to
    the post's title or the pain point's label."""
    release = _open_for_change(session, actor, release_id)
    if (post_id is None) == (pain_point_id is None):
        raise Invalid("Give either a post or a pain point.", field="post_id")
    if post_id is not None:
        brief = audience.briefs(session, post_ids=[post_id]).get(post_id) if 0 < post_id <= MAX_ID else None
        if brief is None:
            raise NotFound(f"Post {post_id} not found.")
        if brief.status in ("declined", "duplicate"):
            raise Conflict(f"Post {post_id} is {brief.status}; ship the post it points to instead.")
        default = brief.title
        taken = ReleaseItem.post_id == post_id
    else:
        found = (
            pain_points.labels_of(session, pain_point_ids=[pain_point_id])
            if 0 < pain_point_id <= MAX_ID
            else {}
        )
        if pain_point_id not in found:
            raise NotFound(f"Pain point {pain_point_id} not found.")
        default = found[pain_point_id][0]
        taken = ReleaseItem.pain_point_id == pain_point_id
    if session.scalar(select(ReleaseItem.id).where(ReleaseItem.release_id == release.id, taken)) is not None:
        raise Conflict("It is in this release already.")
    count = session.scalar(
        select(func.count()).select_from(ReleaseItem).where(ReleaseItem.release_id == release.id)
    )
    if count >= MAX_ITEMS:
        raise Invalid(f"A release holds at most {MAX_ITEMS} items.", field="post_id")
    item = ReleaseItem(
        release_id=release.id,
        post_id=post_id,
        pain_point_id=pain_point_id,
        summary=_text(summary, field="summary", max_length=MAX_SUMMARY) or default[:MAX_SUMMARY],
        position=count,
        created_at=clock.now(),
    )
    session.add(item)
    release.updated_at = clock.now()
    session.flush()
    return item


def _item(session: Session, release: Release, item_id: int) -> ReleaseItem:
    item = session.get(ReleaseItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None or item.release_id != release.id:
        raise NotFound(f"Item {item_id} is not in release {release.version}.")
    return item


def update_item(
    session: Session, *, actor: Member, release_id: int, item_id: int, summary: str
) -> ReleaseItem:
    """Reword an item's changelog line (staff)."""
    release = _open_for_change(session, actor, release_id)
    item = _item(session, release, item_id)
    item.summary = _text(summary, field="summary", max_length=MAX_SUMMARY, required=True)
    return item


def remove_item(session: Session, *, actor: Member, release_id: int, item_id: int) -> None:
    """Take an item out of an unpublished release (staff)."""
    release = _open_for_change(session, actor, release_id)
    session.delete(_item(session, release, item_id))
    session.flush()
    _renumber(session, release.id)
    if release.state == "scheduled" and not items_of(session, release.id):
        release.state, release.published_by_id = "draft", None  # nothing left to publish


def reorder_items(
    session: Session, *, actor: Member, release_id: int, item_ids: list[int]
) -> list[ReleaseItem]:
    """Set the items' order (staff): the ids given first, in that order, then the rest as they were."""
    release = _open_for_change(session, actor, release_id)
    items = items_of(session, release.id)
    by_id = {item.id: item for item in items}
    unknown = [item_id for item_id in item_ids if item_id not in by_id]
    if unknown:
        raise Invalid(f"Not items of release {release.version}: {unknown[:5]}", field="item_ids")
    ordered = [by_id[item_id] for item_id in dict.fromkeys(item_ids)]
    ordered += [item for item in items if item.id not in set(item_ids)]
    for position, item in enumerate(ordered):
        item.position = position
    return ordered


def _renumber(session: Session, release_id: int) -> None:
    for position, item in enumerate(items_of(session, release_id)):
        item.position = position


def items_of(session: Session, release_id: int) -> list[ReleaseItem]:
    return list(
        session.scalars(
            select(ReleaseItem)
            .where(ReleaseItem.release_id == release_id)
            .order_by(ReleaseItem.position, ReleaseItem.id)
        )
    )


def schedule(session: Session, *, actor: Member, release_id: int) -> Release:
    """Have a worker publish the release at its planned time (staff); the scheduler is its publisher."""
    release = _open_for_change(session, actor, release_id)
    if not items_of(session, release.id):
        raise Invalid("Add at least one item before scheduling the release.")
    release.state = "scheduled"
    release.published_by_id = actor.id
    release.updated_at = clock.now()
    return release


def unschedule(session: Session, *, actor: Member, release_id: int) -> Release:
    """Back to draft (staff): it will not publish by itself."""
    release = _open_for_change(session, actor, release_id)
    release.state = "draft"
    release.published_by_id = None
    release.updated_at = clock.now()
    return release


@dataclass(frozen=True)
class Candidate:
    """Something staff may put in a release."""

    kind: str  # post | pain_point
    id: int
    title: str
    status: str | None
    votes: int = 0
    posts: int = 1


@dataclass(frozen=True)
class Candidates:
    planned: list[Candidate]
    in_progress: list[Candidate]
    changed_since_last: list[Candidate]  # posts whose status changed since the last release


def candidates(session: Session, *, actor: Member, release_id: int, limit: int = 100) -> Candidates:
    """What could go into a release (staff): planned and in-progress posts and pain points, and posts
    whose status changed since the last release was published; none already in a release."""
    release = _open_for_change(session, actor, release_id)
    # Not what an open release holds already (a post shipped before and planned again is offered).
    open_items = (
        select(ReleaseItem)
        .join(Release, Release.id == ReleaseItem.release_id)
        .where(Release.state.in_(OPEN_STATES))
    )
    in_release = open_items.with_only_columns(ReleaseItem.post_id).where(ReleaseItem.post_id.is_not(None))
    base = select(Post).where(
        Post.deleted_at.is_(None), Post.merged_into_id.is_(None), Post.id.not_in(in_release)
    )

    def posts_with(status: str) -> list[Candidate]:
        rows = session.scalars(
            base.where(Post.status == status).order_by(Post.vote_count.desc(), Post.id).limit(limit)
        )
        return [Candidate("post", post.id, post.title, post.status, post.vote_count) for post in rows]

    points_in_release = set(
        session.scalars(
            open_items.with_only_columns(ReleaseItem.pain_point_id).where(
                ReleaseItem.pain_point_id.is_not(None)
            )
        )
    )
    by_status: dict[str, list[Candidate]] = {"planned": [], "in_progress": []}
    for point in pain_points.linked_points(session, statuses=tuple(by_status)):
        if point.id not in points_in_release:
            by_status[point.status].append(
                Candidate("pain_point", point.id, point.label, point.status, point.votes, point.posts)
            )
    last = session.scalar(select(func.max(Release.published_at)).where(Release.state == "published"))
    changed_query = base.where(Post.status.not_in(("open", "declined", "duplicate")))
    if last is not None:
        changed_query = changed_query.where(
            Post.id.in_(select(StatusChange.post_id).where(StatusChange.created_at > last))
        )
    changed = session.scalars(changed_query.order_by(Post.updated_at.desc(), Post.id.desc()).limit(limit))
    del release
    return Candidates(
        planned=by_status["planned"] + posts_with("planned"),
        in_progress=by_status["in_progress"] + posts_with("in_progress"),
        changed_since_last=[
            Candidate("post", post.id, post.title, post.status, post.vote_count) for post in changed
        ],
    )
