"""``cached_property`` for the page objects: :func:`functools.cached_property` without its lock.

Before Python 3.12, ``functools.cached_property`` takes a lock shared by every
instance on each first access; a page computes some ninety such values, so the
lock was a measurable part of extracting a page. Page objects are never shared
between threads, so they need no lock. Like the functools one, this is a
non-data descriptor: once computed, the value sits in the instance's
``__dict__`` and later reads never reach the descriptor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.name = func.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value
