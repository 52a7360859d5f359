"""The floor: a Python function with ``is_allowed``'s signature returning a precomputed answer.

Nothing can answer a Python call faster than a call that does one dictionary lookup. To compare
like with like, the floor is called exactly as the drpolicy adapters call ``is_allowed``: the
adapter unpacks the request and calls a four-argument function, which builds a tuple key and does
one dict lookup. The key is the cheapest one that tells the requests apart: roles hash by
identity, and a context (a dict, unhashable) is represented by its identity, which costs one
``id()`` call where drpolicy must hash the context's items. It answers only the requests it was
built for.
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
        role = roles[r.role]
        answer = r.expected
        if answer is None:
            answer = role.is_allowed(r.action, r.resource, r.context)
        key = (role, r.action, r.resource)
        table[key if r.context is None else (*key, id(r.context))] = answer

    def lookup(role: Any, action: str, resource: str, context: Any = None) -> bool:
        if context is None:
            return table[(role, action, resource)]
        return table[(role, action, resource, id(context))]

    def decide(r: Any) -> bool:
        return lookup(roles[r.role], r.action, r.resource, r.context)

    return decide
