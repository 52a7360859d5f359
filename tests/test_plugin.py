"""drpolicy's pytest plugin: fixtures, options, ini settings and verdict explanations, run
with pytester; and the plugin in a fresh project that only `pip install`s drpolicy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "data" / "account" / "authorization-details.json"
CATALOG = [
    "AWSDeepRacerServiceRole",
    "AWSDeepRacerLambdaAccessRole",
    "AWSDeepRacerSageMakerAccessRole",
    "AWSDeepRacerRoboMakerAccessRole",
    "AWSDeepRacerCloudFormationAccessRole",
]


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run pytest in the scratch project with the plugin loaded explicitly (and entry-point
    autoloading off, so the result does not depend on how drpolicy is installed here)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest("-p", "drpolicy.pytest_plugin", "-p", "no:cacheprovider", *args)

    return go


def test_catalog_fixture(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(f"""
        import pytest
        from drpolicy import Role

        def test_catalog(drpolicy_catalog):
            assert list(drpolicy_catalog) == {CATALOG!r}
            assert len(drpolicy_catalog) == 5
            role = drpolicy_catalog["sagemaker"]
            assert isinstance(role, Role)
            assert role is drpolicy_catalog["AWSDeepRacerSageMakerAccessRole"]
            assert role.arn.startswith("arn:aws:iam::123456789012:role/service-role/")
            assert "robomaker" in drpolicy_catalog and "nope" not in drpolicy_catalog
            with pytest.raises(KeyError, match="unknown role `nope`"):
                drpolicy_catalog["nope"]
    """)
    run().assert_outcomes(passed=1)


def test_catalog_account_id_ini(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makeini("[pytest]\ndrpolicy_account_id = 444455556666\n")
    pytester.makepyfile("""
        def test_account(drpolicy_catalog):
            assert drpolicy_catalog["deepracer"].arn == (
                "arn:aws:iam::444455556666:role/service-role/AWSDeepRacerServiceRole")
    """)
    run().assert_outcomes(passed=1)


def test_role_factory_without_an_account(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile("""
        import pytest
        from drpolicy.errors import CatalogError
        from drpolicy.testing import assert_allowed, assert_denied

        def test_catalog_role(drpolicy_role):
            assert drpolicy_role("lambda").name == "AWSDeepRacerLambdaAccessRole"

        def test_built_role(drpolicy_role):
            reader = drpolicy_role("reader", {"read": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}},
                path="/app/", account_id="111122223333")
            assert reader.arn == "arn:aws:iam::111122223333:role/app/reader"
            assert_allowed(reader, "s3:GetObject", "arn:aws:s3:::data/x")
            assert_denied(reader, "s3:PutObject", "arn:aws:s3:::data/x")

        def test_unknown(drpolicy_role):
            with pytest.raises(CatalogError, match="AWSDeepRacerServiceRole"):
                drpolicy_role("nope")
            with pytest.raises(TypeError, match="policies"):
                drpolicy_role("nope", path="/x/")
    """)
    run().assert_outcomes(passed=3)


ACCOUNT_TESTS = """
    import pytest
    from drpolicy.errors import CatalogError
    from drpolicy.testing import assert_allowed, assert_denied

    def test_account(drpolicy_account):
        assert drpolicy_account.account_id == "111122223333"
        assert "SageMakerTrainingRole" in drpolicy_account.roles

    def test_roles_and_users(drpolicy_role):
        training = drpolicy_role("SageMakerTrainingRole")
        assert_allowed(training, "s3:PutObject", "arn:aws:s3:::example-models/m.tar.gz")
        assert drpolicy_role("alice").arn.endswith("/alice")
        # not in the account: the catalog
        assert drpolicy_role("deepracer").name == "AWSDeepRacerServiceRole"
        ci = drpolicy_role("arn:aws:iam::111122223333:role/automation/ci-deployer")
        assert_denied(ci, "iam:PassRole", "arn:aws:iam::111122223333:role/LambdaExecution")
        with pytest.raises(CatalogError, match="both a role and a user"):
            drpolicy_role("ci-deployer")
        with pytest.raises(CatalogError, match="SageMakerTrainingRole"):
            drpolicy_role("nope")
"""


def test_account_from_the_command_line(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(ACCOUNT_TESTS)
    result = run(f"--drpolicy-account-export={EXPORT}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"drpolicy: account export {EXPORT}"])


def test_account_from_the_ini_file_is_relative_to_it(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    (pytester.path / "iam").mkdir()
    shutil.copy(EXPORT, pytester.path / "iam" / "export.json")
    pytester.makeini("[pytest]\ndrpolicy_account_export = iam/export.json\n")
    tests = pytester.mkpydir("checks")
    (tests / "test_account.py").write_text(textwrap.dedent(ACCOUNT_TESTS))
    pytester.chdir()
    os.chdir(tests)  # run from a subfolder: the path is still relative to the ini file
    result = run()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["drpolicy: account export */iam/export.json"])


def test_command_line_wins_over_ini(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makeini("[pytest]\ndrpolicy_account_export = missing.json\n")
    pytester.makepyfile(ACCOUNT_TESTS)
    run(f"--drpolicy-account-export={EXPORT}").assert_outcomes(passed=2)


def test_account_fixture_without_an_export_fails_clearly(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile("""
        def test_account(drpolicy_account):
            pass
    """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*the drpolicy_account fixture needs an account export: pass"
                " --drpolicy-account-export PATH or set `drpolicy_account_export = PATH` in the"
                " pytest ini file*"
            ),
        ]
    )


def test_a_broken_export_is_a_loader_error(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    broken = pytester.path / "broken.json"
    broken.write_text('{"RoleDetailList": [{"RoleName": 3}]}')
    pytester.makepyfile("""
        def test_account(drpolicy_account):
            pass
    """)
    result = run(f"--drpolicy-account-export={broken}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*LoaderError*"])


def test_failed_verdict_comparisons_are_explained(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile("""
        from drpolicy.testing import verdict

        def test_allowed():
            assert verdict("deepracer", "s3:GetObject", "arn:aws:s3:::other/x") == "Allowed"

        def test_not_allowed():
            assert verdict("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-x/y") != "Allowed"

        def test_passes():
            assert verdict("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-x/y") == "Allowed"
    """)
    result = run("-vv")  # the whole explanation (see the next test for the default)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*assert <Verdict ImplicitlyDenied: `s3:GetObject` on `arn:aws:s3:::other/x`"
                " for AWSDeepRacerServiceRole> == 'Allowed'"
            ),
            "*missing context: s3:ExistingObjectTag/DeepRacer",
            "*resource segment differs*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            (
                "*assert <Verdict Allowed: `s3:GetObject` on `arn:aws:s3:::deepracer-x/y`"
                " for AWSDeepRacerServiceRole> != 'Allowed'"
            ),
        ]
    )
    assert "deciding statements: identity:AWSDeepRacerServiceRolePolicy: Statement[5]" in (
        result.stdout.str()
    )


def test_verdict_summary_survives_default_truncation(  # type: ignore[no-untyped-def]
    pytester: pytest.Pytester, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At pytest's default verbosity (not on CI) assertion messages are cut to 8 lines / 640
    characters: the decision, the statements and the missing context come first."""
    for var in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(var, raising=False)
    pytester.makepyfile("""
        from drpolicy.testing import verdict

        def test_allowed():
            assert verdict("deepracer", "s3:GetObject", "arn:aws:s3:::other/x") == "Allowed"
    """)
    result = run()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "Full output truncated" in out  # the whole explanation is cut...
    result.stdout.fnmatch_lines([  # ...but not the summary
        "*ImplicitlyDenied (decided by the identity policies): no statement allows it",
        "*- identity:AWSDeepRacerServiceRolePolicy: Statement[[]5]: no Resource pattern matches*",
        "*- identity:AWSDeepRacerServiceRolePolicy: Statement[[]6]: condition*",
        "*missing context: s3:ExistingObjectTag/DeepRacer (the answer may depend on it)",
        "*(the whole explanation: pytest -vv, or print(verdict))",
    ])


def test_assertion_failures_hide_drpolicy_frames(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile("""
        from drpolicy.testing import assert_allowed, assert_can_assume

        def test_allowed():
            assert_allowed("deepracer", "s3:GetObject", "arn:aws:s3:::other/x")

        def test_assume():
            assert_can_assume("lambda.amazonaws.com", "sagemaker")
    """)
    result = run()
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "expected `s3:GetObject` on `arn:aws:s3:::other/x` to be allowed" in out
    assert "testing.py" not in out and "def _check(" not in out and "def _assume(" not in out


def test_options_are_documented(pytester: pytest.Pytester, run) -> None:  # type: ignore[no-untyped-def]
    result = run("--help")
    result.stdout.fnmatch_lines(
        [
            "*--drpolicy-account-export=PATH*",
            "*drpolicy_account_export*",
            "*drpolicy_account_id*",
        ]
    )


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, drpolicy.pytest_plugin;"
        " print(sorted(m for m in ('hypothesis', 'drpolicy.strategies', 'drpolicy.testing'"
        ") if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow  # a hypothesis run in a subprocess (seconds)
def test_hypothesis_explanations_do_not_point_into_drpolicy(pytester: pytest.Pytester) -> None:
    """Hypothesis's explain phase lists the lines only failing examples ran; drpolicy's own
    lines (here the ARN generator's) would send the user into our internals."""
    pytester.makepyfile("""
        from hypothesis import Phase, given, settings
        from drpolicy.strategies import requests_allowed_by

        @settings(phases=list(Phase), database=None, derandomize=True, max_examples=100)
        @given(requests_allowed_by("deepracer"))
        def test_sometimes(request):
            assert not request.resource.startswith("arn:aws:s3:::dr-")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "request=Request(action=" in out  # the shrunk example reads as a request
    assert "drpolicy/" not in out.replace("drpolicy/strategies", ""), out


# --------------------------------------------------------------------------------------
# A fresh project
# --------------------------------------------------------------------------------------

FRESH_TEST = """
from hypothesis import given

from drpolicy.strategies import requests_allowed_by
from drpolicy.testing import assert_allowed, verdict


def test_catalog_fixture(drpolicy_catalog):
    role = drpolicy_catalog["sagemaker"]
    assert_allowed(role, "iam:PassRole", "arn:aws:iam::123456789012:role/Any",
                   {"iam:PassedToService": "sagemaker.amazonaws.com"})


@given(request=requests_allowed_by("robomaker"))
def test_strategies(drpolicy_role, request):
    assert verdict(drpolicy_role("robomaker"), *request) == "Allowed"
"""


@pytest.mark.slow  # a fresh venv and pip install: the slow tier
def test_plugin_works_in_a_fresh_project(tmp_path: Path) -> None:
    """A project that only `pip install`s drpolicy (no editable install; the package index is
    used for pytest, hypothesis and the build backend) gets the fixtures through the
    `pytest11` entry point."""
    if os.environ.get("DRPOLICY_SKIP_VENV_TEST"):
        pytest.skip("DRPOLICY_SKIP_VENV_TEST is set")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))
    }
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{ROOT}[hypothesis]",
            "pytest",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_iam.py").write_text(FRESH_TEST)
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "fixture 'drpolicy_catalog' not found" not in output, (
        "the plugin is not registered: pyproject.toml needs\n"
        '[project.entry-points.pytest11]\ndrpolicy = "drpolicy.pytest_plugin"\n\n' + output
    )
    assert result.returncode == 0, output
    assert "2 passed" in output, output
