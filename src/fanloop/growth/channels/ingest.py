"""Bringing a batch of mentions into the community: each becomes a post of the channel's board with
the same loop as a forum post (a ticket with clocks from the mention's own time, an assignee, the
author following it and earning its experience, campaign participation, vectors and pain points
later), its author a member linked to their channel identity. Idempotent by (channel, external id).

Everything is done per batch in a few statements, so a million mentions import in about a minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanloop.community.levels.service import level_for
from fanloop.community.members.external import ExternalPerson, create_external_members
from fanloop.community.posts.imported import ImportedPost, create_imported
from fanloop.core import clock, events
from fanloop.core.db import fast_insert, reserve_ids, select_where_in
from fanloop.core.text import detect_language
from fanloop.growth.campaigns.matching import matcher_for, record_participation
from fanloop.growth.channels.rows import IncomingMention
from fanloop.growth.models import Channel, ChannelIdentity, MemberOrigin, Mention
from fanloop.service.desk.bulk import NewTicket, open_tickets

TITLE_LENGTH = 80


@dataclass
class Outcome:
    """What became of a batch (or, summed, of a whole import)."""

    imported: int = 0
    duplicates: int = 0
    new_members: int = 0
    post_ids: list[int] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.new_members += other.new_members


def title_from(text: str) -> str:
    """A post title from a mention's text: its first line, cut at a word where there are words."""
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[:TITLE_LENGTH]
    space = cut.rfind(" ")
    return (cut[:space] if space > TITLE_LENGTH // 2 else cut).rstrip(" ,.;:") + "…"


def ingest(session: Session, *, channel: Channel, mentions: list[IncomingMention]) -> Outcome:
    """Store the mentions not seen before; a clash with a concurrent import is retried once."""
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                return _ingest(session, channel, mentions)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _ingest(session: Session, channel: Channel, mentions: list[IncomingMention]) -> Outcome:
    outcome = Outcome()
    first_of: dict[str, IncomingMention] = {}
    for mention in mentions:
        if mention.external_id in first_of:
            outcome.duplicates += 1
        else:
            first_of[mention.external_id] = mention
    stored = {
        row[0]
        for row in select_where_in(
            session,
            "SELECT external_id FROM mentions WHERE channel_id = ? AND external_id IN ({})",
            list(first_of),
            (channel.id,),
        )
    }
    fresh = [m for m in first_of.values() if m.external_id not in stored]
    outcome.duplicates += len(first_of) - len(fresh)
    if not fresh:
        return outcome
    now = clock.now()
    matcher = matcher_for(session, start=min(m.posted_at for m in fresh), end=max(m.posted_at for m in fresh))
    campaigns_of = [matcher.match(m.text, m.posted_at) if matcher else [] for m in fresh]
    authors = _authors(session, channel, fresh, campaigns_of, outcome)

    languages = [detect_language(m.text) for m in fresh]
    board_id, slug, default_kind = channel.board_id, channel.slug, channel.post_kind
    items = [
        ImportedPost(
            author_id=authors[m.author_id][1],
            board_id=board_id,
            kind=m.kind or default_kind,
            title=m.title or title_from(m.text),
            body=m.text,
            language=language,
            channel=slug,
            created_at=m.posted_at,
        )
        for m, language in zip(fresh, languages, strict=True)
    ]
    post_ids = create_imported(session, items)
    channel_id = channel.id
    fast_insert(
        session,
        Mention.__table__,
        [
            {
                "post_id": post_id,
                "channel_id": channel_id,
                "external_id": m.external_id,
                "identity_id": authors[m.author_id][0],
                "url": m.url,
                "reposts": m.reposts,
                "likes": m.likes,
                "posted_at": m.posted_at,
                "imported_at": now,
            }
            for post_id, m in zip(post_ids, fresh, strict=True)
        ],
    )
    levels = _levels(session, {item.author_id for item in items})
    slug, board = channel.slug, channel.board.slug  # read once: attribute access is per row otherwise
    open_tickets(
        session,
        [
            NewTicket(
                post_id=post_id,
                facts={
                    "channel": slug,
                    "board": board,
                    "kind": item.kind,
                    "tags": [],
                    "priority": "normal",
                    "level": levels.get(item.author_id, 1),
                    "language": item.language,
                },
                created_at=item.created_at,
            )
            for post_id, item in zip(post_ids, items, strict=True)
        ],
        live_since=now - timedelta(hours=channel.live_window_hours),
    )
    record_participation(
        session,
        [
            {
                "campaign_id": campaign_id,
                "post_id": post_id,
                "member_id": item.author_id,
                "reposts": m.reposts,
                "likes": m.likes,
                "created_at": m.posted_at,
            }
            for post_id, item, m, campaign_ids in zip(post_ids, items, fresh, campaigns_of, strict=True)
            for campaign_id in campaign_ids
        ],
    )
    outcome.imported = len(post_ids)
    outcome.post_ids = post_ids
    events.publish(session, "mentions.imported", channel=channel, post_ids=post_ids, mentions=fresh)
    return outcome


def _authors(
    session: Session,
    channel: Channel,
    fresh: list[IncomingMention],
    campaigns_of: list[list[int]],
    outcome: Outcome,
) -> dict[str, tuple[int, int]]:
    """(identity id, member id) per author id; authors seen for the first time become members,
    recorded as having come from this channel (and the campaign their first mention joined)."""
    keys = {m.author_id for m in fresh}
    known = {
        external_id: (identity_id, member_id)
        for external_id, identity_id, member_id in select_where_in(
            session,
            "SELECT external_id, id, member_id FROM channel_identities WHERE channel_id = ? AND external_id IN ({})",
            list(keys),
            (channel.id,),
        )
    }
    newcomers: dict[str, tuple[IncomingMention, list[int]]] = {}
    for mention, campaign_ids in zip(fresh, campaigns_of, strict=True):
        if mention.author_id not in known and mention.author_id not in newcomers:
            newcomers[mention.author_id] = (mention, campaign_ids)
    if not newcomers:
        return known
    now = clock.now()
    people = [
        ExternalPerson(
            key=f"{channel.id}:{author_id}",
            prefix=channel.slug[:12],
            handle_hint=m.author_handle or author_id,
            display_name=m.author_name or m.author_handle,
        )
        for author_id, (m, _) in newcomers.items()
    ]
    member_ids = create_external_members(session, people)
    identity_ids = reserve_ids(session, ChannelIdentity.__table__, len(newcomers))
    fast_insert(
        session,
        ChannelIdentity.__table__,
        [
            {
                "id": identity_id,
                "channel_id": channel.id,
                "external_id": author_id,
                "handle": m.author_handle,
                "display_name": m.author_name,
                "member_id": member_id,
                "claimed_at": None,
                "created_at": now,
            }
            for identity_id, (author_id, (m, _)), member_id in zip(
                identity_ids, newcomers.items(), member_ids, strict=True
            )
        ],
    )
    fast_insert(
        session,
        MemberOrigin.__table__,
        [
            {
                "member_id": member_id,
                "source": "channel",
                "channel_id": channel.id,
                "campaign_id": campaign_ids[0] if campaign_ids else None,
                "referral_id": None,
                "referrer_id": None,
                "created_at": now,
            }
            for (_, campaign_ids), member_id in zip(newcomers.values(), member_ids, strict=True)
        ],
    )
    for author_id, member_id, identity_id in zip(newcomers, member_ids, identity_ids, strict=True):
        known[author_id] = (identity_id, member_id)
    outcome.new_members = len(newcomers)
    return known


def _levels(session: Session, member_ids: set[int]) -> dict[int, int]:
    """Fan level per member, for SLA policies that match on it."""
    rows = select_where_in(
        session, "SELECT id, xp FROM members WHERE xp > 0 AND id IN ({})", list(member_ids)
    )
    return {member_id: level_for(xp).number for member_id, xp in rows}
