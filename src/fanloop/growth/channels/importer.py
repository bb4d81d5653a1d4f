"""Importing a file of mentions into a channel: read as a stream, ingested and committed batch by
batch (memory stays flat whatever the file's size), every refused row kept with its line number
and reason while all the others go in. The run and its report are stored for the channel's page."""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.db import Database, bulk_cache
from fanloop.core.permissions import Action, require
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.ingest import Outcome, ingest
from fanloop.growth.channels.rows import (
    IncomingMention,
    Problem,
    detect_format,
    read_csv,
    read_jsonl,
    read_jsonl_chunk,
    text_lines,
)
from fanloop.growth.models import ImportRun

# Rows per transaction: larger batches write each touched index page once for more rows; 20,000
# hold the write lock for about a second.
BATCH_SIZE = 20_000
# The report keeps the first problems in full; beyond, they are counted.
KEPT_PROBLEMS = 200


@dataclass
class Report:
    """What an import did: rows read, imported, already there, refused (with line and reason)."""

    run_id: int
    rows_read: int = 0
    outcome: Outcome = field(default_factory=Outcome)
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)

    def refuse(self, problem: Problem) -> None:
        self.rejected += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(problem)


class _Counting(io.RawIOBase):
    """Passes a file through, counting bytes read, for the progress bar."""

    def __init__(self, raw: BinaryIO, seen: Callable[[int], None]) -> None:
        self._raw, self._seen = raw, seen

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._seen(len(data))
        return len(data)


def import_stream(
    database: Database,
    *,
    channel_slug: str,
    stream: BinaryIO,
    name: str,
    actor: Member | None = None,
    file_format: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Import every good row of `stream` (JSON Lines or CSV) into the channel. `actor` is checked
    for MANAGE_CHANNELS (None: the command line, run by whoever holds the server). `progress` is
    told how many bytes were read each time a batch is stored."""
    with database.unit_of_work(write=True) as session:
        if actor is not None:
            require(actor, Action.MANAGE_CHANNELS)
        channel = channels.channel_by_slug(session, channel_slug)
        run = ImportRun(
            channel_id=channel.id,
            source=name[:200],
            started_by_id=actor.id if actor else None,
            state="running",
            problems=[],
            started_at=clock.now(),
        )
        session.add(run)
        session.flush()
        report = Report(run_id=run.id)
    counted = [0]

    def seen(n: int) -> None:
        counted[0] += n

    buffered = io.BufferedReader(_Counting(stream, seen), buffer_size=1 << 20)
    fmt = file_format or detect_format(name, buffered.peek(64))
    if fmt == "jsonl" and _size(stream) >= PARALLEL_MIN_BYTES:
        batches = read_in_process(_strip_bom(buffered), report, batch_size)
    else:
        batches = read_ahead(_batches(_rows(buffered, fmt), report, batch_size))
    try:
        with fewer_collections():
            for batch in batches:
                with database.unit_of_work(write=True) as session:
                    bulk_cache(session, enlarged=True)
                    channel = channels.channel_by_slug(session, channel_slug)
                    report.outcome.add(ingest(session, channel=channel, mentions=batch))
                    _save(session, report, state="running")
                if progress:
                    progress(counted[0])
    except BaseException:
        with database.unit_of_work(write=True) as session:
            _save(session, report, state="failed")
        raise
    with database.unit_of_work(write=True) as session:
        _save(session, report, state="finished")
        bulk_cache(session, enlarged=False)
    if progress:
        progress(counted[0])
    return report


_END = object()
# Allocations between collections of the youngest generation during an import (Python's default
# is 700): a batch allocates hundreds of thousands of objects that all live until it is stored,
# and each collection walked them again, a third of the import's time.
IMPORT_GC_THRESHOLD = 200_000


_gc_lock = threading.Lock()
_gc_users = [0, (700, 10, 10)]  # imports running in this process, and the thresholds before the first


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage rarely while a bulk import runs: what is alive before it is set aside
    (gc.freeze) and the youngest generation is collected every IMPORT_GC_THRESHOLD allocations,
    so memory stays bounded while the batches are not walked over and over. Imports running at
    once share the setting; the last to finish puts the old one back."""
    with _gc_lock:
        _gc_users[0] += 1
        if _gc_users[0] == 1:
            _gc_users[1] = gc.get_threshold()
            gc.collect()
            gc.freeze()
            gc.set_threshold(IMPORT_GC_THRESHOLD, *_gc_users[1][1:])
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users[0] -= 1
            if _gc_users[0] == 0:
                gc.set_threshold(*_gc_users[1])
                gc.unfreeze()


def read_ahead(batches: Iterator[list[IncomingMention]], depth: int = 2) -> Iterator[list[IncomingMention]]:
    """Parse the next batches in a thread while this one is written: the database releases the
    interpreter while it works, so reading and writing overlap. At most `depth` batches wait."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_END)
        except BaseException as error:  # handed to the reading side, which raises it
            put(error)

    reader = threading.Thread(target=produce, name="import-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = waiting.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


# A JSON Lines file at least this large is read and checked in a process of its own, so the
# import uses a second core; below it, starting that process costs more than it saves.
PARALLEL_MIN_BYTES = 16 << 20
# Chunks of lines in the reading process (or back from it) beside the batch being written. One is
# enough, since reading is several times faster than writing; and at the end of the file it holds
# no more than in the middle, so the peak memory is the steady one.
PARALLEL_DEPTH = 1


def _size(stream: BinaryIO) -> int:
    """The size of a file on disk (0 for anything else: an upload in memory, a pipe)."""
    if not isinstance(stream, io.BufferedReader | io.FileIO):
        return 0
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, io.UnsupportedOperation):
        return 0


def read_in_process(lines: Iterator[bytes], report: Report, size: int) -> Iterator[list[IncomingMention]]:
    """JSON Lines read and checked in another process, `size` lines at a time, while this one
    writes: the lines go there as bytes and the mentions come back as tuples, in file order."""
    now = clock.now()
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or connections copied
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        waiting: deque = deque()
        for first_line, chunk in _chunks(lines, size):
            waiting.append(pool.submit(read_jsonl_chunk, chunk, first_line, now))
            if len(waiting) > PARALLEL_DEPTH:
                yield from _received(waiting.popleft().result(), report)
        while waiting:
            yield from _received(waiting.popleft().result(), report)


def _chunks(lines: Iterator[bytes], size: int) -> Iterator[tuple[int, list[bytes]]]:
    first_line = 1
    while chunk := list(islice(lines, size)):
        yield first_line, chunk
        first_line += len(chunk)


def _received(result: tuple[int, list[tuple], list[tuple[int, str]]], report: Report) -> Iterator[list[IncomingMention]]:
    read, mentions, problems = result
    report.rows_read += read
    for line, reason in problems:
        report.refuse(Problem(line, reason))
    if mentions:
        yield list(map(IncomingMention._make, mentions))


def _rows(buffered: io.BufferedReader, fmt: str) -> Iterator[IncomingMention | Problem]:
    now = clock.now()
    if fmt == "csv":
        return read_csv(text_lines(buffered), now)
    return read_jsonl(_strip_bom(buffered), now)


def _strip_bom(lines: io.BufferedReader) -> Iterator[bytes]:
    """The lines, without a byte-order mark on the first (the rest pass through untouched)."""
    first = next(lines, None)
    if first is None:
        return iter(())
    return chain([first.removeprefix(b"\xef\xbb\xbf")], lines)


def _batches(
    rows: Iterator[IncomingMention | Problem], report: Report, size: int
) -> Iterator[list[IncomingMention]]:
    batch: list[IncomingMention] = []
    for row in rows:
        report.rows_read += 1
        if isinstance(row, Problem):
            report.refuse(row)
            continue
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _save(session, report: Report, *, state: str) -> None:  # noqa: ANN001
    run = session.get(ImportRun, report.run_id)
    run.state = state
    run.rows_read = report.rows_read
    run.imported = report.outcome.imported
    run.duplicates = report.outcome.duplicates
    run.new_members = report.outcome.new_members
    run.rejected = report.rejected
    run.problems = [{"line": p.line, "reason": p.reason} for p in report.problems]
    if state != "running":
        run.finished_at = clock.now()
