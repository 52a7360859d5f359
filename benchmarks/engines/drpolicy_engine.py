"""drpolicy itself, three ways.

``drpolicy``
    ``Role.is_allowed`` on roles compiled with ``drpolicy.Role.from_policies`` (compile outside
    the timed call). No decision cache is involved: this is the engine's own speed and the
    reference every ratio is taken against.
``drpolicy-cached``
    module-level ``drpolicy.is_allowed(role, action, resource, context)`` with the default
    decision cache, on repeated requests (the cache is warmed by the agreement check).
``drpolicy-nocache``
    the same module-level call with ``drpolicy.decision_cache.maxsize = 0`` (cache off): the
    engine plus the call's own overhead.

Roles are built from the workload's policy documents (for the DeepRacer mix these are the
catalog's, checked equal by :func:`workload.deepracer_policies`) at path ``/service-role/`` like
the catalog's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from engines import Decide, EngineUnavailable, Workload

__all__ = ["ENGINES", "build_roles"]


def _version() -> str:
    try:
        import drpolicy
    except ImportError as exc:  # pragma: no cover - the benchmarks run in drpolicy's venv
        raise EngineUnavailable(f"drpolicy is not importable: {exc}") from exc
    return str(drpolicy.__version__)


def build_roles(workload: Workload) -> dict[str, Any]:
    """Compile one :class:`drpolicy.Role` per role of the workload."""
    import drpolicy

    return {
        name: drpolicy.Role.from_policies(
            name,
            {f"{name}Policy" if len(docs) == 1 else f"{name}Policy{i}": d
             for i, d in enumerate(docs)},
            path="/service-role/",
        )
        for name, docs in workload.policies.items()
    }


class Uncached:
    NAME = "drpolicy"
    LABEL = "drpolicy Role.is_allowed (no cache)"
    NOTE = "compiled Role, no decision cache"
    version = staticmethod(_version)

    @staticmethod
    def build(workload: Workload) -> Decide:
        roles = build_roles(workload)

        def decide(r: Any) -> bool:
            return roles[r.role].is_allowed(r.action, r.resource, r.context)  # type: ignore[no-any-return]

        return decide


class Cached:
    NAME = "drpolicy-cached"
    LABEL = "drpolicy.is_allowed (cache on)"
    NOTE = "module-level call, default decision cache, repeated requests"
    version = staticmethod(_version)

    @staticmethod
    def build(workload: Workload) -> Decide:
        import drpolicy

        roles = build_roles(workload)
        is_allowed = drpolicy.is_allowed

        def decide(r: Any) -> bool:
            return is_allowed(roles[r.role], r.action, r.resource, r.context)

        return decide


@contextlib.contextmanager
def _cache_off() -> Iterator[None]:
    import drpolicy

    saved = drpolicy.decision_cache.maxsize
    drpolicy.decision_cache.maxsize = 0
    try:
        yield
    finally:
        drpolicy.decision_cache.maxsize = saved


class ModuleNoCache(Cached):
    NAME = "drpolicy-nocache"
    LABEL = "drpolicy.is_allowed (cache off)"
    NOTE = "module-level call with decision_cache.maxsize = 0"
    around = staticmethod(_cache_off)


ENGINES = (Uncached, Cached, ModuleNoCache)
