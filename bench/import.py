"""Import benchmark: a file of social mentions imported into a channel through `fanloop import`'s
own code path (stream, batches, one commit per batch).

The file is generated: mentions in English and Chinese from a pool of authors (one in five mentions
is an author's first), over the last 30 days, with reposts and likes; every 10,000th line is broken
(bad JSON, a missing text, a date that is not one) and every 1,000th mention repeats an earlier id,
as exports do. Each size runs in a fresh process, so its peak memory is its own.

Printed (`name: value`) per database (`_sqlite`, `_postgresql`) and size:

* `import_rows_per_s`: rows read per second of the whole import (the 1,000,000-row run);
* `rows_lost`: good, distinct mentions in the file that are not in the database afterwards (goal 0);
* `rows_rejected`: the broken lines, each reported with its line number;
* `peak_rss_mb_<rows>`: the importing process's peak memory at each size; memory is flat when the
  1,000,000-row figure is no higher than the 100,000-row one by more than a few MB (what it holds is
  a batch, a chunk read ahead and the page cache);
* `rss_mb_<rows>_at_<25|50|75>pct`: the importing process's memory a quarter, half and three
  quarters of the way through the file;
* `reader_rss_mb_<rows>`: the peak memory of the process that reads and checks the file's lines
  (a JSON Lines file of 16 MB or more is read in a process of its own, on the second core).

    .venv/bin/python bench/import.py [--rows 1000000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _db import fresh_database

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
EN = [
    "Battery drains overnight since the {v} update, lost {n}% while idle",
    "Camera app freezes when switching to night mode on {v}",
    "Love the new gesture navigation in {v}, feels smooth",
    "Why does the notification shade lag after {v}? Please fix",
    "Wifi keeps dropping every few minutes since {v}",
    "Dark mode makes some settings text unreadable in {v}",
]
ZH = [
    "升级到{v}以后电池掉电太快了，晚上待机掉了{n}%",
    "{v}版本相机切换夜景模式会卡死",
    "新的手势导航太好用了，{v}流畅多了",
    "{v}通知栏下拉很卡，希望尽快修复",
    "更新{v}后WiFi每隔几分钟断一次",
]
TAGS = ["", "", "", " #MyFirstPhone", " #晒出你的第一台手机#"]


def write_file(path: Path, rows: int, seed: int = 7) -> tuple[int, int]:
    """Write the mentions; returns (distinct good mentions, broken lines)."""
    rng = random.Random(seed)
    authors = max(1, rows // 5)
    good, broken = 0, 0
    span = 30 * 24 * 3600
    with path.open("w", encoding="utf-8") as out:
        for i in range(1, rows + 1):
            if i % 10_000 == 0:
                broken += 1
                out.write(['{"id": "broken', json.dumps({"id": f"x{i}", "created_at": "2026-11-01T10:00:00Z"}),
                           json.dumps({"id": f"x{i}", "text": "hi", "author_id": "a", "created_at": "soon"})][i // 10_000 % 3])
                out.write("\n")
                continue
            mention_id = f"m{i}" if i % 1000 else f"m{i - 1}"  # every 1,000th repeats the one before
            if i % 1000:
                good += 1
            author = rng.randrange(authors)
            template = rng.choice(ZH if rng.random() < 0.4 else EN)
            text = template.format(v=f"5.{rng.randrange(9)}", n=rng.randrange(5, 60)) + rng.choice(TAGS)
            # In time order, as exports are; a few seconds of jitter, as clocks of a network are.
            at = NOW - timedelta(seconds=span * (rows - i) / rows + rng.randrange(5))
            row = {
                "id": mention_id,
                "author": {"id": f"u{author}", "handle": f"user_{author}", "name": f"User {author}"},
                "text": text,
                "created_at": at.isoformat(),
                "url": f"https://social.example/status/{mention_id}",
                "reposts": rng.choice((0, 0, 0, 1, 2, 5, 40)),
                "likes": rng.choice((0, 1, 3, 10, 120)),
            }
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")
    return good, broken


def run_import(url: str, path: Path) -> dict:
    """In this process: migrate, make the channel and a campaign, import, count."""
    from sqlalchemy import func, insert, select

    from fanloop.community.members.models import Member
    from fanloop.community.posts.models import Board
    from fanloop.core import clock
    from fanloop.core.db import Database
    from fanloop.core.migrate import upgrade
    from fanloop.growth.channels.importer import import_stream
    from fanloop.growth.models import Campaign, Channel, Mention
    from fanloop.wiring import wire

    wire()
    clock.set_clock(clock.FrozenClock(NOW))
    upgrade(url)
    database = Database(url)
    with database.unit_of_work(write=True) as session:
        board = Board(slug="social", name="Social", name_zh="", description="", position=0)
        session.add(board)
        session.flush()
        lead = session.execute(
            insert(Member).returning(Member.id),
            {"handle": "lead", "email": "lead@example.test", "display_name": "Lead", "password_hash": "x",
             "role": "lead", "language": "en", "bio": "", "xp": 0, "is_suspended": False, "created_at": NOW},
        ).scalar_one()
        session.add(Channel(slug="weibo", name="Weibo", kind="social", board_id=board.id, post_kind="question",
                            webhook_secret="whsec_bench", connector="none", connector_config={},
                            live_window_hours=72, is_active=True, created_at=NOW))
        session.add(Campaign(slug="first-phone", name="My first phone", description="",
                             hashtags=["MyFirstPhone", "晒出你的第一台手机"], keywords=[],
                             starts_at=NOW - timedelta(days=10), ends_at=NOW + timedelta(days=1),
                             goal_metric="participants", goal_value=10_000, cost_cents=0, currency="CNY",
                             created_by_id=lead, created_at=NOW))
    size, rss_at = path.stat().st_size, {}

    def progress(read: int) -> None:  # memory as the import goes: a quarter, a half, three quarters
        for quarter in (25, 50, 75):
            if quarter not in rss_at and read >= size * quarter / 100:
                rss_at[quarter] = _rss_mb()

    started = time.perf_counter()
    with path.open("rb") as stream:
        report = import_stream(database, channel_slug="weibo", stream=stream, name=path.name, progress=progress)
    seconds = time.perf_counter() - started
    with database.unit_of_work() as session:
        stored = session.scalar(select(func.count()).select_from(Mention))
    database.dispose()
    return {
        "seconds": seconds,
        "rows_read": report.rows_read,
        "imported": report.outcome.imported,
        "rejected": report.rejected,
        "stored": stored,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_mb_at": rss_at,
        # The process that reads and checks a large file's lines (0 when the file was read in a thread).
        "reader_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


def measure(url: str | None, rows: int, folder: Path) -> dict:
    path = folder / f"mentions_{rows}.jsonl"
    good, broken = write_file(path, rows)
    os.sync()  # the file just written goes to disk now, not while the import is being timed
    with fresh_database(url, folder / str(rows)) as db_url:
        Path(folder / str(rows)).mkdir(exist_ok=True)
        output = subprocess.run(
            [sys.executable, __file__, "--child", db_url, str(path)], check=True, capture_output=True, text=True
        ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result.update(good=good, broken=broken, lost=good - result["stored"])
    path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_import(args.child[0], Path(args.child[1]))))
        return
    targets = [("sqlite", None)] + ([] if args.no_postgres else [("postgresql", args.postgres)])
    sizes = sorted({max(1, args.rows // 10), args.rows})
    worst = {}
    for name, url in targets:
        for rows in sizes:
            with tempfile.TemporaryDirectory() as folder:
                result = measure(url, rows, Path(folder))
            rate = result["rows_read"] / result["seconds"]
            print(f"peak_rss_mb_{rows}_{name}: {result['peak_rss_mb']:.0f}", flush=True)
            print(f"reader_rss_mb_{rows}_{name}: {result['reader_rss_mb']:.0f}", flush=True)
            for quarter, mb in sorted(result["rss_mb_at"].items()):
                print(f"rss_mb_{rows}_{name}_at_{quarter}pct: {mb:.0f}")
            if rows == args.rows:
                print(f"import_rows_per_s_{name}: {rate:.0f}")
                print(f"import_seconds_{name}: {result['seconds']:.1f}")
                print(f"rows_lost_{name}: {result['lost']}")
                print(f"rows_rejected_{name}: {result['rejected']} (broken lines written: {result['broken']})", flush=True)
                worst[name] = (rate, result["lost"])
    sqlite_rate, _ = worst["sqlite"]
    print(f"import_rows_per_s: {sqlite_rate:.0f}")
    print(f"rows_lost: {max(lost for _, lost in worst.values())}")


if __name__ == "__main__":
    main()
