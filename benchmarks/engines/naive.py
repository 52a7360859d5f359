"""The naive baseline: a plain, readable fnmatch-per-call evaluator of the raw JSON policies.

What a Python user writes in an afternoon: walk every statement of every policy on every call,
match ``Action``/``NotAction`` (case-insensitive) and ``Resource``/``NotResource``
(case-sensitive) with :func:`fnmatch.fnmatchcase`, check the condition operators the DeepRacer
catalog uses (``StringEquals``, ``StringLike``, ``StringEqualsIgnoreCase``), explicit Deny wins,
otherwise any matching Allow allows. No precompilation (fnmatch keeps its own cache of
translated patterns, as it does for every user).

Known simplifications, shared by any fnmatch evaluator: ``*`` crosses ARN ``:`` separators,
``[...]`` is a character class, policy variables are not substituted, other condition operators
make the statement not match.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from engines import Decide, Workload

__all__ = ["LABEL", "NAME", "build", "evaluate", "version"]

NAME = "naive"
LABEL = "naive fnmatch per call"


def version() -> str:
    """Always available (standard library only)."""
    return "stdlib"


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value)


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    action = action.lower()
    if "Action" in statement:
        return any(fnmatchcase(action, p.lower()) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(fnmatchcase(action, p.lower()) for p in _as_list(statement["NotAction"]))
    return False


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(fnmatchcase(resource, p) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(fnmatchcase(resource, p) for p in _as_list(statement["NotResource"]))
    return False


def _lookup(context: Mapping[str, Any] | None, key: str) -> list[str] | None:
    if not context:
        return None
    wanted = key.lower()
    for k, v in context.items():
        if k.lower() == wanted:
            return [v] if isinstance(v, str) else list(v)
    return None


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, Any] | None) -> bool:
    for operator, block in conditions.items():
        for key, expected in block.items():
            values = [str(e) for e in _as_list(expected)]
            actual = _lookup(context, key)
            if not actual:
                return False
            if operator == "StringEquals":
                ok = any(a == v for a in actual for v in values)
            elif operator == "StringEqualsIgnoreCase":
                ok = any(a.lower() == v.lower() for a in actual for v in values)
            elif operator == "StringLike":
                ok = any(fnmatchcase(a, v) for a in actual for v in values)
            else:
                return False
            if not ok:
                return False
    return True


def evaluate(
    policies: list[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the policies allow the request: explicit Deny wins, then any Allow."""
    allowed = False
    for policy in policies:
        for statement in _as_list(policy["Statement"]):
            if not _action_matches(statement, action):
                continue
            if not _resource_matches(statement, resource):
                continue
            if "Condition" in statement and not _conditions_hold(statement["Condition"], context):
                continue
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


def build(workload: Workload) -> Decide:
    """No setup beyond holding the raw JSON documents."""
    policies = workload.policies

    def decide(r: Any) -> bool:
        return evaluate(policies[r.role], r.action, r.resource, r.context)

    return decide
