"""The evaluator: every arm of the decision table, fail-closed errors, reasons, missing context.

Sources: IAM User Guide "Policy evaluation logic" (explicit deny wins; same-account identity OR
resource policy, except trust and KMS key policies; the principal-type table), "Cross-account
policy evaluation logic" (both sides must allow), "Permissions boundaries", "Service control
policies", "Resource control policies" (deny only), the NotAction/NotResource pages; and the
brief's semantics decisions 5 and 7.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import drpolicy
from drpolicy import Decision, PolicyParseError, RequestError, Role

ACCT = "123456789012"
OTHER = "111122223333"
USER = f"arn:aws:iam::{ACCT}:user/alice"
OTHER_USER = f"arn:aws:iam::{OTHER}:user/bob"
ROLE = f"arn:aws:iam::{ACCT}:role/Dev"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Dev/alice"
FED = f"arn:aws:sts::{ACCT}:federated-user/carol"
SVC = "sagemaker.amazonaws.com"
OBJ = "arn:aws:s3:::b/k"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ID_ALLOW = policy(allow())
BOUNDARY_OTHER = policy(allow("ec2:*"))
SESSION_OTHER = policy(allow("ec2:*"))


def bucket(principal: Any, effect: str = "Allow") -> dict[str, Any]:
    return policy({"Effect": effect, "Principal": principal, "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::b/*"})


def refs(d: Decision) -> list[tuple[str, int, str]]:
    return [(r.policy, r.index, r.policy_type) for r in d.reasons]


# ------------------------------------------------------------------------------------------
# The decision table, arm by arm
# ------------------------------------------------------------------------------------------

ARMS: list[tuple[str, str, dict[str, Any], str, str | None, list[tuple[str, int, str]]]] = [
    # identity only, same account
    ("no-policies", USER, {}, "ImplicitlyDenied", "identity", []),
    ("identity-allow", USER, dict(identity_policies=[ID_ALLOW]), "Allowed", "identity",
     [("identity-0", 0, "identity")]),
    ("identity-two-allows", USER, dict(identity_policies=[ID_ALLOW, policy(allow("s3:*"))]), "Allowed",
     "identity", [("identity-0", 0, "identity"), ("identity-1", 0, "identity")]),
    ("identity-deny-wins", USER, dict(identity_policies=[ID_ALLOW, policy(deny())]), "ExplicitlyDenied",
     "identity", [("identity-1", 0, "identity")]),
    # explicit deny in any policy type wins, named by type
    ("resource-deny", USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket("*", "Deny")),
     "ExplicitlyDenied", "resource", [("resource-0", 0, "resource")]),
    ("boundary-deny", USER, dict(identity_policies=[ID_ALLOW],
                                 permission_boundary=policy(allow("*"), deny())),
     "ExplicitlyDenied", "permission_boundary", [("permission_boundary-0", 1, "permission_boundary")]),
    ("session-deny", SESSION, dict(identity_policies=[ID_ALLOW], session_policy=policy(allow("*"), deny())),
     "ExplicitlyDenied", "session", [("session-0", 1, "session")]),
    ("scp-deny", USER, dict(identity_policies=[ID_ALLOW], scps=[[policy(allow("*"), deny())]]),
     "ExplicitlyDenied", "scp", [("scp-0", 1, "scp")]),
    ("rcp-deny", USER, dict(identity_policies=[ID_ALLOW],
                            rcps=[[policy(deny(Principal="*", resource="arn:aws:s3:::b/*"))]]),
     "ExplicitlyDenied", "rcp", [("rcp-0", 0, "rcp")]),
    ("deny-order-scp-first", USER, dict(identity_policies=[policy(deny())], scps=[[policy(deny())]],
                                        resource_policy=bucket("*", "Deny")),
     "ExplicitlyDenied", "scp", [("scp-0", 0, "scp"), ("resource-0", 0, "resource"), ("identity-0", 0, "identity")]),
    ("deny-beats-resource-user-grant", USER, dict(identity_policies=[policy(deny())], resource_policy=bucket({"AWS": USER})),
     "ExplicitlyDenied", "identity", [("identity-0", 0, "identity")]),
    # SCPs: every level must allow (IAM callers only)
    ("scp-all-levels-allow", USER, dict(identity_policies=[ID_ALLOW],
                                        scps=[[policy(allow("*"))], [policy(allow("s3:*"))]]),
     "Allowed", "identity", [("identity-0", 0, "identity")]),
    ("scp-one-level-silent", USER, dict(identity_policies=[ID_ALLOW],
                                        scps=[[policy(allow("*"))], [policy(allow("ec2:*"))]]),
     "ImplicitlyDenied", "scp", []),
    ("scp-empty-level", USER, dict(identity_policies=[ID_ALLOW], scps=[[policy(allow("*"))], []]),
     "ImplicitlyDenied", "scp", []),
    ("scp-allow-alone-grants-nothing", USER, dict(scps=[[policy(allow("*"))]]), "ImplicitlyDenied", "identity", []),
    ("scp-limits-resource-grant", USER, dict(resource_policy=bucket({"AWS": USER}), scps=[[policy(allow("ec2:*"))]]),
     "ImplicitlyDenied", "scp", []),
    # RCPs only deny
    ("rcp-allow-grants-nothing", USER, dict(rcps=[[policy(allow(Principal="*"))]]), "ImplicitlyDenied", "identity", []),
    ("rcp-silent-does-not-block", USER, dict(identity_policies=[ID_ALLOW], rcps=[[policy(
        deny("ec2:*", Principal="*"))]]), "Allowed", "identity", [("identity-0", 0, "identity")]),
    # non-IAM callers: the resource policy alone decides
    ("service-resource-grant", SVC, dict(resource_policy=bucket({"Service": SVC})), "Allowed", "resource",
     [("resource-0", 0, "resource")]),
    ("service-identity-ignored", SVC, dict(identity_policies=[ID_ALLOW]), "ImplicitlyDenied", None, []),
    ("service-other-service", SVC, dict(resource_policy=bucket({"Service": "lambda.amazonaws.com"})),
     "ImplicitlyDenied", "resource", []),
    ("service-scp-ignored", SVC, dict(resource_policy=bucket({"Service": SVC}), scps=[[policy(deny())]]),
     "Allowed", "resource", [("resource-0", 0, "resource")]),
    ("service-rcp-applies", SVC, dict(resource_policy=bucket({"Service": SVC}),
                                      rcps=[[policy(deny(Principal="*", resource="arn:aws:s3:::b/*"))]]),
     "ExplicitlyDenied", "rcp", [("rcp-0", 0, "rcp")]),
    ("anonymous-star", "anonymous", dict(resource_policy=bucket("*")), "Allowed", "resource",
     [("resource-0", 0, "resource")]),
    ("anonymous-aws-star", "anonymous", dict(resource_policy=bucket({"AWS": "*"})), "Allowed", "resource",
     [("resource-0", 0, "resource")]),
    ("anonymous-account", "anonymous", dict(resource_policy=bucket({"AWS": ACCT})), "ImplicitlyDenied", "resource", []),
    # cross-account: both sides must allow
    ("cross-resource-only", OTHER_USER, dict(resource_policy=bucket({"AWS": OTHER}), resource_account=ACCT),
     "ImplicitlyDenied", "identity", []),
    ("cross-identity-only", OTHER_USER, dict(identity_policies=[ID_ALLOW], resource_account=ACCT),
     "ImplicitlyDenied", "resource", []),
    ("cross-both", OTHER_USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": OTHER}),
                                    resource_account=ACCT),
     "Allowed", "resource", [("identity-0", 0, "identity"), ("resource-0", 0, "resource")]),
    ("cross-both-user-arn", OTHER_USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": OTHER_USER}),
                                             resource_account=ACCT), "Allowed", "resource",
     [("identity-0", 0, "identity"), ("resource-0", 0, "resource")]),
    ("cross-boundary-blocks", OTHER_USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": OTHER_USER}),
                                               permission_boundary=BOUNDARY_OTHER, resource_account=ACCT),
     "ImplicitlyDenied", "permission_boundary", []),
    ("cross-resource-names-other", OTHER_USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": ACCT}),
                                                    resource_account=ACCT), "ImplicitlyDenied", "resource", []),
    # same account, resource policy names the account: the identity side must allow
    ("account-grant-no-identity", USER, dict(resource_policy=bucket({"AWS": ACCT})), "ImplicitlyDenied", "identity", []),
    ("account-grant-root-arn", USER, dict(resource_policy=bucket({"AWS": f"arn:aws:iam::{ACCT}:root"})),
     "ImplicitlyDenied", "identity", []),
    ("account-grant-with-identity", USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": ACCT})),
     "Allowed", "identity", [("identity-0", 0, "identity")]),
    ("resource-silent-identity-allows", USER, dict(identity_policies=[ID_ALLOW], resource_policy=bucket({"AWS": OTHER})),
     "Allowed", "identity", [("identity-0", 0, "identity")]),
    # same account, resource policy names the user / session / federated user: sufficient alone
    ("user-grant", USER, dict(resource_policy=bucket({"AWS": USER})), "Allowed", "resource",
     [("resource-0", 0, "resource")]),
    ("user-grant-boundary-ignored", USER, dict(resource_policy=bucket({"AWS": USER}), permission_boundary=BOUNDARY_OTHER),
     "Allowed", "resource", [("resource-0", 0, "resource")]),
    ("session-grant", SESSION, dict(resource_policy=bucket({"AWS": SESSION}), permission_boundary=BOUNDARY_OTHER,
                                    session_policy=SESSION_OTHER), "Allowed", "resource", [("resource-0", 0, "resource")]),
    ("fed-grant", FED, dict(resource_policy=bucket({"AWS": FED})), "Allowed", "resource", [("resource-0", 0, "resource")]),
    # same account, resource policy names the role: identity implicit deny ignored, boundary and
    # session policy still limit
    ("role-grant", SESSION, dict(resource_policy=bucket({"AWS": ROLE})), "Allowed", "resource",
     [("resource-0", 0, "resource")]),
    ("role-grant-boundary", SESSION, dict(resource_policy=bucket({"AWS": ROLE}), permission_boundary=BOUNDARY_OTHER),
     "ImplicitlyDenied", "permission_boundary", []),
    ("role-grant-session", SESSION, dict(resource_policy=bucket({"AWS": ROLE}), session_policy=SESSION_OTHER),
     "ImplicitlyDenied", "session", []),
    # same account, "*": the boundary's implicit deny is ignored, the session policy limits
    ("star-grant", USER, dict(resource_policy=bucket("*")), "Allowed", "resource", [("resource-0", 0, "resource")]),
    ("star-grant-boundary", SESSION, dict(resource_policy=bucket("*"), permission_boundary=BOUNDARY_OTHER),
     "Allowed", "resource", [("resource-0", 0, "resource")]),
    ("star-grant-session", SESSION, dict(resource_policy=bucket("*"), session_policy=SESSION_OTHER),
     "ImplicitlyDenied", "session", []),
    # identity side: boundary and session policy must allow too
    ("identity-boundary-blocks", USER, dict(identity_policies=[ID_ALLOW], permission_boundary=BOUNDARY_OTHER),
     "ImplicitlyDenied", "permission_boundary", []),
    ("identity-boundary-allows", USER, dict(identity_policies=[ID_ALLOW], permission_boundary=policy(allow("s3:*"))),
     "Allowed", "identity", [("identity-0", 0, "identity")]),
    ("identity-session-blocks", SESSION, dict(identity_policies=[ID_ALLOW], session_policy=SESSION_OTHER),
     "ImplicitlyDenied", "session", []),
    ("boundary-alone-grants-nothing", USER, dict(permission_boundary=policy(allow("*"))), "ImplicitlyDenied", "identity", []),
    ("session-alone-grants-nothing", SESSION, dict(session_policy=policy(allow("*"))), "ImplicitlyDenied", "identity", []),
    # the root user has implicit identity Allow in its own account, but not against SCPs or denies
    ("root-implicit-allow", ACCT, {}, "Allowed", "identity", []),
    ("root-scp", ACCT, dict(scps=[[policy(allow("ec2:*"))]]), "ImplicitlyDenied", "scp", []),
    ("root-explicit-deny", ACCT, dict(resource_policy=bucket({"AWS": ACCT}, "Deny")), "ExplicitlyDenied", "resource",
     [("resource-0", 0, "resource")]),
    ("root-other-account", f"arn:aws:iam::{OTHER}:root", dict(resource_account=ACCT), "ImplicitlyDenied", "resource", []),
]


@pytest.mark.parametrize(("caller", "kwargs", "decision", "decided_by", "reasons"), [a[1:] for a in ARMS],
                         ids=[a[0] for a in ARMS])
def test_decision_table(caller: str, kwargs: dict[str, Any], decision: str, decided_by: str | None,
                        reasons: list[tuple[str, int, str]]) -> None:
    d = drpolicy.authorize(caller, "s3:GetObject", OBJ, **kwargs)
    assert (d.decision, d.decided_by) == (decision, decided_by)
    assert refs(d) == reasons
    assert d.allowed is (decision == "Allowed")
    assert d.errors == ()


# ------------------------------------------------------------------------------------------
# Trust policies and KMS key policies must name the caller
# ------------------------------------------------------------------------------------------


def _trust(principal: Any) -> dict[str, Any]:
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


TARGET = f"arn:aws:iam::{ACCT}:role/Target"
ASSUME = policy(allow("sts:AssumeRole", TARGET))


@pytest.mark.parametrize(
    ("caller", "kwargs", "decision", "decided_by"),
    [
        # no trust policy given: a role's trust policy must grant AssumeRole, so identity
        # policies alone never suffice (issue 11: the resource-policy-required table)
        (USER, dict(identity_policies=[ASSUME]), "ImplicitlyDenied", "trust"),
        (USER, dict(identity_policies=[ASSUME], resource_policy=_trust({"AWS": OTHER})), "ImplicitlyDenied", "trust"),
        (USER, dict(resource_policy=_trust({"AWS": USER})), "Allowed", "trust"),
        (USER, dict(resource_policy=_trust({"AWS": USER}), permission_boundary=BOUNDARY_OTHER),
         "ImplicitlyDenied", "permission_boundary"),
        (USER, dict(resource_policy=_trust({"AWS": ACCT})), "ImplicitlyDenied", "identity"),
        (USER, dict(identity_policies=[ASSUME], resource_policy=_trust({"AWS": ACCT})), "Allowed", "identity"),
        (SESSION, dict(resource_policy=_trust({"AWS": ROLE})), "Allowed", "trust"),
        (OTHER_USER, dict(resource_policy=_trust({"AWS": OTHER_USER})), "ImplicitlyDenied", "identity"),
        (OTHER_USER, dict(identity_policies=[ASSUME], resource_policy=_trust({"AWS": OTHER_USER})), "Allowed", "trust"),
        (SVC, dict(resource_policy=_trust({"Service": SVC})), "Allowed", "trust"),
        (SVC, dict(resource_policy=_trust({"Service": "lambda.amazonaws.com"})), "ImplicitlyDenied", "trust"),
        (USER, dict(identity_policies=[ASSUME], resource_policy=policy(
            {"Effect": "Deny", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"})), "ExplicitlyDenied", "trust"),
    ],
)
def test_trust_policy_arms(caller: str, kwargs: dict[str, Any], decision: str, decided_by: str) -> None:
    d = drpolicy.authorize(caller, "sts:AssumeRole", TARGET, **kwargs)
    assert (d.decision, d.decided_by) == (decision, decided_by)


@pytest.mark.parametrize(
    ("key_policy", "identity", "allowed"),
    [
        (policy(allow("kms:*", Principal={"AWS": ACCT})), True, True),
        (policy(allow("kms:*", Principal={"AWS": ACCT})), False, False),
        (policy(allow("kms:*", Principal={"AWS": USER})), False, True),
        (policy(allow("kms:*", Principal={"AWS": OTHER})), True, False),  # key policy must name the caller
    ],
)
def test_kms_key_policy_must_name_the_caller(key_policy: dict[str, Any], identity: bool, allowed: bool) -> None:
    kwargs: dict[str, Any] = dict(resource_policy=key_policy)
    if identity:
        kwargs["identity_policies"] = [policy(allow("kms:*"))]
    assert drpolicy.authorize(USER, "kms:Decrypt", KEY, **kwargs).allowed is allowed


def test_ordinary_resource_policy_is_not_strict() -> None:
    # an S3 bucket policy silent about the caller does not block an identity Allow (same account)
    d = drpolicy.authorize(USER, "s3:GetObject", OBJ, identity_policies=[ID_ALLOW],
                           resource_policy=bucket({"AWS": OTHER}))
    assert d.allowed


# ------------------------------------------------------------------------------------------
# Explicit deny wins; NotAction / NotResource complements (IAM User Guide examples)
# ------------------------------------------------------------------------------------------


def test_deny_report_example() -> None:
    role = Role.from_policies("r", [policy(allow(["iam:Get*", "iam:List*"])), policy(deny("iam:*Report"))])
    assert role.is_allowed("iam:GetRole", "*")
    d = role.evaluate("iam:GetOrganizationsAccessReport", "*")
    assert d.decision == "ExplicitlyDenied"
    assert refs(d) == [("r/policy-1", 0, "identity")]


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [("s3:GetObject", OBJ, True), ("ec2:RunInstances", "*", True), ("iam:CreateUser", "*", False),
     ("IAM:createuser", f"arn:aws:iam::{ACCT}:user/x", False)],
)
def test_allow_not_action_everything_but_iam(action: str, resource: str, allowed: bool) -> None:
    role = Role.from_policies("r", [policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})])
    assert role.is_allowed(action, resource) is allowed
    assert role.evaluate(action, resource).allowed is allowed


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("s3:GetObject", OBJ, True),
        ("s3:DeleteBucket", "arn:aws:s3:::b", False),
        ("s3:ListAllMyBuckets", "*", False),  # needs Resource "*"
        ("ec2:RunInstances", f"arn:aws:ec2:us-east-1:{ACCT}:instance/*", False),  # no other service
    ],
)
def test_allow_not_action_limited_by_resource(action: str, resource: str, allowed: bool) -> None:
    role = Role.from_policies("r", [policy({"Effect": "Allow", "NotAction": "s3:DeleteBucket",
                                            "Resource": "arn:aws:s3:::*"})])
    assert role.is_allowed(action, resource) is allowed


def test_deny_not_action_without_mfa() -> None:
    guard = policy({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    role = Role.from_policies("r", [policy(allow("*")), guard])
    # long-term keys: the key is absent, IfExists makes the condition true
    assert role.evaluate("s3:GetObject", OBJ).decision == "ExplicitlyDenied"
    assert role.evaluate("s3:GetObject", OBJ, {"aws:MultiFactorAuthPresent": "false"}).decision == "ExplicitlyDenied"
    assert role.is_allowed("s3:GetObject", OBJ, {"aws:MultiFactorAuthPresent": "true"})
    assert role.is_allowed("iam:ListUsers", "*")


def test_deny_not_resource_affects_only_listed_actions() -> None:
    guard = policy({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::hr", "arn:aws:s3:::hr/*"]})
    role = Role.from_policies("r", [policy(allow("*")), guard])
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::hr/payroll.csv")
    assert not role.is_allowed("s3:GetObject", OBJ)
    assert role.is_allowed("ec2:RunInstances", f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-1")


# ------------------------------------------------------------------------------------------
# Evaluation errors fail closed
# ------------------------------------------------------------------------------------------

NUMERIC = {"NumericLessThan": {"s3:max-keys": "10"}}


def test_erroring_allow_never_grants() -> None:
    role = Role.from_policies("r", [policy(allow(Condition=NUMERIC))])
    d = role.evaluate("s3:GetObject", OBJ, {"s3:max-keys": "abc"})
    assert d.decision == "ImplicitlyDenied"
    assert len(d.errors) == 1
    assert (d.errors[0].statement.policy, d.errors[0].statement.index) == ("r/policy-0", 0)
    assert "abc" in d.errors[0].message
    assert not role.is_allowed("s3:GetObject", OBJ, {"s3:max-keys": "abc"})
    assert role.is_allowed("s3:GetObject", OBJ, {"s3:max-keys": "9"})


def test_erroring_deny_applies() -> None:
    role = Role.from_policies("r", [policy(allow("*")), policy(deny(Condition=NUMERIC))])
    d = role.evaluate("s3:GetObject", OBJ, {"s3:max-keys": "abc"})
    assert d.decision == "ExplicitlyDenied"
    assert refs(d) == [("r/policy-1", 0, "identity")]
    assert len(d.errors) == 1
    assert not role.is_allowed("s3:GetObject", OBJ, {"s3:max-keys": "abc"})
    assert role.is_allowed("s3:GetObject", OBJ, {"s3:max-keys": "11"})


def test_erroring_statement_does_not_hide_another_allow() -> None:
    role = Role.from_policies("r", [policy(allow(Condition=NUMERIC), allow())])
    d = role.evaluate("s3:GetObject", OBJ, {"s3:max-keys": "abc"})
    assert d.decision == "Allowed"
    assert refs(d) == [("r/policy-0", 1, "identity")]
    assert len(d.errors) == 1


def test_erroring_not_resource_variable_fails_closed() -> None:
    # NotResource with a variable that has no value cannot be decided: a Deny applies
    guard = policy({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::home/${aws:username}/*"})
    role = Role.from_policies("r", [policy(allow("*")), guard])
    d = role.evaluate("s3:GetObject", "arn:aws:s3:::home/bob/x")
    assert d.decision == "ExplicitlyDenied"
    assert len(d.errors) == 1
    assert not role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x")
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": "bob"})
    grant = Role.from_policies("r", [policy({"Effect": "Allow", "Action": "s3:*",
                                             "NotResource": "arn:aws:s3:::home/${aws:username}/*"})])
    d = grant.evaluate("s3:GetObject", "arn:aws:s3:::other/x")
    assert d.decision == "ImplicitlyDenied"
    assert len(d.errors) == 1


def test_erroring_resource_policy_deny_applies_to_services() -> None:
    resource = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                       "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
                      {"Effect": "Allow", "Principal": {"Service": SVC}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::b/*"})
    d = drpolicy.authorize(SVC, "s3:GetObject", OBJ, resource_policy=resource,
                           context={"aws:CurrentTime": "not a time"})
    assert d.decision == "ExplicitlyDenied"
    assert len(d.errors) == 1


# ------------------------------------------------------------------------------------------
# missing_context: only from statements whose action and resource matched
# ------------------------------------------------------------------------------------------


def test_missing_context_only_from_matching_statements() -> None:
    role = Role.from_policies("r", [policy(
        allow("s3:GetObject", "arn:aws:s3:::b/*", Condition={"StringEquals": {"s3:ExistingObjectTag/team": "red"}}),
        allow("s3:PutObject", "arn:aws:s3:::b/*", Condition={"StringEquals": {"s3:RequestObjectTag/team": "red"}}),
        allow("s3:GetObject", "arn:aws:s3:::other/*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        deny("s3:GetObject", "arn:aws:s3:::b/*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        allow("s3:GetObject", "*", Condition={"StringLike": {"s3:prefix": "home/${aws:PrincipalTag/team}/*"}}),
    )])
    d = role.evaluate("s3:GetObject", OBJ)
    assert d.decision == "ImplicitlyDenied"
    lowered = {k.lower() for k in d.missing_context}
    assert lowered == {"aws:principaltag/team", "s3:existingobjecttag/team", "aws:sourceip", "s3:prefix"}
    assert "s3:requestobjecttag/team" not in lowered  # other action
    assert "aws:securetransport" not in lowered  # other resource
    assert list(d.missing_context) == sorted(d.missing_context, key=str.lower)
    supplied = role.evaluate("s3:GetObject", OBJ, {"s3:ExistingObjectTag/team": "red", "aws:SourceIp": "198.51.100.1"})
    assert supplied.allowed
    assert {k.lower() for k in supplied.missing_context} == {"aws:principaltag/team", "s3:prefix"}


def test_missing_context_keeps_the_written_spelling() -> None:
    role = Role.from_policies("r", [policy(allow(Condition={"StringEquals": {"S3:ExistingObjectTag/Team": "red"}}))])
    assert role.evaluate("s3:GetObject", OBJ).missing_context == ("S3:ExistingObjectTag/Team",)


def test_missing_context_includes_scp_keys() -> None:
    scp = policy(allow("*"), deny(Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}))
    d = drpolicy.authorize(USER, "s3:GetObject", OBJ, identity_policies=[ID_ALLOW], scps=[[scp]])
    assert "aws:RequestedRegion" in d.missing_context
    assert d.decision == "ExplicitlyDenied"  # negated operator on an absent key is true


def test_derived_context_is_not_missing() -> None:
    role = Role.from_policies("r", [policy(allow(Condition={"StringEquals": {"aws:PrincipalAccount": ACCT}}))])
    d = role.evaluate("s3:GetObject", OBJ)
    assert d.allowed
    assert d.missing_context == ()


# ------------------------------------------------------------------------------------------
# Requests and agreement between the fast and the explaining path
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource"),
    [("s3:Get*", OBJ), ("s3", OBJ), ("s3:a:b", OBJ), (":GetObject", OBJ), ("s3:", OBJ), (5, OBJ),
     (["s3:GetObject"], OBJ), ("s3:GetObject", "bucket"), ("s3:GetObject", ["arn:aws:s3:::b"]),
     ("s3:GetObject", 5), ("s3:GetObject", "arn:aws:S3:::b")],
)
def test_bad_requests_raise_request_errors(action: Any, resource: Any) -> None:
    with pytest.raises(RequestError):
        drpolicy.is_allowed("deepracer", action, resource)
    with pytest.raises(RequestError):
        drpolicy.evaluate("deepracer", action, resource)
    with pytest.raises(RequestError):
        drpolicy.authorize(USER, action, resource, identity_policies=[ID_ALLOW])


@pytest.mark.parametrize("caller", [5, "nobody", "arn:aws:s3:::b"])
def test_bad_callers_raise_request_errors(caller: Any) -> None:
    with pytest.raises(RequestError):
        drpolicy.authorize(caller, "s3:GetObject", OBJ)


def test_scps_shape_is_checked() -> None:
    with pytest.raises(RequestError):
        drpolicy.authorize(USER, "s3:GetObject", OBJ, scps=[policy(allow("*"))])  # type: ignore[list-item]


AGREEMENT_POLICIES = [
    policy(allow("s3:*", "arn:aws:s3:::b/*"), deny("s3:DeleteObject", "arn:aws:s3:::b/keep/*")),
    policy(allow("s3:GetObject", "*", Condition={"StringEqualsIgnoreCase": {"s3:ExistingObjectTag/x": "true"}})),
    policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}),
    policy(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")),
    policy(allow("*", "*"), deny("*", "*", Condition={"NumericGreaterThan": {"k": "5"}})),
]
REQUESTS = [
    ("s3:GetObject", OBJ, None), ("s3:DeleteObject", "arn:aws:s3:::b/keep/x", None),
    ("s3:GetObject", "arn:aws:s3:::secret/x", {"s3:ExistingObjectTag/x": "TRUE"}),
    ("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": "bob"}),
    ("iam:CreateUser", "*", {"k": "6"}), ("ec2:RunInstances", "*", {"k": "x"}),
    ("s3:ListAllMyBuckets", "*", None),
]


@pytest.mark.parametrize("index", range(len(AGREEMENT_POLICIES)))
def test_is_allowed_agrees_with_evaluate(index: int) -> None:
    role = Role.from_policies("r", [AGREEMENT_POLICIES[index]])
    for action, resource, context in REQUESTS:
        d = role.evaluate(action, resource, context)
        assert role.is_allowed(action, resource, context) is d.allowed, (action, resource, context)
        assert drpolicy.is_allowed(role, action, resource, context) is d.allowed
        # asking twice gives the same answer (caches)
        assert drpolicy.is_allowed(role, action, resource, context) is d.allowed
        assert role.evaluate(action, resource, context) == d


def test_decision_values() -> None:
    d = Decision("Allowed")
    assert d.allowed
    assert not Decision("ImplicitlyDenied").allowed
    assert not Decision("ExplicitlyDenied").allowed
    assert (d.reasons, d.decided_by, d.missing_context, d.errors) == ((), None, (), ())


def test_statement_ref_text() -> None:
    role = Role.from_policies("r", {"p": policy({"Sid": "Read", **allow()})})
    (ref,) = role.evaluate("s3:GetObject", OBJ).reasons
    assert (ref.policy, ref.index, ref.sid, ref.policy_type) == ("p", 0, "Read", "identity")
    assert str(ref) == "identity:p: Statement[0] (Read)"


def test_shared_compiled_policies_never_lose_a_deny() -> None:
    """Regression: a parsed policy reused in another authorize() call at another position must
    not disturb the first call's index (it once renumbered the shared statements, so a Deny
    collided with an Allow and vanished: a silent Allow)."""
    alice = "arn:aws:iam::111122223333:user/alice"
    allow = drpolicy.load_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, name="allow")
    deny = drpolicy.load_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}, name="deny")
    assert drpolicy.authorize(alice, "s3:PutObject", "*", identity_policies=[allow, deny]).decision == "ExplicitlyDenied"
    assert drpolicy.authorize(alice, "s3:GetObject", "*", identity_policies=[deny]).decision == "ExplicitlyDenied"
    # a group built after the other index was created
    d = drpolicy.authorize(alice, "s3:ListBucket", "*", identity_policies=[allow, deny])
    assert d.decision == "ExplicitlyDenied"
    assert [str(r) for r in d.reasons] == ["identity:deny: Statement[0]"]


def test_authorize_recompiles_a_reused_list_whose_entries_changed() -> None:
    """authorize() remembers the index of an identity policy list by its entries' identities;
    a dict edited in place, or an entry replaced in the same list, is compiled again."""
    alice = "arn:aws:iam::111122223333:user/alice"
    doc: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    policies: list[Any] = [doc]
    assert drpolicy.authorize(alice, "s3:GetObject", OBJ, identity_policies=policies).allowed
    doc["Statement"][0]["Effect"] = "Deny"
    d = drpolicy.authorize(alice, "s3:GetObject", OBJ, identity_policies=policies)
    assert d.decision == "ExplicitlyDenied"
    policies[0] = {"Version": "2012-10-17", "Statement": []}
    d = drpolicy.authorize(alice, "s3:GetObject", OBJ, identity_policies=policies)
    assert (d.decision, d.reasons) == ("ImplicitlyDenied", ())
    policies.append({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    d = drpolicy.authorize(alice, "s3:GetObject", OBJ, identity_policies=policies)
    assert [str(r) for r in d.reasons] == ["identity:identity-1: Statement[0]"]
    with pytest.raises(RequestError):
        drpolicy.authorize(alice, "s3:GetObject", OBJ, identity_policies=[*policies, 3])
    with pytest.raises(RequestError):
        drpolicy.authorize(alice, "s3 GetObject", OBJ, identity_policies=policies)


def test_authorize_remembers_each_principal_with_its_own_policies() -> None:
    """authorize() remembers, per principal text, the identity policies of its last call (a
    one-lookup plan); another list for the same principal, the same list for another
    principal, a tuple, no policies, or the same list refilled in place are each answered
    from the policies given."""
    alice = "arn:aws:iam::111122223333:user/alice"
    bob = "arn:aws:iam::111122223333:user/bob"
    allow_doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    deny_doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
    allowing: list[Any] = [allow_doc]
    denying: list[Any] = [deny_doc]

    def outcome(principal: str, policies: Any) -> str:
        return drpolicy.authorize(principal, "s3:GetObject", OBJ, identity_policies=policies).decision

    for _ in range(2):  # the second round is answered from the remembered plans
        assert outcome(alice, allowing) == "Allowed"
        assert outcome(alice, denying) == "ExplicitlyDenied"
        assert outcome(bob, allowing) == "Allowed"
        assert outcome(alice, tuple(denying)) == "ExplicitlyDenied"
        assert outcome(alice, ()) == "ImplicitlyDenied"
        assert outcome(alice, None) == "ImplicitlyDenied"
        assert outcome(bob, [allow_doc, deny_doc]) == "ExplicitlyDenied"
        # a new list on every call: the same entries, then other ones
        assert outcome(alice, [allow_doc]) == "Allowed"
        assert outcome(alice, [allow_doc]) == "Allowed"
        assert outcome(alice, [deny_doc]) == "ExplicitlyDenied"
    # an equal copy is accepted; once edited, it is compiled again
    copied = json.loads(json.dumps(allow_doc))
    assert outcome(alice, [allow_doc]) == "Allowed"
    assert outcome(alice, [copied]) == "Allowed"
    copied["Statement"][0]["Effect"] = "Deny"
    assert outcome(alice, [copied]) == "ExplicitlyDenied"
    assert outcome(alice, allowing) == "Allowed"
    allowing[:] = [deny_doc]  # the same list object, refilled
    assert outcome(alice, allowing) == "ExplicitlyDenied"
    allowing.clear()
    assert outcome(alice, allowing) == "ImplicitlyDenied"
    # an entry whose == raises, compared with the remembered entries: still the typed error
    # that names it, never the entry's own exception

    class Raising:
        def __eq__(self, other: object) -> bool:
            raise TypeError("not comparable")

        __hash__ = object.__hash__

    assert outcome(alice, [allow_doc]) == "Allowed"
    with pytest.raises(RequestError, match=r"identity_policies\[0\]"):
        outcome(alice, [Raising()])


def test_errors_come_in_statement_order_in_every_policy_set() -> None:
    """Decision.errors lists a set's erroring statements in policy order whatever their
    effect (docs/api.md), in a resource policy (scanned with its Principal elements) as in
    identity policies; the sets come identity first, the resource policy last."""
    alice = "arn:aws:iam::111122223333:user/alice"
    erring = {"NumericLessThan": {"s3:max-keys": "10"}}

    def stmt(effect: str, sid: str, **extra: Any) -> dict[str, Any]:
        return {"Sid": sid, "Effect": effect, "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::b", "Condition": erring, **extra}

    bucket = policy(stmt("Allow", "A0", Principal={"AWS": alice}),
                    stmt("Deny", "D1", Principal="*"), stmt("Allow", "A2", Principal="*"))
    identity = policy(stmt("Allow", "IA0"), stmt("Deny", "ID1"))
    d = drpolicy.authorize(alice, "s3:ListBucket", "arn:aws:s3:::b",
                           context={"s3:max-keys": "many"}, identity_policies=[identity],
                           resource_policy=bucket)
    assert d.decision == "ExplicitlyDenied"  # the erroring Denies apply (fail closed)
    assert [e.statement.sid for e in d.errors] == ["IA0", "ID1", "A0", "D1", "A2"]
    assert [r.sid for r in d.reasons] == ["D1", "ID1"]  # resource policy first, then identity


def test_authorize_recompiles_an_edited_resource_policy_or_boundary() -> None:
    """authorize() remembers a resource policy, session policy or boundary by its identity;
    one edited in place between two calls is compiled again."""
    bob = "arn:aws:iam::444455556666:user/bob"  # another account: the bucket policy decides
    obj = "arn:aws:s3:::shared/k"
    mine: list[Any] = [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]
    bucket: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::shared/*"}]}

    def ask(**kwargs: Any) -> Decision:
        return drpolicy.authorize(bob, "s3:GetObject", obj, identity_policies=mine,
                                  resource_account="111122223333", **kwargs)

    assert ask(resource_policy=bucket).allowed
    bucket["Statement"][0]["Effect"] = "Deny"
    assert ask(resource_policy=bucket).decision == "ExplicitlyDenied"
    bucket["Statement"][0]["Effect"] = "Allow"
    boundary: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    assert ask(resource_policy=bucket, permission_boundary=boundary).allowed
    boundary["Statement"][0]["Action"] = "s3:PutObject"
    # same account as the caller, so the boundary must allow too
    d = drpolicy.authorize(bob, "s3:GetObject", obj, identity_policies=mine,
                           permission_boundary=boundary)
    assert d.decision == "ImplicitlyDenied"
    boundary["Statement"][0]["Action"] = "s3:GetObject"
    assert drpolicy.authorize(bob, "s3:GetObject", obj, identity_policies=mine,
                              permission_boundary=boundary).allowed


@pytest.mark.parametrize(("operator", "before", "after", "context"), [
    ("Bool", True, 1, "true"),  # `1` is not a boolean: the edited policy does not parse
    ("NumericEquals", 1, True, "1"),  # `true` is not a number
    ("StringEquals", "1", 1.0, "1"),  # parses, but as "1.0"
])
def test_authorize_notices_a_value_replaced_by_an_equal_one_of_another_type(
    operator: str, before: Any, after: Any, context: str
) -> None:
    """`True == 1 == 1.0` in Python, but they are different policy values: an edit between
    two calls that swaps one for another must be compiled again, not answered from the
    memo (a policy that no longer parses must raise, not allow)."""
    import copy

    alice = "arn:aws:iam::111122223333:user/alice"
    doc: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {operator: {"s3:prefix": before}}}]}
    policies = [doc]
    ctx = {"s3:prefix": context}
    assert drpolicy.authorize(alice, "s3:GetObject", OBJ, context=ctx,
                              identity_policies=policies).allowed
    doc["Statement"][0]["Condition"][operator]["s3:prefix"] = after

    def outcome(sources: list[Any]) -> object:
        try:
            return drpolicy.authorize(alice, "s3:GetObject", OBJ, context=ctx,
                                      identity_policies=sources).decision
        except PolicyParseError as exc:
            return type(exc)

    fresh = outcome([copy.deepcopy(doc)])
    assert outcome(policies) == fresh
    assert fresh != "Allowed" or operator == "StringEquals"
    # the same edit to a resource policy (`_single`'s memo)
    bucket: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {operator: {"s3:prefix": before}}}]}
    bob = "arn:aws:iam::444455556666:user/bob"

    def cross(policy: Any) -> object:
        try:
            return drpolicy.authorize(bob, "s3:GetObject", OBJ, context=ctx,
                                      identity_policies=[ALLOW_ALL],
                                      resource_policy=policy,
                                      resource_account="111122223333").decision
        except PolicyParseError as exc:
            return type(exc)

    assert cross(bucket) == "Allowed"
    bucket["Statement"][0]["Condition"][operator]["s3:prefix"] = after
    assert cross(bucket) == cross(copy.deepcopy(bucket))


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def test_shared_decisions_equal_fresh_ones() -> None:
    """Decisions of the identity path are shared between requests with the same deciding
    statements; each equals the value built from scratch, and missing keys or errors are
    never carried from one request to another."""
    role = Role.from_policies("r", {"p": policy(
        allow(), {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{OBJ}-secret"},
        {**allow("s3:PutObject"), "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}},
    )})
    first = role.evaluate("s3:GetObject", OBJ)
    again = role.evaluate("s3:GetObject", OBJ)
    assert first == again == Decision("Allowed", first.reasons, "identity", (), ())
    denied = role.evaluate("s3:GetObject", f"{OBJ}-secret")
    assert (denied.decision, [r.index for r in denied.reasons]) == ("ExplicitlyDenied", [1])
    assert role.evaluate("s3:PutObject", OBJ).missing_context == ("aws:SourceVpc",)
    put = role.evaluate("s3:PutObject", OBJ, {"aws:SourceVpc": "vpc-1"})
    assert (put.decision, put.missing_context) == ("Allowed", ())
    assert role.evaluate("s3:PutObject", OBJ).missing_context == ("aws:SourceVpc",)
    nothing = role.evaluate("s3:DeleteObject", OBJ)
    assert nothing == Decision("ImplicitlyDenied", (), "identity", (), ())


KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("kwargs", "decision", "decided_by"),
    [
        # AWS KMS: "Unless the key policy explicitly allows it, you cannot use IAM policies to
        # allow access to a KMS key"
        (dict(), "ImplicitlyDenied", "resource"),
        (dict(resource_policy=policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                      "Action": "kms:*", "Resource": "*"})), "Allowed", "identity"),
        (dict(resource_policy=policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
                                      "Action": "kms:*", "Resource": "*"})), "ImplicitlyDenied", "resource"),
    ],
)
def test_kms_keys_need_their_key_policy(kwargs: dict[str, Any], decision: str, decided_by: str) -> None:
    d = drpolicy.authorize(
        "arn:aws:iam::111122223333:user/alice", "kms:Decrypt", KMS_KEY,
        identity_policies=[policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})], **kwargs,
    )
    assert (d.decision, d.decided_by) == (decision, decided_by)


def test_kms_aliases_are_not_keys() -> None:
    alias = "arn:aws:kms:us-east-1:111122223333:alias/app"
    d = drpolicy.authorize(
        "arn:aws:iam::111122223333:user/alice", "kms:DescribeKey", alias,
        identity_policies=[policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})],
    )
    assert d.allowed


DENY_ALL = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})


@pytest.mark.parametrize("action", ["sts:GetCallerIdentity", "STS:getcalleridentity"])
def test_get_caller_identity_is_always_allowed(action: str) -> None:
    # STS API reference: no permissions are required, and an explicit Deny does not stop it
    alice = "arn:aws:iam::111122223333:user/alice"
    for kwargs in (dict(), dict(identity_policies=[DENY_ALL]), dict(session_policy=DENY_ALL),
                   dict(scps=[[DENY_ALL]]), dict(permission_boundary=DENY_ALL)):
        d = drpolicy.authorize(alice, action, "*", **kwargs)  # type: ignore[arg-type]
        assert d.decision == "Allowed" and d.decided_by is None and d.reasons == ()
    role = Role.from_policies("r", {"deny": DENY_ALL}, permission_boundary=DENY_ALL)
    assert role.is_allowed(action, "*")
    assert role.evaluate(action, "*").allowed
    assert drpolicy.explain(role, action, "*").decision.allowed


@pytest.mark.parametrize("action", ["s3:GetObject ", " s3:GetObject", "s3:Get Object", "s3:GetObject\n",
                                    "s3:Get\tObject", "s3:*", "s3:Get?bject", "s3", "s3:a:b"])
def test_request_actions_are_validated(action: str) -> None:
    role = Role.from_policies("r", {"p": policy({"Effect": "Allow", "Action": "*", "Resource": "*"},
                                                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})})
    with pytest.raises(RequestError):
        role.is_allowed(action, "*")
    with pytest.raises(RequestError):
        drpolicy.authorize("arn:aws:iam::111122223333:user/alice", action, "*")


ALLOW_ALL = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})


@pytest.mark.parametrize(
    ("statements", "allowed", "ambiguous"),
    [
        # an Allow never grants through a wildcard in a service prefix
        ([{"Effect": "Allow", "Action": "*:GetObject", "Resource": "*"}], False, True),
        ([{"Effect": "Allow", "Action": "s3*:Get*", "Resource": "*"}], False, True),
        # ...unless another pattern of the statement matches plainly
        ([{"Effect": "Allow", "Action": ["*:GetObject", "s3:GetObject"], "Resource": "*"}], True, False),
        # a Deny applies through it
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
          {"Effect": "Deny", "Action": "s3*:*", "Resource": "*"}], False, True),
        # a Deny whose NotAction excludes the action only through it applies too
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
          {"Effect": "Deny", "NotAction": "s3*:*", "Resource": "*"}], False, True),
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
          {"Effect": "Deny", "NotAction": ["s3*:*", "s3:GetObject"], "Resource": "*"}], True, False),
    ],
)
def test_service_prefix_wildcards_are_ambiguous(
    statements: list[dict[str, Any]], allowed: bool, ambiguous: bool
) -> None:
    role = Role.from_policies("r", {"p": policy(*statements)})
    d = role.evaluate("s3:GetObject", "arn:aws:s3:::b/k")
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::b/k") is allowed is d.allowed
    assert bool(d.ambiguities) is ambiguous
    a = drpolicy.authorize("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "arn:aws:s3:::b/k",
                           identity_policies=[policy(*statements)], resource_policy=policy(
                               {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                "Action": "s3:ListBucket", "Resource": "*"}))
    assert a.allowed is allowed and bool(a.ambiguities) is ambiguous


ALICE = "arn:aws:iam::111122223333:user/alice"


@pytest.mark.parametrize(
    ("effect", "not_principal", "allowed", "ambiguous"),
    [
        # Allow + NotPrincipal naming the user but not its account: ambiguous, no grant
        ("Allow", {"AWS": ALICE}, False, True),
        ("Allow", {"AWS": "111122223333"}, False, True),
        # naming nobody in the caller's chain: the Allow applies ("everyone except")
        ("Allow", {"AWS": "arn:aws:iam::444455556666:user/bob"}, True, False),
        # naming the whole chain: excluded
        ("Allow", {"AWS": [ALICE, "arn:aws:iam::111122223333:root"]}, False, False),
        # an empty NotPrincipal: ambiguous either way
        ("Allow", {}, False, True),
        ("Deny", {}, False, True),
    ],
)
def test_not_principal_ambiguities(
    effect: str, not_principal: dict[str, Any], allowed: bool, ambiguous: bool
) -> None:
    statements = [{"Effect": effect, "NotPrincipal": not_principal, "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::b/*"}]
    if effect == "Deny":
        statements.append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::b/*"})
    d = drpolicy.authorize(ALICE, "s3:GetObject", "arn:aws:s3:::b/k", resource_policy=policy(*statements))
    assert d.allowed is allowed
    assert bool(d.ambiguities) is ambiguous


def test_placed_statement_copies_every_slot() -> None:
    """An index's copy of a compiled statement differs from it only in ``order``."""
    from drpolicy._compiled import _Stmt, compile_policy

    (s,) = compile_policy(policy(allow())).statements
    copy = s.placed(7)
    assert copy.order == 7
    for name in _Stmt.__slots__:
        if name != "order":
            assert getattr(copy, name) is getattr(s, name), name


def test_compiling_leaves_the_garbage_collector_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    Role.from_policies("r", {"p": policy(allow())})
    assert gc.isenabled()
    gc.disable()
    try:
        Role.from_policies("r", {"p": policy(allow())})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_policy_must_grant_agrees_with_resource_policy_required() -> None:
    """authorize's identity-only path reads the ARN's service and resource part from its one
    regex; the rule it applies must be resource_policy_required's."""
    import itertools

    from drpolicy._api import _ARN_PARTS
    from drpolicy.evaluator import policy_must_grant, resource_policy_required

    resources = [
        "arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:user/x",
        "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:kms:us-east-1:1:alias/k",
        "arn:aws:s3:::b/k", "arn:aws:iam::1:role/role/x", "arn:aws-cn:iam::1:role/a",
        "arn:aws:sts::1:assumed-role/r/s",
    ]
    actions = ["sts:AssumeRole", "STS:assumeRoleWithSAML", "iam:PassRole", "kms:Decrypt",
               "s3:GetObject"]
    for resource, action in itertools.product(resources, actions):
        m = _ARN_PARTS.match(resource)
        assert m is not None
        got = policy_must_grant(m[1], action, resource, m.end())
        assert got == resource_policy_required(action, resource), (resource, action)
