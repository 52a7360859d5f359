"""Explicit-deny precedence and monotonicity of drpolicy's decisions (engine-only properties:
they need no reference, only the evaluation logic's shape)."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st
from iamgen import (
    ACCOUNT,
    ROLE_ARN,
    ROLE_NAME,
    USER_ARN,
    DrawChooser,
    policies,
    policy,
    request_action,
    request_context,
    request_for,
    request_resource,
    statement,
    targeted_statement,
)

import drpolicy
from drpolicy import PolicyParseError, Role

Draw = Any


def role_of(docs: dict[str, Any], boundary: Any = None) -> Role | None:
    """A Role, or ``None`` when a generated document is invalid."""
    try:
        return Role.from_policies(ROLE_NAME, docs, permission_boundary=boundary)
    except PolicyParseError:
        return None


@st.composite
def scenarios(draw: Draw) -> tuple[dict[str, Any], dict[str, Any], tuple[str, str, Any]]:
    """Identity policies, one extra statement, and a request."""
    ch = DrawChooser(draw)
    docs = {f"p{i}": d for i, d in enumerate(policies(ch))}
    request = request_for(ch, list(docs.values()))
    effect = ch.pick(["Allow", "Deny"])
    if ch.maybe(50):
        extra = targeted_statement(ch, request[0], request[1], effect)
    else:
        extra = statement(ch, effect=effect)
    return docs, extra, request


def with_extra(docs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``docs`` plus a policy holding only ``extra`` (existing statement indexes unchanged)."""
    return {**docs, "extra": {"Version": "2012-10-17", "Statement": [extra]}}


class TestMonotonicity:
    """IAM User Guide, "Policy evaluation logic": "An explicit deny in any policy overrides any
    allows", and a request is allowed only by an applicable Allow. Hence adding a Deny
    statement never turns a denied request into an allowed one, and adding an Allow never
    lifts an explicit deny nor removes an existing Allow."""

    @given(scenarios())
    def test_adding_a_statement(self, case: tuple[dict[str, Any], dict[str, Any], Any]) -> None:
        docs, extra, (action, resource, context) = case
        before_role, after_role = role_of(docs), role_of(with_extra(docs, extra))
        if before_role is None or after_role is None:
            return
        before = before_role.evaluate(action, resource, context)
        after = after_role.evaluate(action, resource, context)
        event(f"{extra['Effect']}: {before.decision} -> {after.decision}")
        if before.decision == "ExplicitlyDenied":
            assert after.decision == "ExplicitlyDenied"
            assert set(before.reasons) <= set(after.reasons)
        if extra["Effect"] == "Deny":
            assert not (after.allowed and not before.allowed)
        else:
            if before.allowed:
                assert after.allowed
                assert set(before.reasons) <= set(after.reasons)
            if after.decision == "ExplicitlyDenied":
                assert before.decision == "ExplicitlyDenied"


class TestExplicitDenyPrecedence:
    """"An explicit deny in any policy overrides any allows" (Policy evaluation logic): a Deny
    statement that denies a request on its own denies it in every policy set that contains it,
    whatever else the set allows, and is named among the reasons."""

    @given(scenarios())
    def test_a_deny_that_applies_alone_applies_everywhere(
        self, case: tuple[dict[str, Any], dict[str, Any], Any]
    ) -> None:
        docs, extra, (action, resource, context) = case
        extra = {**extra, "Effect": "Deny"}
        alone = role_of({"extra": {"Version": "2012-10-17", "Statement": [extra]}})
        combined = role_of(with_extra(docs, extra))
        if alone is None or combined is None:
            return
        alone_decision = alone.evaluate(action, resource, context)
        event(alone_decision.decision)
        if alone_decision.decision == "ExplicitlyDenied":
            decision = combined.evaluate(action, resource, context)
            assert decision.decision == "ExplicitlyDenied"
            assert any(r.policy == "extra" for r in decision.reasons)
            assert not combined.is_allowed(action, resource, context)


class TestNoPolicies:
    """"By default, all requests are implicitly denied" (Policy evaluation logic), except for
    the account's root user: with no policy at all every IAM user and role session is
    implicitly denied everything."""

    @given(st.data())
    def test_no_policy_is_implicit_deny(self, data: st.DataObject) -> None:
        ch = DrawChooser(data.draw)
        action, resource, context = request_action(ch), request_resource(ch), request_context(ch)
        empty = Role.from_policies(ROLE_NAME, {})
        assert empty.evaluate(action, resource, context).decision == "ImplicitlyDenied"
        assert not empty.is_allowed(action, resource, context)
        principal = ch.pick([USER_ARN, ROLE_ARN, f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s"])
        decision = drpolicy.authorize(principal, action, resource, context=context)
        assert decision.decision == "ImplicitlyDenied"
        assert decision.reasons == ()


class TestPermissionsBoundary:
    """Permissions boundaries page: "An entity's permissions boundary allows it to perform only
    the actions that are allowed by both its identity-based policies and its permissions
    boundaries." So a role with a boundary is allowed only if the role without the boundary is
    allowed and the boundary on its own (as an identity policy) allows too."""

    @given(st.data())
    def test_boundary_is_an_intersection(self, data: st.DataObject) -> None:
        ch = DrawChooser(data.draw)
        docs = {f"p{i}": d for i, d in enumerate(policies(ch))}
        boundary = policy(ch)
        bounded, unbounded = role_of(docs, boundary), role_of(docs)
        boundary_only = role_of({"b": boundary})
        if bounded is None or unbounded is None or boundary_only is None:
            return
        action, resource, context = request_for(ch, [*docs.values(), boundary])
        both = bounded.is_allowed(action, resource, context)
        event(f"bounded allowed: {both}")
        expected = (unbounded.is_allowed(action, resource, context)
                    and boundary_only.is_allowed(action, resource, context))
        assert both is expected
