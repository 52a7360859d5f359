"""``drpolicy check``, ``explain`` and ``can-assume``: the subcommands that decide a request
and print the decision (private module; :mod:`drpolicy.cli` dispatches to it and holds the
parser, the inputs and the output helpers these use)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from drpolicy.cli import (
    EXIT_ALLOWED,
    EXIT_BAD_INPUT,
    _BadInput,
    _context,
    _exit,
    _load_account,
    _policies,
    _print_decision,
    _print_json,
    _subject,
)

if TYPE_CHECKING:
    from drpolicy.model import Policy


def _cmd_check(args: argparse.Namespace) -> int:
    from drpolicy import _cli_batch as batch

    context = _context(args.context, args.context_json)
    several = bool(args.requests or args.action_names or args.resource_arns)
    if not several:
        missing = [n for n in ("role", "action", "resource") if getattr(args, n) is None]
        if missing:
            args.subparser.error(
                "the following arguments are required: "
                + ", ".join(n.upper() for n in missing)
                + " (or --action-names/--resource-arns, or --requests FILE)"
            )
        from drpolicy._api import evaluate

        subject = _subject(args)
        d = evaluate(subject, args.action, args.resource, context)
        if args.format == "simulate":
            request = batch.Request(None, args.role, args.action, args.resource, context)
            kind = getattr(getattr(subject, "principal", None), "kind", None)
            _print_json(batch.simulate_json([batch.Result(request, d, None, kind)]))
        else:
            _print_decision(d, args.format == "json")
        return _exit(d)
    requests = batch.requests_from_args(args, context)
    subjects: dict[str, Any] = {}

    def subject_of(role: str) -> Any:
        if role not in subjects:
            args.role = role
            subjects[role] = _subject(args)
        return subjects[role]

    results = batch.evaluate_all(requests, subject_of)
    batch.print_results(results, args.format)
    codes = [EXIT_BAD_INPUT if res.decision is None else _exit(res.decision) for res in results]
    # the worst outcome: bad input first, then the highest code
    return EXIT_BAD_INPUT if EXIT_BAD_INPUT in codes else max(codes, default=EXIT_ALLOWED)


def _cmd_explain(args: argparse.Namespace) -> int:
    from drpolicy.explain import explain

    context = _context(args.context, args.context_json)
    subject = _subject(args)
    e = explain(subject, args.action, args.resource, context)
    if args.format == "json":
        _print_json(e.to_json())
    elif args.format == "html":
        from drpolicy._html import render_html

        documents = {(kind, p.name): p.to_json() for kind, p in _policies_of(subject)}
        print(render_html(e.to_json(), documents), end="")
    else:
        print(e.render(verbose=args.verbose))
    return _exit(e.decision)


def _policies_of(subject: Any) -> list[tuple[str, Policy]]:
    """The subject's identity policies and permissions boundary (for their source text)."""
    out = [("identity", p) for p in getattr(subject, "policies", ())]
    boundary = getattr(subject, "permission_boundary", None)
    if boundary is not None:
        out.append(("permission_boundary", boundary))
    return out


def _cmd_can_assume(args: argparse.Namespace) -> int:
    from drpolicy._api import authorize
    from drpolicy.explain import explain_authorization
    from drpolicy.principals import Principal

    context = _context(args.context, args.context_json)
    role = _subject(args, roles_only=True)
    if role.trust_policy is None:
        raise _BadInput(f"role `{role.name}` has no trust policy: pass --trust-policy FILE")
    caller_policies: list[Any] = _policies(args.caller_policy, "identity")
    caller_boundary: Any = None
    principal: Any = args.principal
    if args.account_export is not None:
        entity = _export_entity(args, principal)
        if entity is not None:
            principal = entity.arn
            if not args.caller_policy:
                caller_policies = list(entity.policies)
            caller_boundary = entity.permission_boundary
    principal = Principal.parse(principal)
    kwargs: dict[str, Any] = {
        "context": context,
        "identity_policies": caller_policies,
        "resource_policy": role.trust_policy,
        "resource_account": role.account_id,
        "permission_boundary": caller_boundary,
    }
    if args.explain:
        e = explain_authorization(principal, args.action, role.arn, **kwargs)
        if args.json:
            _print_json(e.to_json())
        else:
            print(e.render())
        return _exit(e.decision)
    d = authorize(principal, args.action, role.arn, **kwargs)
    _print_decision(d, args.json)
    return _exit(d)


def _export_entity(args: argparse.Namespace, principal: str) -> Any:
    """The export's user or role that ``principal`` names (by name or ARN), if any."""
    from drpolicy.errors import CatalogError

    account = _load_account(args.account_export, args.ignore_missing_managed)
    if principal.startswith("arn:aws:sts:"):
        return None  # a session: its role's policies are not the session's to claim
    try:
        return account.principal(principal)
    except CatalogError:
        if (principal.startswith("arn:") or principal.isdigit() or "." in principal
                or principal in ("anonymous", "*")):
            return None  # an outside principal: fine, just not in the export
        raise
