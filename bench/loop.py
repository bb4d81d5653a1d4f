"""A replayed day through the public API: fans post on a diurnal curve and vote, staff on two
shifts poll their inbox and answer, time compressed; how many first replies meet the target.

    .venv/bin/python bench/loop.py                        # SQLite, one web process, embedded worker
    .venv/bin/python bench/loop.py --posts 300            # a short smoke run
    .venv/bin/python bench/loop.py --database-url postgresql://postgres@127.0.0.1:5432/test
                                                          # 2 web processes + `fanloop worker`

Time: product time runs `--compression` times faster than real time (default 15). The product's
clocks are not mocked, so everything with a duration is divided by the compression: fans' arrival
rates are multiplied by it, staff delays, poll intervals and rate-limit windows divided by it, and
the default SLA policy's targets too (15 product minutes to a first reply = 1 real minute at 15x;
the policy stores whole minutes, so the compression must divide the targets).

Prints `name: value` lines; see the "Replayed day" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from _db import fresh_database  # noqa: E402  (a sibling module: bench/ is on the path above)
from loop_report import (  # noqa: E402
    CpuWindow,
    database_backends,
    first_reply_figures,
    line,
    percentile,
    unassigned_counter,
)

FANLOOP = Path(sys.executable).with_name("fanloop")
SHARED_DATA = BENCH_DIR.parent.parent / "shared" / "data"
GOALS = {"first_reply_within_target_pct": 99.5, "create_post_p99_ms": 300.0, "inbox_p99_ms": 200.0}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def product_env(url: str, folder: Path, *, worker: str, compression: float) -> dict[str, str]:
    """The servers' and worker's settings: a production configuration on this database, with the
    per-member rate-limit windows divided by the compression (the same limits in product time)."""
    env = dict(os.environ)
    env.update(
        FANLOOP_DATABASE_URL=url,
        FANLOOP_DATA_DIR=str(folder / "data"),
        FANLOOP_ENVIRONMENT="production",
        FANLOOP_SECRET_KEY=secrets.token_urlsafe(32),
        FANLOOP_WORKER=worker,
        FANLOOP_POST_RATE_WINDOW=str(max(1, round(60 / compression))),
        FANLOOP_REPLY_RATE_WINDOW=str(max(1, round(60 / compression))),
    )
    return env


@contextmanager
def process(command: list[str], env: dict[str, str], log_path: Path, *, port: int | None = None):
    """A child process (a web server once /healthz answers on `port`); yields its pid."""
    with open(log_path, "wb") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while port is not None:
            if child.poll() is not None:
                raise RuntimeError(f"{command[1]} exited ({child.returncode}):\n{log_path.read_text()}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not become ready:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        tracebacks = log_path.read_text(errors="replace").count("Traceback")
        if tracebacks:
            print(f"# {log_path.name}: {tracebacks} traceback(s)", file=sys.stderr)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(args: argparse.Namespace, url: str, folder: Path) -> bool:
    from loop_setup import load_texts, seed_people, shift_intervals
    from loop_traffic import Day, Settings

    from fanloop.core.migrate import upgrade

    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    web_count = 1 if dialect == "sqlite" else args.web_processes
    separate_worker = dialect != "sqlite"
    line("database", dialect)
    line("web_processes", web_count)
    line("worker", "separate process (fanloop worker)" if separate_worker else "embedded in the web process")
    line("compression", f"{args.compression:g}")
    line("load_average_before", load_average())

    started = time.perf_counter()
    upgrade(url)
    rng = random.Random(args.seed)
    english, chinese, source = load_texts(rng, data=args.data)
    cast = seed_people(
        url, fans=args.fans, fan_tokens=args.fan_tokens, history_posts=args.history, seed=args.seed
    )
    line("texts_from", source)
    line("texts", f"{len(english)} en, {len(chinese)} zh")
    line("seed_seconds", f"{time.perf_counter() - started:.1f}")

    env = product_env(
        url, folder, worker="off" if separate_worker else "embedded", compression=args.compression
    )
    ports = [free_port() for _ in range(web_count)]
    with ExitStack() as stack:
        server_pids = [
            stack.enter_context(
                process(
                    [str(FANLOOP), "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env,
                    folder / f"web{n}.log",
                    port=port,
                )
            )
            for n, port in enumerate(ports)
        ]
        worker_pids = []
        if separate_worker:
            worker_pids.append(
                stack.enter_context(process([str(FANLOOP), "worker"], env, folder / "worker.log"))
            )
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        # The replay starts at a whole real minute ahead, so shifts (whole minutes) line up with it.
        real_start = (time.time() // 60 + 1) * 60 + (0 if time.time() % 60 < 40 else 60)
        product_start = datetime.now(UTC).replace(hour=args.start_hour, minute=0, second=0, microsecond=0)
        real_end = real_start + args.hours * 3600 / args.compression + args.drain + 60
        for member in cast.staff:
            member.on = shift_intervals(
                member.shift,
                real_start=real_start,
                product_start=product_start,
                compression=args.compression,
                real_end=real_end,
            )
        counter = unassigned_counter(url)
        stack.callback(counter.close)
        cpu = CpuWindow()
        day = Day(
            bases=bases,
            cast=cast,
            english=english,
            chinese=chinese,
            settings=Settings(
                compression=args.compression,
                posts_per_day=args.posts_per_day,
                product_start=product_start,
                hours=args.hours,
                max_posts=args.posts,
                chinese_share=args.chinese_share,
                reply_median_min=args.reply_median,
                reply_sigma=args.reply_sigma,
                poll_product_s=args.poll,
                votes_mean=args.votes,
                drain_s=args.drain,
            ),
            real_start=real_start,
            sample_unassigned=counter.count,
            rng=rng,
        )
        policy, midnight = asyncio.run(prepare(bases[0], cast, args.compression))
        target_s = policy["first_reply_minutes"] * 60
        line("first_reply_target_product_min", f"{target_s * args.compression / 60:g}")
        line("first_reply_target_real_s", target_s)
        line("shifts_past_midnight", midnight)
        line("replay_product_start", f"{product_start:%H:%M}")
        time.sleep(max(0.0, real_start - time.time()))
        own = [os.getpid(), *server_pids, *worker_pids]
        cpu.start(own + database_backends(url))
        asyncio.run(day.run())
        cpu.end(own + database_backends(url))
        run_end = time.time()

    return report(args, url, day, cpu, own, real_start, run_end, target_s)


async def prepare(base: str, cast, compression: float) -> tuple[dict, str]:  # noqa: ANN001
    import httpx
    from loop_setup import register_rota, scale_default_policy

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        policy = await scale_default_policy(client, cast, compression)
        midnight = await register_rota(client, cast)
    return policy, midnight


def report(
    args, url: str, day, cpu, own: list[int], real_start: float, run_end: float, target_s: int
) -> bool:  # noqa: ANN001, PLR0913
    tally = day.tally
    figures = first_reply_figures(url, post_ids=list(day.created), since=real_start, now=run_end)
    line("replay_real_s", f"{run_end - real_start:.0f}")
    line("replay_product_h", f"{(run_end - real_start) * args.compression / 3600:.2f}")
    line("posts_planned", day.posts_planned)
    line("posts_created", len(day.created))
    line(
        "posts_in_peak_product_hour",
        f"{args.posts_per_day * max(_hourly()) / sum(_hourly()):.0f}",
    )
    names = ("first_reply_within_target_pct", "first_replies", "first_reply_late", "first_reply_unanswered")
    for name in (*names, "first_reply_pending", "posts_without_clock"):
        line(name, figures[name])
    line("first_reply_p50_product_min", f"{figures['first_reply_p50_s'] * args.compression / 60:.1f}")
    line("first_reply_p99_product_min", f"{figures['first_reply_p99_s'] * args.compression / 60:.1f}")
    line("breaches", figures["breaches"])
    line("warnings", figures["warnings"])
    line("unassigned_live_posts_max", day.unassigned_max)
    line("unassigned_samples", day.unassigned_samples)
    line("inbox_lanes", "lane=mine|unassigned" if day.lanes else "view=mine|unassigned (no lanes yet)")
    line("api_5xx", tally.count(lambda status: status >= 500))
    line("api_4xx", tally.count(lambda status: 400 <= status < 500))
    line("api_transport_errors", tally.transport_errors)
    if tally.transport_errors:
        kinds = " ".join(f"{name}={n}" for name, n in sorted(tally.transport_error_kinds.items()))
        line("api_transport_error_kinds", kinds)
    line("api_unfinished_at_end", day.unfinished)
    for kind in ("create_post", "reply", "vote", "inbox", "claim"):
        values = tally.latency_ms.get(kind, [])
        line(f"{kind}_requests", len(values))
        line(f"{kind}_p50_ms", f"{percentile(values, 0.50):.1f}")
        line(f"{kind}_p99_ms", f"{percentile(values, 0.99):.1f}")
    line("requests_total", sum(len(v) for v in tally.latency_ms.values()))
    line(
        "requests_per_s",
        f"{sum(len(v) for v in tally.latency_ms.values()) / max(1.0, run_end - real_start):.1f}",
    )
    line("load_late_p99_s", f"{percentile(tally.late_s, 0.99):.2f}")
    servers = own[1:]
    line("server_and_worker_cpu_pct", f"{cpu.percent(servers):.0f}")
    line("load_generator_cpu_pct", f"{cpu.percent(own[:1]):.0f}")
    backends = [pid for pid in cpu.first if pid not in own]
    if backends:
        line("database_cpu_pct", f"{cpu.percent(backends):.0f}")
    line("other_cpu_pct", f"{max(0.0, cpu.machine_percent() - cpu.percent(list(cpu.first))):.0f}")
    line("load_average_after", load_average())
    create_p99 = percentile(tally.latency_ms.get("create_post", []), 0.99)
    inbox_p99 = percentile(tally.latency_ms.get("inbox", []), 0.99)
    met = (
        figures["first_reply_within_target_pct_value"] >= GOALS["first_reply_within_target_pct"]
        and tally.count(lambda status: status >= 500) == 0
        and create_p99 <= GOALS["create_post_p99_ms"]
        and inbox_p99 <= GOALS["inbox_p99_ms"]
    )
    line("goal_met", "yes" if met else "no")
    return met


def _hourly() -> list[float]:
    from loop_traffic import HOURLY

    return HOURLY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server to create a fresh database on")
    parser.add_argument("--compression", type=float, default=15.0, help="product seconds per real second")
    parser.add_argument("--hours", type=float, default=2.5, help="product hours to replay")
    parser.add_argument("--start-hour", type=int, default=19, help="product hour of day the replay starts at")
    parser.add_argument("--posts", type=int, default=None, help="stop the replay after this many posts")
    parser.add_argument("--posts-per-day", type=float, default=8000.0, help="the day's posts")
    parser.add_argument("--chinese-share", type=float, default=0.6, help="share of posts in Chinese")
    parser.add_argument(
        "--reply-median", type=float, default=3.0, help="staff delay, product minutes (median)"
    )
    parser.add_argument("--reply-sigma", type=float, default=0.6, help="staff delay, lognormal sigma")
    parser.add_argument("--poll", type=float, default=60.0, help="staff inbox poll, product seconds")
    parser.add_argument("--votes", type=float, default=3.0, help="votes a post gets on average")
    parser.add_argument("--drain", type=float, default=150.0, help="real seconds to wait for last replies")
    parser.add_argument("--web-processes", type=int, default=2, help="web processes on PostgreSQL")
    parser.add_argument("--fans", type=int, default=2000)
    parser.add_argument("--fan-tokens", type=int, default=400, help="fans who post and vote")
    parser.add_argument("--history", type=int, default=20000, help="older posts in the database")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the labelled sets (../shared/data)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    args = parser.parse_args()
    for minutes in (15,):
        if abs(minutes / args.compression - round(minutes / args.compression)) > 1e-9:
            parser.error("--compression must divide 15 (the policy stores whole minutes): 1, 3, 5, 7.5 or 15")

    folder = Path(tempfile.mkdtemp(prefix="fanloop-loop-"))
    met = False
    try:
        with fresh_database(args.database_url, folder) as url:
            met = run(args, url, folder)
        if args.keep:
            line("files_kept_in", folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
