"""The ``drpolicy`` command line (also ``python -m drpolicy``).

Subcommands: ``check`` (may a role do an action on a resource?), ``explain`` (the same, with a
per-statement trace), ``roles`` (list the catalog or a loaded account), ``validate`` (lint
policy files) and ``can-assume`` (may a principal assume a role?). Roles come from the built-in
catalog by default, from your own policy files with ``--policy``/``--trust-policy``/
``--boundary``, or from an ``aws iam get-account-authorization-details`` export with
``--account-export``. Every subcommand takes ``--json``.

Exit codes: 0 allowed (or success, or no error findings), 1 denied (or ``validate`` found a
problem of severity ``error``), 2 bad input (unknown role, malformed ARN, action, context or
policy file, missing file). On bad input stderr gets one line, ``drpolicy: error: ...``, and
stdout stays empty.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

from drpolicy import __version__, _cli_analysis
from drpolicy.errors import DrpolicyError, LoaderError, RequestError

if TYPE_CHECKING:
    from drpolicy.model import Decision, Policy, PolicyType

__all__ = [
    "EXIT_ALLOWED", "EXIT_BAD_INPUT", "EXIT_DENIED", "EXIT_NOT_DEFINITE", "build_parser",
    "exit_codes_epilog", "main",
]


def __dir__() -> list[str]:
    return __all__


EXIT_ALLOWED: Final = 0
"""Allowed; or the command succeeded (``roles``), or ``validate`` found no error."""
EXIT_DENIED: Final = 1
"""Denied (explicitly or implicitly); or ``validate`` found a problem of severity error."""
EXIT_BAD_INPUT: Final = 2
"""Bad input: unknown role, malformed action/ARN/context/policy file, missing file, bad usage."""
EXIT_NOT_DEFINITE: Final = 3
"""Denied, but only because drpolicy failed closed: the decision rests on an evaluation error
or an ambiguous construct (``Decision.definite`` is false)."""

_BAD_INPUT_MEANING: Final = (
    "bad input: unknown role, malformed action, ARN, context or policy file, missing file;"
    " stderr gets one line `drpolicy: error: ...` and stdout stays empty"
)


def exit_codes_epilog(*codes: tuple[int, str]) -> str:
    """The ``exit codes:`` block of a subcommand's ``--help``: its own codes (e.g.
    ``(0, "allowed"), (1, "denied")``), then code 2, bad input, which every subcommand shares.
    Subcommands defined in other modules use it too, so the blocks read alike.

    >>> print(exit_codes_epilog((0, "listed")), end="")
    exit codes:
      0  listed
      2  bad input: unknown role, malformed action, ARN, context or policy file, missing file;
         stderr gets one line `drpolicy: error: ...` and stdout stays empty
    """
    import textwrap

    own = [(code, meaning) for code, meaning in codes if code != EXIT_BAD_INPUT]
    bad = "; ".join([_BAD_INPUT_MEANING, *(m for c, m in codes if c == EXIT_BAD_INPUT)])
    lines = ["exit codes:"]
    for code, meaning in (*own, (EXIT_BAD_INPUT, bad)):
        lines.extend(textwrap.wrap(
            meaning, width=92, initial_indent=f"  {code}  ", subsequent_indent="     ",
        ))
    return "\n".join(lines) + "\n"


_NOT_DEFINITE_MEANING: Final = (
    "not definite: denied only because a statement could not be evaluated (a context value of"
    " the wrong type...) or relies on an ambiguous construct; drpolicy failed closed"
)
_DECISION_CODES: Final = (
    (EXIT_ALLOWED, "allowed"),
    (EXIT_DENIED, "denied, explicitly or implicitly"),
    (EXIT_NOT_DEFINITE, _NOT_DEFINITE_MEANING),
)
_BATCH_CODES: Final = (
    (EXIT_ALLOWED, "allowed (with several requests: every one allowed)"),
    (EXIT_DENIED, "denied, explicitly or implicitly (with several requests: at least one)"),
    (EXIT_BAD_INPUT, ("with --requests, also: a line was bad input (its result line says why;"
                     " the other lines are still decided)")),
    (EXIT_NOT_DEFINITE, _NOT_DEFINITE_MEANING + " (with several requests: the worst line)"),
)
_EXIT_CODES = exit_codes_epilog(
    (EXIT_ALLOWED, ("allowed; or success (roles), or no finding of severity error or --fail-on"
                   " (validate)")),
    (EXIT_DENIED, ("denied, explicitly or implicitly; or a finding of severity error or"
                  " --fail-on (validate)")),
    (EXIT_NOT_DEFINITE, _NOT_DEFINITE_MEANING),
)

_MAIN_EXAMPLES = """\
examples:
  drpolicy check AWSDeepRacerServiceRole s3:GetObject arn:aws:s3:::deepracer-models/model.tar.gz
  drpolicy explain sagemaker iam:PassRole arn:aws:iam::123456789012:role/Any \\
      -c iam:PassedToService=sagemaker.amazonaws.com
  drpolicy check reader s3:GetObject arn:aws:s3:::data/x.csv --policy read.json
  drpolicy check alice s3:GetObject arn:aws:s3:::data/x --account-export account.json
  drpolicy can-assume sagemaker.amazonaws.com AWSDeepRacerSageMakerAccessRole
  drpolicy validate policies/*.json
  drpolicy roles --json

"""

_CHECK_EXAMPLES = """\
examples:
  drpolicy check AWSDeepRacerServiceRole s3:GetObject arn:aws:s3:::deepracer-models/model.tar.gz
  drpolicy check sagemaker iam:PassRole arn:aws:iam::123456789012:role/Any \\
      -c iam:PassedToService=sagemaker.amazonaws.com
  drpolicy check deepracer s3:GetObject arn:aws:s3:::other/x \\
      --context-json '{"s3:ExistingObjectTag/DeepRacer": "true"}'
  drpolicy check reader s3:GetObject arn:aws:s3:::data/x.csv --policy read.json --boundary b.json
  drpolicy check alice s3:GetObject arn:aws:s3:::data/x --account-export account.json --json
  drpolicy check deepracer --action-names s3:GetObject s3:PutObject \\
      --resource-arns arn:aws:s3:::deepracer-a/k arn:aws:s3:::other/k --output simulate
  drpolicy check --requests requests.jsonl      # or requests.csv, or - for stdin

"""

_EXPLAIN_EXAMPLES = """\
examples:
  drpolicy explain deepracer s3:GetObject arn:aws:s3:::deepracer-models/model.tar.gz
  drpolicy explain sagemaker iam:PassRole arn:aws:iam::123456789012:role/Any
  drpolicy explain ci-deployer lambda:UpdateFunctionCode \\
      arn:aws:lambda:us-east-1:111122223333:function:app --account-export account.json -v

"""

_ROLES_EXAMPLES = """\
examples:
  drpolicy roles
  drpolicy roles --account-export account.json --json

"""

_VALIDATE_EXAMPLES = """\
examples:
  drpolicy validate policy.json
  drpolicy validate --type trust trust-policy.json
  drpolicy validate policies/*.json --fail-on security-warning
  drpolicy validate policies/*.json --json

severities, most serious first: error (cannot work as written), security-warning (grants
more than it seems to), warning (probably not what was meant), suggestion (readability)

"""

_ASSUME_EXAMPLES = """\
examples:
  drpolicy can-assume sagemaker.amazonaws.com AWSDeepRacerSageMakerAccessRole
  drpolicy can-assume ec2.amazonaws.com MyRole --trust-policy trust.json
  drpolicy can-assume arn:aws:iam::111122223333:user/alice MyRole --trust-policy trust.json \\
      --caller-policy alice.json
  drpolicy can-assume ci-deployer-user-arn ci-deployer --account-export account.json --explain

"""

_SEVERITIES: Final = ("error", "security-warning", "warning", "suggestion")
"""drpolicy.validate.SEVERITIES, most serious first (kept here so --help needs no import)."""

_POLICY_TYPES: Final = (
    "identity", "resource", "trust", "permission_boundary", "scp", "rcp", "session",
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2, as documented."""

    def error(self, message: str) -> NoReturn:
        print(f"drpolicy: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


class _BadInput(DrpolicyError):
    """A command-line value the library does not check itself (e.g. a missing trust policy)."""


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------


def _subparser(
    sub: Any, name: str, help_: str, description: str, examples: str,
    codes: Sequence[tuple[int, str]] = _DECISION_CODES,
) -> argparse.ArgumentParser:
    import textwrap

    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_,
        description=textwrap.fill(description, width=92),  # the raw formatter does not wrap
        epilog=examples + exit_codes_epilog(*codes),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(subparser=parser)  # to report unknown arguments against it
    return parser


_ROLE_HELP: Final = (
    "catalog role name or alias (see `drpolicy roles`); with --policy: any name, given to the"
    " role built from the files (a catalog name then does NOT bring the catalog's policies);"
    " with --account-export: a role or user name or ARN of the export"
)


def _add_request(p: argparse.ArgumentParser, *, several: bool = False) -> None:
    if not several:
        p.add_argument("role", metavar="ROLE", help=_ROLE_HELP)
        p.add_argument("action", metavar="ACTION", help="service:ActionName, e.g. s3:GetObject")
        p.add_argument("resource", metavar="RESOURCE",
                       help="resource ARN, or * for actions without resource-level permissions")
    else:  # check: ACTION RESOURCE, or --action-names/--resource-arns, or --requests
        p.add_argument("role", metavar="ROLE", nargs="?", help=_ROLE_HELP)
        p.add_argument("action", metavar="ACTION", nargs="?",
                       help="service:ActionName, e.g. s3:GetObject")
        p.add_argument("resource", metavar="RESOURCE", nargs="?",
                       help="resource ARN, or * for actions without resource-level permissions")
        g = p.add_argument_group("several requests in one call (one result line each)")
        g.add_argument("--action-names", nargs="+", metavar="ACTION",
                       help="decide each of these actions on each resource (instead of ACTION)")
        g.add_argument("--resource-arns", nargs="+", metavar="RESOURCE",
                       help="the resources for --action-names (instead of RESOURCE)")
        g.add_argument("--requests", metavar="FILE",
                       help="decide every request of FILE (- for stdin): JSON Lines, or CSV with"
                            " a header; fields role (or principal; default ROLE), action,"
                            " resource, context (a JSON object)")
    _add_context(p)


def _add_format(p: argparse.ArgumentParser, what: str, choices: Sequence[str]) -> None:
    """--format (alias --output) and its shorthand --json."""
    p.add_argument("--format", "--output", dest="format", choices=choices, default="text",
                   help=f"how to print the {what}: " + ", ".join(choices) + " (default text)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help=f"print the {what} as JSON (same as --format json)")


def _add_context(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                   help="a request context value; repeat a key for a multi-valued key")
    p.add_argument("--context-json", metavar="JSON",
                   help="request context as a JSON object of key -> string or list of strings"
                        " (merged with --context)")


def _add_role_source(p: argparse.ArgumentParser, *, caller: bool = False) -> None:
    g = p.add_argument_group(
        "where ROLE comes from (default: the built-in catalog)"
    )
    g.add_argument("--policy", action="append", default=[], metavar="FILE",
                   help="build ROLE from this identity policy file (or every *.json file of"
                        " this folder); repeatable")
    g.add_argument("--trust-policy", metavar="FILE", help="the built role's trust policy")
    g.add_argument("--boundary", metavar="FILE", help="the built role's permissions boundary")
    g.add_argument("--account-id", metavar="ID", default=None,
                   help="the 12-digit account of a catalog or built role (default 123456789012)")
    g.add_argument("--account-export", metavar="FILE",
                   help="take ROLE from this `aws iam get-account-authorization-details` output")
    g.add_argument("--ignore-missing-managed", action="store_true",
                   help="with --account-export: skip attached managed policies the export does"
                        " not contain (their statements are then not evaluated)")
    if caller:
        g.add_argument("--caller-policy", action="append", default=[], metavar="FILE",
                       help="an identity policy of the caller (needed when the trust policy"
                            " names the caller's account, or for cross-account callers);"
                            " repeatable")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="drpolicy",
        description="Evaluate AWS IAM policies locally and explain the decisions; the AWS"
                    " DeepRacer roles are built in.",
        epilog=_MAIN_EXAMPLES + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"drpolicy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND")

    check = _subparser(sub, "check", "may ROLE do ACTION on RESOURCE?",
                       "Decide a request by a session of ROLE (its identity policies within"
                       " its permissions boundary); or several: each of --action-names on each"
                       " of --resource-arns, or every line of --requests FILE. --output"
                       " simulate prints JSON shaped like `aws iam simulate-custom-policy`.",
                       _CHECK_EXAMPLES, _BATCH_CODES)
    _add_request(check, several=True)
    _add_role_source(check)
    _add_format(check, "decisions", ("text", "json", "simulate"))

    explain = _subparser(sub, "explain", "why is ROLE allowed or denied ACTION on RESOURCE?",
                         "Decide one request and show every statement considered: action,"
                         " resource (with the ARN segment that failed), conditions with the"
                         " request and policy values, missing context keys.",
                         _EXPLAIN_EXAMPLES)
    _add_request(explain)
    _add_role_source(explain)
    explain.add_argument("-v", "--verbose", action="store_true",
                         help="show every check of every statement, also those whose action"
                              " does not match")
    _add_format(explain, "explanation", ("text", "json", "html"))

    roles = _subparser(sub, "roles", "list the built-in roles (or a loaded account's)",
                       "List the catalog's roles, or the roles and users of an account"
                       " export.", _ROLES_EXAMPLES, ((EXIT_ALLOWED, "listed"),))
    roles.add_argument("--account-export", metavar="FILE",
                       help="list this `aws iam get-account-authorization-details` output")
    roles.add_argument("--ignore-missing-managed", action="store_true",
                       help="skip attached managed policies the export does not contain")
    roles.add_argument("--json", action="store_true", help="print the list as JSON")

    validate = _subparser(sub, "validate", "lint policy files",
                          "Check policy files for errors and for things AWS accepts that are"
                          " almost always mistakes.", _VALIDATE_EXAMPLES,
                          ((EXIT_ALLOWED, "no finding of severity error (or of --fail-on)"),
                           (EXIT_DENIED, "a finding of severity error (or of --fail-on)")))
    validate.add_argument("files", nargs="+", metavar="FILE", help="policy JSON files")
    validate.add_argument("--type", dest="policy_type", choices=_POLICY_TYPES,
                          help="also check the structural rules of this policy type"
                               " (default: none)")
    validate.add_argument("--fail-on", choices=_SEVERITIES, default="error", metavar="SEVERITY",
                          help="exit 1 when a finding is this severe or more: error (default),"
                               " security-warning, warning or suggestion")
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")

    assume = _subparser(sub, "can-assume", "may PRINCIPAL assume ROLE (its trust policy)?",
                        "Decide sts:AssumeRole on ROLE by PRINCIPAL: the role's trust policy,"
                        " plus the caller's identity policies and boundary when given (or"
                        " taken from --account-export when PRINCIPAL is in it).",
                        _ASSUME_EXAMPLES,
                        ((EXIT_ALLOWED, "PRINCIPAL may assume ROLE"),
                         (EXIT_DENIED, "it may not, explicitly or implicitly")))
    assume.add_argument("principal", metavar="PRINCIPAL",
                        help="service principal, IAM/STS ARN, account ID or `anonymous`; with"
                             " --account-export also a user or role name of the export")
    assume.add_argument("role", metavar="ROLE", help=_ROLE_HELP)
    _add_context(assume)
    _add_role_source(assume, caller=True)
    _add_catalog_commands(sub)  # what-can, who-can (after can-assume), --strict for check/explain
    assume.add_argument("--action", default="sts:AssumeRole",
                        help="the STS action (default sts:AssumeRole)")
    assume.add_argument("--explain", action="store_true",
                        help="show every trust-policy statement considered")
    assume.add_argument("--json", action="store_true", help="print the decision as JSON")
    from drpolicy import _cli_replay  # replay lives in its own module

    _cli_replay.add_parser(sub, _subparser)

    _cli_analysis.add_parsers(sub)
    return parser


def _add_catalog_commands(sub: Any) -> None:
    from drpolicy import _cli_catalog

    _cli_catalog.add_parsers(sub, _subparser, _add_context, _add_role_source)


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def _context(pairs: Sequence[str], as_json: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if as_json is not None:
        try:
            data = json.loads(as_json)
        except (RecursionError, ValueError) as exc:
            if isinstance(exc, RecursionError):
                raise RequestError("--context-json is nested too deeply") from None
            if not isinstance(exc, json.JSONDecodeError):  # an integer of thousands of digits
                raise RequestError(f"--context-json cannot be read: {exc}") from None
            raise RequestError(
                f"--context-json is not JSON: {exc.msg} at column {exc.colno}"
            ) from None
        if not isinstance(data, dict):
            raise RequestError("--context-json must be a JSON object of key -> value(s)")
        for key, value in data.items():
            if not (isinstance(value, (str, bool, int))
                    or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                raise RequestError(
                    f"--context-json: the value of `{key}` must be a string or a list of strings"
                )
            out[key] = value
    seen_pairs: set[str] = set()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RequestError(f"--context takes KEY=VALUE, not `{pair}`")
        if key in seen_pairs:  # repeating a key makes it multi-valued
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            if key in out:
                raise RequestError(
                    f"context key `{key}` is given by both --context and --context-json"
                )
            out[key] = value
            seen_pairs.add(key)
    return out


_accounts: dict[tuple[str, bool], Any] = {}


def _load_account(path: str, ignore_missing: bool) -> Any:
    from drpolicy.loaders import load_account

    key = (path, ignore_missing)
    if key not in _accounts:
        if not Path(path).is_file():
            raise LoaderError(path, "no such file" if not Path(path).exists() else "not a file")
        try:
            _accounts[key] = load_account(
                Path(path), missing_managed="ignore" if ignore_missing else "error"
            )
        except LoaderError as exc:
            if "looks like a policy document" not in str(exc):
                raise
            raise _BadInput(
                f"{path}: not an `aws iam get-account-authorization-details` export but a"
                " policy document: pass it with --policy"
            ) from None
    return _accounts[key]


def _policies(paths: Sequence[str], policy_type: PolicyType) -> list[Policy]:
    from drpolicy.loaders import load_policy_dir

    out: list[Policy] = []
    for path in paths:
        if Path(path).is_dir():
            found = load_policy_dir(path, policy_type=policy_type)
            if not found:
                raise LoaderError(path, "no policy files (*.json) in this folder")
            out.extend(found.values())
        else:
            out.append(_policy_file(path, policy_type))
    names: dict[str, int] = {}
    for p in out:
        names[p.name] = names.get(p.name, 0) + 1
    twice = sorted(n for n, count in names.items() if count > 1)
    if twice:
        raise _BadInput(
            f"two policy files are named `{twice[0]}`: policies are named by file stem and must"
            " differ"
        )
    return out


def _one(path: str | None, policy_type: PolicyType) -> Policy | None:
    if path is None:
        return None
    return _policy_file(path, policy_type)


_EXPORT_KEYS: Final = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _policy_file(path: str, policy_type: PolicyType) -> Policy:
    """A policy file; an account export passed as a policy gets pointed to --account-export."""
    from drpolicy.errors import PolicyParseError
    from drpolicy.loaders import load_policy_file

    try:
        return load_policy_file(path, policy_type=policy_type)
    except (PolicyParseError, LoaderError):
        try:
            data = json.loads(Path(path).read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and "Statement" not in data and any(
            k in data for k in _EXPORT_KEYS
        ):
            raise _BadInput(
                f"{path}: this is an `aws iam get-account-authorization-details` export, not a"
                " policy: pass it with --account-export"
            ) from None
        raise


def _custom(args: argparse.Namespace) -> bool:
    return bool(args.policy or args.trust_policy or args.boundary)


def _note_catalog_clash(args: argparse.Namespace) -> None:
    """With --policy, a ROLE that names a catalog role is only a name: say so on stderr."""
    from drpolicy.catalog import ALIASES, ROLE_NAMES

    name = ALIASES.get(args.role, args.role if args.role in ROLE_NAMES else None)
    if name is None or getattr(args, "_clash_noted", False):
        return
    args._clash_noted = True
    files = ", ".join([*args.policy, *filter(None, (args.trust_policy, args.boundary))])
    print(
        f"drpolicy: note: `{args.role}` is evaluated with the policies of {files} only; the"
        f" built-in {name}'s policies are not used (drop --policy for them)",
        file=sys.stderr,
    )


def _subject(args: argparse.Namespace, *, roles_only: bool = False) -> Any:
    """The role (or user) the request is about."""
    from drpolicy import Role
    from drpolicy._api import role as catalog_role
    from drpolicy.roles import DEFAULT_ACCOUNT_ID

    if args.account_export is not None:
        if _custom(args):
            raise _BadInput(
                "--account-export cannot be combined with --policy, --trust-policy or --boundary"
            )
        if args.account_id is not None:
            raise _BadInput("--account-id does not apply to --account-export (the export has one)")
        account = _load_account(args.account_export, args.ignore_missing_managed)
        return account.role(args.role) if roles_only else account.principal(args.role)
    account_id = args.account_id or DEFAULT_ACCOUNT_ID
    if _custom(args):
        _note_catalog_clash(args)
        return Role.from_policies(
            args.role,
            {p.name: p for p in _policies(args.policy, "identity")},
            trust_policy=_one(args.trust_policy, "trust"),
            permission_boundary=_one(args.boundary, "permission_boundary"),
            account_id=account_id,
        )
    if args.ignore_missing_managed:
        raise _BadInput("--ignore-missing-managed applies only to --account-export")
    return catalog_role(args.role, account_id=account_id)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _print_decision(d: Decision, as_json: bool) -> None:
    # drpolicy.explain is imported only when needed: it is a fifth of the start-up time
    if as_json:
        from drpolicy.explain import decision_to_json

        _print_json(decision_to_json(d))
        return
    print(d.decision)
    for r in d.reasons:
        print(f"  by {r}")
    if d.decided_by and not d.allowed:
        from drpolicy.explain import _DECIDED_BY

        print(f"  decided by: {_DECIDED_BY[d.decided_by]}")
    if d.missing_context:
        print(f"  missing context: {', '.join(d.missing_context)}")
        settle = " ".join(f"-c {k}=VALUE" for k in d.missing_context)
        print(f"  the answer may depend on it: give it with {settle}")
    for e in d.errors:
        print(f"  error: {e}")




def _exit(d: Decision) -> int:
    if not d.definite:
        return EXIT_NOT_DEFINITE
    return EXIT_ALLOWED if d.allowed else EXIT_DENIED


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from drpolicy import _cli_decide  # the handler, imported when the command runs

    return _cli_decide._cmd_check(args)


def _cmd_explain(args: argparse.Namespace) -> int:
    from drpolicy import _cli_decide  # the handler, imported when the command runs

    return _cli_decide._cmd_explain(args)


def _cmd_roles(args: argparse.Namespace) -> int:
    from drpolicy import _cli_roles  # the handler, imported when the command runs

    return _cli_roles._cmd_roles(args)


def _cmd_validate(args: argparse.Namespace) -> int:
    from drpolicy import _cli_validate  # the handler, imported when the command runs

    return _cli_validate._cmd_validate(args)


def _cmd_can_assume(args: argparse.Namespace) -> int:
    from drpolicy import _cli_decide  # the handler, imported when the command runs

    return _cli_decide._cmd_can_assume(args)


def _cmd_what_can(args: argparse.Namespace) -> int:
    from drpolicy import _cli_catalog

    context = _context(args.context, args.context_json)
    return _cli_catalog.run_what_can(args, _subject(args), context)


def _cmd_who_can(args: argparse.Namespace) -> int:
    from drpolicy import _cli_catalog

    context = _context(args.context, args.context_json)
    account = _load_account(args.account_export, args.ignore_missing_managed)
    policy = _one(args.resource_policy, "resource")
    return _cli_catalog.run_who_can(args, account, context, policy)


def _with_catalog_warnings(
    command: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """``command`` (check, explain), then the request's catalog warnings (and --strict)."""

    def run(args: argparse.Namespace) -> int:
        from drpolicy import _cli_catalog

        return _cli_catalog.with_warnings(command, args, _subject, _context)

    return run


def _cli_replay_run(args: argparse.Namespace) -> int:
    from drpolicy._cli_replay import run

    return run(args)


_COMMANDS: Final[Mapping[str, Callable[[argparse.Namespace], int]]] = {
    "check": _with_catalog_warnings(_cmd_check),
    "explain": _with_catalog_warnings(_cmd_explain),
    "roles": _cmd_roles,
    "validate": _cmd_validate,
    "can-assume": _cmd_can_assume,
    "what-can": _cmd_what_can,
    "who-can": _cmd_who_can,
    "replay": _cli_replay_run,
    **_cli_analysis.COMMANDS,
}


def _one_line(message: str) -> str:
    """Fold a multi-line error (a policy with several problems) into one line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    head, rest = lines[0], [line.removeprefix("- ") for line in lines[1:]]
    return head + (" " + "; ".join(rest) if rest else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 allowed/ok, 1 denied/error findings, 2 bad input).

    >>> main(["check", "deepracer", "deepracer:ListModels", "*"])
    Allowed
      by identity:AWSDeepRacerServiceRolePolicy: Statement[0]
    0
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _COMMANDS[args.command](args)
    except (DrpolicyError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            _silence_stdout()
            return EXIT_DENIED  # the answer was not delivered: never report success
        text = str(exc) if isinstance(exc, DrpolicyError) else f"{exc.strerror or exc}"
        print(f"drpolicy: error: {_one_line(text)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _silence_stdout() -> None:
    # `drpolicy explain ... | head`: the reader went away; do not print a traceback
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:  # pragma: no cover
        pass
