"""The item as an Arrow table: one fixed schema derived from the JSON Schema, the same on
every day (empty days and all-null fields included), for Parquet snapshots and loaders.

Types: strings (``const``, ``enum``, patterns) → ``string``; ``format: date`` → ``date32``;
``format: date-time`` → ``timestamp[us, UTC]``; integers → ``int64``; objects → structs
(fields in the schema's order); arrays → lists; a field that may be ``null`` (``type``
with ``"null"``, ``anyOf`` with ``{"type": "null"}``, an ``enum`` holding ``null``) is
nullable, every other field is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import Any

import pyarrow as pa

from qa_scraper.delivery.validation import load_schema

_SCALARS = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}


def _resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _arrow_type(node: dict[str, Any], schema: dict[str, Any]) -> tuple[pa.DataType, bool]:
    """(Arrow type, nullable) of one JSON Schema node."""
    node = _resolve(node, schema)
    if "allOf" in node:  # a string with several constraints: the parts agree on the type
        typed = [part for part in node["allOf"] if "type" in _resolve(part, schema)]
        return _arrow_type(typed[-1], schema)
    if "anyOf" in node:
        choices = [_resolve(choice, schema) for choice in node["anyOf"]]
        values = [choice for choice in choices if choice.get("type") != "null"]
        [value] = values
        arrow_type, nullable = _arrow_type(value, schema)
        return arrow_type, nullable or len(values) < len(choices)
    if "enum" in node:
        return pa.string(), None in node["enum"]
    if "const" in node:
        return pa.string(), False
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    nullable = "null" in types
    [kind] = [kind for kind in types if kind != "null"]
    if kind == "object":
        return pa.struct(_fields(node, schema)), nullable
    if kind == "array":
        item_type, item_nullable = _arrow_type(node["items"], schema)
        return pa.list_(pa.field("element", item_type, nullable=item_nullable)), nullable
    if kind == "string":
        form = node.get("format")
        if form == "date":
            return pa.date32(), nullable
        if form == "date-time":
            return pa.timestamp("us", tz="UTC"), nullable
        return pa.string(), nullable
    return _SCALARS[kind], nullable


def _fields(node: dict[str, Any], schema: dict[str, Any]) -> list[pa.Field]:
    fields = []
    for name, child in node["properties"].items():
        arrow_type, nullable = _arrow_type(child, schema)
        fields.append(pa.field(name, arrow_type, nullable=nullable))
    return fields


@cache
def arrow_schema() -> pa.Schema:
    """The items' Arrow schema (from the packaged JSON Schema; ``schema_version`` in its
    metadata)."""
    schema = load_schema()
    version = schema["properties"]["schema_version"]["const"]
    return pa.schema(_fields(schema, schema), metadata={"schema_version": version})


def _convert(value: Any, arrow_type: pa.DataType) -> Any:
    """A JSON value as pyarrow takes it for ``arrow_type`` (dates and timestamps parsed)."""
    if value is None:
        return None
    if pa.types.is_date32(arrow_type):
        return dt.date.fromisoformat(value)
    if pa.types.is_timestamp(arrow_type):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if pa.types.is_struct(arrow_type):
        return {field.name: _convert(value.get(field.name), field.type) for field in arrow_type}
    if pa.types.is_list(arrow_type):
        return [_convert(entry, arrow_type.value_type) for entry in value]
    return value


def items_table(items: Iterable[dict[str, Any]]) -> pa.Table:
    """Items (validated JSON objects) as a table of :func:`arrow_schema` (none: 0 rows)."""
    schema = arrow_schema()
    columns: dict[str, list[Any]] = {field.name: [] for field in schema}
    for item in items:
        for field in schema:
            columns[field.name].append(_convert(item.get(field.name), field.type))
    return pa.Table.from_pydict(columns, schema=schema)
