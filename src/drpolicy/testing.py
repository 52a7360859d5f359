"""Assertions for test suites: a failed check says *why*, with drpolicy's explanation.

Two styles, both usable with any test runner:

* ``assert_allowed(role, action, resource, context)`` / ``assert_denied(...)`` (and
  :func:`assert_can_assume` / :func:`assert_cannot_assume` for trust policies) raise
  :class:`AssertionError` whose message holds the decision, the deciding statements, the
  missing context keys, the evaluation errors and a per-statement trace (which ARN segment
  failed, which condition was false). They return the :class:`~drpolicy.Decision`.
* ``assert verdict(role, action, resource, context) == "Allowed"`` reads like a plain
  assertion; under pytest with drpolicy's plugin, a failure prints the same explanation
  (the plugin implements ``pytest_assertrepr_compare`` for verdicts). Compare with
  ``"Allowed"``, ``"Denied"`` (either kind of denial), ``"ExplicitlyDenied"`` or
  ``"ImplicitlyDenied"``.

>>> from drpolicy.testing import assert_allowed, assert_denied, verdict
>>> assert_allowed("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-models/m.tar.gz").decision
'Allowed'
>>> verdict("deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/m.tar.gz") == "Denied"
True
>>> assert_allowed("deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/m.tar.gz")
Traceback (most recent call last):
  ...
AssertionError: expected `s3:GetObject` on `arn:aws:s3:::other-bucket/m.tar.gz` to be allowed ...
  decision: ImplicitlyDenied (decided by the identity policies)
...
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from drpolicy._api import role as _resolve_role
from drpolicy.conditions import CompiledCondition, ConditionEvaluationError
from drpolicy.errors import DrpolicyError, RequestError
from drpolicy.evaluator import PolicyIndex, compile_policy
from drpolicy.model import Decision, Policy, Statement, StatementRef
from drpolicy.roles import Role

__all__ = [
    "Verdict",
    "assert_allowed",
    "assert_can_assume",
    "assert_cannot_assume",
    "assert_denied",
    "explain_decision",
    "verdict",
]


def __dir__() -> list[str]:
    return __all__


_EXPECTATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "Allowed": ("Allowed",),
    "Denied": ("ExplicitlyDenied", "ImplicitlyDenied"),
    "ExplicitlyDenied": ("ExplicitlyDenied",),
    "ImplicitlyDenied": ("ImplicitlyDenied",),
}


def _subject(role: Any) -> Any:
    if isinstance(role, str):
        return _resolve_role(role)
    if callable(getattr(role, "evaluate", None)):
        return role
    raise RequestError(f"a role is a catalog name or a drpolicy.Role, not {type(role).__name__}")


def _label(subject: Any) -> str:
    return str(getattr(subject, "name", None) or getattr(subject, "arn", None) or subject)


def _statement_of(subject: Any, ref: StatementRef) -> Statement | None:
    for attr in ("_identity", "_boundary", "_trust"):
        index = getattr(subject, attr, None)
        if not isinstance(index, PolicyIndex):
            continue
        for compiled in index.policies:
            if compiled.policy.name == ref.policy and compiled.policy_type == ref.policy_type:
                for s in compiled.policy.statements:
                    if s.index == ref.index:
                        return s
    return None


def _summary(
    subject: Any,
    decision: Decision,
    context: Mapping[str, Any] | None,
    why: Sequence[str] = (),
) -> list[str]:
    """The facts first (a reporter that truncates keeps these): decision, deciding
    statements, missing context, errors, why the statements matching the action did or did
    not apply, the request context; then the deciding statements as JSON."""
    lines = [
        f"  decision: {decision.decision}"
        + (f" (decided by the {decision.decided_by} policies)" if decision.decided_by else "")
    ]
    if decision.reasons:
        lines.append("  deciding statements: " + ", ".join(str(r) for r in decision.reasons))
    elif decision.decision == "ImplicitlyDenied":
        lines.append("  deciding statements: none (no statement allows the request)")
    if decision.missing_context:
        lines.append("  missing context: " + ", ".join(decision.missing_context))
    if decision.errors:
        lines.append("  evaluation errors:")
        lines.extend(f"    - {e}" for e in decision.errors)
    lines.extend(why)
    lines.append(
        "  request context: " + (json.dumps(dict(context), default=str) if context else "(none)")
    )
    for ref in decision.reasons:
        stmt = _statement_of(subject, ref)
        if stmt is not None:
            lines.append(f"  {ref}: {json.dumps(stmt.to_json())}")
    return lines


def _indent(text: str, prefix: str = "    ") -> list[str]:
    return [prefix + line if line else line for line in text.splitlines()]


def _trace(
    subject: Any, action: str, resource: str, context: Mapping[str, Any] | None
) -> list[str]:
    """A per-statement trace from the compiled policies (used when drpolicy.explain is not
    available)."""
    from drpolicy.evaluator import check_action

    low = check_action(action)
    ctx = subject.context_for(context) if callable(getattr(subject, "context_for", None)) else {}
    out: list[str] = []
    for attr, kind in (("_identity", "identity"), ("_boundary", "permissions boundary")):
        index = getattr(subject, attr, None)
        if not isinstance(index, PolicyIndex):
            continue
        for compiled in index.policies:
            out.append(f"{kind} policy `{compiled.policy.name}`:")
            for s in compiled.statements:
                head = f"  - {s.statement.label} {s.statement.effect}:"
                if not s.action_applies(low):
                    out.append(f"{head} the action is not matched")
                    continue
                out.append(f"{head} the action matches")
                out.extend(_resource_lines(s, resource, ctx))
                out.extend(_condition_lines(s.conditions, ctx))
    return out


def _resource_lines(s: Any, resource: str, ctx: Mapping[str, tuple[str, ...]]) -> list[str]:
    out: list[str] = []
    for label, patterns, wanted in (
        ("Resource", s.patterns, True),
        ("NotResource", s.not_patterns, False),
    ):
        if patterns is None:
            continue
        for p in patterns:
            hit = p.match(resource, ctx)
            if hit is None:
                out.append(f"      {label} `{p.source}`: a policy variable has no value")
            elif hit:
                out.append(
                    f"      {label} `{p.source}`: matches"
                    + ("" if wanted else " (so the statement does not apply)")
                )
            else:
                segment = p.failed_segment(resource) if resource != "*" else None
                why = f" ({segment} segment differs)" if segment else ""
                out.append(f"      {label} `{p.source}`: no match{why}")
    return out


def _condition_lines(
    clauses: Sequence[CompiledCondition], ctx: Mapping[str, tuple[str, ...]]
) -> list[str]:
    out = []
    for c in clauses:
        try:
            result = "true" if c(ctx) else "false"
        except ConditionEvaluationError as exc:
            result = f"error: {exc}"
        given = list(ctx[c.key]) if c.key in ctx else "(absent)"
        out.append(
            f"      Condition {c.spec.written} `{c.key_written}`: {result};"
            f" request {given}, policy {[v.source for v in c.values]}"
        )
    return out


def explain_decision(
    role: Any, action: str, resource: str, context: Mapping[str, Any] | None = None
) -> str:
    """The text the assertions of this module print: decision, deciding statements (with
    their JSON), missing context, errors, request context, then the per-statement trace of
    :func:`drpolicy.explain.explain`.

    Args:
        role: a catalog name or alias, a :class:`~drpolicy.Role`, or a loaded principal.
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys.

    Raises:
        CatalogError: unknown role name.
        RequestError: malformed request.
    """
    subject = _subject(role)
    decision = subject.evaluate(action, resource, context)
    return "\n".join(_explanation_lines(subject, action, resource, context, decision))


def _explanation_lines(
    subject: Any, action: str, resource: str, context: Mapping[str, Any] | None, decision: Decision
) -> list[str]:
    explanation: Any = None
    note = ""
    try:
        from drpolicy.explain import explain
    except ImportError:
        explain = None  # type: ignore[assignment]
    if explain is not None:
        try:
            explanation = explain(subject, action, resource, context)
        except DrpolicyError as exc:
            note = f"    (drpolicy.explain could not explain this request: {exc})"
    if explanation is not None:
        considered = [s for s in explanation.statements if s.outcome != "action-mismatch"]
        why = [
            "  statements matching the action:"
            if considered
            else "  no statement matches the action"
        ]
        why += [f"    {'+' if s.applies else '-'} {s.ref}: {s.reason}" for s in considered]
        lines = _summary(subject, decision, context, why)
        lines.append("  explanation:")
        lines.extend(_indent(explanation.render()))
        return lines
    lines = _summary(subject, decision, context)
    lines.append("  explanation:")
    if note:
        lines.append(note)
    lines.extend(_indent("\n".join(_trace(subject, action, resource, context))))
    return lines


def _check(
    role: Any,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None,
    expected: str,
    msg: str | None,
    strict: bool = True,
    allow_indefinite: bool = False,
) -> Decision:
    __tracebackhide__ = True  # pytest: the failure is the caller's line, not drpolicy's
    subject = _subject(role)
    if strict:  # a typo in the test itself must not pass as a denial (docs/aws-catalog.md)
        from drpolicy._request_check import require_known_request

        require_known_request(subject, action, resource, context)
    decision: Decision = subject.evaluate(action, resource, context)
    if decision.decision in _EXPECTATIONS[expected]:
        if decision.definite or allow_indefinite:
            return decision
        # the expected outcome, but only because drpolicy failed closed (issue 11)
        issues = "; ".join(str(e) for e in decision.errors)
        head = (
            f"`{action}` on `{resource}` is {decision.decision} for {_label(subject)}, but the"
            f" answer is not definite: it rests on {issues}"
            " (pass allow_indefinite=True to accept a fail-closed answer)"
        )
        lines = [head if msg is None else f"{msg}: {head}"]
        lines += _explanation_lines(subject, action, resource, context, decision)
        raise AssertionError("\n".join(lines))
    wanted = {
        "Allowed": "allowed",
        "Denied": "denied",
        "ExplicitlyDenied": "explicitly denied",
        "ImplicitlyDenied": "implicitly denied",
    }[expected]
    head = (
        f"expected `{action}` on `{resource}` to be {wanted} for {_label(subject)},"
        f" but it is {decision.decision}"
    )
    lines = [head if msg is None else f"{msg}: {head}"]
    lines += _explanation_lines(subject, action, resource, context, decision)
    raise AssertionError("\n".join(lines))


def assert_allowed(
    role: Any,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    msg: str | None = None,
    strict: bool = True,
    allow_indefinite: bool = False,
) -> Decision:
    """Assert that ``role`` may perform ``action`` on ``resource``.

    Args:
        role: a catalog name or alias, a :class:`~drpolicy.Role`, or a principal of a loaded
            account.
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys.
        msg: a prefix for the failure message.
        strict: first check the request against AWS's catalog (:func:`drpolicy.check_request`)
            and fail on an unknown action or context key, or a resource that fits none of
            the action's resource types; ``False`` for actions newer than the bundled data.
        allow_indefinite: accept a decision that rests on an evaluation error or an ambiguous
            construct (``Decision.definite`` is false); by default such a decision fails the
            assertion, with the explanation.

    Returns:
        The :class:`~drpolicy.Decision`.

    Raises:
        AssertionError: the request is denied (the message explains why), the answer is not
            definite, or, with ``strict``, it is not a request AWS would send (the message
            names the typo).
        CatalogError: unknown role name.
        RequestError: malformed request.
    """
    __tracebackhide__ = True
    return _check(role, action, resource, context, "Allowed", msg, strict, allow_indefinite)


def assert_denied(
    role: Any,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    explicit: bool | None = None,
    msg: str | None = None,
    strict: bool = True,
    allow_indefinite: bool = False,
) -> Decision:
    """Assert that ``role`` may not perform ``action`` on ``resource``.

    Args:
        role: a catalog name or alias, a :class:`~drpolicy.Role`, or a principal of a loaded
            account.
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys.
        explicit: ``True``: the denial must come from a Deny statement; ``False``: it must be
            implicit (no Allow); ``None``: either.
        msg: a prefix for the failure message.
        strict: as for :func:`assert_allowed`: a typo in the request fails the assertion
            (with the suggestion) instead of passing as a denial.
        allow_indefinite: accept a denial that rests on an evaluation error or an ambiguous
            construct (a fail-closed answer); by default it fails the assertion.

    Returns:
        The :class:`~drpolicy.Decision`.

    Raises:
        AssertionError: the request is allowed (or denied the other way), or the denial is
            not definite; the message shows the statements that allowed it. With ``strict``,
            also a request AWS would not send.
    """
    __tracebackhide__ = True
    expected = {None: "Denied", True: "ExplicitlyDenied", False: "ImplicitlyDenied"}[explicit]
    return _check(role, action, resource, context, expected, msg, strict, allow_indefinite)


def _assume(
    principal: Any,
    role: Any,
    context: Mapping[str, Any] | None,
    identity_policies: Sequence[Any],
    action: str,
    expect_allowed: bool,
    msg: str | None,
) -> Decision:
    __tracebackhide__ = True
    subject = _resolve_role(role) if isinstance(role, str) else role
    if not isinstance(subject, Role):
        raise RequestError(
            f"a role is a catalog name or a drpolicy.Role, not {type(role).__name__}"
        )
    identity = None
    if identity_policies:
        identity = PolicyIndex(
            [
                compile_policy(
                    p, "identity", name=None if isinstance(p, Policy) else f"identity-{i}"
                )
                for i, p in enumerate(identity_policies)
            ],
            "identity",
        )
    decision = subject.assume_decision(
        principal, context, action=action, identity_policies=identity
    )
    if decision.allowed == expect_allowed:
        return decision
    who = getattr(principal, "arn", None) or getattr(principal, "name", None) or principal
    head = (
        f"expected `{who}` {'to be able' if expect_allowed else 'not to be able'} to call"
        f" `{action}` on {subject.name} ({subject.arn}), but it is {decision.decision}"
    )
    lines = [head if msg is None else f"{msg}: {head}"]
    lines += _summary(subject, decision, context)
    if subject.trust_policy is not None:
        lines.append(
            "  trust policy `"
            + subject.trust_policy.name
            + "`: "
            + json.dumps(subject.trust_policy.to_json())
        )
    else:
        lines.append("  the role has no trust policy: nobody can assume it")
    try:
        from drpolicy.explain import explain_authorization
    except ImportError:
        explain_authorization = None  # type: ignore[assignment]
    if explain_authorization is not None and subject.trust_policy is not None:
        try:
            trace = explain_authorization(
                principal,
                action,
                subject.arn,
                context=context,
                identity_policies=list(identity_policies),
                resource_policy=subject.trust_policy,
                resource_account=subject.account_id,
            )
            lines.append("  explanation:")
            lines.extend(_indent(trace.render()))
        except DrpolicyError as exc:
            lines.append(f"  (drpolicy.explain could not explain this request: {exc})")
    raise AssertionError("\n".join(lines))


def assert_can_assume(
    principal: Any,
    role: Any,
    context: Mapping[str, Any] | None = None,
    *,
    identity_policies: Sequence[Any] = (),
    action: str = "sts:AssumeRole",
    msg: str | None = None,
) -> Decision:
    """Assert that ``principal`` may assume ``role`` (its trust policy admits the caller).

    Args:
        principal: a service principal (``sagemaker.amazonaws.com``), an IAM/STS ARN, an
            account ID, or a :class:`~drpolicy.Principal`.
        role: a catalog name or alias, or a :class:`~drpolicy.Role`.
        context: request context keys.
        identity_policies: the caller's identity policies, for IAM callers admitted through
            their account.
        action: ``sts:AssumeRole`` or another STS action the trust policy governs.
        msg: a prefix for the failure message.

    Returns:
        The :class:`~drpolicy.Decision`.

    Raises:
        AssertionError: the trust policy does not admit the caller; the message shows it.

    >>> assert_can_assume("sagemaker.amazonaws.com", "sagemaker").decision
    'Allowed'
    """
    __tracebackhide__ = True
    return _assume(principal, role, context, identity_policies, action, True, msg)


def assert_cannot_assume(
    principal: Any,
    role: Any,
    context: Mapping[str, Any] | None = None,
    *,
    identity_policies: Sequence[Any] = (),
    action: str = "sts:AssumeRole",
    msg: str | None = None,
) -> Decision:
    """Assert that ``principal`` may not assume ``role``; same arguments as
    :func:`assert_can_assume`.

    Raises:
        AssertionError: the caller can assume the role; the message shows the trust
            statements that admit it.
    """
    __tracebackhide__ = True
    return _assume(principal, role, context, identity_policies, action, False, msg)


class Verdict:
    """The decision for one request, made to be compared in a plain ``assert``:
    ``assert verdict(role, action, resource) == "Allowed"``.

    It compares equal to ``"Allowed"``, ``"ExplicitlyDenied"``, ``"ImplicitlyDenied"``, and
    ``"Denied"`` (either denial); any other string is an error. ``str(verdict)`` is the full
    explanation; the pytest plugin prints it when a comparison fails. A verdict has no truth
    value (``assert verdict(...)`` alone would always pass, so it raises ``TypeError``).

    Attributes:
        decision: the engine's :class:`~drpolicy.Decision`.
        action: the request's action.
        resource: the request's resource.
        context: the request's context (``None`` if none was given).
    """

    __slots__ = ("_subject", "action", "context", "decision", "resource")
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        subject: Any,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None,
        decision: Decision,
    ) -> None:
        self._subject = subject
        self.action = action
        self.resource = resource
        self.context = context
        self.decision = decision

    def _matches(self, other: str) -> bool:
        if other not in _EXPECTATIONS:
            raise ValueError(
                f"a verdict compares with `Allowed`, `Denied`, `ExplicitlyDenied` or"
                f" `ImplicitlyDenied`, not `{other}`"
            )
        return self.decision.decision in _EXPECTATIONS[other]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self._matches(other)
        if isinstance(other, Verdict):
            return self.decision.decision == other.decision.decision
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __bool__(self) -> bool:
        raise TypeError(
            "a verdict has no truth value: compare it, e.g."
            ' `assert verdict(role, action, resource) == "Allowed"`'
        )

    def __repr__(self) -> str:
        return (
            f"<Verdict {self.decision.decision}: `{self.action}` on `{self.resource}`"
            f" for {_label(self._subject)}>"
        )

    def summary_lines(self, *, statements: int = 2, width: int = 140) -> list[str]:
        """The explanation in a few short lines: the decision, why (at most ``statements``
        statements matching the action, each cut to ``width`` characters) and the missing
        context keys. The pytest plugin prints these first, so they survive pytest's default
        truncation of assertion messages (8 lines, 640 characters).

        >>> for line in verdict("sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/R"
        ...                     ).summary_lines(width=80):
        ...     print(line)
          ImplicitlyDenied (decided by the identity policies): no statement allows it
          - identity:AWSDeepRacerSageMakerAccessRolePolicy: Statement[6]: condition S...
          missing context: iam:PassedToService (the answer may depend on it)
        """
        d = self.decision
        by = f" (decided by the {d.decided_by} policies)" if d.decided_by else ""
        if d.reasons:
            verb = "denied" if d.decision == "ExplicitlyDenied" else "allowed"
            why = f"{verb} by " + ", ".join(str(r) for r in d.reasons)
        else:
            why = "no statement allows it"
        lines = [_cut(f"  {d.decision}{by}: {why}", width)]
        try:
            from drpolicy.explain import explain

            considered = [
                s for s in explain(self._subject, self.action, self.resource,
                                   self.context).statements
                if s.outcome != "action-mismatch" and s.ref not in d.reasons
            ]
        except (ImportError, DrpolicyError):
            considered = []
        for s in considered[:statements]:
            lines.append(_cut(f"  {'+' if s.applies else '-'} {s.ref}: {s.reason}", width))
        if len(considered) > statements:
            lines.append(f"  ... and {len(considered) - statements} more statements")
        if d.missing_context:
            lines.append(_cut(
                f"  missing context: {', '.join(d.missing_context)}"
                " (the answer may depend on it)", width,
            ))
        return lines

    def explanation_lines(self) -> list[str]:
        """The explanation, line by line (what the pytest plugin prints)."""
        return _explanation_lines(
            self._subject, self.action, self.resource, self.context, self.decision
        )

    def __str__(self) -> str:
        return "\n".join([repr(self), *self.explanation_lines()])


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def verdict(
    role: Any, action: str, resource: str, context: Mapping[str, Any] | None = None
) -> Verdict:
    """The :class:`Verdict` for a request, to compare in an ``assert``.

    >>> verdict("sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/Any",
    ...         {"iam:PassedToService": "sagemaker.amazonaws.com"}) == "Allowed"
    True

    Raises:
        CatalogError: unknown role name.
        RequestError: malformed request.
    """
    subject = _subject(role)
    return Verdict(subject, action, resource, context, subject.evaluate(action, resource, context))
