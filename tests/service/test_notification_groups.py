"""Escalations a lead can handle: notifications grouped by kind and post, paged and filtered, marked
read a group at a time; and the daily digest of escalations, mailed once per member and day in the
member's language instead of one mail per escalation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from mail_support import Mailbox, running_smtp_server, settings_for
from sqlalchemy import func, select, update

from fanloop.community.members.models import Member
from fanloop.core.errors import Invalid
from fanloop.service.notify import groups, preferences
from fanloop.service.notify import service as notify
from fanloop.service.notify.digest import GRACE, send_daily_digests
from fanloop.service.notify.mail import mail_pending
from fanloop.service.notify.models import Notification, NotificationDigest
from fanloop.service.sla.scheduled import sweep
from notification_support import escalate, warn

POSTS = 5
PER_POST = 6  # 30 escalations in all


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings, smtp_server):
    return settings_for(settings, smtp_server[1])


def page_of(database, member: Member, **options) -> groups.GroupPage:
    filters = groups.GroupFilters(
        kind=options.pop("kind", None),
        unread_only=options.pop("unread_only", False),
        post_id=options.pop("post_id", None),
    )
    with database.unit_of_work() as session:
        return groups.list_groups(session, member_id=member.id, filters=filters, **options)


def choose_digest(database, member: Member, delivery: str = preferences.DAILY_DIGEST) -> None:
    with database.unit_of_work(write=True) as session:
        preferences.set_preference(
            session, member_id=member.id, topic=preferences.ESCALATIONS, delivery=delivery
        )


# --------------------------------------------------------------------------- grouping


def test_thirty_escalations_on_five_posts_are_five_groups_with_counts(desk, database, clock):
    lead = desk.seed.member("lead", "lead_a")
    post_ids = list(range(101, 101 + POSTS))
    escalate(database, lead, post_ids, times=PER_POST, clock=clock)

    page = page_of(database, lead)
    assert [(g.kind, g.post_id, g.count, g.unread) for g in page.items] == [
        ("sla_escalation", post_id, PER_POST, PER_POST) for post_id in reversed(post_ids)
    ]
    assert page.next_cursor is None
    newest = page.items[0]
    assert newest.key == f"sla_escalation:{post_ids[-1]}" and newest.latest.created_at == clock.now()
    assert newest.first_at == clock.now() - timedelta(minutes=(PER_POST - 1) * POSTS)
    with database.unit_of_work() as session:
        assert notify.unread_count(session, member_id=lead.id) == 30
        assert groups.unread_group_count(session, member_id=lead.id) == POSTS
        assert groups.unread_group_count(session, member_id=lead.id, cap=3) == 3


def test_notifications_about_no_post_are_groups_of_one(desk, database):
    fan = desk.seed.member("fan")
    with database.unit_of_work(write=True) as session:
        for release in (1, 2):
            notify.notify(
                session,
                member_id=fan.id,
                kind="release_shipped",
                title=f"2.{release}",
                dedupe_key=f"r:{release}",
            )
    page = page_of(database, fan)
    assert [(g.count, g.post_id) for g in page.items] == [(1, None), (1, None)]
    assert len({g.key for g in page.items}) == 2


def test_paging_returns_every_group_exactly_once(desk, database, clock):
    lead = desk.seed.member("lead", "lead_a")
    post_ids = list(range(201, 213))
    escalate(database, lead, post_ids, times=2, clock=clock)
    for post_id in post_ids[:4]:  # other kinds on some of the same posts
        warn(database, lead, post_id)

    seen, cursor, pages = [], None, 0
    while True:
        page = page_of(database, lead, cursor=cursor, limit=5)
        seen += [(g.kind, g.post_id) for g in page.items]
        pages += 1
        # Reading a page and marking its groups read does not move the next page's boundary.
        with database.unit_of_work(write=True) as session:
            groups.mark_groups_read(session, member_id=lead.id, keys=[g.key for g in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 4 and len(seen) == 16 == len(set(seen))
    assert set(seen) == {("sla_escalation", p) for p in post_ids} | {("sla_warning", p) for p in post_ids[:4]}


def test_filters_by_kind_unread_and_post_with_counts_by_kind(desk, database, clock):
    lead = desk.seed.member("lead", "lead_a")
    escalate(database, lead, [1, 2, 3], times=2, clock=clock)
    for post_id in (2, 4):
        warn(database, lead, post_id)
    assert [g.post_id for g in page_of(database, lead, kind="sla_warning").items] == [4, 2]
    assert {g.kind for g in page_of(database, lead, post_id=2).items} == {"sla_warning", "sla_escalation"}
    assert page_of(database, lead, kind="staff_reply").items == []
    with database.unit_of_work(write=True) as session:
        groups.mark_groups_read(session, member_id=lead.id, keys=["sla_escalation:1", "sla_warning:4"])
    unread = page_of(database, lead, unread_only=True).items
    assert [(g.kind, g.post_id) for g in unread] == [
        ("sla_warning", 2),
        ("sla_escalation", 3),
        ("sla_escalation", 2),
    ]
    with database.unit_of_work() as session:
        counts = groups.count_by_kind(session, member_id=lead.id)
        assert [(c.kind, c.count, c.unread) for c in counts] == [
            ("sla_escalation", 6, 4),
            ("sla_warning", 2, 1),
        ]
        unread_counts = groups.count_by_kind(session, member_id=lead.id, unread_only=True, post_id=4)
        assert unread_counts == []


def test_marking_a_group_read_marks_all_of_it_and_nothing_else(desk, database, clock):
    lead, other_lead = desk.seed.member("lead", "lead_a"), desk.seed.member("lead", "lead_b")
    escalate(database, lead, [7, 8], times=PER_POST, clock=clock)
    escalate(database, other_lead, [7], times=PER_POST, clock=clock)
    with database.unit_of_work(write=True) as session:
        assert groups.mark_groups_read(session, member_id=lead.id, keys=["sla_escalation:7"]) == PER_POST
    [eight, seven] = page_of(database, lead).items
    assert (seven.post_id, seven.count, seven.unread) == (7, PER_POST, 0)
    assert (eight.post_id, eight.unread) == (8, PER_POST)
    assert page_of(database, other_lead).items[0].unread == PER_POST  # another member's group is theirs
    with database.unit_of_work() as session:
        assert groups.unread_group_count(session, member_id=lead.id) == 1


@pytest.mark.parametrize(
    "key",
    ["", "sla_escalation", "sla_escalation:", "sla_escalation:0", "SLA:1", "x:n", "x:99999999999", "x:1:2"],
)
def test_a_key_that_names_no_group_is_refused(key):
    with pytest.raises(Invalid):
        groups.parse_group_key(key)


@pytest.mark.parametrize(
    "cursor", ["", "x", "WzEsMl0", "WyJncm91cHMiLDBd", "WyJncm91cHMiLHRydWVd", "WyJwb3N0cyIsMV0"]
)
def test_a_forged_cursor_is_refused(cursor):
    with pytest.raises(Invalid):
        groups.decode_cursor(cursor)


# --------------------------------------------------------------------------- the daily digest


def breach(desk, database, clock) -> int:
    """A real breach through the SLA sweep: the leads get an escalation, the assignee a warning and
    a breach. Returns the post's id."""
    post_id = desk.post(desk.seed.member("fan"), title="Battery drains overnight")
    clock.advance(minutes=16)
    with database.unit_of_work(write=True) as session:
        sweep(session)
    return post_id


def test_the_daily_option_mails_no_escalation_and_one_digest_for_the_day(
    desk, database, clock, smtp_server, mail_settings
):
    mailbox, _ = smtp_server
    assignee = desk.seed.member("staff", "assignee_a")
    lead = desk.seed.member("lead", "lead_a")
    choose_digest(database, lead)
    first, second = (desk.post(desk.seed.member("fan"), title="Battery drains overnight") for _ in "12")
    escalate(database, lead, [first], times=1, clock=clock)
    escalate(database, lead, [second], times=3, clock=clock)
    escalate(database, assignee, [first], times=1, clock=clock)  # chose nothing: mailed as it happens

    told = mail_pending(database, settings=mail_settings)  # (other news of the lead goes as it did)
    escalated = [m["To"] for m in mailbox.wait_for(told) if m["Subject"].startswith("Escalated")]
    assert escalated == [assignee.email]
    assert send_daily_digests(database, settings=mail_settings) == 0  # the day is not over yet

    clock.set(datetime(2026, 3, 11, 0, 0, tzinfo=UTC) + GRACE)
    assert send_daily_digests(database, settings=mail_settings) == 1
    assert send_daily_digests(database, settings=mail_settings) == 0  # a second run sends nothing
    [digest] = [m for m in mailbox.wait_for(told + 1) if m["Subject"].startswith("Escalations on")]
    assert digest["To"] == lead.email and len(mailbox.messages) == told + 1
    assert digest["Subject"] == "Escalations on 2026-03-10: 4 on 2 posts"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    # The post with the most escalations first, each with its counts and link.
    assert text.index(f"#{second} Battery drains overnight") < text.index(
        f"#{first} Battery drains overnight"
    )
    lines = [line.strip() for line in text.splitlines()]
    assert "3 escalations" in lines and "1 escalation" in lines
    assert f"https://fans.test/posts/{second}" in lines
    assert "Battery drains overnight" in digest.get_body(preferencelist=("html",)).get_content()

    assert mail_pending(database, settings=mail_settings) == 0  # and nothing one by one afterwards
    with database.unit_of_work() as session:
        row = session.scalar(select(NotificationDigest).where(NotificationDigest.day == date(2026, 3, 10)))
        assert (row.member_id, row.status, row.notifications, row.posts) == (lead.id, "sent", 4, 2)
        unmailed = select(func.count()).select_from(Notification).where(Notification.emailed_at.is_(None))
        assert session.scalar(unmailed) == 0


def test_escalations_from_a_real_breach_wait_for_the_digest(
    desk, database, clock, smtp_server, mail_settings
):
    mailbox, _ = smtp_server
    desk.staff("assignee_a")
    lead = desk.seed.member("lead", "lead_a")
    choose_digest(database, lead)
    post_id = breach(desk, database, clock)
    with database.unit_of_work() as session:
        kinds = session.scalars(select(Notification.kind).where(Notification.member_id == lead.id)).all()
    assert "sla_escalation" in kinds
    told = mail_pending(database, settings=mail_settings)  # the assignee's warning and breach
    assert not [m for m in mailbox.wait_for(told) if "Escalated" in m["Subject"]]
    clock.set(datetime(2026, 3, 11, 0, 0, tzinfo=UTC) + GRACE)
    assert send_daily_digests(database, settings=mail_settings) == 1
    digest = mailbox.wait_for(told + 1)[-1]
    assert digest["To"] == lead.email and f"/posts/{post_id}" in digest.get_body(("plain",)).get_content()


def test_leads_who_keep_immediately_get_each_escalation_mailed(
    desk, database, clock, smtp_server, mail_settings
):
    mailbox, _ = smtp_server
    lead, digest_lead = desk.seed.member("lead", "lead_a"), desk.seed.member("lead", "lead_b")
    choose_digest(database, digest_lead)
    choose_digest(database, lead, preferences.IMMEDIATELY)  # chosen back: as if never changed
    escalate(database, lead, [1, 2], times=1, clock=clock)
    escalate(database, digest_lead, [1, 2], times=1, clock=clock)
    assert mail_pending(database, settings=mail_settings) == 2
    assert [m["To"] for m in mailbox.wait_for(2)] == [lead.email, lead.email]


def test_the_digest_is_sent_once_even_by_two_workers_and_a_lost_one(
    desk, database, clock, smtp_server, mail_settings
):
    mailbox, _ = smtp_server
    lead = desk.seed.member("lead", "lead_a")
    choose_digest(database, lead)
    escalate(database, lead, [5], times=3, clock=clock)
    clock.set(datetime(2026, 3, 11, 6, 0, tzinfo=UTC))
    # A worker claims the digest and dies before sending it: its claim holds the day.
    from fanloop.service.notify.digest import claim_digests

    with database.unit_of_work(write=True) as session:
        assert len(claim_digests(session, base_url="https://fans.test")) == 1
    assert send_daily_digests(database, settings=mail_settings) == 0
    clock.advance(minutes=5)  # its lease runs out: another worker sends it, once
    assert send_daily_digests(database, settings=mail_settings) == 1
    assert send_daily_digests(database, settings=mail_settings) == 0
    assert len(mailbox.wait_for(1)) == 1
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(NotificationDigest)) == 1


def test_the_digest_is_in_the_members_language(desk, database, clock, smtp_server, mail_settings):
    mailbox, _ = smtp_server
    lead = desk.seed.member("lead", "lead_a")
    with database.unit_of_work() as session:
        session.execute(update(Member).where(Member.id == lead.id).values(language="zh_CN"))
    choose_digest(database, lead)
    escalate(database, lead, [12, 13], times=2, clock=clock)
    clock.set(datetime(2026, 3, 11, 0, 30, tzinfo=UTC))
    assert send_daily_digests(database, settings=mail_settings) == 1
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "2026-03-10 的升级：2 个帖子共 4 条"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "你好" in text and "2 条升级" in text and "https://fans.test/posts/12" in text


def test_a_quiet_day_sends_no_digest_and_is_not_looked_at_again(
    desk, database, clock, smtp_server, mail_settings
):
    lead = desk.seed.member("lead", "lead_a")
    choose_digest(database, lead)
    clock.set(datetime(2026, 3, 11, 0, 30, tzinfo=UTC))
    assert send_daily_digests(database, settings=mail_settings) == 0
    with database.unit_of_work() as session:
        assert session.scalar(select(NotificationDigest.status)) == "empty"
    escalate(database, lead, [3], times=1, clock=clock)  # the 11th's escalation waits for the 11th's digest
    assert send_daily_digests(database, settings=mail_settings) == 0
    clock.set(datetime(2026, 3, 12, 0, 30, tzinfo=UTC))
    assert send_daily_digests(database, settings=mail_settings) == 1


def test_the_preference_is_stored_and_checked(desk, database):
    lead = desk.seed.member("lead", "lead_a")
    with database.unit_of_work() as session:
        assert preferences.get_preferences(session, member_id=lead.id) == {"escalations": "immediately"}
    choose_digest(database, lead)
    choose_digest(database, lead)  # the same choice again changes nothing
    with database.unit_of_work() as session:
        assert preferences.get_preferences(session, member_id=lead.id) == {"escalations": "daily_digest"}
    with pytest.raises(Invalid), database.unit_of_work(write=True) as session:
        preferences.set_preference(session, member_id=lead.id, topic="escalations", delivery="weekly")
    with pytest.raises(Invalid), database.unit_of_work(write=True) as session:
        preferences.set_preference(session, member_id=lead.id, topic="everything", delivery="daily_digest")


def test_the_worker_runs_the_digest_job():
    from fanloop.jobs.worker import OwnTransactions, default_jobs

    job = dict(default_jobs())["notification_digest"]
    assert isinstance(job, OwnTransactions) and job.run is send_daily_digests
