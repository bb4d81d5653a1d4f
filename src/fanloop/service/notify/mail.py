"""Notification e-mail through SMTP, when it is configured.

Like the webhooks, one pass claims a batch with a lease in a short transaction, talks to the SMTP
server outside any transaction, then marks what was sent in a second one. Only recent notifications
are mailed, so switching SMTP on does not send a member months of old news. Escalations of members
who chose the daily digest wait for it (digest.py)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.config import Settings, get_settings
from fanloop.core.db import Database
from fanloop.core.outbox import compose, smtp_connection
from fanloop.service.notify.messages import detail, headline
from fanloop.service.notify.models import Notification
from fanloop.service.notify.preferences import mailed_one_by_one
from fanloop.web.i18n import gettext, use_language

log = logging.getLogger("fanloop.mail")

MAIL_BATCH = 50
LEASE = timedelta(minutes=5)
MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Letter:
    notification_id: int
    to: str
    subject: str
    body: str


def mail_pending(database: Database, *, settings: Settings | None = None) -> int:
    """One pass: mail the notifications not yet mailed; returns how many were sent."""
    settings = settings or get_settings()
    if not settings.smtp_configured:
        return 0
    with database.unit_of_work(write=True) as session:
        letters = claim_letters(session, base_url=settings.base_url)
    if not letters:
        return 0
    sent = send_letters(settings, letters)
    if sent:
        with database.unit_of_work(write=True) as session:
            mark_mailed(session, sent)
    return len(sent)


def claim_letters(session: Session, *, base_url: str, limit: int = MAIL_BATCH) -> list[Letter]:
    """Lease a batch of recent unmailed notifications of members who can receive mail."""
    now = clock.now()
    query = (
        select(Notification, Member)
        .join(Member, Member.id == Notification.member_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.created_at >= now - MAX_AGE,
            or_(Notification.email_lease_until.is_(None), Notification.email_lease_until <= now),
            Member.email != "",
            Member.is_suspended.is_(False),
            mailed_one_by_one(),  # not held for the member's daily digest
        )
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Notification)
    lease_until = now + LEASE
    letters = []
    for notification, member in session.execute(query).all():
        notification.email_lease_until = lease_until
        letters.append(_letter(notification, member, base_url.rstrip("/")))
    return letters


def _letter(notification: Notification, member: Member, base_url: str) -> Letter:
    with use_language(member.language or "en"):
        subject = " ".join(headline(notification).split())  # a header is one line
        lines = [gettext("Hello %(name)s,") % {"name": member.display_name}, "", subject]
        if detail(notification):
            lines += ["", detail(notification)]
        if notification.url:
            lines += ["", f"{base_url}{notification.url}"]
        lines += ["", "--", gettext("Your notifications: %(url)s") % {"url": f"{base_url}/notifications"}]
    return Letter(notification.id, member.email, subject, "\n".join(lines) + "\n")


def send_letters(settings: Settings, letters: list[Letter]) -> list[Letter]:
    """Send over one SMTP connection; returns the letters the server accepted."""
    sent: list[Letter] = []
    try:
        with smtp_connection(settings) as smtp:
            for letter in letters:
                try:
                    smtp.send_message(
                        compose(settings, to=letter.to, subject=letter.subject, body=letter.body)
                    )
                except (smtplib.SMTPRecipientsRefused, ValueError) as error:
                    # One bad address must not hold up the rest of the batch.
                    log.warning(
                        "notification %s not mailed: %s", letter.notification_id, type(error).__name__
                    )
                    continue
                sent.append(letter)
    except (OSError, smtplib.SMTPException) as error:
        # Unsent letters keep their lease, so they are tried again when it runs out.
        log.warning("notification mail interrupted after %d of %d: %s", len(sent), len(letters), error)
    return sent


def mark_mailed(session: Session, letters: list[Letter]) -> None:
    """Record the sent letters."""
    session.execute(
        update(Notification)
        .where(
            Notification.id.in_([letter.notification_id for letter in letters]),
            Notification.emailed_at.is_(None),
        )
        .values(emailed_at=clock.now(), email_lease_until=None)
    )
