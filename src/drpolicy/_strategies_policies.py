"""Policy strategies of :mod:`drpolicy.strategies` (which re-exports and documents them):
valid ``Condition`` blocks, statements and whole policy documents."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drpolicy._strategies_requests import (
    _check_service,
    _epoch,
    _iso_time,
    _realistic_arn,
    arns,
    case_variants,
    context_values,
)
from drpolicy._strategies_vocab import (
    _ACTIONS,
    _ALNUM,
    _NOUNS,
    _SERVICE_PRINCIPALS,
    _SERVICES,
    _account,
    _Chooser,
    _name,
    _role_name,
    _role_path,
)
from drpolicy.conditions import OPERATORS

__all__ = ["conditions", "policies", "statements"]

# --------------------------------------------------------------------------------------
# Policies and statements
# --------------------------------------------------------------------------------------

_FAMILY_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "String": (
        "aws:PrincipalTag/team",
        "aws:RequestTag/project",
        "aws:ResourceTag/env",
        "s3:ExistingObjectTag/DeepRacer",
        "iam:PassedToService",
        "aws:username",
        "aws:RequestedRegion",
        "s3:prefix",
        "aws:TagKeys",
        "aws:CalledVia",
        "iam:AWSServiceName",
        "sts:ExternalId",
    ),
    "Numeric": ("aws:MultiFactorAuthAge", "s3:max-keys", "aws:EpochTime"),
    "Date": ("aws:CurrentTime", "aws:EpochTime", "aws:TokenIssueTime"),
    "Bool": ("aws:SecureTransport", "aws:MultiFactorAuthPresent", "aws:ViaAWSService"),
    "Binary": ("myapp:Signature",),
    "IpAddress": ("aws:SourceIp", "aws:VpcSourceIp"),
    "Arn": ("aws:SourceArn", "aws:PrincipalArn"),
    "Null": (
        "aws:PrincipalTag/team",
        "aws:SourceIp",
        "aws:MultiFactorAuthAge",
        "aws:TokenIssueTime",
        "s3:ExistingObjectTag/DeepRacer",
    ),
}
_FAMILY_OF: Final[Mapping[str, str]] = {
    "StringEquals": "String",
    "StringEqualsIgnoreCase": "String",
    "StringLike": "String",
    "NumericEquals": "Numeric",
    "NumericLessThan": "Numeric",
    "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric",
    "NumericGreaterThanEquals": "Numeric",
    "DateEquals": "Date",
    "DateLessThan": "Date",
    "DateLessThanEquals": "Date",
    "DateGreaterThan": "Date",
    "DateGreaterThanEquals": "Date",
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "IpAddress",
    "ArnLike": "Arn",
    "Null": "Null",
}
_OPERATOR_NAMES: Final = tuple(op.name for op in OPERATORS.values())
_VARIABLES: Final = ("${aws:username}", "${aws:PrincipalTag/team}", "${aws:userid, 'nobody'}")


def _family(operator_name: str) -> str:
    return _FAMILY_OF[OPERATORS[operator_name.lower()].family]


def _network(address: Any, prefix: int) -> str:
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_POLICY_VALUES: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "Numeric": st.one_of(
        st.integers(-5, 100_000),
        st.integers(0, 3600).map(str),
        st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False).map(str),
    ),
    "Date": st.one_of(
        _iso_time,
        _epoch,
        _iso_time.map(lambda t: t[:10]),
        _iso_time.map(lambda t: t[:-1] + "+02:00"),
    ),
    "Bool": st.sampled_from(("true", "false", True, False, "True")),
    "Null": st.sampled_from(("true", "false", True, False, "True")),
    "Binary": st.binary(min_size=1, max_size=12).map(lambda b: base64.b64encode(b).decode("ascii")),
    "IpAddress": st.one_of(
        st.ip_addresses(v=4).map(str),
        st.builds(_network, st.ip_addresses(v=4), st.integers(8, 32)),
        st.builds(_network, st.ip_addresses(v=6), st.integers(16, 128)),
    ),
}


@st.composite
def _policy_value(draw: st.DrawFn, operator: str, key: str, variables: bool) -> Any:
    """One valid policy value for ``operator`` (a JSON string, number or boolean)."""
    base = OPERATORS[operator.lower()]
    family = _FAMILY_OF[base.family]
    if family == "String":
        if variables and draw(st.integers(0, 4)) == 0:
            return draw(st.sampled_from(_VARIABLES))
        value = draw(context_values(key))
        if base.family == "StringLike" and value and draw(st.booleans()):
            i = draw(st.integers(0, len(value)))
            value = value[:i] + draw(st.sampled_from("*?")) + value[i:]
        return value
    if family == "Arn":
        if variables and draw(st.integers(0, 4)) == 0:
            return "arn:aws:iam::*:role/${aws:username}"
        return draw(_ARN_VALUES)
    return draw(_POLICY_VALUES[family])


@st.composite
def _operator_name(draw: st.DrawFn, families: tuple[str, ...] | None) -> str:
    names = [n for n in _OPERATOR_NAMES if families is None or _family(n) in families]
    if not names:
        raise InvalidArgument(f"no operator in families {families}")
    base = draw(st.sampled_from(names))
    qualifier = draw(st.sampled_from(("", "", "", "ForAllValues:", "ForAnyValue:")))
    if_exists = base != "Null" and draw(st.integers(0, 3)) == 0
    return qualifier + base + ("IfExists" if if_exists else "")


def conditions(
    *, families: Sequence[str] | None = None, variables: bool = False, max_operators: int = 2
) -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """Valid ``Condition`` blocks: operators of every family (with ``IfExists`` and the
    ``ForAllValues:``/``ForAnyValue:`` qualifiers), keys of the right kind, and values that
    parse for the operator (JSON numbers and booleans included).

    Args:
        families: restrict to these families: ``String``, ``Numeric``, ``Date``, ``Bool``,
            ``Binary``, ``IpAddress``, ``Arn``, ``Null``.
        variables: allow policy variables (``${aws:username}``) in String and Arn values (the
            policy must then have Version ``2012-10-17``).
        max_operators: the most operators in one block.
    """
    fams = tuple(families) if families is not None else None
    if fams is not None:
        unknown = set(fams) - set(_FAMILY_KEYS)
        if unknown:
            raise InvalidArgument(f"unknown condition families {sorted(unknown)}")

    return _condition_block(fams, variables, max_operators)


@st.composite
def _condition_block(
    draw: st.DrawFn, fams: tuple[str, ...] | None, variables: bool, max_operators: int
) -> dict[str, dict[str, Any]]:
    ops = draw(st.lists(_operator_name(fams), min_size=1, max_size=max_operators, unique=True))
    block: dict[str, dict[str, Any]] = {}
    for op in ops:
        base = op.split(":")[-1].removesuffix("IfExists")
        keys = draw(
            st.lists(
                st.sampled_from(_FAMILY_KEYS[_family(base)]),
                min_size=1,
                max_size=2,
                unique_by=str.lower,
            )
        )
        entry: dict[str, Any] = {}
        for key in keys:
            n = draw(st.integers(0, 12))
            if n == 0:
                entry[key] = []  # accepted; matches only an absent key (S4)
            elif n < 7:
                entry[key] = draw(_policy_value(base, key, variables))
            else:
                entry[key] = draw(
                    st.lists(_policy_value(base, key, variables), min_size=1, max_size=3)
                )
        block[op] = entry
    return block


@st.composite
def _action_pattern(draw: st.DrawFn, services: tuple[str, ...] | None) -> str:
    ch = _Chooser(draw)
    svc = ch.pick(services if services else _SERVICES)
    name = ch.pick(_ACTIONS.get(svc, ("Get" + ch.pick(_NOUNS),)))
    how = draw(st.integers(0, 9))
    if how == 0 and not services:
        return "*"
    if how == 1:
        return f"{svc}:*"
    if how == 2:
        i = draw(st.integers(1, len(name)))
        return f"{svc}:{name[:i]}*"
    if how == 3:
        i = draw(st.integers(0, len(name) - 1))
        return f"{svc}:{name[:i]}?{name[i + 1 :]}"
    if how == 4:
        return draw(case_variants(f"{svc}:{name}"))
    return f"{svc}:{name}"


@st.composite
def _resource_pattern(
    draw: st.DrawFn, services: tuple[str, ...] | None = None, variables: bool = False
) -> str:
    ch = _Chooser(draw)
    how = draw(st.integers(0, 11))
    if how == 0:
        return "*"
    arn = _realistic_arn(ch, ch.pick(services) if services else None)
    parts = arn.split(":", 5)
    if how == 1:
        return ":".join(parts[:5]) + ":*"
    if how == 2 and parts[5]:
        i = draw(st.integers(0, len(parts[5])))
        return ":".join(parts[:5]) + ":" + parts[5][:i] + "*"
    if how == 3:
        parts[3] = "*" if parts[3] else parts[3]
        parts[4] = "*" if parts[4] else parts[4]
        return ":".join(parts)
    if how == 4 and parts[5]:
        i = draw(st.integers(0, len(parts[5]) - 1))
        return ":".join(parts[:5]) + ":" + parts[5][:i] + "?" + parts[5][i + 1 :]
    if how == 5:
        return f"arn:aws:{parts[2]}*"  # a short pattern: padded with `*` fields
    if how == 6 and variables:
        return ":".join(parts[:5]) + ":" + parts[5].rsplit("/", 1)[0] + "/${aws:username}/*"
    return arn


_ARN_VALUES: Final = st.one_of(arns(), _resource_pattern())


@st.composite
def _principal(draw: st.DrawFn, trust: bool) -> Any:
    how = draw(st.integers(0, 4))
    if how == 0 and not trust:
        return "*"
    if how <= 1:
        return {"Service": draw(st.sampled_from(_SERVICE_PRINCIPALS))}
    account = draw(_account)
    if how == 2:
        return {"AWS": account}
    if how == 3:
        return {"AWS": f"arn:aws:iam::{account}:role{draw(_role_path)}{draw(_role_name)}"}
    return {"AWS": [f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:user/{draw(_name)}"]}


def _one_or_list(draw: st.DrawFn, items: list[Any]) -> Any:
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return items


@st.composite
def _statement(
    draw: st.DrawFn,
    effect: str | None,
    policy_type: str,
    services: tuple[str, ...] | None,
    with_conditions: bool,
    not_elements: bool,
    variables: bool,
    sid: str | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sid is not None:
        out["Sid"] = sid
    out["Effect"] = effect if effect is not None else draw(st.sampled_from(("Allow", "Deny")))
    if policy_type in ("resource", "trust"):
        out["Principal"] = draw(_principal(policy_type == "trust"))
    if policy_type == "trust":
        out["Action"] = _one_or_list(
            draw,
            draw(
                st.lists(
                    st.sampled_from(
                        ("sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithWebIdentity")
                    ),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            ),
        )
    else:
        key = "NotAction" if not_elements and draw(st.integers(0, 5)) == 0 else "Action"
        out[key] = _one_or_list(
            draw, draw(st.lists(_action_pattern(services), min_size=1, max_size=3))
        )
        rkey = "NotResource" if not_elements and draw(st.integers(0, 5)) == 0 else "Resource"
        out[rkey] = _one_or_list(
            draw, draw(st.lists(_resource_pattern(services, variables), min_size=1, max_size=3))
        )
    if with_conditions and draw(st.integers(0, 2)) == 0:
        out["Condition"] = draw(_condition_block(None, variables, 2))
    return out


_POLICY_TYPES: Final = (
    "identity",
    "permission_boundary",
    "session",
    "scp",
    "resource",
    "rcp",
    "trust",
)


def _check_policy_type(policy_type: str) -> str:
    if policy_type not in _POLICY_TYPES:
        raise InvalidArgument(f"`policy_type` must be one of {', '.join(_POLICY_TYPES)}")
    return (
        "resource"
        if policy_type == "rcp"
        else (
            "trust"
            if policy_type == "trust"
            else "resource"
            if policy_type == "resource"
            else "identity"
        )
    )


def statements(
    *,
    effect: str | None = None,
    policy_type: str = "identity",
    services: Sequence[str] | None = None,
    conditions: bool = True,
    not_elements: bool = True,
    variables: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid policy statements, as JSON mappings: Allow or Deny; Action or NotAction with
    literal and wildcard patterns (``s3:Get*``, ``s3:?etObject``, ``*``, any case); Resource or
    NotResource with exact, wildcard and short ARN patterns; sometimes a Condition block.

    Args:
        effect: ``"Allow"`` or ``"Deny"`` only.
        policy_type: ``identity`` (also fine as a boundary, session policy or SCP),
            ``resource`` (adds a Principal) or ``trust`` (a Principal, STS actions, no
            Resource).
        services: only these service prefixes in actions and resources.
        conditions: sometimes add a Condition block.
        not_elements: sometimes use NotAction / NotResource.
        variables: allow policy variables (the policy must have Version ``2012-10-17``).
    """
    kind = _check_policy_type(policy_type)
    if effect not in (None, "Allow", "Deny"):
        raise InvalidArgument("`effect` must be `Allow`, `Deny` or None")
    svcs = tuple(services) if services is not None else None
    for s in svcs or ():
        _check_service(s)
    return _statement(effect, kind, svcs, conditions, not_elements, variables, None)


def policies(
    *,
    policy_type: str = "identity",
    min_statements: int = 1,
    max_statements: int = 4,
    effect: str | None = None,
    services: Sequence[str] | None = None,
    conditions: bool = True,
    not_elements: bool = True,
    variables: bool | None = None,
    version: str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole valid policy documents (JSON mappings) that :func:`drpolicy.load_policy` accepts
    for ``policy_type``.

    The JSON shapes vary the way real documents do: ``Statement`` as an object or a list,
    single elements as strings or lists, ``Sid`` present or not, ``Version`` 2012-10-17,
    2008-10-17 or absent (policy variables only under 2012-10-17).

    Args:
        policy_type: see :func:`statements`.
        min_statements: the fewest statements.
        max_statements: the most statements.
        effect: only this effect.
        services: only these service prefixes.
        conditions: sometimes add Condition blocks.
        not_elements: sometimes use NotAction / NotResource.
        variables: use policy variables (``None``: sometimes, when the version allows).
        version: the ``Version`` (``None``: any of the three forms).
    """
    if version not in (None, "2012-10-17", "2008-10-17"):
        raise InvalidArgument("`version` must be `2012-10-17`, `2008-10-17` or None")
    if variables and version == "2008-10-17":
        raise InvalidArgument("policy variables need Version 2012-10-17")
    if not 0 < min_statements <= max_statements:
        raise InvalidArgument("need 0 < min_statements <= max_statements")
    kind = _check_policy_type(policy_type)
    svcs = tuple(services) if services is not None else None
    for s in svcs or ():
        _check_service(s)

    @st.composite
    def draw_policy(draw: st.DrawFn) -> dict[str, Any]:
        ver = (
            version
            if version is not None
            else draw(
                st.sampled_from(("2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17", None))
            )
        )
        use_vars = ver == "2012-10-17" and (
            variables if variables is not None else draw(st.booleans())
        )
        n = draw(st.integers(min_statements, max_statements))
        sids = draw(
            st.lists(
                st.one_of(st.none(), st.text(alphabet=_ALNUM, min_size=1, max_size=10)),
                min_size=n,
                max_size=n,
                unique_by=lambda s: object() if s is None else s,
            )
        )
        stmts = [
            draw(_statement(effect, kind, svcs, conditions, not_elements, use_vars, sid))
            for sid in sids
        ]
        doc: dict[str, Any] = {}
        if ver is not None:
            doc["Version"] = ver
        doc["Statement"] = stmts[0] if len(stmts) == 1 and draw(st.booleans()) else stmts
        return doc

    return draw_policy()
