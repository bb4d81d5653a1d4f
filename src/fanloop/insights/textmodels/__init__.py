"""The text-model extension point: one interface that turns texts into vectors.

A backend is a class implementing `TextModel`. Built-in backends register themselves below;
a third-party package adds its own by declaring an entry point in the group `fanloop.text_models`
whose object is a zero-argument factory returning a `TextModel`:

    [project.entry-points."fanloop.text_models"]
    mymodel = "mypackage.fanloop_backend:MyModel"

Vectors are float32, one row per text, L2-normalised, so a dot product is a cosine similarity.
A backend that must learn from a corpus (TF-IDF) is `fit` once on it; every vector it gives
afterwards lives in the space of that fit, named by `fingerprint`, so stored vectors from another
fit (or another backend) are never compared with new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TextModel(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    @property
    def needs_fit(self) -> bool:
        """True when `fit` must run on a corpus before `encode` (TF-IDF); False for pretrained models."""
        ...

    @property
    def fingerprint(self) -> str:
        """Identifies the vector space: backend name, version, and for fitted backends the fit itself."""
        ...

    def fit(self, texts: Sequence[str]) -> None: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`: shape (len(texts), dim), float32, L2-normalised rows."""
        ...


# The backend that gives each post its stored vector unless FANLOOP_TEXT_MODEL names another.
DEFAULT_TEXT_MODEL = "bilingual"


class UnknownTextModel(LookupError):
    pass


_FACTORIES: dict[str, Callable[[], TextModel]] = {}


def register(name: str, factory: Callable[[], TextModel]) -> None:
    _FACTORIES[name] = factory


def _load_entry_points() -> None:
    for entry in entry_points(group="fanloop.text_models"):
        _FACTORIES.setdefault(entry.name, entry.load())


def available() -> list[str]:
    _load_builtins()
    _load_entry_points()
    return sorted(_FACTORIES)


def create(name: str) -> TextModel:
    _load_builtins()
    if name not in _FACTORIES:
        _load_entry_points()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownTextModel(f"unknown text model {name!r}; available: {', '.join(available())}") from None
    return factory()


def _load_builtins() -> None:
    """Built-in backends register themselves on import (kept lazy: some load large weights)."""
    from fanloop.insights.textmodels import builtin  # noqa: F401
