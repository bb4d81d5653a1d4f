"""Making channels and mention files for the channel tests."""

from __future__ import annotations

import io
import json
from datetime import datetime

from fanloop.community.members.models import Member
from fanloop.growth.channels import importer
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.service import ChannelInput


def make_channel(database, lead: Member, slug: str = "weibo", **settings) -> str:  # noqa: ANN001
    with database.unit_of_work() as session:
        actor = session.get(Member, lead.id)
        data = ChannelInput(
            slug=slug,
            name=settings.pop("name", slug.title()),
            board=settings.pop("board", "social"),
            **settings,
        )
        return channels.create_channel(session, actor=actor, data=data).webhook_secret


def mention(i: int | str, at: datetime, *, author: str = "u1", text: str | None = None, **extra) -> dict:
    row = {
        "id": f"m{i}",
        "author": {"id": author, "handle": f"handle_{author}", "name": f"Name {author}"},
        "text": f"Mention number {i}: the battery drains overnight" if text is None else text,
        "created_at": at.isoformat(),
        "url": f"https://social.example/s/{i}",
        "reposts": 3,
        "likes": 7,
    }
    row.update(extra)
    return row


def jsonl(*rows: dict | str) -> bytes:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
    ).encode()


def run_import(database, data: bytes, *, channel: str = "weibo", name: str = "mentions.jsonl", **options):  # noqa: ANN001
    return importer.import_stream(
        database, channel_slug=channel, stream=io.BytesIO(data), name=name, **options
    )
