"""User-interface translations (gettext) for fanloop.

English ("en") is the source language: strings are written in English in the
code and templates, and other languages are provided by catalogues under
``src/fanloop/locale/<lang>/LC_MESSAGES/messages.po``.  Only the ``.po`` files
are kept in the repository; they are compiled in memory the first time a
language is used (all supported languages are compiled at import time), so no
``.mo`` build step is needed.

Updating the catalogues after changing UI strings (run from the repository root)::

    pybabel extract -F babel.cfg -o messages.pot src
    pybabel update -i messages.pot -d src/fanloop/locale
    # translate the new/fuzzy entries in src/fanloop/locale/*/LC_MESSAGES/messages.po
    rm messages.pot

Adding a language::

    pybabel init -i messages.pot -d src/fanloop/locale -l <lang>
    # then add it to SUPPORTED_LANGUAGES below

The active language lives in the context variable :data:`current_language`, so
code without access to the request (services, templates, e-mail builders) can
call :func:`gettext` / :func:`ngettext` and get the viewer's language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_DIR",
    "SUPPORTED_LANGUAGES",
    "current_language",
    "get_locale",
    "get_translations",
    "gettext",
    "html_lang",
    "negotiate_language",
    "ngettext",
    "normalize_language",
    "npgettext",
    "pgettext",
    "use_language",
]

#: Directory holding ``<lang>/LC_MESSAGES/messages.po``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

#: Language code -> name of the language in that language (shown in the switcher).
SUPPORTED_LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}

DEFAULT_LANGUAGE = "en"
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"

#: Language of the current request / job.  Set by the web layer (see
#: ``fanloop.web.templating.render``) or with :func:`use_language`.
current_language: ContextVar[str] = ContextVar("fanloop_current_language", default=DEFAULT_LANGUAGE)

_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def normalize_language(value: str | None) -> str | None:
    """Map a language tag (``zh-CN``, ``zh_Hans``, ``en-US``, ``EN``...) to a supported
    code, or ``None`` if it is empty, malformed or not supported."""
    if not value:
        return None
    value = value.strip()
    if not _LANG_RE.match(value):
        return None
    if value in SUPPORTED_LANGUAGES:
        return value
    primary = value.replace("_", "-").split("-", 1)[0].lower()
    if primary == "zh":
        # Only Simplified Chinese is shipped; it is the best match for any zh-* tag.
        return "zh_CN"
    if primary == "en":
        return "en"
    for code in SUPPORTED_LANGUAGES:
        if code.lower() == primary:
            return code
    return None


def _parse_accept_language(header: str) -> list[str]:
    """Language ranges from an Accept-Language header, best first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(val.strip())
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        ranked.append((-quality, index, tag.strip()))
    ranked.sort()
    return [tag for _, _, tag in ranked]


def negotiate_language(cookie_value: str | None, accept_language: str | None) -> str:
    """Pick the UI language: a valid ``lang`` cookie wins, then the best supported
    entry of the Accept-Language header (any ``zh*`` -> ``zh_CN``), else ``"en"``."""
    from_cookie = normalize_language(cookie_value)
    if from_cookie:
        return from_cookie
    if accept_language:
        for tag in _parse_accept_language(accept_language):
            if tag == "*":
                return DEFAULT_LANGUAGE
            lang = normalize_language(tag)
            if lang:
                return lang
    return DEFAULT_LANGUAGE


def _catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(lang: str):  # noqa: ANN201
    """The language's catalogue: ``messages.po`` plus every other ``.po`` beside it (one per product
    area, so areas can be translated independently), merged in name order."""
    main = _catalogue_path(lang)
    with main.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=DOMAIN)
    for extra in sorted(main.parent.glob("*.po")):
        if extra == main:
            continue
        with extra.open("rb") as fp:
            for message in read_po(fp, locale=lang, domain=DOMAIN):
                if message.id and message.id not in catalog:
                    catalog[message.id] = message
    return catalog


@functools.cache
def get_translations(lang: str) -> Translations:
    """Translations for ``lang`` (compiled in memory from the ``.po`` file, cached).

    The source language and unknown languages get empty translations, i.e. the
    English msgids are returned unchanged.
    """
    lang = normalize_language(lang) or DEFAULT_LANGUAGE
    path = _catalogue_path(lang)
    if lang == SOURCE_LANGUAGE or not path.is_file():
        return Translations(domain=DOMAIN)
    catalog = load_catalog(lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _active() -> NullTranslations:
    return get_translations(current_language.get())


def gettext(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form for count ``n`` (no ``%`` formatting)."""
    return _active().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` disambiguated by ``context`` (msgctxt)."""
    return _active().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """Plural-aware :func:`pgettext`."""
    return _active().npgettext(context, singular, plural, n)


@contextmanager
def use_language(lang: str) -> Iterator[str]:
    """Temporarily switch :data:`current_language` (e.g. for e-mails or tests)."""
    code = normalize_language(lang) or DEFAULT_LANGUAGE
    token = current_language.set(code)
    try:
        yield code
    finally:
        current_language.reset(token)


@functools.cache
def get_locale(lang: str) -> Locale:
    """Babel locale used for dates and numbers in ``lang``."""
    return Locale.parse(normalize_language(lang) or DEFAULT_LANGUAGE)


def html_lang(lang: str) -> str:
    """BCP 47 tag for ``<html lang>``: ``zh_CN`` -> ``zh-CN``."""
    return (normalize_language(lang) or DEFAULT_LANGUAGE).replace("_", "-")


# Compile every shipped catalogue now so a broken .po file fails at start-up.
for _lang in SUPPORTED_LANGUAGES:
    get_translations(_lang)
del _lang
