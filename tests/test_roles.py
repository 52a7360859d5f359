"""Role.from_policies: validation of every input, naming, compilation at creation, and the
role's own evaluation (identity policies within the permissions boundary)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import drpolicy
from drpolicy import DrpolicyError, Policy, PolicyParseError, RequestError, Role

ACCT = "123456789012"
READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}
WRITE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::data/*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


# ------------------------------------------------------------------------------------------
# Bad inputs raise drpolicy errors
# ------------------------------------------------------------------------------------------

BAD_ARGUMENTS: list[tuple[str, dict[str, Any], type[DrpolicyError]]] = [
    ("empty-name", dict(name=""), RequestError),
    ("name-with-space", dict(name="my role"), RequestError),
    ("name-with-slash", dict(name="a/b"), RequestError),
    ("name-too-long", dict(name="r" * 65), RequestError),
    ("name-not-string", dict(name=5), RequestError),
    ("name-none", dict(name=None), RequestError),
    ("account-short", dict(account_id="12345678901"), RequestError),
    ("account-long", dict(account_id="1234567890123"), RequestError),
    ("account-letters", dict(account_id="abcdefghijkl"), RequestError),
    ("account-int", dict(account_id=123456789012), RequestError),
    ("path-no-leading-slash", dict(path="service-role/"), RequestError),
    ("path-no-trailing-slash", dict(path="/service-role"), RequestError),
    ("path-empty", dict(path=""), RequestError),
    ("path-space", dict(path="/a b/"), RequestError),
    ("path-not-string", dict(path=5), RequestError),
    ("policies-none", dict(policies=None), DrpolicyError),
    ("policies-number", dict(policies=5), DrpolicyError),
    ("policies-one-string", dict(policies=json.dumps(READ)), RequestError),
    ("policies-one-bytes", dict(policies=json.dumps(READ).encode()), RequestError),
    ("policies-one-document", dict(policies=READ), DrpolicyError),
    ("policy-number", dict(policies=[5]), PolicyParseError),
    ("policy-none", dict(policies={"p": None}), PolicyParseError),
    ("policy-bad-json", dict(policies={"p": "{"}), PolicyParseError),
    ("policy-malformed", dict(policies={"p": {"Statement": [{"Effect": "allow"}]}}), PolicyParseError),
    ("policy-with-principal", dict(policies={"p": {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}}), PolicyParseError),
    ("policy-without-resource", dict(policies={"p": {"Statement": [
        {"Effect": "Allow", "Action": "s3:*"}]}}), PolicyParseError),
    ("trust-with-resource", dict(trust_policy={"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}]}), PolicyParseError),
    ("trust-without-principal", dict(trust_policy={"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]}), PolicyParseError),
    ("trust-not-a-document", dict(trust_policy=5), PolicyParseError),
    ("boundary-with-principal", dict(permission_boundary={"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}), PolicyParseError),
    ("boundary-bad-json", dict(permission_boundary="nope"), PolicyParseError),
    ("unknown-operator", dict(policies={"p": {"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqual": {"k": "v"}}}]}}),
     PolicyParseError),
]


@pytest.mark.parametrize(("overrides", "error"), [b[1:] for b in BAD_ARGUMENTS], ids=[b[0] for b in BAD_ARGUMENTS])
def test_bad_arguments(overrides: dict[str, Any], error: type[DrpolicyError]) -> None:
    kwargs: dict[str, Any] = dict(name="r", policies={"read": READ})
    kwargs.update(overrides)
    name = kwargs.pop("name")
    policies = kwargs.pop("policies")
    with pytest.raises(error):
        Role.from_policies(name, policies, **kwargs)


def test_parse_errors_name_the_policy() -> None:
    with pytest.raises(PolicyParseError) as info:
        Role.from_policies("r", {"read": READ, "broken": {"Statement": [{"Effect": "Allow"}]}})
    assert info.value.policy == "broken"
    assert "broken" in str(info.value)


def test_json_errors_name_the_policy() -> None:
    with pytest.raises(PolicyParseError) as info:
        Role.from_policies("r", {"read": READ, "broken": '{"Statement": ['})
    assert info.value.policy == "broken"
    assert str(info.value).startswith("policy `broken`: ")


def test_trust_errors_name_the_trust_policy() -> None:
    with pytest.raises(PolicyParseError) as info:
        Role.from_policies("r", {}, trust_policy={"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}]})
    assert info.value.policy == "r/trust"
    assert [(p.path, p.code) for p in info.value.problems] == [("Statement[0].Resource", "conflict")]


@pytest.mark.parametrize("name", ["a", "r" * 64, "AWSDeepRacerServiceRole", "with+plus=eq,comma.dot@at-dash_us"])
def test_valid_role_names(name: str) -> None:
    assert Role.from_policies(name, {}).name == name


@pytest.mark.parametrize("path", ["/", "/service-role/", "/a/b/c/", "/division_abc/subdivision_xyz/"])
def test_valid_paths(path: str) -> None:
    role = Role.from_policies("r", {}, path=path)
    assert role.arn == f"arn:aws:iam::{ACCT}:role{path}r"


# ------------------------------------------------------------------------------------------
# Names, ARN, attributes
# ------------------------------------------------------------------------------------------


def test_mapping_names_the_policies() -> None:
    role = Role.from_policies("r", {"read": READ, "write": json.dumps(WRITE)})
    assert [p.name for p in role.policies] == ["read", "write"]
    assert all(isinstance(p, Policy) for p in role.policies)


def test_iterable_policies_get_numbered_names() -> None:
    role = Role.from_policies("r", [READ, json.dumps(WRITE).encode()])
    assert [p.name for p in role.policies] == ["r/policy-0", "r/policy-1"]


def test_policy_objects_keep_their_names() -> None:
    named = drpolicy.load_policy(READ, name="mine")
    role = Role.from_policies("r", [named, WRITE])
    assert [p.name for p in role.policies] == ["mine", "r/policy-1"]


def test_generator_of_policies() -> None:
    role = Role.from_policies("r", (p for p in [READ, WRITE]))
    assert len(role.policies) == 2


def test_trust_and_boundary_default_names() -> None:
    role = Role.from_policies("r", {"read": READ}, trust_policy=TRUST, permission_boundary=READ)
    assert role.trust_policy is not None and role.trust_policy.name == "r/trust"
    assert role.permission_boundary is not None and role.permission_boundary.name == "r/boundary"
    named = Role.from_policies("r", {}, trust_policy=drpolicy.load_policy(TRUST, name="T"))
    assert named.trust_policy is not None and named.trust_policy.name == "T"


def test_arn_account_path_description() -> None:
    role = Role.from_policies("Runner", {}, account_id="111122223333", path="/ci/", description="CI role")
    assert role.arn == "arn:aws:iam::111122223333:role/ci/Runner"
    assert role.account_id == "111122223333"
    assert role.description == "CI role"
    assert role.principal.kind == "role"
    assert role.principal.arn == role.arn
    default = Role.from_policies("Runner", {})
    assert default.arn == f"arn:aws:iam::{ACCT}:role/Runner"
    assert default.trust_policy is None and default.permission_boundary is None


def test_role_is_immutable() -> None:
    role = Role.from_policies("r", {"read": READ})
    with pytest.raises(AttributeError):
        role.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        role.policies = ()  # type: ignore[misc]
    assert isinstance(role.policies, tuple)


def test_roles_compare_by_identity() -> None:
    a = Role.from_policies("r", {"read": READ})
    b = Role.from_policies("r", {"read": READ})
    assert a == a and a != b  # noqa: PLR0124 - identity equality is what is tested
    assert len({a, b}) == 2
    assert "r" in repr(a) and a.arn in repr(a)


# ------------------------------------------------------------------------------------------
# Evaluation by the role
# ------------------------------------------------------------------------------------------


def test_empty_role_allows_nothing() -> None:
    role = Role.from_policies("r", {})
    d = role.evaluate("s3:GetObject", "arn:aws:s3:::data/x")
    assert d.decision == "ImplicitlyDenied"
    assert d.decided_by in (None, "identity")
    assert not role.is_allowed("s3:GetObject", "*")


def test_policies_are_ored() -> None:
    role = Role.from_policies("r", {"read": READ, "write": WRITE})
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::data/x")
    assert role.is_allowed("s3:DeleteObject", "arn:aws:s3:::data/x")
    assert not role.is_allowed("s3:GetObject", "arn:aws:s3:::other/x")
    d = role.evaluate("s3:PutObject", "arn:aws:s3:::data/x")
    assert [(r.policy, r.index) for r in d.reasons] == [("write", 0)]


def test_deny_in_another_policy_wins() -> None:
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/secret/*"}]}
    role = Role.from_policies("r", {"read": READ, "guard": deny})
    d = role.evaluate("s3:GetObject", "arn:aws:s3:::data/secret/k")
    assert d.decision == "ExplicitlyDenied"
    assert [(r.policy, r.index, r.sid) for r in d.reasons] == [("guard", 0, "NoSecrets")]
    assert d.decided_by == "identity"
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::data/public/k")


def test_boundary_limits_the_identity_policies() -> None:
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    role = Role.from_policies("r", {"all": everything}, permission_boundary=READ)
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::data/x")
    d = role.evaluate("s3:PutObject", "arn:aws:s3:::data/x")
    assert not d.allowed
    assert d.decided_by == "permission_boundary"
    assert not role.is_allowed("s3:PutObject", "arn:aws:s3:::data/x")
    # the boundary alone grants nothing
    only_boundary = Role.from_policies("r", {}, permission_boundary=everything)
    assert not only_boundary.is_allowed("s3:GetObject", "arn:aws:s3:::data/x")
    assert only_boundary.evaluate("s3:GetObject", "arn:aws:s3:::data/x").decided_by == "identity"


def test_boundary_deny_is_explicit() -> None:
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
    role = Role.from_policies("r", {"all": everything}, permission_boundary=boundary)
    d = role.evaluate("s3:DeleteObject", "arn:aws:s3:::data/x")
    assert d.decision == "ExplicitlyDenied"
    assert d.decided_by == "permission_boundary"
    assert [(r.policy, r.index, r.policy_type) for r in d.reasons] == [("r/boundary", 1, "permission_boundary")]


def test_role_context_is_derived_and_overridable() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/${aws:PrincipalAccount}/*"}]}
    role = Role.from_policies("r", {"p": policy})
    assert role.is_allowed("s3:GetObject", f"arn:aws:s3:::data/{ACCT}/x")
    assert not role.is_allowed("s3:GetObject", "arn:aws:s3:::data/111122223333/x")
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::data/111122223333/x",
                           {"aws:PrincipalAccount": "111122223333"})
    assert role.context_for(None)["aws:principalarn"] == (role.arn,)
    assert role.context_for({"k": "v"})["k"] == ("v",)


@pytest.mark.parametrize(
    ("action", "resource", "context", "error"),
    [
        ("s3:Get*", "*", None, RequestError),
        ("GetObject", "*", None, RequestError),
        (None, "*", None, RequestError),
        ("s3:GetObject", "bucket", None, drpolicy.InvalidArnError),
        ("s3:GetObject", None, None, drpolicy.InvalidArnError),
        ("s3:GetObject", "*", {"k": 1.5}, RequestError),
        ("s3:GetObject", "*", {"k": {"a": "b"}}, RequestError),
        ("s3:GetObject", "*", ["k"], RequestError),
        ("s3:GetObject", "*", {"K": "a", "k": "b"}, RequestError),
    ],
)
def test_bad_requests_to_a_role(action: Any, resource: Any, context: Any, error: type[Exception]) -> None:
    role = Role.from_policies("r", {"read": READ})
    with pytest.raises(error):
        role.is_allowed(action, resource, context)
    with pytest.raises(error):
        role.evaluate(action, resource, context)
    with pytest.raises(error):
        drpolicy.is_allowed(role, action, resource, context)


def test_role_in_place_of_a_catalog_name() -> None:
    role = Role.from_policies("r", {"read": READ})
    assert drpolicy.is_allowed(role, "s3:GetObject", "arn:aws:s3:::data/x")
    assert drpolicy.evaluate(role, "s3:GetObject", "arn:aws:s3:::data/x").allowed
    assert drpolicy.role(role) is role


def test_role_trust_policy_decides_assume_role() -> None:
    role = Role.from_policies("r", {}, trust_policy=TRUST)
    assert drpolicy.can_assume("sagemaker.amazonaws.com", role)
    assert not drpolicy.can_assume("robomaker.amazonaws.com", role)
    no_trust = Role.from_policies("r", {})
    d = no_trust.assume_decision("sagemaker.amazonaws.com")
    assert d.decision == "ImplicitlyDenied"


@pytest.mark.parametrize("bad", [5, None, {"name": "r"}, ["deepracer"]])
def test_non_role_arguments_are_request_errors(bad: Any) -> None:
    with pytest.raises(DrpolicyError):
        drpolicy.is_allowed(bad, "s3:GetObject", "*")
    with pytest.raises(DrpolicyError):
        drpolicy.evaluate(bad, "s3:GetObject", "*")
    with pytest.raises(DrpolicyError):
        drpolicy.can_assume("sagemaker.amazonaws.com", bad)
