"""Replies back: which replies are queued for their channel, and the worker job that sends them with
a lease, retries with backoff, gives up, and lets staff retry."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from delivery_support import Growth, Receiver, verify
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.errors import Conflict, Forbidden, NotFound
from fanloop.growth.channels import connectors
from fanloop.growth.channels.connectors import DeliveryFailed, DeliveryReceipt
from fanloop.growth.channels.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    claim_due,
    deliver_pending,
    deliveries_for_post,
    record,
    retry_delay,
    retry_delivery,
    send_all,
)
from fanloop.growth.models import Channel, Delivery
from fanloop.jobs.worker import OwnTransactions, default_jobs, run_once


@pytest.fixture
def growth(database, seed, settings, clock) -> Growth:
    return Growth(database, seed, settings)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _webhook_channel(growth: Growth, receiver: Receiver, secret: str = "s3cret-value") -> int:
    return growth.channel(connector="webhook", config={"url": receiver.url + "/replies", "secret": secret})


# --------------------------------------------------------------------------- what is queued


def test_a_staff_reply_to_an_imported_post_queues_exactly_one_delivery(growth, clock):
    channel_id = growth.channel()
    post_id = growth.imported_post(channel_id)
    reply_id = growth.reply(growth.staff, post_id)

    delivery = growth.delivery()
    assert (delivery.reply_id, delivery.post_id, delivery.channel_id) == (reply_id, post_id, channel_id)
    assert (delivery.connector, delivery.state, delivery.attempts) == ("file", "queued", 0)
    assert delivery.next_attempt_at == clock.now() and delivery.delivered_at is None


def test_fans_internal_notes_forum_posts_and_channels_without_a_connector_queue_nothing(growth):
    mention_post = growth.imported_post(growth.channel())
    growth.reply(growth.fan, mention_post, "Same here")
    growth.reply(growth.staff, mention_post, "Internal: known issue", internal=True)
    growth.reply(growth.staff, growth.post(growth.fan))  # a forum post, not imported
    growth.reply(growth.staff, growth.imported_post(growth.channel("appstore", connector="none")))
    growth.reply(growth.staff, growth.imported_post(growth.channel("paused", active=False)))
    assert growth.deliveries() == []


def test_a_rolled_back_reply_queues_nothing(growth, database, settings):
    post_id = growth.imported_post(growth.channel())
    with pytest.raises(RuntimeError), database.unit_of_work(write=True) as session:
        posts.add_reply(
            session, author=session.get(Member, growth.staff.id), post_id=post_id, body="x", settings=settings
        )
        raise RuntimeError("the request failed after replying")
    assert growth.deliveries() == []


# --------------------------------------------------------------------------- the file connector


def test_the_file_connector_appends_the_reply_as_a_json_line_and_it_counts_as_delivered(
    growth, database, clock, tmp_path
):
    path = tmp_path / "replies.jsonl"
    post_id = growth.imported_post(growth.channel(config={"path": str(path)}), handle="weibo_fan")
    reply_id = growth.reply(growth.staff, post_id, "Please update to **5.1.3**: [notes](https://x.test/n)")

    assert deliver_pending(database) == 1

    [line] = path.read_text().splitlines()
    document = json.loads(line)
    delivery = growth.delivery()
    assert document == {
        "delivery_id": delivery.id,
        "reply_id": reply_id,
        "post_id": post_id,
        "channel_slug": "weibo",
        "channel_kind": "social",
        "mention_external_id": "m1",
        "mention_url": "https://weibo.example/m1",
        "author_external_id": "u1",
        "author_handle": "@weibo_fan",
        "text": "Please update to 5.1.3: notes (https://x.test/n)",
        "staff_name": "Zhang Min",
        "replied_at": clock.now().isoformat(),
    }
    assert (delivery.state, delivery.attempts, delivery.delivered_at) == ("delivered", 1, clock.now())
    assert delivery.lease_until is None and delivery.next_attempt_at is None and delivery.last_error == ""
    assert deliver_pending(database) == 0 and len(path.read_text().splitlines()) == 1


def test_a_file_connector_whose_directory_is_gone_gives_up_at_once(growth, database, tmp_path):
    growth.reply(
        growth.staff, growth.imported_post(growth.channel(config={"path": str(tmp_path / "no/r.jsonl")}))
    )
    deliver_pending(database)
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts) == ("dead", 1)
    assert "configuration is not valid" in delivery.last_error and "does not exist" in delivery.last_error


# --------------------------------------------------------------------------- the webhook connector


def test_the_webhook_connector_posts_the_reply_signed_and_keeps_the_channel_id(
    growth, database, receiver, clock
):
    post_id = growth.imported_post(_webhook_channel(growth, receiver))
    growth.reply(growth.staff, post_id)

    assert deliver_pending(database) == 1

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/replies" and headers["Content-Type"] == "application/json"
    assert verify("s3cret-value", headers["X-Fanloop-Signature"], body)
    assert not verify("wrong", headers["X-Fanloop-Signature"], body)
    assert headers["X-Fanloop-Signature"].startswith(f"t={int(clock.now().timestamp())},v1=")
    delivery = growth.delivery()
    assert headers["X-Fanloop-Event"] == "channel.reply"
    assert headers["X-Fanloop-Delivery"] == str(delivery.id)
    assert json.loads(body)["text"] == "Please update to 5.1.3."
    assert (delivery.state, delivery.external_id) == ("delivered", "s1")


def test_a_500_is_retried_with_backoff_and_then_delivered(growth, database, receiver, clock):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    receiver.fail(500)

    deliver_pending(database)
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "HTTP 500: nope"
    assert delivery.next_attempt_at == clock.now() + timedelta(minutes=1) and delivery.lease_until is None

    clock.advance(seconds=59)
    assert deliver_pending(database) == 0
    clock.advance(seconds=1)
    assert deliver_pending(database) == 1
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["X-Fanloop-Delivery"] == second["headers"]["X-Fanloop-Delivery"]


def test_the_retry_schedule():
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
        None,
    ]


def test_after_the_last_attempt_the_delivery_is_dead(growth, database, receiver, clock):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    receiver.fail(*[503] * 20)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_pending(database) == 1
        if attempt < MAX_ATTEMPTS:
            assert growth.delivery().state == "failed"
            clock.advance(seconds=retry_delay(attempt).total_seconds())
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("dead", MAX_ATTEMPTS, None)

    clock.advance(days=3)
    assert deliver_pending(database) == 0 and len(receiver.requests) == MAX_ATTEMPTS


@pytest.mark.parametrize("code, state", [(400, "dead"), (404, "dead"), (408, "failed"), (429, "failed")])
def test_a_4xx_refusal_is_not_retried_but_408_and_429_are(growth, database, receiver, code, state):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    receiver.fail(code)
    deliver_pending(database)
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts) == (state, 1)
    assert delivery.last_error.startswith(f"HTTP {code}")


def test_an_unreachable_channel_is_retried(growth, database):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    growth.reply(
        growth.staff,
        growth.imported_post(
            growth.channel(connector="webhook", config={"url": f"http://127.0.0.1:{port}/"})
        ),
    )
    deliver_pending(database)
    delivery = growth.delivery()
    assert delivery.state == "failed" and "refused" in delivery.last_error.lower()


def test_no_transaction_is_open_while_the_connector_works(growth, database, receiver):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    waited: list[float] = []

    def write_while_answering() -> None:
        started = time.monotonic()
        with database.unit_of_work(write=True) as session:
            session.execute(update(Member).where(Member.id == growth.fan.id).values(bio="meanwhile"))
        waited.append(time.monotonic() - started)

    receiver.on_request = write_while_answering
    deliver_pending(database)
    assert len(waited) == 1 and waited[0] < 1.0
    assert growth.delivery().state == "delivered"


# --------------------------------------------------------------------------- leases


def test_a_claimed_delivery_is_not_sent_by_another_worker_until_its_lease_expires(
    growth, database, receiver, clock
):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    with database.unit_of_work(write=True) as session:  # worker A claims, then stalls
        claims = claim_due(session)
    assert [growth.delivery().state] == ["sending"]

    assert deliver_pending(database) == 0  # worker B: nothing is due
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert deliver_pending(database) == 0
    assert receiver.requests == []

    clock.advance(seconds=1)  # A's lease ran out: B takes the delivery over
    assert deliver_pending(database) == 1
    outcomes = send_all(claims)  # A wakes up and sends too (a receiver sees the same delivery id)...
    with database.unit_of_work(write=True) as session:
        record(session, outcomes)  # ...but its answer is not recorded: it lost the lease
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    ids = {r["headers"]["X-Fanloop-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.id)}


def test_two_workers_at_once_deliver_each_reply_once(growth, database, receiver):
    channel_id = _webhook_channel(growth, receiver)
    for i in range(6):
        post_id = growth.imported_post(channel_id, title=f"问题 {i}")
        for n in range(4):
            growth.reply(growth.staff, post_id, f"Answer {n}")
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            idle = 0
            while idle < 3:
                idle = idle + 1 if deliver_pending(database) == 0 else 0
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    deliveries = growth.deliveries()
    assert len(deliveries) == 24 and {(d.state, d.attempts) for d in deliveries} == {("delivered", 1)}
    sent = Counter(json.loads(r["body"])["reply_id"] for r in receiver.requests)
    assert len(sent) == 24 and set(sent.values()) == {1}


# --------------------------------------------------------------------------- the worker, plugins, secrets


def test_the_worker_runs_deliveries_in_the_io_lane(growth, database, tmp_path):
    [job] = [job for name, job in default_jobs() if name == "channel_deliveries"]
    assert isinstance(job, OwnTransactions) and job.lane == "io" and job.run is deliver_pending
    path = tmp_path / "out.jsonl"
    growth.reply(growth.staff, growth.imported_post(growth.channel(config={"path": str(path)})))
    run_once(database)
    assert growth.delivery().state == "delivered" and path.exists()


class _Leaky:
    """A third-party connector whose error message repeats its credentials."""

    name = "leaky"

    def validate_config(self, config: dict) -> dict:
        return config

    def deliver(self, message, config):  # noqa: ANN001, ANN201
        raise DeliveryFailed(f"token {config['api_token']} refused by the channel", retryable=False)


def test_an_installed_connector_is_used_and_its_secrets_never_reach_the_page_or_the_log(
    growth, database, monkeypatch, caplog
):
    monkeypatch.setattr(connectors, "installed", lambda: {"leaky": _Leaky()})
    growth.reply(
        growth.staff,
        growth.imported_post(growth.channel(connector="leaky", config={"api_token": "tok_very_secret"})),
    )
    with caplog.at_level(logging.DEBUG):
        deliver_pending(database)
    delivery = growth.delivery()
    assert (delivery.state, delivery.connector) == ("dead", "leaky")
    assert delivery.last_error == "token [redacted] refused by the channel"
    assert "tok_very_secret" not in caplog.text and "whsec_inbound" not in caplog.text


def test_an_uninstalled_connector_is_retried_later(growth, database):
    growth.reply(growth.staff, growth.imported_post(growth.channel(connector="gone")))
    deliver_pending(database)
    delivery = growth.delivery()
    assert delivery.state == "failed" and "no connector 'gone'" in delivery.last_error


def test_a_connector_that_crashes_is_retried_later(growth, database, monkeypatch):
    class Crashing(_Leaky):
        def deliver(self, message, config):  # noqa: ANN001, ANN201
            raise KeyError("boom")

    monkeypatch.setattr(connectors, "installed", lambda: {"crashing": Crashing()})
    growth.reply(growth.staff, growth.imported_post(growth.channel(connector="crashing")))
    deliver_pending(database)
    delivery = growth.delivery()
    assert delivery.state == "failed" and delivery.last_error == "KeyError: 'boom'"


def test_a_plugin_receipt_id_is_kept(growth, database, monkeypatch):
    class Posting(_Leaky):
        def deliver(self, message, config):  # noqa: ANN001, ANN201
            return DeliveryReceipt(external_id=f"status-{message.reply_id}")

    monkeypatch.setattr(connectors, "installed", lambda: {"posting": Posting()})
    reply_id = growth.reply(growth.staff, growth.imported_post(growth.channel(connector="posting")))
    deliver_pending(database)
    assert growth.delivery().external_id == f"status-{reply_id}"


def test_a_reply_deleted_before_it_went_out_is_not_sent(growth, database, receiver):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    with database.unit_of_work(write=True) as session:
        reply_id = growth.delivery().reply_id
        posts.moderate_reply(
            session, actor=session.get(Member, growth.staff.id), reply_id=reply_id, action="hide"
        )
    deliver_pending(database)
    delivery = growth.delivery()
    assert delivery.state == "dead" and "deleted or hidden" in delivery.last_error
    assert receiver.requests == []


def test_a_paused_channel_keeps_its_deliveries_waiting(growth, database, tmp_path):
    channel_id = growth.channel(config={"path": str(tmp_path / "r.jsonl")})
    growth.reply(growth.staff, growth.imported_post(channel_id))
    with database.unit_of_work(write=True) as session:
        session.execute(update(Channel).where(Channel.id == channel_id).values(is_active=False))
    assert deliver_pending(database) == 0 and growth.delivery().state == "queued"
    with database.unit_of_work(write=True) as session:
        session.execute(update(Channel).where(Channel.id == channel_id).values(is_active=True))
    assert deliver_pending(database) == 1 and growth.delivery().state == "delivered"


# --------------------------------------------------------------------------- staff


def test_staff_see_the_deliveries_of_a_post_and_fans_do_not(growth, database):
    post_id = growth.imported_post(growth.channel())
    reply_id = growth.reply(growth.staff, post_id)
    with database.unit_of_work() as session:
        [status] = deliveries_for_post(session, viewer=session.get(Member, growth.staff.id), post_id=post_id)
        assert (status.reply_id, status.channel_name, status.state, status.may_retry) == (
            reply_id,
            "Weibo",
            "queued",
            False,
        )
        with pytest.raises(Forbidden):
            deliveries_for_post(session, viewer=session.get(Member, growth.fan.id), post_id=post_id)
        with pytest.raises(NotFound):
            deliveries_for_post(session, viewer=session.get(Member, growth.staff.id), post_id=2**40)


def test_staff_retry_a_dead_delivery_now_and_fans_may_not(growth, database, receiver, clock):
    growth.reply(growth.staff, growth.imported_post(_webhook_channel(growth, receiver)))
    receiver.fail(400)
    deliver_pending(database)
    delivery_id = growth.delivery().id
    clock.advance(minutes=10)

    with database.unit_of_work(write=True) as session:
        with pytest.raises(Forbidden):
            retry_delivery(session, actor=session.get(Member, growth.fan.id), delivery_id=delivery_id)
        with pytest.raises(NotFound):
            retry_delivery(session, actor=session.get(Member, growth.staff.id), delivery_id=2**31)
        status = retry_delivery(session, actor=session.get(Member, growth.staff.id), delivery_id=delivery_id)
    assert (status.state, status.next_attempt_at) == ("queued", clock.now())

    assert deliver_pending(database) == 1
    delivery = growth.delivery()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    with pytest.raises(Conflict), database.unit_of_work(write=True) as session:
        retry_delivery(session, actor=session.get(Member, growth.staff.id), delivery_id=delivery_id)


def test_the_reply_id_is_unique(growth, database):
    growth.reply(growth.staff, growth.imported_post(growth.channel()))
    existing = growth.delivery()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), database.unit_of_work(write=True) as session:
        session.add(
            Delivery(
                reply_id=existing.reply_id,
                post_id=existing.post_id,
                channel_id=existing.channel_id,
                connector="file",
                created_at=existing.created_at,
            )
        )
