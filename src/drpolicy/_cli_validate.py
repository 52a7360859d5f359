"""``drpolicy validate``: lint policy files, also the saved output of ``aws iam
get-policy-version`` and ``get-role-policy`` (private module; :mod:`drpolicy.cli`
dispatches to it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from drpolicy.cli import _SEVERITIES, EXIT_ALLOWED, EXIT_DENIED, _print_json
from drpolicy.errors import LoaderError


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



def _cmd_validate(args: argparse.Namespace) -> int:
    from drpolicy import _cli_catalog
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
                    _unwrap(source), policy_type=args.policy_type, name=path.stem,
                    progress=_cli_catalog.validate_progress(name),
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
