"""The index of a policy set: for a request, only the statements that can apply, found fast.

Private module. :class:`PolicyIndex` holds the compiled statements of one policy set (all
identity policies of a role, one SCP level, a resource policy...).

* **Actions.** An index over the action patterns (exact names in a dict; per service, wildcard
  names by their literal prefix and by their literal suffix; the few patterns with a wildcard
  in the service or at both ends of the name in a list; NotAction statements in a list)
  selects the statements a new action can match at a cost proportional to those statements,
  not to the size of the policy set. The selection (a *group*) is memoised per action.
* **Resources.** Inside a group, statements are kept apart by effect and by condition set.
  The statements of one (effect, condition set) share one :class:`_Resources` matcher
  (:mod:`drpolicy._resources`): ``*``
  resources, exact ARNs in a set, and the wildcard patterns joined into one regex that cannot
  backtrack (or, past a few dozen patterns, indexed by a *token* of their literal text: an
  alphanumeric run every matching ARN must contain as a whole token). One matcher call decides
  whether any statement of the set matches; conditions shared by the set are evaluated once.
* **Requests.** No per-request parsing and no objects on the yes/no path: the request ARN is
  checked by one precompiled regex, the context is normalised only when a conditional
  statement is reached (:mod:`drpolicy._requests`).

Statements with NotResource, without a Resource element (trust policies) or with policy
variables in Resource are decided per statement, through the same predicates as everything
else (:mod:`drpolicy._compiled`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

from drpolicy._compiled import CompiledPolicy, Context, _Stmt, all_hold
from drpolicy._requests import CtxArg, _ctx, check_action
from drpolicy._resources import _GROUP_CACHE_LIMIT, _always, _Resources
from drpolicy._wildcard import ActionPattern
from drpolicy.conditions import AmbiguousConstruct, CompiledCondition, ConditionEvaluationError
from drpolicy.model import EvaluationIssue, PolicyType, StatementRef
from drpolicy.principals import MatchKind, Principal, match_principal, not_principal_excludes

__all__ = [
    "ALLOW",
    "DENY",
    "NONE",
    "PolicyIndex",
]

# verdicts of PolicyIndex.decide
NONE: Final = 0
ALLOW: Final = 1
DENY: Final = 2

_WILD: Final = re.compile(r"[*?]")


# --------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------


def _holds(conditions: tuple[CompiledCondition, ...], context: Context, deny: bool) -> bool:
    """Whether every condition holds; an erroring set holds iff it belongs to a Deny (fail
    closed). Every clause is evaluated, so an error is never hidden by a false clause."""
    if len(conditions) == 1:
        try:
            return conditions[0](context)
        except ConditionEvaluationError:
            return deny
    holds = True
    failed = False
    for clause in conditions:
        try:
            if not clause(context):
                holds = False
        except ConditionEvaluationError:
            failed = True
    return deny if failed else holds


class _Effect:
    """The statements of one effect that can match one action.

    ``plain``: unconditional statements with static Resource patterns, one matcher;
    ``conditional``: statements with static patterns sharing a condition set, one matcher and
    one evaluation of the conditions per set; ``slow``: the rest, decided per statement.
    """

    __slots__ = (
        "ambiguous", "conditional", "deny", "has_principal", "plain", "plain_only", "slow",
        "stmts",
    )

    def __init__(
        self, stmts: Sequence[_Stmt], deny: bool, cache: dict[Any, Any],
        ambiguous: frozenset[int] = frozenset(),
    ) -> None:
        self.stmts = tuple(stmts)
        self.deny = deny
        self.has_principal = any(
            s.principal is not None or s.not_principal is not None for s in stmts
        )
        # Statements whose action matches only through a wildcard in a service prefix:
        # ambiguous (docs/semantics.md). A Deny is evaluated as matching the action (and
        # reported); an Allow never grants (and is reported when its resource matches).
        self.ambiguous = frozenset(s.order for s in stmts if s.order in ambiguous)
        plain: list[_Stmt] = []
        by_conditions: dict[tuple[int, ...], list[_Stmt]] = {}
        slow: list[_Stmt] = []
        for s in stmts:
            if s.order in self.ambiguous or not s.static:
                slow.append(s)
            elif not s.conditions:
                plain.append(s)
            else:
                by_conditions.setdefault(tuple(map(id, s.conditions)), []).append(s)
        self.plain = _Resources(plain, cache) if plain else None
        self.conditional = tuple(
            (_Resources(group, cache), group[0].conditions, _references(group[0].conditions))
            for group in by_conditions.values()
        )
        self.slow = tuple(slow)
        # only unconditional statements with static patterns: no condition is read, nothing
        # can err, so deciding needs only the resource matcher
        self.plain_only = self.plain is not None and not self.conditional and not self.slow

    def applies(self, resource: str, context: CtxArg) -> bool:
        """Whether some statement applies in full (resource and conditions). Fails closed:
        erroring Denies apply, erroring Allows do not. Only for statements without
        Principal elements."""
        plain = self.plain
        if plain is not None and plain.test(resource):
            return True
        deny = self.deny
        for resources, conditions, _ in self.conditional:
            if resources.test(resource) and _holds(conditions, _ctx(context), deny):
                return True
        for s in self.slow:
            if not deny and self.ambiguous and s.order in self.ambiguous:
                continue  # an Allow never grants through an ambiguous construct
            ctx = _ctx(context)
            try:
                if not s.resource_applies(resource, ctx):
                    continue
            except ConditionEvaluationError:
                if deny:
                    return True  # an erroring Deny applies, whatever its conditions say
                continue  # an erroring Allow never grants
            if not s.conditions or _holds(s.conditions, ctx, deny):
                return True
        return False

    def candidates(
        self, resource: str, context: CtxArg, errors: list[tuple[int, EvaluationIssue]]
    ) -> list[_Stmt]:
        """Statements whose Resource/NotResource admits ``resource``, in policy order, each
        once. A NotResource that cannot be decided (a policy variable without a value) makes
        the statement erroring: it is reported in ``errors`` as ``(order, issue)`` and kept
        (a Deny applies) or dropped (an Allow never grants)."""
        out: list[_Stmt] = []
        if self.plain is not None:
            out.extend(self.plain.which(resource))
        for resources, _, _ in self.conditional:
            out.extend(resources.which(resource))
        for s in self.slow:
            try:
                applies = s.resource_applies(resource, _ctx(context))
            except ConditionEvaluationError as exc:
                errors.append((s.order, _issue(s.ref, exc)))
                if self.deny:
                    out.append(s)
                continue
            if applies:
                out.append(s)
        if len(out) > 1:
            out = sorted({s.order: s for s in out}.values(), key=_order)
        return out


    def collect(
        self,
        resource: str,
        context: CtxArg,
        errors: list[tuple[int, EvaluationIssue]],
        missing: dict[str, str],
    ) -> list[_Stmt]:
        """The statements that apply in full (resource and conditions), in policy order, for
        policy sets without Principal elements; fails closed like :meth:`applies`.

        Appends ``(order, issue)`` for every erroring statement to ``errors`` and the
        condition keys read but absent from the context to ``missing`` (lower-cased key ->
        key as written). A condition set shared by several statements is evaluated once.
        """
        out: list[_Stmt] = []
        sources = 0
        deny = self.deny
        plain = self.plain
        # a Deny rarely applies: one "does any?" call first spares listing none
        if plain is not None and (not deny or plain.test(resource)):
            out = plain.which(resource)
            sources = 1 if out else 0
        for resources, conditions, references in self.conditional:
            hit = resources.which(resource)
            if not hit:
                continue
            ctx = _ctx(context)
            for key, shown in references:
                if key not in ctx and key not in missing:
                    missing[key] = shown
            try:
                holds = all_hold(conditions, ctx)
            except ConditionEvaluationError as exc:
                errors.extend((s.order, _issue(s.ref, exc)) for s in hit)
                holds = deny  # fail closed
            if holds:
                out.extend(hit)
                sources += 1
        for s in self.slow:
            ctx = _ctx(context)
            try:
                if not s.resource_applies(resource, ctx):
                    continue
            except ConditionEvaluationError as exc:
                errors.append((s.order, _issue(s.ref, exc)))
                if deny:
                    out.append(s)
                    sources += 2
                continue
            if s.conditions:
                for key, shown in _references(s.conditions):
                    if key not in ctx and key not in missing:
                        missing[key] = shown
                try:
                    holds = s.conditions_hold(ctx)
                except ConditionEvaluationError as exc:
                    errors.append((s.order, _issue(s.ref, exc)))
                    holds = deny
                if not holds:
                    continue
            if self.ambiguous and s.order in self.ambiguous:
                errors.append((s.order, _service_wildcard_issue(s)))
                if not deny:
                    continue  # an Allow never grants through an ambiguous construct
            out.append(s)
            sources += 2
        if sources > 1 or len(out) > 1:
            out = sorted({s.order: s for s in out}.values(), key=_order)
        return out


def _references(conditions: tuple[CompiledCondition, ...]) -> tuple[tuple[str, str], ...]:
    """The context keys the conditions read, lower-cased, with the spelling to report."""
    out: dict[str, str] = {}
    for clause in conditions:
        for key in clause.references:
            out.setdefault(key, clause.key_written if key == clause.key else key)
    return tuple(out.items())


def _issue(ref: StatementRef, exc: ConditionEvaluationError) -> EvaluationIssue:
    """The issue to report for a statement whose evaluation raised ``exc``."""
    kind: Literal["error", "ambiguous"] = (
        "ambiguous" if isinstance(exc, AmbiguousConstruct) else "error"
    )
    return EvaluationIssue(ref, str(exc), kind)


def _service_wildcard_issue(s: _Stmt) -> EvaluationIssue:
    return EvaluationIssue(
        s.ref,
        "ambiguous: the action matches only through a wildcard in a service prefix"
        " (`s3*:...`, `*:...`); AWS's documentation does not say whether a service prefix"
        " may hold wildcards",
        "ambiguous",
    )


def service_wildcard_only(s: _Stmt, low: str) -> bool:
    """Whether ``s``'s Action matches, or its NotAction excludes, ``low`` only through
    patterns with a wildcard in their service prefix (an ambiguous construct; the index and
    ``explain`` both decide it here)."""
    matcher = s.actions if s.actions is not None else s.not_actions
    assert matcher is not None
    hits = [p for p in matcher.patterns if p.matches(low)]
    return bool(hits) and all(p.lowered != "*" and _WILD.search(p.service) for p in hits)


def _order(s: _Stmt) -> int:
    return s.order


class _Group:
    """The statements of an index that can match one action, by effect (``None``: none)."""

    __slots__ = ("allow", "deny", "tests")

    def __init__(
        self, stmts: Sequence[_Stmt], cache: dict[Any, Any], ambiguous: frozenset[int] = frozenset()
    ) -> None:
        denies = [s for s in stmts if s.deny]
        allows = [s for s in stmts if not s.deny]
        self.deny: _Effect | None = _Effect(denies, True, cache, ambiguous) if denies else None
        self.allow: _Effect | None = (
            _Effect(allows, False, cache, ambiguous) if allows else None
        )
        # when neither side reads a condition: the two resource tests that decide the group
        # (Deny side first), for the yes/no fast path of Role.is_allowed
        self.tests: tuple[Any, Any] | None = None
        if (self.deny is None or self.deny.plain_only) and (
            self.allow is None or self.allow.plain_only
        ):
            self.tests = (
                None if self.deny is None else self.deny.plain.test,  # type: ignore[union-attr]
                None if self.allow is None else self.allow.plain.test,  # type: ignore[union-attr]
            )


FREE_ACTION: Final = "sts:getcalleridentity"
"""The one action that needs no permission: "No permissions are required to perform this
operation. If an administrator attaches a policy to your identity that explicitly denies
access to the sts:GetCallerIdentity action, you can still perform this operation" (STS API
reference, GetCallerIdentity)."""


class _AlwaysAllowed(_Effect):
    """The allow side of :data:`FREE_ACTION`'s group: applies to every request, with no
    statement behind it; the group has no deny side (a Deny cannot stop it)."""

    def __init__(self) -> None:
        super().__init__((), False, {})

    def applies(self, resource: str, context: CtxArg) -> bool:
        return True


FREE_GROUP: Final = _Group((), {})
FREE_GROUP.allow = _AlwaysAllowed()
FREE_GROUP.tests = (None, _always)  # allowed whatever the resource; nothing can deny it


class _ActionIndex:
    """Action patterns of one service indexed by their literal prefix and literal suffix.

    Entries are ``(pattern, statement, sure)``: ``sure`` when the key alone proves the match
    (``head*`` found by its prefix, ``*tail`` by its suffix), so the pattern is not read.
    """

    __slots__ = ("prefix", "prefix_lengths", "suffix", "suffix_lengths")

    def __init__(self) -> None:
        self.prefix: dict[str, list[tuple[ActionPattern, _Stmt, bool]]] = {}
        self.suffix: dict[str, list[tuple[ActionPattern, _Stmt, bool]]] = {}
        self.prefix_lengths: tuple[int, ...] = ()
        self.suffix_lengths: tuple[int, ...] = ()

    def add(self, p: ActionPattern, s: _Stmt) -> None:
        name = p.name
        cut = _WILD.search(name)
        assert cut is not None
        head = name[: cut.start()]
        last = _last_wildcard(name)
        tail = name[last + 1:]
        if head or not tail:
            sure = last == len(name) - 1 and cut.start() == last and name[last] == "*"
            self.prefix.setdefault(head, []).append((p, s, sure))
        else:
            sure = cut.start() == 0 == last and name[0] == "*"
            self.suffix.setdefault(tail, []).append((p, s, sure))

    def freeze(self) -> None:
        self.prefix_lengths = tuple(sorted({len(k) for k in self.prefix}))
        self.suffix_lengths = tuple(sorted({len(k) for k in self.suffix}))

    def select(self, name: str, low: str, found: dict[int, _Stmt]) -> None:
        """Add to ``found`` the statements whose pattern matches ``low`` (``service:name``)."""
        n = len(name)
        table = self.prefix
        for length in self.prefix_lengths:
            if length > n:
                break
            hit = table.get(name[:length])
            if hit:
                for p, s, sure in hit:
                    if sure or p.matches(low):
                        found[s.order] = s
        table = self.suffix
        for length in self.suffix_lengths:
            if length > n:
                break
            hit = table.get(name[n - length:])
            if hit:
                for p, s, sure in hit:
                    if sure or p.matches(low):
                        found[s.order] = s


_NONE_AMBIGUOUS: Final = frozenset[int]()


def _last_wildcard(text: str) -> int:
    return max(text.rfind("*"), text.rfind("?"))


class PolicyIndex:
    """All statements of a set of compiled policies of one type, indexed for fast matching.

    Build it once; ask it many times. The per-action groups are built lazily and memoised
    (bounded), so the first request for an action pays for selecting its statements, in time
    proportional to the statements that can match it.
    """

    __slots__ = (
        "_all_actions", "_by_service", "_cache", "_exact", "_groups", "_not_action",
        "_principal_kinds", "_wild", "policies", "policy_type", "statements",
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
        by_service: dict[str, _ActionIndex] = {}
        all_actions: list[_Stmt] = []
        wild: list[tuple[ActionPattern, _Stmt]] = []
        not_action: list[_Stmt] = []
        for s in self.statements:
            if s.actions is None:
                not_action.append(s)
                continue
            for p in s.actions.patterns:
                if p.lowered == "*":
                    all_actions.append(s)
                elif p.regex_source is None:
                    exact.setdefault(p.lowered, []).append(s)
                elif "*" in p.service or "?" in p.service:
                    wild.append((p, s))
                else:
                    by_service.setdefault(p.service, _ActionIndex()).add(p, s)
        for table in by_service.values():
            table.freeze()
        self._exact = exact
        self._by_service = by_service
        self._all_actions = {s.order: s for s in all_actions}
        self._wild = wild
        self._not_action = not_action
        self._groups: dict[str, _Group] = {}
        self._cache: dict[Any, Any] = {}
        self._principal_kinds: dict[
            tuple[int, int, bool],
            tuple[Principal, MatchKind | None, AmbiguousConstruct | None],
        ] = {}

    def group(self, action: str) -> _Group:
        """The statements that can match ``action`` (memoised)."""
        try:
            group = self._groups.get(action)
        except TypeError:  # an unhashable "action": let check_action say what is wrong
            group = None
        return group if group is not None else self._build_group(action)

    def _build_group(self, action: object) -> _Group:
        low = check_action(action)  # raises RequestError for anything but service:Name
        groups = self._groups
        group = groups.get(low)
        if group is None and low == FREE_ACTION:
            group = FREE_GROUP
        if group is None:
            # many actions select the same statements (wildcard patterns): build each
            # selection's matchers once
            found, ambiguous = self._select(low)
            key = (tuple(sorted(found)), ambiguous)
            cache = self._cache
            group = cache.get(key)
            if group is None:
                if len(cache) >= _GROUP_CACHE_LIMIT:
                    cache.clear()
                stmts = [found[k] for k in key[0]]
                group = cache[key] = _Group(stmts, cache, ambiguous)
            if len(groups) >= _GROUP_CACHE_LIMIT:
                groups.clear()
            groups[low] = group
        assert isinstance(action, str)
        groups[action] = group
        return group

    def _select(self, low: str) -> tuple[dict[int, _Stmt], frozenset[int]]:
        """The statements whose Action/NotAction can match ``low``, by order, and the orders of
        those for which the answer rests on a wildcard in a service prefix (ambiguous)."""
        found = self._all_actions.copy()
        hit = self._exact.get(low)
        if hit:
            for s in hit:
                found[s.order] = s
        service, _, name = low.partition(":")
        table = self._by_service.get(service)
        if table is not None:
            table.select(name, low, found)
        if not self._wild and not self._not_action:
            return found, _NONE_AMBIGUOUS
        ambiguous: set[int] = set()
        for p, s in self._wild:
            if s.order not in found and p.matches(low):
                found[s.order] = s
                ambiguous.add(s.order)
        for s in self._not_action:
            if s.action_applies(low):
                found[s.order] = s
            elif service_wildcard_only(s, low):
                # under the reading where `s3*` names no service, NotAction would not
                # match and the statement would apply
                found[s.order] = s
                ambiguous.add(s.order)
        return found, frozenset(ambiguous) if ambiguous else _NONE_AMBIGUOUS

    def decide(self, action: str, resource: str, context: CtxArg) -> int:
        """Fast path for policies without principals: ``DENY``, ``ALLOW`` or ``NONE``.

        Stops at the first applicable Deny, then at the first applicable Allow.
        """
        try:
            group = self._groups.get(action) or self._build_group(action)
        except TypeError:  # an unhashable "action": let check_action say what is wrong
            group = self._build_group(action)
        tests = group.tests
        if tests is not None:  # no condition read: the resource tests decide
            deny_test, allow_test = tests
            if deny_test is not None and deny_test(resource):
                return DENY
            return ALLOW if allow_test is not None and allow_test(resource) else NONE
        deny = group.deny
        if deny is not None:
            if deny.plain_only:
                if deny.plain.test(resource):  # type: ignore[union-attr]
                    return DENY
            elif deny.applies(resource, context):
                return DENY
        allow = group.allow
        if allow is not None:
            if allow.plain_only:
                return ALLOW if allow.plain.test(resource) else NONE  # type: ignore[union-attr]
            if allow.applies(resource, context):
                return ALLOW
        return NONE

    def scan(
        self,
        action: str,
        resource: str,
        context: CtxArg,
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
        for effect in (group.deny, group.allow):
            if effect is None:
                continue
            is_deny = effect.deny
            if effect.plain_only and (principal is None or not effect.has_principal):
                # unconditional statements with static patterns and no Principal element:
                # nothing to check past the resource, nothing can err or read the context
                hits = effect.plain.which(resource)  # type: ignore[union-attr]
                if len(hits) > 1:
                    hits = sorted({s.order: s for s in hits}.values(), key=_order)
                result.considered.extend(hits)
                if is_deny:
                    result.denies.extend(hits)
                else:
                    result.allows.extend([(s, None) for s in hits])
                continue
            failed_before = len(result.errors)
            candidates = effect.candidates(resource, context, result.errors)
            if not candidates:
                continue
            # statements whose NotResource could not be decided: the statement errors as a
            # whole (fail closed) whatever its principal and conditions say
            erroring = (
                {order for order, _ in result.errors[failed_before:]}
                if len(result.errors) > failed_before else None
            )
            use_principal = principal is not None and effect.has_principal
            for s in candidates:
                if erroring and s.order in erroring:
                    result.considered.append(s)
                    if is_deny:
                        result.denies.append(s)
                    continue
                kind: MatchKind | None = None
                unsure: AmbiguousConstruct | None = None
                if use_principal and (s.principal is not None or s.not_principal is not None):
                    assert principal is not None
                    kind, unsure = self._principal_applies(s, principal, has_boundary)
                    if kind is None:
                        continue
                result.considered.append(s)
                if s.conditions:
                    try:
                        holds = s.conditions_hold(_ctx(context))
                    except ConditionEvaluationError as exc:
                        result.errors.append((s.order, _issue(s.ref, exc)))
                        holds = is_deny  # fail closed
                    if not holds:
                        continue
                if unsure is not None:
                    result.errors.append((s.order, _issue(s.ref, unsure)))
                    if not is_deny:
                        continue  # an Allow never grants through an ambiguous construct
                if effect.ambiguous and s.order in effect.ambiguous:
                    result.errors.append((s.order, _service_wildcard_issue(s)))
                    if not is_deny:
                        continue  # an Allow never grants through an ambiguous construct
                if is_deny:
                    result.denies.append(s)
                else:
                    result.allows.append((s, kind))
        return result


    def _principal_applies(
        self, s: _Stmt, principal: Principal, has_boundary: bool
    ) -> tuple[MatchKind | None, AmbiguousConstruct | None]:
        """:func:`principal_applies` as ``(kind, ambiguity)``, remembered per statement and
        caller (bounded; the entry keeps the caller alive, so its id cannot be reused)."""
        key = (s.order, id(principal), has_boundary)
        memo = self._principal_kinds
        hit = memo.get(key)
        if hit is not None and hit[0] is principal:
            return hit[1], hit[2]
        unsure: AmbiguousConstruct | None = None
        try:
            kind = principal_applies(s, principal, has_boundary)
        except AmbiguousConstruct as exc:
            kind, unsure = "wildcard", exc
        if len(memo) >= _PRINCIPAL_MEMO_LIMIT:
            memo.clear()
        memo[key] = (principal, kind, unsure)
        return kind, unsure


_PRINCIPAL_MEMO_LIMIT: Final = 4096


def principal_applies(s: _Stmt, principal: Principal, has_boundary: bool) -> MatchKind | None:
    """How ``s``'s Principal/NotPrincipal admits ``principal`` (``None``: it does not).

    Raises:
        AmbiguousConstruct: an empty NotPrincipal, or an Allow whose NotPrincipal names part
            of the caller's identity chain but not all of it (docs/semantics.md).
    """
    if s.principal is not None:
        return match_principal(s.principal, principal)
    spec = s.not_principal
    assert spec is not None
    if s.deny and has_boundary and principal.is_iam:
        # "The NotPrincipal element with a Deny effect will always deny any IAM principal
        # that has a permissions boundary policy attached" (Permissions boundaries page).
        return "wildcard"
    if not (spec.wildcard or spec.aws or spec.service or spec.federated or spec.canonical_user):
        raise AmbiguousConstruct(
            "ambiguous: an empty NotPrincipal (AWS does not say whom it excludes)"
        )
    if not_principal_excludes(spec, principal):
        return None
    if not s.deny and _names_part_of(spec.aws, principal):
        raise AmbiguousConstruct(
            "ambiguous: NotPrincipal in an Allow names part of the caller's identity chain"
            " (its user, role or account) but not all of it; AWS advises against NotPrincipal"
            " with Allow and does not define this case"
        )
    return "wildcard"


def _names_part_of(entries: Sequence[str], caller: Principal) -> bool:
    chain = {caller.arn, caller.role_arn}
    if caller.account is not None:
        chain |= {caller.account, f"arn:{caller.partition}:iam::{caller.account}:root"}
    chain.discard(None)
    return any(e in chain for e in entries)


class _Scan:
    """What :meth:`PolicyIndex.scan` found: applying Denies, granting Allows (with how their
    Principal matched), evaluation errors, and every statement whose conditions were read."""

    __slots__ = ("allows", "considered", "denies", "errors")

    def __init__(self) -> None:
        self.denies: list[_Stmt] = []
        self.allows: list[tuple[_Stmt, MatchKind | None]] = []
        self.errors: list[tuple[int, EvaluationIssue]] = []  # (statement order, issue)
        self.considered: list[_Stmt] = []
