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
"""

from __future__ import annotations

from drpolicy._api import authorize, can_assume, decision_cache, evaluate, is_allowed, role
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
