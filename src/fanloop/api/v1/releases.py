"""Releases: the cadence, composing and publishing (staff), the changelog and the roadmap (everyone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fanloop.community.members import service as members
from fanloop.deps import CurrentMember, RequiredMember, SessionDep
from fanloop.releases import changelog, flows, roadmap, service
from fanloop.releases.schemas import (
    CandidatesRead,
    CardMove,
    CardRead,
    ItemCreate,
    ItemOrder,
    ItemUpdate,
    PublishRead,
    ReleaseCreate,
    ReleaseDetailRead,
    ReleasePage,
    ReleaseRead,
    ReleaseUpdate,
    RoadmapOrder,
    RoadmapRead,
    ShippedRead,
    Subject,
    TrainRead,
    TrainUpdate,
)

router = APIRouter(tags=["releases"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _language(viewer) -> str:  # noqa: ANN001
    return (viewer.language if viewer is not None else "") or "en"


def _detail(session, viewer, release_id: int) -> ReleaseDetailRead:  # noqa: ANN001
    release = service.get_release(session, viewer=viewer, release_id=release_id)
    return ReleaseDetailRead.of_view(changelog.release_view(session, release=release), _language(viewer))


def _roadmap(session) -> RoadmapRead:  # noqa: ANN001
    columns = roadmap.roadmap(session)
    return RoadmapRead(**{column: [CardRead.of(card) for card in cards] for column, cards in columns.items()})


@router.get("/release-train", response_model=TrainRead)
def get_train(session: SessionDep):
    """The release cadence and the time of the next release."""
    train = service.get_train(session)
    return TrainRead.of(train, service.next_release_time(session, train))


@router.patch("/release-train", response_model=TrainRead)
def update_train(body: TrainUpdate, session: SessionDep, actor: RequiredMember):
    """Change the cadence (leads); drafts move to the new cadence time."""
    train = service.update_train(session, actor=actor, **body.model_dump(exclude_unset=True))
    return TrainRead.of(train, service.next_release_time(session, train))


@router.get("/releases", response_model=ReleasePage)
def list_releases(
    session: SessionDep,
    viewer: CurrentMember,
    limit: Limit = 20,
    offset: Offset = 0,
    include_open: bool = False,
):
    """Published releases, newest first; staff may ask for the open ones too."""
    rows, total = changelog.list_releases(
        session, viewer=viewer, include_open=include_open, limit=limit, offset=offset
    )
    next_offset = offset + limit if offset + limit < total else None
    return ReleasePage(
        items=[ReleaseRead.of(release) for release in rows], total=total, next_offset=next_offset
    )


@router.post("/releases", status_code=status.HTTP_201_CREATED, response_model=ReleaseRead)
def create_release(body: ReleaseCreate, session: SessionDep, actor: RequiredMember):
    """Open a release (staff); version and time default to the next cadence slot's."""
    return ReleaseRead.of(service.create_release(session, actor=actor, **body.model_dump()))


@router.get("/releases/{release_id}", response_model=ReleaseDetailRead)
def get_release(release_id: int, session: SessionDep, viewer: CurrentMember):
    """A release with its items, their posts and credits, and the honour roll."""
    return _detail(session, viewer, release_id)


@router.get("/changelog/{version}", response_model=ReleaseDetailRead)
def get_release_by_version(version: str, session: SessionDep, viewer: CurrentMember):
    """The same, by version: what the changelog page shows."""
    release = service.get_release_by_version(session, viewer=viewer, version=version)
    return ReleaseDetailRead.of_view(changelog.release_view(session, release=release), _language(viewer))


@router.patch("/releases/{release_id}", response_model=ReleaseRead)
def update_release(release_id: int, body: ReleaseUpdate, session: SessionDep, actor: RequiredMember):
    """Edit a release (staff); a published one keeps its version and date."""
    release = service.update_release(
        session, actor=actor, release_id=release_id, **body.model_dump(exclude_unset=True)
    )
    return ReleaseRead.of(release)


@router.delete("/releases/{release_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_release(release_id: int, session: SessionDep, actor: RequiredMember):
    """Delete a release that was never published (staff)."""
    service.delete_release(session, actor=actor, release_id=release_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/releases/{release_id}/items", status_code=status.HTTP_201_CREATED, response_model=ReleaseDetailRead
)
def add_item(release_id: int, body: ItemCreate, session: SessionDep, actor: RequiredMember):
    """Put a post or a pain point in the release (staff)."""
    service.add_item(session, actor=actor, release_id=release_id, **body.model_dump())
    return _detail(session, actor, release_id)


@router.patch("/releases/{release_id}/items/{item_id}", response_model=ReleaseDetailRead)
def update_item(release_id: int, item_id: int, body: ItemUpdate, session: SessionDep, actor: RequiredMember):
    """Reword an item's changelog line (staff)."""
    service.update_item(session, actor=actor, release_id=release_id, item_id=item_id, summary=body.summary)
    return _detail(session, actor, release_id)


@router.delete("/releases/{release_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_item(release_id: int, item_id: int, session: SessionDep, actor: RequiredMember):
    """Take an item out of the release (staff)."""
    service.remove_item(session, actor=actor, release_id=release_id, item_id=item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/releases/{release_id}/items/order", response_model=ReleaseDetailRead)
def reorder_items(release_id: int, body: ItemOrder, session: SessionDep, actor: RequiredMember):
    """Set the items' order (staff): these first, in this order."""
    service.reorder_items(session, actor=actor, release_id=release_id, item_ids=body.item_ids)
    return _detail(session, actor, release_id)


@router.get("/releases/{release_id}/candidates", response_model=CandidatesRead)
def candidates(release_id: int, session: SessionDep, actor: RequiredMember, limit: Limit = 100):
    """What could go into the release (staff): planned, in progress, and changed since the last one."""
    return CandidatesRead.of(service.candidates(session, actor=actor, release_id=release_id, limit=limit))


@router.post("/releases/{release_id}/schedule", response_model=ReleaseRead)
def schedule(release_id: int, session: SessionDep, actor: RequiredMember):
    """Publish at its planned time (staff); a worker does it."""
    return ReleaseRead.of(service.schedule(session, actor=actor, release_id=release_id))


@router.post("/releases/{release_id}/unschedule", response_model=ReleaseRead)
def unschedule(release_id: int, session: SessionDep, actor: RequiredMember):
    """Back to draft (staff)."""
    return ReleaseRead.of(service.unschedule(session, actor=actor, release_id=release_id))


@router.post("/releases/{release_id}/publish", response_model=PublishRead)
def publish(release_id: int, session: SessionDep, actor: RequiredMember):
    """Publish now (staff): posts shipped, fans credited, everyone who asked told once. A second
    call answers 409."""
    result = flows.publish(session, actor=actor, release_id=release_id)
    return PublishRead(
        release=ReleaseRead.of(result.release),
        posts_shipped=result.posts_shipped,
        credited=result.credited,
        notified=result.notified,
    )


@router.get("/members/{handle}/shipped", response_model=list[ShippedRead])
def shipped_because_of(handle: str, session: SessionDep, limit: Limit = 50):
    """What shipped because of a member: the released items that credit them."""
    member = members.get_member(session, handle=handle)
    return [
        ShippedRead(
            version=credit.version,
            published_at=credit.published_at,
            summary=credit.summary,
            post_id=credit.post_id,
            roles=list(credit.roles),
        )
        for credit in changelog.shipped_because_of(session, member_id=member.id, limit=limit)
    ]


@router.get("/roadmap", response_model=RoadmapRead)
def get_roadmap(session: SessionDep):
    """Planned, in progress and recently shipped, in staff order then by votes."""
    return _roadmap(session)


@router.put("/roadmap/order", response_model=RoadmapRead)
def reorder_roadmap(body: RoadmapOrder, session: SessionDep, actor: RequiredMember):
    """Put these cards first in their columns, in this order (staff)."""
    roadmap.reorder(session, actor=actor, cards=[(card.subject, card.id) for card in body.cards])
    return _roadmap(session)


@router.post("/roadmap/cards/{subject}/{card_id}/move", response_model=RoadmapRead)
def move_card(subject: Subject, card_id: int, body: CardMove, session: SessionDep, actor: RequiredMember):
    """Move a card to planned or in progress (staff): its status changes and followers are told."""
    roadmap.move(
        session, actor=actor, subject=subject, subject_id=card_id, status=body.status, note=body.note
    )
    return _roadmap(session)
