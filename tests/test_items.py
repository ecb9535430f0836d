"""The item is declared once (qa_scraper.items): its classes and the published JSON Schema agree
field for field, recursively — names, order, required, nullability, lists and objects, and each
field's docstring is the schema's description (docs/schema.md is generated from the schema)."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import itertools
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from qa_scraper import items
from qa_scraper.delivery.validation import SCHEMA_PATH
from qa_scraper.items import (
    NOT_CONTENT,
    PAGE_FIELDS,
    SCHEMA_VERSION,
    AskerItem,
    QAItem,
    QuestionItem,
    ReplyItem,
    empty_item,
    field_names,
)

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def nullable(node: dict[str, Any]) -> bool:
    node = resolve(node)
    kind = node.get("type")
    return (
        (isinstance(kind, list) and "null" in kind)
        or None in node.get("enum", [object()])
        or any(resolve(option).get("type") == "null" for option in node.get("anyOf", []))
    )


def field_docs(item_class: type) -> dict[str, str]:
    """The docstring under each attribute of a class (the string literal that follows it)."""
    body = ast.parse(inspect.getsource(item_class)).body[0].body
    docs = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
        ):
            docs[statement.target.id] = following.value.value
    return docs


def item_classes() -> list[type]:
    return [
        value
        for value in vars(items).values()
        if dataclasses.is_dataclass(value) and value.__module__ == items.__name__
    ]


def agreement(item_class: type, node: dict[str, Any], path: str) -> list[str]:
    """Every way ``item_class`` and the schema object ``node`` disagree."""
    node = resolve(node)
    properties = node["properties"]
    found = []
    if list(field_names(item_class)) != list(properties):
        found.append(f"{path}: fields {field_names(item_class)} != schema {list(properties)}")
    if node.get("required") != list(properties) or node.get("additionalProperties") is not False:
        found.append(f"{path}: the schema does not require exactly its properties")
    hints = typing.get_type_hints(item_class)
    docs = field_docs(item_class)
    for name in field_names(item_class):
        if name not in properties:
            continue
        where, prop, hint = f"{path}.{name}", properties[name], hints[name]
        if docs.get(name) != (prop.get("description") or resolve(prop).get("description")):
            found.append(f"{where}: docstring {docs.get(name)!r} is not the schema's description")
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if (type(None) in options) != nullable(prop):
            found.append(f"{where}: {hint} but the schema's nullable is {nullable(prop)}")
        [inner] = [option for option in options if option is not type(None)]
        target = resolve(prop)
        if typing.get_origin(inner) is list:
            if target.get("type") != "array":
                found.append(f"{where}: a list, not an array in the schema")
            elif dataclasses.is_dataclass(entry := typing.get_args(inner)[0]):
                found += agreement(entry, target["items"], where + "[]")
        elif dataclasses.is_dataclass(inner):
            found += agreement(inner, target, where)
        elif "properties" in target or target.get("type") == "array":
            found.append(f"{where}: an object or array in the schema, {hint} in the class")
    return found


def test_the_item_classes_and_the_schema_agree_field_for_field() -> None:
    assert agreement(QAItem, SCHEMA, "item") == []
    defaults = [field for field in dataclasses.fields(QAItem) if isinstance(field.default, str)]
    assert {field.name: field.default for field in defaults} == {
        name: SCHEMA["properties"][name]["const"]
        for name in ("schema_version", "source", "language")
    }


def test_every_item_class_is_part_of_the_item() -> None:
    reached: set[type] = set()

    def visit(item_class: type) -> None:
        reached.add(item_class)
        for hint in typing.get_type_hints(item_class).values():
            for option in typing.get_args(hint) or (hint,):
                for inner in typing.get_args(option) or (option,):
                    if dataclasses.is_dataclass(inner):
                        visit(inner)

    visit(QAItem)
    assert set(item_classes()) == reached


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"name": "asked_on", "doc": "When."}, "docstring 'When.' is not the schema's"),
        ({"name": "asked_on", "nullable": True}, "but the schema's nullable is False"),
        ({"name": "asked_at"}, "fields ('title', 'text', 'asked_at') != schema"),
    ],
)
def test_the_agreement_check_finds_a_difference(
    change: dict[str, Any], complaint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = change["name"]
    kind = "str | None" if change.get("nullable") else "str"
    doc = change.get("doc", 'Date the question was asked ("Ask Date:").')
    module = tmp_path / "changed_item.py"
    module.write_text(
        "from dataclasses import dataclass\n\n@dataclass\nclass QuestionItem:\n"
        "    title: str\n    'Headline of the question.'\n"
        f"    text: str\n    'Full text of the question.'\n    {name}: {kind}\n    {doc!r}\n"
    )
    spec = importlib.util.spec_from_file_location("changed_item", module)
    changed = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "changed_item", changed)
    spec.loader.exec_module(changed)
    found = agreement(changed.QuestionItem, SCHEMA["properties"]["question"], "question")
    assert any(complaint in line for line in found), found


def test_the_fields_outside_the_hash_and_the_page_fields_come_from_the_item_class() -> None:
    assert NOT_CONTENT == ("scraped_at", "content_hash", "warc", "run_id")
    assert field_names(QAItem) == PAGE_FIELDS + NOT_CONTENT


def test_the_empty_item_has_every_page_field_with_nothing_in_it() -> None:
    empty = empty_item()
    assert list(empty) == list(PAGE_FIELDS)
    assert (empty["schema_version"], empty["source"], empty["language"]) == (
        SCHEMA_VERSION,
        "doctorqna",
        "en",
    )
    assert empty["question"] == dict.fromkeys(field_names(QuestionItem))
    assert empty["asker"] == dict.fromkeys(field_names(AskerItem))
    assert empty["replies"] == empty["similar_questions"] == empty["related_faqs"] == []
    others = set(PAGE_FIELDS) - {"schema_version", "source", "language", "question", "asker"}
    others -= {"replies", "similar_questions", "related_faqs"}
    assert {name: empty[name] for name in others} == dict.fromkeys(others)
    assert empty_item(ReplyItem) == dict.fromkeys(field_names(ReplyItem))
