"""Member pages: profiles with fan level and contributions, the leaderboard, and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.levels import service as levels
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.repository import PostFilters
from fanloop.core.errors import Invalid
from fanloop.deps import CurrentMember, SessionDep
from fanloop.web.deps import CsrfChecked, PageRoute, login_url, redirect
from fanloop.web.errors import form_errors
from fanloop.web.i18n import gettext
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
RECENT_POSTS = 10


def _profile_context(session: Session, viewer: Member | None, member: Member) -> dict:
    recent = posts.list_posts(
        session, viewer=viewer, sort="new", filters=PostFilters(author_id=member.id), limit=RECENT_POSTS
    )
    is_self = viewer is not None and viewer.id == member.id
    return {
        "profile": member,
        "level": levels.level_for(member.xp),
        "upcoming": levels.next_level(member.xp),
        "progress": round(levels.level_progress(member.xp) * 100),
        "contributions": levels.contributions(session, member_id=member.id),
        "shipped": posts.shipped_posts_of(session, member_id=member.id, limit=20),
        "recent": recent.items,
        "is_self": is_self,
        "tokens": members.list_api_tokens(session, member=viewer) if is_self else [],
        "new_token": None,
        "errors": {},
    }


@router.get("/u/{handle}", response_class=HTMLResponse)
def profile(handle: str, request: Request, session: SessionDep, viewer: CurrentMember):
    """A member's level, contributions, what shipped because of them and their latest posts."""
    member = members.get_member(session, handle=handle)
    return render(request, "community/profile.html", _profile_context(session, viewer, member))


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(request: Request, session: SessionDep):
    """Fans ranked by experience."""
    return render(request, "community/leaderboard.html", {"ranked": levels.leaderboard(session, limit=50)})


@router.post("/me/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=200)] = "",
):
    """Issue an API token; its value is on this page only, once."""
    if viewer is None:
        return redirect(request, login_url("/"))
    try:
        _token, raw = members.create_api_token(session, member=viewer, name=name)
    except Invalid as error:
        session.rollback()
        context = {**_profile_context(session, viewer, viewer), "errors": form_errors(error)}
        return render(request, "community/profile.html", context, status_code=422)
    context = {**_profile_context(session, viewer, viewer), "new_token": raw, "new_token_name": name.strip()}
    return render(request, "community/profile.html", context)


@router.post("/me/tokens/{token_id:int}/revoke")
def revoke_token(
    token_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    if viewer is None:
        return redirect(request, login_url("/"))
    members.revoke_api_token(session, member=viewer, token_id=token_id)
    url = f"/u/{viewer.handle}#tokens"
    return redirect(request, url, flash=gettext("The token is revoked; requests with it now fail."))
