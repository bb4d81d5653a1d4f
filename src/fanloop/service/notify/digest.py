"""The daily digest: for members who chose it, one e-mail a day listing the day's escalations grouped
by post, instead of one e-mail per escalation.

A day is a UTC day; its digest goes out once the day has been over for GRACE (so a notification
written in its last second is in it). The job runs in the worker like the other mail:

1. In one transaction, claim each due digest by inserting its row: (member, topic, day) is unique,
   so however many workers run, and however often, one of them owns a day's digest. The row and
   the letter are composed from the day's escalations not yet e-mailed one by one (a member who
   switched to the digest during the day had the earlier ones mailed already). A day without any
   is recorded as "empty" and sends nothing.
2. Send the letters over SMTP, outside any transaction.
3. In a second transaction, mark the digests sent and their notifications e-mailed.

A worker that dies between 1 and 3 leaves its claim "sending" with a lease; when the lease runs out
another worker composes that digest again and sends it, as the per-notification mail does."""

from __future__ import annotations

import html
import logging
import smtplib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core import clock
from fanloop.core.config import Settings, get_settings
from fanloop.core.db import Database, insert_ignoring
from fanloop.core.outbox import compose, smtp_connection
from fanloop.service.notify.messages import kind_count
from fanloop.service.notify.models import Notification, NotificationDigest
from fanloop.service.notify.preferences import ESCALATIONS, TOPICS, digest_members
from fanloop.web.i18n import gettext, ngettext, use_language

log = logging.getLogger("fanloop.mail")

GRACE = timedelta(minutes=5)
LEASE = timedelta(minutes=5)
# A digest whose sending failed is retried for this many days; after that it is news nobody needs.
RETRY_DAYS = 2


@dataclass(frozen=True)
class DigestLetter:
    digest_id: int
    lease_until: datetime
    to: str
    subject: str
    text: str
    html: str
    notification_ids: tuple[int, ...]


def due_day(now: datetime) -> date:
    """The latest UTC day that has been over for at least GRACE."""
    return (now - GRACE).astimezone(UTC).date() - timedelta(days=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def send_daily_digests(database: Database, *, settings: Settings | None = None) -> int:
    """One pass: claim, send and record the digests that are due; returns how many were sent."""
    settings = settings or get_settings()
    if not settings.smtp_configured:
        return 0
    # Most passes find nothing due: a read says so without taking SQLite's write lock twice a second.
    with database.unit_of_work() as session:
        if not digests_due(session):
            return 0
    with database.unit_of_work(write=True) as session:
        letters = claim_digests(session, base_url=settings.base_url)
    if not letters:
        return 0
    sent = send_digests(settings, letters)
    if sent:
        with database.unit_of_work(write=True) as session:
            mark_sent(session, sent)
    return len(sent)


def claim_digests(session: Session, *, base_url: str, topic: str = ESCALATIONS) -> list[DigestLetter]:
    """Claim the due digests of `topic` (new ones, and ones whose sender's lease ran out) and compose
    their letters; returns the letters to send."""
    now = clock.now()
    day = due_day(now)
    letters = []
    for member in list(session.scalars(_without_digest(topic=topic, day=day))):
        # RETURNING, not rowcount: an INSERT's rowcount is not reported on every driver.
        claimed = session.scalar(
            insert_ignoring(session, NotificationDigest.__table__, conflict=["member_id", "topic", "day"])
            .values(
                member_id=member.id,
                topic=topic,
                day=day,
                status="sending",
                notifications=0,
                posts=0,
                created_at=now,
                lease_until=now + LEASE,
            )
            .returning(NotificationDigest.__table__.c.id)
        )
        if claimed is None:  # another worker claimed it first
            continue
        digest = session.get(NotificationDigest, claimed)
        letters += _compose(session, digest, member, base_url=base_url)
    for digest, member in _expired_claims(session, topic=topic, day=day):
        retaken = session.execute(
            update(NotificationDigest)
            .where(
                NotificationDigest.id == digest.id,
                NotificationDigest.status == "sending",
                NotificationDigest.lease_until == digest.lease_until,
            )
            .values(lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if retaken.rowcount == 1:
            session.refresh(digest)
            letters += _compose(session, digest, member, base_url=base_url)
    return letters


def digests_due(session: Session, *, topic: str = ESCALATIONS) -> bool:
    """Whether a digest of `topic` waits to be claimed: a new one, or one whose lease ran out."""
    day = due_day(clock.now())
    waiting = session.scalar(_without_digest(topic=topic, day=day).with_only_columns(Member.id).limit(1))
    return waiting is not None or bool(_expired_claims(session, topic=topic, day=day))


def _without_digest(*, topic: str, day: date):  # noqa: ANN202
    """Members who chose the digest, can receive mail, and have no digest row for the day yet."""
    done = select(NotificationDigest.member_id).where(
        NotificationDigest.topic == topic, NotificationDigest.day == day
    )
    return (
        select(Member)
        .where(
            Member.id.in_(digest_members(topic)),
            Member.id.not_in(done),
            Member.email != "",
            Member.is_suspended.is_(False),
        )
        .order_by(Member.id)
    )


def _expired_claims(session: Session, *, topic: str, day: date) -> list[tuple[NotificationDigest, Member]]:
    now = clock.now()
    query = (
        select(NotificationDigest, Member)
        .join(Member, Member.id == NotificationDigest.member_id)
        .where(
            NotificationDigest.topic == topic,
            NotificationDigest.status == "sending",
            NotificationDigest.lease_until <= now,
            NotificationDigest.day > day - timedelta(days=RETRY_DAYS),
        )
        .order_by(NotificationDigest.id)
    )
    return [(digest, member) for digest, member in session.execute(query).all()]


def _compose(
    session: Session, digest: NotificationDigest, member: Member, *, base_url: str
) -> list[DigestLetter]:
    """The letter for a claimed digest, or none (and the digest recorded as empty) for a quiet day."""
    start, end = day_bounds(digest.day)
    notifications = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.member_id == digest.member_id,
                Notification.kind.in_(TOPICS[digest.topic]),
                Notification.created_at >= start,
                Notification.created_at < end,
                Notification.emailed_at.is_(None),
            )
            .order_by(Notification.id)
        )
    )
    by_post: dict[int | None, list[Notification]] = defaultdict(list)
    for notification in notifications:
        by_post[notification.post_id].append(notification)
    digest.notifications, digest.posts = len(notifications), len(by_post)
    if not notifications:
        digest.status, digest.lease_until = "empty", None
        return []
    titles = dict(
        session.execute(
            select(Post.id, Post.title).where(Post.id.in_([p for p in by_post if p is not None]))
        ).all()
    )
    with use_language(member.language or "en"):
        subject, text, markup = _letter(member, digest, by_post, titles, base_url.rstrip("/"))
    return [
        DigestLetter(
            digest_id=digest.id,
            lease_until=digest.lease_until,
            to=member.email,
            subject=subject,
            text=text,
            html=markup,
            notification_ids=tuple(n.id for n in notifications),
        )
    ]


def _letter(
    member: Member,
    digest: NotificationDigest,
    by_post: dict[int | None, list[Notification]],
    titles: dict[int, str],
    base_url: str,
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest, in the current language: posts with the most
    escalations first, each with its counts by kind and a link."""
    day = digest.day.isoformat()
    subject = gettext("Escalations on %(day)s: %(summary)s") % {
        "day": day,
        "summary": ngettext("%(num)d on %(posts)d post", "%(num)d on %(posts)d posts", digest.posts)
        % {"num": digest.notifications, "posts": digest.posts},
    }
    greeting = gettext("Hello %(name)s,") % {"name": member.display_name}
    intro = gettext("These posts missed or nearly missed their reply targets on %(day)s (UTC):") % {
        "day": day
    }
    footer = gettext("Your notifications: %(url)s") % {"url": f"{base_url}/notifications"}
    change = gettext("You get these once a day because you chose a daily digest of escalations.")
    ordered = sorted(by_post.items(), key=lambda item: (-len(item[1]), item[0] or 0))
    text_lines, html_items = [greeting, "", intro, ""], []
    for post_id, items in ordered:
        counts = Counter(n.kind for n in items)
        what = ", ".join(kind_count(kind, counts[kind]) for kind in TOPICS[digest.topic] if counts[kind])
        heading = f"#{post_id} {titles.get(post_id, '')}".strip() if post_id else gettext("Other")
        url = f"{base_url}/posts/{post_id}" if post_id else f"{base_url}/notifications"
        text_lines += [heading, f"  {what}", f"  {url}", ""]
        html_items.append(
            f'<li><a href="{html.escape(url)}">{html.escape(heading)}</a><br>{html.escape(what)}</li>'
        )
    text_lines += ["--", change, footer]
    markup = (
        f"<p>{html.escape(greeting)}</p><p>{html.escape(intro)}</p><ul>{''.join(html_items)}</ul>"
        f'<hr><p><small>{html.escape(change)}<br><a href="{html.escape(base_url)}/notifications">'
        f"{html.escape(gettext('Your notifications'))}</a></small></p>"
    )
    return subject, "\n".join(text_lines) + "\n", markup


def send_digests(settings: Settings, letters: list[DigestLetter]) -> list[DigestLetter]:
    """Send over one SMTP connection, each with a plain-text and an HTML part; returns the letters
    the server accepted."""
    sent: list[DigestLetter] = []
    try:
        with smtp_connection(settings) as smtp:
            for letter in letters:
                message = compose(settings, to=letter.to, subject=letter.subject, body=letter.text)
                message.add_alternative(
                    f"<!doctype html><html><body>{letter.html}</body></html>", subtype="html"
                )
                try:
                    smtp.send_message(message)
                except (smtplib.SMTPRecipientsRefused, ValueError) as error:
                    log.warning("digest %s not mailed: %s", letter.digest_id, type(error).__name__)
                    continue
                sent.append(letter)
    except (OSError, smtplib.SMTPException) as error:
        # Unsent digests keep their claim and lease, so they are tried again when it runs out.
        log.warning("digest mail interrupted after %d of %d: %s", len(sent), len(letters), error)
    return sent


def mark_sent(session: Session, letters: list[DigestLetter]) -> None:
    """Record the sent digests (only those this pass still holds) and their notifications as e-mailed."""
    now = clock.now()
    for letter in letters:
        held = session.execute(
            update(NotificationDigest)
            .where(
                NotificationDigest.id == letter.digest_id,
                NotificationDigest.status == "sending",
                NotificationDigest.lease_until == letter.lease_until,
            )
            .values(status="sent", sent_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if held.rowcount != 1:
            continue
        session.execute(
            update(Notification)
            .where(Notification.id.in_(letter.notification_ids), Notification.emailed_at.is_(None))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        )
