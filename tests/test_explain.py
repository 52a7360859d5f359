"""Explanations: per-statement traces of representative decisions, and agreement with the engine.

Each representative case pins what a reviewer reads: which statement applied, by which action
and resource pattern, which ARN segment failed, each condition's verdict with the request and
policy values, and the missing context keys. The agreement tests check, over the catalog and
custom policies and many requests, that the statements the explanation says apply are exactly
the engine's reasons.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import drpolicy
from drpolicy.catalog import ROLE_NAMES
from drpolicy.errors import CatalogError, InvalidArnError, RequestError
from drpolicy.explain import (
    Explanation,
    StatementExplanation,
    decision_to_json,
    explain,
    explain_authorization,
)
from drpolicy.model import StatementRef

ACCOUNT = "123456789012"
V = "2012-10-17"


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def custom(name: str, *statements: Mapping[str, Any], **kwargs: Any) -> drpolicy.Role:
    return drpolicy.Role.from_policies(name, {f"{name}Policy": policy(*statements)}, **kwargs)


def by_sid(e: Explanation, sid: str) -> StatementExplanation:
    found = [s for s in e.statements if s.ref.sid == sid]
    assert len(found) == 1, [s.ref for s in e.statements]
    return found[0]


def applying(e: Explanation) -> list[str]:
    return [str(r) for r in e.applying]


# --------------------------------------------------------------------------------------
# Allowed by one statement (catalog)
# --------------------------------------------------------------------------------------


class TestAllowedByOneStatement:
    """The DeepRacer service role reads a model object: Statement[5] grants it by the
    ``arn:aws:s3:::*deepracer*`` pattern; Statement[6] (the object-tag condition) does not."""

    RESOURCE = "arn:aws:s3:::deepracer-models/model.tar.gz"

    @pytest.fixture()
    def e(self) -> Explanation:
        return explain("AWSDeepRacerServiceRole", "s3:GetObject", self.RESOURCE)

    def test_decision_is_the_engines(self, e: Explanation) -> None:
        assert e.decision == drpolicy.evaluate("deepracer", "s3:GetObject", self.RESOURCE)
        assert e.decision.decision == "Allowed"

    def test_only_statement_5_applies(self, e: Explanation) -> None:
        assert applying(e) == ["identity:AWSDeepRacerServiceRolePolicy: Statement[5]"]
        assert [p.verdict for p in e.policies] == ["allow"]

    def test_matching_patterns(self, e: Explanation) -> None:
        s5 = e.statements[5]
        assert s5.outcome == "applies"
        assert (s5.action.element, s5.action.pattern) == ("Action", "s3:GetObject")
        assert s5.resource is not None
        assert s5.resource.pattern == "arn:aws:s3:::*deepracer*"
        # the other patterns are case-sensitive misses in the resource part
        misses = {p.pattern: p.failed_segment for p in s5.resource.patterns if not p.matched}
        assert misses == {
            "arn:aws:s3:::*DeepRacer*": "resource",
            "arn:aws:s3:::*Deepracer*": "resource",
            "arn:aws:s3:::dr-*": "resource",
        }

    def test_other_statements_say_why_not(self, e: Explanation) -> None:
        outcomes = [s.outcome for s in e.statements]
        assert outcomes == [
            "action-mismatch", "action-mismatch", "action-mismatch", "action-mismatch",
            "action-mismatch", "applies", "condition-false", "action-mismatch",
        ]
        s0 = e.statements[0]
        assert s0.action.patterns == ("deepracer:*",) and s0.action.pattern is None
        assert s0.resource is None  # not looked at once the action failed

    def test_tag_condition_is_false_and_missing(self, e: Explanation) -> None:
        s6 = e.statements[6]
        (c,) = s6.conditions
        assert (c.operator, c.key) == ("StringEqualsIgnoreCase", "s3:ExistingObjectTag/DeepRacer")
        assert c.policy_values == ("true",)
        assert c.request_values is None
        assert c.result is False
        assert "absent" in c.note
        assert s6.missing_context == ("s3:ExistingObjectTag/DeepRacer",)
        assert e.missing_context == ("s3:ExistingObjectTag/DeepRacer",)

    def test_text(self, e: Explanation) -> None:
        text = str(e)
        assert "decision:  Allowed" in text
        assert "allowed by identity:AWSDeepRacerServiceRolePolicy: Statement[5]" in text
        assert "+ Statement[5] Allow: applies" in text
        assert "Resource `arn:aws:s3:::*deepracer*`: matches" in text
        assert "missing context: s3:ExistingObjectTag/DeepRacer" in text
        assert e.render() == text

    def test_tag_supplied_makes_both_apply(self) -> None:
        e = explain("deepracer", "s3:GetObject", self.RESOURCE,
                    {"s3:ExistingObjectTag/DeepRacer": "True"})
        assert [s.ref.index for s in e.statements if s.applies] == [5, 6]
        (c,) = e.statements[6].conditions
        assert (c.request_values, c.result, c.note) == (("True",), True, "")
        assert e.missing_context == ()


# --------------------------------------------------------------------------------------
# Denied by a Deny with a condition (custom role)
# --------------------------------------------------------------------------------------


VPC_ROLE = custom(
    "ModelReader",
    {"Sid": "ReadModels", "Effect": "Allow", "Action": "s3:Get*",
     "Resource": "arn:aws:s3:::models/*"},
    {"Sid": "OnlyFromVpc", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-111bbb22"}}},
)


class TestDeniedByConditionalDeny:
    def test_wrong_vpc(self) -> None:
        e = explain(VPC_ROLE, "s3:GetObject", "arn:aws:s3:::models/a.tar.gz",
                    {"aws:SourceVpc": "vpc-999"})
        assert e.decision.decision == "ExplicitlyDenied"
        assert e.decision.reasons == (StatementRef("ModelReaderPolicy", 1, "OnlyFromVpc"),)
        deny = by_sid(e, "OnlyFromVpc")
        assert (deny.effect, deny.applies, deny.outcome) == ("Deny", True, "applies")
        (c,) = deny.conditions
        assert c.operator == "StringNotEquals" and c.key == "aws:SourceVpc"
        assert c.request_values == ("vpc-999",)
        assert (c.policy_values, c.result) == (("vpc-111bbb22",), True)
        # the Allow matched too: an explicit Deny overrides it
        allow = by_sid(e, "ReadModels")
        assert allow.applies and allow.action.pattern == "s3:Get*"
        assert [p.verdict for p in e.policies] == ["deny"]
        assert "denied by identity:ModelReaderPolicy: Statement[1] (OnlyFromVpc)" in str(e)

    def test_no_vpc_key_denies_too(self) -> None:
        e = explain(VPC_ROLE, "s3:GetObject", "arn:aws:s3:::models/a.tar.gz")
        assert e.decision.decision == "ExplicitlyDenied"
        (c,) = by_sid(e, "OnlyFromVpc").conditions
        assert c.request_values is None and c.result is True
        assert "negated operator is true on an absent key" in c.note
        assert e.missing_context == ("aws:SourceVpc",)

    def test_right_vpc_allows(self) -> None:
        e = explain(VPC_ROLE, "s3:GetObject", "arn:aws:s3:::models/a.tar.gz",
                    {"aws:sourcevpc": "vpc-111bbb22"})
        assert e.decision.decision == "Allowed"
        deny = by_sid(e, "OnlyFromVpc")
        assert (deny.applies, deny.outcome) == (False, "condition-false")
        assert "StringNotEquals on `aws:SourceVpc` is false" in deny.reason
        assert applying(e) == ["identity:ModelReaderPolicy: Statement[0] (ReadModels)"]


# --------------------------------------------------------------------------------------
# Implicitly denied because one ARN segment differed
# --------------------------------------------------------------------------------------


LOGS_ROLE = custom(
    "LogWriter",
    {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents",
     "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/*"},
)


@pytest.mark.parametrize(
    ("resource", "segment"),
    [
        ("arn:aws:logs:us-west-2:123456789012:log-group:/aws/robomaker/sim:log-stream:1", "region"),
        ("arn:aws:logs:us-east-1:111122223333:log-group:/aws/robomaker/sim:log-stream:1",
         "account"),
        ("arn:aws-cn:logs:us-east-1:123456789012:log-group:/aws/robomaker/sim:log-stream:1",
         "partition"),
        ("arn:aws:s3:us-east-1:123456789012:log-group:/aws/robomaker/sim:log-stream:1", "service"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/sim:log-stream:1",
         "resource"),
    ],
)
def test_one_segment_differs(resource: str, segment: str) -> None:
    e = explain(LOGS_ROLE, "logs:PutLogEvents", resource)
    assert e.decision.decision == "ImplicitlyDenied"
    (s,) = e.statements
    assert (s.applies, s.outcome) == (False, "resource-mismatch")
    assert s.action.matched and s.resource is not None
    assert s.resource.failed_segment == segment
    assert s.resource.patterns[0].failed_segment == segment
    assert s.reason == (
        f"the {segment} segment differs from Resource"
        " `arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/*`"
    )
    assert f"no match ({segment} segment differs)" in str(e)


def test_region_only_differs_and_closest_pattern_is_named() -> None:
    role = custom(
        "TwoPatterns",
        {"Effect": "Allow", "Action": "kinesisvideo:PutMedia",
         "Resource": ["arn:aws:s3:::dr-*",
                      "arn:aws:kinesisvideo:eu-west-1:123456789012:stream/dr-*"]},
    )
    e = explain(role, "kinesisvideo:PutMedia",
                "arn:aws:kinesisvideo:us-east-1:123456789012:stream/dr-1/1")
    (s,) = e.statements
    assert s.resource is not None
    assert [p.failed_segment for p in s.resource.patterns] == ["service", "region"]
    assert s.resource.failed_segment == "region"
    assert "closest: `arn:aws:kinesisvideo:eu-west-1:123456789012:stream/dr-*`" in s.reason


def test_star_resource_only_matches_star() -> None:
    e = explain(LOGS_ROLE, "logs:PutLogEvents", "*")
    (s,) = e.statements
    assert s.outcome == "resource-mismatch"
    assert s.resource is not None and s.resource.failed_segment is None
    assert "only Resource `*` matches" in s.reason


# --------------------------------------------------------------------------------------
# Missing context
# --------------------------------------------------------------------------------------


class TestMissingContext:
    def test_passrole_without_passed_to_service(self) -> None:
        e = explain("sagemaker", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/AnyRole")
        assert e.decision.decision == "ImplicitlyDenied"
        assert e.missing_context == ("iam:PassedToService",)
        (s,) = [s for s in e.statements if s.action.matched]
        assert s.outcome == "condition-false"
        (c,) = s.conditions
        assert (c.request_values, c.result) == (None, False)
        assert c.policy_values == ("sagemaker.amazonaws.com",)
        assert c.missing_keys == ("iam:PassedToService",)
        assert "missing context: iam:PassedToService" in str(e)

    def test_supplied_key_is_not_missing(self) -> None:
        e = explain("sagemaker", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/AnyRole",
                    {"iam:PassedToService": "sagemaker.amazonaws.com"})
        assert e.decision.decision == "Allowed" and e.missing_context == ()

    def test_if_exists_is_true_but_key_still_reported(self) -> None:
        role = custom("Tagged", {
            "Sid": "T", "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/team": "ml"}},
        })
        e = explain(role, "ec2:StartInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
        assert e.decision.decision == "Allowed"
        (c,) = by_sid(e, "T").conditions
        assert c.result is True and "IfExists makes the entry true" in c.note
        assert e.missing_context == ("aws:ResourceTag/team",)

    def test_policy_variable_is_a_missing_key(self) -> None:
        role = custom("Home", {"Sid": "H", "Effect": "Allow", "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::home/${aws:userid}/*",
                               "Condition": {"StringLike": {"s3:prefix": "${aws:userid}/*"}}})
        e = explain(role, "s3:GetObject", "arn:aws:s3:::home/AIDA1/x")
        s = by_sid(e, "H")
        # the resource entry cannot be resolved: it matches nothing
        assert s.outcome == "resource-mismatch"
        assert s.resource is not None and s.resource.patterns[0].matched is None
        assert "has no value" in s.reason
        assert s.missing_context == ("s3:prefix", "aws:userid")
        # the engine reports keys only for statements that matched action and resource
        assert e.missing_context == ()

    def test_unrelated_statements_keys_are_not_missing(self) -> None:
        e = explain("deepracer", "deepracer:ListModels", "*")
        assert e.statements[6].missing_context == ("s3:ExistingObjectTag/DeepRacer",)
        assert e.missing_context == ()


# --------------------------------------------------------------------------------------
# NotAction and NotResource
# --------------------------------------------------------------------------------------


NOT_ROLE = custom(
    "Guarded",
    {"Sid": "AllButIam", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
     "Resource": "*"},
    {"Sid": "OnlyPublic", "Effect": "Deny", "Action": "s3:PutObject",
     "NotResource": ["arn:aws:s3:::public/*", "arn:aws:s3:::shared/*"]},
)


class TestNotElements:
    def test_not_action_excludes(self) -> None:
        e = explain(NOT_ROLE, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/bob")
        s = by_sid(e, "AllButIam")
        assert (s.outcome, s.action.element, s.action.pattern) == (
            "action-mismatch", "NotAction", "iam:*",
        )
        assert s.reason == "the action is excluded by NotAction `iam:*`"
        assert e.decision.decision == "ImplicitlyDenied"

    def test_not_action_admits(self) -> None:
        e = explain(NOT_ROLE, "s3:GetObject", "arn:aws:s3:::private/x")
        s = by_sid(e, "AllButIam")
        assert s.applies and s.action.element == "NotAction" and s.action.pattern is None
        assert e.decision.decision == "Allowed"

    def test_not_resource_excludes(self) -> None:
        e = explain(NOT_ROLE, "s3:PutObject", "arn:aws:s3:::shared/report.csv")
        s = by_sid(e, "OnlyPublic")
        assert s.outcome == "resource-mismatch"
        assert s.resource is not None
        assert (s.resource.element, s.resource.pattern) == ("NotResource", "arn:aws:s3:::shared/*")
        assert [p.matched for p in s.resource.patterns] == [False, True]
        assert s.reason == "the resource is excluded by NotResource `arn:aws:s3:::shared/*`"
        assert e.decision.decision == "Allowed"

    def test_not_resource_admits_and_denies(self) -> None:
        e = explain(NOT_ROLE, "s3:PutObject", "arn:aws:s3:::private/x")
        s = by_sid(e, "OnlyPublic")
        assert (s.applies, s.outcome) == (True, "applies")
        assert s.resource is not None and s.resource.element == "NotResource"
        assert s.resource.pattern is None and s.resource.matched
        assert e.decision.decision == "ExplicitlyDenied"
        assert "NotResource `arn:aws:s3:::public/*`: no match" in str(e)


# --------------------------------------------------------------------------------------
# Erroring conditions (fail closed)
# --------------------------------------------------------------------------------------


class TestErrors:
    def test_erroring_allow_never_grants(self) -> None:
        role = custom("Pager", {"Sid": "Few", "Effect": "Allow", "Action": "s3:ListBucket",
                                "Resource": "arn:aws:s3:::logs",
                                "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}})
        e = explain(role, "s3:ListBucket", "arn:aws:s3:::logs", {"s3:max-keys": "ten"})
        assert e.decision.decision == "ImplicitlyDenied"
        s = by_sid(e, "Few")
        assert (s.applies, s.outcome) == (False, "error")
        (c,) = s.conditions
        assert c.result is None and c.request_values == ("ten",)
        assert c.error is not None and "not a number" in c.error
        assert s.error == c.error
        assert "an erroring Allow never grants" in s.reason
        assert [str(i.statement) for i in e.errors] == ["identity:PagerPolicy: Statement[0] (Few)"]
        assert f"error: {e.errors[0]}" in str(e)

    def test_erroring_deny_applies(self) -> None:
        role = custom(
            "Guard",
            {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "OldTls", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
        )
        e = explain(role, "s3:GetObject", "arn:aws:s3:::b/k", {"s3:TlsVersion": "high"})
        assert e.decision.decision == "ExplicitlyDenied"
        s = by_sid(e, "OldTls")
        assert (s.applies, s.outcome) == (True, "error")
        assert "an erroring Deny applies" in s.reason
        assert e.decision.reasons == (s.ref,)

    def test_negated_operator_on_multivalued_key_errors(self) -> None:
        role = custom("Multi", {"Sid": "M", "Effect": "Allow", "Action": "s3:GetObject",
                                "Resource": "*",
                                "Condition": {"StringNotEquals": {"aws:TagKeys": "secret"}}})
        e = explain(role, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:TagKeys": ["a", "b"]})
        s = by_sid(e, "M")
        assert s.outcome == "error" and s.conditions[0].request_values == ("a", "b")
        assert "multi-valued" in (s.error or "")

    def test_unresolved_variable_in_not_resource(self) -> None:
        role = custom(
            "Own",
            {"Sid": "Any", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "OthersHomes", "Effect": "Deny", "Action": "s3:*",
             "NotResource": "arn:aws:s3:::home/${aws:username}/*"},
        )
        e = explain(role, "s3:GetObject", "arn:aws:s3:::home/alice/x")
        s = by_sid(e, "OthersHomes")
        assert (s.applies, s.outcome) == (True, "error")
        assert s.resource is not None and s.resource.error is not None
        assert "has no value" in s.resource.error
        assert e.decision.decision == "ExplicitlyDenied"
        assert len(e.errors) == 1


# --------------------------------------------------------------------------------------
# explain_authorization: principals, non-IAM callers, several policy types
# --------------------------------------------------------------------------------------


BUCKET = policy(
    {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
    {"Sid": "Alice", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::444455556666:user/alice"},
     "Action": "s3:*", "Resource": "arn:aws:s3:::shared/*"},
)


class TestAuthorization:
    def test_cross_account_needs_identity_allow(self) -> None:
        e = explain_authorization(
            "arn:aws:iam::111122223333:user/bob", "s3:GetObject", "arn:aws:s3:::shared/r.csv",
            resource_policy=BUCKET, resource_account="444455556666",
        )
        assert e.decision.decision == "ImplicitlyDenied"
        assert e.decision.decided_by == "identity"
        partner, alice = e.policies[0].statements
        assert partner.principal is not None
        assert (partner.principal.matched, partner.principal.how) == (True, "account")
        assert alice.outcome == "principal-mismatch"
        assert alice.principal is not None and not alice.principal.matched
        assert "does not name the caller" in alice.reason

    def test_cross_account_allowed_by_both(self) -> None:
        e = explain_authorization(
            "arn:aws:iam::111122223333:user/bob", "s3:GetObject", "arn:aws:s3:::shared/r.csv",
            resource_policy=BUCKET, resource_account="444455556666",
            identity_policies=[policy({"Effect": "Allow", "Action": "s3:GetObject",
                                       "Resource": "*"})],
        )
        assert e.decision.decision == "Allowed"
        assert set(e.applying) == set(e.decision.reasons)
        assert [p.policy_type for p in e.policies] == ["identity", "resource"]

    def test_service_principal_skips_identity_side(self) -> None:
        role = drpolicy.role("sagemaker")
        e = explain_authorization(
            "sagemaker.amazonaws.com", "sts:AssumeRole", role.arn,
            resource_policy=role.trust_policy,
            identity_policies=[policy({"Effect": "Deny", "Action": "*", "Resource": "*"})],
        )
        assert e.decision.decision == "Allowed"
        identity, trust = e.policies
        assert (identity.evaluated, identity.verdict) == (False, "not-evaluated")
        assert identity.statements[0].outcome == "not-evaluated"
        assert trust.policy_type == "trust"
        (s,) = trust.statements
        assert s.principal is not None and s.principal.how == "service"
        assert s.resource is not None and s.resource.element is None
        assert "apply only to IAM identities" in str(e)

    def test_not_principal(self) -> None:
        alice = "arn:aws:iam::111122223333:user/alice"

        def bucket(*exempt: str) -> dict[str, Any]:
            return policy(
                {"Sid": "OnlyAlice", "Effect": "Deny", "NotPrincipal": {"AWS": list(exempt)},
                 "Action": "s3:*", "Resource": "*"},
                {"Sid": "Alice", "Effect": "Allow", "Principal": {"AWS": alice},
                 "Action": "s3:*", "Resource": "*"},
            )

        # the user and its account listed: alice is exempt
        whole = bucket(alice, "arn:aws:iam::111122223333:root")
        plain = explain_authorization(alice, "s3:GetObject", "arn:aws:s3:::b/k",
                                      resource_policy=whole)
        s = by_sid(plain, "OnlyAlice")
        assert s.outcome == "principal-mismatch"
        assert s.principal is not None and s.principal.named_as == "user"
        assert "whole identity chain" in s.reason
        assert plain.decision.decision == "Allowed"
        # only the user ARN listed: the Deny still applies (User Guide, NotPrincipal)
        partial = explain_authorization(alice, "s3:GetObject", "arn:aws:s3:::b/k",
                                        resource_policy=bucket(alice))
        s = by_sid(partial, "OnlyAlice")
        assert s.applies and s.principal is not None and s.principal.named_as == "user"
        assert "not its whole identity chain" in s.principal.note
        assert partial.decision.decision == "ExplicitlyDenied"
        # with a permissions boundary, a NotPrincipal Deny applies to every IAM principal
        bounded = explain_authorization(
            alice, "s3:GetObject", "arn:aws:s3:::b/k", resource_policy=whole,
            permission_boundary=policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        )
        s = by_sid(bounded, "OnlyAlice")
        assert s.applies and s.principal is not None
        assert "permissions boundary" in s.principal.note
        assert bounded.decision.decision == "ExplicitlyDenied"

    def test_scp_levels(self) -> None:
        root = policy({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"})
        ou = policy({"Sid": "NoDeepRacerDelete", "Effect": "Deny",
                     "Action": "deepracer:Delete*", "Resource": "*"})
        e = explain_authorization(
            "arn:aws:iam::111122223333:role/ml", "deepracer:DeleteModel", "*",
            identity_policies=[root], scps=[[root], [ou]],
        )
        assert e.decision.decision == "ExplicitlyDenied"
        scps = [p for p in e.policies if p.policy_type == "scp"]
        assert [(p.level, p.verdict) for p in scps] == [(0, "allow"), (1, "deny")]
        assert "SCP `scp-0` (level 1): deny" in str(e)


# --------------------------------------------------------------------------------------
# Data, JSON, bad input
# --------------------------------------------------------------------------------------


def test_loaded_account_user() -> None:
    """A user of a loaded account has the Role interface; its policies and boundary are
    traced like a role's."""
    from drpolicy.loaders import User

    user = User.from_policies(
        "alice",
        {"home": policy({"Sid": "Home", "Effect": "Allow", "Action": "s3:*",
                         "Resource": "arn:aws:s3:::home/${aws:username}/*"})},
        permission_boundary=policy({"Sid": "OnlyReads", "Effect": "Allow",
                                    "Action": "s3:Get*", "Resource": "*"}),
        account_id="111122223333",
    )
    e = explain(user, "s3:PutObject", "arn:aws:s3:::home/alice/notes.txt")
    assert e.decision == user.evaluate("s3:PutObject", "arn:aws:s3:::home/alice/notes.txt")
    assert e.decision.decision == "ImplicitlyDenied"
    assert e.decision.decided_by == "permission_boundary"
    assert (e.principal, e.principal_kind) == ("arn:aws:iam::111122223333:user/alice", "user")
    assert [(p.policy_type, p.verdict) for p in e.policies] == [
        ("identity", "allow"), ("permission_boundary", "no-match"),
    ]
    assert by_sid(e, "OnlyReads").action.patterns == ("s3:Get*",)
    assert "decided by the permissions boundary" in str(e)
    other = explain(user, "s3:GetObject", "arn:aws:s3:::home/bob/notes.txt")
    home = by_sid(other, "Home")
    assert home.outcome == "resource-mismatch" and home.resource is not None
    assert home.resource.failed_segment == "resource"


def test_to_json_is_json_and_complete() -> None:
    e = explain(VPC_ROLE, "s3:GetObject", "arn:aws:s3:::models/a", {"aws:SourceVpc": "vpc-1"})
    data = json.loads(json.dumps(e.to_json()))
    assert data["decision"] == decision_to_json(e.decision)
    assert data["decision"]["decision"] == "ExplicitlyDenied"
    assert data["principal"] == {"arn": VPC_ROLE.arn, "kind": "role"}
    assert data["context"]["aws:sourcevpc"] == ["vpc-1"]
    (pol,) = data["policies"]
    assert pol["verdict"] == "deny" and len(pol["statements"]) == 2
    deny = pol["statements"][1]
    assert deny["ref"] == {"policy": "ModelReaderPolicy", "policy_type": "identity", "index": 1,
                           "sid": "OnlyFromVpc"}
    assert deny["conditions"][0]["request_values"] == ["vpc-1"]
    assert deny["resource"]["patterns"] == [{"pattern": "*", "matched": True,
                                             "failed_segment": None}]


def test_explanations_are_immutable_values() -> None:
    a = explain("robomaker", "s3:PutObject", "arn:aws:s3:::deepracer-x/y")
    b = explain("robomaker", "s3:PutObject", "arn:aws:s3:::deepracer-x/y")
    assert a == b
    with pytest.raises(AttributeError):
        a.action = "x"  # type: ignore[misc]


def test_statement_lookup() -> None:
    e = explain("deepracer", "deepracer:ListModels", "*")
    ref = e.decision.reasons[0]
    assert e.statement(ref).applies
    with pytest.raises(RequestError):
        e.statement(StatementRef("nope", 0))


def test_verbose_lists_every_check() -> None:
    e = explain(NOT_ROLE, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert "NotResource" not in e.render()
    assert "NotResource" not in e.render(verbose=True)  # the action failed first
    e = explain(VPC_ROLE, "ec2:RunInstances", "*")
    assert "Action: no match" not in e.render(verbose=True)
    assert e.render(verbose=True).count("Statement[") >= 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("nosuchrole", "s3:GetObject", "*"), CatalogError),
        (("deepracer", "s3GetObject", "*"), RequestError),
        (("deepracer", "s3:Get*", "*"), RequestError),
        (("deepracer", "s3:GetObject", "arn:aws:s3"), InvalidArnError),
        (("deepracer", "s3:GetObject", "arn:AWS:s3:::b/k"), InvalidArnError),
        ((object(), "s3:GetObject", "*"), RequestError),
    ],
)
def test_bad_input(args: tuple[Any, str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        explain(*args)


def test_bad_context() -> None:
    with pytest.raises(RequestError):
        explain("deepracer", "s3:GetObject", "*", {"k": {"nested": 1}})


def test_evaluate_does_not_build_explanations(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path never touches this module."""
    import importlib

    module = importlib.import_module("drpolicy.explain")  # the module, not the re-exported function

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("explain used on the fast path")

    monkeypatch.setattr(module, "_explain", boom)
    monkeypatch.setattr(module, "_trace", boom)
    assert drpolicy.evaluate("deepracer", "deepracer:ListModels", "*").allowed
    assert drpolicy.is_allowed("lambda", "s3:GetObject", "arn:aws:s3:::deepracer-x/k") is False


# --------------------------------------------------------------------------------------
# Agreement with the engine over many requests
# --------------------------------------------------------------------------------------


def _agrees(e: Explanation) -> bool:
    """The explanation's applying statements are the engine's reasons.

    Explicit deny: the applying Denies are exactly the reasons. Allowed: the applying Allows of
    the policy types that granted are exactly the reasons (for a role: its identity policies).
    Implicit deny: no Deny applies, and the identity side and resource side did not both come
    through (checked by the engine); here, no applying Deny.
    """
    d = e.decision
    denies = {s.ref for s in e.statements if s.applies and s.effect == "Deny"}
    if d.decision == "ExplicitlyDenied":
        return denies == set(d.reasons)
    if denies:
        return False
    if d.decision == "Allowed":
        if not d.reasons:  # only the root user is allowed without a statement (implicit)
            return e.principal_kind == "root"
        granting = {r.policy_type for r in d.reasons}
        allows = {s.ref for s in e.statements if s.applies and s.ref.policy_type in granting}
        return allows == set(d.reasons)
    return True


def _consistent_missing(e: Explanation) -> bool:
    """The engine's missing keys are the union over statements that reached their
    conditions (matched action, resource and principal)."""
    reached = [
        s for s in e.statements
        if s.outcome in ("applies", "condition-false")
        or (s.outcome == "error" and (s.conditions or s.applies))
    ]
    found: dict[str, str] = {}
    for s in reached:
        for key in s.missing_context:
            found.setdefault(key.lower(), key)
    return tuple(sorted(found.values(), key=str.lower)) == e.missing_context


def _catalog_requests() -> Iterator[tuple[str, str, str, dict[str, Any] | None]]:
    actions: set[str] = {"iam:CreateUser", "ec2:RunInstances", "s3:DeleteBucket"}
    resources: set[str] = {
        "*", "arn:aws:s3:::other/x", "arn:aws:s3:::Deepracer-X/y",
        "arn:aws:logs:us-west-2:123456789012:log-group:/aws/x",
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:deepracer-f",
    }
    for name in ROLE_NAMES:
        role = drpolicy.role(name)
        for p in role.policies:
            for s in p.statements:
                for a in s.action or s.not_action or ():
                    actions.add(a.replace("*", "Xy").replace("?", "Q"))
                for r in s.resource or s.not_resource or ():
                    if r != "*":
                        resources.add(r.replace("*", "abc").replace("?", "q"))
    contexts: list[dict[str, Any] | None] = [
        None,
        {"iam:PassedToService": "sagemaker.amazonaws.com"},
        {"iam:PassedToService": ["robomaker.amazonaws.com", "sagemaker.amazonaws.com"]},
        {"s3:ExistingObjectTag/DeepRacer": "TRUE"},
    ]
    for name, action, resource, context in itertools.product(
        ROLE_NAMES, sorted(actions), sorted(resources), contexts
    ):
        yield name, action, resource, context


@pytest.mark.slow  # every catalog request (seconds): the slow tier
def test_agrees_with_engine_over_catalog() -> None:
    checked = 0
    verdicts: set[str] = set()
    for name, action, resource, context in _catalog_requests():
        try:
            e = explain(name, action, resource, context)
        except InvalidArnError:
            continue
        assert _agrees(e), (name, action, resource, context, e.decision, e.applying)
        assert _consistent_missing(e), (name, action, resource, context)
        verdicts.add(e.decision.decision)
        checked += 1
    assert checked > 5000
    assert verdicts == {"Allowed", "ImplicitlyDenied"}  # the catalog has no Deny statements


CUSTOM_POLICIES: list[dict[str, Any]] = [
    policy(
        {"Sid": "A", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
         "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
        {"Sid": "B", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/secret/*"},
        {"Sid": "C", "Effect": "Allow", "NotAction": "s3:Delete*",
         "NotResource": "arn:aws:s3:::data/*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "D", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NumericGreaterThan": {"s3:max-keys": "100"}}},
        {"Sid": "E", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::home/${aws:username}/*"},
        {"Sid": "F", "Effect": "Deny", "Action": "s3:PutObject",
         "NotResource": "arn:aws:s3:::home/${aws:username, 'nobody'}/*",
         "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}},
        {"Sid": "G", "Effect": "Allow", "Action": "logs:*",
         "Resource": "arn:aws:logs:*:123456789012:log-group:app-*"},
    ),
]

CUSTOM_REQUESTS: list[tuple[str, str]] = [
    ("s3:GetObject", "arn:aws:s3:::data/x"),
    ("s3:GetObject", "arn:aws:s3:::data/secret/x"),
    ("s3:ListBucket", "arn:aws:s3:::data"),
    ("s3:DeleteObject", "arn:aws:s3:::other/x"),
    ("s3:PutObject", "arn:aws:s3:::home/alice/x"),
    ("s3:PutObject", "arn:aws:s3:::home/nobody/x"),
    ("ec2:RunInstances", "*"),
    ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:123456789012:log-group:app-1"),
    ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:app-1"),
]

CUSTOM_CONTEXTS: list[dict[str, Any] | None] = [
    None,
    {"aws:SecureTransport": "true"},
    {"aws:SecureTransport": "maybe", "s3:max-keys": "1000"},
    {"s3:max-keys": "many", "aws:RequestedRegion": "eu-west-1"},
    {"aws:username": "alice", "aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
]


def test_agrees_with_engine_over_custom_policies() -> None:
    seen: set[str] = set()
    outcomes: set[str] = set()
    for doc in CUSTOM_POLICIES:
        role = drpolicy.Role.from_policies("Custom", [doc])
        for (action, resource), context in itertools.product(CUSTOM_REQUESTS, CUSTOM_CONTEXTS):
            e = explain(role, action, resource, context)
            assert _agrees(e), (action, resource, context, e.decision, e.applying)
            assert _consistent_missing(e), (action, resource, context)
            seen.add(e.decision.decision)
            outcomes.update(s.outcome for s in e.statements)
    assert seen == {"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"}
    assert outcomes >= {"applies", "action-mismatch", "resource-mismatch", "condition-false",
                        "error"}


RESOURCE_POLICIES: list[dict[str, Any]] = [
    policy(
        {"Sid": "Acct", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
        {"Sid": "Role", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
         "Action": "s3:*", "Resource": "arn:aws:s3:::shared/*"},
        {"Sid": "Svc", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/logs/*"},
        {"Sid": "NotAlice", "Effect": "Deny",
         "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/alice", "111122223333"]},
         "Action": "s3:DeleteObject", "Resource": "*"},
        {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::shared/public/*"},
    ),
    policy(
        {"Sid": "OnlyReaderWrites", "Effect": "Deny",
         "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/reader",
                                  "arn:aws:sts::111122223333:assumed-role/reader/s1",
                                  "arn:aws:iam::111122223333:root"]},
         "Action": "s3:PutObject", "Resource": "*"},
        {"Sid": "AccountReads", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::shared/*"},
    ),
]

PRINCIPALS = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/reader",
    "arn:aws:sts::111122223333:assumed-role/reader/s1",
    "arn:aws:iam::444455556666:user/mallory",
    "111122223333",
    "logging.s3.amazonaws.com",
    "anonymous",
]

IDENTITY_SETS: list[list[dict[str, Any]]] = [
    [],
    [policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})],
    [policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/x"})],
]

BOUNDARIES: list[dict[str, Any] | None] = [
    None,
    policy({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}),
]


def test_agrees_with_engine_for_authorize() -> None:
    seen: set[str] = set()
    for bucket, who, identity, boundary, (action, resource) in itertools.product(
        RESOURCE_POLICIES, PRINCIPALS, IDENTITY_SETS, BOUNDARIES,
        [("s3:GetObject", "arn:aws:s3:::shared/x"), ("s3:PutObject", "arn:aws:s3:::shared/logs/1"),
         ("s3:DeleteObject", "arn:aws:s3:::shared/x"),
         ("s3:GetObject", "arn:aws:s3:::shared/public/p")],
    ):
        kwargs: dict[str, Any] = {"resource_policy": bucket, "identity_policies": identity,
                                  "permission_boundary": boundary,
                                  "resource_account": "111122223333"}
        e = explain_authorization(who, action, resource, **kwargs)
        assert e.decision == drpolicy.authorize(who, action, resource, **kwargs)
        assert _agrees(e), (who, action, resource, e.decision, e.applying)
        assert _consistent_missing(e)
        seen.add(e.decision.decision)
    assert seen == {"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"}


def test_trace_follows_the_strict_error_rules_and_empty_not_lists() -> None:
    """Regression: the trace once stopped at the first false condition, took the first
    NotResource entry, and read an empty NotAction/NotResource as "everything", while the
    engine evaluates every entry (an error anywhere fails closed) and reads empty lists as
    matching nothing. The trace must agree with the engine's decision and reasons."""
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEquals": {"k": "x"}, "NumericLessThan": {"n": "5"}}},
        {"Effect": "Allow", "NotAction": [], "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:*",
         "NotResource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}"]},
        {"Effect": "Allow", "Action": "ec2:*", "NotResource": []},
    ]}])
    cases = [
        ("s3:GetObject", "*", {"k": "y", "n": "abc"}, 1, "error"),
        ("ec2:RunInstances", "arn:aws:s3:::b/k", None, 3, "error"),
    ]
    for action, resource, context, deny_index, outcome in cases:
        decision = drpolicy.evaluate(role, action, resource, context)
        e = drpolicy.explain(role, action, resource, context)
        assert decision.decision == e.decision.decision == "ExplicitlyDenied"
        applying_denies = [s.ref for s in e.statements if s.applies and s.effect == "Deny"]
        assert applying_denies == list(decision.reasons)
        assert e.statements[deny_index].outcome == outcome
        assert not e.statements[2].applies  # empty NotAction
        assert not e.statements[4].applies  # empty NotResource


def test_root_cannot_assume_roles_is_the_reason() -> None:
    # issue 11, item 6: the trust policy allows; the real reason is STS's rule
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    target = drpolicy.Role.from_policies("Target", [], trust_policy=trust)
    from drpolicy.explain import explain_authorization

    e = explain_authorization("arn:aws:iam::123456789012:root", "sts:AssumeRole", target.arn,
                              resource_policy=trust)
    assert not e.decision.allowed
    assert e.reason is not None and "root user cannot assume roles" in e.reason
    text = e.render()
    assert "root user cannot assume roles" in text and "decided by the trust policy" not in text


def test_service_prefix_wildcards_are_explained_as_ambiguous() -> None:
    role = drpolicy.Role.from_policies("w", {"p": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Wild", "Effect": "Allow", "Action": "*:GetObject", "Resource": "*"}]}})
    e = drpolicy.explain(role, "s3:GetObject", "arn:aws:s3:::b/k")
    (s,) = [s for s in e.statements if s.ref.sid == "Wild"]
    assert not e.decision.allowed and s.outcome == "error" and not s.applies
    assert "service prefix" in (s.error or "")
