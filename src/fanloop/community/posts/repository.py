"""Queries over posts: listing with filters and cursor pagination, search, and look-ups."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Generic, TypeVar

from sqlalchemy import Integer, Row, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
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


# What a listing shows of a post, its board and its author, as plain columns: a page of rows is
# built without ORM objects, identity map or relationship loading. hot_score is there for the cursor.
SUMMARY_COLUMNS = (
    Post.id,
    Board.slug.label("board"),
    Post.kind,
    Post.status,
    Post.title,
    Post.body,
    Post.body_html,
    Post.language,
    Post.channel,
    Post.device_model,
    Post.os_version,
    Post.steps_to_reproduce,
    Post.vote_count,
    Post.reply_count,
    Post.follower_count,
    Post.is_hidden,
    Post.is_locked,
    Post.merged_into_id,
    Member.handle.label("author_handle"),
    Member.display_name.label("author_display_name"),
    Member.role.label("author_role"),
    Member.xp.label("author_xp"),
    Post.created_at,
    Post.updated_at,
    Post.hot_score,
)


@lru_cache(maxsize=512)
def _summary_page_statement(
    include_hidden: bool, sort: str, filters: tuple[str, ...], cursor: str | None
) -> Select:
    """The statement for one page of summaries: one per shape (which filters, which cursor form),
    built once and reused with bound values, so that neither the statement nor its cache key nor
    the result's column map is rebuilt per request. Its conditions and order are those of
    visible_posts, apply_filters and paginate, and so is its SQL but for the columns."""
    query = (
        select(*SUMMARY_COLUMNS)
        .join(Board, Board.id == Post.board_id)
        .join(Member, Member.id == Post.author_id)
        .where(Post.deleted_at.is_(None))
    )
    if not include_hidden:
        query = query.where(Post.is_hidden.is_(False))
    if "board" in filters:
        query = query.where(Post.board_id == bindparam("board_id", type_=Integer))
    if "kind" in filters:
        query = query.where(Post.kind == bindparam("kind"))
    if "status" in filters:
        query = query.where(Post.status == bindparam("status"))
    if "author_id" in filters:
        query = query.where(Post.author_id == bindparam("author_id", type_=Integer))
    if "tag" in filters:
        tagged = select(PostTag.post_id).where(PostTag.tag_id == bindparam("tag_id", type_=Integer))
        query = query.where(Post.id.in_(tagged))
    column = _sort_column(sort)
    value = bindparam("cursor_value", type_=column.type)
    post_id = bindparam("cursor_id", type_=Integer)
    if cursor == "row":
        query = query.where(tuple_(column, Post.id) < tuple_(value, post_id))
    elif cursor == "or":
        query = query.where(or_(column < value, and_(column == value, Post.id < post_id)))
    return query.order_by(column.desc(), Post.id.desc()).limit(bindparam("rows", type_=Integer))


_BOARD_ID = select(Board.id).where(Board.slug == bindparam("slug"))
_TAG_ID = select(Tag.id).where(Tag.slug == bindparam("slug"))


def summary_page(
    session: Session,
    *,
    include_hidden: bool,
    filters: PostFilters,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[Row]:
    """One page of visible posts as rows of SUMMARY_COLUMNS (board and author joined in): the same
    posts, order and cursors as paginate(apply_filters(visible_posts(...))) gives as Post objects.
    A board or tag is looked up first, as apply_filters does (an unknown one matches nothing):
    with its id in hand the database plans the page for that board or tag."""
    connection = session.connection()
    names = tuple(name for name in ("board", "kind", "status", "author_id", "tag") if getattr(filters, name))
    params: dict[str, object] = {"rows": limit + 1}
    for name in names:
        if name == "board":
            params["board_id"] = connection.scalar(_BOARD_ID, {"slug": filters.board}) or -1
        elif name == "tag":
            params["tag_id"] = connection.scalar(_TAG_ID, {"slug": filters.tag}) or -1
        else:
            params[name] = getattr(filters, name)
    form = None
    if cursor:
        params["cursor_value"], params["cursor_id"] = decode_cursor(cursor, sort)
        form = "row" if _row_values_supported(session) else "or"
    statement = _summary_page_statement(include_hidden, sort, names, form)
    return _cut(connection.execute(statement, params).all(), sort, limit)


_TAG_SLUGS = (
    select(PostTag.post_id, Tag.slug)
    .join(Tag, Tag.id == PostTag.tag_id)
    .where(PostTag.post_id.in_(bindparam("post_ids", expanding=True)))
    .order_by(Tag.slug)
)


def tag_slugs(session: Session, post_ids: list[int]) -> dict[int, list[str]]:
    """The tags of these posts, by post id, each post's in slug order (as Post.tags has them)."""
    slugs: dict[int, list[str]] = {}
    if post_ids:
        for post_id, slug in session.connection().execute(_TAG_SLUGS, {"post_ids": post_ids}):
            slugs.setdefault(post_id, []).append(slug)
    return slugs


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


def _page_query(session: Session, query: Select, *, sort: str, cursor: str | None, limit: int) -> Select:
    """The query for one page, and one row more to tell whether another page follows."""
    column = _sort_column(sort)
    if cursor:
        value, post_id = decode_cursor(cursor, sort)
        query = (
            query.where(tuple_(column, Post.id) < tuple_(value, post_id))
            if _row_values_supported(session)
            else query.where(or_(column < value, and_(column == value, Post.id < post_id)))
        )
    return query.order_by(column.desc(), Post.id.desc()).limit(limit + 1)


def _cut(rows: list, sort: str, limit: int) -> Page:
    next_cursor = encode_cursor(sort, rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def paginate(session: Session, query: Select, *, sort: str, cursor: str | None, limit: int) -> Page[Post]:
    query = _page_query(session, query, sort=sort, cursor=cursor, limit=limit)
    return _cut(list(session.scalars(query).unique()), sort, limit)


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
