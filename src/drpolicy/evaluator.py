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

from collections.abc import Sequence
from typing import Final, NamedTuple

from drpolicy._compiled import CompiledPolicy, Context, _Stmt, compile_policy
from drpolicy._index import (
    ALLOW,
    DENY,
    FREE_ACTION,
    FREE_GROUP,
    NONE,
    PolicyIndex,
    _Group,
    _order,
    _references,
    _Scan,
)
from drpolicy._requests import (
    LazyContext,
    _ctx,
    check_action,
    check_context,
    check_resource,
    normalise_context,
)
from drpolicy.errors import RequestError
from drpolicy.model import Decision, DecisionValue, EvaluationIssue, PolicyType
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
    """Authorize one request: collect what applies in every policy set, then apply
    :func:`_combine`.

    ``context`` is the normalised request context, or a :class:`LazyContext` normalised only
    if a condition reads it. The sets without Principal elements (identity, boundary,
    session, SCP levels) are read with the same per-effect :meth:`_Effect.collect` as
    :func:`decide_identity`; the resource policy and the RCP levels, whose statements name
    principals, with :meth:`PolicyIndex.scan`.
    """
    if type(action) is str and action.lower() == FREE_ACTION:
        return _FREE_DECISION
    iam = principal.is_iam
    has_boundary = sets.boundary is not None
    missing: dict[str, str] = {}
    issues: list[EvaluationIssue] = []
    # what applies, per policy type (identity-side sets only for IAM callers: identity
    # policies, boundaries, session policies and SCPs do not apply to service principals or
    # anonymous callers; resource-side sets, resource policy and RCPs, apply to all)
    id_denies: Sequence[_Stmt] = ()
    id_allows: Sequence[_Stmt] = ()
    b_denies: Sequence[_Stmt] = ()
    s_denies: Sequence[_Stmt] = ()
    scp_denies: list[_Stmt] = []
    boundary_ok = session_ok = scps_ok = True
    if iam:
        if sets.identity is not None:
            id_denies, id_allows = _collect(sets.identity, action, resource, context, missing, issues)
        if sets.boundary is not None:
            b_denies, b_allows = _collect(sets.boundary, action, resource, context, missing, issues)
            boundary_ok = bool(b_allows)
        if sets.session is not None:
            s_denies, s_allows = _collect(sets.session, action, resource, context, missing, issues)
            session_ok = bool(s_allows)
        else:
            # "If there is no session policy ... if the principal is a role session, the
            # request is Allowed. Otherwise, the request is implicitly denied" (PEL, session
            # policies): a federated user's session without a session policy has none.
            session_ok = principal.kind != "federated-user"
        for level in sets.scps:
            denies, allows = _collect(level, action, resource, context, missing, issues)
            scp_denies.extend(denies)
            if not allows:
                scps_ok = False
    rcp_denies: list[_Stmt] = []
    for level in sets.rcps:
        scan = level.scan(action, resource, context, principal, has_boundary=has_boundary)
        _scanned(scan, context, missing, issues)
        rcp_denies.extend(scan.denies)
    res = None
    if sets.resource is not None:
        res = sets.resource.scan(action, resource, context, principal, has_boundary=has_boundary)
        _scanned(res, context, missing, issues)
    shown = _shown(missing) if missing else ()

    if id_denies or b_denies or s_denies or scp_denies or rcp_denies or (
        res is not None and res.denies
    ):
        # Step 1 of every evaluation: an applicable explicit Deny anywhere is final. The
        # reasons list every applying Deny, by policy type in this order; the first type
        # that denies is the one reported as deciding.
        by_type: tuple[tuple[PolicyType, Sequence[_Stmt]], ...] = (
            ("scp", scp_denies), ("rcp", rcp_denies),
            (sets.resource_type, res.denies if res is not None else ()),
            ("identity", id_denies), ("permission_boundary", b_denies),
            ("session", s_denies),
        )
        stmts = [s for _, denies in by_type for s in denies]
        first = next(kind for kind, denies in by_type if denies)
        return _decision("ExplicitlyDenied", stmts, first, shown, issues)
    root = principal.kind == "root"
    key = (
        iam,
        root,
        # STS refuses root credentials for AssumeRole*
        root and sets.resource_type == "trust" and action.lower().startswith("sts:assumerole"),
        # same account
        principal.account is None or resource_account is None
        or resource_account == principal.account,
        # the resource's own policy must grant (a role's trust policy, a KMS key policy)
        (res is not None and sets.resource_type == "trust")
        or resource_policy_required(action, resource),
        res is not None,
        bool(id_allows),
        boundary_ok,
        session_ok,
        scps_ok,
        _best_grant(res),
    )
    table = _TABLE.get(key)
    if table is None:
        table = _TABLE[key] = _combine(_Verdicts(*key))
    outcome, decided_by, via = table
    if decided_by == "resource" and sets.resource_type == "trust":
        decided_by = "trust"
    if outcome != "Allowed":
        return _decision(outcome, (), decided_by, shown, issues)
    stmts = list(id_allows) if "identity" in via else []
    if "resource" in via and res is not None:
        stmts.extend([s for s, _ in res.allows])
    return _decision("Allowed", stmts, decided_by, shown, issues)


# _combine's answers, remembered by the _Verdicts fields as a plain tuple (a pure function of
# a few booleans and a grant kind: a small, finite table)
_TABLE: dict[tuple[object, ...], tuple[DecisionValue, PolicyType | None, tuple[str, ...]]] = {}


def _collect(
    index: PolicyIndex,
    action: str,
    resource: str,
    context: CtxArg,
    missing: dict[str, str],
    issues: list[EvaluationIssue],
) -> tuple[Sequence[_Stmt], Sequence[_Stmt]]:
    """The Denies and the Allows of ``index`` (a set without Principal elements) that apply,
    in policy order; its evaluation issues (in statement order) appended to ``issues`` and
    the keys its applicable statements read but the request lacks added to ``missing``."""
    try:
        group = index._groups.get(action) or index._build_group(action)
    except TypeError:  # an unhashable "action": let check_action say what is wrong
        group = index._build_group(action)
    errors: list[tuple[int, EvaluationIssue]] = []
    deny, allow = group.deny, group.allow
    denies = () if deny is None else deny.collect(resource, context, errors, missing)
    allows = () if allow is None else allow.collect(resource, context, errors, missing)
    if errors:
        errors.sort(key=_first)
        issues.extend([e for _, e in errors])
    return denies, allows


def _scanned(
    scan: _Scan, context: CtxArg, missing: dict[str, str], issues: list[EvaluationIssue]
) -> None:
    """Add a :meth:`PolicyIndex.scan`'s issues to ``issues`` (in statement order, as
    :func:`_collect`) and the keys its statements read but the request lacks to
    ``missing``."""
    if scan.errors:
        issues.extend([issue for _, issue in sorted(scan.errors, key=_first)])
    for s in scan.considered:
        if s.conditions:
            ctx = _ctx(context)
            for key, shown in _references(s.conditions):
                if key not in ctx and key not in missing:
                    missing[key] = shown


def _decision(
    outcome: DecisionValue,
    stmts: Sequence[_Stmt],
    by: PolicyType | None,
    missing: tuple[str, ...],
    issues: list[EvaluationIssue],
) -> Decision:
    """The Decision, shared between requests when nothing erred (:func:`_memo_decision`)."""
    if not issues:
        return _memo_decision(outcome, stmts, by, missing=missing)
    return Decision(outcome, tuple([s.ref for s in stmts]), by, missing, tuple(issues))


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
    group: _Group | None = None,
) -> Decision:
    """:func:`decide` for an IAM user or role session with only identity policies and a
    permissions boundary (``Role.evaluate``), without building the general verdict table.

    The outcome is :func:`decide`'s for ``PolicySets(identity=identity, boundary=boundary)``:
    an applicable Deny in either set is final (identity first); otherwise the identity
    policies must allow, and then the boundary. ``simple=True`` promises that ``principal``
    is an IAM user or role session (not root, not a federated user); ``group``, when given,
    is ``identity``'s group for ``action`` (already looked up by the caller).
    """
    if not simple and (not principal.is_iam or principal.kind in ("root", "federated-user")):
        return decide(
            PolicySets(identity=identity, boundary=boundary), principal, action, resource,
            context, resource_account=None,
        )
    if group is None:
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
            shown = _shown(missing) if missing else ()
            if denies:
                return _memo_decision("ExplicitlyDenied", denies, missing=shown)
            return _memo_decision(
                "Allowed" if allows else "ImplicitlyDenied", allows, missing=shown
            )
        if len(errors) > 1:
            errors.sort(key=_first)
        issues = tuple([e for _, e in errors]) if errors else ()
        shown = _shown(missing) if missing else ()
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
    shown = _shown(missing) if missing else ()
    refs = [s.ref for s in denies] + [s.ref for s in bdenies]
    if refs:
        first: PolicyType = "identity" if denies else "permission_boundary"
        return Decision("ExplicitlyDenied", tuple(refs), first, shown, issues)
    if not allows:
        return Decision("ImplicitlyDenied", (), "identity", shown, issues)
    if not boundary_allows:
        return Decision("ImplicitlyDenied", (), "permission_boundary", shown, issues)
    return Decision("Allowed", tuple([s.ref for s in allows]), "identity", shown, issues)


def _shown(missing: dict[str, str]) -> tuple[str, ...]:
    """``Decision.missing_context`` from the keys found missing (lower-cased key -> key as
    written): as written, sorted case-insensitively (one key, the usual case, needs no sort)."""
    if len(missing) == 1:
        return tuple(missing.values())
    return tuple(sorted(missing.values(), key=str.lower))


_decisions: dict[tuple[object, ...], Decision] = {}
_DECISIONS_LIMIT: Final = 4096


def _memo_decision(
    outcome: DecisionValue, stmts: Sequence[_Stmt], by: PolicyType | None = "identity",
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


def _combine(v: _Verdicts) -> tuple[DecisionValue, PolicyType | None, tuple[str, ...]]:
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
