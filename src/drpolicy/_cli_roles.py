"""``drpolicy roles``: list the catalog's roles, or the roles and users of an account export
(private module; :mod:`drpolicy.cli` dispatches to it)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from drpolicy.cli import EXIT_ALLOWED, _BadInput, _load_account, _print_json

if TYPE_CHECKING:
    from drpolicy.model import Policy


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


def _name(policy: Policy | None) -> str | None:
    return None if policy is None else policy.name
