"""The public API: `drpolicy.__all__` pinned, docstrings on every public name, `__all__` on every
public module, and the fixed call signatures other codebases rely on."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import pkgutil
from importlib import resources
from types import ModuleType
from typing import Any

import pytest

import drpolicy

# drpolicy.__all__ as of this test's writing. Adding a public name is an API decision: update
# this list in the same commit, on purpose.
PINNED_ALL = [
    "Arn",
    "CatalogError",
    "CheckResult",
    "Decision",
    "DrpolicyError",
    "EvaluationIssue",
    "Explanation",
    "InvalidArnError",
    "LoaderError",
    "MissingDependencyError",
    "Policy",
    "PolicyParseError",
    "Principal",
    "PrincipalSpec",
    "Problem",
    "RequestError",
    "RequestFinding",
    "Role",
    "Statement",
    "StatementRef",
    "UnknownOperatorError",
    "__version__",
    "authorize",
    "can_assume",
    "check_access_not_granted",
    "check_no_new_access",
    "check_no_public_access",
    "check_request",
    "decision_cache",
    "evaluate",
    "explain",
    "explain_authorization",
    "is_allowed",
    "load_account",
    "load_policy",
    "parse_arn",
    "role",
    "roles",
]


def test_all_is_pinned() -> None:
    assert list(drpolicy.__all__) == PINNED_ALL


def test_all_has_no_duplicates_and_every_name_exists() -> None:
    assert len(set(drpolicy.__all__)) == len(drpolicy.__all__)
    for name in drpolicy.__all__:
        assert hasattr(drpolicy, name), name


def test_dir_is_all() -> None:
    assert sorted(dir(drpolicy)) == sorted(drpolicy.__all__)


def _doc(obj: Any) -> str:
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.ismodule(obj):
        return inspect.cleandoc(obj.__doc__ or "")
    if callable(obj) and getattr(obj, "__doc__", None) and obj.__doc__ is not type(obj).__doc__:
        return inspect.cleandoc(obj.__doc__)
    return inspect.cleandoc(type(obj).__doc__ or "")  # an instance: its class documents it


@pytest.mark.parametrize("name", [n for n in PINNED_ALL if n != "__version__"])
def test_every_public_name_has_a_docstring(name: str) -> None:
    doc = _doc(getattr(drpolicy, name))
    assert doc.strip(), f"drpolicy.{name} has no docstring"
    first = doc.splitlines()[0]
    assert len(first) > 10, f"drpolicy.{name}: the first docstring line should say what it is"


def test_package_docstring() -> None:
    assert drpolicy.__doc__ and "drpolicy" in drpolicy.__doc__


def test_version_is_the_distribution_version() -> None:
    assert isinstance(drpolicy.__version__, str)
    assert drpolicy.__version__ == importlib.metadata.version("drpolicy")


def test_py_typed_marker_ships() -> None:
    assert resources.files("drpolicy").joinpath("py.typed").is_file()


# ------------------------------------------------------------------------------------------
# Every public module has __all__ (public = no `_`-prefixed part; `__main__` runs the CLI)
# ------------------------------------------------------------------------------------------


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(drpolicy.__path__, "drpolicy."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") for p in parts):
            continue
        names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()


def test_the_core_modules_are_public() -> None:
    for name in ["drpolicy.arn", "drpolicy.catalog", "drpolicy.conditions", "drpolicy.errors",
                 "drpolicy.evaluator", "drpolicy.model", "drpolicy.parser", "drpolicy.principals",
                 "drpolicy.roles"]:
        assert name in PUBLIC_MODULES


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_module_has_all(name: str) -> None:
    module = _module(name)
    assert module.__doc__ and module.__doc__.strip(), f"{name} has no module docstring"
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert isinstance(exported, (list, tuple))
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    for item in exported:
        assert isinstance(item, str)
        assert hasattr(module, item), f"{name}.__all__ names `{item}`, which does not exist"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_module_names_have_docstrings(name: str) -> None:
    module = _module(name)
    for item in getattr(module, "__all__", ()):
        obj = getattr(module, item)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name}.{item} has no docstring"


def test_the_facade_re_exports_the_home_objects() -> None:
    # `drpolicy.roles` is the function; the modules are reached through importlib
    _api, arn, catalog, errors, model, parser, principals, roles = (
        _module(f"drpolicy.{n}")
        for n in ("_api", "arn", "catalog", "errors", "model", "parser", "principals", "roles")
    )
    assert drpolicy.Role is roles.Role
    assert drpolicy.Principal is principals.Principal
    assert drpolicy.parse_arn is arn.parse_arn and drpolicy.Arn is arn.Arn
    assert drpolicy.load_policy is parser.load_policy
    assert drpolicy.roles is catalog.roles
    for n in ("Decision", "EvaluationIssue", "Policy", "PrincipalSpec", "Statement", "StatementRef"):
        assert getattr(drpolicy, n) is getattr(model, n)
    for n in errors.__all__:
        assert getattr(drpolicy, n) is getattr(errors, n)
    for n in ("authorize", "can_assume", "decision_cache", "evaluate", "is_allowed", "role"):
        assert getattr(drpolicy, n) is getattr(_api, n)


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        ("DrpolicyError", (Exception,)),
        ("PolicyParseError", ("DrpolicyError", ValueError)),
        ("UnknownOperatorError", ("PolicyParseError",)),
        ("RequestError", ("DrpolicyError", ValueError)),
        ("InvalidArnError", ("RequestError",)),
        ("CatalogError", ("DrpolicyError", LookupError)),
        ("LoaderError", ("DrpolicyError", ValueError)),
    ],
)
def test_error_hierarchy(error: str, bases: tuple[Any, ...]) -> None:
    cls = getattr(drpolicy, error)
    for base in bases:
        base_cls = getattr(drpolicy, base) if isinstance(base, str) else base
        assert issubclass(cls, base_cls), (error, base)


# ------------------------------------------------------------------------------------------
# Fixed signatures (the brief's "names fixed"); extra keyword-only parameters with defaults are
# allowed, removing or renaming these is not
# ------------------------------------------------------------------------------------------

P = inspect.Parameter
POS = P.POSITIONAL_OR_KEYWORD
KW = P.KEYWORD_ONLY
EMPTY = P.empty

SIGNATURES: list[tuple[Any, list[tuple[str, Any, Any]]]] = [
    (drpolicy.is_allowed, [("role", POS, EMPTY), ("action", POS, EMPTY), ("resource", POS, EMPTY),
                           ("context", POS, None)]),
    (drpolicy.evaluate, [("role", POS, EMPTY), ("action", POS, EMPTY), ("resource", POS, EMPTY),
                         ("context", POS, None)]),
    (drpolicy.can_assume, [("principal", POS, EMPTY), ("role", POS, EMPTY), ("context", POS, None),
                           ("identity_policies", KW, ())]),
    (drpolicy.authorize, [("principal", POS, EMPTY), ("action", POS, EMPTY), ("resource", POS, EMPTY),
                          ("context", KW, None), ("identity_policies", KW, ()), ("resource_policy", KW, None),
                          ("resource_account", KW, None), ("permission_boundary", KW, None), ("scps", KW, ()),
                          ("rcps", KW, ()), ("session_policy", KW, None)]),
    (drpolicy.role, [("account_id", KW, "123456789012")]),
    (drpolicy.roles, []),
    (drpolicy.load_policy, [("source", POS, EMPTY), ("name", KW, None), ("policy_type", KW, None)]),
    (drpolicy.Role.from_policies, [("name", POS, EMPTY), ("policies", POS, EMPTY), ("trust_policy", KW, None),
                                   ("permission_boundary", KW, None), ("account_id", KW, "123456789012"),
                                   ("path", KW, "/"), ("description", KW, "")]),
]


@pytest.mark.parametrize(("func", "expected"), SIGNATURES, ids=[s[0].__qualname__ for s in SIGNATURES])
def test_signature(func: Any, expected: list[tuple[str, Any, Any]]) -> None:
    params = inspect.signature(func).parameters
    for name, kind, default in expected:
        assert name in params, f"{func.__qualname__} lost `{name}`"
        assert params[name].kind == kind, (func.__qualname__, name)
        assert params[name].default == default, (func.__qualname__, name)
    positional = [p.name for p in params.values() if p.kind in (P.POSITIONAL_ONLY, POS)]
    assert positional[: len([e for e in expected if e[1] == POS])] == [e[0] for e in expected if e[1] == POS]
    for p in params.values():
        if p.name in {e[0] for e in expected} or p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            continue
        if func is drpolicy.role and p.kind == POS:
            continue  # the role name (checked by test_role_takes_one_positional_name)
        # anything new must be optional, so existing calls keep working
        assert p.default is not EMPTY, (func.__qualname__, p.name)


def test_role_takes_one_positional_name() -> None:
    params = [p for p in inspect.signature(drpolicy.role).parameters.values() if p.kind == POS]
    assert len(params) == 1


def test_role_methods_exist() -> None:
    role = drpolicy.role("deepracer")
    for attr in ("name", "arn", "policies", "trust_policy", "permission_boundary"):
        assert hasattr(role, attr), attr
    params = inspect.signature(role.assume_decision).parameters
    assert params["context"].default is None
    assert params["action"].kind == KW and params["action"].default == "sts:AssumeRole"
    assert callable(role.is_allowed) and callable(role.evaluate)


def test_decision_fields() -> None:
    d = drpolicy.evaluate("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-models/model.tar.gz")
    assert d.decision in {"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"}
    for attr in ("allowed", "reasons", "decided_by", "missing_context", "errors"):
        assert hasattr(d, attr), attr
    ref = d.reasons[0]
    for attr in ("policy", "index", "sid", "policy_type"):
        assert hasattr(ref, attr), attr
