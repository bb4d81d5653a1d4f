"""Channels: creating and configuring them, their webhook secrets, and checking a signed call."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import POST_KINDS, Board
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotAuthenticated, NotFound
from fanloop.core.permissions import Action, require
from fanloop.growth.models import CHANNEL_KINDS, Channel, ImportRun, Mention
from fanloop.service.notify.webhooks import sign

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,29}$")
# A signed call older (or newer) than this is refused, so a captured request cannot be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300
RESERVED_SLUGS = {"forum"}


@dataclass(frozen=True)
class ChannelInput:
    slug: str | None = None
    name: str | None = None
    kind: str | None = None
    board: str | None = None
    post_kind: str | None = None
    connector: str | None = None
    connector_config: dict | None = None
    live_window_hours: int | None = None
    is_active: bool | None = None


def list_channels(session: Session, *, viewer: Member) -> list[Channel]:
    require(viewer, Action.VIEW_GROWTH)
    return list(session.scalars(select(Channel).order_by(Channel.name)))


def get_channel(session: Session, *, viewer: Member, slug: str) -> Channel:
    require(viewer, Action.VIEW_GROWTH)
    return channel_by_slug(session, slug)


def channel_by_slug(session: Session, slug: str) -> Channel:
    channel = session.scalar(select(Channel).where(Channel.slug == slug))
    if channel is None:
        raise NotFound(f"There is no channel {slug!r}.")
    return channel


def mention_counts(session: Session) -> dict[int, int]:
    """Mentions per channel."""
    return dict(session.execute(select(Mention.channel_id, func.count()).group_by(Mention.channel_id)).all())


def create_channel(session: Session, *, actor: Member, data: ChannelInput) -> Channel:
    """A new channel with a fresh webhook secret."""
    require(actor, Action.MANAGE_CHANNELS)
    slug = (data.slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise Invalid(
            "A channel's short name is 2-30 lower-case letters, digits and -, not 'forum'.", field="slug"
        )
    if session.scalar(select(Channel.id).where(Channel.slug == slug)):
        raise Conflict(f"A channel {slug!r} exists already.", field="slug")
    if not data.name or not data.name.strip():
        raise Invalid("Give the channel a name.", field="name")
    if data.board is None:
        raise Invalid("Choose the board imported mentions go to.", field="board")
    channel = Channel(
        slug=slug,
        name="",
        kind="social",
        board_id=0,
        post_kind="question",
        webhook_secret=new_secret(),
        connector="none",
        connector_config={},
        live_window_hours=72,
        is_active=True,
        created_at=clock.now(),
    )
    _apply(session, channel, data)
    session.add(channel)
    session.flush()
    return channel


def update_channel(session: Session, *, actor: Member, slug: str, data: ChannelInput) -> Channel:
    require(actor, Action.MANAGE_CHANNELS)
    channel = channel_by_slug(session, slug)
    _apply(session, channel, data)
    session.flush()
    return channel


def _apply(session: Session, channel: Channel, data: ChannelInput) -> None:
    if data.name is not None:
        name = data.name.replace("\x00", "").strip()
        if not name or len(name) > 80:
            raise Invalid("A channel's name is 1-80 characters.", field="name")
        channel.name = name
    if data.kind is not None:
        if data.kind not in CHANNEL_KINDS:
            raise Invalid(f"A channel's kind is one of {', '.join(CHANNEL_KINDS)}.", field="kind")
        channel.kind = data.kind
    if data.board is not None:
        board = session.scalar(select(Board).where(Board.slug == data.board))
        if board is None:
            raise Invalid(f"There is no board {data.board!r}.", field="board")
        channel.board_id, channel.board = board.id, board
    if data.post_kind is not None:
        if data.post_kind not in POST_KINDS:
            raise Invalid(f"Imported posts are one of {', '.join(POST_KINDS)}.", field="post_kind")
        channel.post_kind = data.post_kind
    if data.live_window_hours is not None:
        if not 1 <= data.live_window_hours <= 24 * 365:
            raise Invalid("The live window is 1 hour to 365 days.", field="live_window_hours")
        channel.live_window_hours = data.live_window_hours
    if data.is_active is not None:
        channel.is_active = data.is_active
    if data.connector is not None or data.connector_config is not None:
        from fanloop.growth.channels.connectors import validate_connector

        name = data.connector if data.connector is not None else channel.connector
        config = data.connector_config if data.connector_config is not None else channel.connector_config
        channel.connector_config = validate_connector(name, config)
        channel.connector = name


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def rotate_secret(session: Session, *, actor: Member, slug: str) -> Channel:
    """A new webhook secret; calls signed with the old one are refused from now on."""
    require(actor, Action.MANAGE_CHANNELS)
    channel = channel_by_slug(session, slug)
    channel.webhook_secret = new_secret()
    return channel


def verify_signature(channel: Channel, *, header: str | None, body: bytes) -> None:
    """Check `X-Fanloop-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` against the
    channel's secret, and that t is within five minutes of now; raises NotAuthenticated if not."""
    if not header:
        raise NotAuthenticated("Sign the request: X-Fanloop-Signature: t=<unix time>,v1=<HMAC-SHA256>.")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise NotAuthenticated("The signature's timestamp (t=) is not a Unix time.") from None
    if abs(clock.now().timestamp() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise NotAuthenticated(
            "The signature's timestamp is more than five minutes from now: send it again, freshly signed."
        )
    expected = sign(channel.webhook_secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), f"t={timestamp},v1={parts.get('v1', '')}".encode()):
        raise NotAuthenticated("The signature does not match this channel's secret.")


def import_runs(session: Session, *, viewer: Member, channel: Channel, limit: int = 20) -> list[ImportRun]:
    require(viewer, Action.VIEW_GROWTH)
    return list(
        session.scalars(
            select(ImportRun)
            .where(ImportRun.channel_id == channel.id)
            .order_by(ImportRun.started_at.desc(), ImportRun.id.desc())
            .limit(limit)
        )
    )


def get_import_run(session: Session, *, viewer: Member, run_id: int, channel: Channel | None = None) -> ImportRun:
    """An import and its report; with `channel`, only one of that channel's."""
    require(viewer, Action.VIEW_GROWTH)
    run = session.get(ImportRun, run_id) if 0 < run_id <= 2**31 - 1 else None
    if run is None or (channel is not None and run.channel_id != channel.id):
        suffix = f" of {channel.name}" if channel is not None else ""
        raise NotFound(f"There is no import {run_id}{suffix}.")
    return run
