"""SLA benchmark: how soon warnings and breaches fire, with 100,000 open clocks, a steady stream of
new posts and replies, and several worker processes - and that each fires exactly once.

    .venv/bin/python bench/sla.py                        # SQLite, 100,000 clocks, 60 s, 2 workers
    .venv/bin/python bench/sla.py --kill-one             # SIGKILL one worker mid-sweep, half-way
    .venv/bin/python bench/sla.py --database-url postgresql://postgres@127.0.0.1:5432/test

Steps, in real time (no frozen clock):

1. a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database on the
   given server, dropped at the end), migrated, then seeded by bench/sla_seed.py: open posts with
   their tickets and two running clocks each, due hours or days from now (`seed_seconds`);
2. `--workers` processes of bench/sla_worker.py, each the real `Worker` loop (`wire()`, its own
   `Database`, `--interval`), timing every pass;
3. a slice of the backlog (`--due-rate` a second, plus `--burst` all at one moment) is moved so
   that it breaches during the run, and bench/sla_load.py streams new posts (on a board whose
   policy wants a first reply within a minute, warning at 30 s) and staff replies through the
   real services for `--duration` seconds;
4. with `--kill-one`, half-way through, the first worker is SIGKILLed inside a sweep that has
   fired events but not committed them (its locks held);
5. the workers go on until everything due during the run has fired (at most a minute), are
   stopped, and the database is read back.

Prints `name: value` lines; see the "SLA sweep" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import select as select_module
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from _db import fresh_database  # noqa: E402  (a sibling module: bench/ is on the path above)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MISSED_GRACE_S = 5.0
DRAIN_TIMEOUT_S = 60.0
GOAL_DELAY_S = 2.0


def line(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """Busy CPU time of the whole machine so far, all cores (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICKS


def database_backends(url: str) -> list[int]:
    """PostgreSQL server processes serving the benchmark's database (none for SQLite)."""
    if url.startswith("sqlite"):
        return []
    from sqlalchemy import create_engine, text

    from fanloop.core.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        engine.dispose()


class CpuWindow:
    """CPU used by groups of processes, and by the whole machine, between two moments."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.machine = (0.0, 0.0)
        self.wall = (0.0, 0.0)

    def sample(self, pids: list[int], *, starting: bool) -> None:
        for pid in pids:
            value = cpu_seconds(pid)
            if value is None:
                continue
            # A process that appeared within the window used all its CPU time in it.
            self.first.setdefault(pid, value if starting else 0.0)
            self.last[pid] = value

    def start(self, pids: list[int]) -> None:
        self.sample(pids, starting=True)
        self.machine = (machine_busy_seconds(), 0.0)
        self.wall = (time.time(), 0.0)

    def end(self, pids: list[int]) -> None:
        self.sample(pids, starting=False)
        self.machine = (self.machine[0], machine_busy_seconds())
        self.wall = (self.wall[0], time.time())

    def percent(self, pids: list[int]) -> float:
        """Share of one core used by these processes over the window, in %."""
        used = sum(self.last.get(pid, 0.0) - self.first.get(pid, 0.0) for pid in pids)
        return 100 * used / max(1e-9, self.wall[1] - self.wall[0])

    def machine_percent(self) -> float:
        return 100 * (self.machine[1] - self.machine[0]) / max(1e-9, self.wall[1] - self.wall[0])


class WorkerProcess:
    def __init__(self, url: str, interval: float, record: Path, log: Path) -> None:
        self.record = record
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(BENCH_DIR / "sla_worker.py"),
                "--database-url",
                url,
                "--interval",
                str(interval),
                "--record",
                str(record),
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.killed = False

    def wait_ready(self, timeout: float = 60) -> None:
        if self.read_line(timeout) != "ready":
            raise RuntimeError("a worker did not start; see its log")

    def read_line(self, timeout: float) -> str | None:
        ready, _, _ = select_module.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        return self.process.stdout.readline().decode().strip()

    def kill_mid_sweep(self, cpu: CpuWindow, timeout: float = 30) -> bool:
        """Arm the stall, wait until a sweep has fired events (uncommitted), SIGKILL there.
        Returns whether the kill landed inside such a sweep (else it is killed wherever it is)."""
        self.process.send_signal(signal.SIGUSR1)
        inside = self.read_line(timeout) == "swept"
        cpu.sample([self.process.pid], starting=False)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.killed = True
        return inside

    def stop(self) -> None:
        if not self.killed and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def passes(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(row) for row in self.record.read_text().splitlines() if row.strip()]


def run(args: argparse.Namespace, url: str, folder: Path) -> None:
    from sla_seed import schedule_due_backlog, seed

    from fanloop.core.migrate import upgrade

    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    line("database", dialect)
    upgrade(url)
    seeded = seed(url, clocks=args.clocks)
    line("clocks_seeded", seeded.clocks)
    line("seed_seconds", f"{seeded.seconds:.1f}")
    line("workers", args.workers)
    line("interval_s", args.interval)
    line("duration_s", args.duration)

    workers: list[WorkerProcess] = []
    load = None
    try:
        for i in range(args.workers):
            workers.append(
                WorkerProcess(url, args.interval, folder / f"worker{i}.jsonl", folder / f"worker{i}.log")
            )
        for worker in workers:
            worker.wait_ready()
        # The load process needs a moment to import and connect: start the run a little ahead.
        run_start = time.time() + 3.0
        burst_at = run_start + args.duration / 3 if args.burst else None
        moved = schedule_due_backlog(
            url,
            start=datetime.fromtimestamp(run_start, UTC),
            seconds=args.duration,
            count=round(args.due_rate * args.duration),
            burst_at=datetime.fromtimestamp(burst_at, UTC) if burst_at else None,
            burst=args.burst,
        )
        line("backlog_due_during_run", moved)
        load_out = folder / "load.json"
        with open(folder / "load.log", "wb") as load_log:
            load = subprocess.Popen(
                [
                    sys.executable,
                    str(BENCH_DIR / "sla_load.py"),
                    "--database-url",
                    url,
                    "--start",
                    str(run_start),
                    "--duration",
                    str(args.duration),
                    "--post-rate",
                    str(args.post_rate),
                    "--backlog-reply-rate",
                    str(args.backlog_reply_rate),
                    "--out",
                    str(load_out),
                ],
                stdout=load_log,
                stderr=subprocess.STDOUT,
            )
        # CPU is counted from just after the start to just before the end of the stream.
        cpu = CpuWindow()
        sleep_until(run_start + 0.5)
        process_ids = [w.process.pid for w in workers] + [load.pid]
        cpu.start(process_ids + database_backends(url))
        if args.kill_one and workers:
            sleep_until(run_start + args.duration / 2)
            inside = workers[0].kill_mid_sweep(cpu)
            line("worker_killed_at_s", f"{time.time() - run_start:.1f}")
            line("worker_killed_inside_sweep", "yes" if inside else "no")
        sleep_until(run_start + args.duration - 0.5)
        backends = database_backends(url)
        cpu.end(process_ids + backends)
        load.wait()
        run_end = run_start + args.duration
        # The workers go on until every warning and breach due before the end has fired (or a
        # minute has passed): lateness shows in the delays, and only what never fires is missed.
        drained = drain(url, datetime.fromtimestamp(run_end, UTC), timeout=DRAIN_TIMEOUT_S)
        line("drain_s", f"{max(0.0, drained - run_end):.1f}")
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.wait()
        for worker in workers:
            worker.stop()
    met = report(args, url, workers, load_out, run_start, run_end, burst_at)
    line("worker_cpu_pct", " ".join(f"{cpu.percent([w.process.pid]):.0f}" for w in workers))
    line("load_cpu_pct", f"{cpu.percent([load.pid]):.0f}")
    if backends:
        line("database_cpu_pct", f"{cpu.percent(list(set(cpu.first) - set(process_ids))):.0f}")
    mine = cpu.percent(list(cpu.first))
    # Everything else the machine ran meanwhile: well above 0, and the run was not alone.
    line("other_cpu_pct", f"{max(0.0, cpu.machine_percent() - mine):.0f}")
    line("goal_met", "yes" if met else "no")


def drain(url: str, until: datetime, *, timeout: float) -> float:
    """Wait until no running clock has a warning or breach due by `until` still to fire; returns
    the time it took until then (wall clock)."""
    from sqlalchemy import func, select

    from fanloop.core.db import Database
    from fanloop.service.sla.models import SlaClock

    db = Database(url)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with db.engine.connect() as connection:
                pending = connection.scalar(
                    select(func.count())
                    .select_from(SlaClock)
                    .where(SlaClock.state == "running", SlaClock.next_event_at <= until)
                )
            if not pending:
                break
            time.sleep(0.2)
    finally:
        db.dispose()
    return time.time()


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def report(
    args: argparse.Namespace,
    url: str,
    workers: list[WorkerProcess],
    load_out: Path,
    run_start: float,
    run_end: float,
    burst_at: float | None,
) -> bool:
    """Print the figures read back from the database and the records; returns whether the goal
    was met (delay p99 within 2 s, nothing duplicated, missed or failed)."""
    from sqlalchemy import func, or_, select

    from fanloop.core.db import Database
    from fanloop.service.sla.models import SlaClock, SlaEvent

    start_at = datetime.fromtimestamp(run_start, UTC)
    cutoff = datetime.fromtimestamp(run_end, UTC)
    grace = timedelta(seconds=MISSED_GRACE_S)
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            fired = connection.execute(
                select(SlaEvent.kind, SlaEvent.due_at, SlaEvent.fired_at, SlaEvent.clock_id).where(
                    SlaEvent.fired_at >= start_at
                )
            ).all()
            duplicated = connection.scalar(
                select(func.count()).select_from(
                    select(SlaEvent.clock_id, SlaEvent.kind)
                    .group_by(SlaEvent.clock_id, SlaEvent.kind)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            have = set(connection.execute(select(SlaEvent.clock_id, SlaEvent.kind)).all())
            candidates = connection.execute(
                select(
                    SlaClock.id, SlaClock.state, SlaClock.warn_at, SlaClock.due_at, SlaClock.stopped_at
                ).where(
                    or_(
                        SlaClock.warn_at.between(start_at, cutoff),
                        SlaClock.due_at.between(start_at, cutoff),
                    )
                )
            ).all()
            open_clocks = connection.scalar(
                select(func.count()).select_from(SlaClock).where(SlaClock.state == "running")
            )
    finally:
        db.dispose()

    # An event is owed when it fell due during the run and the clock was still running 5 s after
    # that (a reply within those seconds may legitimately beat the sweep to it).
    missed = 0
    for clock_id, state, warn_at, due_at, stopped_at in candidates:
        for kind, at in (("warning", warn_at), ("breach", due_at)):
            if not start_at <= at <= cutoff:
                continue
            running = state == "running" or (stopped_at is not None and stopped_at > at + grace)
            if running and (clock_id, kind) not in have:
                missed += 1

    # Burst events (all due at one moment) are reported apart from the steady stream's.
    burst_due = datetime.fromtimestamp(burst_at, UTC) if burst_at else None
    # From due to the start of the sweep that fired it (`fired_at`: the time the sweep read).
    started: dict[str, list[float]] = {"warning": [], "breach": [], "burst": []}
    for kind, due_at, fired_at, _ in fired:
        started["burst" if due_at == burst_due else kind].append((fired_at - due_at).total_seconds())

    records = [(n, p) for n, worker in enumerate(workers) for p in worker.passes() if p["start"] >= run_start]
    passes = [p for _, p in records if p["job"] == "sla_sweep"]
    # A whole pass of the worker's jobs that run with the sweep, one after the other (jobs in a
    # lane of their own run beside it), sets how long until that worker's next sweep.
    sweep_lanes = {(n, p.get("lane", "")) for n, p in records if p["job"] == "sla_sweep"}
    whole: dict[tuple[int, str, int], float] = {}
    for n, p in records:
        key = (n, p.get("lane", ""), p["pass"])
        if key[:2] in sweep_lanes:
            whole[key] = whole.get(key, 0.0) + p["ms"]
    other_failures = sum(1 for _, p in records if p["failed"] and p["job"] != "sla_sweep")
    sweep_ms = [p["ms"] for p in passes]
    wait_ms = [p.get("wait_ms", 0.0) for p in passes]
    work_ms = [p["ms"] - p.get("wait_ms", 0.0) for p in passes]

    def in_burst(due: float) -> bool:
        return burst_at is not None and abs(due - burst_at) < 0.001

    committed_delay = [p["end"] - due for p in passes for due in p["due"] if not in_burst(due)]
    burst_committed = [p["end"] - due for p in passes for due in p["due"] if in_burst(due)]
    failures = sum(1 for p in passes if p["failed"])
    # What fans and staff see: from due to the COMMIT of the sweep that recorded the event (the
    # worker stamps it when the commit returns); before it, nobody can see the event.
    # A sweep that began before the run may have fired some of them: every pass is looked at.
    commits = {
        (clock_id, kind): (p["committed"], due)
        for p in (p for worker in workers for p in worker.passes() if p["job"] == "sla_sweep")
        if p.get("committed") is not None
        for kind, due, clock_id in p.get("events", [])
    }
    delays: dict[str, list[float]] = {"warning": [], "breach": [], "burst": []}
    unstamped = 0  # events in the database with no stamped commit: should be none
    for kind, _, _, clock_id in fired:
        if (clock_id, kind) not in commits:
            unstamped += 1
            continue
        committed, due = commits[(clock_id, kind)]
        delays["burst" if in_burst(due) else kind].append(committed - due)
    every = delays["warning"] + delays["breach"]

    load = json.loads(load_out.read_text()) if load_out.exists() else {}
    line("posts_streamed", load.get("posts", 0))
    line(
        "replies_streamed",
        load.get("replies_to_streamed", 0) + load.get("replies_to_backlog", 0),
    )
    line("load_errors", load.get("errors", 0))
    line("post_ms_p99", f"{percentile(load.get('post_ms', []), 0.99):.1f}")
    line("post_ms_max", f"{max(load.get('post_ms', []), default=0.0):.1f}")
    line("load_late_p99_s", f"{percentile(load.get('late_s', []), 0.99):.2f}")
    line("events_fired", len(started["warning"]) + len(started["breach"]))
    line("warnings_fired", len(started["warning"]))
    line("breaches_fired", len(started["breach"]))
    line("detect_delay_p50_s", f"{percentile(every, 0.50):.2f}")
    line("detect_delay_p99_s", f"{percentile(every, 0.99):.2f}")
    line("warning_detect_delay_p99_s", f"{percentile(delays['warning'], 0.99):.2f}")
    line("breach_detect_delay_p50_s", f"{percentile(delays['breach'], 0.50):.2f}")
    line("breach_detect_delay_p99_s", f"{percentile(delays['breach'], 0.99):.2f}")
    line("detect_delay_max_s", f"{max(every, default=0.0):.2f}")
    line("events_without_commit_stamp", unstamped)
    line("sweep_start_delay_p99_s", f"{percentile(started['warning'] + started['breach'], 0.99):.2f}")
    line("breach_sweep_start_delay_p99_s", f"{percentile(started['breach'], 0.99):.2f}")
    line("committed_delay_p99_s", f"{percentile(committed_delay, 0.99):.2f}")
    if burst_at:
        line("burst_events_fired", len(started["burst"]))
        line("burst_detect_delay_max_s", f"{max(delays['burst'], default=0.0):.2f}")
        line("burst_sweep_start_delay_max_s", f"{max(started['burst'], default=0.0):.2f}")
        line("burst_committed_delay_max_s", f"{max(burst_committed, default=0.0):.2f}")
    line("sweep_passes", len(passes))
    line("sweep_ms_p50", f"{percentile(sweep_ms, 0.50):.1f}")
    line("sweep_ms_p99", f"{percentile(sweep_ms, 0.99):.1f}")
    line("sweep_ms_max", f"{max(sweep_ms, default=0.0):.1f}")
    line("sweep_turn_wait_ms_p99", f"{percentile(wait_ms, 0.99):.1f}")
    line("sweep_work_ms_p50", f"{percentile(work_ms, 0.50):.1f}")
    line("sweep_work_ms_p99", f"{percentile(work_ms, 0.99):.1f}")
    line("events_per_pass_max", max((len(p["due"]) for p in passes), default=0))
    line("sweep_failures", failures)
    line("worker_pass_ms_p99", f"{percentile(list(whole.values()), 0.99):.1f}")
    line("other_job_failures", other_failures)
    line("events_duplicated", duplicated)
    line("events_missed", missed)
    line("open_clocks", open_clocks)
    met = (
        percentile(delays["breach"], 0.99) <= GOAL_DELAY_S
        and percentile(every, 0.99) <= GOAL_DELAY_S
        and duplicated == 0
        and missed == 0
        and failures == 0
        and unstamped == 0
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server to create a fresh database on")
    parser.add_argument("--clocks", type=int, default=100_000, help="open clocks to seed (two per post)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of streamed load")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--interval", type=float, default=0.5, help="worker interval, seconds")
    parser.add_argument("--post-rate", type=float, default=10.0, help="new posts a second")
    parser.add_argument(
        "--backlog-reply-rate", type=float, default=2.0, help="staff replies a second to seeded posts"
    )
    parser.add_argument("--due-rate", type=float, default=20.0, help="seeded clocks breaching a second")
    parser.add_argument(
        "--burst", type=int, default=0, help="seeded clocks breaching all at once, a third of the way in"
    )
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one worker mid-sweep, half-way")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, records)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fanloop-sla-"))
    try:
        with fresh_database(args.database_url, folder) as url:
            run(args, url, folder)
        if args.keep:
            line("files_kept_in", folder)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
