"""The module-level entry points re-exported by :mod:`drpolicy` (private module)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from drpolicy._cache import WINDOW, BoundedMemo, DecisionCache, freeze_context
from drpolicy._requests import valid_actions
from drpolicy.catalog import load_role
from drpolicy.errors import RequestError
from drpolicy.evaluator import (
    MUST_GRANT_SERVICES,
    CompiledPolicy,
    CtxArg,
    LazyContext,
    PolicyIndex,
    PolicySets,
    _callers,
    check_action,
    check_context,
    check_resource,
    compile_policy,
    decide,
    decide_identity,
    policy_must_grant,
    resource_policy_required,
)
from drpolicy.evaluator import (
    caller_of as _caller,
)
from drpolicy.model import Decision, Policy, PolicyType
from drpolicy.principals import Principal
from drpolicy.roles import DEFAULT_ACCOUNT_ID, Role

__all__ = [
    "authorize",
    "can_assume",
    "decision_cache",
    "evaluate",
    "is_allowed",
    "role",
]

decision_cache = DecisionCache()
"""The bounded cache behind :func:`is_allowed`; set ``decision_cache.maxsize = 0`` to turn it
off. It reviews its hit rate every 1,024 lookups and, below one hit in four, answers the next
64,512 requests without looking (``decision_cache.bypassing``), so distinct traffic does not
pay for a cache that never hits."""


def role(name: str | Role, *, account_id: str = DEFAULT_ACCOUNT_ID) -> Role:
    """Resolve a catalog name or alias to a compiled :class:`Role` (a Role is returned as is).

    Args:
        name: ``AWSDeepRacerServiceRole``, ``deepracer``, ... or a :class:`Role`.
        account_id: the account catalog roles should live in.

    Raises:
        CatalogError: unknown name; the message lists the known ones.
    """
    if isinstance(name, Role):
        return name
    return load_role(name, account_id)


def _subject(role: object) -> Any:
    """A catalog name resolves through the catalog; a :class:`Role` (or a loaded account's
    user, or anything with the same ``is_allowed``/``evaluate`` methods) is used as is."""
    if isinstance(role, str):
        return load_role(role)
    if isinstance(role, Role) or (
        callable(getattr(role, "is_allowed", None)) and callable(getattr(role, "evaluate", None))
    ):
        return role
    raise RequestError(
        f"a role is a catalog name or a drpolicy.Role, not {type(role).__name__}"
    )


def is_allowed(
    role: str | Role,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a session of ``role`` may perform ``action`` on ``resource``.

    The role's identity policies and permissions boundary decide (explicit Deny wins, then
    Allow, else implicit deny), in the role's own account; resource policies and SCPs are
    :func:`authorize`'s business. Answers are cached (see :data:`decision_cache`; the cache
    steps aside on its own while it hardly ever hits).

    Args:
        role: a catalog role name or alias, or a :class:`Role`.
        action: ``service:ActionName`` (case-insensitive).
        resource: the resource ARN (case-sensitive resource part), or ``*`` for actions that
            do not support resource-level permissions.
        context: request context keys; each value a string or a list of strings.

    Raises:
        CatalogError: unknown role name.
        RequestError: malformed action, resource or context.

    >>> is_allowed("AWSDeepRacerServiceRole", "s3:GetObject",
    ...            "arn:aws:s3:::deepracer-models/model.tar.gz")
    True
    >>> is_allowed("sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/Any",
    ...            context={"iam:PassedToService": "robomaker.amazonaws.com"})
    False
    """
    cache = decision_cache
    if cache._skip:  # the cache stepped aside: distinct traffic (see drpolicy._cache)
        cache._skip -= 1
        if type(role) is Role:
            return role.is_allowed(action, resource, context)
        return bool(_subject(role).is_allowed(action, resource, context))
    maxsize = cache._maxsize
    if not maxsize:
        return bool(_subject(role).is_allowed(action, resource, context))
    data = cache._data
    key: Any
    if context is None:
        key = (role, action, resource)
        try:
            hit = data.get(key)
        except TypeError:  # unhashable input: let validation report it
            key = hit = None
    else:
        try:
            # (role, action, resource, *context items): cheap to build and hash; a list value
            # makes it unhashable, and then freeze_context turns lists into tuples
            key = (role, action, resource, *context.items())
            try:
                hit = data.get(key)
            except TypeError:
                key = (role, action, resource, freeze_context(context))
                hit = data.get(key)
        except (TypeError, AttributeError):  # unhashable input: let validation report it
            key = hit = None
    cache._looked += 1
    if hit is not None:
        cache._hits += 1
        return hit
    subject = role if type(role) is Role else _subject(role)
    answer: bool = subject.is_allowed(action, resource, context)
    if key is not None and (context is None or _only_strings(context)):
        # INVARIANT: only string-valued contexts are cached: `1 == True` hash alike but mean
        # "1" and "true", so a key with other values could answer for the wrong request
        if len(data) >= maxsize:
            cache.put(key, answer)  # evicts
        else:
            data[key] = answer
    if cache._looked >= WINDOW:
        cache.review()
    return answer


def _only_strings(context: Mapping[str, Any]) -> bool:
    for value in context.values():
        if type(value) is str:
            continue
        if not isinstance(value, (list, tuple)) or any(type(v) is not str for v in value):
            return False
    return True


def evaluate(
    role: str | Role,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """The full decision for a request by a session of ``role``: outcome, determining
    statements, missing context keys and evaluation errors.

    Same arguments and semantics as :func:`is_allowed` (which it always agrees with).

    >>> d = evaluate("robomaker", "logs:PutLogEvents",
    ...     "arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs"
    ...     ":log-stream:sim-1")
    >>> d.decision, [str(r) for r in d.reasons]
    ('Allowed', ['identity:AWSDeepRacerRoboMakerAccessRolePolicy: Statement[2]'])
    """
    decision: Decision = _subject(role).evaluate(action, resource, context)
    return decision


def can_assume(
    principal: str | Principal,
    role: str | Role,
    context: Mapping[str, Any] | None = None,
    *,
    identity_policies: Sequence[Any] = (),
) -> bool:
    """Whether ``principal`` may call ``sts:AssumeRole`` on ``role``, per the role's trust
    policy.

    Service principals (``sagemaker.amazonaws.com``) need only the trust policy. An IAM
    principal named directly by ARN in the same account needs only the trust policy (and its
    boundary); one admitted through its account, or from another account, also needs an
    identity policy allowing ``sts:AssumeRole`` (pass them as ``identity_policies``).

    >>> can_assume("sagemaker.amazonaws.com", "AWSDeepRacerSageMakerAccessRole")
    True
    >>> can_assume("robomaker.amazonaws.com", "AWSDeepRacerSageMakerAccessRole")
    False
    """
    r = role if isinstance(role, Role) else load_role(role)
    sources = [] if identity_policies is None else _policies(identity_policies, "identity_policies")
    identity = _index(sources, "identity") if sources else None
    return r.assume_decision(principal, context, identity_policies=identity).allowed


def authorize(
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
) -> Decision:
    """Decide a request with every policy type AWS combines.

    Args:
        principal: the caller (see :meth:`Principal.parse`): an IAM/STS ARN, an account ID,
            a service principal, ``"anonymous"``, or a :class:`Principal`.
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys. Keys AWS derives from the principal
            (``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:username``...) are added
            unless given here.
        identity_policies: the caller's identity-based policies (user, its groups, or role).
        resource_policy: the resource's policy (bucket policy, key policy; for an IAM role
            ARN resource, the role's trust policy).
        resource_account: the account that owns the resource; by default the ARN's account
            field, or the caller's account when the ARN has none (S3).
        permission_boundary: the caller's permissions boundary.
        scps: service control policies, one sequence per level from the organization root to
            the account; empty means the account is not in an organization.
        rcps: resource control policies, same shape. They can only deny (AWS's own
            ``RCPFullAWSAccess`` is implicitly attached at every level).
        session_policy: the session policy passed when the session was created.

    Each policy is JSON text, bytes, a mapping, or a parsed/compiled policy.

    Raises:
        PolicyParseError: a policy is malformed or not valid for its place.
        RequestError: a malformed principal, action, resource or context.

    >>> d = authorize("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
    ...     "arn:aws:s3:::shared/report.csv",
    ...     resource_policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ...         "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
    ...         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]})
    >>> d.decision, d.decided_by
    ('Allowed', 'resource')
    """
    # the caller and its identity policies as on the last call with this principal text (a
    # sequence of the same type holding the same or equal entries, every mapping equal to
    # its snapshot): one lookup; else _prelude parses, compiles or finds them in the memos
    plan = _plans.get(principal) if type(principal) is str else None
    held = False
    if plan is not None and type(plan[0]) is type(identity_policies):
        try:
            if plan[0] == identity_policies:
                held = True
                for i, snapshot in plan[1]:
                    if snapshot != identity_policies[i]:
                        held = False
                        break
        except Exception:  # noqa: BLE001 - an entry whose == raises: _prelude says what it is
            held = False
    if held and plan is not None:
        _, _, caller, base, identity_index, simple = plan
    else:
        caller, base, identity_index, simple = _prelude(principal, identity_policies)
    group = None
    if type(action) is not str or (
        # a spelling the identity index has a group for was checked when the group was built
        # (decide_identity is handed the group)
        (identity_index is None or (group := identity_index._groups.get(action)) is None)
        and action not in valid_actions
    ):
        check_action(action)
    # `*` or the usual ARN shape: checked, and its service and account read, by one regex
    # (a valid ARN of another shape takes check_resource's full check and the split below)
    arn = _ARN_PARTS.match(resource) if type(resource) is str else None
    if arn is None:
        check_resource(resource)
    if context is None:
        ctx: CtxArg = base
    elif type(context) is dict:
        if context:
            check_context(context)
            ctx = LazyContext(base, context)
        else:
            ctx = base
    else:
        ctx = _context_arg(base, context, "context")
    if resource_account is None:
        # the ARN's account field (none for S3 and for `*`): the caller's account by default
        owner = arn[2] if arn is not None else (
            None if resource == "*" else resource.split(":", 5)[4]
        )
        resource_account = owner or None
    elif not isinstance(resource_account, str):
        raise RequestError(
            f"`resource_account` must be a string, not {type(resource_account).__name__}"
        )
    # `()` is one object in CPython: the defaults, and any empty tuple, pass the identity test
    no_scps = scps is _NO_LEVELS or (type(scps) is tuple and not scps)
    no_rcps = rcps is _NO_LEVELS or (type(rcps) is tuple and not rcps)
    boundary = (
        None if permission_boundary is None
        else _single(permission_boundary, "permission_boundary", "permission_boundary")
    )
    if (
        identity_index is not None
        and resource_policy is None and session_policy is None and no_scps and no_rcps
        and (resource_account is None or resource_account == caller.account)
        and not (
            resource_policy_required(action, resource) if arn is None
            else arn[1] is not None and policy_must_grant(arn[1], action, resource, arn.end())
        )
    ):
        # only the caller's side, in its own account (the common test-suite call): the
        # identity/boundary path
        return decide_identity(
            identity_index, boundary, caller, action, resource, ctx, simple=simple, group=group
        )
    is_role = resource.startswith("arn:") and ":iam::" in resource and ":role/" in resource
    resource_type: PolicyType = "trust" if is_role else "resource"
    sets = PolicySets(
        identity=identity_index,
        resource=_single(resource_policy, "resource_policy", resource_type)
        if resource_policy is not None else None,
        resource_type=resource_type,
        boundary=boundary,
        session=_single(session_policy, "session_policy", "session")
        if session_policy is not None else None,
        scps=() if no_scps else tuple(
            _index(_level(level, "scps"), "scp") for level in _levels(scps, "scps")
        ),
        rcps=() if no_rcps else tuple(
            _index(_level(level, "rcps"), "rcp") for level in _levels(rcps, "rcps")
        ),
    )
    return decide(sets, caller, action, resource, ctx, resource_account=resource_account)


_SIMPLE_KINDS = frozenset(("user", "role", "assumed-role"))
# check_resource's fast shape, capturing the service (1) only when it is one whose resources'
# own policy may have to grant (MUST_GRANT_SERVICES: kms, iam), and the account (2); `*`
# matches with neither group set
_ARN_PARTS = re.compile(
    r"\*\Z|arn:[a-z0-9-]+:(?:(" + "|".join(sorted(MUST_GRANT_SERVICES))
    + r")|[a-z0-9-]+):[a-z0-9-]*:([^:]*):",
    re.ASCII,
)


def _prelude(
    principal: object, identity_policies: object
) -> tuple[Principal, dict[str, tuple[str, ...]], PolicyIndex | None, bool]:
    """:func:`authorize`'s caller (parsed, its derived context keys, whether it is an IAM
    user or role session) and identity index when its plan memo did not hold them; remembers
    them as the plan for this principal text (bounded) when the identity policies are a list
    or tuple that :func:`_identity_index` could remember."""
    hit = _callers.get(principal) if type(principal) is str else None
    caller, base = hit if hit is not None else _caller(principal)
    simple = caller.kind in _SIMPLE_KINDS
    entries: object = None
    snapshots: tuple[tuple[int, object], ...] = ()
    index = None
    if identity_policies is not None:
        index, remembered = _identity_index(identity_policies, "identity_policies")
        if remembered is None:  # not a list or tuple, or an entry that cannot be copied
            return caller, base, index, simple
        entries, snapshots = identity_policies[:], remembered  # type: ignore[index]
    if type(principal) is str:
        if len(_plans) >= _MEMO_LIMIT:
            _plans.clear()
        _plans[principal] = (entries, snapshots, caller, base, index, simple)
    return caller, base, index, simple


def _identity_index(
    sources: object, what: str
) -> tuple[PolicyIndex | None, tuple[tuple[int, object], ...] | None]:
    """The index of a sequence of identity policies (``None`` for none), validated as
    :func:`_policies` does, and the ``(position, snapshot)`` of each of its mappings
    (``None`` when the index is not remembered: not a list or tuple, or an entry that cannot
    be copied). A list or tuple is remembered (bounded) by the identities of its entries,
    for as long as every mapping still equals its snapshot (see :func:`_compile`), so an
    edited dict is compiled again; the entry keeps the entries alive, so equal ids mean the
    same objects."""
    if type(sources) is not list and type(sources) is not tuple:
        items = _policies(sources, what)
        return (_index(items, "identity") if items else None), None
    key = tuple(map(id, sources))
    known = _indexes_by_ids.get(key)
    if known is not None and all(snapshot == sources[i] for i, snapshot in known[0]):
        return known[1], known[0]
    items = _policies(sources, what)
    if not items:
        return None, ()
    index = _index(items, "identity")
    found: list[tuple[int, object]] = []
    for i, source in enumerate(items):
        entry = _by_identity.get((id(source), "identity", i))
        if entry is None or entry[0] is not source:
            return index, None  # not memoised (an object that cannot be copied)
        if entry[1] is not None:
            found.append((i, entry[1]))
    mutable = tuple(found)
    if len(_indexes_by_ids) >= _MEMO_LIMIT:
        _indexes_by_ids.clear()
    # INVARIANT: the entry keeps the sources alive (third field), so no other object can
    # take one of their ids while the key is remembered
    _indexes_by_ids[key] = (mutable, index, tuple(sources))
    return index, mutable


class _Typed:
    """A non-string leaf of a policy snapshot: equal only to a value of the same type that
    compares equal (``True``, ``1`` and ``1.0`` are equal in Python but are different policy
    values, and one of them may not parse at all). The snapshot is always the left operand of
    ``==``/``!=``, so the C-level comparison of the containers calls this for these leaves
    only."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        value = self.value
        return type(other) is type(value) and bool(other == value)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def _snapshot(value: object) -> object:
    """A copy of a policy mapping for :func:`_compile`'s change test: dicts, lists and tuples
    copied, strings shared, every other leaf deep-copied inside a :class:`_Typed`.

    Raises:
        Exception: whatever ``copy.deepcopy`` raises for a leaf that cannot be copied.
    """
    if type(value) is str:
        return value
    if type(value) is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    if type(value) is list:
        return [_snapshot(v) for v in value]
    if type(value) is tuple:
        return tuple([_snapshot(v) for v in value])
    return _Typed(copy.deepcopy(value))


def _single(source: object, what: str, policy_type: PolicyType) -> PolicyIndex:
    """The index of one policy (resource, trust, session policy or boundary), remembered
    (bounded) by the object's identity while a mapping still equals the snapshot
    :func:`_compile` took, so an edited dict is compiled again."""
    key = (id(source), policy_type)
    known = _single_indexes.get(key)
    if known is not None and known[0] is source and (known[1] is None or known[1] == source):
        return known[2]
    index = _index([_one(source, what)], policy_type)
    entry = _by_identity.get((id(source), policy_type, 0))
    if entry is not None and entry[0] is source:
        if len(_single_indexes) >= _MEMO_LIMIT:
            _single_indexes.clear()
        # INVARIANT: the entry keeps the source alive, so its id stays its own
        _single_indexes[key] = (source, entry[1], index)
    return index


def _context_arg(
    base: dict[str, tuple[str, ...]], context: object, what: str
) -> CtxArg:
    """The request context over ``base``: validated now, normalised only if a condition reads
    it."""
    if type(context) is not dict and not isinstance(context, Mapping):
        raise RequestError(f"`{what}` must be a mapping, not {type(context).__name__}")
    if not context:
        return base
    check_context(context)
    return LazyContext(base, context)


_POLICY_TYPES = (Policy, CompiledPolicy, str, bytes, dict, Mapping)


def _one(source: object, what: str) -> Any:
    """Check that ``source`` is one policy document.

    Raises:
        RequestError: it is not JSON text, bytes, a mapping or a parsed/compiled policy.
    """
    if not isinstance(source, _POLICY_TYPES):
        raise RequestError(
            f"`{what}` must be a policy (JSON text, bytes, a mapping, a Policy or a"
            f" CompiledPolicy), not {type(source).__name__}"
        )
    return source


def _policies(sources: object, what: str) -> list[Any]:
    """Check that ``sources`` is a sequence of policy documents.

    Raises:
        RequestError: a single document, a non-sequence, or an entry that is not a policy.
    """
    if type(sources) is not tuple and type(sources) is not list and (
        isinstance(sources, _POLICY_TYPES) or not isinstance(sources, Sequence)
    ):
        raise RequestError(
            f"`{what}` is a sequence of policies, not {type(sources).__name__}"
            + ("; wrap a single policy as [policy]" if isinstance(sources, _POLICY_TYPES) else "")
        )
    for i, source in enumerate(sources):
        if not isinstance(source, _POLICY_TYPES):
            _one(source, f"{what}[{i}]")
    return sources if type(sources) is list else list(sources)


def _levels(levels: object, what: str) -> Sequence[Any]:
    if levels == ():
        return ()
    if isinstance(levels, _POLICY_TYPES) or not isinstance(levels, (list, tuple, Sequence)):
        raise RequestError(
            f"`{what}` is a sequence of levels (root first), each a sequence of policies,"
            f" not {type(levels).__name__}"
        )
    return levels


def _level(level: Any, what: str) -> list[Any]:
    if isinstance(level, _POLICY_TYPES):
        raise RequestError(
            f"`{what}` is a sequence of levels (root first), each a sequence of policies;"
            f" wrap a single policy as [[policy]]"
        )
    if not isinstance(level, (list, tuple, Sequence)):
        raise RequestError(
            f"each level of `{what}` is a sequence of policies, not {type(level).__name__}"
        )
    for i, source in enumerate(level):
        if not isinstance(source, _POLICY_TYPES):
            _one(source, f"{what} level entry {i}")
    return list(level)


def _index(sources: Sequence[Any], policy_type: PolicyType) -> PolicyIndex:
    compiled = tuple([_compile(s, policy_type, i) for i, s in enumerate(sources)])
    index = _indexes.get((compiled, policy_type))
    if index is None:
        index = _indexes.put((compiled, policy_type), PolicyIndex(compiled, policy_type))
    return index


# Compiled policies are hashed by identity, so this key costs a tuple of pointers.
_indexes: BoundedMemo[PolicyIndex] = BoundedMemo(256)
# (id(source), policy type, position) -> (source, snapshot or None, compiled)
_by_identity: dict[tuple[int, str, int], tuple[object, object, CompiledPolicy]] = {}
_by_text: BoundedMemo[CompiledPolicy] = BoundedMemo(1024)
# ids of identity policy entries -> ((position, snapshot) of each mapping, index, the entries
# themselves: kept alive so that their ids cannot be reused while the key is remembered)
_indexes_by_ids: dict[
    tuple[int, ...], tuple[tuple[tuple[int, object], ...], PolicyIndex, tuple[object, ...]]
] = {}
# principal text -> authorize's plan for it: (a copy of the identity policies given last,
# of the same type; (position, snapshot) of each mapping; caller; its context keys; identity
# index; whether the caller is an IAM user or role session). The copy keeps the entries alive.
_plans: dict[str, tuple[
    object, tuple[tuple[int, object], ...], Principal, dict[str, tuple[str, ...]],
    PolicyIndex | None, bool,
]] = {}
# (id(policy), policy type) -> (the policy, snapshot of a mapping or None, index)
_single_indexes: dict[tuple[int, str], tuple[object, object, PolicyIndex]] = {}
_MEMO_LIMIT = 1024
_NO_LEVELS: tuple[()] = ()


def _compile(source: Any, policy_type: PolicyType, position: int) -> CompiledPolicy:
    """Compile a policy for ``authorize``, remembering the result (bounded): by identity for
    every object, and also by value for JSON text. A mapping is reused only while it still
    equals the deep copy taken when it was compiled, so a dict edited between two calls is
    compiled again; parsed policies and text are immutable. The copy (:func:`_snapshot`)
    compares its non-string leaves type by type, since ``True == 1 == 1.0`` in Python but
    they parse differently."""
    key = (id(source), policy_type, position)
    entry = _by_identity.get(key)
    if entry is not None and entry[0] is source and (entry[1] is None or entry[1] == source):
        return entry[2]
    name = None if isinstance(source, (Policy, CompiledPolicy)) else f"{policy_type}-{position}"
    snapshot: object = None
    if isinstance(source, (str, bytes)):
        text_key = (source, policy_type, name)
        compiled = _by_text.get(text_key)
        if compiled is None:
            compiled = _by_text.put(text_key, compile_policy(source, policy_type, name=name))
    else:
        compiled = compile_policy(source, policy_type, name=name)
        if not isinstance(source, (Policy, CompiledPolicy)):
            try:
                snapshot = _snapshot(source)
            except Exception:  # noqa: BLE001 - an object that cannot be copied is not memoised
                return compiled
    if len(_by_identity) >= _MEMO_LIMIT:
        _by_identity.clear()
    _by_identity[key] = (source, snapshot, compiled)
    return compiled
