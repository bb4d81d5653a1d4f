"""API shapes for the rota: people, their shifts and skills, and how posts are handed out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fanloop.community.members.schemas import MemberBrief
from fanloop.service.rota.models import RotaSettings, RotaShift
from fanloop.service.rota.roster import (
    MAX_CAPACITY,
    MAX_SHIFTS,
    MAX_SKILLS,
    RosterRow,
    RotaUpdate,
    ShiftInput,
)

TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
END_TIME = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RotaShiftIO(_Input):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: str = Field(pattern=TIME, examples=["14:00"])
    end: str = Field(
        pattern=END_TIME,
        examples=["15:00"],
        description="Up to 24:00; an end at or before the start runs past midnight (22:00-06:00)",
    )
    timezone: str = Field(default="UTC", max_length=64, examples=["Asia/Shanghai"])

    @classmethod
    def of(cls, shift: RotaShift) -> RotaShiftIO:
        return cls(weekday=shift.weekday, start=shift.start, end=shift.end, timezone=shift.timezone)

    def to_input(self) -> ShiftInput:
        return ShiftInput(weekday=self.weekday, start=self.start, end=self.end, timezone=self.timezone)


class RotaShiftsUpdate(_Input):
    shifts: list[RotaShiftIO] = Field(max_length=MAX_SHIFTS)


class RotaMemberUpdate(_Input):
    """Only the fields sent are changed."""

    on_rota: bool | None = None
    availability: Literal["on_duty", "away"] | None = None
    capacity: int | None = Field(
        default=None, ge=0, le=MAX_CAPACITY, description="Live posts (a reply clock running) at most"
    )
    team: str | None = Field(default=None, max_length=40)
    boards: list[str] | None = Field(default=None, max_length=MAX_SKILLS)
    tags: list[str] | None = Field(default=None, max_length=MAX_SKILLS)
    languages: list[str] | None = Field(default=None, max_length=MAX_SKILLS, examples=[["zh_CN", "en"]])

    def to_input(self) -> RotaUpdate:
        return RotaUpdate(**self.model_dump())


class RotaMemberRead(BaseModel):
    member: MemberBrief
    on_rota: bool
    availability: str | None
    capacity: int | None
    team: str
    boards: list[str]
    tags: list[str]
    languages: list[str]
    shifts: list[RotaShiftIO]
    open_posts: int
    in_shift_now: bool
    answering_now: bool

    @classmethod
    def of(cls, row: RosterRow) -> RotaMemberRead:
        entry = row.entry
        return cls(
            member=MemberBrief.of(row.member),
            on_rota=bool(entry and entry.on_rota),
            availability=entry.availability if entry else None,
            capacity=entry.capacity if entry else None,
            team=entry.team if entry else "",
            boards=list(entry.boards or []) if entry else [],
            tags=list(entry.tags or []) if entry else [],
            languages=list(entry.languages or []) if entry else [],
            shifts=[RotaShiftIO.of(s) for s in row.shifts],
            open_posts=row.load,
            in_shift_now=row.in_shift_now,
            answering_now=row.answering_now,
        )


class RotaSettingsIO(_Input):
    strategy: Literal["round_robin", "least_loaded"]
    use_skills: bool
    auto_assign: bool
    overflow: Literal["least_loaded", "lead", "wait"] | None = Field(
        default=None,
        description="When everyone on shift is at capacity: the least-loaded person on shift takes the "
        "post anyway, a lead on duty does, or it waits until someone has room (not sent: unchanged)",
    )

    @classmethod
    def of(cls, settings: RotaSettings) -> RotaSettingsIO:
        return cls(
            strategy=settings.strategy,
            use_skills=settings.use_skills,
            auto_assign=settings.auto_assign,
            overflow=settings.overflow or "least_loaded",
        )


class RotaRead(BaseModel):
    settings: RotaSettingsIO
    members: list[RotaMemberRead]
