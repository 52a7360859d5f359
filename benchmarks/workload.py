"""The benchmark workload: requests and policies read from ``benchmarks/data/``.

Every engine adapter answers :class:`Request` objects, so the same list of requests can be
fed to each of them. A request hashes by identity (it holds a context mapping), which is what
lets the dictionary-lookup floor stay a single ``dict`` lookup.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_DIR",
    "PolicySet",
    "Request",
    "deepracer_policies",
    "deepracer_requests",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

PolicySet = dict[str, list[dict[str, Any]]]
"""Role name -> that role's permission policy documents (raw IAM JSON)."""


@dataclasses.dataclass(frozen=True, eq=False)
class Request:
    """One authorization question: may a session of ``role`` do ``action`` on ``resource``?

    Attributes:
        role: the role name (a key of the policy set the engine was built from).
        action: ``service:ActionName``.
        resource: the resource ARN, or ``*``.
        context: request context keys (string or list-of-string values), or ``None``.
        expected: the answer checked by hand (mix) or by construction (synthetic), if known.
        id: a short name for reports.
        why: the statement that decides, in words.
    """

    role: str
    action: str
    resource: str
    context: Mapping[str, Any] | None = None
    expected: bool | None = None
    id: str = ""
    why: str = ""

    def describe(self) -> str:
        """A one-line description for disagreement reports."""
        ctx = "" if not self.context else f" context={dict(self.context)}"
        return f"{self.id} {self.role} {self.action} {self.resource}{ctx}"


def deepracer_requests() -> list[Request]:
    """The hand-labelled DeepRacer request mix (``data/deepracer_requests.json``)."""
    raw = json.loads((DATA_DIR / "deepracer_requests.json").read_text("utf-8"))
    return [
        Request(
            role=r["role"],
            action=r["action"],
            resource=r["resource"],
            context=r.get("context"),
            expected=r["expected"],
            id=r["id"],
            why=r.get("why", ""),
        )
        for r in raw["requests"]
    ]


def deepracer_policies(check_catalog: bool = True) -> PolicySet:
    """The DeepRacer permission policies (``data/deepracer_policies.json``).

    Args:
        check_catalog: also check that the committed copy still equals drpolicy's built-in
            catalog, so the engines are never compared on different policies.

    Raises:
        RuntimeError: the copy and the catalog differ.
    """
    raw = json.loads((DATA_DIR / "deepracer_policies.json").read_text("utf-8"))
    roles: PolicySet = {name: [entry["document"]] for name, entry in raw["roles"].items()}
    if check_catalog:
        from drpolicy.catalog import role_document

        for name, docs in roles.items():
            if role_document(name)["permission_policy"] != docs[0]:
                raise RuntimeError(
                    f"benchmarks/data/deepracer_policies.json is stale for {name}:"
                    " copy the catalog's permission_policy again"
                )
    return roles
