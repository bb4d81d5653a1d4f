"""How campaigns and referrals follow the community: registered once at start-up."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from fanloop.core import events
from fanloop.growth import referrals
from fanloop.growth.campaigns import matching
from fanloop.growth.models import CampaignPost


def _on_post_created(session: Session, *, post, **_) -> None:  # noqa: ANN001
    # Imported posts are matched by the channel importer, with their reposts and posting time.
    if post.channel == "forum":
        matching.match_post(session, post=post)


def _on_post_removed(session: Session, *, post, **_) -> None:  # noqa: ANN001
    session.execute(delete(CampaignPost).where(CampaignPost.post_id == post.id))


def _on_member_created(session: Session, *, member, referral_code: str | None = None, **_) -> None:  # noqa: ANN001
    referrals.record_origin(session, member=member, referral_code=referral_code)


def register() -> None:
    events.subscribe("post.created", _on_post_created)
    events.subscribe("post.removed", _on_post_removed)
    events.subscribe("member.created", _on_member_created)
