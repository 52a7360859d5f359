"""A readable reference evaluator for IAM policies: the oracle of the property tests.

This module re-states drpolicy's semantics (docs/semantics.md, docs/conditions.md, the helper
brief's "Semantics decisions") in the plainest Python we could write:

* it works on raw JSON policy dicts, exactly as a user would write them;
* every call re-reads the policy: no caching, no compilation, no regular expressions built from
  policy text, no index;
* wildcards are matched by a ten-line dynamic-programming glob matcher (:func:`glob_match`),
  so ``[``, ``.``, ``\\`` and friends are plain characters by construction;
* it imports nothing from drpolicy.

It is deliberately slow and deliberately obvious. When the engine and this module disagree,
read this module first: if it is wrong, fix it here; if the engine is wrong, the property test
stays red until the engine is fixed.

Evaluation errors. Some requests cannot be decided (a context value that is not a number for
``NumericLessThan``, a plain negated operator on a multi-valued key, a policy variable without
a value inside ``NotResource`` or a negated operator). Such a part evaluates to ``None``
("unknown"). With :data:`STRICT_ERRORS` (the default, AWS: "If the AWS enforcement code
encounters an error at any point during the evaluation, then it generates an exception and
closes") an unknown anywhere in a statement whose Action and Resource match makes the whole
statement unknown, wherever it is written: every value of a list and every condition is
evaluated, nothing short-circuits past an error. (``strict=False`` gives Kleene's logic
instead, where ``False and unknown`` is ``False`` and ``True or unknown`` is ``True``; both are
independent of the order in which a policy or a multi-valued key lists things.) A statement
whose applicability is unknown fails closed: a Deny applies, an Allow does not grant, and the
engine reports the statement in ``Decision.errors``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import ipaddress
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "InvalidPolicy",
    "InvalidRequest",
    "RefDecision",
    "action_matches",
    "arn_like_matches",
    "authorize",
    "check_policy",
    "condition_holds",
    "evaluate_identity",
    "glob_match",
    "normalise_context",
    "principal_context",
    "principal_matches",
    "resource_entry_matches",
    "statement_applies",
    "validate_action_pattern",
    "validate_resource_pattern",
]

Context = Mapping[str, tuple[str, ...]]
Tri = bool | None  # True, False, or None for "cannot be decided" (an evaluation error)


class InvalidPolicy(Exception):
    """The reference considers the policy invalid (drpolicy must raise PolicyParseError)."""


class InvalidRequest(Exception):
    """The reference considers the request invalid (drpolicy must raise RequestError)."""


# ------------------------------------------------------------------------------------------
# Three-valued logic
# ------------------------------------------------------------------------------------------

STRICT_ERRORS: Final = True
"""An unknown part makes the whole (list, condition block, statement) unknown."""



def k_not(value: Tri) -> Tri:
    """Negation; unknown stays unknown."""
    return None if value is None else not value


def k_or(values: Iterable[Tri], *, strict: bool = STRICT_ERRORS) -> Tri:
    """Unknown if any is unknown (``strict``); else True if any is True; else unknown if any is
    unknown (Kleene); else False (also for no values)."""
    found = list(values)
    if strict and any(v is None for v in found):
        return None
    if any(v is True for v in found):
        return True
    if any(v is None for v in found):
        return None
    return False


def k_and(values: Iterable[Tri], *, strict: bool = STRICT_ERRORS) -> Tri:
    """Unknown if any is unknown (``strict``); else False if any is False; else unknown if any
    is unknown (Kleene); else True (also for no values)."""
    found = list(values)
    if strict and any(v is None for v in found):
        return None
    if any(v is False for v in found):
        return False
    if any(v is None for v in found):
        return None
    return True


# ------------------------------------------------------------------------------------------
# Globs
# ------------------------------------------------------------------------------------------

STAR: Final = ("wildcard", "*")
ONE: Final = ("wildcard", "?")
# A glob is a list of atoms: STAR (any run of characters), ONE (exactly one character) or a
# one-character string that must be matched literally. Substituted policy variables and the
# escapes ${*} ${?} ${$} become literal characters, so a `*` in a user name stays a `*`.
Atom = Any


def glob_atoms(pattern: str) -> list[Atom]:
    """``*`` and ``?`` are wildcards; every other character is literal."""
    return [STAR if ch == "*" else ONE if ch == "?" else ch for ch in pattern]


def atoms_match(atoms: Sequence[Atom], text: str) -> bool:
    """Whether ``text`` as a whole matches the glob ``atoms``.

    ``can[i][j]`` says whether the first ``i`` atoms match the first ``j`` characters.
    """
    if STAR not in atoms and ONE not in atoms:  # no wildcard: plain equality
        return len(atoms) == len(text) and all(a == c for a, c in zip(atoms, text))
    n, m = len(atoms), len(text)
    can = [[False] * (m + 1) for _ in range(n + 1)]
    can[0][0] = True
    for i in range(1, n + 1):
        atom = atoms[i - 1]
        for j in range(m + 1):
            if atom == STAR:
                can[i][j] = can[i - 1][j] or (j > 0 and can[i][j - 1])
            elif j == 0:
                can[i][j] = False
            elif atom == ONE:
                can[i][j] = can[i - 1][j - 1]
            else:
                can[i][j] = can[i - 1][j - 1] and atom == text[j - 1]
    return can[n][m]


def glob_match(pattern: str, text: str) -> bool:
    """``StringLike`` semantics: ``*`` any run (also empty, also newlines), ``?`` one character."""
    return atoms_match(glob_atoms(pattern), text)


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------


def validate_action_pattern(pattern: str) -> None:
    """A policy action is ``*`` or has exactly one colon (brief, semantics 1)."""
    if pattern != "*" and pattern.count(":") != 1:
        raise InvalidPolicy(f"action `{pattern}` must be `*` or `service:action`")


def validate_request_action(action: object) -> str:
    """A request action is ``service:Name``: one colon, both parts non-empty, no wildcards."""
    if not isinstance(action, str):
        raise InvalidRequest("an action is a string")
    service, colon, name = action.partition(":")
    if not colon or not service or not name or ":" in name or "*" in action or "?" in action:
        raise InvalidRequest(f"bad request action `{action}`")
    if any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in action):
        raise InvalidRequest(f"whitespace or a control character in `{action}`")
    return action


def action_matches(pattern: str, action: str) -> bool:
    """Case-insensitive; the service prefix and the action name are separate globs, so no
    wildcard crosses the colon (``s3*:Get*`` matches ``s3:GetObject``)."""
    if pattern == "*":
        return True
    pattern_service, pattern_name = pattern.lower().split(":")
    action_service, _, action_name = action.lower().partition(":")
    return glob_match(pattern_service, action_service) and glob_match(pattern_name, action_name)


# ------------------------------------------------------------------------------------------
# Policy variables
# ------------------------------------------------------------------------------------------

ESCAPES: Final = ("*", "?", "$")
_KEY_FORBIDDEN: Final = set("{},'$")


def parse_variable(body: str) -> tuple[str, str | None]:
    """The key and default of ``${body}``: ``key`` or ``key, 'default'`` (whitespace allowed
    around the parts; the key has no whitespace, braces, commas, quotes or ``$``)."""
    key, comma, default_part = body.partition(",")
    key = key.strip()
    if not key or any(ch.isspace() or ch in _KEY_FORBIDDEN for ch in key):
        raise InvalidPolicy(f"malformed policy variable `${{{body}}}`")
    if not comma:
        return key, None
    quoted = default_part.strip()
    if len(quoted) < 2 or quoted[0] != "'" or quoted[-1] != "'" or "'" in quoted[1:-1]:
        raise InvalidPolicy(f"malformed default in `${{{body}}}`")
    return key, quoted[1:-1]


def template_pieces(text: str) -> list[tuple[str, str, str | None]]:
    """Split ``text`` into ``("text", s, None)``, ``("escape", ch, None)`` and
    ``("var", key, default)`` pieces."""
    pieces: list[tuple[str, str, str | None]] = []
    rest = text
    while "${" in rest:
        before, _, after = rest.partition("${")
        body, closed, rest = after.partition("}")
        if not closed:
            raise InvalidPolicy(f"unterminated policy variable in `{text}`")
        if before:
            pieces.append(("text", before, None))
        if body in ESCAPES:
            pieces.append(("escape", body, None))
        else:
            key, default = parse_variable(body)
            pieces.append(("var", key, default))
    if rest:
        pieces.append(("text", rest, None))
    return pieces


def variable_value(key: str, default: str | None, context: Context) -> str | None:
    """A single-valued key's value, else the default, else ``None`` (no value)."""
    values = context.get(key.lower(), ())
    if len(values) == 1:
        return values[0]
    return default


def substitute_atoms(text: str, context: Context, *, variables: bool) -> list[Atom] | None:
    """The glob atoms of ``text`` with variables substituted as literal characters;
    ``None`` if a variable has no value. Without ``variables`` the text is a plain glob."""
    if not variables:
        return glob_atoms(text)
    atoms: list[Atom] = []
    for kind, value, default in template_pieces(text):
        if kind == "text":
            atoms.extend(glob_atoms(value))
        elif kind == "escape":
            atoms.append(value)
        else:
            resolved = variable_value(value, default, context)
            if resolved is None:
                return None
            atoms.extend(resolved)  # each character literal
    return atoms


def substitute_text(text: str, context: Context, *, variables: bool) -> str | None:
    """``text`` with variables and escapes replaced (for String/Bool values); ``None`` if a
    variable has no value."""
    if not variables:
        return text
    out = []
    for kind, value, default in template_pieces(text):
        if kind in ("text", "escape"):
            out.append(value)
        else:
            resolved = variable_value(value, default, context)
            if resolved is None:
                return None
            out.append(resolved)
    return "".join(out)


def has_variable(text: str) -> bool:
    """Whether ``text`` (under 2012-10-17) contains a real variable (not just escapes)."""
    return any(kind == "var" for kind, _, _ in template_pieces(text))


# ------------------------------------------------------------------------------------------
# ARNs and Resource entries
# ------------------------------------------------------------------------------------------


def split_arn(text: str) -> list[str] | None:
    """The six fields of an ARN-shaped string (split on the first five colons), or ``None``."""
    fields = text.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn":
        return None
    return fields


def pattern_fields(pattern: str) -> list[str]:
    """The six fields of a policy ARN pattern; a shorter pattern whose last field ends in ``*``
    is padded with ``*`` fields, anything else short is invalid."""
    fields = pattern.split(":", 5)
    if fields[0] != "arn":
        raise InvalidPolicy(f"`{pattern}` is neither `*` nor an ARN")
    if len(fields) < 6:
        if not fields[-1].endswith("*"):
            raise InvalidPolicy(f"`{pattern}` has fewer than six fields")
        fields += ["*"] * (6 - len(fields))
    return fields


def validate_resource_pattern(pattern: str, *, variables: bool) -> None:
    """A Resource/NotResource entry: ``*`` or an ARN pattern; variables only in the resource
    part (and well formed)."""
    if pattern == "*":
        return
    fields = pattern_fields(pattern)
    if variables:
        if any("${" in f for f in fields[1:5]):
            raise InvalidPolicy("policy variables only in the resource part")
        template_pieces(fields[5])


def validate_request_resource(resource: object) -> str:
    """``*`` or an ARN with non-empty, lower-case, wildcard-free partition and service and a
    lower-case, wildcard-free region."""
    if not isinstance(resource, str):
        raise InvalidRequest("a resource is a string")
    if resource == "*":
        return resource
    fields = split_arn(resource)
    if fields is None or not fields[1] or not fields[2]:
        raise InvalidRequest(f"`{resource}` is not an ARN")
    for field in fields[1:4]:
        if field != field.lower() or "*" in field or "?" in field:
            raise InvalidRequest(f"`{resource}`: partition/service/region must be lower case")
    return resource


def resource_entry_matches(
    pattern: str, resource: str, context: Context, *, variables: bool
) -> Tri:
    """Whether one Resource entry matches the request resource; ``None`` when a policy variable
    has no value.

    ``*`` matches everything (the request resource ``*`` included); otherwise the request must
    be an ARN: partition, service and region of the pattern are lower-cased, each of the first
    five fields is its own glob, the resource part is one case-sensitive glob whose ``*``
    crosses ``/`` and ``:``.
    """
    if pattern == "*":
        return True
    fields = pattern_fields(pattern)
    fields[1:4] = [f.lower() for f in fields[1:4]]
    resource_atoms = substitute_atoms(fields[5], context, variables=variables)
    if resource_atoms is None:
        return None
    request = split_arn(resource)
    if request is None:  # the request resource `*`
        return False
    heads_match = all(glob_match(p, r) for p, r in zip(fields[:5], request[:5]))
    return heads_match and atoms_match(resource_atoms, request[5])


def resource_applies(
    statement: Mapping[str, Any], resource: str, context: Context, *, variables: bool,
    strict: bool = STRICT_ERRORS,
) -> Tri:
    """Resource: some entry matches (an entry with an unresolved variable matches nothing).
    NotResource: no entry matches (an unresolved variable there cannot be decided).
    A statement with neither (trust policies) applies to every resource."""
    if "Resource" in statement:
        results = [
            resource_entry_matches(p, resource, context, variables=variables)
            for p in as_list(statement["Resource"])
        ]
        return any(r is True for r in results)
    if "NotResource" in statement:
        return k_not(
            k_or(
                (
                    resource_entry_matches(p, resource, context, variables=variables)
                    for p in as_list(statement["NotResource"])
                ),
                strict=strict,
            )
        )
    return True


# ------------------------------------------------------------------------------------------
# Condition values, family by family
# ------------------------------------------------------------------------------------------

# (family, negated) for every base operator of the IAM User Guide's operator page.
BASE_OPERATORS: Final[Mapping[str, tuple[str, bool]]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("StringIgnoreCase", False),
    "StringNotEqualsIgnoreCase": ("StringIgnoreCase", True),
    "StringLike": ("StringLike", False),
    "StringNotLike": ("StringLike", True),
    "NumericEquals": ("Numeric==", False),
    "NumericNotEquals": ("Numeric==", True),
    "NumericLessThan": ("Numeric<", False),
    "NumericLessThanEquals": ("Numeric<=", False),
    "NumericGreaterThan": ("Numeric>", False),
    "NumericGreaterThanEquals": ("Numeric>=", False),
    "DateEquals": ("Date==", False),
    "DateNotEquals": ("Date==", True),
    "DateLessThan": ("Date<", False),
    "DateLessThanEquals": ("Date<=", False),
    "DateGreaterThan": ("Date>", False),
    "DateGreaterThanEquals": ("Date>=", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("Binary", False),
    "IpAddress": ("Ip", False),
    "NotIpAddress": ("Ip", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Null": ("Null", False),
}

# Families whose values may hold policy variables (brief, semantics 4).
VARIABLE_FAMILIES: Final = ("String", "StringIgnoreCase", "StringLike", "Bool", "Arn")

_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EPOCH: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ISO_DATE: Final = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?"
    r"(?P<z>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def parse_number(text: str) -> Decimal | None:
    """An integer or decimal (optionally with an exponent), ASCII digits only."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        return None
    return Decimal(stripped)


def parse_date(text: str) -> Decimal | None:
    """Seconds since the epoch (exact) of an ISO 8601 date/date-time (no zone = UTC) or of
    epoch seconds; ``None`` if it is neither."""
    stripped = text.strip()
    if _EPOCH.fullmatch(stripped):
        return Decimal(stripped)
    m = _ISO_DATE.fullmatch(stripped)
    if m is None:
        return None
    try:
        day = _dt.datetime(int(m["y"]), int(m["mo"]), int(m["d"]), tzinfo=_dt.timezone.utc)
    except ValueError:
        return None
    hours, minutes, seconds = int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0)
    if hours > 23 or minutes > 59 or seconds > 60:  # 60: a leap second
        return None
    total = Decimal(int(day.timestamp())) + hours * 3600 + minutes * 60 + seconds
    if m["f"]:
        total += Decimal(m["f"]) / (10 ** len(m["f"]))
    zone = m["z"]
    if zone and zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        if int(digits[:2]) > 23 or (digits[2:] and int(digits[2:]) > 59):
            return None  # not a UTC offset
        offset = int(digits[:2]) * 3600 + (int(digits[2:]) * 60 if digits[2:] else 0)
        total -= offset if zone[0] == "+" else -offset
    return total


def parse_bool(text: str) -> str | None:
    """``true``/``false`` in any case."""
    lowered = text.lower()
    return lowered if lowered in ("true", "false") else None


def parse_binary(text: str) -> bytes | None:
    """Strict base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An IPv4/IPv6 CIDR block; a bare address is a single host."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One IPv4/IPv6 address."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def arn_fields_of_atoms(atoms: Sequence[Atom]) -> list[list[Atom]] | None:
    """Split glob atoms into ARN fields on the pattern's own colons (the first five); a
    substituted colon is a literal character of its field. Short patterns whose last field
    ends in ``*`` are padded; anything else short, or not starting ``arn``, is ``None``."""
    fields: list[list[Atom]] = [[]]
    for atom in atoms:
        if atom == ":" and len(fields) < 6 and not isinstance(atom, _LiteralColon):
            fields.append([])
        else:
            fields[-1].append(atom)
    if fields[0] != list("arn"):
        return None
    if len(fields) < 6:
        if not fields[-1] or fields[-1][-1] != STAR:
            return None
        fields += [[STAR] for _ in range(6 - len(fields))]
    return fields


class _LiteralColon(str):
    """A colon that came from a substituted variable: a character, not a field separator."""

    __slots__ = ()


def arn_value_atoms(value: str, context: Context, *, variables: bool) -> list[Atom] | None:
    """The atoms of an ArnLike policy value; substituted colons are marked literal."""
    if not variables:
        return glob_atoms(value)
    atoms: list[Atom] = []
    for kind, text, default in template_pieces(value):
        if kind == "text":
            atoms.extend(glob_atoms(text))
        elif kind == "escape":
            atoms.append(text)
        else:
            resolved = variable_value(text, default, context)
            if resolved is None:
                return None
            atoms.extend(_LiteralColon(ch) if ch == ":" else ch for ch in resolved)
    return atoms


def arn_like_matches(pattern_atoms: Sequence[Atom], request_value: str) -> Tri:
    """``ArnLike``: each of the six fields is checked separately, case-sensitively; ``None``
    when the request value is not an ARN."""
    request = split_arn(request_value)
    if request is None:
        return None
    if list(pattern_atoms) == [STAR]:
        return True
    fields = arn_fields_of_atoms(pattern_atoms)
    if fields is None:
        return False
    return all(atoms_match(p, r) for p, r in zip(fields, request))


def validate_condition_value(family: str, value: str, *, variables: bool) -> None:
    """A policy value must parse for its operator's family (brief, semantics 3/4)."""
    if variables and "${" in value:
        if family not in VARIABLE_FAMILIES:
            raise InvalidPolicy(f"variables are not allowed with {family}: `{value}`")
        pieces = template_pieces(value)
        if any(kind == "var" for kind, _, _ in pieces):
            return  # checked after substitution, per request
        value = "".join(text for _, text, _ in pieces)  # only escapes: a static value
        if family == "Arn":
            if arn_fields_of_atoms(arn_value_atoms_static(pieces)) is None:
                raise InvalidPolicy(f"`{value}` is not an ARN pattern")
            return
    ok: bool
    if family.startswith("Numeric"):
        ok = parse_number(value) is not None
    elif family.startswith("Date"):
        ok = parse_date(value) is not None
    elif family in ("Bool", "Null"):
        ok = parse_bool(value) is not None
    elif family == "Binary":
        ok = parse_binary(value) is not None
    elif family == "Ip":
        ok = parse_network(value) is not None
    elif family == "Arn":
        ok = value == "*" or arn_fields_of_atoms(glob_atoms(value)) is not None
    else:
        ok = True
    if not ok:
        raise InvalidPolicy(f"`{value}` is not a valid {family} value")


def arn_value_atoms_static(pieces: Sequence[tuple[str, str, str | None]]) -> list[Atom]:
    """Atoms of an ArnLike value that holds only escapes."""
    atoms: list[Atom] = []
    for kind, text, _ in pieces:
        atoms.extend(glob_atoms(text) if kind == "text" else [text])
    return atoms


def compare(
    family: str, request_value: str, policy_value: str, context: Context, *, variables: bool
) -> Tri:
    """The positive comparison of one request value with one policy value.

    ``False`` when a variable in the policy value has no value (a positive operator's value
    "matches nothing"); the caller turns that into unknown for negated operators. ``None``
    when the request value (or a substituted policy value) cannot be read for the family.
    """
    if family == "StringLike":
        atoms = substitute_atoms(policy_value, context, variables=variables)
        return atoms is not None and atoms_match(atoms, request_value)
    if family == "Arn":
        atoms = arn_value_atoms(policy_value, context, variables=variables)
        if atoms is None:
            return False
        return arn_like_matches(atoms, request_value)
    text = substitute_text(policy_value, context, variables=variables)
    if text is None:
        return False
    if family == "String":
        return request_value == text
    if family == "StringIgnoreCase":
        return request_value.lower() == text.lower()
    if family == "Bool":
        want, got = parse_bool(text), parse_bool(request_value)
        return None if want is None or got is None else want == got
    if family == "Binary":
        want_bytes, got_bytes = parse_binary(text), parse_binary(request_value)
        return None if want_bytes is None or got_bytes is None else want_bytes == got_bytes
    if family == "Ip":
        network, address = parse_network(text), parse_address(request_value)
        if network is None or address is None:
            return None
        return address.version == network.version and address in network
    if family.startswith(("Numeric", "Date")):
        parse = parse_number if family.startswith("Numeric") else parse_date
        want_n, got_n = parse(text), parse(request_value)
        if want_n is None or got_n is None:
            return None
        op = family.removeprefix("Numeric").removeprefix("Date")
        return {
            "==": got_n == want_n,
            "<": got_n < want_n,
            "<=": got_n <= want_n,
            ">": got_n > want_n,
            ">=": got_n >= want_n,
        }[op]
    raise AssertionError(family)


def has_unresolved(value: str, context: Context, *, variables: bool) -> bool:
    """Whether a policy value holds a variable with no value in ``context``."""
    if not variables or "${" not in value:
        return False
    return any(
        kind == "var" and variable_value(key, default, context) is None
        for kind, key, default in template_pieces(value)
    )


# ------------------------------------------------------------------------------------------
# Conditions
# ------------------------------------------------------------------------------------------


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringNotLikeIfExists`` -> ``("ForAnyValue", "StringNotLike", True)``.

    Names are case-sensitive; ``NullIfExists`` is not an operator.
    """
    qualifier: str | None = None
    rest = operator
    if ":" in operator:
        qualifier, _, rest = operator.partition(":")
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise InvalidPolicy(f"unknown qualifier in `{operator}`")
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in BASE_OPERATORS or (base == "Null" and if_exists):
        raise InvalidPolicy(f"unknown operator `{operator}`")
    return qualifier, base, if_exists


def condition_values(raw: object) -> list[str]:
    """Condition values as strings: JSON booleans and integers become their JSON text."""
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, int):
            out.append(str(item))
        elif isinstance(item, float) and math.isfinite(item):
            out.append(repr(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            raise InvalidPolicy(f"condition value `{item!r}` is not a string, number or boolean")
    return out


def value_matches(
    family: str, request_value: str, policy_values: Sequence[str], context: Context,
    *, negated: bool, variables: bool, strict: bool = STRICT_ERRORS,
) -> Tri:
    """Whether one request value matches the policy values: OR over them for a positive
    operator, NOR for a negated one. A value with an unresolved variable matches nothing, but
    under a negated operator that makes the outcome unknown."""
    results: list[Tri] = []
    for policy_value in policy_values:
        if has_unresolved(policy_value, context, variables=variables):
            results.append(None if negated else False)
        else:
            results.append(compare(family, request_value, policy_value, context, variables=variables))
    matched = k_or(results, strict=strict)
    return k_not(matched) if negated else matched


MULTIVALUED_KEYS: Final = frozenset({
    # keys AWS's authorization reference types as ArrayOf... (the ones the generators use)
    "aws:calledvia", "aws:tagkeys", "aws:principalservicenameslist",
})


def condition_holds(
    operator: str, key: str, raw_values: object, context: Context, *, variables: bool,
    strict: bool = STRICT_ERRORS,
) -> Tri:
    """One ``operator -> key -> values`` entry against a normalised context (brief, semantics 3).

    A key is absent when it is missing or has no values.
    """
    qualifier, base, if_exists = split_operator(operator)
    family, negated = BASE_OPERATORS[base]
    policy_values = condition_values(raw_values)
    request_values = context.get(key.lower(), ())
    absent = len(request_values) == 0

    # Ambiguous constructs (docs/semantics.md): unknown, so the statement fails closed.
    if not policy_values:
        return None  # an empty value list, key present or not
    if base == "Null":
        if qualifier is not None:
            return None  # a set qualifier on Null: AWS defines no result
        if absent:
            return any(parse_bool(v) == "true" for v in policy_values)
        if not policy_values:
            return None  # an empty value list for a present key
        return any(parse_bool(v) == "false" for v in policy_values)

    if absent:
        if qualifier is not None and if_exists:
            return None  # IfExists says true, the set qualifier says otherwise
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue" or not policy_values:
            return False
        return negated
    if not policy_values:
        return None  # an empty value list for a present key
    if qualifier is None and key.lower() in MULTIVALUED_KEYS:
        return None  # a plain operator on a multivalued key

    def one(request_value: str) -> Tri:
        return value_matches(
            family, request_value, policy_values, context, negated=negated, variables=variables,
            strict=strict,
        )

    if qualifier is None:
        if len(request_values) > 1:
            return None if negated else False
        return one(request_values[0])
    per_value = [one(v) for v in request_values]
    if qualifier == "ForAllValues":
        return k_and(per_value, strict=strict)
    return k_or(per_value, strict=strict)


def conditions_hold(
    statement: Mapping[str, Any], context: Context, *, variables: bool,
    strict: bool = STRICT_ERRORS,
) -> Tri:
    """AND over every operator and key of the statement's Condition block."""
    block = statement.get("Condition", {})
    return k_and(
        (
            condition_holds(operator, key, raw, context, variables=variables, strict=strict)
            for operator, keys in block.items()
            for key, raw in keys.items()
        ),
        strict=strict,
    )


# ------------------------------------------------------------------------------------------
# Validation of whole policies
# ------------------------------------------------------------------------------------------

STATEMENT_KEYS: Final = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
    "NotResource", "Condition",
)
_ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")


def as_list(value: object) -> list[Any]:
    """A string-or-list element as a list."""
    return value if isinstance(value, list) else [value]


def strings(value: object, what: str) -> list[str]:
    """A string-or-list-of-strings element, checked."""
    items = as_list(value)
    if not all(isinstance(item, str) for item in items):
        raise InvalidPolicy(f"{what} must be a string or a list of strings")
    return items


def uses_variables(policy: Mapping[str, Any]) -> bool:
    """Only Version 2012-10-17 substitutes policy variables."""
    return policy.get("Version") == "2012-10-17"


def statements_of(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The Statement element as a list."""
    raw = policy["Statement"]
    return raw if isinstance(raw, list) else [raw]


def check_policy(policy: object, policy_type: str = "identity") -> None:
    """Raise :class:`InvalidPolicy` if drpolicy must reject ``policy`` (a decoded JSON value)
    as a policy of ``policy_type`` (``identity``, ``resource`` or ``trust``)."""
    if not isinstance(policy, dict):
        raise InvalidPolicy("a policy is a JSON object")
    if set(policy) - {"Version", "Id", "Statement"}:
        raise InvalidPolicy("unknown top-level element")
    if "Version" in policy and policy["Version"] not in ("2012-10-17", "2008-10-17"):
        raise InvalidPolicy("bad Version")
    if "Id" in policy and not isinstance(policy["Id"], str):
        raise InvalidPolicy("Id must be a string")
    if "Statement" not in policy:
        raise InvalidPolicy("missing Statement")
    raw = policy["Statement"]
    if not isinstance(raw, (dict, list)):
        raise InvalidPolicy("Statement must be an object or a list")
    variables = uses_variables(policy)
    for statement in statements_of(policy):
        check_statement(statement, policy_type, variables=variables)


def check_statement(statement: object, policy_type: str, *, variables: bool) -> None:
    """One statement's elements, for a policy of ``policy_type``."""
    if not isinstance(statement, dict):
        raise InvalidPolicy("a statement is a JSON object")
    if set(statement) - set(STATEMENT_KEYS):
        raise InvalidPolicy("unknown statement element")
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise InvalidPolicy("Sid must be a string")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise InvalidPolicy("Effect must be Allow or Deny")
    for key, not_key in (("Action", "NotAction"), ("Resource", "NotResource"),
                         ("Principal", "NotPrincipal")):
        if key in statement and not_key in statement:
            raise InvalidPolicy(f"both {key} and {not_key}")
    if "Action" not in statement and "NotAction" not in statement:
        raise InvalidPolicy("missing Action")
    for element in ("Action", "NotAction"):
        if element in statement:
            for pattern in strings(statement[element], element):
                validate_action_pattern(pattern)
    has_resource = "Resource" in statement or "NotResource" in statement
    for element in ("Resource", "NotResource"):
        if element in statement:
            for pattern in strings(statement[element], element):
                validate_resource_pattern(pattern, variables=variables)
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if policy_type == "identity":
        if has_principal:
            raise InvalidPolicy("Principal in an identity policy")
        if not has_resource:
            raise InvalidPolicy("missing Resource")
    elif policy_type == "resource":
        if not has_principal or not has_resource:
            raise InvalidPolicy("a resource policy needs Principal and Resource")
    elif policy_type == "trust" and (
        "Principal" not in statement or "NotPrincipal" in statement or has_resource
    ):
        raise InvalidPolicy("a trust policy needs Principal and no Resource")
    for element in ("Principal", "NotPrincipal"):
        if element in statement:
            check_principal(statement[element])
    if "Condition" in statement:
        check_conditions(statement["Condition"], variables=variables)


def check_principal(value: object) -> None:
    """``*`` or a mapping of AWS/Service/Federated/CanonicalUser to string(s); AWS entries are
    ``*``, account IDs or IAM/STS principal ARNs, never partial wildcards."""
    if value == "*":
        return
    if not isinstance(value, dict):
        raise InvalidPolicy("Principal must be `*` or an object")
    for kind, raw in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise InvalidPolicy(f"unknown principal type `{kind}`")
        for entry in strings(raw, kind):
            if not entry:
                raise InvalidPolicy("empty principal")
            if kind == "AWS" and entry != "*":
                if "*" in entry or "?" in entry:
                    raise InvalidPolicy("partial wildcard in a principal")
                if not (_ACCOUNT_ID.fullmatch(entry) or principal_arn_kind(entry)):
                    raise InvalidPolicy(f"`{entry}` is not an AWS principal")
            if kind == "Service" and entry != "*" and ("*" in entry or "?" in entry):
                raise InvalidPolicy("partial wildcard in a service principal")


def check_conditions(block: object, *, variables: bool) -> None:
    """Operators known, keys non-empty and not repeated in another case, values parse."""
    if not isinstance(block, dict):
        raise InvalidPolicy("Condition must be an object")
    for operator, keys in block.items():
        _, base, _ = split_operator(operator)
        family = BASE_OPERATORS[base][0]
        if not isinstance(keys, dict):
            raise InvalidPolicy("an operator maps keys to values")
        lowered = [k.lower() for k in keys]
        if "" in lowered or len(set(lowered)) != len(lowered):
            raise InvalidPolicy("empty or repeated condition key")
        for raw in keys.values():
            for value in condition_values(raw):
                validate_condition_value(family, value, variables=variables)


# ------------------------------------------------------------------------------------------
# Requests
# ------------------------------------------------------------------------------------------


def normalise_context(context: Mapping[str, object] | None) -> dict[str, tuple[str, ...]]:
    """Lower-case keys; every value a tuple of strings (booleans and integers as JSON text)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in (context or {}).items():
        if not isinstance(key, str) or not key or key.lower() in out:
            raise InvalidRequest(f"bad context key `{key!r}`")
        items = value if isinstance(value, (list, tuple)) else [value]
        converted = []
        for item in items:
            if isinstance(item, bool):
                converted.append("true" if item else "false")
            elif isinstance(item, (int, str)):
                converted.append(str(item))
            else:
                raise InvalidRequest(f"bad context value for `{key}`")
        out[key.lower()] = tuple(converted)
    return out


# ------------------------------------------------------------------------------------------
# Principals
# ------------------------------------------------------------------------------------------

_PRINCIPAL_ARN: Final = re.compile(
    r"arn:(?P<partition>[a-z0-9-]+):(?P<service>iam|sts)::(?P<account>[0-9]{12}):(?P<rest>.+)",
    re.DOTALL,
)


def principal_arn_kind(arn: str) -> str | None:
    """``root``/``user``/``role``/``assumed-role``/``federated-user`` for an AWS principal ARN."""
    m = _PRINCIPAL_ARN.fullmatch(arn)
    if m is None:
        return None
    rest = m["rest"]
    if m["service"] == "iam":
        if rest == "root":
            return "root"
        for kind in ("user", "role", "federated-user"):
            if rest.startswith(kind + "/") and len(rest) > len(kind) + 1:
                return kind
        return None
    if rest.startswith("assumed-role/"):
        role, _, session = rest.removeprefix("assumed-role/").partition("/")
        return "assumed-role" if role and session else None
    if rest.startswith("federated-user/") and len(rest) > len("federated-user/"):
        return "federated-user"
    return None


def principal_info(principal: str) -> dict[str, str]:
    """What kind of caller ``principal`` is, its account and its names."""
    if principal in ("*", "anonymous"):
        return {"kind": "anonymous"}
    if _ACCOUNT_ID.fullmatch(principal):
        return {"kind": "root", "account": principal,
                "arn": f"arn:aws:iam::{principal}:root", "partition": "aws"}
    if principal.endswith(".amazonaws.com"):
        return {"kind": "service", "name": principal}
    m = _PRINCIPAL_ARN.fullmatch(principal)
    kind = principal_arn_kind(principal)
    if m is None or kind is None:
        raise InvalidRequest(f"`{principal}` is not a principal")
    info = {"kind": kind, "account": m["account"], "arn": principal, "partition": m["partition"]}
    rest = m["rest"]
    if kind in ("user", "role"):
        info["name"] = rest.rsplit("/", 1)[-1]
    if kind == "role":
        info["role_arn"] = principal
    if kind == "assumed-role":
        role = rest.removeprefix("assumed-role/").partition("/")[0]
        info["name"] = role
        info["role_arn"] = f"arn:{m['partition']}:iam::{m['account']}:role/{role}"
    return info


def principal_context(principal: str) -> dict[str, tuple[str, ...]]:
    """The context keys AWS derives from the caller (docs/semantics.md, Requests)."""
    info = principal_info(principal)
    kind = info["kind"]
    if kind == "service":
        return {"aws:principalservicename": (info["name"],), "aws:principalisawsservice": ("true",)}
    out: dict[str, tuple[str, ...]] = {"aws:principalisawsservice": ("false",)}
    if kind == "anonymous":
        out["aws:principaltype"] = ("Anonymous",)
        return out
    out["aws:principalaccount"] = (info["account"],)
    if kind == "user":
        out.update({"aws:principalarn": (info["arn"],), "aws:principaltype": ("User",),
                    "aws:username": (info["name"],)})
    elif kind in ("role", "assumed-role"):
        out.update({"aws:principalarn": (info["role_arn"],),
                    "aws:principaltype": ("AssumedRole",)})
    elif kind == "root":
        out.update({"aws:principalarn": (info["arn"],), "aws:principaltype": ("Account",),
                    "aws:userid": (info["account"],)})
    else:
        out.update({"aws:principalarn": (info["arn"],), "aws:principaltype": ("FederatedUser",)})
    return out


def principal_matches(spec: object, principal: str) -> str | None:
    """How a Principal element names the caller, or ``None`` (brief, semantics 6).

    ``wildcard`` for ``*``; ``account`` for the caller's account ID or its ``:root`` ARN;
    ``user``/``role``/``session``/``federated-user`` for the caller's own ARN (a role ARN also
    names every session of the role, compared by role name since session ARNs drop the path);
    ``service`` for a service principal. The strongest way (:data:`GRANT_STRENGTH`) wins.
    """
    info = principal_info(principal)
    if spec == "*":
        return "wildcard"
    assert isinstance(spec, dict)
    found: list[str] = []
    for entry in strings(spec.get("AWS", []), "AWS"):
        if entry == "*":
            found.append("wildcard")
            continue
        if info["kind"] in ("anonymous", "service"):
            continue
        if _ACCOUNT_ID.fullmatch(entry):
            if entry == info["account"]:
                found.append("account")
            continue
        m = _PRINCIPAL_ARN.fullmatch(entry)
        if m is None or m["account"] != info["account"] or m["partition"] != info["partition"]:
            continue
        entry_kind = principal_arn_kind(entry)
        if entry_kind == "root":
            found.append("account")
        elif entry_kind == "user" and info["kind"] == "user" and entry == info["arn"]:
            found.append("user")
        elif entry_kind == "role" and (
            (info["kind"] == "role" and entry == info["arn"])
            # a session ARN drops the role's path: compare by role name
            or (info["kind"] == "assumed-role" and entry.rsplit("/", 1)[-1] == info["name"])
        ):
            found.append("role")
        elif entry_kind == "assumed-role" and entry == info["arn"] and info["kind"] == entry_kind:
            found.append("session")
        elif (entry_kind == "federated-user" and info["kind"] == "federated-user"
              and entry == info["arn"]):
            found.append("federated-user")
    if info["kind"] == "service":
        for entry in strings(spec.get("Service", []), "Service"):
            if entry == "*" or entry.lower() == info["name"].lower():
                found.append("service")
    for strength in GRANT_STRENGTH:
        if strength in found:
            return strength
    return None


GRANT_STRENGTH: Final = (
    "session", "federated-user", "user", "wildcard", "service", "role", "account",
)
"""How a Principal element can name the caller, strongest first: naming the caller's own
session, federated-user or user ARN suffices alone; ``*`` ignores the boundary; a role ARN is
limited by the boundary; an account delegates to identity policies. A statement that names the
caller several ways grants the strongest of them, wherever it is listed."""


# ------------------------------------------------------------------------------------------
# Statements and decisions
# ------------------------------------------------------------------------------------------


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context,
    *, variables: bool, strict: bool = STRICT_ERRORS,
) -> Tri:
    """Whether a statement's Action/NotAction, Resource/NotResource and Condition all hold.

    Action and Resource are gates: when they do not match, nothing else is evaluated (and no
    error can arise). ``strict``: see the module docstring.
    """
    # A wildcard in a service prefix (`s3*:...`, `*:...`) is ambiguous (docs/semantics.md):
    # when the answer rests on such a pattern alone, the statement is unknown if it would
    # otherwise apply (a Deny applies, an Allow does not grant).
    key = "Action" if "Action" in statement else "NotAction"
    patterns = as_list(statement[key])
    plain = any(action_matches(p, action) for p in patterns if not _service_wildcard(p))
    wild = any(action_matches(p, action) for p in patterns if _service_wildcard(p))
    ambiguous = not plain and wild
    if key == "Action" and not plain and not wild:
        return False
    if key == "NotAction" and plain:
        return False
    if key == "NotAction" and not ambiguous and wild:
        return False
    resource_ok = resource_applies(statement, resource, context, variables=variables,
                                   strict=strict)
    if resource_ok is False:
        return False
    applies = k_and(
        [resource_ok, conditions_hold(statement, context, variables=variables, strict=strict)],
        strict=strict,
    )
    if ambiguous and applies is True:
        return None
    return applies


def _service_wildcard(pattern: str) -> bool:
    return pattern != "*" and any(c in pattern.split(":")[0] for c in "*?")


class RefDecision:
    """The reference's answer: the decision and the statements that determined it.

    Attributes:
        decision: ``Allowed``, ``ExplicitlyDenied`` or ``ImplicitlyDenied``.
        reasons: ``(policy name, statement index)`` of every applying Deny when explicitly
            denied, of every granting identity Allow when allowed, else empty.
        undecided: the statements whose applicability was unknown (an evaluation error): the
            statements drpolicy must report in ``Decision.errors``.
    """

    def __init__(
        self, decision: str, reasons: Iterable[tuple[str, int]] = (),
        undecided: Iterable[tuple[str, int]] = (),
    ) -> None:
        self.decision = decision
        self.reasons = frozenset(reasons)
        self.undecided = frozenset(undecided)

    def __repr__(self) -> str:
        return f"RefDecision({self.decision!r}, {sorted(self.reasons)!r})"


def _scan(
    policies: Sequence[tuple[str, Mapping[str, Any]]], action: str, resource: str,
    context: Context, undecided: list[tuple[str, int]],
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(applying Denies, granting Allows) of a set of named policies; unknown Denies apply,
    unknown Allows do not grant; unknown statements are appended to ``undecided``."""
    denies, allows = [], []
    for name, policy in policies:
        variables = uses_variables(policy)
        for index, statement in enumerate(statements_of(policy)):
            applies = statement_applies(statement, action, resource, context, variables=variables)
            if applies is None:
                undecided.append((name, index))
            if statement["Effect"] == "Deny" and applies is not False:
                denies.append((name, index))
            if statement["Effect"] == "Allow" and applies is True:
                allows.append((name, index))
    return denies, allows


def evaluate_identity(
    policies: Sequence[tuple[str, Mapping[str, Any]]],
    action: str,
    resource: str,
    context: Mapping[str, object] | None,
    *,
    principal: str,
    boundary: tuple[str, Mapping[str, Any]] | None = None,
    cross_account: bool = False,
) -> RefDecision:
    """A request by an IAM identity decided by its identity policies (and boundary) alone.

    Explicit Deny anywhere wins; else the identity policies must allow and the boundary (if
    any) must allow; without a resource policy a request for another account's resource is
    never allowed (cross-account needs the resource side too).
    """
    for _, policy in list(policies) + ([boundary] if boundary else []):
        check_policy(policy, "identity")
    validate_request_action(action)
    validate_request_resource(resource)
    ctx = principal_context(principal)
    ctx.update(normalise_context(context))
    undecided: list[tuple[str, int]] = []
    denies, allows = _scan(policies, action, resource, ctx, undecided)
    boundary_allows: list[tuple[str, int]] = []
    if boundary is not None:
        boundary_denies, boundary_allows = _scan([boundary], action, resource, ctx, undecided)
        denies += boundary_denies
    if denies:
        return RefDecision("ExplicitlyDenied", denies, undecided)
    if allows and (boundary is None or boundary_allows) and not cross_account:
        return RefDecision("Allowed", allows, undecided)
    return RefDecision("ImplicitlyDenied", (), undecided)


def authorize(
    principal: str,
    action: str,
    resource: str,
    *,
    context: Mapping[str, object] | None = None,
    identity_policies: Sequence[Mapping[str, Any]] = (),
    resource_policy: Mapping[str, Any] | None = None,
    resource_account: str | None = None,
    permission_boundary: Mapping[str, Any] | None = None,
    scps: Sequence[Sequence[Mapping[str, Any]]] = (),
    rcps: Sequence[Sequence[Mapping[str, Any]]] = (),
    session_policy: Mapping[str, Any] | None = None,
) -> RefDecision:
    """The decision table of the brief (semantics 7) for identity policies, a resource (or, for
    a role ARN resource, trust) policy, a permissions boundary, SCP and RCP levels and a
    session policy (docs/evaluation.md): SCPs and the session policy bind IAM callers only,
    every SCP level must allow, a missing session policy leaves a federated-user session
    nothing; RCPs only deny (RCPFullAWSAccess is implicit at every level), whoever calls.

    Policies are named like drpolicy.authorize names them: ``identity-<i>``, ``resource-0`` or
    ``trust-0``, ``permission_boundary-0``, ``session-0``, and ``scp-<i>``/``rcp-<i>`` by
    position within their level.
    """
    info = principal_info(principal)
    validate_request_action(action)
    validate_request_resource(resource)
    is_role_resource = resource.startswith("arn:") and ":iam::" in resource and ":role/" in resource
    resource_kind = "trust" if is_role_resource else "resource"
    for policy in identity_policies:
        check_policy(policy, "identity")
    if permission_boundary is not None:
        check_policy(permission_boundary, "identity")
    if resource_policy is not None:
        check_policy(resource_policy, resource_kind)
    # SCPs and session policies have the identity grammar, RCPs the resource-policy one
    for level in scps:
        for policy in level:
            check_policy(policy, "identity")
    for level in rcps:
        for policy in level:
            check_policy(policy, "resource")
    if session_policy is not None:
        check_policy(session_policy, "identity")
    ctx = principal_context(principal)
    ctx.update(normalise_context(context))
    iam = info["kind"] in ("user", "role", "assumed-role", "root", "federated-user")
    if action.lower() == "sts:getcalleridentity":
        # STS API reference: no permissions are required; an explicit Deny does not stop it
        return RefDecision("Allowed")

    denies: list[tuple[str, int]] = []
    undecided: list[tuple[str, int]] = []
    identity_allows: list[tuple[str, int]] = []
    boundary_ok = True
    # "If there is no session policy ... if the principal is a role session, the request is
    # Allowed. Otherwise, the request is implicitly denied" (Policy evaluation logic)
    session_ok = info["kind"] != "federated-user"
    scps_ok = True
    if iam:
        named = [(f"identity-{i}", p) for i, p in enumerate(identity_policies)]
        d, identity_allows = _scan(named, action, resource, ctx, undecided)
        denies += d
        if permission_boundary is not None:
            d, b_allows = _scan([("permission_boundary-0", permission_boundary)], action,
                                resource, ctx, undecided)
            denies += d
            boundary_ok = bool(b_allows)
        if session_policy is not None:
            d, s_allows = _scan([("session-0", session_policy)], action, resource, ctx,
                                undecided)
            denies += d
            session_ok = bool(s_allows)
        for level in scps:  # every level, root to account, must allow
            d, level_allows = _scan([(f"scp-{i}", p) for i, p in enumerate(level)], action,
                                    resource, ctx, undecided)
            denies += d
            scps_ok = scps_ok and bool(level_allows)
    for level in rcps:  # Deny statements only, for every caller
        for i, policy in enumerate(level):
            variables = uses_variables(policy)
            for index, statement in enumerate(statements_of(policy)):
                if statement["Effect"] != "Deny":
                    continue
                how = statement_principal(statement, principal, has_boundary=permission_boundary
                                          is not None and iam)
                if how is None:
                    continue
                applies = statement_applies(statement, action, resource, ctx,
                                            variables=variables)
                if how == "ambiguous" and applies is not False:
                    applies = None  # an ambiguous NotPrincipal: the Deny applies, undecided
                if applies is None:
                    undecided.append((f"rcp-{i}", index))
                if applies is not False:
                    denies.append((f"rcp-{i}", index))
    grant: str | None = None
    resource_allows: list[tuple[str, int]] = []
    if resource_policy is not None:
        name = f"{resource_kind}-0"
        variables = uses_variables(resource_policy)
        grants = []
        for index, statement in enumerate(statements_of(resource_policy)):
            how = statement_principal(statement, principal, has_boundary=permission_boundary
                                      is not None and iam)
            if how is None:
                continue
            applies = statement_applies(statement, action, resource, ctx, variables=variables)
            if how == "ambiguous" and applies is not False:
                how, applies = "wildcard", None
            if applies is None:
                undecided.append((name, index))
            if statement["Effect"] == "Deny" and applies is not False:
                denies.append((name, index))
            if statement["Effect"] == "Allow" and applies is True:
                resource_allows.append((name, index))
                grants.append(how)
        for strength in GRANT_STRENGTH:
            if strength in grants:
                grant = strength
                break
    if denies:
        return RefDecision("ExplicitlyDenied", denies, undecided)

    if resource_account is None and resource != "*":
        resource_account = resource.split(":", 5)[4] or None
    caller_account = info.get("account")
    same_account = caller_account is None or resource_account is None \
        or caller_account == resource_account
    identity_side = (bool(identity_allows) or info["kind"] == "root") and boundary_ok \
        and session_ok
    # a role's trust policy, when given, must grant; and whether given or not, KMS keys and
    # (for sts:AssumeRole*) roles need their own policy to grant (issue 11)
    fields = resource.split(":", 5)
    must_grant = len(fields) == 6 and (
        (fields[2] == "kms" and fields[5].startswith("key/"))
        or (fields[2] == "iam" and fields[5].startswith("role/")
            and action.lower().startswith("sts:assumerole"))
    )
    strict_resource = (resource_policy is not None and resource_kind == "trust") or must_grant
    via_identity = RefDecision("Allowed", identity_allows, undecided)
    via_resource = RefDecision("Allowed", resource_allows, undecided)
    both = RefDecision("Allowed", identity_allows + resource_allows, undecided)
    denied = RefDecision("ImplicitlyDenied", (), undecided)

    if not iam:  # services, anonymous: the resource policy alone
        return via_resource if grant is not None else denied
    if (info["kind"] == "root" and resource_kind == "trust"
            and action.lower().startswith("sts:assumerole")):
        # AssumeRole API reference: root user credentials cannot assume roles.
        return denied
    if not scps_ok:  # some SCP level has no applicable Allow
        return denied
    if not same_account:  # both sides must allow
        return both if grant is not None and identity_side else denied
    if strict_resource and grant is None:  # trust and key policies must name the caller
        return denied
    if grant in (None, "account"):  # the account's identity policies decide
        return via_identity if identity_side else denied
    if strict_resource or grant == "role":  # still limited by boundary (and session)
        return via_resource if boundary_ok and session_ok else denied
    if grant == "wildcard":  # "*": the boundary's implicit deny is ignored, not the session's
        return via_resource if session_ok else denied
    return via_resource  # the caller's own user/session/federated-user ARN


def statement_principal(
    statement: Mapping[str, Any], principal: str, *, has_boundary: bool
) -> str | None:
    """How a resource-policy statement's Principal/NotPrincipal applies to the caller."""
    if "Principal" in statement:
        return principal_matches(statement["Principal"], principal)
    if "NotPrincipal" in statement:
        iam = principal_info(principal)["kind"] not in ("anonymous", "service")
        if statement["Effect"] == "Deny" and has_boundary and iam:
            # "The NotPrincipal element with a Deny effect will always deny any IAM principal
            # that has a permissions boundary policy attached" (Permissions boundaries page).
            return "wildcard"
        spec = statement["NotPrincipal"]
        if spec == {} or (isinstance(spec, dict) and not any(as_list(v) for v in spec.values())):
            return "ambiguous"  # an empty NotPrincipal (docs/semantics.md)
        if not_principal_excludes(spec, principal):
            return None
        if statement["Effect"] == "Allow" and _names_part_of(spec, principal):
            return "ambiguous"  # Allow + NotPrincipal naming part of the identity chain
        return "wildcard"
    return None


def _names_part_of(spec: object, principal: str) -> bool:
    if not isinstance(spec, dict):
        return False
    info = principal_info(principal)
    chain = {info.get("arn"), info.get("role_arn")}
    if info.get("account"):
        chain |= {info["account"], f"arn:{info['partition']}:iam::{info['account']}:root"}
    chain.discard(None)
    return any(e in chain for e in strings(spec.get("AWS", []), "AWS"))


def not_principal_excludes(spec: object, principal: str) -> bool:
    """Whether a NotPrincipal element lists the caller's whole identity chain, so that the
    statement does not apply to it.

    IAM User Guide, NotPrincipal: with Deny you must list the account ARN too, and for a role
    session the role and the session, "or the policy might deny access to the entire account".
    So: ``*`` exempts everyone; a service is exempt when listed; anonymous never; an IAM caller
    only when its account (ID or ``:root`` ARN) is listed and, for a user or federated user,
    its ARN; for a role session, its role (by ARN, or by name for a session ARN) and, when the
    session is named, the session ARN.
    """
    info = principal_info(principal)
    if spec == "*":
        return True
    assert isinstance(spec, dict)
    aws = strings(spec.get("AWS", []), "AWS")
    if "*" in aws:
        return True
    if not any(strings(v, k) for k, v in spec.items()):
        return True  # an empty NotPrincipal matches nothing (docs/semantics.md): no effect
    kind = info["kind"]
    if kind == "service":
        services = strings(spec.get("Service", []), "Service")
        return any(e == "*" or e.lower() == info["name"].lower() for e in services)
    if kind == "anonymous":
        return False
    root_arn = f"arn:{info['partition']}:iam::{info['account']}:root"
    if info["account"] not in aws and root_arn not in aws:
        return False
    if kind == "root":
        return True
    if kind in ("user", "federated-user"):
        return info["arn"] in aws
    role_listed = any(
        principal_arn_kind(e) == "role"
        and e.startswith(f"arn:{info['partition']}:iam::{info['account']}:role/")
        and (e == info["role_arn"] or (kind == "assumed-role" and e.rsplit("/", 1)[-1] == info["name"]))
        for e in aws
    )
    if not role_listed:
        return False
    return kind == "role" or info["arn"] in aws


def dumps(policy: Mapping[str, Any]) -> str:
    """Stable JSON text of a policy (for failure messages)."""
    return json.dumps(policy, sort_keys=True)
