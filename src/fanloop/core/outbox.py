"""Outgoing mail. With an SMTP server configured (FANLOOP_SMTP_HOST), mail goes through it; until then,
messages are written as files to a mail folder (like a development mail catcher) so an operator can
pass reset links on by hand. Either way a message caused by a database change leaves only after that
change commits: a rolled-back request sends nothing."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from fanloop.core import clock

if TYPE_CHECKING:
    from fanloop.community.members.models import Member
    from fanloop.core.config import Settings

log = logging.getLogger("fanloop.mail")
SMTP_TIMEOUT = 10.0
IMPLICIT_TLS_PORT = 465


def compose(settings: Settings, *, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the configured sender."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="fanloop")
    message.set_content(body)
    return message


@contextmanager
def smtp_connection(settings: Settings) -> Iterator[smtplib.SMTP]:
    """A logged-in SMTP connection: implicit TLS on port 465, else STARTTLS when enabled."""
    context = ssl.create_default_context()
    if settings.smtp_port == IMPLICIT_TLS_PORT:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    with smtp:
        if settings.smtp_starttls and settings.smtp_port != IMPLICIT_TLS_PORT:
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        yield smtp


def send_smtp(settings: Settings, *, to: str, subject: str, body: str) -> None:
    """Send one message through the configured SMTP server (raises on failure)."""
    with smtp_connection(settings) as smtp:
        smtp.send_message(compose(settings, to=to, subject=subject, body=body))


def after_commit(session: Session | None, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits, never if it rolls back first.
    Without a session in a transaction there is nothing to wait for: it runs now."""
    if session is None or not session.in_transaction():
        action()
        return
    state = {"rolled_back": False}

    def on_rollback(_session: Session) -> None:
        state["rolled_back"] = True

    def on_commit(_session: Session) -> None:
        if not state["rolled_back"]:
            action()

    event.listen(session, "after_rollback", on_rollback, once=True)
    event.listen(session, "after_commit", on_commit, once=True)


class FileOutbox:
    """The mail of a request: through SMTP when configured, else as files in `<data dir>/outbox`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(settings.data_dir) / "outbox"
        self.base_url = settings.base_url.rstrip("/")

    def send(self, *, to: str, subject: str, body: str, session: Session | None = None) -> None:
        """Send a message once `session` (if given) commits."""
        after_commit(session, lambda: self._deliver(to=to, subject=subject, body=body))

    def _deliver(self, *, to: str, subject: str, body: str) -> None:
        if not self.settings.smtp_configured:
            self.write_file(to=to, subject=subject, body=body)
            return
        # In a thread of its own: the request (and the SQLite writer queue) must not wait on SMTP.
        threading.Thread(
            target=self._send_logged, kwargs={"to": to, "subject": subject, "body": body}, daemon=True
        ).start()

    def _send_logged(self, *, to: str, subject: str, body: str) -> None:
        try:
            send_smtp(self.settings, to=to, subject=subject, body=body)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail %r not sent: %s", subject, type(error).__name__)

    def write_file(self, *, to: str, subject: str, body: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps({"to": to, "subject": subject, "body": body}, ensure_ascii=False))
        return path

    def password_reset(self, *, member: Member, token: str) -> None:
        """Mail a reset link, after the transaction that issued the token commits."""
        link = f"{self.base_url}/reset?token={token}"
        self.send(
            to=member.email,
            subject="Reset your fanloop password",
            body=f"Hello {member.display_name},\n\nSet a new password here (valid for 2 hours):\n{link}\n",
            session=object_session(member),
        )

    def invitation(self, *, member: Member, token: str, invited_by: Member, valid_hours: int) -> None:
        """Mail an invitation link (in the member's language), after the transaction commits."""
        link = f"{self.base_url}/reset?token={token}"
        if member.language == "zh_CN":
            subject = "你的 fanloop 账号已创建"
            body = (
                f"{member.display_name}，你好：\n\n{invited_by.display_name} 为你创建了 fanloop 账号"
                f"（@{member.handle}）。请在 {valid_hours} 小时内通过此链接设置密码：\n{link}\n"
            )
        else:
            subject = "Your fanloop account is ready"
            body = (
                f"Hello {member.display_name},\n\n{invited_by.display_name} created a fanloop account "
                f"for you (@{member.handle}). Choose your password here (valid for {valid_hours} hours):\n"
                f"{link}\n"
            )
        self.send(to=member.email, subject=subject, body=body, session=object_session(member))
