"""The policy-set index (drpolicy._index): the resource matchers and the action index select
exactly the statements the per-statement predicates select, at every size.

Small sets use one alternation regex; past a few dozen wildcard patterns the resource
matcher indexes patterns by a token of their literal text, and the action index looks
patterns up by literal prefix and suffix. These tests check both against the statement-level
predicates (themselves checked against tests/reference.py by the property tests).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drpolicy._index import PolicyIndex, _Resources, service_wildcard_only
from drpolicy.evaluator import compile_policy

_PIECES = ["a", "b", "ab", "t1", "x-y", "/", "-", ".", ":", "*", "?", "1", "Z", "**", "é"]


def _pattern(draw: Any) -> str:
    body = "".join(draw(st.lists(st.sampled_from(_PIECES), min_size=0, max_size=6)))
    head = draw(st.sampled_from(["arn:aws:s3:::", "arn:aws:s3:*:*:", "arn:aws:s?:::"]))
    return head + body


@st.composite
def resource_sets(draw: Any) -> tuple[list[str], list[str]]:
    # a third end without a wildcard (exact ARNs when the body has none); at least 33 end
    # with one, so the token index is in use
    patterns = [_pattern(draw) + ["", "*", "?"][i % 3] for i in range(draw(st.integers(50, 90)))]
    resources = []
    for _ in range(12):
        if draw(st.booleans()):
            source = draw(st.sampled_from(patterns))
            filled = "".join(
                draw(st.sampled_from(["", "a", "t1", "-b/", "x:y"])) if c == "*"
                else draw(st.sampled_from(["a", "-", "1"])) if c == "?" else c
                for c in source
            )
            resources.append(filled)
        else:
            head = draw(st.sampled_from(["arn:aws:s3:::", "arn:aws:s3:us-east-1:123456789012:"]))
            resources.append(head + "".join(
                draw(st.lists(st.sampled_from(["a", "b", "t1", "/", "-", ".", "x-y", ":", "é",
                                               "\ud800", "ab"]),
                              max_size=8))
            ))
    return patterns, resources


@settings(max_examples=40, deadline=None)
@given(resource_sets())
def test_resource_matcher_agrees_with_statements(case: tuple[list[str], list[str]]) -> None:
    patterns, resources = case
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": p}
        for i, p in enumerate(patterns)
    ]}
    index = PolicyIndex([compile_policy(doc)], "identity")
    stmts = list(index.statements)
    matcher = _Resources(stmts, {})
    assert matcher.tokens is not None  # the token index is in use at this size
    for resource in resources:
        expected = {s.order for s in stmts if s.resource_applies(resource, {})}
        assert {s.order for s in matcher.which(resource)} == expected, resource
        assert matcher.test(resource) is bool(expected), resource
        assert matcher.test(resource) is bool(expected), resource  # compiled entries swapped in


_ACTIONS = ["Get", "Put", "Object", "T1", "Tags", "*", "?", "List"]


@st.composite
def action_sets(draw: Any) -> tuple[list[str], list[str]]:
    def name() -> str:
        return "".join(draw(st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=4)))

    services = ["s3", "ec2", "s*", "*"]
    patterns = [f"{draw(st.sampled_from(services))}:{name()}" for _ in range(draw(st.integers(5, 60)))]
    requests = [
        f"{draw(st.sampled_from(['s3', 'ec2', 'sqs']))}:{name().replace('*', 'x').replace('?', 'y')}"
        for _ in range(10)
    ]
    return patterns, requests


@settings(max_examples=40, deadline=None)
@given(action_sets(), st.booleans())
def test_action_index_agrees_with_statements(case: tuple[list[str], list[str]], not_action: bool) -> None:
    patterns, requests = case
    key = "NotAction" if not_action else "Action"
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow" if i % 3 else "Deny", key: p if i % 4 else [p, patterns[0]], "Resource": "*"}
        for i, p in enumerate(patterns)
    ]}
    index = PolicyIndex([compile_policy(doc)], "identity")
    for action in requests:
        group = index.group(action)
        got = {s.order for effect in (group.deny, group.allow) if effect is not None for s in effect.stmts}
        expected = {
            s.order for s in index.statements
            if s.action_applies(action.lower())
            # NotAction excluding the action only through a service-prefix wildcard: kept,
            # as an ambiguous statement
            or (s.not_actions is not None and service_wildcard_only(s, action.lower()))
        }
        assert got == expected, action


def test_quick_path_of_a_seen_action_agrees_and_still_validates() -> None:
    """Role.is_allowed answers a request whose action's group is built and reads no
    condition from the group's two resource tests (Deny side first). It must give the answer
    of the full path and still reject what the full path rejects."""
    import pytest

    import drpolicy
    from drpolicy.errors import InvalidArnError, RequestError

    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::b/*", "*"]},
        {"Effect": "Deny", "Action": ["s3:DeleteObject", "*"],
         "Resource": "arn:aws:s3:::b/secret*"},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
    ]}])
    requests = [
        ("s3:GetObject", "arn:aws:s3:::b/k"), ("s3:GetObject", "arn:aws:s3:::b/secret-1"),
        ("s3:DeleteObject", "arn:aws:s3:::b/secret"), ("s3:GetObject", "*"),
        ("ec2:DescribeVpcs", "*"), ("iam:GetRole", "arn:aws:iam::123456789012:role/x"),
        ("sts:GetCallerIdentity", "*"),  # needs no permission; the Deny on * cannot stop it
    ]
    for action, resource in requests:
        expected = role.evaluate(action, resource).allowed  # builds the group
        assert role._identity._groups.get(action) is not None
        for _ in range(2):
            assert role.is_allowed(action, resource) is expected, (action, resource)
            assert role.is_allowed(action, resource, {"aws:SourceIp": "10.0.0.1"}) is expected
    assert role.is_allowed("sts:GetCallerIdentity", "*") is True
    with pytest.raises(InvalidArnError):
        role.is_allowed("s3:GetObject", "not-an-arn")
    with pytest.raises(RequestError):
        role.is_allowed("s3:GetObject", "arn:aws:s3:::b/k", {"k": 1.5})
    with pytest.raises(RequestError):
        role.is_allowed("s3:GetObject", "arn:aws:s3:::b/k", [])  # type: ignore[arg-type]
