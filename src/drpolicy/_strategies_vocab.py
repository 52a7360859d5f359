"""The vocabulary of :mod:`drpolicy.strategies` (services, actions, resource types, regions,
accounts), the realistic text that fills a wildcard or a resource type's field, and the
instantiation of globs, segment by segment."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, TypeVar

from hypothesis import strategies as st

from drpolicy._wildcard import glob_to_regex

T = TypeVar("T")


# --------------------------------------------------------------------------------------
# Vocabulary: services, actions, resource types, regions, accounts
# --------------------------------------------------------------------------------------

_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "s3": (
        "GetObject",
        "PutObject",
        "DeleteObject",
        "ListBucket",
        "GetBucketLocation",
        "ListAllMyBuckets",
        "CreateBucket",
        "DeleteBucket",
        "PutBucketPolicy",
        "GetBucketPolicy",
        "GetObjectTagging",
        "PutObjectTagging",
        "GetObjectVersion",
        "AbortMultipartUpload",
        "ListBucketVersions",
        "PutObjectAcl",
    ),
    "iam": (
        "PassRole",
        "GetRole",
        "CreateRole",
        "DeleteRole",
        "AttachRolePolicy",
        "PutRolePolicy",
        "CreateServiceLinkedRole",
        "ListRoles",
        "GetUser",
        "CreateUser",
        "CreatePolicy",
        "TagRole",
    ),
    "sts": ("AssumeRole", "GetCallerIdentity", "TagSession", "GetSessionToken"),
    "logs": (
        "CreateLogGroup",
        "CreateLogStream",
        "PutLogEvents",
        "DescribeLogStreams",
        "GetLogEvents",
        "DescribeLogGroups",
        "DeleteLogGroup",
        "FilterLogEvents",
    ),
    "cloudwatch": (
        "PutMetricData",
        "GetMetricData",
        "PutMetricAlarm",
        "DescribeAlarms",
        "DeleteAlarms",
        "ListMetrics",
    ),
    "ec2": (
        "AllocateAddress",
        "AttachInternetGateway",
        "CreateVpc",
        "CreateSubnet",
        "CreateSecurityGroup",
        "CreateTags",
        "CreateNetworkInterface",
        "CreateNetworkInterfacePermission",
        "DeleteNetworkInterface",
        "DeleteVpc",
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeSecurityGroups",
        "DescribeNetworkInterfaces",
        "DescribeInstances",
        "RunInstances",
        "TerminateInstances",
        "ModifyVpcAttribute",
    ),
    "lambda": (
        "CreateFunction",
        "DeleteFunction",
        "GetFunction",
        "InvokeFunction",
        "UpdateFunctionCode",
        "ListFunctions",
        "AddPermission",
    ),
    "kinesisvideo": (
        "CreateStream",
        "DeleteStream",
        "DescribeStream",
        "GetDataEndpoint",
        "PutMedia",
        "TagStream",
        "GetMedia",
        "ListStreams",
    ),
    "sagemaker": (
        "CreateTrainingJob",
        "DescribeTrainingJob",
        "StopTrainingJob",
        "CreateModel",
        "DeleteModel",
        "CreateEndpoint",
        "InvokeEndpoint",
        "ListTrainingJobs",
    ),
    "robomaker": (
        "CreateSimulationJob",
        "DescribeSimulationJob",
        "CancelSimulationJob",
        "CreateSimulationApplication",
        "CreateRobotApplication",
        "ListSimulationJobs",
    ),
    "cloudformation": (
        "CreateStack",
        "DeleteStack",
        "DescribeStacks",
        "UpdateStack",
        "DescribeStackEvents",
        "ListStacks",
    ),
    "deepracer": (
        "CreateReinforcementLearningModel",
        "GetModel",
        "ListModels",
        "DeleteModel",
        "ListTracks",
        "GetTrack",
        "StopTrainingReinforcementLearningModel",
    ),
    "states": (
        "StartExecution",
        "DescribeExecution",
        "StopExecution",
        "CreateStateMachine",
        "ListStateMachines",
    ),
    "ecr": (
        "GetAuthorizationToken",
        "GetDownloadUrlForLayer",
        "BatchGetImage",
        "BatchCheckLayerAvailability",
        "PutImage",
        "DescribeRepositories",
    ),
    "application-autoscaling": (
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DescribeScalableTargets",
        "DeleteScalingPolicy",
    ),
    "kms": ("Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "CreateGrant"),
    "dynamodb": ("GetItem", "PutItem", "Query", "Scan", "DeleteItem"),
    "sqs": ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueUrl"),
    "sns": ("Publish", "Subscribe", "CreateTopic"),
}
_SERVICES: Final = tuple(_ACTIONS)
_CANONICAL_ACTION: Final[Mapping[str, str]] = {
    f"{svc}:{name}".lower(): f"{svc}:{name}" for svc, names in _ACTIONS.items() for name in names
}

# Resource parts of each service's resource types; {field}s are filled by _FIELDS.
_RESOURCE_TYPES: Final[Mapping[str, Mapping[str, str]]] = {
    "s3": {"bucket": "{bucket}", "object": "{bucket}/{key}"},
    "iam": {
        "role": "role{path}{role_name}",
        "user": "user{path}{name}",
        "policy": "policy{path}{name}",
    },
    "sts": {"assumed-role": "assumed-role/{role_name}/{session}"},
    "logs": {
        "log-group": "log-group:{log_group}",
        "log-stream": "log-group:{log_group}:log-stream:{stream}",
    },
    "cloudwatch": {"alarm": "alarm:{name}"},
    "ec2": {
        "vpc": "vpc/vpc-{hex}",
        "subnet": "subnet/subnet-{hex}",
        "security-group": "security-group/sg-{hex}",
        "network-interface": "network-interface/eni-{hex}",
        "instance": "instance/i-{hex}",
    },
    "lambda": {"function": "function:{name}"},
    "kinesisvideo": {"stream": "stream/{name}/{timestamp}"},
    "sagemaker": {
        "training-job": "training-job/{lname}",
        "model": "model/{lname}",
        "endpoint": "endpoint/{lname}",
    },
    "robomaker": {
        "simulation-job": "simulation-job/sim-{id}",
        "simulation-application": "simulation-application/{name}/{timestamp}",
        "robot-application": "robot-application/{name}/{timestamp}",
    },
    "cloudformation": {"stack": "stack/{name}/{uuid}"},
    "deepracer": {
        "model": "model/reinforcement_learning/{name}",
        "track": "track/{name}",
    },
    "states": {"stateMachine": "stateMachine:{name}", "execution": "execution:{name}:{id}"},
    "ecr": {"repository": "repository/{lname}"},
    "application-autoscaling": {"scalable-target": "scalable-target/{id}"},
    "kms": {"key": "key/{uuid}", "alias": "alias/{name}"},
    "dynamodb": {"table": "table/{name}"},
    "sqs": {"queue": "{name}"},
    "sns": {"topic": "{name}"},
}
_NO_REGION: Final = frozenset({"s3", "iam", "sts"})
_NO_ACCOUNT: Final = frozenset({"s3"})

_PARTITION_REGIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "aws": (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-1",
        "ap-northeast-1",
        "ca-central-1",
        "sa-east-1",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
}
_REGIONS: Final = tuple(r for rs in _PARTITION_REGIONS.values() for r in rs)
_ACCOUNTS: Final = ("123456789012", "111122223333", "444455556666", "999988887777")

_SERVICE_PRINCIPALS: Final = (
    "sagemaker.amazonaws.com",
    "robomaker.amazonaws.com",
    "lambda.amazonaws.com",
    "cloudformation.amazonaws.com",
    "deepracer.amazonaws.com",
    "ec2.amazonaws.com",
    "s3.amazonaws.com",
    "states.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "sagemaker.application-autoscaling.amazonaws.com",
)
_CATALOG_ROLE_NAMES: Final = (
    "AWSDeepRacerServiceRole",
    "AWSDeepRacerLambdaAccessRole",
    "AWSDeepRacerSageMakerAccessRole",
    "AWSDeepRacerRoboMakerAccessRole",
    "AWSDeepRacerCloudFormationAccessRole",
)

_WORDS: Final = (
    "models",
    "model",
    "training",
    "sim",
    "job",
    "data",
    "output",
    "logs",
    "artifacts",
    "checkpoint",
    "reward",
    "track",
    "race",
    "racer",
    "DeepRacer",
    "Deepracer",
    "deepracer",
    "dr",
    "SageMaker",
    "sagemaker",
    "robomaker",
    "test",
    "prod",
    "dev",
    "team",
    "alpha",
    "v1",
    "2024",
    "my",
    "Report",
)
_ALNUM: Final = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER_ALNUM: Final = "abcdefghijklmnopqrstuvwxyz0123456789"
_VERBS: Final = (
    "Get",
    "Put",
    "List",
    "Describe",
    "Create",
    "Delete",
    "Update",
    "Tag",
    "Untag",
    "Start",
    "Stop",
    "Batch",
)
_NOUNS: Final = (
    "Object",
    "Bucket",
    "Role",
    "Policy",
    "Stream",
    "Job",
    "Model",
    "Function",
    "Resource",
    "Item",
    "Key",
    "Tags",
    "Configuration",
    "Events",
)

# --------------------------------------------------------------------------------------
# Text fills: what replaces a wildcard, or fills a field of a resource type
# --------------------------------------------------------------------------------------

_token = st.one_of(st.sampled_from(_WORDS), st.text(alphabet=_LOWER_ALNUM, min_size=1, max_size=8))


@st.composite
def _joined(draw: st.DrawFn, separators: str = "-_.", max_tokens: int = 3) -> str:
    tokens = draw(st.lists(_token, min_size=1, max_size=max_tokens))
    out = tokens[0]
    for t in tokens[1:]:
        out += draw(st.sampled_from(separators)) + t
    return out


_name = _joined()
_lname = _name.map(str.lower)
_bucket = st.one_of(
    _joined("-.").map(str.lower),
    st.builds(lambda n: "dr-" + n, _joined("-").map(str.lower)),
    _joined("-."),  # legacy buckets may have capitals (hence `*DeepRacer*` in the catalog)
)
_extension = st.sampled_from(("", ".tar.gz", ".json", ".csv", ".mp4", ".log", ".py"))


@st.composite
def _path_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_joined("-_"), min_size=1, max_size=3))
    return "/".join(parts) + draw(_extension)


_key = _path_text()
_hex = st.text(alphabet="0123456789abcdef", min_size=8, max_size=8).flatmap(
    lambda h: st.sampled_from((h, h + "901234567"))
)
_uuid = st.uuids().map(str)
_digits13 = st.integers(1_500_000_000_000, 1_900_000_000_000).map(str)
_account = st.one_of(
    st.sampled_from(_ACCOUNTS), st.text(alphabet="0123456789", min_size=12, max_size=12)
)
_role_path = st.sampled_from(("/", "/service-role/", "/team/", "/app/ml/"))
_role_name = st.one_of(
    st.sampled_from(_CATALOG_ROLE_NAMES),
    st.builds(lambda n: "AWSDeepRacer" + n, _joined("-_")),
    _joined("-_+=,.@"),
)
_log_group = st.one_of(
    st.just("/aws/robomaker/SimulationJobs"),
    st.just("/aws/sagemaker/TrainingJobs"),
    st.builds(lambda n: "/aws/lambda/" + n, _name),
    _name,
)

_FIELDS: Final[Mapping[str, st.SearchStrategy[str]]] = {
    "bucket": _bucket,
    "key": _key,
    "path": _role_path,
    "role_name": _role_name,
    "name": _name,
    "lname": _lname,
    "session": _joined("-_=,.@"),
    "log_group": _log_group,
    "stream": st.one_of(_name, _path_text()),
    "hex": _hex,
    "timestamp": _digits13,
    "id": st.text(alphabet=_LOWER_ALNUM, min_size=6, max_size=12),
    "uuid": _uuid,
}
_FIELD_RE: Final = re.compile(r"\{(\w+)\}")

# wildcard fills, by where the wildcard stands
_FILLS: Final[Mapping[str, st.SearchStrategy[str]]] = {
    "name": st.one_of(st.just(""), _name),  # inside a name: no `/`
    "tail": st.one_of(st.just(""), _name, _path_text()),  # last `*` of a resource part
    "char": st.sampled_from(_ALNUM),
    "service": st.text(alphabet=_LOWER_ALNUM, min_size=0, max_size=6),
    "region": st.text(alphabet=_LOWER_ALNUM + "-", min_size=0, max_size=6),
    "digits": st.text(alphabet="0123456789", min_size=0, max_size=12),
    "digit": st.sampled_from("0123456789"),
    "action": st.one_of(
        st.just(""),
        st.sampled_from(_NOUNS),
        st.sampled_from(_VERBS),
        st.builds(lambda v, n: v + n, st.sampled_from(_VERBS), st.sampled_from(_NOUNS)),
    ),
    "value": st.one_of(st.just(""), _name, _path_text()),
}


class _Chooser:
    """Random choices inside one draw (a thin layer over ``draw``)."""

    __slots__ = ("draw",)

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def pick(self, items: Sequence[T]) -> T:
        if len(items) == 1:
            return items[0]
        return items[self.draw(st.integers(0, len(items) - 1))]

    def coin(self) -> bool:
        return self.draw(st.booleans())

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def fill(self, kind: str) -> str:
        return self.draw(_FILLS[kind])


# --------------------------------------------------------------------------------------
# Globs
# --------------------------------------------------------------------------------------


def _glob_tokens(glob: str) -> list[str]:
    """Split a glob into literal runs and single ``*``/``?`` tokens (runs of ``*`` merged)."""
    out: list[str] = []
    buf = ""
    for ch in glob:
        if ch in "*?":
            if buf:
                out.append(buf)
                buf = ""
            if ch == "*" and out and out[-1] == "*":
                continue
            out.append(ch)
        else:
            buf += ch
    if buf:
        out.append(buf)
    return out


def _is_glob(text: str) -> bool:
    return "*" in text or "?" in text


def _fill_glob(glob: str, ch: _Chooser, star: str, qmark: str = "char") -> str:
    return "".join(
        ch.fill(star) if t == "*" else ch.fill(qmark) if t == "?" else t for t in _glob_tokens(glob)
    )


def _fill_resource_glob(glob: str, ch: _Chooser) -> str:
    """Instantiate the resource part of an ARN pattern: the last ``*`` may become a path
    (``a/b.json``); earlier ones stay inside one name."""
    tokens = _glob_tokens(glob)
    last = max((i for i, t in enumerate(tokens) if t == "*"), default=-1)
    tail_ok = last >= 0 and not any("/" in t for t in tokens[last + 1 :])
    out = []
    for i, t in enumerate(tokens):
        if t == "*":
            out.append(ch.fill("tail" if i == last and tail_ok else "name"))
        elif t == "?":
            out.append(ch.fill("char"))
        else:
            out.append(t)
    return "".join(out)


def _glob_matches(glob: str, text: str, *, segment: bool) -> bool:
    star, qmark = ("[^:]*", "[^:]") if segment else (".*", ".")
    return re.fullmatch(glob_to_regex(glob, star=star, qmark=qmark), text, re.DOTALL) is not None


def _choose_segment(glob: str, known: Sequence[str], ch: _Chooser, fill: str) -> str:
    """A value for one ARN/action segment glob: a known value it matches, else a fill."""
    if not _is_glob(glob):
        return glob
    candidates = [k for k in known if _glob_matches(glob, k, segment=True)]
    if candidates and (ch.coin() or ch.coin()):
        return ch.pick(candidates)
    return _fill_glob(glob, ch, fill)
