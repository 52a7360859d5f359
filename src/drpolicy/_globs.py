"""Glob algebra for policy validation: intersection and containment of IAM wildcard patterns,
and the ARN formats of AWS's service authorization data as globs.

A glob is a tuple of tokens: a one-character string (a literal), :data:`STAR` (any run,
``*``), :data:`ANY` (exactly one character, ``?``), :data:`NEVER` (matches nothing; stands for
a policy variable on the side of a containment test where it must be under-approximated) or
:data:`DIGIT` (one decimal digit; only in ARN formats, for ``${Account}``).
"""

from __future__ import annotations

import functools
import re
from typing import Final

import attrs

from drpolicy._variables import Lit, TemplateError, Text, parse_template

_STAR: Final = 0
_ANY: Final = 1
_NEVER: Final = 2
_DIGIT: Final = 3
Glob = tuple[str | int, ...]


def _glob(text: str) -> Glob:
    out: list[str | int] = []
    for ch in text:
        if ch == "*":
            if not out or out[-1] != _STAR:
                out.append(_STAR)
        elif ch == "?":
            out.append(_ANY)
        else:
            out.append(ch)
    return tuple(out)


def _format_glob(text: str) -> Glob:
    """An ARN-format piece: ``${Placeholder}`` matches one or more characters, ``*`` any run."""
    out: list[str | int] = []
    for piece in re.split(r"(\$\{[^}]*\})", text):
        if piece.startswith("${") and piece.endswith("}"):
            out.extend((_ANY, _STAR))
        else:
            out.extend(_glob(piece))
    return tuple(out)


def _intersects(a: Glob, b: Glob) -> bool:
    """Whether some string matches both globs (a walk over the product automaton)."""
    n, m = len(a), len(b)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == n and j == m:
            return True
        ta = a[i] if i < n else None
        tb = b[j] if j < m else None
        if ta == _STAR:
            stack.append((i + 1, j))
            if tb is not None and tb != _STAR:
                stack.append((i, j + 1))  # the star eats the character b's token consumes
        if tb == _STAR:
            stack.append((i, j + 1))
            if ta is not None and ta != _STAR:
                stack.append((i + 1, j))
        both = (
            ta is not None and tb is not None and _STAR not in (ta, tb) and _NEVER not in (ta, tb)
        )
        if both and (ta == _ANY or tb == _ANY or ta == tb or _digit_meets(ta, tb)):
            stack.append((i + 1, j + 1))
    return False


def _digit_meets(a: str | int | None, b: str | int | None) -> bool:
    """Whether a `DIGIT` token and a literal can match one character."""
    if a == _DIGIT:
        return isinstance(b, str) and b.isdigit()
    if b == _DIGIT:
        return isinstance(a, str) and a.isdigit()
    return False


def _contains(sup: Glob, sub: Glob) -> bool:
    """A sound test of ``L(sub) <= L(sup)``: ``True`` only when every string ``sub`` matches
    is matched by ``sup`` (it may answer ``False`` for exotic containments)."""
    n = len(sub)
    nxt = [False] * (n + 1)
    nxt[n] = True
    for t in reversed(sup):
        cur = [False] * (n + 1)
        for i in range(n, -1, -1):
            if t == _STAR:
                cur[i] = nxt[i] or (i < n and cur[i + 1])
            elif i < n:
                s = sub[i]
                if t == _ANY:
                    ok = s not in (_STAR, _NEVER)
                elif t == _NEVER:
                    ok = False
                else:
                    ok = s == t
                cur[i] = ok and nxt[i + 1]
        nxt = cur
    return nxt[0]


@attrs.frozen(slots=True)
class _ArnGlob:
    """A ``Resource`` entry or an ARN format as five globs (partition, service, region,
    account, resource part); ``any`` for the bare ``*`` entry (which also matches the ``*``
    resource of actions without resource-level permissions)."""

    any: bool
    segments: tuple[Glob, ...] = ()


_ANY_ARN: Final = _ArnGlob(True)


def _arn_fields(text: str) -> tuple[str, ...] | None:
    """A ``Resource`` entry's five fields as the engine reads them (partition, service and
    region lower-cased, a short pattern padded with ``*`` fields); ``None`` for ``*``."""
    if text == "*":
        return None
    segs = text.split(":", 5)
    segs += ["*"] * (6 - len(segs))
    return (*(s.lower() for s in segs[1:4]), segs[4], segs[5])


def _policy_arn(text: str, *, variables: bool, superset: bool = False) -> _ArnGlob:
    """Compile a ``Resource`` entry the way the engine reads it: the partition, service and
    region lower-cased, short patterns padded with ``*`` fields, policy variables (Version
    2012-10-17) taken as ``*`` (or as matching nothing when ``superset``: the safe reading
    for the containing side of a containment test)."""
    fields = _arn_fields(text)
    if fields is None:
        return _ANY_ARN
    head = [_glob(s) for s in fields[:4]]
    resource = fields[4]
    if variables and "${" in resource:
        try:
            template = parse_template(resource)
        except TemplateError:  # pragma: no cover - the parser has rejected it already
            template = (Text(resource),)
        tokens: list[str | int] = []
        for part in template:
            if isinstance(part, Text):
                tokens.extend(_glob(part.text))
            elif isinstance(part, Lit):
                tokens.append(part.text)
            else:
                tokens.append(_NEVER if superset else _STAR)
        return _ArnGlob(False, (*head, tuple(tokens)))
    return _ArnGlob(False, (*head, _glob(resource)))


def _arn_intersects(a: _ArnGlob, b: _ArnGlob) -> bool:
    if a.any or b.any:
        return True
    return all(_intersects(x, y) for x, y in zip(a.segments, b.segments, strict=True))


def _arn_contains(sup: _ArnGlob, sub: _ArnGlob) -> bool:
    if sup.any:
        return True
    if sub.any:
        return False
    return all(_contains(x, y) for x, y in zip(sup.segments, sub.segments, strict=True))


def _action_fields(text: str) -> tuple[str, str] | None:
    """An action pattern's service and name, lower-cased; ``None`` for ``*``."""
    lowered = text.lower()
    if lowered == "*":
        return None
    service, _, name = lowered.partition(":")
    return service, name


def _action_parts(text: str) -> tuple[Glob, Glob] | None:
    fields = _action_fields(text)
    if fields is None:
        return None
    return _glob(fields[0]), _glob(fields[1])


def _action_contains(sup: str, sub: str) -> bool:
    if sup == "*":
        return True
    a, b = _action_parts(sup), _action_parts(sub)
    if a is None:
        return True
    if b is None:
        return False
    return _contains(a[0], b[0]) and _contains(a[1], b[1])


def _action_intersects(x: str, y: str) -> bool:
    a, b = _action_parts(x), _action_parts(y)
    if a is None or b is None:
        return True
    return _intersects(a[0], b[0]) and _intersects(a[1], b[1])


# What an `${Account}` field of an ARN format can hold: a 12-digit account ID, or `aws` (the
# account of AWS managed policies, `arn:aws:iam::aws:policy/...`).
_ACCOUNTS: Final[tuple[Glob, ...]] = ((_DIGIT,) * 12, tuple("aws"))


@functools.lru_cache(maxsize=4096)
def _format_arn(arn: str) -> tuple[_ArnGlob, ...]:
    """An ARN format as globs: one per shape its account field can take."""
    segs = arn.split(":", 5)
    if len(segs) != 6:  # pragma: no cover - every format in the data has six fields
        return (_ANY_ARN,)
    globs = [_format_glob(s) for s in segs[1:]]
    if segs[4] == "${Account}":
        return tuple(_ArnGlob(False, (*globs[:3], acct, globs[4])) for acct in _ACCOUNTS)
    return (_ArnGlob(False, tuple(globs)),)


def _fits_format(entry: _ArnGlob, arn_format: str) -> bool:
    """Whether a ``Resource`` entry can match some ARN of an ARN format."""
    return any(_arn_intersects(entry, g) for g in _format_arn(arn_format))


def _colon_fix(text: str, arn_formats: list[str], *, variables: bool) -> str | None:
    """``text`` with one ``:`` added or removed, if that makes it fit one of ``arn_formats``
    (the usual typo: ``arn:aws:s3::bucket/*`` for ``arn:aws:s3:::bucket/*``)."""
    colons = [i for i, ch in enumerate(text) if ch == ":"]
    candidates = [text[:i] + ":" + text[i:] for i in colons]
    candidates += [text[:i] + text[i + 1 :] for i in colons]
    for cand in candidates:
        glob = _policy_arn(cand, variables=variables)
        if not glob.any and any(_fits_format(glob, f) for f in arn_formats):
            return cand
    return None
