"""Which campaigns a post or mention takes part in: a hashtag or keyword of the campaign, inside its
window. Pure matching plus one bulk write, so a million-row import pays one regex search per row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.core.db import insert_ignoring
from fanloop.growth.models import Campaign, CampaignPost

_LATIN_EDGE = re.compile(r"^\w.*\w$|^\w$", re.ASCII)


def _keyword_pattern(keyword: str) -> str:
    # A Latin word matches whole words only ("pro" is not "product"); Chinese has no spaces to
    # stand on, so a Chinese keyword matches anywhere.
    escaped = re.escape(keyword)
    if _LATIN_EDGE.match(keyword):
        return rf"(?<!\w){escaped}(?!\w)"
    return escaped


def _hashtag_pattern(tag: str) -> str:
    # "#tag" on most networks, "#话题#" on Weibo: the tag must end where the word ends.
    return rf"#{re.escape(tag.strip('#'))}(?!\w)"


@dataclass(frozen=True)
class _Listener:
    campaign_id: int
    starts_at: datetime
    ends_at: datetime
    pattern: re.Pattern[str]


class CampaignMatcher:
    """Matches texts against the campaigns it was built with."""

    def __init__(self, campaigns: list[Campaign]) -> None:
        self._listeners = []
        for campaign in campaigns:
            parts = [_hashtag_pattern(t) for t in campaign.hashtags or [] if t.strip("# ")]
            parts += [_keyword_pattern(k) for k in campaign.keywords or [] if k.strip()]
            if parts:
                pattern = re.compile("|".join(parts), re.IGNORECASE)
                self._listeners.append(_Listener(campaign.id, campaign.starts_at, campaign.ends_at, pattern))

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def match(self, text: str, at: datetime) -> list[int]:
        """The ids of the campaigns `text`, written at `at`, takes part in."""
        return [
            listener.campaign_id
            for listener in self._listeners
            if listener.starts_at <= at < listener.ends_at and listener.pattern.search(text)
        ]


def matcher_for(session: Session, *, start: datetime, end: datetime) -> CampaignMatcher:
    """A matcher for the campaigns whose window overlaps [start, end]."""
    campaigns = session.scalars(
        select(Campaign).where(Campaign.starts_at <= end, Campaign.ends_at > start).order_by(Campaign.id)
    )
    return CampaignMatcher(list(campaigns))


def record_participation(session: Session, rows: list[dict]) -> None:
    """Store matches: dicts of campaign_id, post_id, member_id, reposts, likes, created_at. A post
    already counted for a campaign is not counted twice."""
    if rows:
        session.execute(insert_ignoring(session, CampaignPost, conflict=["campaign_id", "post_id"]), rows)
