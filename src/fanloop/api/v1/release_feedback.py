"""What fans say about a release: four-box reports and the weekly award; and the beta group."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from fanloop.deps import CurrentMember, RequiredMember, SessionDep, SettingsDep
from fanloop.releases import beta, feedback
from fanloop.releases import service as releases
from fanloop.releases.schemas import (
    AwardRead,
    AwardVoteCreate,
    BetaInvitation,
    BetaSettingsUpdate,
    BetaStatusRead,
    DayCount,
    ItemTallyRead,
    ReportCreate,
    ReportRead,
    ReportSummaryRead,
    SeatRead,
    StandingRead,
)

router = APIRouter(tags=["releases"])


@router.post("/releases/{release_id}/reports", status_code=status.HTTP_201_CREATED, response_model=ReportRead)
def file_report(
    release_id: int, body: ReportCreate, session: SessionDep, member: RequiredMember, settings: SettingsDep
):
    """File a four-box report on a published release (once per fan): what you liked most and least,
    what broke (becomes a bug post) and what you want next (becomes a suggestion post)."""
    report = feedback.file_report(
        session, member=member, release_id=release_id, settings=settings, **body.model_dump()
    )
    return ReportRead.model_validate(report)


@router.get("/releases/{release_id}/reports/summary", response_model=ReportSummaryRead)
def report_summary(release_id: int, session: SessionDep, viewer: RequiredMember):
    """The release's reports summed up (staff): per box, per item, per day."""
    found = feedback.report_summary(session, viewer=viewer, release_id=release_id)
    return ReportSummaryRead(
        version=found.release.version,
        reports=found.reports,
        from_beta=found.from_beta,
        box_counts=found.box_counts,
        items=[ItemTallyRead(**vars(tally)) for tally in found.items],
        per_day=[DayCount(day=day.isoformat(), reports=count) for day, count in found.per_day],
        bug_posts=found.bug_posts,
        wish_posts=found.wish_posts,
    )


def _award(session, viewer, release_id: int) -> AwardRead:  # noqa: ANN001
    release = releases.get_release(session, viewer=viewer, release_id=release_id)
    winner, fans, staff = feedback.award_result(session, release=release)
    return AwardRead(
        open=release.state == "published" and release.award_closed_at is None,
        my_vote=feedback.my_award_vote(session, member=viewer, release_id=release.id),
        standings=[StandingRead(**vars(s)) for s in feedback.standings(session, release_id=release.id)],
        winner=StandingRead(**vars(winner)) if winner else None,
        fans=[member.handle for member in fans],
        staff=[member.handle for member in staff],
    )


@router.get("/releases/{release_id}/award", response_model=AwardRead)
def award(release_id: int, session: SessionDep, viewer: CurrentMember):
    """The vote for the best update: standings, and once closed the winner with its fans and staff."""
    return _award(session, viewer, release_id)


@router.put("/releases/{release_id}/award/vote", response_model=AwardRead)
def vote_award(release_id: int, body: AwardVoteCreate, session: SessionDep, member: RequiredMember):
    """Vote for the best update of the release (one vote per fan; voting again moves it)."""
    feedback.vote_award(session, member=member, release_id=release_id, item_id=body.item_id)
    return _award(session, member, release_id)


def _status(session, member) -> BetaStatusRead:  # noqa: ANN001
    return BetaStatusRead(**vars(beta.status_of(session, member)))


@router.get("/beta", response_model=BetaStatusRead)
def beta_status(session: SessionDep, member: RequiredMember):
    """Where you stand with the beta group, and its seats."""
    return _status(session, member)


@router.post("/beta/join", response_model=BetaStatusRead)
def join_beta(session: SessionDep, member: RequiredMember):
    """Join by contribution, when your experience reaches the threshold and seats are left."""
    beta.join(session, member=member)
    return _status(session, member)


@router.post("/beta/accept", response_model=BetaStatusRead)
def accept_beta(session: SessionDep, member: RequiredMember):
    """Accept your invitation."""
    beta.accept(session, member=member)
    return _status(session, member)


@router.delete("/beta/membership", response_model=BetaStatusRead)
def leave_beta(session: SessionDep, member: RequiredMember):
    """Leave the group, or decline an invitation."""
    beta.leave(session, member=member)
    return _status(session, member)


@router.get("/beta/seats", response_model=list[SeatRead])
def seats(session: SessionDep, actor: RequiredMember):
    """Everyone in the group or invited (leads)."""
    return [
        SeatRead(
            handle=s.member.handle,
            via=s.via,
            invited_by=s.invited_by,
            created_at=s.created_at,
            accepted_at=s.accepted_at,
        )
        for s in beta.seats(session, actor=actor)
    ]


@router.patch("/beta/settings", response_model=BetaStatusRead)
def update_beta(body: BetaSettingsUpdate, session: SessionDep, actor: RequiredMember):
    """Seats and the score threshold (leads); `invitation_only` clears the threshold."""
    beta.update_settings(
        session,
        actor=actor,
        seats=body.seats,
        score_threshold=body.score_threshold,
        clear_threshold=body.invitation_only,
    )
    return _status(session, actor)


@router.post("/beta/invitations", status_code=status.HTTP_201_CREATED, response_model=SeatRead)
def invite(body: BetaInvitation, session: SessionDep, actor: RequiredMember):
    """Invite a member (leads); they are told and join when they accept."""
    row = beta.invite(session, actor=actor, handle=body.handle)
    return SeatRead(
        handle=body.handle, via=row.via, invited_by=actor.handle, created_at=row.created_at, accepted_at=None
    )


@router.delete("/beta/seats/{handle}", status_code=status.HTTP_204_NO_CONTENT)
def remove(handle: str, session: SessionDep, actor: RequiredMember):
    """Take a member out of the group, or withdraw an invitation (leads)."""
    beta.remove(session, actor=actor, handle=handle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
