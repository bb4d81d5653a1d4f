"""Reading the JSON Lines files that `fanloop mine` and `fanloop sentiment` take."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import typer

from fanloop.cli.main import console


def read_lines(path: Path) -> list[str]:
    """The file's lines; a file that is not UTF-8 ends the command with a clear message (exit 2)."""
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        console.print(
            f"{path} is not UTF-8 text: {error.reason} at byte {error.start}.", style="red", soft_wrap=True
        )
        raise typer.Exit(2) from None


def read_posts(lines: list[str]) -> Iterator[tuple[int, object, str] | tuple[int, str]]:
    """(line number, id, text) for each good line, (line number, problem) for each bad one; blank
    lines are skipped silently."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            yield number, f"not JSON ({error.msg})"
            continue
        if not isinstance(row, dict):
            yield number, "expected an object with id and text"
        elif not isinstance(row.get("id"), str | int) or isinstance(row.get("id"), bool):
            yield number, "missing id (a string or an integer)"
        elif not isinstance(row.get("text"), str):
            yield number, "missing text (a string)"
        else:
            yield number, row["id"], row["text"]
