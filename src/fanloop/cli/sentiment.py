"""`fanloop sentiment`: the negativity of each post in a JSON Lines file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fanloop.cli.jsonl import read_lines, read_posts
from fanloop.cli.main import _progress, app, console

_BATCH = 256


@app.command()
def sentiment(
    input_path: Path = typer.Option(
        ...,
        "--input",
        exists=True,
        dir_okay=False,
        readable=True,
        help='JSON Lines of {"id": ..., "text": ...}.',
    ),
    output_path: Path = typer.Option(
        ..., "--output", dir_okay=False, help='Where to write {"id", "negativity"} lines.'
    ),
) -> None:
    """Score each post's negativity, 0 (clearly positive) .. 1 (clearly negative); bad lines are skipped."""
    from fanloop.insights.sentiment import negativity, warm_up

    lines = read_lines(input_path)
    warm_up()
    written = skipped = 0
    with output_path.open("w", encoding="utf-8") as output, _progress() as progress:
        task = progress.add_task("Scoring sentiment", total=len(lines))
        batch: list[tuple[int, object, str]] = []

        def flush() -> None:
            nonlocal written
            scores = negativity([text for _, _, text in batch])
            for (_, post_id, _), score in zip(batch, scores, strict=True):
                output.write(
                    json.dumps({"id": post_id, "negativity": round(score, 4)}, ensure_ascii=False) + "\n"
                )
            written += len(batch)
            progress.update(task, completed=batch[-1][0])
            batch.clear()

        for item in read_posts(lines):
            if len(item) == 2:
                # soft_wrap keeps `path:line` whole; markup off because the JSON error may hold brackets.
                console.print(
                    f"{input_path}:{item[0]}: {item[1]}; skipped.",
                    style="yellow",
                    markup=False,
                    soft_wrap=True,
                )
                skipped += 1
                continue
            batch.append(item)
            if len(batch) >= _BATCH:
                flush()
        if batch:
            flush()
        progress.update(task, completed=len(lines))
    console.print(f"Wrote {written} scores to {output_path}; skipped {skipped} bad lines.", soft_wrap=True)
