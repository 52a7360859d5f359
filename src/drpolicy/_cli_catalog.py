"""The CLI's catalog-aware parts: ``what-can``, ``who-can``, the ``warning:`` lines (and
``--strict``) of ``check``/``explain``, and ``validate``'s progress line.

cli.py registers these with a few lines; everything else lives here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TextIO

__all__ = [
    "EXIT_BAD_INPUT",
    "add_parsers",
    "add_strict",
    "request_warnings",
    "run_what_can",
    "run_who_can",
    "validate_progress",
    "with_warnings",
]

EXIT_BAD_INPUT: Final = 2

_WHAT_CAN_EXAMPLES: Final = """\
examples:
  drpolicy what-can deepracer --service s3
  drpolicy what-can sagemaker --resource arn:aws:iam::123456789012:role/AWSDeepRacerSageMakerAccessRole
  drpolicy what-can ci-deployer --account-export account.json --json

"""

_WHO_CAN_EXAMPLES: Final = """\
examples:
  drpolicy who-can s3:GetObject arn:aws:s3:::datalake/raw/x.csv --account-export account.json
  drpolicy who-can sts:AssumeRole '*' --account-export account.json
  drpolicy who-can s3:GetObject arn:aws:s3:::b/k --account-export account.json \\
      --resource-policy bucket-policy.json --json

"""

_PROGRESS_AFTER: Final = 1.0  # seconds before validate shows progress


def add_strict(parser: argparse.ArgumentParser) -> None:
    """``--strict`` for ``check`` and ``explain``."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when the request has a catalog warning (an unknown action or context"
        " key, a resource that fits none of the action's resource types)",
    )


def add_parsers(
    sub: Any,
    subparser: Callable[[Any, str, str, str, str], argparse.ArgumentParser],
    add_context: Callable[[argparse.ArgumentParser], None],
    add_role_source: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``what-can`` and ``who-can`` (``subparser`` is cli.py's factory), and
    ``--strict`` for ``check`` and ``explain``."""
    for name in ("check", "explain"):
        if name in sub.choices:
            add_strict(sub.choices[name])
    what = subparser(
        sub,
        "what-can",
        "which catalog actions may ROLE perform?",
        "List every action of AWS's catalog that a session of ROLE may perform (on RESOURCE,"
        " if given), each with the statements that grant it and the conditions it still"
        " depends on. Wildcard actions are expanded against the catalog.",
        _WHAT_CAN_EXAMPLES,
    )
    what.add_argument("role", metavar="ROLE", help="catalog role name or alias, or see below")
    what.add_argument("--resource", metavar="ARN", help="decide every action on this resource")
    what.add_argument("--service", metavar="PREFIX", help="only this service's actions")
    add_context(what)
    add_role_source(what)
    what.add_argument("--json", action="store_true")

    who = subparser(
        sub,
        "who-can",
        "which users and roles of an account may do ACTION on RESOURCE?",
        "List every user and role of an account export that may perform the request (identity"
        " policies, groups, boundaries; with --resource-policy the resource's policy too),"
        " with the deciding statements. sts:AssumeRole on a role of the account uses its trust"
        " policy; with RESOURCE `*`, sts:AssumeRole and iam:PassRole ask about every role.",
        _WHO_CAN_EXAMPLES,
    )
    who.add_argument("action", metavar="ACTION", help="service:ActionName")
    who.add_argument("resource", metavar="RESOURCE", help="resource ARN, or *")
    who.add_argument(
        "--account-export",
        metavar="FILE",
        required=True,
        help="an `aws iam get-account-authorization-details` output",
    )
    who.add_argument(
        "--ignore-missing-managed",
        action="store_true",
        help="skip attached managed policies the export does not contain",
    )
    who.add_argument("--resource-policy", metavar="FILE", help="the resource's policy")
    add_context(who)
    who.add_argument("--json", action="store_true")


# --------------------------------------------------------------------------------------
# check / explain: warnings
# --------------------------------------------------------------------------------------


def with_warnings(
    command: Callable[[argparse.Namespace], int],
    args: argparse.Namespace,
    subject_of: Callable[[argparse.Namespace], Any],
    context_of: Callable[[Any, Any], Mapping[str, Any]],
) -> int:
    """Run ``check``/``explain``; then print the request's catalog warnings on stderr, and
    with ``--strict`` exit 2 when there are any. A command that fails (bad input) prints no
    warnings; several requests at once (``check --requests``) are not checked."""
    code = command(args)
    several = any(
        getattr(args, name, None) for name in ("requests", "action_names", "resource_arns")
    )
    if several or getattr(args, "action", None) is None or getattr(args, "resource", None) is None:
        return code
    context = context_of(args.context, args.context_json)
    warned = request_warnings(subject_of(args), args.action, args.resource, context)
    return EXIT_BAD_INPUT if warned and getattr(args, "strict", False) else code


def request_warnings(
    subject: Any,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None,
    stream: TextIO | None = None,
) -> int:
    """Print the request's catalog findings as ``warning:`` lines; return how many."""
    from drpolicy._request_check import check_request

    policies = list(subject.policies)
    if getattr(subject, "permission_boundary", None) is not None:
        policies.append(subject.permission_boundary)
    findings = check_request(action, resource, context, policies=policies)
    out = stream if stream is not None else sys.stderr
    for finding in findings:
        print(f"warning: {finding}", file=out)
    return len(findings)


# --------------------------------------------------------------------------------------
# validate: progress
# --------------------------------------------------------------------------------------


def validate_progress(name: str, stream: TextIO | None = None) -> Callable[[int, int], None]:
    """A ``progress`` callback for :func:`drpolicy.validate.validate_policy` that shows
    ``NAME: 2500/10000 statements`` on stderr once a document takes longer than a second (on
    a terminal, one line updated in place; otherwise a line every few seconds)."""
    out = stream if stream is not None else sys.stderr
    start = time.monotonic()
    state = {"shown": float("-inf"), "dirty": False}
    tty = bool(getattr(out, "isatty", lambda: False)())

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - start < _PROGRESS_AFTER:
            return
        if tty:
            end = "\n" if done == total else ""
            print(f"\r{name}: {done}/{total} statements", end=end, file=out, flush=True)
        elif now - state["shown"] >= 5.0 or (done == total and state["dirty"]):
            print(f"{name}: {done}/{total} statements", file=out, flush=True)
            state["shown"] = now
            state["dirty"] = True

    return progress


# --------------------------------------------------------------------------------------
# what-can / who-can
# --------------------------------------------------------------------------------------


def run_what_can(args: argparse.Namespace, subject: Any, context: Mapping[str, Any]) -> int:
    """``drpolicy what-can``: exit 0 when something is allowed, 1 when nothing is."""
    from drpolicy._whatcan import allowed_actions

    entries = allowed_actions(subject, args.resource, service=args.service, context=context or None)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "action": e.action,
                        "resource": e.resource,
                        "statements": [str(s) for s in e.statements],
                        "conditions": list(e.conditions),
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
    else:
        for e in entries:
            tail = f"  [{'; '.join(e.conditions)}]" if e.conditions else ""
            by = ", ".join(str(s) for s in e.statements)
            print(f"{e.action}  on {e.resource}  by {by}{tail}")
        print(f"{len(entries)} action{'s' if len(entries) != 1 else ''}", file=sys.stderr)
    return 0 if entries else 1


def run_who_can(
    args: argparse.Namespace, account: Any, context: Mapping[str, Any], resource_policy: Any
) -> int:
    """``drpolicy who-can``: exit 0 when some principal may, 1 when none may."""
    from drpolicy._whatcan import who_can

    found = who_can(
        account,
        args.action,
        args.resource,
        context=context or None,
        resource_policy=resource_policy,
    )
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "principal": p.principal,
                        "kind": p.kind,
                        "resource": p.resource,
                        "statements": [str(s) for s in p.decision.reasons],
                        "conditions": list(p.conditions),
                    }
                    for p in found
                ],
                indent=2,
            )
        )
    else:
        for p in found:
            tail = f"  [{'; '.join(p.conditions)}]" if p.conditions else ""
            by = ", ".join(str(s) for s in p.decision.reasons)
            print(f"{p.kind} {p.principal}  on {p.resource}  by {by}{tail}")
        print(f"{len(found)} principal{'s' if len(found) != 1 else ''}", file=sys.stderr)
    return 0 if found else 1
