"""Policy sources, proposals, and the per-worker evaluator (private).

A :class:`PolicySource` holds file *contents*, never paths, so it can be pickled to a worker
process or broadcast to Spark executors; each worker builds its roles and users once
(:meth:`Evaluator.build`) and keeps a decision cache keyed only by the context keys the
principal's policies read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from drpolicy._api import authorize
from drpolicy.catalog import ROLE_NAMES, load_role
from drpolicy.errors import CatalogError, LoaderError, RequestError
from drpolicy.loaders import Account, User, load_account
from drpolicy.model import Decision, Policy
from drpolicy.parser import load_policy
from drpolicy.principals import Principal
from drpolicy.replay._mapping import Request, Unmapped
from drpolicy.roles import DEFAULT_ACCOUNT_ID, Role

Identity = Role | User

RESULT_COLUMNS: Final = (
    "event_id", "event_time", "principal", "action", "resource", "outcome", "decision",
    "reasons", "proposed_decision", "proposed_reasons", "unmapped_reason", "note",
)
"""The columns of one result (one per event), in output order."""

NOT_EVALUATED: Final = "NotEvaluated"
"""The ``decision`` of an event that could not be mapped to a request."""

_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")
_CACHE_MAX: Final = 200_000


@attrs.frozen(slots=True)
class PolicySource:
    """Where the policies come from: an account export, the catalog, or policy documents for
    one principal; plus the proposed replacements. Holds contents, not paths, so it can be
    shipped to worker processes and Spark executors.

    Build it with :meth:`account_export`, :meth:`catalog` or :meth:`policies`, then
    :meth:`propose`.

    Attributes:
        kind: ``account``, ``catalog`` or ``policies``.
        text: the account export's JSON text (``account``).
        ignore_missing: skip attached managed policies the export lacks (``account``).
        account_id: the catalog roles' account (``catalog``).
        principal: the principal ARN the documents belong to (``policies``).
        documents: ``(name, JSON text)`` of each identity policy (``policies``).
        proposed: ``(policy name, JSON text)`` of each proposed replacement.
    """

    kind: str
    text: str = ""
    ignore_missing: bool = False
    account_id: str = DEFAULT_ACCOUNT_ID
    principal: str = ""
    documents: tuple[tuple[str, str], ...] = ()
    proposed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def account_export(cls, text: str, *, ignore_missing: bool = False) -> PolicySource:
        """An ``aws iam get-account-authorization-details`` output (its JSON text)."""
        return cls("account", text=text, ignore_missing=ignore_missing)

    @classmethod
    def catalog(cls, account_id: str = DEFAULT_ACCOUNT_ID) -> PolicySource:
        """The five DeepRacer catalog roles, living in ``account_id``."""
        return cls("catalog", account_id=account_id)

    @classmethod
    def policies(cls, principal: str, documents: Mapping[str, str]) -> PolicySource:
        """The identity policies (name -> JSON text) of one role or user ARN."""
        return cls("policies", principal=principal, documents=tuple(documents.items()))

    def propose(self, replacements: Mapping[str, str]) -> PolicySource:
        """The same source with proposed replacements: policy name -> JSON text. Every
        principal that has a policy of that name (inline, managed, boundary) gets the new
        document instead."""
        return attrs.evolve(self, proposed=tuple(replacements.items()))


def _path_and_name(arn: str, kind: str) -> tuple[str, str]:
    rest = arn.split(f":{kind}/", 1)[1]
    head, _, name = rest.rpartition("/")
    return (f"/{head}/" if head else "/"), name


def _principals(source: PolicySource) -> tuple[str, dict[str, Identity]]:
    """``(account ID, ARN -> role or user)`` of a source (its current policies)."""
    if source.kind == "account":
        account = load_account(
            source.text, missing_managed="ignore" if source.ignore_missing else "error"
        )
        return account.account_id, _of_account(account)
    if source.kind == "catalog":
        roles = [load_role(name, source.account_id) for name in ROLE_NAMES]
        return source.account_id, {r.arn: r for r in roles}
    if source.kind == "policies":
        caller = Principal.parse(source.principal)
        docs = {name: load_policy(text, name=name) for name, text in source.documents}
        if caller.kind not in ("role", "user") or caller.account is None:
            raise RequestError(
                f"`{source.principal}` is not an IAM role or user ARN (the principal whose"
                " policies are given)"
            )
        path, name = _path_and_name(source.principal, caller.kind)
        built: Identity
        if caller.kind == "role":
            built = Role.from_policies(name, docs, account_id=caller.account, path=path)
        else:
            built = User.from_policies(name, docs, account_id=caller.account, path=path)
        return caller.account, {built.arn: built}
    raise RequestError(f"unknown policy source kind `{source.kind}`")


def _of_account(account: Account) -> dict[str, Identity]:
    out: dict[str, Identity] = {}
    for role in account.roles.values():
        out[role.arn] = role
    for user in account.users.values():
        out[user.arn] = user
    return out


def _policy_names(identity: Identity) -> list[str]:
    names = [p.name for p in identity.policies]
    if identity.permission_boundary is not None:
        names.append(identity.permission_boundary.name)
    if isinstance(identity, Role) and identity.trust_policy is not None:
        names.append(identity.trust_policy.name)
    return names


def _apply(identity: Identity, replacements: Mapping[str, str]) -> Identity:
    """``identity`` with every policy named in ``replacements`` replaced."""
    if not set(_policy_names(identity)) & set(replacements):
        return identity
    policies: dict[str, Any] = {
        p.name: replacements.get(p.name, p) for p in identity.policies
    }
    boundary: Any = identity.permission_boundary
    if boundary is not None:
        boundary = replacements.get(boundary.name, boundary)
    account_id = identity.account_id
    if isinstance(identity, Role):
        trust: Any = identity.trust_policy
        if trust is not None:
            trust = replacements.get(trust.name, trust)
        path, name = _path_and_name(identity.arn, "role")
        return Role.from_policies(
            name, policies, trust_policy=trust, permission_boundary=boundary,
            account_id=account_id, path=path, description=identity.description,
            partition=identity.arn.split(":", 2)[1],
        )
    return User.from_policies(
        identity.name, policies, permission_boundary=boundary, account_id=account_id,
        path=identity.path, groups=identity.groups,
    )


def _referenced_keys(identity: Identity) -> frozenset[str] | None:
    """Lower-cased context keys the identity's policies read (conditions and policy
    variables), or ``None`` when a key cannot be pinned (then nothing is cached)."""
    keys: set[str] = set()
    policies: list[Policy] = list(identity.policies)
    if identity.permission_boundary is not None:
        policies.append(identity.permission_boundary)
    for policy in policies:
        for st in policy.statements:
            texts: list[str] = [*(st.resource or ()), *(st.not_resource or ())]
            for entry in st.conditions:
                keys.add(entry.key.lower())
                texts.append(entry.key)
                texts.extend(entry.values)
            for text in texts:
                keys.update(v.lower() for v in _VARIABLE.findall(text))
    if any("*" in k or "$" in k or "?" in k for k in keys):
        return None
    return frozenset(keys)


class _Keep(dict[str, bool]):
    """Context key (as given) -> whether the policies read it; learnt on first sight."""

    def __init__(self, referenced: frozenset[str]) -> None:
        super().__init__()
        self.referenced = referenced

    def __missing__(self, key: str) -> bool:
        keep = self[key] = key.lower() in self.referenced
        return keep


@attrs.frozen(slots=True)
class Outcome:
    """One policy set's answer for one request: decision and deciding statements."""

    decision: str
    reasons: tuple[str, ...]


def _outcome(d: Decision) -> Outcome:
    return Outcome(d.decision, tuple(str(r) for r in d.reasons))


class _Side:
    """One policy set (current or proposed): identities by ARN and a decision cache."""

    def __init__(self, account_id: str, identities: dict[str, Identity]) -> None:
        self.account_id = account_id
        self.identities = identities
        self.by_name = {_path_and_name(arn, "role" if isinstance(i, Role) else "user")[1]
                        .lower(): i for arn, i in identities.items()}
        self.referenced = {arn: _Keep(keys) if (keys := _referenced_keys(i)) is not None
                           else None for arn, i in identities.items()}
        self.cache: dict[Any, Outcome] = {}

    def decide(self, req: Request) -> Outcome:
        if req.kind == "service-assume":
            target = self.identities[req.resource]
            assert isinstance(target, Role)
            return _outcome(target.assume_decision(req.principal, req.context))
        if req.kind == "root":
            return _outcome(authorize(req.principal, req.action, req.resource,
                                      context=req.context))
        identity = self.identities[req.principal]
        if req.kind == "assume-role":
            return self._assume(identity, req)
        referenced = self.referenced[req.principal]
        key: Any = None
        if referenced is not None:
            ctx = req.context
            key = (req.principal, req.action, req.resource,
                   *[(k, v) for k, v in ctx.items() if referenced[k]])
            try:
                hit = self.cache.get(key)
            except TypeError:  # a list-valued context (request tables): not cached
                key = hit = None
            if hit is not None:
                return hit
        result = _outcome(identity.evaluate(req.action, req.resource, req.context))
        if key is not None:
            if len(self.cache) >= _CACHE_MAX:
                self.cache.clear()
            self.cache[key] = result
        return result

    def _assume(self, caller: Identity, req: Request) -> Outcome:
        target = self.identities.get(req.resource)
        if not isinstance(target, Role) or target.trust_policy is None:
            return _outcome(caller.evaluate(req.action, req.resource, req.context))
        return _outcome(authorize(
            req.session_arn, req.action, req.resource, context=req.context,
            identity_policies=caller.policies, permission_boundary=caller.permission_boundary,
            resource_policy=target.trust_policy,
        ))

    def resolve(self, req: Request) -> Request | Unmapped:
        """Fill in IAM paths the event does not carry; flag principals not in the source."""
        principal = req.principal
        if req.kind == "service-assume":
            target = self.identities.get(req.resource)
            if not isinstance(target, Role):
                reason = ("other-account" if f":{self.account_id}:" not in req.resource
                          else "principal-not-in-source")
                return Unmapped(req.event_id, principal, req.action, reason,
                                f"role {req.resource}", req.outcome)
            return req
        if req.kind == "root":
            if principal != f"arn:aws:iam::{self.account_id}:root":
                return Unmapped(req.event_id, principal, req.action, "other-account",
                                principal, req.outcome)
            return req
        if principal not in self.identities and principal.count("/") == 1:
            found = self.by_name.get(principal.rsplit("/", 1)[1].lower())
            if found is not None and found.arn.split(":")[4] == principal.split(":")[4] and (
                principal.split(":")[5].split("/")[0] in found.arn
            ):
                req = req._replace(principal=found.arn)
                principal = found.arn
        if principal not in self.identities:
            reason = ("other-account" if f":{self.account_id}:" not in principal
                      else "principal-not-in-source")
            return Unmapped(req.event_id, principal, req.action, reason, principal, req.outcome)
        resource, note = req.resource, req.note
        for kind in ("role", "user"):
            marker = f":{self.account_id}:{kind}/"
            if marker in resource and resource.count("/") == 1:
                found = self.by_name.get(resource.rsplit("/", 1)[1].lower())
                if found is not None and f":{kind}/" in found.arn:
                    resource = found.arn
                    note = "; ".join(n for n in note.split("; ") if "path not in" not in n)
        if req.kind == "assume-role" and not isinstance(self.identities.get(resource), Role):
            extra = "the target role is not in the source: its trust policy is not evaluated"
            note = f"{note}; {extra}" if note else extra
        if resource is not req.resource or note is not req.note:
            return req._replace(resource=resource, note=note)
        return req


class Evaluator:
    """Decides mapped events with the current policies and, when proposed, the new ones."""

    def __init__(self, source: PolicySource) -> None:
        account_id, identities = _principals(source)
        self.current = _Side(account_id, identities)
        self.proposed: _Side | None = None
        if source.proposed:
            replacements = {name: text for name, text in source.proposed}
            known = {n for i in identities.values() for n in _policy_names(i)}
            for name in replacements:
                if name not in known:
                    raise CatalogError(name, sorted(known), what="policy name",
                                       where="the policy source")
            parsed = {}
            for name, text in replacements.items():
                try:
                    parsed[name] = json.loads(text)
                except ValueError as exc:
                    raise LoaderError(f"proposed policy `{name}`", f"invalid JSON: {exc}") from exc
            self.proposed = _Side(account_id, {
                arn: _apply(i, parsed) for arn, i in identities.items()
            })

    def row(self, item: Request | Unmapped, event_time: str) -> tuple[Any, ...]:
        """The result row (see :data:`RESULT_COLUMNS`) of one mapped or unmapped event."""
        if isinstance(item, Request):
            item = self.current.resolve(item)
        if isinstance(item, Unmapped):
            return self._not_evaluated(item.event_id, event_time, item.principal, item.action,
                                       "", item.outcome, item.reason, item.detail)
        try:
            now = self.current.decide(item)
            new = None if self.proposed is None else self.proposed.decide(item)
        except RequestError as exc:  # e.g. a request-table row with a malformed ARN
            return self._not_evaluated(item.event_id, event_time, item.principal, item.action,
                                       item.resource, item.outcome, "malformed", str(exc))
        return (item.event_id, event_time, item.principal, item.action, item.resource,
                item.outcome, now.decision, now.reasons,
                None if new is None else new.decision, None if new is None else new.reasons,
                None, item.note)

    def _not_evaluated(self, *fields: str) -> tuple[Any, ...]:
        event_id, event_time, principal, action, resource, outcome, reason, detail = fields
        proposed = None if self.proposed is None else NOT_EVALUATED
        return (event_id, event_time, principal, action, resource, outcome, NOT_EVALUATED, (),
                proposed, None if proposed is None else (), reason, detail)
