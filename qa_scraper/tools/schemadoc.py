"""``docs/schema.md``: every field of the item schema, generated from the schema itself.

``python -m qa_scraper schema-doc`` writes it; a test regenerates it and compares.
Examples come from the saved fixtures (``--pages``, default ``tests/fixtures/pages`` from the
working folder: a checkout's; an installed package has none and is refused without them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa_scraper.delivery.validation import SCHEMA_PATH

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_DEFS_DOC = {
    "line": "one line",
    "text": "text (lines joined with \\n)",
    "date": "date YYYY-MM-DD",
    "article_id": "digits",
    "article_url": "URL /en/article/N",
    "page_url": "URL",
}

_RUN_EXAMPLES = {  # run-dependent: not in the saved expected items
    "scraped_at": "2026-11-25T09:30:00Z",
    "content_hash": "9f2c...(64 hex digits)",
    "warc": None,
    "warc.file": "20261125T093000123Z.warc.gz",
    "warc.offset": 5564,
    "warc.record_id": "<urn:uuid:7eef0010-d543-4c7c-8743-7811933b7ba6>",
}
VERSIONING = """## Versioning rule

`schema_version` is `MAJOR.MINOR` (now `{version}`); every item carries it, and so does
every run manifest.

- **Minor** (`1.0` → `1.1`): additions only — a new optional-in-practice field (nullable, or
  an empty list when absent), a new value of a field with an open set (a department, a
  responder title), a looser pattern. Items valid under `1.0` stay valid under `1.1`.
- **Major** (`1.x` → `2.0`): anything a consumer could trip on — a field removed or renamed,
  a type changed, a field that was never null becoming nullable, a value's meaning or
  format changed (dates, URLs, text rules), a change to how `content_hash` is computed.
- Consumers may rely on, within one major version: every field listed here is present
  (`required`), with the type and nullability shown; no other field appears
  (`additionalProperties: false`); `article_id` identifies an article across runs; equal
  `content_hash` means equal content. They should ignore fields they do not know when
  reading a newer minor version, and refuse (or route aside) an unknown major version.
- A run delivers one schema version; a resumed run drops lines of another version.

History:
- `2.2`: `run_id` added — the run that delivered the line (also the name of its files); not
  part of `content_hash`. The rejects file is `<run>.rejects.ndjson` (was
  `<run>.rejects.jsonl`, which the items' `*.jsonl` glob took).
- `2.1`: `warc` added — where the answer an item (or a reject) was extracted from is
  archived: file, offset, WARC-Record-ID (`null` with the archive off). It is left out of
  `content_hash`, so hashes of `2.0` items stay valid.
- `2.0`: `content_hash` over site-relative URLs (how it is computed changed: major).
- `1.0`: the item contract.
"""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        return schema["$defs"][name], name
    return node, None


def _type(schema: dict[str, Any], node: dict[str, Any]) -> tuple[str, bool]:
    """A short type and whether null is allowed."""
    target, name = _resolve(schema, node)
    if name:
        if target.get("type") == "object":
            return "object", False
        return _DEFS_DOC.get(name, name), False
    if "const" in target:
        return f"constant `{json.dumps(target['const'])}`", False
    if "enum" in target:
        values = [value for value in target["enum"] if value is not None]
        return "one of " + ", ".join(f"`{value}`" for value in values), None in target["enum"]
    if "anyOf" in target:
        kinds = [_type(schema, option) for option in target["anyOf"]]
        real = [kind for kind, _ in kinds if kind != "null"]
        return " or ".join(real), any(kind == "null" for kind, _ in kinds)
    kind = target.get("type")
    if isinstance(kind, list):
        real = [value for value in kind if value != "null"]
        return " or ".join(real), "null" in kind
    if kind == "array":
        inner, _ = _type(schema, target["items"])
        return f"list of {inner}", False
    if kind == "string" and target.get("format") == "date-time":
        return "date-time (RFC 3339, UTC)", False
    return str(kind), False


def _fields(schema: dict[str, Any], node: dict[str, Any], prefix: str = ""):
    for name, prop in node["properties"].items():
        path = f"{prefix}{name}"
        yield path, prop
        target, _ = _resolve(schema, prop)
        kind = target.get("type")
        if (kind == "object" or (isinstance(kind, list) and "object" in kind)) and (
            "properties" in target
        ):
            yield from _fields(schema, target, path + ".")
        elif target.get("type") == "array":
            inner, _ = _resolve(schema, target["items"])
            if "properties" in inner:
                yield from _fields(schema, inner, path + "[].")


def _example(items: list[dict[str, Any]], path: str) -> Any:
    def values(value: Any, parts: list[str]):
        if not parts:
            yield value
            return
        head, rest = parts[0], parts[1:]
        if head.endswith("[]"):
            for entry in (value or {}).get(head[:-2]) or []:
                yield from values(entry, rest)
        elif isinstance(value, dict):
            yield from values(value.get(head), rest)

    for item in items:
        for value in values(item, path.split(".")):
            if value not in (None, "", [], {}) and not isinstance(value, (dict, list)):
                return value
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > 60:
        text = text[:57] + '..."'
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def example_items(pages: Path) -> list[dict[str, Any]]:
    """The saved expected items under ``pages``; none is a :class:`ValueError` (one line)."""
    paths = sorted(pages.glob("*/expected.json"))
    if not paths:
        raise ValueError(f"{pages}: no saved page (*/expected.json) to take examples from")
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def render(pages: Path, schema_path: Traversable = SCHEMA_PATH) -> str:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    items = example_items(pages)
    version = schema["properties"]["schema_version"]["const"]
    out = [
        "# The item schema",
        "",
        "<!-- Generated by `python -m qa_scraper schema-doc` from"
        " schemas/qa_item.schema.json: do not edit by hand. -->",
        "",
        f"{schema.get('description', '')} JSON Schema draft 2020-12:"
        " [`schemas/qa_item.schema.json`](../schemas/qa_item.schema.json).",
        "Every field is always present; *nullable* fields may be `null`. `a[].b` is field `b`"
        " of each entry of list `a`. Examples come from a saved page"
        " (`tests/fixtures/pages/`; `{{BASE}}` stands for the site root).",
        "",
        "| field | type | nullable | meaning | example |",
        "|---|---|---|---|---|",
    ]
    for path, prop in _fields(schema, schema):
        kind, nullable = _type(schema, prop)
        description = prop.get("description") or _resolve(schema, prop)[0].get("description", "")
        description = description.replace("|", "\\|").replace("<", "&lt;")
        example = _example(items, path) if path not in _RUN_EXAMPLES else _RUN_EXAMPLES[path]
        out.append(
            f"| `{path}` | {kind} | {'yes' if nullable else 'no'} |"
            f" {description} | {_cell(example)} |"
        )
    out += ["", VERSIONING.format(version=version)]
    return "\n".join(out)


def write(path: Path, pages: Path) -> Path:
    text = render(pages)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
