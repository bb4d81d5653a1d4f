"""Campaigns as leads set them up: what they listen for, their window, goal and cost. Changing what a
campaign listens for, or when, counts its participation again. The figures are in report.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.growth.campaigns import matching
from fanloop.growth.models import Campaign

MAX_ID = 2**31 - 1
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = ("new",)  # /staff/campaigns/new is the form
MAX_NAME = 120
MAX_DESCRIPTION = 5_000
MAX_TERMS = 20
MAX_TERM = 60
MAX_WINDOW_DAYS = 366
MAX_GOAL = 2**31 - 1
MAX_COST_CENTS = 2**31 - 1
GOAL_METRICS = ("participants", "posts", "new_members", "reach")
STATUSES = ("upcoming", "running", "ended")
CURRENCY_PATTERN = re.compile(r"^[A-Za-z]{3}$")
# Changing one of these changes which posts take part: the campaign is matched again.
MATCHING_FIELDS = ("hashtags", "keywords", "starts_at", "ends_at")


# --------------------------------------------------------------------------- validation


def _text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise Invalid(f"The {field} is required.", field=field)
    if len(value) > max_length:
        raise Invalid(f"The {field} is at most {max_length} characters.", field=field)
    return value


def _slug(value: str) -> str:
    value = (value or "").strip().lower()
    if not SLUG_PATTERN.match(value) or value in RESERVED_SLUGS:
        raise Invalid(
            "A slug is 1-40 characters: lower-case letters, digits and hyphens (e.g. spring-2026).",
            field="slug",
        )
    return value


def _terms(values: list[str] | tuple[str, ...] | None, *, field: str, strip: str) -> list[str]:
    """Hashtags or keywords: trimmed, without "#" for hashtags, no blanks or repeats."""
    terms: list[str] = []
    for value in values or []:
        if not isinstance(value, str):
            raise Invalid(f"Each of the {field} is text.", field=field)
        term = value.replace("\x00", "").strip().strip(strip).strip()
        if not term:
            continue
        if len(term) > MAX_TERM:
            raise Invalid(f"Each of the {field} is at most {MAX_TERM} characters.", field=field)
        if term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise Invalid(f"At most {MAX_TERMS} {field}.", field=field)
    return terms


def split_terms(text: str) -> list[str]:
    """Hashtags or keywords typed in one field: separated by commas (, or ，) or new lines. A
    Weibo topic (#话题#) keeps its inner spaces."""
    return [part.strip() for part in re.split(r"[,，\n]", text or "") if part.strip()]


def _window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("Give the start and end with a time zone offset.", field="starts_at")
    if ends_at <= starts_at:
        raise Invalid("The end must be after the start.", field="ends_at")
    if ends_at - starts_at > timedelta(days=MAX_WINDOW_DAYS):
        raise Invalid(f"A campaign runs for at most {MAX_WINDOW_DAYS} days.", field="ends_at")
    return starts_at, ends_at


def _goal(metric: str, value: int) -> tuple[str, int]:
    if metric not in GOAL_METRICS:
        raise Invalid(f"The goal is one of {', '.join(GOAL_METRICS)}.", field="goal_metric")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GOAL:
        raise Invalid("The goal is a whole number, 0 or more.", field="goal_value")
    return metric, value


def cost_in_cents(value: str | int | float | Decimal | None) -> int:
    """A cost as typed ("1200", "1,200.50", 99.9) in the currency's smallest unit; at most 2 decimals."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise Invalid("Enter the cost as a number, e.g. 1200 or 1200.50.", field="cost")
    try:
        # A float through its shortest text: 99.9 is 99.90, not 99.9000000000000056843…
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError, TypeError):
        raise Invalid("Enter the cost as a number, e.g. 1200 or 1200.50.", field="cost") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid("The cost is a number, 0 or more.", field="cost")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise Invalid("The cost has at most 2 decimals.", field="cost")
    if cents > MAX_COST_CENTS:
        raise Invalid("The cost is too large.", field="cost")
    return int(cents)


def _currency(value: str) -> str:
    value = (value or "").strip()
    if not CURRENCY_PATTERN.match(value):
        raise Invalid("The currency is a 3-letter code such as CNY or USD.", field="currency")
    return value.upper()


def _listens(hashtags: list[str], keywords: list[str]) -> None:
    if not hashtags and not keywords:
        raise Invalid("Give at least one hashtag or keyword.", field="hashtags")


# --------------------------------------------------------------------------- campaigns


def status_of(campaign: Campaign, now: datetime | None = None) -> str:
    """upcoming, running or ended, at `now` (default: the clock's now)."""
    now = now or clock.now()
    if now < campaign.starts_at:
        return "upcoming"
    return "running" if now < campaign.ends_at else "ended"


def create_campaign(
    session: Session,
    *,
    actor: Member,
    slug: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    hashtags: list[str] | tuple[str, ...] = (),
    keywords: list[str] | tuple[str, ...] = (),
    description: str = "",
    goal_metric: str = "new_members",
    goal_value: int = 0,
    cost: str | int | float | Decimal | None = 0,
    currency: str = "CNY",
) -> Campaign:
    """Set up a campaign (leads); posts already written in its window that match count at once."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    slug = _slug(slug)
    tags = _terms(hashtags, field="hashtags", strip="#")
    words = _terms(keywords, field="keywords", strip="")
    _listens(tags, words)
    starts_at, ends_at = _window(starts_at, ends_at)
    goal_metric, goal_value = _goal(goal_metric, goal_value)
    campaign = Campaign(
        slug=slug,
        name=_text(name, field="name", max_length=MAX_NAME, required=True),
        description=_text(description, field="description", max_length=MAX_DESCRIPTION),
        hashtags=tags,
        keywords=words,
        starts_at=starts_at,
        ends_at=ends_at,
        goal_metric=goal_metric,
        goal_value=goal_value,
        cost_cents=cost_in_cents(cost),
        currency=_currency(currency),
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise Conflict("Another campaign has this slug.", field="slug")
    session.add(campaign)
    session.flush()
    matching.rematch_campaign(session, campaign)
    return campaign


def update_campaign(session: Session, *, actor: Member, campaign_id: int, **changes: object) -> Campaign:
    """Change a campaign (leads). Fields not given stay; new hashtags, keywords or a new window
    count the campaign's participation again."""
    campaign = get_campaign(session, viewer=actor, campaign_id=campaign_id)
    require(actor, Action.MANAGE_CAMPAIGNS)
    unknown = set(changes) - {
        "slug", "name", "description", "hashtags", "keywords", "starts_at", "ends_at",
        "goal_metric", "goal_value", "cost", "currency",
    }  # fmt: skip
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    given = {key: value for key, value in changes.items() if value is not None}
    before = {field: getattr(campaign, field) for field in MATCHING_FIELDS}
    if "slug" in given:
        slug = _slug(given["slug"])
        taken = session.scalar(select(Campaign.id).where(Campaign.slug == slug, Campaign.id != campaign.id))
        if taken is not None:
            raise Conflict("Another campaign has this slug.", field="slug")
        campaign.slug = slug
    if "name" in given:
        campaign.name = _text(given["name"], field="name", max_length=MAX_NAME, required=True)
    if "description" in given:
        campaign.description = _text(given["description"], field="description", max_length=MAX_DESCRIPTION)
    tags = (
        _terms(given["hashtags"], field="hashtags", strip="#") if "hashtags" in given else campaign.hashtags
    )
    words = (
        _terms(given["keywords"], field="keywords", strip="") if "keywords" in given else campaign.keywords
    )
    _listens(tags, words)
    campaign.hashtags, campaign.keywords = list(tags), list(words)
    campaign.starts_at, campaign.ends_at = _window(
        given.get("starts_at", campaign.starts_at), given.get("ends_at", campaign.ends_at)
    )
    campaign.goal_metric, campaign.goal_value = _goal(
        given.get("goal_metric", campaign.goal_metric), given.get("goal_value", campaign.goal_value)
    )
    if "cost" in given:
        campaign.cost_cents = cost_in_cents(given["cost"])
    if "currency" in given:
        campaign.currency = _currency(given["currency"])
    session.flush()
    if any(getattr(campaign, field) != before[field] for field in MATCHING_FIELDS):
        matching.rematch_campaign(session, campaign)
    return campaign


def delete_campaign(session: Session, *, actor: Member, campaign_id: int) -> None:
    """Delete a campaign with its participation and links (leads); members it brought keep their
    origin, without the campaign."""
    campaign = get_campaign(session, viewer=actor, campaign_id=campaign_id)
    require(actor, Action.MANAGE_CAMPAIGNS)
    session.delete(campaign)
    session.flush()


def get_campaign(session: Session, *, viewer: Member | None, campaign_id: int) -> Campaign:
    """A campaign by id (staff)."""
    require(viewer, Action.VIEW_GROWTH)
    campaign = session.get(Campaign, campaign_id) if 0 < campaign_id <= MAX_ID else None
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} not found.")
    return campaign


def get_campaign_by_slug(session: Session, *, viewer: Member | None, slug: str) -> Campaign:
    """A campaign by slug (staff)."""
    require(viewer, Action.VIEW_GROWTH)
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug)) if len(slug) <= 40 else None
    if campaign is None:
        raise NotFound(f"Campaign {slug} not found.")
    return campaign


def list_campaigns(
    session: Session, *, viewer: Member | None, limit: int = 50, offset: int = 0
) -> tuple[list[Campaign], int]:
    """Campaigns, the latest start first (staff), and how many there are."""
    require(viewer, Action.VIEW_GROWTH)
    total = session.scalar(select(func.count()).select_from(Campaign)) or 0
    rows = session.scalars(
        select(Campaign).order_by(Campaign.starts_at.desc(), Campaign.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total
