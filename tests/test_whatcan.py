"""What can this role do (Role.allowed_actions), who can do this (Account.who_can): the
answers agree with the engine (evaluate/authorize) on everything listed and on samples of what
is not, over the catalog roles and the test account."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drpolicy
from drpolicy import _sar
from drpolicy._whatcan import AllowedAction

ACCOUNT = drpolicy.load_account(
    Path(__file__).parent / "data" / "account" / "authorization-details.json"
)
SERVICES = ("s3", "iam", "lambda", "deepracer", "sagemaker", "logs", "kinesisvideo")


def names(entries: tuple[AllowedAction, ...], *, conditional: bool | None = None) -> set[str]:
    return {e.action for e in entries if conditional is None or e.conditional == conditional}


def test_service_role_lists_what_its_policy_grants() -> None:
    role = drpolicy.role("deepracer")
    assert names(role.allowed_actions(service="deepracer")) == {
        a.full for a in _sar.actions("deepracer").values()
    }
    assert names(role.allowed_actions(service="lambda")) == {
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:GetFunction",
        "lambda:InvokeFunction",
        "lambda:UpdateFunctionCode",
    }
    assert names(role.allowed_actions(service="iam")) == {"iam:PassRole"}
    s3 = role.allowed_actions(service="s3")
    # s3:ListAllMyBuckets is listed next to bucket ARNs only, and AWS authorizes it on `*`:
    # the statement never grants it (validate reports action-resource-mismatch)
    assert names(s3, conditional=False) == {
        "s3:GetObject",
        "s3:GetBucketLocation",
        "s3:DeleteObject",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:PutBucketPolicy",
    }
    (tagged,) = [e for e in s3 if e.conditional]
    assert tagged.action == "s3:GetObject"
    assert tagged.conditions == ("if s3:ExistingObjectTag/DeepRacer = (any case) true",)
    assert [str(r) for r in tagged.statements] == [
        "identity:AWSDeepRacerServiceRolePolicy: Statement[6]"
    ]


def test_sagemaker_role_pass_role_condition() -> None:
    (entry,) = drpolicy.role("sagemaker").allowed_actions(
        service="iam", resource=("arn:aws:iam::123456789012:role/AWSDeepRacerSageMakerAccessRole")
    )[-1:]
    assert entry.action == "iam:PassRole"
    assert entry.conditions == ("if iam:PassedToService = sagemaker.amazonaws.com",)


def test_wildcard_actions_expand_against_the_catalog() -> None:
    role = drpolicy.role("deepracer")
    listed = names(role.allowed_actions(service="sagemaker"))
    assert listed == {a.full for a in _sar.actions("sagemaker").values()}


def _context_for(entry: AllowedAction) -> dict[str, str] | None:
    """A context meeting the entry's conditions, when they are simple `key = value` ones."""
    out: dict[str, str] = {}
    for line in entry.conditions:
        words = line.split(" ")
        if words[0] != "if" or words[2] not in ("=", "like"):
            return None
        value = line.rsplit(" ", 1)[1]
        if "*" in value or "?" in value:
            return None
        out[words[1]] = value
    return out


@pytest.mark.parametrize("name", drpolicy.roles())
def test_every_listed_action_agrees_with_evaluate(name: str) -> None:
    role = drpolicy.role(name)
    entries = role.allowed_actions()
    assert entries
    for entry in entries:
        decision = role.evaluate(entry.action, entry.resource)
        if not entry.conditional:
            assert decision.allowed, entry
            assert decision.reasons == entry.statements
            continue
        assert not decision.allowed, entry
        context = _context_for(entry)
        if context is not None:
            assert role.evaluate(entry.action, entry.resource, context).allowed, entry


def _format_sample(arn_format: str) -> str:
    from drpolicy._whatcan import _format_sample as sample

    return sample(arn_format, "123456789012", "aws")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(drpolicy.roles()),
    st.sampled_from(SERVICES),
    st.data(),
)
def test_unlisted_actions_are_not_allowed(name: str, service: str, data: st.DataObject) -> None:
    role = drpolicy.role(name)
    listed = names(role.allowed_actions(service=service))
    others = sorted(
        (a for a in _sar.actions(service).values() if a.full not in listed), key=lambda a: a.full
    )
    if not others:
        return
    info = data.draw(st.sampled_from(others))
    resources = [_format_sample(t.arn) for t in info.resource_types] or ["*"]
    for resource in resources:
        assert not role.evaluate(info.full, resource).allowed, (info.full, resource)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(drpolicy.roles()), st.sampled_from(("s3", "iam", "lambda")), st.data())
def test_with_a_resource_listed_means_allowed(name: str, service: str, data: st.DataObject) -> None:
    """On one resource, an action is listed unconditionally exactly when evaluate allows it."""
    role = drpolicy.role(name)
    resource = data.draw(
        st.sampled_from(
            [
                "arn:aws:s3:::deepracer-models/model.tar.gz",
                "arn:aws:s3:::sagemaker-x/y",
                "arn:aws:s3:::DeepRacer-bucket",
                "*",
                "arn:aws:iam::123456789012:role/AWSDeepRacerX",
                "arn:aws:lambda:us-east-1:123456789012:function:dr-reward",
            ]
        )
    )
    listed = names(role.allowed_actions(resource, service=service), conditional=False)
    for info in _sar.actions(service).values():
        assert role.evaluate(info.full, resource).allowed == (info.full in listed), info.full


# --------------------------------------------------------------------------------------
# who can
# --------------------------------------------------------------------------------------

_PRINCIPALS = [*ACCOUNT.roles.values(), *ACCOUNT.users.values()]
_REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::b/k"),
    ("s3:PutObject", "arn:aws:s3:::models/m.tar.gz"),
    ("s3:GetObject", "arn:aws:s3:::datalake/raw/x.csv"),
    ("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:us-east-1:111122223333:training-job/j"),
    ("iam:PassRole", "arn:aws:iam::111122223333:role/automation/ci-deployer"),
    ("ec2:DescribeInstances", "*"),
]


@pytest.mark.parametrize(("action", "resource"), _REQUESTS)
def test_who_can_agrees_with_evaluate(action: str, resource: str) -> None:
    found = ACCOUNT.who_can(action, resource)
    outright = {p.principal for p in found if not p.conditions}
    for who in _PRINCIPALS:
        decision = who.evaluate(action, resource)
        assert decision.allowed == (who.arn in outright), (who.arn, action, resource)
    for p in found:
        assert p.decision.allowed
        assert p.kind in ("role", "user")


def test_who_can_assume_every_role_uses_trust_policies() -> None:
    found = ACCOUNT.who_can("sts:AssumeRole", "*")
    for p in found:
        role = next(r for r in ACCOUNT.roles.values() if r.arn == p.resource)
        who = ACCOUNT.principal(p.principal)
        decision = drpolicy.authorize(
            who.arn,
            "sts:AssumeRole",
            role.arn,
            identity_policies=who.policies,
            resource_policy=role.trust_policy,
            permission_boundary=who.permission_boundary,
        )
        assert decision.allowed == (not p.conditions)
    pairs = {(p.principal.rsplit("/", 1)[1], p.resource.rsplit("/", 1)[1]) for p in found}
    assert ("ci-deployer", "ci-deployer") in pairs


def test_who_can_with_a_resource_policy() -> None:
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            }
        ],
    }
    assert ACCOUNT.who_can("s3:GetObject", "arn:aws:s3:::b/k")
    assert ACCOUNT.who_can("s3:GetObject", "arn:aws:s3:::b/k", resource_policy=bucket_policy) == ()


def test_users_answer_allowed_actions_like_roles() -> None:
    from drpolicy._whatcan import allowed_actions

    carol = ACCOUNT.user("carol")
    listed = carol.allowed_actions(service="s3")
    assert listed == allowed_actions(carol, service="s3")
    assert "s3:GetObject" in names(listed)
    for entry in listed:
        decision = carol.evaluate(entry.action, entry.resource)
        assert decision.decision == "Allowed" or entry.conditional, entry
