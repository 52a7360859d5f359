"""Fixtures for the pytest-benchmark suites.

Everything is built from files under ``benchmarks/data/`` or by the seeded generator in
``synthetic.py``, and compiled *outside* the timed call; the benchmarks time only what their
group says (compiling, or deciding).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import synthetic
from workload import PolicySet, Request, deepracer_policies, deepracer_requests

import drpolicy


@pytest.fixture(scope="session")
def mix() -> list[Request]:
    """The hand-labelled DeepRacer request mix."""
    return deepracer_requests()


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    """The DeepRacer permission policies (checked equal to drpolicy's catalog)."""
    return deepracer_policies()


def compile_roles(policy_set: PolicySet) -> dict[str, drpolicy.Role]:
    """One compiled drpolicy role per role of a policy set (catalog-like path)."""
    return {
        name: drpolicy.Role.from_policies(
            name, {f"{name}Policy{i or ''}": d for i, d in enumerate(docs)},
            path="/service-role/",
        )
        for name, docs in policy_set.items()
    }


@pytest.fixture(scope="session")
def roles(policies: PolicySet) -> dict[str, drpolicy.Role]:
    """The DeepRacer roles, compiled once."""
    return compile_roles(policies)


@pytest.fixture(scope="session")
def scaling() -> Callable[[str, int], tuple[PolicySet, Request, drpolicy.Role]]:
    """``scaling(kind, n) -> (policy set, request, compiled role)``, cached per case."""
    cache: dict[tuple[str, int], tuple[PolicySet, Request, drpolicy.Role]] = {}

    def get(kind: str, n: int) -> tuple[PolicySet, Request, drpolicy.Role]:
        if (kind, n) not in cache:
            policy_set, requests = synthetic.scaling_case(kind, n)
            role = compile_roles(policy_set)[synthetic.ROLE]
            cache[(kind, n)] = (policy_set, requests[0], role)
        return cache[(kind, n)]

    return get


@pytest.fixture
def default_cache() -> Any:
    """drpolicy's decision cache as configured by default, emptied before and after the test."""
    cache = drpolicy.decision_cache
    if cache.maxsize == 0:
        pytest.skip("drpolicy.decision_cache is switched off")
    cache.clear()
    yield cache
    cache.clear()
