"""Helpers for service-desk tests: posts and replies made through the community services."""

from __future__ import annotations

import pytest

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.service.rota.models import RotaMember


class Desk:
    def __init__(self, database, seed, settings) -> None:
        self.database, self.seed, self.settings = database, seed, settings
        seed.board("battery", "Battery")
        seed.board("camera", "Camera")
        seed.tag("update")

    def staff(self, handle: str, *, role: str = "staff", on_rota: bool = True, **rota) -> Member:
        member = self.seed.member(role, handle)
        if on_rota:
            with self.database.unit_of_work() as session:
                session.add(
                    RotaMember(
                        member_id=member.id,
                        on_rota=True,
                        availability="on_duty",
                        capacity=rota.get("capacity", 5),
                        team=rota.get("team", ""),
                        boards=rota.get("boards", []),
                        tags=rota.get("tags", []),
                        languages=rota.get("languages", []),
                    )
                )
        return member

    def post(
        self, author: Member, *, board: str = "battery", kind: str = "bug", tags=(), title="待机掉电严重"
    ):
        with self.database.unit_of_work(write=True) as session:
            post = posts.create_post(
                session,
                author=session.get(Member, author.id),
                data=posts.PostInput(
                    board=board, kind=kind, title=title, body="每晚掉电 20%", tags=tuple(tags)
                ),
                settings=self.settings,
            )
            return post.id

    def reply(self, author: Member, post_id: int, body: str = "Please send a log.", internal: bool = False):
        with self.database.unit_of_work(write=True) as session:
            return posts.add_reply(
                session,
                author=session.get(Member, author.id),
                post_id=post_id,
                body=body,
                settings=self.settings,
                internal=internal,
            ).id


@pytest.fixture
def desk(database, seed, settings, clock):
    return Desk(database, seed, settings)
