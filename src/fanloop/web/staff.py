"""The staff area and the staff tools on a post: status changes, moderation, merging, roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.repository import PostFilters
from fanloop.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated
from fanloop.core.permissions import Action, Role, can
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.web.deps import CsrfChecked, PageRoute, login_url, redirect
from fanloop.web.errors import error_message
from fanloop.web.i18n import gettext
from fanloop.web.painpoints import top_pain_points
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
Note = Annotated[str, Form(max_length=2000)]
TABS = ("open", "moderated", "statuses", "log", "members")


def _attempt(
    request: Request,
    session: Session,
    viewer: Member | None,
    back: str,
    action: Callable[[], object],
    done: str,
) -> Response:
    """Run a staff action and go back with a message; a refused change is reported, not an error page."""
    if viewer is None:
        return redirect(request, login_url(back))
    try:
        action()
    except (Invalid, Conflict) as error:
        session.rollback()
        return redirect(request, back, flash=error_message(error), kind="error")
    return redirect(request, back, flash=done)


# --------------------------------------------------------------------------- actions on posts


@router.post("/posts/{post_id:int}/status")
def change_status(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    status: Annotated[str, Form(max_length=20)] = "",
    note: Note = "",
) -> Response:
    """Set a post's status with a note; the change shows in the post's timeline."""
    return _attempt(
        request,
        session,
        viewer,
        f"/posts/{post_id}",
        lambda: posts.change_status(session, actor=viewer, post_id=post_id, status=status, note=note),
        gettext("The status is updated."),
    )


@router.post("/posts/{post_id:int}/moderation")
def moderate_post(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Note = "",
) -> Response:
    """Hide, lock or delete a post, or undo it; every action is audited."""
    return _attempt(
        request,
        session,
        viewer,
        f"/posts/{post_id}",
        lambda: posts.moderate_post(session, actor=viewer, post_id=post_id, action=action, reason=reason),
        gettext("Done. The action is recorded in the moderation log."),
    )


@router.post("/replies/{reply_id:int}/moderation")
def moderate_reply(
    reply_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    post_id: Annotated[int, Form(gt=0)],
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Note = "",
) -> Response:
    return _attempt(
        request,
        session,
        viewer,
        f"/posts/{post_id}#reply-{reply_id}",
        lambda: posts.moderate_reply(session, actor=viewer, reply_id=reply_id, action=action, reason=reason),
        gettext("Done. The action is recorded in the moderation log."),
    )


@router.post("/posts/{post_id:int}/merge")
def merge_post(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    into_post_id: Annotated[str, Form(max_length=12)] = "",
    note: Note = "",
) -> Response:
    """Merge this duplicate into another post; its votes, followers and replies move there."""
    into = int(into_post_id.strip().lstrip("#")) if into_post_id.strip().lstrip("#").isdigit() else 0
    if into <= 0:
        message = gettext("Enter the number of the post to merge into.")
        return redirect(request, f"/posts/{post_id}", flash=message, kind="error")
    return _attempt(
        request,
        session,
        viewer,
        f"/posts/{into}",
        lambda: posts.merge_posts(session, actor=viewer, duplicate_id=post_id, into_id=into, note=note),
        gettext("The posts are merged."),
    )


# --------------------------------------------------------------------------- the staff area


def _require_staff(viewer: Member | None) -> None:
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    if not can(viewer, Action.VIEW_STAFF_AREA):
        raise Forbidden("The staff area is for the product team.")


@router.get("/staff", response_class=HTMLResponse)
def staff_area(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    tab: str = "open",
    q: Annotated[str, Query(max_length=100)] = "",
):
    """Posts waiting for a status, moderated posts, recent status changes; the moderation log for
    leads and member roles for admins."""
    _require_staff(viewer)
    allowed = {
        "open": True,
        "moderated": True,
        "statuses": True,
        "log": can(viewer, Action.VIEW_AUDIT_LOG),
        "members": can(viewer, Action.MANAGE_ROLES),
    }
    tab = tab if allowed.get(tab) else "open"
    context: dict = {"tab": tab, "tabs": [t for t in TABS if allowed[t]], "q": q.strip()}
    if tab == "open":
        filters = PostFilters(status="open")
        context["posts"] = posts.list_posts(
            session, viewer=viewer, sort="new", filters=filters, limit=50
        ).items
        context["top_pain_points"] = top_pain_points(session, viewer)
    elif tab == "moderated":
        context["posts"] = posts.moderated_posts(session, viewer=viewer)
    elif tab == "statuses":
        context["changes"] = posts.recent_status_changes(session, viewer=viewer)
    elif tab == "log":
        context["actions"] = posts.moderation_log(session, viewer=viewer, limit=100)
    else:
        context["found"] = members.find_members(session, actor=viewer, query=q) if q.strip() else []
        context["roles"] = [role.value for role in Role]
    return render(request, "staff/index.html", context)


@router.post("/staff/members/{handle}/role")
def set_role(
    handle: str,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    role: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _require_staff(viewer)
    return _attempt(
        request,
        session,
        viewer,
        f"/staff?tab=members&q={quote(handle)}",
        lambda: members.set_role(session, actor=viewer, handle=handle, role=role),
        gettext("The role is changed."),
    )


@router.post("/staff/members/{handle}/reset-link", response_class=HTMLResponse)
def reset_link(
    handle: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
):
    """Issue a password-reset link to hand to a member out of band; shown once."""
    _require_staff(viewer)
    token = members.issue_reset_link(session, actor=viewer, handle=handle)
    link = f"{settings.base_url.rstrip('/')}/reset?token={token}"
    context = {
        "tab": "members",
        "tabs": list(TABS),
        "q": handle,
        "found": [],
        "roles": [r.value for r in Role],
    }
    context.update(reset_link=link, reset_handle=handle, reset_hours=members.RESET_TOKEN_HOURS)
    return render(request, "staff/index.html", context)
