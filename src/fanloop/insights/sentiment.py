"""Negativity of a post, 0 (clearly positive) .. 0.5 (neutral or no opinion) .. 1 (clearly negative).

Pure and fast: lexicon rules, no model. English goes through VADER (its lexicon ships in the wheel)
with product-feedback words added; Chinese goes through the hand-written lexicon in sentiment_zh.txt
with the same kind of rules — negation flips the next opinion word, degree words scale it, a clause
after 但是/不过 counts more than the one before it, 虽然 weakens its clause, and exclamation marks
strengthen a sentence. Emoji are not scored: their meaning differs too much between communities.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from fanloop.core.text import detect_language

NEUTRAL = 0.5
# VADER's normalisation of a summed valence into -1..1; used for Chinese too so that the two
# languages share one scale.
_NORMALISATION_ALPHA = 15.0
_CONTRAST_BEFORE, _CONTRAST_AFTER = 0.5, 1.5
_CONCESSION_WEIGHT = 0.5
_EXCLAMATION_BOOST, _MAX_EXCLAMATIONS = 0.15, 3
# A degree word after a negation reads as "not very": 不太好 is mildly negative, not strongly.
_DEGREE_AFTER_NEGATION = 0.6

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0000fe0f\U0000200d\U0001f1e6-\U0001f1ff]"
)
_SENTENCE = re.compile(r"[^。！？!?；;\n…]+[。！？!?；;\n…]*")
_PARTICLES = frozenset("了啦的呀啊吧")
_CLAUSE_BREAK = frozenset("，,、：:～~（）()「」“”\"' \t.")


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one language, read from a lexicon file in this package."""

    sentiment: dict[str, float] = field(default_factory=dict)
    negator: dict[str, float] = field(default_factory=dict)
    degree: dict[str, float] = field(default_factory=dict)
    contrast: dict[str, float] = field(default_factory=dict)
    concession: dict[str, float] = field(default_factory=dict)

    def words(self) -> set[str]:
        return {*self.sentiment, *self.negator, *self.degree, *self.contrast, *self.concession}


def parse_lexicon(source: str, *, name: str = "lexicon") -> Lexicon:
    """A lexicon from its text: `[section]` headers, then `word value` lines; # starts a comment."""
    lexicon = Lexicon()
    section: dict[str, float] | None = None
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = getattr(lexicon, line[1:-1], None)
            if not isinstance(section, dict):
                raise ValueError(f"{name} line {number}: unknown section {line}")
            continue
        word, _, value = line.rpartition(" ")
        if section is None or not word.strip():
            raise ValueError(f"{name} line {number}: expected `word value` inside a section")
        try:
            section[word.strip().lower()] = float(value)
        except ValueError:
            raise ValueError(f"{name} line {number}: {value!r} is not a number") from None
    return lexicon


@cache
def load_lexicon(filename: str) -> Lexicon:
    """One of the lexicon files shipped beside this module."""
    source = resources.files("fanloop.insights").joinpath(filename).read_text(encoding="utf-8")
    return parse_lexicon(source, name=filename)


@lru_cache(maxsize=1)
def _chinese_tokenizer():  # noqa: ANN202
    """A jieba tokenizer of its own that knows the lexicon's phrases, so that the shared one used for
    search terms is left as it is."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in load_lexicon("sentiment_zh.txt").words():
        if len(word) > 1 and not word.isascii():
            tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False) + 1000)
    return tokenizer


@lru_cache(maxsize=1)
def _english_analyzer():  # noqa: ANN202
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(load_lexicon("sentiment_en.txt").sentiment)
    return analyzer


def warm_up() -> None:
    """Load the lexicons and jieba's dictionary now rather than on the first post."""
    _chinese_tokenizer()
    _english_analyzer()


def _squash(valence: float) -> float:
    """A summed valence (positive = favourable) as negativity in 0..1."""
    compound = valence / math.sqrt(valence * valence + _NORMALISATION_ALPHA)
    return (1.0 - compound) / 2.0


@lru_cache(maxsize=65536)
def _split_modifiers(word: str) -> tuple[str, ...]:
    """jieba's dictionary holds compounds such as 不太好 and 很慢 that the lexicon does not: split a
    leading negation or degree word off when the rest is an opinion word (or splits again into one)."""
    lexicon = load_lexicon("sentiment_zh.txt")
    if word in lexicon.sentiment or len(word) < 2:
        return (word,)
    if word[-1] in _PARTICLES:  # 太好了, 好用的
        stem = _split_modifiers(word[:-1])
        if stem[-1] in lexicon.sentiment:
            return (*stem, word[-1])
    for cut in range(min(4, len(word) - 1), 0, -1):
        prefix, rest = word[:cut], word[cut:]
        if prefix in lexicon.negator or prefix in lexicon.degree:
            tail = _split_modifiers(rest)
            if tail[-1] in lexicon.sentiment:
                return (prefix, *tail)
    return (word,)


def _chinese_words(sentence: str) -> list[str]:
    words: list[str] = []
    for token in _chinese_tokenizer().lcut(sentence):
        words.extend(_split_modifiers(token.strip().lower()))
    return words


def _chinese_sentence_valence(sentence: str, lexicon: Lexicon) -> float:
    before = after = 0.0
    contrasted = conceding = False
    negation: float | None = None
    degree = 1.0
    for word in _chinese_words(sentence):
        if not word or word in _CLAUSE_BREAK:
            negation, degree, conceding = None, 1.0, False
        elif word in lexicon.contrast:
            contrasted, conceding, negation, degree = True, False, None, 1.0
        elif word in lexicon.concession:
            conceding = True
        elif word in lexicon.negator:
            negation = lexicon.negator[word] * (negation if negation is not None else 1.0)
        elif word in lexicon.degree:
            degree *= _DEGREE_AFTER_NEGATION if negation is not None else lexicon.degree[word]
        elif word in lexicon.sentiment:
            value = lexicon.sentiment[word] * degree * (negation if negation is not None else 1.0)
            if conceding:
                value *= _CONCESSION_WEIGHT
            if contrasted:
                after += value
            else:
                before += value
            negation, degree = None, 1.0
    if contrasted:
        return before * _CONTRAST_BEFORE + after * _CONTRAST_AFTER
    return before


def chinese_valence(text: str) -> float:
    """Summed opinion of a Chinese text, positive when favourable; 0 when it holds no opinion words."""
    lexicon = load_lexicon("sentiment_zh.txt")
    total = 0.0
    for sentence in _SENTENCE.findall(text):
        valence = _chinese_sentence_valence(sentence, lexicon)
        bangs = min(sentence.count("!") + sentence.count("！"), _MAX_EXCLAMATIONS)
        total += valence * (1.0 + _EXCLAMATION_BOOST * bangs)
    return total


def text_negativity(text: str) -> float:
    """Negativity of one text in 0..1; 0.5 when it expresses no opinion (empty, emoji only, neutral)."""
    text = _EMOJI.sub(" ", text or "").strip()
    if not text:
        return NEUTRAL
    if detect_language(text) == "zh_CN":
        return _squash(chinese_valence(text))
    compound = _english_analyzer().polarity_scores(text)["compound"]
    return (1.0 - compound) / 2.0


def negativity(texts: Sequence[str]) -> list[float]:
    """Negativity of each text in 0..1 (see text_negativity), Chinese and English alike."""
    return [text_negativity(text) for text in texts]
