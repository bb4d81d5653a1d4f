"""Queries over posts: listing with filters and cursor pagination, search, and look-ups."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from fanloop.community.posts.models import Board, Post, PostTag, PostTerm, Tag
from fanloop.core.errors import Invalid

T = TypeVar("T")
SORTS = ("hot", "new", "top")


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(slots=True)
class PostFilters:
    board: str | None = None
    kind: str | None = None
    status: str | None = None
    tag: str | None = None
    author_id: int | None = None


def _sort_column(sort: str):  # noqa: ANN202
    return {"hot": Post.hot_score, "new": Post.created_at, "top": Post.vote_count}[sort]


def encode_cursor(sort: str, post: Post) -> str:
    value = getattr(post, {"hot": "hot_score", "new": "created_at", "top": "vote_count"}[sort])
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, post.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[object, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, post_id = json.loads(raw)
        if cursor_sort != sort or not isinstance(post_id, int):
            raise ValueError
        if sort == "new":
            value = datetime.fromisoformat(value)
        elif not isinstance(value, int | float):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Invalid(
            "The cursor is not valid for this listing; start again without it.", field="cursor"
        ) from error
    return value, post_id


def visible_posts(include_hidden: bool) -> Select:
    query = select(Post).where(Post.deleted_at.is_(None))
    if not include_hidden:
        query = query.where(Post.is_hidden.is_(False))
    return query


def apply_filters(session: Session, query: Select, filters: PostFilters) -> Select:
    if filters.board:
        board_id = session.scalar(select(Board.id).where(Board.slug == filters.board))
        query = query.where(Post.board_id == (board_id or -1))
    if filters.kind:
        query = query.where(Post.kind == filters.kind)
    if filters.status:
        query = query.where(Post.status == filters.status)
    if filters.author_id:
        query = query.where(Post.author_id == filters.author_id)
    if filters.tag:
        tag_id = session.scalar(select(Tag.id).where(Tag.slug == filters.tag))
        query = query.where(Post.id.in_(select(PostTag.post_id).where(PostTag.tag_id == (tag_id or -1))))
    return query


def paginate(session: Session, query: Select, *, sort: str, cursor: str | None, limit: int) -> Page[Post]:
    column = _sort_column(sort)
    if cursor:
        value, post_id = decode_cursor(cursor, sort)
        query = (
            query.where(tuple_(column, Post.id) < tuple_(value, post_id))
            if _row_values_supported(session)
            else query.where(or_(column < value, and_(column == value, Post.id < post_id)))
        )
    rows = list(session.scalars(query.order_by(column.desc(), Post.id.desc()).limit(limit + 1)).unique())
    next_cursor = encode_cursor(sort, rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def _row_values_supported(session: Session) -> bool:
    # PostgreSQL uses the index for row comparisons; SQLite plans the OR form better.
    return session.get_bind().dialect.name == "postgresql"


def posts_with_term(term: str) -> Select:
    """Ids of posts containing the term; an English term of 3+ letters also matches as a prefix."""
    if term.isascii() and len(term) >= 3:
        upper = term[:-1] + chr(ord(term[-1]) + 1)
        return select(PostTerm.post_id).where(PostTerm.term >= term, PostTerm.term < upper)
    return select(PostTerm.post_id).where(PostTerm.term == term)


def count_posts(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))
