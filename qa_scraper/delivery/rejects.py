"""What is not an item: a page that failed fetching, extraction or validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rejected:
    """A page that produced no valid item; written to the rejects file, never dropped."""

    url: str
    stage: str  # "fetch", "extraction" or "validation"
    errors: list[dict[str, str]]  # each {"path": ..., "message": ...}
    item: dict[str, Any] | None = field(default=None, repr=False)
    warc: dict[str, Any] | None = None  # the archived answer it came from (file, offset, id)

    def as_record(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "stage": self.stage,
            "errors": self.errors,
            "item": self.item,
            "warc": self.warc,
        }

    def __str__(self) -> str:
        first = self.errors[0] if self.errors else {"path": "", "message": ""}
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.stage} rejected {self.url}: {first['path']}: {first['message']}{more}"
