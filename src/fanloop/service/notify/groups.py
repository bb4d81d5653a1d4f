"""A member's notifications grouped by kind and post: one row per (kind, post) with its newest
notification, how many it holds and how many are unread; paged with a cursor and filtered by kind,
unread state and post. Notifications about no post stay a group of one each: a second release is
news of its own, not "2 releases".

Groups are ordered by their newest notification, newest first, and the cursor is that notification's
id, so a page boundary does not move when groups are marked read and nothing is shown twice; a
group that gets a new notification moves to the top, where the next look finds it."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.service.notify.models import Notification

MAX_ID = 2**31 - 1
MAX_PAGE = 100
KIND_PATTERN = re.compile(r"^[a-z][a-z_]{0,29}$")
_KEY_PATTERN = re.compile(r"^([a-z][a-z_]{0,29}):(n?)([0-9]{1,10})$")
_CURSOR_ERROR = "The cursor is not valid for this listing; start again without it."


@dataclass(frozen=True, slots=True)
class GroupFilters:
    kind: str | None = None
    unread_only: bool = False
    post_id: int | None = None


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    key: str
    kind: str
    post_id: int | None
    count: int
    unread: int
    first_at: datetime
    latest: Notification  # the newest notification of the group: its title, link and time are shown


@dataclass(slots=True)
class GroupPage:
    items: list[NotificationGroup]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: str
    count: int
    unread: int


@dataclass(frozen=True, slots=True)
class GroupKey:
    kind: str
    post_id: int | None = None
    notification_id: int | None = None  # for a notification about no post, a group of its own

    def __str__(self) -> str:
        if self.post_id is not None:
            return f"{self.kind}:{self.post_id}"
        return f"{self.kind}:n{self.notification_id}"


@dataclass(frozen=True, slots=True)
class Overview:
    """What the list shows around its page: the counts by kind (the filter) and the unread totals."""

    kinds: list[KindCount] = field(default_factory=list)
    unread: int = 0
    unread_groups: int = 0


def parse_group_key(key: str) -> GroupKey:
    """`sla_escalation:12` (a kind on a post) or `release_shipped:n345` (one notification)."""
    match = _KEY_PATTERN.match(key) if isinstance(key, str) else None
    number = int(match[3]) if match else 0
    if not match or not 0 < number <= MAX_ID:
        raise Invalid("Not a notification group.", field="groups")
    if match[2]:
        return GroupKey(match[1], notification_id=number)
    return GroupKey(match[1], post_id=number)


def check_filters(filters: GroupFilters) -> None:
    """Refuse a kind or post no notification could have (instead of an empty list that hides a typo
    in an integration)."""
    if filters.kind is not None and not KIND_PATTERN.match(filters.kind):
        raise Invalid("Not a kind of notification.", field="kind")
    if filters.post_id is not None and not 0 < filters.post_id <= MAX_ID:
        raise Invalid("Not a post id.", field="post_id")


def encode_cursor(latest_id: int) -> str:
    raw = json.dumps(["groups", latest_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, latest_id = json.loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise Invalid(_CURSOR_ERROR, field="cursor") from error
    if name != "groups" or type(latest_id) is not int or not 0 < latest_id <= MAX_ID:
        raise Invalid(_CURSOR_ERROR, field="cursor")
    return latest_id


# A notification about no post is grouped by its own id; about a post, by the post alone (0 here).
_alone = case((Notification.post_id.is_(None), Notification.id), else_=literal_column("0"))
_unread = func.sum(case((Notification.read_at.is_(None), 1), else_=0))


def _where(member_id: int, *, kind: str | None, post_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [Notification.member_id == member_id]
    if kind is not None:
        conditions.append(Notification.kind == kind)
    if post_id is not None:
        conditions.append(Notification.post_id == post_id)
    return conditions


def list_groups(
    session: Session,
    *,
    member_id: int,
    filters: GroupFilters | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> GroupPage:
    """One page of a member's notification groups, newest first."""
    filters = filters or GroupFilters()
    check_filters(filters)
    limit = max(1, min(limit, MAX_PAGE))
    latest_id = func.max(Notification.id)
    query = (
        select(
            latest_id.label("latest_id"),
            func.count().label("count"),
            _unread.label("unread"),
            func.min(Notification.created_at).label("first_at"),
        )
        .where(*_where(member_id, kind=filters.kind, post_id=filters.post_id))
        .group_by(Notification.kind, Notification.post_id, _alone)
        .order_by(latest_id.desc())
        .limit(limit + 1)
    )
    if filters.unread_only:
        query = query.having(_unread > 0)
    if cursor:
        query = query.having(latest_id < decode_cursor(cursor))
    rows = session.execute(query).all()
    shown = rows[:limit]
    latest = {
        n.id: n
        for n in session.scalars(
            select(Notification).where(Notification.id.in_([r.latest_id for r in shown]))
        )
    }
    items = []
    for row in shown:
        newest = latest[row.latest_id]
        key = GroupKey(newest.kind, post_id=newest.post_id, notification_id=newest.id)
        items.append(
            NotificationGroup(
                key=str(key),
                kind=newest.kind,
                post_id=newest.post_id,
                count=row.count,
                unread=int(row.unread or 0),
                first_at=row.first_at,
                latest=newest,
            )
        )
    next_cursor = encode_cursor(shown[-1].latest_id) if len(rows) > limit else None
    return GroupPage(items=items, next_cursor=next_cursor)


def count_by_kind(
    session: Session, *, member_id: int, unread_only: bool = False, post_id: int | None = None
) -> list[KindCount]:
    """How many notifications of each kind a member has (with `unread_only`, only kinds with unread
    ones), most first: the summary that doubles as the kind filter."""
    total = func.count()
    query = (
        select(Notification.kind, total.label("count"), _unread.label("unread"))
        .where(*_where(member_id, kind=None, post_id=post_id))
        .group_by(Notification.kind)
        .order_by(total.desc(), Notification.kind)
    )
    if unread_only:
        query = query.having(_unread > 0)
    return [KindCount(row.kind, row.count, int(row.unread or 0)) for row in session.execute(query)]


def unread_group_count(session: Session, *, member_id: int, cap: int | None = None) -> int:
    """How many groups hold an unread notification; with `cap`, counting stops there (the bell shows
    "99+")."""
    groups = (
        select(Notification.kind, Notification.post_id, _alone.label("alone"))
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
        .distinct()
    )
    if cap is not None:
        groups = groups.limit(cap)
    return session.scalar(select(func.count()).select_from(groups.subquery()))


def overview(session: Session, *, member_id: int, filters: GroupFilters) -> Overview:
    """The counts around a page of groups."""
    kinds = count_by_kind(
        session, member_id=member_id, unread_only=filters.unread_only, post_id=filters.post_id
    )
    unread = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    )
    return Overview(
        kinds=kinds, unread=unread, unread_groups=unread_group_count(session, member_id=member_id)
    )


def mark_groups_read(session: Session, *, member_id: int, keys: list[str]) -> int:
    """Mark every notification of the given groups read; returns how many were unread."""
    conditions = []
    for key in {parse_group_key(key) for key in keys}:
        if key.post_id is not None:
            conditions.append(and_(Notification.kind == key.kind, Notification.post_id == key.post_id))
        else:
            conditions.append(and_(Notification.kind == key.kind, Notification.id == key.notification_id))
    if not conditions:
        return 0
    result = session.execute(
        update(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None), or_(*conditions))
        .values(read_at=clock.now())
    )
    return result.rowcount
