"""``drpolicy check`` with several requests: each action of ``--action-names`` on each resource
of ``--resource-arns``, every line of ``--requests FILE``, and ``--output simulate`` (JSON in
the shape of ``aws iam simulate-custom-policy`` results).

Requests files are JSON Lines (one object per line) or CSV with a header row; either has the
fields ``role`` (or ``principal``; default: the ROLE argument), ``action``, ``resource`` and
``context`` (a JSON object of key -> string or list of strings; in CSV a JSON text or empty).
A file whose first non-blank character is ``{`` is JSON Lines. Unknown fields are bad input.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from drpolicy.errors import DrpolicyError, LoaderError

if TYPE_CHECKING:
    from drpolicy.model import Decision

__all__ = [
    "Request", "Result", "evaluate_all", "print_results", "read_requests", "requests_from_args",
    "simulate_json",
]

_FIELDS: Final = ("role", "principal", "action", "resource", "context")
_SIMULATE_DECISION: Final[Mapping[str, str]] = {
    "Allowed": "allowed",
    "ExplicitlyDenied": "explicitDeny",
    "ImplicitlyDenied": "implicitDeny",
}


class Request(NamedTuple):
    """One request to decide; ``error`` is set when its line could not be read."""

    line: int | None
    role: str | None
    action: str
    resource: str
    context: Mapping[str, Any]
    error: str | None = None


class Result(NamedTuple):
    """A request and its decision, or the bad-input message that stopped it."""

    request: Request
    decision: Decision | None
    error: str | None
    principal_kind: str | None = None


def requests_from_args(args: Any, context: Mapping[str, Any]) -> list[Request]:
    """The requests of a ``check`` call with ``--requests`` or ``--action-names`` /
    ``--resource-arns``; a combination that makes no sense is a usage error (exit 2)."""
    if args.requests is not None:
        if args.action is not None or args.action_names or args.resource_arns:
            args.subparser.error("--requests takes the requests from FILE: give only ROLE"
                                 " (the default role of its lines), not ACTION or RESOURCE")
        if context:
            args.subparser.error("--requests: give each line's context in FILE, not -c")
        return read_requests(args.requests, args.role)
    actions = args.action_names or ([args.action] if args.action else [])
    resources = args.resource_arns or ([args.resource] if args.resource else [])
    both = [args.action is not None and bool(args.action_names),
            args.resource is not None and bool(args.resource_arns)]
    if args.role is None or not actions or not resources or any(both):
        args.subparser.error("give ROLE, then ACTION or --action-names, and RESOURCE or"
                             " --resource-arns (one of each)")
    return [Request(None, args.role, a, r, context) for a in actions for r in resources]


def read_requests(path: str, default_role: str | None) -> list[Request]:
    """Every request of ``path`` (``-``: stdin), in order.

    Raises:
        LoaderError: the file cannot be read, is not UTF-8, or holds no request.
    """
    name = "<stdin>" if path == "-" else path
    if path == "-":
        text = sys.stdin.read()
    else:
        p = Path(path)
        if not p.is_file():
            raise LoaderError(path, "no such file" if not p.exists() else "not a file")
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoaderError(path, f"not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise LoaderError(path, f"cannot read: {exc.strerror or exc}") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        rows = _jsonl(text, default_role)
    else:
        rows = _csv(text, default_role, name)
    if not rows:
        raise LoaderError(name, "no requests: expected JSON Lines or CSV with a header row")
    return rows


def _jsonl(text: str, default_role: str | None) -> list[Request]:
    out: list[Request] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            msg = getattr(exc, "msg", None) or "too deeply nested"
            out.append(_bad(number, f"not JSON: {msg}"))
            continue
        if not isinstance(data, dict):
            out.append(_bad(number, "expected a JSON object with action and resource"))
            continue
        out.append(_request(number, data, default_role))
    return out


def _csv(text: str, default_role: str | None, name: str) -> list[Request]:
    reader = csv.DictReader(io.StringIO(text))
    out: list[Request] = []
    header = [h.strip() for h in reader.fieldnames or ()]
    unknown = [h for h in header if h not in _FIELDS]
    if unknown:
        raise LoaderError(
            name, f"unknown CSV column `{unknown[0]}` (expected {', '.join(_FIELDS)})"
        )
    for raw in reader:
        row = {k.strip(): v for k, v in raw.items() if k is not None}
        if None in raw:
            out.append(_bad(reader.line_num, "more values than header columns"))
            continue
        fields: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "")}
        if "context" in fields:
            try:
                fields["context"] = json.loads(fields["context"])
            except ValueError as exc:
                out.append(_bad(reader.line_num, f"context is not JSON: {exc}"))
                continue
        out.append(_request(reader.line_num, fields, default_role))
    return out


def _bad(line: int, message: str) -> Request:
    return Request(line, None, "", "", {}, f"line {line}: {message}")


def _request(line: int, data: Mapping[str, Any], default_role: str | None) -> Request:
    unknown = [k for k in data if k not in _FIELDS]
    if unknown:
        return _bad(line, f"unknown field `{unknown[0]}` (expected {', '.join(_FIELDS)})")
    if "role" in data and "principal" in data:
        return _bad(line, "give `role` or `principal`, not both")
    role = data.get("role", data.get("principal", default_role))
    missing = [k for k in ("action", "resource") if not isinstance(data.get(k), str)]
    if role is None:
        missing.insert(0, "role")
    if missing:
        return _bad(line, f"`{missing[0]}` is missing or not a string")
    if not isinstance(role, str):
        return _bad(line, "`role` must be a string")
    context = data.get("context", {})
    if not isinstance(context, dict):
        return _bad(line, "`context` must be a JSON object of key -> value(s)")
    return Request(line, role, data["action"], data["resource"], context)


def evaluate_all(
    requests: Iterable[Request], subject_of: Callable[[str], Any]
) -> list[Result]:
    """Decide each request with ``drpolicy.evaluate``; a request whose role, action, resource
    or context is bad gets its error instead (the others are still decided)."""
    from drpolicy._api import evaluate

    out: list[Result] = []
    for r in requests:
        if r.error is not None:
            out.append(Result(r, None, r.error))
            continue
        try:
            subject = subject_of(r.role or "")
            decision = evaluate(subject, r.action, r.resource, r.context)
        except DrpolicyError as exc:
            where = f"line {r.line}: " if r.line is not None else ""
            out.append(Result(r, None, where + " ".join(str(exc).split())))
            continue
        kind = getattr(getattr(subject, "principal", None), "kind", None)
        out.append(Result(r, decision, None, kind if isinstance(kind, str) else None))
    return out


def print_results(results: Sequence[Result], fmt: str) -> None:
    """One line per result (``text``: tab-separated decision, role, action, resource, notes;
    ``json``: JSON Lines), or one ``simulate`` document (errors then go to stderr)."""
    from drpolicy.explain import decision_to_json

    if fmt == "simulate":
        print(json.dumps(simulate_json(results), indent=2))
        for res in results:
            if res.error is not None:
                print(f"drpolicy: error: {res.error}", file=sys.stderr)
        return
    for res in results:
        r = res.request
        if fmt == "json":
            data: dict[str, Any] = {} if r.line is None else {"line": r.line}
            data.update(role=r.role, action=r.action, resource=r.resource)
            if res.decision is None:
                data["error"] = res.error
            else:
                data["decision"] = decision_to_json(res.decision)
            print(json.dumps(data))
            continue
        if res.decision is None:
            print("\t".join(["error", r.role or "", r.action, r.resource, res.error or ""]))
            continue
        d = res.decision
        notes = [f"by {ref}" for ref in d.reasons]
        if d.missing_context:
            notes.append("missing context: " + ", ".join(d.missing_context))
        notes.extend(f"error: {e}" for e in d.errors)
        print("\t".join([d.decision, r.role or "", r.action, r.resource, *(
            ["; ".join(notes)] if notes else []
        )]))


def simulate_json(results: Sequence[Result]) -> dict[str, Any]:
    """The results as ``aws iam simulate-custom-policy`` / ``simulate-principal-policy`` print
    them: ``{"EvaluationResults": [...]}``, one entry per decided request (bad requests are
    left out). ``MatchedStatements`` names the deciding statements' policies; drpolicy keeps
    no source positions, so ``StartPosition``/``EndPosition`` are absent.

    >>> from drpolicy import evaluate
    >>> d = evaluate("deepracer", "deepracer:ListModels", "*")
    >>> out = simulate_json([Result(Request(None, "deepracer", "deepracer:ListModels", "*", {}),
    ...                             d, None, "role")])
    >>> entry = out["EvaluationResults"][0]
    >>> entry["EvalDecision"], entry["MatchedStatements"][0]["SourcePolicyId"]
    ('allowed', 'AWSDeepRacerServiceRolePolicy')
    """
    entries = []
    for res in results:
        d = res.decision
        if d is None:
            continue
        entries.append({
            "EvalActionName": res.request.action,
            "EvalResourceName": res.request.resource,
            "EvalDecision": _SIMULATE_DECISION[d.decision],
            "MatchedStatements": [
                {"SourcePolicyId": ref.policy,
                 "SourcePolicyType": _source_type(ref.policy_type, res.principal_kind)}
                for ref in d.reasons
            ],
            "MissingContextValues": list(d.missing_context),
        })
    return {"EvaluationResults": entries}


def _source_type(policy_type: str, principal_kind: str | None) -> str:
    """AWS's ``SourcePolicyType`` (user, group, role, aws-managed, user-managed, resource,
    none) as far as drpolicy knows it: an identity policy is the principal's (``role`` or
    ``user``; drpolicy does not tell inline from managed), a resource or trust policy is
    ``resource``, anything else (boundaries, SCPs) ``none``."""
    if policy_type == "identity":
        return principal_kind if principal_kind in ("role", "user") else "none"
    if policy_type in ("resource", "trust"):
        return "resource"
    return "none"
