"""The connector extension point: the built-in file and webhook connectors, their configuration, the
registry and connectors of installed packages, and the plain text a channel gets."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from delivery_support import Receiver, verify

from fanloop.core.errors import Invalid
from fanloop.growth.channels import connectors
from fanloop.growth.channels.connectors import (
    Connector,
    DeliveryFailed,
    FileConnector,
    OutboundReply,
    WebhookConnector,
    connector_names,
    get_connector,
    shorten,
    validate_connector,
)
from fanloop.growth.channels.delivery import plain_text

MESSAGE = OutboundReply(
    delivery_id=7,
    reply_id=42,
    post_id=3,
    channel_slug="weibo",
    channel_kind="social",
    mention_external_id="m1",
    mention_url="https://weibo.example/m1",
    author_external_id="u1",
    author_handle="@fan",
    text="请升级到 5.1.3",
    staff_name="Zhang Min",
    replied_at="2026-03-10T13:40:00+00:00",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    connectors.forget_installed()
    yield
    connectors.forget_installed()


# --------------------------------------------------------------------------- file


def test_the_file_connector_checks_its_path():
    file = get_connector("file")
    with pytest.raises(Invalid, match="needs the setting 'path'"):
        file.validate_config({})
    with pytest.raises(Invalid, match="absolute path"):
        file.validate_config({"path": "replies.jsonl"})
    with pytest.raises(Invalid, match="does not exist"):
        file.validate_config({"path": "/no/such/dir/replies.jsonl"})
    with pytest.raises(Invalid, match="is a directory"):
        file.validate_config({"path": "/tmp"})
    with pytest.raises(Invalid, match="JSON object"):
        validate_connector("file", ["/tmp/x"])


def test_the_file_connector_appends_one_synced_line_per_reply(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    file = FileConnector()
    config = file.validate_config({"path": str(tmp_path / "replies.jsonl")})
    assert config == {"path": str(tmp_path / "replies.jsonl")}

    file.deliver(MESSAGE, config)
    file.deliver(MESSAGE, config)

    lines = (tmp_path / "replies.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [MESSAGE.as_dict()] * 2
    assert "请升级" in lines[0]  # UTF-8, not \u escapes
    assert len(synced) == 2


def test_a_file_that_cannot_be_written_is_a_retryable_failure(tmp_path):
    directory = tmp_path / "gone"
    directory.mkdir()
    config = FileConnector().validate_config({"path": str(directory / "r.jsonl")})
    directory.rmdir()
    with pytest.raises(DeliveryFailed) as failed:
        FileConnector().deliver(MESSAGE, config)
    assert failed.value.retryable and "Could not write the file" in failed.value.reason


# --------------------------------------------------------------------------- webhook


@pytest.mark.parametrize(
    "config, message",
    [
        ({}, "needs the setting 'url'"),
        ({"url": "ftp://example.test/x"}, "http:// or https://"),
        ({"url": "https://"}, "http:// or https://"),
        ({"url": "https://example.test:99999/"}, "not valid"),
        ({"url": "https://example.test/", "secret": 5}, "must be text"),
        ({"url": "https://example.test/", "timeout": 0}, "between 1 and 30"),
        ({"url": "https://example.test/", "timeout": "10"}, "number of seconds"),
    ],
)
def test_the_webhook_connector_refuses_a_bad_configuration(config, message):
    with pytest.raises(Invalid, match=message) as refused:
        WebhookConnector().validate_config(config)
    assert refused.value.field == "connector_config"


def test_the_webhook_configuration_is_cleaned():
    assert WebhookConnector().validate_config({"url": " https://example.test/r ", "timeout": 5}) == {
        "url": "https://example.test/r",
        "secret": "",
        "timeout": 5.0,
    }


def test_the_webhook_connector_signs_with_the_secret_and_reads_the_id(receiver):
    webhook = WebhookConnector()
    config = webhook.validate_config({"url": receiver.url + "/r", "secret": "s3cret-value"})
    receiver.answers = [(201, b'{"id": 98765, "ok": true}')]
    receipt = webhook.deliver(MESSAGE, config)
    assert receipt.external_id == "98765"
    [request] = receiver.requests
    assert verify("s3cret-value", request["headers"]["X-Fanloop-Signature"], request["body"])
    assert json.loads(request["body"]) == MESSAGE.as_dict()
    assert request["headers"]["X-Fanloop-Delivery"] == "7"


def test_without_a_secret_nothing_is_signed_and_an_answer_without_id_is_fine(receiver):
    webhook = WebhookConnector()
    receiver.answers = [(204, b"")]
    assert webhook.deliver(MESSAGE, webhook.validate_config({"url": receiver.url})).external_id == ""
    assert "X-Fanloop-Signature" not in receiver.requests[0]["headers"]
    receiver.answers = [(200, b"not json")]
    assert webhook.deliver(MESSAGE, webhook.validate_config({"url": receiver.url})).external_id == ""


@pytest.mark.parametrize(
    "code, retryable",
    [(500, True), (503, True), (408, True), (429, True), (400, False), (401, False), (302, False)],
)
def test_which_answers_are_worth_another_try(receiver, code, retryable):
    receiver.fail(code)
    webhook = WebhookConnector()
    with pytest.raises(DeliveryFailed) as failed:
        webhook.deliver(MESSAGE, webhook.validate_config({"url": receiver.url, "secret": "s3cret-value"}))
    assert failed.value.retryable is retryable
    assert failed.value.reason.startswith(f"HTTP {code}") and "s3cret" not in failed.value.reason


def test_a_timeout_is_worth_another_try(receiver):
    import threading

    release = threading.Event()
    receiver.on_request = lambda: release.wait(5)
    webhook = WebhookConnector()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            webhook.deliver(MESSAGE, webhook.validate_config({"url": receiver.url, "timeout": 1}))
    finally:
        release.set()
    assert failed.value.retryable and "timed out" in failed.value.reason.lower()


# --------------------------------------------------------------------------- registry and plugins


def test_the_registry_knows_the_built_ins_and_refuses_an_unknown_name(monkeypatch):
    monkeypatch.setattr(connectors, "entry_points", lambda *, group: [])
    assert connector_names() == ["none", "file", "webhook"]
    assert isinstance(get_connector("webhook"), Connector)
    with pytest.raises(Invalid, match="no connector 'weibo'; choose one of none, file, webhook"):
        get_connector("weibo")
    with pytest.raises(Invalid):
        get_connector("none")
    assert validate_connector("none", {"anything": 1}) == {}


class _FakeEntry:
    def __init__(self, name: str, load) -> None:  # noqa: ANN001
        self.name, self.value, self._load = name, f"fake:{name}", load

    def load(self):  # noqa: ANN201
        return self._load()


def _explode():  # noqa: ANN202
    raise ImportError("No module named 'fanloop_broken'")


def test_installed_packages_add_connectors_through_the_entry_point_group(monkeypatch, caplog):
    class Factory:
        """What a factory function returns."""

        name = "mastodon"

        def validate_config(self, config: dict) -> dict:
            return config

        def deliver(self, message, config):  # noqa: ANN001, ANN201
            return connectors.DeliveryReceipt("1")

    entries = {
        connectors.ENTRY_POINT_GROUP: [
            # a class (here a built-in one under another name), loaded the real way
            EntryPoint(
                name="mirror",
                value="fanloop.growth.channels.connectors:FileConnector",
                group=connectors.ENTRY_POINT_GROUP,
            ),
            _FakeEntry("mastodon", lambda: lambda: Factory()),  # a factory
            _FakeEntry("broken", _explode),
            _FakeEntry("file", lambda: Factory),  # may not replace a built-in
            _FakeEntry("junk", lambda: lambda: "not a connector"),
        ]
    }
    asked: list[str] = []

    def fake_entry_points(*, group):
        asked.append(group)
        return entries.get(group, [])

    monkeypatch.setattr(connectors, "entry_points", fake_entry_points)
    with caplog.at_level(logging.WARNING, logger="fanloop.connectors"):
        names = connector_names()
    assert asked == ["fanloop.connectors"]
    assert names == ["none", "file", "webhook", "mastodon", "mirror"]
    assert isinstance(get_connector("mirror"), FileConnector)
    assert isinstance(get_connector("mastodon"), Factory)
    assert isinstance(get_connector("file"), FileConnector)
    assert "fanloop_broken" in caplog.text and "'file'" in caplog.text and "'junk'" in caplog.text
    get_connector("mastodon")
    assert len(asked) == 1  # looked up once, then cached


# --------------------------------------------------------------------------- the message


def test_a_reply_goes_out_as_plain_text():
    markdown = (
        "Please update to **5.1.3** and see [the notes](https://x.test/n) or https://x.test/raw.\n\n"
        "- restart\n- `reset` the *battery* stats\n\n1. one\n2. two\n\n"
        "```\nadb logcat\n```\n\n> 原帖 &amp; ![截图](https://x.test/i.png) <b>x</b>"
    )
    assert plain_text(markdown) == (
        "Please update to 5.1.3 and see the notes (https://x.test/n) or https://x.test/raw.\n\n"
        "- restart\n- reset the battery stats\n\n1. one\n2. two\n\n"
        "adb logcat\n\n原帖 & 截图 <b>x</b>"
    )
    assert plain_text("[https://x.test](https://x.test)") == "https://x.test"


def test_connectors_shorten_the_text_they_send():
    assert shorten("short", 10) == "short"
    assert shorten("Please update to the new firmware today", 20) == "Please update to…"
    assert shorten("请升级到最新的固件版本然后重启", 8) == "请升级到最新的…"
    assert len(shorten("x" * 500, 140)) == 140


# --------------------------------------------------------------------------- the guide stays true

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"


def test_every_built_in_connector_and_the_entry_point_group_are_documented():
    guide = GUIDE.read_text()
    assert all(f"### `{name}`" in guide for name in connectors.BUILT_IN)
    assert f'[project.entry-points."{connectors.ENTRY_POINT_GROUP}"]' in guide
    assert all(f"`{field}`" in guide for field in OutboundReply.__dataclass_fields__)


def test_the_example_connector_in_the_guide_is_a_connector():
    source = GUIDE.read_text().split("# fanloop_mastodon.py\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(source, "fanloop_mastodon.py", "exec"), namespace)  # noqa: S102
    example = namespace["MastodonConnector"]()
    assert isinstance(example, Connector) and example.name == "mastodon"
    config = {"server": "https://mastodon.example/", "access_token": "t0ken"}
    assert example.validate_config(config) == {"server": "https://mastodon.example", "access_token": "t0ken"}
    with pytest.raises(Invalid):
        example.validate_config({"server": "http://plain.example", "access_token": "t"})
