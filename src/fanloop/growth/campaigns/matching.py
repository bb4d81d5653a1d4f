"""Which campaigns a post or mention takes part in: a hashtag or keyword of the campaign, inside its
window. Pure matching plus one bulk write, so a million-row import pays one regex search per row; and
re-matching a campaign's window in batches when its hashtags, keywords or window change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from fanloop.community.posts.models import Post
from fanloop.core.db import fast_insert, insert_ignoring
from fanloop.growth.models import Campaign, CampaignPost, Mention

_LATIN_EDGE = re.compile(r"^\w.*\w$|^\w$", re.ASCII)
# Posts read per statement when a campaign is matched again: a few hundred kB of text at a time.
REMATCH_BATCH = 1000


def _keyword_pattern(keyword: str) -> str:
    # A Latin word matches whole words only ("pro" is not "product"); Chinese has no spaces to
    # stand on, so a Chinese keyword matches anywhere.
    # The edges are Latin letters and digits only, so "fanloop" is still found in "我爱fanloop".
    escaped = re.escape(keyword)
    if _LATIN_EDGE.match(keyword):
        return rf"(?<![A-Za-z0-9_]){escaped}(?![A-Za-z0-9_])"
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


def record_participation(session: Session, rows: list[dict], *, fresh: bool = False) -> None:
    """Store matches: dicts of campaign_id, post_id, member_id, reposts, likes, created_at. A post
    already counted for a campaign is not counted twice; `fresh` posts (inserted just now, as by
    an import) cannot have been, so their rows go straight in."""
    if rows and fresh:
        fast_insert(session, CampaignPost.__table__, rows)
    elif rows:
        session.execute(insert_ignoring(session, CampaignPost, conflict=["campaign_id", "post_id"]), rows)


def post_text(title: str, body: str) -> str:
    """What a post says, as the matcher reads it."""
    return f"{title}\n{body}"


def match_post(session: Session, *, post: Post) -> int:
    """Count a new forum post in every running campaign it matches; returns how many it joined."""
    matcher = matcher_for(session, start=post.created_at, end=post.created_at)
    if not matcher:
        return 0
    campaign_ids = matcher.match(post_text(post.title, post.body), post.created_at)
    record_participation(
        session,
        [
            {
                "campaign_id": campaign_id,
                "post_id": post.id,
                "member_id": post.author_id,
                "reposts": 0,
                "likes": 0,
                "created_at": post.created_at,
            }
            for campaign_id in campaign_ids
        ],
    )
    return len(campaign_ids)


def _may_contain(campaign: Campaign):  # noqa: ANN202
    """A SQL test that keeps only posts whose text could match, so the regex reads fewer rows; None
    when a term's case folding is beyond SQL's (SQLite folds ASCII letters only)."""
    terms = [t.strip("# ") for t in campaign.hashtags or []] + [k.strip() for k in campaign.keywords or []]
    terms = [t for t in terms if t]
    if not terms or any(not t.isascii() and t.lower() != t.upper() for t in terms):
        return None
    return or_(
        *(
            column.icontains(term, autoescape=True)
            for term in dict.fromkeys(t.lower() for t in terms)
            for column in (Post.title, Post.body)
        )
    )


def rematch_campaign(session: Session, campaign: Campaign, *, batch: int = REMATCH_BATCH) -> int:
    """Count the campaign's participation again from scratch: every post and imported mention in its
    window that matches its hashtags or keywords now. Reads posts in id order, `batch` at a time,
    and writes each batch in one statement. Returns how many posts take part."""
    session.execute(delete(CampaignPost).where(CampaignPost.campaign_id == campaign.id))
    matcher = CampaignMatcher([campaign])
    if not matcher:
        return 0
    # A forum post counts at the time it was written, an imported mention at the time it was posted.
    in_window_forum = and_(
        Mention.post_id.is_(None), Post.created_at >= campaign.starts_at, Post.created_at < campaign.ends_at
    )
    in_window_mention = and_(Mention.posted_at >= campaign.starts_at, Mention.posted_at < campaign.ends_at)
    conditions = [or_(in_window_forum, in_window_mention), Post.deleted_at.is_(None)]
    prefilter = _may_contain(campaign)
    if prefilter is not None:
        conditions.append(prefilter)
    query = (
        select(
            Post.id,
            Post.author_id,
            Post.title,
            Post.body,
            Post.created_at,
            Mention.posted_at,
            Mention.reposts,
            Mention.likes,
        )
        .outerjoin(Mention, Mention.post_id == Post.id)
        .where(*conditions)
        .order_by(Post.id)
        .limit(batch)
    )
    last_id, matched = 0, 0
    while True:
        rows = session.execute(query.where(Post.id > last_id)).all()
        if not rows:
            return matched
        found = []
        for row in rows:
            at = row.posted_at or row.created_at
            if matcher.match(post_text(row.title, row.body), at):
                found.append(
                    {
                        "campaign_id": campaign.id,
                        "post_id": row.id,
                        "member_id": row.author_id,
                        "reposts": row.reposts or 0,
                        "likes": row.likes or 0,
                        "created_at": at,
                    }
                )
        record_participation(session, found)
        matched += len(found)
        last_id = rows[-1].id
