"""The scikit-learn backend: TF-IDF over words (jieba words for Chinese) and character n-grams, then SVD.

It learns its vocabulary and its SVD from the corpus it is fitted on, so its vectors only compare with
vectors of the same fit (see `fingerprint`). Fitting is deterministic: the same texts give the same
vectors.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence

import numpy as np

_CJK_RUN = re.compile(
    r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Character n-grams carry what word splitting loses: typos, inflections, and Chinese words that jieba
# splits differently in two posts. They are weighted below words, which carry most of the topic.
_CHAR_WEIGHT = 0.7
VERSION = "1"


def words(text: str) -> list[str]:
    """Lower-cased words: jieba words for Chinese runs, letter/digit runs for everything else."""
    import jieba

    out: list[str] = []
    for cjk, other in _CJK_RUN.findall(text.lower()):
        if cjk:
            out.extend(w for w in jieba.lcut(cjk) if w.strip())
        else:
            out.extend(_WORD.findall(other))
    return out


class TfidfModel:
    """TF-IDF (words + character 2-4-grams) reduced by truncated SVD to at most `dim` dimensions."""

    name = "tfidf"

    def __init__(self, dim: int = 256, seed: int = 0) -> None:
        self._max_dim = dim
        self._seed = seed
        self._words = None
        self._chars = None
        self._svd = None
        self._fit_digest = ""

    @property
    def dim(self) -> int:
        if self._svd is None:
            return self._max_dim
        return int(self._svd.n_components)

    @property
    def needs_fit(self) -> bool:
        return True

    @property
    def fingerprint(self) -> str:
        return f"tfidf-{VERSION}-d{self.dim}-{self._fit_digest or 'unfitted'}"

    def fit(self, texts: Sequence[str]) -> None:
        self._fit(list(texts))

    def fit_encode(self, texts: Sequence[str]) -> np.ndarray:
        """Fit on `texts` and return their vectors, building the features once instead of twice."""
        texts = list(texts)
        matrix = self._fit(texts)
        return _normalise(self._svd.transform(matrix).astype(np.float32))

    def _fit(self, texts: list[str]):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        logging.getLogger("jieba").setLevel(logging.WARNING)
        if not texts:
            raise ValueError("cannot fit a TF-IDF model on no texts")
        # min_df=2: a word seen once cannot link two posts; max_df drops words that are everywhere.
        # A small corpus keeps every word (tests, a first handful of posts).
        min_df, max_df = (2, 0.5) if len(texts) >= 20 else (1, 1.0)
        self._words = TfidfVectorizer(
            tokenizer=words,
            token_pattern=None,
            lowercase=False,
            ngram_range=(1, 2),
            min_df=min_df,
            max_df=max_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            min_df=min_df,
            max_df=max_df,
            sublinear_tf=True,
            dtype=np.float32,
            max_features=200_000,
        )
        matrix = self._features(texts, fit=True)
        n_components = max(1, min(self._max_dim, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self._svd = TruncatedSVD(
            n_components=n_components, algorithm="randomized", n_iter=5, random_state=self._seed
        )
        self._svd.fit(matrix)
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        self._fit_digest = digest.hexdigest()[:16]
        return matrix

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._svd is None:
            raise RuntimeError("the tfidf text model must be fitted on a corpus before it encodes")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._svd.transform(self._features(texts, fit=False)).astype(np.float32)
        return _normalise(vectors)

    def _features(self, texts: list[str], *, fit: bool):
        from scipy.sparse import hstack

        if fit:
            word_matrix = self._words.fit_transform(texts)
            char_matrix = self._chars.fit_transform(texts)
        else:
            word_matrix = self._words.transform(texts)
            char_matrix = self._chars.transform(texts)
        return hstack([word_matrix, char_matrix * _CHAR_WEIGHT]).tocsr()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # An empty text has no features: leave it at zero rather than divide by zero.
    np.maximum(norms, 1e-12, out=norms)
    return (vectors / norms).astype(np.float32, copy=False)
