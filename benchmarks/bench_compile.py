"""Compile time: drpolicy.Role.from_policies, separately from any decision.

Group ``compile-deepracer``: each catalog role's policy (from ``data/``). Groups
``compile-varied`` / ``compile-same_action``: the synthetic policies of 10 to 10,000
statements, compiled *cold*: every round gets a freshly generated policy whose patterns
drpolicy has never seen (generation happens in pedantic's untimed setup).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import synthetic
from workload import PolicySet

import drpolicy

_fresh = itertools.count()


@pytest.mark.benchmark(group="compile-deepracer")
@pytest.mark.parametrize("role_name", list(drpolicy.roles()))
def bench_compile_catalog_role(benchmark: Any, policies: PolicySet, role_name: str) -> None:
    """One DeepRacer role from its JSON document."""
    docs = {f"{role_name}Policy": policies[role_name][0]}
    role = benchmark(drpolicy.Role.from_policies, role_name, docs, path="/service-role/")
    assert role.name == role_name


@pytest.mark.parametrize("n", synthetic.SIZES)
@pytest.mark.parametrize("shape", ["varied", "same_action"])
def bench_compile_synthetic(benchmark: Any, shape: str, n: int) -> None:
    """A synthetic policy of n statements, cold."""
    benchmark.group = f"compile-{shape}"
    make = synthetic.varied_policy if shape == "varied" else synthetic.same_action_policy

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        result = make(n, tag=f"b{next(_fresh)}x")
        doc = result[0]
        return ("SyntheticRole", {"p": doc}), {}

    rounds = 3 if n >= 10000 else 5 if n >= 1000 else 20
    role = benchmark.pedantic(drpolicy.Role.from_policies, setup=setup, rounds=rounds)
    assert len(role.policies[0].statements) == n
