"""Roles: a principal with its permission policies, trust policy and permissions boundary.

A :class:`Role` is what :func:`drpolicy.is_allowed` and friends take where a catalog name
goes. Build one from your own policy documents with :meth:`Role.from_policies`; the built-in
DeepRacer roles come from :mod:`drpolicy.catalog`. A role is compiled when it is created
(a malformed policy fails then, not at the first request) and is immutable afterwards, so one
role object can answer any number of requests from any number of threads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from drpolicy._compiled import gc_paused
from drpolicy._requests import ARN_FAST
from drpolicy.errors import RequestError
from drpolicy.evaluator import (
    ALLOW,
    CompiledPolicy,
    CtxArg,
    LazyContext,
    PolicyIndex,
    PolicySets,
    caller_of,
    check_context,
    check_resource,
    compile_policy,
    decide,
    decide_identity,
    normalise_context,
)
from drpolicy.model import Decision, Policy, PolicyType
from drpolicy.parser import parse_policy
from drpolicy.principals import Principal

if TYPE_CHECKING:
    from drpolicy._whatcan import AllowedAction

__all__ = ["DEFAULT_ACCOUNT_ID", "Role"]


def __dir__() -> list[str]:
    return __all__


DEFAULT_ACCOUNT_ID: Final = "123456789012"
"""The account ID catalog roles live in unless another is asked for (AWS's documentation
placeholder account)."""

_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_ROLE_NAME: Final = re.compile(r"[\w+=,.@-]{1,64}")
_PATH: Final = re.compile(r"/(?:[\x21-\x7e]*/)?")
_PARTITION: Final = re.compile(r"aws(?:-[a-z]+)*")

PolicySource = Any  # JSON text, bytes, a mapping, a Policy or a CompiledPolicy


class _Identity:
    """What roles and users share: identity policies within a permissions boundary, compiled
    once, answering requests in their own account. Subclasses are frozen attrs classes with
    ``policies``, ``permission_boundary`` and ``arn`` and call :meth:`_compile_identity`."""

    __slots__ = ()
    _identity: PolicyIndex
    _boundary: PolicyIndex | None
    _principal: Principal
    _base_context: dict[str, tuple[str, ...]]
    policies: tuple[Policy, ...]
    permission_boundary: Policy | None
    arn: str

    def _compile_identity(self, kind: str) -> None:
        set_ = object.__setattr__
        with gc_paused():
            set_(self, "_identity", PolicyIndex(
                [compile_policy(p, "identity") for p in self.policies], "identity"
            ))
            set_(self, "_boundary", None if self.permission_boundary is None else PolicyIndex(
                [compile_policy(self.permission_boundary, "permission_boundary")],
                "permission_boundary",
            ))
        principal = Principal.parse(self.arn)
        if principal.kind != kind:
            raise RequestError(f"`{self.arn}` is not a {kind} ARN")
        set_(self, "_principal", principal)
        set_(self, "_base_context", principal.context())

    @property
    def account_id(self) -> str:
        """The account the identity lives in."""
        assert self._principal.account is not None
        return self._principal.account

    @property
    def principal(self) -> Principal:
        """This identity (for a role: a session of it) as the caller of a request."""
        return self._principal

    def context_for(self, context: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
        """The request context: what AWS derives from the caller (``aws:PrincipalArn``,
        ``aws:username`` for users...) overlaid with ``context`` (which wins)."""
        if not context:
            if context is not None:
                normalise_context(context)  # a falsy non-mapping is an error
            return self._base_context
        return {**self._base_context, **normalise_context(context)}

    def _lazy_context(self, context: Mapping[str, Any] | None) -> CtxArg:
        """The request context for the engine: validated now, normalised and merged only if
        a condition reads it."""
        if not context:
            if context is not None:
                normalise_context(context)  # a falsy non-mapping is an error
            return self._base_context
        check_context(context)
        return LazyContext(self._base_context, context)

    def is_allowed(
        self, action: str, resource: str, context: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether this identity's own policies allow the request, within its permissions
        boundary (see :func:`drpolicy.is_allowed`).

        Raises:
            RequestError: a malformed action, resource or context.
        """
        if self._boundary is None:
            # the usual request: its action seen before, no condition read (PolicyIndex.decide
            # without the calls)
            try:
                group = self._identity._groups.get(action)
            except TypeError:
                group = None
            if group is not None and group.tests is not None:
                if context is not None:
                    check_context(context)
                if type(resource) is not str or (
                    resource != "*" and ARN_FAST.match(resource) is None
                ):
                    check_resource(resource)
                deny, allow = group.tests
                if deny is not None and deny(resource):
                    return False
                return allow is not None and bool(allow(resource))
        ctx = self._base_context if context is None else self._lazy_context(context)
        check_resource(resource)
        if self._identity.decide(action, resource, ctx) != ALLOW:
            return False
        boundary = self._boundary
        return boundary is None or boundary.decide(action, resource, ctx) == ALLOW

    def evaluate(
        self, action: str, resource: str, context: Mapping[str, Any] | None = None
    ) -> Decision:
        """The full :class:`Decision` for a request by this identity (same arguments as
        :meth:`is_allowed`, which it always agrees with)."""
        ctx = self._base_context if context is None else self._lazy_context(context)
        if type(resource) is not str or (resource != "*" and ARN_FAST.match(resource) is None):
            check_resource(resource)
        return decide_identity(
            self._identity, self._boundary, self._principal, action, resource, ctx,
            simple=self._principal.kind in ("role", "user", "assumed-role"),
        )


def _check_identity_args(
    kind: str, name: object, account_id: object, path: object, partition: object = "aws"
) -> None:
    """Validate the arguments that build an IAM role or user ARN.

    Raises:
        RequestError: a bad name, account ID, path or partition.
    """
    if not isinstance(name, str) or not _ROLE_NAME.fullmatch(name):
        raise RequestError(f"invalid {kind} name `{name}`")
    if not isinstance(account_id, str) or not _ACCOUNT.fullmatch(account_id):
        raise RequestError(f"invalid account ID `{account_id}`: expected 12 digits")
    if not isinstance(partition, str) or not _PARTITION.fullmatch(partition):
        raise RequestError(f"invalid partition `{partition}`")
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise RequestError(f"invalid {kind} path `{path}`: it starts and ends with `/`")


def _parse_identity_policies(
    owner: str, policies: Iterable[PolicySource] | Mapping[str, PolicySource]
) -> tuple[Policy, ...]:
    """Parse the identity policies given to ``Role.from_policies``/``User.from_policies``: a
    mapping of names to documents, or documents (named ``<owner>/policy-<i>`` unless they are
    parsed policies, which keep their names).

    Raises:
        RequestError: ``policies`` is one document or not a collection.
        PolicyParseError: a document is malformed or not an identity policy.
    """
    if isinstance(policies, Mapping) and "Statement" in policies:
        raise RequestError(
            "`policies` looks like one policy document: pass a list of documents"
            " ([document]) or a mapping of policy names to documents"
        )
    if isinstance(policies, Mapping):
        items = [(str(k), v) for k, v in policies.items()]
    elif isinstance(policies, (str, bytes)) or not isinstance(policies, Iterable):
        raise RequestError(
            "`policies` is a mapping of names to documents or a list of documents,"
            f" not {type(policies).__name__}"
        )
    else:
        items = [(_policy_name(v) or f"{owner}/policy-{i}", v) for i, v in enumerate(policies)]
    with gc_paused():
        return tuple(_as_policy(v, "identity", k) for k, v in items)


def _parse_boundary(owner: str, boundary: PolicySource | None) -> Policy | None:
    """Parse a permissions boundary document (named ``<owner>/boundary`` unless parsed)."""
    if boundary is None:
        return None
    return _as_policy(boundary, "permission_boundary", _policy_name(boundary) or f"{owner}/boundary")


@attrs.frozen(slots=True, eq=False, repr=False)
class Role(_Identity):
    """An IAM role: its ARN, permission policies, trust policy and permissions boundary.

    Roles compare and hash by identity (they are compiled objects). Create them with
    :meth:`from_policies` or from the catalog (:func:`drpolicy.role`).

    Attributes:
        name: the role name (``AWSDeepRacerServiceRole``).
        arn: the role ARN, path included.
        policies: the permission (identity-based) policies.
        trust_policy: the trust policy (the role's resource-based policy), or ``None``.
        permission_boundary: the permissions boundary, or ``None``.
        description: free text.
    """

    name: str
    arn: str
    policies: tuple[Policy, ...]
    trust_policy: Policy | None = None
    permission_boundary: Policy | None = None
    description: str = ""
    _identity: PolicyIndex = attrs.field(init=False)
    _boundary: PolicyIndex | None = attrs.field(init=False)
    _trust: PolicyIndex | None = attrs.field(init=False)
    _principal: Principal = attrs.field(init=False)
    _base_context: dict[str, tuple[str, ...]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._compile_identity("role")
        object.__setattr__(self, "_trust", None if self.trust_policy is None else PolicyIndex(
            [compile_policy(self.trust_policy, "trust")], "trust"
        ))

    def __repr__(self) -> str:
        return f"<Role {self.name} {self.arn} ({len(self.policies)} policies)>"

    @classmethod
    def from_policies(
        cls,
        name: str,
        policies: Iterable[PolicySource] | Mapping[str, PolicySource],
        *,
        trust_policy: PolicySource | None = None,
        permission_boundary: PolicySource | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        path: str = "/",
        description: str = "",
        partition: str = "aws",
    ) -> Role:
        """Build a role from your own policy documents.

        Args:
            name: the role name.
            policies: the permission policies: a mapping of policy name to document, or an
                iterable of documents (named ``<name>/policy-<i>`` unless they are
                :class:`Policy` objects, which keep their names). A document is JSON text,
                bytes, a mapping or a :class:`Policy`.
            trust_policy: the trust policy document, if any.
            permission_boundary: the permissions boundary document, if any.
            account_id: the 12-digit account the role lives in.
            path: the role path (``/`` or ``/service-role/``); PassRole matches it.
            description: free text.
            partition: the ARN partition (``aws``, ``aws-cn``, ``aws-us-gov``).

        Raises:
            PolicyParseError: a document is malformed or has elements its type forbids.
            RequestError: a bad name, account ID or path.

        >>> r = Role.from_policies("reader", {"read": {"Version": "2012-10-17",
        ...     "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
        ...                    "Resource": "arn:aws:s3:::data/*"}]}})
        >>> r.is_allowed("s3:GetObject", "arn:aws:s3:::data/x.csv")
        True
        """
        _check_identity_args("role", name, account_id, path, partition)
        parsed = _parse_identity_policies(name, policies)
        trust = None if trust_policy is None else _as_policy(
            trust_policy, "trust", _policy_name(trust_policy) or f"{name}/trust"
        )
        boundary = _parse_boundary(name, permission_boundary)
        arn = f"arn:{partition}:iam::{account_id}:role{path}{name}"
        return cls(name, arn, parsed, trust, boundary, description)

    def allowed_actions(
        self,
        resource: str | None = None,
        *,
        service: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[AllowedAction, ...]:
        """Every catalog action this role may perform (on ``resource``, if given), each with
        the statements that grant it and the conditions it still depends on
        (docs/aws-catalog.md; reads AWS's service authorization data).

        Args:
            resource: decide every action on this resource; by default on samples of the
                resources the granting statements name.
            service: only this service prefix's actions.
            context: request context keys, as for :meth:`evaluate`.

        >>> import drpolicy
        >>> for entry in drpolicy.role("sagemaker").allowed_actions(service="iam"):
        ...     print(entry.action, entry.conditions)
        iam:CreateServiceLinkedRole ('if iam:AWSServiceName like sagemaker.application-autoscaling.amazonaws.com',)
        iam:PassRole ('if iam:PassedToService = sagemaker.amazonaws.com',)
        """
        from drpolicy._whatcan import allowed_actions

        return allowed_actions(self, resource, service=service, context=context)

    def assume_decision(
        self,
        principal: str | Principal,
        context: Mapping[str, Any] | None = None,
        *,
        action: str = "sts:AssumeRole",
        identity_policies: PolicyIndex | None = None,
    ) -> Decision:
        """Whether ``principal`` may assume this role, per its trust policy.

        The trust policy is this role's resource-based policy: it must name the caller (or,
        together with the caller's identity policies, its account).
        """
        caller, base = caller_of(principal)
        ctx: CtxArg = base
        if context is not None:
            if not isinstance(context, Mapping):
                raise RequestError(f"`context` must be a mapping, not {type(context).__name__}")
            if context:
                check_context(context)
                ctx = LazyContext(base, context)
        if not isinstance(action, str):
            raise RequestError(f"`action` must be a string, not {type(action).__name__}")
        sets = PolicySets(identity=identity_policies, resource=self._trust, resource_type="trust")
        return decide(sets, caller, action, self.arn, ctx, resource_account=self.account_id)


def _as_policy(source: PolicySource, policy_type: PolicyType, name: str) -> Policy:
    """Parse and check a document for its place in the role (compiled later, once)."""
    if isinstance(source, CompiledPolicy):
        source = source.policy
    return parse_policy(source, name=name, policy_type=policy_type)


def _policy_name(source: object) -> str | None:
    if isinstance(source, Policy):
        return source.name
    if isinstance(source, CompiledPolicy):
        return source.policy.name
    return None
