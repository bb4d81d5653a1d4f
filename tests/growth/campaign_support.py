"""A small forum for the campaign and referral tests: a board, a lead, staff, fans, and helpers to
write forum posts, import mentions and set up campaigns at chosen times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board, Post
from fanloop.core import clock as clock_module
from fanloop.growth.campaigns import service as campaigns
from fanloop.growth.models import Channel, ChannelIdentity, MemberOrigin, Mention

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 15, tzinfo=UTC)


@dataclass
class Forum:
    database: Any
    settings: Any
    seed: Any
    clock: Any
    lead: Member
    staff: Member

    def fan(self, handle: str | None = None) -> Member:
        return self.seed.member("fan", handle)

    def post(
        self, author: Member, title: str, body: str = "Nothing else.", at: datetime | None = None
    ) -> int:
        """A forum post written at `at` (default: now)."""
        now = self.clock.now()
        if at is not None:
            self.clock.set(at)
        try:
            with self.database.unit_of_work(write=True) as session:
                post = posts.create_post(
                    session,
                    author=session.get(Member, author.id),
                    data=posts.PostInput(board="general", kind="praise", title=title, body=body),
                    settings=self.settings,
                )
                return post.id
        finally:
            self.clock.set(now)

    def mention(
        self,
        author: Member,
        text: str,
        *,
        at: datetime,
        reposts: int = 0,
        likes: int = 0,
        external_id: str = "",
    ) -> int:
        """An imported mention (a post of a channel with its Mention row), as the importer leaves it."""
        with self.database.unit_of_work(write=True) as session:
            board = session.query(Board).filter_by(slug="general").one()
            channel = session.query(Channel).filter_by(slug="weibo").one_or_none()
            if channel is None:
                channel = Channel(
                    slug="weibo", name="Weibo", kind="social", board_id=board.id, webhook_secret="s" * 32,
                    created_at=at,
                )  # fmt: skip
                session.add(channel)
                session.flush()
            identity = ChannelIdentity(
                channel_id=channel.id, external_id=f"user-{author.id}-{external_id or text[:10]}",
                member_id=author.id, created_at=at,
            )  # fmt: skip
            session.add(identity)
            post = Post(
                board_id=board.id, author_id=author.id, kind="praise", status="open", title=text[:60], body=text,
                body_html=text, channel="weibo", created_at=at, updated_at=at,
            )  # fmt: skip
            session.add(post)
            session.flush()
            session.add(
                Mention(
                    post_id=post.id,
                    channel_id=channel.id,
                    external_id=external_id or f"m{post.id}",
                    identity_id=identity.id,
                    reposts=reposts,
                    likes=likes,
                    posted_at=at,
                    imported_at=at,
                )  # fmt: skip
            )
            return post.id

    def campaign(self, **fields: Any):  # noqa: ANN201
        values = {
            "slug": "spring",
            "name": "Spring with fanloop",
            "hashtags": ["fanloop春日"],
            "keywords": [],
            "starts_at": START,
            "ends_at": END,
        }
        values.update(fields)
        with self.database.unit_of_work(write=True) as session:
            return campaigns.create_campaign(session, actor=session.get(Member, self.lead.id), **values)

    def origin(self, member: Member) -> MemberOrigin | None:
        with self.database.unit_of_work() as session:
            return session.get(MemberOrigin, member.id)

    def set_origin(self, member: Member, *, campaign_id: int, at: datetime) -> None:
        """Say a member came through a campaign at `at` (what a referral sign-up or import writes)."""
        with self.database.unit_of_work(write=True) as session:
            origin = session.get(MemberOrigin, member.id)
            origin.source, origin.campaign_id, origin.created_at = "referral", campaign_id, at


def make_forum(seed, database, settings, clock) -> Forum:
    """What each test module's `forum` fixture returns."""
    seed.board("general", "General")  # the clock stands at 2026-03-10 13:40 UTC: inside the window
    return Forum(
        database, settings, seed, clock, lead=seed.member("lead", "lead_lu"), staff=seed.member("staff")
    )


def day(n: int, hour: int = 12) -> datetime:
    """A moment inside the test campaign's window: day `n` (0-based) at `hour` UTC."""
    return START + timedelta(days=n, hours=hour)


__all__ = ["END", "START", "Forum", "clock_module", "day", "make_forum"]
