"""Saved pages as test fixtures: save one for review, re-check them all field by field, save
every ``expected.json`` again after a deliberate change (``fixture rerun --all``).

A fixture is a folder ``tests/fixtures/pages/<name>/`` holding ``page.html`` (the page
with its site root replaced by ``{{BASE}}``), ``expected.json`` (the item the extractor
gives, without the run-dependent ``scraped_at``, ``content_hash`` and ``warc``, pretty-printed)
and ``meta.json`` (its URL and content type) — web-poet's ``savefixture`` workflow:
save what the code gives now, have a person review the JSON, commit it.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa_scraper.items import NOT_CONTENT
from qa_scraper.pages.article import ArticlePage
from qa_scraper.pages.decoding import decode_body

PLACEHOLDER = "{{BASE}}"
RUN_DEPENDENT = NOT_CONTENT  # the item class marks them: outside content_hash, set by the run
CHECK_BASE = "http://127.0.0.1:8123"  # any base: the URLs are compared as placeholders


_SHOWN = 70  # characters of a long value shown in a difference


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _string_difference(actual: str, expected: str) -> str:
    """Where two long strings part: a window around the first differing character."""
    at = next(
        (i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
        min(len(actual), len(expected)),
    )
    start = max(0, at - 25)

    def window(text: str) -> str:
        part = text[start : at + 35]
        return ("..." if start else "") + repr(part) + ("..." if at + 35 < len(text) else "")

    return (
        f"expected {window(expected)}, got {window(actual)} "
        f"(first difference at character {at}; lengths {len(expected)} vs {len(actual)})"
    )


def item_differences(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Every differing leaf between two JSON-like values, as ``a/0/b: expected X, got Y``.

    Empty exactly when ``actual == expected`` (dict key order is not compared, as with ==).
    """
    where = path or "(item)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected:
            inner = f"{path}/{key}" if path else str(key)
            if key not in actual:
                out.append(f"{inner}: missing, expected {_short(expected[key])}")
            else:
                out.extend(item_differences(actual[key], expected[key], inner))
        for key in actual:
            if key not in expected:
                inner = f"{path}/{key}" if path else str(key)
                out.append(f"{inner}: not expected, got {_short(actual[key])}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        if len(actual) != len(expected):
            out.append(f"{where}: expected {len(expected)} entries, got {len(actual)}")
        for index, (got, want) in enumerate(zip(actual, expected, strict=False)):
            out.extend(item_differences(got, want, f"{path}/{index}" if path else str(index)))
        for index in range(len(actual), len(expected)):
            out.append(f"{path}/{index}: missing, expected {_short(expected[index])}")
        for index in range(len(expected), len(actual)):
            out.append(f"{path}/{index}: not expected, got {_short(actual[index])}")
        return out
    if actual == expected:
        return []
    if (
        isinstance(actual, str)
        and isinstance(expected, str)
        and max(len(repr(actual)), len(repr(expected))) > _SHOWN
    ):  # too long to show whole
        return [f"{where}: {_string_difference(actual, expected)}"]
    return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]


def dump_json(value: Any) -> str:
    """As the fixtures are stored: ``json.dumps(indent=2)``, UTF-8, a final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _placeholder_urls(item: dict[str, Any], base: str) -> dict[str, Any]:
    def swap(url: str) -> str:
        return PLACEHOLDER + url[len(base) :] if url.startswith(base + "/") else url

    item["url"] = swap(item["url"])
    for entry in item["similar_questions"] + item["related_faqs"]:
        entry["url"] = swap(entry["url"])
    return item


def expected_item(url: str, html: str, base: str) -> dict[str, Any]:
    """The item the extractor gives now, without run fields, its URLs as ``{{BASE}}/...``."""
    item = ArticlePage(url, html).to_item()
    for key in RUN_DEPENDENT:
        item.pop(key, None)
    return _placeholder_urls(item, base.rstrip("/"))


_CANONICAL = re.compile(r'<link[^>]+rel="canonical"[^>]+href="([^"]+)"', re.I)


def fetch(source: str) -> tuple[str, str, str]:
    """(url, html, content type) of a URL, or of a saved file (URL from its canonical link)."""
    if re.match(r"^https?://", source):
        with urllib.request.urlopen(source, timeout=30) as response:  # HTTPError if not 200
            content_type = response.headers.get("Content-Type", "text/html; charset=utf-8")
            html, _ = decode_body(response.read(), content_type)
            return response.geturl(), html, content_type
    content_type = "text/html; charset=utf-8"
    html, _ = decode_body(Path(source).read_bytes(), content_type)
    match = _CANONICAL.search(html)
    if not match:
        raise ValueError(f"{source}: no <link rel=canonical>: give the page's URL instead")
    return match.group(1), html, content_type


def from_archive(url: str, output_dir: Path, spider: str = "doctorqna") -> tuple[str, str, str]:
    """(url, html, content type) of the latest archived answer of the article at ``url``, read
    from the delivered runs' archives in ``output_dir`` — no request."""
    from qa_scraper.tools.reextract import archived_runs, build_index, forbid_network
    from qa_scraper.urls import article_id_from_url, canonical_article_url

    forbid_network()
    article_id = article_id_from_url(canonical_article_url(url) or url)
    if not article_id:
        raise ValueError(f"{url}: not an article URL")
    folder = output_dir / spider
    runs = archived_runs(folder, None)
    index = build_index(folder, runs, runs[-1][1]["base_url"], {})
    if article_id not in index:
        raise ValueError(f"{url}: article {article_id} is in no archive of {folder}")
    source = index[article_id]
    return _archived_page(Path(source.path), source.offset)


def from_reject(reference: str) -> tuple[str, str, str]:
    """(url, html, content type) of the archived answer a reject names: ``REJECTS_FILE:LINE``
    (the line number from 1, as ``grep -n`` gives it) — no request."""
    from qa_scraper.tools.reextract import forbid_network

    forbid_network()
    name, _, number = reference.rpartition(":")
    if not name or not number.isdigit() or int(number) < 1:
        raise ValueError(f"--reject {reference!r}: give REJECTS_FILE:LINE (LINE from 1)")
    path = Path(name)
    with path.open(encoding="utf-8") as handle:
        raw = next((line for index, line in enumerate(handle, 1) if index == int(number)), None)
    if raw is None:
        raise ValueError(f"{path}: has no line {number}")
    try:
        record = json.loads(raw)
    except ValueError:
        raise ValueError(f"{path}:{number}: not a reject (not JSON)") from None
    warc_field = record.get("warc") if isinstance(record, dict) else None
    if not isinstance(warc_field, dict) or not {"file", "offset"} <= set(warc_field):
        raise ValueError(
            f"{path}:{number}: this reject names no archived page (a fetch failure, or the"
            " archive was off): save it from its URL instead"
        )
    archive_path = path.parent / Path(str(warc_field["file"])).name
    return _archived_page(archive_path, int(warc_field["offset"]), warc_field.get("record_id"))


def _archived_page(path: Path, offset: int, record_id: str | None = None) -> tuple[str, str, str]:
    from qa_scraper.delivery import archive as warc

    record = warc.read_record(path, offset)  # ValueError naming the file and offset
    if record.type != "response":
        raise ValueError(f"{path.name} at offset {offset}: a {record.type} record, not a page")
    if record_id and record.record_id != record_id:
        raise ValueError(f"{path.name} at offset {offset}: not record {record_id}")
    content_type = record.http_header("Content-Type") or "text/html; charset=utf-8"
    html, _ = decode_body(record.body, content_type)
    return record.target_uri, html, content_type


def save_fixture(
    source: str | tuple[str, str, str],
    pages: Path,
    name: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a page as ``pages/<name>/`` (default ``article-<id>``); return the folder.
    ``source``: a URL or a saved file, or the (url, html, content type) of an archived page."""
    url, html, content_type = fetch(source) if isinstance(source, str) else source
    source = source if isinstance(source, str) else url
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    item = expected_item(url, html, base)
    if not item.get("article_id"):
        raise ValueError(f"{source}: not an article page (no article id in {url})")
    name = name or f"article-{item['article_id']}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"--name {name!r}: use letters, digits, '.', '_' and '-' only")
    folder = pages / name
    if folder.exists() and not overwrite:
        raise ValueError(f"{folder} exists: review it, or pass --force to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.html").write_text(html.replace(base + "/", PLACEHOLDER + "/"), "utf-8")
    (folder / "expected.json").write_text(dump_json(item), "utf-8")
    meta = {"url": PLACEHOLDER + url[len(base) :], "content_type": content_type}
    (folder / "meta.json").write_text(dump_json(meta), "utf-8")
    return folder


def fixture_folders(pages: Path) -> list[Path]:
    """The saved fixtures in ``pages`` (the folders with a ``meta.json``), in name order."""
    return sorted(folder for folder in pages.iterdir() if (folder / "meta.json").exists())


def current_item(folder: Path) -> dict[str, Any]:
    """The item the extractor gives now for a fixture's page, as ``expected.json`` holds it."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    html = (folder / "page.html").read_text(encoding="utf-8").replace(PLACEHOLDER, CHECK_BASE)
    url = meta["url"].replace(PLACEHOLDER, CHECK_BASE)
    return expected_item(url, html, CHECK_BASE)


def check_fixture(folder: Path) -> list[str]:
    """Per-field differences between what the extractor gives now and ``expected.json``."""
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return item_differences(current_item(folder), expected)


def rerun_fixture(folder: Path) -> list[str]:
    """Save ``expected.json`` again from what the extractor gives now (after a deliberate
    change to the extraction or to the item); return the file's unified diff, empty when
    nothing changed (the file is then left untouched)."""
    path = folder / "expected.json"
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    after = dump_json(current_item(folder))
    if after == before:
        return []
    path.write_text(after, encoding="utf-8")
    name = f"{folder.name}/expected.json"
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), f"a/{name}", f"b/{name}", lineterm=""
        )
    )


def rerun_fixtures(pages: Path, names: list[str], *, every: bool = False) -> int:
    """``fixture rerun NAME... | --all``: :func:`rerun_fixture` for the named fixtures (or every
    one), printing each changed file's diff and a summary line; the exit code (0; 2 for a
    wrong call, 1 for a name that is not a fixture)."""
    if every == bool(names):
        print("fixture rerun: give fixture names or --all (not both)", file=sys.stderr)
        return 2
    folders = fixture_folders(pages) if every else [pages / name for name in names]
    missing = [folder.name for folder in folders if not (folder / "meta.json").is_file()]
    if missing:
        print(f"fixture rerun: not a fixture in {pages}: {', '.join(missing)}", file=sys.stderr)
        return 1
    changed = 0
    for folder in folders:
        diff = rerun_fixture(folder)
        changed += bool(diff)
        for line in diff:
            print(line)
    count = f"{len(folders)} fixture{'s' if len(folders) != 1 else ''} re-saved"
    if changed:
        print(
            f"{count}: {changed} changed, {len(folders) - changed} unchanged;"
            " review the diff before committing"
        )
    else:
        print(f"{count}: nothing changed")
    return 0
