"""The precompiled-regex baseline: the naive evaluator with its patterns compiled once.

Setup turns every statement into a small record: one compiled regex for all of its action
patterns (case-insensitive), one for all of its resource patterns (case-sensitive), and its
conditions with the keys lower-cased. A decision still walks every statement in order (explicit
Deny returns at once), which is how a careful hand-written evaluator looks and why it grows
linearly with the number of statements. Same semantics and simplifications as
:mod:`engines.naive`, except that ``[`` is literal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from engines import Decide, Workload

__all__ = ["LABEL", "NAME", "build", "compile_policies", "glob_to_regex", "version"]

NAME = "regex"
LABEL = "precompiled-regex baseline"


def version() -> str:
    """Always available (standard library only)."""
    return "stdlib"


def glob_to_regex(pattern: str) -> str:
    """``*`` -> ``.*``, ``?`` -> ``.``, everything else literal."""
    return "".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
    )


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value)


def _alternation(patterns: list[str], flags: int) -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(glob_to_regex(p) for p in patterns) + r")\Z", flags)


class _Condition(NamedTuple):
    operator: str
    key: str  # lower-cased
    values: tuple[str, ...]
    like: re.Pattern[str] | None


class _Statement(NamedTuple):
    deny: bool
    actions: re.Pattern[str]
    not_action: bool
    resources: re.Pattern[str] | None
    not_resource: bool
    conditions: tuple[_Condition, ...]


def _compile_statement(st: Mapping[str, Any]) -> _Statement:
    not_action = "Action" not in st
    actions = _alternation(_as_list(st.get("Action", st.get("NotAction", []))), re.IGNORECASE)
    not_resource = "Resource" not in st and "NotResource" in st
    raw_resources = st.get("Resource", st.get("NotResource"))
    resources = (
        None if raw_resources is None else _alternation(_as_list(raw_resources), re.DOTALL)
    )
    conditions = []
    for operator, block in st.get("Condition", {}).items():
        for key, expected in block.items():
            values = tuple(str(v) for v in _as_list(expected))
            like = None
            if operator == "StringLike":
                like = _alternation(list(values), re.DOTALL)
            elif operator == "StringEqualsIgnoreCase":
                values = tuple(v.lower() for v in values)
            conditions.append(_Condition(operator, key.lower(), values, like))
    return _Statement(
        st["Effect"] == "Deny", actions, not_action, resources, not_resource, tuple(conditions)
    )


def compile_policies(policies: list[Mapping[str, Any]]) -> tuple[_Statement, ...]:
    """All statements of the policies, compiled, in document order."""
    return tuple(
        _compile_statement(st) for p in policies for st in _as_list(p["Statement"])
    )


def _condition_holds(c: _Condition, context: dict[str, Any]) -> bool:
    actual = context.get(c.key)
    if actual is None:
        return False
    values = [actual] if isinstance(actual, str) else list(actual)
    if not values:
        return False
    if c.operator == "StringEquals":
        return any(a in c.values for a in values)
    if c.operator == "StringEqualsIgnoreCase":
        return any(a.lower() in c.values for a in values)
    if c.operator == "StringLike":
        assert c.like is not None
        return any(c.like.match(a) for a in values)
    return False


def evaluate(
    statements: tuple[_Statement, ...],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None,
) -> bool:
    """Whether the compiled statements allow the request."""
    allowed = False
    lowered: dict[str, Any] | None = None
    for st in statements:
        if (st.actions.match(action) is None) != st.not_action:
            continue
        if st.resources is None or (st.resources.match(resource) is None) != st.not_resource:
            continue
        if st.conditions:
            if lowered is None:
                lowered = {k.lower(): v for k, v in (context or {}).items()}
            if not all(_condition_holds(c, lowered) for c in st.conditions):
                continue
        if st.deny:
            return False
        allowed = True
    return allowed


def build(workload: Workload) -> Decide:
    """Compile every role's statements once."""
    compiled = {name: compile_policies(docs) for name, docs in workload.policies.items()}

    def decide(r: Any) -> bool:
        return evaluate(compiled[r.role], r.action, r.resource, r.context)

    return decide
