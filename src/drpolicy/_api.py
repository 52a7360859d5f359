"""The module-level entry points re-exported by :mod:`drpolicy` (private module)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from drpolicy._cache import DecisionCache, freeze_context
from drpolicy.catalog import load_role
from drpolicy.errors import RequestError
from drpolicy.evaluator import (
    CompiledPolicy,
    PolicyIndex,
    PolicySets,
    check_resource,
    compile_policy,
    decide,
    normalise_context,
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
off."""


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
    :func:`authorize`'s business. Answers are cached (see :data:`decision_cache`).

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
    try:
        # (role, action, resource, *context items): cheap to build and hash; a list value
        # makes it unhashable, and then freeze_context turns lists into tuples
        key: Any = (role, action, resource) if context is None else (
            role, action, resource, *context.items()
        )
        try:
            hit = decision_cache.get(key)
        except TypeError:
            key = (role, action, resource, freeze_context(context))  # type: ignore[arg-type]
            hit = decision_cache.get(key)
    except (TypeError, AttributeError):  # unhashable input: let validation report it
        key = hit = None
    if hit is not None:
        return hit
    answer: bool = _subject(role).is_allowed(action, resource, context)
    if key is not None and (context is None or _only_strings(context)):
        # INVARIANT: only string-valued contexts are cached: `1 == True` hash alike but mean
        # "1" and "true", so a key with other values could answer for the wrong request
        decision_cache.put(key, answer)
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
    identity = _index(identity_policies, "identity") if identity_policies else None
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
    caller = Principal.parse(principal)
    check_resource(resource)
    ctx = caller.context()
    ctx.update(normalise_context(context))
    is_role = resource.startswith("arn:") and ":iam::" in resource and ":role/" in resource
    resource_type: PolicyType = "trust" if is_role else "resource"
    sets = PolicySets(
        identity=_index(identity_policies, "identity") if identity_policies else None,
        resource=_index([resource_policy], resource_type) if resource_policy is not None else None,
        resource_type=resource_type,
        boundary=_index([permission_boundary], "permission_boundary")
        if permission_boundary is not None else None,
        session=_index([session_policy], "session") if session_policy is not None else None,
        scps=tuple(_index(_level(level, "scps"), "scp") for level in scps),
        rcps=tuple(_index(_level(level, "rcps"), "rcp") for level in rcps),
    )
    if resource_account is None and resource != "*":
        resource_account = resource.split(":", 5)[4] or None
    return decide(sets, caller, action, resource, ctx, resource_account=resource_account)


def _level(level: Any, what: str) -> Sequence[Any]:
    if isinstance(level, (str, bytes, Mapping, Policy, CompiledPolicy)):
        raise RequestError(
            f"`{what}` is a sequence of levels (root first), each a sequence of policies;"
            f" wrap a single policy as [[policy]]"
        )
    return list(level)


def _index(sources: Sequence[Any], policy_type: PolicyType) -> PolicyIndex:
    compiled = tuple(_compile(s, policy_type, i) for i, s in enumerate(sources))
    return _index_of(compiled, policy_type)


@functools.lru_cache(maxsize=256)
def _index_of(compiled: tuple[CompiledPolicy, ...], policy_type: PolicyType) -> PolicyIndex:
    return PolicyIndex(compiled, policy_type)


def _compile(source: Any, policy_type: PolicyType, position: int) -> CompiledPolicy:
    name = None if isinstance(source, (Policy, CompiledPolicy)) else f"{policy_type}-{position}"
    try:
        return _compile_cached(source, policy_type, name)
    except TypeError:  # an unhashable mapping: compile it afresh
        return compile_policy(source, policy_type, name=name)


@functools.lru_cache(maxsize=1024)
def _compile_cached(source: Any, policy_type: PolicyType, name: str | None) -> CompiledPolicy:
    return compile_policy(source, policy_type, name=name)
