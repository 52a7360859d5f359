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
from typing import Any, Final, NoReturn

from drpolicy.errors import DrpolicyError, LoaderError, RequestError
from drpolicy.explain import _DECIDED_BY
from drpolicy.model import Decision, Policy, PolicyType

__all__ = [
    "EXIT_ALLOWED", "EXIT_BAD_INPUT", "EXIT_DENIED", "EXIT_NOT_DEFINITE", "build_parser", "main",
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

_EXIT_CODES = """\
exit codes:
  0  allowed (validate: no finding of severity error, or of --fail-on; roles: listed)
  1  denied, explicitly or implicitly (validate: a finding of severity error, or --fail-on)
  2  bad input: unknown role, malformed action, ARN, context or policy file, missing file;
     stderr gets one line `drpolicy: error: ...` and stdout stays empty
  3  not definite: denied only because a statement could not be evaluated (a context value
     of the wrong type...) or relies on an ambiguous construct; drpolicy failed closed
"""

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
    sub: Any, name: str, help_: str, description: str, examples: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_,
        description=description,
        epilog=examples + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(subparser=parser)  # to report unknown arguments against it
    return parser


def _add_request(p: argparse.ArgumentParser) -> None:
    p.add_argument("role", metavar="ROLE",
                   help="catalog role name or alias (see `drpolicy roles`); with --policy the"
                        " name to give the role; with --account-export a role or user name or ARN")
    p.add_argument("action", metavar="ACTION", help="service:ActionName, e.g. s3:GetObject")
    p.add_argument("resource", metavar="RESOURCE",
                   help="resource ARN, or * for actions without resource-level permissions")
    _add_context(p)


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
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND")

    check = _subparser(sub, "check", "may ROLE do ACTION on RESOURCE?",
                       "Decide one request by a session of ROLE (its identity policies within"
                       " its permissions boundary).", _CHECK_EXAMPLES)
    _add_request(check)
    _add_role_source(check)
    check.add_argument("--json", action="store_true", help="print the decision as JSON")

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
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")

    roles = _subparser(sub, "roles", "list the built-in roles (or a loaded account's)",
                       "List the catalog's roles, or the roles and users of an account"
                       " export.", _ROLES_EXAMPLES)
    roles.add_argument("--account-export", metavar="FILE",
                       help="list this `aws iam get-account-authorization-details` output")
    roles.add_argument("--ignore-missing-managed", action="store_true",
                       help="skip attached managed policies the export does not contain")
    roles.add_argument("--json", action="store_true")

    validate = _subparser(sub, "validate", "lint policy files",
                          "Check policy files for errors and for things AWS accepts that are"
                          " almost always mistakes.", _VALIDATE_EXAMPLES)
    validate.add_argument("files", nargs="+", metavar="FILE", help="policy JSON files")
    validate.add_argument("--type", dest="policy_type", choices=_POLICY_TYPES,
                          help="also check the structural rules of this policy type"
                               " (default: none)")
    validate.add_argument("--fail-on", choices=_SEVERITIES, default="error", metavar="SEVERITY",
                          help="exit 1 when a finding is this severe or more: error (default),"
                               " security-warning, warning or suggestion")
    validate.add_argument("--json", action="store_true")

    assume = _subparser(sub, "can-assume", "may PRINCIPAL assume ROLE (its trust policy)?",
                        "Decide sts:AssumeRole on ROLE by PRINCIPAL: the role's trust policy,"
                        " plus the caller's identity policies and boundary when given (or"
                        " taken from --account-export when PRINCIPAL is in it).",
                        _ASSUME_EXAMPLES)
    assume.add_argument("principal", metavar="PRINCIPAL",
                        help="service principal, IAM/STS ARN, account ID or `anonymous`; with"
                             " --account-export also a user or role name of the export")
    assume.add_argument("role", metavar="ROLE", help="catalog role name or alias, or see below")
    _add_context(assume)
    _add_role_source(assume, caller=True)
    assume.add_argument("--action", default="sts:AssumeRole",
                        help="the STS action (default sts:AssumeRole)")
    assume.add_argument("--explain", action="store_true",
                        help="show every trust-policy statement considered")
    assume.add_argument("--json", action="store_true")
    return parser


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
        _accounts[key] = load_account(
            Path(path), missing_managed="ignore" if ignore_missing else "error"
        )
    return _accounts[key]


def _policies(paths: Sequence[str], policy_type: PolicyType) -> list[Policy]:
    from drpolicy.loaders import load_policy_dir, load_policy_file

    out: list[Policy] = []
    for path in paths:
        if Path(path).is_dir():
            out.extend(load_policy_dir(path, policy_type=policy_type).values())
        else:
            out.append(load_policy_file(path, policy_type=policy_type))
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
    from drpolicy.loaders import load_policy_file

    return load_policy_file(path, policy_type=policy_type)


def _custom(args: argparse.Namespace) -> bool:
    return bool(args.policy or args.trust_policy or args.boundary)


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
    from drpolicy.explain import decision_to_json

    if as_json:
        _print_json(decision_to_json(d))
        return
    print(d.decision)
    for r in d.reasons:
        print(f"  by {r}")
    if d.decided_by and not d.allowed:
        print(f"  decided by: {_DECIDED_BY[d.decided_by]}")
    if d.missing_context:
        print(f"  missing context: {', '.join(d.missing_context)}")
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
    from drpolicy._api import evaluate

    context = _context(args.context, args.context_json)
    subject = _subject(args)
    d = evaluate(subject, args.action, args.resource, context)
    _print_decision(d, args.json)
    return _exit(d)


def _cmd_explain(args: argparse.Namespace) -> int:
    from drpolicy.explain import explain

    context = _context(args.context, args.context_json)
    e = explain(_subject(args), args.action, args.resource, context)
    if args.json:
        _print_json(e.to_json())
    else:
        print(e.render(verbose=args.verbose))
    return _exit(e.decision)


def _cmd_roles(args: argparse.Namespace) -> int:
    if args.account_export is not None:
        account = _load_account(args.account_export, args.ignore_missing_managed)
        rows: list[dict[str, Any]] = []
        for r in account.roles.values():
            rows.append({
                "kind": "role", "name": r.name, "arn": r.arn,
                "policies": [p.name for p in r.policies],
                "permission_boundary": _name(r.permission_boundary),
            })
        for u in account.users.values():
            rows.append({
                "kind": "user", "name": u.name, "arn": u.arn,
                "policies": [p.name for p in u.policies],
                "permission_boundary": _name(u.permission_boundary),
                "groups": list(u.groups),
            })
        if args.json:
            _print_json({"account_id": account.account_id, "principals": rows,
                         "warnings": list(account.warnings)})
        else:
            width = max((len(row["name"]) for row in rows), default=4) + 2
            for row in rows:
                print(f"{row['kind']:5} {row['name']:{width}} {row['arn']}")
            for warning in account.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        return EXIT_ALLOWED
    from drpolicy._api import role as catalog_role
    from drpolicy.catalog import ALIASES, ROLE_NAMES

    aliases = {v: k for k, v in ALIASES.items()}
    if args.ignore_missing_managed:
        raise _BadInput("--ignore-missing-managed applies only to --account-export")
    if args.json:
        _print_json([
            {"name": n, "alias": aliases[n], "arn": catalog_role(n).arn,
             "policies": [p.name for p in catalog_role(n).policies],
             "description": catalog_role(n).description}
            for n in ROLE_NAMES
        ])
    else:
        for n in ROLE_NAMES:
            print(f"{n:38} {aliases[n]:15} {catalog_role(n).arn}")
    return EXIT_ALLOWED


def _unwrap(raw: bytes) -> Any:
    """The policy document of a file, as :func:`drpolicy.loaders.load_policy_file` reads it:
    the saved output of ``aws iam get-policy-version`` (``PolicyVersion.Document``) or
    ``get-role-policy``/``get-user-policy``/``get-group-policy`` (``PolicyDocument``) yields
    the document inside; anything else is validated as it is (bytes, so the parser still sees
    duplicate keys and JSON errors)."""
    import urllib.parse

    try:
        decoded = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return raw
    if not isinstance(decoded, dict) or "Statement" in decoded:
        return raw
    inner = decoded.get("PolicyVersion")
    if isinstance(inner, dict) and "Document" in inner:
        document = inner["Document"]
    elif "PolicyDocument" in decoded:
        document = decoded["PolicyDocument"]
    else:
        return raw
    if isinstance(document, str) and not document.lstrip().startswith("{"):
        document = urllib.parse.unquote(document)
    return document


def _name(policy: Policy | None) -> str | None:
    return None if policy is None else policy.name


def _cmd_validate(args: argparse.Namespace) -> int:
    from drpolicy.errors import PolicyParseError
    from drpolicy.validate import validate_policy

    results: list[tuple[str, list[dict[str, Any]]]] = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise LoaderError(name, "no such file" if not path.exists() else "not a file")
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise LoaderError(name, f"cannot read: {exc.strerror or exc}") from None
        try:
            found = [
                {"severity": f.severity, "code": f.code, "path": f.path, "message": f.message}
                for f in validate_policy(
                    _unwrap(source), policy_type=args.policy_type, name=path.stem
                )
            ]
        except PolicyParseError as exc:  # not a policy at all: every problem is an error
            found = [
                {"severity": "error", "code": p.code, "path": p.path, "message": p.message}
                for p in exc.problems
            ]
        results.append((name, found))
    rank = {sev: i for i, sev in enumerate(_SEVERITIES)}
    limit = rank[args.fail_on]
    failing = sum(
        1 for _, fs in results for f in fs if rank.get(f["severity"], 0) <= limit
    )
    if args.json:
        _print_json([{"file": n, "findings": fs} for n, fs in results])
    else:
        for name, found in results:
            if not found:
                print(f"{name}: ok")
            for f in found:
                where = f"{name}: {f['path']}" if f["path"] else name
                print(f"{where}: {f['severity']}: {f['message']} [{f['code']}]")
        counts: dict[str, int] = {}
        for _, fs in results:
            for f in fs:
                counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        summary = ", ".join(
            f"{n} {sev}{'s' if n != 1 else ''}"
            for sev, n in sorted(counts.items(), key=lambda item: rank.get(item[0], -1))
        )
        print(f"{len(results)} file{'s' if len(results) != 1 else ''}: {summary or 'no findings'}")
    return EXIT_DENIED if failing else EXIT_ALLOWED


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


_COMMANDS: Final[Mapping[str, Callable[[argparse.Namespace], int]]] = {
    "check": _cmd_check,
    "explain": _cmd_explain,
    "roles": _cmd_roles,
    "validate": _cmd_validate,
    "can-assume": _cmd_can_assume,
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
