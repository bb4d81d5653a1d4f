"""Friendly HTML error pages, and domain error messages in the viewer's language."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from fanloop.core.errors import Conflict, DomainError, Invalid, NotFound, RateLimited
from fanloop.web import presenters  # noqa: F401  (registers the template helpers)
from fanloop.web.deps import (
    back_path,
    current_path,
    finish_page_response,
    init_page_state,
    login_url,
    redirect,
)
from fanloop.web.i18n import gettext, ngettext
from fanloop.web.templating import render


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when shown."""
    return message


# Messages the services raise most often on forms; listed so the catalogue can translate them.
DOMAIN_MESSAGES = (
    N_("The title is required."),
    N_("The body is required."),
    N_("The title is longer than 200 characters."),
    N_("The device model is longer than 80 characters."),
    N_("The os version is longer than 80 characters."),
    N_("At most 5 tags."),
    N_("A handle is 3-30 characters: lower-case letters, digits and _."),
    N_("Enter a valid e-mail address."),
    N_("The password must be at least 8 characters."),
    N_("The password must be at most 200 characters."),
    N_("That handle is taken."),
    N_("An account with that e-mail address exists already."),
    N_("This reset link is invalid or has expired."),
    N_("This post is locked."),
    N_("This post is locked; only staff can reply."),
    N_("Log in to do this."),
    N_("This account is suspended."),
    N_("The form has expired or the CSRF token is missing; reload the page and try again."),
    N_("Mark a duplicate by merging it into the original post."),
    N_("A post cannot be merged into itself."),
    N_("Give the token a name of 1-80 characters."),
    N_("You are the last admin; appoint another before stepping down."),
    N_("Some of the input is not valid."),
)


DEFAULT_TITLE = N_("Something went wrong")


def error_message(error: DomainError | str) -> str:
    """The error's detail in the viewer's language (known messages are translated)."""
    if isinstance(error, RateLimited):
        return ngettext(
            "You are doing that too often. Please wait %(num)d second and try again.",
            "You are doing that too often. Please wait %(num)d seconds and try again.",
            error.retry_after,
        ) % {"num": error.retry_after}
    detail = error.detail if isinstance(error, DomainError) else error
    return gettext(detail) if detail else ""


def form_errors(error: DomainError) -> dict[str, str]:
    """Field name (or ``form``) -> message in the viewer's language, for a form to show."""
    return {error.field or "form": error_message(error)}


def _title(status: int) -> str:
    titles = {
        400: N_("That request did not work"),
        401: N_("Please log in"),
        403: N_("You don't have access to this"),
        404: N_("We couldn't find that page"),
        405: N_("That request did not work"),
        409: N_("That clashes with something else"),
        422: N_("Some of the input is not valid"),
        429: N_("Slow down a little"),
    }
    return gettext(titles.get(status, DEFAULT_TITLE))


def render_error(request: Request, status: int, detail: str) -> Response:
    """An error page in the site's layout; a page that needs a log-in sends the visitor there."""
    init_page_state(request)
    if status == 401 and not request.headers.get("hx-request"):
        target = current_path(request) if request.method == "GET" else back_path(request)
        return finish_page_response(request, RedirectResponse(login_url(target), status_code=303))
    if status == 429:
        message = gettext("You are doing that too often. Please wait a moment and try again.")
    else:
        message = gettext(detail) if detail else ""
    response = render(
        request,
        "errors/error.html",
        {"status": status, "title": _title(status), "message": message},
        status_code=status,
    )
    return finish_page_response(request, response)


def act(
    request: Request,
    session: Session,
    back: str,
    action: Callable[[], object],
    done: Callable[[object], tuple[str, str]],
) -> Response:
    """Run a staff action, then go where `done` says with its message; a refused change goes back
    to the page it came from with the reason."""
    try:
        result = action()
    except (Invalid, Conflict, NotFound) as error:
        session.rollback()
        return redirect(request, back, flash=error_message(error), kind="error")
    url, message = done(result)
    return redirect(request, url, flash=message)
