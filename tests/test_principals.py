"""Principals: parsing, the context AWS derives from them, and Principal/NotPrincipal matching.

Sources: IAM User Guide "AWS JSON policy elements: Principal" (account principals delegate to
the account, role ARNs name the role's sessions, no partial wildcards), "NotPrincipal" (list the
account, the role and the session), "AWS global condition context keys" (aws:PrincipalArn is
the role ARN for a role session; aws:username exists only for IAM users).
"""

from __future__ import annotations

from typing import Any

import pytest

import drpolicy
from drpolicy import DrpolicyError, InvalidArnError, Principal, PrincipalSpec, RequestError
from drpolicy.principals import match_principal, not_principal_excludes

ACCT = "123456789012"
OTHER = "111122223333"
USER = f"arn:aws:iam::{ACCT}:user/alice"
PATHED_USER = f"arn:aws:iam::{ACCT}:user/division_abc/subdivision_xyz/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/Dev"
PATHED_ROLE = f"arn:aws:iam::{ACCT}:role/service-role/AWSDeepRacerServiceRole"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Dev/alice"
PATHED_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/AWSDeepRacerServiceRole/job-1"
FED = f"arn:aws:sts::{ACCT}:federated-user/bob"
ROOT = f"arn:aws:iam::{ACCT}:root"


# ------------------------------------------------------------------------------------------
# Principal.parse
# ------------------------------------------------------------------------------------------

PARSE = [
    ("anonymous", dict(kind="anonymous", arn=None, account=None, name=None)),
    ("*", dict(kind="anonymous", arn=None, account=None)),
    ("sagemaker.amazonaws.com", dict(kind="service", name="sagemaker.amazonaws.com", account=None, arn=None)),
    ("states.us-east-1.amazonaws.com", dict(kind="service", name="states.us-east-1.amazonaws.com")),
    ("ACCT", dict(kind="root", arn=ROOT, account=ACCT)),
    (ROOT, dict(kind="root", arn=ROOT, account=ACCT)),
    (USER, dict(kind="user", arn=USER, account=ACCT, name="alice", role_arn=None)),
    (PATHED_USER, dict(kind="user", arn=PATHED_USER, name="alice")),
    (ROLE, dict(kind="role", arn=ROLE, account=ACCT, name="Dev", role_arn=ROLE, session=None)),
    (PATHED_ROLE, dict(kind="role", arn=PATHED_ROLE, name="AWSDeepRacerServiceRole", role_arn=PATHED_ROLE)),
    (SESSION, dict(kind="assumed-role", arn=SESSION, account=ACCT, name="Dev", role_arn=ROLE, session="alice")),
    (PATHED_SESSION, dict(kind="assumed-role", name="AWSDeepRacerServiceRole",
                          role_arn=f"arn:aws:iam::{ACCT}:role/AWSDeepRacerServiceRole", session="job-1")),
    (FED, dict(kind="federated-user", arn=FED, account=ACCT, name="bob")),
    ("arn:aws-cn:iam::123456789012:user/a", dict(kind="user", partition="aws-cn", account=ACCT)),
    ("arn:aws-us-gov:sts::123456789012:assumed-role/R/s",
     dict(kind="assumed-role", partition="aws-us-gov", role_arn="arn:aws-us-gov:iam::123456789012:role/R")),
]


@pytest.mark.parametrize(("text", "fields"), PARSE, ids=[p[0] for p in PARSE])
def test_parse(text: str, fields: dict[str, Any]) -> None:
    text = ACCT if text == "ACCT" else text
    principal = Principal.parse(text)
    for name, value in fields.items():
        assert getattr(principal, name) == value, name


def test_parse_passes_principals_through() -> None:
    p = Principal.parse(USER)
    assert Principal.parse(p) is p


BAD_PRINCIPALS: list[tuple[Any, type[Exception]]] = [
    ("alice", RequestError),
    ("", RequestError),
    ("12345678901", RequestError),
    ("sagemaker", RequestError),
    (5, RequestError),
    (None, RequestError),
    ("arn:aws:s3:::bucket", InvalidArnError),
    ("arn:aws:iam::12345:user/a", InvalidArnError),
    ("arn:aws:iam::123456789012:group/admins", InvalidArnError),
    ("arn:aws:iam::123456789012:user/", InvalidArnError),
    ("arn:aws:iam::123456789012:role/", InvalidArnError),
    ("arn:aws:iam::123456789012:role/path/", InvalidArnError),
    ("arn:aws:sts::123456789012:assumed-role/Dev", InvalidArnError),
    ("arn:aws:sts::123456789012:assumed-role//s", InvalidArnError),
    ("arn:aws:sts::123456789012:federated-user/", InvalidArnError),
    ("arn:aws:iam::123456789012:policy/p", InvalidArnError),
    ("arn:aws:iam:us-east-1:123456789012:user/a", InvalidArnError),
]


@pytest.mark.parametrize(("value", "error"), BAD_PRINCIPALS, ids=[repr(b[0]) for b in BAD_PRINCIPALS])
def test_parse_bad(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        Principal.parse(value)
    assert isinstance(info.value, DrpolicyError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("value", "error"), BAD_PRINCIPALS, ids=[repr(b[0]) for b in BAD_PRINCIPALS])
def test_bad_principals_rejected_by_can_assume(value: Any, error: type[Exception]) -> None:
    with pytest.raises(DrpolicyError):
        drpolicy.can_assume(value, "sagemaker")


def test_other_constructors() -> None:
    web = Principal.web_identity("accounts.google.com")
    assert (web.kind, web.name, web.account, web.is_iam) == ("web-identity", "accounts.google.com", None, False)
    canon = Principal.canonical_user("79a59df900b949e55d96a1e698fbace")
    assert (canon.kind, canon.name, canon.is_iam) == ("canonical-user", "79a59df900b949e55d96a1e698fbace", False)


@pytest.mark.parametrize(
    ("text", "is_iam"),
    [(USER, True), (ROLE, True), (SESSION, True), (ROOT, True), (FED, True),
     ("sagemaker.amazonaws.com", False), ("anonymous", False)],
)
def test_is_iam(text: str, is_iam: bool) -> None:
    assert Principal.parse(text).is_iam is is_iam


# ------------------------------------------------------------------------------------------
# context(): what AWS derives from the caller
# ------------------------------------------------------------------------------------------

CONTEXTS = [
    (USER, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
            "aws:principalarn": (USER,), "aws:principaltype": ("User",), "aws:username": ("alice",)}),
    (PATHED_USER, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
                   "aws:principalarn": (PATHED_USER,), "aws:principaltype": ("User",),
                   "aws:username": ("alice",)}),
    (ROLE, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
            "aws:principalarn": (ROLE,), "aws:principaltype": ("AssumedRole",)}),
    # aws:PrincipalArn of a role session is the role's ARN, not the session's
    (SESSION, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
               "aws:principalarn": (ROLE,), "aws:principaltype": ("AssumedRole",)}),
    (ROOT, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
            "aws:principalarn": (ROOT,), "aws:principaltype": ("Account",), "aws:userid": (ACCT,)}),
    (FED, {"aws:principalisawsservice": ("false",), "aws:principalaccount": (ACCT,),
           "aws:principalarn": (FED,), "aws:principaltype": ("FederatedUser",)}),
    ("sagemaker.amazonaws.com", {"aws:principalservicename": ("sagemaker.amazonaws.com",),
                                 "aws:principalisawsservice": ("true",)}),
    ("anonymous", {"aws:principalisawsservice": ("false",), "aws:principaltype": ("Anonymous",)}),
]


@pytest.mark.parametrize(("text", "expected"), CONTEXTS, ids=[c[0] for c in CONTEXTS])
def test_context(text: str, expected: dict[str, tuple[str, ...]]) -> None:
    context = Principal.parse(text).context()
    assert context == expected
    assert all(k == k.lower() for k in context)


def test_username_only_for_users() -> None:
    for text in [ROLE, SESSION, ROOT, FED, "sagemaker.amazonaws.com", "anonymous"]:
        assert "aws:username" not in Principal.parse(text).context(), text


def test_derived_context_feeds_conditions() -> None:
    bucket_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}
    assert drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::home/alice/x",
                              resource_policy=bucket_policy).allowed
    assert not drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::home/bob/x",
                                  resource_policy=bucket_policy).allowed
    # a role session has no aws:username: the variable resolves to nothing, nothing matches
    assert not drpolicy.authorize(SESSION, "s3:GetObject", "arn:aws:s3:::home/alice/x",
                                  resource_policy=bucket_policy).allowed


def test_explicit_context_overrides_derived_keys() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}]}
    assert drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::b/k", identity_policies=[policy],
                              context={"aws:PrincipalTag/team": "red"}).allowed
    assert not drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::b/k", identity_policies=[policy]).allowed


# ------------------------------------------------------------------------------------------
# match_principal: how a Principal element names the caller
# ------------------------------------------------------------------------------------------

ANON = "anonymous"
SVC = "sagemaker.amazonaws.com"
OTHER_USER = f"arn:aws:iam::{OTHER}:user/alice"

MATCH: list[tuple[str, PrincipalSpec, str, str | None]] = [
    # "*" and {"AWS": "*"} name everyone, anonymous callers included
    ("star-user", PrincipalSpec(wildcard=True), USER, "wildcard"),
    ("star-anonymous", PrincipalSpec(wildcard=True), ANON, "wildcard"),
    ("star-service", PrincipalSpec(wildcard=True), SVC, "wildcard"),
    ("aws-star-session", PrincipalSpec(aws=("*",)), SESSION, "wildcard"),
    ("aws-star-anonymous", PrincipalSpec(aws=("*",)), ANON, "wildcard"),
    # an account (ID or root ARN) names every IAM identity of the account
    ("account-user", PrincipalSpec(aws=(ACCT,)), USER, "account"),
    ("account-role", PrincipalSpec(aws=(ACCT,)), ROLE, "account"),
    ("account-session", PrincipalSpec(aws=(ACCT,)), SESSION, "account"),
    ("account-root", PrincipalSpec(aws=(ACCT,)), ROOT, "account"),
    ("account-fed", PrincipalSpec(aws=(ACCT,)), FED, "account"),
    ("root-arn-user", PrincipalSpec(aws=(ROOT,)), USER, "account"),
    ("root-arn-session", PrincipalSpec(aws=(ROOT,)), SESSION, "account"),
    ("account-other-account", PrincipalSpec(aws=(ACCT,)), OTHER_USER, None),
    ("root-other-account", PrincipalSpec(aws=(f"arn:aws:iam::{OTHER}:root",)), USER, None),
    ("account-anonymous", PrincipalSpec(aws=(ACCT,)), ANON, None),
    ("account-service", PrincipalSpec(aws=(ACCT,)), SVC, None),
    # users: exact ARN
    ("user", PrincipalSpec(aws=(USER,)), USER, "user"),
    ("user-pathed", PrincipalSpec(aws=(PATHED_USER,)), PATHED_USER, "user"),
    ("user-path-differs", PrincipalSpec(aws=(USER,)), PATHED_USER, None),
    ("user-other", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:user/bob",)), USER, None),
    ("user-name-case", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:user/Alice",)), USER, None),
    ("user-other-account", PrincipalSpec(aws=(OTHER_USER,)), USER, None),
    ("user-vs-role-same-name", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:user/Dev",)), ROLE, None),
    ("user-other-partition", PrincipalSpec(aws=("arn:aws-cn:iam::123456789012:user/alice",)), USER, None),
    # roles: the role and every session of it; the session ARN has no path
    ("role-role", PrincipalSpec(aws=(ROLE,)), ROLE, "role"),
    ("role-session", PrincipalSpec(aws=(ROLE,)), SESSION, "role"),
    ("pathed-role-session", PrincipalSpec(aws=(PATHED_ROLE,)), PATHED_SESSION, "role"),
    ("pathed-role-role", PrincipalSpec(aws=(PATHED_ROLE,)), PATHED_ROLE, "role"),
    ("role-other-path-role", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:role/other/AWSDeepRacerServiceRole",)),
     PATHED_ROLE, None),
    ("role-other-name-session", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:role/Ops",)), SESSION, None),
    ("role-other-account-session", PrincipalSpec(aws=(f"arn:aws:iam::{OTHER}:role/Dev",)), SESSION, None),
    ("role-vs-user", PrincipalSpec(aws=(ROLE,)), f"arn:aws:iam::{ACCT}:user/Dev", None),
    # sessions: exact session ARN
    ("session", PrincipalSpec(aws=(SESSION,)), SESSION, "session"),
    ("session-other-name", PrincipalSpec(aws=(f"arn:aws:sts::{ACCT}:assumed-role/Dev/bob",)), SESSION, None),
    ("session-vs-role", PrincipalSpec(aws=(SESSION,)), ROLE, None),
    # federated users
    ("fed", PrincipalSpec(aws=(FED,)), FED, "federated-user"),
    ("fed-other", PrincipalSpec(aws=(f"arn:aws:sts::{ACCT}:federated-user/carol",)), FED, None),
    # services: case-insensitive DNS names
    ("service", PrincipalSpec(service=(SVC,)), SVC, "service"),
    ("service-list", PrincipalSpec(service=("lambda.amazonaws.com", SVC)), SVC, "service"),
    ("service-case", PrincipalSpec(service=("SageMaker.amazonaws.com",)), SVC, "service"),
    ("service-other", PrincipalSpec(service=("robomaker.amazonaws.com",)), SVC, None),
    ("service-prefix", PrincipalSpec(service=("sagemaker.amazonaws.com",)), "sagemaker.application-autoscaling.amazonaws.com", None),
    ("service-vs-iam", PrincipalSpec(service=(SVC,)), USER, None),
    ("iam-vs-service", PrincipalSpec(aws=(USER,)), SVC, None),
    ("empty", PrincipalSpec(), USER, None),
    ("empty-anonymous", PrincipalSpec(), ANON, None),
    # the strongest grant wins when several entries name the caller
    ("account-and-user", PrincipalSpec(aws=(ACCT, USER)), USER, "user"),
    ("user-and-account", PrincipalSpec(aws=(USER, ACCT)), USER, "user"),
    ("account-and-role", PrincipalSpec(aws=(ROOT, ROLE)), SESSION, "role"),
]


@pytest.mark.parametrize(("spec", "caller", "expected"), [m[1:] for m in MATCH], ids=[m[0] for m in MATCH])
def test_match_principal(spec: PrincipalSpec, caller: str, expected: str | None) -> None:
    assert match_principal(spec, Principal.parse(caller)) == expected


def test_match_federated_and_canonical() -> None:
    web = Principal.web_identity("cognito-identity.amazonaws.com")
    assert match_principal(PrincipalSpec(federated=("cognito-identity.amazonaws.com",)), web) == "federated"
    assert match_principal(PrincipalSpec(federated=("accounts.google.com",)), web) is None
    assert match_principal(PrincipalSpec(aws=(ACCT,)), web) is None
    canon = Principal.canonical_user("79a59df900b949e55d96a1e698fbace")
    assert match_principal(PrincipalSpec(canonical_user=("79a59df900b949e55d96a1e698fbace",)), canon) == "canonical-user"
    assert match_principal(PrincipalSpec(canonical_user=("other",)), canon) is None


# ------------------------------------------------------------------------------------------
# NotPrincipal: the caller is exempt only when its whole identity chain is listed
# ------------------------------------------------------------------------------------------

NOT_PRINCIPAL: list[tuple[str, PrincipalSpec, str, bool]] = [
    ("star", PrincipalSpec(wildcard=True), USER, True),
    ("aws-star", PrincipalSpec(aws=("*",)), ANON, True),
    ("user-and-account", PrincipalSpec(aws=(USER, ROOT)), USER, True),
    ("user-and-account-id", PrincipalSpec(aws=(USER, ACCT)), USER, True),
    ("user-only", PrincipalSpec(aws=(USER,)), USER, False),
    ("account-only-user", PrincipalSpec(aws=(ROOT,)), USER, False),
    ("account-only-root", PrincipalSpec(aws=(ROOT,)), ROOT, True),
    ("session-role-account", PrincipalSpec(aws=(SESSION, ROLE, ROOT)), SESSION, True),
    ("session-role", PrincipalSpec(aws=(SESSION, ROLE)), SESSION, False),
    ("session-account", PrincipalSpec(aws=(SESSION, ROOT)), SESSION, False),
    ("role-account-for-session", PrincipalSpec(aws=(ROLE, ROOT)), SESSION, False),
    ("role-account-for-role", PrincipalSpec(aws=(ROLE, ROOT)), ROLE, True),
    ("other-user", PrincipalSpec(aws=(f"arn:aws:iam::{ACCT}:user/bob", ROOT)), USER, False),
    ("other-account", PrincipalSpec(aws=(OTHER_USER, f"arn:aws:iam::{OTHER}:root")), USER, False),
    ("fed-and-account", PrincipalSpec(aws=(FED, ROOT)), FED, True),
    ("service", PrincipalSpec(service=(SVC,)), SVC, True),
    ("other-service", PrincipalSpec(service=("lambda.amazonaws.com",)), SVC, False),
    ("anonymous", PrincipalSpec(aws=(ACCT,)), ANON, False),
]


@pytest.mark.parametrize(("spec", "caller", "expected"), [n[1:] for n in NOT_PRINCIPAL], ids=[n[0] for n in NOT_PRINCIPAL])
def test_not_principal_excludes(spec: PrincipalSpec, caller: str, expected: bool) -> None:
    assert not_principal_excludes(spec, Principal.parse(caller)) is expected


def _deny_everyone_but(*aws: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": list(aws)}, "Action": "s3:*",
         "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::b/*"},
    ]}


IDENTITY_ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def test_not_principal_deny_end_to_end() -> None:
    # The NotPrincipal page's advice: list the session, the role and the account
    policy = _deny_everyone_but(SESSION, ROLE, ROOT)
    ok = drpolicy.authorize(SESSION, "s3:GetObject", "arn:aws:s3:::b/k",
                            identity_policies=[IDENTITY_ALLOW], resource_policy=policy)
    assert ok.allowed
    other = drpolicy.authorize(f"arn:aws:sts::{ACCT}:assumed-role/Dev/bob", "s3:GetObject",
                               "arn:aws:s3:::b/k", identity_policies=[IDENTITY_ALLOW], resource_policy=policy)
    assert other.decision == "ExplicitlyDenied"
    assert [r.index for r in other.reasons] == [0]
    # listing only the session denies it, "or the policy might deny access to the entire account"
    only_session = drpolicy.authorize(SESSION, "s3:GetObject", "arn:aws:s3:::b/k",
                                      identity_policies=[IDENTITY_ALLOW],
                                      resource_policy=_deny_everyone_but(SESSION))
    assert only_session.decision == "ExplicitlyDenied"


def test_not_principal_deny_always_applies_with_a_boundary() -> None:
    # Permissions boundaries page: NotPrincipal with Deny always denies a principal that has a
    # permissions boundary, whatever the NotPrincipal element lists.
    policy = _deny_everyone_but(USER, ROOT)
    boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    without = drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::b/k",
                                 identity_policies=[IDENTITY_ALLOW], resource_policy=policy)
    assert without.allowed
    with_boundary = drpolicy.authorize(USER, "s3:GetObject", "arn:aws:s3:::b/k",
                                       identity_policies=[IDENTITY_ALLOW], resource_policy=policy,
                                       permission_boundary=boundary)
    assert with_boundary.decision == "ExplicitlyDenied"


# ------------------------------------------------------------------------------------------
# Trust policies through Role.assume_decision
# ------------------------------------------------------------------------------------------


def _role_trusting(principal: Any) -> drpolicy.Role:
    return drpolicy.Role.from_policies(
        "Target", {}, account_id=ACCT,
        trust_policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]},
    )


@pytest.mark.parametrize(
    ("principal", "caller", "allowed"),
    [
        ({"Service": SVC}, SVC, True),
        ({"Service": [SVC]}, "robomaker.amazonaws.com", False),
        ({"AWS": USER}, USER, True),  # same account, named directly: the trust policy suffices
        ({"AWS": USER}, f"arn:aws:iam::{ACCT}:user/bob", False),
        ({"AWS": ROLE}, SESSION, True),
        ({"AWS": PATHED_ROLE}, PATHED_SESSION, True),
        ({"AWS": SESSION}, SESSION, True),
        ({"AWS": ACCT}, USER, False),  # the account needs an identity Allow as well
        ({"AWS": ROOT}, SESSION, False),
        ({"AWS": OTHER_USER}, OTHER_USER, False),  # cross-account needs the caller's own Allow
        ("*", ANON, True),
    ],
)
def test_trust_policy_principals(principal: Any, caller: str, allowed: bool) -> None:
    role = _role_trusting(principal)
    assert role.assume_decision(caller).allowed is allowed
    assert drpolicy.can_assume(caller, role) is allowed


def test_account_trust_needs_identity_allow() -> None:
    role = _role_trusting({"AWS": ACCT})
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role.arn}]}
    assert drpolicy.can_assume(USER, role, identity_policies=[allow])
    assert not drpolicy.can_assume(USER, role)
    cross = _role_trusting({"AWS": OTHER})
    assert drpolicy.can_assume(OTHER_USER, cross, identity_policies=[allow])
    assert not drpolicy.can_assume(OTHER_USER, cross)
