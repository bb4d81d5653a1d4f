"""The connector extension point: how a staff reply to an imported post goes back to its channel.

A connector is an object with a `name`, `validate_config(config) -> dict` and
`deliver(message, config) -> DeliveryReceipt` (the `Connector` protocol below). Two are built in:
"file" appends one JSON line per reply to a file, "webhook" POSTs the reply, signed like fanloop's
outbound webhooks. A package adds its own by declaring an entry point in the group
`fanloop.connectors` whose object is a connector class or a zero-argument factory:

    [project.entry-points."fanloop.connectors"]
    weibo = "fanloop_weibo:WeiboConnector"

A channel whose connector is "none" sends nothing. docs/connectors.md is the guide."""

from __future__ import annotations

import functools
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from fanloop import __version__
from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.service.notify.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger("fanloop.connectors")

ENTRY_POINT_GROUP = "fanloop.connectors"
NO_CONNECTOR = "none"
# What the webhook connector sends as X-Fanloop-Event, so one receiver can tell replies from events.
REPLY_EVENT = "channel.reply"
MAX_URL_LENGTH = 500
MAX_SECRET_LENGTH = 200
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 30.0
MAX_ERROR_BODY = 300


@dataclass(frozen=True)
class OutboundReply:
    """Everything a channel needs to post a staff reply under the mention it answers."""

    delivery_id: int  # stable across retries: a receiver recognises a repeat by it
    reply_id: int
    post_id: int
    channel_slug: str
    channel_kind: str
    mention_external_id: str  # what the channel calls the post being answered
    mention_url: str
    author_external_id: str  # the fan on the channel
    author_handle: str
    text: str  # the reply as plain text, in full: a connector shortens it to what its channel allows
    staff_name: str
    replied_at: str  # ISO 8601, UTC

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryReceipt:
    """The channel took the reply; `external_id` is what it calls it (a status id), if it says."""

    external_id: str = ""


class DeliveryFailed(Exception):  # noqa: N818  (the name reads as what happened)
    """The channel did not take the reply. `retryable=False` when trying again cannot help (the
    channel refused the content, the configuration is wrong): the delivery then stops at once."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@runtime_checkable
class Connector(Protocol):
    name: str

    def validate_config(self, config: dict) -> dict:
        """The cleaned configuration, or `Invalid` with a message a lead can act on."""
        ...

    def deliver(self, message: OutboundReply, config: dict) -> DeliveryReceipt:
        """Send one reply; raise `DeliveryFailed` when the channel did not take it."""
        ...


def shorten(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters, at a word boundary when there is one near the end."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def _require_mapping(config: object) -> dict:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise Invalid("The connector configuration must be a JSON object.", field="connector_config")
    return config


def _text_option(config: dict, key: str, *, required: bool, max_length: int) -> str:
    value = config.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"The connector setting {key!r} must be text.", field="connector_config")
    value = value.strip()
    if required and not value:
        raise Invalid(f"The connector needs the setting {key!r}.", field="connector_config")
    if len(value) > max_length or "\x00" in value:
        raise Invalid(f"The connector setting {key!r} is too long or not valid.", field="connector_config")
    return value


# --------------------------------------------------------------------------- file


class FileConnector:
    """Appends one JSON object a line per reply to `config["path"]`: for a bridge that tails the file,
    or for trying channels out. Each line is written in one append and fsynced before the reply
    counts as delivered, so a crash never loses a line the post shows as sent."""

    name = "file"

    def validate_config(self, config: dict) -> dict:
        config = _require_mapping(config)
        raw = _text_option(config, "path", required=True, max_length=1000)
        path = Path(raw).expanduser()
        if not path.is_absolute():
            raise Invalid("Give the file's absolute path.", field="connector_config")
        if not path.parent.is_dir():
            raise Invalid(f"The directory {str(path.parent)!r} does not exist.", field="connector_config")
        if path.is_dir():
            raise Invalid(f"{str(path)!r} is a directory; name a file in it.", field="connector_config")
        return {"path": str(path)}

    def deliver(self, message: OutboundReply, config: dict) -> DeliveryReceipt:
        line = json.dumps(message.as_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode()
        try:
            # O_APPEND and one write: lines from several workers never interleave.
            fd = os.open(config["path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise DeliveryFailed(f"Could not write the file: {error.strerror or error}") from None
        return DeliveryReceipt()


# --------------------------------------------------------------------------- webhook


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: following it would re-send the reply elsewhere."""

    def redirect_request(self, *_args, **_kwargs) -> None:  # noqa: ANN002, ANN003
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class WebhookConnector:
    """POSTs the reply as JSON to `config["url"]`, signed with `config["secret"]` when there is one
    (the `X-Fanloop-Signature` of fanloop's outbound webhooks). A 2xx answer is a delivery; its JSON
    `id`, if any, is kept as the reply's id on the channel."""

    name = "webhook"

    def validate_config(self, config: dict) -> dict:
        config = _require_mapping(config)
        url = _text_option(config, "url", required=True, max_length=MAX_URL_LENGTH)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises on a malformed port)
        except ValueError:
            raise Invalid("The connector URL is not valid.", field="connector_config") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid("Use an http:// or https:// URL for the connector.", field="connector_config")
        if any(ch.isspace() or ord(ch) < 32 for ch in url):
            raise Invalid("The connector URL is not valid.", field="connector_config")
        secret = _text_option(config, "secret", required=False, max_length=MAX_SECRET_LENGTH)
        timeout = config.get("timeout", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise Invalid("The connector timeout must be a number of seconds.", field="connector_config")
        if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            raise Invalid(
                f"The connector timeout must be between 1 and {MAX_TIMEOUT_SECONDS:g} seconds.",
                field="connector_config",
            )
        return {"url": url, "secret": secret, "timeout": float(timeout)}

    def deliver(self, message: OutboundReply, config: dict) -> DeliveryReceipt:
        body = json.dumps(message.as_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"fanloop-connectors/{__version__}",
            EVENT_HEADER: REPLY_EVENT,
            DELIVERY_HEADER: str(message.delivery_id),
        }
        if config.get("secret"):
            headers[SIGNATURE_HEADER] = sign(config["secret"], int(clock.now().timestamp()), body)
        request = urllib.request.Request(config["url"], data=body, method="POST", headers=headers)
        try:
            with _opener.open(request, timeout=config.get("timeout", DEFAULT_TIMEOUT_SECONDS)) as response:
                answer = response.read(64 * 1024)
        except urllib.error.HTTPError as refused:
            raise _failure_of(refused) from None
        except (urllib.error.URLError, OSError) as error:
            # Timeouts, refused connections, DNS: the receiver may be back later.
            reason = getattr(error, "reason", None) or error
            raise DeliveryFailed(f"{type(error).__name__}: {reason}") from None
        except ValueError as error:
            raise DeliveryFailed(f"The URL cannot be used: {error}", retryable=False) from None
        return DeliveryReceipt(external_id=_answer_id(answer))


def _failure_of(answer: urllib.error.HTTPError) -> DeliveryFailed:
    try:
        text = answer.read(MAX_ERROR_BODY).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    finally:
        answer.close()
    reason = f"HTTP {answer.code}" + (f": {text}" if text else "")
    if 300 <= answer.code < 400:
        return DeliveryFailed(reason + " (redirects are not followed; use the final URL)", retryable=False)
    # 408 and 429 ask to come back later; any other 4xx refuses this reply as it is.
    retryable = not (400 <= answer.code < 500) or answer.code in (408, 429)
    return DeliveryFailed(reason, retryable=retryable)


def _answer_id(answer: bytes) -> str:
    try:
        document = json.loads(answer) if answer.strip() else None
    except ValueError:
        return ""
    value = document.get("id") if isinstance(document, dict) else None
    return "" if value is None or isinstance(value, dict | list | bool) else str(value)[:200]


# --------------------------------------------------------------------------- registry

BUILT_IN: dict[str, Connector] = {"file": FileConnector(), "webhook": WebhookConnector()}


def _as_connector(obj: object) -> Connector:
    """An entry point names a connector class, a factory, or a ready connector object."""
    if isinstance(obj, type) or not isinstance(obj, Connector):
        obj = obj()  # type: ignore[operator]
    if not isinstance(obj, Connector):
        raise TypeError("it is not a connector (needs name, validate_config and deliver)")
    return obj


@functools.cache
def installed() -> dict[str, Connector]:
    """Connectors of installed packages, by entry-point name; a broken one is logged and left out."""
    found: dict[str, Connector] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in BUILT_IN or entry.name == NO_CONNECTOR:
            log.warning("connector %r of %s is ignored: the name is built in", entry.name, entry.value)
            continue
        try:
            found[entry.name] = _as_connector(entry.load())
        except Exception as error:  # one broken package must not stop the others
            log.warning("connector %r (%s) could not be loaded: %s", entry.name, entry.value, error)
    return found


def forget_installed() -> None:
    """Look for installed connectors again on next use (after installing a package, in tests)."""
    installed.cache_clear()


def connector_names() -> list[str]:
    """Every name a channel may choose: "none", the built-ins, then installed connectors."""
    return [NO_CONNECTOR, *BUILT_IN, *sorted(installed())]


def get_connector(name: str) -> Connector:
    """The connector called `name`; `Invalid` when there is none."""
    connector = BUILT_IN.get(name) or installed().get(name)
    if connector is None:
        raise Invalid(
            f"There is no connector {name!r}; choose one of {', '.join(connector_names())}.",
            field="connector",
        )
    return connector


def validate_connector(name: str, config: dict | None) -> dict:
    """The cleaned configuration for a channel's connector ("none" needs none)."""
    if name == NO_CONNECTOR:
        return {}
    return get_connector(name).validate_config(_require_mapping(config))


def secret_values(config: dict, extra: Iterable[str] = ()) -> list[str]:
    """The configuration values that must never reach a log or an error shown on a page."""
    words = ("secret", "token", "password", "key", "auth")
    values = [
        value
        for key, value in config.items()
        if isinstance(value, str) and any(word in key.lower() for word in words)
    ]
    return [value for value in (*values, *extra) if value and len(value) >= 4]
