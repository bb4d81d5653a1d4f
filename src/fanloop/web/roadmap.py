"""The public roadmap: planned, in progress and recently shipped, as cards. Fans vote for and follow
the posts on it through the post forms; staff move cards between the first two columns and order
them (up/down buttons that post the column's order, and drag and drop that posts the same form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from fanloop.community.posts import service as posts
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.releases import roadmap
from fanloop.web.deps import CsrfChecked, PageRoute, page_language
from fanloop.web.errors import N_, act
from fanloop.web.i18n import gettext
from fanloop.web.releases import reordered
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
ROADMAP = "/roadmap"
MAX_CARDS = 500
Short = Annotated[str, Form(max_length=40)]


def _cards(keys: list[str]) -> list[tuple[str, int]]:
    """Card keys as posted ("post:12", "pain_point:3") as (subject, id) pairs."""
    cards = []
    for key in keys:
        subject, _, number = key.partition(":")
        if not (number.isdigit() and len(number) <= 10):
            raise Invalid(N_("That is not a card of the roadmap."), field="cards")
        cards.append((subject, int(number)))
    return cards


@router.get(ROADMAP, response_class=HTMLResponse)
def roadmap_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """What is planned, in progress and shipped lately, each column in the team's order."""
    columns = roadmap.roadmap(session)
    post_ids = [card.id for cards in columns.values() for card in cards if card.subject == "post"]
    voted, followed = posts.member_relations(session, member=viewer, post_ids=post_ids)
    context = {
        "columns": columns,
        "voted": voted,
        "followed": followed,
        "may_follow": can(viewer, Action.FOLLOW),
        "may_manage": can(viewer, Action.MANAGE_RELEASES),
        "shipped_days": roadmap.SHIPPED_DAYS,
    }
    return render(request, "releases/roadmap.html", context)


@router.post(ROADMAP + "/move")
def move_card(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    subject_id: Annotated[int, Form(gt=0, le=2**31 - 1)],
    subject: Short = "",
    status: Short = "",
) -> Response:
    """Move a card to planned or in progress: the post's status changes (or the status linked to the
    pain point), and followers are told as for any status change."""
    require(viewer, Action.MANAGE_RELEASES)
    return act(
        request,
        session,
        ROADMAP,
        lambda: roadmap.move(session, actor=viewer, subject=subject, subject_id=subject_id, status=status),
        lambda _: (f"{ROADMAP}#card-{subject}-{subject_id}", gettext("The card is moved.")),
    )


@router.post(ROADMAP + "/order")
def order_cards(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    cards: Annotated[list[str], Form(max_length=MAX_CARDS)] = [],  # noqa: B006
    move: Short = "",
    column: Short = "",
) -> Response:
    """Order a column: the cards posted in that order, with the card an up/down button names moved."""
    require(viewer, Action.MANAGE_RELEASES)
    anchor = f"{ROADMAP}#column-{column}" if column in roadmap.COLUMNS else ROADMAP
    return act(
        request,
        session,
        ROADMAP,
        lambda: roadmap.reorder(session, actor=viewer, cards=_cards(reordered(cards, move))),
        lambda _: (anchor, gettext("The order is saved.")),
    )
