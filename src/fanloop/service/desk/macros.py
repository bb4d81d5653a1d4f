"""Canned responses: leads keep them, everyone on the rota uses them. A macro's body may name
{fan_name}, {staff_name}, {post_title} and {post_url}; they are filled in for the post at hand."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.service.desk.models import Macro

PLACEHOLDERS = ("fan_name", "staff_name", "post_title", "post_url")
PLACEHOLDER_PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_NAME = 80
MAX_BODY = 10_000
MAX_ID = 2**31 - 1


def list_macros(session: Session, *, viewer: Member) -> list[Macro]:
    """Every macro, by name."""
    require(viewer, Action.VIEW_STAFF_AREA)
    return list(session.scalars(select(Macro).order_by(Macro.name, Macro.id)))


def get_macro(session: Session, *, viewer: Member, macro_id: int) -> Macro:
    require(viewer, Action.VIEW_STAFF_AREA)
    macro = session.get(Macro, macro_id) if 0 < macro_id <= MAX_ID else None
    if macro is None:
        raise NotFound(f"No macro {macro_id}.")
    return macro


def create_macro(session: Session, *, actor: Member, name: str, body: str) -> Macro:
    """Add a canned response."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    macro = Macro(
        name=_name(session, name),
        body=_body(body),
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    session.add(macro)
    session.flush()
    return macro


def update_macro(session: Session, *, actor: Member, macro_id: int, name: str, body: str) -> Macro:
    require(actor, Action.MANAGE_SERVICE_DESK)
    macro = get_macro(session, viewer=actor, macro_id=macro_id)
    macro.name = _name(session, name, current=macro)
    macro.body = _body(body)
    session.flush()
    return macro


def delete_macro(session: Session, *, actor: Member, macro_id: int) -> None:
    require(actor, Action.MANAGE_SERVICE_DESK)
    session.delete(get_macro(session, viewer=actor, macro_id=macro_id))
    session.flush()


def fill(body: str, values: dict[str, str]) -> str:
    """The body with its placeholders replaced; anything else in braces is left as written."""
    return PLACEHOLDER_PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def placeholder_values(post: Post, staff: Member, *, base_url: str) -> dict[str, str]:
    return {
        "fan_name": post.author.display_name or post.author.handle,
        "staff_name": staff.display_name or staff.handle,
        "post_title": post.title,
        "post_url": f"{base_url.rstrip('/')}/posts/{post.id}",
    }


def render_macro(session: Session, *, viewer: Member, macro_id: int, post: Post, base_url: str) -> str:
    """A macro's text for this post, written by this staff member."""
    macro = get_macro(session, viewer=viewer, macro_id=macro_id)
    return fill(macro.body, placeholder_values(post, viewer, base_url=base_url))


def _name(session: Session, value: str, *, current: Macro | None = None) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise Invalid(f"A macro's name is 1-{MAX_NAME} characters.", field="name")
    existing = session.scalar(select(Macro).where(Macro.name == name))
    if existing is not None and existing is not current:
        raise Conflict(f"There is already a macro named {name!r}.")
    return name


def _body(value: str) -> str:
    body = value.replace("\x00", "").strip() if isinstance(value, str) else ""
    if not body:
        raise Invalid("A macro needs a text.", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"A macro's text is at most {MAX_BODY} characters.", field="body")
    unknown = sorted({m for m in PLACEHOLDER_PATTERN.findall(body) if m not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise Invalid(
            f"Unknown placeholder(s): {', '.join('{' + u + '}' for u in unknown)}; use {names}.", field="body"
        )
    return body
