"""The IAM wildcard compiler: action patterns and ARN patterns into tiered matchers.

Private module (not part of the public API). Everything here is built once, when a policy is
compiled, and then only matched.

Semantics (IAM User Guide, "IAM JSON policy elements: Action" and "... : Resource"):

* ``*`` matches any run of characters (including none), ``?`` exactly one; every other
  character is literal (regex metacharacters are escaped, S50).
* Actions are case-insensitive; both sides are lower-cased.
* ARN patterns are matched segment by segment: partition, service, region and account are
  each a glob whose wildcards stay inside the segment; the resource part (everything after
  the fifth colon) is one glob whose ``*`` crosses ``/`` and ``:``.
* An ARN pattern with fewer than six segments whose last segment ends in ``*`` is padded with
  ``*`` segments (the trailing ``*`` "can expand to match beyond the colon boundaries").

Each ARN pattern is classified into the cheapest tier that decides it: ``any`` (``*``),
``exact`` (no wildcard), ``prefix`` (a single trailing ``*`` in the resource part), ``regex``
or ``template`` (contains policy variables, resolved per request).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Final, Literal

import attrs

from drpolicy._variables import UNRESOLVED, Lit, Template, Text, Var, parse_template, resolve

__all__ = [
    "ActionMatcher",
    "ArnPattern",
    "PatternError",
    "compile_arn_pattern",
    "compile_glob",
    "glob_parts_to_regex",
    "glob_to_regex",
]

_FLAGS: Final = re.DOTALL  # S3 keys may contain newlines; `.` must match them


class PatternError(ValueError):
    """A pattern cannot be compiled; the message says why.

    Attributes:
        code: the parser's problem code (``invalid-arn``, ``value`` or ``variable``).
    """

    def __init__(self, message: str, code: str = "invalid-arn") -> None:
        super().__init__(message)
        self.code = code


_WILDCARDS: Final = re.compile(r"(\*+|\?)")

# Atomic groups arrived in Python 3.11; before that a tempered token gives the same guarantee.
_ATOMIC: Final = sys.version_info >= (3, 11)


def glob_parts_to_regex(
    parts: Iterable[tuple[bool, str]], *, star: str = ".*", qmark: str = "."
) -> str:
    """Translate a glob given as ``(is_glob, text)`` parts into regex source that cannot
    backtrack: matching costs at most O(len(text) x len(pattern)) for any input.

    Glob parts give ``*`` and ``?`` their wildcard meaning; the other parts (escapes,
    substituted variable values) are literal. ``star`` must be a single-character class
    followed by ``*`` (``.*`` or ``[^:]*``).

    The pattern is cut at its runs of ``*`` into pieces of fixed length ``P0*P1*...*Pk``. ``P0``
    is anchored where the match starts and ``Pk`` where it ends; every middle piece is found at
    its leftmost occurrence and the match never reconsiders it (an atomic group, or a tempered
    token on Python 3.10). Taking the leftmost occurrence of each middle piece is what the
    classic greedy glob algorithm does, and it is complete: if any placement of the pieces
    matches, the leftmost one leaves the most room for the rest. So ``a*a*a*a*b`` against a
    long run of ``a`` fails in linear time instead of trying every placement.
    """
    pieces: list[list[str]] = [[]]
    for is_glob, text in parts:
        if not is_glob:
            if text:
                pieces[-1].append(re.escape(text))
            continue
        for i, token in enumerate(_WILDCARDS.split(text)):
            if i % 2 == 0:
                if token:
                    pieces[-1].append(re.escape(token))
            elif token[0] == "?":
                pieces[-1].append(qmark)
            # INVARIANT: a run of stars (also across parts) is one star: a new piece starts
            # only after a non-empty one, so no two star tokens are ever adjacent.
            elif pieces[-1] or len(pieces) == 1:
                pieces.append([])
    if len(pieces) == 1:
        return "".join(pieces[0])
    any_char = star[:-1]
    out = ["".join(pieces[0])]
    last = len(pieces) - 3  # index of the last middle piece
    for i, middle in enumerate(pieces[1:-1]):
        piece = "".join(middle)
        if i == last and not pieces[-1]:
            # the last middle piece before a trailing star: once it is found, the trailing
            # star matches whatever is left, so nothing can backtrack into it
            out.append(star + piece)
        elif _ATOMIC:
            out.append(f"(?>{star}?{piece})")
        else:  # pragma: no cover - Python 3.10
            out.append(f"(?:(?!{piece}){any_char})*{piece}")
    out.append(star + "".join(pieces[-1]))
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def glob_to_regex(glob: str, *, star: str = ".*", qmark: str = ".") -> str:
    """Translate an IAM glob to regex source: ``*`` and ``?`` become ``star``/``qmark``,
    everything else is escaped; the result cannot backtrack (see
    :func:`glob_parts_to_regex`)."""
    if "?" not in glob:
        stars = glob.count("*")
        if stars == 0:
            return re.escape(glob)
        if stars == 1:  # the usual shape, `head*tail`: nothing can backtrack
            head, _, tail = glob.partition("*")
            return re.escape(head) + star + re.escape(tail)
    return glob_parts_to_regex(((True, glob),), star=star, qmark=qmark)


def has_wildcard(text: str) -> bool:
    """Whether ``text`` contains ``*`` or ``?``."""
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=4096)
def compile_glob(glob: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a whole-string glob (``StringLike`` semantics) to an anchored regex."""
    flags = _FLAGS | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_to_regex(glob), flags)


@functools.lru_cache(maxsize=8192)
def _compile_source(source: str) -> re.Pattern[str]:
    return re.compile(source, _FLAGS)


# --------------------------------------------------------------------------------------
# Actions
# --------------------------------------------------------------------------------------


class _LazyRegex:
    """Mixin: a regex compiled from ``regex_source`` on first use (policies with thousands of
    statements compile fast; most patterns are only ever used through the index)."""

    __slots__ = ()

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled, anchored matcher (``None`` when there is no regex source)."""
        compiled: re.Pattern[str] | None = self._compiled  # type: ignore[attr-defined]
        if compiled is None and self.regex_source is not None:  # type: ignore[attr-defined]
            compiled = _compile_source(self.regex_source)  # type: ignore[attr-defined]
            object.__setattr__(self, "_compiled", compiled)
        return compiled


@attrs.frozen(slots=True)
class ActionPattern(_LazyRegex):
    """One action pattern, lower-cased and split for indexing.

    Attributes:
        source: as written in the policy.
        lowered: the whole pattern lower-cased.
        service: the lower-cased service prefix (may hold wildcards).
        name: the lower-cased action name (may hold wildcards).
        regex_source: regex for the whole lower-cased ``service:name``; ``None`` when the
            pattern has no wildcard (then :attr:`regex` is ``None`` too).
    """

    source: str
    lowered: str
    service: str
    name: str
    regex_source: str | None
    _compiled: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)
    # `head*tail` with a single star and no `?` (the usual shape): matched without a regex
    _star: tuple[str, str] | None = attrs.field(default=None, eq=False, repr=False)

    def matches(self, action_lower: str) -> bool:
        """Whether this pattern matches an already lower-cased action."""
        star = self._star
        if star is not None:
            head, tail = star
            return (
                len(action_lower) >= len(head) + len(tail)
                and action_lower.startswith(head)
                and action_lower.endswith(tail)
            )
        regex = self.regex
        if regex is None:
            return action_lower == self.lowered
        return regex.fullmatch(action_lower) is not None


@functools.lru_cache(maxsize=65536)
def compile_action_pattern(source: str) -> ActionPattern:
    """Compile one ``Action``/``NotAction`` entry.

    ``*`` alone matches every action. Otherwise the pattern is ``service:name``; wildcards may
    appear in either part but never cross the colon (see docs/semantics.md, "Action
    wildcards"). Text AWS accepts but that names no real action (``s3:``, commas, spaces) is
    kept literally and simply matches nothing.

    Raises:
        PatternError: the pattern is not ``*`` and does not contain exactly one colon.
    """
    lowered = source.lower()
    if lowered == "*":
        return ActionPattern(source, lowered, "*", "*", ".*")
    if lowered.count(":") != 1:
        raise PatternError(
            "an action must be `*` or `service:action` with exactly one colon", "value"
        )
    service, name = lowered.split(":")
    if not has_wildcard(lowered):
        return ActionPattern(source, lowered, service, name, None)
    regex = (
        glob_to_regex(service, star="[^:]*", qmark="[^:]") + ":" + glob_to_regex(name)
    )
    star = None
    if not has_wildcard(service) and "?" not in name and name.count("*") == 1:
        head, _, tail = name.partition("*")
        star = (f"{service}:{head}", tail)
    return ActionPattern(source, lowered, service, name, regex, None, star)


@attrs.frozen(slots=True)
class ActionMatcher(_LazyRegex):
    """All patterns of one ``Action`` or ``NotAction`` element, compiled together.

    Literal patterns go in a set; wildcard patterns are joined into one alternation regex.
    """

    patterns: tuple[ActionPattern, ...]
    literals: frozenset[str]
    regex_source: str | None
    _compiled: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def build(cls, patterns: Iterable[ActionPattern]) -> ActionMatcher:
        """Combine the element's patterns into one matcher."""
        pats = tuple(patterns)
        literals = frozenset(p.lowered for p in pats if p.regex_source is None)
        wild = [p.regex_source for p in pats if p.regex_source is not None]
        source = "|".join(f"(?:{w})" for w in wild) if wild else None
        return cls(pats, literals, source)

    def matches(self, action_lower: str) -> bool:
        """Whether any pattern matches the lower-cased action."""
        if action_lower in self.literals:
            return True
        regex = self.regex
        return regex is not None and regex.fullmatch(action_lower) is not None

    def matching_pattern(self, action_lower: str) -> str | None:
        """The first pattern (as written) that matches, for explanations."""
        for p in self.patterns:
            if p.matches(action_lower):
                return p.source
        return None


# --------------------------------------------------------------------------------------
# ARNs
# --------------------------------------------------------------------------------------

ArnKind = Literal["any", "exact", "prefix", "regex", "template"]
_SEGMENT_STAR: Final = "[^:]*"
_SEGMENT_QMARK: Final = "[^:]"
SEGMENT_NAMES: Final = ("arn", "partition", "service", "region", "account", "resource")


@attrs.frozen(slots=True)
class ArnPattern(_LazyRegex):
    """A compiled ARN pattern (a ``Resource`` entry or an ``ArnLike`` value).

    Attributes:
        source: as written.
        kind: the cheapest tier that decides it.
        literal: the whole ARN (``exact``), the text before the trailing ``*`` (``prefix``),
            or the longest wildcard-free prefix (``regex``/``template``); used for indexing.
        regex_source: the anchored regex (every kind but ``template``); :attr:`regex` is it
            compiled, on first use.
        segments: the six segment globs after padding, for explanations.
        head: regex source of the first five segments (``template`` kind).
        template: the parsed resource part (``template`` kind).
    """

    source: str
    kind: ArnKind
    literal: str
    regex_source: str | None
    segments: tuple[str, ...]
    head: str = ""
    template: Template = ()
    _compiled: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)

    def match(self, value: str, context: Mapping[str, tuple[str, ...]]) -> bool | None:
        """Match a full ARN string; ``None`` when a policy variable has no value."""
        kind = self.kind
        if kind == "exact":
            return value == self.literal
        if kind == "prefix":
            return value.startswith(self.literal)
        if kind == "any":
            return True
        if kind == "regex":
            regex = self.regex
            assert regex is not None
            return regex.fullmatch(value) is not None
        parts: list[tuple[bool, str]] = []
        for part in self.template:
            if isinstance(part, Text):
                parts.append((True, part.text))
            elif isinstance(part, Lit):
                parts.append((False, part.text))
            else:
                resolved = resolve(part, context)
                if resolved is UNRESOLVED:
                    return None
                assert isinstance(resolved, str)
                parts.append((False, resolved))  # substituted values are literal
        regex = _compile_source(self.head + glob_parts_to_regex(parts))
        return regex.fullmatch(value) is not None

    def failed_segment(self, value: str) -> str | None:
        """For explanations: the first segment of ``value`` this pattern rejects (``None`` if
        the segments all match or ``value`` is not ARN-shaped)."""
        parts = value.split(":", 5)
        if len(parts) != 6:
            return None
        for name, glob, got in zip(SEGMENT_NAMES, self.segments, parts):
            star = ".*" if name == "resource" else _SEGMENT_STAR
            qmark = "." if name == "resource" else _SEGMENT_QMARK
            if _compile_source(glob_to_regex(glob, star=star, qmark=qmark)).fullmatch(got) is None:
                return name
        return None


@functools.lru_cache(maxsize=65536)
def compile_arn_pattern(
    source: str, *, fold_prefix: bool, variables: bool
) -> ArnPattern:
    """Compile a ``Resource`` entry (``fold_prefix=True``) or an ``ArnLike`` value.

    Args:
        source: the pattern as written.
        fold_prefix: lower-case the partition, service and region (Resource matching; requests
            always carry them in lower case). ``ArnLike`` is case-sensitive throughout.
        variables: substitute policy variables (Version ``2012-10-17`` only).

    Raises:
        PatternError: not ``*`` and not an ARN pattern, or a variable outside the resource
            part, or a malformed variable.
    """
    if source == "*":
        return ArnPattern(source, "any", "", ".*", ("*",) * 6)
    segs = source.split(":", 5)
    if segs[0] != "arn":
        raise PatternError("must be `*` or an ARN starting with `arn:`")
    if len(segs) < 6:
        if not segs[-1].endswith("*"):
            raise PatternError(
                "an ARN has six colon-separated fields"
                " (`arn:partition:service:region:account-id:resource`); a shorter pattern is"
                " accepted only when its last field ends in `*`"
            )
        segs = segs + ["*"] * (6 - len(segs))
    if fold_prefix:
        segs = [segs[0], segs[1].lower(), segs[2].lower(), segs[3].lower(), segs[4], segs[5]]
    segments = tuple(segs)
    resource = segs[5]
    head, head_literal, head_wild, head_variable = _arn_head(segments[:5])
    if head_variable and variables:
        raise PatternError(
            "policy variables are allowed only in the resource part of an ARN", "variable"
        )
    if variables and "${" in resource:
        try:
            template = parse_template(resource)
        except ValueError as exc:
            raise PatternError(str(exc), "variable") from None
        if any(isinstance(p, Var) for p in template):
            lead = template[0].text if isinstance(template[0], Text) else ""
            literal = _literal_prefix(head_literal + lead)
            return ArnPattern(source, "template", literal, None, segments, head, template)
        # only escapes: fold them into a static regex
        resource_regex = glob_parts_to_regex(
            (isinstance(p, Text), p.text) for p in template if not isinstance(p, Var)
        )
        full = head + resource_regex
        return ArnPattern(source, "regex", _literal_prefix(head_literal), full, segments)
    regex = head + glob_to_regex(resource)
    whole = head_literal + resource
    if not head_wild and not has_wildcard(resource):
        return ArnPattern(source, "exact", whole, regex, segments)
    if not head_wild and resource.endswith("*") and not has_wildcard(resource[:-1]):
        return ArnPattern(source, "prefix", whole[:-1], regex, segments)
    return ArnPattern(source, "regex", _literal_prefix(whole), regex, segments)


@functools.lru_cache(maxsize=4096)
def _arn_head(fields: tuple[str, ...]) -> tuple[str, str, bool, bool]:
    """The first five fields of an ARN pattern (``arn``, partition, service, region,
    account), which few policies vary: their regex, their literal text (each with the
    trailing colon), whether they hold a wildcard, and whether a field past ``arn`` holds
    ``${`` (remembered: a large policy repeats a handful of heads)."""
    regex = ":".join(
        glob_to_regex(s, star=_SEGMENT_STAR, qmark=_SEGMENT_QMARK) for s in fields
    ) + ":"
    return (
        regex,
        ":".join(fields) + ":",
        any(has_wildcard(s) for s in fields),
        any("${" in s for s in fields[1:]),
    )


def _literal_prefix(text: str) -> str:
    """The wildcard-free prefix of ``text``: every string the pattern matches starts with it."""
    for i, ch in enumerate(text):
        if ch == "*" or ch == "?":
            return text[:i]
    return text
