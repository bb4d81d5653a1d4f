"""Bringing a batch of mentions into the community: each becomes a post of the channel's board with
the loop of a forum post (campaign participation, search, vectors and pain points later, release
credits), its author a member linked to their channel identity. A live mention (inside the
channel's live window) opens a ticket with an assignee and clocks from the mention's own time; an
older one is history. An author who has claimed their identity follows the post and earns its
experience, as on the forum; a stand-in does neither until claimed. Idempotent by (channel,
external id).

Everything is done per batch in a few statements, column by column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanloop.community.levels.service import level_for
from fanloop.community.members.external import ExternalPerson, create_external_members
from fanloop.community.posts.imported import ImportedPosts, create_imported
from fanloop.core import clock, events
from fanloop.core.db import insert_columns, reserve_ids, select_where_in
from fanloop.growth.campaigns.matching import matcher_for, record_participation
from fanloop.growth.channels.rows import IncomingMention
from fanloop.growth.models import Channel, ChannelIdentity, MemberOrigin, Mention
from fanloop.service.desk.bulk import NewTicket, open_tickets


@dataclass
class Outcome:
    """What became of a batch (or, summed, of a whole import)."""

    imported: int = 0
    duplicates: int = 0
    new_members: int = 0
    # The batch's new posts (the webhook answers with them). Not summed: a whole import's would
    # grow with the file.
    post_ids: list[int] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.new_members += other.new_members


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
    # Posts are numbered in their authors' order (each author's in time order): the index of posts
    # by author then takes the batch in key order, a page after the other, instead of at random.
    paired = sorted(zip(fresh, campaigns_of, strict=True), key=lambda pair: authors[pair[0].author_id][1])
    fresh, campaigns_of = [m for m, _ in paired], [c for _, c in paired]

    board_id, slug, default_kind = channel.board_id, channel.slug, channel.post_kind
    author_ids = [authors[m.author_id][1] for m in fresh]
    posts = ImportedPosts(
        board_id=board_id,
        channel=slug,
        author_ids=author_ids,
        kinds=[m.kind or default_kind for m in fresh],
        titles=[m.title for m in fresh],
        bodies=[m.text for m in fresh],
        languages=[m.language for m in fresh],
        bodies_html=[m.html for m in fresh],
        created_at=[m.posted_at for m in fresh],
        participating=[authors[m.author_id][2] for m in fresh],
    )
    post_ids = create_imported(session, posts)
    count = len(post_ids)
    insert_columns(
        session,
        Mention.__table__,
        count,
        {
            "post_id": post_ids,
            "channel_id": channel.id,
            "external_id": [m.external_id for m in fresh],
            "identity_id": [authors[m.author_id][0] for m in fresh],
            "url": [m.url for m in fresh],
            "reposts": [m.reposts for m in fresh],
            "likes": [m.likes for m in fresh],
            "posted_at": posts.created_at,
            "imported_at": now,
        },
    )
    # Only live mentions open tickets: one older than the channel's live window is history, kept
    # for mining, search and credits, since no one can answer it in time any more.
    live_since = now - timedelta(hours=channel.live_window_hours)
    live = [i for i, m in enumerate(fresh) if m.posted_at >= live_since]
    if live:
        levels = _levels(session, {author_ids[i] for i in live})
        board = channel.board.slug
        # What policies and the rota match on; mentions alike in kind, level and language share one.
        facts: dict[tuple, dict] = {}
        tickets = []
        for i in live:
            key = (posts.kinds[i], levels.get(author_ids[i], 1), posts.languages[i])
            if key not in facts:
                kind, level, language = key
                facts[key] = {"channel": slug, "board": board, "kind": kind, "tags": [], "priority": "normal",
                              "level": level, "language": language}  # fmt: skip
            tickets.append(NewTicket(post_id=post_ids[i], facts=facts[key], created_at=posts.created_at[i]))
        open_tickets(session, tickets)
    record_participation(
        session,
        [
            {
                "campaign_id": campaign_id,
                "post_id": post_id,
                "member_id": member_id,
                "reposts": m.reposts,
                "likes": m.likes,
                "created_at": m.posted_at,
            }
            for post_id, member_id, m, campaign_ids in zip(post_ids, author_ids, fresh, campaigns_of, strict=True)
            for campaign_id in campaign_ids
        ],
        fresh=True,
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
) -> dict[str, tuple[int, int, bool]]:
    """(identity id, member id, claimed) per author id; authors seen for the first time become
    members standing in for them, recorded as having come from this channel (and the campaign
    their first mention joined)."""
    keys = {m.author_id for m in fresh}
    known = {
        external_id: (identity_id, member_id, claimed_at is not None)
        for external_id, identity_id, member_id, claimed_at in select_where_in(
            session,
            "SELECT external_id, id, member_id, claimed_at FROM channel_identities"
            " WHERE channel_id = ? AND external_id IN ({})",
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
    count = len(newcomers)
    identity_ids = reserve_ids(session, ChannelIdentity.__table__, count)
    first_mentions = [m for m, _ in newcomers.values()]
    insert_columns(
        session,
        ChannelIdentity.__table__,
        count,
        {
            "id": identity_ids,
            "channel_id": channel.id,
            "external_id": list(newcomers),
            "handle": [m.author_handle for m in first_mentions],
            "display_name": [m.author_name for m in first_mentions],
            "member_id": member_ids,
            "claimed_at": None,
            "created_at": now,
        },
    )
    insert_columns(
        session,
        MemberOrigin.__table__,
        count,
        {
            "member_id": member_ids,
            "source": "channel",
            "channel_id": channel.id,
            "campaign_id": [campaign_ids[0] if campaign_ids else None for _, campaign_ids in newcomers.values()],
            "referral_id": None,
            "referrer_id": None,
            "created_at": now,
        },
    )
    for author_id, member_id, identity_id in zip(newcomers, member_ids, identity_ids, strict=True):
        known[author_id] = (identity_id, member_id, False)
    outcome.new_members = len(newcomers)
    return known


def _levels(session: Session, member_ids: set[int]) -> dict[int, int]:
    """Fan level per member, for SLA policies that match on it."""
    rows = select_where_in(
        session, "SELECT id, xp FROM members WHERE xp > 0 AND id IN ({})", list(member_ids)
    )
    return {member_id: level_for(xp).number for member_id, xp in rows}
