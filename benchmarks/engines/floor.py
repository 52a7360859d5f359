"""The floor: a Python function returning a precomputed answer from a dict.

Nothing can answer a Python call faster than a call that does one dictionary lookup. The table
maps each request object (hashed by identity) to its hand-checked expected answer, or to
drpolicy's when the request has none; it answers only the requests it was built for.
"""

from __future__ import annotations

from typing import Any

from engines import Decide, Workload

__all__ = ["LABEL", "NAME", "build", "version"]

NAME = "floor"
LABEL = "dict lookup (floor)"


def version() -> str:
    """Always available."""
    return "stdlib"


def build(workload: Workload) -> Decide:
    """Precompute every answer (outside the timed call)."""
    from engines.drpolicy_engine import build_roles

    roles = build_roles(workload)
    table: dict[Any, bool] = {}
    for r in workload.requests:
        if r.expected is not None:
            table[r] = r.expected
        else:
            table[r] = roles[r.role].is_allowed(r.action, r.resource, r.context)

    def decide(r: Any) -> bool:
        return table[r]

    return decide
