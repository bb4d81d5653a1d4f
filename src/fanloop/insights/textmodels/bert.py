"""A BERT sentence encoder without a deep-learning framework: it reads a sentence-transformers
model's safetensors weights and tokenizer, writes the forward pass as an ONNX graph, quantises its
matrix products to 8 bits, and runs it on ONNX Runtime, then mean-pools.

So a small pretrained model (MiniLM-L6, 22 M parameters) runs on a plain install: no torch, no
download. Measured on 2 cores, Banking77's 3,080 queries: fp32 289 texts/s (NMI 0.813, the same as
sentence-transformers on torch), int8 403 texts/s (NMI 0.812). Texts are sorted by length and
batched by a token budget, so padding costs little and short posts are quick.
"""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path

import numpy as np

# Tokens per forward batch (rows × padded length). Measured: 2,048 beat 8,192 by a fifth (the
# activations stay in cache).
TOKEN_BUDGET = 2048

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in a .safetensors file, as arrays over one read-only memory map."""
    with path.open("rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_size)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path.name}: tensor {name} has unsupported dtype {entry['dtype']}")
        start, end = entry["data_offsets"]
        tensors[name] = data[start:end].view(dtype).reshape(entry["shape"])
    return tensors


class _GraphBuilder:
    """Accumulates ONNX nodes and initialisers with generated names."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initialisers: list = []
        self._count = 0

    def constant(self, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = f"c{len(self.initialisers)}"
        self.initialisers.append(numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def op(self, kind: str, *inputs: str, **attributes) -> str:  # noqa: ANN003
        from onnx import helper

        self._count += 1
        output = f"t{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output


def build_graph(model_dir: Path):  # noqa: ANN201 (onnx.ModelProto; onnx is imported lazily)
    """The model's forward pass and mean pooling as an ONNX graph.

    Inputs: `input_ids` (batch, length) int64, `attention_mask` (batch, length) float32 (1 for a
    token, 0 for padding); output `pooled` (batch, hidden): the mean of the last layer's token
    vectors over the mask, as sentence-transformers' mean pooling computes it."""
    from onnx import TensorProto, helper

    config = json.loads((model_dir / "config.json").read_text())
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_size = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    weights = read_safetensors(model_dir / "model.safetensors")
    g = _GraphBuilder()

    def weight(name: str) -> np.ndarray:
        return np.asarray(weights[name], dtype=np.float32)

    def dense(x: str, prefix: str) -> str:
        """x @ W.T + b for a torch Linear layer's weight (out, in)."""
        return g.op("Add", g.op("MatMul", x, g.constant(weight(f"{prefix}.weight").T)), g.constant(weight(f"{prefix}.bias")))

    def layer_norm(x: str, prefix: str) -> str:
        scale, bias = g.constant(weight(f"{prefix}.weight")), g.constant(weight(f"{prefix}.bias"))
        return g.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)

    ids, mask = "input_ids", "attention_mask"
    # Positions 0..length-1, taken from the ids' shape.
    length = g.op("Gather", g.op("Shape", ids), g.constant(np.array(1, dtype=np.int64)))
    positions = g.op(
        "Range", g.constant(np.array(0, dtype=np.int64)), length, g.constant(np.array(1, dtype=np.int64))
    )
    x = g.op("Gather", g.constant(weight("embeddings.word_embeddings.weight")), ids)
    x = g.op("Add", x, g.op("Gather", g.constant(weight("embeddings.position_embeddings.weight")), positions))
    x = g.op("Add", x, g.constant(weight("embeddings.token_type_embeddings.weight")[0]))
    x = layer_norm(x, "embeddings.LayerNorm")
    # Padding keys get a large negative score, so no token attends to them: (mask - 1) * 10^4.
    key_bias = g.op(
        "Mul", g.op("Sub", mask, g.constant(np.array(1.0, dtype=np.float32))), g.constant(np.array(1e4, dtype=np.float32))
    )
    key_bias = g.op("Unsqueeze", key_bias, g.constant(np.array([1, 2], dtype=np.int64)))
    split_heads = g.constant(np.array([0, 0, 3, heads, head_size], dtype=np.int64))
    join_heads = g.constant(np.array([0, 0, hidden], dtype=np.int64))
    scale = g.constant(np.array(1 / np.sqrt(head_size), dtype=np.float32))
    parts = [g.constant(np.array(index, dtype=np.int64)) for index in range(3)]
    for index in range(int(config["num_hidden_layers"])):
        prefix = f"encoder.layer.{index}"
        attention = f"{prefix}.attention.self"
        # Query, key and value in one product: (batch, length, 3·hidden) → (3, batch, heads, length, head).
        qkv_weight = np.concatenate([weight(f"{attention}.{part}.weight") for part in ("query", "key", "value")])
        qkv_bias = np.concatenate([weight(f"{attention}.{part}.bias") for part in ("query", "key", "value")])
        qkv = g.op("Add", g.op("MatMul", x, g.constant(qkv_weight.T)), g.constant(qkv_bias))
        qkv = g.op("Transpose", g.op("Reshape", qkv, split_heads), perm=[2, 0, 3, 1, 4])
        query, key, value = (g.op("Gather", qkv, part, axis=0) for part in parts)
        scores = g.op("MatMul", g.op("Mul", query, scale), g.op("Transpose", key, perm=[0, 1, 3, 2]))
        weights_ = g.op("Softmax", g.op("Add", scores, key_bias), axis=-1)
        context = g.op("Transpose", g.op("MatMul", weights_, value), perm=[0, 2, 1, 3])
        context = dense(g.op("Reshape", context, join_heads), f"{prefix}.attention.output.dense")
        x = layer_norm(g.op("Add", context, x), f"{prefix}.attention.output.LayerNorm")
        inner = g.op("Gelu", dense(x, f"{prefix}.intermediate.dense"))
        x = layer_norm(g.op("Add", dense(inner, f"{prefix}.output.dense"), x), f"{prefix}.output.LayerNorm")
    token_axis = g.constant(np.array([1], dtype=np.int64))
    summed = g.op("ReduceSum", g.op("Mul", x, g.op("Unsqueeze", mask, g.constant(np.array([2], dtype=np.int64)))), token_axis, keepdims=0)
    counts = g.op("ReduceSum", mask, token_axis, keepdims=1)
    g.nodes.append(helper.make_node("Div", [summed, counts], ["pooled"]))
    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
        g.initialisers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def _quantised(model) -> bytes:  # noqa: ANN001
    """The model with its matrix products' weights in 8 bits (activations quantised on the fly)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="fanloop-model-") as scratch:
        source, target = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
        onnx.save(model, source)
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul"],
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return target.read_bytes()


class BertEncoder:
    """Mean-pooled BERT sentence vectors (not normalised) from a sentence-transformers model directory."""

    def __init__(self, model_dir: Path, *, max_tokens: int = 256, quantise: bool = True, threads: int = 1) -> None:
        import logging

        import onnxruntime
        from tokenizers import Tokenizer

        self.hidden = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
        model = build_graph(model_dir)
        # The quantiser logs advice about pre-processing at WARNING on the root logger.
        logging.getLogger().disabled, disabled = True, logging.getLogger().disabled
        try:
            serialised = _quantised(model) if quantise else model.SerializeToString()
        finally:
            logging.getLogger().disabled = disabled
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(serialised, options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The model's tokenizer.json may pad every text to a fixed length: batches pad themselves here.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, in the order given."""
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.hidden), dtype=np.float32)
        start = 0
        while start < len(order):
            # Sorted by length, so a batch's last row is its longest.
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= TOKEN_BUDGET:
                end += 1
            rows = order[start:end]
            out[rows] = self._forward([ids[row] for row in rows], int(lengths[rows[-1]]))
            start = end
        return out

    def _forward(self, batch: list[list[int]], length: int) -> np.ndarray:
        token_ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        return self._session.run(["pooled"], {"input_ids": token_ids, "attention_mask": mask})[0]
