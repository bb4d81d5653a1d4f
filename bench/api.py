"""JSON API benchmark: create-post and list-posts against a bare ASGI endpoint, 100,000 posts seeded.

    .venv/bin/python bench/api.py                       # SQLite, 100,000 posts, 10 s per scenario
    .venv/bin/python bench/api.py --database-url postgresql://postgres@127.0.0.1:5432/test

Steps: seed a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database
on the given server, dropped afterwards); start bench/api_server.py in its own process (uvicorn,
httptools, uvloop, one worker, no access log) on 127.0.0.1; then, from another process (wrk, or
bench/api_loadgen.py when wrk is missing), run each scenario for a fixed time after a short
warm-up, with the same number of keep-alive connections:

    bare                  GET /bare - a raw ASGI callable in the same server, the ceiling
    fastapi_async_noop    GET /noop/async - an empty `async def` endpoint of a minimal FastAPI app
    fastapi_sync_noop     GET /noop/sync - an empty `def` endpoint (run in the thread pool)
    list_posts            GET /api/v1/posts?sort=new&limit=20 (anonymous)
    list_posts_hot_board  GET /api/v1/posts?sort=hot&board=<busiest board>&limit=20 (anonymous)
    create_post           POST /api/v1/posts, a new post each time, 16 members' API tokens in turn

Prints `name: value` lines (see bench/README.md for what each figure means).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from _db import fresh_database  # noqa: E402  (a sibling module: bench/ is on the path above)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def line(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


# ---------------------------------------------------------------------------------------- database


def count_posts(url: str) -> int:
    from sqlalchemy import func, select

    from fanloop.community.posts.models import Post
    from fanloop.core.db import Database

    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Post))
    finally:
        db.dispose()


def busiest_board(url: str) -> str:
    from sqlalchemy import func, select

    from fanloop.community.posts.models import Board, Post
    from fanloop.core.db import Database

    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return connection.scalar(
                select(Board.slug)
                .join(Post, Post.board_id == Board.id)
                .group_by(Board.slug)
                .order_by(func.count().desc())
                .limit(1)
            )
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------ server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(url: str, folder: Path, port: int):
    """bench/api_server.py in its own process; yields its pid once /healthz answers."""
    env = dict(os.environ)
    env.update(
        FANLOOP_DATABASE_URL=url,
        FANLOOP_DATA_DIR=str(folder / "data"),
        FANLOOP_ENVIRONMENT="production",
        FANLOOP_SECRET_KEY=secrets.token_urlsafe(32),
        # One member posts hundreds of times a second here: lift the per-member limit.
        FANLOOP_POST_RATE_LIMIT="1000000000",
        FANLOOP_POST_RATE_WINDOW="60",
    )
    log_path = folder / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "api_server.py"), "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}):\n{log_path.read_text()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
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
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors = [text for text in log_path.read_text(errors="replace").splitlines() if "Traceback" in text]
        if errors:
            print(f"# the server logged {len(errors)} traceback(s); see {log_path}", file=sys.stderr)


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far, all cores (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_backends_cpu(database: str) -> dict[int, float]:
    """CPU time so far of each PostgreSQL backend process serving `database`, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres:") and f" {database} " in title:
                found[int(entry.name)] = process_cpu_seconds(int(entry.name))
        except OSError:
            continue
    return found


# -------------------------------------------------------------------------------------------- load


def find_wrk(install: bool) -> str | None:
    wrk = shutil.which("wrk")
    if wrk or not install:
        return wrk
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print("# installing wrk from Debian", file=sys.stderr)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet)
    return shutil.which("wrk")


@dataclass(slots=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # responses outside 2xx, and socket errors and time-outs
    server_cpu: float  # share of one core used by the server process
    load_cpu: float  # share of one core used by the load generator
    database_cpu: float | None  # share of one core used by PostgreSQL's backends for this database
    other_cpu: float  # share of one core used by everything else on the machine meanwhile

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


RESULT = re.compile(r"BENCH_RESULT (.*)")


class Load:
    def __init__(self, wrk: str | None, connections: int, threads: int) -> None:
        self.wrk, self.connections, self.threads = wrk, connections, threads

    @property
    def name(self) -> str:
        return "wrk" if self.wrk else "python"

    def command(self, url: str, seconds: float, extra: list[str]) -> list[str]:
        if self.wrk:
            return [
                self.wrk,
                f"-t{self.threads}",
                f"-c{self.connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(BENCH_DIR / "api_load.lua"),
                url,
                "--",
                *extra,
            ]
        mode, *rest = extra or ["get"]
        command = [
            sys.executable,
            str(BENCH_DIR / "api_loadgen.py"),
            "--url",
            url,
            "--connections",
            str(self.connections),
            "--duration",
            str(seconds),
            "--mode",
            mode,
        ]
        if mode == "post":
            command += ["--tokens", rest[0], "--boards", rest[1], "--tags", rest[2]]
        return command

    def run(
        self,
        url: str,
        seconds: float,
        extra: list[str],
        server_pid: int,
        postgres_database: str | None = None,
        profile: Path | None = None,
    ) -> Result:
        profiler = None
        if profile is not None:
            # Sample the server while the load runs (py-spy must be installed; it is not a dependency).
            profiler = subprocess.Popen(
                [
                    shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(server_pid),
                    "--duration",
                    str(max(1, round(seconds))),
                    "--rate",
                    "250",
                    "--gil",
                    "--format",
                    "raw",
                    "--output",
                    str(profile),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        cpu_before = process_cpu_seconds(server_pid)
        machine_before = machine_cpu_seconds()
        backends_before = postgres_backends_cpu(postgres_database) if postgres_database else {}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(self.command(url, seconds, extra), capture_output=True, text=True)
        wall = time.perf_counter() - started
        if profiler is not None:
            profiler.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = (process_cpu_seconds(server_pid) - cpu_before) / wall
        load_cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / wall
        database_cpu = None
        if postgres_database:
            # Backends that lived through the run; one opened and closed meanwhile is missed.
            backends = postgres_backends_cpu(postgres_database)
            database_cpu = sum(t - backends_before.get(pid, 0.0) for pid, t in backends.items()) / wall
        machine = (machine_cpu_seconds() - machine_before) / wall
        other_cpu = max(0.0, machine - server_cpu - load_cpu - (database_cpu or 0.0))
        match = RESULT.search(done.stdout)
        if done.returncode != 0 or not match:
            raise RuntimeError(
                f"the load generator failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        values = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
        errors = sum(
            values[k] for k in ("non2xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        )
        return Result(
            requests=values["requests"],
            seconds=values["duration_us"] / 1e6,
            p50_ms=values["p50_us"] / 1000,
            p90_ms=values["p90_us"] / 1000,
            p99_ms=values["p99_us"] / 1000,
            max_ms=values["max_us"] / 1000,
            errors=errors,
            server_cpu=server_cpu,
            load_cpu=load_cpu,
            database_cpu=database_cpu,
            other_cpu=other_cpu,
        )


# -------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts to seed (default 100000)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per scenario (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL server URL to bench on (default: a SQLite file)"
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="wrk (installed from Debian when missing and running as root), or the Python one",
    )
    parser.add_argument(
        "--scenarios",
        default="bare,fastapi_async_noop,fastapi_sync_noop,list_posts,list_posts_hot_board,create_post",
        help="comma-separated subset of the scenarios, in the order to run them",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (SQLite file, server log)"
    )
    parser.add_argument(
        "--profile-dir",
        type=Path,
        default=None,
        help="record a py-spy profile of the server for each scenario into this folder (needs py-spy)",
    )
    args = parser.parse_args()

    wrk = None if args.load_generator == "python" else find_wrk(install=True)
    if args.load_generator == "wrk" and not wrk:
        print("wrk is not installed and could not be installed", file=sys.stderr)
        return 2
    load = Load(wrk, args.connections, args.threads)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]

    folder = Path(tempfile.mkdtemp(prefix="fanloop-bench-"))
    try:
        with fresh_database(args.database_url or None, folder) as url:
            return run(args, load, scenarios, url, folder)
    finally:
        if args.keep:
            print(f"# kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, load: Load, scenarios: list[str], url: str, folder: Path) -> int:
    import api_seed
    from sqlalchemy.engine import make_url

    from fanloop.core.migrate import upgrade

    started = time.perf_counter()
    upgrade(url)
    community = api_seed.seed(url, posts_wanted=args.posts)
    line("database", make_url(url).get_backend_name())
    line("load_generator", load.name)
    line("connections", args.connections)
    line("duration_seconds", args.duration)
    line("seed_seconds", f"{time.perf_counter() - started:.1f}")
    line("posts_seeded", community.posts)
    board = busiest_board(url)
    parsed = make_url(url)
    postgres_database = parsed.database if parsed.get_backend_name() == "postgresql" else None

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    post_args = ["post", ",".join(community.tokens), ",".join(community.boards), ",".join(community.tags)]
    plans = {
        "bare": (f"{base}/bare", ["get"]),
        "fastapi_async_noop": (f"{base}/noop/async", ["get"]),
        "fastapi_sync_noop": (f"{base}/noop/sync", ["get"]),
        "list_posts": (f"{base}/api/v1/posts?sort=new&limit=20", ["get"]),
        "list_posts_hot_board": (f"{base}/api/v1/posts?sort=hot&board={board}&limit=20", ["get"]),
        "create_post": (f"{base}/api/v1/posts", post_args),
    }
    results: dict[str, Result] = {}
    errors: dict[str, int] = {}
    with server(url, folder, port) as pid:
        for name in scenarios:
            target, extra = plans[name]
            warm = load.run(target, args.warmup, extra, pid) if args.warmup > 0 else None
            profile = None
            if args.profile_dir:
                args.profile_dir.mkdir(parents=True, exist_ok=True)
                profile = args.profile_dir / f"{name}.txt"
            result = load.run(target, args.duration, extra, pid, postgres_database, profile)
            results[name] = result
            errors[name] = result.errors + (warm.errors if warm else 0)
            line(f"{name}_rps", f"{result.rps:.1f}")
            line(f"{name}_p50_ms", f"{result.p50_ms:.2f}")
            line(f"{name}_p90_ms", f"{result.p90_ms:.2f}")
            line(f"{name}_p99_ms", f"{result.p99_ms:.2f}")
            line(f"{name}_requests", result.requests)
            line(f"{name}_errors", errors[name])
            line(f"{name}_server_cpu_pct", f"{100 * result.server_cpu:.0f}")
            if result.rps:
                line(f"{name}_server_cpu_ms_per_request", f"{1000 * result.server_cpu / result.rps:.3f}")
            line(f"{name}_load_generator_cpu_pct", f"{100 * result.load_cpu:.0f}")
            if result.database_cpu is not None:
                line(f"{name}_database_cpu_pct", f"{100 * result.database_cpu:.0f}")
            line(f"{name}_other_cpu_pct", f"{100 * result.other_cpu:.0f}")

    bare = results.get("bare")
    for name in (
        "create_post",
        "list_posts",
        "list_posts_hot_board",
        "fastapi_async_noop",
        "fastapi_sync_noop",
    ):
        if bare and name in results and bare.rps:
            line(f"{name}_rps_ratio_to_bare", f"{results[name].rps / bare.rps:.3f}")
    total = count_posts(url)
    line("posts_in_database", total)
    line("posts_created_during_run", total - community.posts)
    return 1 if errors.get("create_post") else 0


if __name__ == "__main__":
    sys.exit(main())
