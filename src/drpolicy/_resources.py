"""Which statements of a set match a request's resource, with one call (private module).

The statements of one (effect, condition set) share one :class:`_Resources` matcher: ``*``
resources, exact ARNs in a dict, and the wildcard patterns joined into one regex that cannot
backtrack; past :data:`_SMALL` wildcard patterns, each pattern is indexed by the rarest *token*
of its resource part (an alphanumeric run every ARN it matches contains as a whole token), so
10,000 patterns cost a few dict lookups. Used by :mod:`drpolicy._index`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from drpolicy._compiled import _Stmt
from drpolicy._requests import ARN_FAST
from drpolicy._wildcard import ArnPattern, _compile_source

_GROUP_CACHE_LIMIT: Final = 65536
"""Bound of the per-index caches (compiled joined matchers here, groups in the index)."""
_SMALL: Final = 32
"""Up to this many wildcard patterns share one alternation regex; past it, the token index."""

_TOKEN: Final = re.compile(r"[A-Za-z0-9]+")
_WILD: Final = re.compile(r"[*?]")


def _complete_tokens(pattern: ArnPattern) -> list[str]:
    """Alphanumeric runs of the pattern's resource part that any ARN it matches contains as a
    whole token (bounded by non-alphanumeric characters or by the ends of the ARN)."""
    resource = pattern.segments[5]
    pieces = _WILD.split(resource)
    out: list[str] = []
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        for m in _TOKEN.finditer(piece):
            # the resource part starts after a colon; the ARN ends after the last piece
            left = m.start() > 0 or i == 0
            right = m.end() < len(piece) or i == last
            if left and right:
                out.append(m.group())
    return out


class _Resources:
    """Which statements of a set (all with static Resource patterns) match a resource.

    ``test(resource)`` answers "does any?" in one call; :meth:`which` lists them.
    """

    __slots__ = (
        "always", "exact", "memo", "only", "rest", "rest_match", "rest_stmts", "stmts", "test",
        "tokens",
    )

    def __init__(self, stmts: Sequence[_Stmt], cache: dict[Any, Any]) -> None:
        self.stmts = tuple(stmts)
        # the one statement of the set, if it has one: `test` then says which statements match
        self.only = self.stmts[0] if len({id(s) for s in stmts}) == 1 else None
        self.memo: Any = None  # what a caller derives from `only` (evaluator: its Decision)
        always = [s for s in stmts if s.any_resource]
        exact: dict[str, list[_Stmt]] = {}
        wild: list[tuple[ArnPattern, _Stmt]] = []
        for s in stmts:
            if s.any_resource:
                continue
            assert s.patterns is not None
            for p in s.patterns:
                if p.kind == "exact":
                    exact.setdefault(p.literal, []).append(s)
                else:
                    wild.append((p, s))
        self.always = tuple(always)
        self.exact = {k: tuple(v) for k, v in exact.items()}
        tokens: dict[str, list[tuple[ArnPattern, _Stmt]]] | None = None
        rest = wild
        if len(wild) > _SMALL:
            tokens, rest = _token_index(wild)
        self.tokens = None if tokens is None else {k: tuple(v) for k, v in tokens.items()}
        self.rest = tuple(rest)
        self.rest_stmts = tuple({id(s): s for _, s in rest}.values())
        self.rest_match = _joined(rest, self.rest_stmts, cache)
        self.test = self._tester()

    def _tester(self) -> Any:
        if self.always:
            return _always
        exact = self.exact
        rest = self.rest_match
        if self.tokens is not None:
            return self._test_indexed
        if rest is None:
            return exact.__contains__ if exact else _never
        if not exact:
            return lambda resource: rest(resource) is not None
        return lambda resource: resource in exact or rest(resource) is not None

    def _test_indexed(self, resource: str) -> bool:
        if resource in self.exact:
            return True
        tokens = self.tokens
        assert tokens is not None
        # keys are tokens of the patterns' resource parts: scan only the request's
        shape = ARN_FAST.match(resource)
        for hit in map(tokens.get, _TOKEN.findall(resource, shape.end() if shape else 0)):
            if hit:
                for p, _ in hit:
                    if p.kind == "prefix":
                        if resource.startswith(p.literal):
                            return True
                        continue
                    regex = p._compiled or p.regex
                    assert regex is not None
                    if regex.fullmatch(resource) is not None:
                        return True
        return self.rest_match is not None and self.rest_match(resource) is not None

    def which(self, resource: str) -> list[_Stmt]:
        """Every statement of the set whose Resource matches (possibly repeated)."""
        only = self.only
        if only is not None:
            return [only] if self.test(resource) else []
        out = list(self.always)
        hit = self.exact.get(resource)
        if hit:
            out.extend(hit)
        if self.tokens is not None:
            shape = ARN_FAST.match(resource)  # keys come from resource parts: scan only that
            for token in _TOKEN.findall(resource, shape.end() if shape else 0):
                for p, s in self.tokens.get(token, ()):
                    regex = p.regex
                    assert regex is not None
                    if regex.fullmatch(resource) is not None:
                        out.append(s)
        rest_match = self.rest_match
        if rest_match is not None:
            m = rest_match(resource)
            if m is not None:
                stmts = self.rest_stmts
                if len(stmts) == 1:
                    out.append(stmts[0])
                else:
                    # one capturing group per statement: the first statement that matches is
                    # known; only the statements after it need their own look
                    first = m.lastindex
                    out.append(stmts[first - 1])
                    for s in stmts[first:]:
                        if s.resource_fullmatch(resource) is not None:
                            out.append(s)
        return out


class _StartsWith:
    """``fullmatch``-like matcher for prefix patterns: truthy when ``resource`` starts with
    one of the prefixes."""

    __slots__ = ("prefixes",)

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def __call__(self, resource: str) -> bool | None:
        return True if resource.startswith(self.prefixes) else None


def _always(resource: str) -> bool:
    return True


def _never(resource: str) -> bool:
    return False


def _token_index(
    wild: Sequence[tuple[ArnPattern, _Stmt]],
) -> tuple[dict[str, list[tuple[ArnPattern, _Stmt]]], list[tuple[ArnPattern, _Stmt]]]:
    """Index wildcard patterns by their rarest complete token; the rest have none."""
    candidates = [(_complete_tokens(p), p, s) for p, s in wild]
    counts: dict[str, int] = {}
    for toks, _, _ in candidates:
        for t in set(toks):
            counts[t] = counts.get(t, 0) + 1
    index: dict[str, list[tuple[ArnPattern, _Stmt]]] = {}
    rest: list[tuple[ArnPattern, _Stmt]] = []
    for toks, p, s in candidates:
        if toks:
            best = min(toks, key=counts.__getitem__)
            index.setdefault(best, []).append((p, s))
        else:
            rest.append((p, s))
    return index, rest


def _joined(
    wild: Sequence[tuple[ArnPattern, _Stmt]], stmts: Sequence[_Stmt], cache: dict[Any, Any]
) -> Any:
    """One ``fullmatch`` for a few wildcard patterns (``None`` for none). A single statement's
    patterns reuse that statement's own compiled matcher; for several statements the regex
    has one capturing group per statement, in ``stmts`` order (``lastindex`` names the first
    statement that matches). Compiled once per index (``cache``, keyed by the sources)."""
    if not wild:
        return None
    if len(stmts) == 1 and all(p.kind == "prefix" for p, _ in wild):
        # prefixes only (`bucket/*`): str.startswith with a tuple, no regex
        return _StartsWith(tuple(p.literal for p, _ in wild))
    if len(stmts) == 1 and len(wild) == len(stmts[0].patterns or ()):
        return stmts[0].resource_fullmatch
    per_stmt: dict[int, list[str]] = {id(s): [] for s in stmts}
    for p, s in wild:
        if p.regex_source is not None:
            per_stmt[id(s)].append(p.regex_source)
    if len(stmts) == 1:
        sources = next(iter(per_stmt.values()))
        key: Any = tuple(sources)
        source = "|".join(f"(?:{x})" for x in sources)
    else:
        key = tuple(tuple(v) for v in per_stmt.values())
        source = "|".join("(" + "|".join(f"(?:{x})" for x in v) + ")" for v in key)
    fullmatch = cache.get(key)
    if fullmatch is None:
        if len(cache) >= _GROUP_CACHE_LIMIT:
            cache.clear()
        fullmatch = cache[key] = _compile_source(source).fullmatch
    return fullmatch
