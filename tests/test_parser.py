"""The policy parser: accepted shapes, and every problem path and code for malformed documents.

The grammar is the IAM User Guide's "Grammar of the IAM JSON policy language": Statement as one
object or a list, string-or-list elements, Version 2012-10-17 / 2008-10-17 / absent. Every
problem is collected (not just the first) and named by its place in the document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import drpolicy
from drpolicy import DrpolicyError, PolicyParseError, Problem, UnknownOperatorError
from drpolicy.model import ConditionEntry, PrincipalSpec, Statement
from drpolicy.parser import check_policy_type, load_policy, parse_policy

V = "2012-10-17"

DOCUMENTED_CODES = {
    "json", "type", "missing", "unknown-element", "duplicate-key", "conflict", "value",
    "unknown-operator", "invalid-arn", "variable",
}


def doc(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        out["Version"] = version
    return out


def stmt(**elements: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    for key, value in elements.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def problems_of(source: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(source, **kwargs)
    err = info.value
    assert err.problems, "a PolicyParseError always carries problems"
    assert err.path == err.problems[0].path
    assert err.value == err.problems[0].value
    for p in err.problems:
        assert isinstance(p, Problem)
        assert p.code in DOCUMENTED_CODES, p
        assert p.message and not p.message.endswith("."), p.message
    return [(p.path, p.code) for p in err.problems]


# ------------------------------------------------------------------------------------------
# Malformed documents: one row per problem, with the exact path and code
# ------------------------------------------------------------------------------------------

S0 = "Statement[0]"

MALFORMED: list[tuple[str, Any, list[tuple[str, str]]]] = [
    # the document itself
    ("truncated-json", '{"Version": "2012-10-17"', [("", "json")]),
    ("not-json", "Version: 2012-10-17", [("", "json")]),
    ("trailing-comma", '{"Statement": [],}', [("", "json")]),
    ("bad-utf8", b'{"Statement": "\xff"}', [("", "json")]),
    ("top-level-array", "[]", [("", "type")]),
    ("top-level-null", "null", [("", "type")]),
    ("top-level-string", '"policy"', [("", "type")]),
    ("not-a-document", 42, [("", "type")]),
    ("none", None, [("", "type")]),
    ("list-object", [stmt()], [("", "type")]),
    ("missing-statement", {"Version": V}, [("Statement", "missing")]),
    ("unknown-top-element", {"Version": V, "Statement": [], "Extra": 1},
     [("Extra", "unknown-element")]),
    ("version-lower-case-key", {"version": V, "Statement": []}, [("version", "unknown-element")]),
    ("statement-lower-case-key", {"Version": V, "statement": []},
     [("statement", "unknown-element"), ("Statement", "missing")]),
    ("bad-version", {"Version": "2012-10-18", "Statement": []}, [("Version", "value")]),
    ("version-number", {"Version": 2012, "Statement": []}, [("Version", "value")]),
    ("version-null", {"Version": None, "Statement": []}, [("Version", "value")]),
    ("id-number", {"Version": V, "Id": 7, "Statement": []}, [("Id", "type")]),
    ("statement-string", {"Version": V, "Statement": "Allow"}, [("Statement", "type")]),
    ("statement-null", {"Version": V, "Statement": None}, [("Statement", "type")]),
    ("statement-item-number", doc(1), [(S0, "type")]),  # type: ignore[arg-type]
    ("statement-item-list", doc([stmt()]), [(S0, "type")]),  # type: ignore[arg-type]
    # Effect
    ("empty-statement", doc({}), [(f"{S0}.Effect", "missing"), (f"{S0}.Action", "missing")]),
    ("effect-missing", doc(stmt(Effect=None)), [(f"{S0}.Effect", "missing")]),
    ("effect-lower-case", doc(stmt(Effect="allow")), [(f"{S0}.Effect", "value")]),
    ("effect-upper-case", doc(stmt(Effect="DENY")), [(f"{S0}.Effect", "value")]),
    ("effect-other-word", doc(stmt(Effect="Permit")), [(f"{S0}.Effect", "value")]),
    ("effect-boolean", doc(stmt(Effect=True)), [(f"{S0}.Effect", "value")]),
    # Sid
    ("sid-number", doc(stmt(Sid=1)), [(f"{S0}.Sid", "type")]),
    ("sid-list", doc(stmt(Sid=["a"])), [(f"{S0}.Sid", "type")]),
    # unknown statement elements
    ("statement-element-typo", doc(stmt(Resources="*")), [(f"{S0}.Resources", "unknown-element")]),
    ("statement-element-case", doc(stmt(effect="Allow")), [(f"{S0}.effect", "unknown-element")]),
    # Action / NotAction
    ("action-missing", doc(stmt(Action=None)), [(f"{S0}.Action", "missing")]),
    ("action-and-notaction", doc(stmt(NotAction="s3:PutObject")), [(f"{S0}.NotAction", "conflict")]),
    ("action-number", doc(stmt(Action=5)), [(f"{S0}.Action", "type")]),
    ("action-object", doc(stmt(Action={"s3": "GetObject"})), [(f"{S0}.Action", "type")]),
    ("action-null", doc({"Effect": "Allow", "Action": None, "Resource": "*"}),
     [(f"{S0}.Action", "type")]),
    ("action-list-item", doc(stmt(Action=["s3:GetObject", 5, None])),
     [(f"{S0}.Action[1]", "type"), (f"{S0}.Action[2]", "type")]),
    ("action-no-colon", doc(stmt(Action="s3GetObject")), [(f"{S0}.Action", "value")]),
    ("action-two-colons", doc(stmt(Action="s3:Get:Object")), [(f"{S0}.Action", "value")]),
    ("action-empty", doc(stmt(Action="")), [(f"{S0}.Action", "value")]),
    ("action-list-no-colon", doc(stmt(Action=["s3:GetObject", "iam"])),
     [(f"{S0}.Action[1]", "value")]),
    ("notaction-no-colon", doc(stmt(Action=None, NotAction="iam")), [(f"{S0}.NotAction", "value")]),
    # Resource / NotResource
    ("resource-and-notresource", doc(stmt(NotResource="*")), [(f"{S0}.NotResource", "conflict")]),
    ("resource-not-arn", doc(stmt(Resource="my-bucket")), [(f"{S0}.Resource", "invalid-arn")]),
    ("resource-list-not-arn", doc(stmt(Resource=["*", "arn:aws:s3"])),
     [(f"{S0}.Resource[1]", "invalid-arn")]),
    ("resource-three-fields", doc(stmt(Resource="arn:aws:sqs")), [(f"{S0}.Resource", "invalid-arn")]),
    ("resource-upper-arn-prefix", doc(stmt(Resource="ARN:aws:s3:::b")),
     [(f"{S0}.Resource", "invalid-arn")]),
    ("resource-number", doc(stmt(Resource=1)), [(f"{S0}.Resource", "type")]),
    ("notresource-not-arn", doc(stmt(Resource=None, NotResource="bucket")),
     [(f"{S0}.NotResource", "invalid-arn")]),
    ("resource-variable-in-region", doc(stmt(Resource="arn:aws:s3:${aws:RequestedRegion}::b")),
     [(f"{S0}.Resource", "variable")]),
    ("resource-variable-in-account", doc(stmt(Resource="arn:aws:s3::${aws:PrincipalAccount}:b")),
     [(f"{S0}.Resource", "variable")]),
    ("resource-variable-unterminated", doc(stmt(Resource="arn:aws:s3:::home/${aws:username")),
     [(f"{S0}.Resource", "variable")]),
    ("resource-variable-empty", doc(stmt(Resource="arn:aws:s3:::home/${}")),
     [(f"{S0}.Resource", "variable")]),
    # Principal / NotPrincipal
    ("principal-and-notprincipal", doc(stmt(Principal="*", NotPrincipal="*")),
     [(f"{S0}.NotPrincipal", "conflict")]),
    ("principal-bare-string", doc(stmt(Principal="alice")), [(f"{S0}.Principal", "type")]),
    ("principal-list", doc(stmt(Principal=["*"])), [(f"{S0}.Principal", "type")]),
    ("principal-key-case", doc(stmt(Principal={"aws": "*"})), [(f"{S0}.Principal.aws", "unknown-element")]),
    ("principal-key-unknown", doc(stmt(Principal={"User": "alice"})),
     [(f"{S0}.Principal.User", "unknown-element")]),
    ("principal-partial-wildcard", doc(stmt(Principal={"AWS": "arn:aws:iam::123456789012:user/*"})),
     [(f"{S0}.Principal.AWS", "value")]),
    ("principal-account-wildcard", doc(stmt(Principal={"AWS": "arn:aws:iam::*:root"})),
     [(f"{S0}.Principal.AWS", "value")]),
    ("principal-not-arn", doc(stmt(Principal={"AWS": ["123456789012", "bob"]})),
     [(f"{S0}.Principal.AWS[1]", "value")]),
    ("principal-short-account", doc(stmt(Principal={"AWS": "12345"})), [(f"{S0}.Principal.AWS", "value")]),
    ("principal-empty", doc(stmt(Principal={"AWS": ""})), [(f"{S0}.Principal.AWS", "value")]),
    ("principal-number", doc(stmt(Principal={"AWS": 123456789012})), [(f"{S0}.Principal.AWS", "type")]),
    ("principal-service-wildcard", doc(stmt(Principal={"Service": "*.amazonaws.com"})),
     [(f"{S0}.Principal.Service", "value")]),
    ("notprincipal-bad", doc(stmt(Effect="Deny", NotPrincipal={"AWS": "bob"})),
     [(f"{S0}.NotPrincipal.AWS", "value")]),
    # Condition block shape
    ("condition-string", doc(stmt(Condition="x")), [(f"{S0}.Condition", "type")]),
    ("condition-list", doc(stmt(Condition=[{"StringEquals": {"k": "v"}}])), [(f"{S0}.Condition", "type")]),
    ("condition-operator-string", doc(stmt(Condition={"StringEquals": "x"})),
     [(f"{S0}.Condition.StringEquals", "type")]),
    ("condition-value-object", doc(stmt(Condition={"StringEquals": {"k": {"a": 1}}})),
     [(f"{S0}.Condition.StringEquals.k", "type")]),
    ("condition-value-null", doc(stmt(Condition={"StringEquals": {"k": None}})),
     [(f"{S0}.Condition.StringEquals.k", "type")]),
    ("condition-value-list-item", doc(stmt(Condition={"StringEquals": {"k": ["a", None, []]}})),
     [(f"{S0}.Condition.StringEquals.k[1]", "type"), (f"{S0}.Condition.StringEquals.k[2]", "type")]),
    ("condition-key-case-duplicate",
     doc(stmt(Condition={"StringEquals": {"aws:username": "a", "AWS:UserName": "b"}})),
     [(f"{S0}.Condition.StringEquals.AWS:UserName", "duplicate-key")]),
    # Condition operators: unknown, mis-cased, malformed qualifiers
    ("operator-unknown", doc(stmt(Condition={"StringEqual": {"k": "v"}})),
     [(f"{S0}.Condition.StringEqual", "unknown-operator")]),
    ("operator-lower-case", doc(stmt(Condition={"stringequals": {"k": "v"}})),
     [(f"{S0}.Condition.stringequals", "unknown-operator")]),
    ("operator-suffix-case", doc(stmt(Condition={"StringEqualsifExists": {"k": "v"}})),
     [(f"{S0}.Condition.StringEqualsifExists", "unknown-operator")]),
    ("operator-qualifier-no-colon", doc(stmt(Condition={"ForAllValuesStringEquals": {"k": "v"}})),
     [(f"{S0}.Condition.ForAllValuesStringEquals", "unknown-operator")]),
    ("operator-qualifier-plural", doc(stmt(Condition={"ForAnyValues:StringEquals": {"k": "v"}})),
     [(f"{S0}.Condition.ForAnyValues:StringEquals", "unknown-operator")]),
    ("operator-qualifier-case", doc(stmt(Condition={"forallvalues:StringEquals": {"k": "v"}})),
     [(f"{S0}.Condition.forallvalues:StringEquals", "unknown-operator")]),
    ("operator-null-if-exists", doc(stmt(Condition={"NullIfExists": {"k": "true"}})),
     [(f"{S0}.Condition.NullIfExists", "unknown-operator")]),
    ("operator-ifexists-alone", doc(stmt(Condition={"IfExists": {"k": "v"}})),
     [(f"{S0}.Condition.IfExists", "unknown-operator")]),
    ("operator-number-not-equal", doc(stmt(Condition={"NumberEquals": {"k": "1"}})),
     [(f"{S0}.Condition.NumberEquals", "unknown-operator")]),
    # Condition values that cannot be parsed for their operator
    ("numeric-not-number", doc(stmt(Condition={"NumericLessThan": {"s3:max-keys": "ten"}})),
     [(f"{S0}.Condition.NumericLessThan.s3:max-keys", "value")]),
    ("numeric-boolean", doc(stmt(Condition={"NumericEquals": {"k": True}})),
     [(f"{S0}.Condition.NumericEquals.k", "value")]),
    ("date-not-date", doc(stmt(Condition={"DateGreaterThan": {"aws:CurrentTime": "yesterday"}})),
     [(f"{S0}.Condition.DateGreaterThan.aws:CurrentTime", "value")]),
    ("date-bad-month", doc(stmt(Condition={"DateLessThan": {"aws:CurrentTime": "2024-13-01"}})),
     [(f"{S0}.Condition.DateLessThan.aws:CurrentTime", "value")]),
    ("date-bad-day", doc(stmt(Condition={"DateLessThan": {"aws:CurrentTime": "2023-02-29"}})),
     [(f"{S0}.Condition.DateLessThan.aws:CurrentTime", "value")]),
    ("ip-bad-octet", doc(stmt(Condition={"IpAddress": {"aws:SourceIp": "203.0.113.300/24"}})),
     [(f"{S0}.Condition.IpAddress.aws:SourceIp", "value")]),
    ("ip-bad-prefix", doc(stmt(Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/33"}})),
     [(f"{S0}.Condition.NotIpAddress.aws:SourceIp", "value")]),
    ("ip-hostname", doc(stmt(Condition={"IpAddress": {"aws:SourceIp": "example.com"}})),
     [(f"{S0}.Condition.IpAddress.aws:SourceIp", "value")]),
    ("binary-not-base64", doc(stmt(Condition={"BinaryEquals": {"k": "not base64!"}})),
     [(f"{S0}.Condition.BinaryEquals.k", "value")]),
    ("bool-yes", doc(stmt(Condition={"Bool": {"aws:SecureTransport": "yes"}})),
     [(f"{S0}.Condition.Bool.aws:SecureTransport", "value")]),
    ("bool-number", doc(stmt(Condition={"Bool": {"aws:SecureTransport": 1}})),
     [(f"{S0}.Condition.Bool.aws:SecureTransport", "value")]),
    ("arn-not-arn", doc(stmt(Condition={"ArnLike": {"aws:SourceArn": "my-bucket"}})),
     [(f"{S0}.Condition.ArnLike.aws:SourceArn", "value")]),
    ("null-maybe", doc(stmt(Condition={"Null": {"k": "maybe"}})), [(f"{S0}.Condition.Null.k", "value")]),
    # policy variables where the operator does not allow them (Version 2012-10-17)
    ("variable-in-numeric", doc(stmt(Condition={"NumericEquals": {"k": "${aws:username}"}})),
     [(f"{S0}.Condition.NumericEquals.k", "variable")]),
    ("variable-in-date", doc(stmt(Condition={"DateEquals": {"k": "${aws:CurrentTime}"}})),
     [(f"{S0}.Condition.DateEquals.k", "variable")]),
    ("variable-in-ip", doc(stmt(Condition={"IpAddress": {"aws:SourceIp": "${aws:SourceIp}"}})),
     [(f"{S0}.Condition.IpAddress.aws:SourceIp", "variable")]),
    ("variable-in-binary", doc(stmt(Condition={"BinaryEquals": {"k": "${k}"}})),
     [(f"{S0}.Condition.BinaryEquals.k", "variable")]),
    ("variable-in-null", doc(stmt(Condition={"Null": {"k": "${k}"}})), [(f"{S0}.Condition.Null.k", "variable")]),
    ("variable-unterminated", doc(stmt(Condition={"StringEquals": {"k": "${aws:username"}})),
     [(f"{S0}.Condition.StringEquals.k", "variable")]),
    ("variable-empty", doc(stmt(Condition={"StringLike": {"k": "a${}"}})),
     [(f"{S0}.Condition.StringLike.k", "variable")]),
    ("variable-bad-default-quotes", doc(stmt(Condition={"StringEquals": {"k": '${aws:username, "x"}'}})),
     [(f"{S0}.Condition.StringEquals.k", "variable")]),
]


@pytest.mark.parametrize(("source", "expected"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_document(source: Any, expected: list[tuple[str, str]]) -> None:
    assert problems_of(source) == expected


MALFORMED_OBJECTS = [m for m in MALFORMED if isinstance(m[1], (dict, list))]


@pytest.mark.parametrize(
    ("source", "expected"), [m[1:] for m in MALFORMED_OBJECTS], ids=[m[0] for m in MALFORMED_OBJECTS]
)
def test_malformed_document_as_json_text(source: Any, expected: list[tuple[str, str]]) -> None:
    text = json.dumps(source)
    assert problems_of(text) == expected
    assert problems_of(text.encode("utf-8")) == expected


def test_case_hint_names_the_right_spelling() -> None:
    with pytest.raises(PolicyParseError, match="spelled `Allow`"):
        parse_policy(doc(stmt(Effect="allow")))
    with pytest.raises(PolicyParseError, match="spelled `Version`"):
        parse_policy({"version": V, "Statement": []})
    with pytest.raises(PolicyParseError, match="spelled `StringEquals`"):
        parse_policy(doc(stmt(Condition={"stringEquals": {"k": "v"}})))
    with pytest.raises(PolicyParseError, match="spelled `AWS`"):
        parse_policy(doc(stmt(Principal={"aws": "*"})))


# ------------------------------------------------------------------------------------------
# Duplicate keys (only detectable in JSON text)
# ------------------------------------------------------------------------------------------

DUPLICATES = [
    ("top-level", '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}',
     [("Version", "duplicate-key")]),
    ("effect", '{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "s3:x", "Resource": "*"}]}',
     [(f"{S0}.Effect", "duplicate-key")]),
    ("action", '{"Statement": {"Effect": "Allow", "Action": "s3:x", "Action": "s3:y", "Resource": "*"}}',
     [("Statement.Action", "duplicate-key")]),
    ("principal-type",
     ('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333", "AWS": "444455556666"},'
      ' "Action": "s3:x", "Resource": "*"}]}'),
     [(f"{S0}.Principal.AWS", "duplicate-key")]),
    ("operator",
     ('{"Statement": [{"Effect": "Allow", "Action": "s3:x", "Resource": "*",'
      ' "Condition": {"StringEquals": {"a": "1"}, "StringEquals": {"b": "2"}}}]}'),
     [(f"{S0}.Condition.StringEquals", "duplicate-key")]),
    ("condition-key",
     ('{"Statement": [{"Effect": "Allow", "Action": "s3:x", "Resource": "*",'
      ' "Condition": {"StringEquals": {"a": "1", "a": "2"}}}]}'),
     [(f"{S0}.Condition.StringEquals.a", "duplicate-key")]),
]


@pytest.mark.parametrize(("text", "expected"), [d[1:] for d in DUPLICATES], ids=[d[0] for d in DUPLICATES])
def test_duplicate_keys(text: str, expected: list[tuple[str, str]]) -> None:
    assert problems_of(text) == expected


# ------------------------------------------------------------------------------------------
# Every problem is collected, in document order
# ------------------------------------------------------------------------------------------


def test_collects_every_problem_in_document_order() -> None:
    source = {
        "Version": "2012-10-18",
        "Statement": [
            stmt(Effect="allow"),
            stmt(),
            stmt(Action="nocolon", Resource="bucket", Condition={"StringEqual": {"k": "v"}}),
            "oops",
        ],
        "Extra": True,
    }
    with pytest.raises(PolicyParseError) as info:
        parse_policy(source, name="ci-role")
    found = [(p.path, p.code) for p in info.value.problems]
    assert found == [
        ("Extra", "unknown-element"),
        ("Version", "value"),
        ("Statement[0].Effect", "value"),
        ("Statement[2].Action", "value"),
        ("Statement[2].Resource", "invalid-arn"),
        ("Statement[2].Condition.StringEqual", "unknown-operator"),
        ("Statement[3]", "type"),
    ]
    text = str(info.value)
    assert text.startswith("policy `ci-role`: 7 problems:")
    for path, _ in found:
        assert path in text
    assert info.value.policy == "ci-role"
    assert not isinstance(info.value, UnknownOperatorError)


def test_only_unknown_operators_raise_unknown_operator_error() -> None:
    with pytest.raises(UnknownOperatorError) as info:
        parse_policy(doc(stmt(Condition={"StringEqual": {"k": "v"}, "DateAfter": {"k": "1"}})))
    assert [p.path for p in info.value.problems] == [
        "Statement[0].Condition.StringEqual",
        "Statement[0].Condition.DateAfter",
    ]
    assert isinstance(info.value, PolicyParseError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, DrpolicyError)


def test_single_problem_message_names_the_place() -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(doc(stmt(), stmt(Condition={"StringLike": {"aws:SourceIp": "${x"}})), name="p")
    assert str(info.value).startswith("policy `p`: Statement[1].Condition.StringLike.aws:SourceIp: ")
    assert info.value.path == "Statement[1].Condition.StringLike.aws:SourceIp"


def test_unnamed_policy_uses_its_id_in_errors() -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy({"Id": "bucket-policy", "Statement": [stmt(Effect="Maybe")]})
    assert info.value.policy == "bucket-policy"
    assert str(info.value).startswith("policy `bucket-policy`: ")


def test_problem_value_is_the_offending_value() -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(doc(stmt(Resource=["*", "bucket"])))
    (problem,) = info.value.problems
    assert problem.value == "bucket"
    assert "bucket" in problem.message
    assert str(problem) == f"{problem.path}: {problem.message}"


# ------------------------------------------------------------------------------------------
# Accepted shapes
# ------------------------------------------------------------------------------------------


def test_statement_object_and_list_are_equivalent() -> None:
    one = parse_policy({"Version": V, "Statement": stmt()})
    many = parse_policy({"Version": V, "Statement": [stmt()]})
    assert one == many
    assert one.statements[0].index == 0


def test_string_or_list_elements_are_equivalent() -> None:
    as_string = parse_policy(doc(stmt(Action="s3:GetObject", Resource="arn:aws:s3:::b/*",
                                      Condition={"StringEquals": {"k": "v"}})))
    as_list = parse_policy(doc(stmt(Action=["s3:GetObject"], Resource=["arn:aws:s3:::b/*"],
                                    Condition={"StringEquals": {"k": ["v"]}})))
    assert as_string == as_list
    s = as_string.statements[0]
    assert s.action == ("s3:GetObject",)
    assert s.resource == ("arn:aws:s3:::b/*",)
    assert s.conditions == (ConditionEntry("StringEquals", "k", ("v",)),)


def test_principal_string_or_list() -> None:
    a = parse_policy(doc(stmt(Principal={"Service": "sagemaker.amazonaws.com"})))
    b = parse_policy(doc(stmt(Principal={"Service": ["sagemaker.amazonaws.com"]})))
    assert a == b
    assert a.statements[0].principal == PrincipalSpec(service=("sagemaker.amazonaws.com",))


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", PrincipalSpec(wildcard=True)),
        ({"AWS": "*"}, PrincipalSpec(aws=("*",))),
        ({"AWS": "123456789012"}, PrincipalSpec(aws=("123456789012",))),
        ({"AWS": "arn:aws:iam::123456789012:root"}, PrincipalSpec(aws=("arn:aws:iam::123456789012:root",))),
        ({"AWS": ["arn:aws:iam::123456789012:user/a/b", "arn:aws:iam::123456789012:role/r"]},
         PrincipalSpec(aws=("arn:aws:iam::123456789012:user/a/b", "arn:aws:iam::123456789012:role/r"))),
        ({"AWS": "arn:aws:sts::123456789012:assumed-role/r/s"},
         PrincipalSpec(aws=("arn:aws:sts::123456789012:assumed-role/r/s",))),
        ({"AWS": "arn:aws:sts::123456789012:federated-user/bob"},
         PrincipalSpec(aws=("arn:aws:sts::123456789012:federated-user/bob",))),
        ({"Federated": "cognito-identity.amazonaws.com"},
         PrincipalSpec(federated=("cognito-identity.amazonaws.com",))),
        ({"Federated": "arn:aws:iam::123456789012:saml-provider/ADFS"},
         PrincipalSpec(federated=("arn:aws:iam::123456789012:saml-provider/ADFS",))),
        ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
         PrincipalSpec(canonical_user=("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",))),
        ({"Service": ["a.amazonaws.com", "b.amazonaws.com"], "AWS": "123456789012"},
         PrincipalSpec(aws=("123456789012",), service=("a.amazonaws.com", "b.amazonaws.com"))),
        ({}, PrincipalSpec()),
    ],
)
def test_principal_forms(principal: Any, expected: PrincipalSpec) -> None:
    policy = parse_policy(doc(stmt(Principal=principal)))
    assert policy.statements[0].principal == expected
    assert parse_policy(doc(stmt(Principal=None, NotPrincipal=principal, Effect="Deny"))).statements[
        0
    ].not_principal == expected


@pytest.mark.parametrize(
    ("version", "expected"), [(V, "2012-10-17"), ("2008-10-17", "2008-10-17"), (None, None)]
)
def test_version_is_kept(version: str | None, expected: str | None) -> None:
    assert parse_policy(doc(stmt(), version=version)).version == expected


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_variables_are_literal_text_without_version_2012(version: str | None) -> None:
    # Under 2008-10-17 or with no Version, `${...}` is plain text: even where a variable would
    # be a parse error (a variable in the region field, in a numeric value) it is accepted.
    policy = parse_policy(doc(
        stmt(Resource="arn:aws:s3:${aws:RequestedRegion}::b",
             Condition={"StringEquals": {"k": "${unterminated"}}),
        version=version,
    ))
    assert policy.statements[0].resource == ("arn:aws:s3:${aws:RequestedRegion}::b",)
    role = drpolicy.Role.from_policies("r", [doc(
        stmt(Resource="arn:aws:s3:::home/${aws:username}/*"), version=version)])
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x")
    assert not role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x",
                               {"aws:username": "bob"})


def test_version_2012_substitutes_variables() -> None:
    role = drpolicy.Role.from_policies("r", [doc(stmt(Resource="arn:aws:s3:::home/${aws:username}/*"))])
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": "bob"})
    assert not role.is_allowed("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x",
                               {"aws:username": "bob"})


def test_json_scalars_in_condition_values_become_strings() -> None:
    policy = parse_policy(doc(stmt(Condition={
        "NumericLessThan": {"s3:max-keys": 10},
        "NumericGreaterThan": {"k": 1.5},
        "Bool": {"aws:SecureTransport": True},
        "Null": {"aws:TokenIssueTime": False},
        "StringEquals": {"s": [1, "two", True]},
    })))
    entries = {e.operator: e.values for e in policy.statements[0].conditions}
    assert entries == {
        "NumericLessThan": ("10",),
        "NumericGreaterThan": ("1.5",),
        "Bool": ("true",),
        "Null": ("false",),
        "StringEquals": ("1", "two", "true"),
    }


def test_bare_json_numbers_and_booleans_in_text() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",'
        ' "Resource": "*", "Condition": {"NumericLessThanEquals": {"s3:max-keys": 10},'
        ' "Bool": {"aws:SecureTransport": true}}}]}'
    )
    role = drpolicy.Role.from_policies("r", [text])
    ok = {"s3:max-keys": "10", "aws:SecureTransport": "true"}
    assert role.is_allowed("s3:ListBucket", "arn:aws:s3:::b", ok)
    assert not role.is_allowed("s3:ListBucket", "arn:aws:s3:::b", ok | {"s3:max-keys": "11"})
    assert not role.is_allowed("s3:ListBucket", "arn:aws:s3:::b", ok | {"aws:SecureTransport": "false"})


def test_elements_in_any_order_and_sid() -> None:
    policy = parse_policy({"Statement": [{"Resource": "*", "Action": "s3:x", "Sid": "Read1",
                                          "Effect": "Deny"}], "Version": V, "Id": "doc-id"})
    s = policy.statements[0]
    assert (s.sid, s.effect, s.label) == ("Read1", "Deny", "Statement[0] (Read1)")
    assert policy.id == "doc-id"
    assert policy.name == "doc-id"  # unnamed: the Id
    assert parse_policy(doc(stmt(Sid=""))).statements[0].sid == ""
    assert parse_policy(doc(stmt(Sid=""))).statements[0].label == "Statement[0]"


def test_default_name_and_explicit_name() -> None:
    assert parse_policy(doc(stmt())).name == "policy"
    assert parse_policy(doc(stmt()), name="mine").name == "mine"
    assert parse_policy({"Id": "x", "Statement": []}, name="mine").name == "mine"


def test_empty_statement_list_is_a_policy_that_allows_nothing() -> None:
    policy = parse_policy({"Version": V, "Statement": []})
    assert policy.statements == ()
    role = drpolicy.Role.from_policies("r", [policy])
    assert not role.is_allowed("s3:GetObject", "*")


def test_bytes_with_bom_and_str_and_mapping_agree() -> None:
    source = doc(stmt())
    text = json.dumps(source)
    assert parse_policy(text) == parse_policy(source)
    assert parse_policy(text.encode("utf-8")) == parse_policy(source)
    assert parse_policy(b"\xef\xbb\xbf" + text.encode("utf-8")) == parse_policy(source)
    assert parse_policy(bytearray(text.encode("utf-8"))) == parse_policy(source)


def test_policy_objects_pass_through_and_rename() -> None:
    policy = parse_policy(doc(stmt()), name="a")
    assert parse_policy(policy) is policy
    assert parse_policy(policy, name="a") is policy
    renamed = parse_policy(policy, name="b")
    assert renamed.name == "b"
    assert renamed.statements == policy.statements


def test_load_policy_is_parse_policy() -> None:
    assert load_policy is parse_policy
    assert drpolicy.load_policy is parse_policy


def test_policy_is_immutable_and_hashable() -> None:
    policy = parse_policy(doc(stmt(Condition={"StringEquals": {"k": ["a", "b"]}})))
    assert hash(policy) == hash(parse_policy(doc(stmt(Condition={"StringEquals": {"k": ["a", "b"]}}))))
    with pytest.raises(AttributeError):
        policy.name = "x"  # type: ignore[misc]
    assert isinstance(policy.statements, tuple)
    assert isinstance(policy.statements[0], Statement)


@pytest.mark.parametrize(
    "source",
    [
        doc(stmt()),
        doc(stmt(Sid="", Action=["s3:Get*", "s3:List*"], Resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
        doc(stmt(Action=None, NotAction="iam:*", Resource=None, NotResource="arn:aws:s3:::hr/*",
                 Effect="Deny")),
        doc(stmt(Principal={"AWS": ["123456789012"], "Service": "s.amazonaws.com"})),
        doc(stmt(Principal="*", Condition={"ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "b"]},
                                           "NumericLessThan": {"n": 3}})),
        {"Id": "x", "Statement": [stmt(Effect="Deny", NotPrincipal={"AWS": "123456789012"})]},
        doc(stmt(), version="2008-10-17"),
    ],
)
def test_round_trip_through_to_json(source: dict[str, Any]) -> None:
    policy = parse_policy(source, name="n")
    again = parse_policy(policy.to_json(), name="n")
    assert again == policy
    assert parse_policy(json.dumps(policy.to_json()), name="n") == policy


# ------------------------------------------------------------------------------------------
# Empty collections never mean "everything"
# ------------------------------------------------------------------------------------------

ACTIONS = ["s3:GetObject", "iam:PassRole", "sagemaker:CreateTrainingJob"]
RESOURCES = ["*", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:role/r"]


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        (stmt(Action=[]), False),
        (stmt(Action="*", Resource=[]), False),
        (stmt(Action=[], Resource=[]), False),
        (stmt(Action=None, NotAction=[]), False),
        (stmt(Action="*", Resource=None, NotResource=[]), False),
        (stmt(Action="*", Condition={"StringEquals": {"k": []}}), False),
    ],
    ids=["action", "resource", "both", "notaction", "notresource", "condition-values"],
)
def test_empty_lists(statement: dict[str, Any], allowed: bool) -> None:
    role = drpolicy.Role.from_policies("r", [doc(statement)])
    for action in ACTIONS:
        for resource in RESOURCES:
            assert role.is_allowed(action, resource) is allowed, (action, resource)
            assert role.is_allowed(action, resource, {"k": "v"}) is allowed, (action, resource)


def test_empty_action_deny_denies_nothing() -> None:
    role = drpolicy.Role.from_policies("r", [doc(stmt(Action="*"), stmt(Effect="Deny", Action=[]))])
    assert role.is_allowed("s3:GetObject", "*")


def test_empty_principal_object_names_no_one() -> None:
    d = drpolicy.authorize(
        "arn:aws:iam::123456789012:user/alice", "s3:GetObject", "arn:aws:s3:::b/k",
        resource_policy=doc(stmt(Principal={}, Resource="arn:aws:s3:::b/*")),
    )
    assert not d.allowed


def test_literal_oddities_are_accepted_and_match_nothing() -> None:
    # AWS accepts these at upload; they name no real action (S5)
    for odd in ["s3:", "s3:GetObject,PutObject", "s3: GetObject", "s3:GetObject "]:
        role = drpolicy.Role.from_policies("r", [doc(stmt(Action=odd))])
        assert not role.is_allowed("s3:GetObject", "*"), odd
        assert not role.is_allowed("s3:PutObject", "*"), odd
        inverse = drpolicy.Role.from_policies("r", [doc(stmt(Action=None, NotAction=odd))])
        assert inverse.is_allowed("s3:GetObject", "*"), odd


# ------------------------------------------------------------------------------------------
# Structural rules per policy type (check_policy_type and parse_policy(policy_type=...))
# ------------------------------------------------------------------------------------------

PRINCIPAL = {"AWS": "123456789012"}

TYPE_RULES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    # identity-like types: no Principal, Resource required
    *[
        (t, stmt(), [])
        for t in ("identity", "permission_boundary", "session", "scp")
    ],
    *[
        (t, stmt(Principal=PRINCIPAL), [(f"{S0}.Principal", "conflict")])
        for t in ("identity", "permission_boundary", "session", "scp")
    ],
    *[
        (t, stmt(Effect="Deny", NotPrincipal=PRINCIPAL), [(f"{S0}.NotPrincipal", "conflict")])
        for t in ("identity", "permission_boundary", "session", "scp")
    ],
    *[
        (t, stmt(Resource=None), [(f"{S0}.Resource", "missing")])
        for t in ("identity", "permission_boundary", "session", "scp")
    ],
    ("identity", stmt(Resource=None, NotResource="arn:aws:s3:::b"), []),
    # resource-based and RCP: Principal and Resource required
    ("resource", stmt(Principal=PRINCIPAL), []),
    ("resource", stmt(Effect="Deny", NotPrincipal=PRINCIPAL), []),
    ("resource", stmt(), [(f"{S0}.Principal", "missing")]),
    ("resource", stmt(Principal=PRINCIPAL, Resource=None), [(f"{S0}.Resource", "missing")]),
    ("resource", stmt(Resource=None), [(f"{S0}.Principal", "missing"), (f"{S0}.Resource", "missing")]),
    ("rcp", stmt(Effect="Deny", Principal="*"), []),
    ("rcp", stmt(Effect="Deny"), [(f"{S0}.Principal", "missing")]),
    # trust: Principal required, no Resource, no NotPrincipal
    ("trust", stmt(Principal={"Service": "sagemaker.amazonaws.com"}, Resource=None,
                   Action="sts:AssumeRole"), []),
    ("trust", stmt(Resource=None), [(f"{S0}.Principal", "missing")]),
    ("trust", stmt(Principal=PRINCIPAL), [(f"{S0}.Resource", "conflict")]),
    ("trust", stmt(Principal=PRINCIPAL, Resource=None, NotResource="*"), [(f"{S0}.NotResource", "conflict")]),
    ("trust", stmt(Effect="Deny", NotPrincipal=PRINCIPAL, Resource=None),
     [(f"{S0}.Principal", "missing"), (f"{S0}.NotPrincipal", "conflict")]),
]


@pytest.mark.parametrize(
    ("policy_type", "statement", "expected"), TYPE_RULES,
    ids=[f"{t[0]}-{i}" for i, t in enumerate(TYPE_RULES)],
)
def test_check_policy_type(policy_type: Any, statement: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    policy = parse_policy(doc(statement))  # no type: only the shared rules
    found = [(p.path, p.code) for p in check_policy_type(policy, policy_type)]
    assert found == expected
    if expected:
        assert problems_of(doc(statement), policy_type=policy_type) == expected
        assert problems_of(policy, policy_type=policy_type) == expected
    else:
        assert parse_policy(doc(statement), policy_type=policy_type) == policy


def test_type_problems_are_collected_across_statements() -> None:
    source = doc(stmt(), stmt(Principal=PRINCIPAL), stmt(Resource=None))
    assert problems_of(source, policy_type="identity") == [
        ("Statement[1].Principal", "conflict"),
        ("Statement[2].Resource", "missing"),
    ]


def test_type_problems_join_document_problems() -> None:
    source = doc(stmt(Effect="allow"), stmt(Principal=PRINCIPAL))
    # the malformed statement is reported; the type rule still applies to the others
    found = problems_of(source, policy_type="identity")
    assert ("Statement[0].Effect", "value") in found
    assert ("Statement[1].Principal", "conflict") in found


def test_role_from_policies_enforces_types() -> None:
    with pytest.raises(PolicyParseError) as info:
        drpolicy.Role.from_policies("r", {"p": doc(stmt(Principal=PRINCIPAL))})
    assert [(p.path, p.code) for p in info.value.problems] == [("Statement[0].Principal", "conflict")]
    with pytest.raises(PolicyParseError):
        drpolicy.Role.from_policies("r", {"p": doc(stmt())}, trust_policy=doc(stmt(Principal=PRINCIPAL)))
    with pytest.raises(PolicyParseError):
        drpolicy.Role.from_policies("r", {"p": doc(stmt())}, permission_boundary=doc(stmt(Principal="*")))
