"""The Redis connection of a distributed crawl (``QA_REDIS_URL``), and this process's id."""

from __future__ import annotations

import os
import socket
import uuid

import redis

from qa_scraper.errors import SetupError


def connect(url: str) -> redis.Redis:
    try:
        server = redis.Redis.from_url(url)
        server.ping()
    except (redis.RedisError, ValueError) as error:
        raise SetupError(
            f"QA_REDIS_URL {url!r}: cannot reach Redis ({error})",
            "Start Redis or fix QA_REDIS_URL (e.g. redis://127.0.0.1:6379/0)",
        ) from None
    return server


def process_id() -> str:
    """This process, as the run's keys name it (a worker's id; a coordinator's lease)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
