"""Channels: managing them (leads), their signed webhook, file imports and identity claims."""

from __future__ import annotations

import tempfile
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Request, status
from starlette.concurrency import run_in_threadpool

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.deps import RequiredMember, SessionDep, finish_unit_of_work
from fanloop.growth.channels import identities, importer
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.ingest import ingest
from fanloop.growth.channels.rows import Problem, RowError, mention_from
from fanloop.growth.channels.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelSecretRead,
    ChannelUpdate,
    ClaimCreate,
    ClaimDecision,
    ClaimRead,
    ImportRead,
    ProblemRead,
    WebhookResult,
)
from fanloop.growth.channels.service import ChannelInput
from fanloop.growth.models import Channel, ChannelIdentity, IdentityClaim

router = APIRouter(tags=["channels"])
Slug = Annotated[str, Path(max_length=30)]
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024
MAX_WEBHOOK_MENTIONS = 1000
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def _read(session, channel) -> ChannelRead:  # noqa: ANN001
    return ChannelRead.of(channel, mentions=channels.mention_counts(session).get(channel.id, 0))


@router.get("/channels", response_model=list[ChannelRead])
def list_channels(session: SessionDep, viewer: RequiredMember):
    """Every channel, with its mentions so far (staff)."""
    counts = channels.mention_counts(session)
    return [
        ChannelRead.of(c, mentions=counts.get(c.id, 0))
        for c in channels.list_channels(session, viewer=viewer)
    ]


@router.post("/channels", response_model=ChannelSecretRead, status_code=status.HTTP_201_CREATED)
def create_channel(body: ChannelCreate, session: SessionDep, actor: RequiredMember):
    """Add a channel (leads). The response shows its webhook secret."""
    channel = channels.create_channel(session, actor=actor, data=ChannelInput(**body.model_dump()))
    return ChannelSecretRead.with_secret(channel, mentions=0)


@router.get("/channels/{slug}", response_model=ChannelRead)
def get_channel(slug: Slug, session: SessionDep, viewer: RequiredMember):
    return _read(session, channels.get_channel(session, viewer=viewer, slug=slug))


@router.patch("/channels/{slug}", response_model=ChannelRead)
def update_channel(slug: Slug, body: ChannelUpdate, session: SessionDep, actor: RequiredMember):
    """Change a channel's settings (leads); only the fields sent change."""
    data = ChannelInput(**body.model_dump(exclude_unset=True))
    return _read(session, channels.update_channel(session, actor=actor, slug=slug, data=data))


@router.post("/channels/{slug}/secret", response_model=ChannelSecretRead)
def rotate_secret(slug: Slug, session: SessionDep, actor: RequiredMember):
    """A new webhook secret (leads); the old one stops working at once."""
    channel = channels.rotate_secret(session, actor=actor, slug=slug)
    return ChannelSecretRead.with_secret(
        channel, mentions=channels.mention_counts(session).get(channel.id, 0)
    )


@router.post("/channels/{slug}/webhook", response_model=WebhookResult)
async def receive_webhook(
    slug: Slug,
    request: Request,
    session: SessionDep,
    signature: Annotated[str | None, Header(alias="X-Fanloop-Signature")] = None,
):
    """Mentions pushed by the channel: one mention object, a list of them, or {"mentions": [...]}
    (up to 1,000), signed with the channel's secret (see docs/channels.md). Mentions seen before
    are skipped; each refused one is reported with its position and reason, the others go in."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise Invalid(f"Send at most {MAX_WEBHOOK_BYTES // (1024 * 1024)} MB per call.")
    return await run_in_threadpool(_ingest_webhook, session, slug, signature, body)


def _ingest_webhook(session, slug: str, signature: str | None, body: bytes) -> WebhookResult:  # noqa: ANN001
    channel = channels.channel_by_slug(session, slug)
    channels.verify_signature(channel, header=signature, body=body)
    if not channel.is_active:
        raise Invalid(f"The channel {channel.name} is paused; nothing was imported.")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Invalid(f"The body is not JSON ({error}).") from None
    rows = payload.get("mentions") if isinstance(payload, dict) and "mentions" in payload else payload
    rows = rows if isinstance(rows, list) else [rows]
    if len(rows) > MAX_WEBHOOK_MENTIONS:
        raise Invalid(f"Send at most {MAX_WEBHOOK_MENTIONS} mentions per call.")
    now = clock.now()
    good, problems = [], []
    for position, row in enumerate(rows, start=1):
        try:
            good.append(mention_from(row, position, now))
        except RowError as error:
            problems.append(Problem(position, str(error)))
    outcome = ingest(session, channel=channel, mentions=good)
    return WebhookResult(
        imported=outcome.imported,
        duplicates=outcome.duplicates,
        rejected=len(problems),
        post_ids=outcome.post_ids,
        problems=[ProblemRead(line=p.line, reason=p.reason) for p in problems],
    )


@router.post("/channels/{slug}/imports", response_model=ImportRead, status_code=status.HTTP_201_CREATED)
async def upload_import(slug: Slug, request: Request, session: SessionDep, actor: RequiredMember):
    """Import a file sent as the request body (leads): JSON Lines (`Content-Type:
    application/x-ndjson`) or CSV (`text/csv`). Answers with the report when it is done."""
    require(actor, Action.MANAGE_CHANNELS)
    channels.channel_by_slug(session, slug)
    await run_in_threadpool(finish_unit_of_work, session)  # the import commits batch by batch itself
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    file_format = "csv" if kind in ("text/csv", "application/csv") else "jsonl"
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise Invalid("Files over 512 MB are imported with `fanloop import` on the server.")
            spool.write(chunk)
        spool.seek(0)
        return await run_in_threadpool(_import, request.app.state.database, actor, slug, spool, file_format)


def _import(database, actor: Member, slug: str, stream, file_format: str) -> ImportRead:  # noqa: ANN001
    report = importer.import_stream(
        database,
        channel_slug=slug,
        stream=stream,
        name=f"upload.{file_format}",
        actor=actor,
        file_format=file_format,
    )
    with database.unit_of_work() as session:
        return ImportRead.of(channels.get_import_run(session, viewer=actor, run_id=report.run_id), slug)


@router.get("/channels/{slug}/imports", response_model=list[ImportRead])
def list_imports(slug: Slug, session: SessionDep, viewer: RequiredMember):
    """The channel's latest imports and their reports (staff)."""
    channel = channels.get_channel(session, viewer=viewer, slug=slug)
    return [ImportRead.of(run, slug) for run in channels.import_runs(session, viewer=viewer, channel=channel)]


def _claim_read(session, claim: IdentityClaim, viewer: Member) -> ClaimRead:  # noqa: ANN001
    identity = session.get(ChannelIdentity, claim.identity_id)
    channel = identity and session.get(Channel, identity.channel_id)
    member = session.get(Member, claim.member_id)
    return ClaimRead.of(claim, identity, channel.slug, member.handle, show_code=claim.member_id == viewer.id)


@router.post("/identity-claims", response_model=ClaimRead, status_code=status.HTTP_201_CREATED)
def start_claim(body: ClaimCreate, session: SessionDep, member: RequiredMember):
    """Claim a channel identity imported before you had an account: post the code in the answer
    from that account (it is seen at the next import), or wait for a lead to approve."""
    claim = identities.start_claim(session, member=member, channel_slug=body.channel, who=body.who)
    return _claim_read(session, claim, member)


@router.get("/identity-claims", response_model=list[ClaimRead])
def list_claims(session: SessionDep, member: RequiredMember, pending: bool = False):
    """Your claims; with `pending=true`, every claim waiting for a decision (leads)."""
    found = (
        identities.pending_claims(session, viewer=member)
        if pending
        else identities.claims_of(session, member=member)
    )
    return [_claim_read(session, claim, member) for claim in found]


@router.post("/identity-claims/{claim_id}/decision", response_model=ClaimRead)
def decide_claim(
    claim_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: ClaimDecision,
    session: SessionDep,
    actor: RequiredMember,
):
    """Approve (the identity's history moves into the claimant's account) or reject (leads)."""
    claim = identities.decide_claim(session, actor=actor, claim_id=claim_id, approve=body.approve)
    return _claim_read(session, claim, actor)


@router.delete("/identity-claims/{claim_id}", response_model=ClaimRead)
def cancel_claim(
    claim_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, member: RequiredMember
):
    """Withdraw your pending claim."""
    return _claim_read(session, identities.cancel_claim(session, member=member, claim_id=claim_id), member)
