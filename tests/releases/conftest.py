"""A small forum for release tests: a board, staff, fans, and helpers to post, vote and follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core import clock as clock_module
from fanloop.insights.painpoints.models import PainPoint, PainPointPost


@dataclass
class Forum:
    database: Any
    settings: Any
    seed: Any
    staff: Member
    lead: Member

    def fan(self, handle: str | None = None) -> Member:
        return self.seed.member("fan", handle)

    def post(self, author: Member, title: str, kind: str = "suggestion") -> int:
        with self.database.unit_of_work(write=True) as session:
            post = posts.create_post(
                session,
                author=session.get(Member, author.id),
                data=posts.PostInput(board="general", kind=kind, title=title, body=f"{title}, please."),
                settings=self.settings,
            )
            return post.id

    def vote(self, member: Member, post_id: int) -> None:
        with self.database.unit_of_work(write=True) as session:
            posts.set_vote(session, member=session.get(Member, member.id), post_id=post_id, voted=True)

    def follow(self, member: Member, post_id: int) -> None:
        with self.database.unit_of_work(write=True) as session:
            posts.set_follow(session, member=session.get(Member, member.id), post_id=post_id, following=True)

    def status(self, post_id: int, status: str) -> None:
        with self.database.unit_of_work(write=True) as session:
            posts.change_status(
                session, actor=session.get(Member, self.staff.id), post_id=post_id, status=status
            )

    def pain_point(self, name: str, post_ids: list[int], status: str | None = "planned") -> int:
        now = clock_module.get_clock().now()
        with self.database.unit_of_work(write=True) as session:
            point = PainPoint(
                name=name,
                phrases=[],
                language="en",
                centroid=b"",
                model="test",
                radius=0.5,
                example_post_ids=post_ids[:3],
                pinned=False,
                hidden=False,
                status=status,
                revision=1,
                created_at=now,
                updated_at=now,
            )
            session.add(point)
            session.flush()
            for post_id in post_ids:
                session.add(
                    PainPointPost(
                        post_id=post_id,
                        pain_point_id=point.id,
                        similarity=0.9,
                        source="mined",
                        assigned_at=now,
                    )
                )
            return point.id


@pytest.fixture
def forum(database, settings, seed, clock) -> Forum:
    seed.board("general", "General")
    return Forum(
        database,
        settings,
        seed,
        staff=seed.member("staff", "zhang_min"),
        lead=seed.member("lead", "chen_jie"),
    )
