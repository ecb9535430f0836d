"""The report's text and series (issue 19): every fill-rate series has its own colour, the
history's run labels are unique per run, and counts take the right plural."""

from __future__ import annotations

import re

from qa_scraper.tools.report import lines, plural, run_labels, series_colours, vbars


def test_eighteen_series_have_eighteen_colours() -> None:
    assert len(set(series_colours(18))) == 18
    runs = ["20261125T031700123Z", "20261126T031700123Z"]
    series = {f"field{index}": [0.5, 0.6] for index in range(18)}
    svg = lines("history-coverage", runs, series)
    strokes = re.findall(
        r'<polyline class="series" data-field="(\w+)" fill="none" stroke="([^"]+)"', svg
    )
    assert len(strokes) == 18 and len({colour for _, colour in strokes}) == 18
    legend = re.findall(r'<line class="legend" data-field="(\w+)"[^>]* stroke="([^"]+)"', svg)
    assert legend == strokes  # the legend names each line in its own colour


def test_history_labels_are_unique_per_run() -> None:
    days = ["20261125T031700123Z", "20261126T031700123Z"]
    assert run_labels(days) == ["25 03:17", "26 03:17"]
    same_minute = ["20261125T031700123Z", "20261125T031742000Z"]
    assert run_labels(same_minute) == ["25 03:17:00", "25 03:17:42"]
    same_second = ["20261125T031700123Z", "20261125T031700456Z"]
    assert run_labels(same_second) == ["25 03:17:00.123", "25 03:17:00.456"]
    svg = vbars("history-items", [(run, 25) for run in same_second])
    assert re.findall(r'<text class="run"[^>]*>([^<]+)</text>', svg) == run_labels(same_second)


def test_plurals() -> None:
    assert plural(1, "run") == "1 run" and plural(3, "run") == "3 runs"
    assert plural(0, "item") == "0 items"
