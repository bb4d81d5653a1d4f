"""API shapes for the inbox, a post's service state, and canned responses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fanloop.community.members.schemas import MemberBrief
from fanloop.service.desk.inbox import Inbox, InboxItem
from fanloop.service.desk.macros import MAX_BODY, MAX_ID
from fanloop.service.desk.models import Macro
from fanloop.service.desk.overview import PostService


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockRead(BaseModel):
    kind: Literal["first_reply", "next_reply", "resolution"]
    state: Literal["running", "paused", "stopped", "cancelled"]
    due_at: datetime
    seconds_left: float
    breached: bool
    target_seconds: int
    elapsed_seconds: float | None = Field(description="Working time so far, or until it stopped")
    stopped_by: str | None = Field(description="Handle of the staff member whose reply stopped it")


class AssignmentRead(BaseModel):
    assignee: MemberBrief | None
    assigned_by: str | None
    reason: str = Field(description="auto, claim, manual or breach_reassign")
    created_at: datetime


class TicketRead(BaseModel):
    state: Literal["open", "waiting_on_fan", "answered", "resolved"]
    priority: Literal["low", "normal", "high", "urgent"]
    assignee: MemberBrief | None
    assigned_at: datetime | None


class FirstAnswerRead(BaseModel):
    by: MemberBrief
    at: datetime
    elapsed_seconds: float | None = Field(description="Working time from the post to the first staff reply")


class PostServiceRead(BaseModel):
    """Who answered the post and how fast, for everyone; its ticket, clocks and history for staff."""

    post_id: int
    first_answer: FirstAnswerRead | None
    ticket: TicketRead | None = None
    clocks: list[ClockRead] = Field(default_factory=list)
    assignments: list[AssignmentRead] = Field(default_factory=list)

    @classmethod
    def of(cls, summary: PostService) -> PostServiceRead:
        first = summary.first_answer
        ticket = summary.ticket
        return cls(
            post_id=summary.post.id,
            first_answer=FirstAnswerRead(
                by=MemberBrief.of(first.by), at=first.at, elapsed_seconds=first.elapsed_seconds
            )
            if first
            else None,
            ticket=TicketRead(
                state=ticket.state,
                priority=ticket.priority,
                assignee=MemberBrief.of(ticket.assignee) if ticket.assignee else None,
                assigned_at=ticket.assigned_at,
            )
            if ticket
            else None,
            clocks=[
                ClockRead(
                    kind=c.kind,
                    state=c.state,
                    due_at=c.due_at,
                    seconds_left=c.seconds_left,
                    breached=c.breached,
                    target_seconds=c.target_seconds,
                    elapsed_seconds=c.elapsed_seconds,
                    stopped_by=_handle(summary.person(c.stopped_by_id)),
                )
                for c in summary.clocks
            ],
            assignments=[
                AssignmentRead(
                    assignee=MemberBrief.of(a.assignee) if a.assignee else None,
                    assigned_by=_handle(summary.person(a.assigned_by_id)),
                    reason=a.reason,
                    created_at=a.created_at,
                )
                for a in summary.assignments
            ],
        )


def _handle(member) -> str | None:  # noqa: ANN001
    return member.handle if member else None


class InboxItemRead(BaseModel):
    post_id: int
    title: str
    url: str
    board: str
    kind: str
    language: str
    author: MemberBrief
    clock: Literal["first_reply", "next_reply"]
    due_at: datetime
    seconds_left: float
    breached: bool
    ticket_state: str
    priority: str
    assignee: MemberBrief | None

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemRead:
        post = item.post
        return cls(
            post_id=post.id,
            title=post.title,
            url=f"/posts/{post.id}",
            board=post.board.slug,
            kind=post.kind,
            language=post.language,
            author=MemberBrief.of(post.author),
            clock=item.clock_kind,
            due_at=item.due_at,
            seconds_left=item.seconds_left,
            breached=item.breached,
            ticket_state=item.ticket.state,
            priority=item.ticket.priority,
            assignee=MemberBrief.of(item.assignee) if item.assignee else None,
        )


class InboxCountsRead(BaseModel):
    mine: int = Field(description="Live posts assigned to you")
    unassigned: int = Field(description="Live posts nobody has")
    overdue: int = Field(description="Live posts past their due time, whoever has them")
    backlog: int = Field(description="Posts more than a day past due (older or imported)")
    live: int = Field(description="Every live post, whoever has it")
    total: int = Field(description="Every post waiting for a reply: live and backlog")
    breached: int = Field(description="Every post past its due time: overdue and backlog")


class InboxRead(BaseModel):
    now: datetime
    lane: Literal["mine", "unassigned", "overdue", "backlog", "live"]
    counts: InboxCountsRead
    items: list[InboxItemRead]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")

    @classmethod
    def of(cls, inbox: Inbox) -> InboxRead:
        c = inbox.counts
        return cls(
            now=inbox.now,
            lane=inbox.lane,
            counts=InboxCountsRead(
                mine=c.mine,
                unassigned=c.unassigned,
                overdue=c.overdue,
                backlog=c.backlog,
                live=c.live,
                total=c.total,
                breached=c.breached,
            ),
            items=[InboxItemRead.of(item) for item in inbox.items],
            next_cursor=inbox.next_cursor,
        )


class AssigneeUpdate(_Input):
    handle: str | None = Field(max_length=30, description="A staff member's handle; null unassigns")


class WaitingUpdate(_Input):
    waiting: bool = Field(description="True pauses the clocks until the fan writes again")


class PriorityUpdate(_Input):
    priority: Literal["low", "normal", "high", "urgent"]


class MacroCreate(_Input):
    name: str = Field(min_length=1, max_length=80)
    body: str = Field(
        min_length=1,
        max_length=MAX_BODY,
        description="Markdown; {fan_name}, {staff_name}, {post_title} and {post_url} are filled in",
    )


class MacroUpdate(MacroCreate):
    pass


class MacroRead(BaseModel):
    id: int
    name: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, macro: Macro) -> MacroRead:
        return cls(id=macro.id, name=macro.name, body=macro.body, created_at=macro.created_at)


class MacroRender(_Input):
    post_id: int = Field(gt=0, le=MAX_ID)


class MacroRendered(BaseModel):
    body: str
