"""The ``check-no-new-access``, ``check-access-not-granted`` and ``check-no-public-access``
subcommands (private module; registered by :mod:`drpolicy.cli`).

Exit codes: 0 PASS, 1 FAIL (with a witness, or "cannot prove"), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["COMMANDS", "add_parsers"]

_EXAMPLES_NO_NEW = """\
examples:
  drpolicy check-no-new-access deployed/ci-role.json proposed/ci-role.json
  drpolicy check-no-new-access old-bucket-policy.json new-bucket-policy.json \\
      --policy-type resource --json
"""
_EXAMPLES_NOT_GRANTED = """\
examples:
  drpolicy check-access-not-granted ci-role.json --action iam:PassRole --action iam:Create*
  drpolicy check-access-not-granted ci-role.json --resource 'arn:aws:s3:::prod-*'
"""
_EXAMPLES_PUBLIC = """\
examples:
  drpolicy check-no-public-access bucket-policy.json --resource-type AWS::S3::Bucket
  drpolicy check-no-public-access trust.json --resource-type role --json
"""
_EXIT_CODES: Final = """\
exit codes:
  0  PASS
  1  FAIL: a witness request shows the access, or the check cannot prove the answer
  2  bad input: malformed policy file, unknown option value, missing z3-solver;
     stderr gets one line `drpolicy: error: ...` and stdout stays empty
"""
_POLICY_TYPES: Final = ("identity", "resource", "trust")


def add_parsers(sub: Any) -> None:
    """Add the three subcommands to the ``drpolicy`` subparsers ``sub``."""

    def parser(name: str, help_: str, description: str, examples: str) -> Any:
        p = sub.add_parser(
            name, help=help_, description=description, epilog=examples + _EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(subparser=p)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="give up (FAIL, cannot prove) after this long (default 60)")
        return p

    p = parser("check-no-new-access", "does NEW grant anything EXISTING does not?",
               "Prove that the new policy grants no access the existing one does not, or show"
               " a request it newly allows (IAM Access Analyzer's CheckNoNewAccess, offline).",
               _EXAMPLES_NO_NEW)
    p.add_argument("existing", metavar="EXISTING", help="the policy in force (JSON file)")
    p.add_argument("new", metavar="NEW", help="the proposed policy (JSON file)")
    p.add_argument("--policy-type", choices=_POLICY_TYPES, default="identity",
                   help="identity (default), resource (with Principal) or trust")

    p = parser("check-access-not-granted", "does POLICY grant any of these actions/resources?",
               "Prove that the policy grants none of the listed actions (on any resource) or"
               " no access to the listed resources (both: none of the actions on those"
               " resources), or show a request it allows (CheckAccessNotGranted, offline).",
               _EXAMPLES_NOT_GRANTED)
    p.add_argument("policy", metavar="POLICY", help="the policy (JSON file)")
    p.add_argument("--action", action="append", default=[], metavar="A",
                   help="an action or action pattern; repeatable")
    p.add_argument("--resource", action="append", default=[], metavar="R",
                   help="a resource ARN or ARN pattern; repeatable")
    p.add_argument("--policy-type", choices=_POLICY_TYPES, default="identity",
                   help="identity (default), resource (with Principal) or trust")

    p = parser("check-no-public-access", "can this resource policy grant public access?",
               "Prove that the resource policy grants no access to anonymous callers or"
               " callers of unnamed accounts except through fixed values of the limiting keys"
               " (aws:SourceArn, aws:SourceAccount, aws:SourceVpce, aws:PrincipalOrgID,"
               " aws:SourceIp ranges...), or show a public request (CheckNoPublicAccess,"
               " offline).", _EXAMPLES_PUBLIC)
    p.add_argument("policy", metavar="POLICY", help="the resource policy (JSON file)")
    p.add_argument("--resource-type", required=True, metavar="TYPE",
                   help="AWS::S3::Bucket, AWS::KMS::Key, AWS::IAM::AssumeRolePolicyDocument,"
                        " AWS::SQS::Queue, AWS::SNS::Topic, AWS::Lambda::Function (or s3, kms,"
                        " role, sqs, sns, lambda)")


def _load(path: str, policy_type: str) -> Any:
    from drpolicy.loaders import load_policy_file

    return load_policy_file(path, policy_type=policy_type)  # type: ignore[arg-type]


def _report(result: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(result)
    return 0 if result.passed else 1


def _timeout(args: argparse.Namespace) -> int:
    from drpolicy.errors import RequestError

    if not args.timeout > 0:
        raise RequestError("--timeout must be a positive number of seconds")
    return int(args.timeout * 1000)


def _cmd_no_new_access(args: argparse.Namespace) -> int:
    from drpolicy.analysis import check_no_new_access

    existing = _load(args.existing, args.policy_type)
    new = _load(args.new, args.policy_type)
    result = check_no_new_access(
        existing, new, policy_type=args.policy_type, timeout_ms=_timeout(args)
    )
    return _report(result, args.json)


def _cmd_access_not_granted(args: argparse.Namespace) -> int:
    from drpolicy.analysis import check_access_not_granted
    from drpolicy.errors import RequestError

    if not args.action and not args.resource:
        raise RequestError("give at least one --action or --resource")
    policy = _load(args.policy, args.policy_type)
    result = check_access_not_granted(
        policy, actions=args.action, resources=args.resource, policy_type=args.policy_type,
        timeout_ms=_timeout(args),
    )
    return _report(result, args.json)


def _cmd_no_public_access(args: argparse.Namespace) -> int:
    from drpolicy.analysis import check_no_public_access
    from drpolicy.analysis._public import policy_type_of

    policy = _load(args.policy, policy_type_of(args.resource_type))
    result = check_no_public_access(
        policy, resource_type=args.resource_type, timeout_ms=_timeout(args)
    )
    return _report(result, args.json)


COMMANDS: Final[Mapping[str, Callable[[argparse.Namespace], int]]] = {
    "check-no-new-access": _cmd_no_new_access,
    "check-access-not-granted": _cmd_access_not_granted,
    "check-no-public-access": _cmd_no_public_access,
}
"""The subcommands' handlers, by name."""
