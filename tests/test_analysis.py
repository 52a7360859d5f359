"""The custom policy checks (drpolicy.analysis): hand-written cases with known answers.

Every FAIL that carries a witness is re-checked here with :func:`drpolicy.authorize`,
independently of the check's own re-check."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import drpolicy
from drpolicy import MissingDependencyError, RequestError
from drpolicy.analysis import (
    CheckResult,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from drpolicy.catalog import role_document

pytest.importorskip("z3")

ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return dict(Effect="Allow", Action=action, Resource=resource, **extra)


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return dict(Effect="Deny", Action=action, Resource=resource, **extra)


def decide(policy: Any, w: Any, policy_type: str) -> bool:
    ctx = {k: list(v) for k, v in w.context.items()}
    if policy_type == "identity":
        return drpolicy.authorize(
            w.principal, w.action, w.resource, context=ctx, identity_policies=[policy],
            resource_account=w.resource_account,
        ).allowed
    # witnesses name web-identity and canonical-user callers in a descriptive form
    if w.principal.startswith("web-identity:"):
        principal = drpolicy.Principal.web_identity(w.principal.split(":", 1)[1])
    elif w.principal.startswith("canonical-user:"):
        principal = drpolicy.Principal.canonical_user(w.principal.split(":", 1)[1])
    else:
        principal = drpolicy.Principal.parse(w.principal)
    return drpolicy.authorize(
        principal, w.action, w.resource, context=ctx,
        identity_policies=[ALLOW_ALL] if principal.is_iam else [],
        session_policy=ALLOW_ALL if principal.is_iam else None,
        resource_policy=policy, resource_account=w.resource_account,
    ).allowed


def assert_no_new_access(
    existing: Any, new: Any, expected: str, policy_type: str = "identity"
) -> CheckResult:
    r = check_no_new_access(existing, new, policy_type=policy_type)
    assert r.result == expected, str(r)
    if r.result == "FAIL":
        assert r.witness is not None, str(r)
        assert decide(new, r.witness, policy_type), str(r)
        assert not decide(existing, r.witness, policy_type), str(r)
        assert r.reasons
    else:
        assert r.witness is None
    return r


R = "arn:aws:s3:::models/*"
GET_EXPANSION = ["s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectTagging", "s3:GetObjectVersion"]

NO_NEW_ACCESS = [
    # (id, existing, new, expected)
    ("identical", doc(allow("s3:GetObject", R)), doc(allow("s3:GetObject", R)), "PASS"),
    ("expansion-within-wildcard", doc(allow("s3:Get*", R)), doc(allow(GET_EXPANSION, R)),
     "PASS"),
    # s3:Get* covers every action named Get..., not only the four listed
    ("wildcard-beyond-expansion", doc(allow(GET_EXPANSION, R)), doc(allow("s3:Get*", R)),
     "FAIL"),
    ("action-case-insensitive", doc(allow("S3:GETOBJECT", R)), doc(allow("s3:GetObject", R)),
     "PASS"),
    ("resource-case-sensitive", doc(allow("s3:GetObject", "arn:aws:s3:::Models/*")),
     doc(allow("s3:GetObject", R)), "FAIL"),
    ("narrower-resource", doc(allow("s3:*", "arn:aws:s3:::*")),
     doc(allow("s3:GetObject", R)), "PASS"),
    ("star-does-not-cross-into-other-service", doc(allow("s3:*", "arn:aws:s3:::*")),
     doc(allow("s3:*", "arn:aws:s3*")), "FAIL"),
    ("split-statement", doc(allow(["s3:GetObject", "s3:PutObject"], R)),
     doc(allow("s3:GetObject", R), allow("s3:PutObject", R)), "PASS"),
    ("condition-added", doc(allow("s3:GetObject", R)),
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})),
     "PASS"),
    ("condition-removed",
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})),
     doc(allow("s3:GetObject", R)), "FAIL"),
    ("deny-added", doc(allow("s3:*", R)), doc(allow("s3:*", R), deny("s3:DeleteObject", R)),
     "PASS"),
    ("deny-removed", doc(allow("s3:*", R), deny("s3:DeleteObject", R)), doc(allow("s3:*", R)),
     "FAIL"),
    ("deny-with-condition-weakened",
     doc(allow("s3:*", R), deny("s3:*", R, Condition={"Bool": {"aws:SecureTransport": "false"}})),
     doc(allow("s3:*", R),
         deny("s3:*", R, Condition={"StringEquals": {"aws:SourceVpc": "vpc-bad"}})),
     "FAIL"),
    ("notaction-covers", doc(dict(Effect="Allow", NotAction="iam:*", Resource="*")),
     doc(allow("s3:*")), "PASS"),
    ("notaction-excludes", doc(dict(Effect="Allow", NotAction="iam:*", Resource="*")),
     doc(allow("iam:GetUser")), "FAIL"),
    ("notresource", doc(dict(Effect="Allow", Action="s3:*", NotResource="arn:aws:s3:::secret/*")),
     doc(allow("s3:GetObject", R)), "PASS"),
    ("notresource-widened", doc(allow("s3:GetObject", R)),
     doc(dict(Effect="Allow", Action="s3:GetObject", NotResource="arn:aws:s3:::secret/*")),
     "FAIL"),
    ("variable-same", doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")),
     doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")), "PASS"),
    ("variable-dropped", doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")),
     doc(allow("s3:GetObject", "arn:aws:s3:::home/*")), "FAIL"),
    ("variable-narrowed", doc(allow("s3:GetObject", "arn:aws:s3:::home/*")),
     doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")), "PASS"),
    ("like-vs-equals",
     doc(allow("s3:GetObject", R, Condition={"StringLike": {"aws:PrincipalTag/team": "ml-*"}})),
     doc(allow("s3:GetObject", R,
               Condition={"StringEquals": {"aws:PrincipalTag/team": "ml-research"}})),
     "PASS"),
    ("equals-vs-like",
     doc(allow("s3:GetObject", R,
               Condition={"StringEquals": {"aws:PrincipalTag/team": "ml-research"}})),
     doc(allow("s3:GetObject", R, Condition={"StringLike": {"aws:PrincipalTag/team": "ml-*"}})),
     "FAIL"),
    ("ignore-case-wider",
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {"s3:ExistingObjectTag/x": "true"}})),
     doc(allow("s3:GetObject", R,
               Condition={"StringEqualsIgnoreCase": {"s3:ExistingObjectTag/x": "TRUE"}})),
     "FAIL"),
    ("numeric-narrower",
     doc(allow("s3:ListBucket", Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}})),
     doc(allow("s3:ListBucket", Condition={"NumericLessThan": {"s3:max-keys": "10"}})), "PASS"),
    ("numeric-wider-by-a-fraction",
     doc(allow("s3:ListBucket", Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}})),
     doc(allow("s3:ListBucket", Condition={"NumericLessThan": {"s3:max-keys": "10.5"}})),
     "FAIL"),
    ("date-later",
     doc(allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}})),
     doc(allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2025-01-01"}})),
     "PASS"),
    ("date-earlier",
     doc(allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2025-01-01"}})),
     doc(allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "1960-01-01"}})),
     "FAIL"),
    ("bool-ifexists-admits-absent",
     doc(allow("s3:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
     doc(allow("s3:*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})),
     "FAIL"),
    ("ip-subnet",
     doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}})), "PASS"),
    ("ip-supernet",
     doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}})),
     doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": ["10.1.0.0/16", "2001:db8::/32"]}})),
     "FAIL"),
    ("not-ip-address-admits-absent",
     doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     doc(allow("s3:*", Condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), "FAIL"),
    ("null-required",
     doc(allow("s3:*", Condition={"Null": {"aws:TokenIssueTime": "false"}})),
     doc(allow("s3:*", Condition={"Null": {"aws:TokenIssueTime": "false"},
                                  "Bool": {"aws:SecureTransport": "true"}})), "PASS"),
    ("forallvalues-subset",
     doc(allow("s3:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
     doc(allow("s3:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})), "PASS"),
    ("forallvalues-to-foranyvalue",
     doc(allow("s3:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
     doc(allow("s3:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})), "FAIL"),
    ("ifexists-admits-absent",
     doc(allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "a.amazonaws.com"}})),
     doc(allow("iam:PassRole",
               Condition={"StringEqualsIfExists": {"iam:PassedToService": "a.amazonaws.com"}})),
     "FAIL"),
    ("arnlike-narrower",
     doc(allow("sqs:SendMessage", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})),
     doc(allow("sqs:SendMessage", Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}})),
     "PASS"),
    ("variable-in-condition-same",
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {
         "aws:PrincipalTag/team": "${aws:ResourceTag/team}"}})),
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {
         "aws:PrincipalTag/team": "${aws:ResourceTag/team}"}})), "PASS"),
    ("variable-in-condition-dropped",
     doc(allow("s3:GetObject", R, Condition={"StringEquals": {
         "aws:PrincipalTag/team": "${aws:ResourceTag/team}"}})),
     doc(allow("s3:GetObject", R)), "FAIL"),
    ("variable-like-prefix",
     doc(allow("s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}})),
     doc(allow("s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/*"}})), "FAIL"),
    ("variable-default",
     doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username, 'shared'}/*")),
     doc(allow("s3:GetObject", "arn:aws:s3:::home/shared/*")), "FAIL"),
    # an unresolved variable in NotResource makes the Deny apply (fail closed): dropping it
    # grants the requests of callers without the key
    ("deny-notresource-variable-removed",
     doc(allow("s3:*"), dict(Effect="Deny", Action="s3:*",
                             NotResource="arn:aws:s3:::home/${aws:username}/*")),
     doc(allow("s3:*"), dict(Effect="Deny", Action="s3:*", NotResource="arn:aws:s3:::home/*")),
     "FAIL"),
    ("version-2008-has-no-variables",
     doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"), version="2008-10-17"),
     doc(allow("s3:GetObject", "arn:aws:s3:::home/$*"), version="2008-10-17"), "FAIL"),
    ("empty-existing", doc(deny("*")), doc(allow("s3:GetObject", R)), "FAIL"),
    ("empty-new", doc(allow("*")), doc(deny("*")), "PASS"),
]


@pytest.mark.parametrize(
    ("existing", "new", "expected"), [c[1:] for c in NO_NEW_ACCESS],
    ids=[c[0] for c in NO_NEW_ACCESS],
)
def test_no_new_access_corpus(existing: Any, new: Any, expected: str) -> None:
    assert_no_new_access(existing, new, expected)


def test_numeric_witness_is_between_the_bounds() -> None:
    r = assert_no_new_access(
        doc(allow("s3:ListBucket", Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}})),
        doc(allow("s3:ListBucket", Condition={"NumericLessThan": {"s3:max-keys": "10.5"}})),
        "FAIL",
    )
    assert r.witness is not None
    (value,) = r.witness.context["s3:max-keys"]
    assert 10 < float(value) < 10.5


def test_forallvalues_witness_has_several_values() -> None:
    r = assert_no_new_access(
        doc(allow("s3:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
        doc(allow("s3:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})),
        "FAIL",
    )
    assert r.witness is not None
    assert "a" in r.witness.context["aws:TagKeys"]


# ----------------------------------------------------------------------------------------
# Resource and trust policies
# ----------------------------------------------------------------------------------------

A, B = "111122223333", "444455556666"


def bucket(*principals: str, **extra: Any) -> dict[str, Any]:
    return doc(dict(Effect="Allow", Principal={"AWS": list(principals)}, Action="s3:GetObject",
                    Resource="arn:aws:s3:::shared/*", **extra))


def test_resource_policy_same_principals_pass() -> None:
    assert_no_new_access(bucket(A), bucket(A), "PASS", "resource")


def test_resource_policy_new_account_fails_with_that_account() -> None:
    r = assert_no_new_access(bucket(A), bucket(A, B), "FAIL", "resource")
    assert r.witness is not None and B in r.witness.principal


def test_resource_policy_role_within_account_pass() -> None:
    assert_no_new_access(bucket(A), bucket(f"arn:aws:iam::{A}:role/reader"), "PASS", "resource")


def test_resource_policy_wildcard_principal_fails() -> None:
    new = doc(dict(Effect="Allow", Principal="*", Action="s3:GetObject",
                   Resource="arn:aws:s3:::shared/*"))
    assert_no_new_access(bucket(A), new, "FAIL", "resource")


def test_resource_policy_notprincipal_deny() -> None:
    base = bucket("*")
    guarded = copy.deepcopy(base)
    guarded["Statement"].append(dict(Effect="Deny", NotPrincipal={"AWS": f"arn:aws:iam::{A}:root"},
                                     Action="s3:*", Resource="arn:aws:s3:::shared/*"))
    assert_no_new_access(base, guarded, "PASS", "resource")
    assert_no_new_access(guarded, base, "FAIL", "resource")


def test_trust_policy_new_service_fails_naming_it() -> None:
    trust = role_document("AWSDeepRacerSageMakerAccessRole")["trust_policy"]
    wider = copy.deepcopy(trust)
    services = wider["Statement"][0]["Principal"]["Service"]
    services = [services] if isinstance(services, str) else list(services)
    wider["Statement"][0]["Principal"]["Service"] = [*services, "ec2.amazonaws.com"]
    assert_no_new_access(trust, trust, "PASS", "trust")
    r = assert_no_new_access(trust, wider, "FAIL", "trust")
    assert r.witness is not None and r.witness.principal == "ec2.amazonaws.com"


# ----------------------------------------------------------------------------------------
# The DeepRacer worked examples (docs/analysis.md)
# ----------------------------------------------------------------------------------------


def service_role_policy() -> dict[str, Any]:
    return copy.deepcopy(role_document("AWSDeepRacerServiceRole")["permission_policy"])


def test_deepracer_narrowing_s3_passes() -> None:
    existing = service_role_policy()
    narrowed = service_role_policy()
    for s in narrowed["Statement"]:
        if "s3:PutObject" in s["Action"]:
            s["Action"] = ["s3:GetObject", "s3:ListBucket"]
            s["Resource"] = ["arn:aws:s3:::deepracer-models-*", "arn:aws:s3:::*DeepRacer*"]
    assert_no_new_access(existing, narrowed, "PASS")


def test_deepracer_widening_passrole_fails_with_a_role_arn() -> None:
    existing = service_role_policy()
    wider = service_role_policy()
    for s in wider["Statement"]:
        if s["Action"] == ["iam:PassRole"]:
            s["Resource"] = "arn:aws:iam::*:role/*"
    r = assert_no_new_access(existing, wider, "FAIL")
    assert r.witness is not None
    assert r.witness.action == "iam:PassRole"
    assert ":role/" in r.witness.resource and "AWSDeepRacer" not in r.witness.resource
    assert [x.statement_index for x in r.reasons] == [2]


@pytest.mark.parametrize("name", drpolicy.roles())
def test_deepracer_roles_against_themselves(name: str) -> None:
    policy = role_document(name)["permission_policy"]
    assert_no_new_access(policy, policy, "PASS")
    assert check_no_public_access(role_document(name)["trust_policy"],
                                  resource_type="role").result == "PASS"


# ----------------------------------------------------------------------------------------
# check_access_not_granted
# ----------------------------------------------------------------------------------------

NOT_GRANTED = [
    ("action-granted", doc(allow("iam:*")), ["iam:PassRole"], [], "FAIL"),
    ("action-not-granted", doc(allow("iam:*")), ["s3:GetObject"], [], "PASS"),
    ("action-denied", doc(allow("iam:*"), deny("iam:PassRole")), ["iam:PassRole"], [], "PASS"),
    ("action-pattern", doc(allow("s3:DeleteObject", R)), ["s3:Delete*"], [], "FAIL"),
    ("resource-granted", doc(allow("s3:GetObject", R)), [], ["arn:aws:s3:::models/m.tar"],
     "FAIL"),
    ("resource-not-granted", doc(allow("s3:GetObject", R)), [], ["arn:aws:s3:::other/*"],
     "PASS"),
    ("both-pairs-not-granted",
     doc(allow("s3:GetObject", R), allow("s3:PutObject", "arn:aws:s3:::other/*")),
     ["s3:PutObject"], [R], "PASS"),
    ("notaction", doc(dict(Effect="Allow", NotAction="iam:*", Resource="*")), ["iam:PassRole"],
     [], "PASS"),
    ("conditioned", doc(allow("iam:PassRole", Condition={"StringEquals": {
        "iam:PassedToService": "sagemaker.amazonaws.com"}})), ["iam:PassRole"], [], "FAIL"),
]


@pytest.mark.parametrize(
    ("policy", "actions", "resources", "expected"), [c[1:] for c in NOT_GRANTED],
    ids=[c[0] for c in NOT_GRANTED],
)
def test_access_not_granted_corpus(
    policy: Any, actions: list[str], resources: list[str], expected: str
) -> None:
    r = check_access_not_granted(policy, actions=actions, resources=resources)
    assert r.result == expected, str(r)
    if expected == "FAIL":
        assert r.witness is not None
        assert decide(policy, r.witness, "identity")
        if actions:
            assert any(drpolicy.authorize(
                "arn:aws:iam::123456789012:role/x", r.witness.action, "*",
                identity_policies=[doc(allow(a))]).allowed for a in actions)


def test_access_not_granted_needs_something_to_check() -> None:
    with pytest.raises(RequestError):
        check_access_not_granted(doc(allow("*")))


def test_deepracer_service_role_cannot_pass_other_roles() -> None:
    policy = service_role_policy()
    r = check_access_not_granted(policy, actions=["iam:PassRole"],
                                 resources=["arn:aws:iam::*:role/Admin*"])
    assert r.result == "PASS", str(r)
    r = check_access_not_granted(policy, actions=["iam:PassRole"])
    assert r.result == "FAIL" and r.witness is not None
    assert ":role/AWSDeepRacer" in r.witness.resource or \
        ":role/service-role/AWSDeepRacer" in r.witness.resource


# ----------------------------------------------------------------------------------------
# check_no_public_access
# ----------------------------------------------------------------------------------------

S3 = "arn:aws:s3:::site/*"


def public(resource: str, **extra: Any) -> dict[str, Any]:
    return doc(dict(Effect="Allow", Principal="*", Action="s3:GetObject", Resource=resource,
                    **extra))


PUBLIC = [
    ("s3-open", "AWS::S3::Bucket", public(S3), "FAIL"),
    ("s3-vpce", "s3", public(S3, Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}),
     "PASS"),
    ("s3-vpce-wildcard", "s3", public(S3, Condition={"StringLike": {"aws:SourceVpce": "vpce-*"}}),
     "FAIL"),
    ("s3-ip-range", "s3", public(S3, Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
     "PASS"),
    ("s3-ip-everything", "s3", public(S3, Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
     "FAIL"),
    ("s3-org", "s3", public(S3, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     "PASS"),
    ("s3-account", "s3", doc(dict(Effect="Allow", Principal={"AWS": A}, Action="s3:*",
                                  Resource=S3)), "PASS"),
    ("s3-public-denied", "s3", doc(public(S3)["Statement"][0], dict(
        Effect="Deny", Principal="*", Action="s3:*", Resource=S3,
        Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b"}})), "PASS"),
    ("kms-caller-account", "kms", doc(dict(
        Effect="Allow", Principal={"AWS": "*"}, Action="kms:Decrypt", Resource="*",
        Condition={"StringEquals": {"kms:CallerAccount": A}})), "PASS"),
    ("kms-open", "AWS::KMS::Key", doc(dict(
        Effect="Allow", Principal={"AWS": "*"}, Action="kms:Decrypt", Resource="*")), "FAIL"),
    ("sqs-service", "sqs", doc(dict(
        Effect="Allow", Principal={"Service": "sns.amazonaws.com"}, Action="sqs:SendMessage",
        Resource=f"arn:aws:sqs:us-east-1:{A}:q")), "PASS"),
    ("sqs-source-arn", "sqs", doc(dict(
        Effect="Allow", Principal="*", Action="sqs:SendMessage",
        Resource=f"arn:aws:sqs:us-east-1:{A}:q",
        Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:t"}})), "PASS"),
    ("sqs-source-arn-any-account", "sqs", doc(dict(
        Effect="Allow", Principal="*", Action="sqs:SendMessage",
        Resource=f"arn:aws:sqs:us-east-1:{A}:q",
        Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:t"}})), "FAIL"),
    ("sns-open", "sns", doc(dict(
        Effect="Allow", Principal={"AWS": "*"}, Action="sns:Publish",
        Resource=f"arn:aws:sns:us-east-1:{A}:t")), "FAIL"),
    ("lambda-source-account", "lambda", doc(dict(
        Effect="Allow", Principal="*", Action="lambda:InvokeFunction",
        Resource=f"arn:aws:lambda:us-east-1:{A}:function:f",
        Condition={"StringEquals": {"aws:SourceAccount": A}})), "PASS"),
    ("role-any-aws", "role", doc(dict(
        Effect="Allow", Principal={"AWS": "*"}, Action="sts:AssumeRole")), "FAIL"),
    ("role-org", "role", doc(dict(
        Effect="Allow", Principal={"AWS": "*"}, Action="sts:AssumeRole",
        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})), "PASS"),
]


@pytest.mark.parametrize(
    ("resource_type", "policy", "expected"), [c[1:] for c in PUBLIC],
    ids=[c[0] for c in PUBLIC],
)
def test_public_access_corpus(resource_type: str, policy: Any, expected: str) -> None:
    r = check_no_public_access(policy, resource_type=resource_type)
    assert r.result == expected, str(r)
    if expected == "FAIL":
        w = r.witness
        assert w is not None
        assert w.principal == "anonymous" or B not in w.principal
        assert decide(policy, w, "trust" if resource_type == "role" else "resource")


def test_public_access_federated_trust_cannot_be_proven() -> None:
    trust = doc(dict(Effect="Allow", Principal={"Federated": "accounts.google.com"},
                     Action="sts:AssumeRoleWithWebIdentity"))
    r = check_no_public_access(trust, resource_type="role")
    assert r.result == "FAIL" and r.witness is None
    assert r.message.startswith("cannot prove")


def test_unknown_resource_type() -> None:
    with pytest.raises(RequestError, match="unknown resource type"):
        check_no_public_access(public(S3), resource_type="AWS::EC2::Instance")


# ----------------------------------------------------------------------------------------
# Constructs without an exact encoding: never an unproven PASS
# ----------------------------------------------------------------------------------------


def test_opaque_construct_still_proves_a_pass() -> None:
    new = doc(allow("s3:GetObject", R, Condition={"BinaryEquals": {"myapp:sig": "QUJD"}}))
    r = check_no_new_access(doc(allow("s3:*")), new)
    assert r.result == "PASS", str(r)


def test_opaque_construct_never_passes_unproven() -> None:
    old = doc(allow("s3:GetObject", R, Condition={"BinaryEquals": {"myapp:sig": "QUJD"}}))
    new = doc(allow("s3:GetObject", R, Condition={"BinaryEquals": {"myapp:sig": "REVG"}}))
    r = check_no_new_access(old, new)
    assert r.result == "FAIL", str(r)
    if r.witness is None:
        assert r.message.startswith("cannot prove")
        assert any("BinaryEquals" in x.description for x in r.reasons)
    else:
        assert decide(new, r.witness, "identity") and not decide(old, r.witness, "identity")


def test_solver_timeout_is_a_fail() -> None:
    new = doc(allow("s3:GetObject", R))
    r = check_no_new_access(doc(allow("s3:GetObject", R)), new, timeout_ms=1)
    assert r.result in ("PASS", "FAIL")
    if r.result == "FAIL":
        assert r.message.startswith("cannot prove")


def test_results_serialise() -> None:
    r = check_no_new_access(doc(allow("s3:GetObject", R)), doc(allow("s3:*", R)))
    data = json.loads(json.dumps(r.to_json()))
    assert data["result"] == "FAIL" and data["witness"]["action"].lower().startswith("s3:")
    assert "witness:" in str(r)


def test_missing_z3_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "z3", None)
    with pytest.raises(MissingDependencyError, match="z3-solver"):
        check_no_new_access(doc(allow("s3:*")), doc(allow("s3:*")))


def test_importing_drpolicy_does_not_import_z3() -> None:
    code = "import sys, drpolicy, drpolicy.analysis; print('z3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------------------
# The CLI
# ----------------------------------------------------------------------------------------


def write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from drpolicy.cli import main

    old = write(tmp_path / "old.json", doc(allow("s3:GetObject", R)))
    new = write(tmp_path / "new.json", doc(allow("s3:Get*", R)))
    assert main(["check-no-new-access", old, old]) == 0
    assert capsys.readouterr().out.startswith("PASS")
    assert main(["check-no-new-access", old, new, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["result"] == "FAIL" and data["witness"]["resource"].startswith("arn:aws:s3:::models/")
    assert main(["check-access-not-granted", new, "--action", "s3:PutObject"]) == 0
    assert main(["check-access-not-granted", new, "--resource", "arn:aws:s3:::models/x"]) == 1
    capsys.readouterr()
    assert main(["check-access-not-granted", new]) == 2
    assert capsys.readouterr().err.startswith("drpolicy: error:")
    bucket_file = write(tmp_path / "bucket.json", public(S3))
    assert main(["check-no-public-access", bucket_file, "--resource-type", "s3"]) == 1
    assert main(["check-no-public-access", bucket_file, "--resource-type", "nope"]) == 2
    assert main(["check-no-new-access", old, str(tmp_path / "missing.json")]) == 2
