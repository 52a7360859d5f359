"""Generators of IAM policies, requests, patterns and strings for the property tests.

Every generator takes a :class:`Chooser`, so one set of generators serves two drivers:

* :class:`DrawChooser` wraps hypothesis ``data.draw``: examples shrink to a minimal failing
  case (used by every small test);
* :class:`RandomChooser` wraps ``random.Random``: cheap enough to build policy sets of hundreds
  of statements (the large-policy-set tests, seeded by hypothesis).

The alphabets are small on purpose: policy patterns are derived from the same request values
the requests use, so matches, non-matches, Allows, explicit and implicit Denies all happen
often (tests/property/test_prop_sanity.py checks that they do).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

from hypothesis import settings
from hypothesis import strategies as st

T = TypeVar("T")

ACCOUNT: Final = "123456789012"
OTHER_ACCOUNT: Final = "111122223333"
ROLE_NAME: Final = "R"
ROLE_ARN: Final = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
USER_ARN: Final = f"arn:aws:iam::{ACCOUNT}:user/alice"


def examples(fraction: float) -> int:
    """``fraction`` of the active hypothesis profile's ``max_examples`` (at least 1)."""
    return max(1, int(settings().max_examples * fraction))


class Chooser(Protocol):
    """The three kinds of choice every generator makes."""

    def pick(self, options: Sequence[T]) -> T:
        """One of ``options`` (shrinks towards the first)."""

    def number(self, low: int, high: int) -> int:
        """An integer in ``[low, high]`` (shrinks towards ``low``)."""

    def maybe(self, percent: int) -> bool:
        """True ``percent`` % of the time (shrinks towards False)."""


class DrawChooser:
    """Choices drawn through hypothesis (shrinkable)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def pick(self, options: Sequence[T]) -> T:
        index: int = self._draw(st.integers(0, len(options) - 1))
        return options[index]

    def number(self, low: int, high: int) -> int:
        return int(self._draw(st.integers(low, high)))

    def maybe(self, percent: int) -> bool:
        return bool(self._draw(st.integers(0, 99)) >= 100 - percent)


class RandomChooser:
    """Choices from a seeded ``random.Random`` (fast, not shrinkable)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pick(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]

    def number(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def maybe(self, percent: int) -> bool:
        return self._rng.randrange(100) < percent


# ------------------------------------------------------------------------------------------
# Text with wildcards
# ------------------------------------------------------------------------------------------


def flip_case(ch: Chooser, text: str) -> str:
    """Randomly change the case of some characters."""
    if not ch.maybe(40):
        return text
    return "".join(c.swapcase() if ch.maybe(30) else c for c in text)


def wildcardify(ch: Chooser, text: str, *, edits: int = 2) -> str:
    """Replace up to ``edits`` random spans of ``text`` with ``*`` or single characters with
    ``?``."""
    for _ in range(ch.number(0, edits)):
        if not text:
            return ch.pick(["*", "?", ""])
        start = ch.number(0, len(text))
        if ch.maybe(35):
            text = text[:start] + "?" + text[start + 1:]
        else:
            end = ch.number(start, min(len(text), start + 6))
            text = text[:start] + "*" + text[end:]
    return text


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------

REQUEST_ACTIONS: Final = (
    "s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:ListAllMyBuckets", "ec2:RunInstances",
    "iam:PassRole", "iam:GetRole", "logs:PutLogEvents", "sts:AssumeRole",
    "sagemaker:CreateTrainingJob",
)
ODD_ACTIONS: Final = ("s3:GetObject,PutObject", "s3:", "s3: GetObject", "s3:GetObject ", "*:*")
BAD_ACTIONS: Final = ("s3GetObject", "s3:Get:Object", "", ":")


def request_action(ch: Chooser) -> str:
    """A valid request action, in any case."""
    return flip_case(ch, ch.pick(REQUEST_ACTIONS))


def action_pattern(ch: Chooser, *, valid_only: bool = True) -> str:
    """An Action/NotAction entry derived from the request alphabet."""
    kind = ch.number(0, 9)
    if kind == 0:
        return "*"
    if kind == 1:
        return ch.pick(ODD_ACTIONS)
    if kind == 2 and not valid_only:
        return ch.pick(BAD_ACTIONS)
    service, name = ch.pick(REQUEST_ACTIONS).split(":")
    if ch.maybe(20):
        service = wildcardify(ch, service, edits=1)
    if ch.maybe(60):
        name = wildcardify(ch, name)
    return flip_case(ch, f"{service}:{name}")


# ------------------------------------------------------------------------------------------
# Resources
# ------------------------------------------------------------------------------------------

REQUEST_RESOURCES: Final = (
    "arn:aws:s3:::bucket-a/key.txt",
    "arn:aws:s3:::bucket-a/dir/sub/x.tar.gz",
    "arn:aws:s3:::Bucket-A/key.txt",
    "arn:aws:s3:::bucket-b",
    "arn:aws:s3:::bucket-a/alice/notes",
    "arn:aws:s3:::bucket-a/a*b/x",
    "arn:aws:s3:::bucket-a/line\nbreak",
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs:log-stream:s1",
    "arn:aws:iam::123456789012:role/service-role/AWSDeepRacerServiceRole",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:ec2:us-west-2:123456789012:instance/i-0abc",
    "arn:aws-cn:s3:::bucket-a/key.txt",
    "*",
)
CROSS_ACCOUNT_RESOURCES: Final = ("arn:aws:ec2:us-west-2:111122223333:instance/i-0abc",)
RESOURCE_VARIABLES: Final = (
    "${aws:username}", "${ctx:str}", "${CTX:Str}", "${ctx:str, 'key.txt'}",
    "${ctx:none, 'alice'}", "${ctx:none}", "${*}", "${?}", "${$}", "${ctx:multi}",
)
BAD_RESOURCES: Final = (
    "arn:aws:s3", "bucket-a/*", "arn", "ARN:aws:s3:::b", "arn:aws:s3:::${unterminated",
    "arn:aws:s3:::x${}",
)


def request_resource(ch: Chooser, *, cross_account: bool = False) -> str:
    """A valid request resource (an ARN or ``*``)."""
    pool = REQUEST_RESOURCES + (CROSS_ACCOUNT_RESOURCES if cross_account else ())
    return ch.pick(pool)


def resource_pattern(ch: Chooser, *, valid_only: bool = True) -> str:
    """A Resource/NotResource entry derived from the request alphabet."""
    kind = ch.number(0, 11)
    if kind == 0:
        return "*"
    if kind == 1 and not valid_only:
        return ch.pick(BAD_RESOURCES)
    base = ch.pick([r for r in REQUEST_RESOURCES if r != "*"])
    fields = base.split(":", 5)
    if kind == 2:  # a short pattern ending in `*`
        cut = ch.number(len("arn:"), len(base))
        return base[:cut] + "*"
    if kind == 3:  # a variable somewhere in the resource part
        resource = fields[5]
        start = ch.number(0, len(resource))
        end = ch.number(start, min(len(resource), start + 8))
        fields[5] = resource[:start] + ch.pick(RESOURCE_VARIABLES) + resource[end:]
        if not valid_only and ch.maybe(10):
            fields[2] = "${ctx:str}"
        return ":".join(fields)
    for i in (1, 2, 3, 4):
        if ch.maybe(12):
            fields[i] = wildcardify(ch, fields[i], edits=1)
        if i < 4 and ch.maybe(8):
            fields[i] = fields[i].upper()
    if ch.maybe(60):
        fields[5] = wildcardify(ch, fields[5])
    if ch.maybe(5):
        fields[5] = fields[5].swapcase()
    return ":".join(fields)


# ------------------------------------------------------------------------------------------
# Conditions
# ------------------------------------------------------------------------------------------

BASE_OPERATORS: Final = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
)
NEGATED_TWINS: Final = (
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("NumericEquals", "NumericNotEquals"),
    ("DateEquals", "DateNotEquals"),
    ("IpAddress", "NotIpAddress"),
    ("ArnEquals", "ArnNotEquals"),
    ("ArnLike", "ArnNotLike"),
)


def family(base: str) -> str:
    """The value family of a base operator."""
    for prefix in ("String", "Numeric", "Date", "Binary", "Arn", "Null", "Bool"):
        if base.startswith(prefix):
            return prefix
    return "Ip"


STRING_VALUES: Final = ("a", "A", "b", "alice", "key.txt", "a*b", "", "x y", "é", "ß")
STRING_PATTERNS: Final = ("a*", "*", "?", "al*", "*.txt", "a${*}b", "A?", "*b", "a${?}")
STRING_VARIABLES: Final = (
    "${ctx:str}", "${aws:username}", "${ctx:str, 'a'}", "${ctx:none}", "${ctx:none, 'b'}",
    "pre-${ctx:str}", "${ctx:multi}", "${ctx:multi, 'a'}",
)
NUMBER_VALUES: Final = ("1", "2", "10", "1.0", "-1", "1e1", "0", "0.5")
DATE_VALUES: Final = (
    "2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", "1704067200",
    "2024-06-30T12:00:00.5Z", "2025-01-01T00:00Z", "2023-12-31T23:59:59Z",
)
IP_VALUES: Final = (
    "10.0.0.0/8", "10.1.2.3", "10.1.2.3/32", "192.168.0.0/16", "::1", "2001:db8::/32",
    "2001:db8::5",
)
BOOL_VALUES: Final = ("true", "false", "TRUE", "False")
BINARY_VALUES: Final = ("YQ==", "Yg==", "YWI=")
ARN_VALUES: Final = (
    "arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-a/key.txt",
    "arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:user/alice",
    "arn:aws:*:*:123456789012:*", "arn:aws:s3*", "*", "arn:aws:iam::123456789012:user/a?ice",
)
ARN_VARIABLES: Final = (
    "arn:aws:s3:::${ctx:str}", "arn:aws:iam::${ctx:num}:user/alice",
    "arn:aws:iam::123456789012:user/${aws:username}", "arn:aws:s3:::bucket-a/${ctx:none}",
    "arn:aws:s3:::bucket-a/${ctx:none, 'key.txt'}", "arn:aws:s3:::${*}",
)
BAD_VALUES: Final = {
    "Numeric": ("ten", "1,5", ""),
    "Date": ("yesterday", "2024-13-01", "2024-02-30"),
    "Bool": ("yes", "1"),
    "Binary": ("not base64!",),
    "Ip": ("10.0.0.0/33", "host"),
    "Arn": ("bucket-a", "arn:aws:s3"),
    "Null": ("maybe",),
}
FAMILY_VALUES: Final = {
    "String": STRING_VALUES,
    "Numeric": NUMBER_VALUES,
    "Date": DATE_VALUES,
    "Bool": BOOL_VALUES,
    "Binary": BINARY_VALUES,
    "Ip": IP_VALUES,
    "Arn": ARN_VALUES,
    "Null": ("true", "false"),
}
CONTEXT_KEYS: Final = {
    "String": ("ctx:str", "aws:username", "ctx:multi"),
    "Numeric": ("ctx:num",),
    "Date": ("ctx:date",),
    "Bool": ("ctx:bool",),
    "Binary": ("ctx:bin",),
    "Ip": ("ctx:ip",),
    "Arn": ("ctx:arn", "aws:PrincipalArn"),
    "Null": ("ctx:str", "ctx:none", "ctx:multi"),
}
ALL_KEYS: Final = tuple(sorted({k for keys in CONTEXT_KEYS.values() for k in keys}))
REQUEST_ARNS: Final = (
    "arn:aws:s3:::bucket-a/key.txt", "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::123456789012:role/R", "arn:aws:s3:::a*b", "arn:aws:s3:::bucket-a/x:y",
    "not-an-arn",
)
ALL_REQUEST_VALUES: Final = tuple(
    sorted(
        set(STRING_VALUES + NUMBER_VALUES + DATE_VALUES + IP_VALUES + BOOL_VALUES
            + BINARY_VALUES + REQUEST_ARNS + ("abc", "123456789012"))
    )
)


def operator_name(ch: Chooser, base: str | None = None) -> str:
    """A full operator name: qualifier, base operator, ``IfExists``."""
    base = base or ch.pick(BASE_OPERATORS)
    qualifier = ch.pick(["", "", "", "ForAllValues:", "ForAnyValue:"])
    suffix = "IfExists" if base != "Null" and ch.maybe(25) else ""
    return qualifier + base + suffix


def policy_value(ch: Chooser, fam: str, *, valid_only: bool = True) -> Any:
    """One condition value for ``fam`` (sometimes a JSON boolean or number)."""
    if not valid_only and fam in BAD_VALUES and ch.maybe(15):
        return ch.pick(BAD_VALUES[fam])
    if fam == "String":
        return ch.pick(ch.pick([STRING_VALUES, STRING_VALUES, STRING_PATTERNS, STRING_VARIABLES]))
    if fam == "Arn":
        return ch.pick(ch.pick([ARN_VALUES, ARN_VALUES, ARN_VARIABLES]))
    if fam in ("Bool", "Null") and ch.maybe(20):
        return ch.pick([True, False])
    if fam == "Bool" and ch.maybe(10):
        return ch.pick(["${ctx:bool}", "${ctx:none, 'true'}"])
    if fam == "Numeric" and ch.maybe(20):
        return ch.number(-1, 10)
    return ch.pick(FAMILY_VALUES[fam])


def condition_block(ch: Chooser, *, valid_only: bool = True) -> dict[str, dict[str, Any]]:
    """A Condition element with 1-3 entries over the small key alphabet."""
    block: dict[str, dict[str, Any]] = {}
    for _ in range(ch.number(1, 3)):
        operator = operator_name(ch)
        fam = family(operator.split(":")[-1])
        keys = CONTEXT_KEYS[fam] if ch.maybe(75) else ALL_KEYS
        key = flip_case(ch, ch.pick(keys))
        count = ch.pick([1, 1, 1, 2, 3, 0])
        values = [policy_value(ch, fam, valid_only=valid_only) for _ in range(count)]
        entry = block.setdefault(operator, {})
        if any(k.lower() == key.lower() for k in entry):
            continue
        entry[key] = values[0] if count == 1 and ch.maybe(50) else values
    return block


def context_value(ch: Chooser, key: str) -> Any:
    """A request context value for ``key``: usually of the key's own family."""
    fams = [f for f, keys in CONTEXT_KEYS.items() if key in keys and f != "Null"]
    pool: Sequence[str] = ALL_REQUEST_VALUES
    if fams and ch.maybe(75):
        fam = ch.pick(fams)
        pool = REQUEST_ARNS if fam == "Arn" else FAMILY_VALUES[fam]
    if key == "ctx:multi" or ch.maybe(20):
        return [ch.pick(pool) for _ in range(ch.number(0, 3))]
    return ch.pick(pool)


def request_context(ch: Chooser) -> dict[str, Any]:
    """A request context over the small key alphabet (some keys missing, some lists)."""
    context: dict[str, Any] = {}
    for key in ALL_KEYS:
        if key in ("ctx:none",) or not ch.maybe(60):
            continue
        context[flip_case(ch, key) if ch.maybe(10) else key] = context_value(ch, key)
    return context


# ------------------------------------------------------------------------------------------
# Statements and policies
# ------------------------------------------------------------------------------------------


def one_or_list(ch: Chooser, items: list[str]) -> Any:
    """A single string or a list, as IAM allows both."""
    if len(items) == 1 and ch.maybe(50):
        return items[0]
    return items


def statement(
    ch: Chooser, *, valid_only: bool = True, conditions: bool = True, effect: str | None = None
) -> dict[str, Any]:
    """An identity-policy statement."""
    out: dict[str, Any] = {}
    if ch.maybe(20):
        out["Sid"] = ch.pick(["S1", "Read", ""])
    out["Effect"] = effect or ch.pick(["Allow", "Deny"])
    key = "NotAction" if ch.maybe(20) else "Action"
    count = ch.pick([1, 1, 2, 3, 0]) if key == "Action" else ch.pick([1, 2])
    out[key] = one_or_list(ch, [action_pattern(ch, valid_only=valid_only) for _ in range(count)])
    key = "NotResource" if ch.maybe(20) else "Resource"
    count = ch.pick([1, 1, 2, 3, 0]) if key == "Resource" else ch.pick([1, 2])
    out[key] = one_or_list(
        ch, [resource_pattern(ch, valid_only=valid_only) for _ in range(count)]
    )
    if conditions and ch.maybe(50):
        out["Condition"] = condition_block(ch, valid_only=valid_only)
    return out


def policy(
    ch: Chooser, *, statements: tuple[int, int] = (1, 4), valid_only: bool = True,
    conditions: bool = True,
) -> dict[str, Any]:
    """An identity policy of a few statements."""
    doc: dict[str, Any] = {}
    version = ch.pick(["2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17", None])
    if version is not None:
        doc["Version"] = version
    items = [
        statement(ch, valid_only=valid_only, conditions=conditions)
        for _ in range(ch.number(*statements))
    ]
    doc["Statement"] = items[0] if len(items) == 1 and ch.maybe(30) else items
    return doc


def policies(ch: Chooser, *, count: tuple[int, int] = (1, 3), **kwargs: Any) -> list[dict[str, Any]]:
    """A few identity policies."""
    return [policy(ch, **kwargs) for _ in range(ch.number(*count))]


@st.composite
def requests(draw: Callable[[st.SearchStrategy[Any]], Any]) -> tuple[str, str, dict[str, Any]]:
    """(action, resource, context) of a valid request."""
    ch = DrawChooser(draw)
    return request_action(ch), request_resource(ch), request_context(ch)


@st.composite
def identity_policies(draw: Callable[[st.SearchStrategy[Any]], Any]) -> list[dict[str, Any]]:
    """A few identity policies (shrinkable)."""
    return policies(DrawChooser(draw))


# ------------------------------------------------------------------------------------------
# Free text for the wildcard matcher
# ------------------------------------------------------------------------------------------

# regex metacharacters, glob characters, separators, newlines, unicode with odd case rules
TRICKY_CHARS: Final = (
    "a", "A", "b", "B", "z", "0", "-", "_", ".", "^", "$", "+", "(", ")", "[", "]", "{", "}",
    "|", "\\", "*", "?", ":", "/", "\n", " ", "é", "É", "ß", "İ", "ı", "\u212a", "k", "K", "σ",
    "Σ", "ς", "\u0000",
)


def tricky_text(ch: Chooser, *, max_len: int = 8, wildcards: bool = True) -> str:
    """A short string over :data:`TRICKY_CHARS`."""
    chars = TRICKY_CHARS if wildcards else tuple(c for c in TRICKY_CHARS if c not in "*?")
    return "".join(ch.pick(chars) for _ in range(ch.number(0, max_len)))


def instantiate(ch: Chooser, pattern: str) -> str:
    """A string that the glob ``pattern`` usually matches (wildcards filled in at random),
    sometimes with one character changed."""
    out = []
    for c in pattern:
        if c == "*":
            out.append(tricky_text(ch, max_len=3, wildcards=False))
        elif c == "?":
            out.append(ch.pick(TRICKY_CHARS))
        else:
            out.append(c.swapcase() if ch.maybe(5) else c)
    text = "".join(out)
    if text and ch.maybe(15):
        i = ch.number(0, len(text) - 1)
        text = text[:i] + ch.pick(TRICKY_CHARS) + text[i + 1:]
    return text


def targeted_statement(ch: Chooser, action: str, resource: str, effect: str) -> dict[str, Any]:
    """A statement aimed at one request (so that it often applies): its action or a wildcard
    of it, the resource, ``*`` or a wildcard of it, and sometimes a condition."""
    service, name = action.split(":")
    out: dict[str, Any] = {"Effect": effect}
    out["Action"] = ch.pick([action, f"{service}:*", "*", f"{service}:{wildcardify(ch, name)}"])
    if resource == "*" or ch.maybe(30):
        out["Resource"] = "*"
    else:
        fields = resource.split(":", 5)
        fields[5] = wildcardify(ch, fields[5], edits=1)
        out["Resource"] = ":".join(fields)
    if ch.maybe(30):
        out["Condition"] = condition_block(ch)
    return out


def request_for(ch: Chooser, docs: Sequence[dict[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    """A request, half of the time aimed at a random statement of ``docs`` (an action and a
    resource from the request alphabet that its Action and Resource match), so that decisions
    are often Allowed or ExplicitlyDenied rather than implicit denies."""
    import reference  # tests/reference.py: only used to aim, never to decide

    context = request_context(ch)
    statements = [s for d in docs if isinstance(d, dict) and "Statement" in d
                  for s in (d["Statement"] if isinstance(d["Statement"], list) else [d["Statement"]])
                  if isinstance(s, dict)]
    if not statements or not ch.maybe(50):
        return request_action(ch), request_resource(ch), context
    target = ch.pick(statements)
    actions: list[str] = list(REQUEST_ACTIONS)
    resources: list[str] = list(REQUEST_RESOURCES)
    try:
        patterns = target.get("Action", [])
        patterns = patterns if isinstance(patterns, list) else [patterns]
        hits = [a for a in REQUEST_ACTIONS if any(reference.action_matches(p, a) for p in patterns)]
        actions = hits or actions
        entries = target.get("Resource", [])
        entries = entries if isinstance(entries, list) else [entries]
        normalised = reference.normalise_context(context)
        hit_resources = [
            r for r in REQUEST_RESOURCES
            if any(reference.resource_entry_matches(p, r, normalised, variables=True) for p in entries)
        ]
        resources = hit_resources or resources
    except (reference.InvalidPolicy, reference.InvalidRequest, AttributeError, ValueError):
        pass
    return flip_case(ch, ch.pick(actions)), ch.pick(resources), context
