"""The condition language: every operator, qualifiers, missing keys, variables, parse errors.

Values follow the IAM User Guide page "IAM JSON policy elements: Condition operators" (its
examples: `s3:max-keys` 10, `aws:CurrentTime` dates, 203.0.113.0/24 and 2001:DB8:1234:5678::/64,
the base64 value of BinaryEquals, the ArnLike vs StringLike example with the account field) plus
our own boundaries. Where AWS is silent the brief's semantics decision 3/4 is the reference.

Every table row is checked twice: on the compiled condition directly, and end to end through a
role (both `is_allowed` and `evaluate`, which take different code paths).
"""

from __future__ import annotations

import base64
import decimal
import ipaddress
from typing import Any

import pytest

import drpolicy
from drpolicy import PolicyParseError, UnknownOperatorError
from drpolicy._wildcard import ArnPattern
from drpolicy.conditions import (
    OPERATORS,
    CompiledCondition,
    ConditionEvaluationError,
    compile_condition,
    parse_operator,
)
from drpolicy.evaluator import normalise_context

ERROR = "error"  # expected outcome: an evaluation error (fail closed)
ABSENT = object()  # request value: the key is not in the context


def compiled(op: str, values: list[Any] | tuple[Any, ...], key: str = "k", *, variables: bool = True) -> CompiledCondition:
    return compile_condition(op, key, tuple(str(v) for v in values), variables=variables)


def outcome(op: str, values: Any, request: Any, *, key: str = "k", extra: dict[str, Any] | None = None,
            variables: bool = True) -> bool | str:
    clause = compiled(op, values, key, variables=variables)
    context: dict[str, Any] = dict(extra or {})
    if request is not ABSENT:
        context[key] = request
    try:
        return clause(normalise_context(context))
    except ConditionEvaluationError:
        return ERROR


def role_with(op: str, values: Any, *, key: str = "k", effect: str = "Allow",
              version: str = "2012-10-17") -> drpolicy.Role:
    statements: list[dict[str, Any]] = [
        {"Effect": effect, "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {key: values}}}
    ]
    if effect == "Deny":
        statements.append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    return drpolicy.Role.from_policies("r", [{"Version": version, "Statement": statements}])


def end_to_end(op: str, values: Any, request: Any, expected: bool | str, *, key: str = "k",
               extra: dict[str, Any] | None = None) -> None:
    """Check an Allow statement and a Deny statement with this condition."""
    context: dict[str, Any] = dict(extra or {})
    if request is not ABSENT:
        context[key] = request
    allow = role_with(op, values, key=key)
    d = allow.evaluate("s3:GetObject", "arn:aws:s3:::b/k", context)
    assert allow.is_allowed("s3:GetObject", "arn:aws:s3:::b/k", context) is d.allowed
    if expected == ERROR:
        assert not d.allowed  # an erroring Allow never grants
        assert len(d.errors) == 1
        assert d.errors[0].statement.index == 0
    else:
        assert d.allowed is expected
        assert d.errors == ()
    deny = role_with(op, values, key=key, effect="Deny")
    d = deny.evaluate("s3:GetObject", "arn:aws:s3:::b/k", context)
    assert deny.is_allowed("s3:GetObject", "arn:aws:s3:::b/k", context) is d.allowed
    if expected == ERROR:
        assert d.decision == "ExplicitlyDenied"  # an erroring Deny applies
        assert len(d.errors) == 1
    elif expected:
        assert d.decision == "ExplicitlyDenied"
        assert [r.index for r in d.reasons] == [0]
    else:
        assert d.decision == "Allowed"
        assert [r.index for r in d.reasons] == [1]


def check(op: str, values: Any, request: Any, expected: bool | str, **kw: Any) -> None:
    assert outcome(op, values, request, **kw) == expected
    end_to_end(op, values, request, expected, **kw)


# ------------------------------------------------------------------------------------------
# The operator table
# ------------------------------------------------------------------------------------------

BASE_OPERATORS = [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Null",
]
NEGATED = {
    "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
    "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike",
}


def test_operator_table_is_exactly_the_documented_set() -> None:
    assert sorted(o.name for o in OPERATORS.values()) == sorted(BASE_OPERATORS)
    assert set(OPERATORS) == {o.lower() for o in BASE_OPERATORS}
    assert {o.name for o in OPERATORS.values() if o.negated} == NEGATED


@pytest.mark.parametrize(
    ("negated", "positive"),
    [
        ("StringNotEquals", "StringEquals"),
        ("StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase"),
        ("StringNotLike", "StringLike"),
        ("NumericNotEquals", "NumericEquals"),
        ("DateNotEquals", "DateEquals"),
        ("NotIpAddress", "IpAddress"),
        ("ArnNotEquals", "ArnLike"),
        ("ArnNotLike", "ArnLike"),
    ],
)
def test_negated_rows_point_at_their_positive_twin(negated: str, positive: str) -> None:
    assert OPERATORS[negated.lower()].family == positive
    assert OPERATORS[negated.lower()].negated


def test_arn_equals_uses_arn_like() -> None:
    assert OPERATORS["arnequals"].family == OPERATORS["arnlike"].family == "ArnLike"


VALID_NAMES = [
    (prefix + base + suffix, prefix.rstrip(":") or None, base, bool(suffix))
    for base in BASE_OPERATORS
    for prefix in ("", "ForAllValues:", "ForAnyValue:")
    for suffix in (("",) if base == "Null" else ("", "IfExists"))
]


def test_there_are_159_operator_spellings() -> None:
    assert len(VALID_NAMES) == 26 * 3 * 2 + 3


@pytest.mark.parametrize(("name", "qualifier", "base", "if_exists"), VALID_NAMES, ids=[v[0] for v in VALID_NAMES])
def test_parse_operator_valid(name: str, qualifier: str | None, base: str, if_exists: bool) -> None:
    spec = parse_operator(name)
    assert spec.written == name
    assert spec.qualifier == qualifier
    assert spec.operator.name == base
    assert spec.if_exists is if_exists
    assert spec.canonical == name


INVALID_NAMES = [
    "stringequals", "STRINGEQUALS", "StringEquals ", " StringEquals", "Stringequals",
    "stringEqualsIfExists", "StringEqualsifexists", "StringEqualsIFEXISTS",
    "StringEqual", "StringEqualsIgnorecase", "NumberEquals", "NumericLessThanOrEquals",
    "DateAfter", "Boolean", "BOOL", "bool", "IPAddress", "IpAddressIfexists", "ArnEqual",
    "NotNull", "null",
    "NullIfExists", "ForAllValues:NullIfExists", "ForAnyValue:NullIfExists",
    "ForAllValuesStringEquals", "ForAnyValueStringLike", "forallvalues:StringEquals",
    "ForAnyValues:StringEquals", "ForAllValue:StringEquals", "forAnyValue:StringEquals",
    "ForAllValues:ForAnyValue:StringEquals", "ForAllValues:", ":StringEquals",
    "IfExists", "StringEqualsIfExistsIfExists", "", "*", "ForAllValues:stringequals",
]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_parse_operator_invalid(name: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_operator(name)
    # and in a policy it is an UnknownOperatorError at parse time, naming the place
    with pytest.raises(UnknownOperatorError) as parse_info:
        drpolicy.load_policy({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {name: {"k": "true"}}}]})
    assert parse_info.value.problems[0].path == f"Statement[0].Condition.{name}"
    assert parse_info.value.problems[0].code == "unknown-operator"
    assert str(info.value)


@pytest.mark.parametrize(
    ("name", "right"),
    [("stringEquals", "StringEquals"), ("STRINGLIKE", "StringLike"), ("bool", "Bool"),
     ("ipaddress", "IpAddress"), ("ForAnyValue:arnlike", "ArnLike")],
)
def test_mis_cased_operator_names_the_right_spelling(name: str, right: str) -> None:
    with pytest.raises(ValueError, match=f"`{right}`"):
        parse_operator(name)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("StringEqualz", "StringEquals"), ("ForAnyValue:StringEqualz", "ForAnyValue:StringEquals"),
     ("StringEqualzIfExists", "StringEqualsIfExists"), ("IpAdress", "IpAddress"),
     ("NumericLessThenEquals", "NumericLessThanEquals")],
)
def test_misspelled_operator_gets_a_suggestion(name: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match=f"unknown operator `{name}`: did you mean `{suggestion}`"):
        parse_operator(name)


def test_unrelated_operator_gets_no_suggestion() -> None:
    with pytest.raises(ValueError, match=r"^unknown operator `Bogus`$"):
        parse_operator("Bogus")


def test_null_if_exists_message() -> None:
    with pytest.raises(ValueError, match="NullIfExists"):
        parse_operator("NullIfExists")


# ------------------------------------------------------------------------------------------
# Per-operator tables: (operator, policy values, request value, expected)
# ------------------------------------------------------------------------------------------

T = "2020-04-01T00:00:00Z"  # the operators page's aws:CurrentTime example value
T_EPOCH = "1585699200"

OPERATOR_TABLE: list[tuple[str, list[Any], Any, bool | str]] = [
    # StringEquals: exact, case-sensitive, wildcards literal
    ("StringEquals", ["Production"], "Production", True),
    ("StringEquals", ["Production"], "production", False),
    ("StringEquals", ["Production"], "Production ", False),
    ("StringEquals", ["Production"], "", False),
    ("StringEquals", ["*"], "anything", False),
    ("StringEquals", ["*"], "*", True),
    ("StringEquals", ["dev-*"], "dev-1", False),
    ("StringEquals", ["a", "b"], "b", True),
    ("StringEquals", [""], "", True),
    ("StringEquals", ["é"], "e\u0301", False),  # no Unicode normalisation
    # StringNotEquals: NOR over the values
    ("StringNotEquals", ["111122223333", "444455556666"], "777788889999", True),
    ("StringNotEquals", ["111122223333", "444455556666"], "111122223333", False),
    ("StringNotEquals", ["111122223333", "444455556666"], "444455556666", False),
    ("StringNotEquals", ["Production"], "production", True),
    # StringEqualsIgnoreCase: str.lower(), not casefold()
    ("StringEqualsIgnoreCase", ["true"], "TRUE", True),
    ("StringEqualsIgnoreCase", ["DeepRacer"], "deepracer", True),
    ("StringEqualsIgnoreCase", ["DeepRacer"], "deep racer", False),
    ("StringEqualsIgnoreCase", ["straße"], "STRASSE", False),
    ("StringEqualsIgnoreCase", ["straße"], "STRAßE", True),
    ("StringEqualsIgnoreCase", ["*"], "x", False),
    ("StringNotEqualsIgnoreCase", ["true"], "True", False),
    ("StringNotEqualsIgnoreCase", ["true"], "yes", True),
    ("StringNotEqualsIgnoreCase", ["a", "B"], "b", False),
    # StringLike: `*` and `?` anywhere, case-sensitive
    ("StringLike", ["home/*"], "home/x/y", True),
    ("StringLike", ["home/*"], "home/", True),
    ("StringLike", ["home/*"], "Home/x", False),
    ("StringLike", ["home/*"], "home", False),
    ("StringLike", ["t1.*", "t2.*"], "t2.micro", True),
    ("StringLike", ["t1.*", "t2.*"], "t2xmicro", False),  # `.` is literal
    ("StringLike", ["t1.*", "t2.*"], "m5.large", False),
    ("StringLike", ["v?"], "v1", True),
    ("StringLike", ["v?"], "v12", False),
    ("StringLike", ["v?"], "v", False),
    ("StringLike", ["*"], "", True),
    ("StringLike", [""], "", True),
    ("StringLike", [""], "a", False),
    ("StringLike", ["a+b(c)"], "a+b(c)", True),
    ("StringLike", ["a+b(c)"], "aab(c)", False),
    ("StringLike", ["line*"], "line1\nline2", True),
    ("StringLike", ["sagemaker.application-autoscaling.amazonaws.com"],
     "sagemaker.application-autoscaling.amazonaws.com", True),
    ("StringNotLike", ["arn:aws:iam::*:role/admin*"], "arn:aws:iam::1:role/dev", True),
    ("StringNotLike", ["arn:aws:iam::*:role/admin*"], "arn:aws:iam::1:role/admin-x", False),
    ("StringNotLike", ["a*", "b*"], "bc", False),
    # Numeric: request <op> policy
    ("NumericEquals", ["10"], "10", True),
    ("NumericEquals", ["10"], "10.0", True),
    ("NumericEquals", ["10"], "9", False),
    ("NumericEquals", ["10"], "11", False),
    ("NumericEquals", ["1.5"], "1.50", True),
    ("NumericEquals", ["-3"], "-3", True),
    ("NumericNotEquals", ["10"], "10", False),
    ("NumericNotEquals", ["10"], "11", True),
    ("NumericNotEquals", ["10", "20"], "20", False),
    ("NumericLessThan", ["10"], "9", True),
    ("NumericLessThan", ["10"], "9.999", True),
    ("NumericLessThan", ["10"], "10", False),
    ("NumericLessThan", ["10"], "11", False),
    ("NumericLessThan", ["10"], "-1", True),
    ("NumericLessThanEquals", ["10"], "10", True),
    ("NumericLessThanEquals", ["10"], "9", True),
    ("NumericLessThanEquals", ["10"], "11", False),
    ("NumericLessThanEquals", ["10"], "10.001", False),
    ("NumericGreaterThan", ["10"], "11", True),
    ("NumericGreaterThan", ["10"], "10", False),
    ("NumericGreaterThan", ["10"], "10.001", True),
    ("NumericGreaterThan", ["10"], "9", False),
    ("NumericGreaterThanEquals", ["10"], "10", True),
    ("NumericGreaterThanEquals", ["10"], "9.999", False),
    ("NumericGreaterThanEquals", ["10"], "100", True),
    ("NumericLessThan", ["5", "10"], "7", True),  # OR over values: 7 < 10
    ("NumericLessThan", ["10"], "abc", ERROR),
    ("NumericEquals", ["10"], "", ERROR),
    ("NumericGreaterThan", ["10"], "ten", ERROR),
    ("NumericNotEquals", ["10"], "abc", ERROR),
    # Date: ISO 8601 or epoch seconds on both sides, zones normalised, no zone = UTC
    ("DateEquals", [T], T, True),
    ("DateEquals", [T], T_EPOCH, True),
    ("DateEquals", [T_EPOCH], T, True),
    ("DateEquals", [T], "2020-04-01", True),
    ("DateEquals", [T], "2020-04-01T00:00:00", True),
    ("DateEquals", [T], "2020-04-01T00:00:00.000Z", True),
    ("DateEquals", [T], "2020-04-01T02:00:00+02:00", True),
    ("DateEquals", [T], "2020-03-31T19:00:00-05:00", True),
    ("DateEquals", [T], "2020-04-01T00:00:01Z", False),
    ("DateEquals", [T], "2020-04-01T00:00:00+01:00", False),
    ("DateEquals", ["2020-04-01T02:00:00+02:00"], T_EPOCH, True),
    ("DateNotEquals", [T], T_EPOCH, False),
    ("DateNotEquals", [T], "2020-04-02T00:00:00Z", True),
    ("DateLessThan", [T], "2020-03-31T23:59:59Z", True),
    ("DateLessThan", [T], "2020-03-31T23:59:59.999Z", True),
    ("DateLessThan", [T], T, False),
    ("DateLessThan", [T], T_EPOCH, False),
    ("DateLessThan", [T], "1585699199", True),
    ("DateLessThan", [T], "2020-04-01T00:30:00+01:00", True),  # 23:30 UTC the day before
    ("DateLessThan", [T], "2020-04-01T00:30:00Z", False),
    ("DateLessThanEquals", [T], T, True),
    ("DateLessThanEquals", [T], "1585699201", False),
    ("DateGreaterThan", [T], T, False),
    ("DateGreaterThan", [T], "2020-04-01T00:00:01Z", True),
    ("DateGreaterThan", [T], "1585699200.5", True),
    ("DateGreaterThan", [T], "2020-03-31T19:00:01-05:00", True),
    ("DateGreaterThan", [T_EPOCH], "2020-04-01T00:00:01Z", True),
    ("DateGreaterThanEquals", [T], T_EPOCH, True),
    ("DateGreaterThanEquals", [T], "2020-03-31T23:59:59Z", False),
    ("DateGreaterThanEquals", [T], "2021-01-01", True),
    ("DateLessThan", [T], "tomorrow", ERROR),
    ("DateEquals", [T], "2020-13-01", ERROR),
    ("DateNotEquals", [T], "not a date", ERROR),
    # Bool: true/false, case-insensitive on both sides
    ("Bool", ["true"], "true", True),
    ("Bool", ["true"], "TRUE", True),
    ("Bool", ["true"], "True", True),
    ("Bool", ["true"], "false", False),
    ("Bool", ["false"], "false", True),
    ("Bool", ["false"], "FALSE", True),
    ("Bool", ["TRUE"], "true", True),
    ("Bool", ["true"], "yes", ERROR),
    ("Bool", ["true"], "1", ERROR),
    ("Bool", ["true"], "", ERROR),
    # BinaryEquals: base64 on both sides, compared as bytes
    ("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], base64.b64encode(b"BinaryValueInBase65").decode(), False),
    ("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], "qmluyxj5vmfsdwvjbkjhc2u2na==", False),
    ("BinaryEquals", ["AAEC"], "AAEC", True),
    ("BinaryEquals", ["AAEC"], "AAED", False),
    ("BinaryEquals", ["AAEC"], "not base64!", ERROR),
    # IpAddress / NotIpAddress: CIDR, bare address = one host, families never mix
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.5", True),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.0", True),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.255", True),
    ("IpAddress", ["203.0.113.0/24"], "203.0.114.0", False),
    ("IpAddress", ["203.0.113.0/24"], "203.0.112.255", False),
    ("IpAddress", ["203.0.113.7"], "203.0.113.7", True),
    ("IpAddress", ["203.0.113.7"], "203.0.113.8", False),
    ("IpAddress", ["203.0.113.7/32"], "203.0.113.7", True),
    ("IpAddress", ["0.0.0.0/0"], "198.51.100.1", True),
    ("IpAddress", ["2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
    ("IpAddress", ["2001:DB8:1234:5678::/64"], "2001:DB8:1234:5678:ffff:ffff:ffff:ffff", True),
    ("IpAddress", ["2001:DB8:1234:5678::/64"], "2001:db8:1234:5679::1", False),
    ("IpAddress", ["2001:DB8:1234:5678::/64"], "203.0.113.5", False),
    ("IpAddress", ["203.0.113.0/24"], "2001:db8::1", False),
    ("IpAddress", ["203.0.113.0/24"], "::ffff:203.0.113.5", False),
    ("IpAddress", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::2", True),
    ("IpAddress", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "203.0.113.9", True),
    ("IpAddress", ["::/0"], "203.0.113.9", False),
    ("NotIpAddress", ["203.0.113.0/24"], "203.0.113.5", False),
    ("NotIpAddress", ["203.0.113.0/24"], "198.51.100.1", True),
    ("NotIpAddress", ["203.0.113.0/24"], "2001:db8::1", True),
    ("NotIpAddress", ["203.0.113.0/24", "198.51.100.0/24"], "198.51.100.1", False),
    ("IpAddress", ["203.0.113.0/24"], "not-an-ip", ERROR),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.0/24", ERROR),
    ("NotIpAddress", ["203.0.113.0/24"], "example.com", ERROR),
    # Arn*: per-field, case-sensitive, `*` crosses `/` and `:` only in the resource part
    ("ArnLike", ["arn:aws:someservice:*:111122223333:finance/*"],
     "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", False),
    ("ArnLike", ["arn:aws:someservice:*:111122223333:finance/*"],
     "arn:aws:someservice:us-east-2:111122223333:finance/document.txt", True),
    ("ArnEquals", ["arn:aws:someservice:*:111122223333:finance/*"],
     "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", False),
    ("ArnEquals", ["arn:aws:someservice:*:111122223333:finance/*"],
     "arn:aws:someservice:us-east-2:111122223333:finance/a/b:c", True),
    ("ArnLike", ["arn:aws:iam::123456789012:role/Admin"], "arn:aws:iam::123456789012:role/Admin", True),
    ("ArnLike", ["arn:aws:iam::123456789012:role/Admin"], "arn:aws:iam::123456789012:role/admin", False),
    ("ArnLike", ["arn:AWS:iam::123456789012:role/Admin"], "arn:aws:iam::123456789012:role/Admin", False),
    ("ArnLike", ["arn:aws:iam::*:role/*"], "arn:aws:iam::123456789012:role/service-role/x", True),
    ("ArnLike", ["arn:aws:iam::*:role/*"], "arn:aws:iam::123456789012:user/x", False),
    ("ArnLike", ["arn:aws:sqs:us-east-1:123456789012:*"], "arn:aws:sqs:us-east-1:123456789012:q:x", True),
    ("ArnLike", ["arn:aws:s3:::b?"], "arn:aws:s3:::b1", True),
    ("ArnLike", ["arn:aws:s3:::b?"], "arn:aws:s3:::b12", False),
    ("ArnLike", ["arn:aws:s?:::b"], "arn:aws:s3:::b", True),
    ("ArnLike", ["arn:aws:s3:::a.b"], "arn:aws:s3:::aXb", False),
    ("ArnLike", ["arn:aws:ec2:*"], "arn:aws:ec2:us-east-1:123456789012:instance/i-1", True),
    ("ArnNotLike", ["arn:aws:iam::*:role/admin*"], "arn:aws:iam::123456789012:role/dev", True),
    ("ArnNotLike", ["arn:aws:iam::*:role/admin*"], "arn:aws:iam::123456789012:role/admin1", False),
    ("ArnNotEquals", ["arn:aws:s3:::a", "arn:aws:s3:::b"], "arn:aws:s3:::b", False),
    ("ArnNotEquals", ["arn:aws:s3:::a", "arn:aws:s3:::b"], "arn:aws:s3:::c", True),
    ("ArnLike", ["arn:aws:iam::*:role/*"], "boop", ERROR),
    ("ArnLike", ["arn:aws:iam::*:role/*"], "arn:aws:::", ERROR),
    ("ArnNotLike", ["arn:aws:iam::*:role/*"], "boop", ERROR),
    # Null: "true" = absent, "false" = present
    ("Null", ["true"], "anything", False),
    ("Null", ["false"], "anything", True),
    ("Null", ["TRUE"], "anything", False),
    ("Null", ["false", "true"], "anything", True),
]


def _ids(rows: list[tuple[Any, ...]]) -> list[str]:
    return [f"{r[0]}-{r[1]}-{r[2]!r}" for r in rows]


@pytest.mark.parametrize(("op", "values", "request_value", "expected"), OPERATOR_TABLE, ids=_ids(OPERATOR_TABLE))
def test_operator_table(op: str, values: list[Any], request_value: Any, expected: bool | str) -> None:
    check(op, values, request_value, expected)


def test_every_operator_has_true_and_false_rows() -> None:
    seen: dict[str, set[Any]] = {}
    for op, _, _, expected in OPERATOR_TABLE:
        seen.setdefault(op, set()).add(expected)
    for name in BASE_OPERATORS:
        assert {True, False} <= seen.get(name, set()), name


COMPLEMENT_PAIRS = {
    "StringEquals": "StringNotEquals",
    "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase",
    "StringLike": "StringNotLike",
    "NumericEquals": "NumericNotEquals",
    "DateEquals": "DateNotEquals",
    "IpAddress": "NotIpAddress",
    "ArnLike": "ArnNotLike",
    "ArnEquals": "ArnNotEquals",
}
COMPLEMENT_ROWS = [
    (COMPLEMENT_PAIRS[op], values, req, expected)
    for op, values, req, expected in OPERATOR_TABLE
    if op in COMPLEMENT_PAIRS
] + [
    ({v: k for k, v in COMPLEMENT_PAIRS.items()}[op], values, req, expected)
    for op, values, req, expected in OPERATOR_TABLE
    if op in COMPLEMENT_PAIRS.values()
]


@pytest.mark.parametrize(("op", "values", "request_value", "twin_expected"), COMPLEMENT_ROWS, ids=_ids(COMPLEMENT_ROWS))
def test_negated_operator_is_the_complement_on_a_present_single_value(
    op: str, values: list[Any], request_value: Any, twin_expected: bool | str
) -> None:
    expected = ERROR if twin_expected == ERROR else not twin_expected
    assert outcome(op, values, request_value) == expected


@pytest.mark.parametrize(("op", "values", "request_value", "expected"), OPERATOR_TABLE, ids=_ids(OPERATOR_TABLE))
def test_if_exists_equals_plain_when_present(op: str, values: list[Any], request_value: Any, expected: bool | str) -> None:
    if op == "Null":
        return
    assert outcome(op + "IfExists", values, request_value) == expected


@pytest.mark.parametrize(("op", "values", "request_value", "expected"), OPERATOR_TABLE, ids=_ids(OPERATOR_TABLE))
def test_qualifiers_over_one_value_equal_plain(op: str, values: list[Any], request_value: Any, expected: bool | str) -> None:
    if op == "Null":
        return
    assert outcome("ForAllValues:" + op, values, [request_value]) == expected
    assert outcome("ForAnyValue:" + op, values, [request_value]) == expected


# ------------------------------------------------------------------------------------------
# Compiled form: values are parsed once, at compile time
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "kind"),
    [
        ("NumericLessThan", "10", decimal.Decimal),
        ("DateLessThan", T, decimal.Decimal),
        ("IpAddress", "203.0.113.0/24", ipaddress.IPv4Network),
        ("NotIpAddress", "2001:DB8::/32", ipaddress.IPv6Network),
        ("IpAddress", "203.0.113.7", ipaddress.IPv4Network),
        ("BinaryEquals", "AAEC", bytes),
        ("ArnLike", "arn:aws:s3:::b/*", ArnPattern),
        ("StringEquals", "a", str),
    ],
)
def test_values_are_parsed_at_compile_time(op: str, value: str, kind: type) -> None:
    clause = compiled(op, [value])
    (parsed,) = clause.values
    assert isinstance(parsed.parsed, kind)
    assert parsed.source == value
    assert parsed.template is None


def test_string_like_values_are_compiled_globs() -> None:
    (value,) = compiled("StringLike", ["a*"]).values
    assert not isinstance(value.parsed, str)  # a compiled matcher, not the source text
    assert value.source == "a*"


def test_compiled_values() -> None:
    assert compiled("NumericLessThan", ["10"]).values[0].parsed == decimal.Decimal(10)
    assert compiled("DateEquals", [T]).values[0].parsed == float(T_EPOCH)
    assert compiled("DateEquals", ["2020-04-01T02:00:00+02:00"]).values[0].parsed == float(T_EPOCH)
    assert compiled("IpAddress", ["203.0.113.7"]).values[0].parsed == ipaddress.ip_network("203.0.113.7/32")
    assert compiled("IpAddress", ["203.0.113.5/24"]).values[0].parsed == ipaddress.ip_network("203.0.113.0/24")
    assert compiled("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="]).values[0].parsed == b"BinaryValueInBase64"
    assert compiled("Bool", ["TRUE"]).values[0].parsed == "true"
    assert compiled("StringEqualsIgnoreCase", ["DeepRacer"]).values[0].parsed == "deepracer"


def test_compiled_condition_attributes() -> None:
    clause = compile_condition("ForAnyValue:StringLikeIfExists", "AWS:TagKeys", ("a*", "b"), variables=True)
    assert clause.key == "aws:tagkeys"
    assert clause.key_written == "AWS:TagKeys"
    assert clause.spec.qualifier == "ForAnyValue"
    assert clause.spec.if_exists
    assert "ForAnyValue:StringLikeIfExists" in repr(clause)
    assert clause.references == ("aws:tagkeys",)
    templated = compile_condition("StringEquals", "k", ("${aws:PrincipalTag/Team}-${aws:username, 'x'}",), variables=True)
    assert templated.references == ("k", "aws:principaltag/team", "aws:username")
    assert templated.values[0].template is not None


# ------------------------------------------------------------------------------------------
# Parse-time errors: values that cannot be parsed for their operator
# ------------------------------------------------------------------------------------------

UNPARSEABLE = [
    ("NumericEquals", "ten"), ("NumericLessThan", ""), ("NumericGreaterThan", "1,000"),
    ("NumericLessThanEquals", "NaN"), ("NumericGreaterThanEquals", "Infinity"),
    ("NumericNotEquals", "0x10"),
    ("DateEquals", "yesterday"), ("DateLessThan", "2020-02-30T00:00:00Z"),
    ("DateGreaterThan", "2020-04-01T25:00:00Z"), ("DateNotEquals", "04/01/2020"),
    ("DateLessThanEquals", ""), ("DateGreaterThanEquals", "2020-04-01T00:00:00Q"),
    ("Bool", "yes"), ("Bool", "1"), ("Bool", ""),
    ("BinaryEquals", "not base64!"), ("BinaryEquals", "AAE"),
    ("IpAddress", "203.0.113.300"), ("IpAddress", "203.0.113.0/33"), ("NotIpAddress", "example.com"),
    ("IpAddress", ""), ("IpAddress", "2001:DB8::/129"),
    ("ArnLike", "my-bucket"), ("ArnEquals", "arn:aws:s3"), ("ArnNotLike", ""), ("ArnNotEquals", "ARN:aws:s3:::b"),
    ("Null", "maybe"), ("Null", "1"),
]


@pytest.mark.parametrize(("op", "value"), UNPARSEABLE, ids=[f"{o}-{v!r}" for o, v in UNPARSEABLE])
def test_unparseable_policy_values_are_parse_errors(op: str, value: str) -> None:
    with pytest.raises(ValueError):
        compiled(op, [value])
    for prefix, suffix in (("", ""), ("ForAnyValue:", ""), ("", "IfExists")):
        if op == "Null" and suffix:
            continue
        full = prefix + op + suffix
        with pytest.raises(PolicyParseError) as info:
            drpolicy.load_policy({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {full: {"aws:SomeKey": value}}}]})
        (problem,) = info.value.problems
        assert problem.path == f"Statement[0].Condition.{full}.aws:SomeKey"
        assert problem.code == "value"
        assert not isinstance(info.value, UnknownOperatorError)


def test_one_bad_value_among_good_ones_is_still_an_error() -> None:
    with pytest.raises(PolicyParseError):
        drpolicy.load_policy({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "bad"]}}}]})


@pytest.mark.parametrize(
    "date",
    ["2020-04-01", "2020-04-01T00:00Z", "2020-04-01T00:00:00Z", "2020-04-01T00:00:00.5Z",
     "2020-04-01T00:00:00.123456789Z", "2020-04-01T00:00:00+05:30", "2020-04-01T00:00:00-0800",
     "2020-04-01T00:00:00+05", "2020-04-01t00:00:00z", "2020-04-01 00:00:00", "0", "1585699200",
     "1585699200.25", "2024-02-29"],
)
def test_accepted_date_forms(date: str) -> None:
    compiled("DateEquals", [date])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2020-04-01T00:00:00+05:30", "2020-03-31T18:30:00Z"),
        ("2020-04-01T00:00:00-0800", "2020-04-01T08:00:00Z"),
        ("2020-04-01T00:00:00+05", "2020-03-31T19:00:00Z"),
        ("2020-04-01T00:00Z", "2020-04-01T00:00:00Z"),
        ("1970-01-01T00:00:00Z", "0"),
    ],
)
def test_time_zones_normalise_to_one_instant(a: str, b: str) -> None:
    assert outcome("DateEquals", [a], b) is True
    assert outcome("DateEquals", [b], a) is True
    assert outcome("DateNotEquals", [a], b) is False


# ------------------------------------------------------------------------------------------
# Missing keys, empty keys (decision 3; IAM User Guide "Condition operators", "Important")
# ------------------------------------------------------------------------------------------

SAMPLE_VALUE = {
    "String": "x", "Numeric": "1", "Date": T, "Bool": "true", "Binary": "AAEC", "Ip": "203.0.113.0/24",
    "NotIp": "203.0.113.0/24", "Arn": "arn:aws:s3:::b",
}


def sample_value(op: str) -> str:
    for prefix in ("NotIp", "Ip", "Arn", "String", "Numeric", "Date", "Bool", "Binary"):
        if op.startswith(prefix):
            return SAMPLE_VALUE[prefix]
    raise AssertionError(op)


NON_NULL = [o for o in BASE_OPERATORS if o != "Null"]


@pytest.mark.parametrize("op", NON_NULL)
@pytest.mark.parametrize("missing", [ABSENT, []], ids=["missing", "empty-list"])
def test_absent_key(op: str, missing: Any) -> None:
    value = [sample_value(op)]
    negated = op in NEGATED
    assert outcome(op, value, missing) is negated  # plain: negated true, positive false
    assert outcome(op + "IfExists", value, missing) is True
    assert outcome("ForAllValues:" + op, value, missing) is True
    assert outcome("ForAnyValue:" + op, value, missing) is False
    # a set qualifier with IfExists on a missing key is ambiguous (docs/semantics.md)
    assert outcome("ForAllValues:" + op + "IfExists", value, missing) == ERROR
    assert outcome("ForAnyValue:" + op + "IfExists", value, missing) == ERROR


@pytest.mark.parametrize("op", NON_NULL)
def test_absent_key_end_to_end(op: str) -> None:
    value = [sample_value(op)]
    end_to_end(op, value, ABSENT, op in NEGATED)
    end_to_end(op + "IfExists", value, ABSENT, True)
    end_to_end("ForAllValues:" + op, value, [], True)
    end_to_end("ForAnyValue:" + op, value, ABSENT, False)


@pytest.mark.parametrize(
    ("values", "request_value", "expected"),
    [
        (["true"], ABSENT, True),
        (["true"], [], True),
        (["true"], "x", False),
        (["true"], ["x", "y"], False),
        (["false"], ABSENT, False),
        (["false"], [], False),
        (["false"], "x", True),
        (["false"], ["x", "y"], True),
        ([True], ABSENT, True),
        ([False], "x", True),
    ],
)
def test_null(values: list[Any], request_value: Any, expected: bool) -> None:
    values = ["true" if v is True else "false" if v is False else v for v in values]
    check("Null", values, request_value, expected, key="aws:TokenIssueTime")


@pytest.mark.parametrize("request_value", [ABSENT, [], "x", ["x", "y"]], ids=["missing", "empty", "one", "two"])
@pytest.mark.parametrize("value", ["true", "false"])
def test_null_with_qualifiers_is_ambiguous(value: str, request_value: Any) -> None:
    # Access Analyzer says Null with ForAllValues / ForAnyValue "always return true or false";
    # the condition operators page defines Null as a test for presence: an ambiguous
    # construct (docs/semantics.md), evaluated fail-closed as an error
    assert outcome("ForAllValues:Null", [value], request_value) == ERROR
    assert outcome("ForAnyValue:Null", [value], request_value) == ERROR


# ------------------------------------------------------------------------------------------
# Multi-valued request keys and the set qualifiers
# ------------------------------------------------------------------------------------------

MULTI: list[tuple[str, list[str], Any, bool | str]] = [
    # plain positive operator on a multi-valued key: no match, even if a value matches
    ("StringEquals", ["a"], ["a", "b"], False),
    ("StringEquals", ["a", "b"], ["a", "b"], False),
    ("StringLike", ["*"], ["a", "b"], False),
    ("StringEqualsIfExists", ["a"], ["a", "b"], False),
    ("NumericLessThan", ["10"], ["1", "2"], False),
    # plain negated operator on a multi-valued key: evaluation error
    ("StringNotEquals", ["a"], ["b", "c"], ERROR),
    ("StringNotLike", ["a*"], ["b", "c"], ERROR),
    ("NotIpAddress", ["203.0.113.0/24"], ["198.51.100.1", "198.51.100.2"], ERROR),
    ("ArnNotLike", ["arn:aws:s3:::a"], ["arn:aws:s3:::b", "arn:aws:s3:::c"], ERROR),
    # a one-element list is single-valued
    ("StringEquals", ["a"], ["a"], True),
    ("StringNotEquals", ["a"], ["b"], True),
    # ForAllValues: every request value matches some policy value
    ("ForAllValues:StringEquals", ["Env", "Owner"], ["Env", "Owner"], True),
    ("ForAllValues:StringEquals", ["Env", "Owner"], ["Env"], True),
    ("ForAllValues:StringEquals", ["Env", "Owner"], ["Env", "Cost"], False),
    ("ForAllValues:StringEquals", ["Env", "Owner"], ["env"], False),
    ("ForAllValues:StringEqualsIgnoreCase", ["Env", "Owner"], ["env", "OWNER"], True),
    ("ForAllValues:StringLike", ["dr-*"], ["dr-1", "dr-2"], True),
    ("ForAllValues:StringLike", ["dr-*"], ["dr-1", "x"], False),
    # ForAnyValue: some request value matches some policy value
    ("ForAnyValue:StringEquals", ["Env"], ["Cost", "Env"], True),
    ("ForAnyValue:StringEquals", ["Env"], ["Cost", "Owner"], False),
    ("ForAnyValue:StringLike", ["dr-*"], ["x", "dr-1"], True),
    ("ForAnyValue:NumericGreaterThan", ["10"], ["1", "11"], True),
    ("ForAnyValue:NumericGreaterThan", ["10"], ["1", "10"], False),
    ("ForAnyValue:IpAddress", ["203.0.113.0/24"], ["198.51.100.1", "203.0.113.1"], True),
    ("ForAnyValue:ArnLike", ["arn:aws:iam::*:role/dr-*"],
     ["arn:aws:iam::1:role/x", "arn:aws:iam::1:role/dr-1"], True),
    # negated operators under qualifiers apply per request value
    ("ForAllValues:StringNotEquals", ["a", "b"], ["c", "d"], True),
    ("ForAllValues:StringNotEquals", ["a", "b"], ["c", "a"], False),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "c"], True),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "b"], False),
    ("ForAllValues:NotIpAddress", ["203.0.113.0/24"], ["198.51.100.1", "198.51.100.2"], True),
    ("ForAnyValue:StringNotLike", ["dr-*"], ["dr-1", "dr-2"], False),
    # a qualifier on a single-valued key treats it as a one-element set
    ("ForAllValues:StringEquals", ["a"], "a", True),
    ("ForAllValues:StringEquals", ["a"], "b", False),
    ("ForAnyValue:StringEquals", ["a"], "a", True),
    # qualifiers: unparseable request values are still errors
    # ... whatever the order of the request values
    ("ForAnyValue:NumericLessThan", ["10"], ["1", "abc"], ERROR),
    ("ForAnyValue:NumericLessThan", ["10"], ["abc", "1"], ERROR),
    ("ForAllValues:NumericLessThan", ["10"], ["11", "abc"], ERROR),
    ("ForAllValues:NumericLessThan", ["10"], ["abc", "11"], ERROR),
    ("ForAllValues:Bool", ["true"], ["true", "maybe"], ERROR),
]


@pytest.mark.parametrize(("op", "values", "request_value", "expected"), MULTI, ids=_ids(MULTI))
def test_multi_valued_keys(op: str, values: list[str], request_value: Any, expected: bool | str) -> None:
    # a key of unknown type: its shape in the request decides
    check(op, values, request_value, expected, key="ctx:tags")


@pytest.mark.parametrize("op", ["StringEquals", "StringLike", "StringNotEquals", "StringEqualsIfExists"])
@pytest.mark.parametrize("request_value", ["a", ["a"], ["a", "b"]])
def test_plain_operator_on_a_multivalued_key_is_ambiguous(op: str, request_value: Any) -> None:
    # aws:TagKeys and aws:CalledVia are ArrayOfString in AWS's authorization data: a plain
    # operator on them is ambiguous whatever the request's shape (issue 11, item 5)
    for key in ("aws:TagKeys", "aws:CalledVia"):
        assert outcome(op, ["*" if "Like" in op else "a"], request_value, key=key) == ERROR
    assert outcome(op, ["a"], ABSENT, key="aws:TagKeys") is (op == "StringNotEquals" or "IfExists" in op)


def test_for_all_values_allows_a_request_without_tags() -> None:
    # The User Guide's warning: ForAllValues with Allow admits a request that sends no tags.
    role = role_with("ForAllValues:StringEquals", ["Env", "Owner"], key="aws:TagKeys")
    assert role.is_allowed("s3:GetObject", "*")
    assert role.is_allowed("s3:GetObject", "*", {"aws:TagKeys": []})
    assert not role.is_allowed("s3:GetObject", "*", {"aws:TagKeys": ["Env", "Secret"]})


# ------------------------------------------------------------------------------------------
# Empty policy value lists: ambiguous whether the key is present or not (issue 11: a Deny with
# `[]` must never be inert, an Allow never grants through it)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        "StringEquals", "StringNotEquals", "StringLike", "NumericLessThan",
        "StringEqualsIfExists", "StringNotEqualsIfExists", "ForAllValues:StringEquals",
        "ForAllValues:StringNotEquals", "ForAnyValue:StringEquals", "ForAnyValue:StringNotEquals",
        "Null",
    ],
)
def test_empty_policy_value_list(op: str) -> None:
    for request in (ABSENT, [], "x", ["x", "y"]):
        assert outcome(op, [], request) == ERROR, request
    end_to_end(op, [], ABSENT, ERROR)
    end_to_end(op, [], "1", ERROR)


def test_a_deny_with_an_empty_value_list_is_never_inert() -> None:
    # issue 11's repro: no context at all, so the key is missing
    import drpolicy

    decision = drpolicy.authorize(
        "arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::b/k",
        identity_policies=[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": []}}},
        ]}],
    )
    assert decision.decision == "ExplicitlyDenied"
    assert not decision.definite
    assert "empty value list" in str(decision.errors[0])


# ------------------------------------------------------------------------------------------
# Boolean structure: AND across operators and keys, OR across values
# ------------------------------------------------------------------------------------------


def test_and_across_operators_and_keys() -> None:
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:PrincipalTag/team": ["red", "blue"], "s3:prefix": "home/"},
            "Bool": {"aws:SecureTransport": "true"},
        }}]}])
    full = {"aws:PrincipalTag/team": "blue", "s3:prefix": "home/", "aws:SecureTransport": "true"}
    assert role.is_allowed("s3:GetObject", "*", full)
    for key, bad in [("aws:PrincipalTag/team", "green"), ("s3:prefix", "x/"), ("aws:SecureTransport", "false")]:
        assert not role.is_allowed("s3:GetObject", "*", full | {key: bad}), key
        partial = {k: v for k, v in full.items() if k != key}
        assert not role.is_allowed("s3:GetObject", "*", partial), key
        assert role.evaluate("s3:GetObject", "*", partial).missing_context == (key,)


def test_condition_key_names_are_case_insensitive() -> None:
    role = role_with("StringEquals", ["203.0.113.1"], key="aws:SourceIP")
    for spelling in ["aws:SourceIP", "AWS:SourceIp", "aws:sourceip", "AWS:SOURCEIP"]:
        assert role.is_allowed("s3:GetObject", "*", {spelling: "203.0.113.1"}), spelling
    assert not role.is_allowed("s3:GetObject", "*", {"aws:SourceIp": "203.0.113.2"})


def test_tag_key_part_is_case_insensitive() -> None:
    role = role_with("StringEquals", ["test1"], key="aws:ResourceTag/TagKey1")
    assert role.is_allowed("s3:GetObject", "*", {"aws:resourcetag/tagkey1": "test1"})
    assert not role.is_allowed("s3:GetObject", "*", {"aws:ResourceTag/TagKey1": "TEST1"})


def test_values_are_case_sensitive_for_string_equals() -> None:
    assert outcome("StringEquals", ["Red"], "red") is False
    assert outcome("StringEqualsIgnoreCase", ["Red"], "red") is True


# ------------------------------------------------------------------------------------------
# Policy variables in condition values (decision 4)
# ------------------------------------------------------------------------------------------

TEAM = {"aws:PrincipalTag/team": "red"}

VARIABLES: list[tuple[str, list[str], Any, dict[str, Any], bool | str]] = [
    # a variable resolves from the request context (keys case-insensitive)
    ("StringEquals", ["${aws:PrincipalTag/team}"], "red", TEAM, True),
    ("StringEquals", ["${aws:PrincipalTag/team}"], "blue", TEAM, False),
    ("StringEquals", ["${AWS:principaltag/TEAM}"], "red", TEAM, True),
    ("StringEquals", ["team-${aws:PrincipalTag/team}"], "team-red", TEAM, True),
    ("StringEqualsIgnoreCase", ["${aws:PrincipalTag/team}"], "RED", TEAM, True),
    # no value and no default: a positive operator's value matches nothing
    ("StringEquals", ["${aws:PrincipalTag/team}"], "red", {}, False),
    ("StringEquals", ["${aws:PrincipalTag/team}", "red"], "red", {}, True),
    ("StringLike", ["home/${aws:username}/*"], "home/bob/x", {}, False),
    # a multi-valued key cannot be a variable
    ("StringEquals", ["${aws:TagKeys}"], "a", {"aws:TagKeys": ["a", "b"]}, False),
    # defaults
    ("StringEquals", ["${aws:PrincipalTag/team, 'company-wide'}"], "company-wide", {}, True),
    ("StringEquals", ["${aws:PrincipalTag/team, 'company-wide'}"], "red", TEAM, True),
    ("StringEquals", ["${aws:PrincipalTag/team, 'company-wide'}"], "company-wide", TEAM, False),
    ("StringEquals", ["${aws:PrincipalTag/team,'x'}"], "x", {}, True),
    ("StringEquals", ["${aws:PrincipalTag/team, ''}"], "", {}, True),
    # escapes
    ("StringEquals", ["${*}"], "*", {}, True),
    ("StringEquals", ["${*}"], "x", {}, False),
    ("StringLike", ["a${*}"], "a*", {}, True),
    ("StringLike", ["a${*}"], "ab", {}, False),
    ("StringLike", ["a${?}"], "a?", {}, True),
    ("StringLike", ["a${?}"], "ab", {}, False),
    ("StringEquals", ["${$}"], "$", {}, True),
    ("StringEquals", ["${$}{aws:username}"], "${aws:username}", {"aws:username": "bob"}, True),
    ("StringEquals", ["${$}{aws:username}"], "bob", {"aws:username": "bob"}, False),
    # substituted values are literal, even under StringLike
    ("StringLike", ["home/${aws:username}/*"], "home/bob/x", {"aws:username": "bob"}, True),
    ("StringLike", ["home/${aws:username}/*"], "home/b*/x", {"aws:username": "b*"}, True),
    ("StringLike", ["home/${aws:username}/*"], "home/bob/x", {"aws:username": "b*"}, False),
    ("StringLike", ["home/${aws:username}/*"], "home/bXb/x", {"aws:username": "b?b"}, False),
    ("StringLike", ["${k2, 'a*'}"], "abc", {}, False),
    ("StringLike", ["${k2, 'a*'}"], "a*", {}, True),
    ("StringLike", ["", "home/", "home/${aws:username}/*"], "", {"aws:username": "bob"}, True),
    ("StringLike", ["", "home/", "home/${aws:username}/*"], "home/alice/x", {"aws:username": "bob"}, False),
    # ARN operators: substituted per field, literal
    ("ArnLike", ["arn:aws:iam::${aws:PrincipalAccount}:role/*"], "arn:aws:iam::123456789012:role/x",
     {"aws:PrincipalAccount": "123456789012"}, True),
    ("ArnLike", ["arn:aws:iam::${aws:PrincipalAccount}:role/*"], "arn:aws:iam::999999999999:role/x",
     {"aws:PrincipalAccount": "123456789012"}, False),
    ("ArnLike", ["arn:aws:iam::*:role/${aws:username}"], "arn:aws:iam::1:role/bob",
     {"aws:username": "b*"}, False),
    # Bool accepts variables (the operators page; the variables page disagrees, S26)
    ("Bool", ["${aws:PrincipalTag/mfa}"], "true", {"aws:PrincipalTag/mfa": "TRUE"}, True),
    ("Bool", ["${aws:PrincipalTag/mfa}"], "true", {"aws:PrincipalTag/mfa": "false"}, False),
    ("Bool", ["${aws:PrincipalTag/mfa}"], "true", {"aws:PrincipalTag/mfa": "maybe"}, ERROR),
    # unresolved variable in a negated operator: evaluation error (fail closed)
    ("StringNotEquals", ["${aws:PrincipalTag/team}"], "red", {}, ERROR),
    ("StringNotLike", ["home/${aws:username}/*"], "home/bob/x", {}, ERROR),
    ("ArnNotLike", ["arn:aws:iam::${aws:ResourceTag/acct}:role/*"], "arn:aws:iam::1:role/x", {}, ERROR),
    ("StringNotEquals", ["${aws:PrincipalTag/team}"], "red", TEAM, False),
    ("StringNotEquals", ["${aws:PrincipalTag/team}"], "blue", TEAM, True),
    ("StringNotEquals", ["${aws:PrincipalTag/team, 'x'}"], "blue", {}, True),
]


@pytest.mark.parametrize(
    ("op", "values", "request_value", "extra", "expected"), VARIABLES,
    ids=[f"{v[0]}-{v[1]}-{v[2]!r}-{sorted(v[3])}" for v in VARIABLES],
)
def test_variables(op: str, values: list[str], request_value: Any, extra: dict[str, Any], expected: bool | str) -> None:
    check(op, values, request_value, expected, key="k", extra=extra)


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_no_variables_without_version_2012(version: str | None) -> None:
    assert outcome("StringEquals", ["${aws:username}"], "${aws:username}", extra={"aws:username": "bob"},
                   variables=False) is True
    assert outcome("StringEquals", ["${aws:username}"], "bob", extra={"aws:username": "bob"},
                   variables=False) is False
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"StringEquals": {"k": "${aws:username}"}}}
    document: dict[str, Any] = {"Statement": [statement]}
    if version:
        document["Version"] = version
    role = drpolicy.Role.from_policies("r", [document])
    assert role.is_allowed("s3:GetObject", "*", {"k": "${aws:username}", "aws:username": "bob"})
    assert not role.is_allowed("s3:GetObject", "*", {"k": "bob", "aws:username": "bob"})
    # and a negated operator with a `${...}` that would be unresolved is just text
    negated = drpolicy.Role.from_policies("r", [document | {"Statement": [
        statement | {"Condition": {"StringNotEquals": {"k": "${nothing}"}}}]}])
    d = negated.evaluate("s3:GetObject", "*", {"k": "x"})
    assert d.allowed and d.errors == ()


@pytest.mark.parametrize(
    ("op", "value"),
    [("NumericEquals", "${k}"), ("NumericLessThan", "1${k}"), ("DateEquals", "${aws:CurrentTime}"),
     ("IpAddress", "${aws:SourceIp}"), ("NotIpAddress", "${x}"), ("BinaryEquals", "${x}"), ("Null", "${x}")],
)
def test_variables_rejected_where_not_allowed(op: str, value: str) -> None:
    with pytest.raises(ValueError):
        compiled(op, [value])
    with pytest.raises(PolicyParseError) as info:
        drpolicy.load_policy({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"k": value}}}]})
    assert info.value.problems[0].path == f"Statement[0].Condition.{op}.k"


@pytest.mark.parametrize("value", ["${", "${aws:username", "a${}b", "${aws:username, x}", "${a b}", "${aws:username, 'x}"])
def test_malformed_variables_are_parse_errors(value: str) -> None:
    with pytest.raises(ValueError):
        compiled("StringEquals", [value])
    # without Version 2012-10-17 they are just text
    compiled("StringEquals", [value], variables=False)


def test_variable_references_are_reported_as_missing_context() -> None:
    role = role_with("StringEquals", ["${aws:PrincipalTag/team}"], key="aws:ResourceTag/team")
    d = role.evaluate("s3:GetObject", "*", {"aws:ResourceTag/team": "red"})
    assert not d.allowed
    assert "aws:principaltag/team" in [k.lower() for k in d.missing_context]


def test_negated_operator_with_unresolved_variable_fails_closed_end_to_end() -> None:
    # S32 open question 7: StringNotEquals {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}
    # when the resource has no tag: drpolicy reports an error; a Deny applies, an Allow does not.
    deny = role_with("StringNotEquals", ["${aws:ResourceTag/team}"], key="aws:PrincipalTag/team", effect="Deny")
    d = deny.evaluate("s3:GetObject", "*", {"aws:PrincipalTag/team": "red"})
    assert d.decision == "ExplicitlyDenied"
    assert len(d.errors) == 1 and "no value" in d.errors[0].message
    allow = role_with("StringNotEquals", ["${aws:ResourceTag/team}"], key="aws:PrincipalTag/team")
    d = allow.evaluate("s3:GetObject", "*", {"aws:PrincipalTag/team": "red"})
    assert d.decision == "ImplicitlyDenied"
    assert len(d.errors) == 1


# ------------------------------------------------------------------------------------------
# The catalog's conditions, in the catalog's own words
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("True", True), ("yes", False), ("false", False), ("", False)],
)
def test_existing_object_tag_string_equals_ignore_case(value: str, expected: bool) -> None:
    check("StringEqualsIgnoreCase", ["true"], value, expected, key="s3:ExistingObjectTag/DeepRacer")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sagemaker.amazonaws.com", True), ("robomaker.amazonaws.com", False),
     ("SageMaker.amazonaws.com", False), (ABSENT, False)],
)
def test_passed_to_service_string_equals(value: Any, expected: bool) -> None:
    check("StringEquals", ["sagemaker.amazonaws.com"], value, expected, key="iam:PassedToService")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("lambda.amazonaws.com", True), ("sagemaker.amazonaws.com", False), (ABSENT, True)],
)
def test_passed_to_service_string_like_if_exists(value: Any, expected: bool) -> None:
    # AWSDeepRacerCloudFormationAccessPolicy v2 (not in the seed): a service that does not
    # populate iam:PassedToService passes the IfExists condition
    check("StringLikeIfExists", ["lambda.amazonaws.com"], value, expected, key="iam:PassedToService")


@pytest.mark.parametrize(
    ("context", "expected"),
    [({}, True), ({"aws:MultiFactorAuthPresent": "false"}, True), ({"aws:MultiFactorAuthPresent": "true"}, False)],
)
def test_bool_if_exists_mfa_deny(context: dict[str, str], expected: bool) -> None:
    # NotAction page: Deny ... BoolIfExists {"aws:MultiFactorAuthPresent": "false"} denies
    # callers with long-term keys (key absent) and callers without MFA
    assert outcome("BoolIfExists", ["false"], context.get("aws:MultiFactorAuthPresent", ABSENT),
                   key="aws:MultiFactorAuthPresent") is expected
    assert outcome("Bool", ["false"], context.get("aws:MultiFactorAuthPresent", ABSENT),
                   key="aws:MultiFactorAuthPresent") is (context.get("aws:MultiFactorAuthPresent") == "false")


def test_substituted_value_never_shifts_arn_fields() -> None:
    # ArnLike compares "each of the six colon-delimited components" separately; a substituted
    # value is literal text inside its field, so a value with a colon cannot make the request's
    # account `1` and resource `2:role/x` line up with a pattern account `1:2`.
    clause = compiled("ArnLike", ["arn:aws:iam::${aws:PrincipalTag/acct}:role/x"])
    context = normalise_context({"k": "arn:aws:iam::1:2:role/x", "aws:PrincipalTag/acct": "1:2"})
    assert clause(context) is False
    ok = normalise_context({"k": "arn:aws:iam::123456789012:role/x", "aws:PrincipalTag/acct": "123456789012"})
    assert clause(ok) is True
