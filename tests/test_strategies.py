"""drpolicy.strategies: every draw is what the strategy claims, checked against the engine AND
the independent reference evaluator (tests/reference.py), and the constructive strategies
really construct (they do not merely filter random requests)."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import reference
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import drpolicy
from drpolicy import Role, _strategies_roles
from drpolicy import strategies as ds
from drpolicy.strategies import (
    Request,
    actions,
    arns,
    case_variants,
    context_values,
    contexts,
    policies,
    requests,
    requests_allowed_by,
    requests_denied_by,
    resources_for,
    statements,
)

V = "2012-10-17"

# --------------------------------------------------------------------------------------
# Custom roles: Deny, NotAction, NotResource, conditions of every family, a boundary
# --------------------------------------------------------------------------------------

DATA_WRITER = Role.from_policies(
    "DataWriter",
    {
        "data": {
            "Version": V,
            "Statement": [
                {
                    "Sid": "Data",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::data-*", "arn:aws:s3:::data-*/*"],
                },
                {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Action": "logs:*",
                    "Resource": "arn:aws:logs:*:*:log-group:/app/*",
                },
                {
                    "Sid": "KeepProtected",
                    "Effect": "Deny",
                    "Action": "s3:DeleteObject",
                    "Resource": "arn:aws:s3:::data-*/protected/*",
                },
                {
                    "Sid": "NoSecrets",
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::data-secret*",
                },
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "Regions",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
                    },
                },
            ],
        }
    },
)

NOT_ACTION = Role.from_policies(
    "Builder",
    {
        "builder": {
            "Version": V,
            "Statement": [
                {
                    "Sid": "AllButIam",
                    "Effect": "Allow",
                    "NotAction": ["iam:*", "sts:*", "organizations:*"],
                    "Resource": "*",
                },
                {
                    "Sid": "PublicS3Only",
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": ["arn:aws:s3:::public-*", "arn:aws:s3:::public-*/*"],
                },
                {
                    "Sid": "PassToEc2",
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "NotResource": "arn:aws:iam::*:role/admin*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                },
            ],
        }
    },
)

CONDITIONS = Role.from_policies(
    "Conditional",
    {
        "conditional": {
            "Version": V,
            "Statement": [
                {
                    "Sid": "Tagged",
                    "Effect": "Allow",
                    "Action": "ec2:RunInstances",
                    "Resource": "arn:aws:ec2:*:*:instance/*",
                    "Condition": {
                        "StringEquals": {"aws:RequestTag/team": ["ml", "robotics"]},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                        "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
                        "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                        "Bool": {"aws:SecureTransport": "true"},
                    },
                },
                {
                    "Sid": "Events",
                    "Effect": "Allow",
                    "Action": "sqs:SendMessage",
                    "Resource": "arn:aws:sqs:us-east-1:123456789012:events-*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:*"},
                        "StringLikeIfExists": {"aws:SourceAccount": "1234*"},
                        "Null": {"aws:PrincipalTag/team": "false"},
                        "ForAnyValue:StringLike": {"aws:CalledVia": "*.amazonaws.com"},
                    },
                },
                {
                    "Sid": "Signed",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "BinaryEquals": {"myapp:Signature": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
                        "NumericGreaterThanEquals": {"s3:max-keys": 10},
                        "NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                        "StringNotLike": {"aws:username": "guest*"},
                    },
                },
                # ForAnyValue:Null is always false (AA docs): nothing can be constructed from it
                {
                    "Sid": "Never",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"ForAnyValue:Null": {"aws:TagKeys": "true"}},
                },
                {
                    "Sid": "NoGuests",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "guests"}},
                },
            ],
        }
    },
)

VARIABLES = Role.from_policies(
    "Home",
    {
        "home": {
            "Version": V,
            "Statement": [
                {
                    "Sid": "OwnPrefix",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "arn:aws:s3:::home/${aws:username}/*",
                },
                {
                    "Sid": "TeamPrefix",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::teams/${aws:PrincipalTag/team, 'shared'}/*",
                },
                # a variable in a condition value, for a key the request would invent: skipped
                {
                    "Sid": "ListOwn",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::home",
                    "Condition": {"StringLike": {"s3:prefix": "${aws:username}/*"}},
                },
            ],
        }
    },
)

BOUNDED = Role.from_policies(
    "Bounded",
    {
        "wide": {
            "Version": V,
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:*", "logs:*", "ec2:*"], "Resource": "*"},
            ],
        }
    },
    permission_boundary={
        "Version": V,
        "Statement": [
            {
                "Sid": "ReadDr",
                "Effect": "Allow",
                "Action": ["s3:Get*", "s3:List*"],
                "Resource": ["arn:aws:s3:::dr-*", "arn:aws:s3:::dr-*/*"],
            },
            {
                "Sid": "SimLogs",
                "Effect": "Allow",
                "Action": "logs:*",
                "Resource": "arn:aws:logs:*:*:log-group:/aws/robomaker/*",
            },
            {
                "Sid": "KeepGroups",
                "Effect": "Deny",
                "Action": "logs:DeleteLogGroup",
                "Resource": "*",
            },
        ],
    },
    path="/app/",
)

CUSTOM = {r.name: r for r in (DATA_WRITER, NOT_ACTION, CONDITIONS, VARIABLES, BOUNDED)}
ALL_ROLES: dict[str, Role] = {**{n: drpolicy.role(n) for n in drpolicy.roles()}, **CUSTOM}
ROLE_IDS = list(ALL_ROLES)

# Allow statements no request can be constructed from (see the comments in the policies)
NOT_CONSTRUCTIBLE = {("Conditional", "Never"), ("Home", "ListOwn")}


def reference_decision(role: Role, request: Request) -> str:
    """The reference evaluator's decision for ``request`` by a session of ``role``."""
    boundary = role.permission_boundary
    return reference.evaluate_identity(
        [(p.name, p.to_json()) for p in role.policies],
        request.action,
        request.resource,
        request.context,
        principal=role.arn,
        boundary=(boundary.name, boundary.to_json()) if boundary is not None else None,
    ).decision


def collect(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` draws of ``strategy`` (deterministic, through hypothesis' own engine)."""
    out: list[Any] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value: Any) -> None:
        out.append(value)

    run()
    return out


# --------------------------------------------------------------------------------------
# requests_allowed_by / requests_denied_by
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ROLE_IDS)
def test_allowed_draws_are_allowed_by_engine_and_reference(name: str) -> None:
    role = ALL_ROLES[name]

    @given(requests_allowed_by(role))
    def check(request: Request) -> None:
        assert drpolicy.is_allowed(role, *request)
        assert reference_decision(role, request) == "Allowed", request

    check()


@pytest.mark.parametrize("name", ROLE_IDS)
def test_denied_draws_are_denied_by_engine_and_reference(name: str) -> None:
    role = ALL_ROLES[name]

    @given(requests_denied_by(role))
    def check(request: Request) -> None:
        assert not drpolicy.is_allowed(role, *request)
        assert reference_decision(role, request) != "Allowed", request

    check()


def test_catalog_names_and_aliases_are_accepted() -> None:
    for request in collect(requests_allowed_by("sagemaker"), 20):
        assert drpolicy.is_allowed("AWSDeepRacerSageMakerAccessRole", *request)


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
@pytest.mark.parametrize("name", ROLE_IDS)
def test_allowed_requests_are_constructed_not_filtered(name: str) -> None:
    """Without the final safety check, the construction alone must already be right nearly
    always: at least 90% of raw constructions are allowed."""
    subject = _strategies_roles._Subject(ALL_ROLES[name])
    plans = _strategies_roles._plans(subject, deny=False, service=None)
    raw = _strategies_roles._constructed(
        subject, plans, None, avoid_denies=True, accept=lambda r: True
    )
    draws = collect(raw, 150)
    allowed = sum(subject.allows(r) for r in draws)
    assert allowed >= 0.9 * len(draws), f"{allowed} of {len(draws)} constructions allowed"


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
@pytest.mark.parametrize("name", ROLE_IDS)
def test_allowed_draws_exercise_every_constructible_allow_statement(name: str) -> None:
    role = ALL_ROLES[name]
    granting: set[tuple[str, int]] = set()
    for request in collect(requests_allowed_by(role), 250):
        for ref in role.evaluate(*request).reasons:
            granting.add((ref.policy, ref.index))
    expected = {
        (p.name, s.index)
        for p in role.policies
        for s in p.statements
        if s.effect == "Allow" and (role.name, s.sid) not in NOT_CONSTRUCTIBLE
    }
    assert granting == expected


def test_deny_avoidance_is_by_construction() -> None:
    """DataWriter's `Regions` Deny applies unless the request names an allowed region: every
    allowed draw must carry one."""
    for request in collect(requests_allowed_by(DATA_WRITER), 60):
        assert request.context.get("aws:RequestedRegion") in ("us-east-1", "eu-west-1")
        assert request.context.get("aws:SecureTransport", "true") != "false"


def test_resource_variables_get_context_values() -> None:
    seen_default = seen_own = False
    for request in collect(requests_allowed_by(VARIABLES), 120):
        if "/home/" in request.resource or request.resource.startswith("arn:aws:s3:::home/"):
            user = request.resource.split("/")[1]
            assert request.context["aws:username"] == user
            seen_own = True
        elif "/shared/" in request.resource and "aws:PrincipalTag/team" not in request.context:
            seen_default = True
    assert seen_own and seen_default


def test_service_restricts_allowed_actions() -> None:
    for request in collect(requests_allowed_by("deepracer", service="s3"), 40):
        assert request.action.startswith("s3:")
    with pytest.raises(InvalidArgument, match="kms"):
        requests_allowed_by("deepracer", service="kms")


@pytest.mark.parametrize("name", ["DataWriter", "Builder", "Conditional", "Bounded"])
def test_explicit_denials_are_explicit(name: str) -> None:
    role = ALL_ROLES[name]
    for request in collect(requests_denied_by(role, explicit=True), 40):
        assert role.evaluate(*request).decision == "ExplicitlyDenied"
        assert reference_decision(role, request) == "ExplicitlyDenied"


@pytest.mark.parametrize("name", ["DataWriter", "deepracer"])
def test_implicit_denials_are_implicit(name: str) -> None:
    role = ALL_ROLES.get(name) or drpolicy.role(name)
    for request in collect(requests_denied_by(role, explicit=False), 40):
        assert reference_decision(role, request) == "ImplicitlyDenied"


def test_explicit_needs_a_deny_statement() -> None:
    with pytest.raises(InvalidArgument, match="no Deny"):
        requests_denied_by("robomaker", explicit=True)


# The ways of being denied the catalog cares about (spec §3): each must be drawn.
_FIND = settings(
    max_examples=3000,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _finds(role: str, predicate: Callable[[Request], bool]) -> Request:
    return find(requests_denied_by(role), predicate, settings=_FIND)


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
def test_denied_draws_include_a_deepracer_role_on_another_path() -> None:
    found = _finds(
        "deepracer",
        lambda r: (
            r.action == "iam:PassRole"
            and re.search(r":role/(?!service-role/AWSDeepRacer)[^:]+/AWSDeepRacer", r.resource)
            is not None
        ),
    )
    assert not drpolicy.is_allowed("deepracer", *found)


def test_denied_draws_include_a_wrong_passed_to_service() -> None:
    found = _finds(
        "sagemaker",
        lambda r: (
            r.action == "iam:PassRole"
            and r.context.get("iam:PassedToService") not in (None, "sagemaker.amazonaws.com")
        ),
    )
    assert not drpolicy.is_allowed("sagemaker", *found)


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
def test_denied_draws_include_a_deepracer_bucket_in_the_wrong_case() -> None:
    def wrong_case(r: Request) -> bool:
        bucket = r.resource.removeprefix("arn:aws:s3:::").split("/")[0]
        return (
            r.action in ("s3:GetObject", "s3:PutObject")
            and "deepracer" in bucket.lower()
            and not any(s in bucket for s in ("DeepRacer", "Deepracer", "deepracer"))
        )

    found = _finds("robomaker", wrong_case)
    assert not drpolicy.is_allowed("robomaker", *found)


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
def test_denied_draws_include_a_missing_object_tag() -> None:
    found = _finds(
        "deepracer",
        lambda r: (
            r.action == "s3:GetObject"
            and r.resource.startswith("arn:aws:s3:::")
            and "s3:ExistingObjectTag/DeepRacer" not in r.context
        ),
    )
    assert not drpolicy.is_allowed("deepracer", *found)


def test_denied_draws_include_another_service() -> None:
    found = _finds("lambda", lambda r: not r.action.startswith("logs:"))
    assert not drpolicy.is_allowed("lambda", *found)


def test_role_allowing_nothing_is_refused() -> None:
    only_deny = Role.from_policies(
        "Nobody",
        {"deny": {"Version": V, "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}},
    )
    with pytest.raises(InvalidArgument, match="allows no request"):
        requests_allowed_by(only_deny)
    for request in collect(requests_denied_by(only_deny), 20):
        assert only_deny.evaluate(*request).decision == "ExplicitlyDenied"


def test_non_roles_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        requests_allowed_by(42)
    with pytest.raises(InvalidArgument, match="unknown role"):
        requests_allowed_by("NoSuchRole")


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


@given(actions())
def test_actions_are_valid_request_actions(action: str) -> None:
    reference.validate_request_action(action)


@given(
    st.sampled_from(["s3", "iam", "logs", "kinesisvideo", "newservice"]).flatmap(
        lambda s: st.tuples(st.just(s), actions(s))
    )
)
def test_actions_of_a_service(pair: tuple[str, str]) -> None:
    service, action = pair
    assert action.split(":")[0] == service
    reference.validate_request_action(action)


ACTION_PATTERNS = [
    "s3:Get*",
    "*:List*",
    "iam:PassRole",
    "s3:?etObject",
    "ec2:Describe*",
    "s3*:*Object",
    "*",
    "logs:*LogEvents",
    "KinesisVideo:PUT*",
    "sage?aker:Create*Job",
]


@pytest.mark.parametrize("pattern", ACTION_PATTERNS)
def test_actions_matching_a_pattern(pattern: str) -> None:
    @given(actions(matching=pattern))
    def check(action: str) -> None:
        reference.validate_request_action(action)
        assert reference.action_matches(pattern, action)

    check()


def test_actions_matching_prefer_real_names() -> None:
    drawn = set(collect(actions(matching="s3:Get*"), 80))
    assert "s3:GetObject" in drawn or "s3:GetBucketLocation" in drawn


@pytest.mark.parametrize("pattern", ["s3:Get,Put", "s3", "s3:", "s3:Get Object"])
def test_actions_matching_impossible_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidArgument):
        actions(matching=pattern)


RESOURCE_TYPES = [
    ("s3", "bucket", r"arn:aws:s3:::[^/]+"),
    ("s3", "object", r"arn:aws:s3:::[^/]+/.+"),
    ("iam", "role", r"arn:aws:iam::\d{12}:role/(.+/)?[^/]+"),
    ("logs", "log-stream", r"arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:.+:log-stream:.+"),
    ("lambda", "function", r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:.+"),
    ("kinesisvideo", "stream", r"arn:aws:kinesisvideo:[a-z0-9-]+:\d{12}:stream/.+/\d{13}"),
]


@pytest.mark.parametrize(("service", "kind", "shape"), RESOURCE_TYPES)
def test_arns_of_a_resource_type(service: str, kind: str, shape: str) -> None:
    @given(arns(service, kind))
    def check(arn: str) -> None:
        reference.validate_request_resource(arn)
        assert re.fullmatch(shape, arn, re.DOTALL), arn

    check()


RESOURCE_PATTERNS = [
    "arn:aws:s3:::*DeepRacer*",
    "arn:aws:s3:::dr-*",
    "arn:aws:s3:::*deepracer*/*",
    "arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs:log-stream:*",
    "arn:aws:iam::*:role/service-role/AWSDeepRacer*",
    "arn:aws:kinesisvideo:*:*:stream/dr-*",
    "arn:aws:lambda:*:*:function:*dr-*",
    "arn:aws:s3:::bucket/a?c/*",
    "arn:aws:ec2*",
    "arn:*:s3:::x*",
    "arn:aws:logs:us-*:*:log-group:/aws/*",
    "*",
    "arn:aws:iam::*:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
]


@pytest.mark.parametrize("pattern", RESOURCE_PATTERNS)
def test_arns_matching_a_pattern(pattern: str) -> None:
    @given(arns(matching=pattern))
    def check(arn: str) -> None:
        reference.validate_request_resource(arn)
        assert reference.resource_entry_matches(pattern, arn, {}, variables=False) is True

    check()


@pytest.mark.parametrize("pattern", [p for p in RESOURCE_PATTERNS if p != "*"])
def test_arns_not_matching_a_pattern(pattern: str) -> None:
    @given(arns(not_matching=pattern))
    def check(arn: str) -> None:
        reference.validate_request_resource(arn)
        assert reference.resource_entry_matches(pattern, arn, {}, variables=False) is False

    check()


def test_arns_not_matching_include_near_misses() -> None:
    pattern = "arn:aws:s3:::*deepracer*"
    near = [a for a in collect(arns(not_matching=pattern), 150) if "deepracer" in a.lower()]
    assert near, "no near miss (a deepracer bucket in another case) was drawn"


def test_arns_matching_and_not_matching_together() -> None:
    @given(arns(matching="arn:aws:s3:::dr-*", not_matching="arn:aws:s3:::dr-secret*"))
    def check(arn: str) -> None:
        assert arn.startswith("arn:aws:s3:::dr-") and not arn.startswith("arn:aws:s3:::dr-secret")

    check()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"not_matching": "*"},
        {"service": "s3", "resource_type": "role"},
        {"resource_type": "bucket"},
        {"matching": "s3:::bucket"},
        {"service": "S3!"},
    ],
)
def test_arns_invalid_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        arns(**kwargs)


@given(
    st.sampled_from(
        [
            "s3:GetObject",
            "iam:PassRole",
            "logs:PutLogEvents",
            "s3:ListAllMyBuckets",
            "ec2:DescribeVpcs",
            "lambda:InvokeFunction",
            "made:Up",
        ]
    ).flatmap(lambda a: st.tuples(st.just(a), resources_for(a)))
)
def test_resources_for_an_action(pair: tuple[str, str]) -> None:
    action, resource = pair
    reference.validate_request_resource(resource)
    if action == "s3:GetObject":
        assert re.fullmatch(r"arn:aws:s3:::[^/]+/.+", resource, re.DOTALL)
    if action == "iam:PassRole":
        assert ":role/" in resource
    if action == "s3:ListAllMyBuckets":
        assert resource == "*"


@given(context_values("aws:SourceIp"))
def test_context_values_ip(value: str) -> None:
    ipaddress.ip_address(value)


@given(context_values("aws:CurrentTime"))
def test_context_values_time(value: str) -> None:
    assert reference.parse_date(value) is not None


@given(context_values("AWS:SecureTransport"))
def test_context_values_bool(value: str) -> None:
    assert value in ("true", "false")


@given(context_values("iam:PassedToService"))
def test_context_values_service_principal(value: str) -> None:
    assert value.endswith(".amazonaws.com")


@given(context_values("aws:SourceArn"))
def test_context_values_arn(value: str) -> None:
    reference.validate_request_resource(value)


@given(contexts())
def test_contexts_are_valid_request_contexts(context: dict[str, Any]) -> None:
    drpolicy.evaluate("deepracer", "s3:GetObject", "arn:aws:s3:::b/k", context)
    assert len({k.lower() for k in context}) == len(context)


@given(requests())
def test_requests_are_valid(request: Request) -> None:
    action, resource, context = request  # unpacks
    drpolicy.evaluate("robomaker", action, resource, context)


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
@pytest.mark.parametrize(
    "policy_type", ["identity", "permission_boundary", "session", "scp", "resource", "trust"]
)
def test_policies_always_parse(policy_type: str) -> None:
    @settings(max_examples=30)
    @given(policies(policy_type=policy_type))
    def check(doc: dict[str, Any]) -> None:
        drpolicy.load_policy(doc, policy_type=policy_type)  # type: ignore[arg-type]
        if policy_type == "identity":
            reference.check_policy(doc, "identity")

    check()


@given(statements())
def test_statements_parse_in_a_policy(statement: dict[str, Any]) -> None:
    drpolicy.load_policy({"Version": V, "Statement": [statement]}, policy_type="identity")


@given(statements(effect="Deny", services=["s3"], conditions=False, not_elements=False))
def test_statement_options(statement: dict[str, Any]) -> None:
    assert statement["Effect"] == "Deny" and "Condition" not in statement
    assert "Action" in statement and "Resource" in statement
    for a in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
        assert a.lower().startswith("s3:")


@pytest.mark.slow  # a fixed budget of draws (seconds): the slow tier
def test_policies_vary_their_json_shapes() -> None:
    shapes: Counter[str] = Counter()
    for doc in collect(policies(), 150):
        shapes["object" if isinstance(doc["Statement"], dict) else "list"] += 1
        shapes[f"version={doc.get('Version')}"] += 1
        text = str(doc)
        for word in ("NotAction", "NotResource", "Condition", "${", "ForAllValues", "IfExists"):
            shapes[word] += word in text
    for shape in (
        "object",
        "list",
        "version=2012-10-17",
        "version=2008-10-17",
        "version=None",
        "NotAction",
        "NotResource",
        "Condition",
        "${",
        "ForAllValues",
        "IfExists",
    ):
        assert shapes[shape], f"no policy with {shape} among 150 draws"


@given(case_variants("s3:GetObject"))
def test_case_variants(text: str) -> None:
    assert text.lower() == "s3:getobject"


@given(case_variants("arn:aws:s3:::Bucket/Key", changed=True))
def test_case_variants_changed(text: str) -> None:
    assert text.lower() == "arn:aws:s3:::bucket/key" and text != "arn:aws:s3:::Bucket/Key"


def test_case_variants_changed_needs_letters() -> None:
    with pytest.raises(InvalidArgument):
        case_variants("123", changed=True)


def test_policy_arguments_are_checked() -> None:
    for kwargs in (
        {"policy_type": "bucket"},
        {"version": "2020-01-01"},
        {"variables": True, "version": "2008-10-17"},
        {"min_statements": 0},
    ):
        with pytest.raises(InvalidArgument):
            policies(**kwargs)
    with pytest.raises(InvalidArgument):
        statements(effect="allow")
    with pytest.raises(InvalidArgument):
        ds.conditions(families=["Strings"])


def test_strategies_module_is_not_imported_by_the_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys, drpolicy, drpolicy.testing, drpolicy.pytest_plugin;"
        " print('hypothesis' in sys.modules, 'drpolicy.strategies' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
