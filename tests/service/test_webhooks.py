"""Outbound webhooks against a real HTTP server: signed, sent only after commit, retried with backoff,
given up after the last attempt, and each (endpoint, event) delivered once with several dispatchers."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core import clock as clock_module
from fanloop.jobs.worker import run_once
from fanloop.service.notify import webhooks
from fanloop.service.notify.dispatch import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    backoff,
    dispatch_pending,
    fan_out,
)
from fanloop.service.notify.models import OutboxEvent, WebhookDelivery


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # several dispatchers send at once; none may be turned away
    daemon_threads = True


class Receiver:
    """A local HTTP server that records every POST and answers with scripted status codes."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []  # consumed one per request; then 200
        self.on_request: Callable[[], None] | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.on_request:
                    receiver.on_request()
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args) -> None:
                return None

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (docs/notifications.md shows the same)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def hooks(database, seed):
    """hooks.endpoint(url, topics) -> (id, secret), made by an admin through the service."""

    class Hooks:
        admin = seed.member("admin", "hook_admin")

        def endpoint(self, url: str, topics=(), active: bool = True) -> tuple[int, str]:
            with database.unit_of_work() as session:
                actor = session.get(Member, self.admin.id)
                endpoint, secret = webhooks.create_endpoint(
                    session, actor=actor, url=url, topics=list(topics)
                )
                endpoint.active = active
                return endpoint.id, secret

        def deliveries(self) -> list[WebhookDelivery]:
            with database.unit_of_work() as session:
                return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))

    return Hooks()


def test_delivery_is_signed_and_carries_the_event(desk, database, receiver, hooks, clock):
    endpoint_id, secret = hooks.endpoint(receiver.url + "/hook")
    post_id = desk.post(desk.seed.member("fan"), title="Battery drains overnight")

    assert dispatch_pending(database) == 1

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hook"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Fanloop-Event"] == "post.created"
    assert verify(secret, headers["X-Fanloop-Signature"], body)
    assert not verify("whsec_wrong", headers["X-Fanloop-Signature"], body)
    assert headers["X-Fanloop-Signature"].startswith(f"t={int(clock.now().timestamp())},v1=")
    document = json.loads(body)
    assert document["topic"] == "post.created"
    assert document["created_at"] == clock.now().isoformat()
    assert document["data"]["post"]["id"] == post_id
    assert document["data"]["post"]["title"] == "Battery drains overnight"
    [delivery] = hooks.deliveries()
    assert headers["X-Fanloop-Delivery"] == str(delivery.id)
    assert document["id"] == delivery.event_id
    assert (delivery.endpoint_id, delivery.status, delivery.attempts) == (endpoint_id, "delivered", 1)
    assert delivery.last_status_code == 200 and delivery.delivered_at == clock.now()
    assert dispatch_pending(database) == 0 and len(receiver.requests) == 1


def test_topics_choose_what_an_endpoint_gets_and_paused_endpoints_get_nothing(
    desk, database, receiver, hooks
):
    hooks.endpoint(receiver.url + "/all")
    hooks.endpoint(receiver.url + "/replies", topics=["reply.created"])
    hooks.endpoint(receiver.url + "/paused", active=False)
    fan, staff = desk.seed.member("fan"), desk.staff("zhang_min")
    post_id = desk.post(fan)
    desk.reply(staff, post_id)
    desk.reply(staff, post_id, body="Internal: looks like 5.1.2", internal=True)

    dispatch_pending(database)

    received = sorted((r["path"], r["headers"]["X-Fanloop-Event"]) for r in receiver.requests)
    assert received == [("/all", "post.created"), ("/all", "reply.created"), ("/replies", "reply.created")]
    bodies = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/replies"]
    assert bodies[0]["data"]["reply"]["is_staff"] is True


def test_a_500_is_retried_with_backoff_and_then_delivered(desk, database, receiver, hooks, clock):
    hooks.endpoint(receiver.url)
    receiver.answers = [500]
    desk.post(desk.seed.member("fan"))

    dispatch_pending(database)
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at == clock.now() + backoff(1)

    dispatch_pending(database)  # not due yet
    clock.advance(seconds=29)
    dispatch_pending(database)
    assert len(receiver.requests) == 1

    clock.advance(seconds=1)
    dispatch_pending(database)
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.last_error == "" and delivery.next_attempt_at is None
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same event, signed afresh
    assert first["headers"]["X-Fanloop-Delivery"] == second["headers"]["X-Fanloop-Delivery"]


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == BACKOFF_CAP


def test_after_the_last_attempt_the_delivery_fails_for_good(desk, database, receiver, hooks, clock):
    hooks.endpoint(receiver.url)
    receiver.answers = [503] * 50
    desk.post(desk.seed.member("fan"))

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert dispatch_pending(database) == 1
        clock.advance(seconds=backoff(attempt).total_seconds())
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", MAX_ATTEMPTS, 503)
    assert delivery.next_attempt_at is None

    clock.advance(days=2)
    assert dispatch_pending(database) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_an_unreachable_endpoint_is_logged_as_an_error(desk, database, hooks):
    hooks.endpoint(closed_port_url())
    desk.post(desk.seed.member("fan"))
    dispatch_pending(database)
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "refused" in delivery.last_error.lower()


def test_a_redirect_is_an_answer_not_a_delivery(desk, database, receiver, hooks):
    hooks.endpoint(receiver.url)
    receiver.answers = [302]
    desk.post(desk.seed.member("fan"))
    dispatch_pending(database)
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert len(receiver.requests) == 1


def test_nothing_is_sent_for_a_transaction_that_rolled_back(desk, database, receiver, hooks, settings):
    hooks.endpoint(receiver.url)
    fan = desk.seed.member("fan")
    with pytest.raises(RuntimeError), database.unit_of_work(write=True) as session:
        posts.create_post(
            session,
            author=session.get(Member, fan.id),
            data=posts.PostInput(board="battery", kind="bug", title="Never saved", body="..."),
            settings=settings,
        )
        raise RuntimeError("the request failed after publishing")

    assert dispatch_pending(database) == 0
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    assert receiver.requests == [] and hooks.deliveries() == []


def test_a_repeated_fan_out_never_duplicates_a_delivery(desk, database, hooks, receiver):
    endpoint_id, _ = hooks.endpoint(receiver.url)
    desk.post(desk.seed.member("fan"))
    with database.unit_of_work(write=True) as session:
        fan_out(session)
    with database.unit_of_work(write=True) as session:  # as if the first commit were lost and retried
        session.execute(update(OutboxEvent).values(dispatched_at=None))
        assert fan_out(session) == 1
    [delivery] = hooks.deliveries()

    with pytest.raises(IntegrityError), database.unit_of_work(write=True) as session:
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=delivery.event_id,
                topic="post.created",
                created_at=clock_module.now(),
            )
        )
    dispatch_pending(database)
    assert len(receiver.requests) == 1


def test_a_ping_goes_to_its_endpoint_only(database, receiver, hooks):
    first, _ = hooks.endpoint(receiver.url + "/first")
    hooks.endpoint(receiver.url + "/second")
    with database.unit_of_work() as session:
        webhooks.queue_ping(session, actor=session.get(Member, hooks.admin.id), endpoint_id=first)
    dispatch_pending(database)
    assert [(r["path"], r["headers"]["X-Fanloop-Event"]) for r in receiver.requests] == [("/first", "ping")]


def test_the_worker_pass_sends_webhooks(desk, database, receiver, hooks):
    hooks.endpoint(receiver.url)
    desk.post(desk.seed.member("fan"))
    run_once(database)
    assert [r["headers"]["X-Fanloop-Event"] for r in receiver.requests] == ["post.created"]


def test_no_transaction_is_open_while_the_endpoint_answers(desk, database, receiver, hooks):
    """The receiver writes to the database while answering; were the dispatcher holding a write
    transaction (on SQLite, the one write lock), that write would wait until the request timed out."""
    hooks.endpoint(receiver.url)
    fan = desk.seed.member("fan")
    desk.post(fan)
    waited: list[float] = []

    def write_while_answering() -> None:
        started = time.monotonic()
        with database.unit_of_work(write=True) as session:
            session.execute(update(Member).where(Member.id == fan.id).values(bio="written meanwhile"))
        waited.append(time.monotonic() - started)

    receiver.on_request = write_while_answering
    dispatch_pending(database)
    assert len(waited) == 1 and waited[0] < 1.0
    assert hooks.deliveries()[0].status == "delivered"


def test_two_dispatchers_at_once_deliver_each_endpoint_event_pair_once(desk, database, receiver, hooks):
    for path in ("/a", "/b", "/c"):
        hooks.endpoint(receiver.url + path)
    fan = desk.seed.member("fan")
    for i in range(25):
        desk.post(fan, title=f"问题 {i}")
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def dispatcher() -> None:
        try:
            barrier.wait()
            idle = 0
            while idle < 3:
                idle = idle + 1 if dispatch_pending(database) == 0 else 0
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    deliveries = hooks.deliveries()
    assert len(deliveries) == 75
    assert [d.last_error for d in deliveries if d.status != "delivered"] == []
    assert {d.attempts for d in deliveries} == {1}
    pairs = Counter((r["path"], json.loads(r["body"])["id"]) for r in receiver.requests)
    assert len(pairs) == 75 and set(pairs.values()) == {1}
