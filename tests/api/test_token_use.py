"""A read request stays a read: on SQLite, using an API token for a GET writes nothing in the
request (the next unit of work that writes anyway stamps it); on PostgreSQL a short transaction of
its own does. Either way at most once every five minutes."""

from __future__ import annotations

from sqlalchemy import select

from fanloop.community.members.models import ApiToken


def last_used(database, member):
    with database.unit_of_work() as session:
        return session.scalar(select(ApiToken.last_used_at).where(ApiToken.member_id == member.id))


def test_a_get_writes_nothing_and_the_next_write_stamps_the_token(api, database, seed, clock):
    seed.board("battery", "Battery")
    fan = api("fan")
    assert fan.get("/api/v1/me").status_code == 200
    if database.is_sqlite:
        assert last_used(database, fan.member) is None  # the read did not write
    else:
        assert last_used(database, fan.member) == clock.now()
    created = fan.post(
        "/api/v1/posts", json={"board": "battery", "kind": "bug", "title": "Drains", "body": "Every night."}
    )
    assert created.status_code == 201
    stamped = last_used(database, fan.member)
    assert stamped == clock.now()
    clock.advance(minutes=2)
    fan.get("/api/v1/me")
    fan.put(f"/api/v1/posts/{created.json()['id']}/follow")
    assert last_used(database, fan.member) == stamped  # not again within five minutes
    clock.advance(minutes=4)
    fan.get("/api/v1/me")
    fan.put(f"/api/v1/posts/{created.json()['id']}/follow")
    assert last_used(database, fan.member) == clock.now()
