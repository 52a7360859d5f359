"""The CLI's catalog parts: `warning:` lines and --strict for check/explain, what-can,
who-can, and validate's progress line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from drpolicy import _cli_catalog
from drpolicy.cli import main

EXPORT = str(Path(__file__).parent / "data" / "account" / "authorization-details.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_warns_about_a_typo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "deepracer", "s3:GetObjekt", "arn:aws:s3:::deepracer-x/y")
    assert code == 1
    assert out.startswith("ImplicitlyDenied")
    assert err == (
        "warning: `s3:GetObjekt` is not an action of service `s3`: did you mean `s3:GetObject`?"
        " [unknown-action]\n"
    )
    code, _, err = run(
        capsys, "check", "deepracer", "s3:GetObjekt", "arn:aws:s3:::deepracer-x/y", "--strict"
    )
    assert code == 2 and "did you mean `s3:GetObject`?" in err


def test_strict_without_warnings_keeps_the_decision_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        capsys, "check", "deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-x/y", "--strict"
    )
    assert (code, err) == (0, "")
    code, _, err = run(
        capsys, "check", "deepracer", "s3:GetObject", "arn:aws:s3:::other/y", "--strict"
    )
    assert (code, err) == (1, "")


def test_explain_warns_about_a_context_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "explain",
        "sagemaker",
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/AWSDeepRacerSageMakerAccessRole",
        "-c",
        "iam:PasedToService=sagemaker.amazonaws.com",
        "--strict",
    )
    assert code == 2
    assert "did you mean `iam:PassedToService`?" in err and err.startswith("warning: ")


def test_the_missing_colon_deny(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3::secrets/*"},
                ],
            }
        )
    )
    code, out, err = run(
        capsys,
        "check",
        "me",
        "s3:GetObject",
        "arn:aws:s3:::secrets/db.txt",
        "--policy",
        str(policy),
    )
    assert code == 0 and out.startswith("Allowed") and err == ""  # the request itself is fine
    code, out, _ = run(capsys, "validate", str(policy))
    assert code == 1
    assert "Statement[1].Resource: error:" in out
    assert "this Deny never applies to it: did you mean `arn:aws:s3:::secrets/*`?" in out


def test_what_can(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "what-can", "sagemaker", "--service", "iam", "--json")
    assert code == 0
    data = json.loads(out)
    passrole = next(e for e in data if e["action"] == "iam:PassRole")
    assert passrole["conditions"] == ["if iam:PassedToService = sagemaker.amazonaws.com"]
    code, out, err = run(capsys, "what-can", "deepracer", "--service", "ec2")
    assert (code, out, err) == (1, "", "0 actions\n")
    code, out, _ = run(
        capsys,
        "what-can",
        "deepracer",
        "--service",
        "s3",
        "--resource",
        "arn:aws:s3:::deepracer-models/m.tar.gz",
    )
    assert code == 0 and "s3:GetObject  on arn:aws:s3:::deepracer-models/m.tar.gz" in out


def test_who_can(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "who-can", "s3:GetObject", "arn:aws:s3:::b/k", "--account-export", EXPORT, "--json"
    )
    assert code == 0
    assert {p["principal"].rsplit("/", 1)[1] for p in json.loads(out)} == {
        "CrossAccountAuditor",
        "bob",
        "carol",
    }
    deny = tmp_path / "bucket.json"
    deny.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                ],
            }
        )
    )
    code, out, err = run(
        capsys,
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        "--account-export",
        EXPORT,
        "--resource-policy",
        str(deny),
    )
    assert (code, out, err) == (1, "", "0 principals\n")


def test_validate_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 0.5, 2.0, 3.0, 9.0, 9.5])
    monkeypatch.setattr(_cli_catalog.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = _cli_catalog.validate_progress("big.json", stream)
    progress(250, 1000)  # 0.5 s: too early
    progress(500, 1000)  # 2 s: shown
    progress(750, 1000)  # 3 s: not yet 5 s since the last line
    progress(1000, 1000)  # the end, after a line was shown
    assert stream.getvalue() == "big.json: 500/1000 statements\nbig.json: 1000/1000 statements\n"
