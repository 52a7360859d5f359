"""The entities of a loaded account: :class:`Account`, :class:`User` and :class:`Group`
(re-exported and documented by :mod:`drpolicy.loaders`), and looking them up by name or ARN."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from drpolicy.errors import CatalogError
from drpolicy.evaluator import PolicyIndex
from drpolicy.model import Policy
from drpolicy.principals import Principal
from drpolicy.roles import (
    DEFAULT_ACCOUNT_ID,
    Role,
    _check_identity_args,
    _Identity,
    _parse_boundary,
    _parse_identity_policies,
)

if TYPE_CHECKING:
    from drpolicy._whatcan import AllowedAction, PrincipalAccess

__all__ = ["Account", "Group", "User"]

PolicySource = Any  # JSON text, bytes, a mapping or a Policy


# --------------------------------------------------------------------------------------
# Users and groups
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True, eq=False, repr=False)
class Group:
    """An IAM group of a loaded account. Groups are not principals: their policies apply to
    their members (see :attr:`User.policies`).

    Attributes:
        name: the group name.
        arn: the group ARN, path included.
        path: the group path (``/`` or ``/audit/``).
        policies: the inline policies, then the attached managed policies.
        policy_origins: for each policy name, ``"inline"`` or ``"managed <ARN>"``.
    """

    name: str
    arn: str
    path: str
    policies: tuple[Policy, ...]
    policy_origins: Mapping[str, str] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"<Group {self.name} {self.arn} ({len(self.policies)} policies)>"


@attrs.frozen(slots=True, eq=False, repr=False)
class User(_Identity):
    """An IAM user: its identity policies (its own and its groups') and permissions boundary.

    Users answer :meth:`is_allowed` and :meth:`evaluate` with the same semantics as
    :class:`~drpolicy.Role`: the identity policies decide within the permissions boundary, in
    the user's own account, without resource policies. Users compare and hash by identity.

    Attributes:
        name: the user name.
        arn: the user ARN, path included.
        path: the user path.
        policies: every identity policy that applies: the user's inline policies, its attached
            managed policies, then for each group (in :attr:`groups` order) the group's inline
            and attached managed policies. A managed policy attached more than once is
            counted once. Each keeps its own name (the inline policy name or the managed
            policy name); when two would share a name, a group's inline policy is called
            ``<group>/<policy>`` and a managed policy by its ARN (IAM names cannot contain
            ``/``, so these never clash).
        permission_boundary: the permissions boundary, or ``None``.
        groups: the names of the groups the user belongs to.
        policy_origins: for each policy name, where it comes from: ``"inline"``,
            ``"managed <ARN>"``, ``"group <name> inline"`` or ``"group <name> managed <ARN>"``.
    """

    name: str
    arn: str
    path: str
    policies: tuple[Policy, ...]
    permission_boundary: Policy | None = None
    groups: tuple[str, ...] = ()
    policy_origins: Mapping[str, str] = attrs.field(factory=dict)
    _identity: PolicyIndex = attrs.field(init=False)
    _boundary: PolicyIndex | None = attrs.field(init=False)
    _principal: Principal = attrs.field(init=False)
    _base_context: dict[str, tuple[str, ...]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._compile_identity("user")

    def __repr__(self) -> str:
        return f"<User {self.name} {self.arn} ({len(self.policies)} policies)>"

    @classmethod
    def from_policies(
        cls,
        name: str,
        policies: Iterable[PolicySource] | Mapping[str, PolicySource],
        *,
        permission_boundary: PolicySource | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        path: str = "/",
        groups: Sequence[str] = (),
    ) -> User:
        """Build a user from your own policy documents (as :meth:`drpolicy.Role.from_policies`).

        Args:
            name: the user name.
            policies: a mapping of policy name to document, or an iterable of documents
                (named ``<name>/policy-<i>`` unless they are :class:`~drpolicy.Policy`
                objects). Put the user's groups' policies here too.
            permission_boundary: the permissions boundary document, if any.
            account_id: the 12-digit account the user lives in.
            path: the user path.
            groups: the names of the user's groups (informational).

        Raises:
            PolicyParseError: a document is malformed or is not a valid identity policy.
            RequestError: a bad name, account ID or path.

        >>> u = User.from_policies("alice", {"home": {"Version": "2012-10-17",
        ...     "Statement": [{"Effect": "Allow", "Action": "s3:*",
        ...                    "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}},
        ...     account_id="111122223333")
        >>> u.is_allowed("s3:PutObject", "arn:aws:s3:::home/alice/notes.txt")
        True
        >>> u.is_allowed("s3:PutObject", "arn:aws:s3:::home/bob/notes.txt")
        False
        """
        _check_identity_args("user", name, account_id, path)
        parsed = _parse_identity_policies(name, policies)
        boundary = _parse_boundary(name, permission_boundary)
        arn = f"arn:aws:iam::{account_id}:user{path}{name}"
        origins = {p.name: "inline" for p in parsed}
        return cls(name, arn, path, parsed, boundary, tuple(groups), origins)

    def allowed_actions(
        self,
        resource: str | None = None,
        *,
        service: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[AllowedAction, ...]:
        """Every catalog action this user may perform, as :meth:`drpolicy.Role.allowed_actions`
        answers it for a role (docs/aws-catalog.md).

        Args:
            resource: decide every action on this resource; by default on samples of the
                resources the granting statements name.
            service: only this service prefix's actions.
            context: request context keys, as for :meth:`evaluate`.
        """
        from drpolicy._whatcan import allowed_actions

        return allowed_actions(self, resource, service=service, context=context)


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True, eq=False, repr=False)
class Account:
    """An AWS account loaded from ``aws iam get-account-authorization-details``.

    Attributes:
        account_id: the 12-digit account ID (read from the entities' ARNs).
        roles: role name -> :class:`~drpolicy.Role`, in export order.
        users: user name -> :class:`User`, in export order.
        groups: group name -> :class:`Group`, in export order.
        managed_policies: policy ARN -> the default version of every managed policy in the
            export (customer-managed and AWS-managed), named by its policy name.
        warnings: what was skipped with ``missing_managed="ignore"`` (empty otherwise).
    """

    account_id: str
    roles: Mapping[str, Role]
    users: Mapping[str, User]
    groups: Mapping[str, Group]
    managed_policies: Mapping[str, Policy]
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"<Account {self.account_id}: {len(self.roles)} roles, {len(self.users)} users,"
            f" {len(self.groups)} groups, {len(self.managed_policies)} managed policies>"
        )

    def who_can(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: Any = None,
    ) -> tuple[PrincipalAccess, ...]:
        """Every role and user of this account that may perform ``action`` on ``resource``,
        each with the deciding statements and the conditions the grant still depends on
        (docs/aws-catalog.md).

        Args:
            action: ``service:ActionName``.
            resource: the resource ARN; ``*`` with ``sts:AssumeRole`` or ``iam:PassRole``
                asks about every role of the account.
            context: request context keys.
            resource_policy: the resource's policy (bucket policy, ...), decided with
                :func:`drpolicy.authorize`; for ``sts:AssumeRole`` on a role of the account
                its trust policy is used by default.
        """
        from drpolicy._whatcan import who_can

        return who_can(self, action, resource, context=context, resource_policy=resource_policy)

    def role(self, name_or_arn: str) -> Role:
        """A role by name (exact, else case-insensitive, as IAM names are) or ARN.

        Raises:
            CatalogError: no such role; the message lists the account's roles.
        """
        found = _find(self.roles, name_or_arn)
        if found is None:
            raise self._not_a(name_or_arn, "role", self.roles)
        return found

    def user(self, name_or_arn: str) -> User:
        """A user by name (exact, else case-insensitive) or ARN.

        Raises:
            CatalogError: no such user; the message lists the account's users.
        """
        found = _find(self.users, name_or_arn)
        if found is None:
            raise self._not_a(name_or_arn, "user", self.users)
        return found

    def _not_a(self, name_or_arn: str, kind: str, entities: Mapping[str, Any]) -> CatalogError:
        """The error for an unknown ``kind``; it says so when the name is another kind."""
        for other, found in (("role", self.roles), ("user", self.users),
                             ("group", self.groups)):
            if other != kind and _find(found, name_or_arn) is not None:
                return _lookup_error(
                    name_or_arn,
                    tuple(entities),
                    f"`{name_or_arn}` is a {other} in account {self.account_id}, not a {kind}",
                )
        return _unknown(name_or_arn, kind, self.account_id, entities)

    def group(self, name_or_arn: str) -> Group:
        """A group by name (exact, else case-insensitive) or ARN.

        Raises:
            CatalogError: no such group; the message lists the account's groups.
        """
        found = _find(self.groups, name_or_arn)
        if found is None:
            raise self._not_a(name_or_arn, "group", self.groups)
        return found

    def principal(self, name_or_arn: str) -> Role | User:
        """A role or a user, by name or ARN.

        Raises:
            CatalogError: no such role or user, or a bare name that is both a role and a user
                (pass the ARN then).
        """
        role = _find(self.roles, name_or_arn)
        user = _find(self.users, name_or_arn)
        if role is not None and user is not None:
            raise _lookup_error(
                name_or_arn,
                (role.arn, user.arn),
                f"`{name_or_arn}` is both a role and a user in account {self.account_id}:"
                f" pass the ARN ({role.arn} or {user.arn})",
            )
        if role is not None:
            return role
        if user is not None:
            return user
        group = _find(self.groups, name_or_arn)
        if group is not None:
            members = [u.name for u in self.users.values() if group.name in u.groups]
            raise _lookup_error(
                name_or_arn,
                tuple(members),
                f"`{name_or_arn}` is a group in account {self.account_id}, not a role or user:"
                " groups make no requests, their policies apply to their members"
                + (f" (ask about one of them: {', '.join(members)})" if members
                   else " (it has none)"),
            )
        raise _lookup_error(
            name_or_arn,
            (*self.roles, *self.users),
            f"unknown role or user `{name_or_arn}` in account {self.account_id}: known roles"
            f" are {_listing(self.roles)}; known users are {_listing(self.users)}",
        )


class _HasArn(Protocol):
    @property
    def arn(self) -> str: ...


_E = TypeVar("_E", bound=_HasArn)


def _find(entities: Mapping[str, _E], key: object) -> _E | None:
    if not isinstance(key, str):
        return None
    if key in entities:
        return entities[key]
    if key.startswith("arn:"):
        for entity in entities.values():
            if entity.arn == key:
                return entity
        return None
    lowered = key.lower()
    for name, entity in entities.items():
        if name.lower() == lowered:
            return entity
    return None


def _listing(entities: Mapping[str, Any]) -> str:
    return ", ".join(entities) if entities else "(none)"


def _unknown(key: object, kind: str, account_id: str, entities: Mapping[str, Any]) -> CatalogError:
    return _lookup_error(
        key,
        tuple(entities),
        f"unknown {kind} `{key}` in account {account_id}: known {kind}s are {_listing(entities)}",
    )


def _lookup_error(key: object, known: Sequence[str], message: str) -> CatalogError:
    """A :class:`CatalogError` (``name``, ``known``) with a message about a loaded account."""
    err = CatalogError(key, known)
    err.args = (message,)
    return err
