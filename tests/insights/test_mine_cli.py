"""`fanloop mine`: JSON Lines in, cluster per post out, bad lines reported and skipped."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fanloop.cli.main import app


def _write_posts(path) -> None:  # noqa: ANN001
    lines = []
    for n in range(8):
        lines.append(
            json.dumps({"id": f"zh{n}", "text": f"电池续航太差，一晚上掉电{n + 10}%"}, ensure_ascii=False)
        )
        lines.append(json.dumps({"id": n, "text": f"Night photo {n} is blurry, the camera cannot focus"}))
    lines.insert(3, "{not json")
    lines.insert(6, json.dumps({"text": "no id"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_mine_writes_a_cluster_per_post_and_skips_bad_lines(tmp_path):
    source, target = tmp_path / "posts.jsonl", tmp_path / "clusters.jsonl"
    _write_posts(source)

    result = CliRunner().invoke(
        app, ["mine", "--input", str(source), "--output", str(target), "--k", "2", "--backend", "tfidf"]
    )

    assert result.exit_code == 0, result.output
    assert "posts.jsonl:4: not JSON" in result.output
    assert "posts.jsonl:7: missing id" in result.output
    assert "Wrote 16 posts in 2 clusters" in result.output and "skipped 2 bad lines" in result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 16 and set(rows[0]) == {"id", "cluster"}
    by_id = {row["id"]: row["cluster"] for row in rows}
    chinese = {by_id[f"zh{n}"] for n in range(8)}
    english = {by_id[n] for n in range(8)}
    assert len(chinese) == 1 and len(english) == 1 and chinese != english


def test_mine_chooses_k_itself_with_the_default_backend(tmp_path):
    source, target = tmp_path / "posts.jsonl", tmp_path / "clusters.jsonl"
    _write_posts(source)

    result = CliRunner().invoke(app, ["mine", "--input", str(source), "--output", str(target)])

    assert result.exit_code == 0, result.output
    clusters = {json.loads(line)["cluster"] for line in target.read_text(encoding="utf-8").splitlines()}
    assert len(clusters) >= 2


def test_mine_rejects_an_unknown_backend_and_an_input_without_posts(tmp_path):
    source, target = tmp_path / "posts.jsonl", tmp_path / "clusters.jsonl"
    _write_posts(source)
    unknown = CliRunner().invoke(
        app, ["mine", "--input", str(source), "--output", str(target), "--backend", "nope"]
    )
    assert unknown.exit_code == 2 and "unknown text model 'nope'" in unknown.output

    empty = tmp_path / "empty.jsonl"
    empty.write_text("{broken\n", encoding="utf-8")
    nothing = CliRunner().invoke(app, ["mine", "--input", str(empty), "--output", str(target)])
    assert nothing.exit_code == 2 and "no posts to mine" in nothing.output
