"""Differential tests of drpolicy.authorize with resource-based and trust policies: Principal and
NotPrincipal matching and the decision table, against the reference."""

from __future__ import annotations

import json
from typing import Any

import pytest
import reference
from hypothesis import event, given
from hypothesis import strategies as st
from iamgen import (
    ACCOUNT,
    OTHER_ACCOUNT,
    ROLE_ARN,
    USER_ARN,
    Chooser,
    DrawChooser,
    action_pattern,
    condition_block,
    policies,
    policy,
    request_context,
    request_for,
    resource_pattern,
    targeted_statement,
)

import drpolicy
from drpolicy import PolicyParseError

SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s1"
OTHER_USER = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
CALLERS = (
    USER_ARN, ROLE_ARN, SESSION_ARN, ACCOUNT, OTHER_USER,
    f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/X/s", f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
    "sagemaker.amazonaws.com", "anonymous",
)
PRINCIPAL_ENTRIES = (
    ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", USER_ARN, ROLE_ARN, SESSION_ARN, OTHER_ACCOUNT,
    OTHER_USER, f"arn:aws:iam::{ACCOUNT}:role/path/R", f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
    "*",
)
SERVICES = ("sagemaker.amazonaws.com", "lambda.amazonaws.com", "SageMaker.amazonaws.com")
ROLE_RESOURCE = f"arn:aws:iam::{ACCOUNT}:role/service-role/Target"
KEY_RESOURCE = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"


def principal_spec(ch: Chooser) -> Any:
    """A Principal/NotPrincipal value."""
    if ch.maybe(10):
        return "*"
    spec: dict[str, Any] = {}
    if ch.maybe(80):
        entries = [ch.pick(PRINCIPAL_ENTRIES) for _ in range(ch.number(1, 3))]
        spec["AWS"] = entries[0] if len(entries) == 1 and ch.maybe(50) else entries
    if ch.maybe(25):
        spec["Service"] = [ch.pick(SERVICES) for _ in range(ch.number(1, 2))]
    return spec


def resource_statement(ch: Chooser, action: str, resource: str, *, trust: bool) -> dict[str, Any]:
    """A resource-policy (or trust-policy) statement, often aimed at the request."""
    if ch.maybe(60):
        out = targeted_statement(ch, action, resource, ch.pick(["Allow", "Deny"]))
    else:
        out = {"Effect": ch.pick(["Allow", "Deny"]), "Action": action_pattern(ch),
               "Resource": resource_pattern(ch)}
        if ch.maybe(30):
            out["Condition"] = condition_block(ch)
    if trust:
        out.pop("Resource", None)
        out["Principal"] = principal_spec(ch)
    elif ch.maybe(15):
        out["NotPrincipal"] = principal_spec(ch)
    else:
        out["Principal"] = principal_spec(ch)
    return out


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    ch = DrawChooser(draw)
    identity = policies(ch, count=(0, 2))
    caller = ch.pick(CALLERS)
    kind = ch.pick(["resource", "resource", "trust", "key"])
    if kind == "trust":
        action, resource = ch.pick(["sts:AssumeRole", "sts:TagSession"]), ROLE_RESOURCE
        context = request_context(ch)
    elif kind == "key":
        action, resource = ch.pick(["kms:Decrypt", "kms:Encrypt"]), KEY_RESOURCE
        context = request_context(ch)
    else:
        action, resource, context = request_for(ch, identity)
    statements = [resource_statement(ch, action, resource, trust=kind == "trust")
                  for _ in range(ch.number(1, 3))]
    resource_policy = {"Version": "2012-10-17", "Statement": statements}
    return {
        "principal": caller,
        "action": action,
        "resource": resource,
        "context": context,
        "identity_policies": identity,
        "resource_policy": resource_policy if ch.maybe(85) else None,
        "resource_account": ch.pick([None, None, ACCOUNT, OTHER_ACCOUNT]),
        "permission_boundary": policy(ch) if ch.maybe(20) else None,
    }


FULL_ACCESS = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def rcp_statement(ch: Chooser, action: str, resource: str) -> dict[str, Any]:
    """A resource control policy statement: Principal (or NotPrincipal) and Resource, mostly
    Deny (an RCP's Allow statements change nothing: RCPFullAWSAccess is implicit)."""
    out = resource_statement(ch, action, resource, trust=False)
    if ch.maybe(50):
        out["Effect"] = "Deny"
    return out


@st.composite
def organization_scenarios(draw: Any) -> dict[str, Any]:
    """:func:`scenarios` plus SCP levels, RCP levels and a session policy."""
    case = draw(scenarios())
    ch = DrawChooser(draw)
    action, resource = case["action"], case["resource"]
    if ch.maybe(60):
        # broad identity permissions, which the organization and the session then narrow
        case["identity_policies"] = [*case["identity_policies"], FULL_ACCESS]

    def limiting() -> dict[str, Any]:
        # an SCP or session policy: often aimed at the request (Allow or Deny), so that it
        # decides as often as the identity side lets it
        if ch.maybe(60):
            return {"Version": "2012-10-17", "Statement": [
                targeted_statement(ch, action, resource, ch.pick(["Allow", "Allow", "Allow", "Deny"]))
                for _ in range(ch.number(1, 2))]}
        return policy(ch)

    # one of the three in every case, the others sometimes
    focus = ch.pick(["scps", "rcps", "session_policy"])
    if focus == "scps" or ch.maybe(30):
        # a level often holds AWS's FullAWSAccess beside its own policies
        case["scps"] = [
            ([FULL_ACCESS] if ch.maybe(40) else []) + [limiting()]
            for _ in range(ch.number(1, 2))
        ]
    if focus == "rcps" or ch.maybe(20):
        case["rcps"] = [[{"Version": "2012-10-17", "Statement": [
            rcp_statement(ch, action, resource) for _ in range(ch.number(1, 2))]}]]
    if focus == "session_policy" or ch.maybe(20):
        case["session_policy"] = limiting()
    return case


def agrees_with_reference(case: dict[str, Any]) -> None:
    """drpolicy.authorize(**case) gives the reference's decision and determining statements,
    and raises PolicyParseError exactly where the reference finds a policy invalid."""
    try:
        expected = reference.authorize(**case)
    except reference.InvalidPolicy:
        with pytest.raises(PolicyParseError):
            drpolicy.authorize(**case)
        event("invalid")
        return
    got = drpolicy.authorize(**case)
    event(f"{expected.decision}")
    reasons = frozenset((r.policy, r.index) for r in got.reasons)
    where = json.dumps(case, indent=1) + (
        f"\ndrpolicy: {got.decision} by {got.decided_by}"
        f"\nreasons only in drpolicy: {sorted(reasons - expected.reasons)}"
        f"\nreasons only in the reference: {sorted(expected.reasons - reasons)}"
        f"\nstatements with evaluation errors (reference): {sorted(expected.undecided)}"
    )
    assert got.decision == expected.decision, where
    assert reasons == expected.reasons, where


class TestAuthorize:
    """IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic":
    an explicit Deny in any policy wins; within one account an Allow in either the identity or
    the resource-based policy suffices, except that a resource policy naming only the account
    delegates to identity policies and that role trust policies and KMS key policies must
    allow the principal; a role-ARN grant is still limited by the caller's permissions
    boundary; across accounts both sides must allow; services and anonymous callers are
    decided by the resource policy alone. "Principal" page: ``*`` names everyone, an account
    names every identity of it, a role ARN names its sessions. "NotPrincipal" page: with Deny,
    a caller is exempt only when its account (and role and session) are listed, and it always
    applies to an IAM principal with a permissions boundary."""

    @given(scenarios())
    def test_authorize_agrees_with_reference(self, case: dict[str, Any]) -> None:
        agrees_with_reference(case)

    @given(organization_scenarios())
    def test_authorize_with_scps_rcps_and_session_policies_agrees_with_reference(
        self, case: dict[str, Any]
    ) -> None:
        """Organizations' SCP and RCP pages and "Policy evaluation logic" (session policies):
        SCP levels and a session policy bind IAM callers (each must allow, a Deny in any is
        final), RCPs only deny and bind every caller; the rest of the table as above."""
        agrees_with_reference(case)

    @pytest.mark.parametrize(
        ("caller", "entries", "boundary"),
        [
            pytest.param(ROLE_ARN, [ROLE_ARN, "*"], True, id="role-then-wildcard"),
            pytest.param(ROLE_ARN, ["*", ROLE_ARN], True, id="wildcard-then-role"),
            pytest.param(f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
                         [f"arn:aws:sts::{ACCOUNT}:federated-user/fed", "*"], False,
                         id="federated-user-then-wildcard"),
            pytest.param(f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
                         ["*", f"arn:aws:sts::{ACCOUNT}:federated-user/fed"], False,
                         id="wildcard-then-federated-user"),
        ],
    )
    def test_principal_list_order_does_not_matter(
        self, caller: str, entries: list[str], boundary: bool
    ) -> None:
        """A Principal element that names the caller several ways grants as the strongest of
        them, wherever each is listed (the order of a JSON list has no meaning in IAM)."""
        request: dict[str, Any] = {
            "principal": caller,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/x",
            "resource_policy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": entries}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*"}]},
            "permission_boundary": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
            if boundary else None,
        }
        expected = reference.authorize(**request)
        assert drpolicy.authorize(**request).decision == expected.decision == "Allowed"
