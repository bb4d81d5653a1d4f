"""Reading mentions: one JSON object per line (JSON Lines) or a CSV file with a header row. Each
row becomes a Mention to ingest or a Problem naming its line and why it was refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import orjson

from fanloop.community.posts.models import POST_KINDS
from fanloop.core.text import detect_language, render_plain

MAX_TEXT = 20_000
TITLE_LENGTH = 80
MAX_ID = 120
CSV_COLUMNS = (
    "id", "author_id", "author_handle", "author_name", "text", "title", "created_at", "url", "reposts",
    "likes", "kind",
)  # fmt: skip
# A clock a little ahead of ours is tolerated; a date further in the future is a broken row.
FUTURE_SLACK = timedelta(minutes=10)
_UNIX_TIME = re.compile(r"^\d{9,11}(\.\d+)?$")


class IncomingMention(NamedTuple):
    """A good row. A tuple: a batch of them is made, sent between processes and read again quickly."""

    line: int
    external_id: str
    author_id: str
    author_handle: str
    author_name: str
    text: str
    title: str
    posted_at: datetime
    url: str
    reposts: int
    likes: int
    kind: str | None
    # Worked out here, where the row is read (in a process of its own for a large file), rather
    # than where it is written: the post's language and its body rendered for pages.
    language: str
    html: str


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    reason: str


class RowError(ValueError):
    pass


def _text(value: object, name: str, *, limit: int, required: bool = False) -> str:
    """A text field, stripped; RowError says why a value will not do."""
    if type(value) is str and 0 < len(value) <= limit and "\x00" not in value:  # the usual case, quickly
        text = value.strip()
        if text or not required:
            return text
    return _text_carefully(value, name, limit=limit, required=required)


def _text_carefully(value: object, name: str, *, limit: int, required: bool) -> str:
    """What _text gives, for any value (its quick path only takes ordinary strings)."""
    if value is None or value == "":
        if required:
            raise RowError(f"missing {name}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(f"{name} must be a string")
    text = str(value).replace("\x00", "").strip()
    if required and not text:
        raise RowError(f"{name} is empty")
    if len(text) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return text


def _count(value: object, name: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**31 - 1:
        raise RowError(f"{name} must be a whole number, 0 or more")
    return value


def _time(value: object, now: datetime) -> datetime:
    if value is None or value == "":
        raise RowError("missing created_at")
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            at = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str) and _UNIX_TIME.match(value.strip()):
            at = datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            at = datetime.fromisoformat(value.strip())
        else:
            raise RowError("created_at must be an ISO 8601 date or a Unix time")
    except (ValueError, OverflowError, OSError):
        raise RowError(f"created_at is not a date: {str(value)[:40]!r}") from None
    # Exports without a zone are read as UTC, as the guide says.
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if at > now + FUTURE_SLACK:
        raise RowError("created_at is in the future")
    return at


def _url(value: object) -> str:
    url = _text(value, "url", limit=500)
    if url and not url.startswith(("https://", "http://")):
        raise RowError("url must start with http:// or https://")
    return url


def mention_from(row: object, line: int, now: datetime) -> IncomingMention:
    """Check one row (a dict from JSON or CSV); raises RowError with the reason."""
    if not isinstance(row, dict):
        raise RowError("expected an object")
    author = row.get("author")
    if isinstance(author, dict):
        author_id = author.get("id", row.get("author_id"))
        handle, name = author.get("handle", ""), author.get("name", "")
    else:
        author_id = row.get("author_id")
        handle = author if isinstance(author, str) else row.get("author_handle", "")
        name = row.get("author_name", "")
    handle = _text(handle, "author handle", limit=MAX_ID)
    author_key = _text(author_id, "author id", limit=MAX_ID) or handle
    if not author_key:
        raise RowError("missing author (author.id, author_id or author_handle)")
    kind = row.get("kind") or None
    if kind is not None and kind not in POST_KINDS:
        raise RowError(f"kind {str(kind)[:20]!r} is not one of {', '.join(POST_KINDS)}")
    text = _text(row.get("text"), "text", limit=MAX_TEXT, required=True)
    return IncomingMention(
        line=line,
        external_id=_text(row.get("id"), "id", limit=MAX_ID, required=True),
        author_id=author_key,
        author_handle=handle,
        author_name=_text(name, "author name", limit=MAX_ID),
        text=text,
        title=_text(row.get("title"), "title", limit=200) or title_from(text),
        posted_at=_time(row.get("created_at"), now),
        url=_url(row.get("url")),
        reposts=_count(row.get("reposts"), "reposts"),
        likes=_count(row.get("likes"), "likes"),
        kind=kind,
        language=detect_language(text),
        html=render_plain(text),
    )


def title_from(text: str) -> str:
    """A post title from a mention's text: its first line, cut at a word where there are words."""
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[:TITLE_LENGTH]
    space = cut.rfind(" ")
    return (cut[:space] if space > TITLE_LENGTH // 2 else cut).rstrip(" ,.;:") + "…"


def read_jsonl(
    lines: Iterable[bytes | str], now: datetime, *, first_line: int = 1
) -> Iterator[IncomingMention | Problem]:
    """Mentions and problems from JSON Lines; blank lines are skipped."""
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip():
            continue
        try:
            row = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield Problem(number, f"not JSON ({str(error).split(':')[0]})")
            continue
        try:
            yield mention_from(row, number, now)
        except RowError as error:
            yield Problem(number, str(error))


def read_jsonl_chunk(
    lines: list[bytes], first_line: int, now: datetime
) -> tuple[int, list[tuple], list[tuple[int, str]]]:
    """Read consecutive JSON Lines, the first being line `first_line`, in a process of its own:
    returns how many rows were read, the mentions as plain tuples (a tenth of the cost of sending
    the objects back) and the problems as (line, reason)."""
    read, mentions, problems = 0, [], []
    for item in read_jsonl(lines, now, first_line=first_line):
        read += 1
        if type(item) is Problem:
            problems.append((item.line, item.reason))
        else:
            mentions.append(tuple(item))
    return read, mentions, problems


def read_csv(lines: Iterable[str], now: datetime) -> Iterator[IncomingMention | Problem]:
    """Mentions and problems from CSV with a header row; the line is where the row starts."""
    reader = csv.DictReader(_numbered(lines))
    header = reader.fieldnames or []
    if "id" not in header or "text" not in header:
        yield Problem(1, f"the header row must name at least id and text (columns: {', '.join(CSV_COLUMNS)})")
        return
    line = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Problem(reader.line_num, f"not CSV ({error})")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if None in row:
            yield Problem(start, "more values than columns in the header")
            continue
        if any("\ufffd" in value for value in row.values() if value):
            yield Problem(start, "not UTF-8 text")
            continue
        try:
            yield mention_from({k: v for k, v in row.items() if v is not None}, start, now)
        except RowError as error:
            yield Problem(start, str(error))


def _numbered(lines: Iterable[str]) -> Iterator[str]:
    for raw in lines:
        yield raw if isinstance(raw, str) else raw.decode("utf-8")


def detect_format(name: str, first_bytes: bytes) -> str:
    """ "jsonl" or "csv", from the file's name, else from how it starts."""
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_bytes.lstrip()[:1] in (b"{", b"[") else "csv"


def text_lines(binary: io.BufferedIOBase) -> io.TextIOWrapper:
    """The file as UTF-8 text lines (a byte-order mark is dropped); newline="" keeps CSV's quoted
    line breaks intact. Bytes that are not UTF-8 become U+FFFD, and their row is refused."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
