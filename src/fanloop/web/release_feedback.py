"""The forms on a published release's page: the vote for the best update of the week and the
four-box experience report.

Both are plain POST forms with the CSRF token, so they work without scripts; the vote also answers
htmx with the award section alone. A report refused for its answers comes back on the release page with
them and the reason next to the box it concerns; anything else refused goes back to the page with
the reason as a message."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Invalid, RateLimited
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.releases import feedback, service
from fanloop.releases.models import ExperienceReport, Release
from fanloop.web.changelog import award_view, changelog_url, release_context
from fanloop.web.deps import CsrfChecked, PageRoute, back_path, is_htmx, login_url, page_language, redirect
from fanloop.web.errors import N_, error_message, form_errors
from fanloop.web.i18n import gettext
from fanloop.web.templating import render

# page_language: the flashes the handlers write come out in the viewer's language.
router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
Answer = Annotated[str, Form(max_length=feedback.MAX_ANSWER * 2)]
ItemChoice = Annotated[str, Form(max_length=12)]
# What the feedback services say on these forms, listed so the catalogue translates it.
DOMAIN_MESSAGES = (
    N_("Fill in at least one of the four boxes."),
    N_("An answer is at most 5000 characters."),
)
REFUSED = (Invalid, Conflict, RateLimited)


def _item_id(value: str) -> int | None:
    """A chosen item's id; None for "none chosen" (and for anything that is not a number)."""
    text = value.strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None


def _release(session: Session, viewer: Member, release_id: int) -> Release:
    return service.get_release(session, viewer=viewer, release_id=release_id)


# --------------------------------------------------------------------------- the award


@router.post("/releases/{release_id:int}/award")
def vote_award(
    release_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    item_id: ItemChoice = "",
) -> Response:
    """Vote for the best update of the week, or move one's vote; htmx gets the award section."""
    if viewer is None:
        return redirect(request, login_url(back_path(request, "/changelog")))
    release = _release(session, viewer, release_id)
    here = changelog_url(release.version) + "#award"
    chosen = _item_id(item_id)
    if chosen is None:
        return redirect(request, here, flash=gettext("Choose the update you vote for."), kind="error")
    try:
        feedback.vote_award(session, member=viewer, release_id=release.id, item_id=chosen)
    except REFUSED as error:
        session.rollback()
        return redirect(request, here, flash=error_message(error), kind="error")
    if is_htmx(request):
        context = {"release": release, "award": award_view(session, viewer, release), "just_voted": True}
        return render(request, "releases/_award.html", context)
    return redirect(request, here, flash=gettext("Your vote is in. You may move it until voting closes."))


# --------------------------------------------------------------------------- the four-box report


def _thanks(report: ExperienceReport) -> str:
    if report.bug_post_id and report.wish_post_id:
        return gettext("Thanks for your report! What broke and what you want next are posts now.")
    if report.bug_post_id:
        return gettext("Thanks for your report! What broke is a bug post now.")
    if report.wish_post_id:
        return gettext("Thanks for your report! What you want next is a suggestion now.")
    return gettext("Thanks for your report!")


@router.post("/releases/{release_id:int}/report")
def file_report(
    release_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    liked_most: Answer = "",
    liked_most_item_id: ItemChoice = "",
    liked_least: Answer = "",
    liked_least_item_id: ItemChoice = "",
    broke: Answer = "",
    want_next: Answer = "",
) -> Response:
    """File a four-box report: "what broke" becomes a bug post, "what I want next" a suggestion."""
    if viewer is None:
        return redirect(request, login_url(back_path(request, "/changelog")))
    release = _release(session, viewer, release_id)
    here = changelog_url(release.version) + "#report"
    answers = {"liked_most": liked_most, "liked_least": liked_least, "broke": broke, "want_next": want_next}
    choices = {"liked_most_item_id": liked_most_item_id, "liked_least_item_id": liked_least_item_id}
    try:
        report = feedback.file_report(
            session,
            member=viewer,
            release_id=release.id,
            settings=settings,
            **answers,
            **{name: _item_id(value) for name, value in choices.items()},
        )
    except Invalid as error:
        session.rollback()
        context = release_context(
            session, viewer, release, report_form=answers | choices, report_errors=form_errors(error)
        )
        return render(request, "releases/release.html", context, status_code=error.status_code)
    except (Conflict, RateLimited) as error:  # filed already, not published, or too many posts
        session.rollback()
        return redirect(request, here, flash=error_message(error), kind="error")
    return redirect(request, here, flash=_thanks(report))
