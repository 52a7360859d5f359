"""Loaders: policy files and folders, and `aws iam get-account-authorization-details` exports.

The committed export (tests/data/account/authorization-details.json) is our own fictional
account 111122223333: users alice, bob, carol and ci-deployer; groups Developers (with a Deny
in an inline policy) and Auditors; roles with paths, service and cross-account trust policies
and a permissions boundary; customer-managed policies with several versions; AWS-managed
policies; URL-encoded documents. tests/data/account/broken/ holds broken variants.
"""

from __future__ import annotations

import copy
import json
import pathlib
import urllib.parse
from typing import Any

import pytest

import drpolicy
from drpolicy.errors import CatalogError, DrpolicyError, LoaderError, PolicyParseError
from drpolicy.loaders import (
    Account,
    Group,
    User,
    load_account,
    load_policy_dir,
    load_policy_file,
)
from drpolicy.parser import parse_policy

DATA = pathlib.Path(__file__).parent / "data" / "account"
EXPORT = DATA / "authorization-details.json"
BROKEN = DATA / "broken"
POLICIES = DATA / "policies"
ACCT = "111122223333"


def raw_export() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPORT.read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def account() -> Account:
    return load_account(EXPORT)


def load_error(source: Any, **kwargs: Any) -> LoaderError:
    with pytest.raises(LoaderError) as info:
        load_account(source, **kwargs)
    return info.value


def policy_json(account: Account) -> dict[str, Any]:
    """Every policy of every principal, as JSON: to compare two loads of one account."""
    out: dict[str, Any] = {}
    for name, role in account.roles.items():
        out[f"role/{name}"] = {
            "arn": role.arn,
            "policies": [(p.name, p.to_json()) for p in role.policies],
            "trust": role.trust_policy.to_json() if role.trust_policy else None,
            "boundary": role.permission_boundary.to_json() if role.permission_boundary else None,
        }
    for name, user in account.users.items():
        out[f"user/{name}"] = {
            "arn": user.arn,
            "policies": [(p.name, p.to_json()) for p in user.policies],
            "boundary": user.permission_boundary.to_json() if user.permission_boundary else None,
            "groups": user.groups,
        }
    for arn, policy in account.managed_policies.items():
        out[arn] = (policy.name, policy.to_json())
    return out


# --------------------------------------------------------------------------------------
# Policy files and folders
# --------------------------------------------------------------------------------------


def test_policy_file_is_named_by_its_stem() -> None:
    policy = load_policy_file(POLICIES / "DataLakeRead.json")
    assert policy.name == "DataLakeRead"
    assert [s.sid for s in policy.statements] == ["ListDataLake", "ReadDataLake"]
    assert policy.statements[1].resource == ("arn:aws:s3:::example-datalake/*",)


def test_policy_file_name_override_and_str_path() -> None:
    policy = load_policy_file(str(POLICIES / "DataLakeRead.json"), name="lake")
    assert policy.name == "lake"


def test_policy_file_from_get_policy_version_output() -> None:
    policy = load_policy_file(POLICIES / "TrainingJobAccess.json")
    assert policy.name == "TrainingJobAccess"
    assert [s.sid for s in policy.statements] == ["TrainingJobs", "TrainingData", "TrainingLogs"]


def test_policy_file_from_get_role_policy_output() -> None:
    policy = load_policy_file(POLICIES / "ModelBucketWrite.json")
    assert policy.name == "ModelBucketWrite"
    assert policy.statements[0].action == ("s3:PutObject",)


def test_policy_file_with_url_encoded_document(tmp_path: pathlib.Path) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a b+c/*"}]}
    file = tmp_path / "encoded.json"
    file.write_text(json.dumps({
        "UserName": "carol", "PolicyName": "p",
        "PolicyDocument": urllib.parse.quote(json.dumps(document), safe=""),
    }))
    policy = load_policy_file(file)
    assert policy.statements[0].resource == ("arn:aws:s3:::b/a b+c/*",)


def test_policy_file_checks_the_policy_type() -> None:
    with pytest.raises(LoaderError) as info:
        load_policy_file(POLICIES / "DataLakeRead.json", policy_type="trust")
    assert info.value.source == str(POLICIES / "DataLakeRead.json")
    assert isinstance(info.value.__cause__, PolicyParseError)
    assert "Statement[0].Principal" in str(info.value)
    assert load_policy_file(POLICIES / "DataLakeRead.json", policy_type="identity").name == (
        "DataLakeRead"
    )


def test_policy_file_malformed_json(tmp_path: pathlib.Path) -> None:
    file = tmp_path / "broken.json"
    file.write_text('{"Version": "2012-10-17", "Statement": [}')
    with pytest.raises(LoaderError) as info:
        load_policy_file(file)
    assert info.value.source == str(file)
    cause = info.value.__cause__
    assert isinstance(cause, PolicyParseError)
    assert cause.problems[0].code == "json"
    assert "malformed JSON" in str(info.value)


def test_policy_file_lists_every_problem(tmp_path: pathlib.Path) -> None:
    file = tmp_path / "two.json"
    file.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]}))
    with pytest.raises(LoaderError) as info:
        load_policy_file(file)
    cause = info.value.__cause__
    assert isinstance(cause, PolicyParseError)
    assert [p.path for p in cause.problems] == ["Statement[0].Effect", "Statement[1].Action"]
    assert "Statement[0].Effect" in str(info.value) and "Statement[1].Action" in str(info.value)


@pytest.mark.parametrize(
    ("path", "message"),
    [(DATA / "nope.json", "no such file"), (POLICIES, "is a directory")],
)
def test_policy_file_unreadable(path: pathlib.Path, message: str) -> None:
    with pytest.raises(LoaderError, match=message) as info:
        load_policy_file(path)
    assert info.value.source == str(path)


def test_policy_file_bad_arguments() -> None:
    with pytest.raises(LoaderError, match="expected a path"):
        load_policy_file(42)  # type: ignore[arg-type]
    with pytest.raises(LoaderError, match="unknown policy type `role`"):
        load_policy_file(
            POLICIES / "DataLakeRead.json", policy_type="role"  # type: ignore[arg-type]
        )


def test_policy_dir_loads_json_files_in_name_order() -> None:
    policies = load_policy_dir(POLICIES)
    assert list(policies) == ["DataLakeRead", "ModelBucketWrite", "TrainingJobAccess"]
    assert {k: p.name for k, p in policies.items()} == {k: k for k in policies}
    assert (POLICIES / "README.txt").exists()  # present, and skipped


def test_policy_dir_policies_build_a_role() -> None:
    role = drpolicy.Role.from_policies("Trainer", load_policy_dir(POLICIES), account_id=ACCT)
    d = role.evaluate("s3:PutObject", "arn:aws:s3:::example-models/m.tar.gz")
    assert d.allowed
    assert [r.policy for r in d.reasons] == ["ModelBucketWrite"]


def test_policy_dir_empty_missing_and_not_a_dir(tmp_path: pathlib.Path) -> None:
    assert load_policy_dir(tmp_path) == {}
    with pytest.raises(LoaderError, match="no such directory"):
        load_policy_dir(tmp_path / "absent")
    with pytest.raises(LoaderError, match="not a directory"):
        load_policy_dir(POLICIES / "DataLakeRead.json")


def test_policy_dir_names_the_failing_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.json").write_text((POLICIES / "DataLakeRead.json").read_text())
    (tmp_path / "b.json").write_text('{"Statement": {"Effect": "Allow"}}')
    with pytest.raises(LoaderError) as info:
        load_policy_dir(tmp_path)
    assert info.value.source == str(tmp_path / "b.json")


def test_policy_dir_applies_the_policy_type() -> None:
    with pytest.raises(LoaderError) as info:
        load_policy_dir(POLICIES, policy_type="resource")
    assert info.value.source == str(POLICIES / "DataLakeRead.json")


# --------------------------------------------------------------------------------------
# Account: structure
# --------------------------------------------------------------------------------------


def test_account_contents(account: Account) -> None:
    assert account.account_id == ACCT
    assert list(account.roles) == [
        "SageMakerTrainingRole", "CrossAccountAuditor", "LambdaExecution", "ci-deployer"]
    assert list(account.users) == ["alice", "bob", "carol", "ci-deployer"]
    assert list(account.groups) == ["Developers", "Auditors"]
    assert sorted(account.managed_policies) == sorted([
        f"arn:aws:iam::{ACCT}:policy/DataLakeRead",
        f"arn:aws:iam::{ACCT}:policy/boundaries/DeveloperBoundary",
        f"arn:aws:iam::{ACCT}:policy/service-role/TrainingJobAccess",
        f"arn:aws:iam::{ACCT}:policy/LegacyAdmin",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/IAMUserChangePassword",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ])
    assert account.warnings == ()
    assert repr(account) == (
        f"<Account {ACCT}: 4 roles, 4 users, 2 groups, 7 managed policies>")


def test_account_mappings_are_read_only(account: Account) -> None:
    with pytest.raises(TypeError):
        account.roles["x"] = account.role("LambdaExecution")  # type: ignore[index]


def test_roles_keep_paths_policies_trust_and_boundary(account: Account) -> None:
    training = account.role("SageMakerTrainingRole")
    assert isinstance(training, drpolicy.Role)
    assert training.arn == f"arn:aws:iam::{ACCT}:role/service-role/SageMakerTrainingRole"
    assert [p.name for p in training.policies] == ["ModelBucketWrite", "TrainingJobAccess"]
    assert training.trust_policy is not None
    assert training.trust_policy.name == "SageMakerTrainingRole/trust"
    assert training.permission_boundary is None
    deployer = account.role("ci-deployer")
    assert deployer.arn == f"arn:aws:iam::{ACCT}:role/automation/ci-deployer"
    assert deployer.permission_boundary is not None
    assert deployer.permission_boundary.name == "DeveloperBoundary"
    assert account.role("LambdaExecution").arn == f"arn:aws:iam::{ACCT}:role/LambdaExecution"


def test_groups(account: Account) -> None:
    auditors = account.group("Auditors")
    assert isinstance(auditors, Group)
    assert auditors.arn == f"arn:aws:iam::{ACCT}:group/audit/Auditors"
    assert auditors.path == "/audit/"
    assert [p.name for p in auditors.policies] == ["TeamBaseline", "AmazonS3ReadOnlyAccess"]
    assert dict(auditors.policy_origins) == {
        "TeamBaseline": "inline",
        "AmazonS3ReadOnlyAccess": "managed arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    }
    assert account.group(f"arn:aws:iam::{ACCT}:group/Developers").name == "Developers"


def test_user_policies_include_their_groups_and_count_managed_once(account: Account) -> None:
    alice = account.user("alice")
    assert isinstance(alice, User)
    assert alice.arn == f"arn:aws:iam::{ACCT}:user/engineering/alice"
    assert alice.path == "/engineering/"
    assert alice.groups == ("Developers",)
    assert alice.permission_boundary is None
    # IAMUserChangePassword is attached to alice and to Developers: counted once
    assert [p.name for p in alice.policies] == [
        "AliceHome", "IAMUserChangePassword", "DenyProdData", "TeamBaseline", "DataLakeRead"]
    assert alice.policy_origins["IAMUserChangePassword"] == (
        "managed arn:aws:iam::aws:policy/IAMUserChangePassword")
    assert alice.policy_origins["DenyProdData"] == "group Developers inline"
    assert alice.policy_origins["DataLakeRead"] == (
        f"group Developers managed arn:aws:iam::{ACCT}:policy/DataLakeRead")


def test_same_named_group_policies_are_told_apart(account: Account) -> None:
    bob = account.user("bob")
    names = [p.name for p in bob.policies]
    assert names == [
        "DenyProdData", "TeamBaseline", "DataLakeRead", "IAMUserChangePassword",
        "Auditors/TeamBaseline", "AmazonS3ReadOnlyAccess"]
    assert bob.policy_origins["TeamBaseline"] == "group Developers inline"
    assert bob.policy_origins["Auditors/TeamBaseline"] == "group Auditors inline"
    d = bob.evaluate("cloudtrail:GetTrail", "*")  # allowed by Auditors' policy, not bob's boundary
    assert not d.allowed
    unbounded = User.from_policies("bob", bob.policies, account_id=ACCT)
    d = unbounded.evaluate("cloudtrail:GetTrail", "*")
    assert d.allowed
    assert [r.policy for r in d.reasons] == ["Auditors/TeamBaseline"]


def test_only_the_default_version_is_loaded(account: Account) -> None:
    export = raw_export()
    lake = next(p for p in export["Policies"] if p["PolicyName"] == "DataLakeRead")
    versions = {v["VersionId"]: v["Document"] for v in lake["PolicyVersionList"]}
    assert lake["DefaultVersionId"] == "v3"
    loaded = account.managed_policies[f"arn:aws:iam::{ACCT}:policy/DataLakeRead"]
    assert loaded.name == "DataLakeRead"
    assert loaded.to_json() == parse_policy(versions["v3"]).to_json()
    # v1 is not even a valid policy today: loading succeeded because it was never parsed
    with pytest.raises(PolicyParseError):
        parse_policy(versions["v1"])
    # v2 would let Developers write to the data lake; v3 does not
    assert parse_policy(versions["v2"]).statements[0].action == ("s3:GetObject", "s3:PutObject")
    bob = account.user("bob")
    assert not bob.is_allowed("s3:PutObject", "arn:aws:s3:::example-datalake/raw/x.csv")
    assert bob.is_allowed("s3:GetObject", "arn:aws:s3:::example-datalake/raw/x.csv")


def test_url_encoded_default_version(account: Account) -> None:
    export = raw_export()
    training = next(p for p in export["Policies"] if p["PolicyName"] == "TrainingJobAccess")
    assert all(isinstance(v["Document"], str) for v in training["PolicyVersionList"])
    role = account.role("SageMakerTrainingRole")
    job = f"arn:aws:sagemaker:us-east-1:{ACCT}:training-job/resnet-7"
    d = drpolicy.evaluate(role, "sagemaker:CreateTrainingJob", job)
    assert d.allowed
    assert [str(r) for r in d.reasons] == [
        "identity:TrainingJobAccess: Statement[0] (TrainingJobs)"]
    # v1 (not default) allowed sagemaker:* on *
    assert not drpolicy.is_allowed(role, "sagemaker:DeleteModel", "*")


def test_raw_api_form_loads_like_cli_form(account: Account) -> None:
    """The raw IAM API returns every document URL-encoded; the AWS CLI decodes them."""
    export = raw_export()

    def encode(doc: Any) -> Any:
        if isinstance(doc, str):
            return doc
        return urllib.parse.quote(json.dumps(doc), safe="")

    for section, key in (
        ("UserDetailList", "UserPolicyList"),
        ("GroupDetailList", "GroupPolicyList"),
        ("RoleDetailList", "RolePolicyList"),
    ):
        for entry in export[section]:
            for item in entry.get(key, []):
                item["PolicyDocument"] = encode(item["PolicyDocument"])
            if "AssumeRolePolicyDocument" in entry:
                entry["AssumeRolePolicyDocument"] = encode(entry["AssumeRolePolicyDocument"])
    for policy in export["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = encode(version["Document"])
    assert "%7B" in json.dumps(export["RoleDetailList"][0]["AssumeRolePolicyDocument"])
    assert policy_json(load_account(export)) == policy_json(account)


@pytest.mark.parametrize("kind", ["path", "str path", "text", "bytes", "mapping"])
def test_every_source_form_loads_the_same_account(kind: str, account: Account) -> None:
    text = EXPORT.read_text("utf-8")
    source: Any = {
        "path": EXPORT,
        "str path": str(EXPORT),
        "text": text,
        "bytes": text.encode("utf-8"),
        "mapping": json.loads(text),
    }[kind]
    assert policy_json(load_account(source)) == policy_json(account)


# --------------------------------------------------------------------------------------
# Account: decisions
# --------------------------------------------------------------------------------------


def test_group_deny_blocks_a_user(account: Account) -> None:
    alice = account.user("alice")
    prod = "arn:aws:s3:::example-prod-data/2025/q3.parquet"
    # alice's own inline policy allows it ...
    own = User.from_policies("alice", [p for p in alice.policies if p.name == "AliceHome"],
                             account_id=ACCT)
    assert own.is_allowed("s3:GetObject", prod)
    # ... but the Developers group's inline Deny wins
    assert alice.is_allowed("s3:GetObject", prod) is False
    assert drpolicy.is_allowed(alice, "s3:GetObject", prod) is False
    d = drpolicy.evaluate(alice, "s3:GetObject", prod)
    assert d.decision == "ExplicitlyDenied"
    assert d.decided_by == "identity"
    assert [str(r) for r in d.reasons] == ["identity:DenyProdData: Statement[0] (NoProdData)"]
    assert alice.evaluate("s3:GetObject", prod) == d


def test_user_policy_variables_use_the_user_name(account: Account) -> None:
    alice = account.user("alice")
    assert drpolicy.is_allowed(alice, "s3:PutObject", "arn:aws:s3:::example-home/alice/notes.md")
    assert not drpolicy.is_allowed(alice, "s3:PutObject", "arn:aws:s3:::example-home/bob/notes.md")
    # IAMUserChangePassword (AWS-managed, through Developers): arn:aws:iam::*:user/${aws:username}
    assert alice.is_allowed("iam:ChangePassword", f"arn:aws:iam::{ACCT}:user/alice")
    assert not alice.is_allowed("iam:ChangePassword", f"arn:aws:iam::{ACCT}:user/carol")
    bob = account.user("bob")
    # bob has it too, but his boundary does not allow iam:*
    d = bob.evaluate("iam:ChangePassword", f"arn:aws:iam::{ACCT}:user/bob")
    assert (d.decision, d.decided_by) == ("ImplicitlyDenied", "permission_boundary")
    assert bob.principal.kind == "user"
    assert bob.principal.arn == bob.arn
    assert bob.account_id == ACCT


def test_user_boundary_limits_group_grants(account: Account) -> None:
    bob = account.user("bob")
    assert bob.permission_boundary is not None
    assert bob.permission_boundary.name == "DeveloperBoundary"
    d = drpolicy.evaluate(bob, "cloudtrail:LookupEvents", "*")
    assert d.decision == "ImplicitlyDenied"
    assert d.decided_by == "permission_boundary"
    fn = f"arn:aws:lambda:us-east-1:{ACCT}:function:dev-thumbnails"
    d = drpolicy.evaluate(bob, "lambda:InvokeFunction", fn)
    assert d.allowed
    assert [r.policy for r in d.reasons] == ["TeamBaseline"]
    assert not bob.is_allowed("lambda:InvokeFunction", fn.replace("dev-", "prod-"))


def test_missing_context_from_a_url_encoded_inline_policy(account: Account) -> None:
    carol = account.user("carol")
    own = "arn:aws:s3:::example-reports/carol/q3.csv"
    d = carol.evaluate("s3:PutObject", own)
    assert d.decision == "ImplicitlyDenied"
    assert d.missing_context == ("aws:SecureTransport",)
    assert carol.is_allowed("s3:PutObject", own, {"aws:SecureTransport": "true"})
    assert not carol.is_allowed("s3:PutObject", own, {"aws:SecureTransport": "false"})
    other = "arn:aws:s3:::example-reports/alice/q3.csv"
    assert not carol.is_allowed("s3:PutObject", other, {"aws:SecureTransport": "true"})
    # the AWS-managed read-only policy still lets her read anything
    assert carol.is_allowed("s3:GetObject", "arn:aws:s3:::example-reports/alice/q3.csv")


def test_unattached_managed_policy_grants_nothing(account: Account) -> None:
    assert f"arn:aws:iam::{ACCT}:policy/LegacyAdmin" in account.managed_policies
    for user in account.users.values():
        assert not user.is_allowed("ec2:TerminateInstances", "*")
    for role in account.roles.values():
        assert not drpolicy.is_allowed(role, "ec2:TerminateInstances", "*")


def test_role_decisions_by_name(account: Account) -> None:
    role = account.role("SageMakerTrainingRole")
    d = drpolicy.evaluate(role, "s3:PutObject", "arn:aws:s3:::example-models/m.tar.gz")
    assert d.allowed and [r.policy for r in d.reasons] == ["ModelBucketWrite"]
    assert drpolicy.is_allowed(role, "s3:GetObject", "arn:aws:s3:::example-datalake/training/a")
    assert not drpolicy.is_allowed(role, "s3:GetObject", "arn:aws:s3:::example-datalake/raw/a")
    auditor = account.role("CrossAccountAuditor")
    d = drpolicy.evaluate(auditor, "s3:GetObject", "arn:aws:s3:::example-prod-data/x")
    assert d.decision == "ExplicitlyDenied"
    assert [r.policy for r in d.reasons] == ["NoProdObjects"]
    d = drpolicy.evaluate(auditor, "s3:GetObject", "arn:aws:s3:::example-reports/x")
    assert d.allowed and [r.policy for r in d.reasons] == ["AmazonS3ReadOnlyAccess"]
    lam = account.role("LambdaExecution")
    assert drpolicy.is_allowed(lam, "logs:PutLogEvents", "*")
    parameter = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/app/db"
    assert drpolicy.is_allowed(lam, "ssm:GetParameter", parameter)


def test_role_boundary_blocks_pass_role(account: Account) -> None:
    deployer = account.role("ci-deployer")
    passed = f"arn:aws:iam::{ACCT}:role/LambdaExecution"
    d = drpolicy.evaluate(deployer, "iam:PassRole", passed)
    assert d.decision == "ImplicitlyDenied"
    assert d.decided_by == "permission_boundary"
    assert drpolicy.is_allowed(
        deployer, "lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCT}:function:api")


def test_trust_policies(account: Account) -> None:
    assert drpolicy.can_assume("sagemaker.amazonaws.com", account.role("SageMakerTrainingRole"))
    assert not drpolicy.can_assume("lambda.amazonaws.com", account.role("SageMakerTrainingRole"))
    assert drpolicy.can_assume("lambda.amazonaws.com", account.role("LambdaExecution"))
    deployer_user = account.user("ci-deployer")
    deployer_role = account.role("ci-deployer")
    assert drpolicy.can_assume(deployer_user.arn, deployer_role)
    assert not drpolicy.can_assume(account.user("alice").arn, deployer_role)


def test_cross_account_trust_from_a_url_encoded_document(account: Account) -> None:
    export = raw_export()
    assert isinstance(export["RoleDetailList"][1]["AssumeRolePolicyDocument"], str)
    auditor = account.role("CrossAccountAuditor")
    caller = "arn:aws:iam::444455556666:role/SecurityAudit"
    identity = [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": auditor.arn}]}]
    ctx = {"sts:ExternalId": "example-audit-7f3a"}
    assert drpolicy.can_assume(caller, auditor, ctx, identity_policies=identity)
    assert not drpolicy.can_assume(caller, auditor, identity_policies=identity)
    assert not drpolicy.can_assume(caller, auditor, ctx)  # cross-account: identity side too
    assert not drpolicy.can_assume(
        "arn:aws:iam::777788889999:role/SecurityAudit", auditor, ctx, identity_policies=identity)


# --------------------------------------------------------------------------------------
# Account: look-ups
# --------------------------------------------------------------------------------------


def test_lookups_by_name_arn_and_case(account: Account) -> None:
    role = account.role("CrossAccountAuditor")
    assert account.role(role.arn) is role
    assert account.role("crossaccountauditor") is role
    alice = account.user("alice")
    assert account.user(alice.arn) is alice
    assert account.user("ALICE") is alice
    assert account.principal("alice") is alice
    assert account.principal(role.arn) is role
    assert account.principal("LambdaExecution") is account.role("LambdaExecution")
    assert account.principal(f"arn:aws:iam::{ACCT}:user/automation/ci-deployer") is (
        account.user("ci-deployer"))
    assert account.principal(f"arn:aws:iam::{ACCT}:role/automation/ci-deployer") is (
        account.role("ci-deployer"))


def test_unknown_names_list_the_known_ones(account: Account) -> None:
    with pytest.raises(CatalogError) as info:
        account.role("Admin")
    assert str(info.value) == (
        f"unknown role `Admin` in account {ACCT}: known roles are SageMakerTrainingRole,"
        " CrossAccountAuditor, LambdaExecution, ci-deployer")
    assert info.value.known == tuple(account.roles)
    with pytest.raises(CatalogError, match="unknown user `dave`.*alice, bob, carol, ci-deployer"):
        account.user("dave")
    with pytest.raises(CatalogError, match="unknown group `Ops`.*Developers, Auditors"):
        account.group("Ops")
    with pytest.raises(CatalogError, match="known roles are .*; known users are alice"):
        account.principal("dave")
    with pytest.raises(CatalogError):
        account.role(f"arn:aws:iam::{ACCT}:role/Admin")
    with pytest.raises(CatalogError):
        account.role(None)  # type: ignore[arg-type]


def test_a_name_that_is_both_a_role_and_a_user_needs_the_arn(account: Account) -> None:
    with pytest.raises(CatalogError, match="both a role and a user.*pass the ARN"):
        account.principal("ci-deployer")


# --------------------------------------------------------------------------------------
# Account: missing managed policies
# --------------------------------------------------------------------------------------


def test_missing_aws_managed_policy_is_an_error_naming_the_entry() -> None:
    err = load_error(BROKEN / "missing-aws-managed.json")
    assert err.source == "RoleDetailList[1].AttachedManagedPolicies[0].PolicyArn"
    assert "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" in str(err)
    assert "role `CrossAccountAuditor`" in str(err)
    assert 'missing_managed="ignore"' in str(err)


def test_missing_managed_policies_can_be_skipped_with_warnings() -> None:
    account = load_account(BROKEN / "missing-aws-managed.json", missing_managed="ignore")
    skipped = (
        "is not in the export's Policies list: skipped (its statements, including any Deny,"
        " are not evaluated)"
    )
    first = ("RoleDetailList[1].AttachedManagedPolicies[0].PolicyArn: managed policy"
             " `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess` attached to role"
             f" `CrossAccountAuditor` {skipped}")
    second = ("RoleDetailList[2].AttachedManagedPolicies[0].PolicyArn: managed policy"
              " `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` attached to"
              f" role `LambdaExecution` {skipped}")
    assert account.warnings == (first, second)
    auditor = account.role("CrossAccountAuditor")
    assert [p.name for p in auditor.policies] == ["ReadTrails", "NoProdObjects"]
    assert not drpolicy.is_allowed(auditor, "s3:GetObject", "arn:aws:s3:::example-reports/x")
    assert drpolicy.is_allowed(auditor, "cloudtrail:LookupEvents", "*")
    assert account.users == {}


def test_missing_boundary_is_an_error_even_when_ignoring() -> None:
    export = raw_export()
    export["Policies"] = [p for p in export["Policies"] if p["PolicyName"] != "DeveloperBoundary"]
    for mode in ("error", "ignore"):
        err = load_error(export, missing_managed=mode)
        assert err.source == "UserDetailList[1].PermissionsBoundary.PermissionsBoundaryArn"
        assert "would widen permissions" in str(err)


def test_bad_missing_managed_value() -> None:
    with pytest.raises(LoaderError, match="expected `error` or `ignore`"):
        load_account(EXPORT, missing_managed="skip")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Account: broken exports
# --------------------------------------------------------------------------------------


def test_broken_inline_policy_names_the_entry_and_every_problem() -> None:
    err = load_error(BROKEN / "bad-role-policy.json")
    assert isinstance(err, ValueError) and isinstance(err, DrpolicyError)
    assert err.source == "RoleDetailList[1].RolePolicyList[0].PolicyDocument"
    assert str(err).startswith(
        "RoleDetailList[1].RolePolicyList[0].PolicyDocument: policy `ReadTrails`: 2 problems")
    cause = err.__cause__
    assert isinstance(cause, PolicyParseError)
    assert [p.path for p in cause.problems] == ["Statement[0].Effect", "Statement[1].Action"]
    for problem in cause.problems:
        assert str(problem) in str(err)


def test_truncated_export() -> None:
    err = load_error(BROKEN / "truncated.json")
    assert err.source == "IsTruncated"
    assert "paginated" in str(err)
    export = raw_export()
    export["NextToken"] = "eyJNYXJrZXIiOiBudWxsfQ=="
    assert load_error(export).source == "NextToken"


def test_conflicting_default_version() -> None:
    err = load_error(BROKEN / "conflicting-default-version.json")
    assert err.source == "Policies[0].PolicyVersionList"
    assert "DefaultVersionId is `v3` but IsDefaultVersion marks `v2`" in str(err)


def test_unknown_group() -> None:
    err = load_error(BROKEN / "unknown-group.json")
    assert err.source == "UserDetailList[0].GroupList[1]"
    assert "group `Operators` is not in the export's GroupDetailList" in str(err)


def _mutated(change: Any) -> dict[str, Any]:
    export = raw_export()
    change(export)
    return export


def _lake_versions(e: dict[str, Any]) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = e["Policies"][0]["PolicyVersionList"]
    return versions


def _set(path: list[Any], value: Any) -> Any:
    def change(e: Any) -> None:
        for key in path[:-1]:
            e = e[key]
        e[path[-1]] = value
    return change


def _delete(path: list[Any]) -> Any:
    def change(e: Any) -> None:
        for key in path[:-1]:
            e = e[key]
        del e[path[-1]]
    return change


TRUST_WITH_RESOURCE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
    "Resource": "*"}]}
IDENTITY_WITH_PRINCIPAL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}


@pytest.mark.parametrize(
    ("change", "source", "message"),
    [
        pytest.param(_set(["RoleDetailList", 0, "AssumeRolePolicyDocument"], TRUST_WITH_RESOURCE),
                     "RoleDetailList[0].AssumeRolePolicyDocument", "Statement[0].Resource",
                     id="trust-policy-with-resource"),
        pytest.param(_delete(["RoleDetailList", 2, "AssumeRolePolicyDocument"]),
                     "RoleDetailList[2]", "missing `AssumeRolePolicyDocument`",
                     id="no-trust-policy"),
        pytest.param(_set(["UserDetailList", 2, "UserPolicyList", 0, "PolicyDocument"],
                          urllib.parse.quote('{"Version": "2012-10-17", "Statement": [', safe="")),
                     "UserDetailList[2].UserPolicyList[0].PolicyDocument", "malformed JSON",
                     id="url-encoded-broken-json"),
        pytest.param(_set(["UserDetailList", 2, "UserPolicyList", 0, "PolicyDocument"],
                          "Version=2012-10-17"),
                     "UserDetailList[2].UserPolicyList[0].PolicyDocument",
                     "must be JSON or URL-encoded JSON", id="string-not-json"),
        pytest.param(_set(["UserDetailList", 2, "UserPolicyList", 0, "PolicyDocument"],
                          "%7B%FF%7D"),
                     "UserDetailList[2].UserPolicyList[0].PolicyDocument", "not UTF-8",
                     id="url-encoded-not-utf8"),
        pytest.param(_set(["UserDetailList", 0, "UserPolicyList", 0, "PolicyDocument"],
                          IDENTITY_WITH_PRINCIPAL),
                     "UserDetailList[0].UserPolicyList[0].PolicyDocument",
                     "`Principal` is not allowed", id="identity-policy-with-principal"),
        pytest.param(_set(["GroupDetailList", 0, "GroupPolicyList", 1, "PolicyDocument"], 7),
                     "GroupDetailList[0].GroupPolicyList[1].PolicyDocument",
                     "must be an object or a string, not a number", id="group-policy-number"),
        pytest.param(_set(["Policies", 0, "PolicyVersionList", 0, "Document"],
                          {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}),
                     "Policies[0].PolicyVersionList[0].Document", "Resource",
                     id="managed-default-version-broken"),
        pytest.param(_delete(["Policies", 0, "PolicyVersionList", 0, "Document"]),
                     "Policies[0].PolicyVersionList[0]", "missing `Document`", id="no-document"),
        pytest.param(_set(["Policies", 0, "DefaultVersionId"], "v9"),
                     "Policies[0].PolicyVersionList", "no version `v9`", id="default-id-absent"),
        pytest.param(lambda e: (_delete(["Policies", 0, "DefaultVersionId"])(e),
                                _lake_versions(e)[0].update(IsDefaultVersion=False)),
                     "Policies[0].PolicyVersionList", "no version is marked", id="no-default"),
        pytest.param(lambda e: (_delete(["Policies", 0, "DefaultVersionId"])(e),
                                _lake_versions(e)[1].update(IsDefaultVersion=True)),
                     "Policies[0].PolicyVersionList", "several versions are marked",
                     id="two-defaults"),
        pytest.param(_set(["Policies", 0, "PolicyVersionList"], []),
                     "Policies[0].PolicyVersionList", "missing or empty", id="no-versions"),
        pytest.param(_set(["RoleDetailList", 0, "Path"], "/"),
                     "RoleDetailList[0].Arn", "does not match RoleName", id="path-mismatch"),
        pytest.param(_set(["RoleDetailList", 0, "Path"], "service-role"),
                     "RoleDetailList[0].Path", "invalid path", id="bad-path"),
        pytest.param(_set(["UserDetailList", 1, "Arn"], "arn:aws:iam::111122223333:role/bob"),
                     "UserDetailList[1].Arn", "is not an IAM user ARN", id="user-with-role-arn"),
        pytest.param(_set(["UserDetailList", 1, "Arn"], "arn:aws:iam::999988887777:user/bob"),
                     "UserDetailList[1].Arn", "account `999988887777` differs from `111122223333`",
                     id="mixed-accounts"),
        pytest.param(_set(["RoleDetailList", 3, "Arn"],
                          "arn:aws-cn:iam::111122223333:role/automation/ci-deployer"),
                     "RoleDetailList[3].Arn", "outside the `aws` partition", id="china-role"),
        pytest.param(_delete(["RoleDetailList", 1, "RoleName"]),
                     "RoleDetailList[1]", "missing `RoleName`", id="no-role-name"),
        pytest.param(_set(["UserDetailList", 1, "UserName"], ""),
                     "UserDetailList[1].UserName", "non-empty string", id="empty-user-name"),
        pytest.param(lambda e: e["RoleDetailList"].append(copy.deepcopy(e["RoleDetailList"][2])),
                     "RoleDetailList[4]",
                     "duplicate role `LambdaExecution` (also at RoleDetailList[2])",
                     id="duplicate-role"),
        pytest.param(lambda e: e["Policies"].append(copy.deepcopy(e["Policies"][3])),
                     "Policies[7]", "duplicate policy", id="duplicate-policy"),
        pytest.param(lambda e: e["UserDetailList"][0]["UserPolicyList"].append(
                         copy.deepcopy(e["UserDetailList"][0]["UserPolicyList"][0])),
                     "UserDetailList[0].UserPolicyList[1]", "duplicate inline policy `AliceHome`",
                     id="duplicate-inline-policy"),
        pytest.param(_set(["UserDetailList", 0, "UserPolicyList", 0, "PolicyName"], "Alice/Home"),
                     "UserDetailList[0].UserPolicyList[0].PolicyName", "invalid policy name",
                     id="bad-policy-name"),
        pytest.param(_set(["RoleDetailList", 0, "AttachedManagedPolicies", 0], "TrainingJobAccess"),
                     "RoleDetailList[0].AttachedManagedPolicies[0]",
                     "expected an object, not a string",
                     id="attachment-not-object"),
        pytest.param(_set(["RoleDetailList", 0, "RolePolicyList"], {}),
                     "RoleDetailList[0].RolePolicyList", "expected an array, not an object",
                     id="inline-list-not-array"),
        pytest.param(_set(["UserDetailList", 1, "GroupList"], "Developers"),
                     "UserDetailList[1].GroupList", "expected an array", id="group-list-string"),
        pytest.param(_set(["UserDetailList", 1, "PermissionsBoundary"], "DeveloperBoundary"),
                     "UserDetailList[1].PermissionsBoundary", "expected an object",
                     id="boundary-string"),
        pytest.param(_set(["GroupDetailList", 1], None),
                     "GroupDetailList[1]", "expected an object, not null", id="null-group"),
        pytest.param(_set(["RoleDetailList"], {"RoleName": "x"}),
                     "RoleDetailList", "expected an array, not an object", id="list-not-array"),
    ],
)
def test_broken_entries_are_named(change: Any, source: str, message: str) -> None:
    err = load_error(_mutated(change))
    assert err.source == source
    assert message in str(err)
    assert str(err).startswith(f"{source}: ")


def test_broken_document_keeps_the_parse_error_as_cause() -> None:
    err = load_error(_mutated(_set(["RoleDetailList", 0, "AssumeRolePolicyDocument"],
                                   TRUST_WITH_RESOURCE)))
    assert isinstance(err.__cause__, PolicyParseError)
    assert err.__cause__.problems[0].path == "Statement[0].Resource"
    assert "policy `SageMakerTrainingRole/trust`" in str(err)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[1, 2]", "not an array"),
        ('{"RoleDetailList": [', "malformed JSON"),
        (b"\xff\xfe{", "not UTF-8"),
        ({}, "not an `aws iam get-account-authorization-details` export"),
        ({"Version": "2012-10-17", "Statement": []}, "looks like a policy document"),
        ({"RoleDetailList": [], "Policies": []}, "cannot tell the account ID"),
        ({"Policies": [{"PolicyName": "AmazonS3ReadOnlyAccess", "Arn":
                        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                        "DefaultVersionId": "v1", "PolicyVersionList": [
                            {"VersionId": "v1", "IsDefaultVersion": True,
                             "Document": {"Statement": []}}]}]},
         "cannot tell the account ID"),
        (42, "not int"),
        (DATA / "absent.json", "no such file"),
        (str(DATA / "absent.json"), "no such file"),
        (POLICIES / "DataLakeRead.json", "looks like a policy document"),
    ],
)
def test_unusable_sources(source: Any, message: str) -> None:
    err = load_error(source)
    assert message in str(err)


def test_file_errors_name_the_file(tmp_path: pathlib.Path) -> None:
    file = tmp_path / "export.json"
    file.write_text('{"RoleDetailList": [}')
    err = load_error(file)
    assert err.source == str(file)
    assert "malformed JSON" in str(err)


# --------------------------------------------------------------------------------------
# User.from_policies
# --------------------------------------------------------------------------------------


def test_user_from_policies() -> None:
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    user = User.from_policies("dana", [doc], permission_boundary=boundary, account_id=ACCT,
                              path="/team/", groups=("Readers",))
    assert user.arn == f"arn:aws:iam::{ACCT}:user/team/dana"
    assert [p.name for p in user.policies] == ["dana/policy-0"]
    assert user.permission_boundary is not None
    assert user.permission_boundary.name == "dana/boundary"
    assert user.groups == ("Readers",)
    assert user.is_allowed("s3:GetObject", "arn:aws:s3:::home/dana/a")
    assert not user.is_allowed("s3:PutObject", "arn:aws:s3:::home/dana/a")  # boundary
    assert repr(user) == f"<User dana arn:aws:iam::{ACCT}:user/team/dana (1 policies)>"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "bad/name"}, drpolicy.RequestError),
        ({"account_id": "12345"}, drpolicy.RequestError),
        ({"path": "team"}, drpolicy.RequestError),
        ({"policies": '{"Statement": []}'}, drpolicy.RequestError),
        ({"policies": {"p": IDENTITY_WITH_PRINCIPAL}}, PolicyParseError),
    ],
)
def test_user_from_policies_rejects_bad_input(kwargs: dict[str, Any], error: type) -> None:
    args: dict[str, Any] = {"name": "dana", "policies": {}, **kwargs}
    with pytest.raises(error):
        User.from_policies(args.pop("name"), args.pop("policies"), **args)


def test_lookup_of_the_wrong_kind_says_what_the_name_is(account: Account) -> None:
    with pytest.raises(CatalogError, match=r"^`alice` is a user in account 111122223333, not a role$"):
        account.role("alice")
    with pytest.raises(CatalogError, match=r"`SageMakerTrainingRole` is a role .*, not a user$"):
        account.user("SageMakerTrainingRole")
    with pytest.raises(CatalogError, match=r"`alice` is a user .*, not a group$"):
        account.group("alice")
    with pytest.raises(CatalogError, match=r"unknown role `nobody` in account 111122223333"):
        account.role("nobody")


def test_a_group_is_not_a_principal(account: Account) -> None:
    with pytest.raises(CatalogError) as info:
        account.principal("Developers")
    message = str(info.value)
    assert message.startswith("`Developers` is a group in account 111122223333, not a role or")
    assert "groups make no requests" in message and "alice, bob" in message
