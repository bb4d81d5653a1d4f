"""Set-up of the replayed day (bench/loop.py): people, texts, shifts and the scaled SLA policy.

People go in through fanloop's own services before the servers start (bench/api_seed.py's boards,
tags, fans and history of posts, plus the staff and every API token); what a lead would set up in
the running product - the rota entries, the shifts and the default SLA policy's targets - goes
through the JSON API once the servers answer.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_seed import _catalog_ids, _people, _posts

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.core.db import Database
from fanloop.core.permissions import Role

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_DATA = REPO / "src" / "fanloop" / "demo" / "data"
STAFF_PASSWORD = "bench-password-1"
# Two product-time shifts of seven people each that cover the whole day (hours, local = UTC).
SHIFTS = {"day": (8, 20), "night": (20, 8)}
STAFF_PER_SHIFT = 7
CAPACITY = 20


@dataclass(slots=True)
class Text:
    title: str
    body: str
    kind: str
    chinese: bool


@dataclass(slots=True)
class StaffMember:
    handle: str
    token: str
    shift: str
    # Real (wall-clock) intervals, epoch seconds, in which the member is on shift: exactly the
    # shifts registered in the product, whole minutes.
    on: list[tuple[float, float]] = field(default_factory=list)

    def on_shift(self, moment: float) -> bool:
        return any(start <= moment < end for start, end in self.on)


@dataclass(slots=True)
class Cast:
    admin_token: str
    staff: list[StaffMember]
    fan_tokens: list[str]
    boards: list[str]
    tags: list[str]
    texts_source: str


# -------------------------------------------------------------------------------------------- texts


def load_texts(
    rng: random.Random, *, data: Path = SHARED_DATA, limit: int = 20_000
) -> tuple[list[Text], list[Text], str]:
    """English and Chinese texts of real people: Banking77 queries and shopping reviews from
    ../shared/data, or the Banking77 sample shipped with the demo when that folder is absent."""
    english: list[Text] = []
    chinese: list[Text] = []
    if (data / "banking77_train.csv").exists():
        source = str(data)
        for name in ("banking77_train.csv", "banking77_test.csv"):
            english += _banking(data / name)
        chinese = _shopping(data / "online_shopping_10_cats.csv")
    else:
        source = str(DEMO_DATA)
        english = _banking(DEMO_DATA / "banking77_sample.csv")
    rng.shuffle(english)
    rng.shuffle(chinese)
    return english[:limit], chinese[:limit], source


def _banking(path: Path) -> list[Text]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row["text"].strip() for row in csv.DictReader(handle)]
    return [Text(_title(text), text, "question", False) for text in rows if text]


def _shopping(path: Path) -> list[Text]:
    if not path.exists():
        return []
    texts = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            review = (row.get("review") or "").strip()
            if len(review) < 6:
                continue
            # Negative reviews read as complaints or bug reports, positive ones as praise or ideas.
            negative = row.get("label") == "0"
            kind = ("complaint" if len(review) % 2 else "bug") if negative else "praise"
            texts.append(Text(_title(review), review, kind, True))
    return texts


def _title(text: str, width: int = 60) -> str:
    first = text.replace("\n", " ").strip()
    return first if len(first) <= width else first[: width - 1].rstrip() + "…"


# ------------------------------------------------------------------------------------------- people


def seed_people(url: str, *, fans: int, fan_tokens: int, history_posts: int, seed: int) -> Cast:
    """Boards, tags, fans with API tokens, a history of posts (no open tickets) and 14 staff with
    API tokens and an admin token, through the services and (for the bulk) SQLAlchemy Core."""
    rng = random.Random(seed)
    db = Database(url)
    try:
        fan_ids, tokens = _people(db, rng, fans, fan_tokens)
        board_ids, tag_ids = _catalog_ids(db)
        if history_posts:
            _posts(db, rng, history_posts, fan_ids, list(board_ids.values()), list(tag_ids.values()))
        staff: list[StaffMember] = []
        with db.unit_of_work(write=True) as session:
            admin = session.query(Member).filter_by(handle="bench_admin").one()
            _, admin_token = members.create_api_token(session, member=admin, name="loop bench")
            for shift in SHIFTS:
                for i in range(STAFF_PER_SHIFT):
                    handle = f"{shift}_{i + 1}"
                    member = members.sign_up(
                        session,
                        handle=handle,
                        email=f"{handle}@bench.example",
                        password=STAFF_PASSWORD,
                        role=Role.STAFF,
                        language="zh_CN" if i % 2 else "en",
                    )
                    _, raw = members.create_api_token(session, member=member, name="loop bench")
                    staff.append(StaffMember(handle=handle, token=raw, shift=shift))
    finally:
        db.dispose()
    return Cast(
        admin_token=admin_token,
        staff=staff,
        fan_tokens=tokens,
        boards=list(board_ids),
        tags=list(tag_ids),
        texts_source="",
    )


# ------------------------------------------------------------------------------------------- shifts


def shift_intervals(
    shift: str, *, real_start: float, product_start: datetime, compression: float, real_end: float
) -> list[tuple[float, float]]:
    """The real-time intervals, rounded to whole minutes (what the rota stores), in which the
    product-time shift runs between real_start and real_end."""
    begin_hour, end_hour = SHIFTS[shift]
    found = []
    day = (product_start - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    product_end = product_start + timedelta(seconds=(real_end - real_start) * compression)
    while day <= product_end:
        start = day + timedelta(hours=begin_hour)
        end = day + timedelta(hours=end_hour if end_hour > begin_hour else end_hour + 24)
        day += timedelta(days=1)
        if end <= product_start - timedelta(hours=24) or start >= product_end:
            continue

        def real(moment: datetime) -> float:
            return _round_minute(real_start + (moment - product_start).total_seconds() / compression)

        lo, hi = (
            max(real(start), _round_minute(real_start) - 60),
            min(real(end), _round_minute(real_end) + 60),
        )
        if hi > lo:
            found.append((lo, hi))
    return found


def _round_minute(moment: float) -> float:
    return round(moment / 60) * 60


def shift_bodies(intervals: list[tuple[float, float]], *, crossing: bool) -> list[dict]:
    """The rota's weekly shifts (UTC) for real intervals. A real interval that runs past midnight is
    one shift ending at or before its start when the rota takes that (`crossing`), else two, the
    first ending at 23:59 (a minute uncovered)."""
    bodies = []
    for lo, hi in intervals:
        start = datetime.fromtimestamp(lo, UTC)
        end = datetime.fromtimestamp(hi, UTC)
        if start.date() == end.date() or crossing:
            bodies.append(_shift(start, end))  # past midnight: it ends at or before its start
            continue
        bodies.append(
            {"weekday": start.weekday(), "start": f"{start:%H:%M}", "end": "23:59", "timezone": "UTC"}
        )
        if end.hour or end.minute:
            bodies.append(
                {"weekday": end.weekday(), "start": "00:00", "end": f"{end:%H:%M}", "timezone": "UTC"}
            )
    return bodies


def _shift(start: datetime, end: datetime) -> dict:
    return {"weekday": start.weekday(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "timezone": "UTC"}


async def register_rota(client, cast: Cast, *, crossing_first: bool = True) -> str:  # noqa: ANN001
    """Every staff member joins the rota (on duty, capacity 20, no skills: anyone takes anything)
    with their shifts, through the API as the admin. Returns how midnight was handled."""
    headers = {"authorization": f"Bearer {cast.admin_token}"}
    crossing = crossing_first
    midnight = "none"
    for member in cast.staff:
        response = await client.put(
            f"/api/v1/rota/members/{member.handle}",
            json={"on_rota": True, "availability": "on_duty", "capacity": CAPACITY},
            headers=headers,
        )
        response.raise_for_status()
        crosses = any(
            datetime.fromtimestamp(lo, UTC).date() != datetime.fromtimestamp(hi, UTC).date()
            for lo, hi in member.on
        )
        body = {"shifts": shift_bodies(member.on, crossing=crossing)}
        response = await client.put(
            f"/api/v1/rota/members/{member.handle}/shifts", json=body, headers=headers
        )
        if response.status_code == 422 and crosses and crossing:
            crossing = False
            body = {"shifts": shift_bodies(member.on, crossing=False)}
            response = await client.put(
                f"/api/v1/rota/members/{member.handle}/shifts", json=body, headers=headers
            )
        response.raise_for_status()
        if crosses:
            midnight = "one_shift_past_midnight" if crossing else "split_at_23_59"
            if not crossing:
                # The minute from 23:59 to 00:00 is off shift in the product: so in the bench too.
                member.on = _minus_last_minute_of_day(member.on)
    return midnight


def _minus_last_minute_of_day(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    cut = []
    for lo, hi in intervals:
        position = lo
        while position < hi:
            midnight = datetime.fromtimestamp(position, UTC).replace(hour=0, minute=0, second=0) + timedelta(
                days=1
            )
            stop = min(hi, midnight.timestamp() - 60)
            if stop > position:
                cut.append((position, stop))
            position = midnight.timestamp()
    return cut


# --------------------------------------------------------------------------------------------- SLA


async def scale_default_policy(client, cast: Cast, compression: float) -> dict:  # noqa: ANN001
    """Divide the default policy's targets by the compression (whole minutes, at least 1); returns
    the policy as it now reads."""
    headers = {"authorization": f"Bearer {cast.admin_token}"}
    response = await client.get("/api/v1/sla/policies", headers=headers)
    response.raise_for_status()
    policy = next(p for p in response.json() if p.get("is_default"))

    def scaled(minutes: int | None) -> int | None:
        return None if minutes is None else max(1, round(minutes / compression))

    body = {
        "name": policy["name"],
        "first_reply_minutes": scaled(policy["first_reply_minutes"]),
        "next_reply_minutes": scaled(policy.get("next_reply_minutes")),
        "resolution_minutes": scaled(policy.get("resolution_minutes")),
        "warning_share": policy.get("warning_share", 0.8),
        "calendar_id": policy.get("calendar_id"),
        "conditions": {k: v for k, v in (policy.get("conditions") or {}).items() if v not in (None, [])},
    }
    response = await client.put(f"/api/v1/sla/policies/{policy['id']}", json=body, headers=headers)
    response.raise_for_status()
    updated = response.json()
    updated["product_first_reply_minutes"] = policy["first_reply_minutes"]
    return updated
