"""Real-sounding Chinese and English posts for the similar-post tests, written and encoded through the
real path (the posts service, then encode_pending)."""

from __future__ import annotations

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.db import Database
from fanloop.insights.vectors.service import encode_pending

POSTS = {
    "drain_zh": (
        "battery",
        "更新后待机掉电严重",
        "升级到 2.4.1 后，一晚上待机掉电百分之三十，之前只掉百分之五。",
    ),
    "drain_en": (
        "battery",
        "Battery drains overnight after the update",
        "Since 2.4.1 my phone loses 30% overnight while idle.",
    ),
    "night_photo": ("camera", "相机夜景模式拍照模糊", "晚上拍照很糊，夜景模式对焦不准，白天正常。"),
    "bluetooth": (
        "battery",
        "Bluetooth headphones disconnect every few minutes",
        "My earbuds drop the connection every 5 minutes since the last update.",
    ),
    "dark_mode": ("camera", "希望增加深色模式", "晚上看屏幕太亮了，希望设置里能加一个深色模式。"),
    "gallery": (
        "camera",
        "App crashes when I open the gallery",
        "The gallery app closes immediately when I tap an album.",
    ),
    "notify": ("battery", "微信消息通知延迟", "锁屏后微信消息要过好几分钟才收到通知。"),
}
# Written only when a test names them.
EXTRA_POSTS = {
    "drain_en_again": (
        "battery",
        "Phone loses a third of its charge at night",
        "After updating to 2.4.1, standby drains about 30% of the battery every night.",
    ),
}


def write_posts(database: Database, settings, author: Member, keys=None) -> dict[str, int]:  # noqa: ANN001
    """Publish the corpus (or the named posts of it) as `author`; returns post ids by key."""
    ids = {}
    for key in keys or POSTS:
        board, title, body = POSTS.get(key) or EXTRA_POSTS[key]
        with database.unit_of_work(write=True) as session:
            ids[key] = posts.create_post(
                session,
                author=session.get(Member, author.id),
                data=posts.PostInput(board=board, kind="bug", title=title, body=body),
                settings=settings,
            ).id
    return ids


def write_and_encode(database: Database, settings, author: Member, keys=None) -> dict[str, int]:  # noqa: ANN001
    ids = write_posts(database, settings, author, keys)
    assert encode_pending(database) == len(ids)
    return ids
