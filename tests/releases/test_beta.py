"""The beta group: seats, invitations, joining by score, pre-release notes, tester credits."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Forbidden, NotFound
from fanloop.releases import beta, feedback, flows
from fanloop.releases import service as releases
from fanloop.releases.models import ReleaseCredit


def _lead(session, forum):
    return session.get(Member, forum.lead.id)


def _xp(forum, member, xp):
    with forum.database.unit_of_work(write=True) as session:
        session.execute(update(Member).where(Member.id == member.id).values(xp=xp))


def test_invitations_hold_seats_and_the_group_fills(forum):
    first, second = forum.fan("li_na"), forum.fan("wang")
    with forum.database.unit_of_work(write=True) as session:
        beta.update_settings(session, actor=_lead(session, forum), seats=1)
        beta.invite(session, actor=_lead(session, forum), handle="li_na")
        with pytest.raises(Conflict, match="full"):
            beta.invite(session, actor=_lead(session, forum), handle="wang")
    with forum.database.unit_of_work(write=True) as session:
        assert beta.status_of(session, session.get(Member, first.id)).state == "invited"
        assert not beta.is_member(session, first.id)
        beta.accept(session, member=session.get(Member, first.id))
        assert beta.is_member(session, first.id)
        with pytest.raises(NotFound):
            beta.accept(session, member=session.get(Member, second.id))


def test_fans_join_by_score_only_when_the_lead_sets_one(forum):
    fan = forum.fan()
    _xp(forum, fan, 120)
    with forum.database.unit_of_work(write=True) as session, pytest.raises(Conflict, match="invitation only"):
        beta.join(session, member=session.get(Member, fan.id))
    with forum.database.unit_of_work(write=True) as session:
        beta.update_settings(session, actor=_lead(session, forum), score_threshold=150)
    with forum.database.unit_of_work(write=True) as session, pytest.raises(Conflict, match="150"):
        beta.join(session, member=session.get(Member, fan.id))
    _xp(forum, fan, 150)
    with forum.database.unit_of_work(write=True) as session:
        assert beta.status_of(session, session.get(Member, fan.id)).may_join
        beta.join(session, member=session.get(Member, fan.id))
        assert beta.is_member(session, fan.id)


def test_only_leads_manage_the_group(forum):
    forum.fan("li_na")
    with forum.database.unit_of_work(write=True) as session, pytest.raises(Forbidden):
        beta.invite(session, actor=session.get(Member, forum.staff.id), handle="li_na")


def test_beta_members_read_prerelease_notes_and_are_credited_as_testers(forum):
    tester, outsider, author = forum.fan("tester"), forum.fan("outsider"), forum.fan("author")
    post_id = forum.post(author, "Dark mode")
    with forum.database.unit_of_work(write=True) as session:
        beta.invite(session, actor=_lead(session, forum), handle="tester")
        beta.accept(session, member=session.get(Member, tester.id))
        release = releases.ensure_open_release(session)
        releases.add_item(
            session, actor=session.get(Member, forum.staff.id), release_id=release.id, post_id=post_id
        )
        release_id = release.id
    with forum.database.unit_of_work() as session:
        assert releases.get_release(session, viewer=session.get(Member, tester.id), release_id=release_id)
        assert [r.id for r in releases.prerelease(session, viewer=session.get(Member, tester.id))] == [
            release_id
        ]
        assert releases.prerelease(session, viewer=session.get(Member, outsider.id)) == []
        with pytest.raises(NotFound):
            releases.get_release(session, viewer=session.get(Member, outsider.id), release_id=release_id)
    with forum.database.unit_of_work(write=True) as session:
        from fanloop.community.posts import service as posts

        for member in (tester, outsider):
            posts.add_reply(
                session,
                author=session.get(Member, member.id),
                post_id=post_id,
                body="Works on the beta",
                settings=forum.settings,
            )
        flows.publish(session, actor=session.get(Member, forum.staff.id), release_id=release_id)
    with forum.database.unit_of_work() as session:
        roles = {
            (m, r)
            for m, r in session.execute(
                ReleaseCredit.__table__.select().with_only_columns(
                    ReleaseCredit.member_id, ReleaseCredit.role
                )
            )
        }
    assert (tester.id, "tester") in roles and (outsider.id, "tester") not in roles
    with forum.database.unit_of_work(write=True) as session:
        report = feedback.file_report(
            session,
            member=session.get(Member, tester.id),
            release_id=release_id,
            settings=forum.settings,
            liked_most="Smooth",
        )
        assert report.from_beta


def test_reading_the_rules_stores_nothing_and_staff_cannot_join_by_score(forum):
    from fanloop.releases.models import BetaSettings

    with forum.database.unit_of_work() as session:
        assert beta.status_of(session, session.get(Member, forum.staff.id)).seats == 100
        assert session.get(BetaSettings, 1) is None
    with forum.database.unit_of_work(write=True) as session:
        beta.update_settings(session, actor=_lead(session, forum), score_threshold=0)
    with forum.database.unit_of_work(write=True) as session, pytest.raises(Conflict, match="for fans"):
        beta.join(session, member=session.get(Member, forum.staff.id))
