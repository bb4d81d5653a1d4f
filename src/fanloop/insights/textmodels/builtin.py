"""Registers the built-in text-model backends. Each backend module imports its heavy dependencies
only when a model is created."""

from __future__ import annotations

from fanloop.insights.textmodels import TextModel, register


def _tfidf() -> TextModel:
    from fanloop.insights.textmodels.tfidf import TfidfModel

    return TfidfModel()


def _use() -> TextModel:
    from fanloop.insights.textmodels.use import UseModel

    return UseModel()


def _hybrid() -> TextModel:
    from fanloop.insights.textmodels.hybrid import HybridModel

    return HybridModel()


def _bilingual() -> TextModel:
    from fanloop.insights.textmodels.bilingual import BilingualModel

    return BilingualModel()


def _minilm() -> TextModel:
    from fanloop.insights.textmodels.neural import MiniLMModel

    return MiniLMModel()


def _e5() -> TextModel:
    from fanloop.insights.textmodels.neural import E5Model

    return E5Model()


register("tfidf", _tfidf)
register("use", _use)
register("hybrid", _hybrid)
register("bilingual", _bilingual)
register("minilm", _minilm)
register("e5", _e5)
