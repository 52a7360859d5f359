"""Statements against each other: redundant statements and Allows shadowed by a Deny.

Whether one statement covers another is a sound containment test on the glob algebra
(:mod:`drpolicy._globs`). To stay linear in the number of statements, each statement is
compared only with the candidates an index yields, in three dimensions (actions, resources,
principals). The index rests on what containment implies for the literal text of the globs,
segment by segment (the service and name of an action; the partition, service, region,
account and resource part of an ARN): if glob ``t`` contains glob ``s`` (every literal token
of ``t`` is matched by an equal literal token of ``s``), then

- ``t``'s literal prefix (up to its first wildcard) is a prefix of ``s``'s literal prefix;
- ``t``'s literal suffix (after its last wildcard) is a suffix of ``s``'s literal suffix;
- each *complete word* of ``t`` (a run of letters and digits with a literal non-word
  character or the segment's edge on both sides) is a maximal word run of ``s``;
- each literal chunk of ``t`` (the text between two wildcards) lies inside one literal chunk
  of ``s``, so each of its substrings of :data:`_GRAM` characters is one of ``s``'s.

Each pattern of a statement that may cover others is filed under one such key, the one that
the fewest statements' query keys hold; a statement is compared only with the statements
filed under one of its first action's and first resource's query keys (all their prefixes,
suffixes, word runs and substrings), in document order, so the findings are those comparing
every pair gives (``tests/test_validate_overlap.py`` checks that on generated policies).
Variables (``${aws:username}``) read as ``*`` for the keys: a containing pattern with a
variable contains nothing but itself (the containment test reads its variables as matching
nothing), and a pattern's keys are among its own query keys.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

from drpolicy._findings import Severity
from drpolicy._globs import (
    Glob,
    _action_contains,
    _action_fields,
    _action_intersects,
    _arn_contains,
    _arn_fields,
    _arn_intersects,
    _ArnGlob,
    _policy_arn,
)
from drpolicy.model import PrincipalSpec, Statement

__all__ = ["Overlaps"]

# Index keys. A pattern key is a kind ("^" literal prefix, "$" literal suffix, "w" complete
# word, "g" substring of _GRAM characters), the segment's number (one digit) and the text; the
# one-character keys stand for whole classes of entries; a Principal is its own key.
Key = str | PrincipalSpec
_ALWAYS: Final = "*"  # "*" (or Principal "*"): covers any entry
_NOT: Final = "!"  # NotAction / NotResource: may cover any entry
_NONE: Final = "-"  # no Resource/NotResource, or no Principal
_ACTIONS, _RESOURCES, _PRINCIPALS = 0, 1, 2
_DIMENSIONS: Final = (_ACTIONS, _RESOURCES, _PRINCIPALS)


# A segment as its literal chunks: the text between its wildcards, in order ("a*b?c" is
# ("a", "b", "c"), "*x" is ("", "x"), a segment without wildcards is one chunk).
Chunks = tuple[str, ...]
_WILDCARDS: Final = re.compile(r"[*?]+")
_WORD: Final = re.compile(r"[^\W_]+")  # a run of letters and digits
_GRAM: Final = 4  # the length of the substrings indexed


def _chunks(glob: Glob) -> Chunks:
    """The literal chunks of a glob's tokens (for a resource part with policy variables)."""
    out = [""]
    for tok in glob:
        if isinstance(tok, str):
            out[-1] += tok
        elif out[-1] or len(out) == 1:
            out.append("")
    return tuple(out)


def _action_segments(text: str) -> tuple[Chunks, ...] | None:
    """An ``Action`` entry as :func:`_action_parts` reads it, as chunks (``None``: ``*``)."""
    fields = _action_fields(text)
    return None if fields is None else tuple(tuple(_WILDCARDS.split(f)) for f in fields)


def _resource_segments(text: str, variables: bool) -> tuple[Chunks, ...] | None:
    """A ``Resource`` entry as :func:`_policy_arn` reads it, as chunks (``None``: ``*``)."""
    fields = _arn_fields(text)
    if fields is None:
        return None
    head = tuple(tuple(_WILDCARDS.split(f)) for f in fields[:4])
    if variables and "${" in fields[4]:
        return (*head, _chunks(_policy_arn(text, variables=True).segments[4]))
    return (*head, tuple(_WILDCARDS.split(fields[4])))


def _cover_keys(segments: tuple[Chunks, ...]) -> tuple[str, ...]:
    """Keys of which every glob this one contains holds each among its query keys: each
    segment's literal prefix, literal suffix (when it has a wildcard), complete words and
    substrings of :data:`_GRAM` characters."""
    out: list[str] = []
    for i, chunks in enumerate(segments):
        tag = str(i)
        last = len(chunks) - 1
        out.append("^" + tag + chunks[0])
        if last:
            out.append("$" + tag + chunks[last])
        for j, chunk in enumerate(chunks):
            for word in _WORD.finditer(chunk):
                # complete: a literal non-word character or the segment's edge on each side
                if (word.start() or j == 0) and (word.end() < len(chunk) or j == last):
                    out.append("w" + tag + word.group())
        out.extend("g" + tag + gram for gram in _grams(chunks))
    return tuple(out)


def _grams(chunks: Chunks) -> set[str]:
    """The substrings of :data:`_GRAM` characters of a segment's chunks."""
    return {c[a : a + _GRAM] for c in chunks for a in range(len(c) - _GRAM + 1)}


def _query_parts(segments: tuple[Chunks, ...]) -> tuple[tuple[str, str, list[str]], ...]:
    """Per segment: the literal prefix, the literal suffix (all of it when the segment has
    no wildcard), and the keys of its word runs and substrings of :data:`_GRAM` characters."""
    out = []
    for i, chunks in enumerate(segments):
        tag = str(i)
        keys = ["w" + tag + w for chunk in chunks for w in _WORD.findall(chunk)]
        keys.extend("g" + tag + gram for gram in _grams(chunks))
        out.append((chunks[0], chunks[-1], keys))
    return tuple(out)


def _query_keys(
    parts: tuple[tuple[str, str, list[str]], ...], lengths: dict[str, list[int]]
) -> list[str]:
    """The keys under which a glob containing this one (its :func:`_query_parts`) may be
    filed: every prefix of each segment's literal prefix and suffix of its literal suffix (of
    the lengths in ``lengths``, those some entry's keys have), its word runs and substrings."""
    out: list[str] = []
    for i, (prefix, suffix, keys) in enumerate(parts):
        tag = str(i)
        head = "^" + tag
        out.extend(head + prefix[:n] for n in lengths.get(head, ()) if n <= len(prefix))
        tail = "$" + tag
        end = len(suffix)
        out.extend(tail + suffix[end - n :] for n in lengths.get(tail, ()) if n <= end)
        out.extend(keys)
    return out


class _Memo:
    """The key functions, memoised for one policy (patterns repeat across statements); kept
    only while the index is built."""

    def __init__(self) -> None:
        self.action_segments = functools.cache(_action_segments)
        self.resource_segments = functools.cache(_resource_segments)
        self.cover_keys = functools.cache(_cover_keys)
        self.query_parts = functools.cache(_query_parts)


_V = TypeVar("_V")


def _hits(table: dict[Key, _V], keys: frozenset[Key]) -> list[_V]:
    """The values of ``table`` under one of ``keys`` (walking the smaller of the two)."""
    if len(table) < len(keys):
        return [value for key, value in table.items() if key in keys]
    return [table[key] for key in keys if key in table]


Finding = tuple[Severity, str, str, str]


class Overlaps:
    """The redundancy and shadowing checks over one policy's statements."""

    def __init__(self, statements: Sequence[Statement], variables: bool) -> None:
        self.variables = variables
        self.statements = [s for s in statements if not _empty(s)]
        # candidates that may cover others (unconditional, without NotPrincipal), with the
        # keys of each of their entries: position -> dimension -> (entry keys, ...)
        options: dict[int, list[list[tuple[Key, ...]]]] = {}
        seen: list[dict[str, set[int]]] = [{}, {}]
        memo = _Memo()
        for k, stmt in enumerate(self.statements):
            if stmt.conditions or stmt.not_principal is not None:
                continue
            options[k] = per_dim = [self._entry_options(stmt, dim, memo) for dim in _DIMENSIONS]
            for dim in (_ACTIONS, _RESOURCES):
                for keys in per_dim[dim]:
                    for key in keys:
                        if isinstance(key, str) and key[0] in "^$":
                            seen[dim].setdefault(key[:2], set()).add(len(key) - 2)
        lengths = [{kind: sorted(ns) for kind, ns in by_kind.items()} for by_kind in seen]
        # each statement's query keys, and how many statements each key is a query key of
        self.queries: dict[int, tuple[frozenset[Key], ...]] = {}
        counts: list[Counter[Key]] = [Counter(), Counter(), Counter()]
        for stmt in self.statements:
            query = self._query(stmt, lengths, memo)
            self.queries[stmt.index] = query
            for dim in _DIMENSIONS:
                counts[dim].update(query[dim])
        # file each entry under its rarest key, by principal, action and resource key:
        # effect -> principal key -> action key -> resource key -> positions
        self.index: dict[str, dict[Key, dict[Key, dict[Key, list[int]]]]] = {}
        for k, per_dim in options.items():
            filed = [
                {min(keys, key=counts[dim].__getitem__) for keys in entries}
                for dim, entries in enumerate(per_dim)
            ]
            by_principal = self.index.setdefault(self.statements[k].effect, {})
            for pkey in filed[_PRINCIPALS]:
                by_action = by_principal.setdefault(pkey, {})
                for akey in filed[_ACTIONS]:
                    by_resource = by_action.setdefault(akey, {})
                    for rkey in filed[_RESOURCES]:
                        by_resource.setdefault(rkey, []).append(k)

    def _entry_options(self, stmt: Statement, dim: int, memo: _Memo) -> list[tuple[Key, ...]]:
        """For a statement that may cover others: per entry, the keys it may be filed under."""
        if dim == _PRINCIPALS:
            if stmt.principal is None:
                return [(_NONE,)]
            return [(_ALWAYS,) if stmt.principal.wildcard else (stmt.principal,)]
        if dim == _ACTIONS:
            if stmt.action is None:
                return [(_NOT,)]
            if "*" in stmt.action:
                return [(_ALWAYS,)]
            parts = [memo.action_segments(t) for t in stmt.action]
            return [(_ALWAYS,) if p is None else memo.cover_keys(p) for p in parts]
        if stmt.resource is not None:
            if "*" in stmt.resource:
                return [(_ALWAYS,)]
            segs = [memo.resource_segments(t, self.variables) for t in stmt.resource]
            return [(_ALWAYS,) if g is None else memo.cover_keys(g) for g in segs]
        return [(_NOT,)] if stmt.not_resource is not None else [(_NONE,)]

    def _query(
        self, stmt: Statement, lengths: list[dict[str, list[int]]], memo: _Memo
    ) -> tuple[frozenset[Key], ...]:
        """The keys of the statements that may cover ``stmt``, per dimension."""
        if stmt.not_principal is not None:  # nothing covers a NotPrincipal statement
            return (frozenset(), frozenset(), frozenset())
        principals: set[Key] = {_NONE} if stmt.principal is None else {_ALWAYS, stmt.principal}
        actions: set[Key] = {_ALWAYS, _NOT}
        if stmt.action:
            parts = memo.action_segments(stmt.action[0])
            if parts is not None:
                actions.update(_query_keys(memo.query_parts(parts), lengths[_ACTIONS]))
        resources: set[Key] = {_ALWAYS}
        if stmt.resource:
            resources.add(_NOT)
            segs = memo.resource_segments(stmt.resource[0], self.variables)
            if segs is not None:
                resources.update(_query_keys(memo.query_parts(segs), lengths[_RESOURCES]))
        elif stmt.not_resource is not None:
            resources.add(_NOT)
        else:
            resources.add(_NONE)
        return (frozenset(actions), frozenset(resources), frozenset(principals))

    def _candidates(self, stmt: Statement, effect: str) -> Iterator[Statement]:
        """The ``effect`` statements that may cover ``stmt``, in document order (a superset
        of those that do): those filed under one of ``stmt``'s query keys in each of the
        three dimensions."""
        query = self.queries[stmt.index]
        lists: list[list[int]] = []
        for by_action in _hits(self.index.get(effect, {}), query[_PRINCIPALS]):
            for by_resource in _hits(by_action, query[_ACTIONS]):
                lists.extend(_hits(by_resource, query[_RESOURCES]))
        last = -1
        for k in heapq.merge(*lists):
            if k != last:  # a statement appears once per key triple it is filed under
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
