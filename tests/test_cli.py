"""The command line, run as a user runs it: ``python -m drpolicy ...`` in a subprocess.

Every subcommand, its ``--json`` output, its exit code (0 allowed/ok, 1 denied/error findings,
2 bad input) and its bad-input behaviour (one ``drpolicy: error:`` line on stderr, nothing on
stdout).

Every test runs twice: in-process (``drpolicy.cli.main`` with stdout, stderr and the working
directory redirected; the quick tier) and as a real subprocess (the slow tier, ``-m slow``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

V = "2012-10-17"
SERVICE_ROLE = "arn:aws:iam::123456789012:role/service-role/AWSDeepRacerServiceRole"
MODEL = "arn:aws:s3:::deepracer-models/model.tar.gz"
ACCOUNT = "111122223333"


_SUBPROCESS = False  # set for each test by the `_mode` fixture


@pytest.fixture(
    autouse=True, params=["in-process", pytest.param("subprocess", marks=pytest.mark.slow)]
)
def _mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_SUBPROCESS", request.param == "subprocess")


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    if not _SUBPROCESS:
        return _run_in_process(args, cwd, stdin)
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "drpolicy", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False,
        input=stdin if stdin is not None else "",
    )


def _run_in_process(
    args: tuple[str, ...], cwd: Path | None, stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """``drpolicy.cli.main(args)`` as the subprocess would run it: its own working directory,
    stdin, stdout and stderr, no account cache from an earlier call, SystemExit as the exit
    code."""
    from drpolicy import cli

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    cli._accounts.clear()
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_json(*args: str) -> tuple[int, Any]:
    proc = run(*args, "--json")
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def assert_bad_input(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, stdout empty, stderr exactly one `drpolicy: error:` line containing the
    fragments."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("drpolicy: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


# --------------------------------------------------------------------------------------
# Fixtures: policy files and a small account export of our own
# --------------------------------------------------------------------------------------


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    read = write(tmp_path / "read.json", doc(
        {"Sid": "ReadData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::data/*"}))
    deny = write(tmp_path / "deny-secret.json", doc(
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*",
         "Resource": "arn:aws:s3:::data/secret/*"}))
    boundary = write(tmp_path / "boundary.json", doc(
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}))
    trust = write(tmp_path / "trust.json", doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))
    caller = write(tmp_path / "caller.json", doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    folder = tmp_path / "policies"
    folder.mkdir()
    write(folder / "a.json", doc({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}))
    write(folder / "b.json", doc({"Effect": "Allow", "Action": "s3:ListBucket",
                                  "Resource": "arn:aws:s3:::data"}))
    (folder / "notes.txt").write_text("not a policy", encoding="utf-8")
    broken = write(tmp_path / "broken.json", '{"Version": "2012-10-17", "Statement": [')
    bad_policy = write(tmp_path / "bad-policy.json", doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x",
         "Condition": {"StringEqualz": {"aws:username": "a"}}},
        {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}))
    export = write(tmp_path / "account.json", {
        "UserDetailList": [{
            "UserName": "dana", "Path": "/", "UserId": "AIDAEXAMPLEDANA00001",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/dana",
            "UserPolicyList": [{"PolicyName": "DanaAssume", "PolicyDocument": doc(
                {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": f"arn:aws:iam::{ACCOUNT}:role/builder"})}],
            "GroupList": ["Readers"], "AttachedManagedPolicies": [],
        }],
        "GroupDetailList": [{
            "GroupName": "Readers", "Path": "/", "GroupId": "AGPAEXAMPLEREADERS01",
            "Arn": f"arn:aws:iam::{ACCOUNT}:group/Readers",
            "GroupPolicyList": [],
            "AttachedManagedPolicies": [{"PolicyName": "ReadData",
                                         "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/ReadData"}],
        }],
        "RoleDetailList": [{
            "RoleName": "builder", "Path": "/ci/", "RoleId": "AROAEXAMPLEBUILDER01",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/ci/builder",
            "AssumeRolePolicyDocument": doc(
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/dana"},
                 "Action": "sts:AssumeRole"}),
            "RolePolicyList": [{"PolicyName": "Build", "PolicyDocument": doc(
                {"Sid": "Functions", "Effect": "Allow", "Action": "lambda:UpdateFunctionCode",
                 "Resource": "arn:aws:lambda:us-east-1:111122223333:function:app-*"})}],
            "AttachedManagedPolicies": [],
        }],
        "Policies": [{
            "PolicyName": "ReadData", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/ReadData",
            "Path": "/", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                   "Document": doc({"Effect": "Allow", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::data/*"})}],
        }],
    })
    return {"read": read, "deny": deny, "boundary": boundary, "trust": trust,
            "caller": caller, "folder": folder, "broken": broken, "bad_policy": bad_policy,
            "export": export, "dir": tmp_path}


# --------------------------------------------------------------------------------------
# Help
# --------------------------------------------------------------------------------------


def test_help_lists_commands_examples_and_exit_codes() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("check", "explain", "roles", "validate", "can-assume", "examples:",
                 "exit codes:", "--account-export"):
        assert word in proc.stdout


@pytest.mark.parametrize("command", ["check", "explain", "roles", "validate", "can-assume"])
def test_subcommand_help(command: str) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0
    assert "examples:" in proc.stdout and f"drpolicy {command}" in proc.stdout
    assert "--json" in proc.stdout and "exit codes:" in proc.stdout
    # every option says what it does: --json too
    assert re.search(r"--json\s+print the \w+ as JSON", proc.stdout), proc.stdout


@pytest.mark.parametrize(
    ("command", "zero", "one"),
    [
        ("check", "0  allowed", "1  denied"),
        ("explain", "0  allowed", "1  denied"),
        ("roles", "0  listed", None),
        ("validate", "0  no finding of severity error", "1  a finding of severity error"),
        ("can-assume", "0  PRINCIPAL may assume ROLE", "1  it may not"),
    ],
)
def test_each_subcommand_states_its_own_exit_codes(
    command: str, zero: str, one: str | None
) -> None:
    codes = run(command, "--help").stdout.split("exit codes:")[1]
    assert zero in codes and "2  bad input" in codes
    if one is None:
        assert "\n  1  " not in codes
    else:
        assert one in codes
    if command != "validate":
        assert "validate" not in codes and "listed" not in codes.replace("0  listed", "")


def test_exit_codes_epilog_is_shared() -> None:
    from drpolicy.cli import exit_codes_epilog

    text = exit_codes_epilog((0, "done"), (1, "not done"), (2, "also: a bad line"))
    assert text.splitlines()[:3] == ["exit codes:", "  0  done", "  1  not done"]
    assert text.count("  2  ") == 1 and "also: a bad line" in text


def test_version() -> None:
    import drpolicy

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"drpolicy {drpolicy.__version__}"


def test_no_command_is_bad_input() -> None:
    assert_bad_input(run(), "required")


def test_unknown_option_is_bad_input() -> None:
    assert_bad_input(run("check", "deepracer", "s3:GetObject", "*", "--frobnicate"),
                     "--frobnicate", "drpolicy check --help")


# --------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------


class TestCheck:
    def test_allowed(self) -> None:
        proc = run("check", "AWSDeepRacerServiceRole", "s3:GetObject", MODEL)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[:2] == [
            "Allowed", "  by identity:AWSDeepRacerServiceRolePolicy: Statement[5]",
        ]

    def test_denied(self) -> None:
        proc = run("check", "deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/x")
        assert proc.returncode == 1
        assert proc.stdout.splitlines()[0] == "ImplicitlyDenied"
        assert "missing context: s3:ExistingObjectTag/DeepRacer" in proc.stdout

    def test_json(self) -> None:
        code, data = run_json("check", "deepracer", "s3:GetObject", MODEL)
        assert code == 0
        assert data["decision"] == "Allowed" and data["allowed"] is True
        assert data["reasons"] == [{"policy": "AWSDeepRacerServiceRolePolicy",
                                    "policy_type": "identity", "index": 5, "sid": None}]
        assert data["missing_context"] == ["s3:ExistingObjectTag/DeepRacer"]

    def test_context(self) -> None:
        target = "arn:aws:iam::123456789012:role/Any"
        assert run("check", "sagemaker", "iam:PassRole", target).returncode == 1
        ok = run("check", "sagemaker", "iam:PassRole", target,
                 "-c", "iam:PassedToService=sagemaker.amazonaws.com")
        assert ok.returncode == 0, ok.stdout
        wrong = run("check", "sagemaker", "iam:PassRole", target,
                    "--context", "iam:PassedToService=robomaker.amazonaws.com")
        assert wrong.returncode == 1

    def test_repeated_context_key_is_multi_valued(self, files: dict[str, Path]) -> None:
        policy = write(files["dir"] / "tags.json", doc(
            {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
             "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}))
        base = ("check", "tagger", "ec2:CreateTags", "*", "--policy", str(policy))
        assert run(*base, "-c", "aws:TagKeys=team", "-c", "aws:TagKeys=env").returncode == 0
        assert run(*base, "-c", "aws:TagKeys=team", "-c", "aws:TagKeys=owner").returncode == 1

    def test_context_json(self) -> None:
        proc = run("check", "deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/x",
                   "--context-json", '{"s3:ExistingObjectTag/DeepRacer": "TRUE"}')
        assert proc.returncode == 0, proc.stdout

    def test_custom_policies(self, files: dict[str, Path]) -> None:
        base = ("check", "reader", "s3:GetObject")
        args = ("--policy", str(files["read"]), "--policy", str(files["deny"]))
        ok = run(*base, "arn:aws:s3:::data/report.csv", *args)
        assert ok.returncode == 0 and "by identity:read: Statement[0] (ReadData)" in ok.stdout
        denied = run(*base, "arn:aws:s3:::data/secret/key", *args)
        assert denied.returncode == 1
        assert denied.stdout.splitlines()[:2] == [
            "ExplicitlyDenied", "  by identity:deny-secret: Statement[0] (NoSecrets)",
        ]

    def test_boundary_limits_custom_role(self, files: dict[str, Path]) -> None:
        args = ("--policy", str(files["read"]), "--boundary", str(files["boundary"]))
        assert run("check", "reader", "s3:GetObject", "arn:aws:s3:::data/a", *args).returncode == 0
        code, data = run_json("check", "reader", "s3:PutObject", "arn:aws:s3:::data/a", *args)
        assert code == 1 and data["decided_by"] == "permission_boundary"

    def test_policy_folder(self, files: dict[str, Path]) -> None:
        args = ("--policy", str(files["folder"]))
        assert run("check", "r", "s3:ListBucket", "arn:aws:s3:::data", *args).returncode == 0
        assert run("check", "r", "logs:GetLogEvents", "*", *args).returncode == 0
        assert run("check", "r", "s3:GetObject", "arn:aws:s3:::data/x", *args).returncode == 1

    def test_account_id_moves_catalog_role(self) -> None:
        code, data = run_json("explain", "deepracer", "deepracer:ListModels", "*",
                              "--account-id", ACCOUNT)
        assert code == 0
        assert data["principal"]["arn"] == (
            f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSDeepRacerServiceRole"
        )

    def test_account_export_user_and_role(self, files: dict[str, Path]) -> None:
        export = ("--account-export", str(files["export"]))
        # dana reads data through her group's managed policy
        ok = run("check", "dana", "s3:GetObject", "arn:aws:s3:::data/x", *export)
        assert ok.returncode == 0 and "by identity:ReadData: Statement[0]" in ok.stdout
        assert run("check", "dana", "s3:PutObject", "arn:aws:s3:::data/x", *export).returncode == 1
        by_arn = run("check", f"arn:aws:iam::{ACCOUNT}:role/ci/builder",
                     "lambda:UpdateFunctionCode",
                     f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app-web", *export)
        assert by_arn.returncode == 0, by_arn.stderr


# --------------------------------------------------------------------------------------
# check: several requests, --output simulate, hints
# --------------------------------------------------------------------------------------

OTHER = "arn:aws:s3:::other-bucket/model.tar.gz"


class TestSeveralRequests:
    def test_actions_times_resources(self) -> None:
        proc = run("check", "deepracer", "--action-names", "s3:GetObject", "s3:DeleteBucket",
                   "--resource-arns", MODEL, OTHER)
        assert proc.returncode == 1, proc.stderr  # the worst outcome: a denial
        rows = [line.split("\t") for line in proc.stdout.splitlines()]
        assert [r[:4] for r in rows] == [
            ["Allowed", "deepracer", "s3:GetObject", MODEL],
            ["ImplicitlyDenied", "deepracer", "s3:GetObject", OTHER],
            ["ImplicitlyDenied", "deepracer", "s3:DeleteBucket", MODEL],
            ["ImplicitlyDenied", "deepracer", "s3:DeleteBucket", OTHER],
        ]
        assert rows[0][4].startswith("by identity:AWSDeepRacerServiceRolePolicy: Statement[5]")

    def test_all_allowed_exits_0(self) -> None:
        proc = run("check", "deepracer", "s3:GetObject", "--resource-arns", MODEL,
                   "arn:aws:s3:::my-deepracer-bucket/k")
        assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2

    def test_jsonl_from_stdin_with_a_bad_line(self) -> None:
        lines = [
            {"role": "deepracer", "action": "s3:GetObject", "resource": MODEL},
            {"role": "nosuchrole", "action": "s3:GetObject", "resource": MODEL},
            {"action": "iam:PassRole", "resource": "arn:aws:iam::123456789012:role/Any",
             "context": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            {"role": "deepracer", "action": "s3:GetObject"},
        ]
        stdin = "\n".join(json.dumps(x) for x in lines) + "\n\nnot json\n"
        proc = run("check", "sagemaker", "--requests", "-", "--json", stdin=stdin)
        assert proc.returncode == 2  # a bad line is the worst outcome
        out = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [o["line"] for o in out] == [1, 2, 3, 4, 6]
        assert out[0]["decision"]["decision"] == "Allowed"
        assert "unknown role `nosuchrole`" in out[1]["error"]
        assert out[2]["role"] == "sagemaker" and out[2]["decision"]["allowed"] is True
        assert "`resource` is missing" in out[3]["error"]
        assert out[4]["error"].startswith("line 6: not JSON")

    def test_csv_file(self, files: dict[str, Path]) -> None:
        requests = write(files["dir"] / "requests.csv", (
            "role,action,resource,context\n"
            f"deepracer,s3:GetObject,{OTHER},\n"
            f'deepracer,s3:GetObject,{OTHER},"{{""s3:ExistingObjectTag/DeepRacer"": ""true""}}"\n'
        ))
        proc = run("check", "--requests", str(requests))
        assert proc.returncode == 1
        assert [line.split("\t")[0] for line in proc.stdout.splitlines()] == [
            "ImplicitlyDenied", "Allowed",
        ]

    def test_requests_with_custom_policies(self, files: dict[str, Path]) -> None:
        requests = write(files["dir"] / "r.jsonl", json.dumps(
            {"action": "s3:GetObject", "resource": "arn:aws:s3:::data/secret/k"}) + "\n")
        proc = run("check", "reader", "--requests", str(requests), "--policy", str(files["read"]),
                   "--policy", str(files["deny"]))
        assert proc.returncode == 1
        assert proc.stdout.startswith("ExplicitlyDenied\treader\ts3:GetObject")

    @pytest.mark.parametrize(
        ("content", "fragment"),
        [
            ("", "no requests"),
            ("who,what\nx,y\n", "requests.txt: unknown CSV column `who`"),
        ],
    )
    def test_unusable_requests_file(self, files: dict[str, Path], content: str,
                                    fragment: str) -> None:
        path = write(files["dir"] / "requests.txt", content)
        assert_bad_input(run("check", "--requests", str(path)), fragment)

    def test_requests_file_missing(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "--requests", str(files["dir"] / "none.jsonl")),
                         "none.jsonl", "no such file")

    @pytest.mark.parametrize(
        "args",
        [
            ("check",),
            ("check", "deepracer"),
            ("check", "deepracer", "s3:GetObject", "*", "--requests", "-"),
            ("check", "deepracer", "--action-names", "s3:GetObject"),
            ("check", "deepracer", "s3:GetObject", "--action-names", "s3:PutObject",
             "--resource-arns", "*"),
        ],
    )
    def test_usage_errors(self, args: tuple[str, ...]) -> None:
        assert_bad_input(run(*args), "drpolicy check --help")


class TestSimulateOutput:
    def test_shape_of_aws_simulate_custom_policy(self) -> None:
        proc = run("check", "deepracer", "--action-names", "s3:GetObject",
                   "--resource-arns", MODEL, OTHER, "--output", "simulate")
        assert proc.returncode == 1, proc.stderr
        results = json.loads(proc.stdout)["EvaluationResults"]
        assert results == [
            {"EvalActionName": "s3:GetObject", "EvalResourceName": MODEL,
             "EvalDecision": "allowed",
             "MatchedStatements": [{"SourcePolicyId": "AWSDeepRacerServiceRolePolicy",
                                    "SourcePolicyType": "role"}],
             "MissingContextValues": ["s3:ExistingObjectTag/DeepRacer"]},
            {"EvalActionName": "s3:GetObject", "EvalResourceName": OTHER,
             "EvalDecision": "implicitDeny", "MatchedStatements": [],
             "MissingContextValues": ["s3:ExistingObjectTag/DeepRacer"]},
        ]

    def test_explicit_deny_single_request(self, files: dict[str, Path]) -> None:
        proc = run("check", "r", "s3:GetObject", "arn:aws:s3:::data/secret/k",
                   "--policy", str(files["read"]), "--policy", str(files["deny"]),
                   "--format", "simulate")
        assert proc.returncode == 1
        (result,) = json.loads(proc.stdout)["EvaluationResults"]
        assert result["EvalDecision"] == "explicitDeny"
        assert result["MatchedStatements"] == [{"SourcePolicyId": "deny-secret",
                                                "SourcePolicyType": "role"}]


class TestHints:
    def test_missing_context_says_how_to_settle_it(self) -> None:
        proc = run("check", "sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/Any")
        assert proc.returncode == 1
        assert ("  the answer may depend on it: give it with -c iam:PassedToService=VALUE"
                in proc.stdout.splitlines())

    def test_empty_policy_folder_is_bad_input(self, files: dict[str, Path]) -> None:
        empty = files["dir"] / "empty"
        empty.mkdir()
        (empty / "README.txt").write_text("no policies here", encoding="utf-8")
        assert_bad_input(run("check", "r", "s3:GetObject", "*", "--policy", str(empty)),
                         str(empty), "no policy files")

    def test_policy_named_like_a_catalog_role_says_so(self, files: dict[str, Path]) -> None:
        proc = run("check", "deepracer", "s3:GetObject", "arn:aws:s3:::data/x",
                   "--policy", str(files["read"]))
        assert proc.returncode == 0
        assert proc.stderr.startswith("drpolicy: note: `deepracer` is evaluated with the"
                                      f" policies of {files['read']} only")
        assert "AWSDeepRacerServiceRole's policies are not used" in proc.stderr
        # a name that is not a catalog role: no note
        assert run("check", "reader", "s3:GetObject", "arn:aws:s3:::data/x",
                   "--policy", str(files["read"])).stderr == ""

    def test_export_passed_as_policy(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "dana", "s3:GetObject", "*",
                             "--policy", str(files["export"])),
                         "get-account-authorization-details", "--account-export")

    def test_group_is_not_a_principal(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "Readers", "s3:GetObject", "*",
                             "--account-export", str(files["export"])),
                         "`Readers` is a group", "dana")

    def test_misspelled_operator_gets_a_suggestion(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "r", "s3:GetObject", "*",
                             "--policy", str(files["bad_policy"])),
                         "did you mean `StringEquals`?")

    def test_policy_passed_as_export(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "x", "s3:GetObject", "*",
                             "--account-export", str(files["read"])),
                         "policy document", "pass it with --policy")


# --------------------------------------------------------------------------------------
# explain
# --------------------------------------------------------------------------------------


class TestExplain:
    def test_text(self) -> None:
        proc = run("explain", "deepracer", "s3:GetObject", MODEL)
        assert proc.returncode == 0
        lines = proc.stdout.splitlines()
        assert lines[0] == f"request:   s3:GetObject on {MODEL}"
        assert lines[1] == f"principal: {SERVICE_ROLE} (role)"
        assert lines[2] == "decision:  Allowed (decided by the identity policies)"
        assert "  + Statement[5] Allow: applies (allows)" in lines
        assert "        Resource `arn:aws:s3:::*deepracer*`: matches" in lines
        assert any(line.startswith("  - Statement[6] Allow: condition StringEqualsIgnoreCase")
                   for line in lines)

    def test_region_segment(self, files: dict[str, Path]) -> None:
        policy = write(files["dir"] / "logs.json", doc(
            {"Effect": "Allow", "Action": "logs:PutLogEvents",
             "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:app:*"}))
        proc = run("explain", "writer", "logs:PutLogEvents",
                   "arn:aws:logs:eu-west-1:123456789012:log-group:app:log-stream:s",
                   "--policy", str(policy))
        assert proc.returncode == 1
        assert "the region segment differs from Resource" in proc.stdout

    def test_json(self) -> None:
        code, data = run_json("explain", "sagemaker", "iam:PassRole",
                              "arn:aws:iam::123456789012:role/AnyRole")
        assert code == 1
        assert data["decision"]["decision"] == "ImplicitlyDenied"
        assert data["decision"]["missing_context"] == ["iam:PassedToService"]
        (policy,) = data["policies"]
        assert policy["name"] == "AWSDeepRacerSageMakerAccessRolePolicy"
        passrole = [s for s in policy["statements"] if s["action"]["matched"]]
        assert len(passrole) == 1
        assert passrole[0]["outcome"] == "condition-false"
        assert passrole[0]["conditions"][0]["request_values"] is None

    def test_verbose_shows_action_misses(self) -> None:
        plain = run("explain", "lambda", "s3:GetObject", "arn:aws:s3:::other/x")
        verbose = run("explain", "lambda", "s3:GetObject", "arn:aws:s3:::other/x", "-v")
        assert plain.returncode == verbose.returncode == 1
        assert len(verbose.stdout.splitlines()) >= len(plain.stdout.splitlines())

    def test_account_export(self, files: dict[str, Path]) -> None:
        proc = run("explain", "builder", "lambda:UpdateFunctionCode",
                   f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:app-web",
                   "--account-export", str(files["export"]))
        assert proc.returncode == 1
        assert "identity policy `Build`: no-match" in proc.stdout
        assert "the region segment differs" in proc.stdout


# --------------------------------------------------------------------------------------
# roles
# --------------------------------------------------------------------------------------


class TestRoles:
    def test_catalog(self) -> None:
        proc = run("roles")
        assert proc.returncode == 0
        lines = proc.stdout.splitlines()
        assert len(lines) == 5
        assert lines[0].split() == ["AWSDeepRacerServiceRole", "deepracer", SERVICE_ROLE]

    def test_catalog_json(self) -> None:
        code, data = run_json("roles")
        assert code == 0
        assert [r["alias"] for r in data] == [
            "deepracer", "lambda", "sagemaker", "robomaker", "cloudformation",
        ]
        assert data[0]["policies"] == ["AWSDeepRacerServiceRolePolicy"]

    def test_account(self, files: dict[str, Path]) -> None:
        proc = run("roles", "--account-export", str(files["export"]))
        assert proc.returncode == 0
        rows = [line.split() for line in proc.stdout.splitlines()]
        assert rows == [
            ["role", "builder", f"arn:aws:iam::{ACCOUNT}:role/ci/builder"],
            ["user", "dana", f"arn:aws:iam::{ACCOUNT}:user/dana"],
        ]

    def test_account_json(self, files: dict[str, Path]) -> None:
        code, data = run_json("roles", "--account-export", str(files["export"]))
        assert code == 0 and data["account_id"] == ACCOUNT
        dana = data["principals"][1]
        assert dana["groups"] == ["Readers"]
        assert dana["policies"] == ["DanaAssume", "ReadData"]


# --------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------


class TestValidate:
    def test_clean_policy(self, files: dict[str, Path]) -> None:
        proc = run("validate", str(files["read"]))
        assert proc.returncode == 0, proc.stdout
        assert proc.stdout.splitlines()[0] == f"{files['read']}: ok"

    def test_malformed_json_is_an_error_finding(self, files: dict[str, Path]) -> None:
        proc = run("validate", str(files["broken"]))
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert ": error: " in proc.stdout

    def test_every_problem_is_reported(self, files: dict[str, Path]) -> None:
        code, data = run_json("validate", str(files["bad_policy"]), str(files["read"]))
        assert code == 1
        bad, good = data
        assert bad["file"] == str(files["bad_policy"]) and good["findings"] == []
        errors = [f for f in bad["findings"] if f["severity"] == "error"]
        paths = " ".join(f["path"] for f in errors)
        assert "Statement[0].Condition" in paths and "Statement[1].Effect" in paths

    def test_comma_in_action_is_an_error(self, files: dict[str, Path]) -> None:
        odd = write(files["dir"] / "odd.json", doc(
            {"Effect": "Allow", "Action": "s3:GetObject,PutObject", "Resource": "*"}))
        code, data = run_json("validate", str(odd))
        assert code == 1
        codes = {(f["severity"], f["code"], f["path"]) for f in data[0]["findings"]}
        assert ("error", "comma-or-space-in-action", "Statement[0].Action") in codes
        text = run("validate", str(odd))
        assert text.returncode == 1
        assert f"{odd}: Statement[0].Action: error: " in text.stdout
        assert text.stdout.splitlines()[-1].startswith("1 file: 1 error")

    def test_security_warning_fails_only_when_asked(self, files: dict[str, Path]) -> None:
        wide = write(files["dir"] / "wide.json", doc(
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
        proc = run("validate", str(wide))
        assert proc.returncode == 0, proc.stdout
        assert "security-warning" in proc.stdout and "[allow-with-not-action]" in proc.stdout
        assert proc.stdout.splitlines()[-1] == "1 file: 1 security-warning"
        assert run("validate", str(wide), "--fail-on", "security-warning").returncode == 1
        assert run("validate", str(files["read"]), "--fail-on", "suggestion").returncode == 0

    def test_severities_match_the_library(self) -> None:
        from drpolicy.cli import _SEVERITIES
        from drpolicy.validate import SEVERITIES

        assert _SEVERITIES == SEVERITIES

    def test_saved_cli_output_is_unwrapped(self, files: dict[str, Path]) -> None:
        """Files saved from `aws iam get-role-policy` / `get-policy-version` are validated by
        the document inside them, as --policy reads them."""
        inner = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
        inline = write(files["dir"] / "inline.json",
                       {"RoleName": "r", "PolicyName": "inline", "PolicyDocument": inner})
        version = write(files["dir"] / "version.json", {"PolicyVersion": {
            "VersionId": "v1", "IsDefaultVersion": True,
            "Document": urllib.parse.quote(json.dumps(inner))}})
        for path in (inline, version):
            code, data = run_json("validate", str(path))
            assert code == 0
            assert [(f["code"], f["path"]) for f in data[0]["findings"]] == [
                ("allow-with-not-action", "Statement[0].NotAction"),
            ]

    def test_policy_type(self, files: dict[str, Path]) -> None:
        # a trust policy has no Resource; as an identity policy that is an error
        assert run("validate", "--type", "trust", str(files["trust"])).returncode == 0
        assert run("validate", "--type", "identity", str(files["trust"])).returncode == 1

    def test_missing_file(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("validate", str(files["read"]), str(files["dir"] / "nope.json")),
                         "nope.json", "no such file")


# --------------------------------------------------------------------------------------
# can-assume
# --------------------------------------------------------------------------------------


class TestCanAssume:
    def test_catalog(self) -> None:
        proc = run("can-assume", "sagemaker.amazonaws.com", "AWSDeepRacerSageMakerAccessRole")
        assert proc.returncode == 0
        assert proc.stdout.splitlines()[1] == (
            "  by trust:AWSDeepRacerSageMakerAccessRoleTrustPolicy: Statement[0]"
        )
        assert run("can-assume", "robomaker.amazonaws.com", "sagemaker").returncode == 1

    def test_json(self) -> None:
        code, data = run_json("can-assume", "robomaker.amazonaws.com", "robomaker")
        assert code == 0 and data["decided_by"] == "trust"

    def test_custom_trust_policy(self, files: dict[str, Path]) -> None:
        trust = ("--trust-policy", str(files["trust"]))
        assert run("can-assume", "ec2.amazonaws.com", "app", *trust).returncode == 0
        assert run("can-assume", "lambda.amazonaws.com", "app", *trust).returncode == 1
        # the trust policy names the caller's account: the caller's own policy must allow too
        user = f"arn:aws:iam::{ACCOUNT}:user/eve"
        alone = run("can-assume", user, "app", *trust, "--account-id", ACCOUNT)
        assert alone.returncode == 1
        with_policy = run("can-assume", user, "app", *trust, "--account-id", ACCOUNT,
                          "--caller-policy", str(files["caller"]))
        assert with_policy.returncode == 0, with_policy.stdout

    def test_account_export_caller_from_export(self, files: dict[str, Path]) -> None:
        export = ("--account-export", str(files["export"]))
        assert run("can-assume", "dana", "builder", *export).returncode == 0
        code, data = run_json("can-assume", f"arn:aws:iam::{ACCOUNT}:user/dana", "builder",
                              *export, "--explain")
        assert code == 0
        assert [(p["name"], p["policy_type"]) for p in data["policies"]] == [
            ("DanaAssume", "identity"), ("ReadData", "identity"), ("builder/trust", "trust"),
        ]
        trust = data["policies"][2]["statements"][0]
        assert trust["principal"]["how"] == "user"
        outsider = run("can-assume", "arn:aws:iam::444455556666:user/mallory", "builder", *export)
        assert outsider.returncode == 1

    def test_explain_text(self) -> None:
        proc = run("can-assume", "lambda.amazonaws.com", "sagemaker", "--explain")
        assert proc.returncode == 1
        assert "Principal does not name the caller `lambda.amazonaws.com`" in proc.stdout

    def test_role_without_trust_policy(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("can-assume", "ec2.amazonaws.com", "app", "--policy",
                             str(files["read"])), "no trust policy")


# --------------------------------------------------------------------------------------
# Bad input: exit 2, one line on stderr, nothing on stdout
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("check", "nosuchrole", "s3:GetObject", "*"), ("unknown role `nosuchrole`",)),
        (("explain", "nosuchrole", "s3:GetObject", "*"), ("unknown role",)),
        (("can-assume", "sagemaker.amazonaws.com", "nosuchrole"), ("unknown role",)),
        (("check", "deepracer", "s3:GetObject", "arn:aws:s3"), ("invalid ARN `arn:aws:s3`",)),
        (("check", "deepracer", "s3:GetObject", "arn:AWS:s3:::b/k"), ("invalid ARN",)),
        (("explain", "deepracer", "s3:GetObject", "bucket/key"), ("invalid ARN",)),
        (("check", "deepracer", "s3GetObject", "*"), ("invalid action",)),
        (("check", "deepracer", "s3:Get*", "*"), ("without wildcards",)),
        (("check", "deepracer", "s3:GetObject", "*", "-c", "novalue"),
         ("--context takes KEY=VALUE", "novalue")),
        (("check", "deepracer", "s3:GetObject", "*", "-c", "=v"), ("--context takes KEY=VALUE",)),
        (("check", "deepracer", "s3:GetObject", "*", "--context-json", "{nope"),
         ("--context-json is not JSON",)),
        (("check", "deepracer", "s3:GetObject", "*", "--context-json", "[1]"),
         ("JSON object",)),
        (("check", "deepracer", "s3:GetObject", "*", "--context-json", '{"k": {"a": 1}}'),
         ("`k`",)),
        (("check", "deepracer", "s3:GetObject", "*", "--account-id", "12"),
         ("invalid account ID",)),
        (("can-assume", "not a principal", "sagemaker"), ("is not a principal",)),
        (("can-assume", "arn:aws:s3:::bucket", "sagemaker"), ("invalid ARN",)),
        (("validate", "--type", "nosuchtype", "x.json"), ("nosuchtype",)),
    ],
)
def test_bad_input(args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    assert_bad_input(run(*args), *fragments)


class TestBadFiles:
    def test_missing_policy_file(self, files: dict[str, Path]) -> None:
        missing = files["dir"] / "missing.json"
        assert_bad_input(run("check", "r", "s3:GetObject", "*", "--policy", str(missing)),
                         "missing.json", "no such file")

    def test_malformed_policy_file(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "r", "s3:GetObject", "*", "--policy", str(files["broken"])),
                         "broken.json")

    def test_invalid_policy_lists_every_problem_on_one_line(self, files: dict[str, Path]) -> None:
        proc = run("explain", "r", "s3:GetObject", "*", "--policy", str(files["bad_policy"]))
        assert_bad_input(proc, "2 problems", "StringEqualz", "Permit")

    def test_trust_policy_with_resource_is_rejected_as_trust(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("can-assume", "ec2.amazonaws.com", "app",
                             "--trust-policy", str(files["read"])), "read.json")

    def test_missing_account_export(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("roles", "--account-export", str(files["dir"] / "none.json")),
                         "none.json", "no such file")

    def test_policy_document_is_not_an_export(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "x", "s3:GetObject", "*",
                             "--account-export", str(files["read"])),
                         "get-account-authorization-details")

    def test_unknown_principal_in_export(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "zed", "s3:GetObject", "*",
                             "--account-export", str(files["export"])), "zed", "dana")

    def test_export_and_policy_conflict(self, files: dict[str, Path]) -> None:
        assert_bad_input(run("check", "dana", "s3:GetObject", "*",
                             "--account-export", str(files["export"]),
                             "--policy", str(files["read"])), "cannot be combined")

    def test_duplicate_policy_names(self, files: dict[str, Path]) -> None:
        other = files["dir"] / "other"
        other.mkdir()
        write(other / "read.json", doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
        assert_bad_input(run("check", "r", "s3:GetObject", "*", "--policy", str(files["read"]),
                             "--policy", str(other / "read.json")), "`read`")


@pytest.mark.slow  # runs the installed script
def test_console_script_matches_module() -> None:
    """The installed ``drpolicy`` script (when present) is the same program."""
    script = Path(sys.executable).with_name("drpolicy")
    if not script.exists():
        pytest.skip("no console script installed next to the interpreter")
    proc = subprocess.run([str(script), "check", "deepracer", "s3:GetObject", MODEL],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0
    assert proc.stdout == run("check", "deepracer", "s3:GetObject", MODEL).stdout


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from drpolicy.cli import EXIT_BAD_INPUT, EXIT_DENIED, main

    assert main(["check", "lambda", "s3:GetObject", "arn:aws:s3:::nope/x"]) == EXIT_DENIED
    assert capsys.readouterr().out.startswith("ImplicitlyDenied")
    assert main(["check", "lambda", "s3:GetObject", "nope"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("drpolicy: error: invalid ARN")


# --------------------------------------------------------------------------------------
# The documentation's transcripts are real runs
# --------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPT_PAGES = [ROOT / "docs" / "cli.md", ROOT / "docs" / "explain.md"]
_FILE_BLOCK = re.compile(
    r"^File `(?P<name>[\w.-]+)`:\n\n```json\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL
)
_CONSOLE_BLOCK = re.compile(r"^```console\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _transcript(body: str) -> list[tuple[str, str, int | None]]:
    """``(command, expected output, expected exit code)`` for each ``$ drpolicy ...`` line of a
    console block; a following ``$ echo $?`` gives the exit code."""
    steps: list[tuple[str, list[str], int | None]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "$ echo $?":
            previous, printed, _ = steps[-1]
            steps[-1] = (previous, printed, int(lines[i + 1]))
            i += 2
            continue
        assert line.startswith("$ drpolicy "), f"not a drpolicy command: {line}"
        command = line[2:]
        out: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("$ "):
            out.append(lines[i])
            i += 1
        steps.append((command, out, None))
    return [(c, "\n".join(o), code) for c, o, code in steps]


@pytest.mark.parametrize("page", TRANSCRIPT_PAGES, ids=[p.name for p in TRANSCRIPT_PAGES])
def test_documented_transcripts(page: Path, tmp_path: Path) -> None:
    """Every console transcript in the page is what the CLI prints today (stdout then stderr),
    with the documented exit codes. Files shown as ``File `x.json`:`` blocks are written to a
    scratch directory that also links the repository's ``tests/`` folder."""
    if not page.exists():
        pytest.skip(f"{page.name} not written yet")
    text = page.read_text(encoding="utf-8")
    for m in _FILE_BLOCK.finditer(text):
        (tmp_path / m["name"]).write_text(m["body"], encoding="utf-8")
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    checked = 0
    for block in _CONSOLE_BLOCK.finditer(text):
        for command, expected, code in _transcript(block["body"]):
            proc = run(*shlex.split(command)[1:], cwd=tmp_path)
            assert (proc.stdout + proc.stderr).rstrip("\n") == expected, command
            if code is not None:
                assert proc.returncode == code, command
            checked += 1
    assert checked > 0


def test_not_definite_answers_exit_3(capsys: Any, tmp_path: Any) -> None:
    # issue 11: a denial that rests on an evaluation error is not "denied, exit 1"
    import json

    from drpolicy.cli import EXIT_DENIED, EXIT_NOT_DEFINITE, main

    policy = tmp_path / "ip.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}))
    args = ["check", "reader", "s3:GetObject", "arn:aws:s3:::b/k", "--policy", str(policy)]
    assert main([*args, "-c", "aws:SourceIp=not-an-ip"]) == EXIT_NOT_DEFINITE
    assert "Denied" in capsys.readouterr().out
    assert main([*args, "-c", "aws:SourceIp=198.51.100.7"]) == EXIT_DENIED
    assert main([*args, "-c", "aws:SourceIp=203.0.113.7"]) == 0


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"k": ' + "1" * 5000 + "}"])
def test_unreadable_context_json_is_bad_input(text: str, capsys: Any) -> None:
    from drpolicy.cli import EXIT_BAD_INPUT, main

    assert main(["check", "sagemaker", "s3:GetObject", "*", "--context-json", text]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("drpolicy: error:") and err.count("\n") == 1
