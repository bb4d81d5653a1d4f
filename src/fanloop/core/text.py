"""Pure text functions: Markdown rendering with sanitising, and search terms for Chinese and English."""

from __future__ import annotations

import html
import logging
import re
from functools import lru_cache

import jieba
import nh3
from markdown_it import MarkdownIt

jieba.setLogLevel(logging.WARNING)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "del",
    "s",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}


def render_plain(source: str) -> str:
    """Plain text (a social mention, an e-mail) as safe HTML: escaped, blank lines make paragraphs,
    single line breaks stay. Cheaper than Markdown and never reads markup into a fan's words."""
    paragraphs = [p for p in source.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def render_markdown(source: str) -> str:
    """Markdown to HTML that is safe to show: raw HTML is escaped, then the output is sanitised."""
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.+-]*[a-z0-9+]|[a-z0-9]", re.IGNORECASE)
_RUN = re.compile(
    r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "with",
        "you",
        "your",
        "的",
        "了",
        "是",
        "在",
        "我",
        "也",
        "和",
        "就",
        "都",
        "而",
        "及",
        "与",
        "着",
        "或",
        "一个",
        "没有",
        "吗",
        "吧",
        "啊",
        "呢",
    ]
)
MAX_TERM_LENGTH = 64


def search_terms(text: str) -> set[str]:
    """The words of a text for the search index: jieba words (and their sub-words) for Chinese runs,
    lower-cased words for everything else."""
    terms: set[str] = set()
    for cjk, other in _RUN.findall(text.lower()):
        if cjk:
            for word in jieba.cut_for_search(cjk):
                if word not in _STOPWORDS:
                    terms.add(word)
        else:
            for word in _WORD.findall(other):
                if word not in _STOPWORDS:
                    terms.add(word[:MAX_TERM_LENGTH])
    return terms


def query_terms(query: str) -> list[str]:
    """The terms a search must match, in the same segmentation as the index."""
    terms: list[str] = []
    for cjk, other in _RUN.findall(query.lower()):
        if cjk:
            words = [w for w in jieba.cut(cjk) if w not in _STOPWORDS and w.strip()]
            terms.extend(words or [cjk])
        else:
            terms.extend(w[:MAX_TERM_LENGTH] for w in _WORD.findall(other) if w not in _STOPWORDS)
    return list(dict.fromkeys(terms))


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first post."""
    jieba.initialize()


_NOT_LETTERS = re.compile(r"[\W\d_]+")


def detect_language(text: str) -> str:
    """zh_CN when a fair share of the letters are Chinese, else en."""
    cjk = sum(len(m) for m in _CJK.findall(text))
    letters = len(_NOT_LETTERS.sub("", text))  # one pass in C; a loop over characters was most of the time
    return "zh_CN" if letters and cjk / letters >= 0.3 else "en"
