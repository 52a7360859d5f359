"""Immutable data model: parsed policies, and decisions.

The parser (:mod:`drpolicy.parser`) produces these objects; the evaluator compiles them once.
Everything here is a frozen ``attrs`` class: hashable, comparable and safe to share.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = [
    "ConditionEntry",
    "Decision",
    "DecisionValue",
    "Effect",
    "EvaluationIssue",
    "Policy",
    "PolicyType",
    "PrincipalSpec",
    "Statement",
    "StatementRef",
]


def __dir__() -> list[str]:
    return __all__


Effect = Literal["Allow", "Deny"]
"""The two statement effects."""

DecisionValue = Literal["Allowed", "ExplicitlyDenied", "ImplicitlyDenied"]
"""The three outcomes of an evaluation (the AWS simulator's vocabulary)."""

PolicyType = Literal[
    "identity", "resource", "permission_boundary", "scp", "rcp", "session", "trust"
]
"""Where a policy sits in AWS's evaluation logic. ``trust`` is a role's trust policy, which
AWS evaluates as the role's resource-based policy."""


@attrs.frozen(slots=True)
class PrincipalSpec:
    """The value of a ``Principal`` or ``NotPrincipal`` element.

    Attributes:
        wildcard: ``True`` for the bare string form ``"Principal": "*"``.
        aws: the ``AWS`` entries (account IDs, ARNs, or ``"*"``).
        service: the ``Service`` entries (``sagemaker.amazonaws.com``).
        federated: the ``Federated`` entries (identity providers).
        canonical_user: the ``CanonicalUser`` entries (S3 canonical IDs).
    """

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    def to_json(self) -> Any:
        """Return the JSON form (``"*"`` or a mapping of lists)."""
        if self.wildcard:
            return "*"
        out: dict[str, list[str]] = {}
        for key, values in (
            ("AWS", self.aws),
            ("Service", self.service),
            ("Federated", self.federated),
            ("CanonicalUser", self.canonical_user),
        ):
            if values:
                out[key] = list(values)
        return out


@attrs.frozen(slots=True)
class ConditionEntry:
    """One ``operator -> key -> values`` triple of a ``Condition`` block.

    A statement's conditions are the AND of its entries; within an entry the values are OR-ed
    (NOR for negated operators).

    Attributes:
        operator: the operator as written, e.g. ``ForAnyValue:StringLikeIfExists``.
        key: the condition key as written (matching is case-insensitive).
        values: the policy values, JSON numbers and booleans already turned into strings
            (``true`` -> ``"true"``, ``10`` -> ``"10"``).
    """

    operator: str
    key: str
    values: tuple[str, ...]


@attrs.frozen(slots=True)
class Statement:
    """One statement of a policy, as written.

    Exactly one of ``action``/``not_action`` is set. ``resource``/``not_resource`` are both
    ``None`` only in trust policies. ``principal``/``not_principal`` appear only in
    resource-based policies.

    Attributes:
        index: the position in the policy's ``Statement`` list (0-based).
        effect: ``"Allow"`` or ``"Deny"``.
        sid: the ``Sid`` if present (may be the empty string, as in the DeepRacer trust
            policies).
    """

    index: int
    effect: Effect
    sid: str | None = None
    action: tuple[str, ...] | None = None
    not_action: tuple[str, ...] | None = None
    resource: tuple[str, ...] | None = None
    not_resource: tuple[str, ...] | None = None
    principal: PrincipalSpec | None = None
    not_principal: PrincipalSpec | None = None
    conditions: tuple[ConditionEntry, ...] = ()

    @property
    def label(self) -> str:
        """``Statement[i]`` plus the Sid when it has a non-empty one."""
        return f"Statement[{self.index}]" + (f" ({self.sid})" if self.sid else "")

    def to_json(self) -> dict[str, Any]:
        """Return the statement as a JSON-compatible mapping (lists for every element)."""
        out: dict[str, Any] = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        if self.principal is not None:
            out["Principal"] = self.principal.to_json()
        if self.not_principal is not None:
            out["NotPrincipal"] = self.not_principal.to_json()
        for key, values in (
            ("Action", self.action),
            ("NotAction", self.not_action),
            ("Resource", self.resource),
            ("NotResource", self.not_resource),
        ):
            if values is not None:
                out[key] = list(values)
        if self.conditions:
            block: dict[str, dict[str, list[str]]] = {}
            for entry in self.conditions:
                block.setdefault(entry.operator, {})[entry.key] = list(entry.values)
            out["Condition"] = block
        return out


@attrs.frozen(slots=True)
class Policy:
    """A parsed policy document.

    Attributes:
        name: how decisions and errors refer to this policy.
        statements: the statements, in document order.
        version: ``"2012-10-17"``, ``"2008-10-17"`` or ``None`` when absent. Policy variables
            are substituted only under ``2012-10-17``.
        id: the optional ``Id`` element.
    """

    name: str
    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the policy as a JSON-compatible mapping that parses back to an equal policy."""
        out: dict[str, Any] = {}
        if self.version is not None:
            out["Version"] = self.version
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [s.to_json() for s in self.statements]
        return out


@attrs.frozen(slots=True)
class StatementRef:
    """Names one statement of one policy: what a decision cites as its reasons.

    Attributes:
        policy: the policy's name.
        index: the statement's position in the policy.
        sid: the statement's Sid, if any.
        policy_type: which kind of policy it belongs to.
    """

    policy: str
    index: int
    sid: str | None = None
    policy_type: PolicyType = "identity"

    def __str__(self) -> str:
        sid = f" ({self.sid})" if self.sid else ""
        return f"{self.policy_type}:{self.policy}: Statement[{self.index}]{sid}"


@attrs.frozen(slots=True)
class EvaluationIssue:
    """A statement whose evaluation failed for this request.

    drpolicy fails closed: an erroring Allow statement never grants, an erroring Deny statement
    is treated as matching (see docs/semantics.md).

    Attributes:
        statement: the statement that failed.
        message: why (e.g. a context value that is not a number for ``NumericLessThan``).
        kind: ``"error"`` (the request cannot be evaluated as given) or ``"ambiguous"`` (the
            statement relies on a construct whose result AWS's documentation does not
            settle; see docs/semantics.md, "Ambiguous constructs").
    """

    statement: StatementRef
    message: str
    kind: Literal["error", "ambiguous"] = "error"

    def __str__(self) -> str:
        return f"{self.statement}: {self.message}"


@attrs.frozen(slots=True)
class Decision:
    """The answer to one request.

    Attributes:
        decision: ``"Allowed"``, ``"ExplicitlyDenied"`` or ``"ImplicitlyDenied"``.
        reasons: the determining statements: every matching Deny when explicitly denied,
            otherwise the Allow statements that granted (empty for an implicit deny).
        decided_by: the policy type that decided: for an allow the grant that sufficed
            (``identity`` or ``resource``/``trust``); for an explicit deny the type of the
            first Deny (SCP, RCP, resource/trust, identity, boundary, session order); for an
            implicit deny the type whose missing Allow blocked it (``identity`` when an IAM
            caller has no applicable Allow at all). ``None`` only when a caller that is not an
            IAM identity meets no resource policy, and for ``sts:GetCallerIdentity``, which
            needs no permission and cannot be denied.
        missing_context: condition keys (as written in the policies) that statements matching
            the action and resource referenced but the request did not supply, sorted.
        errors: statements whose evaluation failed (see :class:`EvaluationIssue`).
    """

    decision: DecisionValue
    reasons: tuple[StatementRef, ...] = ()
    decided_by: PolicyType | None = None
    missing_context: tuple[str, ...] = ()
    errors: tuple[EvaluationIssue, ...] = ()

    @property
    def allowed(self) -> bool:
        """``True`` exactly when :attr:`decision` is ``"Allowed"``."""
        return self.decision == "Allowed"

    @property
    def definite(self) -> bool:
        """Whether the answer does not depend on how drpolicy fails closed: ``False`` for a
        denial while some statement erred or relied on an ambiguous construct (an Allow
        despite such statements is definite: failing closed can only deny more)."""
        return self.decision == "Allowed" or not self.errors

    @property
    def ambiguities(self) -> tuple[EvaluationIssue, ...]:
        """The issues that are ambiguous constructs (a subset of :attr:`errors`)."""
        return tuple(e for e in self.errors if e.kind == "ambiguous")
