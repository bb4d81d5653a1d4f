"""The release train as a job: keep a release open for the next cadence time, and publish the
scheduled ones when their time comes. Any number of workers may run it: opening takes the write lock
(SQLite) or is checked again under a unique version (PostgreSQL), and publishing is claimed by one
guarded UPDATE (see flows.py), so a release is opened once and published once."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from fanloop.core import clock
from fanloop.core.db import Database
from fanloop.core.errors import Conflict, DomainError
from fanloop.releases import flows, service
from fanloop.releases.models import Release

log = logging.getLogger("fanloop.releases")


def run_train(database: Database) -> int:
    """One pass: open the next release if none is open, then publish each scheduled release whose
    time has come, each in its own transaction. Returns how many were published."""
    try:
        with database.unit_of_work(write=True) as session:
            service.ensure_open_release(session)
    except IntegrityError:  # another worker opened it at the same moment
        pass
    with database.unit_of_work() as session:
        due = list(
            session.scalars(
                select(Release.id)
                .where(Release.state == "scheduled", Release.planned_for <= clock.now())
                .order_by(Release.planned_for, Release.id)
            )
        )
    published = 0
    for release_id in due:
        try:
            with database.unit_of_work(write=True) as session:
                result = flows.publish(session, release_id=release_id)
                log.info(
                    "release %s published: %d posts shipped, %d members told",
                    result.release.version,
                    result.posts_shipped,
                    result.notified,
                )
            published += 1
        except Conflict:  # another worker published it first
            continue
        except DomainError as error:
            # It cannot publish as it stands (its scheduler lost the right to): back to draft, so
            # staff see it waiting instead of the worker trying every pass.
            log.warning("release %d not published: %s", release_id, error.detail)
            with database.unit_of_work(write=True) as session:
                session.execute(
                    update(Release)
                    .where(Release.id == release_id, Release.state == "scheduled")
                    .values(state="draft", published_by_id=None, updated_at=clock.now())
                )
    return published
