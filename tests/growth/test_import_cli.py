"""`fanloop import FILE --channel NAME` and `fanloop channels`."""

from __future__ import annotations

import csv

import pytest
from channel_support import jsonl, make_channel, mention
from sqlalchemy import func, select
from typer.testing import CliRunner

from fanloop.cli.main import app as cli
from fanloop.core.config import get_settings
from fanloop.growth.models import Mention


@pytest.fixture
def command(database, database_url, seed, monkeypatch):
    seed.board("social", "Social")
    make_channel(database, seed.member("lead", "lead"))
    monkeypatch.setenv("FANLOOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


def test_import_reports_bad_lines_and_a_second_run_adds_nothing(command, database, clock, tmp_path):
    source = tmp_path / "weibo.jsonl"
    source.write_bytes(jsonl(mention(1, clock.now()), "{oops", mention(3, clock.now(), likes="many")))
    report = tmp_path / "refused.csv"

    result = command("import", str(source), "--channel", "weibo", "--report", str(report))

    assert result.exit_code == 1, result.output  # some rows were refused
    assert "1 imported" in result.output and "2 refused" in result.output
    assert "line 2: not JSON" in result.output
    assert "line 3: likes must be a whole number, 0 or more" in result.output
    assert "Importing into weibo" in result.output  # the progress bar's label
    rows = list(csv.reader(report.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["line", "reason"]
    assert [row[0] for row in rows[1:]] == ["2", "3"]
    assert rows[1][1].startswith("not JSON") and rows[2][1] == "likes must be a whole number, 0 or more"

    again = command("import", str(source), "--channel", "weibo")
    assert "0 imported, 1 already there" in again.output
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 1


def test_a_clean_file_exits_0_and_channels_lists_it(command, clock, tmp_path):
    source = tmp_path / "weibo.csv"
    source.write_text("id,author_id,text,created_at\nc1,a1,hello,2026-03-10T10:00:00Z\n", encoding="utf-8")
    result = command("import", str(source), "--channel", "weibo")
    assert result.exit_code == 0, result.output
    listing = command("channels")
    assert "weibo" in listing.output and "1 mentions" in listing.output


def test_an_unknown_channel_or_format_is_a_clear_error(command, tmp_path):
    source = tmp_path / "x.jsonl"
    source.write_text("", encoding="utf-8")
    unknown = command("import", str(source), "--channel", "twitter")
    assert unknown.exit_code == 2 and "There is no channel 'twitter'" in unknown.output
    bad_format = command("import", str(source), "--channel", "weibo", "--format", "xml")
    assert bad_format.exit_code == 2 and "jsonl or csv" in bad_format.output
