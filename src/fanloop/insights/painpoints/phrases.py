"""Key phrases for pain points, in their posts' language: class-based TF-IDF (c-TF-IDF).

Each cluster's posts are joined into one document of terms: jieba words for Chinese, words and
two-word phrases for English, stop words and bare numbers removed. A term scores by how often it
appears in the cluster, times how rare it is across all clusters:

    score(t, c) = tf(t, c) / len(c)  *  log(1 + A / f(t))

where `A` is the average number of terms per cluster and `f(t)` the term's count over all clusters
(BERTopic's c-TF-IDF). Pure functions: no database, no model."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence

import jieba
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

jieba.setLogLevel(logging.WARNING)

MAX_PHRASES = 5
# A cluster's label is read from at most this many of its posts (the caller passes the ones nearest
# the centroid), so labelling 100,000 posts costs what labelling a few thousand does.
MAX_TEXTS_PER_CLUSTER = 300
MAX_CHARS_PER_TEXT = 400

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{_CJK}]+)|([^{_CJK}]+)")
_WORD = re.compile(r"[a-z][a-z0-9'’+-]*[a-z0-9+]|[a-z]")
_CJK_ONLY = re.compile(rf"^[{_CJK}]+$")

# Words that say nothing about the problem itself in a complaint.
_ENGLISH_STOP_WORDS = (
    "app please just really like get got getting does did doesn't don't can't won't isn't it's i'm "
    "i've still also even every time times day days use using used phone issue problem bug thing "
    "things lot way want need make makes since would could ever keep keeps one two now today "
    "yesterday thanks thank hi hello guys team anyone know "
)
ENGLISH_STOP = frozenset(ENGLISH_STOP_WORDS) | frozenset(_ENGLISH_STOP_WORDS.split())
_CHINESE_STOP_WORDS = (
    "的 了 是 在 我 也 和 就 都 而 及 与 着 或 一个 没有 吗 吧 啊 呢 这个 那个 什么 怎么 为什么 还是 但是 "
    "就是 还有 已经 可以 不能 不是 一下 一直 现在 每次 有点 感觉 觉得 然后 因为 所以 如果 这样 那么 真的 "
    "非常 特别 太 很 又 再 都是 我们 你们 他们 希望 能否 能不能 请问 谢谢 大家 问题 手机 一样 这么 这种 "
    "时候 之后 以后 之前 以前 出现 经常 总是 老是 一次 几次 好几次 直接 自己 不会 不了 不要 需要 到底 "
    "而且 并且 其实 只能 只是 还要 这些 那些 哪里 为啥 啥 怎么办 有没有 是不是 一点 好像 可能 应该"
)
CHINESE_STOP = frozenset(_CHINESE_STOP_WORDS.split())


def is_chinese(language: str) -> bool:
    return language.lower().startswith("zh")


def terms(text: str, language: str) -> list[str]:
    """The label terms of one text: for Chinese, jieba words of two or more characters; for English,
    words and adjacent-word bigrams. Stop words are dropped (and a bigram must hold none)."""
    text = text[:MAX_CHARS_PER_TEXT].lower()
    if is_chinese(language):
        found: list[str] = []
        for cjk, _other in _RUN.findall(text):
            if cjk:
                found.extend(word for word in jieba.cut(cjk) if len(word) >= 2 and word not in CHINESE_STOP)
        return found
    found = []
    for sentence in re.split(r"[.!?;:,\n()\[\]\"]+", text):
        words = _WORD.findall(sentence)
        keep = [word if word not in ENGLISH_STOP else None for word in words]
        found.extend(word for word in keep if word is not None and len(word) > 1)
        found.extend(f"{a} {b}" for a, b in zip(keep, keep[1:], strict=False) if a and b and len(a) > 1)
    return found


def cluster_phrases(
    clusters: Sequence[Sequence[str]], languages: Sequence[str], *, top: int = MAX_PHRASES
) -> list[list[str]]:
    """The top key phrases of each cluster (a list of its texts), in the cluster's language."""
    counts = [
        Counter(term for text in texts[:MAX_TEXTS_PER_CLUSTER] for term in terms(text, language))
        for texts, language in zip(clusters, languages, strict=True)
    ]
    totals: Counter[str] = Counter()
    for counter in counts:
        totals.update(counter)
    sizes = [sum(counter.values()) for counter in counts]
    average = (sum(sizes) / len(sizes)) if sizes else 0.0
    labels = []
    for counter, size in zip(counts, sizes, strict=True):
        if not size:
            labels.append([])
            continue
        scored = sorted(
            ((count / size * math.log(1 + average / totals[term]), term) for term, count in counter.items()),
            key=lambda pair: (-pair[0], pair[1]),
        )
        labels.append(_distinct([term for _, term in scored], top=top, counter=counter))
    return labels


def _distinct(ranked: list[str], *, top: int, counter: Counter[str]) -> list[str]:
    """The best phrases, without repeating a word already shown: a bigram replaces the chosen single
    words it contains, and a phrase sharing a word with a chosen one is skipped. Terms seen once are a last resort."""
    chosen: list[str] = []
    for term in sorted(ranked, key=lambda t: counter[t] < 2):  # stable: keeps score order within each
        words = set(term.split())
        contained = [c for c in chosen if set(c.split()) <= words]
        if contained and len(contained) == sum(1 for c in chosen if words & set(c.split())):
            chosen[chosen.index(contained[0])] = term
            chosen = [c for c in chosen if c == term or c not in contained]
            continue
        if any(words & set(c.split()) for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == top:
            break
    return chosen


def dominant_language(languages: Sequence[str]) -> str:
    """The language most of the posts are in ("zh_CN" style codes kept as given)."""
    if not languages:
        return "en"
    return Counter(languages).most_common(1)[0][0]


def label(phrases: Sequence[str], language: str) -> str:
    """A readable label from key phrases: "电池 · 耗电 · 发热" or "battery drain · overnight"."""
    return " · ".join(phrases) if phrases else ("未命名" if is_chinese(language) else "Unnamed")


def looks_chinese(term: str) -> bool:
    return bool(_CJK_ONLY.match(term))
