"""drpolicy.check_request: requests checked against AWS's catalog (typos in actions, resources
that fit no resource type, unknown or mistyped context keys), with suggestions."""

from __future__ import annotations

from typing import Any

import pytest

import drpolicy
from drpolicy import check_request
from drpolicy._request_check import REQUEST_CHECKS

SAGEMAKER = drpolicy.role("sagemaker").policies


def codes(*args: Any, **kwargs: Any) -> list[str]:
    return [f.code for f in check_request(*args, **kwargs)]


@pytest.mark.parametrize(
    ("action", "resource", "context", "code", "suggestion"),
    [
        ("s3:GetObjekt", "arn:aws:s3:::deepracer-x/y", None, "unknown-action", "s3:GetObject"),
        (
            "sagemakr:CreateTrainingJob",
            "*",
            None,
            "unknown-service",
            "sagemaker:CreateTrainingJob",
        ),
        (
            "s3:GetObject",
            "arn:aws:s3::secrets/db.txt",
            None,
            "resource-type-mismatch",
            "arn:aws:s3:::secrets/db.txt",
        ),
        ("s3:GetObject", "arn:aws:s3:::bucket", None, "resource-type-mismatch", None),
        ("s3:ListAllMyBuckets", "arn:aws:s3:::bucket", None, "resource-needs-star", "*"),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/r",
            {"iam:PasedToService": "sagemaker.amazonaws.com"},
            "unknown-context-key",
            "iam:PassedToService",
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {"aws:PrincipalTga/team": "x"},
            "unknown-context-key",
            "aws:PrincipalTag/team",
        ),
        ("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "nope"}, "context-value-type", None),
        (
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {"aws:SecureTransport": "yes"},
            "context-value-type",
            None,
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {"aws:CurrentTime": "noon"},
            "context-value-type",
            None,
        ),
        ("s3:ListBucket", "arn:aws:s3:::b", {"s3:max-keys": "ten"}, "context-value-type", None),
    ],
)
def test_findings(
    action: str, resource: str, context: Any, code: str, suggestion: str | None
) -> None:
    (finding,) = check_request(action, resource, context, policies=SAGEMAKER)
    assert finding.code == code
    assert finding.code in REQUEST_CHECKS
    assert finding.suggestion == suggestion
    if suggestion is not None and code != "resource-needs-star":
        assert f"did you mean `{suggestion}`?" in finding.message
    assert str(finding).endswith(f"[{code}]")


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("s3:GetObject", "arn:aws:s3:::deepracer-x/y", None),
        ("S3:getobject", "arn:aws:s3:::b/k", {"aws:SourceIp": "10.0.0.0/8"}),
        ("s3:ListAllMyBuckets", "*", None),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/r",
            {"iam:PassedToService": "sagemaker.amazonaws.com"},
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {
                "s3:ExistingObjectTag/DeepRacer": "true",
                "aws:PrincipalTag/team": "x",
                "aws:SecureTransport": True,
                "aws:CurrentTime": "2020-01-01T00:00:00Z",
                "aws:EpochTime": "1577836800",
                "aws:MultiFactorAuthAge": "30",
            },
        ),
        (
            "deepracer:GetModel",
            "arn:aws:deepracer:us-east-1:123456789012:model/reinforcement_learning/abc",
            {"deepracer:MultiUser": "true"},
        ),
        ("iam:GetPolicy", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", None),
        ("s3:GetObject", "not-an-arn", None),  # the engine reports a malformed ARN itself
        ("s3GetObject", "*", None),  # likewise a malformed action
    ],
)
def test_clean_requests(action: str, resource: str, context: Any) -> None:
    assert check_request(action, resource, context, policies=SAGEMAKER) == ()


def test_a_key_a_statement_reads_is_never_unknown() -> None:
    policy = drpolicy.load_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"myapp:Flavour": "x"}},
                }
            ],
        }
    )
    assert codes("s3:GetObject", "arn:aws:s3:::b/k", {"myapp:Flavour": "x"}) == [
        "unknown-context-key"
    ]
    assert (
        codes("s3:GetObject", "arn:aws:s3:::b/k", {"myapp:Flavour": "x"}, policies=[policy]) == []
    )


def test_the_check_does_not_change_decisions() -> None:
    decision = drpolicy.evaluate("deepracer", "s3:GetObjekt", "arn:aws:s3:::deepracer-x/y")
    assert decision.decision == "ImplicitlyDenied"


# --------------------------------------------------------------------------------------
# drpolicy.testing asserts are strict by default (issue 12's acceptance examples)
# --------------------------------------------------------------------------------------


def test_assert_denied_fails_on_a_misspelt_service() -> None:
    from drpolicy.testing import assert_denied

    with pytest.raises(AssertionError, match=r"did you mean `sagemaker:CreateTrainingJob`\?"):
        assert_denied(
            "sagemaker",
            "sagemakr:CreateTrainingJob",
            "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
        )
    # the opt-out, for actions newer than the bundled data
    assert_denied(
        "sagemaker",
        "sagemakr:CreateTrainingJob",
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
        strict=False,
    )


def test_assert_denied_fails_on_a_misspelt_context_key() -> None:
    from drpolicy.testing import assert_denied

    target = "arn:aws:iam::123456789012:role/AWSDeepRacerSageMakerAccessRole"
    with pytest.raises(
        AssertionError, match=r"`iam:PasedToService`.*did you mean `iam:PassedToService`"
    ):
        assert_denied(
            "sagemaker", "iam:PassRole", target, {"iam:PasedToService": "sagemaker.amazonaws.com"}
        )
    assert_denied(
        "sagemaker",
        "iam:PassRole",
        target,
        {"iam:PasedToService": "sagemaker.amazonaws.com"},
        strict=False,
    )


def test_assert_allowed_is_strict_too() -> None:
    from drpolicy.testing import assert_allowed

    with pytest.raises(AssertionError, match="unknown-context-key"):
        assert_allowed(
            "deepracer",
            "s3:GetObject",
            "arn:aws:s3:::deepracer-x/y",
            {"s3:ExistingObjectTga/DeepRacer": "true"},
        )
    assert assert_allowed("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-x/y").allowed
    # resource findings are not part of the strict mode (they stay CLI warnings)
    assert check_request("s3:GetObject", "arn:aws:s3:::deepracer/")  # an empty object key
    assert_allowed("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer/")


# --------------------------------------------------------------------------------------
# drpolicy.strategies: real actions and resources from the catalog
# --------------------------------------------------------------------------------------

from hypothesis import given
from hypothesis import strategies as st

from drpolicy import strategies as drst


@given(st.data())
def test_catalog_strategies_draw_requests_aws_could_send(data: st.DataObject) -> None:
    action = data.draw(
        drst.catalog_actions(
            matching=[
                "s3:*Object",
                "iam:PassRole",
                "deepracer:*",
                "logs:Create*",
                "sagemaker:*TrainingJob",
            ]
        )
    )
    resource = data.draw(drst.catalog_resources(action, account="123456789012"))
    assert check_request(action, resource) == (), (action, resource)


@given(drst.catalog_actions("lambda"))
def test_catalog_actions_of_a_service(action: str) -> None:
    assert action.startswith("lambda:")
    assert drpolicy._sar.action(action) is not None


def test_catalog_strategies_refuse_what_the_catalog_lacks() -> None:
    from hypothesis.errors import InvalidArgument

    with pytest.raises(InvalidArgument):
        drst.catalog_actions(matching="s3:GetObjekt")
    with pytest.raises(InvalidArgument):
        drst.catalog_resources("s3:GetObjekt")


@given(st.data())
def test_catalog_resources_fit_for_any_catalog_action(data: st.DataObject) -> None:
    """Every action of the catalog, including formats with literal `*` fields."""
    service = data.draw(st.sampled_from(sorted(drpolicy._sar.services())))
    action = data.draw(drst.catalog_actions(service))
    resource = data.draw(drst.catalog_resources(action))
    assert check_request(action, resource) == (), (action, resource)
    if resource != "*":
        drpolicy.parse_arn(resource)  # a request ARN the engine accepts


def test_what_can_with_not_action_and_wildcard_formats() -> None:
    role = drpolicy.Role.from_policies(
        "admin",
        {
            "p": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
            }
        },
    )
    listed = role.allowed_actions(service="braket")  # formats like arn:...:braket:*:*:device/...
    assert {e.action for e in listed} == {a.full for a in drpolicy._sar.actions("braket").values()}
    assert role.allowed_actions(service="iam") == ()
