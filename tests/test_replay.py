"""drpolicy.replay: the event -> request mapping, the readers, the local engine, proposals,
outputs, and the CLI. The Spark engine's test is in test_replay_spark.py (slow)."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drpolicy.errors import CatalogError, LoaderError, RequestError
from drpolicy.replay import PolicySource, Request, Unmapped, _inputs, map_event, replay
from drpolicy.replay._generate import eventbridge, records, write_lines, write_trail
from drpolicy.replay._mapping import action_of, context_of, outcome_of

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "data" / "account" / "authorization-details.json"
HANDWRITTEN = ROOT / "tests" / "data" / "cloudtrail" / "handwritten.json"
A = "111122223333"


@pytest.fixture(scope="module")
def account() -> PolicySource:
    return PolicySource.account_export(EXPORT.read_text(encoding="utf-8"))


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventID": "e", "eventTime": "2026-10-05T09:12:44Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "recipientAccountId": A,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{A}:user/carol",
                         "accountId": A, "principalId": "AIDAEXAMPLE"},
    }
    base.update(fields)
    return base


# --------------------------------------------------------------------------------------
# The mapping
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "name", "action"), [
    ("s3.amazonaws.com", "HeadObject", "s3:GetObject"),
    ("s3.amazonaws.com", "ListObjects", "s3:ListBucket"),
    ("s3.amazonaws.com", "ListObjectsV2", "s3:ListBucket"),
    ("s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets"),
    ("s3.amazonaws.com", "PutObject", "s3:PutObject"),
    ("lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction"),
    ("lambda.amazonaws.com", "GetFunction20150331v2", "lambda:GetFunction"),
    ("lambda.amazonaws.com", "CreateFunction20150331", "lambda:CreateFunction"),
    ("monitoring.amazonaws.com", "PutMetricData", "cloudwatch:PutMetricData"),
    ("email.amazonaws.com", "SendEmail", "ses:SendEmail"),
    ("sts.amazonaws.com", "AssumeRole", "sts:AssumeRole"),
    ("deepracer.amazonaws.com", "ListModels", "deepracer:ListModels"),
])
def test_action_table(source: str, name: str, action: str) -> None:
    assert action_of(source, name) == action


@pytest.mark.parametrize(("fields", "resource", "note"), [
    # resources[]: the object for object actions, the bucket for bucket actions
    ({"eventName": "HeadObject", "resources": [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k.txt"},
        {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}, "arn:aws:s3:::b/k.txt", ""),
    ({"eventName": "ListObjectsV2", "resources": [
        {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}, "arn:aws:s3:::b", ""),
    # requestParameters
    ({"requestParameters": {"bucketName": "b", "key": "a/b.csv"}}, "arn:aws:s3:::b/a/b.csv", ""),
    ({"requestParameters": {"bucketName": "b"}}, "arn:aws:s3:::b/*",
     "resource unknown: object key"),
    ({"eventName": "ListBuckets"}, "*", ""),
    ({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionCode20150331v2",
      "requestParameters": {"functionName": "app"}},
     f"arn:aws:lambda:us-east-1:{A}:function:app", ""),
    ({"eventSource": "lambda.amazonaws.com", "eventName": "GetFunction20150331v2",
      "requestParameters": {"functionName": f"arn:aws:lambda:us-east-1:{A}:function:x"}},
     f"arn:aws:lambda:us-east-1:{A}:function:x", ""),
    ({"eventSource": "iam.amazonaws.com", "eventName": "GetRole",
      "requestParameters": {"roleName": "r"}}, f"arn:aws:iam::{A}:role/r",
     "role path not in the event: taken from the policy source, else /"),
    ({"eventSource": "sagemaker.amazonaws.com", "eventName": "CreateTrainingJob",
      "requestParameters": {"trainingJobName": "DR-Train-1"}},
     f"arn:aws:sagemaker:us-east-1:{A}:training-job/dr-train-1", ""),
    ({"eventSource": "ssm.amazonaws.com", "eventName": "GetParameter",
      "requestParameters": {"name": "/app/db"}}, f"arn:aws:ssm:us-east-1:{A}:parameter/app/db",
     ""),
    ({"eventSource": "kms.amazonaws.com", "eventName": "Decrypt",
      "requestParameters": {"keyId": "alias/app"}}, f"arn:aws:kms:us-east-1:{A}:alias/app", ""),
    ({"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances"}, "*", ""),
    ({"eventSource": "ec2.amazonaws.com", "eventName": "StopInstances", "requestParameters": {
        "instancesSet": {"items": [{"instanceId": "i-0abc"}]}}},
     f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc", ""),
    ({"eventSource": "dynamodb.amazonaws.com", "eventName": "DescribeTable"}, "*",
     "resource unknown"),
])
def test_resource_mapping(fields: dict[str, Any], resource: str, note: str) -> None:
    mapped = map_event(event(**fields))
    assert isinstance(mapped, Request)
    assert (mapped.resource, mapped.note) == (resource, note)


def test_principals() -> None:
    role = f"arn:aws:iam::{A}:role/service-role/Trainer"
    session = map_event(event(userIdentity={
        "type": "AssumedRole", "arn": f"arn:aws:sts::{A}:assumed-role/Trainer/s1",
        "principalId": "AROAEXAMPLE:s1", "invokedBy": "sagemaker.amazonaws.com",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role},
                           "attributes": {"mfaAuthenticated": "false",
                                          "creationDate": "2026-10-05T09:00:00Z"}}}))
    assert isinstance(session, Request)
    assert (session.principal, session.session_arn, session.kind) == (
        role, f"arn:aws:sts::{A}:assumed-role/Trainer/s1", "identity")
    assert session.context["aws:ViaAWSService"] == "true"
    assert session.context["aws:MultiFactorAuthPresent"] == "false"
    root = map_event(event(userIdentity={"type": "Root", "arn": f"arn:aws:iam::{A}:root"}))
    assert isinstance(root, Request) and root.kind == "root"
    service = map_event(event(userIdentity={"type": "AWSService",
                                            "invokedBy": "sagemaker.amazonaws.com"}))
    assert isinstance(service, Unmapped) and service.reason == "aws-service"
    assume = map_event(event(
        eventSource="sts.amazonaws.com", eventName="AssumeRole",
        userIdentity={"type": "AWSService", "invokedBy": "sagemaker.amazonaws.com"},
        requestParameters={"roleArn": role, "roleSessionName": "x"}))
    assert isinstance(assume, Request)
    assert (assume.principal, assume.resource, assume.kind) == (
        "sagemaker.amazonaws.com", role, "service-assume")
    saml = map_event(event(userIdentity={"type": "SAMLUser", "principalId": "x"}))
    assert isinstance(saml, Unmapped) and saml.reason == "unknown-identity"


@pytest.mark.parametrize(("record", "reason"), [
    (event(eventType="AwsConsoleSignIn", eventSource="signin.amazonaws.com",
           eventName="ConsoleLogin"), "not-an-api-call"),
    (event(eventSource="sts.amazonaws.com", eventName="GetCallerIdentity"),
     "no-iam-authorization"),
    ({"eventID": "x", "Records": []}, "not-a-record"),
    ([1, 2], "not-a-record"),
    (event(userIdentity="alice"), "malformed"),
    (event(userIdentity={"type": "AssumedRole", "arn": "x"}), "malformed"),
])
def test_unmapped_reasons(record: Any, reason: str) -> None:
    mapped = map_event(record)
    assert isinstance(mapped, Unmapped) and mapped.reason == reason


def test_context_keys() -> None:
    record = event(sourceIPAddress="203.0.113.9", userAgent="aws-cli/2",
                   tlsDetails={"tlsVersion": "TLSv1.3"}, vpcEndpointId="vpce-1")
    ctx = context_of(record, record["userIdentity"])
    assert ctx == {
        "aws:CurrentTime": "2026-10-05T09:12:44Z", "aws:EpochTime": "1791191564",
        "aws:RequestedRegion": "us-east-1", "aws:SourceIp": "203.0.113.9",
        "aws:UserAgent": "aws-cli/2", "aws:ViaAWSService": "false",
        "aws:SecureTransport": "true", "aws:SourceVpce": "vpce-1", "aws:userid": "AIDAEXAMPLE",
    }
    # a service name in sourceIPAddress is not an IP; no TLS details: the key is absent
    ctx = context_of(event(sourceIPAddress="sagemaker.amazonaws.com"), {})
    assert "aws:SourceIp" not in ctx and "aws:SecureTransport" not in ctx


@pytest.mark.parametrize(("code", "outcome"), [
    (None, "success"), ("AccessDenied", "denied"), ("Client.UnauthorizedOperation", "denied"),
    ("AccessDeniedException", "denied"), ("NoSuchKey", "error"), (7, "unknown"),
])
def test_outcome(code: Any, outcome: str) -> None:
    assert outcome_of({} if code is None else {"errorCode": code}) == outcome


def test_eventbridge_envelope_is_unwrapped() -> None:
    rec = next(records(1, seed=3))
    assert map_event(eventbridge(rec)) == map_event(rec)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["eventSource", "eventName", "userIdentity", "type",
                                       "arn", "resources", "ARN", "requestParameters",
                                       "bucketName", "key", "sessionContext", "detail",
                                       "detail-type", "errorCode", "eventTime"]),
                      children, max_size=6),
    max_leaves=20,
)


@given(json_values)
def test_mapping_never_raises(value: Any) -> None:
    """Whatever JSON an event holds, mapping gives a request or a reason, never an
    exception (and so never drops an event)."""
    assert isinstance(map_event(value), (Request, Unmapped))


# --------------------------------------------------------------------------------------
# Hand-written records (AWS's documented shapes) against the test account
# --------------------------------------------------------------------------------------

EXPECTED = {
    "h-01": ("s3:ListAllMyBuckets", "Allowed", None),
    "h-02": ("s3:GetObject", "ExplicitlyDenied", None),
    "h-03": ("s3:PutObject", "Allowed", None),
    "h-04": ("cloudtrail:LookupEvents", "Allowed", None),
    "h-05": ("signin:ConsoleLogin", "NotEvaluated", "not-an-api-call"),
    "h-06": ("sts:AssumeRole", "Allowed", None),
    "h-07": ("sts:AssumeRole", "Allowed", None),
    "h-08": ("s3:PutBucketPolicy", "ExplicitlyDenied", None),
    "h-09": ("s3:GetObject", "Allowed", None),
    "h-10": ("kms:Decrypt", "ImplicitlyDenied", None),
    "h-11": ("sts:GetCallerIdentity", "NotEvaluated", "no-iam-authorization"),
    "h-12": ("s3:GetObject", "NotEvaluated", "other-account"),
    "h-13": ("lambda:UpdateFunctionCode", "Allowed", None),
    "h-14": ("iam:GetRole", "ImplicitlyDenied", None),
    "h-15": ("s3:PutObject", "ImplicitlyDenied", None),
}


def test_handwritten_records(account: PolicySource, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    summary = replay(HANDWRITTEN, account, workers=1, out=out)
    got = {r["event_id"]: (r["action"], r["decision"], r["unmapped_reason"]) for r in rows(out)}
    assert got == EXPECTED
    by_id = {r["event_id"]: r for r in rows(out)}
    # the role path comes from the export; the trust policy decides AssumeRole
    assert by_id["h-14"]["resource"] == f"arn:aws:iam::{A}:role/LambdaExecution"
    assert by_id["h-06"]["reasons"] == ["trust:SageMakerTrainingRole/trust: Statement[0]"]
    assert by_id["h-08"]["reasons"] == [
        "permission_boundary:DeveloperBoundary: Statement[1] (NoBucketPolicies)"]
    assert "federated session" in by_id["h-09"]["note"]
    data = summary.to_json()
    assert data["events"] == 15 and data["evaluated"] == 12 and data["unmapped"] == 3
    assert data["unmapped_by_reason"] == {
        "no-iam-authorization": 1, "not-an-api-call": 1, "other-account": 1}
    assert (data["allowed"], data["denied"]) == (7, 5)
    # h-08 succeeded in the log but the export's boundary denies it: the export is stale
    assert data["disagree_with_log"] == data["log_success_now_denied"] == 1
    assert "would_break" not in data
    assert data["actions_by_principal"][f"arn:aws:iam::{A}:user/carol"] == {
        "s3:GetObject": 1, "s3:ListAllMyBuckets": 1, "s3:PutObject": 1}


# --------------------------------------------------------------------------------------
# Generated logs: engines, workers, inputs, outputs
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trail")
    write_trail(folder, 3000, per_file=700, seed=11)
    return folder


def test_generated_log_agrees_with_its_export(account: PolicySource, trail: Path) -> None:
    data = replay(trail, account, workers=1).to_json()
    assert data["events"] == 3000
    assert data["disagree_with_log"] == 0  # generated with drift 0 from the same export
    assert data["denied"] > 100 and data["allowed"] > 1000
    assert set(data["unmapped_by_reason"]) == {"no-iam-authorization"}


def test_drift_is_measured(account: PolicySource, tmp_path: Path) -> None:
    write_trail(tmp_path, 2000, seed=5, drift=0.1)
    data = replay(tmp_path, account, workers=1).to_json()
    assert 100 < data["disagree_with_log"] < 300  # about 10% of the evaluated events


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_one_and_two_workers_give_identical_results(
    account: PolicySource, trail: Path, tmp_path: Path, suffix: str
) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    one = replay(trail, account, workers=1, out=tmp_path / f"one{suffix}")
    two = replay(trail, account, workers=2, out=tmp_path / f"two{suffix}")
    three = replay(trail, account, workers=3, out=tmp_path / f"three{suffix}")
    data = (tmp_path / f"one{suffix}").read_bytes()
    assert (tmp_path / f"two{suffix}").read_bytes() == data
    assert (tmp_path / f"three{suffix}").read_bytes() == data
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(tmp_path / f"two{suffix}").num_rows == 3000
    else:
        assert data.count(b"\n") == 3000 + (suffix == ".csv")
    assert one.to_json() == two.to_json() == three.to_json()
    # the workers' part files are gone: only the outputs are left
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}{suffix}" for name in ("one", "two", "three"))


def test_part_files_without_a_kernel_copy(
    account: PolicySource, trail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def refuse(*args: Any) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    replay(trail, account, workers=1, out=tmp_path / "one.jsonl")
    monkeypatch.setattr(os, "copy_file_range", refuse)
    replay(trail, account, workers=2, out=tmp_path / "two.jsonl")
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    monkeypatch.delattr(os, "copy_file_range")  # not Linux
    replay(trail, account, workers=2, out=tmp_path / "three.jsonl")
    assert (tmp_path / "three.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_a_failing_worker_leaves_no_part_files(
    account: PolicySource, trail: Path, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path in sorted(trail.rglob("*.json.gz")):
        (inputs / path.name).write_bytes(path.read_bytes())
    (inputs / "zz-broken.json.gz").write_bytes(gzip.compress(b'{"Records": [{"eventID": '))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(LoaderError, match="zz-broken.json.gz: invalid JSON"):
        replay(inputs, account, workers=2, out=out / "r.jsonl")
    assert [p.name for p in out.iterdir()] == ["r.jsonl"]


def test_streamed_large_files_match_whole_files(
    account: PolicySource, trail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = replay(trail, account, workers=1, out=tmp_path / "whole.jsonl")
    monkeypatch.setattr(_inputs, "WHOLE_FILE_MAX", 0)
    monkeypatch.setattr(_inputs, "BLOCK", 50_000)
    streamed = replay(trail, account, workers=1, out=tmp_path / "streamed.jsonl")
    assert whole.to_json() == streamed.to_json()
    assert [r["decision"] for r in rows(tmp_path / "whole.jsonl")] == \
        [r["decision"] for r in rows(tmp_path / "streamed.jsonl")]
    lines = write_lines(tmp_path / "events.jsonl.gz", 1500, seed=11)
    assert replay(lines, account, workers=1).to_json()["events"] == 1500


@pytest.mark.parametrize("block", [50_000, 300])  # 300: most lines span several blocks
def test_byte_ranges_of_large_line_files_match_whole_files(
    account: PolicySource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    (tmp_path / "in").mkdir()
    path = write_lines(tmp_path / "in" / "events.jsonl", 1200, seed=3)
    lines = path.read_bytes().split(b"\n")
    no_id = json.loads(lines[7])
    del no_id["eventID"]  # identified by file:line
    lines[7] = json.dumps(no_id).encode()
    lines[500] = b"{not json"  # counted as not-a-record at its line
    lines[900:900] = [b"", b"   "]
    path.write_bytes(b"\n".join(lines))  # no newline after the last line
    whole = replay(path, account, workers=1, out=tmp_path / "whole.jsonl")
    monkeypatch.setattr(_inputs, "WHOLE_FILE_MAX", 0)
    monkeypatch.setattr(_inputs, "BLOCK", block)
    ranges = list(_inputs.tasks([path]))
    assert len(ranges) > 5 and {t[0] for t, _ in ranges} == {"lines-range"}
    assert sum(size for _, size in ranges) == path.stat().st_size
    for workers in (1, 2):
        out = tmp_path / f"ranges-{workers}.jsonl"
        assert replay(path, account, workers=workers, out=out).to_json() == whole.to_json()
        assert out.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    results = rows(tmp_path / "whole.jsonl")
    assert len(results) == 1200
    assert results[7]["event_id"] == f"{path}:8"
    assert results[500]["event_id"] == f"{path}:501"
    assert results[500]["unmapped_reason"] == "not-a-record"


def test_streaming_keeps_multibyte_characters_whole(
    account: PolicySource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recs = list(records(300, seed=6))
    for i, rec in enumerate(recs):
        rec["userAgent"] = "Mozilla/5.0 (Ünïcødé; 日本語) " + "é" * (i % 7)
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": recs}, ensure_ascii=False, indent=1), encoding="utf-8")
    whole = replay(path, account, workers=1, out=tmp_path / "whole.jsonl")
    monkeypatch.setattr(_inputs, "WHOLE_FILE_MAX", 0)
    monkeypatch.setattr(_inputs, "BLOCK", 4097)  # odd: blocks end inside characters
    streamed = replay(path, account, workers=1, out=tmp_path / "streamed.jsonl")
    assert streamed.to_json() == whole.to_json()
    assert rows(tmp_path / "streamed.jsonl") == rows(tmp_path / "whole.jsonl")
    (tmp_path / "bad.json").write_bytes(b'{"Records": [{"eventName": "\xff\xfe"}]}')
    with pytest.raises(LoaderError, match="bad.json"):
        replay(tmp_path / "bad.json", account, workers=1)


def test_jsonl_and_eventbridge_inputs_match_trail_files(
    account: PolicySource, tmp_path: Path
) -> None:
    write_trail(tmp_path / "trail", 800, seed=4)
    write_lines(tmp_path / "lines.jsonl.gz", 800, seed=4)
    write_lines(tmp_path / "bridge.jsonl", 800, seed=4, envelope=eventbridge)
    results = [replay(tmp_path / name, account, workers=1).to_json()
               for name in ("trail", "lines.jsonl.gz", "bridge.jsonl")]
    assert results[0] == results[1] == results[2]


def test_request_tables(account: PolicySource, tmp_path: Path) -> None:
    table = [
        {"principal": f"arn:aws:iam::{A}:user/carol", "action": "s3:GetObject",
         "resource": "arn:aws:s3:::example-reports/carol/a.csv",
         "context": json.dumps({"aws:SecureTransport": "true"}), "outcome": "success"},
        {"principal": f"arn:aws:sts::{A}:assumed-role/LambdaExecution/s",
         "action": "ssm:GetParameter",
         "resource": f"arn:aws:ssm:us-east-1:{A}:parameter/app/db", "context": "",
         "outcome": "AccessDenied"},
        {"principal": f"arn:aws:iam::{A}:user/nobody", "action": "s3:GetObject",
         "resource": "*", "context": "", "outcome": ""},
        {"principal": f"arn:aws:iam::{A}:user/carol", "action": "s3:GetObject",
         "resource": "*", "context": "{not json", "outcome": ""},
        {"principal": f"arn:aws:iam::{A}:user/carol", "action": "s3:GetObject",
         "resource": "not-an-arn", "context": "", "outcome": ""},
    ]
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in table),
                                      encoding="utf-8")
    expected = {"allowed": 2, "denied": 0, "log_denied_now_allowed": 1, "unmapped": 3,
                "unmapped_by_reason": {"malformed": 2, "principal-not-in-source": 1}}
    for name in ("t.csv", "t.jsonl"):
        data = replay(tmp_path / name, account, workers=1).to_json()
        assert {k: data[k] for k in expected} == expected, name
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(table), tmp_path / "t.parquet", row_group_size=2)
    data = replay(tmp_path / "t.parquet", account, workers=1).to_json()
    assert {k: data[k] for k in expected} == expected


def test_output_formats_agree(account: PolicySource, trail: Path, tmp_path: Path) -> None:
    replay(trail, account, workers=1, out=tmp_path / "r.jsonl")
    replay(trail, account, workers=1, out=tmp_path / "r.csv")
    jsonl = rows(tmp_path / "r.jsonl")
    with (tmp_path / "r.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert len(jsonl) == len(table) == 3000
    assert [r["event_id"] for r in jsonl] == [r["event_id"] for r in table]
    assert [r["decision"] for r in jsonl] == [r["decision"] for r in table]
    assert ["; ".join(r["reasons"]) for r in jsonl] == [r["reasons"] for r in table]
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    replay(trail, account, workers=2, out=tmp_path / "r.parquet")
    parquet = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert parquet == jsonl


# --------------------------------------------------------------------------------------
# Proposals
# --------------------------------------------------------------------------------------

NARROW_SERVICE_ROLE_S3 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["deepracer:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["cloudformation:*", "robomaker:*", "sagemaker:*", "states:*",
                                   "sts:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:PassRole"],
     "Resource": ["arn:aws:iam::*:role/AWSDeepRacer*",
                  "arn:aws:iam::*:role/service-role/AWSDeepRacer*"]},
    {"Effect": "Allow", "Action": ["cloudwatch:GetMetricData", "logs:CreateLogGroup",
                                   "logs:CreateLogStream", "logs:DescribeLogStreams",
                                   "logs:GetLogEvents"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:DeleteFunction",
                                   "lambda:GetFunction", "lambda:InvokeFunction",
                                   "lambda:UpdateFunctionCode"],
     "Resource": ["arn:aws:lambda:*:*:function:*DeepRacer*"]},
    {"Sid": "ModelBuckets", "Effect": "Allow",
     "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::aws-deepracer-*", "arn:aws:s3:::aws-deepracer-*/*"]},
    {"Effect": "Allow", "Action": ["kinesisvideo:CreateStream", "kinesisvideo:DescribeStream"],
     "Resource": ["arn:aws:kinesisvideo:*:*:stream/dr-*"]},
]}


def test_proposal_breaks_calls_on_other_buckets(tmp_path: Path) -> None:
    write_trail(tmp_path / "trail", 3000, seed=8, profile="deepracer")
    source = PolicySource.catalog().propose(
        {"AWSDeepRacerServiceRolePolicy": json.dumps(NARROW_SERVICE_ROLE_S3)})
    summary = replay(tmp_path / "trail", source, workers=2, out=tmp_path / "r.jsonl")
    data = summary.to_json()
    assert data["disagree_with_log"] == 0 and data["would_break"] > 0
    groups = {(g["principal"].rsplit("/", 1)[1], g["action"]): g
              for g in data["would_break_by_principal"]}
    assert set(groups) == {("AWSDeepRacerServiceRole", "s3:GetObject"),
                           ("AWSDeepRacerServiceRole", "s3:PutObject")}
    assert sum(g["events"] for g in groups.values()) == data["would_break"]
    for g in groups.values():
        assert "aws-deepracer-" not in g["example_resource"]
        assert g["explanation"].startswith("now Allowed by identity:AWSDeepRacerServiceRolePolicy")
        assert "proposed ImplicitlyDenied: no statement" in g["explanation"]
    broken = [r for r in rows(tmp_path / "r.jsonl")
              if r["outcome"] == "success" and r["proposed_decision"] not in (None, "Allowed")
              and r["decision"] != "NotEvaluated"]
    assert len(broken) == data["would_break"]
    # the other roles' policies are untouched
    assert all(r["decision"] == r["proposed_decision"] for r in rows(tmp_path / "r.jsonl")
               if "AWSDeepRacerServiceRole" not in r["principal"])


def test_proposal_on_a_shared_managed_policy(account: PolicySource, trail: Path) -> None:
    """DataLakeRead is attached to the Developers group: narrowing it breaks alice's reads
    of raw/; bob is a Developer too but keeps them through the Auditors group's
    AmazonS3ReadOnlyAccess."""
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example-datalake"},
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::example-datalake/curated/*"}]}
    data = replay(trail, account.propose({"DataLakeRead": json.dumps(narrow)}),
                  workers=1).to_json()
    principals = {g["principal"] for g in data["would_break_by_principal"]}
    assert principals == {f"arn:aws:iam::{A}:user/engineering/alice"}
    assert data["newly_allowed"] == 0


def test_assume_role_outside_the_source_is_noted(account: PolicySource, tmp_path: Path) -> None:
    rec = event(eventSource="sts.amazonaws.com", eventName="AssumeRole",
                userIdentity={"type": "IAMUser",
                              "arn": f"arn:aws:iam::{A}:user/automation/ci-deployer"},
                requestParameters={"roleArn": "arn:aws:iam::444455556666:role/deploy",
                                   "roleSessionName": "x"})
    (tmp_path / "e.json").write_text(json.dumps({"Records": [rec]}), encoding="utf-8")
    replay(tmp_path / "e.json", account, workers=1, out=tmp_path / "r.jsonl")
    (row,) = rows(tmp_path / "r.jsonl")
    assert row["decision"] == "ImplicitlyDenied"  # its policy allows only its own role
    assert "trust policy is not evaluated" in row["note"]


def test_unknown_proposed_policy_name(account: PolicySource, trail: Path) -> None:
    with pytest.raises(CatalogError, match="unknown policy name `Nope`.*DataLakeRead"):
        replay(trail, account.propose({"Nope": "{}"}), workers=2)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_bad_inputs(account: PolicySource, tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="no such file"):
        replay(tmp_path / "missing", account)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoaderError, match="no event files"):
        replay(tmp_path / "empty", account)
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(b'{"Records": [{"eventID": '))
    with pytest.raises(LoaderError, match="broken.json.gz: invalid JSON"):
        replay(broken, account, workers=2)
    with pytest.raises(LoaderError, match="not a CloudTrail log file"):
        replay(EXPORT, account, workers=1)
    with pytest.raises(RequestError, match="extension"):
        replay(HANDWRITTEN, account, out=tmp_path / "r.txt")
    with pytest.raises(RequestError, match="engine"):
        replay(HANDWRITTEN, account, engine="flink")
    with pytest.raises(RequestError, match="workers"):
        replay(HANDWRITTEN, account, workers=0)


def test_bad_json_line_is_counted_not_dropped(account: PolicySource, tmp_path: Path) -> None:
    good = json.dumps(next(records(1, seed=1)))
    (tmp_path / "e.jsonl").write_text(f"{good}\n{{oops\n\n{good}\n", encoding="utf-8")
    data = replay(tmp_path / "e.jsonl", account, workers=1).to_json()
    assert data["events"] == 3 and data["unmapped_by_reason"] == {"not-a-record": 1}


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "drpolicy", "replay", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_json_and_exit_codes(tmp_path: Path) -> None:
    proc = cli(str(HANDWRITTEN), "--account-export", str(EXPORT), "--json", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["events"] == 15
    narrow = tmp_path / "narrow.json"
    narrow.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}]}))
    proc = cli(str(HANDWRITTEN), "--account-export", str(EXPORT), "--workers", "1",
               "--proposed", f"ModelBucketWrite={narrow}", "--out", str(tmp_path / "r.csv"))
    assert proc.returncode == 1, proc.stderr
    assert "would break:" in proc.stdout and "s3:PutObject" in proc.stdout
    assert (tmp_path / "r.csv").read_text().count("\n") == 16


@pytest.mark.parametrize(("args", "fragment"), [
    (("--catalog", "--account-export", str(EXPORT)), "exactly one policy source"),
    ((), "exactly one policy source"),
    (("--policy", str(EXPORT)), "--policy and --principal go together"),
    (("--catalog", "--proposed", "x"), "NAME=POLICY_FILE"),
    (("--catalog", "--workers", "0"), "--workers"),
    (("--account-export", str(EXPORT), "--account-id", "123456789012"), "--account-id"),
])
def test_cli_bad_input(
    args: tuple[str, ...], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from drpolicy.cli import EXIT_BAD_INPUT, main

    code = main(["replay", str(HANDWRITTEN), *args])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.startswith("drpolicy: error: ") and fragment in err


def test_cli_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "drpolicy", "replay", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0
    for word in ("examples:", "drpolicy replay", "--json", "--proposed", "--engine",
                 "exit codes:", "would break"):
        assert word in proc.stdout


def test_progress_line_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from drpolicy.replay import _local

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock = iter([0.0, 1.0, 2.0, 3.0])
    monkeypatch.setattr(_local.time, "monotonic", lambda: next(clock))
    screen = Terminal()
    meter = _local.Progress(1000, screen)
    meter.update(5000, 250)  # 1 s in: a quarter of the bytes
    assert "5,000 events" in screen.getvalue() and "5,000 events/s" in screen.getvalue()
    assert "25.0%" in screen.getvalue() and "ETA 0:03" in screen.getvalue()
    meter.close()
    assert screen.getvalue().endswith("\r")
    quiet = io.StringIO()  # not a terminal: nothing
    _local.Progress(1000, quiet).update(5000, 250)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_every_event_and_byte(
    account: PolicySource, trail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    from drpolicy.replay import _local

    seen: list[tuple[int, int]] = []
    monkeypatch.setattr(_local.Progress, "update",
                        lambda self, events, done: seen.append((events, done)))
    replay(trail, account, workers=workers, out=tmp_path / "r.jsonl", progress=True)
    assert sum(e for e, _ in seen) == 3000
    assert sum(d for _, d in seen) == sum(p.stat().st_size for p in trail.rglob("*.json.gz"))
    assert len(seen) == 5  # one update per file (task)


def test_optional_dependencies_fail_loud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         account: PolicySource) -> None:
    from drpolicy.errors import MissingDependencyError
    from drpolicy.replay import _spark

    for name in ("pyarrow", "pyarrow.parquet", "pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)  # `import name` raises ImportError
    with pytest.raises(MissingDependencyError, match=r"drpolicy\[replay\]"):
        replay(HANDWRITTEN, account, workers=1, out=tmp_path / "r.parquet")
    with pytest.raises(MissingDependencyError, match=r"drpolicy\[spark\]"):
        _spark._pyspark()


# --------------------------------------------------------------------------------------
# Granted but never used
# --------------------------------------------------------------------------------------


def test_granted_but_never_used_is_what_can_minus_the_log(account: PolicySource) -> None:
    from drpolicy._whatcan import allowed_actions
    from drpolicy.loaders import load_account

    summary = replay(HANDWRITTEN, account, workers=1)
    assert summary.granted_unused is not None
    exported = load_account(account.text)
    identities = {**{r.arn: r for r in exported.roles.values()},
                  **{u.arn: u for u in exported.users.values()}}
    lambda_role = "arn:aws:iam::111122223333:role/LambdaExecution"
    # the role's policy grants ssm:GetParameter and the logs actions; the log shows only a
    # kms:Decrypt by it
    assert summary.actions[lambda_role] == {"kms:Decrypt": 1}
    assert summary.granted_unused[lambda_role] == [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter",
    ]
    for principal, unused in summary.granted_unused.items():
        used = {a.lower() for a in summary.actions[principal]}
        assert not used & {a.lower() for a in unused}
        granted = {e.action for e in allowed_actions(identities[principal])}
        assert set(unused) <= granted, principal
    data = summary.to_json()
    assert data["granted_unused_by_principal"][lambda_role] == summary.granted_unused[lambda_role]
    assert "granted but never used, per principal:" in summary.text()


def test_granted_but_never_used_can_be_left_out(account: PolicySource) -> None:
    summary = replay(HANDWRITTEN, account, workers=1, unused=False)
    assert summary.granted_unused is None
    assert "granted_unused_by_principal" not in summary.to_json()
