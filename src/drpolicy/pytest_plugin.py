"""drpolicy's pytest plugin: fixtures for the built-in catalog and for a loaded account, and
readable failures for ``assert verdict(...) == "Allowed"``.

Installed with drpolicy (entry point ``pytest11``: ``drpolicy``); nothing to configure for the
catalog. Fixtures:

* ``drpolicy_catalog``: the catalog roles by name (aliases work too):
  ``drpolicy_catalog["AWSDeepRacerSageMakerAccessRole"]``, ``drpolicy_catalog["sagemaker"]``.
* ``drpolicy_account``: the account loaded from ``aws iam get-account-authorization-details``
  output, named by the ``--drpolicy-account-export PATH`` option or the
  ``drpolicy_account_export`` ini setting (relative to the ini file). A test using it fails
  with a clear message when neither is set.
* ``drpolicy_role``: a factory: ``drpolicy_role("sagemaker")`` resolves a name in the loaded
  account (when one is configured) and then in the catalog; ``drpolicy_role("ci",
  {"read": {...}}, path="/service-role/")`` builds a role from policy documents.

The plugin imports only pytest at load time (no hypothesis, and drpolicy itself when a fixture
or a verdict comparison first needs it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from drpolicy.roles import Role

__all__ = [
    "drpolicy_account",
    "drpolicy_catalog",
    "drpolicy_role",
    "pytest_addoption",
    "pytest_assertrepr_compare",
    "pytest_report_header",
]

_INI = "drpolicy_account_export"
_OPTION = "--drpolicy-account-export"
_ACCOUNT_ID_INI = "drpolicy_account_id"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--drpolicy-account-export`` and the ``drpolicy_*`` ini settings."""
    group = parser.getgroup("drpolicy", "drpolicy IAM policy evaluation")
    group.addoption(
        _OPTION,
        dest="drpolicy_account_export",
        metavar="PATH",
        default=None,
        help="output of `aws iam get-account-authorization-details` for the drpolicy_account"
        " and drpolicy_role fixtures (overrides the drpolicy_account_export ini setting)",
    )
    parser.addini(
        _INI,
        "path (relative to the ini file) of an `aws iam get-account-authorization-details`"
        " export for the drpolicy_account and drpolicy_role fixtures",
        default="",
    )
    parser.addini(
        _ACCOUNT_ID_INI,
        "the account ID the catalog roles of drpolicy_catalog live in",
        default="",
    )


def _export_path(config: pytest.Config) -> Path | None:
    given = config.getoption("drpolicy_account_export")
    if given:
        return Path(os.path.expanduser(given)).resolve()
    ini = str(config.getini(_INI) or "").strip()
    if not ini:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return (base / os.path.expanduser(ini)).resolve()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Name the account export in pytest's header when one is configured."""
    path = _export_path(config)
    return [f"drpolicy: account export {path}"] if path is not None else []


class _Catalog(Mapping[str, "Role"]):
    """The catalog roles by name; aliases (``sagemaker``) and any capitalisation also work."""

    def __init__(self, account_id: str | None) -> None:
        from drpolicy.catalog import ROLE_NAMES

        self._names = ROLE_NAMES
        self._account_id = account_id

    def __getitem__(self, name: str) -> Role:
        import drpolicy
        from drpolicy.errors import CatalogError

        if not isinstance(name, str):
            raise KeyError(name)
        try:
            if self._account_id:
                return drpolicy.role(name, account_id=self._account_id)
            return drpolicy.role(name)
        except CatalogError as exc:
            raise KeyError(str(exc)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"<drpolicy catalog: {', '.join(self._names)}>"


@pytest.fixture(scope="session")
def drpolicy_catalog(pytestconfig: pytest.Config) -> Mapping[str, Role]:
    """The built-in catalog roles, by name or alias (a read-only mapping)."""
    account_id = str(pytestconfig.getini(_ACCOUNT_ID_INI) or "").strip() or None
    return _Catalog(account_id)


@pytest.fixture(scope="session")
def _drpolicy_account_or_none(pytestconfig: pytest.Config) -> Any:
    path = _export_path(pytestconfig)
    if path is None:
        return None
    from drpolicy.loaders import load_account

    return load_account(path)


@pytest.fixture(scope="session")
def drpolicy_account(pytestconfig: pytest.Config, _drpolicy_account_or_none: Any) -> Any:
    """The account loaded from the configured export (a :class:`drpolicy.loaders.Account`)."""
    if _drpolicy_account_or_none is None:
        pytest.fail(
            "the drpolicy_account fixture needs an account export: pass"
            f" {_OPTION} PATH or set `{_INI} = PATH` in the pytest ini file"
            " (the output of `aws iam get-account-authorization-details`)",
            pytrace=False,
        )
    return _drpolicy_account_or_none


@pytest.fixture(scope="session")
def drpolicy_role(
    drpolicy_catalog: Mapping[str, Role], _drpolicy_account_or_none: Any
) -> Callable[..., Any]:
    """A factory for roles.

    ``drpolicy_role(name)`` looks ``name`` up in the loaded account (roles and users, when an
    export is configured), then in the catalog. ``drpolicy_role(name, policies, **kwargs)``
    builds a role with :meth:`drpolicy.Role.from_policies` (``trust_policy``,
    ``permission_boundary``, ``account_id``, ``path``, ``description``).
    """

    def make(name: str, policies: Any = None, **kwargs: Any) -> Any:
        from drpolicy.errors import CatalogError
        from drpolicy.roles import Role

        if policies is not None:
            return Role.from_policies(name, policies, **kwargs)
        if kwargs:
            raise TypeError("keyword arguments build a role: pass its policies too")
        account = _drpolicy_account_or_none
        if account is not None:
            found = []
            for look_up in (account.role, account.user):
                try:
                    found.append(look_up(name))
                except CatalogError:
                    pass
            if len(found) == 1:
                return found[0]
            if found:
                return account.principal(name)  # both a role and a user: its error says so
        try:
            return drpolicy_catalog[name]
        except KeyError:
            known = list(drpolicy_catalog)
            if account is not None:
                known = [*account.roles, *account.users, *known]
            raise CatalogError(name, known) from None

    return make


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """Explain a failed ``verdict(...) == "Allowed"`` (or ``!=``) comparison."""
    if op not in ("==", "!="):
        return None
    testing = _testing_if_loaded()
    if testing is None:
        return None
    verdict, other = (left, right) if isinstance(left, testing.Verdict) else (right, left)
    if not isinstance(verdict, testing.Verdict):
        return None
    # the summary first: pytest cuts assertion messages to 8 lines / 640 characters unless
    # run with -vv (or on CI); the whole explanation follows
    return [
        f"{verdict!r} {op} {other!r}",
        *verdict.summary_lines(),
        "  (the whole explanation: pytest -vv, or print(verdict))",
        "",
        *verdict.explanation_lines(),
    ]


def _testing_if_loaded() -> Any:
    import sys

    # a Verdict can only exist if drpolicy.testing was imported; never import it here
    return sys.modules.get("drpolicy.testing")
