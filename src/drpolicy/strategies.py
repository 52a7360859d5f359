"""Hypothesis strategies for IAM: actions, ARNs, context values, requests, policies, and the
requests a role allows or denies.

Importing this module needs `hypothesis <https://hypothesis.readthedocs.io>`_
(``pip install 'drpolicy[hypothesis]'``); nothing else in drpolicy imports it.

The strategies draw what AWS would really see: actions of real services
(``s3:GetObject``), ARNs shaped like the service's resource types
(``arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs:log-stream:x``),
context values of the right kind for the key (an IP address for ``aws:SourceIp``, a service
principal for ``iam:PassedToService``). A pattern passed as ``matching=`` is *instantiated*:
each ``*`` and ``?`` is replaced by realistic text, segment by segment, so the draw matches by
construction.

:func:`requests_allowed_by` and :func:`requests_denied_by` build requests from a role's
compiled statements: pick an Allow statement, instantiate one of its action patterns and one
of its resource patterns, and solve its conditions (and the conditions of the Deny statements
that would otherwise apply) for a context. Every draw is checked against the engine, so a draw
is always what the strategy's name says.

>>> import drpolicy
>>> from drpolicy.strategies import requests_allowed_by
>>> from hypothesis import given
>>> @given(requests_allowed_by("robomaker"))
... def test_allowed(request):
...     assert drpolicy.is_allowed("robomaker", *request)
>>> test_allowed()
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final, NamedTuple, TypeVar

try:
    from hypothesis import assume, reject
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "drpolicy.strategies needs hypothesis: pip install 'drpolicy[hypothesis]'"
    ) from exc

from drpolicy._catalog_strategies import catalog_actions, catalog_resources
from drpolicy._variables import Lit, Text, Var, parse_template
from drpolicy._wildcard import (
    ActionPattern,
    ArnPattern,
    PatternError,
    compile_action_pattern,
    compile_arn_pattern,
    glob_to_regex,
)
from drpolicy.arn import parse_arn
from drpolicy.conditions import OPERATORS, CompiledCondition, ConditionEvaluationError
from drpolicy.errors import DrpolicyError
from drpolicy.evaluator import PolicyIndex, normalise_context

__all__ = [
    "Request",
    "actions",
    "arns",
    "case_variants",
    "catalog_actions",
    "catalog_resources",
    "conditions",
    "context_values",
    "contexts",
    "policies",
    "requests",
    "requests_allowed_by",
    "requests_denied_by",
    "resources_for",
    "statements",
]


def __dir__() -> list[str]:
    return __all__


T = TypeVar("T")
ContextValue = str | list[str]


class Request(NamedTuple):
    """One request, ready to unpack into the engine's calls:
    ``drpolicy.is_allowed(role, *request)``.

    Attributes:
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys (as written in the policies) to a string or a list of
            strings; empty when the request needs none.
    """

    action: str
    resource: str
    context: dict[str, ContextValue]


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


# --------------------------------------------------------------------------------------
# Actions
# --------------------------------------------------------------------------------------

_SERVICE_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
_ACTION_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


def _synthetic_action_name(ch: _Chooser) -> str:
    return ch.pick(_VERBS) + ch.pick(_NOUNS)


def _vocabulary_action(ch: _Chooser, service: str | None) -> str:
    svc = service if service is not None else ch.pick(_SERVICES)
    names = _ACTIONS.get(svc, ())
    if names and (ch.coin() or ch.coin()):
        return f"{svc}:{ch.pick(names)}"
    return f"{svc}:{_synthetic_action_name(ch)}"


def _instantiate_action(
    pattern: ActionPattern, ch: _Chooser, service: str | None = None
) -> str | None:
    """A request action matching ``pattern``, or ``None`` when none is a plausible action."""
    if pattern.lowered == "*":
        return _vocabulary_action(ch, service)
    if service is not None:
        if not _glob_matches(pattern.service, service, segment=True):
            return None
        svc = service
    else:
        svc = _choose_segment(pattern.service, _SERVICES, ch, "service")
    known = [
        n for n in _ACTIONS.get(svc, ()) if _glob_matches(pattern.name, n.lower(), segment=False)
    ]
    if known and (ch.coin() or ch.coin()):
        name = ch.pick(known)
    else:
        written = pattern.source.split(":", 1)[1] if ":" in pattern.source else pattern.name
        name = _fill_glob(written, ch, "action")
        if not name and _is_glob(written):
            name = _synthetic_action_name(ch)
    action = f"{svc}:{name}"
    if not _SERVICE_RE.fullmatch(svc) or not _ACTION_NAME_RE.fullmatch(name):
        return None
    if not pattern.matches(action.lower()):
        return None
    return _CANONICAL_ACTION.get(action.lower(), action)


def _plausible_action_pattern(p: ActionPattern) -> bool:
    """Whether some plausible action matches ``p`` (not so for commas, spaces or an empty
    name: AWS accepts them and they match nothing real, S12)."""
    if p.lowered == "*":
        return True
    svc_probe = re.sub(r"[*?]", "a", p.service)
    name_probe = re.sub(r"[*?]", "A", p.name)
    return bool(_SERVICE_RE.fullmatch(svc_probe) and _ACTION_NAME_RE.fullmatch(name_probe))


def _check_service(service: str | None) -> None:
    if service is not None and not (isinstance(service, str) and _SERVICE_RE.fullmatch(service)):
        raise InvalidArgument(f"`{service}` is not a service prefix such as `s3`")


def _as_patterns(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"`{what}` must be a pattern or a sequence of patterns")
    return list(value)


def actions(
    service: str | None = None, *, matching: str | Sequence[str] | None = None
) -> st.SearchStrategy[str]:
    """Request actions (``s3:GetObject``): real action names of common services, with
    plausible made-up ones (``s3:DescribeEvents``) mixed in.

    Args:
        service: only actions of this service prefix.
        matching: an action pattern (``s3:Get*``, ``*:List*``, ``iam:PassRole``) or several;
            every draw matches one of them (case-insensitively, as IAM matches actions).
            Patterns that no plausible action can match (``s3:Get,Put``) are refused.

    Raises:
        InvalidArgument: a malformed pattern, or one no draw could match.

    >>> from drpolicy.strategies import actions
    >>> actions("s3").example().startswith("s3:")  # doctest: +SKIP
    True
    """
    _check_service(service)
    patterns = _as_patterns(matching, "matching")
    if not patterns:
        return _vocabulary_actions(service)
    compiled: list[ActionPattern] = []
    for p in patterns:
        try:
            compiled.append(compile_action_pattern(p))
        except PatternError as exc:
            raise InvalidArgument(f"`{p}`: {exc}") from None
    for c in compiled:
        if not _plausible_action_pattern(c):
            raise InvalidArgument(f"no plausible action matches `{c.source}`")

    return _matching_actions(tuple(compiled), service)


@st.composite
def _vocabulary_actions(draw: st.DrawFn, service: str | None) -> str:
    return _vocabulary_action(_Chooser(draw), service)


@st.composite
def _matching_actions(
    draw: st.DrawFn, compiled: tuple[ActionPattern, ...], service: str | None
) -> str:
    ch = _Chooser(draw)
    pattern = ch.pick(compiled)
    for _ in range(4):
        action = _instantiate_action(pattern, ch, service)
        if action is not None:
            return action
    reject()


def case_variants(text: str, *, changed: bool = False) -> st.SearchStrategy[str]:
    """``text`` with the case of its letters changed at random.

    Args:
        text: the text to re-case.
        changed: only draw variants that differ from ``text`` (at least one letter flipped).

    Raises:
        InvalidArgument: ``changed=True`` and ``text`` has no letter with a case.
    """
    flippable = [i for i, c in enumerate(text) if c.swapcase() != c and len(c.swapcase()) == 1]
    if changed and not flippable:
        raise InvalidArgument(f"`{text}` has no letter whose case can change")

    if not flippable:
        return st.just(text)
    return _case_variant(text, tuple(flippable), changed)


@st.composite
def _case_variant(draw: st.DrawFn, text: str, flippable: tuple[int, ...], changed: bool) -> str:
    chars = list(text)
    flips = draw(st.lists(st.sampled_from(flippable), min_size=1 if changed else 0, unique=True))
    for i in flips:
        chars[i] = chars[i].swapcase()
    return "".join(chars)


# --------------------------------------------------------------------------------------
# ARNs
# --------------------------------------------------------------------------------------


def _fill_fields(template: str, ch: _Chooser) -> str:
    return _FIELD_RE.sub(lambda m: ch.draw(_FIELDS[m.group(1)]), template)


def _realistic_arn(
    ch: _Chooser,
    service: str | None = None,
    resource_type: str | None = None,
    *,
    partition: str | None = "aws",
    region: str | None = None,
    account: str | None = None,
) -> str:
    svc = service if service is not None else ch.pick(tuple(_RESOURCE_TYPES))
    types = _RESOURCE_TYPES.get(svc)
    part = partition if partition is not None else ch.pick(tuple(_PARTITION_REGIONS))
    if types:
        kind = resource_type if resource_type is not None else ch.pick(tuple(types))
        resource = _fill_fields(types[kind], ch)
    else:
        resource = ch.pick(("", "resource/")) + ch.draw(_name)
    reg = (
        ""
        if svc in _NO_REGION
        else (region if region is not None else ch.pick(_PARTITION_REGIONS.get(part, _REGIONS)))
    )
    acct = "" if svc in _NO_ACCOUNT else (account if account is not None else ch.draw(_account))
    return f"arn:{part}:{svc}:{reg}:{acct}:{resource}"


def _instantiate_arn(
    pattern: ArnPattern,
    ch: _Chooser,
    *,
    variable: Callable[[Var], str] | None = None,
    service: str | None = None,
) -> str | None:
    """A request ARN matching ``pattern`` (per segment), or ``None`` if none is plausible.

    ``variable`` supplies the value of each policy variable in a ``template`` pattern (the
    caller records it in the request context).
    """
    if pattern.kind == "any":
        return _realistic_arn(ch, service)
    seg = list(pattern.segments)
    part = _choose_segment(seg[1], tuple(_PARTITION_REGIONS), ch, "service")
    if service is not None and _glob_matches(seg[2], service, segment=True) and _is_glob(seg[2]):
        svc = service
    else:
        svc = _choose_segment(seg[2], tuple(_RESOURCE_TYPES) + _SERVICES, ch, "service")
    region_glob, account_glob = seg[3], seg[4]
    if region_glob == "*" and svc in _NO_REGION and (ch.coin() or ch.coin()):
        reg = ""
    else:
        reg = _choose_segment(region_glob, _PARTITION_REGIONS.get(part, _REGIONS), ch, "region")
    if account_glob == "*" and svc in _NO_ACCOUNT and (ch.coin() or ch.coin()):
        acct = ""
    else:
        acct = _choose_segment(account_glob, _ACCOUNTS, ch, "digits")
    resource_glob = seg[5]
    if pattern.kind == "template":
        if variable is None:
            return None
        pieces: list[str] = []
        for piece in parse_template(resource_glob):
            if isinstance(piece, Text):
                pieces.append(_fill_resource_glob(piece.text, ch))
            elif isinstance(piece, Lit):
                pieces.append(piece.text)
            else:
                pieces.append(variable(piece))
        resource = "".join(pieces)
    elif resource_glob == "*" and svc in _RESOURCE_TYPES and (ch.coin() or ch.coin()):
        kind = ch.pick(tuple(_RESOURCE_TYPES[svc]))
        resource = _fill_fields(_RESOURCE_TYPES[svc][kind], ch)
    else:
        resource = _fill_resource_glob(resource_glob, ch)
    arn = f"arn:{part}:{svc}:{reg}:{acct}:{resource}"
    try:
        parse_arn(arn)
    except DrpolicyError:
        return None
    return arn


def _compile_resource_patterns(patterns: list[str], variables: bool = False) -> list[ArnPattern]:
    out = []
    for p in patterns:
        try:
            out.append(compile_arn_pattern(p, fold_prefix=True, variables=variables))
        except PatternError as exc:
            raise InvalidArgument(f"`{p}`: {exc}") from None
    return out


_UNTYPED: Final = frozenset({"s3", "sqs", "sns"})  # resource parts without a `type/` prefix


def _name_start(service: str, resource: str) -> int:
    """Where the name begins in a resource part: after the resource type (``role/``,
    ``log-group:``), which AWS always spells the same way, so near misses leave it alone."""
    if service in _UNTYPED:
        return 0
    found = re.search(r"[/:]", resource)
    return found.end() if found else 0


def _flip_case_at(resource: str, start: int, ch: _Chooser) -> str | None:
    flippable = [
        i
        for i in range(start, len(resource))
        if resource[i].swapcase() != resource[i] and len(resource[i].swapcase()) == 1
    ]
    if not flippable:
        return None
    i = ch.pick(flippable)
    return resource[:i] + resource[i].swapcase() + resource[i + 1 :]


def _perturb_arn(arn: str, ch: _Chooser) -> str:
    """A near miss: the same ARN with one thing changed."""
    parts = arn.split(":", 5)
    how = ch.pick(("case", "char", "region", "account", "service", "drop"))
    resource = parts[5]
    start = _name_start(parts[2], resource)
    if how == "case":
        resource = _flip_case_at(resource, start, ch) or resource
    elif how == "char" and len(resource) > start:
        i = ch.integer(start, len(resource) - 1)
        resource = resource[:i] + ch.fill("char") + resource[i + 1 :]
    elif how == "drop" and len(resource) > start:
        i = ch.integer(start, len(resource) - 1)
        resource = resource[:i] + resource[i + 1 :]
    elif how == "region":
        parts[3] = ch.pick(_REGIONS)
    elif how == "account":
        parts[4] = ch.draw(_account)
    elif how == "service":
        parts[2] = ch.pick(_SERVICES)
    parts[5] = resource
    return ":".join(parts)


def arns(
    service: str | None = None,
    resource_type: str | None = None,
    *,
    matching: str | Sequence[str] | None = None,
    not_matching: str | Sequence[str] | None = None,
    partition: str = "aws",
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[str]:
    """Request ARNs, shaped like the service's real resources.

    Args:
        service: the service namespace (``s3``, ``iam``, ``logs``...); any known one if
            ``None``.
        resource_type: the resource type within the service (``bucket``/``object`` for s3,
            ``role``/``user``/``policy`` for iam, ``log-group``/``log-stream`` for logs,
            ``function`` for lambda, ``stream`` for kinesisvideo...).
        matching: a ``Resource`` pattern (or several): every draw matches one of them; its
            wildcards are filled with realistic text, segment by segment (the region and
            account wildcards stay within their segment; the last ``*`` of the resource part
            may become a path). Policy variables are not substituted.
        not_matching: a pattern (or several) no draw may match; near misses (one character,
            one letter's case, the region or account changed) are drawn on purpose.
        partition: the partition of drawn ARNs (when ``matching`` does not fix it).
        region: the region of drawn ARNs (for regional services).
        account: the account of drawn ARNs.

    Raises:
        InvalidArgument: an unknown resource type, a malformed pattern, or ``not_matching``
            containing ``*``.
    """
    _check_service(service)
    if resource_type is not None and (
        service is None or resource_type not in _RESOURCE_TYPES.get(service, {})
    ):
        known = ", ".join(f"{s}/{t}" for s, types in _RESOURCE_TYPES.items() for t in types)
        raise InvalidArgument(
            f"unknown resource type `{service}/{resource_type}`: known types are {known}"
        )
    including = _compile_resource_patterns(_as_patterns(matching, "matching"))
    excluding = _compile_resource_patterns(_as_patterns(not_matching, "not_matching"))
    if any(p.kind == "any" for p in excluding):
        raise InvalidArgument("every ARN matches `*`: `not_matching` cannot contain it")

    return _arns_drawn(
        service, resource_type, tuple(including), tuple(excluding), partition, region, account
    )


@st.composite
def _arns_drawn(
    draw: st.DrawFn,
    service: str | None,
    resource_type: str | None,
    including: tuple[ArnPattern, ...],
    excluding: tuple[ArnPattern, ...],
    partition: str,
    region: str | None,
    account: str | None,
) -> str:
    ch = _Chooser(draw)
    for _ in range(6):
        if including:
            pattern = ch.pick(including)
            if pattern.kind == "any":
                arn: str | None = _realistic_arn(
                    ch,
                    service,
                    resource_type,
                    partition=partition,
                    region=region,
                    account=account,
                )
            else:
                arn = _instantiate_arn(pattern, ch, service=service)
        elif excluding and ch.coin():
            near = _instantiate_arn(ch.pick(excluding), ch, service=service)
            arn = None if near is None else _perturb_arn(near, ch)
        else:
            arn = _realistic_arn(
                ch, service, resource_type, partition=partition, region=region, account=account
            )
        if arn is None:
            continue
        try:
            parse_arn(arn)
        except DrpolicyError:
            continue
        if including and not any(p.match(arn, {}) for p in including):
            continue
        if any(p.match(arn, {}) for p in excluding):
            continue
        return arn
    reject()


def _resource_types_for(action: str) -> tuple[str, ...] | None:
    """The resource types an action acts on; ``None`` when it takes no resource (``*``)."""
    service, _, name = action.partition(":")
    lname = name.lower()
    if service == "s3":
        if lname == "listallmybuckets":
            return None
        if "object" in lname or "multipart" in lname:
            return ("object",)
        return ("bucket",)
    if service == "iam":
        for word, kind in (("role", "role"), ("user", "user"), ("policy", "policy")):
            if word in lname:
                return (kind,)
    if service == "logs":
        if "logevents" in lname or "logstream" in lname:
            return ("log-stream",)
        return ("log-group",)
    if service == "sts" and lname in ("getcalleridentity", "getsessiontoken"):
        return None
    if service in ("ec2", "cloudwatch", "ecr") and lname.startswith(
        ("describe", "list", "getauth", "putmetric")
    ):
        return None
    types = _RESOURCE_TYPES.get(service)
    return tuple(types) if types else None


@st.composite
def _resource_for(draw: st.DrawFn, action: str) -> str:
    ch = _Chooser(draw)
    service = action.partition(":")[0]
    types = _resource_types_for(action)
    if types is None:
        return "*"  # the request resource of actions without resource-level permissions
    return _realistic_arn(ch, service, ch.pick(types))


def resources_for(action: str) -> st.SearchStrategy[str]:
    """Resources a request for ``action`` would name: an ARN of the resource type the action
    acts on (an object for ``s3:GetObject``, a role for ``iam:PassRole``, a log stream for
    ``logs:PutLogEvents``), or ``*`` for actions without resource-level permissions
    (``s3:ListAllMyBuckets``, ``ec2:DescribeVpcs``)."""
    if not isinstance(action, str) or action.count(":") != 1:
        raise InvalidArgument(f"`{action}` is not an action such as `s3:GetObject`")
    return _resource_for(action.lower().split(":")[0] + ":" + action.split(":")[1])


# --------------------------------------------------------------------------------------
# Context values
# --------------------------------------------------------------------------------------

_ipv4 = st.ip_addresses(v=4).map(str)
_ip = st.one_of(_ipv4, _ipv4, st.ip_addresses(v=6).map(str))
_iso_time = st.datetimes(
    min_value=datetime.datetime(2015, 1, 1), max_value=datetime.datetime(2035, 12, 31)
).map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
_epoch = st.integers(1_420_070_400, 2_082_758_399).map(str)
_bool_text = st.sampled_from(("true", "false"))
_tag_value = st.one_of(
    st.sampled_from(("true", "false", "True", "TRUE", "yes", "team-a", "ml", "prod")), _name
)
_small_number = st.integers(0, 100_000).map(str)

_KEY_VALUES: Final[Mapping[str, st.SearchStrategy[str]]] = {
    "aws:sourceip": _ip,
    "aws:vpcsourceip": _ip,
    "aws:currenttime": _iso_time,
    "aws:tokenissuetime": _iso_time,
    "aws:epochtime": _epoch,
    "aws:securetransport": _bool_text,
    "aws:multifactorauthpresent": _bool_text,
    "aws:viaawsservice": _bool_text,
    "aws:principalisawsservice": _bool_text,
    "aws:multifactorauthage": _small_number,
    "s3:max-keys": _small_number,
    "iam:passedtoservice": st.sampled_from(_SERVICE_PRINCIPALS),
    "iam:awsservicename": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:principalservicename": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledvia": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledviafirst": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledvialast": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:sourceaccount": _account,
    "aws:principalaccount": _account,
    "aws:resourceaccount": _account,
    "aws:requestedregion": st.sampled_from(_REGIONS),
    "aws:username": _joined("-_+=,.@"),
    "aws:userid": st.text(alphabet=_ALNUM, min_size=8, max_size=21),
    "s3:prefix": st.one_of(st.just(""), _path_text()),
    "s3:delimiter": st.just("/"),
    "aws:tagkeys": st.sampled_from(("team", "project", "env", "DeepRacer", "SageMaker")),
    "sts:externalid": _name,
    "aws:principaltype": st.sampled_from(("AssumedRole", "User", "Account", "FederatedUser")),
}
_TAG_PREFIXES: Final = (
    "aws:requesttag/",
    "aws:resourcetag/",
    "aws:principaltag/",
    "s3:existingobjecttag/",
    "s3:requestobjecttag/",
    "iam:resourcetag/",
)
_ARN_KEYS: Final = frozenset({"aws:sourcearn", "aws:principalarn", "aws:sourcevpcarn"})
_MULTI_KEYS: Final = frozenset({"aws:tagkeys", "aws:calledvia", "aws:principalservicenameslist"})


def context_values(key: str | None = None) -> st.SearchStrategy[str]:
    """Values of the right kind for a condition key: an IP address for ``aws:SourceIp``, an
    ISO 8601 time for ``aws:CurrentTime``, ``true``/``false`` for ``aws:SecureTransport``, a
    service principal for ``iam:PassedToService``, an ARN for ``aws:SourceArn``, a tag value
    for ``aws:PrincipalTag/...`` and ``s3:ExistingObjectTag/...``, a name otherwise.

    Args:
        key: the condition key (case-insensitive); ``None`` for any plausible string.
    """
    if key is None:
        return st.one_of(_name, _tag_value, _ip, _iso_time)
    low = key.lower()
    if low in _KEY_VALUES:
        return _KEY_VALUES[low]
    if low in _ARN_KEYS:
        return arns()
    if low.startswith(_TAG_PREFIXES):
        return _tag_value
    return st.one_of(_name, _tag_value)


_CONTEXT_KEYS: Final = (
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:RequestedRegion",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:PrincipalTag/team",
    "aws:RequestTag/project",
    "aws:ResourceTag/env",
    "aws:TagKeys",
    "aws:CalledVia",
    "iam:PassedToService",
    "s3:ExistingObjectTag/DeepRacer",
    "s3:ExistingObjectTag/SageMaker",
    "s3:prefix",
    "aws:username",
)


@st.composite
def _context_entry_value(draw: st.DrawFn, key: str) -> ContextValue:
    values = context_values(key)
    if key.lower() in _MULTI_KEYS:
        return draw(st.lists(values, min_size=0, max_size=3, unique=True))
    return draw(values)


def contexts(
    keys: Sequence[str] | None = None, *, max_size: int = 3
) -> st.SearchStrategy[dict[str, ContextValue]]:
    """Request contexts: a few condition keys with values of the right kind.

    Args:
        keys: the keys to draw from (each draw uses a subset); common global and service
            keys when ``None``.
        max_size: the most keys in one context.
    """
    pool = tuple(keys) if keys is not None else _CONTEXT_KEYS
    if len({k.lower() for k in pool}) != len(pool):
        raise InvalidArgument("context keys are case-insensitive: `keys` repeats one")

    return _contexts_drawn(pool, max_size)


@st.composite
def _contexts_drawn(
    draw: st.DrawFn, pool: tuple[str, ...], max_size: int
) -> dict[str, ContextValue]:
    chosen = draw(st.lists(st.sampled_from(pool), max_size=max_size, unique=True)) if pool else []
    return {k: draw(_context_entry_value(k)) for k in chosen}


def requests(
    service: str | None = None,
    *,
    action: st.SearchStrategy[str] | None = None,
    resource: Callable[[str], st.SearchStrategy[str]] | st.SearchStrategy[str] | None = None,
    context: st.SearchStrategy[dict[str, ContextValue]] | None = None,
) -> st.SearchStrategy[Request]:
    """Requests: an action, a resource it would act on, and a context.

    Args:
        service: only actions of this service (ignored when ``action`` is given).
        action: the strategy for actions (default :func:`actions`).
        resource: a strategy for resources, or a function from the drawn action to one
            (default :func:`resources_for`).
        context: a strategy for contexts (default: mostly empty, else :func:`contexts`).
    """
    action_st = action if action is not None else actions(service)
    context_st = context if context is not None else st.one_of(st.just({}), contexts())

    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        a = draw(action_st)
        if resource is None:
            r = draw(resources_for(a))
        elif isinstance(resource, st.SearchStrategy):
            r = draw(resource)
        else:
            r = draw(resource(a))
        return Request(a, r, dict(draw(context_st)))

    return draw_request()


# --------------------------------------------------------------------------------------
# Policies and statements
# --------------------------------------------------------------------------------------

_FAMILY_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "String": (
        "aws:PrincipalTag/team",
        "aws:RequestTag/project",
        "aws:ResourceTag/env",
        "s3:ExistingObjectTag/DeepRacer",
        "iam:PassedToService",
        "aws:username",
        "aws:RequestedRegion",
        "s3:prefix",
        "aws:TagKeys",
        "aws:CalledVia",
        "iam:AWSServiceName",
        "sts:ExternalId",
    ),
    "Numeric": ("aws:MultiFactorAuthAge", "s3:max-keys", "aws:EpochTime"),
    "Date": ("aws:CurrentTime", "aws:EpochTime", "aws:TokenIssueTime"),
    "Bool": ("aws:SecureTransport", "aws:MultiFactorAuthPresent", "aws:ViaAWSService"),
    "Binary": ("myapp:Signature",),
    "IpAddress": ("aws:SourceIp", "aws:VpcSourceIp"),
    "Arn": ("aws:SourceArn", "aws:PrincipalArn"),
    "Null": (
        "aws:PrincipalTag/team",
        "aws:SourceIp",
        "aws:MultiFactorAuthAge",
        "aws:TokenIssueTime",
        "s3:ExistingObjectTag/DeepRacer",
    ),
}
_FAMILY_OF: Final[Mapping[str, str]] = {
    "StringEquals": "String",
    "StringEqualsIgnoreCase": "String",
    "StringLike": "String",
    "NumericEquals": "Numeric",
    "NumericLessThan": "Numeric",
    "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric",
    "NumericGreaterThanEquals": "Numeric",
    "DateEquals": "Date",
    "DateLessThan": "Date",
    "DateLessThanEquals": "Date",
    "DateGreaterThan": "Date",
    "DateGreaterThanEquals": "Date",
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "IpAddress",
    "ArnLike": "Arn",
    "Null": "Null",
}
_OPERATOR_NAMES: Final = tuple(op.name for op in OPERATORS.values())
_VARIABLES: Final = ("${aws:username}", "${aws:PrincipalTag/team}", "${aws:userid, 'nobody'}")


def _family(operator_name: str) -> str:
    return _FAMILY_OF[OPERATORS[operator_name.lower()].family]


def _network(address: Any, prefix: int) -> str:
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_POLICY_VALUES: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "Numeric": st.one_of(
        st.integers(-5, 100_000),
        st.integers(0, 3600).map(str),
        st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False).map(str),
    ),
    "Date": st.one_of(
        _iso_time,
        _epoch,
        _iso_time.map(lambda t: t[:10]),
        _iso_time.map(lambda t: t[:-1] + "+02:00"),
    ),
    "Bool": st.sampled_from(("true", "false", True, False, "True")),
    "Null": st.sampled_from(("true", "false", True, False, "True")),
    "Binary": st.binary(min_size=1, max_size=12).map(lambda b: base64.b64encode(b).decode("ascii")),
    "IpAddress": st.one_of(
        st.ip_addresses(v=4).map(str),
        st.builds(_network, st.ip_addresses(v=4), st.integers(8, 32)),
        st.builds(_network, st.ip_addresses(v=6), st.integers(16, 128)),
    ),
}


@st.composite
def _policy_value(draw: st.DrawFn, operator: str, key: str, variables: bool) -> Any:
    """One valid policy value for ``operator`` (a JSON string, number or boolean)."""
    base = OPERATORS[operator.lower()]
    family = _FAMILY_OF[base.family]
    if family == "String":
        if variables and draw(st.integers(0, 4)) == 0:
            return draw(st.sampled_from(_VARIABLES))
        value = draw(context_values(key))
        if base.family == "StringLike" and value and draw(st.booleans()):
            i = draw(st.integers(0, len(value)))
            value = value[:i] + draw(st.sampled_from("*?")) + value[i:]
        return value
    if family == "Arn":
        if variables and draw(st.integers(0, 4)) == 0:
            return "arn:aws:iam::*:role/${aws:username}"
        return draw(_ARN_VALUES)
    return draw(_POLICY_VALUES[family])


@st.composite
def _operator_name(draw: st.DrawFn, families: tuple[str, ...] | None) -> str:
    names = [n for n in _OPERATOR_NAMES if families is None or _family(n) in families]
    if not names:
        raise InvalidArgument(f"no operator in families {families}")
    base = draw(st.sampled_from(names))
    qualifier = draw(st.sampled_from(("", "", "", "ForAllValues:", "ForAnyValue:")))
    if_exists = base != "Null" and draw(st.integers(0, 3)) == 0
    return qualifier + base + ("IfExists" if if_exists else "")


def conditions(
    *, families: Sequence[str] | None = None, variables: bool = False, max_operators: int = 2
) -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """Valid ``Condition`` blocks: operators of every family (with ``IfExists`` and the
    ``ForAllValues:``/``ForAnyValue:`` qualifiers), keys of the right kind, and values that
    parse for the operator (JSON numbers and booleans included).

    Args:
        families: restrict to these families: ``String``, ``Numeric``, ``Date``, ``Bool``,
            ``Binary``, ``IpAddress``, ``Arn``, ``Null``.
        variables: allow policy variables (``${aws:username}``) in String and Arn values (the
            policy must then have Version ``2012-10-17``).
        max_operators: the most operators in one block.
    """
    fams = tuple(families) if families is not None else None
    if fams is not None:
        unknown = set(fams) - set(_FAMILY_KEYS)
        if unknown:
            raise InvalidArgument(f"unknown condition families {sorted(unknown)}")

    return _condition_block(fams, variables, max_operators)


@st.composite
def _condition_block(
    draw: st.DrawFn, fams: tuple[str, ...] | None, variables: bool, max_operators: int
) -> dict[str, dict[str, Any]]:
    ops = draw(st.lists(_operator_name(fams), min_size=1, max_size=max_operators, unique=True))
    block: dict[str, dict[str, Any]] = {}
    for op in ops:
        base = op.split(":")[-1].removesuffix("IfExists")
        keys = draw(
            st.lists(
                st.sampled_from(_FAMILY_KEYS[_family(base)]),
                min_size=1,
                max_size=2,
                unique_by=str.lower,
            )
        )
        entry: dict[str, Any] = {}
        for key in keys:
            n = draw(st.integers(0, 12))
            if n == 0:
                entry[key] = []  # accepted; matches only an absent key (S4)
            elif n < 7:
                entry[key] = draw(_policy_value(base, key, variables))
            else:
                entry[key] = draw(
                    st.lists(_policy_value(base, key, variables), min_size=1, max_size=3)
                )
        block[op] = entry
    return block


@st.composite
def _action_pattern(draw: st.DrawFn, services: tuple[str, ...] | None) -> str:
    ch = _Chooser(draw)
    svc = ch.pick(services if services else _SERVICES)
    name = ch.pick(_ACTIONS.get(svc, ("Get" + ch.pick(_NOUNS),)))
    how = draw(st.integers(0, 9))
    if how == 0 and not services:
        return "*"
    if how == 1:
        return f"{svc}:*"
    if how == 2:
        i = draw(st.integers(1, len(name)))
        return f"{svc}:{name[:i]}*"
    if how == 3:
        i = draw(st.integers(0, len(name) - 1))
        return f"{svc}:{name[:i]}?{name[i + 1 :]}"
    if how == 4:
        return draw(case_variants(f"{svc}:{name}"))
    return f"{svc}:{name}"


@st.composite
def _resource_pattern(
    draw: st.DrawFn, services: tuple[str, ...] | None = None, variables: bool = False
) -> str:
    ch = _Chooser(draw)
    how = draw(st.integers(0, 11))
    if how == 0:
        return "*"
    arn = _realistic_arn(ch, ch.pick(services) if services else None)
    parts = arn.split(":", 5)
    if how == 1:
        return ":".join(parts[:5]) + ":*"
    if how == 2 and parts[5]:
        i = draw(st.integers(0, len(parts[5])))
        return ":".join(parts[:5]) + ":" + parts[5][:i] + "*"
    if how == 3:
        parts[3] = "*" if parts[3] else parts[3]
        parts[4] = "*" if parts[4] else parts[4]
        return ":".join(parts)
    if how == 4 and parts[5]:
        i = draw(st.integers(0, len(parts[5]) - 1))
        return ":".join(parts[:5]) + ":" + parts[5][:i] + "?" + parts[5][i + 1 :]
    if how == 5:
        return f"arn:aws:{parts[2]}*"  # a short pattern: padded with `*` fields
    if how == 6 and variables:
        return ":".join(parts[:5]) + ":" + parts[5].rsplit("/", 1)[0] + "/${aws:username}/*"
    return arn


_ARN_VALUES: Final = st.one_of(arns(), _resource_pattern())


@st.composite
def _principal(draw: st.DrawFn, trust: bool) -> Any:
    how = draw(st.integers(0, 4))
    if how == 0 and not trust:
        return "*"
    if how <= 1:
        return {"Service": draw(st.sampled_from(_SERVICE_PRINCIPALS))}
    account = draw(_account)
    if how == 2:
        return {"AWS": account}
    if how == 3:
        return {"AWS": f"arn:aws:iam::{account}:role{draw(_role_path)}{draw(_role_name)}"}
    return {"AWS": [f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:user/{draw(_name)}"]}


def _one_or_list(draw: st.DrawFn, items: list[Any]) -> Any:
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return items


@st.composite
def _statement(
    draw: st.DrawFn,
    effect: str | None,
    policy_type: str,
    services: tuple[str, ...] | None,
    with_conditions: bool,
    not_elements: bool,
    variables: bool,
    sid: str | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sid is not None:
        out["Sid"] = sid
    out["Effect"] = effect if effect is not None else draw(st.sampled_from(("Allow", "Deny")))
    if policy_type in ("resource", "trust"):
        out["Principal"] = draw(_principal(policy_type == "trust"))
    if policy_type == "trust":
        out["Action"] = _one_or_list(
            draw,
            draw(
                st.lists(
                    st.sampled_from(
                        ("sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithWebIdentity")
                    ),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            ),
        )
    else:
        key = "NotAction" if not_elements and draw(st.integers(0, 5)) == 0 else "Action"
        out[key] = _one_or_list(
            draw, draw(st.lists(_action_pattern(services), min_size=1, max_size=3))
        )
        rkey = "NotResource" if not_elements and draw(st.integers(0, 5)) == 0 else "Resource"
        out[rkey] = _one_or_list(
            draw, draw(st.lists(_resource_pattern(services, variables), min_size=1, max_size=3))
        )
    if with_conditions and draw(st.integers(0, 2)) == 0:
        out["Condition"] = draw(_condition_block(None, variables, 2))
    return out


_POLICY_TYPES: Final = (
    "identity",
    "permission_boundary",
    "session",
    "scp",
    "resource",
    "rcp",
    "trust",
)


def _check_policy_type(policy_type: str) -> str:
    if policy_type not in _POLICY_TYPES:
        raise InvalidArgument(f"`policy_type` must be one of {', '.join(_POLICY_TYPES)}")
    return (
        "resource"
        if policy_type == "rcp"
        else (
            "trust"
            if policy_type == "trust"
            else "resource"
            if policy_type == "resource"
            else "identity"
        )
    )


def statements(
    *,
    effect: str | None = None,
    policy_type: str = "identity",
    services: Sequence[str] | None = None,
    conditions: bool = True,
    not_elements: bool = True,
    variables: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid policy statements, as JSON mappings: Allow or Deny; Action or NotAction with
    literal and wildcard patterns (``s3:Get*``, ``s3:?etObject``, ``*``, any case); Resource or
    NotResource with exact, wildcard and short ARN patterns; sometimes a Condition block.

    Args:
        effect: ``"Allow"`` or ``"Deny"`` only.
        policy_type: ``identity`` (also fine as a boundary, session policy or SCP),
            ``resource`` (adds a Principal) or ``trust`` (a Principal, STS actions, no
            Resource).
        services: only these service prefixes in actions and resources.
        conditions: sometimes add a Condition block.
        not_elements: sometimes use NotAction / NotResource.
        variables: allow policy variables (the policy must have Version ``2012-10-17``).
    """
    kind = _check_policy_type(policy_type)
    if effect not in (None, "Allow", "Deny"):
        raise InvalidArgument("`effect` must be `Allow`, `Deny` or None")
    svcs = tuple(services) if services is not None else None
    for s in svcs or ():
        _check_service(s)
    return _statement(effect, kind, svcs, conditions, not_elements, variables, None)


def policies(
    *,
    policy_type: str = "identity",
    min_statements: int = 1,
    max_statements: int = 4,
    effect: str | None = None,
    services: Sequence[str] | None = None,
    conditions: bool = True,
    not_elements: bool = True,
    variables: bool | None = None,
    version: str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole valid policy documents (JSON mappings) that :func:`drpolicy.load_policy` accepts
    for ``policy_type``.

    The JSON shapes vary the way real documents do: ``Statement`` as an object or a list,
    single elements as strings or lists, ``Sid`` present or not, ``Version`` 2012-10-17,
    2008-10-17 or absent (policy variables only under 2012-10-17).

    Args:
        policy_type: see :func:`statements`.
        min_statements: the fewest statements.
        max_statements: the most statements.
        effect: only this effect.
        services: only these service prefixes.
        conditions: sometimes add Condition blocks.
        not_elements: sometimes use NotAction / NotResource.
        variables: use policy variables (``None``: sometimes, when the version allows).
        version: the ``Version`` (``None``: any of the three forms).
    """
    if version not in (None, "2012-10-17", "2008-10-17"):
        raise InvalidArgument("`version` must be `2012-10-17`, `2008-10-17` or None")
    if variables and version == "2008-10-17":
        raise InvalidArgument("policy variables need Version 2012-10-17")
    if not 0 < min_statements <= max_statements:
        raise InvalidArgument("need 0 < min_statements <= max_statements")
    kind = _check_policy_type(policy_type)
    svcs = tuple(services) if services is not None else None
    for s in svcs or ():
        _check_service(s)

    @st.composite
    def draw_policy(draw: st.DrawFn) -> dict[str, Any]:
        ver = (
            version
            if version is not None
            else draw(
                st.sampled_from(("2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17", None))
            )
        )
        use_vars = ver == "2012-10-17" and (
            variables if variables is not None else draw(st.booleans())
        )
        n = draw(st.integers(min_statements, max_statements))
        sids = draw(
            st.lists(
                st.one_of(st.none(), st.text(alphabet=_ALNUM, min_size=1, max_size=10)),
                min_size=n,
                max_size=n,
                unique_by=lambda s: object() if s is None else s,
            )
        )
        stmts = [
            draw(_statement(effect, kind, svcs, conditions, not_elements, use_vars, sid))
            for sid in sids
        ]
        doc: dict[str, Any] = {}
        if ver is not None:
            doc["Version"] = ver
        doc["Statement"] = stmts[0] if len(stmts) == 1 and draw(st.booleans()) else stmts
        return doc

    return draw_policy()


# --------------------------------------------------------------------------------------
# Requests a role allows or denies, by construction
# --------------------------------------------------------------------------------------

_ABSENT: Final = object()


class _Subject:
    """What the constructive strategies need to know about a role (or a loaded user)."""

    def __init__(self, role: Any) -> None:
        if isinstance(role, str):
            from drpolicy._api import role as resolve

            try:
                role = resolve(role)
            except DrpolicyError as exc:
                raise InvalidArgument(str(exc)) from None
        identity = getattr(role, "_identity", None)
        if not isinstance(identity, PolicyIndex) or not callable(
            getattr(role, "context_for", None)
        ):
            raise InvalidArgument(
                f"expected a catalog role name or a drpolicy.Role, not {type(role).__name__}"
            )
        boundary = getattr(role, "_boundary", None)
        self.role = role
        self.name: str = getattr(role, "name", repr(role))
        self.identity = identity.statements
        self.boundary = boundary.statements if isinstance(boundary, PolicyIndex) else None
        self.base: Mapping[str, tuple[str, ...]] = role.context_for(None)
        self.denies = tuple(s for s in (*self.identity, *(self.boundary or ())) if s.deny)
        self.allows_stmts = tuple(s for s in (*self.identity, *(self.boundary or ())) if not s.deny)

    def allows(self, r: Request) -> bool:
        try:
            return bool(self.role.is_allowed(r.action, r.resource, r.context))
        except DrpolicyError:
            return False

    def decision(self, r: Request) -> str:
        try:
            return str(self.role.evaluate(r.action, r.resource, r.context).decision)
        except DrpolicyError:
            return "error"


class _Plan:
    """One way to construct a request: statements that must all apply (an identity Allow and,
    with a boundary, a boundary Allow; or one Deny), whose conditions must all hold."""

    __slots__ = ("clauses", "stmts")

    def __init__(self, stmts: tuple[Any, ...]) -> None:
        self.stmts = stmts
        self.clauses: tuple[CompiledCondition, ...] = tuple(c for s in stmts for c in s.conditions)


def _usable_action_patterns(stmt: Any, service: str | None) -> list[ActionPattern]:
    if stmt.actions is None:
        return []
    return [
        p
        for p in stmt.actions.patterns
        if _plausible_action_pattern(p)
        and (service is None or p.lowered == "*" or _glob_matches(p.service, service, segment=True))
    ]


def _fixed_actions(stmt: Any, service: str | None) -> list[str]:
    """Deterministic sample actions a statement applies to (for pruning plans)."""
    out = []
    for p in _usable_action_patterns(stmt, service):
        svc = service or (p.service.replace("*", "").replace("?", "a") or "s3")
        name = p.name.replace("*", "").replace("?", "a") or "getobject"
        out.append(f"{svc}:{name}")
    vocab = [
        f"{s}:{n}".lower()
        for s, names in _ACTIONS.items()
        for n in names
        if service is None or s == service
    ]
    out.extend(a for a in vocab[:: max(1, len(vocab) // 40)] if stmt.action_applies(a))
    return [a for a in out if stmt.action_applies(a.lower())]


def _value_instance(c: CompiledCondition, value: Any, ch: _Chooser) -> str | None:
    """A request value near policy value ``value`` of condition ``c``: equal to it, inside
    it (a glob or CIDR instantiated), or a small step away (numbers, dates)."""
    if value.template is not None:
        return None
    family = c.spec.operator.family
    source: str = value.source
    parsed = value.parsed
    if family == "StringEquals":
        return source
    if family == "StringEqualsIgnoreCase":
        return ch.draw(case_variants(source))
    if family == "StringLike":
        if "${" in source:
            return None
        return _fill_glob(source, ch, "value")
    if family.startswith("Numeric"):
        number = ch.pick((Decimal(0), Decimal(1), Decimal("0.5"), Decimal(ch.integer(1, 10**6))))
        return str(parsed + number if ch.coin() else parsed - number)
    if family.startswith("Date"):
        base = parsed if isinstance(parsed, Decimal) else Decimal(repr(parsed))
        seconds = Decimal(ch.pick((0, 1, 86400, ch.integer(1, 10**8))))
        moment = base + seconds if ch.coin() else base - seconds
        if moment >= 0 and ch.coin():
            return _epoch_text(moment)
        return _iso_text(moment)
    if family == "Bool":
        return ch.draw(case_variants(str(parsed)))
    if family == "BinaryEquals":
        return source
    if family == "IpAddress":
        net = parsed
        offset = ch.integer(0, net.num_addresses - 1)
        return str(net.network_address + offset)
    if family == "ArnLike":
        return _instantiate_arn(parsed, ch) if isinstance(parsed, ArnPattern) else None
    return ch.draw(context_values(c.key_written))  # Null: any value makes the key present


def _epoch_text(moment: Decimal) -> str:
    """Epoch seconds as text the Date operators read back exactly (no exponent)."""
    return format(moment.normalize(), "f")


def _iso_text(moment: Decimal) -> str | None:
    """An ISO 8601 UTC date-time for ``moment`` (fractions kept exactly), or ``None`` when
    the year is out of range."""
    whole = int(moment.to_integral_value(rounding=ROUND_FLOOR))
    fraction = moment - whole
    try:
        when = datetime.datetime.fromtimestamp(whole, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    digits = format(fraction.normalize(), "f")[2:] if fraction else ""
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"


def _fixed_instances(c: CompiledCondition) -> list[str]:
    """Deterministic request values around each policy value (for pruning plans)."""
    family = c.spec.operator.family
    out: list[str] = ["x", "true", "false", "0"]
    for v in c.values:
        if v.template is not None:
            continue
        p = v.parsed
        if family in ("StringEquals", "BinaryEquals"):
            out.append(v.source)
        elif family == "StringEqualsIgnoreCase":
            out.extend((v.source, v.source.lower()))
        elif family == "StringLike":
            out.extend(
                (
                    v.source.replace("*", "").replace("?", "a"),
                    v.source.replace("*", "x").replace("?", "a"),
                )
            )
        elif family.startswith("Numeric"):
            out.extend(str(p + d) for d in (0, 1, -1))
        elif family.startswith("Date"):
            base = p if isinstance(p, Decimal) else Decimal(repr(p))
            out.extend(_epoch_text(base + d) for d in (0, 1, -1) if base + d >= 0)
        elif family == "Bool":
            out.append(str(p))
        elif family == "IpAddress":
            out.append(str(p.network_address))
        elif family == "ArnLike" and isinstance(p, ArnPattern):
            out.append(":".join(s.replace("*", "x").replace("?", "x") for s in p.segments))
    return out


def _holds(c: CompiledCondition, ctx: Mapping[str, tuple[str, ...]]) -> bool | None:
    """The clause's verdict; ``None`` when it errors."""
    try:
        return bool(c(ctx))
    except ConditionEvaluationError:
        return None


def _key_ok(
    hold: Sequence[CompiledCondition],
    fail: Sequence[CompiledCondition],
    ctx: Mapping[str, tuple[str, ...]],
) -> bool:
    return all(_holds(c, ctx) is True for c in hold) and all(_holds(c, ctx) is False for c in fail)


def _feasible(plan: _Plan, base: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether each condition key of the plan has a value (or absence) satisfying every
    clause on it, among a few deterministic candidates."""
    by_key: dict[str, list[CompiledCondition]] = {}
    for c in plan.clauses:
        if any(
            isinstance(p, Var) and p.key not in base for v in c.values for p in v.template or ()
        ):
            return False  # values with variables we would have to invent: not supported
        by_key.setdefault(c.key, []).append(c)
    for key, clauses in by_key.items():
        if key in base:
            if not _key_ok(clauses, (), base):
                return False
            continue
        candidates: list[tuple[str, ...]] = [()]
        singles = [x for c in clauses for x in _fixed_instances(c)]
        candidates += [(x,) for x in singles]
        if any(c.spec.qualifier for c in clauses):
            candidates += [(a, b) for a in singles[:6] for b in singles[:6] if a != b]
        if not any(
            _key_ok(clauses, (), {**base, key: cand} if cand else base) for cand in candidates
        ):
            return False
    return True


def _plans(subject: _Subject, *, deny: bool, service: str | None) -> list[_Plan]:
    firsts = [s for s in subject.identity if s.deny == deny]
    if deny and subject.boundary:
        firsts += [s for s in subject.boundary if s.deny]
    out: list[_Plan] = []
    for s in firsts:
        if s.actions is not None and not _usable_action_patterns(s, service):
            continue
        if deny or subject.boundary is None:
            plan = _Plan((s,))
            if _feasible(plan, subject.base):
                out.append(plan)
            continue
        samples = _fixed_actions(s, service)
        for b in subject.boundary:
            if b.deny:
                continue
            if not any(
                b.action_applies(a.lower())
                for a in samples + _fixed_actions(b, service)
                if s.action_applies(a.lower())
            ):
                continue
            plan = _Plan((s, b))
            if _feasible(plan, subject.base):
                out.append(plan)
    return out


def _draw_action(plan: _Plan, ch: _Chooser, service: str | None) -> str:
    drivers = [s for s in plan.stmts if s.actions is not None]
    for _ in range(5):
        if drivers:
            stmt = ch.pick(drivers)
            patterns = _usable_action_patterns(stmt, service)
            if not patterns:
                reject()
            action = _instantiate_action(ch.pick(patterns), ch, service)
        else:
            action = _vocabulary_action(ch, service)
        if action is not None and all(s.action_applies(action.lower()) for s in plan.stmts):
            return action
    reject()


def _resource_applies(stmt: Any, resource: str, ctx: Mapping[str, tuple[str, ...]]) -> bool | None:
    try:
        return bool(stmt.resource_applies(resource, ctx))
    except ConditionEvaluationError:
        return None


def _draw_resource(
    plan: _Plan, action: str, ch: _Chooser, subject: _Subject
) -> tuple[str, dict[str, str]]:
    """A resource every statement of the plan applies to, and the context values its policy
    variables took."""
    drivers = [s for s in plan.stmts if s.patterns is not None]
    service = action.split(":")[0]
    for _ in range(5):
        drawn: dict[str, tuple[str, str]] = {}  # lower-cased key -> (key as written, value)

        def variable(var: Var, drawn: dict[str, tuple[str, str]] = drawn) -> str:
            if var.key in subject.base and len(subject.base[var.key]) == 1:
                return subject.base[var.key][0]
            if var.key in drawn:
                return drawn[var.key][1]
            if var.default is not None and ch.coin():
                return var.default
            value = ch.draw(_joined("-_"))
            drawn[var.key] = (var.written, value)
            return value

        resource: str | None
        if drivers:
            stmt = ch.pick(drivers)
            pattern = ch.pick(stmt.patterns)
            if pattern.kind == "any":
                resource = ch.draw(resources_for(action))
            else:
                resource = _instantiate_arn(pattern, ch, variable=variable, service=service)
        else:
            resource = ch.draw(resources_for(action))
        if resource is None:
            continue
        variables = dict(drawn.values())
        ctx = {**subject.base, **normalise_context(variables)}
        if all(_resource_applies(s, resource, ctx) for s in plan.stmts):
            return resource, variables
    reject()


def _solve_key(
    ch: _Chooser,
    written: str,
    hold: Sequence[CompiledCondition],
    fail: Sequence[CompiledCondition],
    ctx: dict[str, tuple[str, ...]],
) -> Any:
    """A value for one context key (``_ABSENT``, a string or a list) that makes every
    ``hold`` clause true and every ``fail`` clause false."""
    key = written.lower()
    clauses = [*hold, *fail]
    multi = any(c.spec.qualifier for c in clauses)

    def candidate_value() -> str | None:
        c = ch.pick(clauses)
        if c.values and ch.integer(0, 3) != 0:
            return _value_instance(c, ch.pick(c.values), ch)
        return ch.draw(context_values(written))

    for _ in range(8):
        shape = ch.integer(0, 2 if multi else 1)
        if shape == 0:
            value: Any = _ABSENT
            trial = {k: v for k, v in ctx.items() if k != key}
        else:
            n = 1 if shape == 1 else ch.integer(1, 3)
            vals = [candidate_value() for _ in range(n)]
            if any(v is None for v in vals):
                continue
            strs = [v for v in vals if v is not None]
            value = strs[0] if shape == 1 else strs
            trial = {**ctx, key: tuple(strs)}
        if _key_ok(hold, fail, trial):
            return value
    reject()


def _solve_context(
    ch: _Chooser,
    subject: _Subject,
    plan: _Plan,
    action: str,
    resource: str,
    variables: dict[str, str],
    *,
    avoid_denies: bool,
) -> dict[str, ContextValue]:
    fixed = {**subject.base, **normalise_context(variables)}
    hold: dict[str, list[CompiledCondition]] = {}
    fail: dict[str, list[CompiledCondition]] = {}
    written: dict[str, str] = {}
    for c in plan.clauses:
        hold.setdefault(c.key, []).append(c)
        written.setdefault(c.key, c.key_written)
    if avoid_denies:
        low = action.lower()
        for d in subject.denies:
            if not d.action_applies(low):
                continue
            applies = _resource_applies(d, resource, fixed)
            if applies is False:
                continue
            if applies is None or not d.conditions:
                reject()  # an unconditional (or erroring) Deny covers this request
            # the Deny is already off if a clause on a fixed key is false
            if any(c.key in fixed and _holds(c, fixed) is False for c in d.conditions):
                continue
            free = [c for c in d.conditions if c.key not in fixed]
            if not free:
                reject()
            c = ch.pick(free)
            fail.setdefault(c.key, []).append(c)
            written.setdefault(c.key, c.key_written)
    ctx: dict[str, tuple[str, ...]] = dict(fixed)
    out: dict[str, ContextValue] = dict(variables)

    def uses_variables(k: str) -> bool:
        return any(
            isinstance(p, Var)
            for c in [*hold.get(k, []), *fail.get(k, [])]
            for v in c.values
            for p in v.template or ()
        )

    for key in sorted(written, key=uses_variables):
        h, f = hold.get(key, []), fail.get(key, [])
        if key in fixed:
            if not _key_ok(h, f, ctx):
                reject()
            continue
        value = _solve_key(ch, written[key], h, f, ctx)
        if value is _ABSENT:
            continue
        out[written[key]] = value
        ctx[key] = (value,) if isinstance(value, str) else tuple(value)
    return out


def _constructed(
    subject: _Subject,
    plans: list[_Plan],
    service: str | None,
    *,
    avoid_denies: bool,
    accept: Callable[[Request], bool],
) -> st.SearchStrategy[Request]:
    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        ch = _Chooser(draw)
        plan = ch.pick(plans)
        action = _draw_action(plan, ch, service)
        resource, variables = _draw_resource(plan, action, ch, subject)
        context = _solve_context(
            ch, subject, plan, action, resource, variables, avoid_denies=avoid_denies
        )
        request = Request(action, resource, context)
        # INVARIANT: the construction makes this hold nearly always; the engine has the
        # last word, so a draw is never mislabelled.
        assume(accept(request))
        return request

    return draw_request()


def requests_allowed_by(role: Any, *, service: str | None = None) -> st.SearchStrategy[Request]:
    """Requests ``role`` allows, constructed from its compiled statements.

    Each draw picks an Allow statement (paired with an Allow of the permissions boundary, if
    the role has one), instantiates one of its action patterns and one of its resource
    patterns (``*`` becomes a realistic resource for the action; policy variables get context
    values), and solves its conditions for a context: every operator family by construction
    (values equal to, inside, or a step away from the policy's), ``IfExists``, the set
    qualifiers and ``Null``. Deny statements that would apply get a context value that turns
    one of their conditions off. Statements whose conditions cannot be met (or use policy
    variables whose values the request would have to invent) are skipped.

    Args:
        role: a catalog role name or alias, a :class:`drpolicy.Role`, or a principal of a
            loaded account.
        service: only actions of this service.

    Raises:
        InvalidArgument: the role allows nothing these strategies can construct.
    """
    _check_service(service)
    subject = _Subject(role)
    plans = _plans(subject, deny=False, service=service)
    if not plans:
        raise InvalidArgument(
            f"`{subject.name}` allows no request that can be constructed"
            + (f" for service `{service}`" if service else "")
        )
    return _constructed(subject, plans, service, avoid_denies=True, accept=subject.allows)


def _perturbations(request: Request) -> list[str]:
    out = ["other-service", "other-action", "other-resource"]
    resource_part = request.resource.split(":", 5)[-1]
    if request.resource != "*":
        if any(c.swapcase() != c for c in resource_part):
            out.append("resource-case")
        out += ["resource-char", "account", "region"]
        if ":iam::" in request.resource and resource_part.startswith("role/"):
            out.append("role-path")
    if request.context:
        out += ["drop-key", "change-value"]
    return out


def _flip_case_in_literal(resource: str, subject: _Subject, ch: _Chooser) -> str | None:
    """Flip the case of a letter of ``resource`` that a literal part of an Allow pattern
    matching it pinned down (the ``DeepRacer`` of ``arn:aws:s3:::*DeepRacer*``): the change
    IAM's case-sensitive resource matching cares about."""
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return None
    part = parts[5]
    spans: list[tuple[int, int]] = []
    for s in subject.allows_stmts:
        for p in s.patterns or ():
            if p.kind in ("any", "template") or not p.match(resource, subject.base):
                continue
            for token in _glob_tokens(p.segments[5]):
                if token in "*?" or token.lower() == token.upper():
                    continue
                start = part.find(token)
                while start >= 0:
                    spans.append((start, start + len(token)))
                    start = part.find(token, start + 1)
    positions = sorted(
        {
            i
            for a, b in spans
            for i in range(a, b)
            if part[i].swapcase() != part[i] and len(part[i].swapcase()) == 1
        }
    )
    if not positions:
        return None
    i = ch.pick(positions)
    return ":".join([*parts[:5], part[:i] + part[i].swapcase() + part[i + 1 :]])


def _perturb(request: Request, how: str, ch: _Chooser, subject: _Subject) -> Request:
    action, resource, context = request
    service, _, name = action.partition(":")
    if how == "other-service":
        other = ch.pick([s for s in _SERVICES if s != service])
        same_name = [n for n in _ACTIONS[other] if n.lower() == name.lower()]
        action = f"{other}:{same_name[0]}" if same_name else _vocabulary_action(ch, other)
    elif how == "other-action":
        action = _vocabulary_action(ch, service)
    elif how == "other-resource":
        resource = ch.draw(st.one_of(resources_for(action), arns()))
    elif how in ("resource-case", "resource-char", "account", "region"):
        parts = resource.split(":", 5)
        if how == "resource-case":
            flipped = _flip_case_in_literal(resource, subject, ch) if ch.coin() else None
            if flipped is not None:
                return Request(action, flipped, context)
            start = _name_start(parts[2], parts[5])
            parts[5] = (
                _flip_case_at(parts[5], start, ch) or _flip_case_at(parts[5], 0, ch) or parts[5]
            )
        elif how == "resource-char" and parts[5]:
            i = ch.integer(_name_start(parts[2], parts[5]) % len(parts[5]), len(parts[5]) - 1)
            parts[5] = parts[5][:i] + ch.fill("char") + parts[5][i + 1 :]
        elif how == "account":
            parts[4] = ch.draw(_account)
        elif how == "region":
            parts[3] = ch.pick(_REGIONS)
        resource = ":".join(parts)
    elif how == "role-path":
        parts = resource.split(":", 5)
        role_name = parts[5].rsplit("/", 1)[-1]
        parts[5] = (
            "role"
            + ch.pick(("/", "/service-role/", "/other/", "/service-role/nested/"))
            + role_name
        )
        resource = ":".join(parts)
    elif how == "drop-key":
        context = dict(context)
        del context[ch.pick(sorted(context))]
    elif how == "change-value":
        context = dict(context)
        key = ch.pick(sorted(context))
        context[key] = ch.draw(context_values(key))
    return Request(action, resource, context)


def requests_denied_by(
    role: Any, *, service: str | None = None, explicit: bool | None = None
) -> st.SearchStrategy[Request]:
    """Requests ``role`` does not allow.

    Three constructions, mixed: an allowed request (from :func:`requests_allowed_by`) changed
    in one of the ways that matter to IAM (the case of a letter of the resource, the role's
    path in a PassRole ARN, a context value changed or dropped, such as a wrong
    ``iam:PassedToService`` or a missing tag, another service or action, another account,
    region or resource); a request outside every Allow statement's action or resource
    patterns; and a request built to match one of the role's Deny statements.

    Args:
        role: a catalog role name or alias, a :class:`drpolicy.Role`, or a principal of a
            loaded account.
        service: only actions of this service (perturbations may still change the service).
        explicit: ``True``: only requests an explicit Deny refuses; ``False``: only implicit
            denials; ``None``: both.

    Raises:
        InvalidArgument: ``explicit=True`` and the role has no constructible Deny statement.
    """
    _check_service(service)
    subject = _Subject(role)
    wanted: tuple[str, ...] = (
        ("ExplicitlyDenied",)
        if explicit is True
        else ("ImplicitlyDenied",)
        if explicit is False
        else ("ExplicitlyDenied", "ImplicitlyDenied")
    )

    def accept(r: Request) -> bool:
        return subject.decision(r) in wanted

    parts: list[st.SearchStrategy[Request]] = []
    deny_plans = _plans(subject, deny=True, service=service)
    if deny_plans:
        parts.append(_constructed(subject, deny_plans, service, avoid_denies=False, accept=accept))
    elif explicit is True:
        raise InvalidArgument(f"`{subject.name}` has no Deny statement to construct requests from")
    if explicit is not True:
        allow_plans = _plans(subject, deny=False, service=None)
        if allow_plans:
            allowed = _constructed(
                subject, allow_plans, None, avoid_denies=True, accept=subject.allows
            )

            @st.composite
            def perturbed(draw: st.DrawFn) -> Request:
                ch = _Chooser(draw)
                base = draw(allowed)
                for _ in range(5):
                    candidate = _perturb(base, ch.pick(_perturbations(base)), ch, subject)
                    if (service is None or candidate.action.startswith(service + ":")) and accept(
                        candidate
                    ):
                        return candidate
                reject()

            parts += [perturbed(), perturbed()]
        allow_stmts = subject.allows_stmts

        @st.composite
        def outside(draw: st.DrawFn) -> Request:
            ch = _Chooser(draw)
            for _ in range(5):
                action = _vocabulary_action(ch, service)
                low = action.lower()
                applicable = [s for s in allow_stmts if s.action_applies(low)]
                resource = ch.draw(resources_for(action))
                if any(
                    _resource_applies(s, resource, subject.base) is not False for s in applicable
                ):
                    continue
                request = Request(action, resource, {})
                if accept(request):
                    return request
            reject()

        parts.append(outside())
    return st.one_of(parts)


def _hide_drpolicy_from_hypothesis_explanations() -> None:
    """Hypothesis's explain phase reports lines "always and only run by failing test cases";
    lines inside drpolicy (these generators, the engine) tell the user nothing that the failing
    request does not. Hypothesis has no public hook for this, so add drpolicy's folder to its
    internal list of unhelpful locations when that list exists (best effort: nothing happens
    on a hypothesis without it)."""
    import os

    try:
        from hypothesis.internal import scrutineer
    except ImportError:  # pragma: no cover - a hypothesis without the explain phase
        return
    here = os.path.dirname(os.path.abspath(__file__)).replace(os.sep, "/")
    current = getattr(scrutineer, "UNHELPFUL_LOCATIONS", None)
    # the list holds globs of `/`-separated paths; a folder with other special characters
    # would not translate reliably, so it is left alone
    if isinstance(current, tuple) and re.fullmatch(r"[\w/.:-]+", here):
        pattern = f"{here}/**"
        if pattern not in current:
            scrutineer.UNHELPFUL_LOCATIONS = (*current, pattern)


_hide_drpolicy_from_hypothesis_explanations()
