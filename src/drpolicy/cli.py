"""The ``drpolicy`` command line.

Exit codes: 0 allowed (or success), 1 denied (or findings for ``validate``), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from drpolicy._api import can_assume, role as resolve_role
from drpolicy.catalog import ALIASES, ROLE_NAMES
from drpolicy.errors import DrpolicyError
from drpolicy.model import Decision

__all__ = ["main"]

EXIT_ALLOWED = 0
EXIT_DENIED = 1
EXIT_BAD_INPUT = 2

_EXAMPLES = """\
examples:
  drpolicy check AWSDeepRacerServiceRole s3:GetObject arn:aws:s3:::deepracer-models/model.tar.gz
  drpolicy check sagemaker iam:PassRole arn:aws:iam::123456789012:role/Any \\
      --context iam:PassedToService=sagemaker.amazonaws.com
  drpolicy can-assume sagemaker.amazonaws.com AWSDeepRacerSageMakerAccessRole
  drpolicy roles

exit codes: 0 allowed, 1 denied, 2 bad input
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with one line, as documented
        self.print_usage(sys.stderr)
        print(f"drpolicy: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _context(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DrpolicyError(f"--context takes KEY=VALUE, not `{pair}`")
        if key in out:  # repeating a key makes it multi-valued
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _decision_json(d: Decision) -> dict[str, Any]:
    return {
        "decision": d.decision,
        "allowed": d.allowed,
        "decided_by": d.decided_by,
        "reasons": [
            {"policy": r.policy, "policy_type": r.policy_type, "index": r.index, "sid": r.sid}
            for r in d.reasons
        ],
        "missing_context": list(d.missing_context),
        "errors": [str(e) for e in d.errors],
    }


def _print_decision(d: Decision, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_decision_json(d), indent=2))
        return
    print(d.decision)
    for r in d.reasons:
        print(f"  by {r}")
    if d.decided_by and not d.allowed:
        print(f"  decided by: {d.decided_by} policies")
    if d.missing_context:
        print(f"  missing context: {', '.join(d.missing_context)}")
    for e in d.errors:
        print(f"  error: {e}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="drpolicy",
        description="Evaluate AWS IAM policies locally; the AWS DeepRacer roles are built in.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="may ROLE do ACTION on RESOURCE?", epilog=_EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("role", help="catalog role name or alias (see `drpolicy roles`)")
    check.add_argument("action", help="service:ActionName, e.g. s3:GetObject")
    check.add_argument("resource", help="resource ARN, or * for actions without resource-level permissions")
    check.add_argument("--context", "-c", action="append", default=[], metavar="KEY=VALUE",
                       help="a request context value; repeat a key for a multi-valued key")
    check.add_argument("--json", action="store_true", help="print the decision as JSON")

    assume = sub.add_parser("can-assume", help="may PRINCIPAL assume ROLE (its trust policy)?")
    assume.add_argument("principal", help="service principal, IAM/STS ARN or account ID")
    assume.add_argument("role", help="catalog role name or alias")
    assume.add_argument("--context", "-c", action="append", default=[], metavar="KEY=VALUE")
    assume.add_argument("--json", action="store_true")

    roles = sub.add_parser("roles", help="list the built-in roles")
    roles.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            d = resolve_role(args.role).evaluate(args.action, args.resource, _context(args.context))
            _print_decision(d, args.json)
            return EXIT_ALLOWED if d.allowed else EXIT_DENIED
        if args.command == "can-assume":
            r = resolve_role(args.role)
            d = r.assume_decision(args.principal, _context(args.context))
            _print_decision(d, args.json)
            return EXIT_ALLOWED if d.allowed else EXIT_DENIED
        if args.command == "roles":
            aliases = {v: k for k, v in ALIASES.items()}
            if args.json:
                print(json.dumps([{"name": n, "alias": aliases[n], "arn": resolve_role(n).arn} for n in ROLE_NAMES], indent=2))
            else:
                for n in ROLE_NAMES:
                    print(f"{n:40} {aliases[n]:15} {resolve_role(n).arn}")
            return EXIT_ALLOWED
    except DrpolicyError as exc:
        print(f"drpolicy: error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT  # pragma: no cover - argparse enforces a command
