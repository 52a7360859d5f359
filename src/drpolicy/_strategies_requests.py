"""Request strategies of :mod:`drpolicy.strategies` (which re-exports and documents them):
:class:`Request`, actions, ARNs, context values, contexts and whole requests."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drpolicy._strategies_vocab import (
    _ACCOUNTS,
    _ACTIONS,
    _ALNUM,
    _CANONICAL_ACTION,
    _FIELD_RE,
    _FIELDS,
    _NO_ACCOUNT,
    _NO_REGION,
    _NOUNS,
    _PARTITION_REGIONS,
    _REGIONS,
    _RESOURCE_TYPES,
    _SERVICE_PRINCIPALS,
    _SERVICES,
    _VERBS,
    _account,
    _choose_segment,
    _Chooser,
    _fill_glob,
    _fill_resource_glob,
    _glob_matches,
    _is_glob,
    _joined,
    _name,
    _path_text,
)
from drpolicy._variables import Lit, Text, Var, parse_template
from drpolicy._wildcard import (
    ActionPattern,
    ArnPattern,
    PatternError,
    compile_action_pattern,
    compile_arn_pattern,
)
from drpolicy.arn import parse_arn
from drpolicy.errors import DrpolicyError

__all__ = [
    "Request",
    "actions",
    "arns",
    "case_variants",
    "context_values",
    "contexts",
    "requests",
    "resources_for",
]

ContextValue = str | list[str]


class Request(NamedTuple):
    """One request, ready to unpack into the engine's calls:
    ``drpolicy.is_allowed(role, *request)``.

    Attributes:
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys (as written in the policies) to a string or a list of
            strings; empty when the request needs none.
    """

    action: str
    resource: str
    context: dict[str, ContextValue]



# --------------------------------------------------------------------------------------
# Actions
# --------------------------------------------------------------------------------------

_SERVICE_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
_ACTION_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


def _synthetic_action_name(ch: _Chooser) -> str:
    return ch.pick(_VERBS) + ch.pick(_NOUNS)


def _vocabulary_action(ch: _Chooser, service: str | None) -> str:
    svc = service if service is not None else ch.pick(_SERVICES)
    names = _ACTIONS.get(svc, ())
    if names and (ch.coin() or ch.coin()):
        return f"{svc}:{ch.pick(names)}"
    return f"{svc}:{_synthetic_action_name(ch)}"


def _instantiate_action(
    pattern: ActionPattern, ch: _Chooser, service: str | None = None
) -> str | None:
    """A request action matching ``pattern``, or ``None`` when none is a plausible action."""
    if pattern.lowered == "*":
        return _vocabulary_action(ch, service)
    if service is not None:
        if not _glob_matches(pattern.service, service, segment=True):
            return None
        svc = service
    else:
        svc = _choose_segment(pattern.service, _SERVICES, ch, "service")
    known = [
        n for n in _ACTIONS.get(svc, ()) if _glob_matches(pattern.name, n.lower(), segment=False)
    ]
    if known and (ch.coin() or ch.coin()):
        name = ch.pick(known)
    else:
        written = pattern.source.split(":", 1)[1] if ":" in pattern.source else pattern.name
        name = _fill_glob(written, ch, "action")
        if not name and _is_glob(written):
            name = _synthetic_action_name(ch)
    action = f"{svc}:{name}"
    if not _SERVICE_RE.fullmatch(svc) or not _ACTION_NAME_RE.fullmatch(name):
        return None
    if not pattern.matches(action.lower()):
        return None
    return _CANONICAL_ACTION.get(action.lower(), action)


def _plausible_action_pattern(p: ActionPattern) -> bool:
    """Whether some plausible action matches ``p`` (not so for commas, spaces or an empty
    name: AWS accepts them and they match nothing real, S12)."""
    if p.lowered == "*":
        return True
    svc_probe = re.sub(r"[*?]", "a", p.service)
    name_probe = re.sub(r"[*?]", "A", p.name)
    return bool(_SERVICE_RE.fullmatch(svc_probe) and _ACTION_NAME_RE.fullmatch(name_probe))


def _check_service(service: str | None) -> None:
    if service is not None and not (isinstance(service, str) and _SERVICE_RE.fullmatch(service)):
        raise InvalidArgument(f"`{service}` is not a service prefix such as `s3`")


def _as_patterns(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"`{what}` must be a pattern or a sequence of patterns")
    return list(value)


def actions(
    service: str | None = None, *, matching: str | Sequence[str] | None = None
) -> st.SearchStrategy[str]:
    """Request actions (``s3:GetObject``): real action names of common services, with
    plausible made-up ones (``s3:DescribeEvents``) mixed in.

    Args:
        service: only actions of this service prefix.
        matching: an action pattern (``s3:Get*``, ``*:List*``, ``iam:PassRole``) or several;
            every draw matches one of them (case-insensitively, as IAM matches actions).
            Patterns that no plausible action can match (``s3:Get,Put``) are refused.

    Raises:
        InvalidArgument: a malformed pattern, or one no draw could match.

    >>> from drpolicy.strategies import actions
    >>> actions("s3").example().startswith("s3:")  # doctest: +SKIP
    True
    """
    _check_service(service)
    patterns = _as_patterns(matching, "matching")
    if not patterns:
        return _vocabulary_actions(service)
    compiled: list[ActionPattern] = []
    for p in patterns:
        try:
            compiled.append(compile_action_pattern(p))
        except PatternError as exc:
            raise InvalidArgument(f"`{p}`: {exc}") from None
    for c in compiled:
        if not _plausible_action_pattern(c):
            raise InvalidArgument(f"no plausible action matches `{c.source}`")

    return _matching_actions(tuple(compiled), service)


@st.composite
def _vocabulary_actions(draw: st.DrawFn, service: str | None) -> str:
    return _vocabulary_action(_Chooser(draw), service)


@st.composite
def _matching_actions(
    draw: st.DrawFn, compiled: tuple[ActionPattern, ...], service: str | None
) -> str:
    ch = _Chooser(draw)
    pattern = ch.pick(compiled)
    for _ in range(4):
        action = _instantiate_action(pattern, ch, service)
        if action is not None:
            return action
    reject()


def case_variants(text: str, *, changed: bool = False) -> st.SearchStrategy[str]:
    """``text`` with the case of its letters changed at random.

    Args:
        text: the text to re-case.
        changed: only draw variants that differ from ``text`` (at least one letter flipped).

    Raises:
        InvalidArgument: ``changed=True`` and ``text`` has no letter with a case.
    """
    flippable = [i for i, c in enumerate(text) if c.swapcase() != c and len(c.swapcase()) == 1]
    if changed and not flippable:
        raise InvalidArgument(f"`{text}` has no letter whose case can change")

    if not flippable:
        return st.just(text)
    return _case_variant(text, tuple(flippable), changed)


@st.composite
def _case_variant(draw: st.DrawFn, text: str, flippable: tuple[int, ...], changed: bool) -> str:
    chars = list(text)
    flips = draw(st.lists(st.sampled_from(flippable), min_size=1 if changed else 0, unique=True))
    for i in flips:
        chars[i] = chars[i].swapcase()
    return "".join(chars)


# --------------------------------------------------------------------------------------
# ARNs
# --------------------------------------------------------------------------------------


def _fill_fields(template: str, ch: _Chooser) -> str:
    return _FIELD_RE.sub(lambda m: ch.draw(_FIELDS[m.group(1)]), template)


def _realistic_arn(
    ch: _Chooser,
    service: str | None = None,
    resource_type: str | None = None,
    *,
    partition: str | None = "aws",
    region: str | None = None,
    account: str | None = None,
) -> str:
    svc = service if service is not None else ch.pick(tuple(_RESOURCE_TYPES))
    types = _RESOURCE_TYPES.get(svc)
    part = partition if partition is not None else ch.pick(tuple(_PARTITION_REGIONS))
    if types:
        kind = resource_type if resource_type is not None else ch.pick(tuple(types))
        resource = _fill_fields(types[kind], ch)
    else:
        resource = ch.pick(("", "resource/")) + ch.draw(_name)
    reg = (
        ""
        if svc in _NO_REGION
        else (region if region is not None else ch.pick(_PARTITION_REGIONS.get(part, _REGIONS)))
    )
    acct = "" if svc in _NO_ACCOUNT else (account if account is not None else ch.draw(_account))
    return f"arn:{part}:{svc}:{reg}:{acct}:{resource}"


def _instantiate_arn(
    pattern: ArnPattern,
    ch: _Chooser,
    *,
    variable: Callable[[Var], str] | None = None,
    service: str | None = None,
) -> str | None:
    """A request ARN matching ``pattern`` (per segment), or ``None`` if none is plausible.

    ``variable`` supplies the value of each policy variable in a ``template`` pattern (the
    caller records it in the request context).
    """
    if pattern.kind == "any":
        return _realistic_arn(ch, service)
    seg = list(pattern.segments)
    part = _choose_segment(seg[1], tuple(_PARTITION_REGIONS), ch, "service")
    if service is not None and _glob_matches(seg[2], service, segment=True) and _is_glob(seg[2]):
        svc = service
    else:
        svc = _choose_segment(seg[2], tuple(_RESOURCE_TYPES) + _SERVICES, ch, "service")
    region_glob, account_glob = seg[3], seg[4]
    if region_glob == "*" and svc in _NO_REGION and (ch.coin() or ch.coin()):
        reg = ""
    else:
        reg = _choose_segment(region_glob, _PARTITION_REGIONS.get(part, _REGIONS), ch, "region")
    if account_glob == "*" and svc in _NO_ACCOUNT and (ch.coin() or ch.coin()):
        acct = ""
    else:
        acct = _choose_segment(account_glob, _ACCOUNTS, ch, "digits")
    resource_glob = seg[5]
    if pattern.kind == "template":
        if variable is None:
            return None
        pieces: list[str] = []
        for piece in parse_template(resource_glob):
            if isinstance(piece, Text):
                pieces.append(_fill_resource_glob(piece.text, ch))
            elif isinstance(piece, Lit):
                pieces.append(piece.text)
            else:
                pieces.append(variable(piece))
        resource = "".join(pieces)
    elif resource_glob == "*" and svc in _RESOURCE_TYPES and (ch.coin() or ch.coin()):
        kind = ch.pick(tuple(_RESOURCE_TYPES[svc]))
        resource = _fill_fields(_RESOURCE_TYPES[svc][kind], ch)
    else:
        resource = _fill_resource_glob(resource_glob, ch)
    arn = f"arn:{part}:{svc}:{reg}:{acct}:{resource}"
    try:
        parse_arn(arn)
    except DrpolicyError:
        return None
    return arn


def _compile_resource_patterns(patterns: list[str], variables: bool = False) -> list[ArnPattern]:
    out = []
    for p in patterns:
        try:
            out.append(compile_arn_pattern(p, fold_prefix=True, variables=variables))
        except PatternError as exc:
            raise InvalidArgument(f"`{p}`: {exc}") from None
    return out


_UNTYPED: Final = frozenset({"s3", "sqs", "sns"})  # resource parts without a `type/` prefix


def _name_start(service: str, resource: str) -> int:
    """Where the name begins in a resource part: after the resource type (``role/``,
    ``log-group:``), which AWS always spells the same way, so near misses leave it alone."""
    if service in _UNTYPED:
        return 0
    found = re.search(r"[/:]", resource)
    return found.end() if found else 0


def _flip_case_at(resource: str, start: int, ch: _Chooser) -> str | None:
    flippable = [
        i
        for i in range(start, len(resource))
        if resource[i].swapcase() != resource[i] and len(resource[i].swapcase()) == 1
    ]
    if not flippable:
        return None
    i = ch.pick(flippable)
    return resource[:i] + resource[i].swapcase() + resource[i + 1 :]


def _perturb_arn(arn: str, ch: _Chooser) -> str:
    """A near miss: the same ARN with one thing changed."""
    parts = arn.split(":", 5)
    how = ch.pick(("case", "char", "region", "account", "service", "drop"))
    resource = parts[5]
    start = _name_start(parts[2], resource)
    if how == "case":
        resource = _flip_case_at(resource, start, ch) or resource
    elif how == "char" and len(resource) > start:
        i = ch.integer(start, len(resource) - 1)
        resource = resource[:i] + ch.fill("char") + resource[i + 1 :]
    elif how == "drop" and len(resource) > start:
        i = ch.integer(start, len(resource) - 1)
        resource = resource[:i] + resource[i + 1 :]
    elif how == "region":
        parts[3] = ch.pick(_REGIONS)
    elif how == "account":
        parts[4] = ch.draw(_account)
    elif how == "service":
        parts[2] = ch.pick(_SERVICES)
    parts[5] = resource
    return ":".join(parts)


def arns(
    service: str | None = None,
    resource_type: str | None = None,
    *,
    matching: str | Sequence[str] | None = None,
    not_matching: str | Sequence[str] | None = None,
    partition: str = "aws",
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[str]:
    """Request ARNs, shaped like the service's real resources.

    Args:
        service: the service namespace (``s3``, ``iam``, ``logs``...); any known one if
            ``None``.
        resource_type: the resource type within the service (``bucket``/``object`` for s3,
            ``role``/``user``/``policy`` for iam, ``log-group``/``log-stream`` for logs,
            ``function`` for lambda, ``stream`` for kinesisvideo...).
        matching: a ``Resource`` pattern (or several): every draw matches one of them; its
            wildcards are filled with realistic text, segment by segment (the region and
            account wildcards stay within their segment; the last ``*`` of the resource part
            may become a path). Policy variables are not substituted.
        not_matching: a pattern (or several) no draw may match; near misses (one character,
            one letter's case, the region or account changed) are drawn on purpose.
        partition: the partition of drawn ARNs (when ``matching`` does not fix it).
        region: the region of drawn ARNs (for regional services).
        account: the account of drawn ARNs.

    Raises:
        InvalidArgument: an unknown resource type, a malformed pattern, or ``not_matching``
            containing ``*``.
    """
    _check_service(service)
    if resource_type is not None and (
        service is None or resource_type not in _RESOURCE_TYPES.get(service, {})
    ):
        known = ", ".join(f"{s}/{t}" for s, types in _RESOURCE_TYPES.items() for t in types)
        raise InvalidArgument(
            f"unknown resource type `{service}/{resource_type}`: known types are {known}"
        )
    including = _compile_resource_patterns(_as_patterns(matching, "matching"))
    excluding = _compile_resource_patterns(_as_patterns(not_matching, "not_matching"))
    if any(p.kind == "any" for p in excluding):
        raise InvalidArgument("every ARN matches `*`: `not_matching` cannot contain it")

    return _arns_drawn(
        service, resource_type, tuple(including), tuple(excluding), partition, region, account
    )


@st.composite
def _arns_drawn(
    draw: st.DrawFn,
    service: str | None,
    resource_type: str | None,
    including: tuple[ArnPattern, ...],
    excluding: tuple[ArnPattern, ...],
    partition: str,
    region: str | None,
    account: str | None,
) -> str:
    ch = _Chooser(draw)
    for _ in range(6):
        if including:
            pattern = ch.pick(including)
            if pattern.kind == "any":
                arn: str | None = _realistic_arn(
                    ch,
                    service,
                    resource_type,
                    partition=partition,
                    region=region,
                    account=account,
                )
            else:
                arn = _instantiate_arn(pattern, ch, service=service)
        elif excluding and ch.coin():
            near = _instantiate_arn(ch.pick(excluding), ch, service=service)
            arn = None if near is None else _perturb_arn(near, ch)
        else:
            arn = _realistic_arn(
                ch, service, resource_type, partition=partition, region=region, account=account
            )
        if arn is None:
            continue
        try:
            parse_arn(arn)
        except DrpolicyError:
            continue
        if including and not any(p.match(arn, {}) for p in including):
            continue
        if any(p.match(arn, {}) for p in excluding):
            continue
        return arn
    reject()


def _resource_types_for(action: str) -> tuple[str, ...] | None:
    """The resource types an action acts on; ``None`` when it takes no resource (``*``)."""
    service, _, name = action.partition(":")
    lname = name.lower()
    if service == "s3":
        if lname == "listallmybuckets":
            return None
        if "object" in lname or "multipart" in lname:
            return ("object",)
        return ("bucket",)
    if service == "iam":
        for word, kind in (("role", "role"), ("user", "user"), ("policy", "policy")):
            if word in lname:
                return (kind,)
    if service == "logs":
        if "logevents" in lname or "logstream" in lname:
            return ("log-stream",)
        return ("log-group",)
    if service == "sts" and lname in ("getcalleridentity", "getsessiontoken"):
        return None
    if service in ("ec2", "cloudwatch", "ecr") and lname.startswith(
        ("describe", "list", "getauth", "putmetric")
    ):
        return None
    types = _RESOURCE_TYPES.get(service)
    return tuple(types) if types else None


@st.composite
def _resource_for(draw: st.DrawFn, action: str) -> str:
    ch = _Chooser(draw)
    service = action.partition(":")[0]
    types = _resource_types_for(action)
    if types is None:
        return "*"  # the request resource of actions without resource-level permissions
    return _realistic_arn(ch, service, ch.pick(types))


def resources_for(action: str) -> st.SearchStrategy[str]:
    """Resources a request for ``action`` would name: an ARN of the resource type the action
    acts on (an object for ``s3:GetObject``, a role for ``iam:PassRole``, a log stream for
    ``logs:PutLogEvents``), or ``*`` for actions without resource-level permissions
    (``s3:ListAllMyBuckets``, ``ec2:DescribeVpcs``)."""
    if not isinstance(action, str) or action.count(":") != 1:
        raise InvalidArgument(f"`{action}` is not an action such as `s3:GetObject`")
    return _resource_for(action.lower().split(":")[0] + ":" + action.split(":")[1])


# --------------------------------------------------------------------------------------
# Context values
# --------------------------------------------------------------------------------------

_ipv4 = st.ip_addresses(v=4).map(str)
_ip = st.one_of(_ipv4, _ipv4, st.ip_addresses(v=6).map(str))
_iso_time = st.datetimes(
    min_value=datetime.datetime(2015, 1, 1), max_value=datetime.datetime(2035, 12, 31)
).map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
_epoch = st.integers(1_420_070_400, 2_082_758_399).map(str)
_bool_text = st.sampled_from(("true", "false"))
_tag_value = st.one_of(
    st.sampled_from(("true", "false", "True", "TRUE", "yes", "team-a", "ml", "prod")), _name
)
_small_number = st.integers(0, 100_000).map(str)

_KEY_VALUES: Final[Mapping[str, st.SearchStrategy[str]]] = {
    "aws:sourceip": _ip,
    "aws:vpcsourceip": _ip,
    "aws:currenttime": _iso_time,
    "aws:tokenissuetime": _iso_time,
    "aws:epochtime": _epoch,
    "aws:securetransport": _bool_text,
    "aws:multifactorauthpresent": _bool_text,
    "aws:viaawsservice": _bool_text,
    "aws:principalisawsservice": _bool_text,
    "aws:multifactorauthage": _small_number,
    "s3:max-keys": _small_number,
    "iam:passedtoservice": st.sampled_from(_SERVICE_PRINCIPALS),
    "iam:awsservicename": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:principalservicename": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledvia": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledviafirst": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:calledvialast": st.sampled_from(_SERVICE_PRINCIPALS),
    "aws:sourceaccount": _account,
    "aws:principalaccount": _account,
    "aws:resourceaccount": _account,
    "aws:requestedregion": st.sampled_from(_REGIONS),
    "aws:username": _joined("-_+=,.@"),
    "aws:userid": st.text(alphabet=_ALNUM, min_size=8, max_size=21),
    "s3:prefix": st.one_of(st.just(""), _path_text()),
    "s3:delimiter": st.just("/"),
    "aws:tagkeys": st.sampled_from(("team", "project", "env", "DeepRacer", "SageMaker")),
    "sts:externalid": _name,
    "aws:principaltype": st.sampled_from(("AssumedRole", "User", "Account", "FederatedUser")),
}
_TAG_PREFIXES: Final = (
    "aws:requesttag/",
    "aws:resourcetag/",
    "aws:principaltag/",
    "s3:existingobjecttag/",
    "s3:requestobjecttag/",
    "iam:resourcetag/",
)
_ARN_KEYS: Final = frozenset({"aws:sourcearn", "aws:principalarn", "aws:sourcevpcarn"})
_MULTI_KEYS: Final = frozenset({"aws:tagkeys", "aws:calledvia", "aws:principalservicenameslist"})


def context_values(key: str | None = None) -> st.SearchStrategy[str]:
    """Values of the right kind for a condition key: an IP address for ``aws:SourceIp``, an
    ISO 8601 time for ``aws:CurrentTime``, ``true``/``false`` for ``aws:SecureTransport``, a
    service principal for ``iam:PassedToService``, an ARN for ``aws:SourceArn``, a tag value
    for ``aws:PrincipalTag/...`` and ``s3:ExistingObjectTag/...``, a name otherwise.

    Args:
        key: the condition key (case-insensitive); ``None`` for any plausible string.
    """
    if key is None:
        return st.one_of(_name, _tag_value, _ip, _iso_time)
    low = key.lower()
    if low in _KEY_VALUES:
        return _KEY_VALUES[low]
    if low in _ARN_KEYS:
        return arns()
    if low.startswith(_TAG_PREFIXES):
        return _tag_value
    return st.one_of(_name, _tag_value)


_CONTEXT_KEYS: Final = (
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:RequestedRegion",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:PrincipalTag/team",
    "aws:RequestTag/project",
    "aws:ResourceTag/env",
    "aws:TagKeys",
    "aws:CalledVia",
    "iam:PassedToService",
    "s3:ExistingObjectTag/DeepRacer",
    "s3:ExistingObjectTag/SageMaker",
    "s3:prefix",
    "aws:username",
)


@st.composite
def _context_entry_value(draw: st.DrawFn, key: str) -> ContextValue:
    values = context_values(key)
    if key.lower() in _MULTI_KEYS:
        return draw(st.lists(values, min_size=0, max_size=3, unique=True))
    return draw(values)


def contexts(
    keys: Sequence[str] | None = None, *, max_size: int = 3
) -> st.SearchStrategy[dict[str, ContextValue]]:
    """Request contexts: a few condition keys with values of the right kind.

    Args:
        keys: the keys to draw from (each draw uses a subset); common global and service
            keys when ``None``.
        max_size: the most keys in one context.
    """
    pool = tuple(keys) if keys is not None else _CONTEXT_KEYS
    if len({k.lower() for k in pool}) != len(pool):
        raise InvalidArgument("context keys are case-insensitive: `keys` repeats one")

    return _contexts_drawn(pool, max_size)


@st.composite
def _contexts_drawn(
    draw: st.DrawFn, pool: tuple[str, ...], max_size: int
) -> dict[str, ContextValue]:
    chosen = draw(st.lists(st.sampled_from(pool), max_size=max_size, unique=True)) if pool else []
    return {k: draw(_context_entry_value(k)) for k in chosen}


def requests(
    service: str | None = None,
    *,
    action: st.SearchStrategy[str] | None = None,
    resource: Callable[[str], st.SearchStrategy[str]] | st.SearchStrategy[str] | None = None,
    context: st.SearchStrategy[dict[str, ContextValue]] | None = None,
) -> st.SearchStrategy[Request]:
    """Requests: an action, a resource it would act on, and a context.

    Args:
        service: only actions of this service (ignored when ``action`` is given).
        action: the strategy for actions (default :func:`actions`).
        resource: a strategy for resources, or a function from the drawn action to one
            (default :func:`resources_for`).
        context: a strategy for contexts (default: mostly empty, else :func:`contexts`).
    """
    action_st = action if action is not None else actions(service)
    context_st = context if context is not None else st.one_of(st.just({}), contexts())

    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        a = draw(action_st)
        if resource is None:
            r = draw(resources_for(a))
        elif isinstance(resource, st.SearchStrategy):
            r = draw(resource)
        else:
            r = draw(resource(a))
        return Request(a, r, dict(draw(context_st)))

    return draw_request()
