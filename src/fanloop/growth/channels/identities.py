"""Claiming an imported identity: a person who wrote on a channel before they had an account here
takes that history (posts, experience, credits) into their account. They prove it by posting a
code from that channel account, which the next import sees, or a lead approves the claim."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.external import NO_PASSWORD, merge_members
from fanloop.community.members.models import Member
from fanloop.community.posts.imported import adopt_posts
from fanloop.community.posts.models import Post
from fanloop.core import clock
from fanloop.core.errors import Conflict, Forbidden, Invalid, NotFound
from fanloop.core.permissions import Action, can, require
from fanloop.growth.channels.service import channel_by_slug
from fanloop.growth.models import ChannelIdentity, IdentityClaim

CODE_PREFIX = "fanloop-"


def find_identity(session: Session, *, channel_slug: str, who: str) -> ChannelIdentity:
    """The identity on the channel with this id or handle (a leading @ is ignored)."""
    channel = channel_by_slug(session, channel_slug)
    who = who.strip().lstrip("@")
    if not who:
        raise Invalid("Name the channel account: its handle or id.", field="who")
    identity = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel_id == channel.id, ChannelIdentity.external_id == who
        )
    ) or session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.channel_id == channel.id, func.lower(ChannelIdentity.handle) == who.lower())
        .order_by(ChannelIdentity.id)
        .limit(1)
    )
    if identity is None:
        raise NotFound(f"No one called {who!r} has been imported from {channel.name} yet.")
    return identity


def start_claim(session: Session, *, member: Member, channel_slug: str, who: str) -> IdentityClaim:
    """Ask for an identity; returns the claim with the code to post from it (the same pending
    claim if asked again)."""
    require(member, Action.CLAIM_IDENTITY)
    identity = find_identity(session, channel_slug=channel_slug, who=who)
    if identity.claimed_at is not None or identity.member_id == member.id:
        raise Conflict("That identity already belongs to an account.")
    pending = session.scalar(
        select(IdentityClaim).where(
            IdentityClaim.identity_id == identity.id,
            IdentityClaim.member_id == member.id,
            IdentityClaim.state == "pending",
        )
    )
    if pending is not None:
        return pending
    claim = IdentityClaim(
        identity_id=identity.id,
        member_id=member.id,
        code=CODE_PREFIX + secrets.token_hex(5),
        state="pending",
        created_at=clock.now(),
    )
    session.add(claim)
    session.flush()
    return claim


def claims_of(session: Session, *, member: Member) -> list[IdentityClaim]:
    require(member, Action.CLAIM_IDENTITY)
    return list(
        session.scalars(
            select(IdentityClaim)
            .where(IdentityClaim.member_id == member.id)
            .order_by(IdentityClaim.id.desc())
        )
    )


def pending_claims(session: Session, *, viewer: Member, limit: int = 100) -> list[IdentityClaim]:
    """Claims waiting for a decision, oldest first (leads)."""
    require(viewer, Action.MANAGE_CHANNELS)
    return list(
        session.scalars(
            select(IdentityClaim)
            .where(IdentityClaim.state == "pending")
            .order_by(IdentityClaim.id)
            .limit(limit)
        )
    )


def identities_of(session: Session, *, member_id: int) -> list[ChannelIdentity]:
    """The channel identities that stand for a member."""
    return list(session.scalars(select(ChannelIdentity).where(ChannelIdentity.member_id == member_id)))


def _claim(session: Session, claim_id: int) -> IdentityClaim:
    claim = session.get(IdentityClaim, claim_id)
    if claim is None:
        raise NotFound(f"There is no identity claim {claim_id}.")
    return claim


def decide_claim(session: Session, *, actor: Member, claim_id: int, approve: bool) -> IdentityClaim:
    """A lead approves (the history moves) or rejects a pending claim."""
    require(actor, Action.MANAGE_CHANNELS)
    claim = _claim(session, claim_id)
    if claim.state != "pending":
        raise Conflict(f"This claim is {claim.state} already.")
    if approve:
        complete_claim(session, claim=claim, state="approved", decided_by_id=actor.id)
    else:
        claim.state, claim.decided_at, claim.decided_by_id = "rejected", clock.now(), actor.id
    return claim


def cancel_claim(session: Session, *, member: Member, claim_id: int) -> IdentityClaim:
    claim = _claim(session, claim_id)
    if claim.member_id != member.id and not can(member, Action.MANAGE_CHANNELS):
        raise Forbidden("Only the member who asked may withdraw this claim.")
    if claim.state != "pending":
        raise Conflict(f"This claim is {claim.state} already.")
    claim.state, claim.decided_at = "cancelled", clock.now()
    return claim


def complete_claim(session: Session, *, claim: IdentityClaim, state: str, decided_by_id: int | None) -> None:
    """Move the identity and its member's history into the claimant's account."""
    identity = session.get(ChannelIdentity, claim.identity_id)
    if identity.claimed_at is not None:
        raise Conflict("That identity already belongs to an account.")
    stand_in = session.get(Member, identity.member_id)
    now = clock.now()
    if stand_in is not None and stand_in.id != claim.member_id:
        if stand_in.password_hash != NO_PASSWORD:
            raise Conflict("That identity is linked to a member with an account of their own.")
        written = list(session.scalars(select(Post.id).where(Post.author_id == stand_in.id)))
        merge_members(session, source_id=stand_in.id, target_id=claim.member_id)
        # From now on the history is theirs as if posted here: they follow it and earn its experience.
        adopt_posts(session, member_id=claim.member_id, post_ids=written)
    identity.member_id, identity.claimed_at = claim.member_id, now
    claim.state, claim.decided_at, claim.decided_by_id = state, now, decided_by_id
    for other in session.scalars(
        select(IdentityClaim).where(
            IdentityClaim.identity_id == identity.id,
            IdentityClaim.state == "pending",
            IdentityClaim.id != claim.id,
        )
    ):
        other.state, other.decided_at = "rejected", now


def verify_from_mentions(session: Session, *, channel, mentions) -> int:  # noqa: ANN001
    """After an import: a pending claim whose code the claimed identity posted is proven."""
    authors = {m.author_id for m in mentions}
    if not authors:
        return 0
    rows = session.execute(
        select(IdentityClaim, ChannelIdentity.external_id)
        .join(ChannelIdentity, ChannelIdentity.id == IdentityClaim.identity_id)
        .where(IdentityClaim.state == "pending", ChannelIdentity.channel_id == channel.id)
    ).all()
    proven = 0
    for claim, external_id in rows:
        if external_id in authors and any(
            m.author_id == external_id and claim.code in m.text for m in mentions
        ):
            complete_claim(session, claim=claim, state="verified", decided_by_id=None)
            proven += 1
    return proven
