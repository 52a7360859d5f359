"""drpolicy.testing (assertions and verdicts) and the examples of docs/testing.md, which run
here twice: as the same tests written out below, and as the page's own code blocks run by
pytest in a scratch project."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drpolicy
from drpolicy import Role
from drpolicy.errors import CatalogError, RequestError
from drpolicy.loaders import load_account
from drpolicy.strategies import arns, case_variants, context_values, requests_allowed_by
from drpolicy.testing import (
    Verdict,
    assert_allowed,
    assert_can_assume,
    assert_cannot_assume,
    assert_denied,
    explain_decision,
    verdict,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
EXPORT = ROOT / "tests" / "data" / "account" / "authorization-details.json"
V = "2012-10-17"

MODEL = "arn:aws:s3:::deepracer-models/model.tar.gz"
OTHER_OBJECT = "arn:aws:s3:::other-bucket/model.tar.gz"
SIM_STREAM = (
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs:log-stream:sim-1"
)

GUARDED = Role.from_policies(
    "Guarded",
    {
        "guarded": {
            "Version": V,
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::data/*",
                },
                {
                    "Sid": "NoSecrets",
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::data/secret/*",
                },
                {
                    "Sid": "Tagged",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestTag/team": "ml"}},
                },
            ],
        }
    },
)


# --------------------------------------------------------------------------------------
# assert_allowed / assert_denied
# --------------------------------------------------------------------------------------


def test_passing_assertions_return_the_decision() -> None:
    assert assert_allowed("deepracer", "s3:GetObject", MODEL).decision == "Allowed"
    assert assert_denied("deepracer", "s3:GetObject", OTHER_OBJECT).decision == "ImplicitlyDenied"
    d = assert_denied(GUARDED, "s3:GetObject", "arn:aws:s3:::data/secret/k", explicit=True)
    assert d.decision == "ExplicitlyDenied"
    assert assert_denied(GUARDED, "s3:GetObject", "arn:aws:s3:::x/k", explicit=False).decision == (
        "ImplicitlyDenied"
    )


def test_a_failed_allow_names_the_failed_segment_and_missing_context() -> None:
    with pytest.raises(AssertionError) as info:
        assert_allowed("deepracer", "s3:GetObject", OTHER_OBJECT)
    text = str(info.value)
    assert text.startswith(
        f"expected `s3:GetObject` on `{OTHER_OBJECT}` to be allowed for AWSDeepRacerServiceRole,"
        " but it is ImplicitlyDenied"
    )
    assert "missing context: s3:ExistingObjectTag/DeepRacer" in text
    assert "resource segment differs" in text  # the bucket patterns' resource part failed
    assert "arn:aws:s3:::*DeepRacer*" in text


def test_a_failed_deny_shows_the_allowing_statement_as_json() -> None:
    with pytest.raises(AssertionError) as info:
        assert_denied(
            "sagemaker",
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/Any",
            {"iam:PassedToService": "sagemaker.amazonaws.com"},
        )
    text = str(info.value)
    assert "to be denied for AWSDeepRacerSageMakerAccessRole, but it is Allowed" in text
    assert "identity:AWSDeepRacerSageMakerAccessRolePolicy: Statement[6]" in text
    assert '"iam:PassedToService": ["sagemaker.amazonaws.com"]' in text
    assert 'request context: {"iam:PassedToService": "sagemaker.amazonaws.com"}' in text


def test_explicit_and_implicit_expectations_fail_the_other_way() -> None:
    with pytest.raises(
        AssertionError, match="to be implicitly denied .* but it is ExplicitlyDenied"
    ):
        assert_denied(GUARDED, "s3:GetObject", "arn:aws:s3:::data/secret/k", explicit=False)
    with pytest.raises(
        AssertionError, match="to be explicitly denied .* but it is ImplicitlyDenied"
    ):
        assert_denied(GUARDED, "s3:GetObject", "arn:aws:s3:::x/k", explicit=True)
    with pytest.raises(AssertionError) as info:
        assert_allowed(GUARDED, "s3:GetObject", "arn:aws:s3:::data/secret/k")
    assert "identity:Guarded/policy-0" in str(info.value) or "NoSecrets" in str(info.value)


def test_msg_prefixes_the_failure() -> None:
    with pytest.raises(AssertionError, match=r"^pipeline needs its model: expected"):
        assert_allowed("deepracer", "s3:GetObject", OTHER_OBJECT, msg="pipeline needs its model")


def test_conditions_are_explained() -> None:
    with pytest.raises(AssertionError) as info:
        assert_allowed(
            GUARDED, "s3:PutObject", "arn:aws:s3:::any/k", {"aws:RequestTag/team": "web"}
        )
    text = str(info.value)
    assert "aws:RequestTag/team" in text and '"web"' in text and '"ml"' in text


def test_bad_requests_raise_drpolicy_errors_not_assertion_errors() -> None:
    with pytest.raises(CatalogError):
        assert_allowed("NoSuchRole", "s3:GetObject", MODEL)
    with pytest.raises(RequestError):
        assert_allowed("deepracer", "s3:Get*", MODEL)
    with pytest.raises(RequestError):
        assert_denied("deepracer", "s3:GetObject", "not-an-arn")
    with pytest.raises(RequestError):
        assert_allowed(42, "s3:GetObject", MODEL)


def test_without_drpolicy_explain_the_fallback_trace_says_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "drpolicy.explain", None)  # import now raises ImportError
    with pytest.raises(AssertionError) as info:
        assert_allowed(
            "robomaker", "logs:PutLogEvents", SIM_STREAM.replace("SimulationJobs", "simulationjobs")
        )
    text = str(info.value)
    assert "identity policy `AWSDeepRacerRoboMakerAccessRolePolicy`:" in text
    assert (
        "Resource `arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs`: no match"
        " (resource segment differs)"
    ) in text
    with pytest.raises(AssertionError) as info:
        assert_allowed("deepracer", "s3:GetObject", OTHER_OBJECT)
    text = str(info.value)
    assert "Condition StringEqualsIgnoreCase `s3:ExistingObjectTag/DeepRacer`: false" in text
    assert "missing context: s3:ExistingObjectTag/DeepRacer" in text


def test_when_explain_fails_the_fallback_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("drpolicy.explain")  # drpolicy.explain is also a function

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RequestError("cannot explain")

    monkeypatch.setattr(module, "explain", broken)
    text = explain_decision("deepracer", "s3:GetObject", OTHER_OBJECT)
    assert "drpolicy.explain could not explain this request: cannot explain" in text
    assert "resource segment differs" in text


def test_loaded_account_principals_work() -> None:
    account = load_account(EXPORT)
    training = account.role("SageMakerTrainingRole")
    assert_allowed(training, "s3:PutObject", "arn:aws:s3:::example-models/m.tar.gz")
    user = account.user("alice")
    decision = user.evaluate("s3:GetObject", MODEL)
    if decision.allowed:
        assert_allowed(user, "s3:GetObject", MODEL)
    else:
        with pytest.raises(AssertionError, match="for alice"):
            assert_allowed(user, "s3:GetObject", MODEL)


# --------------------------------------------------------------------------------------
# Trust
# --------------------------------------------------------------------------------------


def test_assume_assertions() -> None:
    assert assert_can_assume("sagemaker.amazonaws.com", "sagemaker").allowed
    assert not assert_cannot_assume("robomaker.amazonaws.com", "sagemaker").allowed
    with pytest.raises(AssertionError) as info:
        assert_can_assume("robomaker.amazonaws.com", "sagemaker")
    text = str(info.value)
    assert "expected `robomaker.amazonaws.com` to be able to call `sts:AssumeRole`" in text
    assert '"Service": ["sagemaker.amazonaws.com"]' in text  # the trust policy is shown
    with pytest.raises(AssertionError, match="not to be able .* but it is Allowed"):
        assert_cannot_assume("lambda.amazonaws.com", "lambda")


def test_assume_with_identity_policies_and_without_trust_policy() -> None:
    trusting = Role.from_policies(
        "Target",
        [],
        trust_policy={
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "111122223333"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    )
    caller = "arn:aws:iam::111122223333:user/alice"
    may_assume = {
        "Version": V,
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": trusting.arn}],
    }
    assert_cannot_assume(caller, trusting)  # the account is trusted, but alice has no Allow
    assert_can_assume(caller, trusting, identity_policies=[may_assume])
    untrusting = Role.from_policies("Untrusting", [])
    with pytest.raises(AssertionError, match="has no trust policy"):
        assert_can_assume("ec2.amazonaws.com", untrusting)


# --------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------


def test_verdict_comparisons() -> None:
    allowed = verdict("deepracer", "s3:GetObject", MODEL)
    denied = verdict("deepracer", "s3:GetObject", OTHER_OBJECT)
    explicit = verdict(GUARDED, "s3:GetObject", "arn:aws:s3:::data/secret/k")
    assert allowed == "Allowed" and allowed != "Denied"
    assert denied == "Denied" and denied == "ImplicitlyDenied" and denied != "ExplicitlyDenied"
    assert explicit == "Denied" and explicit == "ExplicitlyDenied" and explicit != "Allowed"
    assert "Allowed" == allowed  # reflected comparison
    assert denied != allowed and denied == verdict("lambda", "s3:GetObject", MODEL)
    assert (allowed == 3) is False
    assert isinstance(allowed, Verdict) and allowed.decision.allowed


def test_verdict_refuses_misuse() -> None:
    v = verdict("deepracer", "s3:GetObject", MODEL)
    with pytest.raises(ValueError, match="not `allowed`"):
        v == "allowed"  # noqa: B015 - the comparison itself must raise
    with pytest.raises(TypeError, match="no truth value"):
        bool(v)
    with pytest.raises(TypeError):
        hash(v)


def test_verdict_text() -> None:
    v = verdict("deepracer", "s3:GetObject", OTHER_OBJECT)
    assert repr(v) == (
        f"<Verdict ImplicitlyDenied: `s3:GetObject` on `{OTHER_OBJECT}`"
        " for AWSDeepRacerServiceRole>"
    )
    assert str(v).startswith(repr(v))
    assert "missing context: s3:ExistingObjectTag/DeepRacer" in str(v)
    assert any("resource segment differs" in line for line in v.explanation_lines())


# --------------------------------------------------------------------------------------
# The examples of docs/testing.md, written out (keep in step with the page; the test at the
# end of this file runs the page's own code blocks)
# --------------------------------------------------------------------------------------

DEEPRACER_OBJECTS = [
    "arn:aws:s3:::*deepracer*/*",
    "arn:aws:s3:::*DeepRacer*/*",
    "arn:aws:s3:::*Deepracer*/*",
    "arn:aws:s3:::dr-*/*",
]


@given(obj=arns("s3", "object", matching=DEEPRACER_OBJECTS))
def test_every_object_in_a_deepracer_bucket_is_readable_by_the_service_role(obj: str) -> None:
    assert_allowed("AWSDeepRacerServiceRole", "s3:GetObject", obj)


@given(obj=arns("s3", "object"), tag=case_variants("true"))
def test_objects_tagged_for_deepracer_are_readable_in_any_bucket(obj: str, tag: str) -> None:
    assert_allowed("deepracer", "s3:GetObject", obj, {"s3:ExistingObjectTag/DeepRacer": tag})


DEEPRACER_ROLES = [
    "arn:aws:iam::*:role/AWSDeepRacer*",
    "arn:aws:iam::*:role/service-role/AWSDeepRacer*",
]
OTHER_ROLES = arns("iam", "role", not_matching=DEEPRACER_ROLES)


@settings(max_examples=500)
@given(
    role=st.sampled_from(drpolicy.roles()),
    target=OTHER_ROLES,
    service=context_values("iam:PassedToService"),
)
def naive_no_role_passes_a_role_outside_deepracer(role: str, target: str, service: str) -> None:
    assert_denied(role, "iam:PassRole", target, {"iam:PassedToService": service})


def test_the_naive_passrole_property_fails_on_the_sagemaker_statement() -> None:
    """The docs show this property failing: the SageMaker role may pass any role to
    SageMaker (Statement[6], Resource `*`). hypothesis must find that."""
    with pytest.raises(AssertionError) as info:
        naive_no_role_passes_a_role_outside_deepracer()
    text = str(info.value)
    assert "to be denied for AWSDeepRacerSageMakerAccessRole, but it is Allowed" in text
    assert "identity:AWSDeepRacerSageMakerAccessRolePolicy: Statement[6]" in text


@given(
    role=st.sampled_from(drpolicy.roles()),
    target=OTHER_ROLES,
    service=context_values("iam:PassedToService"),
)
def test_only_sagemaker_passes_other_roles_and_only_to_sagemaker(
    role: str, target: str, service: str
) -> None:
    context = {"iam:PassedToService": service}
    if role == "AWSDeepRacerSageMakerAccessRole" and service == "sagemaker.amazonaws.com":
        assert_allowed(role, "iam:PassRole", target, context)
    else:
        assert_denied(role, "iam:PassRole", target, context)


SIMULATION_LOGS = [
    "arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs",
    "arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs:log-stream:*",
]
LOG_WRITES = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@given(request=requests_allowed_by("robomaker", service="logs"))
def test_robomaker_log_access_is_all_under_simulation_jobs(request: Any) -> None:
    assert re.fullmatch(
        r"arn:aws:logs:[^:]*:[^:]*:log-group:/aws/robomaker/SimulationJobs(:log-stream:.*)?",
        request.resource,
        re.DOTALL,
    )


@given(action=st.sampled_from(LOG_WRITES), target=arns("logs", not_matching=SIMULATION_LOGS))
def test_robomaker_writes_no_other_logs(action: str, target: str) -> None:
    assert_denied("robomaker", action, target)


@given(action=st.sampled_from(LOG_WRITES), target=arns(matching=SIMULATION_LOGS))
def test_robomaker_writes_simulation_logs(action: str, target: str) -> None:
    assert_allowed("robomaker", action, target)


def test_the_log_property_would_catch_a_wider_grant() -> None:
    """The `requests_allowed_by` property is not vacuous: give the role `logs:*` on `*` and
    it fails."""
    robomaker = drpolicy.role("robomaker")
    wider = Role.from_policies(
        "Wider",
        [
            *robomaker.policies,
            drpolicy.load_policy(
                {
                    "Version": V,
                    "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
                },
                name="wider",
            ),
        ],
    )

    @given(request=requests_allowed_by(wider, service="logs"))
    def check(request: Any) -> None:
        assert re.fullmatch(
            r"arn:aws:logs:[^:]*:[^:]*:log-group:/aws/robomaker/SimulationJobs(:log-stream:.*)?",
            request.resource,
            re.DOTALL,
        )

    with pytest.raises(AssertionError):
        check()


# --------------------------------------------------------------------------------------
# docs/testing.md, run as written
# --------------------------------------------------------------------------------------


def doc_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)


def test_the_docs_page_has_the_three_user_properties() -> None:
    code = "\n".join(doc_python_blocks())
    for name in (
        "test_every_object_in_a_deepracer_bucket_is_readable_by_the_service_role",
        "test_no_role_passes_a_role_outside_deepracer",
        "test_only_sagemaker_passes_other_roles_and_only_to_sagemaker",
        "test_robomaker_log_access_is_all_under_simulation_jobs",
        "test_robomaker_writes_no_other_logs",
    ):
        assert f"def {name}(" in code


def test_docs_code_blocks_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of docs/testing.md, in order, as one test module: all pass except
    the naive PassRole property, which the page says fails, with the message it shows."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the same either way: -p below
    pytester.makepyfile(test_docs_testing="\n\n".join(doc_python_blocks()))
    result = pytester.runpytest(
        "-p",
        "drpolicy.pytest_plugin",
        f"--drpolicy-account-export={EXPORT}",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 10
    result.stdout.fnmatch_lines(
        [
            "*FAILED test_docs_testing.py::test_no_role_passes_a_role_outside_deepracer*",
        ]
    )
    out = result.stdout.str()
    assert "to be denied for AWSDeepRacerSageMakerAccessRole, but it is Allowed" in out
    assert "identity:AWSDeepRacerSageMakerAccessRolePolicy: Statement[6]" in out
    assert os.path.basename(DOC) == "testing.md"


def test_a_fail_closed_answer_fails_the_assertion_unless_accepted() -> None:
    # issue 11: a denial that rests on an evaluation error is not a definite answer
    import drpolicy
    from drpolicy.testing import assert_denied

    role = drpolicy.Role.from_policies("ip", {"p": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}})
    # strict (the default) already refuses the mistyped value before evaluating...
    with pytest.raises(AssertionError, match="is not of type IPAddress"):
        assert_denied(role, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "not-an-ip"})
    # ...and without the catalog check the fail-closed answer is refused as not definite
    with pytest.raises(AssertionError, match="not definite"):
        assert_denied(role, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "not-an-ip"},
                      strict=False)
    d = assert_denied(role, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "not-an-ip"},
                      strict=False, allow_indefinite=True)
    assert not d.definite
    assert_denied(role, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "198.51.100.1"})
