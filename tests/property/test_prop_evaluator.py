"""Differential tests: drpolicy's evaluator against the reference evaluator (tests/reference.py).

Generated identity policies (several statements, Allow/Deny, Action/NotAction,
Resource/NotResource, conditions over a small key/value alphabet so that they match and fail
to match, policy variables, three Versions) and generated requests are decided by both; the
decision and the determining statements must be the same. A policy the reference considers
invalid must make drpolicy raise PolicyParseError.
"""

from __future__ import annotations

import json
import random
from typing import Any, Final

import pytest
import reference
from hypothesis import event, given, settings
from hypothesis import strategies as st
from iamgen import (
    ACCOUNT,
    ROLE_ARN,
    ROLE_NAME,
    USER_ARN,
    Chooser,
    DrawChooser,
    RandomChooser,
    examples,
    policies,
    policy,
    request_action,
    request_context,
    request_for,
    request_resource,
    statement,
)

import drpolicy
from drpolicy import PolicyParseError, Role

Named = list[tuple[str, dict[str, Any]]]


EVERYTHING: Final = {"Version": "2012-10-17",
                     "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""An allow-everything policy (AWS's FullAWSAccess SCP has this one statement)."""


def reasons_of(decision: drpolicy.Decision) -> frozenset[tuple[str, int]]:
    """The engine's determining statements as (policy name, index) pairs."""
    return frozenset((r.policy, r.index) for r in decision.reasons)


def show(
    named: Named, boundary: Any, request: tuple[str, str, Any],
    differing: frozenset[tuple[str, int]] = frozenset(),
) -> str:
    """A reproduction for failure messages (for large sets: only the statements on which the
    two sides disagree)."""
    docs = dict(named)
    if sum(len(reference.statements_of(d)) for d in docs.values()) > 12:
        docs = {
            f"{name}[{index}]": {
                "Version": docs[name].get("Version"),
                "Statement": [reference.statements_of(docs[name])[index]],
            }
            for name, index in sorted(differing) if name in docs
        }
    return json.dumps({"policies": docs, "boundary": boundary, "request": request}, indent=1)


def is_cross_account(resource: str, principal_account: str = ACCOUNT) -> bool:
    """Whether ``resource`` belongs to another account than the caller."""
    if resource == "*":
        return False
    account = resource.split(":", 5)[4]
    return bool(account) and account != principal_account


def check_role(
    named: Named, boundary: dict[str, Any] | None,
    requests: list[tuple[str, str, dict[str, Any]]], *, error_free_only: bool = False,
) -> list[str]:
    """Decide every request with the reference and with one drpolicy Role; assert they agree;
    return the decisions (or ``["invalid"]``).

    ``error_free_only``: compare only requests whose evaluation touches no evaluation error
    (the others are covered by the tests without this flag).
    """
    ref_boundary = (f"{ROLE_NAME}/boundary", boundary) if boundary is not None else None
    try:
        for _, doc in named + ([ref_boundary] if ref_boundary else []):
            reference.check_policy(doc, "identity")
    except reference.InvalidPolicy:
        with pytest.raises(PolicyParseError):
            Role.from_policies(ROLE_NAME, dict(named), permission_boundary=boundary)
        return ["invalid"]
    role = Role.from_policies(ROLE_NAME, dict(named), permission_boundary=boundary)
    outcomes = []
    for action, resource, context in requests:
        expected = reference.evaluate_identity(
            named, action, resource, context, principal=ROLE_ARN, boundary=ref_boundary
        )
        if error_free_only and expected.undecided:
            outcomes.append("skipped: evaluation error")
            continue
        got = role.evaluate(action, resource, context)
        where = show(
            named, boundary, (action, resource, context), expected.reasons ^ reasons_of(got)
        )
        assert (got.decision, reasons_of(got)) == (expected.decision, expected.reasons), where
        assert got.allowed is (expected.decision == "Allowed")
        assert role.is_allowed(action, resource, context) is got.allowed, where
        assert drpolicy.is_allowed(role, action, resource, context) is got.allowed, where
        errors = {(e.statement.policy, e.statement.index) for e in got.errors}
        assert errors == expected.undecided, where
        outcomes.append(expected.decision)
    return outcomes


class TestIdentityEvaluation:
    """IAM User Guide, "Policy evaluation logic" ("How AWS enforcement code logic evaluates
    requests"): "By default, all requests are implicitly denied"; "An explicit deny in any
    policy overrides any allows"; an explicit allow in an identity-based policy overrides the
    default; with a permissions boundary, "the request is allowed only if both" allow.
    Conditions follow "Condition operators" (missing keys, IfExists, set qualifiers) and
    policy variables "Policy variables" (literal substitution, Version 2012-10-17 only).
    """

    @given(st.data())
    def test_role_evaluate_agrees_with_reference(self, data: st.DataObject) -> None:
        """Every generated request, including those whose evaluation errors (fail closed)."""
        ch = DrawChooser(data.draw)
        valid_only = not ch.maybe(15)
        docs = policies(ch, valid_only=valid_only)
        boundary = policy(ch, valid_only=valid_only) if ch.maybe(20) else None
        named = [(f"p{i}", d) for i, d in enumerate(docs)]
        request = request_for(ch, docs + ([boundary] if boundary else []))
        event(check_role(named, boundary, [request])[0])

    @given(st.data())
    def test_role_evaluate_agrees_without_evaluation_errors(self, data: st.DataObject) -> None:
        """The requests whose evaluation touches no evaluation error at all."""
        ch = DrawChooser(data.draw)
        docs = policies(ch)
        boundary = policy(ch) if ch.maybe(20) else None
        named = [(f"p{i}", d) for i, d in enumerate(docs)]
        request = request_for(ch, docs + ([boundary] if boundary else []))
        event(check_role(named, boundary, [request], error_free_only=True)[0])

    @given(st.data())
    def test_authorize_identity_side_agrees_with_reference(self, data: st.DataObject) -> None:
        """drpolicy.authorize(identity_policies=...): same account, cross-account (never
        allowed without a resource policy: "both evaluations return Allow"), users, roles and
        role sessions (their derived context keys)."""
        ch = DrawChooser(data.draw)
        docs = policies(ch, valid_only=not ch.maybe(10))
        boundary = policy(ch) if ch.maybe(20) else None
        principal = ch.pick([USER_ARN, ROLE_ARN, f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s1"])
        action = request_action(ch)
        resource = request_resource(ch, cross_account=True)
        context = request_context(ch)
        try:
            expected = reference.authorize(
                principal, action, resource, context=context, identity_policies=docs,
                permission_boundary=boundary,
            )
        except reference.InvalidPolicy:
            with pytest.raises(PolicyParseError):
                drpolicy.authorize(principal, action, resource, context=context,
                                   identity_policies=docs, permission_boundary=boundary)
            event("invalid")
            return
        as_text = ch.maybe(30)
        got = drpolicy.authorize(
            principal, action, resource, context=context,
            identity_policies=[json.dumps(d) for d in docs] if as_text else docs,
            permission_boundary=boundary,
        )
        event(expected.decision)
        where = json.dumps([principal, docs, boundary, action, resource, context], indent=1)
        assert (got.decision, reasons_of(got)) == (expected.decision, expected.reasons), where

    @given(st.data())
    def test_general_path_gives_the_identity_paths_decision(self, data: st.DataObject) -> None:
        """An SCP level or a session policy that allows everything changes nothing ("Policy
        evaluation logic": each only limits): the whole Decision (reasons in order,
        decided_by, missing context keys, errors in order) is the same. With identity
        policies and a boundary alone, authorize takes the identity path
        (``decide_identity``); with an SCP or a session policy, the general ``decide``: the
        two must be one implementation of the rule."""
        ch = DrawChooser(data.draw)
        docs = policies(ch, valid_only=not ch.maybe(10))
        boundary = policy(ch) if ch.maybe(30) else None
        principal = ch.pick([USER_ARN, ROLE_ARN, f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s1"])
        action = request_action(ch)
        resource = request_resource(ch)
        context = request_context(ch)
        request = {"context": context, "identity_policies": docs,
                   "permission_boundary": boundary}
        try:
            alone = drpolicy.authorize(principal, action, resource, **request)
        except PolicyParseError:
            event("invalid")
            return
        with_scp = drpolicy.authorize(principal, action, resource, scps=[[EVERYTHING]], **request)
        with_session = drpolicy.authorize(
            principal, action, resource, session_policy=EVERYTHING, **request
        )
        event(f"{alone.decision}{' with errors' if alone.errors else ''}")
        where = json.dumps([principal, docs, boundary, action, resource, context], indent=1)
        assert with_scp == alone, where
        assert with_session == alone, where

    @given(st.data())
    def test_session_policy_and_scp_limit_like_a_boundary(self, data: st.DataObject) -> None:
        """For a role session in its own account with no resource policy, a session policy,
        a one-level SCP and a permissions boundary are each an intersection with the identity
        policies ("Policy evaluation logic": a Deny in any of them is final, and each must
        allow): the same policy in any of the three places gives the same decision. The
        boundary takes authorize's identity path, the other two the general one."""
        ch = DrawChooser(data.draw)
        docs = policies(ch, valid_only=not ch.maybe(10))
        if ch.maybe(50):  # broad identity permissions, so that the limit decides often
            docs = [*docs, EVERYTHING]
        limit = policy(ch, valid_only=not ch.maybe(10))
        principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s1"
        action, resource, context = request_for(ch, [*docs, limit])
        outcomes = []
        for place in ({"permission_boundary": limit}, {"session_policy": limit},
                      {"scps": [[limit]]}):
            try:
                d = drpolicy.authorize(principal, action, resource, context=context,
                                       identity_policies=docs, **place)
            except PolicyParseError:
                outcomes.append(("invalid", 0))
                continue
            outcomes.append((d.decision, len(d.errors)))
        event(outcomes[0][0])
        if any(o[0] == "invalid" for o in outcomes):
            return  # the policy types parse differently (an SCP's grammar is narrower)
        where = json.dumps([docs, limit, action, resource, context], indent=1)
        assert outcomes[1] == outcomes[0], where
        assert outcomes[2] == outcomes[0], where


def large_policy_set(ch: Chooser) -> Named:
    """Hundreds of statements over a few policies, so that drpolicy's index (exact, prefix and
    wildcard buckets, per-action groups) is exercised."""
    named = []
    total = ch.number(200, 400)
    count = ch.number(1, 5)
    for i in range(count):
        doc: dict[str, Any] = {"Version": "2012-10-17"}
        doc["Statement"] = [statement(ch) for _ in range(total // count)]
        named.append((f"big{i}", doc))
    return named


class TestLargePolicySets:
    """Same rules as :class:`TestIdentityEvaluation` ("An explicit deny in any policy overrides
    any allows"; all statements of all policies are considered, order never matters), on
    policy sets of hundreds of statements: the engine's per-action groups and resource buckets
    must select exactly the statements the plain scan of the reference finds."""

    @settings(max_examples=examples(0.05))
    @given(st.integers(0, 2**32 - 1))
    def test_large_sets_agree_with_reference(self, seed: int) -> None:
        ch = RandomChooser(random.Random(seed))
        named = large_policy_set(ch)
        docs = [d for _, d in named]
        requests = [request_for(ch, docs) for _ in range(20)]
        outcomes = check_role(named, None, requests)
        event(f"outcomes: {sorted(set(outcomes))}")

    @settings(max_examples=examples(0.05))
    @given(st.integers(0, 2**32 - 1))
    def test_large_sets_agree_without_evaluation_errors(self, seed: int) -> None:
        ch = RandomChooser(random.Random(seed))
        named = large_policy_set(ch)
        docs = [d for _, d in named]
        requests = [request_for(ch, docs) for _ in range(20)]
        outcomes = check_role(named, None, requests, error_free_only=True)
        event(f"outcomes: {sorted(set(outcomes))}")


ALLOW_ALL: Final[dict[str, Any]] = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def reversed_json(value: Any) -> Any:
    """``value`` with every list and every object's key order reversed (recursively)."""
    if isinstance(value, list):
        return [reversed_json(v) for v in reversed(value)]
    if isinstance(value, dict):
        return {k: reversed_json(v) for k, v in reversed(list(value.items()))}
    return value


def reorder_statements(doc: dict[str, Any]) -> dict[str, Any]:
    """Reverse the order of everything *inside* each statement (Action, Resource and
    NotResource lists, Condition operators, keys and values), keeping statement positions."""
    out = dict(doc)
    items = reference.statements_of(doc)
    reordered = [reversed_json(s) for s in items]
    out["Statement"] = reordered if isinstance(doc["Statement"], list) else reordered[0]
    return out


class TestOrderIndependence:
    """IAM User Guide, "Policy evaluation logic": statement and policy order never matter, and
    "Conditions with multiple context keys or values": a condition block is the AND of its
    operators and keys, the OR of each key's values, and a multi-valued context key is a *set*
    of values. So writing the same policy with its lists and objects in another order, or
    sending a multi-valued key's values in another order, cannot change the decision, also
    when some part of the evaluation errors (docs/semantics.md: errors fail closed)."""

    @given(st.data())
    def test_reordering_policy_and_context_keeps_the_decision(self, data: st.DataObject) -> None:
        ch = DrawChooser(data.draw)
        docs = policies(ch)
        named = [(f"p{i}", d) for i, d in enumerate(docs)]
        try:
            role = Role.from_policies(ROLE_NAME, dict(named))
        except PolicyParseError:
            return
        mirror = Role.from_policies(ROLE_NAME, {n: reorder_statements(d) for n, d in named})
        action, resource, context = request_for(ch, docs)
        flipped = {k: list(reversed(v)) if isinstance(v, list) else v for k, v in context.items()}
        first = role.evaluate(action, resource, context)
        second = mirror.evaluate(action, resource, flipped)
        event(first.decision)
        where = json.dumps([docs, action, resource, context], indent=1)
        assert (first.decision, reasons_of(first)) == (second.decision, reasons_of(second)), where

    @pytest.mark.parametrize(
        ("statements", "context"),
        [
            pytest.param(
                [ALLOW_ALL,
                 {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
                     "NumericLessThan": {"ctx:n": "1"}, "StringEquals": {"ctx:s": "x"}}}],
                {"ctx:n": "abc", "ctx:s": "y"},
                id="condition-operators",
            ),
            pytest.param(
                [ALLOW_ALL,
                 {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
                     "ForAllValues:NumericLessThan": {"ctx:n": "5"}}}],
                {"ctx:n": ["9", "abc"]},
                id="multi-valued-context",
            ),
            pytest.param(
                [ALLOW_ALL,
                 {"Effect": "Deny", "Action": "s3:*",
                  "NotResource": ["arn:aws:s3:::b/${ctx:none}", "arn:aws:s3:::b/*"]}],
                {},
                id="notresource-entries",
            ),
            pytest.param(
                [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {
                    "Bool": {"ctx:b": ["${ctx:v}", "true"]}}}],
                {"ctx:v": "maybe", "ctx:b": "true"},
                id="condition-values",
            ),
        ],
    )
    def test_minimal_examples(self, statements: list[Any], context: dict[str, Any]) -> None:
        """Each case, written in both orders, must get one decision, the reference's: an
        evaluation error anywhere in a statement whose Action and Resource match makes the
        statement fail closed (module docstring of tests/reference.py)."""
        doc = {"Version": "2012-10-17", "Statement": statements}
        mirrored = reorder_statements(doc)
        flipped = {k: list(reversed(v)) if isinstance(v, list) else v for k, v in context.items()}
        request = ("s3:GetObject", "arn:aws:s3:::b/x")
        decisions = {
            Role.from_policies(ROLE_NAME, {"p": d}).evaluate(*request, c).decision
            for d, c in ((doc, context), (mirrored, flipped))
        }
        expected = reference.evaluate_identity([("p", doc)], *request, context, principal=ROLE_ARN)
        assert decisions == {expected.decision}
