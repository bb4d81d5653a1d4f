"""Shared material for the pain-point tests: real-looking complaints in three clearly distinct groups,
and helpers that create posts, give them vectors and build pain points directly."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core import clock
from fanloop.insights.painpoints import centroids
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.insights.painpoints.remine import describe_members
from fanloop.insights.vectors import service as vectors

BATTERY_ZH = [
    ("电池续航太差", "充满电一晚上掉电百分之三十，待机耗电严重"),
    ("耗电太快了", "升级新版本以后电池耗电特别快，半天就没电了"),
    ("待机掉电严重", "晚上睡觉待机，早上起来电池少了四分之一，耗电太厉害"),
    ("电池不耐用", "新买的手机电池一天要充三次电，耗电太快"),
    ("更新后耗电增加", "系统更新后电池掉电明显变快，续航缩短一半"),
    ("后台耗电严重", "后台应用耗电严重，电池发热而且掉电快"),
]
CAMERA_EN = [
    ("Camera crashes in night mode", "Every time I switch to night mode the camera app crashes and closes."),
    ("Night mode crash", "The camera crashes as soon as I take a night mode photo."),
    (
        "Camera app closes by itself",
        "Opening night mode in the camera makes the app crash to the home screen.",
    ),
    ("Crash when taking night photos", "The camera crashes when I take photos at night in night mode."),
    (
        "Night shot makes the camera crash",
        "Tapping the shutter in night mode crashes the camera app every time.",
    ),
    ("Camera keeps crashing", "The camera app keeps crashing in night mode since the update."),
]
WIFI_EN = [
    ("Wi-Fi keeps disconnecting", "My Wi-Fi connection drops every few minutes and then reconnects."),
    ("WiFi drops constantly", "Wi-Fi disconnects from my home router all the time."),
    ("Cannot stay connected to WiFi", "The phone loses the Wi-Fi network every ten minutes."),
    (
        "Wi-Fi disconnects when the screen is off",
        "When the screen turns off, Wi-Fi disconnects and messages come late.",
    ),
    (
        "Unstable Wi-Fi connection",
        "The Wi-Fi connection is unstable and drops again and again at home and at work.",
    ),
    ("Router connection lost", "The Wi-Fi keeps dropping and I have to reconnect to the router by hand."),
]
GROUPS = {"battery": BATTERY_ZH, "camera": CAMERA_EN, "wifi": WIFI_EN}
KINDS = ("complaint", "bug", "suggestion")


def make_post(database, settings, author: Member, title: str, body: str, kind: str = "complaint") -> int:
    with database.unit_of_work(write=True) as session:
        return posts.create_post(
            session,
            author=session.get(Member, author.id),
            data=posts.PostInput(board="battery", kind=kind, title=title, body=body, tags=()),
            settings=settings,
        ).id


def make_groups(database, settings, author: Member, groups=GROUPS) -> dict[str, list[int]]:
    """The posts of each group, kinds mixed (complaints, bugs and suggestions are all mined)."""
    return {
        name: [
            make_post(database, settings, author, title, body, KINDS[i % len(KINDS)])
            for i, (title, body) in enumerate(texts)
        ]
        for name, texts in groups.items()
    }


def encode_all(database) -> int:
    done = 0
    while count := vectors.encode_pending(database):
        done += count
    return done


def store_vectors(
    database, post_ids: list[int], matrix: np.ndarray, negativity: list[float] | None = None
) -> None:
    """Give posts the given vectors directly (no text model run), as the vectors service stores them."""
    with database.unit_of_work(write=True) as session:
        vectors.store_vectors(
            session,
            fingerprint=centroids.current_fingerprint(),
            post_ids=post_ids,
            vectors=matrix,
            negativity=negativity if negativity is not None else [0.5] * len(post_ids),
        )


def clustered_vectors(groups: int, per_group: int, *, dim: int = 512, seed: int = 0) -> np.ndarray:
    """Unit vectors in `groups` tight, well-separated clusters (rows grouped: group 0 first)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    rows = np.repeat(centres, per_group, axis=0) + 0.15 * rng.normal(size=(groups * per_group, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make_point(database, post_ids: list[int], *, name: str = "", phrases: list[str] | None = None) -> int:
    """A pain point holding these posts (which have vectors), as a re-mine would leave it."""
    with database.unit_of_work(write=True) as session:
        stored = vectors.vectors_for(session, post_ids)
        centroid, similarities, radius = describe_members(np.vstack([stored[i] for i in post_ids]))
        now = clock.now()
        point = PainPoint(
            name=name,
            phrases=phrases or ["battery"],
            language="en",
            centroid=centroids.to_bytes(centroid),
            model=centroids.current_fingerprint(),
            radius=radius,
            example_post_ids=post_ids[:3],
            pinned=False,
            hidden=False,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(point)
        session.flush()
        for post_id, similarity in zip(post_ids, similarities.tolist(), strict=True):
            session.add(
                PainPointPost(
                    post_id=post_id,
                    pain_point_id=point.id,
                    similarity=similarity,
                    source="mined",
                    assigned_at=now,
                )
            )
        return point.id


def members_of(database) -> dict[int, set[int]]:
    """pain point id -> its post ids."""
    found: dict[int, set[int]] = {}
    with database.unit_of_work() as session:
        for post_id, point_id in session.execute(select(PainPointPost.post_id, PainPointPost.pain_point_id)):
            found.setdefault(point_id, set()).add(post_id)
    return found


def point(database, point_id: int) -> PainPoint:
    with database.unit_of_work() as session:
        return session.get(PainPoint, point_id)
