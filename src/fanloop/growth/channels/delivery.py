"""Replies back: a staff reply to an imported post is queued, then sent to the channel by its connector.

A public staff reply on a post that came in as a mention of an active channel with a connector gets
one `Delivery` row, in the transaction of the reply itself (so a rolled-back reply sends nothing).
The worker job `deliver_pending` then works like the outbound webhooks (service/notify/dispatch.py),
holding no transaction while a connector talks to the outside:

1. In one short transaction, claim the due deliveries: state "sending" with a lease. On PostgreSQL
   the rows are locked FOR UPDATE SKIP LOCKED, so several workers share the work; on SQLite the
   write transaction serialises them.
2. Call each delivery's connector, outside any transaction.
3. In a second short transaction, record each answer on the rows this pass still holds the lease
   of: delivered, failed (due again after a backoff) or dead (the last attempt, or a refusal that
   trying again cannot change).

A worker that dies between 1 and 3 leaves its claims to expire; they are sent again then, which is
why connectors get the delivery id, stable across attempts, to recognise a repeat."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markdown_it import MarkdownIt
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post, Reply
from fanloop.core import clock
from fanloop.core.db import Database
from fanloop.core.errors import Conflict, DomainError, NotFound
from fanloop.core.permissions import Action, require
from fanloop.growth.channels.connectors import (
    NO_CONNECTOR,
    DeliveryFailed,
    OutboundReply,
    get_connector,
    secret_values,
)
from fanloop.growth.models import Channel, ChannelIdentity, Delivery, Mention

log = logging.getLogger("fanloop.connectors")

BATCH = 20
SENDERS = 4
# Longer than a batch can take: BATCH / SENDERS rounds of the longest connector timeout (30 s), with margin.
LEASE = timedelta(minutes=5)
# After the n-th failed attempt, the next one is due RETRY_DELAYS[n - 1] later; after the last, none.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
MAX_ERROR_LENGTH = 500
MAX_ID = 2**31 - 1
DUE_STATES = ("queued", "failed")
RETRYABLE_STATES = ("failed", "dead")


# --------------------------------------------------------------------------- queueing


def queue_reply(session: Session, *, post: Post, reply: Reply) -> Delivery | None:
    """Queue a reply for its channel when it should go out: public, by staff, on an imported post
    whose channel is active and has a connector. Returns the delivery, or None."""
    if reply.is_internal or reply.is_automatic or not reply.is_staff:
        return None
    mention = session.get(Mention, post.id)
    if mention is None:
        return None
    channel = session.get(Channel, mention.channel_id)
    if channel is None or not channel.is_active or channel.connector in ("", NO_CONNECTOR):
        return None
    existing = session.scalar(select(Delivery).where(Delivery.reply_id == reply.id))
    if existing is not None:
        return existing
    now = clock.now()
    delivery = Delivery(
        reply_id=reply.id,
        post_id=post.id,
        channel_id=channel.id,
        connector=channel.connector,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        external_id="",
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


# --------------------------------------------------------------------------- the worker job


@dataclass(frozen=True)
class Claim:
    """A leased delivery, with everything needed to send it outside the database."""

    delivery_id: int
    connector: str
    message: OutboundReply
    lease_until: datetime
    config: dict = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    lease_until: datetime
    error: str = ""
    retryable: bool = True
    external_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def deliver_pending(database: Database) -> int:
    """One pass: claim the due deliveries, hand them to their connectors, record the answers.
    Returns how many deliveries were attempted."""
    # Most passes find nothing: a read asks first, so they never queue for SQLite's write lock.
    with database.unit_of_work() as session:
        if session.scalar(_due_query(clock.now()).with_only_columns(Delivery.id).limit(1)) is None:
            return 0
    with database.unit_of_work(write=True) as session:
        claims = claim_due(session)
    if not claims:
        return 0
    outcomes = send_all(claims)
    with database.unit_of_work(write=True) as session:
        record(session, outcomes)
    return len(outcomes)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after the `attempts`-th failure: 1 min, 5 min, 30 min, 2 h, 12 h; then None."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else None


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _due_query(now: datetime) -> Select:
    return (
        select(Delivery)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(
            or_(
                and_(Delivery.state.in_(DUE_STATES), Delivery.next_attempt_at <= now),
                and_(Delivery.state == "sending", Delivery.lease_until <= now),
            ),
            Channel.is_active.is_(True),
            Channel.connector != NO_CONNECTOR,
        )
    )


def claim_due(session: Session, *, limit: int = BATCH) -> list[Claim]:
    """Lease the due deliveries (queued or failed and due, or sending with an expired lease) of
    active channels, and build their messages."""
    now = clock.now()
    query = _due_query(now).order_by(Delivery.id).limit(limit)
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True, of=Delivery)
    deliveries = list(session.scalars(query))
    if not deliveries:
        return []
    channels = _by_id(session, Channel, {d.channel_id for d in deliveries})
    replies = _by_id(session, Reply, {d.reply_id for d in deliveries})
    mentions = {
        m.post_id: m
        for m in session.scalars(select(Mention).where(Mention.post_id.in_({d.post_id for d in deliveries})))
    }
    identities = _by_id(session, ChannelIdentity, {m.identity_id for m in mentions.values()})
    lease_until = now + LEASE
    claims = []
    for delivery in deliveries:
        channel, reply, mention = (
            channels[delivery.channel_id],
            replies[delivery.reply_id],
            mentions.get(delivery.post_id),
        )
        gone = _why_not_sendable(reply, mention)
        if gone:
            delivery.state, delivery.last_error = "dead", gone
            delivery.next_attempt_at = delivery.lease_until = None
            continue
        delivery.state, delivery.lease_until = "sending", lease_until
        delivery.connector = channel.connector  # a lead may have switched it since the reply
        config = dict(channel.connector_config or {})
        claims.append(
            Claim(
                delivery_id=delivery.id,
                connector=channel.connector,
                message=outbound_reply(delivery, channel, reply, mention, identities[mention.identity_id]),
                lease_until=lease_until,
                config=config,
                secrets=tuple(secret_values(config, [channel.webhook_secret])),
            )
        )
    return claims


def _why_not_sendable(reply: Reply, mention: Mention | None) -> str:
    if reply.deleted_at is not None or reply.is_hidden:
        return "The reply was deleted or hidden before it went out."
    if mention is None:
        return "The post is no longer linked to a channel mention."
    return ""


def _by_id(session: Session, model, ids: set[int]) -> dict:  # noqa: ANN001
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def outbound_reply(
    delivery: Delivery, channel: Channel, reply: Reply, mention: Mention, identity: ChannelIdentity
) -> OutboundReply:
    """The message a connector gets for a delivery."""
    return OutboundReply(
        delivery_id=delivery.id,
        reply_id=reply.id,
        post_id=delivery.post_id,
        channel_slug=channel.slug,
        channel_kind=channel.kind,
        mention_external_id=mention.external_id,
        mention_url=mention.url or "",
        author_external_id=identity.external_id,
        author_handle=identity.handle or "",
        text=plain_text(reply.body),
        staff_name=reply.author.display_name,
        replied_at=clock.as_utc(reply.created_at).isoformat(),
    )


def send_all(claims: list[Claim]) -> list[Outcome]:
    """Send every claim, a few at a time, so one slow channel does not hold up the rest."""
    if len(claims) == 1:
        return [send(claims[0])]
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(claims))) as pool:
        return list(pool.map(send, claims))


def send(claim: Claim) -> Outcome:
    """Hand one reply to its connector; every way it can go wrong becomes a failed outcome."""
    failed = _failed(claim)
    try:
        connector = get_connector(claim.connector)
    except DomainError as error:  # the package was uninstalled: it may be back
        return failed(error.detail, retryable=True)
    try:
        config = connector.validate_config(dict(claim.config))
    except DomainError as error:
        return failed(f"The connector configuration is not valid: {error.detail}", retryable=False)
    try:
        receipt = connector.deliver(claim.message, config)
    except DeliveryFailed as error:
        return failed(error.reason or "The connector gave no reason.", retryable=error.retryable)
    except Exception as error:  # a third-party connector's bug must not stop the pass
        return failed(f"{type(error).__name__}: {error}", retryable=True)
    external_id = str(getattr(receipt, "external_id", "") or "")[:200]
    return Outcome(claim.delivery_id, claim.lease_until, external_id=external_id)


def _failed(claim: Claim):  # noqa: ANN202
    def outcome(error: str, *, retryable: bool) -> Outcome:
        error = redact(error, claim.secrets)[:MAX_ERROR_LENGTH]
        return Outcome(claim.delivery_id, claim.lease_until, error=error, retryable=retryable)

    return outcome


def redact(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """`text` with every secret replaced, so an error echoing its request never shows one."""
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def record(session: Session, outcomes: list[Outcome]) -> None:
    """Write each answer: delivered, failed (due again later) or dead."""
    now = clock.now()
    for outcome in outcomes:
        query = select(Delivery).where(Delivery.id == outcome.delivery_id)
        if _is_postgresql(session):
            query = query.with_for_update()
        delivery = session.scalar(query)
        # Only the holder of the lease records: after it expired, another worker owns the row.
        if delivery is None or delivery.state != "sending" or delivery.lease_until != outcome.lease_until:
            continue
        delivery.attempts += 1
        delivery.lease_until = None
        if outcome.ok:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
            delivery.last_error, delivery.external_id = "", outcome.external_id
            continue
        delivery.last_error = outcome.error or "The delivery failed."
        delay = retry_delay(delivery.attempts) if outcome.retryable else None
        if delay is None:
            delivery.state, delivery.next_attempt_at = "dead", None
            log.warning("channel delivery %s stopped: %s", delivery.id, delivery.last_error)
        else:
            delivery.state, delivery.next_attempt_at = "failed", now + delay


# --------------------------------------------------------------------------- staff


@dataclass(frozen=True)
class DeliveryStatus:
    """A reply's way back to its channel, as staff see it on the post."""

    id: int
    reply_id: int
    post_id: int
    channel_slug: str
    channel_name: str
    connector: str
    state: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    external_id: str
    created_at: datetime

    @property
    def may_retry(self) -> bool:
        return self.state in RETRYABLE_STATES


def _status(delivery: Delivery, channel: Channel) -> DeliveryStatus:
    return DeliveryStatus(
        id=delivery.id,
        reply_id=delivery.reply_id,
        post_id=delivery.post_id,
        channel_slug=channel.slug,
        channel_name=channel.name,
        connector=delivery.connector,
        state=delivery.state,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        next_attempt_at=delivery.next_attempt_at if delivery.state in DUE_STATES else None,
        delivered_at=delivery.delivered_at,
        external_id=delivery.external_id,
        created_at=delivery.created_at,
    )


def deliveries_for_post(session: Session, *, viewer: Member | None, post_id: int) -> list[DeliveryStatus]:
    """Staff: where each reply on the post stands on its way back to the channel, oldest first."""
    require(viewer, Action.VIEW_STAFF_AREA)
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    rows = session.execute(
        select(Delivery, Channel)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(Delivery.post_id == post.id)
        .order_by(Delivery.id)
    )
    return [_status(delivery, channel) for delivery, channel in rows]


def retry_delivery(session: Session, *, actor: Member | None, delivery_id: int) -> DeliveryStatus:
    """Staff: send a failed or dead delivery again now. It is one more attempt; a retryable failure
    afterwards follows the schedule from where it was (after the last attempt: dead again)."""
    require(actor, Action.CHANGE_STATUS)
    delivery = session.get(Delivery, delivery_id) if 0 < delivery_id <= MAX_ID else None
    if delivery is None:
        raise NotFound(f"There is no delivery {delivery_id}.")
    if delivery.state not in RETRYABLE_STATES:
        raise Conflict(f"Only a failed or dead delivery can be retried; this one is {delivery.state}.")
    delivery.state, delivery.next_attempt_at, delivery.lease_until = "queued", clock.now(), None
    session.flush()
    return _status(delivery, session.get(Channel, delivery.channel_id))


# --------------------------------------------------------------------------- plain text

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_BLOCK_ENDS = {
    "heading_close": "\n\n",
    "bullet_list_close": "\n",
    "ordered_list_close": "\n",
    "tr_close": "\n",
    "table_close": "\n",
    "hr": "\n\n",
}


def plain_text(markdown: str) -> str:
    """A reply's Markdown as plain text for channels that show no formatting: emphasis dropped,
    links as "text (url)", list items with their markers, code kept as written."""
    out: list[str] = []
    for token in _markdown.parse(markdown or ""):
        if token.type == "inline":
            out.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.rstrip("\n") + "\n\n")
        elif token.type == "list_item_open":
            out.append(f"{token.info}. " if token.info else "- ")
        elif token.type == "paragraph_close":
            out.append("\n" if token.hidden else "\n\n")
        elif token.type in ("th_close", "td_close"):
            out.append(" ")
        elif token.type in _BLOCK_ENDS:
            out.append(_BLOCK_ENDS[token.type])
    text = "\n".join(line.rstrip() for line in "".join(out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _inline_text(children: list) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrs.get("href", "")), len(out)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            if href and href != "".join(out[start:]).strip():
                out.append(f" ({href})")
    return "".join(out)
