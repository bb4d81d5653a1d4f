"""API shapes for SLA policies and working calendars."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fanloop.service.sla.models import SlaCalendar, SlaPolicy
from fanloop.service.sla.policies import MAX_HOLIDAYS, MAX_ID, MAX_MINUTES, CalendarInput, PolicyInput


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyConditions(_Input):
    """Each list narrows the posts the policy applies to; an empty list means any."""

    channels: list[str] = Field(default_factory=list, max_length=50, examples=[["forum"]])
    boards: list[str] = Field(default_factory=list, max_length=50, examples=[["camera"]])
    kinds: list[str] = Field(default_factory=list, max_length=50, examples=[["bug"]])
    tags: list[str] = Field(default_factory=list, max_length=50)
    priorities: list[str] = Field(default_factory=list, max_length=50, examples=[["high", "urgent"]])
    min_level: int | None = Field(default=None, ge=1, le=100, description="Lowest fan level of the author")
    max_level: int | None = Field(default=None, ge=1, le=100)


class PolicyCreate(_Input):
    name: str = Field(min_length=1, max_length=80)
    first_reply_minutes: int = Field(default=15, ge=1, le=MAX_MINUTES)
    next_reply_minutes: int | None = Field(default=15, ge=1, le=MAX_MINUTES)
    resolution_minutes: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    warning_share: float = Field(
        default=0.8, ge=0.05, le=0.99, description="Warn at this share of the target"
    )
    calendar_id: int | None = Field(default=None, gt=0, le=MAX_ID, description="None: 24x7")
    conditions: PolicyConditions = Field(default_factory=PolicyConditions)

    def to_input(self) -> PolicyInput:
        return PolicyInput(
            name=self.name,
            first_reply_minutes=self.first_reply_minutes,
            next_reply_minutes=self.next_reply_minutes,
            resolution_minutes=self.resolution_minutes,
            warning_share=self.warning_share,
            calendar_id=self.calendar_id,
            conditions=self.conditions.model_dump(),
        )


class PolicyUpdate(PolicyCreate):
    pass


class PolicyOrder(_Input):
    policy_ids: list[int] = Field(max_length=1000, description="Every policy but the default, in order")


class PolicyRead(BaseModel):
    id: int
    name: str
    position: int
    is_default: bool
    conditions: dict
    first_reply_minutes: int
    next_reply_minutes: int | None
    resolution_minutes: int | None
    warning_share: float
    calendar_id: int | None
    calendar_name: str | None
    open_clocks: int = 0

    @classmethod
    def of(cls, policy: SlaPolicy, open_clocks: int = 0) -> PolicyRead:
        return cls(
            id=policy.id,
            name=policy.name,
            position=policy.position,
            is_default=policy.is_default,
            conditions=policy.conditions or {},
            first_reply_minutes=policy.first_reply_minutes,
            next_reply_minutes=policy.next_reply_minutes,
            resolution_minutes=policy.resolution_minutes,
            warning_share=policy.warning_share,
            calendar_id=policy.calendar_id,
            calendar_name=policy.calendar.name if policy.calendar else None,
            open_clocks=open_clocks,
        )


class CalendarCreate(_Input):
    name: str = Field(min_length=1, max_length=80)
    timezone: str = Field(default="UTC", max_length=64, examples=["Asia/Shanghai"])
    hours: dict[str, list[list[str]]] = Field(
        default_factory=dict,
        description="Working periods per weekday (mon..sun); none at all means 24x7",
        examples=[{"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}],
    )
    holidays: list[str] = Field(default_factory=list, max_length=MAX_HOLIDAYS, examples=[["2026-10-01"]])

    def to_input(self) -> CalendarInput:
        return CalendarInput(name=self.name, timezone=self.timezone, hours=self.hours, holidays=self.holidays)


class CalendarUpdate(CalendarCreate):
    pass


class CalendarRead(BaseModel):
    id: int
    name: str
    timezone: str
    hours: dict
    holidays: list[str]
    is_24x7: bool

    @classmethod
    def of(cls, calendar: SlaCalendar) -> CalendarRead:
        return cls(
            id=calendar.id,
            name=calendar.name,
            timezone=calendar.timezone,
            hours=calendar.hours or {},
            holidays=list(calendar.holidays or []),
            is_24x7=not calendar.hours,
        )
