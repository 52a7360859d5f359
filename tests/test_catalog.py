"""The built-in catalog, statement by statement.

For every statement of every catalog role (permission and trust policies) there is at least one
request it allows and the nearest request it must not allow. A coverage test fails when a
statement has no positive or no negative case, so a statement added to a data file cannot go
untested.

The data files are also checked against the seed document they were transcribed from (when the
seed is available, it lives outside the repository) and pinned by a sha256 of their canonical
JSON so that an accidental edit fails loudly.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import drpolicy
from drpolicy import CatalogError, Decision, DrpolicyError, RequestError, StatementRef

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"

SERVICE = "AWSDeepRacerServiceRole"
LAMBDA = "AWSDeepRacerLambdaAccessRole"
SAGEMAKER = "AWSDeepRacerSageMakerAccessRole"
ROBOMAKER = "AWSDeepRacerRoboMakerAccessRole"
CFN = "AWSDeepRacerCloudFormationAccessRole"
ROLE_NAMES = (SERVICE, LAMBDA, SAGEMAKER, ROBOMAKER, CFN)

ALIASES = {
    "deepracer": SERVICE,
    "lambda": LAMBDA,
    "sagemaker": SAGEMAKER,
    "robomaker": ROBOMAKER,
    "cloudformation": CFN,
}

TRUSTED_SERVICE = {
    SERVICE: "deepracer.amazonaws.com",
    LAMBDA: "lambda.amazonaws.com",
    SAGEMAKER: "sagemaker.amazonaws.com",
    ROBOMAKER: "robomaker.amazonaws.com",
    CFN: "cloudformation.amazonaws.com",
}


def data_file(name: str) -> dict[str, Any]:
    text = (
        resources.files("drpolicy.catalog").joinpath("data", f"{name}.json").read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def permission_statements(name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = data_file(name)["permission_policy"]["Statement"]
    return statements


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# ------------------------------------------------------------------------------------------
# Request helpers
# ------------------------------------------------------------------------------------------


def s3(path: str) -> str:
    return f"arn:aws:s3:::{path}"


def logs(rest: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:logs:{region}:{account}:{rest}"


def lam(function: str, region: str = "us-west-2", account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function}"


def kvs(stream: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:kinesisvideo:{region}:{account}:stream/{stream}/1600000000000"


def iam_role(path_and_name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{path_and_name}"


SIM_GROUP = "log-group:/aws/robomaker/SimulationJobs"
SLR = iam_role(
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


class Case(NamedTuple):
    """One request against one catalog role.

    ``statement`` is the permission-policy statement the case is about: for an allowed case it
    must be among the decision's reasons; for a denied case it is the statement whose nearest
    miss this is.
    """

    id: str
    role: str
    statement: int
    action: str
    resource: str
    allowed: bool
    context: Mapping[str, Any] | None = None


def allow(id: str, role: str, stmt: int, action: str, resource: str, context: Any = None) -> Case:
    return Case(id, role, stmt, action, resource, True, context)


def deny(id: str, role: str, stmt: int, action: str, resource: str, context: Any = None) -> Case:
    return Case(id, role, stmt, action, resource, False, context)


CASES: list[Case] = [
    # ---------------------------------------------------------------- AWSDeepRacerServiceRole
    # Statement 0: deepracer:* on *
    allow("svc0-list-models", SERVICE, 0, "deepracer:ListModels", "*"),
    allow("svc0-model-arn", SERVICE, 0, "deepracer:GetModel",
          f"arn:aws:deepracer:us-east-1:{ACCOUNT}:model/reinforcement_learning/my-model"),
    allow("svc0-action-case", SERVICE, 0, "DeepRacer:listleaderboards", "*"),
    deny("svc0-other-service", SERVICE, 0, "deeplens:ListProjects", "*"),
    deny("svc0-prefix-longer", SERVICE, 0, "deepracerx:ListModels", "*"),
    # Statement 1: cloudformation:*, robomaker:*, sagemaker:*, states:*, sts:* on *
    allow("svc1-sagemaker-mixed-case", SERVICE, 1, "SageMaker:createTrainingJob",
          f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/dr-job-1"),
    allow("svc1-robomaker", SERVICE, 1, "robomaker:CreateSimulationJob", "*"),
    allow("svc1-cloudformation", SERVICE, 1, "cloudformation:CreateStack",
          f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/dr-stack/abc"),
    allow("svc1-states", SERVICE, 1, "states:StartExecution",
          f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:dr"),
    allow("svc1-sts", SERVICE, 1, "sts:AssumeRole", iam_role("AnyRole", OTHER_ACCOUNT)),
    deny("svc1-sagemaker-geospatial", SERVICE, 1, "sagemaker-geospatial:ListEarthObservationJobs", "*"),
    deny("svc1-ssm", SERVICE, 1, "ssm:GetParameter",
         f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/dr"),
    # Statement 2: iam:PassRole on role/AWSDeepRacer* and role/service-role/AWSDeepRacer*
    allow("svc2-passrole-top-level", SERVICE, 2, "iam:PassRole", iam_role("AWSDeepRacerCustom")),
    allow("svc2-passrole-service-role-path", SERVICE, 2, "iam:PassRole",
          iam_role("service-role/AWSDeepRacerSageMakerAccessRole")),
    allow("svc2-passrole-any-account", SERVICE, 2, "iam:PassRole",
          iam_role("AWSDeepRacerLambdaAccessRole", OTHER_ACCOUNT)),
    allow("svc2-passrole-any-service", SERVICE, 2, "iam:PassRole",
          iam_role("service-role/AWSDeepRacerRoboMakerAccessRole"),
          {"iam:PassedToService": "ec2.amazonaws.com"}),
    deny("svc2-passrole-other-role", SERVICE, 2, "iam:PassRole", iam_role("Other")),
    deny("svc2-passrole-service-role-other", SERVICE, 2, "iam:PassRole",
         iam_role("service-role/Other")),
    deny("svc2-passrole-name-case", SERVICE, 2, "iam:PassRole", iam_role("AwsDeepRacerX")),
    deny("svc2-passrole-other-path", SERVICE, 2, "iam:PassRole",
         iam_role("team/AWSDeepRacerSageMakerAccessRole")),
    deny("svc2-passrole-user-not-role", SERVICE, 2, "iam:PassRole",
         f"arn:aws:iam::{ACCOUNT}:user/AWSDeepRacerUser"),
    deny("svc2-getrole-not-listed", SERVICE, 2, "iam:GetRole", iam_role("AWSDeepRacerCustom")),
    # Statement 3: cloudwatch:GetMetricData and four logs actions on *
    allow("svc3-getmetricdata", SERVICE, 3, "cloudwatch:GetMetricData", "*"),
    allow("svc3-getlogevents", SERVICE, 3, "logs:GetLogEvents",
          logs("log-group:/aws/sagemaker/TrainingJobs:log-stream:job-1")),
    allow("svc3-createloggroup", SERVICE, 3, "logs:CreateLogGroup",
          logs("log-group:/aws/deepracer/leaderboard")),
    deny("svc3-putlogevents-not-listed", SERVICE, 3, "logs:PutLogEvents",
         logs("log-group:/aws/sagemaker/TrainingJobs:log-stream:job-1")),
    deny("svc3-putmetricdata-not-listed", SERVICE, 3, "cloudwatch:PutMetricData", "*"),
    # Statement 4: five lambda actions on functions named *DeepRacer*/*Deepracer*/*deepracer*/*dr-*
    allow("svc4-DeepRacer", SERVICE, 4, "lambda:InvokeFunction", lam("MyDeepRacerReward")),
    allow("svc4-Deepracer", SERVICE, 4, "lambda:GetFunction", lam("Deepracer-fn")),
    allow("svc4-deepracer", SERVICE, 4, "lambda:CreateFunction", lam("reward-deepracer")),
    allow("svc4-dr-prefix", SERVICE, 4, "lambda:UpdateFunctionCode", lam("dr-reward")),
    allow("svc4-dr-inside", SERVICE, 4, "lambda:DeleteFunction", lam("team-dr-reward")),
    allow("svc4-qualified-alias", SERVICE, 4, "lambda:InvokeFunction", lam("deepracer-fn:prod")),
    deny("svc4-upper-case-name", SERVICE, 4, "lambda:InvokeFunction", lam("MyDEEPRACERfn")),
    deny("svc4-unrelated-name", SERVICE, 4, "lambda:InvokeFunction", lam("reward")),
    deny("svc4-dr-without-dash", SERVICE, 4, "lambda:InvokeFunction", lam("drreward")),
    deny("svc4-layer-not-function", SERVICE, 4, "lambda:GetLayerVersion",
         f"arn:aws:lambda:us-west-2:{ACCOUNT}:layer:deepracer-layer:1"),
    deny("svc4-layer-resource", SERVICE, 4, "lambda:InvokeFunction",
         f"arn:aws:lambda:us-west-2:{ACCOUNT}:layer:deepracer-layer:1"),
    deny("svc4-action-not-listed", SERVICE, 4, "lambda:PublishVersion", lam("deepracer-fn")),
    # Statement 5: seven s3 actions on *DeepRacer*/*Deepracer*/*deepracer*/dr-*
    allow("svc5-model-object", SERVICE, 5, "s3:GetObject", s3("deepracer-models/model.tar.gz")),
    allow("svc5-bucket", SERVICE, 5, "s3:ListBucket", s3("deepracer-models")),
    allow("svc5-DeepRacer-bucket", SERVICE, 5, "s3:PutObject", s3("my-DeepRacer-bucket/a/b")),
    allow("svc5-Deepracer-bucket", SERVICE, 5, "s3:DeleteObject", s3("Deepracer/x")),
    allow("svc5-dr-bucket", SERVICE, 5, "s3:PutObject", s3("dr-bucket/key")),
    allow("svc5-put-bucket-policy", SERVICE, 5, "s3:PutBucketPolicy", s3("dr-bucket")),
    # `*deepracer*` is a glob over the whole resource part, object key included (S8).
    allow("svc5-key-contains-deepracer", SERVICE, 5, "s3:PutObject", s3("other/deepracer/x")),
    deny("svc5-bucket-case", SERVICE, 5, "s3:PutObject", s3("my-DEEPRACER-x/obj")),
    deny("svc5-bucket-case-get", SERVICE, 5, "s3:GetObject", s3("my-DEEPRACER-x/obj")),
    deny("svc5-dr-not-at-start", SERVICE, 5, "s3:PutObject", s3("xdr-bucket/key")),
    deny("svc5-DR-upper", SERVICE, 5, "s3:PutObject", s3("DR-bucket/key")),
    deny("svc5-action-not-listed", SERVICE, 5, "s3:DeleteBucket", s3("deepracer-models")),
    # s3:ListAllMyBuckets does not support resource-level permissions: the request resource is
    # `*`, which only `"Resource": "*"` matches; this role lists it only with bucket ARNs.
    deny("svc5-listallmybuckets-star", SERVICE, 5, "s3:ListAllMyBuckets", "*"),
    # Statement 6: s3:GetObject on * when s3:ExistingObjectTag/DeepRacer equals true (any case)
    allow("svc6-tag-true", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
          {"s3:ExistingObjectTag/DeepRacer": "true"}),
    allow("svc6-tag-TRUE", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
          {"s3:ExistingObjectTag/DeepRacer": "TRUE"}),
    allow("svc6-key-lower-case", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
          {"s3:existingobjecttag/deepracer": "True"}),
    deny("svc6-tag-missing", SERVICE, 6, "s3:GetObject", s3("team-data/obj")),
    deny("svc6-tag-yes", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": "yes"}),
    deny("svc6-tag-false", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": "false"}),
    deny("svc6-tag-empty", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": ""}),
    deny("svc6-tag-padded", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": "true "}),
    deny("svc6-other-tag", SERVICE, 6, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/SageMaker": "true"}),
    deny("svc6-putobject", SERVICE, 6, "s3:PutObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": "true"}),
    # Statement 7: six kinesisvideo actions on stream/dr-*
    allow("svc7-putmedia", SERVICE, 7, "kinesisvideo:PutMedia", kvs("dr-sim-1")),
    allow("svc7-deletestream", SERVICE, 7, "kinesisvideo:DeleteStream", kvs("dr-")),
    deny("svc7-stream-not-dr", SERVICE, 7, "kinesisvideo:PutMedia", kvs("sim-dr-1")),
    deny("svc7-stream-DR", SERVICE, 7, "kinesisvideo:PutMedia", kvs("DR-sim-1")),
    deny("svc7-action-not-listed", SERVICE, 7, "kinesisvideo:GetMedia", kvs("dr-sim-1")),
    deny("svc7-other-service", SERVICE, 7, "kinesis:PutRecord",
         f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/dr-sim-1"),
    # ---------------------------------------------------------------- AWSDeepRacerLambdaAccessRole
    allow("lambda0-putlogevents", LAMBDA, 0, "logs:PutLogEvents",
          logs("log-group:/aws/lambda/dr-reward:log-stream:2024/01/01/[$LATEST]abc")),
    allow("lambda0-createloggroup", LAMBDA, 0, "logs:CreateLogGroup", "*"),
    allow("lambda0-action-case", LAMBDA, 0, "LOGS:createlogstream",
          logs("log-group:/aws/lambda/dr-reward")),
    deny("lambda0-describe-not-listed", LAMBDA, 0, "logs:DescribeLogStreams",
         logs("log-group:/aws/lambda/dr-reward")),
    deny("lambda0-getlogevents-not-listed", LAMBDA, 0, "logs:GetLogEvents",
         logs("log-group:/aws/lambda/dr-reward:log-stream:x")),
    deny("lambda0-s3", LAMBDA, 0, "s3:GetObject", s3("deepracer-models/model.tar.gz")),
    # ---------------------------------------------------------------- AWSDeepRacerSageMakerAccessRole
    # Statement 0: sagemaker:* on *
    allow("sm0-mixed-case", SAGEMAKER, 0, "SageMaker:createTrainingJob",
          f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/dr-1"),
    allow("sm0-star", SAGEMAKER, 0, "sagemaker:ListTrainingJobs", "*"),
    deny("sm0-geospatial", SAGEMAKER, 0, "sagemaker-geospatial:ListEarthObservationJobs", "*"),
    deny("sm0-robomaker", SAGEMAKER, 0, "robomaker:CreateSimulationJob", "*"),
    # Statement 1: ecr/cloudwatch/ec2/application-autoscaling/logs actions on *
    allow("sm1-ecr-token", SAGEMAKER, 1, "ecr:GetAuthorizationToken", "*"),
    allow("sm1-ecr-layer", SAGEMAKER, 1, "ecr:BatchGetImage",
          f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/sagemaker-rl"),
    allow("sm1-autoscaling", SAGEMAKER, 1, "application-autoscaling:RegisterScalableTarget", "*"),
    allow("sm1-logs", SAGEMAKER, 1, "logs:PutLogEvents",
          logs("log-group:/aws/sagemaker/TrainingJobs:log-stream:dr-1/algo-1")),
    deny("sm1-ecr-push", SAGEMAKER, 1, "ecr:PutImage",
         f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/sagemaker-rl"),
    deny("sm1-runinstances", SAGEMAKER, 1, "ec2:RunInstances", "*"),
    deny("sm1-getmetricdata", SAGEMAKER, 1, "cloudwatch:GetMetricData", "*"),
    # Statement 2: s3 Get/Put/DeleteObject on *SageMaker*/*Sagemaker*/*sagemaker*
    allow("sm2-default-bucket", SAGEMAKER, 2, "s3:PutObject",
          s3(f"sagemaker-us-east-1-{ACCOUNT}/dr/model.tar.gz")),
    allow("sm2-SageMaker", SAGEMAKER, 2, "s3:DeleteObject", s3("team-SageMaker-data/x")),
    allow("sm2-Sagemaker", SAGEMAKER, 2, "s3:GetObject", s3("Sagemaker/x")),
    deny("sm2-upper-case", SAGEMAKER, 2, "s3:PutObject", s3("SAGEMAKER-data/x")),
    deny("sm2-deepracer-bucket", SAGEMAKER, 2, "s3:PutObject", s3("deepracer-models/x")),
    deny("sm2-action-not-listed", SAGEMAKER, 2, "s3:PutObjectAcl",
         s3(f"sagemaker-us-east-1-{ACCOUNT}/x")),
    # Statement 3: s3 CreateBucket/GetBucketLocation/ListBucket/ListAllMyBuckets on *
    allow("sm3-listallmybuckets-star", SAGEMAKER, 3, "s3:ListAllMyBuckets", "*"),
    allow("sm3-createbucket-any", SAGEMAKER, 3, "s3:CreateBucket", s3("anything")),
    allow("sm3-listbucket-any", SAGEMAKER, 3, "s3:ListBucket", s3("deepracer-models")),
    deny("sm3-deletebucket", SAGEMAKER, 3, "s3:DeleteBucket", s3("anything")),
    deny("sm3-putbucketpolicy", SAGEMAKER, 3, "s3:PutBucketPolicy", s3("anything")),
    # Statement 4: s3:GetObject on * when s3:ExistingObjectTag/SageMaker equals true (any case)
    allow("sm4-tag-true", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj"),
          {"s3:ExistingObjectTag/SageMaker": "True"}),
    allow("sm4-key-upper", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj"),
          {"S3:EXISTINGOBJECTTAG/SAGEMAKER": "TRUE"}),
    deny("sm4-deepracer-tag", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/DeepRacer": "true"}),
    deny("sm4-tag-missing", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj")),
    deny("sm4-tag-not-true", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/SageMaker": "1"}),
    deny("sm4-tag-multi-valued", SAGEMAKER, 4, "s3:GetObject", s3("team-data/obj"),
         {"s3:ExistingObjectTag/SageMaker": ["true", "true"]}),
    # Statement 5: iam:CreateServiceLinkedRole on the autoscaling SLR, StringLike AWSServiceName
    allow("sm5-slr", SAGEMAKER, 5, "iam:CreateServiceLinkedRole", SLR,
          {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    allow("sm5-slr-other-account", SAGEMAKER, 5, "iam:CreateServiceLinkedRole",
          SLR.replace(ACCOUNT, OTHER_ACCOUNT),
          {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    deny("sm5-other-service-name", SAGEMAKER, 5, "iam:CreateServiceLinkedRole", SLR,
         {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}),
    deny("sm5-service-name-missing", SAGEMAKER, 5, "iam:CreateServiceLinkedRole", SLR),
    deny("sm5-other-slr", SAGEMAKER, 5, "iam:CreateServiceLinkedRole",
         iam_role("aws-service-role/ecs.application-autoscaling.amazonaws.com/"
                  "AWSServiceRoleForApplicationAutoScaling_ECSService"),
         {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    deny("sm5-slr-name-case", SAGEMAKER, 5, "iam:CreateServiceLinkedRole",
         SLR.replace("SageMakerEndpoint", "SagemakerEndpoint"),
         {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    deny("sm5-deleteslr", SAGEMAKER, 5, "iam:DeleteServiceLinkedRole", SLR,
         {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    # Statement 6: iam:PassRole on * when iam:PassedToService is sagemaker.amazonaws.com
    allow("sm6-passrole-sagemaker", SAGEMAKER, 6, "iam:PassRole", iam_role("Any"),
          {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    allow("sm6-passrole-key-case", SAGEMAKER, 6, "iam:PassRole",
          iam_role("service-role/AWSDeepRacerSageMakerAccessRole"),
          {"IAM:passedtoservice": "sagemaker.amazonaws.com"}),
    deny("sm6-passrole-robomaker", SAGEMAKER, 6, "iam:PassRole", iam_role("Any"),
         {"iam:PassedToService": "robomaker.amazonaws.com"}),
    deny("sm6-passrole-key-missing", SAGEMAKER, 6, "iam:PassRole", iam_role("Any")),
    deny("sm6-passrole-value-case", SAGEMAKER, 6, "iam:PassRole", iam_role("Any"),
         {"iam:PassedToService": "SageMaker.amazonaws.com"}),
    deny("sm6-passrole-two-services", SAGEMAKER, 6, "iam:PassRole", iam_role("Any"),
         {"iam:PassedToService": ["sagemaker.amazonaws.com", "robomaker.amazonaws.com"]}),
    deny("sm6-getrole", SAGEMAKER, 6, "iam:GetRole", iam_role("Any"),
         {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    # ---------------------------------------------------------------- AWSDeepRacerRoboMakerAccessRole
    # Statement 0: robomaker:* on *
    allow("rm0-create-sim", ROBOMAKER, 0, "robomaker:CreateSimulationJob", "*"),
    allow("rm0-case", ROBOMAKER, 0, "RoboMaker:describesimulationjob",
          f"arn:aws:robomaker:us-east-1:{ACCOUNT}:simulation-job/sim-1"),
    deny("rm0-other-service", ROBOMAKER, 0, "greengrass:CreateDeployment", "*"),
    deny("rm0-sagemaker", ROBOMAKER, 0, "sagemaker:CreateTrainingJob", "*"),
    # Statement 1: cloudwatch:PutMetricData and five ec2 actions on *
    allow("rm1-putmetricdata", ROBOMAKER, 1, "cloudwatch:PutMetricData", "*"),
    allow("rm1-eni-permission", ROBOMAKER, 1, "ec2:CreateNetworkInterfacePermission",
          f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/eni-0123456789abcdef0"),
    deny("rm1-create-eni-not-listed", ROBOMAKER, 1, "ec2:CreateNetworkInterface", "*"),
    deny("rm1-getmetricdata", ROBOMAKER, 1, "cloudwatch:GetMetricData", "*"),
    # Statement 2: logs actions on the SimulationJobs log group and its streams
    allow("rm2-group", ROBOMAKER, 2, "logs:CreateLogGroup", logs(SIM_GROUP)),
    allow("rm2-stream", ROBOMAKER, 2, "logs:PutLogEvents", logs(SIM_GROUP + ":log-stream:sim-1")),
    allow("rm2-stream-other-region", ROBOMAKER, 2, "logs:DescribeLogStreams",
          logs(SIM_GROUP + ":log-stream:a/b:c", region="eu-west-1", account=OTHER_ACCOUNT)),
    deny("rm2-other-group", ROBOMAKER, 2, "logs:PutLogEvents",
         logs("log-group:/aws/robomaker/Other:log-stream:sim-1")),
    deny("rm2-group-suffix", ROBOMAKER, 2, "logs:CreateLogGroup",
         logs("log-group:/aws/robomaker/SimulationJobsX")),
    deny("rm2-group-case", ROBOMAKER, 2, "logs:PutLogEvents",
         logs("log-group:/aws/robomaker/simulationjobs:log-stream:sim-1")),
    deny("rm2-subgroup", ROBOMAKER, 2, "logs:PutLogEvents",
         logs("log-group:/aws/robomaker/SimulationJobs/sub:log-stream:sim-1")),
    deny("rm2-group-star-suffix", ROBOMAKER, 2, "logs:CreateLogGroup", logs(SIM_GROUP + ":*")),
    deny("rm2-other-partition", ROBOMAKER, 2, "logs:PutLogEvents",
         f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:{SIM_GROUP}:log-stream:sim-1"),
    deny("rm2-getlogevents-not-listed", ROBOMAKER, 2, "logs:GetLogEvents",
         logs(SIM_GROUP + ":log-stream:sim-1")),
    deny("rm2-star-resource", ROBOMAKER, 2, "logs:CreateLogGroup", "*"),
    # Statement 3: five s3 actions on the deepracer bucket globs
    allow("rm3-putobject", ROBOMAKER, 3, "s3:PutObject", s3("deepracer-sim/checkpoint/1")),
    allow("rm3-listbucket", ROBOMAKER, 3, "s3:ListBucket", s3("dr-training")),
    allow("rm3-location", ROBOMAKER, 3, "s3:GetBucketLocation", s3("my-DeepRacer-bucket")),
    deny("rm3-bucket-case", ROBOMAKER, 3, "s3:PutObject", s3("my-DEEPRACER-x/obj")),
    deny("rm3-delete-not-listed", ROBOMAKER, 3, "s3:DeleteObject", s3("deepracer-sim/x")),
    deny("rm3-listallmybuckets-star", ROBOMAKER, 3, "s3:ListAllMyBuckets", "*"),
    # Statement 4: s3:GetObject on * with the DeepRacer tag
    allow("rm4-tag", ROBOMAKER, 4, "s3:GetObject", s3("shared/track.npy"),
          {"s3:ExistingObjectTag/DeepRacer": "tRuE"}),
    deny("rm4-tag-missing", ROBOMAKER, 4, "s3:GetObject", s3("shared/track.npy")),
    deny("rm4-tag-not-true", ROBOMAKER, 4, "s3:GetObject", s3("shared/track.npy"),
         {"s3:ExistingObjectTag/DeepRacer": "truthy"}),
    # Statement 5: five kinesisvideo actions on stream/dr-*
    allow("rm5-putmedia", ROBOMAKER, 5, "kinesisvideo:PutMedia", kvs("dr-sim-1")),
    allow("rm5-createstream", ROBOMAKER, 5, "kinesisvideo:CreateStream",
          f"arn:aws:kinesisvideo:ap-northeast-1:{OTHER_ACCOUNT}:stream/dr-x/1"),
    deny("rm5-deletestream-not-listed", ROBOMAKER, 5, "kinesisvideo:DeleteStream", kvs("dr-sim-1")),
    deny("rm5-stream-not-dr", ROBOMAKER, 5, "kinesisvideo:PutMedia", kvs("sim-1")),
    deny("rm5-channel-not-stream", ROBOMAKER, 5, "kinesisvideo:PutMedia",
         f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:channel/dr-sim-1/1"),
    # ---------------------------------------------------------------- AWSDeepRacerCloudFormationAccessRole
    allow("cfn0-createstack", CFN, 0, "cloudformation:CreateStack",
          f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/dr/abc"),
    allow("cfn0-case", CFN, 0, "CloudFormation:describestacks", "*"),
    deny("cfn0-cloudfront", CFN, 0, "cloudfront:CreateDistribution", "*"),
    deny("cfn0-iam", CFN, 0, "iam:CreateRole", iam_role("x")),
    allow("cfn1-createvpc", CFN, 1, "ec2:CreateVpc", "*"),
    allow("cfn1-revoke-egress", CFN, 1, "ec2:RevokeSecurityGroupEgress",
          f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0123456789abcdef0"),
    deny("cfn1-runinstances", CFN, 1, "ec2:RunInstances", "*"),
    deny("cfn1-create-eni", CFN, 1, "ec2:CreateNetworkInterface", "*"),
    deny("cfn1-terminate", CFN, 1, "ec2:TerminateInstances", "*"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_permission_case(case: Case) -> None:
    decision = drpolicy.evaluate(case.role, case.action, case.resource, case.context)
    assert drpolicy.is_allowed(case.role, case.action, case.resource, case.context) is case.allowed
    assert decision.allowed is case.allowed
    assert decision.errors == ()
    if case.allowed:
        assert decision.decision == "Allowed"
        assert decision.decided_by == "identity"
        cited = {(r.policy, r.index) for r in decision.reasons}
        assert (f"{case.role}Policy", case.statement) in cited, decision.reasons
        for ref in decision.reasons:
            assert ref.policy_type == "identity"
            assert ref.sid is None  # the catalog permission policies have no Sids
    else:
        assert decision.decision == "ImplicitlyDenied"  # the catalog has no Deny statements
        assert decision.reasons == ()


def test_every_statement_has_a_positive_and_a_negative_case() -> None:
    positives = {(c.role, c.statement) for c in CASES if c.allowed}
    negatives = {(c.role, c.statement) for c in CASES if not c.allowed}
    expected = {
        (name, i) for name in ROLE_NAMES for i in range(len(permission_statements(name)))
    }
    assert expected - positives == set(), "statements without an allowed case"
    assert expected - negatives == set(), "statements without a near-miss case"
    assert positives | negatives <= expected, "cases citing statements that do not exist"


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------------------------------
# Every action of every statement, with a resource the statement's Resource admits
# ------------------------------------------------------------------------------------------

# One resource per (role, statement) that the statement's Resource element matches, plus the
# context its condition needs. The test below asks for *every* action the statement lists.
SAMPLES: dict[tuple[str, int], tuple[str, dict[str, str] | None]] = {
    (SERVICE, 0): ("*", None),
    (SERVICE, 1): ("*", None),
    (SERVICE, 2): (iam_role("service-role/AWSDeepRacerLambdaAccessRole"), None),
    (SERVICE, 3): ("*", None),
    (SERVICE, 4): (lam("deepracer-reward"), None),
    (SERVICE, 5): (s3("dr-models/model.tar.gz"), None),
    (SERVICE, 6): (s3("anything/obj"), {"s3:ExistingObjectTag/DeepRacer": "true"}),
    (SERVICE, 7): (kvs("dr-stream"), None),
    (LAMBDA, 0): ("*", None),
    (SAGEMAKER, 0): ("*", None),
    (SAGEMAKER, 1): ("*", None),
    (SAGEMAKER, 2): (s3("sagemaker-bucket/obj"), None),
    (SAGEMAKER, 3): ("*", None),
    (SAGEMAKER, 4): (s3("anything/obj"), {"s3:ExistingObjectTag/SageMaker": "true"}),
    (SAGEMAKER, 5): (SLR, {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}),
    (SAGEMAKER, 6): ("*", {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    (ROBOMAKER, 0): ("*", None),
    (ROBOMAKER, 1): ("*", None),
    (ROBOMAKER, 2): (logs(SIM_GROUP + ":log-stream:sim-123"), None),
    (ROBOMAKER, 3): (s3("deepracer-sim/x"), None),
    (ROBOMAKER, 4): (s3("anything/obj"), {"s3:ExistingObjectTag/DeepRacer": "TRUE"}),
    (ROBOMAKER, 5): (kvs("dr-stream"), None),
    (CFN, 0): ("*", None),
    (CFN, 1): ("*", None),
}

SAMPLE_ACTIONS = [
    pytest.param(name, index, action, id=f"{name}-{index}-{action}")
    for name in ROLE_NAMES
    for index, stmt in enumerate(permission_statements(name))
    for action in as_list(stmt["Action"])
]


def test_samples_cover_every_statement() -> None:
    expected = {(n, i) for n in ROLE_NAMES for i in range(len(permission_statements(n)))}
    assert set(SAMPLES) == expected


def concrete(action: str) -> str:
    """A request action for a policy action: `sagemaker:*` -> `sagemaker:CreateModel`."""
    return action.replace("*", "CreateModel")


@pytest.mark.parametrize(("name", "index", "action"), SAMPLE_ACTIONS)
def test_every_listed_action_is_granted_by_its_statement(name: str, index: int, action: str) -> None:
    resource, context = SAMPLES[(name, index)]
    request = concrete(action)
    for spelling in (request, request.upper(), request.lower()):
        decision = drpolicy.evaluate(name, spelling, resource, context)
        assert decision.allowed, (spelling, decision)
        assert StatementRef(f"{name}Policy", index, None, "identity") in decision.reasons


# ------------------------------------------------------------------------------------------
# Conditional statements: the request fails without the context the condition needs
# ------------------------------------------------------------------------------------------

CONDITIONAL = [
    pytest.param(name, index, id=f"{name}-{index}")
    for name in ROLE_NAMES
    for index, stmt in enumerate(permission_statements(name))
    if "Condition" in stmt
]


def test_the_catalog_has_the_expected_conditional_statements() -> None:
    found = {(p.values[0], p.values[1]) for p in CONDITIONAL}
    assert found == {(SERVICE, 6), (SAGEMAKER, 4), (SAGEMAKER, 5), (SAGEMAKER, 6), (ROBOMAKER, 4)}


@pytest.mark.parametrize(("name", "index"), CONDITIONAL)
def test_conditional_statement_reports_its_key_as_missing(name: str, index: int) -> None:
    resource, context = SAMPLES[(name, index)]
    assert context is not None
    stmt = permission_statements(name)[index]
    action = concrete(as_list(stmt["Action"])[0])
    with_context = drpolicy.evaluate(name, action, resource, context)
    assert with_context.allowed
    assert with_context.missing_context == ()
    without = drpolicy.evaluate(name, action, resource)
    key = next(iter(context))
    assert key in without.missing_context
    if not without.allowed:
        assert without.decision == "ImplicitlyDenied"
    # wherever the request is still allowed without context, it is by another statement
    assert StatementRef(f"{name}Policy", index, None, "identity") not in without.reasons


def test_tagged_object_in_deepracer_bucket_cites_both_statements() -> None:
    d = drpolicy.evaluate(
        SERVICE, "s3:GetObject", s3("deepracer-models/m.tar.gz"),
        {"s3:ExistingObjectTag/DeepRacer": "true"},
    )
    assert d.allowed
    assert {r.index for r in d.reasons} == {5, 6}


def test_untagged_object_in_deepracer_bucket_reports_the_tag_key() -> None:
    d = drpolicy.evaluate(SERVICE, "s3:GetObject", s3("deepracer-models/m.tar.gz"))
    assert d.allowed
    assert [r.index for r in d.reasons] == [5]
    assert d.missing_context == ("s3:ExistingObjectTag/DeepRacer",)


def test_missing_context_only_from_statements_matching_action_and_resource() -> None:
    # s3:PutObject is not in the tag statement, so its key is not reported
    d = drpolicy.evaluate(SERVICE, "s3:PutObject", s3("team-data/obj"))
    assert d.missing_context == ()
    # a PassRole request never reaches the SageMaker role's S3 tag statement
    d = drpolicy.evaluate(SAGEMAKER, "iam:PassRole", iam_role("x"))
    assert d.missing_context == ("iam:PassedToService",)


# ------------------------------------------------------------------------------------------
# Trust policies
# ------------------------------------------------------------------------------------------

TRUST_MATRIX = [
    pytest.param(name, service, name_service == service, id=f"{name}-{service.split('.')[0]}")
    for name, name_service in TRUSTED_SERVICE.items()
    for service in TRUSTED_SERVICE.values()
]


@pytest.mark.parametrize(("name", "service", "expected"), TRUST_MATRIX)
def test_assume_role_by_each_service_principal(name: str, service: str, expected: bool) -> None:
    assert drpolicy.can_assume(service, name) is expected
    d = drpolicy.role(name).assume_decision(service)
    assert d.allowed is expected
    if expected:
        assert d.decided_by == "trust"
        assert d.reasons == (StatementRef(f"{name}TrustPolicy", 0, "", "trust"),)
    else:
        assert d.decision == "ImplicitlyDenied"
        assert d.reasons == ()


NEAR_MISS_PRINCIPALS = [
    "edgelambda.amazonaws.com",
    "sagemaker.application-autoscaling.amazonaws.com",
    "ec2.amazonaws.com",
    ACCOUNT,
    f"arn:aws:iam::{ACCOUNT}:root",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSDeepRacerServiceRole",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSDeepRacerServiceRole/session",
    "anonymous",
]


@pytest.mark.parametrize("name", ROLE_NAMES)
@pytest.mark.parametrize("principal", NEAR_MISS_PRINCIPALS)
def test_trust_policy_names_no_one_else(name: str, principal: str) -> None:
    assert drpolicy.can_assume(principal, name) is False


@pytest.mark.parametrize("name", ROLE_NAMES)
@pytest.mark.parametrize(
    "action", ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession"]
)
def test_trust_policy_grants_only_assume_role(name: str, action: str) -> None:
    service = TRUSTED_SERVICE[name]
    assert drpolicy.role(name).assume_decision(service, action=action).allowed is False
    assert drpolicy.role(name).assume_decision(service, action="STS:assumerole").allowed is True


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_same_account_identity_allow_does_not_replace_trust(name: str) -> None:
    # an IAM user allowed sts:AssumeRole by its own policy is still not trusted by the role
    allow_all = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert drpolicy.can_assume(user, name, identity_policies=[allow_all]) is False


# ------------------------------------------------------------------------------------------
# Data files: structure, provenance, seed transcription, pins
# ------------------------------------------------------------------------------------------

# sha256 of json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) per file.
# If you changed a data file on purpose, recompute with that expression and update the pin here
# in the same commit, saying why.
PINS = {
    CFN: "c09ed10e59ba55ff42c0756ef33aa1eeb83a2012cdb4b856d8862f022c47c385",
    LAMBDA: "8af3b9528d3cb0ffce2bb150bd2f634be14b182f56f2a24638987322bb1e1524",
    ROBOMAKER: "a0344b60cab211e2ac16eedfc2690ec7f5f13105f86ecc2c61eb8dbd6f5fa9bd",
    SAGEMAKER: "ceae70aac61bf4324e5d5c6eb168589e0fc1108c875cfb9b3d0a2b2ad069bcb5",
    SERVICE: "b1b32627e54cec28f9777f7627a1be677fafb7093c224194ca90fa21e8811fe6",
}


def canonical_sha256(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_data_directory_holds_exactly_the_five_roles() -> None:
    names = {
        entry.name.removesuffix(".json")
        for entry in resources.files("drpolicy.catalog").joinpath("data").iterdir()
        if entry.name.endswith(".json")
    }
    assert names == set(ROLE_NAMES)


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_data_file_is_pinned(name: str) -> None:
    assert canonical_sha256(data_file(name)) == PINS[name], (
        f"{name}.json changed; if on purpose, update PINS in tests/test_catalog.py"
    )


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_data_file_fields(name: str) -> None:
    data = data_file(name)
    assert set(data) == {
        "name", "aliases", "description", "source", "permission_policy_name",
        "permission_policy", "trust_policy",
    }
    assert data["name"] == name
    assert data["permission_policy_name"] == f"{name}Policy"
    assert isinstance(data["aliases"], list) and data["aliases"]
    assert all(isinstance(a, str) and a for a in data["aliases"])
    assert [ALIASES[a] for a in data["aliases"]] == [name] * len(data["aliases"])
    assert isinstance(data["description"], str) and data["description"].strip()
    source = data["source"]
    assert isinstance(source, dict)
    for key in ("document", "file", "section"):
        assert isinstance(source.get(key), str) and source[key].strip(), key
    assert source["file"].endswith("deepracer-iam-roles.txt")
    assert data["permission_policy"]["Version"] == "2012-10-17"
    assert data["trust_policy"]["Version"] == "2012-10-17"


def _seed_path() -> Path | None:
    candidates = []
    if os.environ.get("DRPOLICY_SEED"):
        candidates.append(Path(os.environ["DRPOLICY_SEED"]))
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidates.append(parent / "shared" / "seeds" / "deepracer-iam-roles.txt")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def seed_documents(text: str) -> list[Any]:
    """Every top-level JSON object of the seed text, in order (each starts with `{` in column 0
    and ends at its matching brace)."""
    docs: list[Any] = []
    decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: dict(pairs))
    pos = 0
    while True:
        start = text.find("\n{", pos)
        if start < 0:
            return docs
        obj, end = decoder.raw_decode(text, start + 1)
        docs.append(obj)
        pos = end


@pytest.mark.skipif(_seed_path() is None, reason="seed document not available outside the project")
def test_data_files_match_the_seed_document() -> None:
    path = _seed_path()
    assert path is not None
    documents = seed_documents(path.read_text("utf-8"))
    assert len(documents) == 10
    for i, name in enumerate(ROLE_NAMES):
        data = data_file(name)
        permission, trust = documents[2 * i], documents[2 * i + 1]
        assert data["permission_policy"] == permission, name
        assert data["trust_policy"] == trust, name
        # "key order and values unchanged": compare the serialised forms, order included
        assert json.dumps(data["permission_policy"]) == json.dumps(permission), name
        assert json.dumps(data["trust_policy"]) == json.dumps(trust), name


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_trust_policy_shape(name: str) -> None:
    trust = data_file(name)["trust_policy"]
    (stmt,) = trust["Statement"]
    assert stmt["Effect"] == "Allow"
    assert stmt["Action"] == "sts:AssumeRole"
    assert as_list(stmt["Principal"]["Service"]) == [TRUSTED_SERVICE[name]]
    assert "Resource" not in stmt


# ------------------------------------------------------------------------------------------
# Look-up API
# ------------------------------------------------------------------------------------------


def test_roles_lists_the_catalog_in_documentation_order() -> None:
    assert drpolicy.roles() == ROLE_NAMES


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_role_objects(name: str) -> None:
    role = drpolicy.role(name)
    assert isinstance(role, drpolicy.Role)
    assert role.name == name
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/service-role/{name}"
    assert [p.name for p in role.policies] == [f"{name}Policy"]
    assert role.trust_policy is not None
    assert role.trust_policy.name == f"{name}TrustPolicy"
    assert role.permission_boundary is None
    assert role.policies[0].to_json() == _lists(data_file(name)["permission_policy"])
    assert role.trust_policy.to_json() == _lists(data_file(name)["trust_policy"])


def _lists(document: dict[str, Any]) -> dict[str, Any]:
    """The JSON form Policy.to_json produces: every string-or-list element as a list."""
    out = dict(document)
    statements = []
    for stmt in document["Statement"]:
        s = dict(stmt)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in s:
                s[key] = as_list(s[key])
        if "Principal" in s and isinstance(s["Principal"], dict):
            s["Principal"] = {k: as_list(v) for k, v in s["Principal"].items()}
        if "Condition" in s:
            s["Condition"] = {
                op: {k: as_list(v) for k, v in keys.items()} for op, keys in s["Condition"].items()
            }
        statements.append(s)
    out["Statement"] = statements
    return out


@pytest.mark.parametrize(("alias", "name"), sorted(ALIASES.items()))
@pytest.mark.parametrize("spelling", [str, str.upper, str.title])
def test_aliases_resolve_case_insensitively(alias: str, name: str, spelling: Any) -> None:
    assert drpolicy.role(spelling(alias)).name == name


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_role_names_resolve_case_insensitively(name: str) -> None:
    assert drpolicy.role(name.lower()).name == name
    assert drpolicy.role(name.upper()).name == name


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_and_name_give_the_same_answers(alias: str) -> None:
    name = ALIASES[alias]
    for case in (c for c in CASES if c.role == name):
        assert drpolicy.is_allowed(alias, case.action, case.resource, case.context) is case.allowed


@pytest.mark.parametrize(
    "unknown", ["AWSDeepRacerRole", "deep racer", "", "AWSDeepRacerServiceRole ", "sage-maker"]
)
def test_unknown_role_lists_known_names(unknown: str) -> None:
    with pytest.raises(CatalogError) as info:
        drpolicy.role(unknown)
    message = str(info.value)
    for name in ROLE_NAMES:
        assert name in message
    assert set(ROLE_NAMES) <= set(info.value.known)
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, DrpolicyError)


@pytest.mark.parametrize("call", ["is_allowed", "evaluate"])
def test_unknown_role_in_queries(call: str) -> None:
    with pytest.raises(CatalogError):
        getattr(drpolicy, call)("AWSDeepRacerNoSuchRole", "s3:GetObject", s3("deepracer/x"))
    with pytest.raises(CatalogError):
        drpolicy.can_assume("sagemaker.amazonaws.com", "AWSDeepRacerNoSuchRole")


@pytest.mark.parametrize("bad", [None, 42, ["deepracer"]])
def test_non_string_role_name_is_a_catalog_error(bad: Any) -> None:
    with pytest.raises(DrpolicyError):
        drpolicy.role(bad)


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_account_id_changes_the_arn(name: str) -> None:
    role = drpolicy.role(name, account_id=OTHER_ACCOUNT)
    assert role.arn == f"arn:aws:iam::{OTHER_ACCOUNT}:role/service-role/{name}"
    assert role.account_id == OTHER_ACCOUNT
    assert drpolicy.role(name).arn.split(":")[4] == ACCOUNT
    # the permissions do not depend on the account
    for case in (c for c in CASES if c.role == name):
        assert role.is_allowed(case.action, case.resource, case.context) is case.allowed
    assert drpolicy.can_assume(TRUSTED_SERVICE[name], role) is True


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "abcdefghijkl", ""])
def test_bad_account_id_is_a_request_error(bad: str) -> None:
    with pytest.raises(RequestError):
        drpolicy.role(SERVICE, account_id=bad)


def test_role_object_passes_through() -> None:
    role = drpolicy.role(SERVICE)
    assert drpolicy.role(role) is role
    assert drpolicy.is_allowed(role, "s3:GetObject", s3("deepracer-models/model.tar.gz"))


def test_decision_is_a_decision() -> None:
    d = drpolicy.evaluate("deepracer", "s3:GetObject", s3("deepracer-models/model.tar.gz"))
    assert isinstance(d, Decision)
    assert d.allowed and d.decision == "Allowed"
