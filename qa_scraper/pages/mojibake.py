"""Text that reads like UTF-8 decoded with the wrong charset: a problem of the page's item."""

from __future__ import annotations

from typing import Any

import ftfy.badness

from qa_scraper.pages.problems import Problem


def mojibake_problems(item: dict[str, Any], path: str = "") -> list[Problem]:
    """Text fields that read like UTF-8 decoded with the wrong charset ("Î¼g", "Â°C")."""
    if not path and _all_ascii(item):
        return []  # ftfy finds no mojibake in ASCII: one quick pass instead of the walk
    problems: list[Problem] = []
    if isinstance(item, dict):
        for key, value in item.items():
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{key}" if path else key)
    elif isinstance(item, list):
        for index, value in enumerate(item):
            if _may_hold_mojibake(value):
                problems += mojibake_problems(value, f"{path}/{index}")
    elif isinstance(item, str) and not item.isascii() and ftfy.badness.is_bad(item):
        snippet = ftfy.badness.BADNESS_RE.search(item)
        start = max(0, snippet.start() - 20) if snippet else 0
        problems.append(
            Problem(path, f"text looks mis-decoded (mojibake): {item[start : start + 50]!r}")
        )
    return problems


def _may_hold_mojibake(value: Any) -> bool:
    """A container, or non-ASCII text (ftfy finds no mojibake in ASCII): most values are
    neither, and skipping them saves a call and a path string each."""
    return isinstance(value, (dict, list)) or (isinstance(value, str) and not value.isascii())


def _all_ascii(value: Any) -> bool:
    """No non-ASCII string anywhere in ``value`` (its dicts and lists, walked without a
    call or a path string per value)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii():
                return False
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True
