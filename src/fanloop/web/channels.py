"""Channel pages. Staff see `/staff/channels` (every channel, its mentions and imports) and a
channel's page; leads also add and configure channels, see and rotate the webhook secret, upload a
file of mentions and read its report, and decide identity claims. Members claim an identity they
wrote under on a channel at `/settings/identities`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts.models import POST_KINDS, Board, Post
from fanloop.core.errors import Invalid, NotAuthenticated
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep, finish_unit_of_work
from fanloop.growth.channels import identities, importer
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.connectors import connector_names
from fanloop.growth.channels.service import ChannelInput
from fanloop.growth.models import CHANNEL_KINDS, Channel, ChannelIdentity, IdentityClaim, Mention
from fanloop.web.deps import CsrfChecked, PageRoute, page_language, redirect
from fanloop.web.errors import N_, act, error_message
from fanloop.web.i18n import gettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
STAFF_CHANNELS = "/staff/channels"
CLAIMS = "/staff/identity-claims"
MY_IDENTITIES = "/settings/identities"
Short = Annotated[str, Form(max_length=200)]
MAX_PAGE_UPLOAD = 64 * 1024 * 1024
DOMAIN_MESSAGES = (
    N_("A channel's short name is 2-30 lower-case letters, digits and -, not 'forum'."),
    N_("Give the channel a name."),
    N_("Choose the board imported mentions go to."),
    N_("The live window is 1 hour to 365 days."),
    N_("That identity already belongs to an account."),
    N_("Name the channel account: its handle or id."),
    N_("Choose a file of mentions to import."),
)


_CHANNEL_KINDS = {"social": N_("Social network"), "app_store": N_("App store"), "email": N_("E-mail")}
_IMPORT_STATES = {"running": N_("Running"), "finished": N_("Finished"), "failed": N_("Failed")}
_CLAIM_STATES = {
    "pending": N_("Waiting for proof"),
    "verified": N_("Proven"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Withdrawn"),
}


def _label(labels: dict[str, str]):  # noqa: ANN202
    return lambda value: gettext(labels[value]) if value in labels else value


env.globals.update(
    channel_kind_label=_label(_CHANNEL_KINDS),
    import_state_label=_label(_IMPORT_STATES),
    claim_state_label=_label(_CLAIM_STATES),
)


def _channel_page(slug: str) -> str:
    return f"{STAFF_CHANNELS}/{slug}"


@router.get(STAFF_CHANNELS, response_class=HTMLResponse)
def channels_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Every channel with its mentions; leads add channels here."""
    found = channels.list_channels(session, viewer=viewer)
    context = {
        "channels": found,
        "counts": channels.mention_counts(session),
        "boards": list(session.scalars(select(Board).order_by(Board.position, Board.name))),
        "kinds": CHANNEL_KINDS,
        "post_kinds": POST_KINDS,
        "may_manage": can(viewer, Action.MANAGE_CHANNELS),
        "pending_claims": len(identities.pending_claims(session, viewer=viewer))
        if can(viewer, Action.MANAGE_CHANNELS)
        else 0,
    }
    return render(request, "growth/channels.html", context)


@router.post(STAFF_CHANNELS)
def add_channel(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    slug: Short = "",
    name: Short = "",
    kind: Short = "social",
    board: Short = "",
    post_kind: Short = "question",
) -> Response:
    require(viewer, Action.MANAGE_CHANNELS)
    data = ChannelInput(slug=slug, name=name, kind=kind, board=board or None, post_kind=post_kind)
    return act(
        request,
        session,
        STAFF_CHANNELS,
        lambda: channels.create_channel(session, actor=viewer, data=data),
        lambda channel: (
            _channel_page(channel.slug),
            gettext("The channel is ready. Send mentions to its webhook or import a file."),
        ),
    )


@router.get(STAFF_CHANNELS + "/{slug}", response_class=HTMLResponse)
def channel_page(request: Request, slug: str, session: SessionDep, viewer: CurrentMember):
    """A channel: its settings, webhook, imports and latest mentions."""
    channel = channels.get_channel(session, viewer=viewer, slug=slug)
    latest = session.execute(
        select(Post, Mention)
        .join(Mention, Mention.post_id == Post.id)
        .where(Mention.channel_id == channel.id)
        .order_by(Mention.posted_at.desc(), Post.id.desc())
        .limit(20)
    ).all()
    context = {
        "channel": channel,
        "mentions": channels.mention_counts(session).get(channel.id, 0),
        "latest": latest,
        "runs": channels.import_runs(session, viewer=viewer, channel=channel, limit=10),
        "boards": list(session.scalars(select(Board).order_by(Board.position, Board.name))),
        "kinds": CHANNEL_KINDS,
        "post_kinds": POST_KINDS,
        "connectors": connector_names(),
        "may_manage": can(viewer, Action.MANAGE_CHANNELS),
        "webhook_url": str(request.base_url).rstrip("/") + f"/api/v1/channels/{channel.slug}/webhook",
    }
    return render(request, "growth/channel.html", context)


@router.post(STAFF_CHANNELS + "/{slug}/settings")
def save_settings(
    request: Request,
    slug: str,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    name: Short = "",
    kind: Short = "",
    board: Short = "",
    post_kind: Short = "",
    live_window_hours: Short = "",
    connector: Short = "none",
    connector_target: Short = "",
    connector_secret: Short = "",
    is_active: Short = "",
) -> Response:
    """Settings from the form; the connector's target is a file path or a URL by its kind."""
    require(viewer, Action.MANAGE_CHANNELS)
    back = _channel_page(slug)

    def save() -> object:
        hours = live_window_hours.strip()
        if hours and not hours.isdigit():
            raise Invalid(N_("The live window is 1 hour to 365 days."), field="live_window_hours")
        config: dict = {}
        if connector == "file":
            config = {"path": connector_target.strip()}
        elif connector == "webhook":
            config = {"url": connector_target.strip()}
            if connector_secret.strip():
                config["secret"] = connector_secret.strip()
        data = ChannelInput(
            name=name or None,
            kind=kind or None,
            board=board or None,
            post_kind=post_kind or None,
            live_window_hours=int(hours) if hours else None,
            connector=connector,
            connector_config=config,
            is_active=is_active == "on",
        )
        return channels.update_channel(session, actor=viewer, slug=slug, data=data)

    return act(request, session, back, save, lambda _: (back, gettext("The channel's settings are saved.")))


@router.post(STAFF_CHANNELS + "/{slug}/secret")
def rotate_secret(
    request: Request, slug: str, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
):
    require(viewer, Action.MANAGE_CHANNELS)
    back = _channel_page(slug)
    return act(
        request,
        session,
        back,
        lambda: channels.rotate_secret(session, actor=viewer, slug=slug),
        lambda _: (
            back,
            gettext("A new webhook secret is set; calls signed with the old one are refused now."),
        ),
    )


@router.post(STAFF_CHANNELS + "/{slug}/imports")
def upload(
    request: Request,
    slug: str,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import an uploaded JSON Lines or CSV file, then show its report."""
    require(viewer, Action.MANAGE_CHANNELS)
    channels.channel_by_slug(session, slug)
    back = _channel_page(slug)
    if file is None or not file.filename:
        return redirect(request, back, flash=gettext("Choose a file of mentions to import."), kind="error")
    if (file.size or 0) > MAX_PAGE_UPLOAD:
        message = gettext("Files over 64 MB are imported with `fanloop import` on the server.")
        return redirect(request, back, flash=message, kind="error")
    finish_unit_of_work(session)  # the import commits batch by batch itself
    report = importer.import_stream(
        request.app.state.database, channel_slug=slug, stream=file.file, name=file.filename, actor=viewer
    )
    kind = "error" if report.rejected else "ok"
    message = gettext("%(imported)d imported, %(duplicates)d already there, %(rejected)d refused.") % {
        "imported": report.outcome.imported,
        "duplicates": report.outcome.duplicates,
        "rejected": report.rejected,
    }
    return redirect(request, f"{back}/imports/{report.run_id}", flash=message, kind=kind)


@router.get(STAFF_CHANNELS + "/{slug}/imports/{run_id}", response_class=HTMLResponse)
def import_report(request: Request, slug: str, run_id: int, session: SessionDep, viewer: CurrentMember):
    """What an import did, and every refused row with its line and reason."""
    channel = channels.get_channel(session, viewer=viewer, slug=slug)
    run = channels.get_import_run(session, viewer=viewer, run_id=run_id, channel=channel)
    return render(request, "growth/import_report.html", {"channel": channel, "run": run})


# --------------------------------------------------------------------------- identity claims


def _claim_rows(session, claims: list[IdentityClaim]) -> list[dict]:  # noqa: ANN001
    rows = []
    for claim in claims:
        identity = session.get(ChannelIdentity, claim.identity_id)
        rows.append(
            {
                "claim": claim,
                "identity": identity,
                "channel": session.get(Channel, identity.channel_id),
                "member": session.get(Member, claim.member_id),
            }
        )
    return rows


@router.get(CLAIMS, response_class=HTMLResponse)
def claims_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Claims waiting for a decision (leads)."""
    pending = identities.pending_claims(session, viewer=viewer)
    return render(request, "growth/claims.html", {"rows": _claim_rows(session, pending)})


@router.post(CLAIMS + "/{claim_id}/decision")
def decide(
    request: Request,
    claim_id: int,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    approve: Short = "",
) -> Response:
    require(viewer, Action.MANAGE_CHANNELS)
    yes = approve == "yes"
    message = (
        N_("Approved: the identity's history is in the member's account now.") if yes else N_("Rejected.")
    )
    return act(
        request,
        session,
        CLAIMS,
        lambda: identities.decide_claim(session, actor=viewer, claim_id=claim_id, approve=yes),
        lambda _: (CLAIMS, gettext(message)),
    )


@router.get(MY_IDENTITIES, response_class=HTMLResponse)
def my_identities(request: Request, session: SessionDep, viewer: CurrentMember):
    """The viewer's linked channel identities, their claims, and the form to claim one."""
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    context = {
        "linked": [
            (identity, session.get(Channel, identity.channel_id))
            for identity in identities.identities_of(session, member_id=viewer.id)
        ],
        "claims": _claim_rows(session, identities.claims_of(session, member=viewer)),
        "channels": list(
            session.scalars(select(Channel).where(Channel.is_active.is_(True)).order_by(Channel.name))
        ),
    }
    return render(request, "growth/identities.html", context)


@router.post(MY_IDENTITIES)
def claim(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    channel: Short = "",
    who: Short = "",
) -> Response:
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    return act(
        request,
        session,
        MY_IDENTITIES,
        lambda: identities.start_claim(session, member=viewer, channel_slug=channel, who=who),
        lambda claim: (
            MY_IDENTITIES,
            gettext("Post %(code)s from that account; the next import proves it is you.")
            % {"code": claim.code},
        ),
    )


@router.post(MY_IDENTITIES + "/{claim_id}/cancel")
def withdraw(request: Request, claim_id: int, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked):
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    return act(
        request,
        session,
        MY_IDENTITIES,
        lambda: identities.cancel_claim(session, member=viewer, claim_id=claim_id),
        lambda _: (MY_IDENTITIES, gettext("Your claim is withdrawn.")),
    )


__all__ = ["router", "error_message"]
