"""What can this role do, and who can do this: the engine's answers over AWS's catalog.

Both questions are answered by asking the engine (``Role.evaluate``, ``drpolicy.authorize``),
never by re-implementing the semantics: the catalog (:mod:`drpolicy._sar`) supplies the
questions worth asking, the engine answers each one.

* :func:`allowed_actions` (``Role.allowed_actions``): the candidate actions are the catalog
  actions an Allow statement names (wildcards expanded, ``NotAction`` complemented); each is
  decided on the given resource, or on sample resources built from the granting statement's
  ``Resource`` patterns (``*`` -> ``x``) and the action's ARN formats. An action the role is
  allowed without further context is listed unconditionally; one that is allowed only once
  the Allow statements' conditions are met (the engine decides the same request with those
  conditions removed) is listed with the conditions it still depends on; a conditional Deny
  that could still apply adds ``unless ...`` conditions.
* :func:`who_can` (``Account.who_can``): every role and user of a loaded account is asked the
  same way (with ``authorize`` when a resource policy is given); for ``sts:AssumeRole`` on the
  account's roles the role's trust policy is the resource policy, and ``*`` as the resource
  asks about every role of the account (also for ``iam:PassRole``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from drpolicy import _sar
from drpolicy._globs import _fits_format, _policy_arn
from drpolicy.errors import RequestError
from drpolicy.model import ConditionEntry, Decision, Policy, Statement, StatementRef

if TYPE_CHECKING:
    from drpolicy.loaders import Account, User
    from drpolicy.roles import Role

__all__ = ["AllowedAction", "PrincipalAccess", "allowed_actions", "who_can"]

_SYMBOLS: Final[Mapping[str, str]] = {
    "StringEquals": "=",
    "StringEqualsIgnoreCase": "= (any case)",
    "Bool": "=",
    "NumericEquals": "=",
    "ArnEquals": "=",
    "StringNotEquals": "!=",
    "StringLike": "like",
    "StringNotLike": "not like",
    "ArnLike": "like",
    "ArnNotLike": "not like",
    "NumericLessThan": "<",
    "NumericLessThanEquals": "<=",
    "NumericGreaterThan": ">",
    "NumericGreaterThanEquals": ">=",
    "DateLessThan": "before",
    "DateGreaterThan": "after",
}


@attrs.frozen(slots=True)
class AllowedAction:
    """One action a role may perform (see :meth:`drpolicy.Role.allowed_actions`).

    Attributes:
        action: ``service:Name`` as AWS spells it.
        resource: the resource the engine decided: the one asked about, or a sample built
            from the granting statement (``arn:aws:s3:::deepracer-x/x``).
        statements: the statements that grant it.
        conditions: what the grant still depends on, one line each
            (``if iam:PassedToService = sagemaker.amazonaws.com``; ``unless ...`` for a Deny
            that could still apply); empty when it is granted outright.
    """

    action: str
    resource: str
    statements: tuple[StatementRef, ...]
    conditions: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        """Whether the grant depends on conditions."""
        return bool(self.conditions)

    def __str__(self) -> str:
        where = f" on {self.resource}" if self.resource else ""
        tail = f" [{'; '.join(self.conditions)}]" if self.conditions else ""
        by = ", ".join(str(s) for s in self.statements)
        return f"{self.action}{where} by {by}{tail}"


@attrs.frozen(slots=True)
class PrincipalAccess:
    """One principal of an account that may perform a request (see
    :meth:`drpolicy.loaders.Account.who_can`).

    Attributes:
        principal: the role or user ARN.
        kind: ``"role"`` or ``"user"``.
        resource: the resource decided (the role ARN, for ``sts:AssumeRole``/``iam:PassRole``
            on ``*``).
        decision: the engine's decision (its ``reasons`` are the deciding statements).
        conditions: what the grant still depends on (as in :class:`AllowedAction`).
    """

    principal: str
    kind: str
    resource: str
    decision: Decision
    conditions: tuple[str, ...] = ()

    def __str__(self) -> str:
        by = ", ".join(str(s) for s in self.decision.reasons)
        tail = f" [{'; '.join(self.conditions)}]" if self.conditions else ""
        return f"{self.kind} {self.principal} on {self.resource} by {by}{tail}"


# --------------------------------------------------------------------------------------
# Deciding one request, and what it still depends on
# --------------------------------------------------------------------------------------


def _strip(policy: Policy, effects: frozenset[str]) -> Policy:
    statements = tuple(
        attrs.evolve(s, conditions=()) if s.effect in effects and s.conditions else s
        for s in policy.statements
    )
    return attrs.evolve(policy, statements=statements)


def _render(entry: ConditionEntry) -> str:
    op = entry.operator
    symbol = _SYMBOLS.get(op, op)
    values = entry.values[0] if len(entry.values) == 1 else "[" + ", ".join(entry.values) + "]"
    return f"{entry.key} {symbol} {values}"


class _Asker:
    """Decides requests for one identity (role or user), with and without the conditions of
    its statements."""

    def __init__(self, identity: Any) -> None:
        self.identity = identity
        self._variants: dict[frozenset[str], Any] = {}
        self.by_name: dict[tuple[str, str], Policy] = {
            (p.name, "identity"): p for p in identity.policies
        }
        if identity.permission_boundary is not None:
            boundary = identity.permission_boundary
            self.by_name[(boundary.name, "permission_boundary")] = boundary

    def variant(self, effects: frozenset[str]) -> Any:
        """The identity with the conditions of its ``effects`` statements removed."""
        found = self._variants.get(effects)
        if found is None:
            found = attrs.evolve(
                self.identity,
                policies=tuple(_strip(p, effects) for p in self.identity.policies),
                permission_boundary=None
                if self.identity.permission_boundary is None
                else _strip(self.identity.permission_boundary, effects),
            )
            self._variants[effects] = found
        return found

    def statement(self, ref: StatementRef) -> Statement | None:
        policy = self.by_name.get((ref.policy, ref.policy_type))
        if policy is None or ref.index >= len(policy.statements):
            return None
        return policy.statements[ref.index]

    def conditions(self, refs: Iterable[StatementRef], prefix: str) -> tuple[str, ...]:
        out: list[str] = []
        for ref in refs:
            stmt = self.statement(ref)
            if stmt is not None:
                out.extend(f"{prefix} {_render(e)}" for e in stmt.conditions)
        return tuple(dict.fromkeys(out))

    def decide(
        self,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None,
        evaluate: Any = None,
    ) -> tuple[Decision, tuple[str, ...]] | None:
        """The decision that grants the request, with what it still depends on; ``None``
        when no Allow can grant it (or a Deny always applies)."""
        ask = evaluate or (lambda who, a, r, c: who.evaluate(a, r, c))
        try:
            d: Decision = ask(self.identity, action, resource, context)
        except RequestError:  # not a request the engine accepts: nothing is granted
            return None
        if d.allowed:
            return d, ()
        if d.decision == "ExplicitlyDenied":
            return None
        loose: Decision = ask(self.variant(frozenset({"Allow"})), action, resource, context)
        if not loose.allowed:
            return None
        conditions = self.conditions(loose.reasons, "if")
        looser: Decision = ask(
            self.variant(frozenset({"Allow", "Deny"})), action, resource, context
        )
        if looser.decision == "ExplicitlyDenied":
            conditions += self.conditions(looser.reasons, "unless")
        return loose, conditions


# --------------------------------------------------------------------------------------
# What can this role do
# --------------------------------------------------------------------------------------

_FORMAT_FIELD: Final = re.compile(r"\$\{([^}]*)\}")


def _format_sample(arn_format: str, account: str, partition: str) -> str:
    """An ARN of a resource type (some formats hold literal ``*`` fields: filled too)."""
    fill = {"Partition": partition, "Region": "us-east-1", "Account": account}
    filled = _FORMAT_FIELD.sub(lambda m: fill.get(m.group(1), "example"), arn_format)
    return _pattern_sample(filled, account, partition).replace("*", "x")


def _pattern_sample(pattern: str, account: str, partition: str) -> str:
    """A concrete ARN a ``Resource`` pattern matches: a wildcard partition, region or account
    field becomes the role's partition, ``us-east-1`` or the role's account; other wildcards
    ``x``."""
    segs = pattern.split(":", 5)
    if len(segs) == 6:
        fill = {1: partition, 3: "us-east-1", 4: account}
        for i, value in fill.items():
            if segs[i] and segs[i].strip("*?") == "":
                segs[i] = value
    return ":".join(segs).replace("?", "x")


def _star_fills(pattern: str) -> list[str]:
    """``pattern`` with every ``*`` made ``x``, then each ``*`` in turn made ``x/x`` (a
    bucket pattern like ``arn:aws:s3:::*DeepRacer*`` also matches object ARNs)."""
    parts = pattern.split("*")
    out = ["x".join(parts)]
    for k in range(len(parts) - 1, 0, -1):
        fills = ["x"] * (len(parts) - 1)
        fills[k - 1] = "x/x"
        out.append(parts[0] + "".join(f + p for f, p in zip(fills, parts[1:])))
    return out


def _samples(stmt: Statement, info: _sar.ActionInfo, account: str, partition: str) -> list[str]:
    """Resources to decide ``info`` on for statement ``stmt``: requests AWS could send (an
    action without resource types is authorized against ``*``; one with resource types
    against an ARN of one of them)."""
    formats = [t.arn for t in info.resource_types]
    if not formats:
        return ["*"]
    out = sorted((_format_sample(f, account, partition) for f in formats), key=len)
    if stmt.resource is not None and "*" not in stmt.resource:
        out = [
            fill
            for p in stmt.resource
            if "${" not in p
            for fill in _star_fills(_pattern_sample(p, account, partition))
        ]
    return [s for s in dict.fromkeys(out) if _fits(s, formats)]


def _fits(sample: str, formats: list[str]) -> bool:
    glob = _policy_arn(sample, variables=False)
    return not glob.any and any(_fits_format(glob, f) for f in formats)


def _candidates(identity: Any, service: str | None) -> dict[str, list[tuple[Statement, Any]]]:
    """Catalog actions an Allow statement of ``identity`` names -> those statements."""
    out: dict[str, list[tuple[Statement, Any]]] = {}
    wanted = service.lower() if service is not None else None
    for policy in identity.policies:
        for stmt in policy.statements:
            if stmt.effect != "Allow":
                continue
            infos: list[_sar.ActionInfo] = []
            if stmt.action is not None:
                for pattern in stmt.action:
                    infos.extend(_sar.expand_actions(pattern))
            else:
                excluded = {
                    a.full.lower() for p in stmt.not_action or () for a in _sar.expand_actions(p)
                }
                prefixes = [wanted] if wanted is not None else sorted(_sar.services())
                infos.extend(
                    a
                    for prefix in prefixes
                    for a in _sar.actions(prefix).values()
                    if a.full.lower() not in excluded
                )
            for info in infos:
                if wanted is None or info.service == wanted:
                    out.setdefault(info.full, []).append((stmt, info))
    return dict(sorted(out.items(), key=lambda item: item[0].lower()))


def allowed_actions(
    role: Role | User,
    resource: str | None = None,
    *,
    service: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[AllowedAction, ...]:
    """Every catalog action ``role`` may perform (see :meth:`drpolicy.Role.allowed_actions`)."""
    asker = _Asker(role)
    partition = role.arn.split(":", 2)[1]
    out: list[AllowedAction] = []
    for name, grants in _candidates(role, service).items():
        entries: dict[tuple[tuple[StatementRef, ...], tuple[str, ...]], AllowedAction] = {}
        groups = (
            [[resource]]
            if resource is not None
            else [_samples(stmt, info, role.account_id, partition) for stmt, info in grants]
        )
        for samples in groups:  # one entry per granting statement (and its conditions)
            best: AllowedAction | None = None
            for sample in samples:
                found = asker.decide(name, sample, context)
                if found is None:
                    continue
                decision, conditions = found
                entry = AllowedAction(name, sample, decision.reasons, conditions)
                if best is None or (best.conditions and not conditions):
                    best = entry
                if not conditions:
                    break
            if best is not None:
                entries.setdefault((best.statements, best.conditions), best)
        out.extend(sorted(entries.values(), key=lambda e: e.conditional))
    return tuple(out)


# --------------------------------------------------------------------------------------
# Who can do this
# --------------------------------------------------------------------------------------


def who_can(
    account: Account,
    action: str,
    resource: str,
    *,
    context: Mapping[str, Any] | None = None,
    resource_policy: Any = None,
) -> tuple[PrincipalAccess, ...]:
    """Every role and user of ``account`` that may perform the request (see
    :meth:`drpolicy.loaders.Account.who_can`)."""
    from drpolicy._api import authorize

    low = action.lower()
    targets: list[tuple[str, Any]] = [(resource, resource_policy)]
    if low in ("sts:assumerole", "iam:passrole"):
        roles = list(account.roles.values())
        if resource == "*":
            targets = [(r.arn, r.trust_policy if low == "sts:assumerole" else None) for r in roles]
        elif low == "sts:assumerole" and resource_policy is None:
            match = [r for r in roles if r.arn == resource]
            if match:
                targets = [(resource, match[0].trust_policy)]
    principals: list[tuple[str, Any]] = [("role", r) for r in account.roles.values()]
    principals += [("user", u) for u in account.users.values()]
    out: list[PrincipalAccess] = []
    for kind, who in principals:
        asker = _Asker(who)
        for target, policy in targets:
            if policy is None:
                found = asker.decide(action, target, context)
            else:

                def ask(identity: Any, a: str, r: str, c: Any, _policy: Any = policy) -> Decision:
                    return authorize(
                        identity.arn,
                        a,
                        r,
                        context=c,
                        identity_policies=identity.policies,
                        resource_policy=_policy,
                        permission_boundary=identity.permission_boundary,
                    )

                found = asker.decide(action, target, context, ask)
            if found is not None:
                decision, conditions = found
                out.append(PrincipalAccess(who.arn, kind, target, decision, conditions))
    return tuple(out)
