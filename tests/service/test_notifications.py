"""In-app notifications for a post's author and followers, the outbox events for webhooks, and e-mail
through a real (local) SMTP server: sent after commit, once, in the reader's language."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from mail_support import Mailbox, free_port, running_smtp_server, settings_for
from sqlalchemy import func, select, update

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.outbox import FileOutbox, after_commit
from fanloop.service.notify import service as notify
from fanloop.service.notify.mail import MAX_AGE, mail_pending
from fanloop.service.notify.models import Notification, OutboxEvent


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings, smtp_server):
    return settings_for(settings, smtp_server[1])


def notifications_of(database, member: Member) -> list[Notification]:
    with database.unit_of_work() as session:
        return notify.list_notifications(session, member_id=member.id)


def topics(database) -> list[str]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def follow(database, member: Member, post_id: int) -> None:
    with database.unit_of_work(write=True) as session:
        posts.set_follow(session, member=session.get(Member, member.id), post_id=post_id, following=True)


def change_status(database, actor: Member, post_id: int, status: str) -> None:
    with database.unit_of_work(write=True) as session:
        posts.change_status(session, actor=session.get(Member, actor.id), post_id=post_id, status=status)


# --------------------------------------------------------------------------- in-app


def test_a_staff_reply_tells_the_author_and_followers_but_not_the_replier(desk, database):
    author, follower, bystander = desk.seed.member("fan"), desk.seed.member("fan"), desk.seed.member("fan")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author, title="Battery drains overnight")
    follow(database, follower, post_id)
    follow(database, staff, post_id)

    reply_id = desk.reply(staff, post_id, body="Could you send a log?")

    for member in (author, follower):
        [note] = notifications_of(database, member)
        assert (note.kind, note.title, note.body) == (
            "staff_reply",
            "Battery drains overnight",
            "Could you send a log?",
        )
        assert note.url == f"/posts/{post_id}#reply-{reply_id}" and note.read_at is None
    assert notifications_of(database, staff) == [] and notifications_of(database, bystander) == []


def test_fan_replies_and_internal_notes_tell_nobody(desk, database):
    author, other = desk.seed.member("fan"), desk.seed.member("fan")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author)
    desk.reply(other, post_id, body="Same here")
    desk.reply(staff, post_id, body="Looks like the 5.1.2 modem", internal=True)
    assert notifications_of(database, author) == []
    assert topics(database) == ["post.created", "reply.created"]  # the internal note stays inside


def test_each_status_change_is_told_once_and_not_to_who_made_it(desk, database):
    author = desk.seed.member("fan")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author)
    desk.reply(staff, post_id)  # the replier now follows the post

    change_status(database, staff, post_id, "planned")
    change_status(database, staff, post_id, "shipped")

    kinds = [(n.kind, n.body) for n in notifications_of(database, author)]
    assert kinds == [
        ("status_changed", "shipped"),
        ("status_changed", "planned"),
        ("staff_reply", "Please send a log."),
    ]
    assert notifications_of(database, staff) == []
    assert topics(database) == ["post.created", "reply.created", "post.status_changed", "post.status_changed"]


def test_notify_says_whether_the_notification_is_new(desk, database):
    author = desk.seed.member("fan")
    with database.unit_of_work(write=True) as session:
        told = [
            notify.notify(session, member_id=author.id, kind="x", title="t", dedupe_key="once") for _ in "12"
        ]
    assert told == [True, False]  # on PostgreSQL too, where an INSERT's rowcount is not reported


def test_the_same_cause_tells_each_member_once(desk, database):
    author = desk.seed.member("fan")
    with database.unit_of_work(write=True) as session:
        for _ in range(2):  # as if a subscriber ran twice for one event
            notify.notify_many(
                session, member_ids=[author.id, author.id], kind="x", title="t", dedupe_prefix="cause:1"
            )
    with database.unit_of_work() as session:
        count = session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "x"))
    assert count == 1


def test_unread_first_then_newest_and_marking_read(desk, database, clock):
    author = desk.seed.member("fan")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author)
    for status in ("planned", "in_progress", "shipped"):
        clock.advance(minutes=1)
        change_status(database, staff, post_id, status)
    oldest, middle, newest = reversed(notifications_of(database, author))
    with database.unit_of_work(write=True) as session:
        notify.mark_read(session, member_id=author.id, notification_ids=[newest.id])
    assert [n.id for n in notifications_of(database, author)] == [middle.id, oldest.id, newest.id]
    with database.unit_of_work() as session:
        assert notify.unread_count(session, member_id=author.id) == 2
        assert notify.unread_count(session, member_id=author.id, cap=1) == 1
    with database.unit_of_work(write=True) as session:
        notify.mark_read(session, member_id=author.id)
    with database.unit_of_work() as session:
        assert notify.unread_count(session, member_id=author.id) == 0


def test_a_rolled_back_reply_tells_nobody(desk, database, settings):
    author = desk.seed.member("fan")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author)
    with pytest.raises(RuntimeError), database.unit_of_work(write=True) as session:
        posts.add_reply(
            session, author=session.get(Member, staff.id), post_id=post_id, body="Hi", settings=settings
        )
        raise RuntimeError("failed later in the request")
    assert notifications_of(database, author) == []
    assert topics(database) == ["post.created"]


# --------------------------------------------------------------------------- e-mail


def test_notifications_are_mailed_once_through_smtp(desk, database, smtp_server, mail_settings):
    mailbox, _ = smtp_server
    author = desk.seed.member("fan", "li_wei")
    staff = desk.staff("zhang_min")
    post_id = desk.post(author, title="Battery drains overnight")
    desk.reply(staff, post_id, body="Could you send a log?")

    assert mail_pending(database, settings=mail_settings) == 1
    [message] = mailbox.wait_for(1)
    assert message["To"] == "li_wei@example.test"
    assert message["From"] == mail_settings.smtp_from
    assert message["Subject"] == "The team replied to “Battery drains overnight”"
    text = message.get_content()
    assert "Hello Li Wei," in text and "Could you send a log?" in text
    assert f"https://fans.test/posts/{post_id}#reply-" in text

    [note] = notifications_of(database, author)
    assert note.emailed_at is not None and note.email_lease_until is None
    assert mail_pending(database, settings=mail_settings) == 0
    assert len(mailbox.messages) == 1


def test_mail_is_in_the_members_language(desk, database, smtp_server, mail_settings):
    mailbox, _ = smtp_server
    author = desk.seed.member("fan")
    with database.unit_of_work() as session:
        session.execute(update(Member).where(Member.id == author.id).values(language="zh_CN"))
    staff = desk.staff("zhang_min")
    post_id = desk.post(author, title="待机掉电严重")
    change_status(database, staff, post_id, "planned")
    mail_pending(database, settings=mail_settings)
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "“待机掉电严重”的状态已变为：已计划"


def test_without_smtp_nothing_is_mailed_or_marked(desk, database, settings):
    author = desk.seed.member("fan")
    post_id = desk.post(author)
    change_status(database, desk.staff("zhang_min"), post_id, "planned")
    assert not settings.smtp_configured
    assert mail_pending(database, settings=settings) == 0
    assert notifications_of(database, author)[0].emailed_at is None


def test_an_unreachable_smtp_server_is_retried_after_the_lease(
    desk, database, mail_settings, smtp_server, clock
):
    mailbox, _ = smtp_server
    author = desk.seed.member("fan")
    post_id = desk.post(author)
    change_status(database, desk.staff("zhang_min"), post_id, "planned")
    down = mail_settings.model_copy(update={"smtp_port": free_port()})

    assert mail_pending(database, settings=down) == 0
    assert notifications_of(database, author)[0].emailed_at is None
    assert mail_pending(database, settings=mail_settings) == 0  # still leased to the failed pass
    clock.advance(minutes=5)
    assert mail_pending(database, settings=mail_settings) == 1
    assert len(mailbox.wait_for(1)) == 1


def test_old_notifications_are_not_mailed(desk, database, mail_settings, smtp_server, clock):
    author = desk.seed.member("fan")
    post_id = desk.post(author)
    change_status(database, desk.staff("zhang_min"), post_id, "planned")
    clock.advance(seconds=MAX_AGE.total_seconds() + 1)
    assert mail_pending(database, settings=mail_settings) == 0


def test_two_mail_workers_at_once_send_each_notification_once(desk, database, smtp_server, mail_settings):
    mailbox, _ = smtp_server
    staff = desk.staff("zhang_min")
    fans = [desk.seed.member("fan") for _ in range(12)]
    for fan in fans:
        change_status(database, staff, desk.post(fan), "planned")
    barrier, errors, sent = threading.Barrier(2), [], []

    def worker() -> None:
        try:
            barrier.wait()
            while (count := mail_pending(database, settings=mail_settings)) > 0:
                sent.append(count)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sum(sent) == 12
    assert sorted(m["To"] for m in mailbox.wait_for(12)) == sorted(f.email for f in fans)


# --------------------------------------------------------------------------- password-reset mail


def test_password_reset_mail_goes_through_smtp_after_commit(app, database, seed, smtp_server, mail_settings):
    from fastapi.testclient import TestClient

    mailbox, _ = smtp_server
    seed.member("fan", "li_wei")
    app.state.outbox = FileOutbox(mail_settings)
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/password-reset", json={"email": "li_wei@example.test"})
    assert response.status_code == 202
    [message] = mailbox.wait_for(1)
    assert message["To"] == "li_wei@example.test"
    assert "https://fans.test/reset?token=" in message.get_content()
    assert not (mail_settings.data_dir / "outbox").exists()


def test_mail_waits_for_the_commit_and_a_rollback_cancels_it(database):
    sent: list[str] = []
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        session.execute(select(1))
        after_commit(session, lambda: sent.append("rolled back"))
        raise RuntimeError
    with database.unit_of_work() as session:
        session.execute(select(1))
        after_commit(session, lambda: sent.append("committed"))
        assert sent == []
    assert sent == ["committed"]
