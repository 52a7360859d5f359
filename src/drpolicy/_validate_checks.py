"""Per-statement policy checks (actions, resources, conditions) against AWS's service
authorization data (:mod:`drpolicy._sar`). :mod:`drpolicy.validate` drives them."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from drpolicy import _sar
from drpolicy._findings import CHECKS, Finding, Severity
from drpolicy._globs import (
    _ArnGlob,
    _colon_fix,
    _contains,
    _fits_format,
    _policy_arn,
)
from drpolicy._wildcard import compile_action_pattern, compile_glob
from drpolicy.conditions import OperatorError, OperatorSpec, parse_operator
from drpolicy.model import ConditionEntry, Policy, Statement

VARIABLE_VERSION: Final = "2012-10-17"


@attrs.frozen(slots=True)
class _Resolved:
    """An ``Action``/``NotAction`` entry and the known actions it names (``None`` when it
    cannot be resolved: ``*``, a wildcard service prefix, or an unknown service or action)."""

    path: str
    text: str
    actions: tuple[_sar.ActionInfo, ...] | None


def _quote(items: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"`{x}`" for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class _Validator:
    def __init__(self, policy: Policy, document: Mapping[str, Any] | None) -> None:
        self.policy = policy
        self.variables = policy.version == VARIABLE_VERSION
        raw = document.get("Statement") if document is not None else None
        self.single = isinstance(raw, Mapping)
        self.raw: list[Any] = [raw] if self.single else list(raw) if isinstance(raw, list) else []
        self.out: list[Finding] = []
        # statement-against-statement checks: (statement, its path) -> findings
        self.extra: Callable[[Statement, str], list[tuple[Severity, str, str, str]]] | None = None

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

    def run(self, progress: Callable[[int, int], None] | None = None) -> list[Finding]:
        if self.policy.version is None:
            self.add(
                "warning",
                "missing-version",
                "Version",
                'the policy has no `Version`: add `"Version": "2012-10-17"`; without it policy'
                " variables are literal text",
            )
        total = len(self.policy.statements)
        for done, stmt in enumerate(self.policy.statements, 1):
            self.statement(stmt)
            if progress is not None and (done % 250 == 0 or done == total):
                progress(done, total)
        return self.out

    def statement(self, stmt: Statement) -> None:
        start = len(self.out)
        self._statement(stmt)
        if self.extra is not None:
            for finding in self.extra(stmt, self.stmt_path(stmt)):
                self.add(*finding)
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
        self.unsatisfiable(stmt)

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
            services = sorted(s for s in _sar.services() if rx.fullmatch(s))
            if services:
                self.add(
                    "suggestion",
                    "wildcard-in-service",
                    path,
                    f"`{text}` has a wildcard in its service prefix: it matches the actions of"
                    f" {_quote(services)}, and of any service AWS adds with a similar name",
                )
        else:
            services = [service] if service in _sar.services() else []
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
        name_rx = compile_glob(name) if "*" in name or "?" in name else None
        matched = _matching_actions(tuple(services), name)
        if not matched:
            hint = ""
            if name_rx is None and len(services) == 1:
                names = {n: a.full for n, a in _sar.actions(services[0]).items()}
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
        return _Resolved(path, text, None if wild_service else matched)

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
            elif service not in _sar.services() and service not in _sar.arn_services():
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

        def hits(k: int, rtype: _sar.ResourceType) -> bool:
            return _entry_fits(entries[k], rtype.arn)

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
        all_types: dict[str, _sar.ResourceType] = {}
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
            if stmt.effect == "Deny":
                tail += ", so this Deny never applies to it"
            fix = self.arn_fix(text, list(all_types.values()))
            if fix is not None:
                tail += f": did you mean `{fix}`?"
            self.add(
                "error",
                "resource-type-mismatch",
                path,
                f"`{text}` matches no resource type of this statement's actions{tail}",
            )

    def arn_fix(self, text: str, types: list[_sar.ResourceType]) -> str | None:
        """The entry with one `:` added or removed, if that fits one of ``types``."""
        return _colon_fix(text, [t.arn for t in types], variables=self.variables)

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
        types = _sar.condition_key_types(key)
        if types is None:
            close = _sar.closest_condition_keys(key, n=1)
            hint = f": did you mean `{close[0]}`?" if close else ""
            if global_key:
                self.add(
                    "warning",
                    "unknown-global-condition-key",
                    path,
                    f"`{key}` is not a global condition key (IAM User Guide, AWS global"
                    f" condition context keys){hint}",
                )
                return
            known_prefix = prefix in _sar.services()
            where = f"service `{prefix}`" if known_prefix else "any service"
            self.add(
                "error",
                "unknown-condition-key",
                path,
                f"`{key}` is not a condition key of {where} in the service authorization"
                f" data{hint}",
            )
            return
        self.operator_type(stmt, path, spec, key, types)
        ktype = next(iter(types)) if len(types) == 1 else None
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

    def operator_type(
        self, stmt: Statement, path: str, spec: OperatorSpec, key: str, types: frozenset[str]
    ) -> None:
        """An operator whose family does not fit the key's type (``Bool`` on an IP address)."""
        group = _family_group(spec.operator.family)
        if group == "Null" or not types:
            return
        fits = set().union(*(_FITS.get(_base_type(t), {_base_type(t)}) for t in types))
        if key.lower() == "aws:epochtime":
            fits.add("Numeric")
        if group in fits:
            return
        wanted = " or ".join(sorted(fits))
        self.add(
            "warning",
            "operator-type-mismatch",
            path,
            f"`{key}` is of type {_quote(sorted(types))}, but `{spec.written}` compares"
            f" {group} values: use a {wanted} operator",
        )

    def unsatisfiable(self, stmt: Statement) -> None:
        """Conditions on one key that no request meets together: `Null: true` with an operator
        that is false for an absent key, `Null` true and false, `Bool` true and false, or
        `StringEquals` value lists with nothing in common (single-valued keys, no qualifier)."""
        by_key: dict[str, list[tuple[ConditionEntry, OperatorSpec]]] = {}
        for entry in stmt.conditions:
            try:
                spec = parse_operator(entry.operator)
            except OperatorError:  # pragma: no cover - the parser has rejected it already
                continue
            by_key.setdefault(entry.key.lower(), []).append((entry, spec))
        for entries in by_key.values():
            reason = _contradiction(entries)
            if reason is None:
                continue
            entry = entries[-1][0]
            path = f"{self.stmt_path(stmt)}.Condition.{entry.operator}.{entry.key}"
            deny = stmt.effect == "Deny"
            self.add(
                "error" if deny else "warning",
                "unsatisfiable-condition",
                path,
                f"{reason}: no request meets these conditions, so this"
                f" {'Deny never applies' if deny else 'Allow never grants anything'}",
            )

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
        if any(_sar.supports_key(a, key) for a in actions):
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


@functools.lru_cache(maxsize=4096)
def _matching_actions(services: tuple[str, ...], name: str) -> tuple[_sar.ActionInfo, ...]:
    """The actions of ``services`` whose lower-cased name matches ``name`` (a glob)."""
    matched: list[_sar.ActionInfo] = []
    name_rx = compile_glob(name) if "*" in name or "?" in name else None
    for svc in services:
        actions = _sar.actions(svc)
        if name_rx is None:
            found = actions.get(name)
            if found is not None:
                matched.append(found)
        else:
            matched.extend(a for n, a in actions.items() if name_rx.fullmatch(n))
    return tuple(matched)


@functools.lru_cache(maxsize=65536)
def _entry_fits(entry: _ArnGlob, arn_format: str) -> bool:
    return _fits_format(entry, arn_format)


_FITS: Final[Mapping[str, set[str]]] = {
    # a key's base type -> the operator families that can compare it
    "String": {"String"},
    "ARN": {"Arn", "String"},
    "Numeric": {"Numeric"},
    "Date": {"Date"},
    "Bool": {"Bool"},
    "IPAddress": {"IpAddress"},
    "Binary": {"Binary"},
}


def _base_type(ktype: str) -> str:
    return ktype.removeprefix("ArrayOf")


def _family_group(family: str) -> str:
    for group in ("String", "Numeric", "Date", "Binary"):
        if family.startswith(group):
            return group
    return {"ArnLike": "Arn"}.get(family, family)


def _false_when_absent(spec: OperatorSpec) -> bool:
    """Whether the operator is false for a request without the key."""
    return not (spec.if_exists or spec.qualifier == "ForAllValues" or spec.operator.negated)


def _contradiction(entries: list[tuple[ConditionEntry, OperatorSpec]]) -> str | None:
    nulls = {v.lower() for e, s in entries if s.operator.family == "Null" for v in e.values}
    key = entries[0][0].key
    if {"true", "false"} <= nulls:
        return f"`Null` requires `{key}` both absent and present"
    others = [(e, s) for e, s in entries if s.operator.family != "Null"]
    if "true" in nulls and any(_false_when_absent(s) for _, s in others):
        return f"`Null` requires `{key}` to be absent, and another operator requires a value"
    ktype = _sar.condition_key_type(key)
    if ktype is None or ktype.startswith("ArrayOf"):
        return None
    # when the key is present: the single-valued operators without a qualifier must all hold;
    # when it is absent: any of them that is false for an absent key fails the conditions
    plain = [(e, s) for e, s in others if s.qualifier is None]
    bools = [(e, s) for e, s in plain if s.operator.family == "Bool"]
    values = {v.lower() for e, _ in bools for v in e.values}
    if (
        {"true", "false"} <= values
        and all(len(e.values) == 1 for e, _ in bools)
        and any(_false_when_absent(s) for _, s in bools)
    ):
        return f"`Bool` requires `{key}` to be both true and false"
    strings = [
        (e, s)
        for e, s in plain
        if s.operator.family == "StringEquals" and not any("$" in v for v in e.values)
    ]
    allowed: set[str] | None = None
    excluded: set[str] = set()
    for e, s in strings:
        if s.operator.negated:
            excluded |= set(e.values)
        else:
            allowed = set(e.values) if allowed is None else allowed & set(e.values)
    if (
        allowed is not None
        and not (allowed - excluded)
        and any(_false_when_absent(s) for _, s in strings)
    ):
        return f"no value of `{key}` meets every `StringEquals`/`StringNotEquals` here"
    return None


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
