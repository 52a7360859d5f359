"""drpolicy: local, offline AWS IAM policy evaluation, with the AWS DeepRacer roles built in.

Ask whether a principal may do an action on a resource, and why, with AWS's own semantics:

>>> import drpolicy
>>> drpolicy.is_allowed("AWSDeepRacerServiceRole", "s3:GetObject",
...                     "arn:aws:s3:::deepracer-models/model.tar.gz")
True
>>> drpolicy.evaluate("deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/x").decision
'ImplicitlyDenied'
>>> drpolicy.can_assume("sagemaker.amazonaws.com", "AWSDeepRacerSageMakerAccessRole")
True

The public API is this module's ``__all__``; everything in ``_``-prefixed modules is private.
The names are imported on first use (PEP 562), so ``import drpolicy`` and the command line
start quickly and load only what they use.
"""

from __future__ import annotations

import importlib
import sys
import types

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs start-up time
if TYPE_CHECKING:  # the imports below run lazily, through __getattr__
    from typing import Any

    from drpolicy._api import authorize, can_assume, decision_cache, evaluate, is_allowed, role
    from drpolicy._request_check import RequestFinding, check_request
    from drpolicy.analysis import (
        CheckResult,
        check_access_not_granted,
        check_no_new_access,
        check_no_public_access,
    )
    from drpolicy.arn import Arn, parse_arn
    from drpolicy.catalog import roles
    from drpolicy.errors import (
        CatalogError,
        DrpolicyError,
        InvalidArnError,
        LoaderError,
        MissingDependencyError,
        PolicyParseError,
        Problem,
        RequestError,
        UnknownOperatorError,
    )
    from drpolicy.explain import Explanation, explain, explain_authorization
    from drpolicy.loaders import load_account
    from drpolicy.model import (
        Decision,
        EvaluationIssue,
        Policy,
        PrincipalSpec,
        Statement,
        StatementRef,
    )
    from drpolicy.parser import load_policy
    from drpolicy.principals import Principal
    from drpolicy.roles import Role

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    # public name -> the module defining it
    **dict.fromkeys(
        ("authorize", "can_assume", "decision_cache", "evaluate", "is_allowed", "role"),
        "drpolicy._api",
    ),
    **dict.fromkeys(("RequestFinding", "check_request"), "drpolicy._request_check"),
    **dict.fromkeys(
        ("CheckResult", "check_access_not_granted", "check_no_new_access",
         "check_no_public_access"),
        "drpolicy.analysis",
    ),
    **dict.fromkeys(("Arn", "parse_arn"), "drpolicy.arn"),
    "roles": "drpolicy.catalog",
    **dict.fromkeys(
        ("CatalogError", "DrpolicyError", "InvalidArnError", "LoaderError",
         "MissingDependencyError", "PolicyParseError", "Problem", "RequestError",
         "UnknownOperatorError"),
        "drpolicy.errors",
    ),
    **dict.fromkeys(("Explanation", "explain", "explain_authorization"), "drpolicy.explain"),
    "load_account": "drpolicy.loaders",
    **dict.fromkeys(
        ("Decision", "EvaluationIssue", "Policy", "PrincipalSpec", "Statement", "StatementRef"),
        "drpolicy.model",
    ),
    "load_policy": "drpolicy.parser",
    "Principal": "drpolicy.principals",
    "Role": "drpolicy.roles",
}

__all__ = [
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


def __dir__() -> list[str]:
    return __all__


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drpolicy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain module attribute
    return value


class _Package(types.ModuleType):
    """This package: importing the submodules ``drpolicy.explain`` and ``drpolicy.roles`` must
    not bind them over the functions ``drpolicy.explain`` and ``drpolicy.roles``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
