"""The traffic of the replayed day (bench/loop.py): fans posting on a diurnal curve and voting,
staff polling their inbox and answering after a human-like delay, all through the JSON API.

Everything is planned in product time and played at `compression` times real speed: a product
second lasts 1 / compression real seconds. One asyncio loop in this process sends every request
over keep-alive connections (httpx), spread in turn across the web processes, and times it from
sending to the whole answer.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from loop_setup import CAPACITY, Cast, StaffMember, Text

# Share of a day's posts in each hour (local time), the shape of a large Chinese phone-maker's
# fan forum (MIUI-like): a trough at 3-5, a rise through the morning, a lunch bump, and the day's
# peak from 20:00 to 23:00 (about twice the average hour).
HOURLY = [3.2, 2.0, 1.2, 0.7, 0.5, 0.6, 1.1, 2.2, 3.4, 4.2, 4.6, 4.8,
          5.3, 4.9, 4.6, 4.5, 4.5, 4.4, 4.7, 5.4, 6.4, 6.9, 6.4, 5.0]  # fmt: skip
REPLIES_EN = [
    "Thanks for the report. We are looking into it and will update this post.",
    "Thank you! Could you tell us your app version and whether it happens on Wi-Fi too?",
    "We have passed this on to the team; a fix is planned for the next update.",
]
REPLIES_ZH = [
    "感谢反馈，我们正在排查，有进展会在这里更新。",
    "谢谢！请告诉我们您的版本号，以及在无线网络下是否也会出现？",
    "已经转给相关团队，计划在下个版本修复。",
]


def hourly_rate(posts_per_day: float, hour: int) -> float:
    """Posts a product second in that hour of the day."""
    return posts_per_day * HOURLY[hour] / sum(HOURLY) / 3600


def arrivals(
    rng: random.Random, *, posts_per_day: float, product_start: datetime, hours: float, max_posts: int | None
) -> list[float]:
    """Product seconds after product_start at which fans post: a Poisson process whose rate follows
    the hourly curve (drawn by thinning at the peak rate)."""
    peak = max(hourly_rate(posts_per_day, h) for h in range(24))
    found: list[float] = []
    moment = 0.0
    while True:
        moment += rng.expovariate(peak)
        if moment >= hours * 3600 or (max_posts is not None and len(found) >= max_posts):
            return found
        hour = (product_start + timedelta(seconds=moment)).hour
        if rng.random() < hourly_rate(posts_per_day, hour) / peak:
            found.append(moment)


@dataclass(slots=True)
class Tally:
    """What the load generator saw, per kind of request."""

    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    transport_errors: int = 0
    transport_error_kinds: dict[str, int] = field(default_factory=dict)
    late_s: list[float] = field(default_factory=list)

    def record(self, kind: str, status: int, ms: float) -> None:
        self.latency_ms.setdefault(kind, []).append(ms)
        counts = self.statuses.setdefault(kind, {})
        counts[status] = counts.get(status, 0) + 1

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(
            n for counts in self.statuses.values() for status, n in counts.items() if predicate(status)
        )


@dataclass
class Settings:
    compression: float
    posts_per_day: float
    product_start: datetime
    hours: float
    max_posts: int | None
    chinese_share: float
    reply_median_min: float
    reply_sigma: float
    poll_product_s: float
    votes_mean: float
    drain_s: float


class Day:
    """One replayed day: call `run()`; the figures are in `tally` and the attributes after it."""

    def __init__(
        self,
        *,
        bases: list[str],
        cast: Cast,
        english: list[Text],
        chinese: list[Text],
        settings: Settings,
        real_start: float,
        sample_unassigned: Callable[[], int],
        rng: random.Random,
    ) -> None:
        self.bases, self.cast, self.settings, self.rng = bases, cast, settings, rng
        self.english, self.chinese = english or chinese, chinese or english
        self.real_start = real_start
        self.sample_unassigned = sample_unassigned
        self.tally = Tally()
        self.clients: list[httpx.AsyncClient] = []
        self.turn = itertools.cycle(range(len(bases)))
        self.created: dict[int, float] = {}  # post id -> real time its creation was answered
        self.languages: dict[int, str] = {}
        self.taken: set[int] = set()  # posts some staff member has in hand
        self.replied: set[int] = set()
        self.in_hand: dict[str, int] = {member.handle: 0 for member in cast.staff}
        self.lanes = True
        self.unassigned_max = 0
        self.unassigned_samples = 0
        self.stopping = False
        self.unfinished = 0
        self.posts_planned = 0
        self.last_arrival = real_start
        self._queue: list[tuple[float, int, Callable[[], Awaitable[None]]]] = []
        self._order = itertools.count()
        self._tasks: set[asyncio.Task] = set()

    # ---------------------------------------------------------------------------- plumbing

    def real(self, product_seconds: float) -> float:
        return self.real_start + product_seconds / self.settings.compression

    def at(self, moment: float, action: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self._queue, (moment, next(self._order), action))

    async def request(self, kind: str, method: str, path: str, token: str, **kwargs) -> httpx.Response | None:  # noqa: ANN003
        client = self.clients[next(self.turn)]
        started = time.perf_counter()
        try:
            response = await client.request(
                method, path, headers={"authorization": f"Bearer {token}"}, **kwargs
            )
        except httpx.HTTPError as error:
            self.tally.transport_errors += 1
            name = type(error).__name__
            self.tally.transport_error_kinds[name] = self.tally.transport_error_kinds.get(name, 0) + 1
            return None
        if kind != "inbox_probe":
            self.tally.record(kind, response.status_code, (time.perf_counter() - started) * 1000)
        return response

    def spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def dispatch(self) -> None:
        """Start each planned action at its time (late ones at once, their lateness recorded)."""
        while self._queue and not self.stopping:
            moment, _, action = self._queue[0]
            wait = moment - time.time()
            if wait > 0:
                await asyncio.sleep(min(wait, 0.5))
                continue
            heapq.heappop(self._queue)
            self.tally.late_s.append(-wait)
            self.spawn(action())

    # ---------------------------------------------------------------------------- fans

    def plan_posts(self) -> None:
        s = self.settings
        times = arrivals(
            self.rng,
            posts_per_day=s.posts_per_day,
            product_start=s.product_start,
            hours=s.hours,
            max_posts=s.max_posts,
        )
        self.posts_planned = len(times)
        authors = self.cast.fan_tokens
        weights = [1 / (rank + 1) ** 0.6 for rank in range(len(authors))]
        for moment, author in zip(times, self.rng.choices(authors, weights, k=len(times)), strict=True):
            chinese = self.rng.random() < s.chinese_share
            text = self.rng.choice(self.chinese if chinese else self.english)
            self.at(self.real(moment), self._post_action(author, text))
        self.last_arrival = self.real(times[-1]) if times else self.real_start

    def _post_action(self, author: str, text: Text) -> Callable[[], Awaitable[None]]:
        async def post() -> None:
            body = {
                "board": self.rng.choice(self.cast.boards),
                "kind": text.kind,
                "title": text.title,
                "body": text.body,
                "tags": self.rng.sample(self.cast.tags, self.rng.randint(0, 2)),
            }
            response = await self.request("create_post", "POST", "/api/v1/posts", author, json=body)
            if response is None or response.status_code != 201:
                return
            post_id = response.json()["id"]
            self.created[post_id] = time.time()
            self.languages[post_id] = "zh" if text.chinese else "en"
            self._plan_votes(post_id, author)

        return post

    def _plan_votes(self, post_id: int, author: str) -> None:
        # Heavy-tailed: most posts get a vote or two, a few get dozens, within the next hours.
        count = min(60, int(self.rng.paretovariate(1.5) * self.settings.votes_mean / 3))
        voters = [
            t
            for t in self.rng.sample(self.cast.fan_tokens, min(count + 1, len(self.cast.fan_tokens)))
            if t != author
        ]
        for voter in voters[:count]:
            delay = self.rng.expovariate(1 / 1200)  # product seconds, 20 minutes on average
            self.at(time.time() + delay / self.settings.compression, self._vote_action(post_id, voter))

    def _vote_action(self, post_id: int, voter: str) -> Callable[[], Awaitable[None]]:
        async def vote() -> None:
            await self.request("vote", "PUT", f"/api/v1/posts/{post_id}/vote", voter)

        return vote

    # ---------------------------------------------------------------------------- staff

    async def probe_lanes(self) -> None:
        """The inbox takes `lane` once the lanes exist (an unknown lane is then refused with 422);
        before that, the parameter is ignored and the staff use `view`."""
        member = self.cast.staff[0]
        response = await self.request(  # not counted: the 422 it expects is no error
            "inbox_probe", "GET", "/api/v1/inbox", member.token, params={"lane": "no-such-lane"}
        )
        self.lanes = response is not None and response.status_code == 422

    async def inbox(self, member: StaffMember, lane: str) -> list[dict]:
        params = {"lane": lane, "limit": 50} if self.lanes else {"view": lane, "limit": 50}
        response = await self.request("inbox", "GET", "/api/v1/inbox", member.token, params=params)
        if response is not None and response.status_code == 422 and self.lanes:
            self.lanes = False
            return await self.inbox(member, lane)
        if response is None or response.status_code != 200:
            return []
        return response.json().get("items", [])

    async def staff_member(self, member: StaffMember) -> None:
        """Poll the inbox every minute or so (product time) while on shift: take what is assigned,
        claim from the unassigned lane while below capacity, answer each after a delay."""
        s = self.settings
        await asyncio.sleep(self.rng.random() * s.poll_product_s / s.compression)
        while not self.stopping:
            if member.on_shift(time.time()):
                for item in await self.inbox(member, "mine"):
                    self._take(member, item["post_id"])
                if self.in_hand[member.handle] < CAPACITY:
                    for item in await self.inbox(member, "unassigned"):
                        if item["post_id"] in self.taken:
                            continue
                        response = await self.request(
                            "claim", "POST", f"/api/v1/posts/{item['post_id']}/claim", member.token
                        )
                        if response is not None and response.status_code == 200:
                            self._take(member, item["post_id"])
                        break
            jitter = 0.75 + self.rng.random() / 2
            await asyncio.sleep(s.poll_product_s * jitter / s.compression)

    def _take(self, member: StaffMember, post_id: int) -> None:
        if post_id in self.taken:
            return
        self.taken.add(post_id)
        self.in_hand[member.handle] += 1
        s = self.settings
        minutes = s.reply_median_min * math.exp(self.rng.gauss(0, s.reply_sigma))
        self.at(time.time() + minutes * 60 / s.compression, self._reply_action(member, post_id))

    def _reply_action(self, member: StaffMember, post_id: int) -> Callable[[], Awaitable[None]]:
        async def reply() -> None:
            texts = REPLIES_ZH if self.languages.get(post_id) == "zh" else REPLIES_EN
            response = await self.request(
                "reply",
                "POST",
                f"/api/v1/posts/{post_id}/replies",
                member.token,
                json={"body": self.rng.choice(texts)},
            )
            self.in_hand[member.handle] -= 1
            if response is not None and response.status_code == 201:
                self.replied.add(post_id)

        return reply

    # ---------------------------------------------------------------------------- watching

    async def watch_unassigned(self) -> None:
        """Once a second: live posts nobody is assigned to, while someone is on shift."""
        while not self.stopping:
            now = time.time()
            if any(member.on_shift(now) for member in self.cast.staff):
                count = await asyncio.to_thread(self.sample_unassigned)
                self.unassigned_max = max(self.unassigned_max, count)
                self.unassigned_samples += 1
            await asyncio.sleep(1.0)

    async def run(self) -> None:
        # Idle connections are dropped before uvicorn's 5 s keep-alive time-out closes them: else
        # a request sent just as the server closes fails, a race of the client's, not the product.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=4.0)
        self.clients = [httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) for base in self.bases]
        try:
            await self.probe_lanes()
            self.plan_posts()
            workers = [asyncio.ensure_future(self.staff_member(m)) for m in self.cast.staff]
            workers.append(asyncio.ensure_future(self.watch_unassigned()))
            dispatcher = asyncio.ensure_future(self.dispatch())
            # The replay, then the drain: until every post has its reply or the drain time is up.
            deadline = self.last_arrival + self.settings.drain_s
            while time.time() < deadline:
                if time.time() > self.last_arrival + 1 and set(self.created) <= self.replied:
                    break
                await asyncio.sleep(0.5)
            self.stopping = True
            for task in workers:
                task.cancel()  # staff stop at once, not after their poll in flight
            await asyncio.gather(dispatcher, *workers, return_exceptions=True)
            # Requests in flight get 30 s more; any still unanswered then are counted and dropped.
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=30)
            self.unfinished = len(self._tasks)
            for task in list(self._tasks):
                task.cancel()
        finally:
            for client in self.clients:
                await client.aclose()
