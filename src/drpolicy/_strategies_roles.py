"""The constructive strategies of :mod:`drpolicy.strategies` (which re-exports and documents
them): the requests a role allows or denies, built from its compiled statements and checked
against the engine."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final

from hypothesis import assume, reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drpolicy._strategies_requests import (
    ContextValue,
    Request,
    _check_service,
    _flip_case_at,
    _instantiate_action,
    _instantiate_arn,
    _name_start,
    _plausible_action_pattern,
    _vocabulary_action,
    arns,
    case_variants,
    context_values,
    resources_for,
)
from drpolicy._strategies_vocab import (
    _ACTIONS,
    _REGIONS,
    _SERVICES,
    _account,
    _Chooser,
    _fill_glob,
    _glob_matches,
    _glob_tokens,
    _joined,
)
from drpolicy._variables import Var
from drpolicy._wildcard import ActionPattern, ArnPattern
from drpolicy.conditions import CompiledCondition, ConditionEvaluationError
from drpolicy.errors import DrpolicyError
from drpolicy.evaluator import PolicyIndex, normalise_context

__all__ = ["requests_allowed_by", "requests_denied_by"]

# --------------------------------------------------------------------------------------
# Requests a role allows or denies, by construction
# --------------------------------------------------------------------------------------

_ABSENT: Final = object()


class _Subject:
    """What the constructive strategies need to know about a role (or a loaded user)."""

    def __init__(self, role: Any) -> None:
        if isinstance(role, str):
            from drpolicy._api import role as resolve

            try:
                role = resolve(role)
            except DrpolicyError as exc:
                raise InvalidArgument(str(exc)) from None
        identity = getattr(role, "_identity", None)
        if not isinstance(identity, PolicyIndex) or not callable(
            getattr(role, "context_for", None)
        ):
            raise InvalidArgument(
                f"expected a catalog role name or a drpolicy.Role, not {type(role).__name__}"
            )
        boundary = getattr(role, "_boundary", None)
        self.role = role
        self.name: str = getattr(role, "name", repr(role))
        self.identity = identity.statements
        self.boundary = boundary.statements if isinstance(boundary, PolicyIndex) else None
        self.base: Mapping[str, tuple[str, ...]] = role.context_for(None)
        self.denies = tuple(s for s in (*self.identity, *(self.boundary or ())) if s.deny)
        self.allows_stmts = tuple(s for s in (*self.identity, *(self.boundary or ())) if not s.deny)

    def allows(self, r: Request) -> bool:
        try:
            return bool(self.role.is_allowed(r.action, r.resource, r.context))
        except DrpolicyError:
            return False

    def decision(self, r: Request) -> str:
        try:
            return str(self.role.evaluate(r.action, r.resource, r.context).decision)
        except DrpolicyError:
            return "error"


class _Plan:
    """One way to construct a request: statements that must all apply (an identity Allow and,
    with a boundary, a boundary Allow; or one Deny), whose conditions must all hold."""

    __slots__ = ("clauses", "stmts")

    def __init__(self, stmts: tuple[Any, ...]) -> None:
        self.stmts = stmts
        self.clauses: tuple[CompiledCondition, ...] = tuple(c for s in stmts for c in s.conditions)


def _usable_action_patterns(stmt: Any, service: str | None) -> list[ActionPattern]:
    if stmt.actions is None:
        return []
    return [
        p
        for p in stmt.actions.patterns
        if _plausible_action_pattern(p)
        and (service is None or p.lowered == "*" or _glob_matches(p.service, service, segment=True))
    ]


def _fixed_actions(stmt: Any, service: str | None) -> list[str]:
    """Deterministic sample actions a statement applies to (for pruning plans)."""
    out = []
    for p in _usable_action_patterns(stmt, service):
        svc = service or (p.service.replace("*", "").replace("?", "a") or "s3")
        name = p.name.replace("*", "").replace("?", "a") or "getobject"
        out.append(f"{svc}:{name}")
    vocab = [
        f"{s}:{n}".lower()
        for s, names in _ACTIONS.items()
        for n in names
        if service is None or s == service
    ]
    out.extend(a for a in vocab[:: max(1, len(vocab) // 40)] if stmt.action_applies(a))
    return [a for a in out if stmt.action_applies(a.lower())]


def _value_instance(c: CompiledCondition, value: Any, ch: _Chooser) -> str | None:
    """A request value near policy value ``value`` of condition ``c``: equal to it, inside
    it (a glob or CIDR instantiated), or a small step away (numbers, dates)."""
    if value.template is not None:
        return None
    family = c.spec.operator.family
    source: str = value.source
    parsed = value.parsed
    if family == "StringEquals":
        return source
    if family == "StringEqualsIgnoreCase":
        return ch.draw(case_variants(source))
    if family == "StringLike":
        if "${" in source:
            return None
        return _fill_glob(source, ch, "value")
    if family.startswith("Numeric"):
        number = ch.pick((Decimal(0), Decimal(1), Decimal("0.5"), Decimal(ch.integer(1, 10**6))))
        return str(parsed + number if ch.coin() else parsed - number)
    if family.startswith("Date"):
        base = parsed if isinstance(parsed, Decimal) else Decimal(repr(parsed))
        seconds = Decimal(ch.pick((0, 1, 86400, ch.integer(1, 10**8))))
        moment = base + seconds if ch.coin() else base - seconds
        if moment >= 0 and ch.coin():
            return _epoch_text(moment)
        return _iso_text(moment)
    if family == "Bool":
        return ch.draw(case_variants(str(parsed)))
    if family == "BinaryEquals":
        return source
    if family == "IpAddress":
        net = parsed
        offset = ch.integer(0, net.num_addresses - 1)
        return str(net.network_address + offset)
    if family == "ArnLike":
        return _instantiate_arn(parsed, ch) if isinstance(parsed, ArnPattern) else None
    return ch.draw(context_values(c.key_written))  # Null: any value makes the key present


def _epoch_text(moment: Decimal) -> str:
    """Epoch seconds as text the Date operators read back exactly (no exponent)."""
    return format(moment.normalize(), "f")


def _iso_text(moment: Decimal) -> str | None:
    """An ISO 8601 UTC date-time for ``moment`` (fractions kept exactly), or ``None`` when
    the year is out of range."""
    whole = int(moment.to_integral_value(rounding=ROUND_FLOOR))
    fraction = moment - whole
    try:
        when = datetime.datetime.fromtimestamp(whole, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    digits = format(fraction.normalize(), "f")[2:] if fraction else ""
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"


def _fixed_instances(c: CompiledCondition) -> list[str]:
    """Deterministic request values around each policy value (for pruning plans)."""
    family = c.spec.operator.family
    out: list[str] = ["x", "true", "false", "0"]
    for v in c.values:
        if v.template is not None:
            continue
        p = v.parsed
        if family in ("StringEquals", "BinaryEquals"):
            out.append(v.source)
        elif family == "StringEqualsIgnoreCase":
            out.extend((v.source, v.source.lower()))
        elif family == "StringLike":
            out.extend(
                (
                    v.source.replace("*", "").replace("?", "a"),
                    v.source.replace("*", "x").replace("?", "a"),
                )
            )
        elif family.startswith("Numeric"):
            out.extend(str(p + d) for d in (0, 1, -1))
        elif family.startswith("Date"):
            base = p if isinstance(p, Decimal) else Decimal(repr(p))
            out.extend(_epoch_text(base + d) for d in (0, 1, -1) if base + d >= 0)
        elif family == "Bool":
            out.append(str(p))
        elif family == "IpAddress":
            out.append(str(p.network_address))
        elif family == "ArnLike" and isinstance(p, ArnPattern):
            out.append(":".join(s.replace("*", "x").replace("?", "x") for s in p.segments))
    return out


def _holds(c: CompiledCondition, ctx: Mapping[str, tuple[str, ...]]) -> bool | None:
    """The clause's verdict; ``None`` when it errors."""
    try:
        return bool(c(ctx))
    except ConditionEvaluationError:
        return None


def _key_ok(
    hold: Sequence[CompiledCondition],
    fail: Sequence[CompiledCondition],
    ctx: Mapping[str, tuple[str, ...]],
) -> bool:
    return all(_holds(c, ctx) is True for c in hold) and all(_holds(c, ctx) is False for c in fail)


def _feasible(plan: _Plan, base: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether each condition key of the plan has a value (or absence) satisfying every
    clause on it, among a few deterministic candidates."""
    by_key: dict[str, list[CompiledCondition]] = {}
    for c in plan.clauses:
        if any(
            isinstance(p, Var) and p.key not in base for v in c.values for p in v.template or ()
        ):
            return False  # values with variables we would have to invent: not supported
        by_key.setdefault(c.key, []).append(c)
    for key, clauses in by_key.items():
        if key in base:
            if not _key_ok(clauses, (), base):
                return False
            continue
        candidates: list[tuple[str, ...]] = [()]
        singles = [x for c in clauses for x in _fixed_instances(c)]
        candidates += [(x,) for x in singles]
        if any(c.spec.qualifier for c in clauses):
            candidates += [(a, b) for a in singles[:6] for b in singles[:6] if a != b]
        if not any(
            _key_ok(clauses, (), {**base, key: cand} if cand else base) for cand in candidates
        ):
            return False
    return True


def _plans(subject: _Subject, *, deny: bool, service: str | None) -> list[_Plan]:
    firsts = [s for s in subject.identity if s.deny == deny]
    if deny and subject.boundary:
        firsts += [s for s in subject.boundary if s.deny]
    out: list[_Plan] = []
    for s in firsts:
        if s.actions is not None and not _usable_action_patterns(s, service):
            continue
        if deny or subject.boundary is None:
            plan = _Plan((s,))
            if _feasible(plan, subject.base):
                out.append(plan)
            continue
        samples = _fixed_actions(s, service)
        for b in subject.boundary:
            if b.deny:
                continue
            if not any(
                b.action_applies(a.lower())
                for a in samples + _fixed_actions(b, service)
                if s.action_applies(a.lower())
            ):
                continue
            plan = _Plan((s, b))
            if _feasible(plan, subject.base):
                out.append(plan)
    return out


def _draw_action(plan: _Plan, ch: _Chooser, service: str | None) -> str:
    drivers = [s for s in plan.stmts if s.actions is not None]
    for _ in range(5):
        if drivers:
            stmt = ch.pick(drivers)
            patterns = _usable_action_patterns(stmt, service)
            if not patterns:
                reject()
            action = _instantiate_action(ch.pick(patterns), ch, service)
        else:
            action = _vocabulary_action(ch, service)
        if action is not None and all(s.action_applies(action.lower()) for s in plan.stmts):
            return action
    reject()


def _resource_applies(stmt: Any, resource: str, ctx: Mapping[str, tuple[str, ...]]) -> bool | None:
    try:
        return bool(stmt.resource_applies(resource, ctx))
    except ConditionEvaluationError:
        return None


def _draw_resource(
    plan: _Plan, action: str, ch: _Chooser, subject: _Subject
) -> tuple[str, dict[str, str]]:
    """A resource every statement of the plan applies to, and the context values its policy
    variables took."""
    drivers = [s for s in plan.stmts if s.patterns is not None]
    service = action.split(":")[0]
    for _ in range(5):
        drawn: dict[str, tuple[str, str]] = {}  # lower-cased key -> (key as written, value)

        def variable(var: Var, drawn: dict[str, tuple[str, str]] = drawn) -> str:
            if var.key in subject.base and len(subject.base[var.key]) == 1:
                return subject.base[var.key][0]
            if var.key in drawn:
                return drawn[var.key][1]
            if var.default is not None and ch.coin():
                return var.default
            value = ch.draw(_joined("-_"))
            drawn[var.key] = (var.written, value)
            return value

        resource: str | None
        if drivers:
            stmt = ch.pick(drivers)
            pattern = ch.pick(stmt.patterns)
            if pattern.kind == "any":
                resource = ch.draw(resources_for(action))
            else:
                resource = _instantiate_arn(pattern, ch, variable=variable, service=service)
        else:
            resource = ch.draw(resources_for(action))
        if resource is None:
            continue
        variables = dict(drawn.values())
        ctx = {**subject.base, **normalise_context(variables)}
        if all(_resource_applies(s, resource, ctx) for s in plan.stmts):
            return resource, variables
    reject()


def _solve_key(
    ch: _Chooser,
    written: str,
    hold: Sequence[CompiledCondition],
    fail: Sequence[CompiledCondition],
    ctx: dict[str, tuple[str, ...]],
) -> Any:
    """A value for one context key (``_ABSENT``, a string or a list) that makes every
    ``hold`` clause true and every ``fail`` clause false."""
    key = written.lower()
    clauses = [*hold, *fail]
    multi = any(c.spec.qualifier for c in clauses)

    def candidate_value() -> str | None:
        c = ch.pick(clauses)
        if c.values and ch.integer(0, 3) != 0:
            return _value_instance(c, ch.pick(c.values), ch)
        return ch.draw(context_values(written))

    for _ in range(8):
        shape = ch.integer(0, 2 if multi else 1)
        if shape == 0:
            value: Any = _ABSENT
            trial = {k: v for k, v in ctx.items() if k != key}
        else:
            n = 1 if shape == 1 else ch.integer(1, 3)
            vals = [candidate_value() for _ in range(n)]
            if any(v is None for v in vals):
                continue
            strs = [v for v in vals if v is not None]
            value = strs[0] if shape == 1 else strs
            trial = {**ctx, key: tuple(strs)}
        if _key_ok(hold, fail, trial):
            return value
    reject()


def _solve_context(
    ch: _Chooser,
    subject: _Subject,
    plan: _Plan,
    action: str,
    resource: str,
    variables: dict[str, str],
    *,
    avoid_denies: bool,
) -> dict[str, ContextValue]:
    fixed = {**subject.base, **normalise_context(variables)}
    hold: dict[str, list[CompiledCondition]] = {}
    fail: dict[str, list[CompiledCondition]] = {}
    written: dict[str, str] = {}
    for c in plan.clauses:
        hold.setdefault(c.key, []).append(c)
        written.setdefault(c.key, c.key_written)
    if avoid_denies:
        low = action.lower()
        for d in subject.denies:
            if not d.action_applies(low):
                continue
            applies = _resource_applies(d, resource, fixed)
            if applies is False:
                continue
            if applies is None or not d.conditions:
                reject()  # an unconditional (or erroring) Deny covers this request
            # the Deny is already off if a clause on a fixed key is false
            if any(c.key in fixed and _holds(c, fixed) is False for c in d.conditions):
                continue
            free = [c for c in d.conditions if c.key not in fixed]
            if not free:
                reject()
            c = ch.pick(free)
            fail.setdefault(c.key, []).append(c)
            written.setdefault(c.key, c.key_written)
    ctx: dict[str, tuple[str, ...]] = dict(fixed)
    out: dict[str, ContextValue] = dict(variables)

    def uses_variables(k: str) -> bool:
        return any(
            isinstance(p, Var)
            for c in [*hold.get(k, []), *fail.get(k, [])]
            for v in c.values
            for p in v.template or ()
        )

    for key in sorted(written, key=uses_variables):
        h, f = hold.get(key, []), fail.get(key, [])
        if key in fixed:
            if not _key_ok(h, f, ctx):
                reject()
            continue
        value = _solve_key(ch, written[key], h, f, ctx)
        if value is _ABSENT:
            continue
        out[written[key]] = value
        ctx[key] = (value,) if isinstance(value, str) else tuple(value)
    return out


def _constructed(
    subject: _Subject,
    plans: list[_Plan],
    service: str | None,
    *,
    avoid_denies: bool,
    accept: Callable[[Request], bool],
) -> st.SearchStrategy[Request]:
    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        ch = _Chooser(draw)
        plan = ch.pick(plans)
        action = _draw_action(plan, ch, service)
        resource, variables = _draw_resource(plan, action, ch, subject)
        context = _solve_context(
            ch, subject, plan, action, resource, variables, avoid_denies=avoid_denies
        )
        request = Request(action, resource, context)
        # INVARIANT: the construction makes this hold nearly always; the engine has the
        # last word, so a draw is never mislabelled.
        assume(accept(request))
        return request

    return draw_request()


def requests_allowed_by(role: Any, *, service: str | None = None) -> st.SearchStrategy[Request]:
    """Requests ``role`` allows, constructed from its compiled statements.

    Each draw picks an Allow statement (paired with an Allow of the permissions boundary, if
    the role has one), instantiates one of its action patterns and one of its resource
    patterns (``*`` becomes a realistic resource for the action; policy variables get context
    values), and solves its conditions for a context: every operator family by construction
    (values equal to, inside, or a step away from the policy's), ``IfExists``, the set
    qualifiers and ``Null``. Deny statements that would apply get a context value that turns
    one of their conditions off. Statements whose conditions cannot be met (or use policy
    variables whose values the request would have to invent) are skipped.

    Args:
        role: a catalog role name or alias, a :class:`drpolicy.Role`, or a principal of a
            loaded account.
        service: only actions of this service.

    Raises:
        InvalidArgument: the role allows nothing these strategies can construct.
    """
    _check_service(service)
    subject = _Subject(role)
    plans = _plans(subject, deny=False, service=service)
    if not plans:
        raise InvalidArgument(
            f"`{subject.name}` allows no request that can be constructed"
            + (f" for service `{service}`" if service else "")
        )
    return _constructed(subject, plans, service, avoid_denies=True, accept=subject.allows)


def _perturbations(request: Request) -> list[str]:
    out = ["other-service", "other-action", "other-resource"]
    resource_part = request.resource.split(":", 5)[-1]
    if request.resource != "*":
        if any(c.swapcase() != c for c in resource_part):
            out.append("resource-case")
        out += ["resource-char", "account", "region"]
        if ":iam::" in request.resource and resource_part.startswith("role/"):
            out.append("role-path")
    if request.context:
        out += ["drop-key", "change-value"]
    return out


def _flip_case_in_literal(resource: str, subject: _Subject, ch: _Chooser) -> str | None:
    """Flip the case of a letter of ``resource`` that a literal part of an Allow pattern
    matching it pinned down (the ``DeepRacer`` of ``arn:aws:s3:::*DeepRacer*``): the change
    IAM's case-sensitive resource matching cares about."""
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return None
    part = parts[5]
    spans: list[tuple[int, int]] = []
    for s in subject.allows_stmts:
        for p in s.patterns or ():
            if p.kind in ("any", "template") or not p.match(resource, subject.base):
                continue
            for token in _glob_tokens(p.segments[5]):
                if token in "*?" or token.lower() == token.upper():
                    continue
                start = part.find(token)
                while start >= 0:
                    spans.append((start, start + len(token)))
                    start = part.find(token, start + 1)
    positions = sorted(
        {
            i
            for a, b in spans
            for i in range(a, b)
            if part[i].swapcase() != part[i] and len(part[i].swapcase()) == 1
        }
    )
    if not positions:
        return None
    i = ch.pick(positions)
    return ":".join([*parts[:5], part[:i] + part[i].swapcase() + part[i + 1 :]])


def _perturb(request: Request, how: str, ch: _Chooser, subject: _Subject) -> Request:
    action, resource, context = request
    service, _, name = action.partition(":")
    if how == "other-service":
        other = ch.pick([s for s in _SERVICES if s != service])
        same_name = [n for n in _ACTIONS[other] if n.lower() == name.lower()]
        action = f"{other}:{same_name[0]}" if same_name else _vocabulary_action(ch, other)
    elif how == "other-action":
        action = _vocabulary_action(ch, service)
    elif how == "other-resource":
        resource = ch.draw(st.one_of(resources_for(action), arns()))
    elif how in ("resource-case", "resource-char", "account", "region"):
        parts = resource.split(":", 5)
        if how == "resource-case":
            flipped = _flip_case_in_literal(resource, subject, ch) if ch.coin() else None
            if flipped is not None:
                return Request(action, flipped, context)
            start = _name_start(parts[2], parts[5])
            parts[5] = (
                _flip_case_at(parts[5], start, ch) or _flip_case_at(parts[5], 0, ch) or parts[5]
            )
        elif how == "resource-char" and parts[5]:
            i = ch.integer(_name_start(parts[2], parts[5]) % len(parts[5]), len(parts[5]) - 1)
            parts[5] = parts[5][:i] + ch.fill("char") + parts[5][i + 1 :]
        elif how == "account":
            parts[4] = ch.draw(_account)
        elif how == "region":
            parts[3] = ch.pick(_REGIONS)
        resource = ":".join(parts)
    elif how == "role-path":
        parts = resource.split(":", 5)
        role_name = parts[5].rsplit("/", 1)[-1]
        parts[5] = (
            "role"
            + ch.pick(("/", "/service-role/", "/other/", "/service-role/nested/"))
            + role_name
        )
        resource = ":".join(parts)
    elif how == "drop-key":
        context = dict(context)
        del context[ch.pick(sorted(context))]
    elif how == "change-value":
        context = dict(context)
        key = ch.pick(sorted(context))
        context[key] = ch.draw(context_values(key))
    return Request(action, resource, context)


def requests_denied_by(
    role: Any, *, service: str | None = None, explicit: bool | None = None
) -> st.SearchStrategy[Request]:
    """Requests ``role`` does not allow.

    Three constructions, mixed: an allowed request (from :func:`requests_allowed_by`) changed
    in one of the ways that matter to IAM (the case of a letter of the resource, the role's
    path in a PassRole ARN, a context value changed or dropped, such as a wrong
    ``iam:PassedToService`` or a missing tag, another service or action, another account,
    region or resource); a request outside every Allow statement's action or resource
    patterns; and a request built to match one of the role's Deny statements.

    Args:
        role: a catalog role name or alias, a :class:`drpolicy.Role`, or a principal of a
            loaded account.
        service: only actions of this service (perturbations may still change the service).
        explicit: ``True``: only requests an explicit Deny refuses; ``False``: only implicit
            denials; ``None``: both.

    Raises:
        InvalidArgument: ``explicit=True`` and the role has no constructible Deny statement.
    """
    _check_service(service)
    subject = _Subject(role)
    wanted: tuple[str, ...] = (
        ("ExplicitlyDenied",)
        if explicit is True
        else ("ImplicitlyDenied",)
        if explicit is False
        else ("ExplicitlyDenied", "ImplicitlyDenied")
    )

    def accept(r: Request) -> bool:
        return subject.decision(r) in wanted

    parts: list[st.SearchStrategy[Request]] = []
    deny_plans = _plans(subject, deny=True, service=service)
    if deny_plans:
        parts.append(_constructed(subject, deny_plans, service, avoid_denies=False, accept=accept))
    elif explicit is True:
        raise InvalidArgument(f"`{subject.name}` has no Deny statement to construct requests from")
    if explicit is not True:
        allow_plans = _plans(subject, deny=False, service=None)
        if allow_plans:
            allowed = _constructed(
                subject, allow_plans, None, avoid_denies=True, accept=subject.allows
            )

            @st.composite
            def perturbed(draw: st.DrawFn) -> Request:
                ch = _Chooser(draw)
                base = draw(allowed)
                for _ in range(5):
                    candidate = _perturb(base, ch.pick(_perturbations(base)), ch, subject)
                    if (service is None or candidate.action.startswith(service + ":")) and accept(
                        candidate
                    ):
                        return candidate
                reject()

            parts += [perturbed(), perturbed()]
        allow_stmts = subject.allows_stmts

        @st.composite
        def outside(draw: st.DrawFn) -> Request:
            ch = _Chooser(draw)
            for _ in range(5):
                action = _vocabulary_action(ch, service)
                low = action.lower()
                applicable = [s for s in allow_stmts if s.action_applies(low)]
                resource = ch.draw(resources_for(action))
                if any(
                    _resource_applies(s, resource, subject.base) is not False for s in applicable
                ):
                    continue
                request = Request(action, resource, {})
                if accept(request):
                    return request
            reject()

        parts.append(outside())
    return st.one_of(parts)
