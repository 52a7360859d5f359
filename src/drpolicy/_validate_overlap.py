"""Statements against each other: redundant statements and Allows shadowed by a Deny.

Whether one statement covers another is a sound containment test on the glob algebra
(:mod:`drpolicy._globs`). To stay linear in the number of statements, each statement is
compared only with the candidates an index over the *literal prefixes* of the other
statements' actions and resources yields: if pattern ``t`` contains every string pattern ``s``
matches, the literal text ``t`` starts with (up to its first wildcard) is a prefix of the
literal text ``s`` starts with, so only statements whose every action and resource prefix
lie on those prefix chains can cover it.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterator, Sequence
from typing import Final

from drpolicy._findings import Severity
from drpolicy._globs import (
    _action_contains,
    _action_intersects,
    _arn_contains,
    _arn_intersects,
    _ArnGlob,
    _policy_arn,
)
from drpolicy.model import PrincipalSpec, Statement

__all__ = ["Overlaps"]

_WILD: Final = ("*", "?", "$")
_NO_RESOURCE: Final = "\x00"  # the index key of statements without Resource/NotResource


def _literal_prefix(text: str) -> str:
    """The text before the first character that may be a wildcard or a variable."""
    cut = min((i for i in (text.find(c) for c in _WILD) if i >= 0), default=len(text))
    return text[:cut]


def _normal_arn(text: str) -> str:
    """A ``Resource`` entry as :func:`_policy_arn` compiles it (the ``arn`` field dropped, the
    partition, service and region lower-cased, a short pattern padded with ``*`` fields)."""
    if text == "*":
        return "*"
    segs = text.split(":", 5)
    segs += ["*"] * (6 - len(segs))
    return ":".join([*(x.lower() for x in segs[1:4]), *segs[4:]])


def _prefixes(key: str) -> list[str]:
    return [key[:n] for n in range(len(key) + 1)]


def _action_key(text: str) -> str:
    return "" if text == "*" else _literal_prefix(text.lower())


def _resource_key(text: str) -> str:
    return _literal_prefix(_normal_arn(text))


Finding = tuple[Severity, str, str, str]


class Overlaps:
    """The redundancy and shadowing checks over one policy's statements."""

    def __init__(self, statements: Sequence[Statement], variables: bool) -> None:
        self.variables = variables
        self.statements = [s for s in statements if not _empty(s)]
        # candidates that may cover others (unconditional, without NotPrincipal):
        # effect -> action key -> resource key -> statements, in document order
        self.index: dict[str, dict[str, dict[str, list[int]]]] = {}
        for k, stmt in enumerate(self.statements):
            if stmt.conditions or stmt.not_principal is not None:
                continue
            keys = {_action_key(t) for t in stmt.action} if stmt.action is not None else {""}
            if stmt.resource is not None:
                rkeys = {_resource_key(t) for t in stmt.resource}
            elif stmt.not_resource is not None:
                rkeys = {""}
            else:
                rkeys = {_NO_RESOURCE}  # statements without resources (trust policies)
            by_action = self.index.setdefault(stmt.effect, {})
            for key in keys:
                by_resource = by_action.setdefault(key, {})
                for rkey in rkeys:
                    by_resource.setdefault(rkey, []).append(k)

    def _candidates(self, stmt: Statement, effect: str) -> Iterator[Statement]:
        """The ``effect`` statements that may cover ``stmt``, in document order (a superset
        of those that do): those whose action and resource keys are literal prefixes of
        ``stmt``'s first action and first resource."""
        by_action = self.index.get(effect, {})
        if stmt.action:
            akey = _action_key(stmt.action[0])
            tables = [by_action[p] for p in _prefixes(akey) if p in by_action]
        else:  # NotAction: any statement may cover it
            tables = list(by_action.values())
        rkeys: list[str] | None = None
        if stmt.resource:
            first = stmt.resource[0]
            if not ("${" in first and self.variables):
                rkeys = _prefixes(_resource_key(first))
        elif stmt.resource is None and stmt.not_resource is None:
            rkeys = [_NO_RESOURCE, ""]  # no resources, or a `"Resource": "*"`
        lists: list[list[int]] = []
        for table in tables:
            if rkeys is None:
                lists.extend(table.values())
            else:
                lists.extend(table[r] for r in rkeys if r in table)
        last = -1
        for k in heapq.merge(*lists):
            if k != last:  # a statement appears once per key pair it is filed under
                last = k
                yield self.statements[k]

    def check(self, stmt: Statement, label_of: str) -> list[Finding]:
        """Findings for ``stmt`` (path ``label_of``) against the other statements."""
        if _empty(stmt):
            return []
        out: list[Finding] = []
        for other in self._candidates(stmt, stmt.effect):
            if other.index == stmt.index or not _covers(other, stmt, self.variables):
                continue
            if other.index > stmt.index and _covers(stmt, other, self.variables):
                continue  # identical grants: report the later statement only
            what = "grants" if stmt.effect == "Allow" else "denies"
            out.append(
                (
                    "suggestion",
                    "redundant-statement",
                    label_of,
                    f"this statement {what} nothing that `{other.label}` does not: remove it",
                )
            )
            break
        if stmt.effect != "Allow":
            return out
        for other in self._candidates(stmt, "Deny"):
            if _covers(other, stmt, self.variables):
                message = (
                    f"every request this statement allows is denied by `{other.label}`, so it"
                    " grants nothing"
                )
                out.append(("warning", "shadowed-statement", label_of, message))
                break
        return out


def _empty(stmt: Statement) -> bool:
    return stmt.action == () or stmt.resource == ()


def _principals_cover(sup: PrincipalSpec | None, sub: PrincipalSpec | None) -> bool:
    if sup is None or sub is None:
        return sup is sub
    return sup.wildcard or sup == sub


def _covers(sup: Statement, sub: Statement, variables: bool) -> bool:
    """Whether unconditional ``sup`` matches every request ``sub`` matches (a sound test:
    ``True`` only when it is sure)."""
    if sup.conditions or sup.not_principal is not None or sub.not_principal is not None:
        return False
    if not _principals_cover(sup.principal, sub.principal):
        return False
    return _actions_cover(sup, sub) and _resources_cover(sup, sub, variables)


_action_contains = functools.lru_cache(maxsize=65536)(_action_contains)
_action_intersects = functools.lru_cache(maxsize=65536)(_action_intersects)


@functools.lru_cache(maxsize=65536)
def _resource_contains(t: str, s: str, variables: bool) -> bool:
    return t == s or _arn_contains(
        _policy_arn(t, variables=variables, superset=True), _policy_arn(s, variables=variables)
    )


def _actions_cover(sup: Statement, sub: Statement) -> bool:
    if sup.action is not None:
        if "*" in sup.action:
            return True
        if sub.action is not None:
            return all(any(_action_contains(t, s) for t in sup.action) for s in sub.action)
        return False
    assert sup.not_action is not None
    if sub.action is not None:  # sub's actions avoid everything sup excludes
        return not any(_action_intersects(t, s) for t in sup.not_action for s in sub.action)
    assert sub.not_action is not None  # sup excludes only what sub also excludes
    return all(any(_action_contains(s, t) for s in sub.not_action) for t in sup.not_action)


def _resources_cover(sup: Statement, sub: Statement, variables: bool) -> bool:
    def sub_glob(text: str) -> _ArnGlob:
        return _policy_arn(text, variables=variables)

    def sup_glob(text: str) -> _ArnGlob:
        return _policy_arn(text, variables=variables, superset=True)

    def contains(t: str, s: str) -> bool:
        return _resource_contains(t, s, variables)

    if sup.resource is not None:
        if "*" in sup.resource:
            return True
        if sub.resource is not None:
            return all(any(contains(t, s) for t in sup.resource) for s in sub.resource)
        return False
    if sup.not_resource is not None:
        if sub.resource is not None:
            return not any(
                _arn_intersects(sub_glob(t), sub_glob(s))
                for t in sup.not_resource
                for s in sub.resource
            )
        if sub.not_resource is not None:
            return all(any(contains(s, t) for s in sub.not_resource) for t in sup.not_resource)
        return False
    return sub.resource is None and sub.not_resource is None  # trust policies: no resource
