"""Load policies and whole accounts from where people keep them.

* :func:`load_policy_file`: one policy document from a JSON file (also the saved output of
  ``aws iam get-policy-version`` or ``aws iam get-role-policy``/``get-user-policy``/
  ``get-group-policy``).
* :func:`load_policy_dir`: every ``*.json`` file of a folder, by file stem.
* :func:`load_account`: the output of ``aws iam get-account-authorization-details``: users,
  groups, roles, their inline and attached managed policies, permissions boundaries and trust
  policies, as an :class:`Account` whose roles are ordinary :class:`~drpolicy.Role` objects and
  whose users are :class:`User` objects, both answering ``is_allowed``/``evaluate``.

A mapping of policy name to document needs no loader: pass it to
:meth:`drpolicy.Role.from_policies` or :meth:`User.from_policies`.

Everything that goes wrong while loading raises :class:`~drpolicy.errors.LoaderError`, whose
``source`` names the file or the entry of the export (``RoleDetailList[3].RolePolicyList[0]
.PolicyDocument``); when a policy document is malformed, the
:class:`~drpolicy.errors.PolicyParseError` listing every problem is the error's ``__cause__``
and its text is part of the message.

>>> account = load_account({"RoleDetailList": [{
...     "RoleName": "reader", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/reader",
...     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
...         "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
...     "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17",
...         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
...                        "Resource": "arn:aws:s3:::data/*"}]}}]}]})
>>> account.role("reader").is_allowed("s3:GetObject", "arn:aws:s3:::data/x.csv")
True
"""

from __future__ import annotations

import json
import os
import re
import types
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeVar, get_args

import attrs

from drpolicy.errors import CatalogError, LoaderError, PolicyParseError, RequestError
from drpolicy.evaluator import (
    PolicyIndex,
)
from drpolicy.model import Policy, PolicyType
from drpolicy.parser import _type_name, parse_policy
from drpolicy.principals import Principal

if TYPE_CHECKING:
    from drpolicy._whatcan import AllowedAction, PrincipalAccess
from drpolicy.roles import (
    DEFAULT_ACCOUNT_ID,
    Role,
    _check_identity_args,
    _Identity,
    _parse_boundary,
    _parse_identity_policies,
)

__all__ = [
    "Account",
    "Group",
    "MissingManaged",
    "User",
    "load_account",
    "load_policy_dir",
    "load_policy_file",
]


def __dir__() -> list[str]:
    return __all__


MissingManaged = Literal["error", "ignore"]
"""What :func:`load_account` does with a managed policy that an entity attaches but the
export's ``Policies`` list does not contain: raise (``"error"``, the default) or skip it and
record a warning on :attr:`Account.warnings` (``"ignore"``)."""

_EXPORT_LISTS: Final = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_IAM_ARN: Final = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}|aws):"
    r"(?P<kind>role|user|group|policy)(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]+)"
)
_NAME: Final = re.compile(r"[\w+=,.@-]{1,128}")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_PATH: Final = re.compile(r"/(?:[\x21-\x7e]*/)?")

PolicySource = Any  # JSON text, bytes, a mapping or a Policy


# --------------------------------------------------------------------------------------
# Policy files and folders
# --------------------------------------------------------------------------------------


def load_policy_file(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    policy_type: PolicyType | None = None,
) -> Policy:
    """Load one policy document from a JSON file.

    The file holds a policy document, or what ``aws iam get-policy-version`` (the
    ``PolicyVersion.Document``) or ``aws iam get-role-policy`` / ``get-user-policy`` /
    ``get-group-policy`` (the ``PolicyDocument``) print; documents may be JSON objects or
    URL-encoded JSON strings, as the raw IAM API returns them.

    Args:
        path: the file.
        name: the name decisions and errors use for the policy; defaults to the file stem
            (``policies/DataLakeRead.json`` -> ``DataLakeRead``).
        policy_type: when given, also check that policy type's structural rules
            (``"identity"``: no ``Principal``; ``"trust"``: a ``Principal`` and no
            ``Resource``; ...).

    Raises:
        LoaderError: the file cannot be read or holds no valid policy; for a malformed
            policy the :class:`~drpolicy.errors.PolicyParseError` is the ``__cause__``.
    """
    file = _as_path(path, "policy file")
    _check_policy_type(policy_type)
    raw = _read(file)
    policy_name = file.stem if name is None else name
    where = str(file)
    source: Any = raw
    try:
        decoded = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        decoded = None  # the parser reports it, with its own message
    if isinstance(decoded, Mapping) and "Statement" not in decoded:
        inner = decoded.get("PolicyVersion")
        if isinstance(inner, Mapping) and "Document" in inner:
            source, where = inner["Document"], f"{file}: PolicyVersion.Document"
        elif "PolicyDocument" in decoded:
            source, where = decoded["PolicyDocument"], f"{file}: PolicyDocument"
    if not isinstance(source, bytes):
        source = _document_source(source, where)
    return _parse(source, policy_name, policy_type, where)


def load_policy_dir(
    path: str | os.PathLike[str], *, policy_type: PolicyType | None = None
) -> dict[str, Policy]:
    """Load every ``*.json`` file of a folder (not its subfolders), in file-name order.

    Args:
        path: the folder.
        policy_type: as for :func:`load_policy_file`, applied to every file.

    Returns:
        A mapping of file stem to policy (each policy is named by its file stem). An empty
        folder gives an empty mapping.

    Raises:
        LoaderError: the folder does not exist or a file cannot be loaded (the first failing
            file, in name order, is reported).
    """
    folder = _as_path(path, "policy folder")
    _check_policy_type(policy_type)
    if not folder.exists():
        raise LoaderError(str(folder), "no such directory")
    if not folder.is_dir():
        raise LoaderError(str(folder), "not a directory (use load_policy_file for one file)")
    try:
        files = sorted(
            (f for f in folder.iterdir() if f.suffix == ".json" and f.is_file()),
            key=lambda f: f.name,
        )
    except OSError as exc:
        raise LoaderError(str(folder), f"cannot list the directory: {exc.strerror}") from None
    return {f.stem: load_policy_file(f, policy_type=policy_type) for f in files}


def _as_path(path: object, what: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        try:
            return Path(os.fspath(path))
        except TypeError:
            pass
    raise LoaderError(what, f"expected a path, not {type(path).__name__}")


def _check_policy_type(policy_type: object) -> None:
    if policy_type is not None and policy_type not in get_args(PolicyType):
        raise LoaderError(
            "policy_type",
            f"unknown policy type `{policy_type}`: expected one of"
            f" {', '.join(get_args(PolicyType))}",
        )


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise LoaderError(str(file), "no such file") from None
    except IsADirectoryError:
        raise LoaderError(str(file), "is a directory (use load_policy_dir for a folder)") from None
    except OSError as exc:
        raise LoaderError(str(file), f"cannot read: {exc.strerror or exc}") from None


def _document_source(value: object, where: str) -> Any:
    """A policy document as the parser takes it: a mapping as is, a string as JSON text,
    URL-decoded first when it is URL-encoded (the raw IAM API's form)."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            return text
        try:
            decoded = urllib.parse.unquote(text, errors="strict")
        except UnicodeDecodeError as exc:
            raise LoaderError(where, f"URL-encoded text that is not UTF-8: {exc.reason}") from None
        if decoded.lstrip().startswith("{"):
            return decoded
        raise LoaderError(where, "a policy document string must be JSON or URL-encoded JSON")
    if value is None:
        raise LoaderError(where, "missing policy document")
    raise LoaderError(where, f"a policy document must be an object or a string, not {_kind(value)}")


def _parse(source: Any, name: str, policy_type: PolicyType | None, where: str) -> Policy:
    try:
        return parse_policy(source, name=name, policy_type=policy_type)
    except PolicyParseError as exc:
        raise LoaderError(where, str(exc)) from exc


def _kind(value: object) -> str:
    """The JSON type of ``value`` with its article, for messages (``an array``)."""
    name = _type_name(value)
    if name in ("boolean", "number", "string"):
        return f"a {name}"
    if name in ("array", "object"):
        return f"an {name}"
    return name


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


def load_account(source: Any, *, missing_managed: MissingManaged = "error") -> Account:
    """Load an account from the output of ``aws iam get-account-authorization-details``.

    Roles are built with :meth:`drpolicy.Role.from_policies` from ``RoleDetailList``: inline
    policies (``RolePolicyList``), attached managed policies (``AttachedManagedPolicies``,
    resolved through the export's ``Policies`` list, default version only), the trust policy
    (``AssumeRolePolicyDocument``, named ``<role>/trust``) and the permissions boundary.
    Users get their own and their groups' policies. Policy documents may be JSON objects (the
    AWS CLI decodes them) or URL-encoded JSON strings (the raw IAM API).

    Args:
        source: a path (``str`` or path-like) to the saved output, that output as JSON text
            or bytes (a ``str`` starting with ``{`` or ``[`` is JSON text), or the decoded
            mapping.
        missing_managed: ``"error"`` (default): a managed policy attached to a user, group or
            role but absent from ``Policies`` (exports made with ``--filter`` leave AWS-managed
            policies out) is a :class:`~drpolicy.errors.LoaderError`. ``"ignore"``: skip it and
            record a warning in :attr:`Account.warnings`; skipping a policy can hide its Deny
            statements. A missing permissions boundary is always an error (ignoring it would
            widen permissions).

    Raises:
        LoaderError: the export cannot be read, is one page of a paginated response, or an
            entry is malformed or refers to something absent; ``source`` names the entry
            (``RoleDetailList[3].RolePolicyList[0].PolicyDocument``) and, for a malformed
            document, the :class:`~drpolicy.errors.PolicyParseError` is the ``__cause__``.
    """
    if missing_managed not in ("error", "ignore"):
        raise LoaderError(
            "missing_managed", f"expected `error` or `ignore`, not `{missing_managed}`"
        )
    data, origin = _read_export(source)
    return _Loader(data, origin, missing_managed).load()


def _read_export(source: Any) -> tuple[Mapping[str, Any], str]:
    if isinstance(source, Mapping):
        return source, "export"
    if isinstance(source, (bytes, bytearray)):
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoaderError("export", f"not UTF-8 text: {exc.reason}") from None
        return _decode_export(text, "export"), "export"
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        return _decode_export(source, "export"), "export"
    if isinstance(source, (str, os.PathLike)):
        file = _as_path(source, "account export")
        raw = _read(file)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoaderError(str(file), f"not UTF-8 text: {exc.reason}") from None
        return _decode_export(text, str(file)), str(file)
    raise LoaderError(
        "export",
        "an account export is a path, JSON text or bytes, or a mapping, not"
        f" {type(source).__name__}",
    )


def _decode_export(text: str, origin: str) -> Mapping[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoaderError(
            origin, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise LoaderError(origin, "malformed JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise LoaderError(origin, f"unreadable JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise LoaderError(
            origin,
            "an account export is a JSON object with UserDetailList, GroupDetailList,"
            f" RoleDetailList and Policies, not {_kind(data)}",
        )
    return data


class _Loader:
    """One pass over an export: checks every entry and builds the account."""

    def __init__(self, data: Mapping[str, Any], origin: str, missing: MissingManaged) -> None:
        self.data = data
        self.origin = origin
        self.missing = missing
        self.warnings: list[str] = []
        self.account_id: str | None = None
        self.account_from = ""
        self.managed: dict[str, Policy] = {}

    # -- generic checks ------------------------------------------------------------------

    def entries(self, key: str) -> list[tuple[str, Mapping[str, Any]]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise LoaderError(key, f"expected an array, not {_kind(value)}")
        out = []
        for i, entry in enumerate(value):
            where = f"{key}[{i}]"
            if not isinstance(entry, Mapping):
                raise LoaderError(where, f"expected an object, not {_kind(entry)}")
            out.append((where, entry))
        return out

    def sub_entries(
        self, entry: Mapping[str, Any], key: str, where: str
    ) -> list[tuple[str, Mapping[str, Any]]]:
        value = entry.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise LoaderError(f"{where}.{key}", f"expected an array, not {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            path = f"{where}.{key}[{i}]"
            if not isinstance(item, Mapping):
                raise LoaderError(path, f"expected an object, not {_kind(item)}")
            out.append((path, item))
        return out

    @staticmethod
    def string(entry: Mapping[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if value is None:
            raise LoaderError(where, f"missing `{key}`")
        if not isinstance(value, str) or not value:
            raise LoaderError(f"{where}.{key}", f"expected a non-empty string, not {_kind(value)}")
        return value

    def arn(
        self, entry: Mapping[str, Any], where: str, kind: str, name_key: str
    ) -> tuple[str, str, str]:
        """Check ``Arn`` against the entity's name and ``Path``; return (arn, name, path)."""
        name = self.string(entry, name_key, where)
        arn = self.string(entry, "Arn", where)
        m = _IAM_ARN.fullmatch(arn)
        if m is None or m.group("kind") != kind:
            raise LoaderError(f"{where}.Arn", f"`{arn}` is not an IAM {kind} ARN")
        path = entry.get("Path", m.group("path"))
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            raise LoaderError(
                f"{where}.Path", f"invalid path `{path}`: it starts and ends with `/`"
            )
        if m.group("name") != name or m.group("path") != path:
            raise LoaderError(
                f"{where}.Arn",
                f"`{arn}` does not match {name_key} `{name}` and Path `{path}`",
            )
        account = m.group("account")
        if account != "aws":
            self.note_account(account, f"{where}.Arn")
        return arn, name, path

    def note_account(self, account: str, where: str) -> None:
        if self.account_id is None:
            self.account_id, self.account_from = account, where
        elif account != self.account_id:
            raise LoaderError(
                where,
                f"account `{account}` differs from `{self.account_id}` (of {self.account_from}):"
                " an export covers one account",
            )

    @staticmethod
    def unique(seen: dict[str, str], name: str, where: str, what: str) -> None:
        key = name.lower()
        if key in seen:
            raise LoaderError(where, f"duplicate {what} `{name}` (also at {seen[key]})")
        seen[key] = where

    def document(
        self, entry: Mapping[str, Any], key: str, where: str, name: str, policy_type: PolicyType
    ) -> Policy:
        path = f"{where}.{key}"
        if entry.get(key) is None:
            raise LoaderError(where, f"missing `{key}`")
        return _parse(_document_source(entry[key], path), name, policy_type, path)

    # -- managed policies ----------------------------------------------------------------

    def policies(self) -> None:
        seen: dict[str, str] = {}
        for where, entry in self.entries("Policies"):
            arn, name, _ = self.arn(entry, where, "policy", "PolicyName")
            if arn in seen:
                raise LoaderError(where, f"duplicate policy `{arn}` (also at {seen[arn]})")
            seen[arn] = where
            vwhere, version = self.default_version(entry, where)
            self.managed[arn] = self.document(version, "Document", vwhere, name, "identity")

    def default_version(
        self, entry: Mapping[str, Any], where: str
    ) -> tuple[str, Mapping[str, Any]]:
        versions = self.sub_entries(entry, "PolicyVersionList", where)
        if not versions:
            raise LoaderError(f"{where}.PolicyVersionList", "missing or empty: no document to load")
        default_id = entry.get("DefaultVersionId")
        flagged = [(w, v) for w, v in versions if v.get("IsDefaultVersion") is True]
        if default_id is not None:
            if not isinstance(default_id, str):
                raise LoaderError(
                    f"{where}.DefaultVersionId", f"expected a string, not {_kind(default_id)}"
                )
            by_id = [(w, v) for w, v in versions if v.get("VersionId") == default_id]
            if not by_id:
                raise LoaderError(
                    f"{where}.PolicyVersionList",
                    f"no version `{default_id}` (the DefaultVersionId)",
                )
            if len(by_id) > 1:
                raise LoaderError(
                    f"{where}.PolicyVersionList", f"version `{default_id}` appears twice"
                )
            if flagged and [w for w, _ in flagged] != [by_id[0][0]]:
                marked = ", ".join(f"`{v.get('VersionId')}`" for _, v in flagged)
                raise LoaderError(
                    f"{where}.PolicyVersionList",
                    f"DefaultVersionId is `{default_id}` but IsDefaultVersion marks {marked}",
                )
            return by_id[0]
        if len(flagged) != 1:
            what = "no version is" if not flagged else "several versions are"
            raise LoaderError(
                f"{where}.PolicyVersionList",
                f"{what} marked IsDefaultVersion and there is no DefaultVersionId",
            )
        return flagged[0]

    def attached(
        self, entry: Mapping[str, Any], where: str, owner: str
    ) -> list[tuple[str, Policy]]:
        out = []
        for path, item in self.sub_entries(entry, "AttachedManagedPolicies", where):
            arn = self.string(item, "PolicyArn", path)
            policy = self.managed.get(arn)
            if policy is None:
                message = (
                    f"managed policy `{arn}` attached to {owner} is not in the export's"
                    " Policies list"
                )
                if self.missing == "error":
                    raise LoaderError(
                        f"{path}.PolicyArn",
                        f"{message} (exports made with --filter leave policies out; pass"
                        " missing_managed=\"ignore\" to skip it)",
                    )
                self.warnings.append(
                    f"{path}.PolicyArn: {message}: skipped (its statements, including any"
                    " Deny, are not evaluated)"
                )
                continue
            out.append((arn, policy))
        return out

    def boundary(self, entry: Mapping[str, Any], where: str, owner: str) -> Policy | None:
        value = entry.get("PermissionsBoundary")
        if value is None:
            return None
        path = f"{where}.PermissionsBoundary"
        if not isinstance(value, Mapping):
            raise LoaderError(path, f"expected an object, not {_kind(value)}")
        arn = self.string(value, "PermissionsBoundaryArn", path)
        policy = self.managed.get(arn)
        if policy is None:
            raise LoaderError(
                f"{path}.PermissionsBoundaryArn",
                f"the permissions boundary `{arn}` of {owner} is not in the export's Policies"
                " list (a boundary cannot be skipped: that would widen permissions)",
            )
        return policy

    def inline(
        self, entry: Mapping[str, Any], key: str, where: str
    ) -> list[Policy]:
        out = []
        seen: dict[str, str] = {}
        for path, item in self.sub_entries(entry, key, where):
            name = self.string(item, "PolicyName", path)
            if not _NAME.fullmatch(name):
                raise LoaderError(f"{path}.PolicyName", f"invalid policy name `{name}`")
            self.unique(seen, name, path, "inline policy")
            out.append(self.document(item, "PolicyDocument", path, name, "identity"))
        return out

    # -- entities ------------------------------------------------------------------------

    def groups(self) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        seen: dict[str, str] = {}
        for where, entry in self.entries("GroupDetailList"):
            arn, name, path = self.arn(entry, where, "group", "GroupName")
            self.unique(seen, name, where, "group")
            origins: dict[str, str] = {}
            policies = _Named(origins)
            for p in self.inline(entry, "GroupPolicyList", where):
                policies.add(p, "inline", p.name)
            for parn, p in self.attached(entry, where, f"group `{name}`"):
                policies.add(p, f"managed {parn}", parn, key=parn)
            groups[name] = Group(name, arn, path, policies.done(), types.MappingProxyType(origins))
        return groups

    def users(self, groups: Mapping[str, Group]) -> dict[str, User]:
        users: dict[str, User] = {}
        seen: dict[str, str] = {}
        for where, entry in self.entries("UserDetailList"):
            arn, name, path = self.arn(entry, where, "user", "UserName")
            self.unique(seen, name, where, "user")
            origins: dict[str, str] = {}
            policies = _Named(origins)
            for p in self.inline(entry, "UserPolicyList", where):
                policies.add(p, "inline", p.name)
            for parn, p in self.attached(entry, where, f"user `{name}`"):
                policies.add(p, f"managed {parn}", parn, key=parn)
            member_of = self.group_list(entry, where, groups)
            for gname in member_of:
                group = groups[gname]
                for p in group.policies:
                    origin = group.policy_origins[p.name]
                    if origin == "inline":
                        policies.add(p, f"group {gname} inline", f"{gname}/{p.name}")
                    else:
                        parn = origin.removeprefix("managed ")
                        policies.add(p, f"group {gname} {origin}", parn, key=parn)
            boundary = self.boundary(entry, where, f"user `{name}`")
            try:
                users[name] = User(
                    name, arn, path, policies.done(), boundary, tuple(member_of),
                    types.MappingProxyType(origins),
                )
            except (RequestError, PolicyParseError) as exc:  # pragma: no cover - checked above
                raise LoaderError(where, str(exc)) from exc
        return users

    def group_list(
        self, entry: Mapping[str, Any], where: str, groups: Mapping[str, Group]
    ) -> list[str]:
        value = entry.get("GroupList")
        if value is None:
            return []
        if not isinstance(value, list):
            raise LoaderError(f"{where}.GroupList", f"expected an array, not {_kind(value)}")
        out: list[str] = []
        for i, gname in enumerate(value):
            path = f"{where}.GroupList[{i}]"
            if not isinstance(gname, str):
                raise LoaderError(path, f"expected a group name, not {_kind(gname)}")
            if gname not in groups:
                raise LoaderError(
                    path, f"group `{gname}` is not in the export's GroupDetailList"
                    f" (known groups: {_listing(groups)})",
                )
            if gname not in out:
                out.append(gname)
        return out

    def roles(self) -> dict[str, Role]:
        roles: dict[str, Role] = {}
        seen: dict[str, str] = {}
        for where, entry in self.entries("RoleDetailList"):
            arn, name, path = self.arn(entry, where, "role", "RoleName")
            self.unique(seen, name, where, "role")
            if not arn.startswith("arn:aws:"):
                raise LoaderError(
                    f"{where}.Arn", f"`{arn}`: roles outside the `aws` partition are not supported"
                )
            origins: dict[str, str] = {}
            policies = _Named(origins)
            for p in self.inline(entry, "RolePolicyList", where):
                policies.add(p, "inline", p.name)
            for parn, p in self.attached(entry, where, f"role `{name}`"):
                policies.add(p, f"managed {parn}", parn, key=parn)
            trust = self.document(
                entry, "AssumeRolePolicyDocument", where, f"{name}/trust", "trust"
            )
            boundary = self.boundary(entry, where, f"role `{name}`")
            description = entry.get("Description", "")
            try:
                roles[name] = Role.from_policies(
                    name,
                    {p.name: p for p in policies.done()},
                    trust_policy=trust,
                    permission_boundary=boundary,
                    account_id=arn.split(":")[4],
                    path=path,
                    description=description if isinstance(description, str) else "",
                )
            except (RequestError, PolicyParseError) as exc:
                raise LoaderError(where, str(exc)) from exc
        return roles

    def load(self) -> Account:
        data = self.data
        if not any(key in data for key in _EXPORT_LISTS):
            hint = (
                ": this looks like a policy document (use load_policy_file)"
                if "Statement" in data else ""
            )
            raise LoaderError(
                self.origin,
                "not an `aws iam get-account-authorization-details` export: none of"
                f" {', '.join(_EXPORT_LISTS)} is present{hint}",
            )
        if data.get("IsTruncated") is True:
            raise LoaderError(
                "IsTruncated",
                "the export is one page of a paginated response: fetch every page (the AWS CLI"
                " does unless --max-items or --no-paginate is given) and load the whole output",
            )
        if data.get("NextToken") is not None:
            raise LoaderError(
                "NextToken",
                "the export is one page of a paginated response (made with --max-items): run the"
                " command again without --max-items",
            )
        self.policies()
        groups = self.groups()
        users = self.users(groups)
        roles = self.roles()
        if self.account_id is None:
            raise LoaderError(
                self.origin,
                "the export names no user, group, role or customer-managed policy: cannot tell"
                " the account ID",
            )
        return Account(
            self.account_id,
            types.MappingProxyType(roles),
            types.MappingProxyType(users),
            types.MappingProxyType(groups),
            types.MappingProxyType(dict(self.managed)),
            tuple(self.warnings),
        )


class _Named:
    """Collects one principal's policies: a managed policy once, names kept unique."""

    def __init__(self, origins: dict[str, str]) -> None:
        self.origins = origins
        self.policies: list[Policy] = []
        self.keys: set[str] = set()

    def add(self, policy: Policy, origin: str, fallback: str, *, key: str | None = None) -> None:
        if key is not None:
            if key in self.keys:
                return  # the same managed policy attached twice (user and group): once
            self.keys.add(key)
        name = policy.name
        if name in self.origins:
            name = fallback
            policy = Policy(name, policy.statements, policy.version, policy.id)
        self.origins[name] = origin
        self.policies.append(policy)

    def done(self) -> tuple[Policy, ...]:
        return tuple(self.policies)
