"""Similar posts: a draft's likely duplicates, a post's possible duplicates, and answered suggestions,
over Chinese and English posts encoded by the real text model."""

from __future__ import annotations

import pytest
from similar_corpus import write_and_encode, write_posts

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board, Post
from fanloop.core.errors import Invalid, NotFound, RateLimited
from fanloop.insights.similar import service as similar
from fanloop.insights.vectors.index import index_for


@pytest.fixture
def people(seed, clock):
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    return {"fan": seed.member("fan", "li_wei"), "staff": seed.member("staff", "zhang_min")}


@pytest.fixture
def corpus(database, settings, people) -> dict[str, int]:
    return write_and_encode(database, settings, people["fan"])


def _draft(database, title: str, body: str = "", **options) -> list[similar.SimilarPost]:
    with database.unit_of_work() as session:
        return similar.likely_duplicates(session, title=title, body=body, **options)


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("升级后掉电快", "晚上待机一夜掉了很多电", "drain_zh"),
        ("Phone battery dies overnight", "Lost a third of the battery while sleeping", "drain_en"),
        ("Earbuds keep disconnecting", "", "bluetooth"),
        ("夜景拍照糊", "", "night_photo"),
    ],
)
def test_a_draft_about_the_same_problem_finds_the_earlier_post(database, corpus, title, body, expected):
    found = _draft(database, title, body)
    assert corpus[expected] in [post.id for post in found][:5]
    assert found[0].id == corpus[expected]
    assert all(post.similarity >= similar.SIMILARITY_FLOOR for post in found)
    assert [post.similarity for post in found] == sorted((post.similarity for post in found), reverse=True)


@pytest.mark.parametrize(
    ("title", "body"),
    [("推荐一家好吃的火锅店", "周末想和朋友去吃火锅"), ("How do I change my profile picture?", "")],
)
def test_an_unrelated_draft_finds_nothing_above_the_floor(database, corpus, title, body):
    assert _draft(database, title, body) == []


def test_the_words_of_a_short_draft_lift_a_post_that_uses_them(database, corpus):
    # "通知延迟" alone embeds a little below the floor next to "微信消息通知延迟"; both of its words are
    # in that post, and that lifts it above.
    with database.unit_of_work() as session:
        vector = similar.encode_texts(["通知延迟"])[0]
        plain = {n.post_id: n.similarity for n in index_for(session).search(vector, limit=10)}
    assert plain[corpus["notify"]] < similar.SIMILARITY_FLOOR
    found = _draft(database, "通知延迟")
    assert [post.id for post in found] == [corpus["notify"]]
    assert found[0].similarity == pytest.approx(plain[corpus["notify"]] + similar.LEXICAL_WEIGHT, abs=1e-3)


def test_a_draft_returns_what_a_suggestion_list_shows(database, corpus):
    [post] = _draft(database, "夜景拍照糊")
    assert (post.title, post.status, post.kind, post.board_slug) == (
        "相机夜景模式拍照模糊",
        "open",
        "bug",
        "camera",
    )
    assert (post.vote_count, post.reply_count) == (0, 0) and post.created_at is not None


def test_board_filter_limit_and_the_post_being_edited(database, corpus):
    title, body = "升级后掉电快", "晚上待机一夜掉了很多电"
    with database.unit_of_work() as session:
        camera = session.query(Board).filter_by(slug="camera").one().id
    assert _draft(database, title, body, board_id=camera) == []
    assert corpus["drain_zh"] not in [
        p.id for p in _draft(database, title, body, exclude_post_id=corpus["drain_zh"])
    ]
    assert len(_draft(database, "battery drains overnight after the update", limit=1)) == 1
    with pytest.raises(Invalid):
        _draft(database, title, limit=0)
    with pytest.raises(Invalid):
        _draft(database, title, limit=similar.MAX_LIMIT + 1)
    assert _draft(database, "   ", "  ") == []


def test_hidden_deleted_and_merged_posts_never_appear(database, settings, corpus, people):
    draft = ("升级后掉电快", "晚上待机一夜掉了很多电")
    with database.unit_of_work(write=True) as session:
        staff = session.get(Member, people["staff"].id)
        posts.moderate_post(session, actor=staff, post_id=corpus["drain_zh"], action="hide")
        posts.moderate_post(session, actor=staff, post_id=corpus["night_photo"], action="delete")
        posts.merge_posts(session, actor=staff, duplicate_id=corpus["bluetooth"], into_id=corpus["gallery"])
    hidden, deleted, merged = corpus["drain_zh"], corpus["night_photo"], corpus["bluetooth"]
    for title, body in (draft, ("夜景拍照糊", ""), ("Earbuds keep disconnecting", "")):
        assert not {hidden, deleted, merged} & {post.id for post in _draft(database, title, body)}
    with database.unit_of_work() as session:
        for post_id in corpus.values():
            shown = {p.id for p in similar.similar_posts(session, post_id=post_id, limit=20)}
            assert not {hidden, deleted, merged} & shown
    # Unhidden, the post is suggested again.
    with database.unit_of_work(write=True) as session:
        posts.moderate_post(
            session, actor=session.get(Member, people["staff"].id), post_id=hidden, action="unhide"
        )
    assert _draft(database, *draft)[0].id == hidden


def test_similar_posts_of_a_post_find_its_duplicate_even_before_it_is_encoded(
    database, settings, corpus, people
):
    [late] = write_posts(
        database, settings, people["fan"], ["drain_en"]
    ).values()  # a second report, no vector yet
    with database.unit_of_work() as session:
        assert session.get(Post, late) is not None
        found = similar.similar_posts(session, post_id=late)
        assert found[0].id == corpus["drain_en"] and late not in [p.id for p in found]
        with pytest.raises(NotFound):
            similar.similar_posts(session, post_id=999_999)


def test_answered_suggestions_only_show_posts_with_a_public_staff_reply(database, settings, corpus, people):
    [answered] = write_and_encode(database, settings, people["fan"], ["drain_en_again"]).values()
    with database.unit_of_work(write=True) as session:
        staff = session.get(Member, people["staff"].id)
        fan = session.get(Member, people["fan"].id)
        answer = "Please update to 2.4.2: it fixes the background location drain."
        posts.add_reply(session, author=staff, post_id=answered, body=answer, settings=settings)
        posts.add_reply(session, author=staff, post_id=answered, body="Confirmed fixed.", settings=settings)
        posts.add_reply(
            session,
            author=staff,
            post_id=corpus["drain_en"],
            body="Looking into it",
            settings=settings,
            internal=True,
        )
        posts.add_reply(session, author=fan, post_id=corpus["drain_en"], body="Same here!", settings=settings)
    [late] = write_and_encode(database, settings, people["fan"], ["drain_en"]).values()
    with database.unit_of_work() as session:
        suggestions = similar.answered_suggestions(session, post_id=late)
        duplicates = [p.id for p in similar.similar_posts(session, post_id=late)]
    assert corpus["drain_en"] in duplicates  # similar, but answered only by a fan and an internal note
    assert [s.post.id for s in suggestions] == [answered]
    [first, second] = suggestions[0].answers
    assert (first.author_handle, first.author_name, first.body) == ("zhang_min", "Zhang Min", answer)
    assert "2.4.2" in first.body_html and first.created_at is not None
    assert second.body == "Confirmed fixed."


def test_answered_suggestions_leave_out_hidden_staff_replies(database, settings, corpus, people):
    [answered] = write_and_encode(database, settings, people["fan"], ["drain_en_again"]).values()
    with database.unit_of_work(write=True) as session:
        staff = session.get(Member, people["staff"].id)
        reply = posts.add_reply(session, author=staff, post_id=answered, body="Update to 2.4.2", settings=settings)
    with database.unit_of_work() as session:
        assert [s.post.id for s in similar.answered_suggestions(session, post_id=corpus["drain_en"])] == [answered]
    with database.unit_of_work(write=True) as session:
        posts.moderate_reply(session, actor=session.get(Member, people["staff"].id), reply_id=reply.id, action="hide")
    with database.unit_of_work() as session:
        assert similar.answered_suggestions(session, post_id=corpus["drain_en"]) == []


def test_draft_look_ups_are_capped_per_member(clock):
    limiter = similar.DraftLimiter(per_minute=3)
    for _ in range(3):
        limiter.hit("7")
    limiter.hit("8")  # another member has a count of their own
    with pytest.raises(RateLimited) as refused:
        limiter.hit("7")
    assert 1 <= refused.value.retry_after <= 61
    clock.advance(seconds=61)
    limiter.hit("7")
