"""Parse IAM JSON policy documents into :mod:`drpolicy.model` objects.

The parser is strict and collects **every** problem in the document before raising one
:class:`~drpolicy.errors.PolicyParseError` whose ``problems`` name each place
(``Statement[2].Condition.StringLike.aws:SourceIp``). It accepts what the IAM policy grammar
accepts (IAM User Guide, "Grammar of the IAM JSON policy language"): ``Statement`` as one object
or a list, string-or-list elements, ``Version`` 2012-10-17 / 2008-10-17 / absent, JSON numbers
and booleans as condition values. Things AWS accepts but that match nothing (``"s3:"``,
``"s3:Get,Put"``) are kept literally; the linter reports them, the parser does not.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from drpolicy._wildcard import PatternError, compile_action_pattern, compile_arn_pattern
from drpolicy.conditions import (
    OperatorError,
    ValueParseError,
    compile_condition,
    parse_operator,
)
from drpolicy.errors import PolicyParseError, Problem
from drpolicy.model import ConditionEntry, Policy, PolicyType, PrincipalSpec, Statement

__all__ = ["check_policy_type", "load_policy", "parse_policy"]


def __dir__() -> list[str]:
    return __all__


VERSIONS: Final = ("2012-10-17", "2008-10-17")
_POLICY_KEYS: Final = ("Version", "Id", "Statement")
_STATEMENT_KEYS: Final = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_KEYS: Final = ("AWS", "Service", "Federated", "CanonicalUser")
_ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_AWS_PRINCIPAL_ARN: Final = re.compile(
    r"arn:[a-z0-9-]+:(?:iam::(?:[0-9]{12}|aws):(?:root|user/.+|role/.+|federated-user/.+)"
    r"|sts::[0-9]{12}:(?:assumed-role/[^/]+/.+|federated-user/.+))"
)


class _Obj(dict):  # type: ignore[type-arg]
    """A JSON object that remembers keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _Obj:
    obj = _Obj()
    dups: list[str] = []
    for key, value in pairs:
        if key in obj:
            dups.append(key)
        obj[key] = value
    if dups:
        obj.duplicates = tuple(dups)
    return obj


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


class _Collector:
    """Collects problems while walking a document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, value: object = None, code: str = "value") -> None:
        self.problems.append(Problem(path, message, value, code))

    def duplicates(self, obj: object, path: str) -> None:
        for key in getattr(obj, "duplicates", ()):
            self.add(_join(path, key), f"duplicate key `{key}`", key, "duplicate-key")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _strings(value: object, path: str, errs: _Collector, what: str) -> list[tuple[str, str]]:
    """A string-or-list-of-strings element as ``(path, string)`` pairs."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append((f"{path}[{i}]", item))
            else:
                errs.add(
                    f"{path}[{i}]",
                    f"{what} entries must be strings, not {_type_name(item)}",
                    item,
                    "type",
                )
        return out
    errs.add(path, f"{what} must be a string or a list of strings, not {_type_name(value)}", value, "type")
    return []


def _decode(source: str | bytes | bytearray, name: str | None = None) -> Any:
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PolicyParseError([Problem("", f"not UTF-8 text: {exc.reason}", None, "json")], name) from None
    try:
        return json.loads(source, object_pairs_hook=_pairs_hook)
    except json.JSONDecodeError as exc:
        raise PolicyParseError(
            [Problem("", f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", None, "json")], name
        ) from None
    except RecursionError:
        raise PolicyParseError([Problem("", "malformed JSON: nested too deeply", None, "json")], name) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise PolicyParseError([Problem("", f"unreadable JSON: {exc}", None, "json")], name) from None


def parse_policy(
    source: str | bytes | bytearray | Mapping[str, Any] | Policy,
    *,
    name: str | None = None,
    policy_type: PolicyType | None = None,
) -> Policy:
    """Parse a policy document.

    Args:
        source: JSON text, UTF-8 bytes, an already-decoded mapping, or a :class:`Policy`
            (returned as is, renamed if ``name`` is given).
        name: the name decisions and errors use for this policy (default ``"policy"``, or the
            document's ``Id``).
        policy_type: when given, also enforce that type's structural rules (identity
            policies have no ``Principal``; resource policies need one; trust policies have no
            ``Resource``). ``None`` checks only what every policy type shares.

    Returns:
        The parsed, immutable :class:`Policy`.

    Raises:
        PolicyParseError: the document is malformed; ``.problems`` lists every problem.

    >>> p = parse_policy('{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
    ...                  ' "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}', name="read")
    >>> p.statements[0].action
    ('s3:GetObject',)
    """
    if isinstance(source, Policy):
        policy = source if name is None or name == source.name else _renamed(source, name)
        if policy_type is not None:
            problems = check_policy_type(policy, policy_type)
            if problems:
                raise PolicyParseError.from_problems(problems, policy.name)
        return policy
    if isinstance(source, (str, bytes, bytearray)):
        document = _decode(source, name)
    elif isinstance(source, Mapping):
        document = source
    else:
        raise PolicyParseError(
            [Problem("", f"a policy must be JSON text, bytes or a mapping, not {_type_name(source)}", None, "type")],
            name,
        )
    errs = _Collector()
    parsed = _parse_document(document, name, errs)
    if parsed is not None and policy_type is not None:
        errs.problems.extend(check_policy_type(parsed, policy_type))
    if errs.problems or parsed is None:
        raise PolicyParseError.from_problems(errs.problems, name or _doc_id(document))
    return parsed


load_policy = parse_policy


def _renamed(policy: Policy, name: str) -> Policy:
    return Policy(name, policy.statements, policy.version, policy.id)


def _doc_id(document: object) -> str | None:
    if isinstance(document, Mapping) and isinstance(document.get("Id"), str):
        return str(document["Id"])
    return None


def _parse_document(document: object, name: str | None, errs: _Collector) -> Policy | None:
    if not isinstance(document, Mapping):
        errs.add("", f"a policy must be a JSON object, not {_type_name(document)}", document, "type")
        return None
    errs.duplicates(document, "")
    for key in document:
        if key not in _POLICY_KEYS:
            errs.add(key, _unknown(key, _POLICY_KEYS, "policy element"), key, "unknown-element")
    version = document.get("Version")
    if "Version" in document and version not in VERSIONS:
        errs.add(
            "Version",
            f"`{version}` is not a policy version (use `2012-10-17` or `2008-10-17`)",
            version,
        )
        version = "2012-10-17"
    doc_id = document.get("Id")
    if "Id" in document and not isinstance(doc_id, str):
        errs.add("Id", f"Id must be a string, not {_type_name(doc_id)}", doc_id, "type")
        doc_id = None
    if "Statement" not in document:
        errs.add("Statement", "missing required element `Statement`", None, "missing")
        return None
    raw = document["Statement"]
    statements: list[Statement] = []
    if isinstance(raw, Mapping):
        items: list[tuple[str, object]] = [("Statement", raw)]
    elif isinstance(raw, (list, tuple)):
        items = [(f"Statement[{i}]", s) for i, s in enumerate(raw)]
    else:
        errs.add("Statement", f"Statement must be an object or a list, not {_type_name(raw)}", raw, "type")
        return None
    variables = version == "2012-10-17"
    for index, (path, item) in enumerate(items):
        stmt = _parse_statement(item, index, path, variables, errs)
        if stmt is not None:
            statements.append(stmt)
    return Policy(name or doc_id or "policy", tuple(statements), version, doc_id)


def _unknown(key: str, known: tuple[str, ...], what: str) -> str:
    for k in known:
        if k.lower() == key.lower():
            return f"unknown {what} `{key}`: it is spelled `{k}`"
    return f"unknown {what} `{key}` (expected one of {', '.join(known)})"


def _parse_statement(
    item: object, index: int, path: str, variables: bool, errs: _Collector
) -> Statement | None:
    if not isinstance(item, Mapping):
        errs.add(path, f"a statement must be an object, not {_type_name(item)}", item, "type")
        return None
    before = len(errs.problems)
    errs.duplicates(item, path)
    for key in item:
        if key not in _STATEMENT_KEYS:
            errs.add(_join(path, key), _unknown(key, _STATEMENT_KEYS, "statement element"), key, "unknown-element")

    sid = item.get("Sid")
    if "Sid" in item and not isinstance(sid, str):
        errs.add(_join(path, "Sid"), f"Sid must be a string, not {_type_name(sid)}", sid, "type")
        sid = None

    effect = item.get("Effect")
    if effect is None:
        errs.add(_join(path, "Effect"), "missing required element `Effect`", None, "missing")
    elif effect not in ("Allow", "Deny"):
        hint = f": it is spelled `{effect.capitalize()}`" if isinstance(effect, str) and effect.lower() in ("allow", "deny") else ""
        errs.add(_join(path, "Effect"), f"the effect must be `Allow` or `Deny`, not `{effect}`{hint}", effect)

    actions = _pair(item, "Action", "NotAction", path, errs, required=True)
    action = not_action = None
    if actions is not None:
        key, value = actions
        checked = []
        for p, text in _strings(value, _join(path, key), errs, key):
            try:
                compile_action_pattern(text)
            except PatternError as exc:
                errs.add(p, f"`{text}`: {exc}", text, exc.code)
            checked.append(text)
        if key == "Action":
            action = tuple(checked)
        else:
            not_action = tuple(checked)

    resources = _pair(item, "Resource", "NotResource", path, errs, required=False)
    resource = not_resource = None
    if resources is not None:
        key, value = resources
        checked = []
        for p, text in _strings(value, _join(path, key), errs, key):
            try:
                compile_arn_pattern(text, fold_prefix=True, variables=variables)
            except PatternError as exc:
                errs.add(p, f"`{text}`: {exc}", text, exc.code)
            checked.append(text)
        if key == "Resource":
            resource = tuple(checked)
        else:
            not_resource = tuple(checked)

    principals = _pair(item, "Principal", "NotPrincipal", path, errs, required=False)
    principal = not_principal = None
    if principals is not None:
        key, value = principals
        spec = _parse_principal(value, _join(path, key), errs)
        if key == "Principal":
            principal = spec
        else:
            not_principal = spec

    conditions = _parse_conditions(item.get("Condition"), _join(path, "Condition"), variables, errs) if "Condition" in item else ()

    if len(errs.problems) > before or effect not in ("Allow", "Deny"):
        return None
    return Statement(
        index=index,
        effect=effect,
        sid=sid,
        action=action,
        not_action=not_action,
        resource=resource,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
    )


def _pair(
    item: Mapping[str, Any], key: str, not_key: str, path: str, errs: _Collector, *, required: bool
) -> tuple[str, object] | None:
    has, has_not = key in item, not_key in item
    if has and has_not:
        errs.add(_join(path, not_key), f"a statement cannot have both `{key}` and `{not_key}`", None, "conflict")
        return None
    if has:
        return key, item[key]
    if has_not:
        return not_key, item[not_key]
    if required:
        errs.add(_join(path, key), f"missing required element `{key}` (or `{not_key}`)", None, "missing")
    return None


def _parse_principal(value: object, path: str, errs: _Collector) -> PrincipalSpec | None:
    if value == "*":
        return PrincipalSpec(wildcard=True)
    if not isinstance(value, Mapping):
        errs.add(path, f"must be `*` or an object with AWS/Service/Federated/CanonicalUser keys, not {_type_name(value) if not isinstance(value, str) else '`' + value + '`'}", value, "type")
        return None
    errs.duplicates(value, path)
    found: dict[str, tuple[str, ...]] = {}
    for key, raw in value.items():
        if key not in _PRINCIPAL_KEYS:
            errs.add(_join(path, key), _unknown(key, _PRINCIPAL_KEYS, "principal type"), key, "unknown-element")
            continue
        entries = []
        for p, text in _strings(raw, _join(path, key), errs, f"{key} principal"):
            problem = _principal_problem(key, text)
            if problem:
                errs.add(p, problem, text)
            entries.append(text)
        found[key] = tuple(entries)
    return PrincipalSpec(
        wildcard=False,
        aws=found.get("AWS", ()),
        service=found.get("Service", ()),
        federated=found.get("Federated", ()),
        canonical_user=found.get("CanonicalUser", ()),
    )


def _principal_problem(kind: str, text: str) -> str | None:
    if not text:
        return "a principal cannot be empty"
    if kind == "AWS":
        if text == "*" or _ACCOUNT_ID.fullmatch(text):
            return None
        if "*" in text or "?" in text:
            return f"`{text}`: a wildcard cannot match part of a principal; use `*` with an `aws:PrincipalArn` condition"
        if not _AWS_PRINCIPAL_ARN.fullmatch(text):
            return f"`{text}` is not an account ID or an IAM/STS principal ARN"
        return None
    if kind == "Service" and text != "*" and ("*" in text or "?" in text):
        return f"`{text}`: a wildcard cannot match part of a service principal"
    return None


def scalar_text(value: object, *, floats: bool = True) -> str | None:
    """A policy or request value as the text IAM compares: strings as is, JSON booleans and
    numbers as their JSON text (``None``: not such a value). Condition values in a policy
    may be floats; request context values may not (``floats=False``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if floats and isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def _parse_conditions(
    block: object, path: str, variables: bool, errs: _Collector
) -> tuple[ConditionEntry, ...]:
    if not isinstance(block, Mapping):
        errs.add(path, f"Condition must be an object, not {_type_name(block)}", block, "type")
        return ()
    errs.duplicates(block, path)
    entries: list[ConditionEntry] = []
    for operator, keys in block.items():
        op_path = _join(path, operator)
        op_ok = True
        try:
            parse_operator(operator)
        except OperatorError as exc:
            errs.add(op_path, str(exc), operator, "unknown-operator")
            op_ok = False
        if not isinstance(keys, Mapping):
            errs.add(op_path, f"an operator maps condition keys to values, not {_type_name(keys)}", keys, "type")
            continue
        errs.duplicates(keys, op_path)
        seen: dict[str, str] = {}
        for key, raw in keys.items():
            key_path = _join(op_path, key)
            if not key:
                errs.add(key_path, "a condition key cannot be empty", key)
                continue
            if key.lower() in seen:
                errs.add(key_path, f"condition key `{key}` repeats `{seen[key.lower()]}` (keys are case-insensitive)", key, "duplicate-key")
                continue
            seen[key.lower()] = key
            raw_values = raw if isinstance(raw, (list, tuple)) else [raw]
            values: list[str] = []
            bad = False
            for i, v in enumerate(raw_values):
                text = scalar_text(v)
                if text is None:
                    where = f"{key_path}[{i}]" if isinstance(raw, (list, tuple)) else key_path
                    errs.add(where, f"a condition value must be a string, number or boolean, not {_type_name(v)}", v, "type")
                    bad = True
                else:
                    values.append(text)
            if bad or not op_ok:
                continue
            try:
                compile_condition(operator, key, tuple(values), variables=variables)
            except (ValueParseError, OperatorError) as exc:
                errs.add(key_path, str(exc), raw, getattr(exc, "code", "value"))
                continue
            entries.append(ConditionEntry(operator, key, tuple(values)))
    return tuple(entries)


# --------------------------------------------------------------------------------------
# Per-type structural rules
# --------------------------------------------------------------------------------------


def check_policy_type(policy: Policy, policy_type: PolicyType) -> list[Problem]:
    """The problems ``policy`` has as a policy of ``policy_type`` (empty if none).

    Identity, permission-boundary, session and SCP policies have no ``Principal`` and need a
    ``Resource``; resource-based and RCP policies need a ``Principal`` (or ``NotPrincipal``)
    and a ``Resource``; trust policies need a ``Principal``, and have no ``Resource`` and no
    ``NotPrincipal`` (IAM User Guide, policy grammar and "Role trust policy" checks).
    """
    problems: list[Problem] = []
    for stmt in policy.statements:
        path = f"Statement[{stmt.index}]"
        has_principal = stmt.principal is not None or stmt.not_principal is not None
        has_resource = stmt.resource is not None or stmt.not_resource is not None
        if policy_type in ("identity", "permission_boundary", "session", "scp"):
            if has_principal:
                key = "Principal" if stmt.principal is not None else "NotPrincipal"
                problems.append(Problem(f"{path}.{key}", f"`{key}` is not allowed in {_TYPE_WORDS[policy_type]}", None, "conflict"))
            if not has_resource:
                problems.append(Problem(f"{path}.Resource", "missing required element `Resource` (or `NotResource`)", None, "missing"))
        elif policy_type in ("resource", "rcp"):
            if not has_principal:
                problems.append(Problem(f"{path}.Principal", f"{_TYPE_WORDS[policy_type]} needs `Principal` (or `NotPrincipal`)", None, "missing"))
            if not has_resource:
                problems.append(Problem(f"{path}.Resource", "missing required element `Resource` (or `NotResource`)", None, "missing"))
        elif policy_type == "trust":
            if stmt.principal is None:
                problems.append(Problem(f"{path}.Principal", "a role trust policy needs `Principal`", None, "missing"))
            if stmt.not_principal is not None:
                problems.append(Problem(f"{path}.NotPrincipal", "`NotPrincipal` is not allowed in a role trust policy", None, "conflict"))
            if has_resource:
                key = "Resource" if stmt.resource is not None else "NotResource"
                problems.append(Problem(f"{path}.{key}", f"`{key}` is not allowed in a role trust policy", None, "conflict"))
    return problems


_TYPE_WORDS: Final[Mapping[str, str]] = {
    "identity": "an identity-based policy",
    "permission_boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "resource": "a resource-based policy",
    "rcp": "a resource control policy",
    "trust": "a role trust policy",
}
