"""The bounded decision cache behind :func:`drpolicy.is_allowed` (private module).

Keys are ``(role, action, resource)`` or ``(role, action, resource, frozen context)``; the
role is a catalog name or a :class:`~drpolicy.roles.Role` (hashed by identity, and immutable),
so a cached answer can never go stale. When full, the oldest half is dropped.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")

__all__ = ["BoundedMemo", "DecisionCache", "freeze_context"]


class DecisionCache:
    """A bounded mapping of requests to yes/no answers.

    ``drpolicy.decision_cache.maxsize = 0`` switches caching off; any other size bounds it.
    """

    __slots__ = ("_data", "_maxsize")

    def __init__(self, maxsize: int = 65536) -> None:
        self._data: dict[Hashable, bool] = {}
        self._maxsize = maxsize

    @property
    def maxsize(self) -> int:
        """The most answers kept; ``0`` disables the cache."""
        return self._maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"maxsize must be a non-negative integer, not `{value!r}`")
        self._maxsize = value
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every cached answer."""
        self._data.clear()

    def get(self, key: Hashable) -> bool | None:
        """The cached answer for ``key``, or ``None``."""
        return self._data.get(key)

    def put(self, key: Hashable, value: bool) -> None:
        """Remember an answer, evicting the oldest half when full."""
        data = self._data
        if len(data) >= self._maxsize:
            if self._maxsize == 0:
                return
            for old in list(data)[: max(1, len(data) // 2)]:
                del data[old]
        data[key] = value


def freeze_context(context: Mapping[str, Any]) -> Hashable:
    """A hashable stand-in for a context mapping whose values include lists (they become
    tuples, wrapped so a list never collides with a plain tuple value). Unhashable odd values
    raise ``TypeError``; callers then skip the cache and let validation report them."""
    return ("__frozen__",) + tuple(
        (k, ("__list__", tuple(v)) if isinstance(v, list) else v) for k, v in context.items()
    )


class BoundedMemo(Generic[_T]):
    """A dict memo that forgets everything when it reaches ``limit`` entries (so a stream of
    distinct keys costs bounded memory and no bookkeeping per hit)."""

    __slots__ = ("_data", "limit")

    def __init__(self, limit: int) -> None:
        self._data: dict[Hashable, _T] = {}
        self.limit = limit

    def get(self, key: Hashable) -> _T | None:
        """The remembered value, or ``None``."""
        return self._data.get(key)

    def put(self, key: Hashable, value: _T) -> _T:
        """Remember ``value``; return it."""
        data = self._data
        if len(data) >= self.limit:
            data.clear()
        data[key] = value
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
