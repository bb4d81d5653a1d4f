"""What every pretrained backend shares: no fit, and unit-length float32 rows out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalised(vectors) -> np.ndarray:  # noqa: ANN001
    vectors = np.asarray(vectors, dtype=np.float32)
    vectors = vectors.reshape(-1, vectors.shape[-1])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return vectors / norms


class PretrainedModel:
    """A backend whose weights are fixed: subclasses set `name` and `_DIM` and implement `_encode`
    (and `fingerprint`)."""

    name: str
    _DIM: int

    @property
    def dim(self) -> int:
        return self._DIM

    @property
    def needs_fit(self) -> bool:
        return False

    def fit(self, texts: Sequence[str]) -> None:
        """Nothing to learn: the model is pretrained."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._DIM), dtype=np.float32)
        return normalised(self._encode(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError
