"""``drpolicy replay``: replay request logs against current and proposed policies (private;
registered by :mod:`drpolicy.cli`)."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drpolicy.errors import DrpolicyError, LoaderError

EXAMPLES = """\
examples:
  drpolicy replay AWSLogs/ --account-export account.json
  drpolicy replay trail/ --account-export account.json \\
      --proposed DataLakeRead=datalake-narrow.json --out results.parquet
  drpolicy replay events.jsonl.gz --catalog \\
      --proposed AWSDeepRacerServiceRolePolicy=narrow.json --json
  drpolicy replay requests.csv --policy app.json --principal arn:aws:iam::111122223333:role/app
  drpolicy replay s3a://trail-bucket/AWSLogs/ --account-export account.json --engine spark

replay exits 1 when a --proposed policy would break an event that succeeded in the log.
"""


class _BadReplayInput(DrpolicyError):
    """A command-line combination the library does not check itself."""


def add_parser(sub: Any, subparser: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``replay`` on the CLI's subparsers (``subparser`` is cli's helper)."""
    extra: dict[str, Any] = {}
    if "codes" in inspect.signature(subparser).parameters:  # cli's helper takes exit codes
        extra["codes"] = ((0, "replayed; no --proposed policy breaks a logged success"),
                          (1, "a --proposed policy would break an event that succeeded"))
    p = subparser(
        sub, "replay", "replay CloudTrail logs against current and proposed policies",
        "Turn every logged event into an IAM request, decide it with the current policies"
        " (and with --proposed replacements), and summarise: allowed, denied, what the"
        " proposal would break, and where drpolicy disagrees with the log.", EXAMPLES, **extra,
    )
    p.add_argument("events", nargs="+", metavar="EVENTS",
                   help="CloudTrail log files or folders (.json/.json.gz with Records, JSONL"
                        " events), or request tables (JSONL, CSV, Parquet)")
    g = p.add_argument_group("policy source (exactly one)")
    g.add_argument("--account-export", metavar="FILE",
                   help="an `aws iam get-account-authorization-details` output")
    g.add_argument("--catalog", action="store_true",
                   help="the built-in DeepRacer roles (in --account-id)")
    g.add_argument("--policy", action="append", default=[], metavar="FILE",
                   help="an identity policy file (or folder) of --principal; repeatable")
    g.add_argument("--principal", metavar="ARN", help="the role or user ARN --policy belongs to")
    g.add_argument("--account-id", metavar="ID", default=None,
                   help="with --catalog: the account the roles live in (default 123456789012)")
    g.add_argument("--ignore-missing-managed", action="store_true",
                   help="with --account-export: skip managed policies the export lacks")
    p.add_argument("--proposed", action="append", default=[], metavar="NAME=POLICY_FILE",
                   help="replace the policy called NAME (wherever attached) by this file;"
                        " repeatable")
    p.add_argument("--engine", choices=("local", "spark"), default="local",
                   help="local process pool (default) or PySpark")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: the CPU count)")
    p.add_argument("--out", metavar="FILE",
                   help="write one result per event: .jsonl, .csv or .parquet (Spark: a"
                        " Parquet folder)")
    p.add_argument("--no-unused", dest="unused", action="store_false",
                   help="leave out the granted-but-never-used actions per principal")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def _source(args: argparse.Namespace) -> Any:
    from drpolicy.replay import PolicySource

    chosen = [bool(args.account_export), args.catalog, bool(args.policy or args.principal)]
    if sum(chosen) != 1:
        raise _BadReplayInput(
            "give exactly one policy source: --account-export FILE, --catalog, or"
            " --policy FILE --principal ARN"
        )
    if args.account_id is not None and not args.catalog:
        raise _BadReplayInput("--account-id applies only to --catalog")
    if args.ignore_missing_managed and not args.account_export:
        raise _BadReplayInput("--ignore-missing-managed applies only to --account-export")
    if args.account_export:
        path = Path(args.account_export)
        if not path.is_file():
            raise LoaderError(str(path), "no such file" if not path.exists() else "not a file")
        return PolicySource.account_export(path.read_text(encoding="utf-8"),
                                           ignore_missing=args.ignore_missing_managed)
    if args.catalog:
        return PolicySource.catalog(args.account_id or "123456789012")
    if not args.policy or not args.principal:
        raise _BadReplayInput("--policy and --principal go together")
    from drpolicy.cli import _policies

    policies = _policies(args.policy, "identity")
    return PolicySource.policies(
        args.principal, {p.name: json.dumps(p.to_json()) for p in policies}
    )


def _proposed(pairs: list[str]) -> dict[str, str]:
    from drpolicy.loaders import load_policy_file

    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, file = pair.partition("=")
        if not sep or not name or not file:
            raise _BadReplayInput(f"--proposed `{pair}` is not NAME=POLICY_FILE")
        if name in out:
            raise _BadReplayInput(f"--proposed names `{name}` twice")
        policy = load_policy_file(file, policy_type="identity")  # fails early, names the file
        out[name] = json.dumps(policy.to_json())
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``drpolicy replay``; 1 when a proposal would break a logged success."""
    from drpolicy.replay import replay

    if args.workers is not None and args.workers < 1:
        raise _BadReplayInput(f"--workers must be at least 1, not {args.workers}")
    source = _source(args)
    if args.proposed:
        source = source.propose(_proposed(args.proposed))
    summary = replay(args.events, source, engine=args.engine, workers=args.workers,
                     out=args.out, progress=not args.json, unused=args.unused)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(summary.text())
    return 1 if summary.counts["would_break"] else 0
