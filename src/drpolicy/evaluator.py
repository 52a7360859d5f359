"""Compile policies once, index them, and decide requests with AWS's evaluation logic.

Layers, fastest first:

* :class:`PolicyIndex` holds the compiled statements of one policy set (all identity policies
  of a role, one SCP level, a resource policy...). A request's action selects, through a
  memoised per-action *group*, only the statements whose Action/NotAction can match; inside a
  group statements are kept apart by effect and indexed by resource: ``*`` resources, exact
  ARNs in a dict, wildcard ARNs bucketed by their literal prefix, and a short list of the rest
  (NotResource, policy variables). Matching a request touches only statements that can match.
* :func:`decide` combines the verdicts of every policy type in **one** decision table
  (:func:`_combine`), the IAM User Guide's "Policy evaluation logic" written once.

Fail closed (docs/semantics.md): a statement whose evaluation errors (a context value that is
not a number for ``NumericLessThan``...) never grants when it is an Allow and always applies
when it is a Deny; the error is reported in :attr:`Decision.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from drpolicy._wildcard import (
    ActionMatcher,
    ArnPattern,
    compile_action_pattern,
    compile_arn_pattern,
)
from drpolicy._wildcard import _compile_source as _compile_regex
from drpolicy.arn import parse_arn
from drpolicy.conditions import CompiledCondition, ConditionEvaluationError, compile_condition
from drpolicy.errors import InvalidArnError, RequestError
from drpolicy.model import (
    Decision,
    EvaluationIssue,
    Policy,
    PolicyType,
    Statement,
    StatementRef,
)
from drpolicy.parser import parse_policy
from drpolicy.principals import (
    GRANT_STRENGTH,
    MatchKind,
    Principal,
    match_principal,
    not_principal_excludes,
)

__all__ = [
    "CompiledPolicy",
    "PolicyIndex",
    "compile_policy",
    "decide",
    "normalise_context",
]

Context = Mapping[str, tuple[str, ...]]

# verdicts of PolicyIndex.decide
NONE: Final = 0
ALLOW: Final = 1
DENY: Final = 2

_GROUP_CACHE_LIMIT: Final = 8192


# --------------------------------------------------------------------------------------
# Compiled statements and policies
# --------------------------------------------------------------------------------------


class _Stmt:
    """A compiled statement. ``order`` sorts statements across the policies of an index."""

    __slots__ = (
        "actions",
        "conditions",
        "deny",
        "not_actions",
        "not_patterns",
        "not_principal",
        "order",
        "patterns",
        "principal",
        "ref",
        "statement",
    )

    def __init__(
        self,
        ref: StatementRef,
        statement: Statement,
        actions: ActionMatcher | None,
        not_actions: ActionMatcher | None,
        patterns: tuple[ArnPattern, ...] | None,
        not_patterns: tuple[ArnPattern, ...] | None,
        conditions: tuple[CompiledCondition, ...],
        order: int,
    ) -> None:
        self.ref = ref
        self.deny = statement.effect == "Deny"
        self.statement = statement
        self.actions = actions
        self.not_actions = not_actions
        self.patterns = patterns
        self.not_patterns = not_patterns
        self.principal = statement.principal
        self.not_principal = statement.not_principal
        self.conditions = conditions
        self.order = order

    def __repr__(self) -> str:
        return f"<statement {self.ref}>"

    def placed(self, order: int) -> _Stmt:
        """A copy of this statement at position ``order`` of an index. Compiled policies are
        shared (between indexes, and through the compile caches), so an index never writes
        into their statements."""
        copy = _Stmt.__new__(_Stmt)
        for name in _Stmt.__slots__:
            setattr(copy, name, getattr(self, name))
        copy.order = order
        return copy

    def action_applies(self, action_lower: str) -> bool:
        """Whether Action matches / NotAction does not match the lower-cased action.

        An empty ``NotAction`` list, like an empty ``Action`` list, matches nothing: an empty
        list never means "everything" (docs/semantics.md).
        """
        if self.actions is not None:
            return self.actions.matches(action_lower)
        assert self.not_actions is not None
        return bool(self.not_actions.patterns) and not self.not_actions.matches(action_lower)

    def resource_applies(self, resource: str, context: Context) -> bool:
        """Whether Resource matches / NotResource does not match ``resource``.

        A statement with neither (a trust policy) applies to every resource. An unresolved
        policy variable makes a Resource entry match nothing (IAM User Guide); inside
        NotResource it is an evaluation error (fail closed), whatever the other entries say,
        so the outcome never depends on the order of the entries. An empty NotResource list
        matches nothing.
        """
        if self.patterns is not None:
            for p in self.patterns:
                if p.match(resource, context):
                    return True
            return False
        if self.not_patterns is not None:
            if not self.not_patterns:
                return False
            excluded = False
            for p in self.not_patterns:
                hit = p.match(resource, context)
                if hit is None:
                    raise ConditionEvaluationError(
                        f"policy variable in NotResource `{p.source}` has no value"
                    )
                excluded = excluded or hit
            return not excluded
        return True

    def conditions_hold(self, context: Context) -> bool:
        """AND of the compiled conditions; raises :class:`ConditionEvaluationError` when any
        clause errors, even if another is false (an error anywhere in the statement makes it
        fail closed, independent of clause order)."""
        holds = True
        error: ConditionEvaluationError | None = None
        for clause in self.conditions:
            try:
                if not clause(context):
                    holds = False
            except ConditionEvaluationError as exc:
                error = error or exc
        if error is not None:
            raise error
        return holds


@attrs.frozen(slots=True, eq=False)
class CompiledPolicy:
    """A policy compiled for one policy type: matchers and conditions built once.

    Attributes:
        policy: the source policy.
        policy_type: the type it was compiled (and validated) as.
    """

    policy: Policy
    policy_type: PolicyType
    statements: tuple[_Stmt, ...] = attrs.field(repr=False)


def compile_policy(
    source: Any, policy_type: PolicyType = "identity", *, name: str | None = None
) -> CompiledPolicy:
    """Parse (if needed), validate for ``policy_type``, and compile a policy.

    Args:
        source: JSON text, bytes, a mapping, a :class:`Policy` or a :class:`CompiledPolicy`.
        policy_type: which kind of policy this is; enforces that type's structural rules.
        name: the name to give the policy in decisions.

    Raises:
        PolicyParseError: the policy is malformed or breaks the type's rules.
    """
    if isinstance(source, CompiledPolicy):
        if source.policy_type == policy_type and (name is None or name == source.policy.name):
            return source
        source = source.policy
    policy = parse_policy(source, name=name, policy_type=policy_type)
    variables = policy.version == "2012-10-17"
    stmts = tuple(
        _compile_statement(policy, policy_type, s, i, variables)
        for i, s in enumerate(policy.statements)
    )
    return CompiledPolicy(policy, policy_type, stmts)


def _compile_statement(
    policy: Policy, policy_type: PolicyType, s: Statement, order: int, variables: bool
) -> _Stmt:
    ref = StatementRef(policy.name, s.index, s.sid, policy_type)

    def actions(patterns: tuple[str, ...] | None) -> ActionMatcher | None:
        if patterns is None:
            return None
        return ActionMatcher.build(compile_action_pattern(p) for p in patterns)

    def arns(patterns: tuple[str, ...] | None) -> tuple[ArnPattern, ...] | None:
        if patterns is None:
            return None
        return tuple(
            compile_arn_pattern(p, fold_prefix=True, variables=variables) for p in patterns
        )

    conditions = tuple(
        compile_condition(c.operator, c.key, c.values, variables=variables) for c in s.conditions
    )
    return _Stmt(
        ref, s, actions(s.action), actions(s.not_action), arns(s.resource), arns(s.not_resource),
        conditions, order,
    )


# --------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------


class _ResourceIndex:
    """Statements of one effect for one action, indexed by resource pattern.

    * ``always``: statements with ``Resource: "*"``;
    * ``exact``: wildcard-free ARNs, in a dict;
    * ``buckets``: wildcard ARNs keyed by their literal prefix, grouped by prefix length
      (longest first); each entry holds one matcher per statement (its patterns with that
      prefix joined into one regex), or ``None`` when the prefix alone decides the match;
    * ``scan``: the rest (NotResource, trust statements without Resource, patterns with
      policy variables or too short a literal prefix to index).
    """

    __slots__ = ("always", "always_cond", "always_plain", "buckets", "empty", "exact", "scan")

    def __init__(self, stmts: Sequence[_Stmt]) -> None:
        always: list[_Stmt] = []
        exact: dict[str, dict[int, _Stmt]] = {}
        grouped: dict[tuple[int, str], dict[int, tuple[_Stmt, list[ArnPattern]]]] = {}
        scan: list[tuple[ArnPattern | None, _Stmt]] = []
        for s in stmts:
            if s.patterns is None:
                scan.append((None, s))  # NotResource, or no resource element (trust policies)
                continue
            if any(p.kind == "any" for p in s.patterns):
                always.append(s)
                continue
            for p in s.patterns:
                if p.kind == "exact":
                    exact.setdefault(p.literal, {})[s.order] = s
                elif p.kind != "template" and len(p.literal) > len("arn:"):
                    key = (len(p.literal), p.literal)
                    grouped.setdefault(key, {}).setdefault(s.order, (s, []))[1].append(p)
                else:
                    scan.append((p, s))
        buckets: dict[int, dict[str, tuple[tuple[Any, _Stmt], ...]]] = {}
        for (n, prefix), per_stmt in grouped.items():
            buckets.setdefault(n, {})[prefix] = tuple(
                (_joined_matcher(pats), stmt) for stmt, pats in per_stmt.values()
            )
        self.always = tuple(always)
        # any_applies tries unconditional statements first and conditional `*` ones last
        self.always_plain = tuple(s for s in always if not s.conditions)
        self.always_cond = tuple(s for s in always if s.conditions)
        self.exact = {k: tuple(v.values()) for k, v in exact.items()}
        self.buckets = tuple(sorted(buckets.items(), reverse=True))
        self.scan = tuple(scan)
        self.empty = not (always or exact or buckets or scan)

    def candidates(
        self, resource: str, context: Context, errors: list[EvaluationIssue] | None = None
    ) -> list[_Stmt]:
        """Statements whose Resource/NotResource admits ``resource`` (possibly repeated, in
        no particular order).

        A NotResource that cannot be decided (a policy variable without a value) fails
        closed: the statement is a candidate if it is a Deny and not if it is an Allow; the
        problem is appended to ``errors`` when given.
        """
        out = list(self.always)
        hit = self.exact.get(resource)
        if hit:
            out.extend(hit)
        for n, table in self.buckets:
            entries = table.get(resource[:n])
            if entries:
                for match, s in entries:
                    if match is None or match(resource) is not None:
                        out.append(s)
        for p, s in self.scan:
            if p is not None:
                if p.match(resource, context):
                    out.append(s)
                continue
            try:
                if s.resource_applies(resource, context):
                    out.append(s)
            except ConditionEvaluationError as exc:
                if errors is not None:
                    errors.append(EvaluationIssue(s.ref, str(exc)))
                if s.deny:
                    out.append(s)
        return out

    def any_applies(self, resource: str, context: Context) -> bool:
        """Whether some statement applies in full (resource and conditions), stopping at the
        first. Fails closed like :meth:`candidates`: erroring Denies apply, erroring Allows
        do not. Only for statements without Principal elements."""
        if self.always_plain:
            return True
        hit = self.exact.get(resource)
        if hit:
            for s in hit:
                if _holds(s, context):
                    return True
        for n, table in self.buckets:
            entries = table.get(resource[:n])
            if entries:
                for match, s in entries:
                    if (match is None or match(resource) is not None) and _holds(s, context):
                        return True
        for p, s in self.scan:
            if p is not None:
                if p.match(resource, context) and _holds(s, context):
                    return True
                continue
            try:
                applies = s.resource_applies(resource, context)
            except ConditionEvaluationError:
                if s.deny:
                    return True  # an erroring Deny applies, whatever its conditions say
                continue  # an erroring Allow never grants
            if applies and _holds(s, context):
                return True
        for s in self.always_cond:
            if _holds(s, context):
                return True
        return False


def _holds(s: _Stmt, context: Context) -> bool:
    """Whether ``s``'s conditions hold; an erroring statement holds iff it is a Deny."""
    conditions = s.conditions
    if not conditions:
        return True
    if len(conditions) == 1:
        try:
            return conditions[0](context)
        except ConditionEvaluationError:
            return s.deny
    try:
        return s.conditions_hold(context)
    except ConditionEvaluationError:
        return s.deny


def _joined_matcher(patterns: Sequence[ArnPattern]) -> Any:
    """One matcher for a statement's patterns that share a literal prefix: ``None`` when the
    prefix decides (a ``prefix``-kind pattern is among them), else one regex's fullmatch."""
    if any(p.kind == "prefix" for p in patterns):
        return None
    sources = [p.regex_source for p in patterns if p.regex_source is not None]
    if len(sources) == 1:
        return _compile_regex(sources[0]).fullmatch
    return _compile_regex("|".join(f"(?:{src})" for src in sources)).fullmatch


class _Group:
    """The statements of an index that can match one action."""

    __slots__ = ("allow", "deny", "has_principal")

    def __init__(self, stmts: Sequence[_Stmt]) -> None:
        self.deny = _ResourceIndex([s for s in stmts if s.deny])
        self.allow = _ResourceIndex([s for s in stmts if not s.deny])
        self.has_principal = any(
            s.principal is not None or s.not_principal is not None for s in stmts
        )


class PolicyIndex:
    """All statements of a set of compiled policies of one type, indexed for fast matching.

    Build it once; ask it many times. The per-action groups are built lazily and memoised
    (bounded), so the first request for an action pays for selecting its statements.
    """

    __slots__ = (
        "_by_service", "_exact", "_groups", "_not_action", "_wild", "policies", "policy_type",
        "statements",
    )

    def __init__(self, policies: Iterable[CompiledPolicy], policy_type: PolicyType) -> None:
        self.policies = tuple(policies)
        self.policy_type = policy_type
        # INVARIANT: `order` is unique within this index (dedupe and sort rely on it); the
        # index owns these copies, so sharing a CompiledPolicy between indexes is safe.
        self.statements: tuple[_Stmt, ...] = tuple(
            s.placed(i)
            for i, s in enumerate(s for compiled in self.policies for s in compiled.statements)
        )
        exact: dict[str, list[_Stmt]] = {}
        by_service: dict[str, list[tuple[Any, _Stmt]]] = {}
        wild: list[tuple[Any, _Stmt]] = []
        not_action: list[_Stmt] = []
        for s in self.statements:
            if s.actions is None:
                not_action.append(s)
                continue
            for p in s.actions.patterns:
                if p.regex_source is None:
                    exact.setdefault(p.lowered, []).append(s)
                elif "*" in p.service or "?" in p.service:
                    wild.append((p, s))
                else:
                    by_service.setdefault(p.service, []).append((p, s))
        self._exact = exact
        self._by_service = by_service
        self._wild = wild
        self._not_action = not_action
        self._groups: dict[str, _Group] = {}

    def group(self, action: str) -> _Group:
        """The statements that can match ``action`` (memoised)."""
        group = self._groups.get(action)
        if group is None:
            group = self._build_group(action)
        return group

    def _build_group(self, action: str) -> _Group:
        low = check_action(action)  # raises RequestError for anything but service:Name
        found: dict[int, _Stmt] = {}
        for s in self._exact.get(low, ()):
            found[s.order] = s
        service = low.split(":", 1)[0]
        for p, s in self._by_service.get(service, ()):
            if s.order not in found and p.matches(low):
                found[s.order] = s
        for p, s in self._wild:
            if s.order not in found and p.matches(low):
                found[s.order] = s
        for s in self._not_action:
            if s.action_applies(low):
                found[s.order] = s
        group = _Group([found[k] for k in sorted(found)])
        if len(self._groups) >= _GROUP_CACHE_LIMIT:
            self._groups.clear()
        self._groups[action] = group
        return group

    def decide(self, action: str, resource: str, context: Context) -> int:
        """Fast path for policies without principals: ``DENY``, ``ALLOW`` or ``NONE``.

        Stops at the first applicable Deny, then at the first applicable Allow.
        """
        try:
            group = self._groups.get(action) or self._build_group(action)
        except TypeError:  # an unhashable "action": let check_action say what is wrong
            group = self._build_group(action)
        deny = group.deny
        if not deny.empty and deny.any_applies(resource, context):
            return DENY
        allow = group.allow
        if not allow.empty and allow.any_applies(resource, context):
            return ALLOW
        return NONE

    def scan(
        self,
        action: str,
        resource: str,
        context: Context,
        principal: Principal | None = None,
        *,
        has_boundary: bool = False,
    ) -> _Scan:
        """Every statement that applies, with how Principal matched and what failed."""
        try:
            group = self._groups.get(action) or self._build_group(action)
        except TypeError:  # an unhashable "action": let check_action say what is wrong
            group = self._build_group(action)
        result = _Scan()
        for index, is_deny in ((group.deny, True), (group.allow, False)):
            if index.empty:
                continue
            seen: set[int] = set()
            failed_before = len(result.errors)
            candidates = index.candidates(resource, context, result.errors)
            # statements whose NotResource could not be decided: the statement errors as a
            # whole (fail closed) whatever its principal and conditions say
            erroring = {e.statement for e in result.errors[failed_before:]}
            for s in sorted(candidates, key=_order):
                if s.order in seen:
                    continue
                seen.add(s.order)
                if s.ref in erroring:
                    result.considered.append(s)
                    if is_deny:
                        result.denies.append(s)
                    continue
                kind: MatchKind | None = None
                if principal is not None and (s.principal is not None or s.not_principal is not None):
                    kind = _principal_applies(s, principal, has_boundary)
                    if kind is None:
                        continue
                result.considered.append(s)
                try:
                    holds = s.conditions_hold(context)
                except ConditionEvaluationError as exc:
                    result.errors.append(EvaluationIssue(s.ref, str(exc)))
                    holds = is_deny  # fail closed
                if holds:
                    if is_deny:
                        result.denies.append(s)
                    else:
                        result.allows.append((s, kind))
        return result


def _order(s: _Stmt) -> int:
    return s.order


def _principal_applies(s: _Stmt, principal: Principal, has_boundary: bool) -> MatchKind | None:
    if s.principal is not None:
        return match_principal(s.principal, principal)
    assert s.not_principal is not None
    if s.deny and has_boundary and principal.is_iam:
        # "The NotPrincipal element with a Deny effect will always deny any IAM principal
        # that has a permissions boundary policy attached" (Permissions boundaries page).
        return "wildcard"
    return None if not_principal_excludes(s.not_principal, principal) else "wildcard"


@attrs.define(slots=True)
class _Scan:
    denies: list[_Stmt] = attrs.Factory(list)
    allows: list[tuple[_Stmt, MatchKind | None]] = attrs.Factory(list)
    errors: list[EvaluationIssue] = attrs.Factory(list)
    considered: list[_Stmt] = attrs.Factory(list)


# --------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------

_checked_resources: set[str] = set()


def check_action(action: object) -> str:
    """Validate a request action; return it lower-cased.

    Raises:
        RequestError: not a string of the form ``service:action`` (no wildcards).
    """
    if not isinstance(action, str):
        raise RequestError(f"an action must be a string, not {type(action).__name__}")
    low = action.lower()
    service, sep, name = low.partition(":")
    if not sep or not service or not name or ":" in name:
        raise RequestError(f"invalid action `{action}`: expected `service:ActionName`")
    if "*" in low or "?" in low:
        raise RequestError(f"invalid action `{action}`: a request names one action, without wildcards")
    return low


def check_resource(resource: object) -> str:
    """Validate a request resource: an ARN as AWS writes it, or ``*`` for actions that do not
    support resource-level permissions.

    Raises:
        InvalidArnError: not an ARN (see :func:`drpolicy.arn.parse_arn`).
    """
    if not isinstance(resource, str):
        raise InvalidArnError(resource, f"expected a string, got {type(resource).__name__}")
    if resource in _checked_resources:
        return resource
    if resource != "*":
        parse_arn(resource)
    if len(_checked_resources) > 65536:
        _checked_resources.clear()
    _checked_resources.add(resource)
    return resource


def normalise_context(context: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Lower-case the keys and turn every value into a tuple of strings.

    A value is a string, or a list/tuple of strings (a multi-valued key); booleans and integers
    are accepted as their JSON text (``True`` -> ``"true"``). An empty list is a key with no
    values, which conditions treat like a missing key.

    Raises:
        RequestError: a key that is not a string, or a value of another type.
    """
    if not context:
        return {}
    if type(context) is not dict and not isinstance(context, Mapping):
        raise RequestError(f"a context must be a mapping, not {type(context).__name__}")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in context.items():
        if type(key) is not str or not key:
            raise RequestError(f"context keys must be non-empty strings, not `{key!r}`")
        low = key.lower()
        if low in out:
            raise RequestError(f"context key `{key}` is given twice (keys are case-insensitive)")
        if type(value) is str:
            out[low] = (value,)
        elif isinstance(value, (list, tuple)):
            out[low] = tuple(_context_scalar(key, v) for v in value)
        else:
            out[low] = (_context_scalar(key, value),)
    return out


def _context_scalar(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise RequestError(
        f"context value for `{key}` must be a string or a list of strings, not {type(value).__name__}"
    )


# --------------------------------------------------------------------------------------
# The decision table
# --------------------------------------------------------------------------------------

_DENY_ORDER: Final[tuple[PolicyType, ...]] = (
    "scp", "rcp", "resource", "trust", "identity", "permission_boundary", "session",
)


@attrs.frozen(slots=True)
class PolicySets:
    """Everything that takes part in one authorization, compiled and indexed.

    Attributes:
        identity: the caller's identity policies (user, groups, role).
        resource: the resource's own policy (bucket policy, role trust policy, key policy).
        resource_type: ``"trust"`` for a role's trust policy, else ``"resource"``.
        boundary: the caller's permissions boundary.
        session: the session policy.
        scps: SCP levels, root first.
        rcps: RCP levels, root first.
    """

    identity: PolicyIndex | None = None
    resource: PolicyIndex | None = None
    resource_type: PolicyType = "resource"
    boundary: PolicyIndex | None = None
    session: PolicyIndex | None = None
    scps: tuple[PolicyIndex, ...] = ()
    rcps: tuple[PolicyIndex, ...] = ()


def decide(
    sets: PolicySets,
    principal: Principal,
    action: str,
    resource: str,
    context: Context,
    *,
    resource_account: str | None,
) -> Decision:
    """Authorize one request: scan every policy set, then apply :func:`_combine`."""
    iam = principal.is_iam
    has_boundary = sets.boundary is not None
    scans: dict[PolicyType, list[_Scan]] = {}

    def run(index: PolicyIndex | None, kind: PolicyType, use_principal: bool) -> _Scan | None:
        if index is None:
            return None
        scan = index.scan(
            action, resource, context, principal if use_principal else None,
            has_boundary=has_boundary,
        )
        scans.setdefault(kind, []).append(scan)
        return scan

    # Identity-side policies apply only to IAM identities; SCPs likewise (not to service
    # principals or anonymous callers). Resource-side policies (resource, RCP) apply to all.
    identity = run(sets.identity, "identity", False) if iam else None
    boundary = run(sets.boundary, "permission_boundary", False) if iam else None
    session = run(sets.session, "session", False) if iam else None
    scp_levels = [run(level, "scp", False) for level in sets.scps] if iam else []
    for level in sets.rcps:
        run(level, "rcp", True)
    res = run(sets.resource, sets.resource_type, True)

    # With no resource policy given, the question is about the caller's side only.
    strict = res is not None and (sets.resource_type == "trust" or _is_key_policy(resource))
    same_account = (
        principal.account is None
        or resource_account is None
        or resource_account == principal.account
    )
    verdict = _Verdicts(
        iam=iam,
        root=principal.kind == "root",
        root_assumes_role=principal.kind == "root"
        and action.lower().startswith("sts:assumerole")
        and sets.resource_type == "trust",
        same_account=same_account,
        strict_resource=strict,
        has_resource_policy=res is not None,
        identity_allows=bool(identity and identity.allows),
        boundary_ok=boundary is None or bool(boundary.allows),
        # "If there is no session policy ... if the principal is a role session, the request is
        # Allowed. Otherwise, the request is implicitly denied" (PEL, session policies): a
        # federated user's session without a session policy has no permissions.
        session_ok=bool(session.allows) if session is not None
        else principal.kind != "federated-user",
        scps_ok=all(level is not None and level.allows for level in scp_levels),
        resource_grant=_best_grant(res),
    )
    errors = tuple(e for kind in scans for s in scans[kind] for e in s.errors)
    missing = _missing_keys(scans, context)

    denies = [(kind, s) for kind in _DENY_ORDER for sc in scans.get(kind, ()) for s in sc.denies]
    if denies:
        # Step 1 of every evaluation: an applicable explicit Deny anywhere is final.
        return Decision(
            "ExplicitlyDenied", tuple(s.ref for _, s in denies), denies[0][0], missing, errors
        )
    outcome, decided_by, via = _combine(verdict)
    if sets.resource_type == "trust" and decided_by == "resource":
        decided_by = "trust"
    if outcome == "Allowed":
        reasons: list[StatementRef] = []
        if "identity" in via and identity is not None:
            reasons.extend(s.ref for s, _ in identity.allows)
        if "resource" in via and res is not None:
            reasons.extend(s.ref for s, _ in res.allows)
        return Decision("Allowed", tuple(reasons), decided_by, missing, errors)
    return Decision("ImplicitlyDenied", (), decided_by, missing, errors)


def _is_key_policy(resource: str) -> bool:
    return resource.startswith("arn:") and resource.split(":", 5)[2:3] == ["kms"] and ":key/" in resource


def _best_grant(scan: _Scan | None) -> MatchKind | None:
    if scan is None or not scan.allows:
        return None
    kinds = [k for _, k in scan.allows if k is not None]
    if not kinds:
        return None
    return max(kinds, key=GRANT_STRENGTH.__getitem__)


@attrs.frozen(slots=True)
class _Verdicts:
    iam: bool
    root: bool
    root_assumes_role: bool
    same_account: bool
    strict_resource: bool
    has_resource_policy: bool
    identity_allows: bool
    boundary_ok: bool
    session_ok: bool
    scps_ok: bool
    resource_grant: MatchKind | None


def _combine(v: _Verdicts) -> tuple[str, PolicyType | None, tuple[str, ...]]:
    """AWS's decision table, after explicit denies have been ruled out.

    Returns ``(outcome, decided_by, via)`` where ``via`` names the grants that made an Allow.
    Each arm cites the IAM User Guide page it encodes ("Policy evaluation logic" = PEL,
    "Cross-account policy evaluation logic" = CAPEL, "Permissions boundaries" = PB).
    """
    grant = v.resource_grant
    # The identity side: identity Allow (root has it implicitly) within boundary and session.
    identity_side = (v.identity_allows or v.root) and v.boundary_ok and v.session_ok
    identity_blocker: PolicyType = (
        "identity" if not (v.identity_allows or v.root)
        else "permission_boundary" if not v.boundary_ok
        else "session"
    )
    match v:
        # Service principals, anonymous and federated web identities have no identity
        # policies: only a resource policy naming them can grant (PEL; S46).
        case _Verdicts(iam=False):
            if grant is not None:
                return "Allowed", "resource", ("resource",)
            return "ImplicitlyDenied", "resource" if v.has_resource_policy else None, ()
        # STS refuses root credentials: "Roles may not be assumed by root accounts" (the
        # AssumeRole API reference: use credentials of an IAM user or role).
        case _Verdicts(root_assumes_role=True):
            return "ImplicitlyDenied", "resource", ()
        # SCPs: every level from the root to the account must allow (PEL, "SCPs").
        case _Verdicts(scps_ok=False):
            return "ImplicitlyDenied", "scp", ()
        # Cross-account: the resource policy must name the caller or its account AND the
        # caller's own account must allow (CAPEL: "both evaluations return Allow").
        case _Verdicts(same_account=False):
            if grant is None:
                return "ImplicitlyDenied", "resource", ()
            if not identity_side:
                return "ImplicitlyDenied", identity_blocker, ()
            return "Allowed", "resource", ("identity", "resource")
        # Trust policies and KMS key policies must allow the principal (or its account)
        # explicitly; an identity Allow alone is not enough (PEL, "Resource-based policies").
        case _Verdicts(strict_resource=True) if grant is None:
            return "ImplicitlyDenied", "resource" if v.has_resource_policy else "identity", ()
        # Same account, resource policy names the account: it delegates to the account's
        # identity policies, which must allow (PEL; iam-simulate same-account corpus).
        case _Verdicts(resource_grant="account") | _Verdicts(resource_grant=None):
            if identity_side:
                return "Allowed", "identity", ("identity",)
            return "ImplicitlyDenied", identity_blocker, ()
        # Trust policy naming a user or role directly: sufficient without an identity policy,
        # but the caller's permissions boundary must still allow (Update a role trust policy).
        case _Verdicts(strict_resource=True):
            if v.boundary_ok and v.session_ok:
                return "Allowed", "resource", ("resource",)
            return "ImplicitlyDenied", "permission_boundary" if not v.boundary_ok else "session", ()
        # Same account, resource policy names the role (caller is its session): an implicit
        # deny in the identity policy is ignored; boundary and session policy still limit (PEL
        # table; PB).
        case _Verdicts(resource_grant="role"):
            if v.boundary_ok and v.session_ok:
                return "Allowed", "resource", ("resource",)
            return "ImplicitlyDenied", "permission_boundary" if not v.boundary_ok else "session", ()
        # Same account, "*": the boundary's implicit deny is ignored (iam-simulate 0.1.120);
        # we keep the session policy as a limit (fail closed; docs/evaluation.md).
        case _Verdicts(resource_grant="wildcard"):
            if v.session_ok:
                return "Allowed", "resource", ("resource",)
            return "ImplicitlyDenied", "session", ()
        # Same account, resource policy names the user, the session or the federated user
        # ARN directly: sufficient on its own (PEL table).
        case _:
            return "Allowed", "resource", ("resource",)


def _missing_keys(scans: Mapping[PolicyType, list[_Scan]], context: Context) -> tuple[str, ...]:
    missing: dict[str, str] = {}
    for kind_scans in scans.values():
        for scan in kind_scans:
            for s in scan.considered:
                for clause in s.conditions:
                    for key in clause.references:
                        if key not in context and key not in missing:
                            missing[key] = clause.key_written if key == clause.key else key
    return tuple(sorted(missing.values(), key=str.lower))
