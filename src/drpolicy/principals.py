"""Who makes a request: principals, what AWS derives from them, and Principal matching.

A request's principal is an IAM user, a role (its session), an assumed-role session, a
federated user, an account's root user, an AWS service, a web-identity/SAML federated caller,
or anonymous. :meth:`Principal.parse` reads the usual spellings.

:func:`match_principal` decides whether a ``Principal``/``NotPrincipal`` element names the
caller, and *how* (directly by ARN, through its account, by ``*``...), because AWS's
evaluation logic treats those grants differently (IAM User Guide, "Policy evaluation logic",
same-account table; docs/evaluation.md).
"""

from __future__ import annotations

import re
from typing import Final, Literal

import attrs

from drpolicy.errors import InvalidArnError, RequestError
from drpolicy.model import PrincipalSpec

__all__ = ["MatchKind", "Principal", "PrincipalKind", "match_principal", "not_principal_excludes"]


def __dir__() -> list[str]:
    return __all__


PrincipalKind = Literal[
    "user",
    "role",
    "assumed-role",
    "root",
    "federated-user",
    "service",
    "web-identity",
    "canonical-user",
    "anonymous",
]
"""What kind of caller a :class:`Principal` is."""

MatchKind = Literal[
    "wildcard", "account", "user", "role", "session", "federated-user", "service", "federated", "canonical-user"
]
"""How a Principal element named the caller."""

_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_IAM_ARN: Final = re.compile(
    r"arn:(?P<partition>[a-z0-9-]+):(?P<service>iam|sts)::(?P<account>[0-9]{12}):(?P<rest>.+)", re.DOTALL
)
_SERVICE: Final = re.compile(r"[a-z0-9][a-z0-9.-]*\.(?:amazonaws\.com|amazonaws\.com\.cn|amazon\.com)")

_IAM_KINDS: Final = frozenset({"user", "role", "assumed-role", "root", "federated-user"})

GRANT_STRENGTH: Final[dict[str, int]] = {
    "account": 1,
    "role": 2,
    "wildcard": 3,
    "service": 3,
    "federated": 3,
    "canonical-user": 3,
    "user": 3,
    "federated-user": 4,
    "session": 4,
}
"""How much a resource-policy grant of each kind does on its own in the same account
(docs/evaluation.md): an account grant needs the identity side; a role grant is limited by the
boundary and session policy; ``*`` by the session policy; user/service/... grants suffice; a
grant to the session or federated-user ARN is limited by nothing."""


@attrs.frozen(slots=True)
class Principal:
    """The caller of a request.

    Attributes:
        kind: see :data:`PrincipalKind`.
        arn: the caller's ARN (users, roles, sessions, root, federated users), else ``None``.
        account: the caller's account ID (``None`` for services, web identities, anonymous).
        name: the user name, role name, federated user name, service principal
            (``sagemaker.amazonaws.com``), identity provider, or canonical user ID.
        role_arn: for ``role`` and ``assumed-role``: the role's ARN (for a session parsed from
            its ARN the path is unknown and omitted).
        session: the session name of an ``assumed-role`` principal.
        partition: the ARN partition (``aws``).
    """

    kind: PrincipalKind
    arn: str | None = None
    account: str | None = None
    name: str | None = None
    role_arn: str | None = None
    session: str | None = None
    partition: str = "aws"

    @classmethod
    def parse(cls, value: str | Principal) -> Principal:
        """Read a principal from its usual spelling.

        * ``"anonymous"`` or ``"*"``: an unauthenticated caller;
        * ``"sagemaker.amazonaws.com"``: an AWS service principal;
        * ``"123456789012"`` or ``"arn:aws:iam::123456789012:root"``: the account's root user;
        * ``"arn:aws:iam::123456789012:user/path/name"``: an IAM user;
        * ``"arn:aws:iam::123456789012:role/path/name"``: a session of that role;
        * ``"arn:aws:sts::123456789012:assumed-role/name/session"``: that session;
        * ``"arn:aws:sts::123456789012:federated-user/name"``: a federated user session.

        Raises:
            InvalidArnError: an ARN that is none of the above.
            RequestError: anything else.

        >>> Principal.parse("arn:aws:sts::123456789012:assumed-role/Dev/alice").role_arn
        'arn:aws:iam::123456789012:role/Dev'
        """
        if isinstance(value, Principal):
            return value
        if not isinstance(value, str):
            raise RequestError(f"a principal must be a string, not {type(value).__name__}")
        if value in ("*", "anonymous"):
            return cls("anonymous")
        if _ACCOUNT.fullmatch(value):
            return cls("root", f"arn:aws:iam::{value}:root", value, value)
        if value.startswith("arn:"):
            return cls._parse_arn(value)
        if _SERVICE.fullmatch(value):
            return cls("service", name=value)
        raise RequestError(
            f"`{value}` is not a principal: use an IAM/STS ARN, an account ID, a service"
            " principal such as `sagemaker.amazonaws.com`, or `anonymous`"
        )

    @classmethod
    def _parse_arn(cls, value: str) -> Principal:
        m = _IAM_ARN.fullmatch(value)
        if m is None:
            raise InvalidArnError(value, "not an IAM user, role, root or STS session ARN")
        partition, service, account, rest = m.group("partition", "service", "account", "rest")
        if service == "iam":
            if rest == "root":
                return cls("root", value, account, account, partition=partition)
            kind, _, path_name = rest.partition("/")
            if kind in ("user", "role") and path_name and not path_name.endswith("/"):
                name = path_name.rsplit("/", 1)[-1]
                if kind == "user":
                    return cls("user", value, account, name, partition=partition)
                return cls("role", value, account, name, role_arn=value, partition=partition)
        else:
            kind, _, tail = rest.partition("/")
            if kind == "assumed-role":
                role_name, _, session = tail.partition("/")
                if role_name and session:
                    role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
                    return cls("assumed-role", value, account, role_name, role_arn, session, partition)
            if kind == "federated-user" and tail:
                return cls("federated-user", value, account, tail, partition=partition)
        raise InvalidArnError(value, "not an IAM user, role, root or STS session ARN")

    @classmethod
    def web_identity(cls, provider: str) -> Principal:
        """A caller federated through ``provider`` (``cognito-identity.amazonaws.com``,
        ``accounts.google.com``, or a SAML/OIDC provider ARN)."""
        return cls("web-identity", name=provider)

    @classmethod
    def canonical_user(cls, canonical_id: str) -> Principal:
        """An S3 canonical user."""
        return cls("canonical-user", name=canonical_id)

    @property
    def is_iam(self) -> bool:
        """Whether the caller is an IAM identity of an account (users, roles, sessions, root,
        federated users): the principals identity policies, boundaries and SCPs apply to."""
        return self.kind in _IAM_KINDS

    def context(self) -> dict[str, tuple[str, ...]]:
        """The context keys AWS derives from the caller, lower-cased
        (IAM User Guide, "AWS global condition context keys").

        ``aws:PrincipalArn`` is the role's ARN for a role session, ``aws:username`` exists only
        for IAM users, ``aws:PrincipalServiceName`` only for service principals.
        """
        out: dict[str, tuple[str, ...]] = {}
        kind = self.kind
        if kind == "service":
            assert self.name is not None
            out["aws:principalservicename"] = (self.name,)
            out["aws:principalisawsservice"] = ("true",)
            return out
        out["aws:principalisawsservice"] = ("false",)
        if kind == "anonymous":
            out["aws:principaltype"] = ("Anonymous",)
            return out
        if kind in ("web-identity", "canonical-user"):
            return out
        assert self.account is not None
        out["aws:principalaccount"] = (self.account,)
        if kind == "user":
            assert self.arn is not None and self.name is not None
            out["aws:principalarn"] = (self.arn,)
            out["aws:principaltype"] = ("User",)
            out["aws:username"] = (self.name,)
        elif kind in ("role", "assumed-role"):
            assert self.role_arn is not None
            out["aws:principalarn"] = (self.role_arn,)
            out["aws:principaltype"] = ("AssumedRole",)
        elif kind == "root":
            out["aws:principalarn"] = (f"arn:{self.partition}:iam::{self.account}:root",)
            out["aws:principaltype"] = ("Account",)
            out["aws:userid"] = (self.account,)
        elif kind == "federated-user":
            assert self.arn is not None
            out["aws:principalarn"] = (self.arn,)
            out["aws:principaltype"] = ("FederatedUser",)
        return out


def match_principal(spec: PrincipalSpec, caller: Principal) -> MatchKind | None:
    """How ``spec`` names ``caller``, or ``None`` if it does not.

    * ``"*"`` and ``{"AWS": "*"}`` name everyone, anonymous callers included.
    * An account ID or ``arn:...:iam::ACCOUNT:root`` names every IAM identity of the account
      (it delegates to the account; it does not mean the root user only).
    * A role ARN names the role and every session of it; a session ARN omits the role's path,
      so a pathed role ARN matches its sessions by account and role name.
    * Wildcards inside principal ARNs are rejected by the parser (AWS does not support them).
    """
    if spec.wildcard:
        return "wildcard"
    kind = caller.kind
    found: list[MatchKind] = []
    for entry in spec.aws:
        hit: MatchKind | None = "wildcard" if entry == "*" else _match_aws(entry, caller)
        if hit is not None:
            found.append(hit)
    if kind == "service":
        assert caller.name is not None
        if any(e == "*" or e.lower() == caller.name.lower() for e in spec.service):
            found.append("service")
    elif kind == "web-identity" and caller.name in spec.federated:
        found.append("federated")
    elif kind == "canonical-user" and caller.name in spec.canonical_user:
        found.append("canonical-user")
    # INVARIANT: the answer never depends on the order of the entries: the strongest way the
    # element names the caller wins (a direct ARN grant is stronger than an account grant).
    return max(found, key=_strength) if found else None


def _strength(kind: MatchKind | None) -> int:
    return GRANT_STRENGTH[kind] if kind is not None else 0


def _match_aws(entry: str, caller: Principal) -> MatchKind | None:
    if caller.kind not in _IAM_KINDS:
        return None
    if _ACCOUNT.fullmatch(entry):
        return "account" if entry == caller.account else None
    m = _IAM_ARN.fullmatch(entry)
    if m is None:
        return None
    if m.group("partition") != caller.partition or m.group("account") != caller.account:
        return None
    rest = m.group("rest")
    if m.group("service") == "iam":
        if rest == "root":
            return "account"
        if rest.startswith("user/"):
            return "user" if caller.kind == "user" and caller.arn == entry else None
        if rest.startswith("role/"):
            if caller.kind == "role":
                return "role" if caller.arn == entry else None
            if caller.kind == "assumed-role":
                # the session ARN drops the role's path: compare by role name
                return "role" if rest.rsplit("/", 1)[-1] == caller.name else None
        return None
    if caller.kind == "assumed-role" and rest.startswith("assumed-role/"):
        return "session" if caller.arn == entry else None
    if caller.kind == "federated-user" and rest.startswith("federated-user/"):
        return "federated-user" if caller.arn == entry else None
    return None


def not_principal_excludes(spec: PrincipalSpec, caller: Principal) -> bool:
    """Whether a ``NotPrincipal`` element lists the caller *completely*, so that the statement
    does not apply to it.

    A request carries a chain of identities: a role session is the session, its role and its
    account; an IAM user is the user and its account. ``NotPrincipal`` exempts the caller only
    when every identity of the chain is listed, each matched exactly (an account entry names the
    account itself, not everyone in it). This is why the User Guide's NotPrincipal page tells
    you to list the account ARN, and the role ARN for a session, "or the policy might deny access
    to the entire account" (IAM User Guide, NotPrincipal).
    """
    if spec.wildcard or "*" in spec.aws:
        return True
    if not (spec.aws or spec.service or spec.federated or spec.canonical_user):
        return True  # an empty NotPrincipal names nobody's complement: no effect (S4)
    kind = caller.kind
    if kind == "service":
        assert caller.name is not None
        return any(e == "*" or e.lower() == caller.name.lower() for e in spec.service)
    if kind == "web-identity":
        return caller.name in spec.federated
    if kind == "canonical-user":
        return caller.name in spec.canonical_user
    if kind == "anonymous":
        return False
    listed = [_IAM_ARN.fullmatch(e) for e in spec.aws]
    account_listed = any(
        e == caller.account for e in spec.aws
    ) or any(
        m is not None and m.group("account") == caller.account and m.group("rest") == "root"
        and m.group("partition") == caller.partition
        for m in listed
    )
    if not account_listed:
        return False
    if kind == "root":
        return True
    if kind in ("user", "federated-user"):
        return caller.arn in spec.aws
    # role sessions: the session (when known) and the role must both be listed
    role_listed = any(
        m is not None
        and m.group("partition") == caller.partition
        and m.group("account") == caller.account
        and m.group("service") == "iam"
        and m.group("rest").startswith("role/")
        and (
            m.group(0) == caller.role_arn
            or (kind == "assumed-role" and m.group("rest").rsplit("/", 1)[-1] == caller.name)
        )
        for m in listed
    )
    if not role_listed:
        return False
    if kind == "assumed-role":
        return caller.arn in spec.aws
    return True
