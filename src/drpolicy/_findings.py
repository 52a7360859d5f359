"""The vocabulary of policy validation: severities, check codes and :class:`Finding`
(re-exported by :mod:`drpolicy.validate`, which documents them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

__all__ = ["CHECKS", "SEVERITIES", "Finding", "Severity"]

Severity = Literal["error", "security-warning", "warning", "suggestion"]
"""How serious a finding is, in IAM Access Analyzer's vocabulary: an ``error`` is a part of the
policy that cannot work as written; a ``security-warning`` grants more than it seems to; a
``warning`` is probably not what was meant; a ``suggestion`` changes nothing but readability."""

SEVERITIES: Final[tuple[Severity, ...]] = ("error", "security-warning", "warning", "suggestion")
"""The severities, most serious first."""

CHECKS: Final[Mapping[str, str]] = {
    # code: what it reports (docs/validate.md has an example of each)
    "comma-or-space-in-action": "an action containing a comma or white space (matches nothing)",
    "unknown-service": "an action whose service prefix no AWS service has",
    "unknown-action": "an action pattern that matches no action of its service",
    "wildcard-in-service": "a wildcard in an action's service prefix or an ARN's service",
    "action-resource-mismatch": "an action that none of the statement's resources can name",
    "resource-type-mismatch": "a resource that matches no resource type of the statement's actions",
    "arn-not-lowercase": "an ARN whose partition, service or region is not lower case",
    "s3-arn-colon": "an S3 object ARN written with `:` instead of `/`",
    "unknown-arn-service": "an ARN whose service no AWS resource ARN has",
    "missing-version": "a policy without `Version`",
    "variable-in-old-version": "a policy variable under Version 2008-10-17 or no Version",
    "redundant-statement": "a statement that grants or denies nothing another one does not",
    "shadowed-statement": "an Allow entirely covered by an unconditional Deny",
    "allow-with-not-action": "`Allow` with `NotAction`",
    "allow-with-not-resource": "`Allow` with `NotResource`",
    "pass-role-with-star-resource": "`iam:PassRole` on every role without `iam:PassedToService`",
    "pass-role-with-not-resource": "`iam:PassRole` with `NotResource`",
    "forallvalues-with-allow": "`ForAllValues` in an Allow without a presence check",
    "set-operator-on-single-valued-key": "`ForAllValues`/`ForAnyValue` on a single-valued key",
    "plain-operator-on-multi-valued-key": "an operator without a set qualifier on a multivalued key",
    "unknown-condition-key": "a service condition key that no service defines",
    "condition-key-not-supported": "a condition key that none of the statement's actions has",
    "null-with-qualifier": "`Null` with `ForAllValues` or `ForAnyValue`",
    "empty-action": "an empty `Action` or `NotAction` list",
    "empty-resource": "an empty `Resource` or `NotResource` list",
    "empty-condition-values": "a condition key with an empty value list",
    "empty-condition": "an empty `Condition` block or operator block",
    "unknown-global-condition-key": "an `aws:` condition key that is not a global key",
    "operator-type-mismatch": "a condition operator whose type does not fit the key's type",
    "unsatisfiable-condition": "conditions on one key that no request can meet together",
}
"""Every check :func:`validate_policy` runs, by code. Parse problems are reported with the
parser's own codes (:attr:`drpolicy.errors.Problem.code`) in addition to these."""


@attrs.frozen(slots=True)
class Finding:
    """One thing :func:`validate_policy` found in a policy.

    Attributes:
        severity: ``"error"``, ``"security-warning"``, ``"warning"`` or ``"suggestion"``.
        code: a stable kebab-case name of the check (``unknown-action``); parse problems keep
            the parser's code (:attr:`drpolicy.errors.Problem.code`).
        path: where in the document, in the parser's notation
            (``Statement[1].Action[0]``, ``Statement[0].Condition.StringEquals.s3:prefix``);
            ``Statement`` without an index when the document has a single statement object,
            and no ``[j]`` when an element is a plain string rather than a list.
        message: what is wrong, in the library's message style (lower case, input in
            backticks).
    """

    severity: Severity
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"
