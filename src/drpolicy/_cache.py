"""The bounded decision cache behind :func:`drpolicy.is_allowed` (private module).

Keys are ``(role, action, resource)`` or ``(role, action, resource, frozen context)``; the
role is a catalog name or a :class:`~drpolicy.roles.Role` (hashed by identity, and immutable),
so a cached answer can never go stale. When full, the oldest half is dropped.

The cache watches its own hit rate: when fewer than a quarter of the requests of a window of
:data:`WINDOW` lookups hit (distinct traffic: property tests, log replays), looking up and
inserting cost more than the hits save, so it steps aside for :data:`BYPASS` requests and then
looks again. What it answers never depends on this, only how fast.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")

WINDOW = 1024
"""Lookups per review of the hit rate."""
BYPASS = 63 * WINDOW
"""Requests answered without the cache after a window with a low hit rate."""

__all__ = ["BoundedMemo", "DecisionCache", "freeze_context"]


class DecisionCache:
    """A bounded mapping of requests to yes/no answers.

    ``drpolicy.decision_cache.maxsize = 0`` switches caching off; any other size bounds it.
    """

    __slots__ = ("_data", "_hits", "_looked", "_maxsize", "_skip")

    def __init__(self, maxsize: int = 65536) -> None:
        self._data: dict[Hashable, bool] = {}
        self._maxsize = maxsize
        # INVARIANT: these counters only steer speed (see the module docstring); a lost update
        # between threads is harmless
        self._skip = 0  # requests still to answer without the cache
        self._looked = 0  # lookups in the current window
        self._hits = 0  # hits in the current window

    @property
    def maxsize(self) -> int:
        """The most answers kept; ``0`` disables the cache."""
        return self._maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"maxsize must be a non-negative integer, not `{value!r}`")
        self._maxsize = value
        self.clear()

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every cached answer (and the hit-rate statistics)."""
        self._data.clear()
        self._skip = self._looked = self._hits = 0

    @property
    def bypassing(self) -> bool:
        """Whether the cache is stepping aside after a window with a low hit rate."""
        return self._skip > 0

    def review(self) -> None:
        """End a window: step aside for :data:`BYPASS` requests if fewer than a quarter of its
        lookups hit (called by :func:`drpolicy.is_allowed` every :data:`WINDOW` lookups)."""
        if self._hits * 4 < self._looked:
            self._skip = BYPASS
        self._looked = self._hits = 0

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
