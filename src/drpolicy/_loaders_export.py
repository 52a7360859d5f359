"""Loading an account from the output of ``aws iam get-account-authorization-details``
(:func:`load_account`, re-exported and documented by :mod:`drpolicy.loaders`): reading the
export, checking every entry and building the :class:`Account`."""

from __future__ import annotations

import json
import os
import re
import types
from collections.abc import Mapping
from typing import Any, Final, Literal

from drpolicy._loaders_account import Account, Group, User, _listing
from drpolicy._loaders_files import _as_path, _document_source, _kind, _parse, _read
from drpolicy.errors import LoaderError, PolicyParseError, RequestError
from drpolicy.model import Policy, PolicyType
from drpolicy.roles import Role

__all__ = ["MissingManaged", "load_account"]

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
