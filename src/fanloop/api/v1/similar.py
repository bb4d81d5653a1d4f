"""Similar posts: likely duplicates of a draft (members), of a post, and answered posts (staff).

Included before the posts routes: `/posts/similar` would otherwise reach `/posts/{post_id}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fanloop.community.posts import service as posts
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.deps import RequiredMember, SessionDep
from fanloop.insights.similar import service as similar
from fanloop.insights.similar.schemas import AnsweredSuggestionRead, SimilarPostRead

router = APIRouter(tags=["similar posts"])
PostId = Annotated[int, Path(gt=0, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=similar.MAX_LIMIT)]


@router.get("/posts/similar", response_model=list[SimilarPostRead])
def draft_duplicates(
    member: RequiredMember,
    session: SessionDep,
    title: Annotated[str, Query(max_length=200)] = "",
    body: Annotated[str, Query(max_length=20_000, description="Only the start is compared")] = "",
    board: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 5,
):
    """Posts that look like a post being written, most similar first: show them before it is
    published, so the fan can vote there instead. Capped per member (429 with Retry-After)."""
    if not title.strip() and not body.strip():
        raise Invalid("Give a title or a body to compare.", field="title")
    board_id = None
    if board:
        board_id = next((b.id for b in posts.list_boards(session) if b.slug == board), None)
        if board_id is None:
            raise Invalid(f"No board {board!r}.", field="board")
    similar.draft_limiter.hit(str(member.id))
    found = similar.likely_duplicates(session, title=title, body=body, board_id=board_id, limit=limit)
    return [SimilarPostRead.of(post) for post in found]


@router.get("/posts/{post_id}/similar", response_model=list[SimilarPostRead])
def post_duplicates(post_id: PostId, member: RequiredMember, session: SessionDep, limit: Limit = 5):
    """Possible duplicates of a post, most similar first (staff)."""
    require(member, Action.VIEW_STAFF_AREA)
    return [SimilarPostRead.of(post) for post in similar.similar_posts(session, post_id=post_id, limit=limit)]


@router.get("/posts/{post_id}/answered-suggestions", response_model=list[AnsweredSuggestionRead])
def answered_suggestions(post_id: PostId, member: RequiredMember, session: SessionDep, limit: Limit = 5):
    """The most similar posts staff already answered in public, with those answers (staff)."""
    require(member, Action.VIEW_STAFF_AREA)
    found = similar.answered_suggestions(session, post_id=post_id, limit=limit)
    return [AnsweredSuggestionRead.of(suggestion) for suggestion in found]
