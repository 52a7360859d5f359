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
        "always", "exact", "exact_rest", "memo", "only", "rest", "rest_match", "rest_stmts",
        "stmts", "table", "test", "tokens",
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
        # test()'s table (see _test_table): the patterns and exact ARNs by token
        self.table: dict[bytes, _Test] | None = None
        self.exact_rest = self.exact
        if tokens is not None:
            self.table, self.exact_rest = _test_table(tokens, self.exact)
        self.rest = tuple(rest)
        self.rest_stmts = tuple({id(s): s for _, s in rest}.values())
        self.rest_match = _joined(rest, self.rest_stmts, cache)
        self.test = self._tester()

    def _tester(self) -> Any:
        if self.always:
            return _always
        exact = self.exact
        rest = self.rest_match
        if self.table is not None:
            return _indexed_tester(self.exact_rest, self.table, rest)
        if rest is None:
            return exact.__contains__ if exact else _never
        if not exact:
            return lambda resource: rest(resource) is not None
        return lambda resource: resource in exact or rest(resource) is not None

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


_Test = Any
"""An entry of ``_Resources.table``: a prefix (``str``, tested with ``startswith``), a compiled
regex's bound ``fullmatch``, a ``frozenset`` of exact ARNs, an :class:`ArnPattern` whose regex
is not compiled yet (compiled and swapped in on first use), or a tuple of these when several
share the token."""
_FULLMATCH: Final = type(re.compile("").fullmatch)
_ALNUM: Final = bytes(
    b if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else 32 for b in range(256)
)
"""``bytes.translate`` table: ASCII letters and digits kept, every other byte a space (so that
``split()`` gives :data:`_TOKEN`'s tokens, as bytes; UTF-8 bytes of other characters are
>= 0x80 and become separators, as they are for :data:`_TOKEN`)."""


def _test_table(
    tokens: dict[str, list[tuple[ArnPattern, _Stmt]]], exact: dict[str, tuple[_Stmt, ...]]
) -> tuple[dict[bytes, _Test], dict[str, tuple[_Stmt, ...]]]:
    """``test()``'s table, keyed by tokens as bytes: the wildcard patterns under their index
    token, and each exact ARN under the least used token of its resource part. Returns it and
    the exact ARNs that have no token."""
    table: dict[bytes, list[Any]] = {
        k.encode("ascii"): [
            p.literal if p.kind == "prefix"
            else p._compiled.fullmatch if p._compiled is not None else p
            for p, _ in v
        ]
        for k, v in tokens.items()
    }
    exact_by_token: dict[bytes, set[str]] = {}
    exact_rest: dict[str, tuple[_Stmt, ...]] = {}
    for arn, stmts in exact.items():
        parts = arn.split(":", 5)
        found = _TOKEN.findall(parts[5]) if len(parts) == 6 else []
        if not found:
            exact_rest[arn] = stmts
            continue
        best = min(
            (t.encode("ascii") for t in found),
            key=lambda t: len(table.get(t, ())) + len(exact_by_token.get(t, ())),
        )
        exact_by_token.setdefault(best, set()).add(arn)
    for key, arns in exact_by_token.items():
        table.setdefault(key, []).append(frozenset(arns))
    return {k: v[0] if len(v) == 1 else tuple(v) for k, v in table.items()}, exact_rest


def _indexed_tester(
    exact: dict[str, tuple[_Stmt, ...]], table: dict[bytes, _Test], rest: Any
) -> Any:
    """``test(resource)`` of a token-indexed set: one dict lookup per token of the request
    (found by C-level byte operations; the head's few tokens are looked up too, which costs
    less than finding where the resource part starts), then the exact ARNs and patterns
    that have no token."""
    get = table.get

    def test(resource: str) -> bool:
        try:
            raw = resource.encode()
        except UnicodeEncodeError:  # a lone surrogate
            raw = resource.encode("utf-8", "surrogatepass")
        for token in raw.translate(_ALNUM).split():
            entry = get(token)
            if entry is None:
                continue
            if type(entry) is str:
                if resource.startswith(entry):
                    return True
            elif type(entry) is _FULLMATCH:
                if entry(resource) is not None:
                    return True
            elif _test_entry(table, token, entry, resource):
                return True
        if exact and resource in exact:
            return True
        return rest is not None and rest(resource) is not None

    return test


def _test_entry(table: dict[bytes, _Test], token: bytes, entry: _Test, resource: str) -> bool:
    """The rarer table entries: several tests under one token, a pattern not compiled yet
    (compiled now, its ``fullmatch`` swapped into the table), exact ARNs."""
    if type(entry) is tuple:
        return any(_test_one(one, resource) for one in entry)
    if isinstance(entry, ArnPattern):
        regex = entry.regex
        assert regex is not None
        table[token] = regex.fullmatch
        return regex.fullmatch(resource) is not None
    return _test_one(entry, resource)


def _test_one(one: _Test, resource: str) -> bool:
    """One test of the table (not a tuple)."""
    if type(one) is str:
        return resource.startswith(one)
    if type(one) is frozenset:
        return resource in one
    if isinstance(one, ArnPattern):
        regex = one.regex
        assert regex is not None
        return regex.fullmatch(resource) is not None
    return one(resource) is not None


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
