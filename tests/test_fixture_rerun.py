"""``python -m qa_scraper fixture rerun --all``: after a deliberate change, every saved
``expected.json`` is saved again from what the extractor gives now, and the diff is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa_scraper.pages.article import ArticlePage
from qa_scraper.tools.cli import main
from tests.conftest import PAGES

NAMES = ("article-174501", "article-174506", "article-174534")


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    """Three saved fixtures, copied."""
    for name in NAMES:
        shutil.copytree(PAGES / name, tmp_path / name)
    return tmp_path


def saved(pages: Path) -> dict[str, bytes]:
    return {name: (pages / name / "expected.json").read_bytes() for name in NAMES}


def test_rerun_with_nothing_changed_says_so_and_writes_nothing(pages: Path, capsys) -> None:
    before = saved(pages)
    assert main(["fixture", "rerun", "--all", "--pages", str(pages)]) == 0
    assert capsys.readouterr().out == "3 fixtures re-saved: nothing changed\n"
    assert saved(pages) == before


def test_rerun_saves_every_expected_item_again_after_a_change_and_shows_the_diff(
    pages: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = saved(pages)
    # A deliberate change of the extraction: every title upper-cased.
    title = ArticlePage.title
    monkeypatch.setattr(ArticlePage, "title", property(lambda page: title.func(page).upper()))
    assert main(["fixture", "rerun", "--all", "--pages", str(pages)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        "3 fixtures re-saved: 3 changed, 0 unchanged; review the diff before committing"
    )
    for name in NAMES:
        old = before[name].decode()
        new = (pages / name / "expected.json").read_text(encoding="utf-8")
        assert new == old.replace(_title(old), _title(old).upper())
        assert f"--- a/{name}/expected.json" in out and f"+++ b/{name}/expected.json" in out
        assert f'-  "title": "{_title(old)}",' in out
        assert f'+  "title": "{_title(old).upper()}",' in out
    assert sum(line.startswith(("-  ", "+  ")) for line in out) == 6  # only the titles
    assert main(["fixture", "check", "--pages", str(pages)]) == 0  # they agree now

    monkeypatch.undo()  # the change undone: rerun gives the saved files back, byte for byte
    assert main(["fixture", "rerun", "--all", "--pages", str(pages)]) == 0
    assert saved(pages) == before


def test_rerun_of_named_fixtures_and_wrong_calls(pages: Path, capsys) -> None:
    expected = pages / "article-174506" / "expected.json"
    text = expected.read_text(encoding="utf-8")
    expected.write_text(text.replace('"asked_on": "', '"asked_on": "1'), encoding="utf-8")
    assert main(["fixture", "rerun", "article-174506", "--pages", str(pages)]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "1 fixture re-saved: 1 changed, 0 unchanged; review the diff before committing\n"
    )
    assert expected.read_text(encoding="utf-8") == text

    assert main(["fixture", "rerun", "--pages", str(pages)]) == 2
    assert main(["fixture", "rerun", "--all", "article-174501", "--pages", str(pages)]) == 2
    assert "give fixture names or --all" in capsys.readouterr().err
    assert main(["fixture", "rerun", "article-1", "--pages", str(pages)]) == 1
    assert capsys.readouterr().err == f"fixture rerun: not a fixture in {pages}: article-1\n"
    assert main(["fixture", "rerun", "--all", "--pages", str(pages / "none")]) == 1
    assert "no such folder" in capsys.readouterr().err


def _title(expected_json: str) -> str:
    import json

    return json.loads(expected_json)["title"]
