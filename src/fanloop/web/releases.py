"""The staff pages of releases: the open and recent releases with the cadence (leads change it), and
composing one release: its text and time, its items in order, what could go in, scheduling and
publishing.

Every action is a POST form with the CSRF token; the services check the actor's permission, and a
refused change (bad input, a release published meanwhile) comes back as a message on the page it came
from. Items are ordered with up/down buttons that post the list's whole order, so ordering works
without scripts; a small inline script adds drag and drop and posts the same form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from babel.dates import get_day_names
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.releases import cadence, changelog, flows, service
from fanloop.releases.models import Release, ReleaseTrain
from fanloop.web.changelog import changelog_url
from fanloop.web.deps import CsrfChecked, PageRoute, page_language, redirect
from fanloop.web.errors import N_, act
from fanloop.web.i18n import current_language, get_locale, gettext, ngettext
from fanloop.web.templating import env, filter_localtime, render, use_timezone

# page_language: the flashes the handlers write come out in the viewer's language.
router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
RELEASES = "/staff/releases"
RECENT_RELEASES = 20
Text = Annotated[str, Form(max_length=service.MAX_NOTES + 1000)]
Short = Annotated[str, Form(max_length=500)]
Keys = Annotated[list[str], Form(max_length=service.MAX_ITEMS)]
# What the release services say most often on these forms, listed so the catalogue translates it.
DOMAIN_MESSAGES = (
    N_("Add at least one item before scheduling the release."),
    N_("Add at least one item before publishing the release."),
    N_("Give either a post or a pain point."),
    N_("It is in this release already."),
    N_("A published release keeps its version."),
    N_("A published release keeps its date."),
    N_("The version is required."),
    N_("The summary is required."),
    N_("The weekday is 0 (Monday) to 6 (Sunday)."),
    N_("A release comes every 1 to 12 weeks."),
    N_("The version format is 1-40 characters (strftime codes)."),
    N_("The version format gives an empty version."),
    N_("Cards move to planned or in_progress; a release ships them."),
    N_("Order at most 500 cards at once."),
)


# --------------------------------------------------------------------------- shared by the pages



def reordered(keys: list[str], move: str) -> list[str]:
    """`keys` with the one `move` names ("<key>:up" or "<key>:down") one place earlier or later: what
    an up/down button posts along with the list's order."""
    key, _, direction = move.rpartition(":")
    order = list(dict.fromkeys(keys))
    if key in order and direction in ("up", "down"):
        index = order.index(key)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
    return order


def time_in_zone(moment: datetime | None, zone: str, fmt: str = "EEE yyyy-MM-dd HH:mm") -> str:
    """A moment as the clock in `zone` shows it (the train's zone, whatever the viewer's)."""
    with use_timezone(zone):
        return filter_localtime(moment, fmt)


def weekday_names() -> list[str]:
    """Monday to Sunday in the viewer's language."""
    names = get_day_names("wide", locale=get_locale(current_language.get()))
    return [names[day] for day in range(7)]


def _input_value(moment: datetime | None, zone: str) -> str:
    """The value of a datetime-local field: the moment on the train's clock."""
    if moment is None:
        return ""
    return moment.astimezone(cadence.zone(zone)).strftime("%Y-%m-%dT%H:%M")


env.globals.update(release_time_in=time_in_zone, release_input_value=_input_value)


def _planned_for(value: str, train: ReleaseTrain) -> datetime | None:
    """A planned time typed on the train's clock ("2026-03-13T17:00"), in UTC; empty is None."""
    value = value.strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("Enter the planned time as YYYY-MM-DD HH:MM."), field="planned_for") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=cadence.zone(train.timezone))
    return local.astimezone(UTC)


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit() and len(value) <= 10]


def _number(value: str) -> int | None:
    """A typed id ("12" or "#12"); None for anything else."""
    text = value.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 10 else None


def _here(release_id: int) -> str:
    return f"{RELEASES}/{release_id}"


# --------------------------------------------------------------------------- the releases


@router.get(RELEASES, response_class=HTMLResponse)
def releases_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """The open releases and the recent ones with their state, time and items; a form to open a
    release, and the cadence, which leads change."""
    require(viewer, Action.MANAGE_RELEASES)
    train = service.get_train(session)
    rows, _ = changelog.list_releases(session, viewer=viewer, include_open=True, limit=RECENT_RELEASES)
    context = {
        "train": train,
        "releases": rows,
        "item_counts": {release.id: len(service.items_of(session, release.id)) for release in rows},
        "next_time": service.next_release_time(session, train),
        "may_change_train": can(viewer, Action.MANAGE_RELEASE_TRAIN),
        "weekdays": weekday_names(),
    }
    return render(request, "releases/staff.html", context)


@router.post(RELEASES)
def create_release(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    version: Short = "",
    title: Short = "",
    planned_for: Short = "",
) -> Response:
    """Open a release by hand; without a version or time it takes the next cadence slot's."""
    require(viewer, Action.MANAGE_RELEASES)
    train = service.get_train(session)
    return act(
        request,
        session,
        RELEASES,
        lambda: service.create_release(
            session,
            actor=viewer,
            version=version.strip() or None,
            title=title,
            planned_for=_planned_for(planned_for, train),
        ),
        lambda release: (
            _here(release.id),
            gettext("Release %(version)s is open; add its items below.") % {"version": release.version},
        ),
    )


@router.post(RELEASES + "/train")
def update_train(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    weekday: Annotated[int, Form(ge=0, le=6)],
    time_of_day: Annotated[str, Form(max_length=10)],
    timezone: Annotated[str, Form(max_length=60)],
    every_weeks: Annotated[int, Form(ge=-1000, le=1000)],
    version_format: Annotated[str, Form(max_length=100)],
) -> Response:
    """Change the cadence (leads); drafts not yet scheduled move to its next time."""
    require(viewer, Action.MANAGE_RELEASE_TRAIN)
    return act(
        request,
        session,
        RELEASES,
        lambda: service.update_train(
            session,
            actor=viewer,
            weekday=weekday,
            time_of_day=time_of_day,
            timezone=timezone,
            every_weeks=every_weeks,
            version_format=version_format,
        ),
        lambda _: (RELEASES, gettext("The release cadence is saved.")),
    )


# --------------------------------------------------------------------------- composing one release


def _compose_context(session: Session, viewer: Member, release: Release) -> dict:
    is_open = release.state != "published"
    return {
        "view": changelog.release_view(session, release=release),
        "release": release,
        "train": service.get_train(session),
        "is_open": is_open,
        "found": service.candidates(session, actor=viewer, release_id=release.id) if is_open else None,
    }


@router.get(RELEASES + "/{release_id:int}", response_class=HTMLResponse)
def compose(release_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """One release: its text and time, its items in order, what could go in, and its actions."""
    require(viewer, Action.MANAGE_RELEASES)
    release = service.get_release(session, viewer=viewer, release_id=release_id)
    return render(request, "releases/compose.html", _compose_context(session, viewer, release))


@router.post(RELEASES + "/{release_id:int}")
def update_release(
    release_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    version: Short = "",
    title: Short = "",
    notes: Text = "",
    planned_for: Short = "",
) -> Response:
    """Save the version, title, notes (Markdown) and planned time; a published release keeps its
    version and time, and only its text is mended."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)

    def save() -> Release:
        release = service.get_release(session, viewer=viewer, release_id=release_id)
        published = release.state == "published"
        return service.update_release(
            session,
            actor=viewer,
            release_id=release_id,
            version=None if published else version,
            title=title,
            notes=notes,
            planned_for=None if published else _planned_for(planned_for, service.get_train(session)),
        )

    return act(request, session, here, save, lambda _: (here, gettext("The release is saved.")))


@router.post(RELEASES + "/{release_id:int}/items")
def add_item(
    release_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    post_id: Short = "",
    pain_point_id: Short = "",
    summary: Short = "",
) -> Response:
    """Put a post or a pain point at the end of the release."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    return act(
        request,
        session,
        here,
        lambda: service.add_item(
            session,
            actor=viewer,
            release_id=release_id,
            post_id=_number(post_id) if post_id.strip() else None,
            pain_point_id=_number(pain_point_id) if pain_point_id.strip() else None,
            summary=summary,
        ),
        lambda item: (f"{here}#item-{item.id}", gettext("Added to the release.")),
    )


@router.post(RELEASES + "/{release_id:int}/items/order")
def order_items(
    release_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    item_ids: Keys = [],  # noqa: B006
    move: Short = "",
) -> Response:
    """Set the items' order: the order posted, with the item an up/down button names moved."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    order = _ids(reordered(item_ids, move))
    return act(
        request,
        session,
        here,
        lambda: service.reorder_items(session, actor=viewer, release_id=release_id, item_ids=order),
        lambda _: (f"{here}#items", gettext("The order is saved.")),
    )


@router.post(RELEASES + "/{release_id:int}/items/{item_id:int}")
def reword_item(
    release_id: int,
    item_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    summary: Short = "",
) -> Response:
    """Reword an item's line in the changelog."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    return act(
        request,
        session,
        here,
        lambda: service.update_item(
            session, actor=viewer, release_id=release_id, item_id=item_id, summary=summary
        ),
        lambda _: (f"{here}#item-{item_id}", gettext("The line is reworded.")),
    )


@router.post(RELEASES + "/{release_id:int}/items/{item_id:int}/remove")
def remove_item(
    release_id: int,
    item_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
) -> Response:
    """Take an item out of the release."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    return act(
        request,
        session,
        here,
        lambda: service.remove_item(session, actor=viewer, release_id=release_id, item_id=item_id),
        lambda _: (f"{here}#items", gettext("Removed from the release.")),
    )


@router.post(RELEASES + "/{release_id:int}/schedule")
def schedule(
    release_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Have the release published at its planned time."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    return act(
        request,
        session,
        here,
        lambda: service.schedule(session, actor=viewer, release_id=release_id),
        lambda release: (
            here,
            gettext("Release %(version)s is scheduled; it publishes at its planned time.")
            % {"version": release.version},
        ),
    )


@router.post(RELEASES + "/{release_id:int}/unschedule")
def unschedule(
    release_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Back to a draft, which does not publish by itself."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    return act(
        request,
        session,
        here,
        lambda: service.unschedule(session, actor=viewer, release_id=release_id),
        lambda _: (here, gettext("The release is a draft again; it will not publish by itself.")),
    )


@router.post(RELEASES + "/{release_id:int}/delete")
def delete_release(
    release_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Delete a release that was never published."""
    require(viewer, Action.MANAGE_RELEASES)
    return act(
        request,
        session,
        _here(release_id),
        lambda: service.delete_release(session, actor=viewer, release_id=release_id),
        lambda _: (RELEASES, gettext("The release is deleted.")),
    )


@router.get(RELEASES + "/{release_id:int}/publish", response_class=HTMLResponse)
def confirm_publish(release_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """What publishing now would do, and the button that does it."""
    require(viewer, Action.MANAGE_RELEASES)
    release = service.get_release(session, viewer=viewer, release_id=release_id)
    if release.state == "published":
        return redirect(request, changelog_url(release.version))
    view = changelog.release_view(session, release=release)
    post_ids = {post.id for item in view.items for post in item.posts}
    context = {"release": release, "view": view, "post_count": len(post_ids)}
    return render(request, "releases/publish.html", context)


def _published_message(result: flows.Published) -> str:
    return gettext("Release %(version)s is published: %(shipped)s, %(credited)s, %(notified)s.") % {
        "version": result.release.version,
        "shipped": ngettext("%(num)d post shipped", "%(num)d posts shipped", result.posts_shipped)
        % {"num": result.posts_shipped},
        "credited": ngettext("%(num)d fan credited", "%(num)d fans credited", result.credited)
        % {"num": result.credited},
        "notified": ngettext("%(num)d member told", "%(num)d members told", result.notified)
        % {"num": result.notified},
    }


@router.post(RELEASES + "/{release_id:int}/publish")
def publish(
    release_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Publish now, once confirmed: the posts ship, fans are credited and everyone who asked is told."""
    require(viewer, Action.MANAGE_RELEASES)
    here = _here(release_id)
    if confirm != "yes":
        return redirect(request, f"{here}/publish")
    return act(
        request,
        session,
        here,
        lambda: flows.publish(session, release_id=release_id, actor=viewer),
        lambda result: (changelog_url(result.release.version), _published_message(result)),
    )
