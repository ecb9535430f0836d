"""``python -m qa_scraper validate FILE…``: check JSONL / .jsonl.gz files line by line against
the item schema, and what the schema cannot see (content hash, id in the URL, one line an
article)."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import sys
import zlib
from pathlib import Path
from typing import IO, Any

from qa_scraper.delivery.validation import item_errors
from qa_scraper.items import content_hash
from qa_scraper.urls import article_id_from_url

# A line longer than this is not read (a verdict, not an allocation of its size).
MAX_LINE_BYTES = 64 * 1024 * 1024


def _open_binary(path: Path) -> IO[bytes]:
    """The file's bytes (gunzipped for ``.gz``); ``-``: standard input (gunzipped when it
    starts with gzip's magic number)."""
    if str(path) == "-":
        stdin = sys.stdin.buffer
        peek = stdin.peek(2)[:2] if hasattr(stdin, "peek") else b""
        return contextlib.nullcontext(gzip.open(stdin, "rb") if peek == b"\x1f\x8b" else stdin)
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def validate_file(path: Path, out: IO[str]) -> bool:
    """Check one file line by line, streaming: each invalid line is printed as
    ``<file>:<line>: <reason>`` when it is read, then a summary. True when every line is a
    valid item. Memory stays flat whatever the file (a line is at most ``MAX_LINE_BYTES``);
    only the article ids seen are remembered (one line per article)."""
    lines = valid = 0
    first_line: dict[str, int] = {}  # article id -> the line that holds it
    try:
        opened = _open_binary(path)
    except OSError as error:  # missing, a folder, no rights: no line was read
        out.write(f"{path}: unreadable: {error.strerror or error}\n")
        return False
    try:
        with opened as stream:
            while raw := stream.readline(MAX_LINE_BYTES + 1):
                lines += 1
                reasons = _line_reasons(stream, raw, lines, first_line)
                for reason in reasons:
                    out.write(f"{path}:{lines}: {reason}\n")
                valid += not reasons
    except BrokenPipeError:  # our output's reader went away: not the file's fault
        raise
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        lines += 1
        out.write(f"{path}:{lines}: unreadable from here: {error}\n")
    invalid = lines - valid
    out.write(f"{path}: {lines} lines, {valid} valid, {invalid} invalid\n")
    return invalid == 0


def _line_reasons(
    stream: IO[bytes], raw: bytes, number: int, first_line: dict[str, int]
) -> list[str]:
    """Why one line is not a valid item (empty: it is)."""
    if len(raw) > MAX_LINE_BYTES:
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass  # skip to the end of the line, without holding it
        return [f"longer than {MAX_LINE_BYTES} bytes: not read"]
    if not raw.strip():
        return ["empty line"]
    reasons = []
    if not raw.endswith(b"\n"):
        reasons.append("torn line: no newline at the end of the file")
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [*reasons, f"not JSON: {error}"]
    except RecursionError:
        return [*reasons, "not JSON: nested too deeply to read"]
    try:
        reasons += [f"{e['path'] or '(item)'}: {e['message']}" for e in item_errors(record)]
        reasons += _consistency(record, number, first_line)
    except RecursionError:
        reasons.append("(item): nested too deeply to check")
    return reasons


def _consistency(record: Any, number: int, first_line: dict[str, int]) -> list[str]:
    """What the schema cannot see: the hash of the content, the id of the URL, one line an
    article."""
    if not isinstance(record, dict):
        return []
    reasons = []
    if isinstance(record.get("content_hash"), str):
        try:
            expected = content_hash(record)
        except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the line): no UTF-8 text
            reasons.append(
                "content_hash: the item holds text that is not Unicode (a lone surrogate)"
            )
        else:
            if record["content_hash"] != expected:
                reasons.append(
                    "content_hash: does not match the item's content (edited after the crawl?)"
                )
    article_id = record.get("article_id")
    if isinstance(article_id, str) and isinstance(record.get("url"), str):
        if article_id_from_url(record["url"]) != article_id:
            reasons.append(f"article_id: {article_id!r} is not the id in its url")
        if article_id in first_line:
            reasons.append(f"article_id: {article_id} already on line {first_line[article_id]}")
        else:
            first_line[article_id] = number
    return reasons


def cmd_validate(args: argparse.Namespace) -> int:
    results = [validate_file(Path(name), sys.stdout) for name in args.files]
    return 0 if all(results) else 1
