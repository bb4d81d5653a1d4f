"""`fanloop mine`: cluster the posts of a JSON Lines file into groups (pain points)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fanloop.cli.jsonl import read_lines, read_posts
from fanloop.cli.main import _progress, app, console


@app.command()
def mine(
    input_path: Path = typer.Option(
        ...,
        "--input",
        exists=True,
        dir_okay=False,
        readable=True,
        help='JSON Lines of {"id": ..., "text": ...}.',
    ),
    output_path: Path = typer.Option(
        ..., "--output", dir_okay=False, help='Where to write {"id", "cluster"} lines.'
    ),
    k: int | None = typer.Option(
        None, "--k", min=1, help="Number of clusters (default: chosen automatically)."
    ),
    backend: str | None = typer.Option(
        None, "--backend", help="Text model (default: FANLOOP_TEXT_MODEL, else the built-in default)."
    ),
    corpus_features: bool = typer.Option(
        False,
        "--corpus-features/--no-corpus-features",
        help="With a pretrained backend, also cluster on TF-IDF features of these texts.",
    ),
    seed: int = typer.Option(0, help="Random seed: the same seed and input give the same clusters."),
) -> None:
    """Cluster posts by what they are about; bad lines are reported with their numbers and skipped."""
    from fanloop.core.config import get_settings
    from fanloop.insights import mining, textmodels
    from fanloop.insights.textmodels.neural import MissingBackendPackage

    name = backend or get_settings().text_model.strip() or textmodels.DEFAULT_TEXT_MODEL
    lines = read_lines(input_path)
    ids: list[object] = []
    texts: list[str] = []
    skipped = 0
    for item in read_posts(lines):
        if len(item) == 2:
            console.print(
                f"{input_path}:{item[0]}: {item[1]}; skipped.", style="yellow", markup=False, soft_wrap=True
            )
            skipped += 1
            continue
        ids.append(item[1])
        texts.append(item[2])
    if not texts:
        console.print(f"{input_path} has no posts to mine.", style="red", soft_wrap=True)
        raise typer.Exit(2)
    try:
        with _progress() as progress:
            task = progress.add_task(f"Mining {len(texts)} posts ({name})", total=1)
            result = mining.mine_texts(
                texts,
                backend=name,
                k=k,
                corpus_features=corpus_features,
                seed=seed,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except (textmodels.UnknownTextModel, MissingBackendPackage) as error:
        console.print(str(error), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    with output_path.open("w", encoding="utf-8") as output:
        for post_id, label in zip(ids, result.labels.tolist(), strict=True):
            output.write(json.dumps({"id": post_id, "cluster": label}, ensure_ascii=False) + "\n")
    console.print(
        f"Wrote {len(ids)} posts in {result.k} clusters to {output_path}; skipped {skipped} bad lines.",
        soft_wrap=True,
    )
