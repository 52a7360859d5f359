"""Decision time on distinct requests: every timed call answers requests nothing has seen.

Group ``evaluate-distinct``: each round answers a fresh chunk of the distinct stream derived
from the DeepRacer mix (benchmarks/distinct.py), so no memo (decision cache, per-request
checks) can help; ``extra_info["decisions"]`` is the chunk size. Answers are checked against the
labels. Every drpolicy entry point and the two pure-Python baselines; compare.py prints the
same comparison as ratios in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import distinct
import pytest
from engines import Workload, naive, regex
from workload import PolicySet, Request

CHUNK = 620
ROUNDS = 20


def _chunks(stream: list[Request]) -> Iterator[list[Request]]:
    for k in range(0, len(stream), CHUNK):
        yield stream[k:k + CHUNK]


def _run(benchmark: Any, build: Callable[[list[Request]], Callable[[Request], bool]],
         policies: PolicySet, mix: list[Request], seed: int) -> None:
    stream = distinct.distinct_stream(policies, mix, CHUNK // len(mix) * (ROUNDS + 2), seed=seed)
    decide = build(stream)  # what the entry point's adapter prepares outside the timed call
    chunks = _chunks(stream)
    for r in next(chunks):  # first touch of every statement happens outside the timing
        decide(r)
    answers: list[tuple[list[Request], list[bool]]] = []

    def setup() -> tuple[tuple[list[Request]], dict[str, Any]]:
        return (next(chunks),), {}

    def run(chunk: list[Request]) -> None:
        answers.append((chunk, [decide(r) for r in chunk]))

    benchmark.extra_info["decisions"] = CHUNK
    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    wrong = [r.describe() for chunk, got in answers for r, a in zip(chunk, got) if a != r.expected]
    assert not wrong, wrong[:5]


@pytest.mark.benchmark(group="evaluate-distinct")
@pytest.mark.parametrize("entry", [
    "Role.is_allowed", "drpolicy.is_allowed", "Role.evaluate", "drpolicy.evaluate",
    "authorize (parsed)", "authorize (dicts)",
])
def bench_entry_point(benchmark: Any, mix: list[Request], policies: PolicySet, entry: str) -> None:
    """One drpolicy entry point on fresh requests."""
    _, build = distinct.entry_points(policies)[entry]
    _run(benchmark, build, policies, mix, seed=500 + sum(map(ord, entry)))


@pytest.mark.benchmark(group="evaluate-distinct")
@pytest.mark.parametrize("engine", [naive, regex], ids=["naive-fnmatch", "precompiled-regex"])
def bench_baseline_distinct(benchmark: Any, mix: list[Request], policies: PolicySet, engine: Any) -> None:
    """The pure-Python baselines on fresh requests."""
    decide = engine.build(Workload("deepracer", policies, mix))
    _run(benchmark, lambda _: decide, policies, mix, seed=77)
