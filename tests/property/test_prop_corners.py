"""Issue 11: a seeded differential generator aimed at the corners where engines differ, and a
robustness test that drives every public entry point with arbitrary JSON-like values.

The differential half compares ``drpolicy.authorize`` with ``tests/reference.py`` (extended to
the same ambiguity rules) on generated (policies, request) pairs built around: multi-valued
and one-element-list context values, empty lists, ``Null`` with set qualifiers, ``IfExists``
with set qualifiers, NotPrincipal naming part of the caller's identity chain, KMS keys and
role trust (a resource policy that must grant), ``sts:GetCallerIdentity``, and whitespace and
case in request actions. Every decision agrees, and every statement the reference cannot
decide (an error or an ambiguous construct) is one drpolicy reports in ``Decision.errors``.

The robustness half asserts that nothing but a :class:`drpolicy.DrpolicyError` ever escapes
``load_policy``, ``authorize``, ``load_account``, ``Role.from_policies``, ``explain`` and the
CLI (run in-process), whatever values they are given.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drpolicy
from drpolicy import DrpolicyError

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/s1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Target"
BUCKET = "arn:aws:s3:::corner-bucket/key.txt"
SEED = 20261128
CASES = 400

KEYS = ("aws:CalledVia", "aws:TagKeys", "aws:PrincipalTag/team", "ctx:plain")
OPERATORS = (
    "StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
    "StringEqualsIfExists", "StringNotEqualsIfExists",
    "ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
    "ForAnyValue:StringEqualsIfExists", "ForAllValues:StringNotEqualsIfExists",
    "Null", "ForAnyValue:Null", "ForAllValues:Null",
)
VALUES = ("a", "b", "*", "s3.amazonaws.com", "team-a")


def _condition(rng: random.Random) -> dict[str, Any]:
    operator = rng.choice(OPERATORS)
    key = rng.choice(KEYS)
    if operator.endswith("Null"):
        values: Any = rng.choice(["true", "false", ["true"], []])
    else:
        values = rng.choice([[], [rng.choice(VALUES)], rng.sample(VALUES, 2), rng.choice(VALUES)])
    return {operator: {key: values}}


def _context(rng: random.Random) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key in KEYS:
        roll = rng.random()
        if roll < 0.25:
            continue
        if roll < 0.4:
            context[key] = []
        elif roll < 0.6:
            context[key] = [rng.choice(VALUES)]  # a one-element list
        elif roll < 0.8:
            context[key] = rng.sample(VALUES, 2)
        else:
            context[key] = rng.choice(VALUES)
    return context


def _action(rng: random.Random) -> str:
    action = rng.choice(["s3:GetObject", "kms:Decrypt", "sts:AssumeRole", "sts:GetCallerIdentity"])
    roll = rng.random()
    if roll < 0.2:
        action = action.upper() if rng.random() < 0.5 else action.lower()
    elif roll < 0.3:
        action = rng.choice([action + " ", " " + action, action.replace(":", ": "), action + "\t"])
    return action


def _resource_for(action: str, rng: random.Random) -> str:
    low = action.strip().lower()
    if low.startswith("kms"):
        return KEY
    if low.startswith("sts:assumerole"):
        return ROLE
    return rng.choice([BUCKET, "*"]) if low == "sts:getcalleridentity" else BUCKET


def _statement(rng: random.Random, *, resource_side: bool, trust: bool) -> dict[str, Any]:
    effect = "Deny" if rng.random() < 0.3 else "Allow"
    statement: dict[str, Any] = {"Effect": effect}
    statement["Action"] = rng.choice(
        ["*", "s3:*", "kms:*", "sts:*", "s3:GetObject", "kms:Decrypt", "sts:AssumeRole",
         "sts:GetCallerIdentity", "s3*:*", "*:GetObject"]
    )
    if not trust:
        statement["Resource"] = rng.choice(["*", "arn:aws:s3:::corner-bucket/*", KEY, ROLE])
    if resource_side:
        if rng.random() < 0.3:
            statement["NotPrincipal"] = {"AWS": rng.choice(
                [[ALICE], [ROOT], [ALICE, ROOT], [ACCOUNT], [SESSION], [f"arn:aws:iam::{ACCOUNT}:role/Dev"]]
            )}
        else:
            statement["Principal"] = rng.choice(
                ["*", {"AWS": ROOT}, {"AWS": ALICE}, {"AWS": ACCOUNT}, {"AWS": "arn:aws:iam::444455556666:root"}]
            )
    if rng.random() < 0.6:
        statement["Condition"] = _condition(rng)
    return statement


def _case(rng: random.Random) -> dict[str, Any]:
    action = _action(rng)
    resource = _resource_for(action, rng)
    trust = resource == ROLE
    identity = [
        {"Version": "2012-10-17", "Statement": [
            _statement(rng, resource_side=False, trust=False) for _ in range(rng.randint(1, 3))
        ]}
        for _ in range(rng.randint(0, 2))
    ]
    resource_policy = None
    if rng.random() < 0.6:
        resource_policy = {"Version": "2012-10-17", "Statement": [
            _statement(rng, resource_side=True, trust=trust) for _ in range(rng.randint(1, 3))
        ]}
    return {
        "principal": rng.choice([ALICE, SESSION, ROOT]),
        "action": action,
        "resource": resource,
        "context": _context(rng),
        "identity_policies": identity,
        "resource_policy": resource_policy,
    }


def _reference(case: dict[str, Any]) -> Any:
    try:
        return reference.authorize(**case)
    except reference.InvalidPolicy:
        return "invalid-policy"
    except reference.InvalidRequest:
        return "invalid-request"


@pytest.mark.parametrize("block", range(4))
def test_corners_agree_with_the_reference(block: int) -> None:
    """Seeded: the same cases every run (4 blocks of CASES), so a disagreement is a plain
    failing test with the case printed, not a flaky one."""
    rng = random.Random(SEED + block)
    kinds: dict[str, int] = {}
    for _ in range(CASES):
        case = _case(rng)
        expected = _reference(case)
        where = json.dumps(case, indent=1)
        if expected == "invalid-policy":
            with pytest.raises(drpolicy.PolicyParseError):
                drpolicy.authorize(**case)
            continue
        if expected == "invalid-request":
            with pytest.raises(drpolicy.RequestError):
                drpolicy.authorize(**case)
            kinds["invalid-request"] = kinds.get("invalid-request", 0) + 1
            continue
        got = drpolicy.authorize(**case)
        assert got.decision == expected.decision, where
        reasons = frozenset((r.policy, r.index) for r in got.reasons)
        assert reasons == expected.reasons, where
        reported = frozenset((e.statement.policy, e.statement.index) for e in got.errors)
        assert expected.undecided <= reported, where
        kinds[expected.decision] = kinds.get(expected.decision, 0) + 1
        if got.errors:
            kinds["not definite"] = kinds.get("not definite", 0) + 1
    # the generator reaches every outcome, ambiguity included
    for kind in ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied", "invalid-request", "not definite"):
        assert kinds.get(kind, 0) > 0, kinds


# ------------------------------------------------------------------------------------------
# Robustness: only DrpolicyError escapes
# ------------------------------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["*", "s3:GetObject", "arn:aws:s3:::b/k", ALICE, "2012-10-17", "Allow",
                     "Statement", "Effect", "Action", "Resource", "Condition"]),
)
JSONISH = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(
            ["Version", "Statement", "Effect", "Action", "NotAction", "Resource", "Principal",
             "Condition", "Sid", "StringEquals", "k", "AWS", "UserDetailList"]
        ) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=20,
)


def _only_drpolicy_errors(call: Any) -> None:
    try:
        call()
    except DrpolicyError:
        pass


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH, JSONISH, JSONISH)
def test_arbitrary_values_raise_only_drpolicy_errors(a: Any, b: Any, c: Any) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    role = drpolicy.Role.from_policies("r", [policy])
    calls = [
        lambda: drpolicy.load_policy(a),
        lambda: drpolicy.load_policy(json.dumps(a) if not isinstance(a, float) else "1"),
        lambda: drpolicy.authorize(a, "s3:GetObject", "*"),
        lambda: drpolicy.authorize(ALICE, a, "*"),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", a),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", context=a),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", identity_policies=a),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", identity_policies=[a]),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", resource_policy=a),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", scps=a, rcps=b),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", scps=[a], rcps=[b]),
        lambda: drpolicy.authorize(ALICE, "s3:GetObject", "*", permission_boundary=a,
                                   session_policy=b, resource_account=c),
        lambda: drpolicy.load_account(a),
        lambda: drpolicy.Role.from_policies(a, [policy]),
        lambda: drpolicy.Role.from_policies("r", a),
        lambda: drpolicy.Role.from_policies("r", [a], trust_policy=b, permission_boundary=c),
        lambda: role.is_allowed(a, b, c),
        lambda: role.evaluate("s3:GetObject", "*", a),
        lambda: drpolicy.is_allowed(role, a, "*", b),
        lambda: drpolicy.explain(role, "s3:GetObject", a, b),
        lambda: drpolicy.explain(a, "s3:GetObject", "*"),
        lambda: drpolicy.can_assume(a, role, b),
    ]
    for call in calls:
        _only_drpolicy_errors(call)


@pytest.mark.parametrize(
    "text",
    [
        '{"Statement": [], "X": ' + "1" * 5000 + "}",
        "[" * 50_000 + "]" * 50_000,
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",'
        ' "Condition": {"NumericLessThan": {"k": ' + "9" * 5000 + "}}}}",
    ],
)
def test_unreadable_json_is_a_parse_error(text: str) -> None:
    with pytest.raises(drpolicy.PolicyParseError):
        drpolicy.load_policy(text)
    with pytest.raises(drpolicy.PolicyParseError):
        drpolicy.authorize(ALICE, "s3:GetObject", "*", identity_policies=[text])
    with pytest.raises(DrpolicyError):
        drpolicy.load_account(text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=12) | st.sampled_from(
    ["check", "explain", "can-assume", "validate", "roles", "sagemaker", "s3:GetObject", "*",
     "-c", "--context-json", "--policy", "--json", "k=v", "{}", "[", "-"]
), max_size=6))
def test_the_cli_never_raises(argv: list[str]) -> None:
    from drpolicy.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exits (usage errors, --help)
        code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 1, 2, 3)
