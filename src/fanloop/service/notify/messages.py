"""What a notification says, in the reader's language: worked out when shown, not when stored, so
the page and the e-mail follow the reader's current language."""

from __future__ import annotations

from fanloop.service.notify.models import Notification
from fanloop.web.i18n import gettext

STATUS_LABELS = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "declined": "Declined",
    "duplicate": "Duplicate",
}


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def headline(notification: Notification) -> str:
    """One line saying what happened."""
    kind, post_id = notification.kind, notification.post_id
    if kind == "staff_reply":
        return gettext("The team replied to “%(title)s”") % {"title": notification.title}
    if kind == "status_changed":
        return gettext("“%(title)s” is now %(status)s") % {
            "title": notification.title,
            "status": status_label(notification.body),
        }
    if kind == "release_shipped":
        return gettext("What you asked for shipped in %(version)s") % {"version": notification.title}
    if kind == "award_won":
        return gettext("“%(summary)s” won the best update of %(version)s") % {
            "summary": notification.body,
            "version": notification.title,
        }
    if kind == "beta_invitation":
        return gettext("You are invited to the beta group")
    if kind == "sla_warning" and post_id:
        return gettext("Post #%(id)d is close to its reply target") % {"id": post_id}
    if kind == "sla_breach" and post_id:
        return gettext("Post #%(id)d missed its reply target") % {"id": post_id}
    if kind == "sla_escalation" and post_id:
        return gettext("Escalated: post #%(id)d missed its reply target") % {"id": post_id}
    if kind == "sla_reassigned" and post_id:
        return gettext("Post #%(id)d was passed to you after a missed target") % {"id": post_id}
    return notification.title


def detail(notification: Notification) -> str:
    """The text under the headline (a reply's opening words, the posts a release shipped, what the
    beta group is), if any."""
    if notification.kind == "beta_invitation":
        return gettext(
            "Beta testers read what the next release ships before it is published and tell the team how "
            "it works. Accept or decline on the beta group's page."
        )
    return notification.body if notification.kind in ("staff_reply", "release_shipped") else ""
