"""Campaign pages for staff: the list with status and goal progress, the form to set one up or change
it (leads), and the report with its figures, a chart per day over a table of the same figures, top
participants, recent posts and referral links. Also /r/<code>, where a referral link lands, and a
member's own referral link on their profile.

Times on the form are typed on the viewer's clock (their time zone cookie) and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, tzinfo
from decimal import Decimal
from typing import Annotated

from babel.numbers import format_currency
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from fanloop.core.errors import Conflict, Invalid
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.growth import referrals
from fanloop.growth.campaigns import report, service
from fanloop.growth.models import Campaign
from fanloop.web.deps import CsrfChecked, PageRoute, is_htmx, login_url, page_language, redirect
from fanloop.web.errors import N_, act, form_errors
from fanloop.web.i18n import current_language, get_locale, gettext
from fanloop.web.templating import env, get_zone, render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
CAMPAIGNS = "/staff/campaigns"
Short = Annotated[str, Form(max_length=500)]
Long = Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 500)]
Terms = Annotated[str, Form(max_length=3000)]
# What the campaign services say on these forms, listed so the catalogue translates it.
DOMAIN_MESSAGES = (
    N_("The name is required."),
    N_("The name is at most 120 characters."),
    N_("The description is at most 5000 characters."),
    N_("A slug is 1-40 characters: lower-case letters, digits and hyphens (e.g. spring-2026)."),
    N_("Each of the hashtags is at most 60 characters."),
    N_("Each of the keywords is at most 60 characters."),
    N_("At most 20 hashtags."),
    N_("At most 20 keywords."),
    N_("Give at least one hashtag or keyword."),
    N_("The end must be after the start."),
    N_("A campaign runs for at most 366 days."),
    N_("The goal is a whole number, 0 or more."),
    N_("Enter the cost as a number, e.g. 1200 or 1200.50."),
    N_("The cost is a number, 0 or more."),
    N_("The cost has at most 2 decimals."),
    N_("The cost is too large."),
    N_("The currency is a 3-letter code such as CNY or USD."),
    N_("The label is at most 120 characters."),
    N_("Enter the time as YYYY-MM-DD HH:MM."),
    N_("Another campaign has this slug."),
)
FORM_FIELDS = (
    "slug", "name", "description", "hashtags", "keywords", "starts_at", "ends_at",
    "goal_metric", "goal_value", "cost", "currency",
)  # fmt: skip


# --------------------------------------------------------------------------- shared by the pages


def money(cents: int | None, currency: str) -> str:
    """An amount in the viewer's language: "¥1,200.50", "CN¥1,200.50"; a dash for none."""
    if cents is None:
        return "–"
    return format_currency(Decimal(cents) / 100, currency, locale=get_locale(current_language.get()))


env.globals.update(campaign_money=money)


def _zone(request: Request) -> tzinfo:
    """The viewer's time zone (their browser's cookie); UTC when it is not a real zone."""
    return get_zone(getattr(request.state, "tz", None) or "UTC")


def _zone_name(request: Request) -> str:
    return str(getattr(_zone(request), "key", "UTC"))


def _input_value(moment: datetime | None, zone: tzinfo) -> str:
    """The value of a datetime-local field: the moment on the viewer's clock."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _moment(value: str, field: str, zone: tzinfo) -> datetime:
    """A time typed on the viewer's clock ("2026-04-01T09:00"), in UTC."""
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(N_("Enter the time as YYYY-MM-DD HH:MM."), field=field) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(UTC)


def _whole(value: str, field: str, message: str) -> int:
    text = value.strip() or "0"
    if not text.isdigit() or len(text) > 10:
        raise Invalid(message, field=field)
    return int(text)


def _changes(values: dict[str, str], zone: tzinfo) -> dict:
    """The form's text as the service's arguments."""
    return {
        "slug": values["slug"],
        "name": values["name"],
        "description": values["description"],
        "hashtags": service.split_terms(values["hashtags"]),
        "keywords": service.split_terms(values["keywords"]),
        "starts_at": _moment(values["starts_at"], "starts_at", zone),
        "ends_at": _moment(values["ends_at"], "ends_at", zone),
        "goal_metric": values["goal_metric"],
        "goal_value": _whole(values["goal_value"], "goal_value", "The goal is a whole number, 0 or more."),
        "cost": values["cost"],
        "currency": values["currency"],
    }


def _form_values(campaign: Campaign | None, zone: tzinfo) -> dict[str, str]:
    if campaign is None:
        return {"goal_metric": "new_members", "goal_value": "0", "cost": "0", "currency": "CNY"}
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "description": campaign.description,
        "hashtags": ", ".join(campaign.hashtags),
        "keywords": ", ".join(campaign.keywords),
        "starts_at": _input_value(campaign.starts_at, zone),
        "ends_at": _input_value(campaign.ends_at, zone),
        "goal_metric": campaign.goal_metric,
        "goal_value": str(campaign.goal_value),
        "cost": f"{Decimal(campaign.cost_cents) / 100:.2f}",
        "currency": campaign.currency,
    }


def _form(request: Request, campaign: Campaign | None, values: dict, errors: dict, status_code: int = 200):
    context = {
        "campaign": campaign,
        "values": values,
        "errors": errors,
        "zone": _zone_name(request),
        "metrics": service.GOAL_METRICS,
    }
    return render(request, "growth/campaign_form.html", context, status_code=status_code)


def _chart(points: list[report.DayPoint]) -> dict:
    """The per-day series for uPlot: x in seconds at UTC midnight of each local day (the chart labels
    them in UTC, so each point shows its own date)."""
    return {
        "x": [int(datetime.combine(p.day, time.min, tzinfo=UTC).timestamp()) for p in points],
        "posts": [p.posts for p in points],
        "participants": [p.new_participants for p in points],
        "members": [p.new_members for p in points],
    }


# --------------------------------------------------------------------------- the list and the form


@router.get(CAMPAIGNS, response_class=HTMLResponse)
def campaigns_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Every campaign with its window, status, figures and goal progress."""
    rows, total = service.list_campaigns(session, viewer=viewer, limit=100)
    context = {
        "summaries": report.summaries(session, viewer=viewer, campaigns=rows),
        "total": total,
        "may_manage": can(viewer, Action.MANAGE_CAMPAIGNS),
    }
    return render(request, "growth/campaigns.html", context)


@router.get(CAMPAIGNS + "/new", response_class=HTMLResponse)
def new_campaign_form(request: Request, viewer: CurrentMember):
    require(viewer, Action.MANAGE_CAMPAIGNS)
    return _form(request, None, _form_values(None, _zone(request)), {})


@router.post(CAMPAIGNS, response_class=HTMLResponse)
def create_campaign(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    slug: Short = "",
    name: Short = "",
    description: Long = "",
    hashtags: Terms = "",
    keywords: Terms = "",
    starts_at: Short = "",
    ends_at: Short = "",
    goal_metric: Short = "new_members",
    goal_value: Short = "0",
    cost: Short = "0",
    currency: Short = "CNY",
):
    """Set up a campaign (leads); a refused form comes back with the reason beside the field."""
    require(viewer, Action.MANAGE_CAMPAIGNS)
    values = {key: value for key, value in locals().items() if key in FORM_FIELDS}
    try:
        campaign = service.create_campaign(session, actor=viewer, **_changes(values, _zone(request)))
    except (Invalid, Conflict) as error:
        session.rollback()
        return _form(request, None, values, form_errors(error), status_code=error.status_code)
    message = gettext("Campaign “%(name)s” is set up.") % {"name": campaign.name}
    return redirect(request, f"{CAMPAIGNS}/{campaign.slug}", flash=message)


@router.get(CAMPAIGNS + "/{slug}/edit", response_class=HTMLResponse)
def edit_campaign_form(slug: str, request: Request, session: SessionDep, viewer: CurrentMember):
    campaign = service.get_campaign_by_slug(session, viewer=viewer, slug=slug)
    require(viewer, Action.MANAGE_CAMPAIGNS)
    return _form(request, campaign, _form_values(campaign, _zone(request)), {})


@router.post(CAMPAIGNS + "/{slug}/edit", response_class=HTMLResponse)
def update_campaign(
    slug: str,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    name: Short = "",
    description: Long = "",
    hashtags: Terms = "",
    keywords: Terms = "",
    starts_at: Short = "",
    ends_at: Short = "",
    goal_metric: Short = "new_members",
    goal_value: Short = "0",
    cost: Short = "0",
    currency: Short = "CNY",
    new_slug: Annotated[str, Form(alias="slug", max_length=500)] = "",
):
    """Change a campaign (leads); new hashtags, keywords or window count its posts again."""
    campaign = service.get_campaign_by_slug(session, viewer=viewer, slug=slug)
    require(viewer, Action.MANAGE_CAMPAIGNS)
    values = {key: value for key, value in locals().items() if key in FORM_FIELDS} | {"slug": new_slug}
    try:
        service.update_campaign(
            session, actor=viewer, campaign_id=campaign.id, **_changes(values, _zone(request))
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _form(request, campaign, values, form_errors(error), status_code=error.status_code)
    message = gettext("Campaign “%(name)s” is saved.") % {"name": campaign.name}
    return redirect(request, f"{CAMPAIGNS}/{campaign.slug}", flash=message)


@router.post(CAMPAIGNS + "/{slug}/delete")
def delete_campaign(
    slug: str, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Delete a campaign with its participation and links (leads)."""
    campaign = service.get_campaign_by_slug(session, viewer=viewer, slug=slug)
    name = campaign.name
    service.delete_campaign(session, actor=viewer, campaign_id=campaign.id)
    return redirect(request, CAMPAIGNS, flash=gettext("Campaign “%(name)s” is deleted.") % {"name": name})


# --------------------------------------------------------------------------- the report


@router.get(CAMPAIGNS + "/{slug}", response_class=HTMLResponse)
def campaign_page(slug: str, request: Request, session: SessionDep, viewer: CurrentMember):
    """The campaign's figures, a chart per day with a table of the same, top participants, recent
    posts and referral links with a form for a new one."""
    campaign = service.get_campaign_by_slug(session, viewer=viewer, slug=slug)
    found = report.campaign_report(session, viewer=viewer, campaign=campaign, timezone=_zone_name(request))
    context = {
        "report": found,
        "campaign": campaign,
        "chart": _chart(found.per_day),
        "may_manage": can(viewer, Action.MANAGE_CAMPAIGNS),
        "site": str(request.base_url).rstrip("/"),
    }
    return render(request, "growth/campaign.html", context)


@router.post(CAMPAIGNS + "/{slug}/links")
def create_link(
    slug: str,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    label: Short = "",
    channel_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A referral link for the campaign (leads)."""
    campaign = service.get_campaign_by_slug(session, viewer=viewer, slug=slug)
    here = f"{CAMPAIGNS}/{campaign.slug}#links"
    channel = int(channel_id) if channel_id.strip().isdigit() and len(channel_id.strip()) <= 10 else None
    return act(
        request,
        session,
        here,
        lambda: referrals.create_campaign_link(
            session, actor=viewer, campaign_id=campaign.id, label=label, channel_id=channel
        ),
        lambda link: (here, gettext("The link /r/%(code)s is ready to share.") % {"code": link.code}),
    )


# --------------------------------------------------------------------------- referral links


@router.get("/r/{code}")
def referral_landing(code: str, request: Request, session: SessionDep, viewer: CurrentMember) -> Response:
    """Count the visit, remember the code for 30 days and go to the sign-up (home for members). An
    unknown code goes there too, remembering nothing."""
    target = "/" if viewer is not None else "/signup"
    response = RedirectResponse(target, status_code=303)
    if referrals.count_visit(session, code=code) and viewer is None:
        response.set_cookie(
            referrals.COOKIE,
            code,
            max_age=referrals.COOKIE_DAYS * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response


@router.get("/me/referral-link", response_class=HTMLResponse)
def my_referral_link(request: Request, session: SessionDep, viewer: CurrentMember):
    """The member's own referral link with its visits and sign-ups (made the first time); the
    profile loads it into its page."""
    if viewer is None:
        return redirect(request, login_url("/me/referral-link"))
    link = referrals.member_link(session, member=viewer)
    context = {
        "link": link,
        "sign_ups": referrals.sign_ups_of(session, link),
        "site": str(request.base_url).rstrip("/"),
    }
    template = "growth/_referral_link.html" if is_htmx(request) else "growth/referral.html"
    return render(request, template, context)
