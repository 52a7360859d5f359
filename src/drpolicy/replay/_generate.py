"""A seeded generator of realistic, synthetic CloudTrail logs (private; tests and benchmarks).

Records follow CloudTrail's documented record format (``eventVersion`` 1.09 fields,
``userIdentity`` for IAM users, role sessions, root, federated users and AWS services, S3
data events with ``resources``, ``tlsDetails``, ``errorCode`` on refusals). Two profiles:

- ``account``: the principals of tests/data/account (account 111122223333);
- ``deepracer``: sessions of the DeepRacer catalog roles (account 123456789012).

Whether a generated call succeeded is decided by drpolicy against that same policy source
(so the log is consistent with it); ``drift`` flips that fraction of outcomes, as a stale
export would. Every name, ID, address and key is made up: no real customer data.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from drpolicy.replay._evaluate import Evaluator, PolicySource
from drpolicy.replay._mapping import Request, map_record

ACCOUNT_EXPORT: Final = Path(__file__).resolve().parents[3] / "tests" / "data" / "account" / \
    "authorization-details.json"
"""The test account export the ``account`` profile matches (present in a source checkout)."""

_START: Final = datetime(2026, 10, 1, tzinfo=timezone.utc)
_AGENTS: Final = (
    "aws-cli/2.17.4 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023",
    "Boto3/1.34.101 md/Botocore#1.34.101 ua/2.0 os/linux lang/python#3.11.9",
    "aws-sdk-java/2.25.40 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.11",
    "console.amazonaws.com",
)
_DENIED: Final = {"ec2": "Client.UnauthorizedOperation", "s3": "AccessDenied",
                  "iam": "AccessDenied", "sts": "AccessDenied", "cloudtrail": "AccessDenied"}

A: Final = "111122223333"
D: Final = "123456789012"

# who -> userIdentity builder arguments: (type, ARN, session issuer ARN or "", invokedBy)
_ACCOUNT_WHO: Final = {
    "alice": ("IAMUser", f"arn:aws:iam::{A}:user/engineering/alice", "", ""),
    "bob": ("IAMUser", f"arn:aws:iam::{A}:user/bob", "", ""),
    "carol": ("IAMUser", f"arn:aws:iam::{A}:user/carol", "", ""),
    "ci-user": ("IAMUser", f"arn:aws:iam::{A}:user/automation/ci-deployer", "", ""),
    "ci-role": ("AssumedRole", f"arn:aws:sts::{A}:assumed-role/ci-deployer/build-{{n}}",
                f"arn:aws:iam::{A}:role/automation/ci-deployer", ""),
    "training": ("AssumedRole", f"arn:aws:sts::{A}:assumed-role/SageMakerTrainingRole/SageMaker",
                 f"arn:aws:iam::{A}:role/service-role/SageMakerTrainingRole",
                 "sagemaker.amazonaws.com"),
    "auditor": ("AssumedRole", f"arn:aws:sts::{A}:assumed-role/CrossAccountAuditor/audit-{{n}}",
                f"arn:aws:iam::{A}:role/audit/CrossAccountAuditor", ""),
    "lambda": ("AssumedRole", f"arn:aws:sts::{A}:assumed-role/LambdaExecution/app-handler",
               f"arn:aws:iam::{A}:role/LambdaExecution", "lambda.amazonaws.com"),
    "root": ("Root", f"arn:aws:iam::{A}:root", "", ""),
    "federated": ("FederatedUser", f"arn:aws:sts::{A}:federated-user/report-bot",
                  f"arn:aws:iam::{A}:user/carol", ""),
    "service": ("AWSService", "", "", "sagemaker.amazonaws.com"),
}

# (weight, who, event source, event name, resource kind, resource template); {n} a number,
# {k} an object key, {r} the region
_ACCOUNT_CALLS: Final = (
    (14, "alice", "s3", "GetObject", "object", "example-home/alice/{k}"),
    (8, "alice", "s3", "PutObject", "object", "example-home/alice/{k}"),
    (6, "alice", "s3", "GetObject", "object", "example-datalake/raw/{k}"),
    (3, "alice", "s3", "ListObjectsV2", "bucket", "example-datalake"),
    (2, "alice", "s3", "GetObject", "object", "example-prod-data/{k}"),
    (1, "alice", "s3", "GetObject", "object", "example-home/bob/{k}"),
    (3, "alice", "lambda", "UpdateFunctionCode20150331v2", "function", "dev-api-{n}"),
    (2, "alice", "logs", "FilterLogEvents", "loggroup", "/aws/lambda/dev-api-{n}"),
    (1, "alice", "iam", "ChangePassword", "none", ""),
    (1, "alice", "ec2", "DescribeInstances", "none", ""),
    (6, "bob", "s3", "HeadObject", "object", "example-datalake/raw/{k}"),
    (2, "bob", "cloudtrail", "LookupEvents", "none", ""),
    (2, "bob", "lambda", "GetFunction20150331v2", "function", "dev-worker-{n}"),
    (1, "bob", "s3", "PutBucketPolicy", "bucket", "example-home"),
    (6, "carol", "s3", "GetObject", "object", "example-reports/carol/{k}"),
    (3, "carol", "s3", "PutObject", "object", "example-reports/carol/{k}"),
    (2, "carol", "s3", "ListBuckets", "none", ""),
    (1, "carol", "s3", "PutObject", "object", "example-datalake/raw/{k}"),
    (2, "ci-user", "sts", "AssumeRole", "role", f"arn:aws:iam::{A}:role/automation/ci-deployer"),
    (4, "ci-role", "lambda", "UpdateFunctionCode20150331v2", "function", "app-{n}"),
    (1, "ci-role", "lambda", "CreateFunction20150331", "function", "app-{n}"),
    (10, "training", "s3", "GetObject", "object", "example-datalake/training/{k}"),
    (6, "training", "s3", "PutObject", "object", "example-models/run-{n}/model.tar.gz"),
    (3, "training", "sagemaker", "DescribeTrainingJob", "trainingjob", "train-{n}"),
    (1, "training", "s3", "GetObject", "object", "example-prod-data/{k}"),
    (3, "auditor", "cloudtrail", "LookupEvents", "none", ""),
    (2, "auditor", "cloudtrail", "DescribeTrails", "none", ""),
    (1, "auditor", "s3", "GetObject", "object", "example-prod-data/{k}"),
    (5, "lambda", "ssm", "GetParameter", "parameter", "/app/config-{n}"),
    (2, "lambda", "logs", "CreateLogStream", "loggroup", "/aws/lambda/app-{n}"),
    (1, "lambda", "kms", "Decrypt", "key", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    (1, "root", "iam", "ListUsers", "none", ""),
    (1, "federated", "s3", "GetObject", "object", "example-reports/report-bot/{k}"),
    (1, "service", "sts", "AssumeRole", "role",
     f"arn:aws:iam::{A}:role/service-role/SageMakerTrainingRole"),
    (1, "alice", "sts", "GetCallerIdentity", "none", ""),
)


def _deepracer_who() -> dict[str, tuple[str, str, str, str]]:
    from drpolicy.catalog import load_role

    out: dict[str, tuple[str, str, str, str]] = {}
    for key, name, service in (
        ("deepracer", "AWSDeepRacerServiceRole", "deepracer.amazonaws.com"),
        ("sagemaker", "AWSDeepRacerSageMakerAccessRole", "sagemaker.amazonaws.com"),
        ("robomaker", "AWSDeepRacerRoboMakerAccessRole", "robomaker.amazonaws.com"),
        ("lambda", "AWSDeepRacerLambdaAccessRole", "lambda.amazonaws.com"),
        ("cloudformation", "AWSDeepRacerCloudFormationAccessRole",
         "cloudformation.amazonaws.com"),
    ):
        arn = load_role(name, D).arn
        out[key] = ("AssumedRole", f"arn:aws:sts::{D}:assumed-role/{name}/{key}-{{n}}", arn,
                    service)
    out["service"] = ("AWSService", "", "", "deepracer.amazonaws.com")
    return out


_DEEPRACER_CALLS: Final = (
    (12, "deepracer", "s3", "GetObject", "object", "aws-deepracer-{n}/models/{k}"),
    (6, "deepracer", "s3", "PutObject", "object", "aws-deepracer-{n}/models/{k}"),
    (6, "deepracer", "s3", "GetObject", "object", "deepracer-models/{k}"),
    (3, "deepracer", "s3", "ListObjectsV2", "bucket", "aws-deepracer-{n}"),
    (3, "deepracer", "s3", "PutObject", "object", "dr-training-{n}/checkpoints/{k}"),
    (2, "deepracer", "s3", "GetObject", "object", "team-shared/{k}"),
    (4, "deepracer", "sagemaker", "CreateTrainingJob", "trainingjob", "dr-train-{n}"),
    (3, "deepracer", "robomaker", "CreateSimulationJob", "none", ""),
    (2, "deepracer", "lambda", "GetFunction20150331v2", "function", "AWSDeepRacer-reward-{n}"),
    (1, "deepracer", "lambda", "GetFunction20150331v2", "function", "billing-{n}"),
    (2, "deepracer", "kinesisvideo", "CreateStream", "none", ""),
    (2, "deepracer", "cloudformation", "CreateStack", "none", ""),
    (2, "deepracer", "deepracer", "ListModels", "none", ""),
    (8, "sagemaker", "s3", "GetObject", "object", "sagemaker-deepracer-{n}/{k}"),
    (4, "sagemaker", "s3", "PutObject", "object", "sagemaker-deepracer-{n}/output/{k}"),
    (2, "sagemaker", "s3", "GetObject", "object", "aws-deepracer-{n}/models/{k}"),
    (3, "sagemaker", "logs", "CreateLogStream", "loggroup", "/aws/sagemaker/TrainingJobs"),
    (8, "robomaker", "s3", "GetObject", "object", "aws-deepracer-{n}/sim/{k}"),
    (3, "robomaker", "s3", "PutObject", "object", "dr-sim-{n}/videos/{k}"),
    (3, "robomaker", "logs", "CreateLogStream", "loggroup", "/aws/robomaker/SimulationJobs"),
    (2, "lambda", "logs", "CreateLogGroup", "loggroup", "/aws/lambda/AWSDeepRacer-reward-{n}"),
    (2, "cloudformation", "ec2", "CreateVpc", "none", ""),
    (1, "cloudformation", "ec2", "DescribeVpcs", "none", ""),
    (1, "service", "sts", "AssumeRole", "role",
     f"arn:aws:iam::{D}:role/service-role/AWSDeepRacerServiceRole"),
)


def _key(rng: random.Random) -> str:
    # a few hot objects and a long tail, as real access is skewed
    n = int(rng.paretovariate(1.2)) % 5000
    return f"part-{n:05d}.{rng.choice(('csv', 'json', 'tar.gz', 'parquet'))}"


class _Maker:
    def __init__(self, profile: str, seed: int, drift: float, days: int, export: Path) -> None:
        if profile == "account":
            self.account, self.who, calls = A, _ACCOUNT_WHO, tuple(_ACCOUNT_CALLS)
            source = PolicySource.account_export(export.read_text(encoding="utf-8"))
        elif profile == "deepracer":
            self.account, self.who, calls = D, _deepracer_who(), tuple(_DEEPRACER_CALLS)
            source = PolicySource.catalog(D)
        else:
            raise ValueError(f"unknown profile {profile!r}: account or deepracer")
        self.rng = random.Random(seed)
        self.calls: tuple[tuple[int, str, str, str, str, str], ...]
        self.calls = calls
        self.weights = [c[0] for c in calls]
        self.drift = drift
        self.seconds = days * 86400
        self.evaluator = Evaluator(source)
        self.decided: dict[Any, bool] = {}

    def record(self) -> dict[str, Any]:
        rng = self.rng
        _, who, service, name, kind, template = rng.choices(self.calls, self.weights)[0]
        n = rng.randint(1, 40)
        at = _START + timedelta(seconds=rng.randrange(self.seconds))
        region = "us-east-1"
        resource = template.format(n=n, k=_key(rng), r=region)
        rec: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": self.identity(who, n, at),
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": f"{service}.amazonaws.com",
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": f"198.51.100.{rng.randint(1, 254)}",
            "userAgent": rng.choice(_AGENTS),
            "requestParameters": None,
            "responseElements": None,
            "requestID": uuid.UUID(int=rng.getrandbits(128)).hex.upper()[:16],
            "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "readOnly": name.startswith(("Get", "Head", "List", "Describe", "Lookup", "Filter")),
            "eventType": "AwsApiCall",
            "managementEvent": service != "s3" or kind == "none",
            "recipientAccountId": self.account,
            "eventCategory": "Management",
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                           "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com"},
        }
        identity = rec["userIdentity"]
        if identity.get("invokedBy"):
            rec["sourceIPAddress"] = identity["invokedBy"]
        self.parameters(rec, service, kind, resource, region)
        if rng.random() < 0.02 and who == "carol":
            del rec["tlsDetails"]  # plain HTTP (carol's reports need aws:SecureTransport)
        self.outcome(rec)
        return rec

    def identity(self, who: str, n: int, at: datetime) -> dict[str, Any]:
        type_, arn, issuer, invoked_by = self.who[who]
        if type_ == "AWSService":
            return {"type": "AWSService", "invokedBy": invoked_by}
        arn = arn.format(n=n)
        account = arn.split(":")[4]
        out: dict[str, Any] = {"type": type_, "principalId": _principal_id(type_, arn),
                               "arn": arn, "accountId": account,
                               "accessKeyId": "ASIA" + f"{n:016d}"[-16:]}
        if type_ == "IAMUser":
            out["accessKeyId"] = "AKIA" + f"{n:016d}"[-16:]
            out["userName"] = arn.rsplit("/", 1)[1]
        elif type_ == "Root":
            out["principalId"] = account
        if issuer:
            issued = (at - timedelta(minutes=self.rng.randint(1, 50))).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            issuer_type = "Role" if ":role/" in issuer else "IAMUser"
            out["sessionContext"] = {
                "sessionIssuer": {"type": issuer_type,
                                  "principalId": _principal_id(issuer_type, issuer),
                                  "arn": issuer, "accountId": account,
                                  "userName": issuer.rsplit("/", 1)[1]},
                "attributes": {"creationDate": issued,
                               "mfaAuthenticated": "true" if type_ == "IAMUser" else "false"},
            }
        if invoked_by:
            out["invokedBy"] = invoked_by
        return out

    def parameters(
        self, rec: dict[str, Any], service: str, kind: str, resource: str, region: str
    ) -> None:
        account = self.account
        if kind == "object":
            bucket, _, key = resource.partition("/")
            rec["requestParameters"] = {"bucketName": bucket, "key": key,
                                        "Host": f"{bucket}.s3.{region}.amazonaws.com"}
            rec["resources"] = [
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{resource}"},
                {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
            ]
            rec["eventCategory"] = "Data"
            rec["additionalEventData"] = {"SignatureVersion": "SigV4",
                                          "AuthenticationMethod": "AuthHeader",
                                          "bytesTransferredIn": 0}
        elif kind == "bucket":
            rec["requestParameters"] = {"bucketName": resource, "list-type": "2",
                                        "prefix": "raw/",
                                        "Host": f"{resource}.s3.{region}.amazonaws.com"}
            rec["resources"] = [{"accountId": account, "type": "AWS::S3::Bucket",
                                 "ARN": f"arn:aws:s3:::{resource}"}]
            rec["eventCategory"] = "Data" if rec["eventName"].startswith("List") else "Management"
        elif kind == "function":
            rec["requestParameters"] = {"functionName": resource}
        elif kind == "loggroup":
            rec["requestParameters"] = {"logGroupName": resource,
                                        "logStreamName": f"stream-{self.rng.randint(1, 99)}"}
        elif kind == "trainingjob":
            rec["requestParameters"] = {"trainingJobName": resource}
        elif kind == "parameter":
            rec["requestParameters"] = {"name": resource, "withDecryption": True}
        elif kind == "key":
            arn = f"arn:aws:kms:{region}:{account}:key/{resource}"
            rec["requestParameters"] = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
            rec["resources"] = [{"accountId": account, "type": "AWS::KMS::Key", "ARN": arn}]
        elif kind == "role":
            rec["requestParameters"] = {"roleArn": resource,
                                        "roleSessionName": f"session-{self.rng.randint(1, 99)}"}
            rec["resources"] = [{"accountId": account, "type": "AWS::IAM::Role",
                                 "ARN": resource}]
        elif rec["eventName"] == "ChangePassword":
            rec["requestParameters"] = None

    def outcome(self, rec: dict[str, Any]) -> None:
        mapped = map_record(rec)
        if not isinstance(mapped, Request):
            return  # not evaluated by replay: AWS would have let it through
        key = (mapped.principal, mapped.action, mapped.resource, "tlsDetails" in rec)
        allowed = self.decided.get(key)
        if allowed is None:
            allowed = self.evaluator.row(mapped, rec["eventTime"])[6] == "Allowed"
            self.decided[key] = allowed
        if self.rng.random() < self.drift:
            allowed = not allowed
        if not allowed:
            service = rec["eventSource"].split(".")[0]
            rec["errorCode"] = _DENIED.get(service, "AccessDeniedException")
            rec["errorMessage"] = (
                f"User: {rec['userIdentity'].get('arn', 'unknown')} is not authorized to"
                f" perform: {mapped.action} on resource: {mapped.resource}"
            )


def _principal_id(type_: str, arn: str) -> str:
    digest = uuid.uuid5(uuid.NAMESPACE_URL, arn).hex.upper()[:17]
    prefix = {"IAMUser": "AIDA", "Role": "AROA", "AssumedRole": "AROA"}.get(type_, "AIDA")
    if type_ == "AssumedRole":
        role = arn.split("/")[1]
        return f"AROA{uuid.uuid5(uuid.NAMESPACE_URL, role).hex.upper()[:17]}:{arn.rsplit('/', 1)[1]}"
    return prefix + digest


def records(n: int, *, seed: int = 0, profile: str = "account", drift: float = 0.0,
            days: int = 31, export: Path = ACCOUNT_EXPORT) -> Iterator[dict[str, Any]]:
    """``n`` synthetic CloudTrail records (deterministic for a seed); the ``account``
    profile's outcomes follow ``export`` (the test account export by default)."""
    maker = _Maker(profile, seed, drift, days, export)
    for _ in range(n):
        yield maker.record()


def write_trail(folder: str | Path, n: int, *, per_file: int = 2000, seed: int = 0,
                profile: str = "account", drift: float = 0.0) -> list[Path]:
    """Write ``n`` records as CloudTrail delivers them to S3: gzipped
    ``{"Records": [...]}`` files under ``AWSLogs/<account>/CloudTrail/<region>/Y/M/D/``."""
    folder = Path(folder)
    written: list[Path] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        first = batch[0]
        day = first["eventTime"][:10].replace("-", "/")
        account = first["recipientAccountId"]
        stamp = first["eventTime"].replace("-", "").replace(":", "")[:13] + "Z"
        where = folder / "AWSLogs" / account / "CloudTrail" / first["awsRegion"] / day
        where.mkdir(parents=True, exist_ok=True)
        path = where / (f"{account}_CloudTrail_{first['awsRegion']}_{stamp}_"
                        f"{len(written):06d}.json.gz")
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as f:
            json.dump({"Records": batch}, f, separators=(",", ":"))
        written.append(path)

    for rec in records(n, seed=seed, profile=profile, drift=drift):
        batch.append(rec)
        if len(batch) >= per_file:
            flush()
            batch = []
    if batch:
        flush()
    return written


def write_lines(path: str | Path, n: int, *, seed: int = 0, profile: str = "account",
                drift: float = 0.0, envelope: Callable[[dict[str, Any]], Any] | None = None
                ) -> Path:
    """Write ``n`` records one per line (gzipped when the name ends in ``.gz``), optionally
    wrapped (e.g. in an EventBridge envelope)."""
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        for rec in records(n, seed=seed, profile=profile, drift=drift):
            f.write(json.dumps(envelope(rec) if envelope else rec, separators=(",", ":")))
            f.write("\n")
    return path


def eventbridge(rec: dict[str, Any]) -> dict[str, Any]:
    """A CloudTrail record in EventBridge's "AWS API Call via CloudTrail" envelope."""
    return {"version": "0", "id": rec["eventID"], "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + rec["eventSource"].split(".")[0],
            "account": rec["recipientAccountId"], "time": rec["eventTime"],
            "region": rec["awsRegion"], "resources": [], "detail": rec}
