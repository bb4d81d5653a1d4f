"""Fan levels: experience points for participation, named levels, profiles and the leaderboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from fanloop.community.levels.models import XpEvent
from fanloop.community.members.models import Member
from fanloop.core import clock

# Points per kind of contribution; a vote received is small, a shipped suggestion is the big prize.
POINTS = {
    "post_created": 5,
    "reply_created": 2,
    "vote_received": 1,
    "bug_confirmed": 15,
    "suggestion_shipped": 30,
    # Credits of a published release, one per member and release, for the member's best role there.
    "release_reporter": 30,
    "release_tester": 10,
    "release_confirmer": 5,
    "release_voter": 2,
    # Credited on the update fans voted the best of its release.
    "award_winner": 20,
}


@dataclass(frozen=True, slots=True)
class Level:
    number: int
    min_xp: int
    name_en: str
    name_zh: str

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


LEVELS: tuple[Level, ...] = (
    Level(1, 0, "Newcomer", "新手上路"),
    Level(2, 20, "Rookie fan", "初级粉丝"),
    Level(3, 60, "Active fan", "活跃粉丝"),
    Level(4, 150, "Senior fan", "资深粉丝"),
    Level(5, 400, "Core fan", "核心粉丝"),
    Level(6, 1000, "Honoured fan", "荣誉粉丝"),
    Level(7, 2500, "Legend", "传奇粉丝"),
)


def level_for(xp: int) -> Level:
    """The highest level whose threshold the points reach."""
    current = LEVELS[0]
    for level in LEVELS:
        if xp >= level.min_xp:
            current = level
    return current


def next_level(xp: int) -> Level | None:
    return next((level for level in LEVELS if level.min_xp > xp), None)


def level_progress(xp: int) -> float:
    """Share of the way from the current level to the next, 0..1 (1 at the top level)."""
    current, upcoming = level_for(xp), next_level(xp)
    if upcoming is None:
        return 1.0
    return (xp - current.min_xp) / (upcoming.min_xp - current.min_xp)


def dedupe_key(reason: str, post_id: int | None, subject: str = "") -> str:
    """What makes an award once only: one per reason, post and subject."""
    return f"{reason}:{post_id}:{subject}"


def award(session: Session, *, member_id: int, reason: str, post_id: int | None, subject: str = "") -> bool:
    """Give the points for one contribution, once; returns False if it was already given."""
    key = dedupe_key(reason, post_id, subject)
    exists = session.scalar(select(XpEvent.id).where(XpEvent.dedupe_key == key))
    if exists:
        return False
    points = POINTS[reason]
    session.add(
        XpEvent(
            member_id=member_id,
            reason=reason,
            points=points,
            post_id=post_id,
            dedupe_key=key,
            created_at=clock.now(),
        )
    )
    session.execute(update(Member).where(Member.id == member_id).values(xp=Member.xp + points))
    return True


def award_many(session: Session, *, reasons: dict[int, str], subject: str, batch: int = 1000) -> int:
    """Give each member (key) the points of their reason (value) for one subject, once per member
    and subject whatever the reason; returns how many were new. For a release's credits: thousands
    of members in a few statements."""
    now = clock.now()
    keys = {member_id: f"{subject}:member:{member_id}" for member_id in reasons}
    members = sorted(keys)
    added = 0
    for start in range(0, len(members), batch):
        chunk = members[start : start + batch]
        given = set(
            session.scalars(select(XpEvent.dedupe_key).where(XpEvent.dedupe_key.in_([keys[m] for m in chunk])))
        )
        fresh = [member_id for member_id in chunk if keys[member_id] not in given]
        if not fresh:
            continue
        session.execute(
            insert(XpEvent),
            [
                {
                    "member_id": member_id,
                    "reason": reasons[member_id],
                    "points": POINTS[reasons[member_id]],
                    "post_id": None,
                    "dedupe_key": keys[member_id],
                    "created_at": now,
                }
                for member_id in fresh
            ],
        )
        by_points: dict[int, list[int]] = {}
        for member_id in fresh:
            by_points.setdefault(POINTS[reasons[member_id]], []).append(member_id)
        for points, member_ids in by_points.items():
            session.execute(update(Member).where(Member.id.in_(member_ids)).values(xp=Member.xp + points))
        added += len(fresh)
    return added


def revoke(session: Session, *, reason: str, post_id: int | None, subject: str = "") -> None:
    """Take back an award (a vote withdrawn, a post deleted)."""
    dedupe_key = f"{reason}:{post_id}:{subject}"
    event = session.scalar(select(XpEvent).where(XpEvent.dedupe_key == dedupe_key))
    if event is None:
        return
    session.execute(update(Member).where(Member.id == event.member_id).values(xp=Member.xp - event.points))
    session.execute(delete(XpEvent).where(XpEvent.id == event.id))


def contributions(session: Session, *, member_id: int) -> dict[str, int]:
    """How many of each kind of contribution earned the member points."""
    rows = session.execute(
        select(XpEvent.reason, func.count()).where(XpEvent.member_id == member_id).group_by(XpEvent.reason)
    ).all()
    counts = {reason: 0 for reason in POINTS}
    counts.update({reason: count for reason, count in rows})
    return counts


def leaderboard(session: Session, *, limit: int = 50) -> list[Member]:
    """Members with the most experience, staff excluded: the board celebrates fans."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.role == "fan", Member.is_suspended.is_(False))
            .order_by(Member.xp.desc(), Member.id)
            .limit(limit)
        )
    )
