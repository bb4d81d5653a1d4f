"""The pain-point pages for staff: the ranked board with sparklines, one pain point's drill-down with
its posts and the staff actions (rename, pin, hide, link a status, merge, split), re-mining on demand
with its progress, the top-five panel of the staff area, and a post's negativity and pain point.

Every action is a POST form with the CSRF token; the domain checks the actor's permission, and a
refused change (bad input, a merged pain point) comes back as a message on the page, never a 500."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.errors import Invalid, NotFound
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.insights.painpoints import actions, scheduled
from fanloop.insights.painpoints import service as painpoints
from fanloop.web.deps import CsrfChecked, PageRoute, redirect
from fanloop.web.errors import N_, act
from fanloop.web.i18n import gettext, ngettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute)
BOARD = "/staff/pain-points"
PAGE_SIZE = 50
POSTS_PAGE_SIZE = 20
TOP_PANEL_SIZE = 5
Offset = Annotated[int, Query(ge=0, le=painpoints.MAX_ID)]
Name = Annotated[str, Form(max_length=500)]
# What the domain says most often on these forms, listed so the catalogue translates it.
DOMAIN_MESSAGES = (
    N_("A pain point cannot be merged into itself."),
    N_("Choose at least one post to split off."),
    N_("Leave at least one post in the pain point; to rename it, rename it."),
    N_("A name has at most 120 characters."),
)


# --------------------------------------------------------------------------- drawing


def _points(counts: list[int] | tuple[int, ...], width: float, height: float) -> list[tuple[float, float]]:
    top = max(max(counts, default=0), 1)
    step = width / max(len(counts) - 1, 1)
    return [
        (round(i * step, 1), round(height - 1 - (height - 2) * count / top, 1))
        for i, count in enumerate(counts)
    ]


def sparkline(counts: list[int] | tuple[int, ...], label: str, width: int = 112, height: int = 28) -> Markup:
    """A small inline SVG of posts per day (no script; cheap for fifty rows)."""
    points = _points(counts, width, height)
    line = " ".join(f"{x},{y}" for x, y in points)
    area = f"0,{height} {line} {width},{height}"
    last_x, last_y = points[-1] if points else (0, height)
    return Markup(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<polygon class="sparkline-area" points="{area}"/>'
        '<polyline class="sparkline-line" points="{line}"/>'
        '<circle class="sparkline-dot" cx="{x}" cy="{y}" r="2"/></svg>'
    ).format(w=width, h=height, label=label, area=area, line=line, x=last_x, y=last_y)


def day_bars(counts: list[int] | tuple[int, ...], label: str, width: int = 560, height: int = 160) -> Markup:
    """The bigger chart of the drill-down: one bar per UTC day, scaled to the busiest day."""
    top = max(max(counts, default=0), 1)
    slot = width / max(len(counts), 1)
    bars = "".join(
        '<rect class="daybar{empty}" x="{x}" y="{y}" width="{w}" height="{h}"><title>{count}</title></rect>'.format(
            empty=" is-empty" if count == 0 else "",
            x=round(i * slot + slot * 0.15, 1),
            y=round(height - max((height - 4) * count / top, 1.5), 1),
            w=round(slot * 0.7, 1),
            h=round(max((height - 4) * count / top, 1.5), 1),
            count=count,
        )
        for i, count in enumerate(counts)
    )
    return Markup(
        '<svg class="daybars" viewBox="0 0 {w} {h}" preserveAspectRatio="none" role="img" aria-label="{label}">'
        "{bars}</svg>"
    ).format(w=width, h=height, label=label, bars=Markup(bars))


def chart_days(count: int) -> list[date]:
    """The last `count` UTC days, oldest first (the days of `daily_counts`)."""
    today = clock.now().astimezone(UTC).date()
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


def growth_percent(recent: int, previous: int) -> int | None:
    """Change of the last 7 days against the 7 before, in percent; None when the 7 before were empty."""
    if previous == 0:
        return None
    return round(100 * (recent - previous) / previous)


def negativity_tone(value: float | None) -> str:
    """A colour class for a negativity score: high from 0.7, medium from 0.4."""
    if value is None:
        return "none"
    return "high" if value >= 0.7 else "medium" if value >= 0.4 else "low"


env.globals.update(
    painpoint_sparkline=sparkline,
    painpoint_day_bars=day_bars,
    painpoint_growth=growth_percent,
    negativity_tone=negativity_tone,
)


# --------------------------------------------------------------------------- reading


def top_pain_points(session: Session, viewer: Member | None) -> list[painpoints.PainPointSummary] | None:
    """The top five for the staff area's panel; None for a viewer who may not see pain points."""
    if not can(viewer, Action.VIEW_PAIN_POINTS):
        return None
    return list(painpoints.ranked_pain_points(session, viewer=viewer, limit=TOP_PANEL_SIZE).items)


def _latest_run(session: Session, viewer: Member) -> scheduled.RunInfo | None:
    runs = scheduled.list_runs(session, viewer=viewer, limit=1)
    return runs[0] if runs else None


@router.get(BOARD, response_class=HTMLResponse)
def board(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    offset: Offset = 0,
    hidden: Annotated[str, Query(max_length=1)] = "",
):
    """The ranked pain points, pinned first, with volume, growth, negativity, votes, fan levels and a
    sparkline of the last 28 days; leads re-mine from here."""
    include_hidden = hidden == "1"
    page = painpoints.ranked_pain_points(
        session, viewer=viewer, limit=PAGE_SIZE, offset=offset, include_hidden=include_hidden
    )
    context = {
        "page": page,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "include_hidden": include_hidden,
        "unassigned": painpoints.unassigned_count(session, viewer=viewer),
        "run": _latest_run(session, viewer),
        "may_remine": can(viewer, Action.REMINE_PAIN_POINTS),
    }
    return render(request, "insights/painpoints.html", context)


@router.get(BOARD + "/{pain_point_id:int}", response_class=HTMLResponse)
def detail(
    pain_point_id: int, request: Request, session: SessionDep, viewer: CurrentMember, offset: Offset = 0
):
    """One pain point: why it ranks where it does, its days, examples, posts and the staff actions."""
    found = painpoints.pain_point_detail(
        session, viewer=viewer, pain_point_id=pain_point_id, limit=POSTS_PAGE_SIZE, offset=offset
    )
    others = [
        item
        for item in painpoints.ranked_pain_points(session, viewer=viewer, limit=painpoints.MAX_PAGE).items
        if item.id != pain_point_id
    ]
    counts = found.summary.daily_counts
    context = {
        "point": found.summary,
        "found": found,
        "offset": offset,
        "page_size": POSTS_PAGE_SIZE,
        "insights": painpoints.post_insights(session, viewer=viewer, post_ids=[p.id for p in found.posts]),
        "others": others,
        "statuses": actions.LINKABLE_STATUSES,
        "days": chart_days(len(counts)),
        "may_manage": can(viewer, Action.MANAGE_PAIN_POINTS),
        "is_live": found.merged_into_id is None and found.retired_at is None,
    }
    return render(request, "insights/painpoint.html", context)


@router.get("/posts/{post_id:int}/pain-point", response_class=HTMLResponse)
def post_signal(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """For staff on a post: its negativity and the pain point it is in (htmx, after the page)."""
    insight = painpoints.post_insights(session, viewer=viewer, post_ids=[post_id]).get(post_id)
    if insight is None:
        raise NotFound(f"No post {post_id}.")
    return render(request, "insights/_post_painpoint.html", {"insight": insight})


# --------------------------------------------------------------------------- re-mining


@router.post(BOARD + "/remine")
def remine(request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked) -> Response:
    """Queue a re-mine (leads); the board then shows its progress."""
    run = scheduled.request_remine(session, actor=viewer)
    message = gettext("A re-mine is queued (run #%(num)d). Its progress shows below.") % {"num": run.id}
    return redirect(request, BOARD, flash=message, kind="info")


@router.get(BOARD + "/runs/{run_id:int}", response_class=HTMLResponse)
def run_progress(run_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """A re-mine's stage and progress; while it is queued or running the fragment polls itself."""
    run = scheduled.get_run(session, viewer=viewer, run_id=run_id)
    return render(request, "insights/_painpoint_run.html", {"run": run})


# --------------------------------------------------------------------------- staff actions



def _here(pain_point_id: int) -> str:
    return f"{BOARD}/{pain_point_id}"


def _flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise Invalid(N_("Choose on or off."), field="value")
    return value == "1"


@router.post(BOARD + "/{pain_point_id:int}/name")
def rename(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    name: Name = "",
) -> Response:
    """Name a pain point; an empty name shows its key phrases again."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    here = _here(pain_point_id)
    return act(
        request,
        session,
        here,
        lambda: actions.rename(session, actor=viewer, pain_point_id=pain_point_id, name=name),
        lambda _: (here, gettext("The pain point is renamed.")),
    )


@router.post(BOARD + "/{pain_point_id:int}/pin")
def pin(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    pinned: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Pin to the top of the ranking (its posts stay through re-mines), or unpin."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    here = _here(pain_point_id)
    return act(
        request,
        session,
        here,
        lambda: actions.set_pinned(session, actor=viewer, pain_point_id=pain_point_id, pinned=_flag(pinned)),
        lambda point: (here, gettext("Pinned to the top.") if point.pinned else gettext("Unpinned.")),
    )


@router.post(BOARD + "/{pain_point_id:int}/hide")
def hide(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    hidden: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Hide from the ranking (not a real problem), or show again."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    here = _here(pain_point_id)
    return act(
        request,
        session,
        here,
        lambda: actions.set_hidden(session, actor=viewer, pain_point_id=pain_point_id, hidden=_flag(hidden)),
        lambda point: (
            here,
            gettext("Hidden from the ranking.") if point.hidden else gettext("Shown in the ranking again."),
        ),
    )


@router.post(BOARD + "/{pain_point_id:int}/status")
def link_status(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    status: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Link a status and set it on the open posts (authors and followers are told); empty unlinks."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    here = _here(pain_point_id)

    def told(link: actions.StatusLink) -> tuple[str, str]:
        if link.pain_point.status is None:
            return here, gettext("The status is unlinked; the posts keep theirs.")
        return here, gettext("The status is linked; %(num)d open posts changed.") % {
            "num": link.posts_changed
        }

    return act(
        request,
        session,
        here,
        lambda: actions.link_status(
            session, actor=viewer, pain_point_id=pain_point_id, status=status or None, note=note.strip()
        ),
        told,
    )


@router.post(BOARD + "/{pain_point_id:int}/merge")
def merge(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    into_pain_point_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Move every post of this pain point into another, which keeps its id, name and status."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    text = into_pain_point_id.strip().lstrip("#")
    into = int(text) if text.isdigit() and len(text) <= 10 else 0
    here = _here(pain_point_id)
    if into <= 0:
        return redirect(request, here, flash=gettext("Choose the pain point to merge into."), kind="error")
    return act(
        request,
        session,
        here,
        lambda: actions.merge(session, actor=viewer, pain_point_id=pain_point_id, into_id=into),
        lambda target: (_here(target.id), gettext("The pain points are merged.")),
    )


@router.post(BOARD + "/{pain_point_id:int}/split")
def split(
    pain_point_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    post_ids: Annotated[list[str], Form(max_length=actions.MAX_SPLIT)] = [],  # noqa: B006
    name: Name = "",
) -> Response:
    """Move the ticked posts into a new pain point of their own, and open it."""
    require(viewer, Action.MANAGE_PAIN_POINTS)
    chosen = [int(value) for value in post_ids if value.isdigit() and len(value) <= 10]
    return act(
        request,
        session,
        _here(pain_point_id),
        lambda: actions.split(session, actor=viewer, pain_point_id=pain_point_id, post_ids=chosen, name=name),
        lambda new: (
            _here(new.id),
            ngettext(
                "%(num)d post moved into this new pain point.",
                "%(num)d posts moved into this new pain point.",
                new.posts,
            )
            % {"num": new.posts},
        ),
    )
