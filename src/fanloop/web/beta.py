"""The beta group's pages: `/beta`, where a member sees what the group is, its free seats and where
they stand (join by contribution, accept or decline an invitation, leave), with the pre-releases
for those in it; and `/staff/beta`, where leads set the seats and the score from which fans may join,
invite members and take them out.

Every action is a POST form with the CSRF token; the beta services check who may do what, and a
refused change comes back to the page as a message (the `act` helper of the staff release pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core.errors import Invalid, NotAuthenticated
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.releases import beta
from fanloop.web.changelog import coming_next
from fanloop.web.deps import CsrfChecked, PageRoute, page_language
from fanloop.web.errors import N_, act
from fanloop.web.i18n import gettext
from fanloop.web.templating import env, render

# page_language: the flashes the handlers write come out in the viewer's language.
router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
BETA = "/beta"
STAFF_BETA = "/staff/beta"
Short = Annotated[str, Form(max_length=100)]
# What the beta services say on these forms, listed so the catalogue translates it.
DOMAIN_MESSAGES = (
    N_("The beta group is full."),
    N_("The beta group is by invitation only."),
    N_("You are already invited or in the beta group."),
    N_("You have no invitation to the beta group."),
    N_("You are not in the beta group."),
    N_("Seats are 0 to 100000."),
    N_("The score threshold is 0 or more experience points."),
    N_("Log in to see the beta group."),
    N_("Log in to answer for your seat in the beta group."),
)


def may_manage_beta(member: object) -> bool:
    """Whether the nav and the release pages show the way to /staff/beta (leads)."""
    return can(member, Action.MANAGE_BETA)  # type: ignore[arg-type]


env.globals.update(may_manage_beta=may_manage_beta)


def _whole_number(value: str, field: str, message: str) -> int | None:
    """A whole number typed in a form field; None when left empty."""
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise Invalid(message, field=field)
    return int(text)


def _handle(value: str) -> str:
    """A handle as typed, with or without its @ (handles are lower case)."""
    return value.strip().removeprefix("@").lower()


# --------------------------------------------------------------------------- for members


@router.get(BETA, response_class=HTMLResponse)
def beta_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """What the beta group is, its seats, where the viewer stands, and the pre-releases for its members."""
    if viewer is None:
        raise NotAuthenticated("Log in to see the beta group.")
    status = beta.status_of(session, viewer)
    coming, coming_items = coming_next(session, viewer) if status.state == "member" else ([], {})
    context = {"status": status, "coming": coming, "coming_items": coming_items}
    return render(request, "releases/beta.html", context)


def _own_seat(
    request: Request,
    session: Session,
    viewer: Member | None,
    change: Callable[..., object],
    message: Callable[[], str],
) -> Response:
    """A member's change to their own seat (join, accept, leave), back to /beta with its message."""
    if viewer is None:
        raise NotAuthenticated("Log in to answer for your seat in the beta group.")
    return act(request, session, BETA, lambda: change(session, member=viewer), lambda _: (BETA, message()))


def _welcome() -> str:
    return gettext("Welcome to the beta group! Pre-release notes are open to you now.")


@router.post(BETA + "/join")
def join(request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked) -> Response:
    """Join by contribution: experience at the lead's threshold, while seats last."""
    return _own_seat(request, session, viewer, beta.join, _welcome)


@router.post(BETA + "/accept")
def accept(request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked) -> Response:
    """Accept one's invitation."""
    return _own_seat(request, session, viewer, beta.accept, _welcome)


@router.post(BETA + "/leave")
def leave(request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked) -> Response:
    """Leave the group, or decline an invitation: the seat is free again."""
    was_invited = viewer is not None and beta.status_of(session, viewer).state == "invited"

    def message() -> str:
        if was_invited:
            return gettext("You declined the invitation to the beta group.")
        return gettext("You left the beta group. You are welcome back whenever there is a seat.")

    return _own_seat(request, session, viewer, beta.leave, message)


# --------------------------------------------------------------------------- for leads


@router.get(STAFF_BETA, response_class=HTMLResponse)
def staff_beta(request: Request, session: SessionDep, viewer: CurrentMember):
    """The group's settings, the invitation form and every seat, taken or held by an invitation."""
    require(viewer, Action.MANAGE_BETA)
    context = {
        "settings": beta.get_settings(session),
        "status": beta.status_of(session, viewer),
        "seats": beta.seats(session, actor=viewer),
    }
    return render(request, "releases/staff_beta.html", context)


@router.post(STAFF_BETA + "/settings")
def update_settings(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    seats: Short = "",
    entry: Short = "invitation",
    score_threshold: Short = "",
) -> Response:
    """Set the seats, and either invitation only or the score from which fans may join."""
    require(viewer, Action.MANAGE_BETA)

    def save() -> object:
        by_score = entry == "score"
        threshold = _whole_number(
            score_threshold, "score_threshold", N_("The score threshold is 0 or more experience points.")
        )
        if by_score and threshold is None:
            raise Invalid(N_("Enter the score from which fans may join."), field="score_threshold")
        return beta.update_settings(
            session,
            actor=viewer,
            seats=_whole_number(seats, "seats", N_("Seats are 0 to 100000.")),
            score_threshold=threshold if by_score else None,
            clear_threshold=not by_score,
        )

    return act(
        request, session, STAFF_BETA, save, lambda _: (STAFF_BETA, gettext("The beta settings are saved."))
    )


def _seat_of(
    request: Request,
    session: Session,
    viewer: Member | None,
    handle: str,
    change: Callable[..., object],
    message: str,
) -> Response:
    """A lead's change to someone's seat (invite, remove), back to /staff/beta with its message."""
    require(viewer, Action.MANAGE_BETA)
    typed = _handle(handle)
    return act(
        request,
        session,
        STAFF_BETA,
        lambda: change(session, actor=viewer, handle=typed),
        lambda _: (STAFF_BETA, gettext(message) % {"handle": typed}),
    )


@router.post(STAFF_BETA + "/invite")
def invite(
    request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked, handle: Short = ""
) -> Response:
    """Invite a member; they are told and take the seat when they accept."""
    message = N_("@%(handle)s is invited; the seat is held until they answer.")
    return _seat_of(request, session, viewer, handle, beta.invite, message)


@router.post(STAFF_BETA + "/remove")
def remove(
    request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked, handle: Short = ""
) -> Response:
    """Take a member out of the group, or withdraw an invitation."""
    message = N_("@%(handle)s no longer has a seat in the beta group.")
    return _seat_of(request, session, viewer, handle, beta.remove, message)
