import json

from typer.testing import CliRunner

from fanloop.cli.main import app


def test_sentiment_command_scores_good_lines_and_reports_bad_ones(tmp_path):
    source = tmp_path / "posts.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": 1, "text": "质量太差了，退货"}, ensure_ascii=False),
                "{not json",
                json.dumps({"id": "b", "text": "Love it, works perfectly!"}),
                json.dumps({"text": "no id here"}),
                "",
                json.dumps({"id": 3, "text": 42}),
                json.dumps(["a list"]),
                json.dumps({"id": "c", "text": ""}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "scores.jsonl"

    result = CliRunner().invoke(app, ["sentiment", "--input", str(source), "--output", str(target)])

    assert result.exit_code == 0, result.output
    for number, problem in [
        (2, "not JSON"),
        (4, "missing id"),
        (6, "missing text"),
        (7, "expected an object"),
    ]:
        assert f"posts.jsonl:{number}: {problem}" in result.output
    assert "Wrote 3 scores" in result.output and "skipped 4 bad lines" in result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [1, "b", "c"]
    negativity = {row["id"]: row["negativity"] for row in rows}
    assert negativity[1] > 0.7 > 0.3 > negativity["b"]
    assert negativity["c"] == 0.5


def test_sentiment_command_refuses_a_missing_input(tmp_path):
    result = CliRunner().invoke(
        app, ["sentiment", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "out.jsonl")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "out.jsonl").exists()


def test_sentiment_command_refuses_a_file_that_is_not_utf8(tmp_path):
    source = tmp_path / "posts.jsonl"
    source.write_bytes(b'{"id": 1, "text": "\xff\xfe"}\n')
    result = CliRunner().invoke(
        app, ["sentiment", "--input", str(source), "--output", str(tmp_path / "out.jsonl")]
    )
    assert result.exit_code == 2
    assert "not UTF-8" in result.output
