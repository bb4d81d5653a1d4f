"""What fans say back about a release: the four-box experience report (MIUI's 四格体验报告) and the
weekly award for the best update.

A report's "what broke" becomes a bug post and its "what next" a suggestion post, in the board
most of the release's posts are in: they get reply clocks, vectors and pain points like any post.
The award takes one vote per fan (a fan may change it) until the next release is published; then
the item with the most votes wins, and the fans credited on it and the staff who worked on it are
told (the fans earn experience)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.levels import service as levels
from fanloop.community.members.models import Member
from fanloop.community.posts import audience
from fanloop.community.posts import service as posts
from fanloop.core import clock
from fanloop.core.config import Settings
from fanloop.core.errors import Conflict, Invalid
from fanloop.core.permissions import Action, require
from fanloop.releases import beta, changelog, service
from fanloop.releases.models import AwardVote, ExperienceReport, Release, ReleaseCredit, ReleaseItem
from fanloop.service.notify import service as notify

MAX_ANSWER = 5_000
TITLE_LENGTH = 80
BOXES = ("liked_most", "liked_least", "broke", "want_next")


def _published(session: Session, viewer: Member | None, release_id: int) -> Release:
    release = service.get_release(session, viewer=viewer, release_id=release_id)
    if release.state != "published":
        raise Conflict(f"Release {release.version} is not published yet.")
    return release


def _item_of(session: Session, release: Release, item_id: int | None, field_name: str) -> int | None:
    if item_id is None:
        return None
    item = session.get(ReleaseItem, item_id) if 0 < item_id <= service.MAX_ID else None
    if item is None or item.release_id != release.id:
        raise Invalid(f"Item {item_id} is not in release {release.version}.", field=field_name)
    return item.id


def _answer(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_ANSWER:
        raise Invalid(f"An answer is at most {MAX_ANSWER} characters.", field=field_name)
    return value


def _title(version: str, text: str) -> str:
    first = " ".join(text.split())
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1] + "…"
    return f"[{version}] {first}"


def _board_for(session: Session, release: Release) -> str:
    """The board most of the release's posts are in (else the first board)."""
    items = service.items_of(session, release.id)
    post_ids = [post_id for ids in changelog.item_posts(session, items).values() for post_id in ids]
    return posts.main_board(session, post_ids=post_ids)


def file_report(
    session: Session,
    *,
    member: Member,
    release_id: int,
    settings: Settings,
    liked_most: str = "",
    liked_most_item_id: int | None = None,
    liked_least: str = "",
    liked_least_item_id: int | None = None,
    broke: str = "",
    want_next: str = "",
) -> ExperienceReport:
    """File a four-box report on a published release (once per fan and release)."""
    require(member, Action.CREATE_POST)
    release = _published(session, member, release_id)
    answers = {
        "liked_most": _answer(liked_most, "liked_most"),
        "liked_least": _answer(liked_least, "liked_least"),
        "broke": _answer(broke, "broke"),
        "want_next": _answer(want_next, "want_next"),
    }
    most = _item_of(session, release, liked_most_item_id, "liked_most_item_id")
    least = _item_of(session, release, liked_least_item_id, "liked_least_item_id")
    if not any(answers.values()) and most is None and least is None:
        raise Invalid("Fill in at least one of the four boxes.", field="liked_most")
    if session.scalar(
        select(ExperienceReport.id).where(
            ExperienceReport.release_id == release.id, ExperienceReport.member_id == member.id
        )
    ):
        raise Conflict(f"You have already reported on release {release.version}.")
    made = {}
    if answers["broke"] or answers["want_next"]:
        board = _board_for(session, release)
        for box, kind in (("broke", "bug"), ("want_next", "suggestion")):
            if answers[box]:
                made[box] = posts.create_post(
                    session,
                    author=member,
                    data=posts.PostInput(
                        board=board,
                        kind=kind,
                        title=_title(release.version, answers[box]),
                        body=f"{answers[box]}\n\n_From a four-box report on release {release.version}._",
                    ),
                    settings=settings,
                ).id
    report = ExperienceReport(
        release_id=release.id,
        member_id=member.id,
        liked_most_item_id=most,
        liked_least_item_id=least,
        bug_post_id=made.get("broke"),
        wish_post_id=made.get("want_next"),
        from_beta=beta.is_member(session, member.id),
        created_at=clock.now(),
        **answers,
    )
    session.add(report)
    session.flush()
    return report


def report_of(session: Session, *, member: Member | None, release_id: int) -> ExperienceReport | None:
    """The member's report on a release, if they filed one."""
    if member is None:
        return None
    return session.scalar(
        select(ExperienceReport).where(
            ExperienceReport.release_id == release_id, ExperienceReport.member_id == member.id
        )
    )


@dataclass(frozen=True)
class ItemTally:
    item_id: int
    summary: str
    liked_most: int
    liked_least: int


@dataclass(frozen=True)
class ReportRow:
    report: ExperienceReport
    handle: str
    display_name: str


@dataclass(frozen=True)
class ReportSummary:
    release: Release
    reports: int
    from_beta: int
    box_counts: dict[str, int]  # how many reports filled each box
    items: list[ItemTally]  # liked most / least per item, release order
    per_day: list[tuple[date, int]]  # reports per day since the release, in its first 14 days
    bug_posts: int
    wish_posts: int
    latest: list[ReportRow] = field(default_factory=list)


def report_summary(session: Session, *, viewer: Member, release_id: int, latest: int = 50) -> ReportSummary:
    """The reports on a release, summed up for staff: per box, per item, per day; beta reports marked."""
    require(viewer, Action.VIEW_STAFF_AREA)
    release = _published(session, viewer, release_id)
    reports = list(
        session.scalars(
            select(ExperienceReport)
            .where(ExperienceReport.release_id == release.id)
            .order_by(ExperienceReport.created_at.desc(), ExperienceReport.id.desc())
        )
    )
    most = Counter(report.liked_most_item_id for report in reports if report.liked_most_item_id)
    least = Counter(report.liked_least_item_id for report in reports if report.liked_least_item_id)
    items = [
        ItemTally(item.id, item.summary, most.get(item.id, 0), least.get(item.id, 0))
        for item in service.items_of(session, release.id)
    ]
    start = (release.published_at or release.planned_for).date()
    days = Counter(report.created_at.date() for report in reports)
    last = max([start, *days]) if days else start
    span = min((last - start).days + 1, 14)
    per_day = [
        (
            date.fromordinal(start.toordinal() + offset),
            days.get(date.fromordinal(start.toordinal() + offset), 0),
        )
        for offset in range(span)
    ]
    authors = {
        member.id: member
        for member in session.scalars(
            select(Member).where(Member.id.in_([r.member_id for r in reports[:latest]]))
        )
    }
    return ReportSummary(
        release=release,
        reports=len(reports),
        from_beta=sum(1 for report in reports if report.from_beta),
        box_counts={box: sum(1 for report in reports if getattr(report, box)) for box in BOXES},
        items=items,
        per_day=per_day,
        bug_posts=sum(1 for report in reports if report.bug_post_id),
        wish_posts=sum(1 for report in reports if report.wish_post_id),
        latest=[
            ReportRow(report, authors[report.member_id].handle, authors[report.member_id].display_name)
            for report in reports[:latest]
            if report.member_id in authors
        ],
    )


# --------------------------------------------------------------------------- the weekly award


def vote_award(session: Session, *, member: Member, release_id: int, item_id: int) -> AwardVote:
    """Vote for the best update of a release, or move one's vote (one per fan), until voting closes."""
    require(member, Action.VOTE)
    release = _published(session, member, release_id)
    if release.award_closed_at is not None:
        raise Conflict(f"Voting for the best update of {release.version} has closed.")
    chosen = _item_of(session, release, item_id, "item_id")
    vote = session.get(AwardVote, (release.id, member.id))
    if vote is None:
        vote = AwardVote(release_id=release.id, member_id=member.id, item_id=chosen, created_at=clock.now())
        session.add(vote)
    else:
        vote.item_id = chosen
    session.flush()
    return vote


@dataclass(frozen=True)
class Standing:
    item_id: int
    summary: str
    votes: int


def standings(session: Session, *, release_id: int) -> list[Standing]:
    """Votes per item, most first (ties: the earlier item)."""
    counts = dict(
        session.execute(
            select(AwardVote.item_id, func.count())
            .where(AwardVote.release_id == release_id)
            .group_by(AwardVote.item_id)
        ).all()
    )
    items = service.items_of(session, release_id)
    ranked = sorted(items, key=lambda item: (-counts.get(item.id, 0), item.position, item.id))
    return [Standing(item.id, item.summary, counts.get(item.id, 0)) for item in ranked]


def my_award_vote(session: Session, *, member: Member | None, release_id: int) -> int | None:
    if member is None:
        return None
    vote = session.get(AwardVote, (release_id, member.id))
    return vote.item_id if vote else None


def award_team(session: Session, *, item_id: int) -> tuple[list[Member], list[Member]]:
    """Who made an item: the fans credited on it, and the staff who changed its posts' statuses or
    answered them."""
    fans = list(
        session.scalars(
            select(Member)
            .where(Member.id.in_(select(ReleaseCredit.member_id).where(ReleaseCredit.item_id == item_id)))
            .order_by(Member.xp.desc(), Member.id)
        )
    )
    post_ids = changelog.published_posts(session, [item_id]).get(item_id, [])
    staff_ids = audience.staff_who_worked_on(session, post_ids=post_ids)
    staff = list(
        session.scalars(select(Member).where(Member.id.in_(staff_ids)).order_by(Member.display_name))
    )
    return fans, staff


def close_awards(session: Session, *, before: Release) -> list[Release]:
    """Close the voting on every published release older than `before` still open: the winner is
    recorded, its fans earn experience, and its fans and staff are told. Called when `before`
    is published."""
    closed = []
    for release in session.scalars(
        select(Release).where(
            Release.state == "published", Release.award_closed_at.is_(None), Release.id != before.id
        )
    ):
        release.award_closed_at = clock.now()
        top = standings(session, release_id=release.id)
        if top and top[0].votes > 0:
            release.award_item_id = top[0].item_id
            fans, staff = award_team(session, item_id=top[0].item_id)
            levels.award_many(
                session,
                reasons={member.id: "award_winner" for member in fans if member.role == "fan"},
                subject=f"award:{release.id}",
            )
            notify.notify_each(
                session,
                notices=(
                    notify.Notice(
                        member_id=member.id,
                        title=release.version,
                        body=top[0].summary,
                        url=f"/changelog/{release.version}",
                    )
                    for member in {m.id: m for m in fans + staff}.values()
                ),
                kind="award_won",
                dedupe_prefix=f"award:{release.id}",
            )
        closed.append(release)
    return closed


def award_result(session: Session, *, release: Release) -> tuple[Standing | None, list[Member], list[Member]]:
    """The winning item of a closed vote, with its fans and staff (None while voting is open)."""
    if release.award_item_id is None:
        return None, [], []
    winner = next(
        (s for s in standings(session, release_id=release.id) if s.item_id == release.award_item_id), None
    )
    fans, staff = award_team(session, item_id=release.award_item_id)
    return winner, fans, staff


def reported_on(session: Session, *, member_id: int) -> set[int]:
    """The releases a member has reported on."""
    return set(
        session.scalars(select(ExperienceReport.release_id).where(ExperienceReport.member_id == member_id))
    )
