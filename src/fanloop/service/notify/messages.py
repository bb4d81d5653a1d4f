"""What a notification says, in the reader's language: worked out when shown, not when stored, so
the page and the e-mail follow the reader's current language."""

from __future__ import annotations

from fanloop.service.notify.models import Notification
from fanloop.web.i18n import gettext, ngettext

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
    if kind == "rota_uncovered":
        return gettext("Nobody on the rota is on shift: new posts are waiting unassigned")
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


def kind_label(kind: str) -> str:
    """What a kind of notification is called in the summary that filters the list."""
    labels = {
        "sla_escalation": gettext("Escalated"),
        "sla_breach": gettext("Missed targets"),
        "sla_warning": gettext("Warnings"),
        "sla_reassigned": gettext("Passed to you"),
        "rota_uncovered": gettext("Nobody on shift"),
        "staff_reply": gettext("Replies"),
        "status_changed": gettext("Status changes"),
        "release_shipped": gettext("Releases"),
        "award_won": gettext("Awards"),
        "beta_invitation": gettext("Beta invitations"),
    }
    return labels.get(kind, kind.replace("_", " ").capitalize())


def kind_count(kind: str, count: int) -> str:
    """`count` notifications of `kind`, said as a reader would: "3 escalations"."""
    if kind == "sla_escalation":
        text = ngettext("%(num)d escalation", "%(num)d escalations", count)
    elif kind == "sla_breach":
        text = ngettext("%(num)d missed target", "%(num)d missed targets", count)
    elif kind == "sla_warning":
        text = ngettext("%(num)d warning", "%(num)d warnings", count)
    elif kind == "sla_reassigned":
        text = ngettext("%(num)d hand-over", "%(num)d hand-overs", count)
    elif kind == "staff_reply":
        text = ngettext("%(num)d team reply", "%(num)d team replies", count)
    elif kind == "status_changed":
        text = ngettext("%(num)d status change", "%(num)d status changes", count)
    else:
        text = ngettext("%(num)d notification", "%(num)d notifications", count)
    return text % {"num": count}


def group_count(kind: str, count: int, post_id: int | None) -> str:
    """How much a group holds: "3 escalations on post #12"."""
    if post_id is None:
        return kind_count(kind, count)
    return gettext("%(what)s on post #%(id)d") % {"what": kind_count(kind, count), "id": post_id}
