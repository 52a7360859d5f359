"""Property tests of the custom policy checks (drpolicy.analysis) against the concrete engine.

Each FAIL's witness must be allowed by the new (or checked) policy and not by the existing one,
per :func:`drpolicy.authorize`; each PASS must survive a sample of requests built from the new
policy's own statements (:func:`drpolicy.strategies.requests_allowed_by`), none of which may be
allowed by the new policy and refused by the existing one. A FAIL without a witness ("cannot
prove") is allowed: it is never a wrong answer, only an unhelpful one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from iamgen import examples

import drpolicy
from drpolicy import Role
from drpolicy.strategies import policies, requests_allowed_by

pytest.importorskip("z3")

from drpolicy.analysis import (
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)

pytestmark = pytest.mark.slow

CALLER = "arn:aws:iam::123456789012:role/drpolicy-witness"
SERVICES = ["s3", "iam"]
TIMEOUT_MS = 10_000


def allows(policy: Any, action: str, resource: str, context: Any) -> bool:
    ctx = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in (context or {}).items()}
    return drpolicy.authorize(
        CALLER, action, resource, context=ctx, identity_policies=[policy],
        resource_account="123456789012",
    ).allowed


def proven_witness(r: Any) -> Any:
    """The witness of a FAIL, or ``None`` for a FAIL "cannot prove" (checked to say so)."""
    if r.witness is None:
        assert r.message.startswith("cannot prove"), str(r)
    return r.witness


def built_from(data: st.DataObject, policy: Any, n: int) -> list[Any]:
    """Up to ``n`` requests the policy allows, built from its statements."""
    role = Role.from_policies("subject", [policy])
    try:
        strategy = requests_allowed_by(role)
    except InvalidArgument:
        return []  # the policy allows nothing the strategies can construct
    return [data.draw(strategy) for _ in range(n)]


class TestNoNewAccess:
    """CheckNoNewAccess: "does the updated policy grant anything the existing one did not?"
    (IAM Access Analyzer custom policy checks)."""

    @settings(max_examples=examples(0.5))
    @given(st.data())
    def test_witnesses_reproduce_and_passes_survive_sampling(self, data: st.DataObject) -> None:
        existing = data.draw(policies(services=SERVICES, max_statements=3), label="existing")
        new = data.draw(policies(services=SERVICES, max_statements=3), label="new")
        r = check_no_new_access(existing, new, timeout_ms=TIMEOUT_MS)
        if r.result == "FAIL":
            w = proven_witness(r)
            if w is not None:
                assert allows(new, w.action, w.resource, w.context)
                assert not allows(existing, w.action, w.resource, w.context)
            return
        for request in built_from(data, new, 10):
            if allows(new, request.action, request.resource, request.context):
                assert allows(existing, request.action, request.resource, request.context), (
                    f"PASS but {request} is allowed by the new policy only"
                )

    @settings(max_examples=examples(0.25))
    @given(st.data())
    def test_a_policy_never_grants_more_than_itself_plus_statements(
        self, data: st.DataObject
    ) -> None:
        base = data.draw(policies(services=SERVICES, max_statements=3), label="base")
        extra = data.draw(policies(services=SERVICES, max_statements=1, effect="Allow"))
        stmts = base["Statement"] if isinstance(base["Statement"], list) else [base["Statement"]]
        more = extra["Statement"] if isinstance(extra["Statement"], list) else [
            extra["Statement"]]
        version = base.get("Version")
        if version != extra.get("Version"):
            return  # variables mean different things under different versions
        wider = {"Statement": [*stmts, *more]} | ({"Version": version} if version else {})
        # the base grants nothing the wider policy does not (Allow statements only add)
        r = check_no_new_access(wider, base, timeout_ms=TIMEOUT_MS)
        assert r.result == "PASS" or r.witness is None, str(r)


def resource_side_allows(policy: Any, w: Any) -> bool:
    """``authorize`` for a resource/trust witness: the caller's own side allows everything."""
    principal = drpolicy.Principal.parse(w.principal) if not w.principal.startswith(
        ("web-identity:", "canonical-user:")) else None
    if principal is None:
        kind, _, name = w.principal.partition(":")
        principal = (drpolicy.Principal.web_identity(name) if kind == "web-identity"
                     else drpolicy.Principal.canonical_user(name))
    everything = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return drpolicy.authorize(
        principal, w.action, w.resource, context={k: list(v) for k, v in w.context.items()},
        identity_policies=[everything] if principal.is_iam else [],
        session_policy=everything if principal.is_iam else None,
        resource_policy=policy, resource_account=w.resource_account,
    ).allowed


class TestNoNewAccessWithPrincipals:
    """CheckNoNewAccess on resource-based and trust policies: the witness names the caller,
    and the Principal/NotPrincipal rules are the engine's."""

    @settings(max_examples=examples(0.25))
    @given(st.data())
    def test_witnesses_reproduce(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["resource", "trust"]), label="policy type")
        existing = data.draw(policies(policy_type=kind, max_statements=3), label="existing")
        new = data.draw(policies(policy_type=kind, max_statements=3), label="new")
        r = check_no_new_access(existing, new, policy_type=kind, timeout_ms=TIMEOUT_MS)
        w = proven_witness(r) if r.result == "FAIL" else None
        if w is not None:
            assert resource_side_allows(new, w)
            assert not resource_side_allows(existing, w)


class TestAccessNotGranted:
    """CheckAccessNotGranted: "does this policy grant any of these actions?"."""

    @settings(max_examples=examples(0.5))
    @given(st.data())
    def test_against_sampled_requests(self, data: st.DataObject) -> None:
        policy = data.draw(policies(services=SERVICES, max_statements=3), label="policy")
        action = data.draw(st.sampled_from(
            ["s3:GetObject", "s3:PutObject", "s3:Get*", "iam:PassRole", "iam:*", "s3:*"]))
        r = check_access_not_granted(policy, actions=[action], timeout_ms=TIMEOUT_MS)
        probe = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
        if r.result == "FAIL":
            w = proven_witness(r)
            if w is not None:
                assert allows(policy, w.action, w.resource, w.context)
                assert allows(probe, w.action, "*", {})
            return
        for request in built_from(data, policy, 10):
            if allows(probe, request.action, "*", {}):
                assert not allows(policy, request.action, request.resource, request.context)


class TestNoPublicAccess:
    """CheckNoPublicAccess: "can this resource policy grant public access?"."""

    @settings(max_examples=examples(0.25))
    @given(policies(policy_type="resource", services=["s3"], max_statements=3))
    def test_public_witnesses_reproduce(self, policy: Any) -> None:
        r = check_no_public_access(policy, resource_type="s3", timeout_ms=TIMEOUT_MS)
        if r.result == "FAIL" and r.witness is not None:
            w = r.witness
            principal = drpolicy.Principal.parse(w.principal)
            d = drpolicy.authorize(
                principal, w.action, w.resource, context={k: list(v) for k, v in w.context.items()},
                identity_policies=[{"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
                if principal.is_iam else [],
                session_policy={"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
                if principal.is_iam else None,
                resource_policy=policy, resource_account=w.resource_account,
            )
            assert d.allowed
            assert principal.kind == "anonymous" or principal.account != w.resource_account
