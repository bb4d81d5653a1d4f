"""The service desk on a post's page: who answered and how fast, the clocks and handlers for staff,
claiming, waiting on the fan, priority, and the notice that a colleague has the post open too.
Also the display helpers the desk templates share (labels, durations)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.errors import Conflict, Invalid, NotAuthenticated
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.desk import service as desk
from fanloop.service.desk.models import PRIORITIES
from fanloop.service.desk.overview import post_service
from fanloop.web.deps import CsrfChecked, PageRoute, back_path, is_htmx, login_url, page_language, redirect
from fanloop.web.errors import N_, error_message
from fanloop.web.i18n import gettext, ngettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])


# What the desk's services refuse most often on these pages; listed so the catalogue translates them.
DESK_MESSAGES = (
    N_("The inbox is for the product team."),
    N_("Only staff can be on the rota."),
    N_("A shift ends after it starts; split a shift that runs past midnight."),
    N_("A shift's start is a time from 00:00 to 23:59."),
    N_("A shift's end is a time from 00:00 to 23:59."),
    N_("Availability is on_duty or away."),
    N_("The strategy is round_robin or least_loaded."),
    N_("The default policy cannot be deleted; it applies when no other policy matches."),
    N_("The default policy applies to every post; it has no conditions."),
    N_("The default policy always comes last."),
    N_("The lowest fan level is above the highest."),
    N_("A name is 1-80 characters."),
    N_("The first reply minutes is a whole number from 1 to 527040."),
    N_("The next reply minutes is a whole number from 1 to 527040."),
    N_("The resolution minutes is a whole number from 1 to 527040."),
    N_("The warning comes at a share of the target between 0.05 and 0.99."),
    N_("Name a time zone such as Asia/Shanghai."),
    N_("A macro needs a text."),
    N_("A macro's name is 1-80 characters."),
)


# --------------------------------------------------------------------------- display helpers


def clock_label(kind: str) -> str:
    return {
        "first_reply": gettext("First reply"),
        "next_reply": gettext("Next reply"),
        "resolution": gettext("Resolution"),
    }.get(kind, kind)


def clock_state_label(state: str) -> str:
    return {
        "running": gettext("Running"),
        "paused": gettext("Paused"),
        "stopped": gettext("Met"),
        "cancelled": gettext("Cancelled"),
    }.get(state, state)


def ticket_state_label(state: str) -> str:
    return {
        "open": gettext("Waiting for a reply"),
        "waiting_on_fan": gettext("Waiting on the fan"),
        "answered": gettext("Answered"),
        "resolved": gettext("Resolved"),
    }.get(state, state)


def priority_label(priority: str) -> str:
    return {
        "low": gettext("Low"),
        "normal": gettext("Normal"),
        "high": gettext("High"),
        "urgent": gettext("Urgent"),
    }.get(priority, priority)


def assignment_reason_label(reason: str) -> str:
    return {
        "auto": gettext("assigned by the rota"),
        "claim": gettext("claimed"),
        "manual": gettext("assigned by a lead"),
        "breach_reassign": gettext("passed on after a missed target"),
    }.get(reason, reason)


def duration(seconds: float | None) -> str:
    """Working time for people: "6 min", "2 h 5 min", "3 d 4 h"."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return gettext("under a minute")
    minutes = seconds // 60
    if minutes < 60:
        return gettext("%(num)d min") % {"num": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def countdown(seconds: float) -> str:
    """What the countdown shows before the browser takes over: 12:05, 1:02:03, 2d 3h; minus when late."""
    sign, seconds = ("−" if seconds < 0 else ""), abs(int(seconds))
    if seconds >= 86400:
        return f"{sign}{seconds // 86400}d {seconds % 86400 // 3600}h"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


env.globals.update(
    clock_label=clock_label,
    clock_state_label=clock_state_label,
    ticket_state_label=ticket_state_label,
    priority_label=priority_label,
    assignment_reason_label=assignment_reason_label,
    duration=duration,
    countdown=countdown,
    desk_priorities=PRIORITIES,
)


# --------------------------------------------------------------------------- the panel on a post


def render_service(request: Request, session: Session, viewer: Member | None, post_id: int) -> HTMLResponse:
    summary = post_service(session, viewer=viewer, post_id=post_id)
    context = {"service": summary, "post": summary.post, "may_assign": can(viewer, Action.VIEW_AUDIT_LOG)}
    return render(request, "desk/_post_service.html", context)


@router.get("/posts/{post_id:int}/service", response_class=HTMLResponse)
def service_panel(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """Who answered and how fast; for staff the ticket, clocks and history (loaded into the post page)."""
    return render_service(request, session, viewer, post_id)


@router.post("/posts/{post_id:int}/presence", response_class=HTMLResponse)
def presence(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked):
    """Staff with the post open say so every few seconds; the answer names the colleagues who also have it."""
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    require(viewer, Action.VIEW_STAFF_AREA)
    posts.get_post(session, viewer=viewer, post_id=post_id)
    others = desk.touch_presence(session, member=viewer, post_id=post_id)
    names = ", ".join(m.display_name or m.handle for m in others)
    notice = (
        ngettext("%(names)s is also viewing this post.", "%(names)s are also viewing this post.", len(others))
        % {"names": names}
        if others
        else ""
    )
    return render(request, "desk/_presence.html", {"post_id": post_id, "notice": notice})


def _after_action(request: Request, session: Session, viewer: Member, post_id: int, done: str) -> Response:
    """htmx gets back the fragment it targets (and the inbox list is told to refresh); a plain form
    goes back where it came from."""
    if not is_htmx(request):
        return redirect(request, back_path(request, f"/posts/{post_id}"), flash=done)
    target = request.headers.get("hx-target")
    if target == "inbox-panel":
        from fanloop.web.inbox import render_panel  # the inbox builds on this module

        response: Response = render_panel(
            request, session, viewer, request.app.state.settings, post_id, done=done
        )
    elif target == "post-service":
        response = render_service(request, session, viewer, post_id)
    else:
        response = Response(status_code=204)
    response.headers["HX-Trigger"] = "inbox-changed"
    return response


def _act(
    request: Request, session: Session, viewer: Member | None, post_id: int, action, done: str
) -> Response:  # noqa: ANN001
    if viewer is None:
        return redirect(request, login_url(back_path(request, f"/posts/{post_id}")))
    try:
        action()
    except (Invalid, Conflict) as error:
        session.rollback()
        return redirect(
            request, back_path(request, f"/posts/{post_id}"), flash=error_message(error), kind="error"
        )
    return _after_action(request, session, viewer, post_id, done)


@router.post("/posts/{post_id:int}/claim")
def claim(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked):
    """Take the post: it is yours to answer."""
    return _act(
        request,
        session,
        viewer,
        post_id,
        lambda: desk.claim(session, actor=viewer, post_id=post_id),
        gettext("The post is yours to answer."),
    )


@router.post("/posts/{post_id:int}/waiting")
def waiting(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    waiting: Annotated[str, Form(max_length=1)] = "1",
):
    """Wait on the fan (the clocks pause until they write) or stop waiting."""
    on = waiting == "1"
    return _act(
        request,
        session,
        viewer,
        post_id,
        lambda: desk.set_waiting_on_fan(session, actor=viewer, post_id=post_id, waiting=on),
        gettext("The clocks are paused until the fan writes.") if on else gettext("The clocks run again."),
    )


@router.post("/posts/{post_id:int}/priority")
def priority(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    priority: Annotated[str, Form(max_length=10)] = "",
):
    """Change the priority; the clocks follow the policy that now matches."""
    return _act(
        request,
        session,
        viewer,
        post_id,
        lambda: desk.set_priority(session, actor=viewer, post_id=post_id, priority=priority),
        gettext("The priority is changed."),
    )
