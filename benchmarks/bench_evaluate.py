"""Decision time on the DeepRacer request mix (roles compiled outside the timed call).

Group ``evaluate-mix``: one timed call answers all the requests of the mix (see
``extra_info["decisions"]``; divide the time by it for a per-decision figure), with drpolicy
uncached, drpolicy's module-level call with its decision cache warm, ``evaluate`` (the full
Decision), and the two pure-Python baselines. Group ``evaluate-one``: single requests that
exercise different paths.
"""

from __future__ import annotations

from typing import Any

import pytest
from engines import Workload, naive, regex
from workload import PolicySet, Request

import drpolicy


def _check(answers: list[bool], mix: list[Request]) -> None:
    wrong = [r.describe() for r, a in zip(mix, answers) if a != r.expected]
    assert not wrong, f"wrong answers: {wrong}"


@pytest.mark.benchmark(group="evaluate-mix")
def bench_drpolicy_uncached(benchmark: Any, mix: list[Request], roles: dict[str, Any]) -> None:
    """Role.is_allowed: the compiled engine, no decision cache."""
    calls = [(roles[r.role].is_allowed, r.action, r.resource, r.context) for r in mix]

    def run() -> list[bool]:
        return [f(a, res, ctx) for f, a, res, ctx in calls]

    benchmark.extra_info["decisions"] = len(mix)
    _check(benchmark(run), mix)


@pytest.mark.benchmark(group="evaluate-mix")
def bench_drpolicy_cached(
    benchmark: Any, mix: list[Request], roles: dict[str, Any], default_cache: Any
) -> None:
    """Module-level drpolicy.is_allowed with the decision cache, repeated requests."""
    is_allowed = drpolicy.is_allowed
    calls = [(roles[r.role], r.action, r.resource, r.context) for r in mix]

    def run() -> list[bool]:
        return [is_allowed(role, a, res, ctx) for role, a, res, ctx in calls]

    run()  # warm the cache
    benchmark.extra_info["decisions"] = len(mix)
    _check(benchmark(run), mix)


@pytest.mark.benchmark(group="evaluate-mix")
def bench_drpolicy_evaluate(benchmark: Any, mix: list[Request], roles: dict[str, Any]) -> None:
    """Role.evaluate: the full Decision (reasons, missing context), no cache."""
    calls = [(roles[r.role].evaluate, r.action, r.resource, r.context) for r in mix]

    def run() -> list[bool]:
        return [f(a, res, ctx).allowed for f, a, res, ctx in calls]

    benchmark.extra_info["decisions"] = len(mix)
    _check(benchmark(run), mix)


@pytest.mark.benchmark(group="evaluate-mix")
@pytest.mark.parametrize("engine", [naive, regex], ids=["naive-fnmatch", "precompiled-regex"])
def bench_baseline(benchmark: Any, mix: list[Request], policies: PolicySet, engine: Any) -> None:
    """The pure-Python baselines of compare.py on the same mix."""
    decide = engine.build(Workload("deepracer", policies, mix))

    def run() -> list[bool]:
        return [decide(r) for r in mix]

    benchmark.extra_info["decisions"] = len(mix)
    _check(benchmark(run), mix)


@pytest.mark.benchmark(group="evaluate-one")
@pytest.mark.parametrize(
    "request_id",
    ["r00", "r06", "r18", "r39", "r42", "r61"],
    ids=[
        "allow-first-statement",
        "deny-passrole-pattern",
        "allow-ignorecase-condition",
        "allow-resource-star",
        "allow-stringequals-condition",
        "deny-no-statement",
    ],
)
def bench_drpolicy_one(
    benchmark: Any, mix: list[Request], roles: dict[str, Any], request_id: str
) -> None:
    """Role.is_allowed on one request."""
    (r,) = [r for r in mix if r.id == request_id]
    role = roles[r.role]
    assert benchmark(role.is_allowed, r.action, r.resource, r.context) is r.expected
