"""The changelog everyone reads: published releases newest first, one release in full with the fans
it credits, the Atom and JSON feeds of it, and what shipped because of a member (on their profile).

A published release's page also carries what fans say back: the vote for the best update of the
week (its winner once the next release closes it) and the four-box report form (web/release_feedback.py
takes both forms). Beta testers and staff read open releases here too, as pre-release notes.

The feeds list published releases only, whoever asks, and need no log-in; their links are absolute,
from the configured base URL, since feed readers fetch them out of any page's context."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from fanloop.community.levels.service import level_for
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.permissions import Action, can
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.releases import beta, feedback, service
from fanloop.releases import changelog as reads
from fanloop.releases.models import CREDIT_ROLES, ExperienceReport, Release, ReleaseItem
from fanloop.web.deps import PageRoute, is_htmx, page_language
from fanloop.web.i18n import current_language, gettext, html_lang
from fanloop.web.templating import env, filter_isodate, render

router = APIRouter(route_class=PageRoute)
# The feeds set no cookies: a plain route, not a page route. Their titles are in the reader's language.
feeds = APIRouter(dependencies=[Depends(page_language)])
CHANGELOG = "/changelog"
PAGE_SIZE = 10
FEED_SIZE = 20
ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED = "https://jsonfeed.org/version/1.1"
Page = Annotated[int, Query(ge=1, le=100_000)]
_SHIPPED_LINE = re.compile(r"#(\d{1,10}) (.*)")


def changelog_url(version: str) -> str:
    """The page of a release; a version is free text (a strftime pattern or typed by staff)."""
    return f"{CHANGELOG}/{quote(version, safe='')}"


def shipped_posts(body: str) -> tuple[list[tuple[int, str]], int]:
    """The posts a release notification names ("#12 Title" a line) and how many more it left out
    ("+3"), to show them as a list."""
    named: list[tuple[int, str]] = []
    more = 0
    for line in body.splitlines():
        found = _SHIPPED_LINE.fullmatch(line.strip())
        if found:
            named.append((int(found[1]), found[2]))
        elif line.startswith("+") and line[1:].isdigit():
            more = int(line[1:])
    return named, more


env.globals.update(
    changelog_url=changelog_url, release_shipped_posts=shipped_posts, credit_roles=CREDIT_ROLES
)


def _items_by_release(session: Session, releases: list[Release]) -> dict[int, list[ReleaseItem]]:
    return {release.id: service.items_of(session, release.id) for release in releases}


# --------------------------------------------------------------------------- what fans say back


@dataclass(frozen=True)
class AwardView:
    """The vote for the best update of a published release, as its page shows it."""

    is_open: bool
    standings: list[feedback.Standing]
    top_votes: int  # the bars are scaled to the leading item
    total_votes: int
    my_vote: int | None
    may_vote: bool
    winner: feedback.Standing | None = None
    fans: list[reads.CreditedMember] = field(default_factory=list)
    staff: list[Member] = field(default_factory=list)


def award_view(session: Session, viewer: Member | None, release: Release) -> AwardView | None:
    """The standings (and, once voting closed, the winner and who made it); None before publishing."""
    if release.state != "published":
        return None
    standings = feedback.standings(session, release_id=release.id)
    is_open = release.award_closed_at is None
    winner, fans, staff = (None, [], []) if is_open else feedback.award_result(session, release=release)
    return AwardView(
        is_open=is_open,
        standings=standings,
        top_votes=max((standing.votes for standing in standings), default=0),
        total_votes=sum(standing.votes for standing in standings),
        my_vote=feedback.my_award_vote(session, member=viewer, release_id=release.id),
        may_vote=is_open and can(viewer, Action.VOTE),
        winner=winner,
        fans=[
            reads.CreditedMember(fan.id, fan.handle, fan.display_name, fan.xp, level_for(fan.xp))
            for fan in fans
        ],
        staff=staff,
    )


@dataclass(frozen=True)
class ReportView:
    """The four-box report on a published release: the viewer's own, or whether they may file one."""

    mine: ExperienceReport | None
    may_file: bool
    item_names: dict[int, str]


def report_view(session: Session, viewer: Member | None, release: Release) -> ReportView | None:
    """The viewer's report on a published release, or whether they may file one; None before publishing."""
    if release.state != "published":
        return None
    mine = feedback.report_of(session, member=viewer, release_id=release.id)
    return ReportView(
        mine=mine,
        may_file=mine is None and can(viewer, Action.CREATE_POST),
        item_names={item.id: item.summary for item in service.items_of(session, release.id)},
    )


def release_context(
    session: Session,
    viewer: Member | None,
    release: Release,
    *,
    report_form: dict[str, str] | None = None,
    report_errors: dict[str, str] | None = None,
) -> dict:
    """What the page of one release shows; the report form comes back with its answers after a
    refused report."""
    prerelease = release.state != "published"
    return {
        "view": reads.release_view(session, release=release),
        "release": release,
        "may_manage": can(viewer, Action.MANAGE_RELEASES),
        "is_beta_tester": prerelease and viewer is not None and beta.is_member(session, viewer.id),
        "award": award_view(session, viewer, release),
        "report": report_view(session, viewer, release),
        "report_form": report_form or {},
        "report_errors": report_errors or {},
    }


def coming_next(session: Session, viewer: Member | None) -> tuple[list[Release], dict[int, int]]:
    """The open releases the viewer may read ahead (beta testers and staff), with their item counts."""
    coming = service.prerelease(session, viewer=viewer)
    return coming, {release.id: len(service.items_of(session, release.id)) for release in coming}


# --------------------------------------------------------------------------- pages


@router.get(CHANGELOG, response_class=HTMLResponse)
def changelog(request: Request, session: SessionDep, viewer: CurrentMember, page: Page = 1):
    """Published releases, newest first, with their notes, items and best update; beta testers and
    staff also see what is coming next."""
    rows, total = reads.list_releases(
        session, viewer=viewer, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    items = _items_by_release(session, rows)
    coming, coming_items = coming_next(session, viewer) if page == 1 else ([], {})
    by_id = {item.id: item for release in rows for item in items[release.id]}
    context = {
        "releases": rows,
        "items": items,
        "winners": {
            release.id: by_id[release.award_item_id] for release in rows if release.award_item_id in by_id
        },
        "coming": coming,
        "coming_items": coming_items,
        "page": page,
        "has_next": page * PAGE_SIZE < total,
        "may_manage": can(viewer, Action.MANAGE_RELEASES),
    }
    return render(request, "releases/changelog.html", context)


@router.get(CHANGELOG + "/{version:path}", response_class=HTMLResponse)
def release_page(version: str, request: Request, session: SessionDep, viewer: CurrentMember):
    """One release: its notes, each item with its posts and the fans it credits, the honour roll,
    the best update of the week and the four-box report. Staff and beta testers also see releases
    not yet published."""
    release = service.get_release_by_version(session, viewer=viewer, version=version)
    return render(request, "releases/release.html", release_context(session, viewer, release))


@router.get("/u/{handle}/shipped", response_class=HTMLResponse)
def shipped_because_of(handle: str, request: Request, session: SessionDep, viewer: CurrentMember):
    """What shipped because of a member: the release items that credit them (the profile loads it
    after the page; without scripts it is a page of its own). Loaded into the profile, it also fills
    the profile's beta slot (out of band): a "Beta tester" badge, or one's own way to the group."""
    member = members.get_member(session, handle=handle)
    is_self = viewer is not None and viewer.id == member.id
    context = {
        "profile": member,
        "is_self": is_self,
        "credits": reads.shipped_because_of(session, member_id=member.id),
    }
    if not is_htmx(request):
        return render(request, "releases/shipped.html", context)
    if is_self:
        context["beta_state"] = beta.status_of(session, member).state
    else:
        context["beta_state"] = "member" if beta.is_member(session, member.id) else "none"
    return render(request, "releases/_shipped.html", context)


# --------------------------------------------------------------------------- feeds


def _entry_html(release: Release, items: list[ReleaseItem], base_url: str) -> str:
    """A release as HTML for a feed reader: its notes (sanitised when saved), then its items."""
    lines = "".join(
        Markup('<li><a href="{url}">{summary}</a></li>').format(
            url=f"{base_url}/posts/{item.post_id}", summary=item.summary
        )
        if item.post_id
        else Markup("<li>{summary}</li>").format(summary=item.summary)
        for item in items
    )
    listed = Markup("<ul>{lines}</ul>").format(lines=Markup(lines)) if items else ""
    return str(Markup(release.notes_html) + listed)


def _feed_releases(session: Session) -> tuple[list[Release], dict[int, list[ReleaseItem]]]:
    # viewer=None: a feed shows what anyone may see, even when staff fetch it.
    rows, _ = reads.list_releases(session, viewer=None, limit=FEED_SIZE)
    return rows, _items_by_release(session, rows)


def _entry_title(release: Release) -> str:
    return f"{release.version} · {release.title}" if release.title else release.version


def _feed_title() -> str:
    return gettext("Changelog") + " · fanloop"


@feeds.get(CHANGELOG + ".atom")
def atom_feed(session: SessionDep, settings: SettingsDep) -> Response:
    """The changelog as an Atom 1.0 feed: the latest published releases."""
    base_url = settings.base_url.rstrip("/")
    rows, items = _feed_releases(session)
    feed = ElementTree.Element("feed", {"xmlns": ATOM, "xml:lang": html_lang(current_language.get())})
    ElementTree.SubElement(feed, "id").text = f"{base_url}{CHANGELOG}"
    ElementTree.SubElement(feed, "title").text = _feed_title()
    updated = max((release.updated_at for release in rows), default=clock.now())
    ElementTree.SubElement(feed, "updated").text = filter_isodate(updated)
    ElementTree.SubElement(
        feed, "link", {"rel": "alternate", "type": "text/html", "href": f"{base_url}{CHANGELOG}"}
    )
    ElementTree.SubElement(
        feed, "link", {"rel": "self", "type": "application/atom+xml", "href": f"{base_url}{CHANGELOG}.atom"}
    )
    ElementTree.SubElement(ElementTree.SubElement(feed, "author"), "name").text = "fanloop"
    for release in rows:
        url = base_url + changelog_url(release.version)
        entry = ElementTree.SubElement(feed, "entry")
        ElementTree.SubElement(entry, "id").text = url
        ElementTree.SubElement(entry, "title").text = _entry_title(release)
        ElementTree.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
        ElementTree.SubElement(entry, "published").text = filter_isodate(release.published_at)
        ElementTree.SubElement(entry, "updated").text = filter_isodate(release.updated_at)
        content = ElementTree.SubElement(entry, "content", {"type": "html"})
        content.text = _entry_html(release, items[release.id], base_url)
    body = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@feeds.get(CHANGELOG + ".json")
def json_feed(session: SessionDep, settings: SettingsDep) -> Response:
    """The changelog as a JSON Feed 1.1: the latest published releases."""
    base_url = settings.base_url.rstrip("/")
    rows, items = _feed_releases(session)
    feed = {
        "version": JSON_FEED,
        "title": _feed_title(),
        "home_page_url": f"{base_url}{CHANGELOG}",
        "feed_url": f"{base_url}{CHANGELOG}.json",
        "language": html_lang(current_language.get()),
        "items": [
            {
                "id": base_url + changelog_url(release.version),
                "url": base_url + changelog_url(release.version),
                "title": _entry_title(release),
                "content_html": _entry_html(release, items[release.id], base_url),
                "date_published": filter_isodate(release.published_at),
                "date_modified": filter_isodate(release.updated_at),
            }
            for release in rows
        ],
    }
    return Response(json.dumps(feed, ensure_ascii=False), media_type="application/feed+json; charset=utf-8")
