"""Who may do what. Every service checks here; the matrix test walks every role and action."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from fanloop.core.errors import Forbidden, NotAuthenticated

if TYPE_CHECKING:
    from fanloop.community.members.models import Member


class Role(StrEnum):
    FAN = "fan"
    STAFF = "staff"
    LEAD = "lead"
    ADMIN = "admin"


ROLE_RANK = {Role.FAN: 0, Role.STAFF: 1, Role.LEAD: 2, Role.ADMIN: 3}


class Action(StrEnum):
    CREATE_POST = "create_post"
    EDIT_OWN_POST = "edit_own_post"
    EDIT_ANY_POST = "edit_any_post"
    REPLY = "reply"
    REPLY_TO_LOCKED = "reply_to_locked"
    VOTE = "vote"
    FOLLOW = "follow"
    MANAGE_OWN_TOKENS = "manage_own_tokens"
    CHANGE_STATUS = "change_status"
    MODERATE = "moderate"
    MERGE_POSTS = "merge_posts"
    VIEW_HIDDEN = "view_hidden"
    VIEW_STAFF_AREA = "view_staff_area"
    MANAGE_BOARDS = "manage_boards"
    MANAGE_TAGS = "manage_tags"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_ROLES = "manage_roles"
    CREATE_MEMBERS = "create_members"
    LIST_MEMBERS = "list_members"
    ISSUE_RESET_LINK = "issue_reset_link"
    MANAGE_INTEGRATIONS = "manage_integrations"
    MANAGE_SERVICE_DESK = "manage_service_desk"
    VIEW_PAIN_POINTS = "view_pain_points"
    MANAGE_PAIN_POINTS = "manage_pain_points"
    REMINE_PAIN_POINTS = "remine_pain_points"
    MANAGE_RELEASES = "manage_releases"
    MANAGE_RELEASE_TRAIN = "manage_release_train"
    MANAGE_BETA = "manage_beta"
    CLAIM_IDENTITY = "claim_identity"
    VIEW_GROWTH = "view_growth"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_CAMPAIGNS = "manage_campaigns"


# The lowest role allowed each action; higher roles inherit it.
MINIMUM_ROLE: dict[Action, Role] = {
    Action.CREATE_POST: Role.FAN,
    Action.EDIT_OWN_POST: Role.FAN,
    Action.REPLY: Role.FAN,
    Action.VOTE: Role.FAN,
    Action.FOLLOW: Role.FAN,
    Action.MANAGE_OWN_TOKENS: Role.FAN,
    Action.CLAIM_IDENTITY: Role.FAN,  # take an imported channel identity into one's account
    Action.REPLY_TO_LOCKED: Role.STAFF,
    Action.CHANGE_STATUS: Role.STAFF,
    Action.MODERATE: Role.STAFF,
    Action.MERGE_POSTS: Role.STAFF,
    Action.VIEW_HIDDEN: Role.STAFF,
    Action.VIEW_STAFF_AREA: Role.STAFF,
    Action.VIEW_PAIN_POINTS: Role.STAFF,
    Action.MANAGE_PAIN_POINTS: Role.STAFF,  # rename, merge, split, pin, hide, link to a status
    Action.MANAGE_RELEASES: Role.STAFF,  # compose, schedule and publish releases; order the roadmap
    Action.VIEW_GROWTH: Role.STAFF,  # channels, campaigns and the growth dashboard, read-only
    Action.EDIT_ANY_POST: Role.LEAD,
    Action.MANAGE_BOARDS: Role.LEAD,
    Action.MANAGE_TAGS: Role.LEAD,
    Action.VIEW_AUDIT_LOG: Role.LEAD,
    Action.LIST_MEMBERS: Role.LEAD,  # the member list with roles and suspensions (e-mail: admins)
    Action.REMINE_PAIN_POINTS: Role.LEAD,
    Action.MANAGE_RELEASE_TRAIN: Role.LEAD,  # the release cadence
    Action.MANAGE_BETA: Role.LEAD,  # the beta group's seats, threshold and invitations
    Action.MANAGE_CHANNELS: Role.LEAD,  # channels, their secrets and connectors; identity claims
    Action.MANAGE_CAMPAIGNS: Role.LEAD,  # campaigns and their referral links
    Action.MANAGE_SERVICE_DESK: Role.LEAD,  # SLA policies, calendars, macros, anyone's rota entry
    Action.MANAGE_ROLES: Role.ADMIN,
    Action.CREATE_MEMBERS: Role.ADMIN,  # with a password, or invited by a one-time link
    Action.ISSUE_RESET_LINK: Role.ADMIN,
    Action.MANAGE_INTEGRATIONS: Role.ADMIN,
}


def can(member: Member | None, action: Action) -> bool:
    if member is None or member.is_suspended:
        return False
    return ROLE_RANK[Role(member.role)] >= ROLE_RANK[MINIMUM_ROLE[action]]


def require(member: Member | None, action: Action) -> Member:
    """Return the member if allowed, else raise: 401 for nobody, 403 for the wrong role."""
    if member is None:
        raise NotAuthenticated("Log in to do this.")
    if member.is_suspended:
        raise Forbidden("This account is suspended.")
    if not can(member, action):
        raise Forbidden(f"Your role ({member.role}) may not {action.value.replace('_', ' ')}.")
    return member
