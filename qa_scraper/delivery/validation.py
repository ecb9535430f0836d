"""Validate items against the item schema (compiled once per process).

The schema is one file, ``schemas/qa_item.schema.json`` at the top of the repository (the
published contract). That folder is installed as the package ``qa_scraper.schemas``
(pyproject.toml's ``package-dir``), and the file is read with :mod:`importlib.resources`:
from a checkout (an editable install reads the file itself), a wheel or a zipped egg (scrapyd).

Two validators of the same schema: ``jsonschema-rs`` (compiled, ~0.03 ms an item)
gives the verdict; only for an item it refuses does ``jsonschema`` (~2.5 ms) give
the messages and paths written to the rejects file. Where the two could disagree
(ECMA-262 vs Python regex corners such as ``$`` before a final newline, and format
checkers' edge cases), an item ``jsonschema-rs`` accepts is accepted; one it refuses
but ``jsonschema`` accepts is accepted too (no messages to give).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from jsonschema import Draft202012Validator

# The schema file, as importlib.resources finds it: schemas/qa_item.schema.json itself in a
# checkout, inside the installed package otherwise (a path inside the zip in an egg).
SCHEMA_PATH: Traversable = resources.files("qa_scraper.schemas").joinpath("qa_item.schema.json")


@cache
def load_schema(schema_path: str | None = None) -> dict[str, Any]:
    """The item schema: a file given by path (``QA_SCHEMA_PATH``), else :data:`SCHEMA_PATH`."""
    if schema_path:
        text = Path(schema_path).read_text(encoding="utf-8")
    else:
        text = SCHEMA_PATH.read_text(encoding="utf-8")
    return json.loads(text)


@cache
def item_validator(schema_path: str | None = None) -> Draft202012Validator:
    """The reference validator, for messages (imported on first use: its URI format
    checker costs a second at import, and a crawl of valid items never needs it)."""
    from jsonschema import Draft202012Validator

    schema = load_schema(schema_path)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def fast_validator(schema_path: str | None = None) -> Any:
    return jsonschema_rs.Draft202012Validator(load_schema(schema_path), validate_formats=True)


def item_errors(item: Any, schema_path: str | None = None) -> list[dict[str, str]]:
    """Every schema violation of ``item`` as ``{"path", "message"}``, in path order."""
    try:
        valid = fast_validator(schema_path).is_valid(item)
    except (ValueError, TypeError):  # not JSON-like (e.g. a non-str key): let jsonschema say
        valid = False
    if valid and not _age_errors(item):
        return []
    errors = []
    for error in item_validator(schema_path).iter_errors(item):
        path = "/".join(str(part) for part in error.absolute_path) or "(item)"
        errors.append({"path": path, "message": _short(error.message)})
    errors += _age_errors(item)
    unique = {(error["path"], error["message"]): error for error in errors}
    return [unique[key] for key in sorted(unique)]


def _age_errors(item: Any) -> list[dict[str, str]]:
    """What JSON Schema cannot say: age_max is not below age_min."""
    if isinstance(item, dict) and isinstance(item.get("asker"), dict):
        asker = item["asker"]
        low, high = asker.get("age_min"), asker.get("age_max")
        if isinstance(low, int) and isinstance(high, int) and high < low:
            return [{"path": "asker/age_max", "message": f"{high} is below age_min {low}"}]
    return []


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "…"
