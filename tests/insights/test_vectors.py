"""Post vectors: computed once per post in the background, stored, announced, and searchable."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core import events
from fanloop.insights.vectors import index as vector_index
from fanloop.insights.vectors import service as vectors
from fanloop.insights.vectors.models import PostVector
from fanloop.jobs.worker import OwnTransactions, Worker

TEXTS = [
    ("电池续航太差", "充满电一晚上掉电百分之三十，待机耗电严重"),
    ("Battery drains overnight", "The phone loses 30% battery overnight while idle."),
    ("相机夜景模糊", "晚上拍照很糊，夜景模式对焦不准"),
]


@pytest.fixture
def author(seed):
    seed.board()
    return seed.member("fan")


@pytest.fixture(autouse=True)
def _fresh_index():
    vector_index.forget_indexes()
    yield
    vector_index.forget_indexes()


def _post(database, settings, author: Member, title: str, body: str, kind: str = "complaint") -> int:
    with database.unit_of_work(write=True) as session:
        return posts.create_post(
            session,
            author=session.get(Member, author.id),
            data=posts.PostInput(board="battery", kind=kind, title=title, body=body, tags=()),
            settings=settings,
        ).id


def _stored(database) -> dict[int, PostVector]:
    with database.unit_of_work() as session:
        return {row.post_id: row for row in session.query(PostVector)}


def test_each_post_gets_one_normalised_vector_and_a_negativity(database, settings, author):
    ids = [_post(database, settings, author, title, body) for title, body in TEXTS]

    assert vectors.encode_pending(database) == 3
    assert vectors.encode_pending(database) == 0  # computed once

    stored = _stored(database)
    assert sorted(stored) == sorted(ids)
    model = vectors.text_model()
    for row in stored.values():
        vector = vectors.from_bytes(row.vector)
        assert row.model == model.fingerprint and row.dim == model.dim == vector.shape[0]
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=0.01)
        assert 0.0 <= row.negativity <= 1.0


def test_vectorized_event_fires_once_per_stored_post(database, settings, author, monkeypatch):
    seen: list[int] = []
    handlers = [*events.subscribers("post.vectorized"), lambda session, post_id, **_: seen.append(post_id)]
    monkeypatch.setitem(events._subscribers, "post.vectorized", handlers)
    first = _post(database, settings, author, *TEXTS[0])

    vectors.encode_pending(database)
    second = _post(database, settings, author, *TEXTS[1])
    vectors.encode_pending(database)
    vectors.encode_pending(database)

    assert seen == [first, second]


def test_storing_twice_stores_once(database, settings, author):
    """Two workers that encoded the same posts: the second store adds nothing."""
    post_id = _post(database, settings, author, *TEXTS[0])
    vector = vectors.encode_texts(["x"])
    fingerprint = vectors.text_model().fingerprint
    for expected in ([post_id], []):
        with database.unit_of_work(write=True) as session:
            stored = vectors.store_vectors(
                session, fingerprint=fingerprint, post_ids=[post_id], vectors=vector, negativity=[0.5]
            )
        assert stored == expected
    assert len(_stored(database)) == 1


def test_a_vector_from_another_model_is_replaced(database, settings, author):
    post_id = _post(database, settings, author, *TEXTS[0])
    with database.unit_of_work(write=True) as session:
        vectors.store_vectors(
            session,
            fingerprint="retired-model",
            post_ids=[post_id],
            vectors=np.ones((1, 4), dtype=np.float32) / 2,
            negativity=[0.1],
        )

    assert vectors.encode_pending(database) == 1

    row = _stored(database)[post_id]
    assert row.model == vectors.text_model().fingerprint


def test_an_idle_pass_reads_only_new_posts_and_a_full_pass_catches_any_missed(
    database, settings, author, monkeypatch
):
    monkeypatch.setattr(vectors, "CURSOR_SLACK", 0)
    missed = _post(database, settings, author, *TEXTS[0])
    assert vectors.encode_pending(database) == 1
    with database.unit_of_work(write=True) as session:  # a vector lost behind the cursor
        session.execute(delete(PostVector).where(PostVector.post_id == missed))
    newer = _post(database, settings, author, *TEXTS[1])

    assert vectors.encode_pending(database) == 1  # only the new post: the pass starts at the cursor
    assert set(_stored(database)) == {newer}

    monkeypatch.setattr(vectors, "FULL_PASS_SECONDS", 0.0)
    assert vectors.encode_pending(database) == 1  # a full pass starts from the first post
    assert set(_stored(database)) == {missed, newer}


def test_deleted_posts_are_not_encoded(database, settings, author, seed):
    post_id = _post(database, settings, author, *TEXTS[0])
    admin = seed.member("admin")
    with database.unit_of_work(write=True) as session:
        posts.moderate_post(session, actor=session.get(Member, admin.id), post_id=post_id, action="delete")

    assert vectors.encode_pending(database) == 0


def test_index_finds_the_nearest_post_and_picks_up_new_ones(database, settings, author):
    battery = _post(database, settings, author, *TEXTS[0])
    camera = _post(database, settings, author, *TEXTS[2])
    vectors.encode_pending(database)
    query = vectors.encode_texts(["手机待机掉电太快，电池不耐用"])[0]

    with database.unit_of_work() as session:
        found = vector_index.index_for(session).search(query, limit=2)
    assert [n.post_id for n in found] == [battery, camera]
    assert found[0].similarity > found[1].similarity

    english = _post(database, settings, author, *TEXTS[1])
    vectors.encode_pending(database)
    english_query = vectors.encode_texts(["My battery drains too fast on standby"])[0]
    with database.unit_of_work() as session:
        index = vector_index.index_for(session)
        assert len(index) == 3
        assert battery not in {n.post_id for n in index.search(query, limit=3, exclude={battery})}
        # The default model keeps each language in its own block: a query searches its own.
        assert [n.post_id for n in index.search(english_query, limit=3)] == [english]
        assert english not in {n.post_id for n in index.search(query, limit=3)}


def test_text_model_work_runs_in_a_lane_of_its_own(database):
    worker = Worker(database)
    lanes = [[name for name, _ in lane] for lane in worker.lanes]
    text_lane = next(lane for lane in lanes if "post_vectors" in lane)
    assert text_lane == ["post_vectors"]
    assert "sla_sweep" in lanes[0] and "post_vectors" not in lanes[0]
    assert isinstance(dict(sum(worker.lanes, []))["post_vectors"], OwnTransactions)
