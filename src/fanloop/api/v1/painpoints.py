"""Pain points: the ranked list, one with its posts, the staff actions, and re-mine runs (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from fanloop.deps import RequiredMember, SessionDep
from fanloop.insights.painpoints import actions, scheduled
from fanloop.insights.painpoints import service as pain_points
from fanloop.insights.painpoints.schemas import (
    MiningRunRead,
    PainPointDetailRead,
    PainPointMerge,
    PainPointPage,
    PainPointRead,
    PainPointSplit,
    PainPointStatusUpdate,
    PainPointUpdate,
    StatusLinkRead,
)

router = APIRouter(prefix="/pain-points", tags=["pain points"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


@router.get("", response_model=PainPointPage)
def list_pain_points(
    session: SessionDep,
    viewer: RequiredMember,
    limit: Limit = 20,
    offset: Offset = 0,
    include_hidden: bool = False,
):
    """Pain points ranked: pinned first, then by score, each with the factors of its score, posts per
    day for the last 28 days and its most representative posts."""
    page = pain_points.ranked_pain_points(
        session, viewer=viewer, limit=limit, offset=offset, include_hidden=include_hidden
    )
    return PainPointPage(
        items=[PainPointRead.of(item) for item in page.items], total=page.total, next_offset=page.next_offset
    )


@router.get("/runs", response_model=list[MiningRunRead])
def list_runs(session: SessionDep, viewer: RequiredMember, limit: Limit = 20):
    """The latest re-mines, newest first, with their state and progress."""
    return [MiningRunRead.of(run) for run in scheduled.list_runs(session, viewer=viewer, limit=limit)]


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED, response_model=MiningRunRead)
def request_run(session: SessionDep, actor: RequiredMember):
    """Queue a re-mine (leads); a worker runs it. If one is already queued, that one is returned."""
    return MiningRunRead.of(scheduled.request_remine(session, actor=actor))


@router.get("/runs/{run_id}", response_model=MiningRunRead)
def get_run(run_id: int, session: SessionDep, viewer: RequiredMember):
    return MiningRunRead.of(scheduled.get_run(session, viewer=viewer, run_id=run_id))


@router.get("/{pain_point_id}", response_model=PainPointDetailRead)
def get_pain_point(
    pain_point_id: int, session: SessionDep, viewer: RequiredMember, limit: Limit = 20, offset: Offset = 0
):
    """One pain point with its posts, most representative first, paginated by offset."""
    detail = pain_points.pain_point_detail(
        session, viewer=viewer, pain_point_id=pain_point_id, limit=limit, offset=offset
    )
    return PainPointDetailRead.of_detail(detail)


@router.patch("/{pain_point_id}", response_model=PainPointRead)
def update_pain_point(pain_point_id: int, body: PainPointUpdate, session: SessionDep, actor: RequiredMember):
    """Rename, pin or unpin, hide or show a pain point (staff)."""
    summary = actions.update_pain_point(
        session,
        actor=actor,
        pain_point_id=pain_point_id,
        name=body.name,
        pinned=body.pinned,
        hidden=body.hidden,
    )
    return PainPointRead.of(summary)


@router.post("/{pain_point_id}/merge", response_model=PainPointRead)
def merge(pain_point_id: int, body: PainPointMerge, session: SessionDep, actor: RequiredMember):
    """Merge this pain point into another (staff): its posts move; the other keeps its id and name."""
    return PainPointRead.of(
        actions.merge(session, actor=actor, pain_point_id=pain_point_id, into_id=body.into_pain_point_id)
    )


@router.post("/{pain_point_id}/split", status_code=status.HTTP_201_CREATED, response_model=PainPointRead)
def split(pain_point_id: int, body: PainPointSplit, session: SessionDep, actor: RequiredMember):
    """Move the chosen posts into a new pain point (staff); answers the new one."""
    return PainPointRead.of(
        actions.split(
            session, actor=actor, pain_point_id=pain_point_id, post_ids=body.post_ids, name=body.name
        )
    )


@router.put("/{pain_point_id}/status", response_model=StatusLinkRead)
def link_status(pain_point_id: int, body: PainPointStatusUpdate, session: SessionDep, actor: RequiredMember):
    """Link a status (staff): it is set on the pain point's open posts, whose followers are told."""
    link = actions.link_status(
        session, actor=actor, pain_point_id=pain_point_id, status=body.status, note=body.note
    )
    return StatusLinkRead(pain_point=PainPointRead.of(link.pain_point), posts_changed=link.posts_changed)


@router.delete("/{pain_point_id}/status", response_model=StatusLinkRead)
def unlink_status(pain_point_id: int, session: SessionDep, actor: RequiredMember):
    """Unlink the status; the posts keep theirs."""
    link = actions.link_status(session, actor=actor, pain_point_id=pain_point_id, status=None)
    return StatusLinkRead(pain_point=PainPointRead.of(link.pain_point), posts_changed=link.posts_changed)
