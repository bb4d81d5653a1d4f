"""The community side of the SLA benchmark, in its own process: a steady stream of new posts and
staff replies through fanloop's real services, each in its own unit of work, after `wire()` (so
the service desk opens tickets and starts, and stops, clocks as it does on a live site).

* posts: `--post-rate` a second, by fans picked at random, on the "urgent" board (its policy wants
  a first reply within a minute and warns at half of it);
* replies to those posts: a share of them (`--reply-share`) gets a staff reply between 5 and 90
  seconds after it was written - some before the warning, some between warning and breach, some
  after the breach;
* replies to the backlog: `--backlog-reply-rate` a second, a staff reply to a seeded open post,
  which stops its first-reply clock.

The schedule is fixed in advance (open loop): an action that comes late runs at once, and its
lateness is reported. Writes a JSON summary to `--out`.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import time

from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core import text
from fanloop.core.config import Settings
from fanloop.core.db import Database
from fanloop.service.desk.models import Ticket
from fanloop.wiring import wire

TITLES = [
    "Charged twice for the annual plan",
    "Cannot sign in after changing my phone number",
    "Refund still not here after two weeks",
    "账户被锁定，无法登录",
    "订阅续费失败",
    "Payment page keeps spinning",
]
BODIES = [
    "The card was charged twice this morning, order numbers are in my account history.",
    "I get *invalid code* every time, and the SMS arrives after it expired.",
    "支付页面一直转圈，换了浏览器也一样。",
]
REPLIES = [
    "Thanks for the report - we are looking into it right now.",
    "Could you send us the order number in a private message?",
    "我们已经收到，正在处理，请稍候。",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--start", type=float, required=True, help="wall-clock time to begin at")
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--post-rate", type=float, default=10.0)
    parser.add_argument("--reply-share", type=float, default=0.6)
    parser.add_argument("--backlog-reply-rate", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    wire()
    rng = random.Random(args.seed)
    database = Database(args.database_url)
    settings = Settings(
        environment="production",
        secret_key="sla-benchmark-secret",
        database_url=args.database_url,
        worker="off",
        # Fans here post far more often than the default per-member limit allows.
        post_rate_limit=1_000_000_000,
        reply_rate_limit=1_000_000_000,
    )
    with database.unit_of_work() as session:
        fan_ids = list(session.scalars(select(Member.id).where(Member.role == "fan")))
        staff_ids = list(session.scalars(select(Member.id).where(Member.role == "staff")))
        backlog = list(session.scalars(select(Ticket.post_id).where(Ticket.state == "open")))

    # Load what the services load on first use (the word segmenter's dictionary, the Markdown
    # renderer) before the run, not inside the first post's write transaction.
    text.search_terms(f"{TITLES[3]} {BODIES[2]}")
    text.detect_language(BODIES[2])
    text.render_markdown(BODIES[0])

    # (when, sequence, action, argument)
    schedule: list[tuple[float, int, str, int]] = []
    sequence = 0
    if args.post_rate > 0:
        for n in range(int(args.duration * args.post_rate)):
            schedule.append((args.start + n / args.post_rate, sequence, "post", 0))
            sequence += 1
    if args.backlog_reply_rate > 0 and backlog:
        for n, post_id in enumerate(
            rng.sample(backlog, min(len(backlog), int(args.duration * args.backlog_reply_rate)))
        ):
            schedule.append((args.start + (n + 0.5) / args.backlog_reply_rate, sequence, "reply", post_id))
            sequence += 1
    heapq.heapify(schedule)
    end = args.start + args.duration

    counts = {"posts": 0, "replies_to_streamed": 0, "replies_to_backlog": 0, "errors": 0}
    post_ms: list[float] = []
    reply_ms: list[float] = []
    late_s: list[float] = []
    while schedule and schedule[0][0] < end:
        when, _, action, argument = heapq.heappop(schedule)
        wait = when - time.time()
        if wait > 0:
            time.sleep(wait)
        else:
            late_s.append(-wait)
        started = time.perf_counter()
        try:
            with database.unit_of_work(write=True) as session:
                if action == "post":
                    post = posts.create_post(
                        session,
                        author=session.get(Member, rng.choice(fan_ids)),
                        data=posts.PostInput(
                            board="urgent",
                            kind=rng.choice(["bug", "question", "complaint"]),
                            title=rng.choice(TITLES),
                            body=rng.choice(BODIES),
                        ),
                        settings=settings,
                    )
                    post_id = post.id
                else:
                    posts.add_reply(
                        session,
                        author=session.get(Member, rng.choice(staff_ids)),
                        post_id=argument,
                        body=rng.choice(REPLIES),
                        settings=settings,
                    )
        except Exception as error:  # counted and reported; the stream goes on
            counts["errors"] += 1
            print(f"{action} failed: {error!r}", flush=True)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if action == "post":
            counts["posts"] += 1
            post_ms.append(elapsed)
            if rng.random() < args.reply_share:
                at = time.time() + rng.uniform(5, 90)
                heapq.heappush(schedule, (at, sequence, "reply_streamed", post_id))
                sequence += 1
        else:
            counts["replies_to_streamed" if action == "reply_streamed" else "replies_to_backlog"] += 1
            reply_ms.append(elapsed)
    database.dispose()
    with open(args.out, "w") as out:
        json.dump({**counts, "post_ms": post_ms, "reply_ms": reply_ms, "late_s": late_s}, out)


if __name__ == "__main__":
    main()
