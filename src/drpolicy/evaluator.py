"""Compile policies once, index them, and decide requests with AWS's evaluation logic.

Layers, fastest first:

* :func:`compile_policy` (:mod:`drpolicy._compiled`) compiles a policy once, into statements
  whose predicates (action, resource, conditions) every path shares, explanations included.
* :class:`PolicyIndex` (:mod:`drpolicy._index`) holds the compiled statements of one policy
  set (all identity policies of a role, one SCP level, a resource policy...). A request's
  action selects, through an index over the action patterns and a memoised per-action
  *group*, only the statements whose Action/NotAction can match; inside a group, one compiled
  matcher per effect and condition set decides the resource.
* :func:`decide` combines the verdicts of every policy type in **one** decision table
  (:func:`_combine`), the IAM User Guide's "Policy evaluation logic" written once.

Fail closed (docs/semantics.md): a statement whose evaluation errors (a context value that is
not a number for ``NumericLessThan``...) never grants when it is an Allow and always applies
when it is a Deny; the error is reported in :attr:`Decision.errors`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from drpolicy._compiled import CompiledPolicy, Context, _Stmt, compile_policy
from drpolicy._index import (
    ALLOW,
    DENY,
    FREE_ACTION,
    FREE_GROUP,
    NONE,
    PolicyIndex,
    _order,
    _Scan,
)
from drpolicy._requests import (
    LazyContext,
    check_action,
    check_context,
    check_resource,
    normalise_context,
)
from drpolicy.errors import RequestError
from drpolicy.model import Decision, DecisionValue, EvaluationIssue, PolicyType, StatementRef
from drpolicy.principals import GRANT_STRENGTH, MatchKind, Principal

__all__ = [
    "ALLOW",
    "DENY",
    "NONE",
    "CompiledPolicy",
    "LazyContext",
    "PolicyIndex",
    "caller_of",
    "check_action",
    "check_context",
    "check_resource",
    "compile_policy",
    "decide",
    "decide_identity",
    "normalise_context",
    "resource_policy_required",
]

# --------------------------------------------------------------------------------------
# The decision table
# --------------------------------------------------------------------------------------

_DENY_ORDER: Final[tuple[PolicyType, ...]] = (
    "scp", "rcp", "resource", "trust", "identity", "permission_boundary", "session",
)


class PolicySets(NamedTuple):
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
    context: Context | LazyContext,
    *,
    resource_account: str | None,
) -> Decision:
    """Authorize one request: scan every policy set, then apply :func:`_combine`.

    ``context`` is the normalised request context, or a :class:`LazyContext` normalised only
    if a condition reads it.
    """
    if type(action) is str and action.lower() == FREE_ACTION:
        return _FREE_DECISION
    iam = principal.is_iam
    has_boundary = sets.boundary is not None
    scans: dict[PolicyType, list[_Scan]] = {}
    identity = boundary = session = None
    scp_levels: list[_Scan] = []
    # Identity-side policies apply only to IAM identities; SCPs likewise (not to service
    # principals or anonymous callers). Resource-side policies (resource, RCP) apply to all.
    if iam:
        if sets.identity is not None:
            identity = sets.identity.scan(action, resource, context, None, has_boundary=has_boundary)
            scans["identity"] = [identity]
        if sets.boundary is not None:
            boundary = sets.boundary.scan(action, resource, context, None, has_boundary=True)
            scans["permission_boundary"] = [boundary]
        if sets.session is not None:
            session = sets.session.scan(action, resource, context, None, has_boundary=has_boundary)
            scans["session"] = [session]
        if sets.scps:
            scp_levels = [
                level.scan(action, resource, context, None, has_boundary=has_boundary)
                for level in sets.scps
            ]
            scans["scp"] = scp_levels
    if sets.rcps:
        scans["rcp"] = [
            level.scan(action, resource, context, principal, has_boundary=has_boundary)
            for level in sets.rcps
        ]
    res = None
    if sets.resource is not None:
        res = sets.resource.scan(action, resource, context, principal, has_boundary=has_boundary)
        scans.setdefault(sets.resource_type, []).append(res)

    # With no resource policy given, the question is about the caller's side only.
    # Resources whose own policy must grant (a key policy, a role's trust policy): without
    # one that names the caller or its account, identity policies alone never suffice.
    strict = (res is not None and sets.resource_type == "trust") or resource_policy_required(
        action, resource
    )
    same_account = (
        principal.account is None
        or resource_account is None
        or resource_account == principal.account
    )
    errors: tuple[EvaluationIssue, ...] = ()
    any_deny = False
    for kind_scans in scans.values():
        for sc in kind_scans:
            if sc.errors:
                errors += tuple(sc.errors)
            if sc.denies:
                any_deny = True
    missing = _missing_keys(scans, context)

    if any_deny:
        denies = [
            (kind, s) for kind in _DENY_ORDER for sc in scans.get(kind, ()) for s in sc.denies
        ]
        # Step 1 of every evaluation: an applicable explicit Deny anywhere is final.
        return Decision(
            "ExplicitlyDenied", tuple(s.ref for _, s in denies), denies[0][0], missing, errors
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
        scps_ok=not scp_levels or all(level.allows for level in scp_levels),
        resource_grant=_best_grant(res),
    )
    outcome, decided_by, via = _combine(verdict)
    if sets.resource_type == "trust" and decided_by == "resource":
        decided_by = "trust"
    if outcome == "Allowed":
        reasons: list[StatementRef] = []
        if "identity" in via and identity is not None:
            reasons.extend([s.ref for s, _ in identity.allows])
        if "resource" in via and res is not None:
            reasons.extend([s.ref for s, _ in res.allows])
        return Decision("Allowed", tuple(reasons), decided_by, missing, errors)
    return Decision("ImplicitlyDenied", (), decided_by, missing, errors)


CtxArg = Context | LazyContext

# sts:GetCallerIdentity needs no permission and cannot be denied (FREE_ACTION)
_FREE_DECISION: Final = Decision("Allowed", (), None, (), ())
_IMPLICIT_DENY: Final = Decision("ImplicitlyDenied", (), "identity", (), ())

_callers: dict[str, tuple[Principal, dict[str, tuple[str, ...]]]] = {}
_CALLERS_LIMIT: Final = 4096


def caller_of(principal: object) -> tuple[Principal, dict[str, tuple[str, ...]]]:
    """The parsed principal and the context keys AWS derives from it (memoised by text,
    bounded). The context dict is shared: callers never modify it.

    Raises:
        RequestError: not a principal string or :class:`Principal`, or malformed.
    """
    if isinstance(principal, str):
        hit = _callers.get(principal)
        if hit is None:
            caller = Principal.parse(principal)
            if len(_callers) >= _CALLERS_LIMIT:
                _callers.clear()
            hit = _callers[principal] = (caller, caller.context())
        return hit
    if isinstance(principal, Principal):
        return principal, principal.context()
    raise RequestError(
        "`principal` must be an ARN, an account ID, a service principal or a Principal,"
        f" not {type(principal).__name__}"
    )


def decide_identity(
    identity: PolicyIndex,
    boundary: PolicyIndex | None,
    principal: Principal,
    action: str,
    resource: str,
    context: CtxArg,
    *,
    simple: bool = False,
) -> Decision:
    """:func:`decide` for an IAM user or role session with only identity policies and a
    permissions boundary (``Role.evaluate``), without building the general verdict table.

    The outcome is :func:`decide`'s for ``PolicySets(identity=identity, boundary=boundary)``:
    an applicable Deny in either set is final (identity first); otherwise the identity
    policies must allow, and then the boundary. ``simple=True`` promises that ``principal``
    is an IAM user or role session (not root, not a federated user).
    """
    if not simple and (not principal.is_iam or principal.kind in ("root", "federated-user")):
        return decide(
            PolicySets(identity=identity, boundary=boundary), principal, action, resource,
            context, resource_account=None,
        )
    try:
        group = identity._groups.get(action) or identity._build_group(action)
    except TypeError:  # an unhashable "action": let check_action say what is wrong
        group = identity._build_group(action)
    if group is FREE_GROUP:
        return _FREE_DECISION
    tests = group.tests
    if tests is not None and boundary is None:
        # no condition is read: the resource tests decide (Deny side first); a Deny that
        # applies takes the path below, which lists the denying statements
        deny_test, allow_test = tests
        if deny_test is None or not deny_test(resource):
            if allow_test is None or not allow_test(resource):
                return _IMPLICIT_DENY
            plain = group.allow.plain  # type: ignore[union-attr]
            assert plain is not None
            decision = plain.memo
            if decision is not None:  # the set's one statement decided
                return decision  # type: ignore[no-any-return]
            if plain.only is not None:
                decision = plain.memo = _memo_decision("Allowed", (plain.only,))
                return decision
            hits = plain.which(resource)
            if len(hits) > 1:
                hits = sorted({s.order: s for s in hits}.values(), key=_order)
            return _memo_decision("Allowed", hits)
    deny = group.deny
    allow = group.allow
    errors: list[tuple[int, EvaluationIssue]] = []
    missing: dict[str, str] = {}
    denies = () if deny is None else deny.collect(resource, context, errors, missing)
    allows = () if allow is None else allow.collect(resource, context, errors, missing)
    if boundary is None:
        if not errors:
            # the common case: the Decision is a function of the statements that decided and
            # the missing keys
            shown = tuple(sorted(missing.values(), key=str.lower)) if missing else ()
            if denies:
                return _memo_decision("ExplicitlyDenied", denies, missing=shown)
            return _memo_decision(
                "Allowed" if allows else "ImplicitlyDenied", allows, missing=shown
            )
        if len(errors) > 1:
            errors.sort(key=_first)
        issues = tuple([e for _, e in errors]) if errors else ()
        shown = tuple(sorted(missing.values(), key=str.lower)) if missing else ()
        if denies:
            return Decision(
                "ExplicitlyDenied", tuple([s.ref for s in denies]), "identity", shown, issues
            )
        if allows:
            return Decision("Allowed", tuple([s.ref for s in allows]), "identity", shown, issues)
        return Decision("ImplicitlyDenied", (), "identity", shown, issues)
    # the boundary's statements are numbered after the identity policies' in errors
    bound_errors: list[tuple[int, EvaluationIssue]] = []
    bgroup = boundary.group(action)
    bdenies = (
        () if bgroup.deny is None
        else bgroup.deny.collect(resource, context, bound_errors, missing)
    )
    boundary_allows = bgroup.allow is not None and bool(
        bgroup.allow.collect(resource, context, bound_errors, missing)
    )
    if not errors and not bound_errors and not missing:
        if denies or bdenies:
            return _memo_decision(
                "ExplicitlyDenied", [*denies, *bdenies],
                "identity" if denies else "permission_boundary",
            )
        if not allows:
            return _memo_decision("ImplicitlyDenied", ())
        if not boundary_allows:
            return _memo_decision("ImplicitlyDenied", (), "permission_boundary")
        return _memo_decision("Allowed", allows)
    errors.sort(key=_first)
    bound_errors.sort(key=_first)
    issues = tuple([e for _, e in errors + bound_errors])
    shown = tuple(sorted(missing.values(), key=str.lower)) if missing else ()
    refs = [s.ref for s in denies] + [s.ref for s in bdenies]
    if refs:
        first: PolicyType = "identity" if denies else "permission_boundary"
        return Decision("ExplicitlyDenied", tuple(refs), first, shown, issues)
    if not allows:
        return Decision("ImplicitlyDenied", (), "identity", shown, issues)
    if not boundary_allows:
        return Decision("ImplicitlyDenied", (), "permission_boundary", shown, issues)
    return Decision("Allowed", tuple([s.ref for s in allows]), "identity", shown, issues)


_decisions: dict[tuple[object, ...], Decision] = {}
_DECISIONS_LIMIT: Final = 4096


def _memo_decision(
    outcome: DecisionValue, stmts: Sequence[_Stmt], by: PolicyType = "identity",
    *, missing: tuple[str, ...] = (),
) -> Decision:
    """The :class:`Decision` decided by ``by`` with no errors whose reasons are ``stmts``
    (none for an implicit deny) and whose missing context keys are ``missing``, shared
    between requests (bounded memo keyed by the statement objects and the keys; a Decision
    is an immutable value)."""
    key = (outcome, by, missing, *stmts)
    hit = _decisions.get(key)
    if hit is None:
        if len(_decisions) >= _DECISIONS_LIMIT:
            _decisions.clear()
        hit = _decisions[key] = Decision(
            outcome, tuple([s.ref for s in stmts]), by, missing, ()
        )
    return hit


def _first(item: tuple[int, EvaluationIssue]) -> int:
    return item[0]


RESOURCE_POLICY_REQUIRED: Final[tuple[tuple[str, str, str], ...]] = (
    # (service of the resource ARN, resource-part prefix, lower-cased action prefix)
    # AWS KMS: "Unless the key policy explicitly allows it, you cannot use IAM policies to
    # allow access to a KMS key" (KMS developer guide, "Key policies").
    ("kms", "key/", ""),
    # AssumeRole*: the role's trust policy must name the caller or its account (IAM User
    # Guide, "Policy evaluation logic", role trust policies).
    ("iam", "role/", "sts:assumerole"),
)
"""Resource types whose resource-based policy must grant the request; identity policies
alone never suffice. With no resource policy given, such a request is implicitly denied."""


_REQUIRED_BY_SERVICE: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    service: tuple((p, a) for s, p, a in RESOURCE_POLICY_REQUIRED if s == service)
    for service in {s for s, _, _ in RESOURCE_POLICY_REQUIRED}
}


MUST_GRANT_SERVICES: Final = frozenset(_REQUIRED_BY_SERVICE)
"""The services of :data:`RESOURCE_POLICY_REQUIRED` (a cheap first test before
:func:`policy_must_grant`)."""


def resource_policy_required(action: str, resource: str) -> bool:
    """Whether ``resource`` is a resource whose own policy must grant ``action`` (see
    :data:`RESOURCE_POLICY_REQUIRED`)."""
    if ":kms:" not in resource and ":iam::" not in resource:
        return False  # the fast answer for every other service
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return False
    return policy_must_grant(parts[2], action, resource, len(resource) - len(parts[5]))


def policy_must_grant(service: str, action: str, resource: str, start: int) -> bool:
    """:func:`resource_policy_required` for an ARN already split: ``service`` is its service
    field and its resource part starts at ``start``."""
    rules = _REQUIRED_BY_SERVICE.get(service)
    if rules is None:
        return False
    for prefix, act in rules:
        if resource.startswith(prefix, start) and action.lower().startswith(act):
            return True
    return False


def _best_grant(scan: _Scan | None) -> MatchKind | None:
    if scan is None or not scan.allows:
        return None
    if len(scan.allows) == 1:
        return scan.allows[0][1]
    kinds = [k for _, k in scan.allows if k is not None]
    if not kinds:
        return None
    return max(kinds, key=GRANT_STRENGTH.__getitem__)


class _Verdicts(NamedTuple):
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


@functools.cache  # a pure function of a few booleans: a small, finite table
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
            return "ImplicitlyDenied", "resource", ()
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


def _missing_keys(
    scans: Mapping[PolicyType, list[_Scan]], context: Context | LazyContext
) -> tuple[str, ...]:
    missing: dict[str, str] = {}
    for kind_scans in scans.values():
        for scan in kind_scans:
            for s in scan.considered:
                if not s.conditions:
                    continue
                if isinstance(context, LazyContext):
                    context = context.get()
                for clause in s.conditions:
                    for key in clause.references:
                        if key not in context and key not in missing:
                            missing[key] = clause.key_written if key == clause.key else key
    return tuple(sorted(missing.values(), key=str.lower))
