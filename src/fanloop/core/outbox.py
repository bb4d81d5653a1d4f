"""Outgoing mail. Until an SMTP server is configured, messages are written as files to a mail
folder (like a development mail catcher) so an operator can pass reset links on by hand."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from fanloop.core import clock

if TYPE_CHECKING:
    from fanloop.community.members.models import Member
    from fanloop.core.config import Settings


class FileOutbox:
    def __init__(self, settings: Settings) -> None:
        self.folder = Path(settings.data_dir) / "outbox"
        self.base_url = settings.base_url.rstrip("/")

    def send(self, *, to: str, subject: str, body: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps({"to": to, "subject": subject, "body": body}, ensure_ascii=False))
        return path

    def password_reset(self, *, member: Member, token: str) -> Path:
        link = f"{self.base_url}/reset?token={token}"
        return self.send(
            to=member.email,
            subject="Reset your fanloop password",
            body=f"Hello {member.display_name},\n\nSet a new password here (valid for 2 hours):\n{link}\n",
        )
