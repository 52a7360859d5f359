"""PMapper (``principalmapper`` on PyPI, AGPL): its local policy simulation.

We call ``principalmapper.querying.local_policy_simulation.policy_has_matching_statement`` the
way PMapper's own ``has_matching_statement`` does for a principal's attached policies: is there
a matching Deny statement in any policy (then deny), else a matching Allow (then allow). The
context goes in as PMapper's ``CaseInsensitiveDict``. Nothing of PMapper is copied here; it is
imported at run time when installed (``pip install principalmapper``).

PMapper 1.1.5 imports ``Mapping``/``MutableMapping`` from ``collections``, which Python 3.10
removed; the aliases are restored before import.
"""

from __future__ import annotations

import collections
import collections.abc
from typing import Any

from engines import Decide, EngineUnavailable, Workload

__all__ = ["LABEL", "NAME", "build", "version"]

NAME = "pmapper"
LABEL = "PMapper local_policy_simulation"

_ALIASES = ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable", "MutableSet")


def _import() -> Any:
    for alias in _ALIASES:
        if not hasattr(collections, alias):
            setattr(collections, alias, getattr(collections.abc, alias))
    try:
        import principalmapper
        from principalmapper.querying import local_policy_simulation
        from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict
    except Exception as exc:  # ImportError, or a newer Python breaking the old package
        raise EngineUnavailable(
            f"principalmapper is not importable ({type(exc).__name__}: {exc});"
            " install it with `pip install principalmapper`"
        ) from exc
    return principalmapper, local_policy_simulation, CaseInsensitiveDict


def version() -> str:
    """PMapper's version, or :class:`EngineUnavailable`."""
    principalmapper, _, _ = _import()
    return str(getattr(principalmapper, "__version__", "unknown"))


def build(workload: Workload) -> Decide:
    """Hold the raw documents; PMapper has no compile step (it caches regexes itself)."""
    _, lps, CaseInsensitiveDict = _import()
    matches = lps.policy_has_matching_statement
    policies = workload.policies
    empty = CaseInsensitiveDict()

    def decide(r: Any) -> bool:
        docs = policies[r.role]
        ctx = CaseInsensitiveDict(r.context) if r.context else empty
        action, resource = r.action, r.resource
        for doc in docs:
            if matches(doc, "Deny", action, resource, ctx):
                return False
        return any(matches(doc, "Allow", action, resource, ctx) for doc in docs)

    return decide
