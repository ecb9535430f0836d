"""A local SMTP server (aiosmtpd) started by a test on a loopback port, keeping what it gets."""

from __future__ import annotations

import email
import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

import pytest

from tests.crawl_helpers import free_port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[tuple[str, list[str], Message]]]]:
    """Yields the port and the list of (sender, recipients, message) received."""
    if importlib.util.find_spec("aiosmtpd") is None:
        message = "aiosmtpd is not installed (the [test] extra pins it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox.messages
    finally:
        controller.stop()


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8")
    raise AssertionError("no text/plain part")
