"""No request fails because another one wrote: 32 clients against a real server process (the
default install: uvicorn, one web process, the embedded worker) mixing reads and writes, on SQLite,
and on PostgreSQL when the suite runs there. Afterwards every acknowledged write is in the
database and every counter equals the rows it counts, also after the server is killed with
SIGKILL in the middle of the load and started again.

Needs no server of its own beyond the test database; runs about 60 s per database
(FANLOOP_LOAD_SECONDS changes it)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import text

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts

LOAD_SECONDS = float(os.environ.get("FANLOOP_LOAD_SECONDS", "60"))
CLIENTS = 32
STAFF_CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`uvicorn fanloop.asgi:app` in a process of its own, as `fanloop serve` runs it."""

    def __init__(self, database_url: str, data_dir) -> None:  # noqa: ANN001
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FANLOOP_DATABASE_URL": database_url,
            "FANLOOP_ENVIRONMENT": "test",
            "FANLOOP_DATA_DIR": str(data_dir),
            "FANLOOP_WORKER": "embedded",
            "FANLOOP_TEXT_MODEL": "tfidf",
            "FANLOOP_POST_RATE_LIMIT": "100000",
            "FANLOOP_REPLY_RATE_LIMIT": "100000",
            "FANLOOP_REMINE_HOUR": "-1",
        }
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "fanloop.asgi:app", "--port", str(self.port)]
        command += ["--log-level", "warning", "--no-access-log"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Tally:
    """What the clients saw: status codes, and the writes the server acknowledged."""

    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    posts: set[int] = field(default_factory=set)
    replies: set[int] = field(default_factory=set)
    # (member id, post id) -> voted, as the last acknowledged vote request of that member left it
    votes: dict[tuple[int, int], bool] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response, what: str) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.errors.append(f"{what}: {response.status_code} {response.text[:300]}")


def _client_loop(server: Server, token: str, member_id: int, staff: bool, targets: list[int], tally, stop):
    rng = random.Random(member_id)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        n = 0
        while not stop.is_set():
            n += 1
            post_id = rng.choice(targets[-40:])
            roll = rng.random()
            try:
                if roll < 0.15:
                    response = http.get("/api/v1/me")
                    tally.record(response, "me")
                elif roll < 0.28:
                    response = http.get("/api/v1/posts", params={"sort": "new", "limit": 20})
                    tally.record(response, "list")
                elif roll < 0.36:
                    response = http.get(f"/api/v1/posts/{post_id}/replies")
                    tally.record(response, "replies")
                elif roll < 0.50:
                    response = http.post(
                        "/api/v1/posts",
                        json={
                            "board": "battery",
                            "kind": rng.choice(["bug", "question", "complaint", "suggestion"]),
                            "title": f"Battery drains overnight {member_id}-{n}",
                            "body": "Since the update the phone loses 20% every night.",
                        },
                    )
                    tally.record(response, "create")
                    if response.status_code == 201:
                        with tally.lock:
                            tally.posts.add(response.json()["id"])
                            targets.append(response.json()["id"])
                elif roll < 0.66:
                    response = http.post(f"/api/v1/posts/{post_id}/replies", json={"body": f"Same here {n}"})
                    tally.record(response, "reply")
                    if response.status_code == 201:
                        with tally.lock:
                            tally.replies.add(response.json()["id"])
                elif roll < 0.84:
                    voted = rng.random() < 0.6
                    response = (http.put if voted else http.delete)(f"/api/v1/posts/{post_id}/vote")
                    tally.record(response, "vote")
                    if response.status_code == 200:
                        with tally.lock:
                            tally.votes[(member_id, post_id)] = voted
                elif roll < 0.92:
                    response = (http.put if rng.random() < 0.6 else http.delete)(
                        f"/api/v1/posts/{post_id}/follow"
                    )
                    tally.record(response, "follow")
                elif staff:
                    response = http.get("/api/v1/inbox")
                    tally.record(response, "inbox")
                else:
                    response = http.get("/api/v1/notifications")
                    tally.record(response, "notifications")
            except httpx.HTTPError as error:  # the server was killed: not a server error
                with tally.lock:
                    tally.statuses[type(error).__name__] += 1
                if stop.is_set():
                    return
                time.sleep(0.05)


def _run_load(server: Server, credentials, targets, seconds: float, kill_after: float | None = None) -> Tally:
    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(server, token, member_id, index < STAFF_CLIENTS, targets, tally, stop),
            daemon=True,
        )
        for index, (member_id, token) in enumerate(credentials)
    ]
    for thread in threads:
        thread.start()
    if kill_after is not None:
        time.sleep(kill_after)
        server.kill()
        time.sleep(seconds - kill_after)
    else:
        time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return tally


def _check_database(database, tally: Tally, *, votes_exact: bool) -> None:
    with database.engine.connect() as connection:
        stored_posts = {row[0] for row in connection.execute(text("SELECT id FROM posts"))}
        stored_replies = {row[0] for row in connection.execute(text("SELECT id FROM replies"))}
        assert tally.posts <= stored_posts, (
            f"acknowledged posts missing: {sorted(tally.posts - stored_posts)[:10]}"
        )
        assert tally.replies <= stored_replies, "acknowledged replies missing"
        wrong = connection.execute(
            text(
                """
                SELECT p.id, p.reply_count, p.vote_count, p.follower_count,
                  (SELECT count(*) FROM replies r WHERE r.post_id = p.id AND r.deleted_at IS NULL
                     AND r.is_internal = :no),
                  (SELECT count(*) FROM votes v WHERE v.post_id = p.id),
                  (SELECT count(*) FROM follows f WHERE f.post_id = p.id)
                FROM posts p
                """
            ),
            {"no": False},
        ).all()
        bad = [row for row in wrong if (row[1], row[2], row[3]) != (row[4], row[5], row[6])]
        assert not bad, f"{len(bad)} posts whose counters differ from their rows, e.g. {bad[:5]}"
        if votes_exact:
            voted = {tuple(row) for row in connection.execute(text("SELECT member_id, post_id FROM votes"))}
            for key, state in tally.votes.items():
                assert (key in voted) == state, f"vote {key} should be {state}"


@pytest.fixture
def load_setup(database, database_url, seed, settings, tmp_path):
    seed.board("battery", "Battery")
    credentials, targets = [], []
    for index in range(CLIENTS):
        member = seed.member("staff" if index < STAFF_CLIENTS else "fan", f"load_{index}")
        credentials.append((member.id, seed.token(member)))
    author = seed.member("fan", "load_author")
    with database.unit_of_work(write=True) as session:
        for n in range(20):
            post = posts.create_post(
                session,
                author=session.get(Member, author.id),
                data=posts.PostInput(board="battery", kind="bug", title=f"Seeded {n}", body="Drains."),
                settings=settings,
            )
            targets.append(post.id)
    server = Server(database_url, tmp_path)
    server.start()
    yield server, credentials, targets
    server.stop()


@pytest.mark.load
def test_32_clients_mixing_reads_and_writes_get_no_server_error(load_setup, database):
    server, credentials, targets = load_setup
    tally = _run_load(server, credentials, targets, LOAD_SECONDS)
    assert not tally.errors, f"{len(tally.errors)} server errors, e.g. {tally.errors[:3]}"
    writes = sum(tally.statuses[code] for code in (200, 201))
    assert writes > 500 and tally.posts and tally.replies and tally.votes, tally.statuses
    _check_database(database, tally, votes_exact=True)


@pytest.mark.load
def test_counters_hold_after_the_server_is_killed_mid_load(load_setup, database):
    server, credentials, targets = load_setup
    tally = _run_load(
        server, credentials, targets, seconds=min(LOAD_SECONDS, 20), kill_after=min(LOAD_SECONDS, 20) / 2
    )
    assert not tally.errors, f"{len(tally.errors)} server errors, e.g. {tally.errors[:3]}"
    assert tally.posts and tally.replies
    _check_database(database, tally, votes_exact=False)
    server.start()  # and it comes back on the same database
    assert httpx.get(f"{server.url}/api/v1/posts", timeout=30).status_code == 200
