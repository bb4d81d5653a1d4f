"""Sentiment benchmark: how well `fanloop.insights.sentiment.negativity` separates negative from positive
texts, and how fast it is.

    .venv/bin/python bench/sentiment.py                  # all 62,774 Chinese shopping reviews
    .venv/bin/python bench/sentiment.py --sample 10000   # random.Random(0).sample of the rows

Chinese: ../shared/data/online_shopping_10_cats.csv (label 0 negative, 1 positive; the labels are
only used for scoring, the scorer never saw them). English: the hand-labelled product-feedback
sentences in tests/insights/data/ (english_sentiment.jsonl, written before the English word list
was; english_sentiment_fresh.jsonl, written after the scorer was frozen).

Prints `name: value` lines: ROC AUC, accuracy when negativity > 0.5 is called negative, the share
of texts scored exactly neutral (no opinion word found), and texts scored per second.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

from sklearn.metrics import roc_auc_score

from fanloop.insights.sentiment import NEUTRAL, negativity, warm_up

ROOT = Path(__file__).resolve().parent.parent
SHOPPING = ROOT.parent / "shared" / "data" / "online_shopping_10_cats.csv"
ENGLISH_SETS = {
    "english": ROOT / "tests/insights/data/english_sentiment.jsonl",
    "english_fresh": ROOT / "tests/insights/data/english_sentiment_fresh.jsonl",
}


def shopping_reviews(path: Path, sample: int | None) -> tuple[list[str], list[bool]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [(row["review"], row["label"] == "0") for row in csv.DictReader(handle) if row["review"]]
    if sample:
        rows = random.Random(0).sample(rows, min(sample, len(rows)))
    return [text for text, _ in rows], [is_negative for _, is_negative in rows]


def labelled_jsonl(path: Path) -> tuple[list[str], list[bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["text"] for row in rows], [row["label"] == "negative" for row in rows]


def report(name: str, texts: list[str], negative: list[bool]) -> float:
    started = time.perf_counter()
    scores = negativity(texts)
    elapsed = time.perf_counter() - started
    correct = sum(
        (score > NEUTRAL) == is_negative for score, is_negative in zip(scores, negative, strict=True)
    )
    print(f"sentiment_auc_{name}: {roc_auc_score(negative, scores):.4f}")
    print(f"sentiment_accuracy_{name}: {correct / len(texts):.4f}")
    print(f"sentiment_neutral_share_{name}: {sum(score == NEUTRAL for score in scores) / len(texts):.4f}")
    print(f"sentiment_texts_{name}: {len(texts)}")
    return len(texts) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=None, help="Score a random sample of N reviews.")
    parser.add_argument("--shopping", type=Path, default=SHOPPING, help="The Chinese reviews CSV.")
    args = parser.parse_args()
    warm_up()
    if args.shopping.exists():
        texts, labels = shopping_reviews(args.shopping, args.sample)
        print(f"sentiment_texts_per_s: {report('shopping', texts, labels):.0f}")
    else:
        print(f"# {args.shopping} not found; skipping the Chinese reviews", file=sys.stderr)
    for name, path in ENGLISH_SETS.items():
        if path.exists():
            texts, labels = labelled_jsonl(path)
            print(f"sentiment_texts_per_s_{name}: {report(name, texts, labels):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
