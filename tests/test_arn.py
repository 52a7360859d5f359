"""ARN parsing (IAM User Guide, "Identify AWS resources with Amazon Resource Names").

An ARN is `arn:partition:service:region:account-id:resource`, split on the first five colons
only; region and account may be empty; the resource part may hold further `:` and `/`.
"""

from __future__ import annotations

from typing import Any

import pytest

import drpolicy
from drpolicy import Arn, DrpolicyError, InvalidArnError, RequestError, parse_arn

GOOD = [
    ("arn:aws:s3:::deepracer-models", ("aws", "s3", "", "", "deepracer-models")),
    ("arn:aws:s3:::deepracer-models/a/b.tar.gz", ("aws", "s3", "", "", "deepracer-models/a/b.tar.gz")),
    ("arn:aws:iam::123456789012:user/Development/product_1234/*",
     ("aws", "iam", "", "123456789012", "user/Development/product_1234/*")),
    ("arn:aws:iam::123456789012:role/service-role/AWSDeepRacerServiceRole",
     ("aws", "iam", "", "123456789012", "role/service-role/AWSDeepRacerServiceRole")),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs:log-stream:sim-1",
     ("aws", "logs", "us-east-1", "123456789012",
      "log-group:/aws/robomaker/SimulationJobs:log-stream:sim-1")),
    ("arn:aws:lambda:us-west-2:123456789012:function:dr-reward:PROD",
     ("aws", "lambda", "us-west-2", "123456789012", "function:dr-reward:PROD")),
    ("arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0",
     ("aws-cn", "ec2", "cn-north-1", "123456789012", "instance/i-0123456789abcdef0")),
    ("arn:aws-us-gov:s3:::b", ("aws-us-gov", "s3", "", "", "b")),
    ("arn:aws:iam::aws:policy/AdministratorAccess", ("aws", "iam", "", "aws", "policy/AdministratorAccess")),
    ("arn:aws:s3:::", ("aws", "s3", "", "", "")),
    ("arn:aws:s3:::UPPER/Case", ("aws", "s3", "", "", "UPPER/Case")),
    ("arn:aws:s3:::b/*", ("aws", "s3", "", "", "b/*")),  # the resource part is opaque text
    ("arn:aws:s3:::b/a\nb", ("aws", "s3", "", "", "b/a\nb")),
    ("arn:aws:sts::123456789012:assumed-role/Role/session@example.com",
     ("aws", "sts", "", "123456789012", "assumed-role/Role/session@example.com")),
]


@pytest.mark.parametrize(("text", "fields"), GOOD, ids=[g[0] for g in GOOD])
def test_parse_good_arns(text: str, fields: tuple[str, ...]) -> None:
    arn = parse_arn(text)
    assert isinstance(arn, Arn)
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == fields
    assert str(arn) == text  # round trip


BAD: list[Any] = [
    "",
    "arn",
    "arn:aws:s3",
    "arn:aws:s3::",
    "arn:aws:s3:::"[:-1],
    "bucket",
    "ARN:aws:s3:::b",
    "Arn:aws:s3:::b",
    " arn:aws:s3:::b",
    "urn:aws:s3:::b",
    "arn::s3:::b",
    "arn:aws::::b",
    "arn:AWS:s3:::b",
    "arn:aws:S3:::b",
    "arn:aws:s3:US-EAST-1::b",
    "arn:aws:s3:*::b",
    "arn:aws:s3:us-east-?::b",
    "arn:aws:s*:::b",
    "arn:*:s3:::b",
    "*",
    5,
    None,
    b"arn:aws:s3:::b",
    ["arn:aws:s3:::b"],
]


@pytest.mark.parametrize("text", BAD, ids=[repr(b) for b in BAD])
def test_parse_bad_arns(text: Any) -> None:
    with pytest.raises(InvalidArnError) as info:
        parse_arn(text)
    err = info.value
    assert err.arn == text
    assert isinstance(err, RequestError)
    assert isinstance(err, ValueError)
    assert isinstance(err, DrpolicyError)
    assert str(err).startswith("invalid ARN `")


def test_arn_is_frozen_and_comparable() -> None:
    a = parse_arn("arn:aws:s3:::b/k")
    assert a == Arn("aws", "s3", "", "", "b/k")
    assert hash(a) == hash(parse_arn("arn:aws:s3:::b/k"))
    with pytest.raises(AttributeError):
        a.resource = "x"  # type: ignore[misc]


@pytest.mark.parametrize("text", [b for b in BAD if b != "*"], ids=[repr(b) for b in BAD if b != "*"])
def test_bad_request_resources_are_rejected_by_queries(text: Any) -> None:
    with pytest.raises(InvalidArnError):
        drpolicy.is_allowed("deepracer", "s3:GetObject", text)
    with pytest.raises(InvalidArnError):
        drpolicy.evaluate("deepracer", "s3:GetObject", text)


def test_star_is_a_valid_request_resource_but_not_an_arn() -> None:
    with pytest.raises(InvalidArnError):
        parse_arn("*")
    assert drpolicy.is_allowed("sagemaker", "s3:ListAllMyBuckets", "*")
