"""The `hybrid` backend: USE multilingual sentence vectors side by side with TF-IDF+SVD vectors of the
corpus. USE knows what a sentence means; TF-IDF knows the corpus's own vocabulary (product names,
error codes, jargon no pretrained model saw). Together they cluster better than either alone (see
docs/text-models.md for the figures). It needs a fit, so its vectors are for mining one corpus; the
product stores USE vectors and adds the TF-IDF half at mining time (`mining.mine_texts`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fanloop.insights.textmodels.tfidf import TfidfModel
from fanloop.insights.textmodels.use import UseModel

# The TF-IDF half's weight against USE's (both halves are unit vectors before weighting). Chosen on
# development data (Banking77 train, a shopping sample disjoint from the benchmark's), not on the
# benchmark sets.
TFIDF_WEIGHT = 0.7


def combine(sentence_vectors: np.ndarray, corpus_vectors: np.ndarray) -> np.ndarray:
    """Unit rows of [sentence | TFIDF_WEIGHT * corpus]; both inputs have unit rows."""
    joined = np.hstack([sentence_vectors, TFIDF_WEIGHT * corpus_vectors]).astype(np.float32, copy=False)
    joined /= np.sqrt(1.0 + TFIDF_WEIGHT**2)
    return joined


class HybridModel:
    name = "hybrid"

    def __init__(self) -> None:
        self._sentences = UseModel()
        self._corpus = TfidfModel()

    @property
    def dim(self) -> int:
        return self._sentences.dim + self._corpus.dim

    @property
    def needs_fit(self) -> bool:
        return True

    @property
    def fingerprint(self) -> str:
        return f"hybrid-{self._sentences.fingerprint}-{self._corpus.fingerprint}"

    def fit(self, texts: Sequence[str]) -> None:
        self._corpus.fit(texts)

    def fit_encode(self, texts: Sequence[str]) -> np.ndarray:
        """Fit the TF-IDF half on `texts` and return their vectors."""
        texts = list(texts)
        return combine(self._sentences.encode(texts), self._corpus.fit_encode(texts))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        return combine(self._sentences.encode(texts), self._corpus.encode(texts))
