"""A bounded cache for the pure functions of one text that extraction calls on every page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")

# Texts longer than this are not cached: an lru_cache bounds its entries, not their size, and a
# page can hold an href or a line of megabytes (4,096 of them would be gigabytes).
LONGEST_CACHED = 2000


def cached_text_function(
    maxsize: int, longest: int = LONGEST_CACHED
) -> Callable[[Callable[[str], Result]], Callable[[str], Result]]:
    """``functools.lru_cache(maxsize)`` for a function of one str, caching only texts of at
    most ``longest`` characters (a longer one is computed each time). The wrapper keeps
    ``cache_info``, ``cache_clear`` and ``__wrapped__`` (the function itself)."""

    def decorate(function: Callable[[str], Result]) -> Callable[[str], Result]:
        cached = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(text: str) -> Result:
            return cached(text) if len(text) <= longest else function(text)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call

    return decorate
