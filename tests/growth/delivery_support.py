"""Shared by the replies-back tests: a channel with an imported post, made directly with the ORM (as
the import would), and a local HTTP server standing in for a channel's webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board
from fanloop.core import clock
from fanloop.growth.models import Channel, ChannelIdentity, Delivery, Mention


class Growth:
    def __init__(self, database, seed, settings) -> None:
        self.database, self.seed, self.settings = database, seed, settings
        seed.board("battery", "Battery")
        self.staff = seed.member("staff", "zhang_min")
        self.fan = seed.member("fan", "li_wei")
        self._mentions = 0

    def channel(
        self, slug: str = "weibo", *, connector: str = "file", config: dict | None = None, active: bool = True
    ) -> int:
        with self.database.unit_of_work(write=True) as session:
            board_id = session.scalar(select(Board.id).where(Board.slug == "battery"))
            channel = Channel(
                slug=slug,
                name=slug.title(),
                kind="social",
                board_id=board_id,
                post_kind="question",
                webhook_secret="whsec_inbound_secret_value",
                connector=connector,
                connector_config=config or {},
                live_window_hours=72,
                is_active=active,
                created_at=clock.now(),
            )
            session.add(channel)
            session.flush()
            return channel.id

    def imported_post(
        self, channel_id: int, *, title: str = "待机掉电严重", handle: str = "weibo_fan"
    ) -> int:
        """A post as the import makes it: by the member standing for the channel author, with a mention."""
        self._mentions += 1
        author = self.seed.member("fan", f"{handle}_{self._mentions}")
        post_id = self.post(author, title=title)
        with self.database.unit_of_work(write=True) as session:
            identity = ChannelIdentity(
                channel_id=channel_id,
                external_id=f"u{self._mentions}",
                handle=f"@{handle}",
                display_name=handle,
                member_id=author.id,
                created_at=clock.now(),
            )
            session.add(identity)
            session.flush()
            session.add(
                Mention(
                    post_id=post_id,
                    channel_id=channel_id,
                    external_id=f"m{self._mentions}",
                    identity_id=identity.id,
                    url=f"https://weibo.example/m{self._mentions}",
                    posted_at=clock.now(),
                    imported_at=clock.now(),
                )
            )
        return post_id

    def post(self, author: Member, *, title: str = "待机掉电严重") -> int:
        with self.database.unit_of_work(write=True) as session:
            return posts.create_post(
                session,
                author=session.get(Member, author.id),
                data=posts.PostInput(board="battery", kind="question", title=title, body="每晚掉电 20%"),
                settings=self.settings,
            ).id

    def reply(self, author: Member, post_id: int, body: str = "Please update to **5.1.3**.", internal=False):
        with self.database.unit_of_work(write=True) as session:
            return posts.add_reply(
                session,
                author=session.get(Member, author.id),
                post_id=post_id,
                body=body,
                settings=self.settings,
                internal=internal,
            ).id

    def deliveries(self) -> list[Delivery]:
        with self.database.unit_of_work() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def delivery(self) -> Delivery:
        [only] = self.deliveries()
        return only


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


class Receiver:
    """A local HTTP server that records every POST and answers with scripted (status, body) pairs."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes]] = []  # consumed one per request; then 200 with an id
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
                    n = len(receiver.requests)
                    code, answer = (
                        receiver.answers.pop(0) if receiver.answers else (200, b'{"id": "s%d"}' % n)
                    )
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):  # the sender timed out and left
                    pass

            def log_message(self, *_args) -> None:
                return None

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, *codes: int) -> None:
        self.answers.extend((code, b"nope") for code in codes)

    def documents(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (docs/connectors.md shows the same)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])
