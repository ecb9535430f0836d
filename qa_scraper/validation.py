"""Validate items against the item schema (compiled once per process).

The schema ships inside the package (``qa_scraper/schemas/qa_item.schema.json``,
so an installed wheel validates); ``schemas/qa_item.schema.json`` at the top of
the repository is the published copy, kept identical by a test.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "qa_item.schema.json"


@cache
def item_validator(schema_path: str = str(SCHEMA_PATH)) -> Draft202012Validator:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def item_errors(item: Any, schema_path: str = str(SCHEMA_PATH)) -> list[dict[str, str]]:
    """Every schema violation of ``item`` as ``{"path", "message"}``, in path order."""
    errors = []
    for error in item_validator(schema_path).iter_errors(item):
        path = "/".join(str(part) for part in error.absolute_path) or "(item)"
        errors.append({"path": path, "message": _short(error.message)})
    if isinstance(item, dict) and isinstance(item.get("asker"), dict):
        asker = item["asker"]
        low, high = asker.get("age_min"), asker.get("age_max")
        if isinstance(low, int) and isinstance(high, int) and high < low:
            errors.append({"path": "asker/age_max", "message": f"{high} is below age_min {low}"})
    unique = {(error["path"], error["message"]): error for error in errors}
    return [unique[key] for key in sorted(unique)]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "…"
