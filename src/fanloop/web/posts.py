"""Post pages: read a post and its replies, write and edit posts, reply, vote ("me too") and follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import POST_KINDS, POST_STATUSES, Post
from fanloop.core.errors import Conflict, Invalid, NotFound, RateLimited
from fanloop.core.permissions import Action, can
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.web.deps import CsrfChecked, PageRoute, back_path, is_htmx, login_url, redirect
from fanloop.web.errors import error_message, form_errors, render_error
from fanloop.web.i18n import gettext
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
FormText = Annotated[str, Form(max_length=20_000)]
# Errors a form shows next to its fields; anything else gets the error page.
FORM_ERRORS = (Invalid, Conflict, RateLimited)


# --------------------------------------------------------------------------- reading


def _post_context(session: Session, viewer: Member | None, post: Post) -> dict:
    voted, followed = posts.member_relations(session, member=viewer, post_ids=[post.id])
    merged_into = None
    if post.merged_into_id:
        try:
            merged_into = posts.get_post(session, viewer=viewer, post_id=post.merged_into_id)
        except NotFound:
            merged_into = None
    return {
        "post": post,
        "voted": voted,
        "following": post.id in followed,
        "replies": posts.list_replies(session, viewer=viewer, post_id=post.id),
        "timeline": posts.status_history(session, viewer=viewer, post_id=post.id),
        "edited": bool(posts.list_revisions(session, viewer=viewer, post_id=post.id)),
        "merged_into": merged_into,
        "may": {
            "vote": can(viewer, Action.VOTE) and post.merged_into_id is None,
            "follow": can(viewer, Action.FOLLOW),
            "reply": posts.may_reply(viewer, post),
            "edit": posts.may_edit(viewer, post),
            "change_status": can(viewer, Action.CHANGE_STATUS),
            "moderate": can(viewer, Action.MODERATE),
            "merge": can(viewer, Action.MERGE_POSTS) and post.merged_into_id is None,
        },
        "statuses": [s for s in POST_STATUSES if s not in ("duplicate", post.status)],
    }


def render_post_page(
    request: Request,
    session: Session,
    viewer: Member | None,
    post_id: int,
    *,
    reply_body: str = "",
    errors: dict | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    context = {**_post_context(session, viewer, post), "reply_body": reply_body, "errors": errors or {}}
    return render(request, "community/post.html", context, status_code=status_code)


@router.get("/posts/{post_id:int}", response_class=HTMLResponse)
def post_page(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """A post with its details, status timeline and replies; staff also get their tools here."""
    return render_post_page(request, session, viewer, post_id)


@router.get("/posts/{post_id:int}/history", response_class=HTMLResponse)
def history(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """Earlier versions of an edited post."""
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    revisions = posts.list_revisions(session, viewer=viewer, post_id=post_id)
    return render(request, "community/history.html", {"post": post, "revisions": revisions})


# --------------------------------------------------------------------------- writing


def _form_context(
    session: Session, values: dict, errors: dict | None = None, post: Post | None = None
) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "boards": posts.list_boards(session),
        "tags": posts.list_tags(session),
        "kinds": POST_KINDS,
        "post": post,
    }


class PostForm(BaseModel):
    """The fields of the post form, as submitted (the service validates them)."""

    model_config = ConfigDict(extra="ignore")

    board: str = Field("", max_length=40)
    kind: str = Field("", max_length=20)
    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=40_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    device_model: str = Field("", max_length=1000)
    os_version: str = Field("", max_length=1000)
    steps_to_reproduce: str = Field("", max_length=40_000)

    @classmethod
    def of(cls, post: Post) -> PostForm:
        return cls(
            board=post.board.slug,
            kind=post.kind,
            title=post.title,
            body=post.body,
            tags=[tag.slug for tag in post.tags],
            device_model=post.device_model or "",
            os_version=post.os_version or "",
            steps_to_reproduce=post.steps_to_reproduce or "",
        )

    def to_input(self) -> posts.PostInput:
        return posts.PostInput(**self.model_dump(exclude={"tags"}), tags=tuple(self.tags))


PostFormData = Annotated[PostForm, Form()]


@router.get("/posts/new", response_class=HTMLResponse)
def new_post_form(
    request: Request, session: SessionDep, viewer: CurrentMember, board: str = "", kind: str = "bug"
):
    """The form for a new post; visitors are sent to log in first."""
    if viewer is None:
        return redirect(request, login_url("/posts/new"))
    values = {"board": board, "kind": kind if kind in POST_KINDS else "bug", "tags": []}
    return render(request, "community/post_form.html", _form_context(session, values))


@router.post("/posts/new", response_class=HTMLResponse)
def create_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: PostFormData,
):
    if viewer is None:
        return redirect(request, login_url("/posts/new"))
    try:
        post = posts.create_post(session, author=viewer, data=form.to_input(), settings=settings)
    except FORM_ERRORS as error:
        session.rollback()
        context = _form_context(session, form.model_dump(), form_errors(error))
        return render(request, "community/post_form.html", context, status_code=error.status_code)
    return redirect(request, f"/posts/{post.id}", flash=gettext("Your post is live. Thanks for sharing!"))


@router.get("/posts/{post_id:int}/edit", response_class=HTMLResponse)
def edit_post_form(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    if viewer is None:
        return redirect(request, login_url(f"/posts/{post_id}/edit"))
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    if not posts.may_edit(viewer, post):
        return render_error(request, 403, "")
    return render(
        request, "community/post_form.html", _form_context(session, PostForm.of(post).model_dump(), post=post)
    )


@router.post("/posts/{post_id:int}/edit", response_class=HTMLResponse)
def edit_post(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: PostFormData,
):
    if viewer is None:
        return redirect(request, login_url(f"/posts/{post_id}/edit"))
    try:
        posts.edit_post(session, editor=viewer, post_id=post_id, data=form.to_input())
    except FORM_ERRORS as error:
        session.rollback()
        post = posts.get_post(session, viewer=viewer, post_id=post_id)
        context = _form_context(session, form.model_dump(), form_errors(error), post=post)
        return render(request, "community/post_form.html", context, status_code=error.status_code)
    return redirect(request, f"/posts/{post_id}", flash=gettext("Your changes are saved."))


# --------------------------------------------------------------------------- replies, votes, follows


@router.post("/posts/{post_id:int}/replies", response_class=HTMLResponse)
def add_reply(
    post_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    body: FormText = "",
):
    if viewer is None:
        return redirect(request, login_url(f"/posts/{post_id}"))
    try:
        reply = posts.add_reply(session, author=viewer, post_id=post_id, body=body, settings=settings)
    except FORM_ERRORS as error:
        session.rollback()
        return render_post_page(
            request,
            session,
            viewer,
            post_id,
            reply_body=body,
            errors=form_errors(error),
            status_code=error.status_code,
        )
    return redirect(request, f"/posts/{post_id}#reply-{reply.id}", flash=gettext("Your reply is posted."))


@router.post("/posts/{post_id:int}/vote")
def toggle_vote(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    view: Annotated[str, Form(max_length=10)] = "row",
) -> Response:
    """Vote for a post or take the vote back ("me too" on a bug); htmx gets the updated box."""
    if viewer is None:
        return redirect(request, login_url(back_path(request, f"/posts/{post_id}")))
    try:
        post = posts.toggle_vote(session, member=viewer, post_id=post_id)
    except Conflict as error:
        session.rollback()
        return redirect(
            request, back_path(request, f"/posts/{post_id}"), flash=error_message(error), kind="error"
        )
    if not is_htmx(request):
        return redirect(request, back_path(request, f"/posts/{post_id}"))
    voted, _ = posts.member_relations(session, member=viewer, post_ids=[post.id])
    template = "community/_post_vote.html" if view == "page" else "community/_vote_box.html"
    context = {"post": post, "voted": voted, "may": {"vote": True}}
    return render(request, template, context)


@router.post("/posts/{post_id:int}/follow")
def set_follow(
    post_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    follow: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    """Follow a post to hear about replies and status changes, or stop following it."""
    if viewer is None:
        return redirect(request, login_url(f"/posts/{post_id}"))
    post = posts.set_follow(session, member=viewer, post_id=post_id, following=follow == "1")
    if is_htmx(request):
        return render(request, "community/_follow.html", {"post": post, "following": follow == "1"})
    message = (
        gettext("You follow this post now.") if follow == "1" else gettext("You no longer follow this post.")
    )
    return redirect(request, f"/posts/{post_id}", flash=message)
