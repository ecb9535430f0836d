"""``cached_property`` for the page objects: :func:`functools.cached_property` without its lock.

Before Python 3.12, ``functools.cached_property`` takes a lock shared by every
instance on each first access; a page computes some ninety such values, so the
lock was a measurable part of extracting a page. Page objects are never shared
between threads, so they need no lock. Like the functools one, this is a
non-data descriptor: once computed, the value sits in the instance's
``__dict__`` and later reads never reach the descriptor.
"""

from __future__ import annotations

import operator
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


def read_fields(
    part: object, names: tuple[str, ...], convert: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """``{name: getattr(part, name) for name in names}``: the part's fields in that order
    (each passed through ``convert`` as it is read, when given).

    The same values, each computed once and kept in the part's ``__dict__`` as
    :meth:`cached_property.__get__` keeps it, without a call of that ``__get__`` per field:
    CPython reaches a ``__get__`` written in Python through a slow slot call (~0.25 µs a
    field, some 80 fields a page). Whatever is not a :class:`cached_property` of the part's
    class (a constant, a plain property) is read with ``getattr``; so is every field of a
    class that does not define them all itself (a subclass)."""
    getters = _getters(type(part), names)
    cache = part.__dict__
    values: dict[str, Any] = {}
    for name, func in getters:
        if func is None:
            value = getattr(part, name)
        elif name in cache:
            value = cache[name]
        else:
            value = cache[name] = func(part)
        values[name] = value if convert is None else convert(value)
    return values


# (class, names) -> (a getter of the class's own attributes of those names, the attributes
# the getters below were made from, the getters)
_GETTERS: dict[tuple[type, tuple[str, ...]], tuple[Callable[[Any], Any], Any, Any]] = {}


def _getters(owner: type, names: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """(name, the function of the cached_property under that name, else ``None``), for the
    attributes the class holds now: one C call finds them again and compares them with those
    the getters were made from (an attribute replaced since, say by a test's monkeypatch,
    makes them anew)."""
    known = _GETTERS.get((owner, names))
    namespace = owner.__dict__
    if known is not None:
        attributes_of, attributes, getters = known
        try:
            if attributes_of(namespace) == attributes:
                return getters
        except KeyError:
            pass
    attributes_of = operator.itemgetter(*names)
    try:
        attributes = attributes_of(namespace)
    except KeyError:  # a field the class does not define itself: getattr for every field
        getters = tuple((name, None) for name in names)
        _GETTERS[owner, names] = (_no_attributes, None, getters)
        return getters
    getters = tuple(
        # (A cached_property kept under another name than its own would cache there.)
        (name, attribute.func)
        if isinstance(attribute, cached_property) and attribute.name == name
        else (name, None)
        for name, attribute in zip(
            names, attributes if len(names) > 1 else (attributes,), strict=True
        )
    )
    _GETTERS[owner, names] = (attributes_of, attributes, getters)
    return getters


def _no_attributes(namespace: Any) -> None:
    return None
