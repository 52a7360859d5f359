"""Request checks and the request context, for the index and the engine (private module).

No per-request parsing and no objects on the yes/no path: the action is checked once per
spelling, the request ARN by one precompiled regex (:data:`ARN_FAST`; the rare ARN it does not
cover takes :func:`drpolicy.arn.parse_arn`'s full check), and the context is type-checked
cheaply and normalised only when a conditional statement is reached (:class:`LazyContext`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from drpolicy._compiled import Context
from drpolicy.arn import parse_arn
from drpolicy.errors import InvalidArnError, RequestError
from drpolicy.parser import scalar_text

__all__ = [
    "ARN_FAST",
    "CtxArg",
    "LazyContext",
    "check_action",
    "check_context",
    "check_resource",
    "normalise_context",
    "valid_actions",
]

# one request-side character class for both parts: anything but whitespace, control
# characters, the colon and the wildcards
_ACTION: Final = re.compile(r"[^\s\x00-\x1f\x7f:*?]+:[^\s\x00-\x1f\x7f:*?]+")
# the shape of nearly every real request ARN; anything else takes parse_arn's full check
ARN_FAST: Final = re.compile(r"arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[^:]*:", re.ASCII)


def check_action(action: object) -> str:
    """Validate a request action; return it lower-cased. Spellings that passed are
    remembered (bounded), so each is checked once however many indexes see it.

    Raises:
        RequestError: not a string of the form ``service:action``, or with whitespace,
            control characters or wildcards (a request names exactly one action).
    """
    if type(action) is str:
        low = valid_actions.get(action)
        if low is not None:
            return low
    if not isinstance(action, str):
        raise RequestError(f"an action must be a string, not {type(action).__name__}")
    low = action.lower()
    if _ACTION.fullmatch(low) is None:
        if "*" in low or "?" in low:
            raise RequestError(
                f"invalid action `{action}`: a request names one action, without wildcards"
            )
        if any(c.isspace() or c < " " or c == "\x7f" for c in low):
            raise RequestError(
                f"invalid action `{action}`: whitespace and control characters are not allowed"
            )
        raise RequestError(f"invalid action `{action}`: expected `service:ActionName`")
    if type(action) is str:  # not a subclass: its hash and equality are str's
        if len(valid_actions) >= _VALID_ACTIONS_LIMIT:
            valid_actions.clear()
        valid_actions[action] = low
    return low


valid_actions: dict[str, str] = {}
"""Action spellings that passed :func:`check_action` -> lower-cased (bounded by
:data:`_VALID_ACTIONS_LIMIT`). ``action in valid_actions`` is the cheapest check there is."""
_VALID_ACTIONS_LIMIT: Final = 65536


def check_resource(resource: object) -> str:
    """Validate a request resource: an ARN as AWS writes it, or ``*`` for actions that do not
    support resource-level permissions.

    Raises:
        InvalidArnError: not an ARN (see :func:`drpolicy.arn.parse_arn`).
    """
    if type(resource) is str and (resource == "*" or ARN_FAST.match(resource) is not None):
        return resource
    if not isinstance(resource, str):
        raise InvalidArnError(resource, f"expected a string, got {type(resource).__name__}")
    if resource != "*":
        parse_arn(resource)
    return resource


def normalise_context(context: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Lower-case the keys and turn every value into a tuple of strings.

    A value is a string, or a list/tuple of strings (a multi-valued key); booleans and integers
    are accepted as their JSON text (``True`` -> ``"true"``). An empty list is a key with no
    values, which conditions treat like a missing key.

    Raises:
        RequestError: a key that is not a string, or a value of another type.
    """
    if not context:
        if context is not None and not isinstance(context, Mapping):
            raise RequestError(f"a context must be a mapping, not {type(context).__name__}")
        return {}
    if type(context) is not dict and not isinstance(context, Mapping):
        raise RequestError(f"a context must be a mapping, not {type(context).__name__}")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key:
            raise RequestError(f"context keys must be non-empty strings, not `{key!r}`")
        low = str.lower(key)
        if low in out:
            raise RequestError(f"context key `{key}` is given twice (keys are case-insensitive)")
        if type(value) is str:
            out[low] = (value,)
        elif isinstance(value, (list, tuple)):
            out[low] = tuple(_context_scalar(key, v) for v in value)
        else:
            out[low] = (_context_scalar(key, value),)
    return out


def _context_scalar(key: str, value: object) -> str:
    text = scalar_text(value, floats=False)
    if text is not None:
        return text
    raise RequestError(
        f"context value for `{key}` must be a string or a list of strings, not {type(value).__name__}"
    )


def check_context(context: object) -> None:
    """Cheap validation of a request context without building anything: key and value
    types, keys given twice in different cases (the normalisation happens only if a
    condition reads the context).

    Raises:
        RequestError: as :func:`normalise_context`.
    """
    if type(context) is dict:
        for value in context.values():
            if type(value) is not str and not _plain_values(value):
                normalise_context(context)  # raises with the precise message
                return
        if len(context) > 1:
            # a set of keys checked before (contexts of one caller share their keys)
            keys = tuple(context)
            if keys in _checked_keys:
                return
        for key in context:
            if type(key) is not str or not key:
                normalise_context(context)  # raises with the precise message
        if len(context) > 1:
            if len(set(map(str.lower, context))) != len(context):
                normalise_context(context)  # a key given twice in different cases
            if len(_checked_keys) >= _CHECKED_KEYS_LIMIT:
                _checked_keys.clear()
            _checked_keys[keys] = None
        return
    normalise_context(context)  # type: ignore[arg-type]


_checked_keys: dict[tuple[str, ...], None] = {}
"""Key tuples of contexts that passed :func:`check_context` (every key a non-empty ``str``,
no two equal ignoring case); bounded by :data:`_CHECKED_KEYS_LIMIT`."""
_CHECKED_KEYS_LIMIT: Final = 4096


def _plain_values(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(type(v) is str for v in value)
    return False


class LazyContext:
    """A request context normalised and merged over ``base`` on first use."""

    __slots__ = ("base", "raw", "value")

    def __init__(self, base: dict[str, tuple[str, ...]], raw: Mapping[str, Any]) -> None:
        self.base = base
        self.raw = raw
        self.value: dict[str, tuple[str, ...]] | None = None

    def get(self) -> dict[str, tuple[str, ...]]:
        """The merged, normalised context (computed once)."""
        value = self.value
        if value is None:
            value = self.value = {**self.base, **normalise_context(self.raw)}
        return value


CtxArg = Context | LazyContext


def _ctx(context: CtxArg) -> Context:
    return context.get() if type(context) is LazyContext else context  # type: ignore[return-value]
