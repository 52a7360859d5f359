"""CloudTrail event -> IAM request: the tables, and the little code that reads them (private).

docs/replay.md documents the coverage. Everything an event cannot tell is flagged in the
request's ``note``; an event that cannot become a request at all is an :class:`Unmapped` with
a reason from :data:`UNMAPPED_REASONS`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

# --------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------

SERVICE_PREFIX: Final[Mapping[str, str]] = {
    # eventSource (without ".amazonaws.com") -> IAM service prefix, where they differ
    "monitoring": "cloudwatch",
    "email": "ses",
    "tagging": "tag",
    "runtime.sagemaker": "sagemaker",
    "api.sagemaker": "sagemaker",
    "sso-directory": "sso-directory",
    "elasticfilesystem": "elasticfilesystem",
    "execute-api": "execute-api",
    "runtime.lex": "lex",
    "models.lex": "lex",
    "streams.dynamodb": "dynamodb",
    "data.iot": "iot",
    "kinesisanalytics": "kinesisanalytics",
    "s3-outposts": "s3-outposts",
}
"""CloudTrail ``eventSource`` prefixes whose IAM service prefix differs (every other event
source ``NAME.amazonaws.com`` maps to the prefix ``NAME``)."""

ACTION_NAMES: Final[Mapping[tuple[str, str], str]] = {
    # (service prefix, eventName) -> IAM action name, where they differ
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads",
    ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "SelectObjectContent"): "GetObject",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketLifecycle"): "GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutLifecycleConfiguration",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "ListTags"): "ListTags",
    ("kms", "ReEncrypt"): "ReEncryptFrom",
}
"""``(service prefix, eventName)`` -> IAM action name, where the event name is not the action
name (S3's ``HeadObject`` is authorised as ``s3:GetObject``...). Lambda's versioned event
names (``GetFunction20150331v2``) lose their version suffix first."""

PARTIAL_ACTIONS: Final[Mapping[tuple[str, str], str]] = {
    ("s3", "CopyObject"): "also needs s3:GetObject on the source object (not evaluated)",
    ("s3", "UploadPartCopy"): "also needs s3:GetObject on the source object (not evaluated)",
    ("kms", "ReEncrypt"): "also needs kms:ReEncryptTo on the destination key (not evaluated)",
    ("ec2", "RunInstances"): "authorised on several resources; only the first is evaluated",
}
"""Events AWS authorises as more than one request: only the main one is evaluated."""

NO_AUTHORIZATION: Final[frozenset[tuple[str, str]]] = frozenset({
    ("sts", "GetCallerIdentity"),  # "No permissions are required" (STS API Reference)
    ("signin", "ConsoleLogin"),
    ("signin", "CheckMfa"),
    ("signin", "SwitchRole"),
    ("signin", "ExitRole"),
    ("signin", "RenewRole"),
    ("sts", "AssumeRoleWithSAML"),  # authorised by the trust policy and the IdP, not IAM
    ("sts", "AssumeRoleWithWebIdentity"),
})
"""Events IAM identity policies do not authorise: counted as unmapped."""

GLOBAL_ACTIONS: Final[frozenset[str]] = frozenset({
    "s3:ListAllMyBuckets", "sts:GetSessionToken", "iam:ListRoles", "iam:ListUsers",
    "iam:ListPolicies", "iam:ListGroups", "iam:GetAccountSummary",
    "iam:GetAccountPasswordPolicy", "iam:ListAccountAliases", "lambda:ListFunctions",
    "lambda:ListEventSourceMappings", "lambda:GetAccountSettings", "kms:ListKeys",
    "kms:ListAliases", "kms:CreateKey", "cloudtrail:LookupEvents", "cloudtrail:DescribeTrails",
    "cloudwatch:GetMetricData", "cloudwatch:PutMetricData", "cloudwatch:ListMetrics",
    "logs:DescribeLogGroups", "sagemaker:ListTrainingJobs", "sagemaker:ListModels",
    "sagemaker:ListEndpoints", "sagemaker:Search", "robomaker:ListSimulationJobs",
    "cloudformation:ListStacks", "cloudformation:DescribeStacks",
    "cloudformation:ValidateTemplate", "dynamodb:ListTables", "sqs:ListQueues",
    "sns:ListTopics", "secretsmanager:ListSecrets", "ssm:DescribeParameters",
    "states:ListStateMachines", "kinesisvideo:ListStreams", "deepracer:ListModels",
    "deepracer:ListTrainingJobs", "deepracer:ListEvaluationJobs", "deepracer:ListTracks",
    "deepracer:ListLeaderboards", "deepracer:GetAccountConfig",
})
"""Actions without resource-level permissions: their resource is ``*`` (not flagged).
Every ``ec2:Describe*`` action is in this group too."""

S3_OBJECT_ACTIONS: Final[frozenset[str]] = frozenset({
    "GetObject", "PutObject", "DeleteObject", "GetObjectAcl", "PutObjectAcl",
    "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectVersion",
    "DeleteObjectVersion", "GetObjectAttributes", "RestoreObject", "AbortMultipartUpload",
    "ListMultipartUploadParts", "GetObjectRetention", "PutObjectRetention",
    "GetObjectLegalHold", "PutObjectLegalHold",
})
"""S3 actions authorised on the object ARN (``arn:aws:s3:::bucket/key``); the other S3
actions are authorised on the bucket ARN."""

# requestParameters -> resource ARN, per service: (parameter, ARN template). The first
# parameter present wins. {p} partition, {r} region, {a} account, {v} the parameter's value.
RESOURCE_PARAMETERS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "iam": (
        ("roleName", "arn:{p}:iam::{a}:role/{v}"),
        ("userName", "arn:{p}:iam::{a}:user/{v}"),
        ("groupName", "arn:{p}:iam::{a}:group/{v}"),
        ("policyArn", "{v}"),
        ("instanceProfileName", "arn:{p}:iam::{a}:instance-profile/{v}"),
    ),
    "lambda": (("functionName", "arn:{p}:lambda:{r}:{a}:function:{v}"),),
    "sts": (("roleArn", "{v}"),),
    "kms": (("keyId", "arn:{p}:kms:{r}:{a}:key/{v}"),),
    "sagemaker": (
        ("trainingJobName", "arn:{p}:sagemaker:{r}:{a}:training-job/{lv}"),
        ("modelName", "arn:{p}:sagemaker:{r}:{a}:model/{lv}"),
        ("endpointName", "arn:{p}:sagemaker:{r}:{a}:endpoint/{lv}"),
        ("endpointConfigName", "arn:{p}:sagemaker:{r}:{a}:endpoint-config/{lv}"),
        ("notebookInstanceName", "arn:{p}:sagemaker:{r}:{a}:notebook-instance/{lv}"),
    ),
    "logs": (("logGroupName", "arn:{p}:logs:{r}:{a}:log-group:{v}"),),
    "ssm": (("name", "arn:{p}:ssm:{r}:{a}:parameter{sv}"),),
    "dynamodb": (("tableName", "arn:{p}:dynamodb:{r}:{a}:table/{v}"),),
    "kinesisvideo": (("streamARN", "{v}"),),
    "secretsmanager": (("secretId", "arn:{p}:secretsmanager:{r}:{a}:secret:{v}"),),
    "sqs": (("queueUrl", "{queue}"),),
    "sns": (("topicArn", "{v}"),),
    "states": (("stateMachineArn", "{v}"), ("executionArn", "{v}")),
    "robomaker": (("job", "{v}"), ("arn", "{v}"), ("application", "{v}")),
    "deepracer": (("ModelArn", "{v}"), ("TrainingJobArn", "{v}"), ("modelArn", "{v}")),
    "ec2": (("instanceId", "arn:{p}:ec2:{r}:{a}:instance/{v}"),),
}
"""How to build the resource ARN from ``requestParameters`` when the event has no
``resources`` (see docs/replay.md for the list)."""

PARAMETER_NOTES: Final[Mapping[tuple[str, str], str]] = {
    ("iam", "roleName"): "role path not in the event: taken from the policy source, else /",
    ("iam", "userName"): "user path not in the event: taken from the policy source, else /",
    ("kms", "keyId"): "key given by id or alias: an alias is evaluated as the alias ARN",
    ("secretsmanager", "secretId"): "secret ARN suffix not in the event",
}
"""Notes attached when a resource is built from a parameter that does not pin it fully."""

DENIED_ERRORS: Final[frozenset[str]] = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "Client.UnauthorizedOperation", "UnauthorizedAccess", "Forbidden",
    "AuthorizationError", "AuthorizationErrorException", "NotAuthorized",
})
"""``errorCode`` values that mean the request was refused by authorisation."""

UNMAPPED_REASONS: Final[Mapping[str, str]] = {
    "not-a-record": "not a JSON object with CloudTrail's eventSource/eventName",
    "malformed": "an event field has the wrong type",
    "not-an-api-call": "a sign-in, insight or service event, not an authorised API call",
    "no-iam-authorization": "an API call IAM identity policies do not authorise",
    "unknown-identity": "a userIdentity type replay cannot evaluate (SAML, web identity, ...)",
    "aws-service": "made by an AWS service principal (its permissions are not in the source)",
    "principal-not-in-source": "the principal is not in the policy source",
    "other-account": "the principal or resource is in another account",
}
"""Why an event could not be evaluated (the summary's ``unmapped_by_reason`` keys)."""

_LAMBDA_VERSION: Final = re.compile(r"20[0-9]{6}(?:v[0-9]+)?$")
_IP: Final = re.compile(r"[0-9.]+|[0-9a-fA-F:]+:[0-9a-fA-F:.]*")
_TIME: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})")


class Request(NamedTuple):
    """One event as an IAM request.

    Attributes:
        event_id: the event's ``eventID`` (or the row number of a request table).
        principal: the ARN of the identity whose policies decide (a role session's role).
        action: ``service:Action``.
        resource: the resource ARN, or ``*``.
        context: request context keys (values are strings).
        outcome: what the log says happened: ``success``, ``denied``, ``error`` (another
            ``errorCode``) or ``unknown``.
        note: what the mapping could not pin down ("" when nothing).
        kind: how to evaluate: ``identity``, ``assume-role`` (identity plus the target's
            trust policy), ``service-assume`` (an AWS service assuming a role: the trust
            policy alone) or ``root``.
        session_arn: the calling session's own ARN (for a role: the assumed-role ARN).
    """

    event_id: str
    principal: str
    action: str
    resource: str
    context: dict[str, str]
    outcome: str
    note: str
    kind: str
    session_arn: str


class Unmapped(NamedTuple):
    """An event that could not become a request: its id, principal (when known), action
    (when known), a reason from :data:`UNMAPPED_REASONS` and a detail."""

    event_id: str
    principal: str
    action: str
    reason: str
    detail: str
    outcome: str


# --------------------------------------------------------------------------------------
# The code
# --------------------------------------------------------------------------------------


def outcome_of(record: Mapping[str, Any]) -> str:
    """``success``, ``denied``, ``error`` or ``unknown`` from ``errorCode``."""
    code = record.get("errorCode")
    if code is None or code == "":
        return "success"
    if not isinstance(code, str):
        return "unknown"
    return "denied" if code in DENIED_ERRORS or code.endswith("AccessDenied") else "error"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_ACTIONS: dict[tuple[str, str], str] = {}


def action_of(event_source: str, event_name: str) -> str:
    """The IAM action of an event: ``s3.amazonaws.com`` + ``HeadObject`` -> ``s3:GetObject``.

    >>> action_of("lambda.amazonaws.com", "UpdateFunctionCode20150331v2")
    'lambda:UpdateFunctionCode'
    >>> action_of("monitoring.amazonaws.com", "PutMetricData")
    'cloudwatch:PutMetricData'
    """
    cached = _ACTIONS.get((event_source, event_name))
    if cached is not None:
        return cached
    service = event_source.removesuffix(".amazonaws.com")
    prefix = SERVICE_PREFIX.get(service, service)
    if prefix == "lambda":
        event_name = _LAMBDA_VERSION.sub("", event_name)
    action = f"{prefix}:{ACTION_NAMES.get((prefix, event_name), event_name)}"
    if len(_ACTIONS) < 10_000:
        _ACTIONS[(event_source, event_name)] = action
    return action


_DAYS: dict[str, int] = {}


def epoch_of(event_time: str) -> str | None:
    """Seconds since the epoch of an ISO 8601 UTC ``eventTime`` (``None`` if malformed).

    >>> epoch_of("2026-10-05T09:12:44Z")
    '1791191564'
    """
    if len(event_time) != 20 or event_time[19] != "Z" or _TIME.match(event_time) is None:
        return None
    day = _DAYS.get(event_time[:10])
    if day is None:
        try:
            day = calendar.timegm((int(event_time[:4]), int(event_time[5:7]),
                                   int(event_time[8:10]), 0, 0, 0, 0, 0, 0))
        except (ValueError, OverflowError):  # pragma: no cover - timegm accepts any ints
            return None
        if len(_DAYS) < 100_000:
            _DAYS[event_time[:10]] = day
    hh, mm, ss = int(event_time[11:13]), int(event_time[14:16]), int(event_time[17:19])
    if hh > 23 or mm > 59 or ss > 60:
        return None
    return str(day + hh * 3600 + mm * 60 + ss)


def context_of(record: Mapping[str, Any], identity: Mapping[str, Any]) -> dict[str, str]:
    """The request context CloudTrail records (see docs/replay.md for the keys)."""
    ctx: dict[str, str] = {}
    get = record.get
    event_time = get("eventTime")
    if type(event_time) is str and event_time:
        ctx["aws:CurrentTime"] = event_time
        epoch = epoch_of(event_time)
        if epoch is not None:
            ctx["aws:EpochTime"] = epoch
    region = get("awsRegion")
    if type(region) is str and region:
        ctx["aws:RequestedRegion"] = region
    source_ip = get("sourceIPAddress")
    if type(source_ip) is str and source_ip and _IP.fullmatch(source_ip):
        ctx["aws:SourceIp"] = source_ip
    agent = get("userAgent")
    if type(agent) is str and agent:
        ctx["aws:UserAgent"] = agent
    invoked_by = identity.get("invokedBy")
    ctx["aws:ViaAWSService"] = (
        "true" if type(invoked_by) is str and invoked_by.endswith(".amazonaws.com")
        else "false"
    )
    if isinstance(get("tlsDetails"), dict):
        ctx["aws:SecureTransport"] = "true"
    vpce = get("vpcEndpointId")
    if type(vpce) is str and vpce:
        ctx["aws:SourceVpce"] = vpce
    session = identity.get("sessionContext")
    if isinstance(session, dict):
        attributes = session.get("attributes")
        if isinstance(attributes, dict):
            mfa = attributes.get("mfaAuthenticated")
            if type(mfa) is str and mfa:
                ctx["aws:MultiFactorAuthPresent"] = mfa.lower()
            created = attributes.get("creationDate")
            if type(created) is str and created:
                ctx["aws:TokenIssueTime"] = created
        source_identity = session.get("sourceIdentity")
        if type(source_identity) is str and source_identity:
            ctx["aws:SourceIdentity"] = source_identity
    principal_id = identity.get("principalId")
    if type(principal_id) is str and principal_id:
        ctx["aws:userid"] = principal_id
    return ctx


def _principal(
    identity: Mapping[str, Any],
) -> tuple[str, str, str] | tuple[None, str, str]:
    """``(policy principal ARN, session ARN, kind)`` or ``(None, reason, detail)``."""
    kind = identity.get("type")
    arn = _str(identity.get("arn"))
    if kind == "IAMUser" and arn is not None:
        return arn, arn, "identity"
    if kind in ("AssumedRole", "FederatedUser"):
        session = identity.get("sessionContext")
        issuer = session.get("sessionIssuer") if isinstance(session, dict) else None
        issuer_arn = _str(issuer.get("arn")) if isinstance(issuer, dict) else None
        if issuer_arn is not None:
            return issuer_arn, arn or issuer_arn, "identity"
        return None, "malformed", f"{kind} without sessionContext.sessionIssuer.arn"
    if kind == "Root" and arn is not None:
        return arn, arn, "root"
    if kind == "AWSService":
        service = _str(identity.get("invokedBy")) or "an AWS service"
        return None, "aws-service", service
    return None, "unknown-identity", str(kind)


def map_record(record: Any, fallback_id: str = "") -> Request | Unmapped:
    """One CloudTrail record -> a :class:`Request` or an :class:`Unmapped`.

    EventBridge's ``{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}``
    envelope is unwrapped. The resource's account and role/user paths are not resolved here
    (see :func:`drpolicy.replay._evaluate`).
    """
    if isinstance(record, dict) and isinstance(record.get("detail"), dict) and (
        "detail-type" in record
    ):
        record = record["detail"]
    if not isinstance(record, dict):
        return Unmapped(fallback_id, "", "", "not-a-record", type(record).__name__, "unknown")
    event_id = _str(record.get("eventID")) or fallback_id
    outcome = outcome_of(record)
    source, name = record.get("eventSource"), record.get("eventName")
    if not isinstance(source, str) or not isinstance(name, str) or not source or not name:
        return Unmapped(event_id, "", "", "not-a-record", "no eventSource/eventName", outcome)
    action = action_of(source, name)
    event_type = record.get("eventType")
    if event_type in ("AwsConsoleSignIn", "AwsServiceEvent", "AwsCloudTrailInsight"):
        return Unmapped(event_id, "", action, "not-an-api-call", str(event_type), outcome)
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        return Unmapped(event_id, "", action, "malformed", "no userIdentity", outcome)
    principal, session_or_reason, kind_or_detail = _principal(identity)
    prefix, _, action_name = action.partition(":")
    if (prefix, action_name) in NO_AUTHORIZATION or (prefix, name) in NO_AUTHORIZATION:
        return Unmapped(event_id, principal or "", action, "no-iam-authorization", action,
                        outcome)
    if principal is None and session_or_reason == "aws-service" and action == "sts:AssumeRole":
        # a service assuming a role: the role's trust policy decides
        principal, session_or_reason, kind_or_detail = (
            kind_or_detail, kind_or_detail, "service-assume"
        )
    if principal is None:
        return Unmapped(event_id, "", action, session_or_reason, kind_or_detail, outcome)
    try:
        resource, note = _resource(record, prefix, action_name, name)
    except (TypeError, AttributeError, KeyError) as exc:
        return Unmapped(event_id, principal, action, "malformed", f"resource: {exc}", outcome)
    partial = PARTIAL_ACTIONS.get((prefix, name))
    if partial is not None:
        note = f"{note}; {partial}" if note else partial
    if identity.get("type") == "FederatedUser":
        extra = "federated session: decided with the issuing user's policies (an upper bound)"
        note = f"{note}; {extra}" if note else extra
    kind = kind_or_detail
    if action == "sts:AssumeRole" and kind == "identity":
        kind = "assume-role"
    ctx = context_of(record, identity)
    if prefix == "s3":
        params = record.get("requestParameters")
        if isinstance(params, dict) and isinstance(params.get("prefix"), str):
            ctx["s3:prefix"] = params["prefix"]
    elif action == "sts:AssumeRole":
        params = record.get("requestParameters")
        if isinstance(params, dict) and isinstance(params.get("roleSessionName"), str):
            ctx["sts:RoleSessionName"] = params["roleSessionName"]
    return Request(event_id, principal, action, resource, ctx, outcome, note, kind,
                   session_or_reason)


def _resource(
    record: Mapping[str, Any], prefix: str, action_name: str, event_name: str
) -> tuple[str, str]:
    """``(resource, note)``: from ``resources[]``, else ``requestParameters``, else ``*``."""
    action = f"{prefix}:{action_name}"
    if action in GLOBAL_ACTIONS or (prefix == "ec2" and action_name.startswith("Describe")):
        return "*", ""
    params = record.get("requestParameters")
    params = params if isinstance(params, dict) else {}
    resources = record.get("resources")
    if isinstance(resources, list) and resources:
        arns = [(r.get("type"), r["ARN"]) for r in resources
                if isinstance(r, dict) and isinstance(r.get("ARN"), str)]
        if prefix == "s3":
            want = "AWS::S3::Object" if action_name in S3_OBJECT_ACTIONS else "AWS::S3::Bucket"
            for type_, arn in arns:
                if type_ == want:
                    return arn, ""
        elif arns:
            note = "" if len(arns) == 1 else f"{len(arns)} resources: the first is evaluated"
            return arns[0][1], note
    region = record.get("awsRegion") if isinstance(record.get("awsRegion"), str) else "*"
    account = record.get("recipientAccountId")
    if not isinstance(account, str):
        identity = record.get("userIdentity")
        account = identity.get("accountId") if isinstance(identity, dict) else None
        if not isinstance(account, str):
            account = "*"
    partition = "aws"
    if prefix == "s3":
        bucket = params.get("bucketName")
        if isinstance(bucket, str) and bucket:
            key = params.get("key")
            if action_name in S3_OBJECT_ACTIONS:
                if isinstance(key, str) and key:
                    return f"arn:{partition}:s3:::{bucket}/{key}", ""
                return f"arn:{partition}:s3:::{bucket}/*", "resource unknown: object key"
            return f"arn:{partition}:s3:::{bucket}", ""
    for parameter, template in RESOURCE_PARAMETERS.get(prefix, ()):
        value = params.get(parameter)
        if prefix == "ec2" and parameter == "instanceId":
            value = _first_instance(params)
        if not isinstance(value, str) or not value:
            continue
        if value.startswith("arn:"):
            return value, ""
        if prefix == "kms" and value.startswith("alias/"):
            return f"arn:{partition}:kms:{region}:{account}:{value}", ""
        if template == "{queue}":
            parts = value.rstrip("/").split("/")
            if len(parts) >= 2:
                return f"arn:{partition}:sqs:{region}:{parts[-2]}:{parts[-1]}", ""
            continue
        sv = value if value.startswith("/") else f"/{value}"
        arn = template.format(p=partition, r=region, a=account, v=value, lv=value.lower(),
                              sv=sv)
        if not arn.startswith("arn:"):
            continue
        return arn, PARAMETER_NOTES.get((prefix, parameter), "")
    return "*", "resource unknown"


def _first_instance(params: Mapping[str, Any]) -> str | None:
    items = params.get("instancesSet")
    if isinstance(items, dict):
        listed = items.get("items")
        if isinstance(listed, list) and listed and isinstance(listed[0], dict):
            value = listed[0].get("instanceId")
            return value if isinstance(value, str) else None
    value = params.get("instanceId")
    return value if isinstance(value, str) else None
