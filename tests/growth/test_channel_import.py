"""Importing mentions: every good row becomes a post with the forum's loop, bad rows are reported by
line and reason, and a second run of the same file adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channel_support import jsonl, make_channel, mention, run_import
from sqlalchemy import func, select

from fanloop.community.levels.models import XpEvent
from fanloop.community.members.models import Member
from fanloop.community.posts.imported import index_backlog
from fanloop.community.posts.models import Follow, Post, PostTerm, SearchBacklog
from fanloop.core import security
from fanloop.growth.channels import importer
from fanloop.growth.models import ChannelIdentity, ImportRun, MemberOrigin, Mention
from fanloop.service.desk.models import Ticket
from fanloop.service.sla.models import SlaClock


@pytest.fixture
def channel(database, seed, clock):
    seed.board("social", "Social")
    lead = seed.member("lead", "lead")
    make_channel(database, lead)
    return "weibo"


def count(session, model, *where) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_good_rows_become_posts_with_the_forums_loop(database, channel, clock):
    at = clock.now() - timedelta(minutes=5)
    report = run_import(database, jsonl(mention(1, at), mention(2, at, author="u2", kind="bug")))

    assert (report.outcome.imported, report.rejected, report.outcome.new_members) == (2, 0, 2)
    with database.unit_of_work() as session:
        posts = list(session.scalars(select(Post).order_by(Post.id)))
        assert [p.channel for p in posts] == ["weibo", "weibo"]
        assert [p.kind for p in posts] == ["question", "bug"]  # the channel's kind unless the row says
        assert posts[0].created_at == at  # the original time, not the import's
        assert posts[0].body_html == "<p>Mention number 1: the battery drains overnight</p>"
        mention_row = session.get(Mention, posts[0].id)
        assert (mention_row.external_id, mention_row.reposts, mention_row.likes) == ("m1", 3, 7)
        assert mention_row.url == "https://social.example/s/1"
        # The author is a member linked to their channel identity, who cannot log in yet.
        author = posts[0].author
        identity = session.scalar(select(ChannelIdentity).where(ChannelIdentity.member_id == author.id))
        assert (identity.external_id, identity.handle) == ("u1", "handle_u1")
        assert author.handle == "weibo_handle_u1" and author.display_name == "Name u1"
        assert not security.verify_password(author.password_hash, "")
        assert session.get(MemberOrigin, author.id).source == "channel"
        # A stand-in neither follows nor earns experience: the person who claims it will.
        assert count(session, Follow, Follow.member_id == author.id) == 0
        assert count(session, XpEvent, XpEvent.member_id == author.id) == 0
        assert author.xp == 0 and posts[0].follower_count == 0
        # A ticket, and a first-reply clock from the mention's own time: due 15 minutes after it.
        assert session.get(Ticket, posts[0].id).state == "open"
        first = session.scalar(
            select(SlaClock).where(SlaClock.post_id == posts[0].id, SlaClock.kind == "first_reply")
        )
        assert first.state == "running"
        assert first.started_at == at and first.due_at == at + timedelta(minutes=15)


def test_a_second_run_of_the_same_file_adds_nothing(database, channel, clock):
    data = jsonl(*(mention(i, clock.now() - timedelta(hours=i)) for i in range(1, 6)))
    first = run_import(database, data)
    again = run_import(database, data)

    assert first.outcome.imported == 5
    assert (again.outcome.imported, again.outcome.duplicates, again.outcome.new_members) == (0, 5, 0)
    with database.unit_of_work() as session:
        assert count(session, Post) == 5
        assert count(session, Member, Member.handle.like("weibo_%")) == 1


def test_a_repeated_id_inside_one_file_goes_in_once(database, channel, clock):
    at = clock.now()
    report = run_import(database, jsonl(mention(1, at), mention(1, at, text="the same id again")))
    assert (report.outcome.imported, report.outcome.duplicates) == (1, 1)


def test_bad_rows_are_reported_by_line_and_every_other_row_goes_in(database, channel, clock):
    at = clock.now() - timedelta(minutes=1)
    data = jsonl(
        mention(1, at),
        '{"id": "m2", "text": ',  # line 2: cut off
        mention(3, at, text=""),  # line 3
        mention(4, at, created_at="last tuesday"),  # line 4
        mention(5, at, reposts=-2),  # line 5
        mention(6, at, kind="rant"),  # line 6
        mention(7, at, created_at=(clock.now() + timedelta(days=2)).isoformat()),  # line 7
        "",  # a blank line is not a row
        mention(9, at),
    )
    report = run_import(database, data)

    assert report.outcome.imported == 2
    assert report.rejected == 6
    assert [(p.line, p.reason.split(" ")[0]) for p in report.problems] == [
        (2, "not"),
        (3, "missing"),
        (4, "created_at"),
        (5, "reposts"),
        (6, "kind"),
        (7, "created_at"),
    ]
    assert (
        report.problems[4].reason == "kind 'rant' is not one of bug, suggestion, complaint, question, praise"
    )
    assert report.problems[5].reason == "created_at is in the future"
    with database.unit_of_work() as session:
        run = session.get(ImportRun, report.run_id)
        assert (run.state, run.imported, run.rejected, run.rows_read) == ("finished", 2, 6, 8)
        assert run.problems[0] == {"line": 2, "reason": report.problems[0].reason}


def test_csv_with_a_header_row(database, channel, clock):
    data = (
        "id,author_id,author_handle,author_name,text,created_at,reposts,likes\n"
        'c1,a1,wang_hao,王浩,"升级以后电池掉电太快了,\n晚上待机掉了30%",2026-03-10T12:00:00+08:00,5,9\n'
        "c2,a1,wang_hao,王浩,,2026-03-10T12:00:00+08:00,0,0\n"
        "c3,a2,,,Love the new gestures,1773140000,1,2\n"
    ).encode()
    report = run_import(database, data, name="export.csv")

    assert report.outcome.imported == 2
    assert [(p.line, p.reason) for p in report.problems] == [(4, "missing text")]
    with database.unit_of_work() as session:
        post = session.scalar(
            select(Post).join(Mention, Mention.post_id == Post.id).where(Mention.external_id == "c1")
        )
        assert post.body == "升级以后电池掉电太快了,\n晚上待机掉了30%"
        assert post.language == "zh_CN"
        assert post.created_at.isoformat() == "2026-03-10T04:00:00+00:00"
        assert post.author.display_name == "王浩"


def test_a_file_that_is_not_utf8_is_refused_row_by_row(database, channel, clock):
    good = jsonl(mention(1, clock.now()))
    report = run_import(database, good + b'{"id": "m2", "text": "\xff\xfe"}\n')
    assert report.outcome.imported == 1
    assert report.problems[0].line == 2 and report.problems[0].reason.startswith("not JSON")


def test_old_mentions_are_history_and_recent_ones_are_live(database, channel, clock):
    """A mention older than the channel's live window is history: a post for mining, search and
    credits, but no ticket, so a backfill does not flood the desk with breaches no one could have
    prevented. A recent one opens a ticket whose clocks run from its own time."""
    old, recent = clock.now() - timedelta(days=5), clock.now() - timedelta(minutes=20)
    run_import(database, jsonl(mention("old", old), mention("new", recent)))

    with database.unit_of_work() as session:
        states = dict(
            session.execute(
                select(Mention.external_id, SlaClock.state).join(
                    SlaClock, SlaClock.post_id == Mention.post_id, isouter=True
                )
            ).all()
        )
        assert states == {"mold": None, "mnew": "running"}
        assert count(session, Ticket) == 1 and count(session, Mention) == 2
        late = session.scalar(select(SlaClock).where(SlaClock.state == "running"))
        assert late.next_event_at == late.warn_at  # the sweep fires its warning, then its breach


def test_imported_posts_are_searchable_once_the_worker_indexed_them(database, channel, clock):
    run_import(database, jsonl(mention(1, clock.now(), text="Screen flickers at low brightness")))
    with database.unit_of_work() as session:
        assert count(session, SearchBacklog) == 1
        assert count(session, PostTerm) == 0
        assert index_backlog(session) == 1
    with database.unit_of_work() as session:
        assert count(session, SearchBacklog) == 0
        assert count(session, PostTerm, PostTerm.term == "flickers") == 1


def test_an_unknown_channel_is_a_clear_error(database, channel):
    from fanloop.core.errors import NotFound

    with pytest.raises(NotFound, match="There is no channel 'twitter'"):
        run_import(database, b"", channel="twitter")


def test_the_progress_callback_sees_every_byte(database, channel, clock):
    data = jsonl(*(mention(i, clock.now()) for i in range(30)))
    seen = []
    run_import(database, data, batch_size=7, progress=seen.append)
    assert seen[-1] == len(data)
    assert seen == sorted(seen) and len(seen) >= 5


def test_imported_posts_get_vectors_and_are_credited_when_they_ship(database, channel, seed, clock):
    """The rest of the loop: the worker gives imported posts their text vectors (so they are mined
    into pain points), and a release that ships one credits its channel author and tells them."""
    from fanloop.community.posts.models import Post
    from fanloop.insights.vectors.models import PostVector
    from fanloop.insights.vectors.service import encode_pending
    from fanloop.releases import flows
    from fanloop.releases import service as releases
    from fanloop.releases.models import ReleaseCredit

    run_import(database, jsonl(mention(1, clock.now(), text="Battery drains overnight since 5.2")))
    assert encode_pending(database) == 1
    staff = seed.member("staff", "staff_wu")
    with database.unit_of_work() as session:
        post = session.scalar(select(Post))
        assert session.scalar(select(PostVector.post_id).where(PostVector.post_id == post.id)) == post.id
        actor = session.get(Member, staff.id)
        release = releases.create_release(session, actor=actor, version="5.3")
        releases.add_item(session, actor=actor, release_id=release.id, post_id=post.id)
        flows.publish(session, release_id=release.id, actor=actor)
    with database.unit_of_work() as session:
        credit = session.scalar(select(ReleaseCredit))
        assert credit.member_id == post.author_id and credit.role == "reporter"
        assert session.get(Post, post.id).status == "shipped"


def test_a_large_file_is_read_in_a_second_process_with_the_same_result(
    database, channel, clock, tmp_path, monkeypatch
):
    """Past PARALLEL_MIN_BYTES a JSON Lines file is read and checked in another process: the rows,
    line numbers and reasons are those of the reading in a thread, across chunk boundaries."""
    now = clock.now()
    lines = [mention(i, now - timedelta(minutes=i)) for i in range(1, 9)]
    lines[2] = '{"id": "cut off'
    lines[5] = {"id": "m6", "author_id": "u1", "created_at": now.isoformat()}  # no text
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(*lines) + jsonl(mention(2, now)))  # a BOM, and m2 again
    used = []
    real = importer.read_in_process
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(importer, "read_in_process", lambda *a: used.append(1) or real(*a))

    with path.open("rb") as stream:
        report = importer.import_stream(
            database, channel_slug="weibo", stream=stream, name=path.name, batch_size=3
        )

    assert used == [1]
    assert (report.rows_read, report.rejected, report.outcome.imported, report.outcome.duplicates) == (
        9,
        2,
        6,
        1,
    )
    assert [(p.line, p.reason.split(" (")[0]) for p in report.problems] == [
        (3, "not JSON"),
        (6, "missing text"),
    ]
    with database.unit_of_work() as session:
        stored = session.scalars(select(Mention.external_id).order_by(Mention.external_id)).all()
        assert stored == ["m1", "m2", "m4", "m5", "m7", "m8"]
        post = session.scalar(select(Post).join(Mention).where(Mention.external_id == "m1"))
        assert (
            post.language == "en"
            and post.body_html == "<p>Mention number 1: the battery drains overnight</p>"
        )
