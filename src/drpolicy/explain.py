"""Why a request is allowed or denied: a per-statement trace of one decision.

This is the slow path. :func:`drpolicy.is_allowed` and :func:`drpolicy.evaluate` never build
an explanation; :func:`explain` and :func:`explain_authorization` ask the engine for the
decision first (so the verdict is always the engine's), then walk **every** statement of every
policy that took part and record, for each, why it applied or not:

* the action: matched or not, and by which ``Action`` pattern (or excluded by which
  ``NotAction`` pattern);
* the resource: matched or not, by which pattern, and when not, which ARN segment failed
  (``partition``, ``service``, ``region``, ``account`` or ``resource``);
* the principal (resource-based policies): named or not, and how (``account``, ``role``,
  ``user``, ``service``, ``wildcard``...);
* each condition: its verdict, the request's values, the policy's values, and the evaluation
  error if any;
* the context keys the statement reads that the request did not supply.

An :class:`Explanation` is plain data (frozen ``attrs`` classes; :meth:`Explanation.to_json`
gives a JSON-compatible mapping) with a readable text rendering (``str(explanation)`` or
:meth:`Explanation.render`).

>>> from drpolicy.explain import explain
>>> e = explain("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-models/model.tar.gz")
>>> e.decision.decision
'Allowed'
>>> [str(s.ref) for s in e.statements if s.applies]
['identity:AWSDeepRacerServiceRolePolicy: Statement[5]']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from drpolicy.conditions import CompiledCondition, ConditionEvaluationError
from drpolicy.errors import RequestError
from drpolicy.evaluator import (
    PolicyIndex,
    check_action,
    check_resource,
    normalise_context,
)
from drpolicy.model import Decision, EvaluationIssue, PolicyType, StatementRef
from drpolicy.principals import MatchKind, Principal, match_principal, not_principal_excludes

__all__ = [
    "ActionCheck",
    "ConditionCheck",
    "Explanation",
    "Outcome",
    "PatternCheck",
    "PolicyExplanation",
    "PolicyVerdict",
    "PrincipalCheck",
    "ResourceCheck",
    "Segment",
    "StatementExplanation",
    "decision_to_json",
    "explain",
    "explain_authorization",
]


def __dir__() -> list[str]:
    return __all__


Outcome = Literal[
    "applies",
    "action-mismatch",
    "resource-mismatch",
    "principal-mismatch",
    "condition-false",
    "error",
    "not-evaluated",
]
"""Why a statement applied or not, in evaluation order: the first check that failed.

``error`` means evaluating the statement failed (see :attr:`StatementExplanation.error`); the
engine fails closed, so an erroring Deny *applies* and an erroring Allow does not.
``not-evaluated`` marks statements of a policy the engine does not consult for this caller
(identity-side policies for a service principal or an anonymous caller).
"""

Segment = Literal["arn", "partition", "service", "region", "account", "resource"]
"""The ARN segment a resource pattern rejected
(``arn:partition:service:region:account:resource``)."""

PolicyVerdict = Literal["deny", "allow", "no-match", "not-evaluated"]
"""What one policy contributed: an applicable Deny, an applicable Allow, nothing, or not
consulted at all."""

_SEGMENTS: Final[tuple[Segment, ...]] = (
    "arn", "partition", "service", "region", "account", "resource",
)
_POLICY_ORDER: Final[tuple[PolicyType, ...]] = (
    "identity", "permission_boundary", "session", "scp", "rcp", "resource", "trust",
)
_TYPE_LABEL: Final[Mapping[str, str]] = {
    "identity": "identity policy",
    "permission_boundary": "permissions boundary",
    "session": "session policy",
    "scp": "SCP",
    "rcp": "RCP",
    "resource": "resource policy",
    "trust": "trust policy",
}
_DECIDED_BY: Final[Mapping[str, str]] = {
    "identity": "identity policies",
    "permission_boundary": "permissions boundary",
    "session": "session policy",
    "scp": "SCPs",
    "rcp": "RCPs",
    "resource": "resource policy",
    "trust": "trust policy",
}


# --------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ActionCheck:
    """How the request's action fared against a statement's ``Action``/``NotAction``.

    Attributes:
        element: ``"Action"`` or ``"NotAction"``.
        patterns: the element's patterns, as written.
        matched: whether the statement applies as far as the action goes (for ``NotAction``:
            no pattern matches the action).
        pattern: for ``Action``, the pattern that matched; for ``NotAction``, the pattern that
            excluded the action; ``None`` otherwise.
    """

    element: Literal["Action", "NotAction"]
    patterns: tuple[str, ...]
    matched: bool
    pattern: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "element": self.element,
            "patterns": list(self.patterns),
            "matched": self.matched,
            "pattern": self.pattern,
        }


@attrs.frozen(slots=True)
class PatternCheck:
    """One ``Resource``/``NotResource`` pattern against the request's resource.

    Attributes:
        pattern: the pattern as written.
        matched: whether it matches the resource; ``None`` when a policy variable in it has no
            value in the request (such a pattern matches nothing in ``Resource`` and is an
            evaluation error in ``NotResource``).
        failed_segment: when it does not match an ARN, the first segment that differs.
    """

    pattern: str
    matched: bool | None
    failed_segment: Segment | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "pattern": self.pattern,
            "matched": self.matched,
            "failed_segment": self.failed_segment,
        }


@attrs.frozen(slots=True)
class ResourceCheck:
    """How the request's resource fared against ``Resource``/``NotResource``.

    Attributes:
        element: ``"Resource"``, ``"NotResource"``, or ``None`` when the statement has neither
            (trust policies), in which case it applies to every resource.
        matched: whether the statement applies as far as the resource goes. An erroring
            ``NotResource`` counts as matched for a Deny and unmatched for an Allow (fail
            closed).
        patterns: every pattern's own result.
        pattern: for ``Resource``, the pattern that matched; for ``NotResource``, the pattern
            that excluded the resource.
        failed_segment: for an unmatched ``Resource``, the segment that failed in the closest
            pattern (the one that matched the most leading segments).
        error: why the element could not be evaluated (an unresolved variable in
            ``NotResource``).
    """

    element: Literal["Resource", "NotResource"] | None
    matched: bool
    patterns: tuple[PatternCheck, ...] = ()
    pattern: str | None = None
    failed_segment: Segment | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "element": self.element,
            "matched": self.matched,
            "pattern": self.pattern,
            "failed_segment": self.failed_segment,
            "error": self.error,
            "patterns": [p.to_json() for p in self.patterns],
        }


@attrs.frozen(slots=True)
class PrincipalCheck:
    """How the caller fared against a statement's ``Principal``/``NotPrincipal``.

    Attributes:
        element: ``"Principal"`` or ``"NotPrincipal"``.
        value: the element as written (its JSON form).
        matched: whether the statement applies to the caller.
        how: how the statement applies to the caller: ``"account"`` (through the caller's
            account), ``"role"``, ``"user"``, ``"session"``, ``"service"``, ``"wildcard"``...;
            for ``NotPrincipal``, ``"wildcard"`` when it applies.
        named_as: for ``NotPrincipal``, how the element names the caller, if at all. The
            statement still applies unless the element lists the caller's whole identity
            chain (a user and its account; a role session, its role and its account).
        note: a sentence for the reader.
    """

    element: Literal["Principal", "NotPrincipal"]
    value: Any
    matched: bool
    how: MatchKind | None = None
    named_as: MatchKind | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "element": self.element,
            "value": self.value,
            "matched": self.matched,
            "how": self.how,
            "named_as": self.named_as,
            "note": self.note,
        }


@attrs.frozen(slots=True)
class ConditionCheck:
    """One ``operator -> key -> values`` entry of a ``Condition`` block, evaluated.

    Attributes:
        operator: the operator as written (``ForAnyValue:StringLikeIfExists``).
        key: the condition key as written.
        policy_values: the policy's values, as written.
        request_values: the request's values for the key; ``None`` when the request does
            not supply the key (an empty list is supplied but counts as absent).
        result: the entry's verdict; ``None`` when its evaluation failed.
        error: the evaluation error, if any.
        note: how the verdict came about when it is not a plain comparison (an absent key,
            a multi-valued key without a set qualifier).
        missing_keys: context keys the entry reads (its key and policy variables in its
            values) that the request did not supply.
    """

    operator: str
    key: str
    policy_values: tuple[str, ...]
    request_values: tuple[str, ...] | None
    result: bool | None
    error: str | None = None
    note: str = ""
    missing_keys: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "operator": self.operator,
            "key": self.key,
            "policy_values": list(self.policy_values),
            "request_values": None if self.request_values is None else list(self.request_values),
            "result": self.result,
            "error": self.error,
            "note": self.note,
            "missing_keys": list(self.missing_keys),
        }


@attrs.frozen(slots=True)
class StatementExplanation:
    """One statement, traced against the request.

    Attributes:
        ref: which statement (policy, index, Sid, policy type).
        effect: ``"Allow"`` or ``"Deny"``.
        applies: whether the statement takes part in the decision: a Deny that applies
            denies; an Allow that applies grants within its policy type.
        outcome: the first check that failed, or ``"applies"`` (see :data:`Outcome`).
        reason: a one-line sentence saying why.
        action: the action check.
        resource: the resource check (``None`` when the statement was not evaluated or its
            action did not match).
        principal: the principal check (resource-based policies only).
        conditions: every condition entry, evaluated (all of them, also after one is false).
        error: the evaluation error that decided the statement, if any.
        missing_context: keys the statement's conditions read that the request did not
            supply (whether or not the statement matched the action and resource).
    """

    ref: StatementRef
    effect: Literal["Allow", "Deny"]
    applies: bool
    outcome: Outcome
    reason: str
    action: ActionCheck
    resource: ResourceCheck | None = None
    principal: PrincipalCheck | None = None
    conditions: tuple[ConditionCheck, ...] = ()
    error: str | None = None
    missing_context: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "ref": _ref_json(self.ref),
            "effect": self.effect,
            "applies": self.applies,
            "outcome": self.outcome,
            "reason": self.reason,
            "action": self.action.to_json(),
            "resource": None if self.resource is None else self.resource.to_json(),
            "principal": None if self.principal is None else self.principal.to_json(),
            "conditions": [c.to_json() for c in self.conditions],
            "error": self.error,
            "missing_context": list(self.missing_context),
        }


@attrs.frozen(slots=True)
class PolicyExplanation:
    """One policy that took part, with every one of its statements traced.

    Attributes:
        name: the policy's name.
        policy_type: where it sits in AWS's evaluation logic.
        level: for SCPs and RCPs, the organization level (0 = root); else ``None``.
        evaluated: ``False`` when the engine does not consult this policy for the caller.
        note: why it was not consulted.
        statements: every statement, in document order.
    """

    name: str
    policy_type: PolicyType
    statements: tuple[StatementExplanation, ...]
    level: int | None = None
    evaluated: bool = True
    note: str = ""

    @property
    def verdict(self) -> PolicyVerdict:
        """``deny`` if a Deny applies, else ``allow`` if an Allow applies, else ``no-match``
        (``not-evaluated`` when not consulted)."""
        if not self.evaluated:
            return "not-evaluated"
        if any(s.applies and s.effect == "Deny" for s in self.statements):
            return "deny"
        if any(s.applies for s in self.statements):
            return "allow"
        return "no-match"

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-compatible mapping."""
        return {
            "name": self.name,
            "policy_type": self.policy_type,
            "level": self.level,
            "evaluated": self.evaluated,
            "note": self.note,
            "verdict": self.verdict,
            "statements": [s.to_json() for s in self.statements],
        }


@attrs.frozen(slots=True)
class Explanation:
    """A decision and every statement considered for it.

    Attributes:
        principal: the caller's ARN (or service name, or ``anonymous``).
        principal_kind: the caller's kind (``role``, ``user``, ``service``...).
        action: the request's action, as given.
        resource: the request's resource, as given.
        context: the request context the policies saw (lower-cased keys; the keys AWS
            derives from the caller included), as ``(key, values)`` pairs sorted by key.
        decision: the engine's :class:`~drpolicy.Decision` for the request.
        policies: every policy that took part, identity side first.
    """

    principal: str
    principal_kind: str
    action: str
    resource: str
    context: tuple[tuple[str, tuple[str, ...]], ...]
    decision: Decision
    policies: tuple[PolicyExplanation, ...]

    @property
    def reason(self) -> str | None:
        """Why the decision is what it is, when no statement says so: a rule of AWS's that
        overrides the policies (``None`` otherwise)."""
        action = self.action.lower()
        if action == "sts:getcalleridentity":
            return "sts:GetCallerIdentity needs no permission and an explicit Deny cannot stop it"
        if (
            self.principal_kind == "root"
            and action.startswith("sts:assumerole")
            and self.decision.decision == "ImplicitlyDenied"
        ):
            return (
                "the root user cannot assume roles (STS: \"Roles may not be assumed by root"
                " accounts\"), whatever the trust policy says"
            )
        return None

    @property
    def statements(self) -> tuple[StatementExplanation, ...]:
        """Every statement of every policy, in the order of :attr:`policies`."""
        return tuple(s for p in self.policies for s in p.statements)

    @property
    def applying(self) -> tuple[StatementRef, ...]:
        """The statements that apply to the request (Allows and Denies)."""
        return tuple(s.ref for s in self.statements if s.applies)

    @property
    def missing_context(self) -> tuple[str, ...]:
        """The engine's :attr:`Decision.missing_context`: keys that statements matching the
        action and resource read and the request did not supply."""
        return self.decision.missing_context

    @property
    def errors(self) -> tuple[EvaluationIssue, ...]:
        """The engine's evaluation errors."""
        return self.decision.errors

    def statement(self, ref: StatementRef) -> StatementExplanation:
        """The trace of one statement.

        Raises:
            RequestError: no statement with that reference took part.
        """
        for s in self.statements:
            if s.ref == ref:
                return s
        raise RequestError(f"no statement `{ref}` in this explanation")

    def to_json(self) -> dict[str, Any]:
        """Return the whole explanation as a JSON-compatible mapping."""
        return {
            "principal": {"arn": self.principal, "kind": self.principal_kind},
            "action": self.action,
            "resource": self.resource,
            "context": {k: list(v) for k, v in self.context},
            "decision": decision_to_json(self.decision),
            "policies": [p.to_json() for p in self.policies],
        }

    def render(self, *, verbose: bool = False) -> str:
        """The readable text form.

        Statements whose action does not match get one line; the others list every check.
        ``verbose=True`` lists every check of every statement.
        """
        return _render(self, verbose)

    def __str__(self) -> str:
        return self.render()


def decision_to_json(decision: Decision) -> dict[str, Any]:
    """A :class:`~drpolicy.Decision` as a JSON-compatible mapping.

    >>> import drpolicy
    >>> data = decision_to_json(drpolicy.evaluate("deepracer", "deepracer:ListModels", "*"))
    >>> data["decision"], data["reasons"][0]["policy"], data["reasons"][0]["index"]
    ('Allowed', 'AWSDeepRacerServiceRolePolicy', 0)
    """
    return {
        "decision": decision.decision,
        "allowed": decision.allowed,
        "decided_by": decision.decided_by,
        "reasons": [_ref_json(r) for r in decision.reasons],
        "missing_context": list(decision.missing_context),
        "errors": [
            {"statement": _ref_json(e.statement), "message": e.message} for e in decision.errors
        ],
    }


def _ref_json(ref: StatementRef) -> dict[str, Any]:
    return {
        "policy": ref.policy, "policy_type": ref.policy_type, "index": ref.index, "sid": ref.sid,
    }


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def explain(
    role: Any,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Explanation:
    """Explain the decision for a request by a session of ``role``.

    The decision is :func:`drpolicy.evaluate`'s; the explanation traces every statement of
    the role's identity policies and permissions boundary.

    Args:
        role: a catalog role name or alias, a :class:`~drpolicy.Role`, or an object with the
            same interface (``evaluate``, ``principal``, ``context_for`` and compiled
            policies), such as a principal of a loaded account.
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys; each value a string or a list of strings.

    Raises:
        CatalogError: unknown role name.
        RequestError: malformed action, resource or context, or an object that is not a role.

    >>> e = explain("sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/AnyRole")
    >>> e.decision.decision, e.missing_context
    ('ImplicitlyDenied', ('iam:PassedToService',))
    """
    from drpolicy._api import evaluate
    from drpolicy._api import role as resolve_role

    subject = resolve_role(role) if isinstance(role, str) else role
    identity = getattr(subject, "_identity", None)
    if not isinstance(identity, PolicyIndex) or not callable(getattr(subject, "context_for", None)):
        raise RequestError(
            f"cannot explain for {type(subject).__name__}: expected a catalog name, a"
            " drpolicy.Role, or an object with the same interface"
        )
    decision = evaluate(subject, action, resource, context)
    boundary = getattr(subject, "_boundary", None)
    caller = subject.principal
    ctx: Mapping[str, tuple[str, ...]] = subject.context_for(context)
    sets: list[tuple[PolicyIndex, PolicyType, int | None]] = [(identity, "identity", None)]
    if isinstance(boundary, PolicyIndex):
        sets.append((boundary, "permission_boundary", None))
    return _explain(
        caller, action, resource, ctx, decision, sets, has_boundary=boundary is not None
    )


def explain_authorization(
    principal: str | Principal,
    action: str,
    resource: str,
    *,
    context: Mapping[str, Any] | None = None,
    identity_policies: Sequence[Any] = (),
    resource_policy: Any = None,
    resource_account: str | None = None,
    permission_boundary: Any = None,
    scps: Sequence[Sequence[Any]] = (),
    rcps: Sequence[Sequence[Any]] = (),
    session_policy: Any = None,
) -> Explanation:
    """Explain :func:`drpolicy.authorize`'s decision; same arguments.

    >>> bucket = {"Version": "2012-10-17", "Statement": [{"Sid": "Partner",
    ...     "Effect": "Allow", "Principal": {"AWS": "111122223333"},
    ...     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]}
    >>> e = explain_authorization("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
    ...     "arn:aws:s3:::shared/report.csv", resource_policy=bucket,
    ...     resource_account="444455556666")
    >>> e.decision.decision, e.decision.decided_by
    ('ImplicitlyDenied', 'identity')
    >>> e.policies[0].statements[0].principal.how
    'account'
    """
    from drpolicy._api import _index, _level, authorize

    decision = authorize(
        principal, action, resource, context=context, identity_policies=identity_policies,
        resource_policy=resource_policy, resource_account=resource_account,
        permission_boundary=permission_boundary, scps=scps, rcps=rcps,
        session_policy=session_policy,
    )
    # The same policy sets authorize() builds (its compile and index caches make them the
    # very same objects).
    caller = Principal.parse(principal)
    ctx = caller.context()
    ctx.update(normalise_context(context))
    is_role = resource.startswith("arn:") and ":iam::" in resource and ":role/" in resource
    resource_type: PolicyType = "trust" if is_role else "resource"
    sets: list[tuple[PolicyIndex, PolicyType, int | None]] = []
    if identity_policies:
        sets.append((_index(identity_policies, "identity"), "identity", None))
    if permission_boundary is not None:
        boundary = _index([permission_boundary], "permission_boundary")
        sets.append((boundary, "permission_boundary", None))
    if session_policy is not None:
        sets.append((_index([session_policy], "session"), "session", None))
    for i, level in enumerate(scps):
        sets.append((_index(_level(level, "scps"), "scp"), "scp", i))
    for i, level in enumerate(rcps):
        sets.append((_index(_level(level, "rcps"), "rcp"), "rcp", i))
    if resource_policy is not None:
        sets.append((_index([resource_policy], resource_type), resource_type, None))
    return _explain(
        caller, action, resource, ctx, decision, sets, has_boundary=permission_boundary is not None
    )


# --------------------------------------------------------------------------------------
# Tracing
# --------------------------------------------------------------------------------------

_USES_PRINCIPAL: Final = frozenset({"resource", "trust", "rcp"})
_IDENTITY_SIDE: Final = frozenset({"identity", "permission_boundary", "session", "scp"})


def _explain(
    caller: Principal,
    action: str,
    resource: str,
    ctx: Mapping[str, tuple[str, ...]],
    decision: Decision,
    sets: Iterable[tuple[PolicyIndex, PolicyType, int | None]],
    *,
    has_boundary: bool,
) -> Explanation:
    action_low = check_action(action)
    check_resource(resource)
    ordered = sorted(sets, key=lambda t: (_POLICY_ORDER.index(t[1]), t[2] or 0))
    policies: list[PolicyExplanation] = []
    for index, policy_type, level in ordered:
        evaluated = caller.is_iam or policy_type not in _IDENTITY_SIDE
        note = "" if evaluated else (
            "identity-side policies (identity, boundary, session, SCP) apply only to IAM"
            f" identities; the caller is a {caller.kind.replace('-', ' ')} principal"
        )
        use_principal = policy_type in _USES_PRINCIPAL
        for compiled in index.policies:
            statements = tuple(
                _trace(s, action_low, resource, ctx, caller if use_principal else None,
                       has_boundary, evaluated)
                for s in compiled.statements
            )
            policies.append(PolicyExplanation(
                compiled.policy.name, policy_type, statements, level, evaluated, note
            ))
    return Explanation(
        caller.arn or caller.name or caller.kind,
        caller.kind,
        action,
        resource,
        tuple(sorted((k, tuple(v)) for k, v in ctx.items())),
        decision,
        tuple(policies),
    )


def _trace(
    s: Any,
    action_low: str,
    resource: str,
    ctx: Mapping[str, tuple[str, ...]],
    caller: Principal | None,
    has_boundary: bool,
    evaluated: bool,
) -> StatementExplanation:
    """Trace one compiled statement (``evaluator._Stmt``) in the engine's order: action,
    resource, principal, conditions."""
    effect: Literal["Allow", "Deny"] = "Deny" if s.deny else "Allow"
    deny: bool = s.deny
    missing = _statement_missing(s.conditions, ctx)
    action = _action_check(s, action_low)
    # as the engine (_index): a match that rests only on a wildcard in a service prefix is
    # ambiguous; a NotAction that excludes the action only that way does not exclude it
    from drpolicy._index import service_wildcard_only

    ambiguous = service_wildcard_only(s, action_low)
    if ambiguous and not action.matched:
        action = attrs.evolve(action, matched=True)
    if not evaluated:
        return StatementExplanation(
            s.ref, effect, False, "not-evaluated", "not evaluated for this caller", action,
            missing_context=missing,
        )
    if not action.matched:
        return StatementExplanation(
            s.ref, effect, False, "action-mismatch", _action_reason(action, action_low), action,
            missing_context=missing,
        )
    res = _resource_check(s, resource, ctx, deny)
    error: str | None = res.error
    if not res.matched:
        outcome: Outcome = "error" if res.error else "resource-mismatch"
        return StatementExplanation(
            s.ref, effect, False, outcome, _resource_reason(res, resource), action, res,
            error=error, missing_context=missing,
        )
    principal: PrincipalCheck | None = None
    if caller is not None and (s.principal is not None or s.not_principal is not None):
        principal = _principal_check(s, caller, has_boundary)
        if not principal.matched:
            return StatementExplanation(
                s.ref, effect, False, "principal-mismatch",
                f"{principal.element} {principal.note}", action, res,
                principal, error=error, missing_context=missing,
            )
    conditions = tuple(_condition_check(c, ctx) for c in s.conditions)
    # As the engine (evaluator._Stmt.conditions_hold): every entry is evaluated and an error
    # in any of them decides the statement, even when another entry is false (fail closed:
    # an erroring Deny applies); otherwise the first false entry is the reason.
    for c in conditions:
        if c.error is not None:
            return StatementExplanation(
                s.ref, effect, deny, "error",
                f"condition {c.operator} on `{c.key}` could not be evaluated: {c.error}"
                + (" (an erroring Deny applies)" if deny else " (an erroring Allow never grants)"),
                action, res, principal, conditions, c.error, missing,
            )
    for c in conditions:
        if not c.result:
            return StatementExplanation(
                s.ref, effect, False, "condition-false",
                f"condition {c.operator} on `{c.key}` is false"
                + (f" ({c.note})" if c.note else ""),
                action, res, principal, conditions, error, missing,
            )
    if error is not None:  # an erroring NotResource in a Deny: applies (fail closed)
        return StatementExplanation(
            s.ref, effect, True, "error", f"{error} (an erroring Deny applies)", action, res,
            principal, conditions, error, missing,
        )
    if ambiguous:
        message = (
            "ambiguous: the action matches only through a wildcard in a service prefix"
            + (" (the Deny applies)" if deny else " (the Allow does not grant)")
        )
        return StatementExplanation(
            s.ref, effect, deny, "error", message, action, res, principal, conditions, message,
            missing,
        )
    return StatementExplanation(
        s.ref, effect, True, "applies", "applies" + (" (denies)" if deny else " (allows)"),
        action, res, principal, conditions, None, missing,
    )


def _action_check(s: Any, action_low: str) -> ActionCheck:
    if s.actions is not None:
        found = s.actions.matching_pattern(action_low)
        patterns = tuple(p.source for p in s.actions.patterns)
        return ActionCheck("Action", patterns, found is not None, found)
    found = s.not_actions.matching_pattern(action_low)
    patterns = tuple(p.source for p in s.not_actions.patterns)
    # the engine's verdict (an empty NotAction list matches nothing)
    return ActionCheck("NotAction", patterns, s.action_applies(action_low), found)


def _action_reason(check: ActionCheck, action_low: str) -> str:
    if check.element == "NotAction":
        if not check.patterns:
            return "NotAction is an empty list, which matches nothing"
        return f"the action is excluded by NotAction `{check.pattern}`"
    return f"the action is not matched by Action {_list(check.patterns)}"


def _resource_check(
    s: Any, resource: str, ctx: Mapping[str, tuple[str, ...]], deny: bool
) -> ResourceCheck:
    if s.patterns is not None:
        checks = tuple(_pattern_check(p, resource, ctx) for p in s.patterns)
        hit = next((c.pattern for c in checks if c.matched), None)
        if hit is not None:
            return ResourceCheck("Resource", True, checks, hit)
        failed = [c.failed_segment for c in checks if c.failed_segment is not None]
        closest = max(failed, key=_SEGMENTS.index) if failed else None
        return ResourceCheck("Resource", False, checks, None, closest)
    if s.not_patterns is not None:
        checks = tuple(_pattern_check(p, resource, ctx) for p in s.not_patterns)
        # as the engine (_Stmt.resource_applies): an undecidable entry anywhere is an error,
        # whatever the other entries say; an empty list matches nothing
        for c in checks:
            if c.matched is None:
                error = f"policy variable in NotResource `{c.pattern}` has no value"
                return ResourceCheck("NotResource", deny, checks, None, None, error)
        excluding = next((c.pattern for c in checks if c.matched), None)
        if excluding is not None or not checks:
            return ResourceCheck("NotResource", False, checks, excluding)
        return ResourceCheck("NotResource", True, checks)
    return ResourceCheck(None, True)


def _pattern_check(p: Any, resource: str, ctx: Mapping[str, tuple[str, ...]]) -> PatternCheck:
    hit = p.match(resource, ctx)
    if hit is None:
        return PatternCheck(p.source, None)
    if hit:
        return PatternCheck(p.source, True)
    segment = p.failed_segment(resource) if resource != "*" else None
    if segment is None and resource != "*":
        # a policy variable's value made the resource part differ
        segment = "resource"
    return PatternCheck(p.source, False, segment)


def _resource_reason(check: ResourceCheck, resource: str) -> str:
    if check.error is not None:
        return f"{check.error} (an erroring Allow never grants)"
    if check.element == "NotResource":
        if check.pattern is None:
            return "NotResource is an empty list, which matches nothing"
        return f"the resource is excluded by NotResource `{check.pattern}`"
    if resource == "*":
        return (
            "the request resource is `*` (an action without resource-level permissions),"
            " which only Resource `*` matches"
        )
    unresolved = [c.pattern for c in check.patterns if c.matched is None]
    if len(check.patterns) == 1:
        only = check.patterns[0]
        if only.matched is None:
            return f"a policy variable in Resource `{only.pattern}` has no value (matches nothing)"
        return f"the {only.failed_segment} segment differs from Resource `{only.pattern}`"
    text = f"no Resource pattern matches (of {len(check.patterns)})"
    if check.failed_segment is not None:
        closest = next(
            c.pattern for c in check.patterns if c.failed_segment == check.failed_segment
        )
        text += f"; closest: `{closest}`, whose {check.failed_segment} segment differs"
    if unresolved:
        text += f"; {len(unresolved)} with unresolved policy variables"
    return text


def _principal_check(s: Any, caller: Principal, has_boundary: bool) -> PrincipalCheck:
    from drpolicy._index import principal_applies as _principal_applies

    ambiguous: str | None = None
    try:
        how: MatchKind | None = _principal_applies(s, caller, has_boundary)
    except ConditionEvaluationError as exc:  # an ambiguous NotPrincipal: fail closed
        how, ambiguous = "wildcard", str(exc)
    who = caller.arn or caller.name or caller.kind
    if s.principal is not None:
        note = (
            f"names the caller {_HOW[how]}" if how is not None
            else f"does not name the caller `{who}`"
        )
        return PrincipalCheck("Principal", s.principal.to_json(), how is not None, how, None, note)
    named = match_principal(s.not_principal, caller)
    if ambiguous is not None:
        note = ambiguous + ("; the Deny applies" if s.deny else "; the Allow does not grant")
    elif how is None:
        note = "lists the caller's whole identity chain, so the statement does not apply to it"
    elif not_principal_excludes(s.not_principal, caller):
        note = (
            "lists the caller, but a Deny with NotPrincipal applies to every IAM principal that"
            " has a permissions boundary"
        )
    elif named is not None:
        note = (
            f"names the caller {_HOW[named]} but not its whole identity chain (a user and its"
            " account; a role session, its role and its account), so the statement applies"
            " to it"
        )
    else:
        note = "does not name the caller, so the statement applies to it"
    return PrincipalCheck(
        "NotPrincipal", s.not_principal.to_json(), how is not None, how, named, note
    )


_HOW: Final[Mapping[str | None, str]] = {
    None: "",
    "wildcard": "as everyone (`*`)",
    "account": "through its account",
    "user": "by its user ARN",
    "role": "by its role ARN",
    "session": "by its session ARN",
    "federated-user": "by its federated-user ARN",
    "service": "as the service principal",
    "federated": "as its identity provider",
    "canonical-user": "as its canonical user",
}


def _condition_check(c: CompiledCondition, ctx: Mapping[str, tuple[str, ...]]) -> ConditionCheck:
    request = ctx.get(c.key)
    result: bool | None
    error: str | None = None
    try:
        result = bool(c(ctx))
    except ConditionEvaluationError as exc:
        result, error = None, str(exc)
    missing = tuple(_written(c, k) for k in dict.fromkeys(c.references) if k not in ctx)
    return ConditionCheck(
        c.spec.written,
        c.key_written,
        tuple(v.source for v in c.values),
        None if request is None else tuple(request),
        result,
        error,
        _condition_note(c, request, result),
        missing,
    )


def _condition_note(
    c: CompiledCondition, request: tuple[str, ...] | None, result: bool | None
) -> str:
    """Say which rule gave the verdict when it is not a plain comparison of values."""
    spec = c.spec
    if result is None:
        return ""
    if not request:
        absent = "the key is absent" if request is None else "the key has no values"
        if spec.operator.family == "Null":
            if spec.qualifier is not None:
                return f"{spec.qualifier}:Null is always {str(result).lower()}"
            return f"{absent}, so Null is {'true' if result else 'false'} for these values"
        if spec.if_exists:
            return f"{absent}; IfExists makes the entry true"
        if spec.qualifier == "ForAllValues":
            return f"{absent}; ForAllValues is true on an absent key"
        if spec.qualifier == "ForAnyValue":
            return f"{absent}; ForAnyValue is false on an absent key"
        if not c.values:
            return f"{absent}; an empty value list has no effect"
        if spec.operator.negated:
            return f"{absent}; a negated operator is true on an absent key"
        return f"{absent}; a positive operator is false on an absent key"
    if spec.operator.family == "Null":
        if spec.qualifier is not None:
            return f"{spec.qualifier}:Null is always {str(result).lower()}"
        return "the key is present"
    if not c.values:
        return "an empty value list never matches a present key"
    if spec.qualifier is None and len(request) > 1:
        return "a positive operator without ForAllValues/ForAnyValue is false on a multi-valued key"
    return ""


def _written(c: CompiledCondition, key: str) -> str:
    # the engine's spelling for missing keys: the condition key as written, variables lower-cased
    return c.key_written if key == c.key else key


def _statement_missing(
    conditions: Sequence[CompiledCondition], ctx: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for c in conditions:
        for key in c.references:
            if key not in ctx and key not in found:
                found[key] = _written(c, key)
    return tuple(found.values())


# --------------------------------------------------------------------------------------
# Text rendering
# --------------------------------------------------------------------------------------


def _list(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"`{i}`" for i in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"[{shown}{more}]"


def _values(values: Sequence[str] | None) -> str:
    if values is None:
        return "(absent)"
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _render(e: Explanation, verbose: bool) -> str:
    d = e.decision
    lines = [
        f"request:   {e.action} on {e.resource}",
        f"principal: {e.principal} ({e.principal_kind})",
    ]
    by = f" (decided by the {_DECIDED_BY[d.decided_by]})" if d.decided_by else ""
    reason = e.reason
    if reason is not None and e.principal_kind == "root":
        by = ""  # the trust policy did not decide: AWS's rule did
    lines.append(f"decision:  {d.decision}{by}")
    if reason is not None:
        lines.append(f"reason:    {reason}")
    for r in d.reasons:
        lines.append(f"  {'denied' if d.decision == 'ExplicitlyDenied' else 'allowed'} by {r}")
    if d.missing_context:
        lines.append(f"missing context: {', '.join(d.missing_context)}")
    if e.context:
        lines.append("context:")
        lines.extend(f"  {k} = {_values(v)}" for k, v in e.context)
    for issue in d.errors:
        lines.append(f"error: {issue}")
    for p in e.policies:
        lines.append("")
        where = f" (level {p.level})" if p.level is not None else ""
        lines.append(f"{_TYPE_LABEL[p.policy_type]} `{p.name}`{where}: {p.verdict}")
        if not p.evaluated:
            lines.append(f"  {p.note}")
            continue
        for s in p.statements:
            mark = "+" if s.applies else "-"
            lines.append(f"  {mark} {_label(s)} {s.effect}: {s.reason}")
            if s.outcome == "action-mismatch" and not verbose:
                continue
            lines.extend(_details(s))
    return "\n".join(lines)


def _label(s: StatementExplanation) -> str:
    return f"Statement[{s.ref.index}]" + (f" ({s.ref.sid})" if s.ref.sid else "")


def _details(s: StatementExplanation) -> list[str]:
    pad = "        "
    a = s.action
    out: list[str] = []
    if s.outcome == "action-mismatch":
        pass  # the reason line already says it
    elif a.element == "Action":
        out.append(
            f"{pad}Action: matched by `{a.pattern}`" if a.matched
            else f"{pad}Action: no match in {_list(a.patterns)}"
        )
    else:
        out.append(
            f"{pad}NotAction: excluded by `{a.pattern}`" if not a.matched
            else f"{pad}NotAction: not excluded by {_list(a.patterns)}"
        )
    r = s.resource
    if r is not None:
        if r.element is None:
            out.append(f"{pad}Resource: (none; applies to every resource)")
        for pc in r.patterns:
            if pc.matched:
                verdict = "excludes the resource" if r.element == "NotResource" else "matches"
            elif pc.matched is None:
                verdict = "policy variable without a value"
            elif pc.failed_segment is not None:
                verdict = f"no match ({pc.failed_segment} segment differs)"
            else:
                verdict = "no match"
            out.append(f"{pad}{r.element} `{pc.pattern}`: {verdict}")
    if s.principal is not None:
        out.append(f"{pad}{s.principal.element}: {s.principal.note}")
    for c in s.conditions:
        verdict = "error" if c.result is None else str(c.result).lower()
        out.append(f"{pad}Condition {c.operator} `{c.key}`: {verdict}")
        out.append(
            f"{pad}  request {_values(c.request_values)}, policy {_values(c.policy_values)}"
        )
        if c.note:
            out.append(f"{pad}  {c.note}")
        if c.error:
            out.append(f"{pad}  error: {c.error}")
    if s.missing_context:
        out.append(f"{pad}reads keys the request lacks: {', '.join(s.missing_context)}")
    return out
